"""`gopher_repetition`: duplicated paragraphs, lines and n-grams (Gopher Table A1).

FILTERS.md §2, datatrove 0.10.1's definitions: denominators are the whole original
text (spaces and newlines included), the duplicate n-gram score is a greedy walk over
concatenated token keys. The paper's intent differs in detail (RedPajama implements it
differently again); agreement with datatrove is what we promise.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from curate.filters.base import Family
from curate.filters.text import Doc, ensure_token_ids
from curate.filters.tokenizer import english, token_hashes

_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")


def duplicates(parts: list[str]) -> tuple[int, int]:
    """(repeated elements, their summed length): every occurrence after the first."""
    seen: set[str] = set()
    n = chars = 0
    for p in parts:
        if p in seen:
            n += 1
            chars += len(p)
        else:
            seen.add(p)
    return n, chars


def top_ngram_chars(tokens: list[str], n: int) -> int:
    """len(most frequent n-gram joined by spaces) x its count; ties → first seen.

    Counting tuples is the same as counting the space-joined strings because tokens
    never contain whitespace; Counter keeps first-seen order on ties, like datatrove.
    """
    grams = Counter(zip(*(tokens[i:] for i in range(n)), strict=False))
    if not grams:
        return 0
    gram, count = grams.most_common(1)[0]
    return (sum(map(len, gram)) + n - 1) * count


class NgramIndex:
    """One document's tokens, prepared once for all the n-gram rules (n = 2 … 10).

    Built from per-token arrays (`from_doc`: the tokenizer's `TokenTable`, no Python
    per token). Top n-grams: tokens get dense ids and each n-gram one int64 (exact
    while vocabulary**n fits, else a 64-bit mix), counted with one sort. Duplicate
    n-grams: the key (tokens concatenated without separator) is the 64-bit polynomial
    hash of that substring (`tokenizer.token_hashes`), from prefix sums over token
    hashes; equal keys have equal hashes, and a false match needs a 64-bit collision.
    Only positions whose hash repeats reach the Python walk.
    """

    def __init__(
        self,
        ids: np.ndarray,
        lens: np.ndarray,
        hashes: np.ndarray,
        pows: np.ndarray,
        invs: np.ndarray,
    ) -> None:
        self.n = len(ids)
        uniq, dense = np.unique(ids, return_inverse=True)
        self.ids = dense.astype(np.int64)
        self.vocab_size = max(len(uniq), 1)
        self.lens = lens
        self.offs = np.concatenate(([0], np.cumsum(lens)))
        self._parts = (hashes, pows, invs)
        self._hash: np.ndarray | None = None

    @classmethod
    def from_doc(cls, doc: Doc) -> NgramIndex:
        ids = doc.token_ids
        t = english().table
        th, tpow, tinv = t.hashes()
        return cls(ids, t.length[ids], th[ids], tpow[ids], tinv[ids])

    @classmethod
    def from_tokens(cls, tokens: list[str]) -> NgramIndex:
        """From a list of strings (tests, and callers without the tokenizer's table)."""
        vocab = {t: i for i, t in enumerate(dict.fromkeys(tokens))}
        ids = np.fromiter(map(vocab.__getitem__, tokens), np.int64, len(tokens))
        lens = np.fromiter(map(len, tokens), np.int64, len(tokens))
        th, tpow, tinv = token_hashes(tokens) if tokens else (np.zeros(0, np.uint64),) * 3
        return cls(ids, lens, th, tpow, tinv)

    def top_chars(self, n: int) -> int:
        """`top_ngram_chars` computed on ids."""
        m = self.n - n + 1
        if m <= 0:
            return 0
        ids = self.ids
        if self.vocab_size**n < 2**62:
            key = ids[:m].copy()
            for k in range(1, n):
                key = key * self.vocab_size + ids[k : k + m]
        else:
            with np.errstate(over="ignore"):
                key = ids[:m].astype(np.uint64)
                for k in range(1, n):
                    key = key * np.uint64(0x9E3779B97F4A7C15) + ids[k : k + m].astype(np.uint64)
        # Sort once (stable: within a run of equal keys the first position comes
        # first) instead of `np.unique`, whose per-call overhead showed in profiles.
        order = np.argsort(key, kind="stable")
        sk = key[order]
        starts = np.flatnonzero(np.concatenate(([True], sk[1:] != sk[:-1])))
        counts = np.diff(np.append(starts, m))
        best = counts.max()
        start = int(order[starts[counts == best]].min())  # ties: the n-gram seen first
        chars = int(self.offs[start + n] - self.offs[start]) + n - 1
        return chars * int(best)

    def _prefix(self) -> np.ndarray:
        """Prefix hashes at token boundaries, and P**-offset there (for keys)."""
        if self._hash is None:
            th, tpow, tinv = self._parts
            with np.errstate(over="ignore"):
                pw = np.empty(self.n + 1, np.uint64)  # P ** (chars before token i)
                pw[0] = 1
                np.cumprod(tpow, out=pw[1:])
                inv = np.empty(self.n + 1, np.uint64)
                inv[0] = 1
                np.cumprod(tinv, out=inv[1:])
                h = np.zeros(self.n + 1, np.uint64)
                np.cumsum(th * pw[:-1], out=h[1:])
            self._hash = h
            self._inv = inv
        return self._hash

    def duplicate_chars(self, n: int) -> int:
        """`duplicate_ngram_chars` with hashed keys; the walk visits repeated keys only."""
        m = self.n - n + 1
        if m <= 0:
            return 0
        h = self._prefix()
        a = self.offs[:m]
        b = self.offs[n : n + m]
        with np.errstate(over="ignore"):
            key = (h[n : n + m] - h[:m]) * self._inv[:m]
            key = key ^ (((b - a).astype(np.uint64)) * np.uint64(0xC2B2AE3D27D4EB4F))
        order = np.argsort(key)
        sk = key[order]
        same = sk[1:] == sk[:-1]
        if not same.any():
            return 0
        repeats = np.zeros(m, dtype=bool)  # positions whose key occurs more than once
        repeats[order[1:][same]] = True
        repeats[order[:-1][same]] = True
        positions = np.flatnonzero(repeats).tolist()
        keys = key.tolist()
        lengths = (b - a).tolist()
        seen: set[int] = set()
        repeated = 0
        nxt = 0
        for p in positions:
            if p < nxt:
                continue
            k = keys[p]
            if k in seen:
                repeated += lengths[p]
                nxt = p + n
            else:
                seen.add(k)
        return repeated


def duplicate_ngram_chars(tokens: list[str], n: int) -> int:
    """Greedy walk: a key seen before adds its length and jumps n tokens ahead.

    The reference definition (FILTERS.md §2), kept for tests; `NgramIndex` is the fast
    path. Keys are tokens concatenated *without* separator (so `ab`+`c` equals `a`+`bc`).
    """
    seen: set[str] = set()
    repeated = 0
    i = 0
    while i <= len(tokens) - n:
        key = "".join(tokens[i : i + n])
        if key in seen:
            repeated += len(key)
            i += n
        else:
            seen.add(key)
            i += 1
    return repeated


@dataclass(frozen=True)
class GopherRepetition(Family):
    """Repetition rules in datatrove's order: paragraphs, lines, top 2-4-grams,
    duplicated 5-10-grams (a falsy threshold turns its rule off)."""

    name: ClassVar[str] = "gopher_repetition"
    reasons: ClassVar[tuple[str, ...]] = (
        "empty",
        "dup_para_frac",
        "dup_para_char_frac",
        "dup_line_frac",
        "dup_line_char_frac",
        "top_2_gram",
        "top_3_gram",
        "top_4_gram",
        *(f"duplicated_{n}_n_grams" for n in range(5, 11)),
    )
    datatrove_reasons: ClassVar[dict[str, str]] = {r: r for r in reasons}

    dup_para_frac: float | None = 0.3
    dup_para_char_frac: float | None = 0.2
    dup_line_frac: float | None = 0.3
    dup_line_char_frac: float | None = 0.2
    top_n_grams: tuple[tuple[int, float], ...] = ((2, 0.2), (3, 0.18), (4, 0.16))
    dup_n_grams: tuple[tuple[int, float], ...] = (
        (5, 0.15),
        (6, 0.14),
        (7, 0.13),
        (8, 0.12),
        (9, 0.11),
        (10, 0.10),
    )

    def check_batch(self, docs: list[Doc], stats: Counter[str]) -> list[str | None]:
        """Line rules per document, then the n-gram rules for the survivors, whose new
        runs are tokenized together (`ensure_token_ids`)."""
        out = [self._line_rules(d) for d in docs]
        todo = [d for d, r in zip(docs, out, strict=True) if r is _NGRAMS]
        ensure_token_ids(todo)
        verdicts = iter([self._ngram_rules(d) for d in todo])
        return [next(verdicts) if r is _NGRAMS else r for r in out]

    def check(self, doc: Doc, stats: Counter[str]) -> str | None:
        r = self._line_rules(doc)
        return self._ngram_rules(doc) if r is _NGRAMS else r

    def _line_rules(self, doc: Doc) -> str | None:
        text = doc.text
        if not text:
            return "empty"
        size = len(text)
        paragraphs = _PARAGRAPHS.split(text.strip())
        n_dup, chars = duplicates(paragraphs)
        if self.dup_para_frac and n_dup / len(paragraphs) > self.dup_para_frac:
            return "dup_para_frac"
        if self.dup_para_char_frac and chars / size > self.dup_para_char_frac:
            return "dup_para_char_frac"
        lines = _LINES.split(text)
        n_dup, chars = duplicates(lines)
        if self.dup_line_frac and n_dup / len(lines) > self.dup_line_frac:
            return "dup_line_frac"
        if self.dup_line_char_frac and chars / size > self.dup_line_char_frac:
            return "dup_line_char_frac"
        return _NGRAMS

    def _ngram_rules(self, doc: Doc) -> str | None:
        size = len(doc.text)
        index = NgramIndex.from_doc(doc)
        if not index.n:
            return None
        for n, frac in self.top_n_grams:
            if index.top_chars(n) / size > frac:
                return f"top_{n}_gram"
        for n, frac in self.dup_n_grams:
            if index.duplicate_chars(n) / size > frac:
                return f"duplicated_{n}_n_grams"
        return None


_NGRAMS = "(n-gram rules next)"  # sentinel: the line rules passed
