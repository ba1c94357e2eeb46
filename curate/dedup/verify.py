"""Stage 5, verify: candidate pairs checked by their true Jaccard (or estimate).

Banding proposes pairs with a probability that only rises around the threshold;
verification makes sure a banding false positive removes nothing. The candidates'
shingle sets come from the signature pass's spill files where it kept them, else
are recomputed from the text in the workers (`set_unit`, only for those documents).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from curate.dataset import Dataset, Shard
from curate.dedup import cache, jaccard, memory, spill, workfiles
from curate.dedup.index import Collection, GlobalIndex, ids_of, locate
from curate.dedup.jaccard import pair_jaccard
from curate.dedup.minhash import estimate_jaccard
from curate.dedup.options import DedupOptions
from curate.dedup.shingles import (
    ShingleConfig,
    prepare,
    shingle_hashes,
    shingle_sets,
)
from curate.dedup.signatures import SIG_BATCH
from curate.dedup.units import stream_units
from curate.executor import default_workers, report

VERIFY_CHUNK = 256  # candidate pairs per vectorised Jaccard (see _verify_unjoined)
MIN_PAIRS_A_THREAD = 32  # below this a chunk's Jaccard stays on one thread


@dataclass(frozen=True)
class SetJob:
    shard: Shard
    schema: pa.Schema
    ids: pa.Array  # candidate ids held by this shard
    shingle: ShingleConfig


def set_unit(job: SetJob) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Shingle sets of the candidate documents of one shard: (ids, hashes, offsets).

    Membership is tested once on the shard's whole id column: `is_in` builds a hash
    table of the value set on every call, so testing batch by batch cost (candidates
    x batches), quadratic in the corpus (38 s of verification at 1M documents).
    """
    ds = Dataset(job.shard.folder, [job.shard], job.schema)
    shard_ids = pa.concat_arrays(
        [
            b.column(0).cast(pa.string())
            for b in ds.shard_batches(job.shard, columns=["id"], batch_size=100_000)
        ]
        or [pa.array([], pa.string())]
    )
    wanted = pc.is_in(shard_ids, value_set=job.ids).to_numpy(zero_copy_only=False)
    del shard_ids
    ids: list[str] = []
    hs, lens = [], []
    at = 0
    for batch in ds.shard_batches(job.shard, columns=["id", "text"], batch_size=SIG_BATCH):
        mask = wanted[at : at + batch.num_rows]
        at += batch.num_rows
        if not mask.any():
            continue
        sel = batch.filter(pa.array(mask))
        cps, _ = prepare(sel.column(1), job.shingle.normalize)
        hashes, doc = shingle_hashes(cps, job.shingle)
        sets, set_off = shingle_sets(hashes, doc, sel.num_rows)
        ids.extend(sel.column(0).cast(pa.string()).to_pylist())
        hs.append(sets)
        lens.append(np.diff(set_off))
        report(docs=sel.num_rows)
    h = np.concatenate(hs) if hs else np.zeros(0, np.uint32)
    del hs
    off = np.zeros(len(ids) + 1, np.int64)
    if lens:
        np.cumsum(np.concatenate(lens), out=off[1:])
    memory.release()
    return ids, h, off


def verify_stage(
    cand: np.ndarray,
    index: GlobalIndex,
    options: DedupOptions,
    executor: Any,
    console: Any,
    facts: dict[str, Any],
) -> np.ndarray:
    """Stage 5: the candidate pairs that pass `--verify` (records `checked_pairs`)."""
    return _verify(
        cand, options, index.colls, executor, console, index.n_shingles, facts, (index.hi, index.lo)
    )


def _verify(
    cand: np.ndarray,
    options: DedupOptions,
    colls: list[Collection],
    executor: Any,
    console: Any,
    nsh: np.ndarray,
    facts: dict[str, Any],
    exact_keys: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    if not len(cand) or options.verify == "none":
        return cand
    nodes = np.unique(cand.ravel())
    sig = np.empty((len(nodes), options.num_perm), dtype=np.uint32)
    for c, i, pos in locate(colls, nodes):
        local, sel = nodes[pos] - c.base[i], c.select[i]
        rows = local if sel is None else sel[local]
        sig[pos] = cache.sig_matrix(cache.read_table(c.files[i], ["sig"]), rows)
    est = estimate_jaccard(
        sig[np.searchsorted(nodes, cand[:, 0])], sig[np.searchsorted(nodes, cand[:, 1])]
    )
    if options.verify == "estimate":
        return cand[est >= options.threshold]
    # Exact verification only for pairs whose estimate is not hopeless: a pair at the
    # threshold t falls 6 standard deviations (sqrt(t(1-t)/m) each, m = K or fewer
    # when a document has fewer shingles than bins) below it with probability ~1e-9,
    # so such pairs are rejected without recomputing their shingles.
    t = options.threshold
    m = np.minimum(np.minimum(nsh[cand[:, 0]], nsh[cand[:, 1]]), options.num_perm)
    margin = np.maximum(0.1, 6.0 * np.sqrt(t * (1.0 - t) / np.maximum(m, 1)))
    cand = cand[est >= t - margin]
    if not len(cand):
        return cand
    nodes = np.unique(cand.ravel())
    starts, lens, hashes = _candidate_sets(
        nodes, options, colls, executor, console, exact_keys, nsh
    )
    a, b = np.searchsorted(nodes, cand[:, 0]), np.searchsorted(nodes, cand[:, 1])
    threads = min(executor.workers, default_workers())  # the driver's own threads
    passed, checked = _verify_unjoined(a, b, starts, lens, hashes, options.threshold, threads)
    facts["checked_pairs"] = checked
    return cand[passed]


def _verify_unjoined(
    a: np.ndarray,
    b: np.ndarray,
    starts: np.ndarray,
    lens: np.ndarray,
    hashes: np.ndarray,
    threshold: float,
    threads: int = 1,
) -> tuple[np.ndarray, int]:
    """Which pairs pass; and how many were checked.

    Only the components matter, so a pair whose two documents are already joined by
    pairs that passed is not checked (it could not change a component): pairs go in
    order, `VERIFY_CHUNK` at a time (one vectorised Jaccard per chunk), through a
    union-find of what passed. The components are exactly those of verifying every
    pair, and the same for any worker count (the order is the sorted pair list);
    on the Debian guide it skips about half of the Jaccard work. A chunk's pairs are
    shared out over `threads` threads (its searches release the GIL).
    """
    passed = np.zeros(len(a), dtype=bool)
    parent = list(range(len(lens)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    checked = 0
    al, bl = a.tolist(), b.tolist()
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
    try:
        for lo in range(0, len(al), VERIFY_CHUNK):
            todo = [
                i for i in range(lo, min(lo + VERIFY_CHUNK, len(al))) if find(al[i]) != find(bl[i])
            ]
            if not todo:
                continue
            idx = np.array(todo, dtype=np.int64)
            sims = _jaccard_shared(pool, threads, a[idx], b[idx], starts, lens, hashes)
            checked += len(idx)
            for i in idx[sims >= threshold - 1e-12].tolist():
                passed[i] = True
                ra, rb = find(al[i]), find(bl[i])
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    finally:
        if pool is not None:
            pool.shutdown()
    return passed, checked


def _jaccard_shared(
    pool: ThreadPoolExecutor | None,
    threads: int,
    a: np.ndarray,
    b: np.ndarray,
    starts: np.ndarray,
    lens: np.ndarray,
    hashes: np.ndarray,
) -> np.ndarray:
    """`pair_jaccard` of the pairs, in `threads` contiguous parts on the pool."""
    if pool is None or len(a) < 2 * MIN_PAIRS_A_THREAD:
        return pair_jaccard(a, b, starts, lens, hashes)
    parts = min(threads, len(a) // MIN_PAIRS_A_THREAD)
    cuts = np.linspace(0, len(a), parts + 1).astype(np.int64).tolist()
    block = max(1, jaccard.BLOCK // parts)  # together, the memory of one thread
    futures = [
        pool.submit(pair_jaccard, a[lo:hi], b[lo:hi], starts, lens, hashes, block)
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)
    ]
    return np.concatenate([f.result() for f in futures])


def _candidate_sets(
    nodes: np.ndarray,
    options: DedupOptions,
    colls: list[Collection],
    executor: Any,
    console: Any,
    exact_keys: tuple[np.ndarray, np.ndarray],
    nsh: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted shingle sets of the candidate documents: (start, length) per node, hashes.

    From the signature pass's spill files where they hold the document or an exact
    duplicate of it (same normalised text, so the same set: a repeated text is
    spilled once, see `repeats`), else recomputed from the text (`set_unit`, only
    for those documents).
    """
    threads = min(executor.workers, default_workers())  # the driver's own threads
    missing = np.ones(len(nodes), dtype=bool)
    starts = np.zeros(len(nodes), dtype=np.int64)
    lens = np.zeros(len(nodes), dtype=np.int64)
    pieces: list[np.ndarray] = []
    size = 0

    def take(targets: np.ndarray, node_pos: np.ndarray) -> None:
        """The spilled sets of documents `targets`, for the nodes at `node_pos`.

        One piece per spill file, each read and sorted into sets on a thread (the
        memmap reads and sorts release the GIL): on a small input every file holds
        candidates, and this was the longest serial part of verification.
        """
        nonlocal size
        jobs = []
        for c, i, pos in locate(colls, targets):
            stem = workfiles.stem_of(c.files[i])
            if c.select[i] is None and spill.stored(c.spill_dir, stem):
                assert c.spill_dir is not None
                jobs.append((c.spill_dir, stem, targets[pos] - c.base[i], node_pos[pos]))
        ex = ThreadPoolExecutor(max_workers=max(1, min(len(jobs), threads)))
        try:
            for (sets, off, ok), (_, _, _, at) in zip(
                ex.map(_spilled_sets, jobs), jobs, strict=True
            ):
                at_ok = at[ok]
                starts[at_ok] = size + off[:-1][ok]
                lens[at_ok] = np.diff(off)[ok]
                missing[at_ok] = False
                pieces.append(sets)
                size += len(sets)
        finally:
            ex.shutdown(wait=True, cancel_futures=True)  # an error: drop the queued reads

    take(nodes, np.arange(len(nodes)))
    if missing.any():
        sub, sub_pos = _spilled_twins(nodes, missing, exact_keys, colls)
        if len(sub):
            take(sub, sub_pos)
    sets = np.concatenate(pieces) if pieces else np.zeros(0, np.uint32)
    pieces.clear()
    if not missing.any():
        return starts, lens, sets
    # recompute the rest from their text, into one array sized by the shingle counts
    # (an upper bound of the set sizes): each result is copied in and dropped as it
    # arrives, so the stage holds the candidates' sets once, not twice
    want_nodes = nodes[missing]
    want_pos = np.flatnonzero(missing)
    ids = ids_of(colls, want_nodes)
    jobs, job_ids = [], []
    for c in colls:
        m = (want_nodes >= c.start) & (want_nodes < c.end)
        if not m.any():
            continue
        id_to_pos = dict(zip(ids[m].tolist(), want_pos[m].tolist(), strict=True))
        want = pa.array(ids[m].tolist(), pa.string())
        for s in c.shards_for_text:
            jobs.append(SetJob(s, c.ds.schema, want, options.shingle))
            job_ids.append(id_to_pos)
    out = np.empty(len(sets) + int(nsh[want_nodes].sum()), np.uint32)
    out[: len(sets)] = sets
    pos = len(sets)
    del sets
    done = np.zeros(len(nodes), dtype=bool)
    for i, (got_ids, hh, oo) in stream_units(executor, set_unit, jobs, console, "dedup: verify"):
        id_to_pos = job_ids[i]
        if pos + len(hh) > len(out):  # only if an id repeats inside a dataset
            out = np.concatenate([out[:pos], np.empty(len(hh), np.uint32)])
        out[pos : pos + len(hh)] = hh
        for j, doc_id in enumerate(got_ids):
            k = id_to_pos.get(doc_id)
            if k is not None and not done[k]:
                done[k] = True
                starts[k] = pos + int(oo[j])
                lens[k] = int(oo[j + 1] - oo[j])
        pos += len(hh)
        del hh
    return starts, lens, out[:pos]


def _spilled_sets(job: tuple[Path, str, np.ndarray, np.ndarray]) -> tuple[np.ndarray, ...]:
    """(sorted sets, offsets, ok) of some rows of one spill file (a `take` piece)."""
    folder, stem, rows, _ = job
    h, p, ok = spill.read_rows(folder, stem, rows)
    sets, off = shingle_sets(h, p, len(rows))
    return sets, off, ok


def _spilled_twins(
    nodes: np.ndarray,
    missing: np.ndarray,
    exact_keys: tuple[np.ndarray, np.ndarray],
    colls: list[Collection],
) -> tuple[np.ndarray, np.ndarray]:
    """For nodes without spilled hashes: one exact duplicate that has them, if any.

    Returns (documents, position in `nodes` each stands for); the earliest spilled
    member of each node's exact group.
    """
    hi, lo = exact_keys
    want = nodes[missing]
    want_pos = np.flatnonzero(missing)
    df_want = pl.DataFrame({"hi": hi[want], "lo": lo[want], "pos": want_pos})
    maybe = np.flatnonzero(np.isin(hi, hi[want]))
    maybe = maybe[~np.isin(maybe, want)]
    if not len(maybe):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ok = np.zeros(len(maybe), dtype=bool)
    for c, i, pos in locate(colls, maybe):
        stem = workfiles.stem_of(c.files[i])
        if c.select[i] is None and spill.stored(c.spill_dir, stem):
            assert c.spill_dir is not None
            ok[pos] = spill.stored_mask(c.spill_dir, stem)[maybe[pos] - c.base[i]]
    maybe = maybe[ok]
    df_have = pl.DataFrame({"hi": hi[maybe], "lo": lo[maybe], "g": maybe})
    j = df_want.join(df_have, on=["hi", "lo"]).group_by("pos").agg(pl.col("g").min())
    return j["g"].to_numpy().astype(np.int64), j["pos"].to_numpy().astype(np.int64)
