"""Heuristic quality signals (`q_*` columns), computed for a whole batch at once.

The set follows the spirit of RedPajama-v2's quality signals: sizes, word shape, stop
words, character ratios, line statistics and repetition. They are *signals*, not
decisions: `curate score` adds them and a user filters on them with a `polars` query or
`curate check`. Every definition is written down in docs/score.md, and this module is
the reference: a word is a run of non-whitespace characters (what `str.split()` gives),
a line is a piece of the text between `\\n` characters that holds a non-whitespace
character, and a ratio whose denominator is 0 is null (undefined, not 0).

Everything runs on Polars expressions over the batch (one Rust pass per signal) and
NumPy for the n-gram repetition statistics, so no Python code runs per document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

# A small English stop-word list: the most frequent English function words. Short on
# purpose (a long list counts content words like "new" or "first" as stop words), and
# spelled out here because `q_stop_word_fraction` is defined by it (docs/score.md).
STOP_WORDS: tuple[str, ...] = (
    "a", "about", "after", "all", "also", "an", "and", "are", "as", "at", "be", "been",
    "but", "by", "can", "could", "do", "for", "from", "had", "has", "have", "he", "her",
    "his", "i", "if", "in", "into", "is", "it", "its", "more", "not", "of", "on", "one",
    "or", "our", "she", "so", "than", "that", "the", "their", "them", "there", "they",
    "this", "to", "was", "we", "were", "what", "when", "which", "who", "will", "with",
    "would", "you", "your",
)  # fmt: skip

BULLETS = "•‣●○◦▪▫■□▶◀➢➤-*·–—"
TERMINAL_PUNCT = ".!?\"'”’…。！？"
SHORT_LINE_CHARS = 30
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)

_SENTENCE_END = r"[.!?…。！？]+[\"'”’)\]]*(?:\s|$)"
_ENDS_WITH_SENTENCE_END = r"[.!?…。！？][\"'”’)\]]*\s*$"
# stripped from both ends of a word to normalise it: ASCII punctuation and symbols
# (string.punctuation) and the common typographic quotes, dashes and marks
EDGE_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’«»„‚‹›…–—¡¿·•"


@dataclass(frozen=True)
class Signal:
    """One `q_*` column: its Arrow type and the one-line definition docs/score.md shows."""

    name: str
    type: pa.DataType
    definition: str


_I, _F = pa.int64(), pa.float64()

SIGNALS: tuple[Signal, ...] = (
    Signal("q_char_count", _I, "characters (Unicode code points) of the text"),
    Signal("q_word_count", _I, "whitespace-separated words"),
    Signal("q_line_count", _I, "non-blank lines"),
    Signal("q_sentence_count", _I, "sentences (runs of . ! ? … 。 ！ ？ then space or end)"),
    Signal("q_mean_word_length", _F, "mean characters per word"),
    Signal("q_stop_word_fraction", _F, "share of words that are English stop words"),
    Signal("q_unique_word_fraction", _F, "distinct normalised words / words"),
    Signal("q_unigram_entropy", _F, "entropy (nats) of the normalised-word distribution"),
    Signal("q_alpha_word_fraction", _F, "share of words holding at least one letter"),
    Signal("q_all_caps_word_fraction", _F, "share of words with letters, none lower-case"),
    Signal("q_symbol_word_ratio", _F, "(# count + ellipsis count) / words"),
    Signal("q_digit_fraction", _F, "decimal digits / characters"),
    Signal("q_uppercase_fraction", _F, "upper-case letters / letters"),
    Signal("q_punctuation_fraction", _F, "punctuation characters / characters"),
    Signal("q_whitespace_fraction", _F, "whitespace characters / characters"),
    Signal("q_non_ascii_fraction", _F, "non-ASCII characters / characters"),
    Signal("q_curly_bracket_fraction", _F, "{ and } characters / characters"),
    Signal("q_mean_line_length", _F, "mean characters per non-blank line (stripped)"),
    Signal("q_short_line_fraction", _F, "share of lines of at most 30 characters"),
    Signal("q_bullet_line_fraction", _F, "share of lines starting with a bullet"),
    Signal("q_ellipsis_line_fraction", _F, "share of lines ending with ... or …"),
    Signal("q_terminal_punct_line_fraction", _F, "share of lines ending with . ! ? or a quote"),
    Signal("q_duplicate_line_fraction", _F, "share of lines equal to an earlier line"),
    Signal("q_duplicate_line_char_fraction", _F, "characters in those lines / line characters"),
    *(
        Signal(f"q_top_{n}gram_char_fraction", _F, f"word characters in the most frequent {n}-gram")
        for n in TOP_NGRAMS
    ),
    *(
        Signal(
            f"q_dup_{n}gram_char_fraction",
            _F,
            f"word characters covered by {n}-grams that occur twice or more",
        )
        for n in DUP_NGRAMS
    ),
)
SIGNAL_NAMES: tuple[str, ...] = tuple(s.name for s in SIGNALS)


def signal_fields() -> list[pa.Field]:
    """The Arrow fields `curate score` adds, in column order."""
    return [pa.field(s.name, s.type) for s in SIGNALS]


CHUNK_ROWS = 2_000  # documents per pass: the word tables hold ~40 bytes per character


def compute_signals(text: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Every `q_*` signal for each text of a batch (null text → null signals).

    Row order is kept; the result has one row per input text and the columns of
    `SIGNALS` in order. The batch is computed `CHUNK_ROWS` documents at a time: the
    per-word intermediates are many times the text's size, and smaller passes bound
    them without costing speed.
    """
    if len(text) <= CHUNK_ROWS:
        return _signals(text)
    parts = [_signals(text.slice(i, CHUNK_ROWS)) for i in range(0, len(text), CHUNK_ROWS)]
    return pa.concat_tables(parts).combine_chunks()


def _signals(text: pa.Array | pa.ChunkedArray) -> pa.Table:
    s = pl.Series("t", text)
    if s.dtype != pl.String:
        s = pl.Series("t", [None] * len(s), dtype=pl.String)
    n = len(s)
    df = pl.DataFrame({"t": s})
    doc = df.select(_document_exprs()).with_columns(_doc_ratio_exprs())
    words = _words_frame(s)
    word_stats = _word_signals(words, n)
    line_stats = _line_signals(s, n)
    rep = _repetition_signals(words, n, doc["word_chars"].to_numpy())
    out = pl.concat([doc, word_stats, line_stats, rep], how="horizontal")
    # whole-row nulls for null text (counts too: "no text" is not "0 words")
    null = s.is_null()
    out = out.with_columns(
        [pl.when(pl.lit(null)).then(None).otherwise(pl.col(c)).alias(c) for c in SIGNAL_NAMES]
    )
    arrays = [out[sig.name].to_arrow().cast(sig.type) for sig in SIGNALS]
    return pa.Table.from_arrays(arrays, schema=pa.schema(signal_fields()))


# --------------------------------------------------------------------------- document level


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den as float, null where den is 0 (a ratio of nothing is undefined)."""
    return pl.when(den > 0).then(num.cast(pl.Float64) / den).otherwise(None)


def _document_exprs() -> list[pl.Expr]:
    t = pl.col("t")
    chars = t.str.len_chars().cast(pl.Int64)
    ws = t.str.count_matches(r"\s").cast(pl.Int64)
    ends = t.str.contains(_ENDS_WITH_SENTENCE_END)
    return [
        chars.alias("q_char_count"),
        t.str.count_matches(r"\S+").cast(pl.Int64).alias("q_word_count"),
        t.str.count_matches(r"(?m)^[^\S\n]*\S").cast(pl.Int64).alias("q_line_count"),
        (
            t.str.count_matches(_SENTENCE_END).cast(pl.Int64)
            + (t.str.contains(r"\S") & ~ends).cast(pl.Int64)
        ).alias("q_sentence_count"),
        (chars - ws).alias("word_chars"),
        ws.alias("ws"),
        (t.str.count_matches("#", literal=True) + t.str.count_matches("...", literal=True))
        .add(t.str.count_matches("…", literal=True))
        .cast(pl.Int64)
        .alias("symbols"),
        t.str.count_matches(r"\p{Nd}").cast(pl.Int64).alias("digits"),
        t.str.count_matches(r"\p{Lu}").cast(pl.Int64).alias("upper"),
        t.str.count_matches(r"\p{L}").cast(pl.Int64).alias("letters"),
        t.str.count_matches(r"\p{P}").cast(pl.Int64).alias("punct"),
        t.str.count_matches(r"[^\x00-\x7F]").cast(pl.Int64).alias("non_ascii"),
        t.str.count_matches(r"[{}]").cast(pl.Int64).alias("curly"),
        # a match is a whole word: it starts at the word's first character and runs to its end
        t.str.count_matches(r"\S*\p{L}\S*").cast(pl.Int64).alias("alpha_words"),
        t.str.count_matches(r"\S*\p{Ll}\S*").cast(pl.Int64).alias("lower_words"),
    ]


def _doc_ratio_exprs() -> list[pl.Expr]:
    chars, words = pl.col("q_char_count"), pl.col("q_word_count")
    return [
        _ratio(pl.col("word_chars"), words).alias("q_mean_word_length"),
        _ratio(pl.col("symbols"), words).alias("q_symbol_word_ratio"),
        _ratio(pl.col("digits"), chars).alias("q_digit_fraction"),
        _ratio(pl.col("upper"), pl.col("letters")).alias("q_uppercase_fraction"),
        _ratio(pl.col("punct"), chars).alias("q_punctuation_fraction"),
        _ratio(pl.col("ws"), chars).alias("q_whitespace_fraction"),
        _ratio(pl.col("non_ascii"), chars).alias("q_non_ascii_fraction"),
        _ratio(pl.col("curly"), chars).alias("q_curly_bracket_fraction"),
        _ratio(pl.col("alpha_words"), words).alias("q_alpha_word_fraction"),
        _ratio(pl.col("alpha_words") - pl.col("lower_words"), words).alias(
            "q_all_caps_word_fraction"
        ),
    ]


# --------------------------------------------------------------------------- word level


def _words_frame(s: pl.Series) -> pl.DataFrame:
    """One row per word: its document (`row`), the word, its length, its normalised form."""
    df = pl.DataFrame({"t": s}).with_row_index("row")
    words = (
        df.select(pl.col("row"), pl.col("t").str.extract_all(r"\S+"))
        .explode("t")
        .filter(pl.col("t").is_not_null())
        .rename({"t": "w"})
    )
    return words.with_columns(
        pl.col("w").str.len_chars().cast(pl.Int64).alias("len"),
        pl.col("w").str.to_lowercase().str.strip_chars(EDGE_PUNCTUATION).alias("norm"),
    )


def _per_row(
    frame: pl.DataFrame, n: int, columns: Mapping[str, pl.DataType | type[pl.DataType]]
) -> pl.DataFrame:
    """Aggregates keyed by `row`, spread back to one row per document (missing → null)."""
    base = pl.DataFrame({"row": pl.arange(0, n, eager=True).cast(frame["row"].dtype)})
    joined = base.join(frame, on="row", how="left")
    return joined.select([pl.col(c).cast(t) for c, t in columns.items()])


def _word_signals(words: pl.DataFrame, n: int) -> pl.DataFrame:
    norm = pl.col("norm")
    per = (
        words.lazy()
        .group_by("row")
        .agg(
            pl.len().alias("words"),
            norm.is_in(list(STOP_WORDS)).sum().alias("stop"),
        )
        .with_columns((pl.col("stop") / pl.col("words")).alias("q_stop_word_fraction"))
        .collect()
    )
    entropy = (
        words.lazy()
        .filter(norm != "")
        .group_by("row", "norm")
        .agg(pl.len().alias("c"))
        .with_columns((pl.col("c") / pl.col("c").sum().over("row")).alias("p"))
        .sort("row", "c")  # a fixed summation order: the same bits with any thread count
        .group_by("row", maintain_order=True)
        .agg(
            (pl.col("p") * pl.col("p").log()).sum().abs().alias("q_unigram_entropy"),
            pl.len().alias("unique"),
        )
        .collect()
    )
    per = (
        per.join(entropy, on="row", how="left")
        .with_columns(pl.col("q_unigram_entropy").fill_null(0.0), pl.col("unique").fill_null(0))
        .with_columns((pl.col("unique") / pl.col("words")).alias("q_unique_word_fraction"))
    )
    cols = {
        "q_stop_word_fraction": pl.Float64,
        "q_unique_word_fraction": pl.Float64,
        "q_unigram_entropy": pl.Float64,
    }
    return _per_row(per, n, cols)


# --------------------------------------------------------------------------- line level


def _line_signals(s: pl.Series, n: int) -> pl.DataFrame:
    lines = (
        pl.DataFrame({"t": s})
        .with_row_index("row")
        .select(pl.col("row"), pl.col("t").str.split("\n"))
        .explode("t")
        .select(pl.col("row"), pl.col("t").str.strip_chars().alias("line"))
        .filter(pl.col("line").is_not_null() & (pl.col("line") != ""))
    )
    line = pl.col("line")
    length = line.str.len_chars()
    dup = ~line.is_first_distinct()
    bullet = "^[" + _escape_class(BULLETS) + "]"
    terminal = "[" + _escape_class(TERMINAL_PUNCT) + "]$"
    per = (
        lines.lazy()
        .with_columns(length.alias("len"), dup.over("row").alias("dup"))
        .group_by("row")
        .agg(
            pl.len().alias("lines"),
            pl.col("len").sum().alias("chars"),
            (pl.col("len") <= SHORT_LINE_CHARS).sum().alias("short"),
            line.str.contains(bullet).sum().alias("bullet"),
            (line.str.ends_with("...") | line.str.ends_with("…")).sum().alias("ellipsis"),
            line.str.contains(terminal).sum().alias("terminal"),
            pl.col("dup").sum().alias("dup_lines"),
            pl.col("len").filter(pl.col("dup")).sum().alias("dup_chars"),
        )
        .with_columns(
            (pl.col("chars") / pl.col("lines")).alias("q_mean_line_length"),
            (pl.col("short") / pl.col("lines")).alias("q_short_line_fraction"),
            (pl.col("bullet") / pl.col("lines")).alias("q_bullet_line_fraction"),
            (pl.col("ellipsis") / pl.col("lines")).alias("q_ellipsis_line_fraction"),
            (pl.col("terminal") / pl.col("lines")).alias("q_terminal_punct_line_fraction"),
            (pl.col("dup_lines") / pl.col("lines")).alias("q_duplicate_line_fraction"),
            _ratio(pl.col("dup_chars"), pl.col("chars")).alias("q_duplicate_line_char_fraction"),
        )
        .collect()
    )
    cols = {
        "q_mean_line_length": pl.Float64,
        "q_short_line_fraction": pl.Float64,
        "q_bullet_line_fraction": pl.Float64,
        "q_ellipsis_line_fraction": pl.Float64,
        "q_terminal_punct_line_fraction": pl.Float64,
        "q_duplicate_line_fraction": pl.Float64,
        "q_duplicate_line_char_fraction": pl.Float64,
    }
    return _per_row(per, n, cols)


def _escape_class(chars: str) -> str:
    return "".join("\\" + c if c in r"\^-[]" else c for c in chars)


# --------------------------------------------------------------------------- repetition

_MIX = np.uint64(0x9E3779B97F4A7C15)
_LOW40 = np.uint64((1 << 40) - 1)


def _repetition_signals(words: pl.DataFrame, n: int, word_chars: np.ndarray) -> pl.DataFrame:
    """Gopher-style repetition: top n-gram and duplicated n-gram character fractions.

    N-grams are hashed from 64-bit word hashes with NumPy's wrapping arithmetic and
    counted per document by sorting `(row << 40) | hash` keys (40 bits of n-gram hash
    per document: a false repeat needs two distinct n-grams of one document to collide).
    Sizes are done in increasing order, and an (n+1)-gram can only repeat where the
    n-grams at i and i+1 both repeat, so each size only sorts the candidates the
    previous size left: the full sort is paid once, for bigrams.
    """
    row = words["row"].to_numpy().astype(np.int64)
    wlen = words["len"].to_numpy().astype(np.int64)
    h = words["w"].hash(seed=0).to_numpy()
    total = np.nan_to_num(word_chars.astype(np.float64), nan=0.0)
    cum = np.concatenate([[0], np.cumsum(wlen)])
    nw = len(h)
    out: dict[str, np.ndarray] = {}
    dup_prev = np.zeros(nw + 1, dtype=bool)
    for size in range(2, max(DUP_NGRAMS) + 1):
        m = nw - size + 1
        if m <= 0:
            cand = np.zeros(0, dtype=np.int64)
        elif size == 2:
            cand = np.flatnonzero(row[1:] == row[:-1])
        else:
            cand = np.flatnonzero(dup_prev[:m] & dup_prev[1 : m + 1])
        ng = h[cand]
        with np.errstate(over="ignore"):
            for k in range(1, size):
                ng = (ng * _MIX) ^ h[cand + k]
        key = (row[cand].astype(np.uint64) << np.uint64(40)) | (ng & _LOW40)
        counts = _occurrences(key)
        dup = np.zeros(nw + 1, dtype=bool)
        dup[cand[counts >= 2]] = True
        if size in TOP_NGRAMS:
            mass = np.where(counts >= 2, counts * (cum[cand + size] - cum[cand]), 0)
            best = _max_per_row(row[cand], mass.astype(np.float64), n)
            out[f"q_top_{size}gram_char_fraction"] = np.minimum(_safe_div(best, total), 1.0)
        if size in DUP_NGRAMS:
            # word j is covered when an n-gram starting in [j-size+1, j] repeats
            c = np.cumsum(dup[:nw].astype(np.int64))
            lagged = np.concatenate([np.zeros(size, dtype=np.int64), c[:-size]])[:nw]
            covered = (c - lagged) > 0
            cov_chars = np.bincount(row, weights=wlen * covered, minlength=n)[:n]
            out[f"q_dup_{size}gram_char_fraction"] = _safe_div(cov_chars, total)
        dup_prev = dup
    return pl.DataFrame({k: pl.Series(k, out[k]).fill_nan(None) for k in _REPETITION_NAMES})


_REPETITION_NAMES = (
    *(f"q_top_{n}gram_char_fraction" for n in TOP_NGRAMS),
    *(f"q_dup_{n}gram_char_fraction" for n in DUP_NGRAMS),
)


def _max_per_row(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Largest value per row (0 for rows without values); `rows` is non-decreasing."""
    best = np.zeros(n, dtype=np.float64)
    if len(rows):
        starts = np.flatnonzero(np.concatenate([[True], rows[1:] != rows[:-1]]))
        best[rows[starts]] = np.maximum.reduceat(values, starts)
    return best


def _occurrences(key: np.ndarray) -> np.ndarray:
    """For each key, how many times it occurs in `key` (sort-based, no Python loop)."""
    if len(key) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.sort(key)
    starts = np.flatnonzero(np.concatenate([[True], order[1:] != order[:-1]]))
    uniq = order[starts]
    runs = np.diff(np.concatenate([starts, [len(order)]]))
    return runs[np.searchsorted(uniq, key)]


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(len(den), np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out
