"""Stages 3 and 4: band hashes per shard, candidate pairs per band.

Bands and candidates are light NumPy work (16 hashes, 16 sorts a document): starting
worker processes for them cost more than they do (measured), but their NumPy calls
release the GIL, so locally threads of the driver share them out (`Executor.light`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from curate.dedup import cache, memory, workfiles
from curate.dedup.index import GlobalIndex
from curate.dedup.minhash import band_hashes
from curate.dedup.options import DedupOptions
from curate.dedup.units import run_stage_units
from curate.dedup.workfiles import Location
from curate.errors import CurateError
from curate.executor import Executor, report

WINDOW = 16  # a bucket member is paired with up to this many earlier members


def bands_stage(
    index: GlobalIndex,
    is_rep: np.ndarray,
    options: DedupOptions,
    band_dir: Location,
    executor: Executor,
    console: Any,
) -> list[tuple[Location, int]]:
    """Stage 3: one band file a signature file, of its documents that are the first of
    their exact group and have shingles; the files and their document counts."""
    workfiles.make(band_dir)
    jobs: list[BandJob] = []
    for c in index.colls:
        for f, base, sel, rows_n in zip(c.files, c.base, c.select, c.rows, strict=True):
            local = np.arange(rows_n)
            ok = is_rep[base : base + rows_n] & (index.n_shingles[base : base + rows_n] > 0)
            file_rows = local[ok] if sel is None else sel[ok]
            out = workfiles.child(band_dir, f"{len(jobs):06d}.bands")
            jobs.append(BandJob(f, out, file_rows, local[ok] + base, options.bands, options.rows))
    run_stage_units(executor.light(), band_unit, jobs, console, "dedup: bands")
    return [(j.out, len(j.rows_index)) for j in jobs]


def candidates_stage(
    band_files: list[tuple[Location, int]],
    options: DedupOptions,
    n_against: int,
    executor: Executor,
    console: Any,
) -> np.ndarray:
    """Stage 4: the distinct candidate pairs of all bands (int64 [m, 2], sorted),
    without pairs of two `--against` documents (not this run's business)."""
    files = tuple(band_files)
    jobs = [PairJob(b, options.bands, files) for b in range(options.bands)]
    # a band of every document per thread (~50 bytes a document while it sorts):
    # two at a time, so many cores do not multiply this stage's memory
    pairing = executor.light(workers=2)
    got = run_stage_units(pairing, pair_unit, jobs, console, "dedup: candidates", "bands")
    cand = np.concatenate(got) if got else np.zeros((0, 2), np.int64)
    if len(cand):
        cand = _unique_pairs(cand)
    return cand[~(cand[:, 1] < n_against)]


@dataclass(frozen=True)
class BandJob:
    sig_file: Location
    out: Location
    rows_index: np.ndarray  # file rows to band (exact representatives with shingles)
    gidx: np.ndarray  # their global indices
    bands: int
    rows: int


def band_unit(job: BandJob) -> int:
    """Band hashes of one shard's documents to `out`: a raw uint64 [bands + 1, n] file.

    Band-major, so a band is one contiguous read; the last row is the documents'
    global indices. Raw, not `.npy`: the candidates stage reads a band of every file
    (bands x shards reads), and parsing a `.npy` header each time was most of that
    stage on a small input. In an object store the file is one upload and each
    band one ranged read.
    """
    table = cache.read_table(job.sig_file, ["sig"])
    sig = cache.sig_matrix(table, job.rows_index)
    bh = band_hashes(sig, job.bands, job.rows)
    with workfiles.open_output(job.out) as fh:
        memory.write_array(fh, bh.T)
        memory.write_array(fh, job.gidx.astype(np.int64))
    report(docs=len(job.rows_index))
    return len(job.rows_index)


@dataclass(frozen=True)
class PairJob:
    band: int
    bands: int
    files: tuple[tuple[Location, int], ...]  # band files and their document counts


def _read_values(fh: Any, n: int, dtype: Any) -> np.ndarray:
    """Up to `n` 8-byte values from the file's position (fewer at its end)."""
    data = fh.read(n * 8)
    return np.frombuffer(data, dtype=dtype, count=len(data) // 8)


def pair_unit(job: PairJob) -> np.ndarray:
    """Candidate pairs of one band: documents with equal band hashes (int64 [m, 2])."""
    hs, gs = [], []
    for f, n in job.files:
        if n == 0:
            continue
        with workfiles.open_input(f) as fh:
            fh.seek(job.band * n * 8)
            h = _read_values(fh, n, np.uint64)
            fh.seek(job.bands * n * 8)
            g = _read_values(fh, n, np.int64)
        if len(h) != n or len(g) != n:  # a read at the end of a file comes back short
            raise CurateError(f"{f}: band file cut short; re-run the same command")
        hs.append(h)
        gs.append(g)
    if not hs:
        return np.zeros((0, 2), np.int64)
    h = np.concatenate(hs)
    g = np.concatenate(gs)
    order = np.lexsort((g, h))
    h, g = h[order], g[order]
    out = []
    for d in range(1, WINDOW + 1):
        if d >= len(h):
            break
        same = h[d:] == h[:-d]
        if not same.any():
            break
        out.append(np.stack([g[:-d][same], g[d:][same]], axis=1))
    # no document count: every band sees every document, so a sum would count each once
    # per band (16 times the corpus); the stage's progress is bands done
    return np.concatenate(out) if out else np.zeros((0, 2), np.int64)


def _unique_pairs(pairs: np.ndarray) -> np.ndarray:
    """Sorted distinct rows of an int64 [m, 2] array of document indices (< 2^32).

    Each pair as one 64-bit key: `np.unique(axis=0)` sorts rows as opaque records,
    an order of magnitude slower than the SIMD sort of one integer column.
    """
    if int(pairs.max(initial=0)) >= 1 << 32:
        raise ValueError("_unique_pairs: document indices must be below 2^32")
    key = (pairs[:, 0].astype(np.uint64) << np.uint64(32)) | pairs[:, 1].astype(np.uint64)
    key = np.unique(key)
    out = np.empty((len(key), 2), dtype=np.int64)
    out[:, 0] = (key >> np.uint64(32)).astype(np.int64)
    out[:, 1] = (key & np.uint64(0xFFFFFFFF)).astype(np.int64)
    return out
