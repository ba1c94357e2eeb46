"""Shingles of a batch of documents, as 64-bit hashes, without a loop per document.

Word shingles are n-grams of `\\w+` tokens of the normalised text; character
shingles are n-grams of code points of the normalised text with whitespace
collapsed (the definitions of the Debian near-duplicate ground truth). A document
with fewer tokens than n has one shingle, all its tokens; a document with none has
no shingles and is never a near duplicate (exact dedup still sees it).

Token bytes are hashed by Polars (xxh3 in Rust, two seeds folded into one 64-bit
value), and n-grams are combined with NumPy: a multiply-add of the n token hashes
by fixed odd constants, then a splitmix64 finalizer. Polars only promises stable
hashes within one version, so its version is part of the signature cache's key.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from curate.dedup.text import CodePoints, decode, normalize, normalize_texts, slices_as_binary
from curate.dedup.text import word_spans as _word_spans

HASH_SCHEME = f"oph1/polars-{pl.__version__}"
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_SEEDS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)


@dataclass(frozen=True)
class ShingleConfig:
    """Everything that decides a document's shingle set (and so its signature)."""

    shingle: str = "word"  # word | char
    ngram: int = 5
    normalize: tuple[str, ...] = ("lower", "whitespace")

    def to_json(self) -> dict[str, object]:
        return {"shingle": self.shingle, "ngram": self.ngram, "normalize": list(self.normalize)}


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads every input bit over the whole word."""
    x = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= _M1
        x ^= x >> np.uint64(27)
        x *= _M2
        x ^= x >> np.uint64(31)
    return x


def _consts(n: int) -> np.ndarray:
    rng = np.random.default_rng(0x5EED)
    return rng.integers(1, 2**63, size=n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def hash_binary(values: pa.Array) -> np.ndarray:
    """A 64-bit hash of every binary value (stable within one Polars version)."""
    s = pl.Series(values)
    a = s.hash(seed=_SEEDS[0]).to_numpy()
    return a


def prepare(texts: pa.Array, cfg_normalize: tuple[str, ...]) -> tuple[CodePoints, np.ndarray]:
    """Decode and normalise a batch; also the mask of null texts."""
    cps, nulls = decode(normalize_texts(texts, cfg_normalize))
    return normalize(cps, cfg_normalize), nulls


def _ngrams(units: np.ndarray, counts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n-gram hashes of per-document unit hashes; returns (hashes, shingles per doc)."""
    ndocs = len(counts)
    total = len(units)
    offsets = np.zeros(ndocs + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    c = _consts(n)
    per_doc = np.where(counts >= n, counts - n + 1, np.minimum(counts, 1)).astype(np.int64)
    out_off = np.zeros(ndocs + 1, dtype=np.int64)
    np.cumsum(per_doc, out=out_off[1:])
    out = np.empty(int(out_off[-1]), dtype=np.uint64)
    if total == 0:
        return out, per_doc
    with np.errstate(over="ignore"):
        m = max(total - n + 1, 0)
        if m:
            acc = np.zeros(m, dtype=np.uint64)
            for k in range(n):
                acc += units[k : k + m] * c[k]
            # keep the windows that lie inside one document, at their place in it
            doc_of = np.repeat(np.arange(ndocs), counts)[:m]
            local = np.arange(m, dtype=np.int64) - offsets[doc_of]
            inside = local <= counts[doc_of] - n
            out[out_off[doc_of[inside]] + local[inside]] = acc[inside]
        short = np.flatnonzero((counts > 0) & (counts < n))
        if len(short):
            sacc = np.zeros(len(short), dtype=np.uint64)
            starts = offsets[short]
            for k in range(n - 1):
                has = counts[short] > k
                sacc[has] += units[starts[has] + k] * c[k]
            out[out_off[short]] = sacc
    return mix64(out), per_doc


def shingle_hashes(cps: CodePoints, cfg: ShingleConfig) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, offsets): the shingle hashes of every document, in document order."""
    if cfg.shingle == "word":
        starts, ends, doc = _word_spans(cps)
        if len(starts):
            units = hash_binary(slices_as_binary(cps.cp, starts, ends))[1::2]
        else:
            units = np.zeros(0, np.uint64)
        counts = np.bincount(doc, minlength=cps.docs).astype(np.int64)
    else:
        counts = cps.lengths().astype(np.int64)
        with np.errstate(over="ignore"):
            units = mix64(cps.cp.astype(np.uint64) + np.uint64(0x100000))
    hashes, per_doc = _ngrams(units, counts, cfg.ngram)
    offsets = np.zeros(len(per_doc) + 1, dtype=np.int64)
    np.cumsum(per_doc, out=offsets[1:])
    return hashes, offsets


def shingle_sets(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique shingle hashes per document (the sets Jaccard is computed on)."""
    ndocs = len(offsets) - 1
    doc = np.repeat(np.arange(ndocs, dtype=np.int64), np.diff(offsets))
    order = np.lexsort((hashes, doc))
    h, d = hashes[order], doc[order]
    keep = np.ones(len(h), dtype=bool)
    keep[1:] = (h[1:] != h[:-1]) | (d[1:] != d[:-1])
    h, d = h[keep], d[keep]
    new_off = np.zeros(ndocs + 1, dtype=np.int64)
    np.cumsum(np.bincount(d, minlength=ndocs), out=new_off[1:])
    return h, new_off


def exact_hashes(cps: CodePoints) -> tuple[np.ndarray, np.ndarray]:
    """Two 64-bit hashes (128 bits) of every document's normalised text."""
    starts, ends = cps.offsets[:-1], cps.offsets[1:]
    values = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(),
        cps.docs,
        [None, pa.py_buffer(cps.offsets * 4), pa.py_buffer(cps.cp.view(np.uint8))],
    )
    s = pl.Series(values)
    _ = starts, ends
    return s.hash(seed=_SEEDS[0]).to_numpy(), s.hash(seed=_SEEDS[1]).to_numpy()
