"""Stage 1, signatures: per shard, normalised-text hashes and MinHash signatures.

One Arrow IPC file a shard in the signature cache (`cache`), computed by
`signature_unit` in the workers, only for the shards the cache does not hold yet.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.dataset import Dataset, Shard, open_dataset
from curate.dedup import cache, memory, repeats, spill, workfiles
from curate.dedup.index import Collection
from curate.dedup.minhash import signatures
from curate.dedup.options import DedupOptions
from curate.dedup.shingles import (
    exact_hashes,
    prepare,
    shingle_hashes,
)
from curate.dedup.units import run_stage_units
from curate.dedup.workfiles import Location
from curate.executor import report
from curate.schema import check_core
from curate.step import input_identity
from curate.storage import is_remote

SIG_BATCH = 1024  # larger batches measured slower (fresh 50 MB arrays: page faults)


@dataclass(frozen=True)
class SigJob:
    shard: Shard
    schema: pa.Schema
    out: Location  # the signature folder (local, or in the output's store)
    options: DedupOptions
    spill_dir: Path | None = None  # also keep the shingle hashes here (for verification)
    run: str = ""  # this dedup run (the repeats cache starts empty in each)


def signature_unit(job: SigJob) -> int:
    """Exact hashes and signatures of one shard → one cache file (runs in a worker).

    Texts this process has already seen (`repeats`) are copied, not recomputed.
    """
    ds = Dataset(job.shard.folder, [job.shard], job.schema)
    opts = job.options
    k = None if opts.exact_only else opts.num_perm
    schema = cache.signature_schema(k)
    seen = repeats.process_cache(opts.spec(), job.run)
    spill_w = (
        spill.SpillWriter(job.spill_dir, Path(job.shard.name).stem)
        if job.spill_dir is not None and k is not None
        else None
    )
    parts: list[pa.RecordBatch] = []
    rows = 0
    try:
        for batch in ds.shard_batches(job.shard, columns=["id", "text"], batch_size=SIG_BATCH):
            parts.append(_signature_batch(batch, opts, k, schema, seen, spill_w))
            rows += batch.num_rows
            report(docs=batch.num_rows)
    except BaseException:
        if spill_w is not None:
            spill_w.abort()
        raise
    if spill_w is not None:
        spill_w.close()
    table = pa.Table.from_batches(parts, schema=schema)
    cache.write_shard_file(cache.shard_file(job.out, job.shard.name), table)
    del parts, table
    memory.release()
    return rows


def _signature_batch(
    batch: pa.RecordBatch,
    opts: DedupOptions,
    k: int | None,
    schema: pa.Schema,
    seen: repeats.RepeatCache,
    spill_w: spill.SpillWriter | None,
) -> pa.RecordBatch:
    """One batch's cache rows: computed for new texts, copied for repeated ones."""
    texts = batch.column(1)
    n = batch.num_rows
    digests = repeats.raw_digests(texts)
    todo, source = repeats.plan(digests, seen)
    sub = texts if len(todo) == n else texts.take(pa.array(todo))
    cps, nulls_sub = prepare(sub, opts.shingle.normalize)
    hi_s, lo_s = exact_hashes(cps)
    chars = _int32_values(pc.utf8_length(sub).cast(pa.int32()))  # int64 for large_string
    hi = np.zeros(n, np.uint64)
    lo = np.zeros(n, np.uint64)
    n_chars = np.zeros(n, np.int64)
    n_sh = np.zeros(n, np.int64)
    nulls = np.zeros(n, bool)
    hi[todo], lo[todo] = hi_s, lo_s
    n_chars[todo] = np.where(nulls_sub, 0, chars)
    nulls[todo] = nulls_sub
    sig = None
    if k is not None:
        hashes, doc = shingle_hashes(cps, opts.shingle)
        cnt = np.bincount(doc, minlength=len(todo)).astype(np.int64)
        cnt[nulls_sub] = 0
        n_sh[todo] = cnt
        sig = np.empty((n, k), np.uint32)
        sig[todo] = signatures(hashes, doc, len(todo), k)
        if spill_w is not None:
            spill_w.add(hashes, doc, todo, n)
    rep = np.flatnonzero(source >= 0)  # repeats of a row computed in this batch
    if len(rep):
        src = source[rep]
        hi[rep], lo[rep], n_chars[rep], n_sh[rep] = hi[src], lo[src], n_chars[src], n_sh[src]
        if sig is not None:
            sig[rep] = sig[src]
    for i in np.flatnonzero(source == -2).tolist():  # repeats of an earlier batch
        digest = digests[i]
        assert digest is not None  # -2 marks a digest seen in an earlier batch
        hi[i], lo[i], n_chars[i], n_sh[i], row = seen.rows[digest]
        if sig is not None:
            sig[i] = row
    if not seen.full():
        for i in todo.tolist():
            d = digests[i]
            if d is not None:
                seen.rows[d] = (
                    int(hi[i]),
                    int(lo[i]),
                    int(n_chars[i]),
                    int(n_sh[i]),
                    None if sig is None else sig[i].copy(),
                )
    cols: list[pa.Array] = [
        batch.column(0).cast(pa.string()),
        pa.array(nulls, pa.bool_()),
        pa.array(hi, pa.uint64()),
        pa.array(lo, pa.uint64()),
        pa.array(n_chars, pa.int64()),
        pa.array(n_sh, pa.int64()),
    ]
    if sig is not None:
        cols.append(pa.FixedSizeListArray.from_arrays(pa.array(sig.ravel(), pa.uint32()), k))
    return pa.RecordBatch.from_arrays(cols, schema=schema)


def _int32_values(arr: pa.Array) -> np.ndarray:
    """An int32 array's values (anything under a null), without pyarrow's pandas-backed
    `to_numpy(zero_copy_only=False)`: that imports pandas, half a second per process."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    buf = arr.buffers()[1]
    if buf is None:
        return np.zeros(len(arr), np.int32)
    return np.frombuffer(buf, dtype=np.int32, count=arr.offset + len(arr))[arr.offset :]


def signatures_stage(
    ds: Dataset,
    against: str | None,
    options: DedupOptions,
    sig_dir: Location,
    work: Location,
    executor: Any,
    console: Any,
) -> tuple[list[Collection], int]:
    """Stage 1: the signature files of the input (cached in `sig_dir`) and of `against`.

    Returns the collections in global order (`--against` first, so `first` always
    keeps its documents) and how many of the input's shards were computed (0 when the
    cache held them all). The shingle hashes are spilled for verification only to a
    local work folder: in an object store, uploading and downloading them again would
    cost about what recomputing the candidates' sets does, and verification's reads
    are memory-mapped slices.
    """
    spill_dir = _spill_dir(work, "shingles")
    files, computed = _signatures(
        ds, sig_dir, options, executor, console, "dedup: signatures", spill_dir
    )
    meta = cache.read_meta(sig_dir) or {}
    meta["shards_order"] = [s.name for s in ds.shards]
    cache.write_meta(sig_dir, meta)
    colls: list[Collection] = []
    if against is not None:
        colls.append(_against_collection(against, options, work, executor, console))
    colls.append(
        Collection(
            "input", ds, sig_dir, files, [], [None] * len(files), ds.shards, spill_dir=spill_dir
        )
    )
    return colls, computed


def _spill_dir(work: Location, name: str) -> Path | None:
    return Path(work) / name if workfiles.is_local(work) else None


def _identity(ds: Dataset) -> dict[str, Any]:
    """What the cache's signatures were computed from: a local input also by its real
    path (and a bare one by its files' times), so a moved or edited folder is not reused."""
    ident = input_identity(ds)
    if is_remote(ds.location):
        return ident  # a bare object is identified by its name, rows and size
    ident["location"] = str(Path(ds.location).resolve())
    if ds.is_bare:
        ident["mtimes"] = [Path(s.path).stat().st_mtime_ns for s in ds.shards]
    return ident


def _signatures(
    coll_ds: Dataset,
    sig_dir: Location,
    options: DedupOptions,
    executor: Any,
    console: Any,
    label: str,
    spill_dir: Path | None = None,
) -> tuple[list[Location], int]:
    """Signature files of every shard (computing the missing ones); and how many were.

    With `spill_dir` (and a corpus small enough, `spill.fits`) the computed shards'
    shingle hashes are kept there for verification.
    """
    valid = cache.prepare_folder(sig_dir, options.spec(), _identity(coll_ds))
    run_token = f"{os.getpid()}-{time.time_ns()}"
    if spill_dir is not None and not spill.fits(coll_ds.bytes):
        spill_dir = None
    jobs = [
        SigJob(s, coll_ds.schema, sig_dir, options, spill_dir, run_token)
        for s in coll_ds.shards
        if workfiles.name_of(cache.shard_file(sig_dir, s.name)) not in valid
    ]
    if jobs:
        run_stage_units(executor, signature_unit, jobs, console, label)
    return [cache.shard_file(sig_dir, s.name) for s in coll_ds.shards], len(jobs)


def _against_collection(
    against: str,
    options: DedupOptions,
    work: Location,
    executor: Any,
    console: Any,
) -> Collection:
    """The `--against` dataset's documents: from its own signature cache (wherever it
    is) when that covers every one of them, else computed into this run's work folder."""
    ads = open_dataset(against)
    check_core(ads.schema, where=ads.location)
    ids = pa.concat_arrays(
        [
            b.column(0).cast(pa.string())
            for b in ads.iter_batches(columns=["id"], batch_size=100_000)
        ]
        or [pa.array([], pa.string())]
    )
    their = workfiles.child(workfiles.child(ads.location, cache.CACHE), cache.SIGNATURES)
    local_file = workfiles.is_local(ads.location) and not Path(ads.location).is_dir()
    meta = None if local_file else cache.read_meta(their)
    if meta is not None and cache.check_compatible(against, meta, options.spec()):
        present = cache.complete_files(their)
        order = [cache.shard_file(their, n) for n in meta.get("shards_order", [])]
        files = [f for f in order if workfiles.name_of(f) in present] or [
            workfiles.child(their, n) for n in present
        ]
        select: list[np.ndarray | None] = []
        covered = 0
        for f in files:
            fid = cache.read_table(f, ["id"]).column("id")
            mask = pc.is_in(fid, value_set=ids).to_numpy(zero_copy_only=False)
            select.append(np.flatnonzero(mask))
            covered += int(mask.sum())
        if covered == len(ids):
            c = Collection(f"--against {against}", ads, their, files, [], select, ads.shards)
            c.reused = True
            return c
    sig_dir = workfiles.child(work, "against")
    spill_dir = _spill_dir(work, "shingles-against")
    files, _ = _signatures(
        ads, sig_dir, options, executor, console, "dedup: signatures (against)", spill_dir
    )
    return Collection(
        f"--against {against}",
        ads,
        sig_dir,
        files,
        [],
        [None] * len(files),
        ads.shards,
        spill_dir=spill_dir,
    )
