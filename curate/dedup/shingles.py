"""Shingles of a batch of documents, as 64-bit hashes, without a loop per document.

Word shingles are n-grams of `\\w+` tokens of the normalised text; character
shingles are n-grams of code points of the normalised text (the definitions of the
Debian near-duplicate ground truth). A document with fewer tokens than n has one
shingle, all its tokens; a document with none has no shingles and is never a near
duplicate (exact dedup still sees it).

Token bytes are hashed by Polars (xxh3, in Rust) straight off the code-point buffer;
n-grams are combined with NumPy, a multiply-add of the n token hashes by fixed odd
constants and a splitmix64 finalizer. Polars promises stable hashes only within one
version, so its version is part of `HASH_SCHEME`, which the signature cache checks:
after a Polars upgrade signatures are recomputed, never compared across versions.
`SliceHasher` (a polynomial prefix hash, O(1) per slice) is kept for callers that
need a hash independent of any library.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl
import pyarrow as pa

from curate import defaults as D
from curate.dedup.text import CodePoints, decode, normalize, word_spans

HASH_SCHEME = f"oph2/polars-{pl.__version__}"  # oph2: SHA-256 exact hash
_SEED = 0x9E3779B97F4A7C15
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_BASES = (0x100000001B3 * 2 + 1, 0x9E3779B97F4A7C15)  # odd, so invertible mod 2^64
_POW: dict[int, tuple[np.ndarray, np.ndarray]] = {}


@dataclass(frozen=True)
class ShingleConfig:
    """Everything that decides a document's shingle set (and so its signature)."""

    shingle: str = D.DEDUP_SHINGLE  # word | char
    ngram: int = D.DEDUP_NGRAM
    normalize: tuple[str, ...] = D.DEDUP_NORMALIZE

    def to_json(self) -> dict[str, object]:
        return {"shingle": self.shingle, "ngram": self.ngram, "normalize": list(self.normalize)}


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads every input bit over the whole word."""
    return _mix64_inplace(x.astype(np.uint64, copy=True))


def _mix64_inplace(x: np.ndarray) -> np.ndarray:
    """`mix64` overwriting a uint64 array the caller owns (one temporary, no copy)."""
    t = np.empty_like(x)
    with np.errstate(over="ignore"):
        for shift, mult in ((30, _M1), (27, _M2)):
            np.right_shift(x, np.uint64(shift), out=t)
            x ^= t
            x *= mult
        np.right_shift(x, np.uint64(31), out=t)
        x ^= t
    return x


@lru_cache(maxsize=8)
def _consts(n: int) -> np.ndarray:
    """n fixed odd multipliers (kept: a generator per batch cost 0.5% of the pass)."""
    rng = np.random.default_rng(0x5EED)
    c = rng.integers(1, 2**62, size=n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    c.flags.writeable = False
    return c


def _powers(base: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(base^j, base^-j) mod 2^64 for j < n, grown and kept per process."""
    have = _POW.get(base)
    if have is None or len(have[0]) < n:
        size = max(n, 1 << 20, 2 * len(have[0]) if have else 0)
        inv = pow(base, -1, 1 << 64)
        with np.errstate(over="ignore"):
            p = np.full(size, base, dtype=np.uint64)
            p[0] = 1
            np.multiply.accumulate(p, out=p)
            q = np.full(size, inv, dtype=np.uint64)
            q[0] = 1
            np.multiply.accumulate(q, out=q)
        have = _POW[base] = (p, q)
    return have


class SliceHasher:
    """Hashes of arbitrary [start, end) slices of one code-point array, in O(1) each."""

    def __init__(self, cp: np.ndarray, base: int = _BASES[0]) -> None:
        n = len(cp)
        self.pow, self.inv = _powers(base, n + 1)
        self.prefix = np.zeros(n + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            terms = np.add(cp, 1, dtype=np.uint64)
            np.multiply(terms, self.pow[:n], out=terms)
            np.cumsum(terms, out=self.prefix[1:])

    def __call__(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return (self.prefix[ends] - self.prefix[starts]) * self.inv[starts]


def _token_hashes(cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """64-bit hashes of the [start, end) slices of `cp` (Polars' xxh3 over UTF-32 bytes).

    Measured 4-5x faster than the polynomial prefix sum over every character, which
    costs three 8-byte passes per character; the slices become binary values over the
    code-point buffer itself (the gaps between tokens are values too, at even
    positions), so no byte is copied before Polars reads them.
    """
    if not len(starts):
        return np.zeros(0, np.uint64)
    bounds = np.empty(2 * len(starts) + 2, dtype=np.int64)
    bounds[0] = 0
    bounds[1:-1:2] = starts
    bounds[2:-1:2] = ends
    bounds[-1] = len(cp)
    values = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(),
        len(bounds) - 1,
        [None, pa.py_buffer(bounds * 4), pa.py_buffer(np.ascontiguousarray(cp).view(np.uint8))],
    )
    # Polars holds binary as views: Arrow's own cast to views is faster than the
    # conversion Polars does on import (same values, so the same hashes)
    return pl.Series(values.cast(pa.binary_view())).hash(seed=_SEED).to_numpy()[1::2]


def prepare(texts: pa.Array, cfg_normalize: tuple[str, ...]) -> tuple[CodePoints, np.ndarray]:
    """Decode and normalise a batch; also the mask of null texts."""
    cps, nulls = decode(texts, cfg_normalize)
    return normalize(cps, cfg_normalize), nulls


def _ngrams(
    units: np.ndarray, unit_doc: np.ndarray, counts: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """n-gram hashes of per-document unit hashes: (hashes, document of each hash)."""
    total = len(units)
    c = _consts(n)
    parts, docs = [], []
    with np.errstate(over="ignore"):
        m = total - n + 1
        if m > 0:
            acc = np.multiply(units[:m], c[0])
            tmp = np.empty_like(acc)  # one temporary for the n-1 products
            for k in range(1, n):
                np.multiply(units[k : k + m], c[k], out=tmp)
                acc += tmp
            del tmp
            inside = unit_doc[:m] == unit_doc[n - 1 :]
            parts.append(acc[inside])
            docs.append(unit_doc[:m][inside])
        short = np.flatnonzero((counts > 0) & (counts < n))
        if len(short):
            offsets = np.zeros(len(counts) + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            sacc = np.zeros(len(short), dtype=np.uint64)
            first = offsets[short]
            for k in range(n - 1):
                has = counts[short] > k
                sacc[has] += units[first[has] + k] * c[k]
            parts.append(sacc)
            docs.append(short)
    if not parts:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    hashes = parts[0] if len(parts) == 1 else np.concatenate(parts)  # ours either way
    doc = docs[0] if len(docs) == 1 else np.concatenate(docs)
    return _mix64_inplace(hashes), doc.astype(np.int64, copy=False)


def shingle_hashes(cps: CodePoints, cfg: ShingleConfig) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, doc): every shingle hash of the batch and the document it belongs to.

    Hashes are grouped by nothing in particular; a document's shingle count is
    `shingle_counts`.
    """
    if cfg.shingle == "word":
        starts, ends, doc = word_spans(cps)
        units = _token_hashes(cps.cp, starts, ends)
        counts = np.bincount(doc, minlength=cps.docs).astype(np.int64)
    else:
        counts = cps.lengths().astype(np.int64)
        keep = np.ones(len(cps.cp), dtype=bool)
        keep[cps.ends] = False  # the separators
        with np.errstate(over="ignore"):
            units = mix64(cps.cp[keep].astype(np.uint64) + np.uint64(0x100000))
        doc = np.repeat(np.arange(cps.docs, dtype=np.int64), counts)
    return _ngrams(units, doc, counts, cfg.ngram)


def shingle_counts(doc: np.ndarray, ndocs: int) -> np.ndarray:
    return np.bincount(doc, minlength=ndocs).astype(np.int64)


def set_keys(hashes: np.ndarray) -> np.ndarray:
    """The 32 bits of a shingle hash that its set keeps (spilled as they are)."""
    if hashes.dtype == np.uint32:
        return hashes
    return (hashes >> np.uint64(32)).astype(np.uint32)


def shingle_sets(hashes: np.ndarray, doc: np.ndarray, ndocs: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique shingle keys per document (the sets Jaccard is computed on).

    Sets hold 32 bits of each hash (`set_keys`; 64-bit hashes or keys are accepted):
    two different shingles of a pair of documents collide with probability 2^-32,
    so a pair of 5,000-shingle documents has a 0.6% chance of one collision, which
    moves its Jaccard by at most 1/5,000. Half the memory of 64-bit sets, in the
    spill files and in verification. One sort of `doc << 32 | key` instead of a
    two-key lexsort (3-4x faster).
    """
    if ndocs >= 1 << 32:
        raise ValueError("shingle_sets: at most 2^32 documents per call")
    key = (doc.astype(np.uint64) << np.uint64(32)) | set_keys(hashes).astype(np.uint64)
    key.sort()
    keep = np.ones(len(key), dtype=bool)
    keep[1:] = key[1:] != key[:-1]
    key = key[keep]
    d = (key >> np.uint64(32)).astype(np.int64)
    offsets = np.zeros(ndocs + 1, dtype=np.int64)
    np.cumsum(np.bincount(d, minlength=ndocs), out=offsets[1:])
    return (key & np.uint64(0xFFFFFFFF)).astype(np.uint32), offsets


def exact_hashes(cps: CodePoints) -> tuple[np.ndarray, np.ndarray]:
    """A 128-bit (truncated) SHA-256 digest of every document's normalised text, as two uint64.

    A cryptographic hash here (not the polynomial one): an exact-duplicate decision
    is final (no verification follows), so a collision must be out of reach even for
    text built to collide. Each document is hashed at the narrowest fixed width that
    holds its code points (1, 2 or 4 bytes each, the width hashed first so the byte
    strings of different widths never coincide): most text is 1-2 bytes a character,
    not UTF-32's 4, and SHA-256 (CPU SHA extensions) measured 2.5x BLAKE2b's speed.
    """
    n = cps.docs
    cp = np.ascontiguousarray(cps.cp)
    if not n:
        z = np.zeros(0, np.uint64)
        return z, z.copy()
    # every document is followed by its NUL separator, so starts are inside cp
    top = np.maximum.reduceat(cp, cps.starts)
    width = np.where(top < 256, 1, np.where(top < 65536, 2, 4))
    views = {4: cp.view(np.uint8).data}
    for w, dt in ((1, np.uint8), (2, np.uint16)):
        if (width == w).any():
            views[w] = cp.astype(dt).view(np.uint8).data
    seeds = {w: hashlib.sha256(bytes([w])) for w in (1, 2, 4)}
    out = []
    for s, e, w in zip(cps.starts.tolist(), cps.ends.tolist(), width.tolist(), strict=True):
        h = seeds[w].copy()
        h.update(views[w][s * w : e * w])
        out.append(h.digest()[:16])
    both = np.frombuffer(b"".join(out), dtype=np.uint64).reshape(-1, 2)
    return both[:, 0].copy(), both[:, 1].copy()
