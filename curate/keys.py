"""Seeded per-document random numbers that do not depend on where a document is.

`mix` decides how many times each document appears, which split it goes to and where
it lands in the shuffle; `show --sample` which documents it shows. Each decision is a
function of the document's `id` and the seed only, never of its shard, batch or
position, and of nothing a library version may change: the id is hashed once with
BLAKE2b (as ingest hashes ids), and each decision mixes that hash with the seed and
the decision's number through SplitMix64's finalizer, vectorised in NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from curate.ingest.collect import id_hash

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer: a bijection of uint64 that spreads every input bit."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64, copy=True)
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def id_keys(ids: Sequence[str]) -> np.ndarray:
    """The 64-bit hash of each id (the base every decision derives from)."""
    return id_hash([str(i) for i in ids])


def derive(base: np.ndarray, seed: int, decision: int) -> np.ndarray:
    """Keys for one decision (`decision` numbers them) under one seed."""
    with np.errstate(over="ignore"):
        salt = mix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64) + _GOLDEN)
        salt = mix64(salt ^ np.uint64(decision & 0xFFFFFFFF) * _GOLDEN)
        return mix64(base ^ salt[0])


def uniform(keys: np.ndarray) -> np.ndarray:
    """Keys as floats uniform in [0, 1) (their top 53 bits)."""
    return (keys >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
