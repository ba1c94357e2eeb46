"""Word n-grams of normalised text, as 64-bit hashes, for a whole batch of documents at once.

The words are those datatrove's `NGramsDecontFilter` sees by default: its
`simplify_text` (lower case, every number to `0`, its punctuation to spaces, whitespace
collapsed, accents dropped) and then spaCy's English tokenizer (`curate.filters.tokenizer`
re-implements it). Both act on each whitespace-separated run of the text on its own, so
the words of a document are the words of its runs, in order: a run is normalised and
tokenized once and cached (`Words`), and a document costs one `str.split`, dict lookups
and a flatten, all in C.

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
from curate.filters.tokenizer import english

_LOWER_NUMBERS = re.compile(r"\d+([.,،٫⎖⎗⎘]\d+)?")  # `\d` is Unicode's Nd, as datatrove's \p{Nd}
_PUNCT = str.maketrans(PUNCTUATION, " " * len(PUNCTUATION))
_WHITESPACE = re.compile(r"\s+")
_P = np.uint64(0x100000001B3)  # odd, so each position's multiplier is invertible
_CACHE_MAX = 500_000  # distinct runs kept per process


def simplify(text: str) -> str:
    """datatrove's `simplify_text` with its default `TextNormConfig`."""
    text = _LOWER_NUMBERS.sub("0", text.lower())
    text = _WHITESPACE.sub(" ", text.translate(_PUNCT).strip())
    if not text.isascii():  # NFD of ASCII is itself, and it has no combining marks
        text = "".join(
            c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
        )
    return text.strip()


def word_hash(word: str) -> int:
    """A stable 64-bit hash of a word (the same in every process and every run)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


class Words:
    """The word hashes of texts, through a cache of whitespace runs (per process)."""

    def __init__(self) -> None:
        self._runs: dict[str, tuple[int, ...]] = {}
        self._words: dict[str, int] = {}

    def _add(self, runs: list[str]) -> None:
        if len(self._runs) > _CACHE_MAX:
            self._runs.clear()
            self._words.clear()
        tok = english()
        words = self._words
        for run in set(runs).difference(self._runs):
            toks = tok.words(simplify(run)) if run else []
            hashes = []
            for w in toks:
                h = words.get(w)
                if h is None:
                    h = words[w] = word_hash(w)
                hashes.append(h)
            self._runs[run] = tuple(hashes)

    def run_words(self, runs: list[str]) -> list[tuple[int, ...]]:
        """Each run's word hashes."""
        got = list(map(self._runs.get, runs))
        if None in got:
            self._add(runs)
            got = list(map(self._runs.__getitem__, runs))
        return got  # type: ignore[return-value]

    def hashes(self, text: str) -> np.ndarray:
        """The word hashes of one text (uint64)."""
        per_run = self.run_words(text.split())
        return np.fromiter(chain.from_iterable(per_run), np.uint64)

    def words(self, text: str) -> list[str]:
        """The words themselves (for tests and messages; not on the hot path)."""
        tok = english()
        return [w for run in text.split() for w in tok.words(simplify(run))]


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


def batch_ngrams(texts: list[str | None], n: int) -> BatchNgrams:
    """The n-gram hashes of every document of `texts` (None counts as no words)."""
    words = words_cache()
    arrays = [words.hashes(t) if t else np.empty(0, np.uint64) for t in texts]
    lengths = np.fromiter(map(len, arrays), np.int64, len(arrays))
    flat = np.concatenate(arrays) if arrays else np.empty(0, np.uint64)
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
    doc_of = np.repeat(np.arange(len(arrays), dtype=np.int64), lengths)[:m]
    start = np.arange(m, dtype=np.int64) - doc_start[doc_of]
    ok = start + n <= lengths[doc_of]
    return BatchNgrams(h[ok], doc_of[ok], start[ok])


def text_ngrams(text: str, n: int) -> np.ndarray:
    """The distinct n-gram hashes of one text (sorted uint64)."""
    return np.unique(batch_ngrams([text], n).hashes)
