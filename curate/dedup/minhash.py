"""MinHash signatures by one-permutation hashing, LSH banding and its parameters.

A K-value signature is computed from each document's shingle hashes with *one*
pass (one-permutation hashing, Li, Owen & Zhang 2012): a shingle's hash picks one of
K bins and leaves its value there, each bin keeps its minimum. Bins left empty
(short documents) are filled by *optimal densification* (Shrivastava 2017): bin i
borrows the value of the first non-empty bin in a fixed pseudo-random probe
sequence that is the same for every document. For any two documents each of the K
values is equal with probability equal to their Jaccard similarity, as with K
independent permutations, at 1/K of the cost; that cost (K hash evaluations per
shingle) is what made the K-permutation pipelines slow.

Banding: b bands of r rows; two documents become candidates when all r values of
any band agree, with probability 1 - (1 - J^r)^b (the S-curve). `optimal_bands`
picks (b, r) with b*r <= K that minimise the weighted integrals of false positives
(area under the curve below the threshold) and false negatives (area above the
curve above it), as datasketch's MinHashLSH does.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from curate.dedup.shingles import mix64

EMPTY = np.uint32(0xFFFFFFFF)
_PROBES = 1024  # probe rounds before falling back to the next non-empty bin


@lru_cache(maxsize=8)
def _probe_table(k: int) -> np.ndarray:
    rng = np.random.default_rng(0xD15C0 + k)
    return rng.integers(0, k, size=(_PROBES, k), dtype=np.int64)


def signatures(hashes: np.ndarray, doc: np.ndarray, ndocs: int, k: int) -> np.ndarray:
    """K-value signatures (uint32 [docs, K]) from shingle hashes and their documents.

    The hashes are already well mixed (splitmix64 output): the low bits pick the bin,
    the high 31 bits are the value. A document without shingles gets a row of EMPTY
    (it is never banded).
    """
    sig = np.full(ndocs * k, EMPTY, dtype=np.uint32)
    if len(hashes):
        if k & (k - 1) == 0:
            bins = (hashes & np.uint64(k - 1)).astype(np.int64)
        else:
            bins = (hashes % np.uint64(k)).astype(np.int64)
        key = doc * k + bins
        val = (hashes >> np.uint64(33)).astype(np.uint32)  # 31 bits: never equal to EMPTY
        np.minimum.at(sig, key, val)
    sig = sig.reshape(ndocs, k)  # type: ignore[assignment]
    _densify(sig, np.bincount(doc, minlength=ndocs) > 0)
    return sig


def _densify(sig: np.ndarray, has: np.ndarray) -> None:
    """Fill empty bins in place from the probe sequence (optimal densification)."""
    k = sig.shape[1]
    empty = sig == EMPTY
    empty[~has] = False
    rows, cols = np.nonzero(empty)
    if not len(rows):
        return
    orig = sig.copy()
    table = _probe_table(k)
    for attempt in range(_PROBES):
        src = table[attempt, cols]
        got = orig[rows, src]
        ok = got != EMPTY
        sig[rows[ok], cols[ok]] = got[ok]
        rows, cols = rows[~ok], cols[~ok]
        if not len(rows):
            return
    # practically unreachable: the next non-empty bin to the right, circularly
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        for d in range(1, k):
            v = orig[r, (c + d) % k]
            if v != EMPTY:
                sig[r, c] = v
                break


def band_hashes(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """uint64 [docs, bands]: one hash of the r values of every band."""
    ndocs = sig.shape[0]
    out = np.empty((ndocs, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for b in range(bands):
            acc = np.full(ndocs, np.uint64(b + 1) * np.uint64(0x9E3779B97F4A7C15), np.uint64)
            for j in range(rows):
                acc = mix64(acc ^ sig[:, b * rows + j].astype(np.uint64))
            out[:, b] = acc
    return out


def candidate_probability(j: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """P(two documents with Jaccard j share at least one band)."""
    return 1.0 - (1.0 - np.power(j, rows)) ** bands


def error_areas(threshold: float, bands: int, rows: int) -> tuple[float, float]:
    """(false positive area, false negative area) of the S-curve around the threshold."""
    xs = np.linspace(0.0, threshold, 513)
    fp = float(np.trapezoid(candidate_probability(xs, bands, rows), xs))
    ys = np.linspace(threshold, 1.0, 513)
    fn = float(np.trapezoid(1.0 - candidate_probability(ys, bands, rows), ys))
    return fp, fn


def optimal_bands(
    threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5
) -> tuple[int, int]:
    """(bands, rows) minimising fp_weight*FP + fn_weight*FN over b*r <= num_perm.

    log(1 - j^r) once per r, then each b is one exp over every allowed r (a loop of
    `error_areas` cost 0.17 s per run at K = 128, a power per pair 0.06 s, this
    0.03 s); the first minimum in (b, r) order, as before.
    """
    xs = np.linspace(0.0, threshold, 513)
    ys = np.linspace(threshold, 1.0, 513)
    rs = np.arange(1, num_perm + 1, dtype=np.float64)[:, None]
    with np.errstate(divide="ignore"):  # log(0) at j = 1: exp gives the 0 it stands for
        lx = np.log1p(-np.power(xs, rs))
        ly = np.log1p(-np.power(ys, rs))
    best, best_err = (1, num_perm), float("inf")
    for b in range(1, num_perm + 1):
        rmax = num_perm // b
        fp = np.trapezoid(1.0 - np.exp(b * lx[:rmax]), xs, axis=1)
        fn = np.trapezoid(np.exp(b * ly[:rmax]), ys, axis=1)
        for r, err in enumerate((fp_weight * fp + fn_weight * fn).tolist(), start=1):
            if err < best_err - 1e-15:
                best, best_err = (b, r), err
    return best


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of equal signature values, row by row: the unbiased estimate of J."""
    return (a == b).mean(axis=1)
