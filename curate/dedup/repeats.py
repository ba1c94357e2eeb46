"""Documents whose raw text was already seen by this process: computed once, copied after.

Web crawls and documentation sets repeat whole pages (the Debian installation guide
ships 56% of its pages byte for byte in another language's folder). A repeated raw
text has, necessarily, the same normalised text, exact hash, shingles and signature,
so the signature pass looks each document up by a 128-bit SHA-256 digest of its
UTF-8 bytes (a collision is out of reach, as for the exact hash) and decodes,
normalises and shingles only texts it has not seen. The cache lives in the worker
process across the shards it handles; its size is capped, so memory stays bounded
(at the cap it stops learning: a miss then only costs the computation it saves).
Results never depend on it: a hit copies exactly what the computation would give.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

MAX_ENTRIES = 50_000  # x (K*4 + ~150) bytes: ~33 MB at K = 128


def raw_digests(texts: pa.Array) -> list[bytes | None]:
    """16-byte SHA-256 digests of the UTF-8 bytes of every text (None for null)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if pa.types.is_large_string(texts.type):
        off_dtype: type[np.signedinteger] = np.int64
    else:
        texts = texts.cast(pa.string()) if not pa.types.is_string(texts.type) else texts
        off_dtype = np.int32
    bufs = texts.buffers()
    n = len(texts)
    offsets = np.frombuffer(bufs[1], dtype=off_dtype, count=n + 1 + texts.offset)[texts.offset :]
    data = memoryview(bufs[2]) if bufs[2] is not None else memoryview(b"")
    valid = texts.is_valid().to_numpy(zero_copy_only=False) if texts.null_count else None
    out: list[bytes | None] = []
    sha = hashlib.sha256
    starts, ends = offsets[:-1].tolist(), offsets[1:].tolist()
    for i in range(n):
        if valid is not None and not valid[i]:
            out.append(None)
        else:
            out.append(sha(data[starts[i] : ends[i]]).digest()[:16])
    return out


@dataclass
class RepeatCache:
    """digest → (exact hi, exact lo, chars, shingles, signature row) for one spec."""

    spec: object = None
    rows: dict[bytes, tuple[int, int, int, int, np.ndarray | None]] = field(default_factory=dict)

    def for_spec(self, spec: object) -> RepeatCache:
        return self if spec == self.spec else RepeatCache(spec)

    def full(self) -> bool:
        return len(self.rows) >= MAX_ENTRIES


_CACHE = RepeatCache()


def process_cache(spec: object, run: str) -> RepeatCache:
    """This process's cache for run `run`'s signatures made with `spec`.

    Emptied when either changes: within a run every text is computed (and spilled for
    verification) once per process; a later run in the same process (a notebook, a
    kept worker pool) starts afresh, so its spill files are complete again.
    """
    global _CACHE
    # one assignment: threads of the run share the cache and never see another run's rows
    _CACHE = got = _CACHE.for_spec((spec, run))
    return got


def plan(digests: list[bytes | None], cache: RepeatCache) -> tuple[np.ndarray, np.ndarray]:
    """(rows to compute, source of every row).

    source[i] >= 0: row i repeats the computed row source[i] of this batch;
    source[i] == -1: row i is computed; source[i] == -2: row i is a cache hit.
    Null texts are always computed (they are cheap and never cached).
    """
    first: dict[bytes, int] = {}
    source = np.full(len(digests), -1, dtype=np.int64)
    for i, d in enumerate(digests):
        if d is None:
            continue
        if d in cache.rows:
            source[i] = -2
        elif d in first:
            source[i] = first[d]
        else:
            first[d] = i
    return np.flatnonzero(source == -1), source
