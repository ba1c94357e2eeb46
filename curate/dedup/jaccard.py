"""The true Jaccard similarity of many pairs of sorted shingle sets, without a loop per pair.

Each set is a sorted slice `hashes[start:start + length]` of 32-bit shingle keys
(`shingles.shingle_sets`). For a block of pairs, the larger set of every pair is laid
out with the pair's number in the 32 bits above the key, which makes the whole block
one sorted array; the smaller sets, keyed the same way, are looked up in it with one
`np.searchsorted` (its keys are sorted too, which keeps the search cache friendly).
Measured 6x faster than a `searchsorted` per pair on the Debian guide's 6,000 pairs.
Memory: a block holds at most `BLOCK` hashes of each side.
"""

from __future__ import annotations

import numpy as np

BLOCK = 1 << 22  # hashes of the larger sets per block (32 MB)
_SHIFT = np.uint64(32)


def _ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + n) for every (s, n), vectorised."""
    total = int(lens.sum())
    if not total:
        return np.zeros(0, np.int64)
    ends = np.cumsum(lens)
    out = np.ones(total, dtype=np.int64)
    nz = lens > 0
    s, e, n = starts[nz], ends[nz], lens[nz]
    out[0] = s[0]
    # at the first position of every range after the first: jump from the previous end
    out[e[:-1]] = s[1:] - (s[:-1] + n[:-1] - 1)
    return np.cumsum(out)


def pair_jaccard(
    a: np.ndarray,
    b: np.ndarray,
    starts: np.ndarray,
    lens: np.ndarray,
    hashes: np.ndarray,
    block_size: int | None = None,
) -> np.ndarray:
    """Jaccard of sets a[i] and b[i] (indices into starts/lens); 0 when a set is empty.

    `block_size` (default `BLOCK`) bounds the hashes of one block, hence the memory.
    """
    limit = BLOCK if block_size is None else block_size
    m = len(a)
    out = np.zeros(m, dtype=np.float64)
    if not m:
        return out
    la, lb = lens[a], lens[b]
    swap = la > lb
    small = np.where(swap, b, a)
    large = np.where(swap, a, b)
    ls, ll = lens[small], lens[large]
    cum = np.cumsum(ll)
    lo = 0
    while lo < m:
        # pairs [lo, hi) whose larger sets hold at most `limit` hashes (at least one pair)
        base = cum[lo - 1] if lo else 0
        hi = int(np.searchsorted(cum, base + limit, side="right"))
        hi = max(hi, lo + 1)
        sl, ll_b, ls_b = large[lo:hi], ll[lo:hi], ls[lo:hi]
        tag = np.arange(hi - lo, dtype=np.uint64) << _SHIFT
        big = hashes[_ranges(starts[sl], ll_b)].astype(np.uint64) | np.repeat(tag, ll_b)
        q = hashes[_ranges(starts[small[lo:hi]], ls_b)].astype(np.uint64) | np.repeat(tag, ls_b)
        if len(q) and len(big):
            pos = np.searchsorted(big, q)
            pos[pos == len(big)] = 0
            hit = big[pos] == q
            inter: np.ndarray = np.bincount(
                np.repeat(np.arange(hi - lo), ls_b), weights=hit, minlength=hi - lo
            )
        else:
            inter = np.zeros(hi - lo, np.float64)
        union = ls_b + ll_b - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            out[lo:hi] = np.where((ls_b > 0) & (union > 0), inter / union, 0.0)
        lo = hi
    return out
