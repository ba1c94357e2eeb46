"""Word n-grams of normalised text, as 64-bit hashes, for a whole batch of documents at once.

The words are those datatrove's `NGramsDecontFilter` sees by default: its
`simplify_text` (lower case, every number to `0`, its punctuation to spaces, whitespace
collapsed, accents dropped) and then spaCy's English tokenizer (`curate.filters.tokenizer`
re-implements it). Both act on each whitespace-separated run of the text on its own, so
a run is normalised, tokenized and hashed once and cached (`Words`; the runs not seen
before are normalised together, in one pass of C-speed regexes), and a document costs
one `str.split`, dict lookups and a flatten, all in C.

An n-gram's hash is a polynomial of its words' 64-bit hashes modulo 2**64, computed for
every position of every document of a batch with n NumPy multiply-adds; n-grams that
would cross from one document into the next are masked out.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from itertools import chain

import numpy as np

from curate.decont.punctuation import PUNCTUATION
from curate.filters.tokenizer import EnglishTokenizer, english

_LOWER_NUMBERS = re.compile(r"\d+([.,،٫⎖⎗⎘]\d+)?")  # `\d` is Unicode's Nd, as datatrove's \p{Nd}
_PUNCT = str.maketrans(PUNCTUATION, " " * len(PUNCTUATION))
_WHITESPACE = re.compile(r"\s+")
_P = np.uint64(0x100000001B3)  # odd, so each position's multiplier is invertible
_CACHE_MAX = 500_000  # distinct runs kept per process


# Unicode's nonspacing marks (category Mn) lie in these blocks of planes 0, 1 and 14
_MARK_PLANES = ((0, 0x20000), (0xE0000, 0xE1000))


def _nonspacing_marks() -> re.Pattern[str]:
    """Every character of category Mn as one character class, so removing them runs in C."""
    ranges: list[tuple[int, int]] = []
    for lo, hi in _MARK_PLANES:
        for cp in range(lo, hi):
            if unicodedata.category(chr(cp)) == "Mn":
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1] = (ranges[-1][0], cp)
                else:
                    ranges.append((cp, cp))
    body = "".join(
        re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges
    )
    return re.compile(f"[{body}]+")


_MARKS: re.Pattern[str] | None = None


def _drop_marks(text: str) -> str:
    global _MARKS
    if text.isascii():  # NFD of ASCII is itself, and it has no combining marks
        return text
    if _MARKS is None:
        _MARKS = _nonspacing_marks()
    return _MARKS.sub("", unicodedata.normalize("NFD", text))


def simplify(text: str) -> str:
    """datatrove's `simplify_text` with its default `TextNormConfig`."""
    text = _LOWER_NUMBERS.sub("0", text.lower())
    text = _WHITESPACE.sub(" ", text.translate(_PUNCT).strip())
    return _drop_marks(text).strip()


def simplify_runs(runs: list[str]) -> list[str]:
    """`simplify` of each whitespace-free run, in one pass over them all (runs never hold
    a newline, and no step of the normalisation crosses one, so they are joined by it)."""
    text = _LOWER_NUMBERS.sub("0", "\n".join(runs).lower()).translate(_PUNCT)
    return _drop_marks(text).split("\n")


def word_hash(word: str) -> int:
    """A stable 64-bit hash of a word (the same in every process and every run)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


class Words:
    """The word hashes of texts, through a cache of whitespace runs (per process).

    Every step of the normalisation, and the tokenizer, act on each whitespace-separated
    run of a text on its own, so the words of a text are the words of its runs, in order.
    """

    def __init__(self) -> None:
        self._runs: dict[str, tuple[int, ...]] = {}
        self._token_hash = np.empty(0, np.uint64)  # word hash per id of the tokenizer's table
        self._generation = -1

    def _add(self, runs: list[str]) -> None:
        """Normalise, tokenize and hash the runs not seen yet, all in one go."""
        if len(self._runs) > _CACHE_MAX:
            self._runs.clear()
        tok = english()
        new = list(set(runs).difference(self._runs))
        ids = tok.batch_token_ids(simplify_runs(new))
        hashes = self._token_hashes(tok)
        self._runs.update(zip(new, (tuple(hashes[i].tolist()) for i in ids), strict=True))

    def _token_hashes(self, tok: EnglishTokenizer) -> np.ndarray:
        """`word_hash` of every token in the tokenizer's table, by token id."""
        if self._generation != tok.generation:  # its caches were cleared: ids renumbered
            self._token_hash = np.empty(0, np.uint64)
            self._generation = tok.generation
        tokens = tok.table.tokens
        done = len(self._token_hash)
        if done < len(tokens):
            more = np.fromiter(map(word_hash, tokens[done:]), np.uint64, len(tokens) - done)
            self._token_hash = np.concatenate([self._token_hash, more])
        return self._token_hash

    def run_words(self, runs: list[str]) -> list[tuple[int, ...]]:
        """Each run's word hashes."""
        got = list(map(self._runs.get, runs))
        if None in got:
            self._add(runs)
            got = list(map(self._runs.__getitem__, runs))
        return got  # type: ignore[return-value]

    def hashes(self, text: str) -> np.ndarray:
        """The word hashes of one text (uint64)."""
        return np.fromiter(chain.from_iterable(self.run_words(text.split())), np.uint64)

    def run_word_counts(self, runs: list[str]) -> list[int]:
        """The number of words of each run."""
        return list(map(len, self.run_words(runs)))

    def words(self, text: str) -> list[str]:
        """The words themselves (for tests and messages; not on the hot path)."""
        return english().words(simplify(text))


_WORDS: Words | None = None


def words_cache() -> Words:
    """The process-wide cache (built on first use)."""
    global _WORDS
    if _WORDS is None:
        _WORDS = Words()
    return _WORDS


@dataclass
class BatchNgrams:
    """Every n-gram of a batch: `hashes[k]` starts at word `start[k]` of document `doc[k]`."""

    hashes: np.ndarray  # uint64
    doc: np.ndarray  # int64, index of the document in the batch
    start: np.ndarray  # int64, word position inside that document


def batch_words(texts: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(word hashes of all texts end to end, words per text), for a whole batch at once.

    Arrow splits every text at whitespace (exactly `str.isspace`) and dictionary-encodes
    the runs, so Python looks up each distinct run of the batch once; the per-run word
    hashes are then spread to every occurrence with NumPy.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not texts:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    pieces = pc.utf8_split_whitespace(pa.array(texts, pa.large_string()))
    bounds = np.asarray(pieces.offsets)
    flat = pieces.flatten()
    if len(flat) == 0:
        return np.empty(0, np.uint64), np.zeros(len(texts), np.int64)
    enc = pc.dictionary_encode(flat)
    per_run = words_cache().run_words(enc.dictionary.to_pylist())
    run_count = np.fromiter(map(len, per_run), np.int64, len(per_run))
    run_start = np.cumsum(run_count) - run_count
    run_flat = np.fromiter(chain.from_iterable(per_run), np.uint64, int(run_count.sum()))
    rid = np.asarray(enc.indices)
    counts = run_count[rid]
    ends = np.cumsum(counts)
    total = int(ends[-1])
    idx = np.repeat(run_start[rid] - (ends - counts), counts) + np.arange(total)
    cuts = np.concatenate(([0], ends))[bounds]
    return run_flat[idx], np.diff(cuts)


def batch_ngrams(texts: list[str | None], n: int) -> BatchNgrams:
    """The n-gram hashes of every document of `texts` (None counts as no words)."""
    flat, lengths = batch_words(texts)
    m = len(flat) - n + 1
    if m <= 0:
        empty = np.empty(0, np.int64)
        return BatchNgrams(np.empty(0, np.uint64), empty, empty)
    with np.errstate(over="ignore"):
        h = flat[:m].copy()
        for i in range(1, n):
            h *= _P
            h += flat[i : i + m]
    doc_start = np.cumsum(lengths) - lengths
    doc_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)[:m]
    start = np.arange(m, dtype=np.int64) - doc_start[doc_of]
    ok = start + n <= lengths[doc_of]
    return BatchNgrams(h[ok], doc_of[ok], start[ok])


def text_ngrams(text: str, n: int) -> np.ndarray:
    """The distinct n-gram hashes of one text (sorted uint64)."""
    return np.unique(batch_ngrams([text], n).hashes)
