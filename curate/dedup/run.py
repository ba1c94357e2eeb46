"""`curate dedup`: exact and MinHash-LSH near-duplicate removal, staged over files.

Stages (DESIGN.md §3), each a map over files through the executor:

1. **signatures** (per shard): normalised-text hash, shingle count and a K-value
   MinHash signature per document, vectorised over batches; cached in
   `<output>/_cache/signatures/` and reused by reruns and by `--against`.
2. **exact groups** (in the parent, 16 bytes a document): documents with equal
   normalised-text hashes; only the first of each group is banded.
3. **bands** (per shard): one hash per band, written band-major to disk.
4. **candidates** (per band): equal band hashes → candidate pairs.
5. **verify** (per shard holding candidates): the true Jaccard of the two shingle
   sets (or the signature estimate), so banding false positives remove nothing.
6. **components**: union-find over exact and verified near pairs; the keep policy
   picks one document per cluster.
7. **filter** (per shard, `curate.step.run_map`): output shard k from input shard k.

Stages 4-6 hold only candidate pairs and candidate documents in memory. Global
document order (manifest shard order, then row order) decides every tie, so the
result does not depend on worker count or on which shard finished first.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curate.dataset import Dataset, DatasetWriter, Shard, open_dataset, write_table_dataset
from curate.dedup import cache, jaccard, memory, repeats, spill
from curate.dedup import partitioned_components as pcomp
from curate.dedup.components import components
from curate.dedup.jaccard import pair_jaccard
from curate.dedup.minhash import band_hashes, estimate_jaccard, optimal_bands, signatures
from curate.dedup.partitioned_components import (
    choose_components,
    partitioned_components,
    write_edges,
)
from curate.dedup.shingles import (
    HASH_SCHEME,
    ShingleConfig,
    exact_hashes,
    prepare,
    shingle_hashes,
    shingle_sets,
)
from curate.dedup.text import parse_normalize
from curate.errors import CurateError
from curate.executor import (
    Executor,
    UnitFailed,
    default_workers,
    describe,
    make_executor,
    report,
)
from curate.locations import check_locations, dataset_inputs
from curate.progress import StepProgress, human_bytes, summary_table
from curate.schema import check_core
from curate.step import BatchOutput, MapResult, input_identity, run_map
from curate.storage import is_remote

SIG_BATCH = 1024  # larger batches measured slower (fresh 50 MB arrays: page faults)
VERIFY_CHUNK = 256  # candidate pairs per vectorised Jaccard (see _verify_unjoined)
MIN_PAIRS_A_THREAD = 32  # below this a chunk's Jaccard stays on one thread
WINDOW = 16  # a bucket member is paired with up to this many earlier members
VERIFY_CHOICES = ("exact", "estimate", "none")
SHINGLE_CHOICES = ("word", "char")
# With verification a false positive costs only a Jaccard computation, a false
# negative costs a duplicate left in: weight the optimiser accordingly.
WEIGHTS_VERIFIED = (0.05, 0.95)
WEIGHTS_UNVERIFIED = (0.5, 0.5)


# --------------------------------------------------------------------------- options


CLUSTERS_SHARD = "part-00000.parquet"  # the clusters dataset's one shard


@dataclass(frozen=True)
class DedupOptions:
    """Every option of `curate dedup` that changes its output."""

    exact_only: bool = False
    threshold: float = 0.8
    shingle: ShingleConfig = field(default_factory=ShingleConfig)
    num_perm: int = 128
    bands: int = 16
    rows: int = 8
    verify: str = "exact"
    keep: str = "first"

    def params(self) -> dict[str, Any]:
        if self.exact_only:
            return {
                "exact": True,
                "normalize": list(self.shingle.normalize),
                "keep": self.keep,
            }
        return {
            "exact": False,
            "threshold": self.threshold,
            **self.shingle.to_json(),
            "num_perm": self.num_perm,
            "bands": self.bands,
            "rows": self.rows,
            "verify": self.verify,
            "keep": self.keep,
            "scheme": HASH_SCHEME,
        }

    def spec(self) -> cache.SignatureSpec:
        return cache.SignatureSpec(
            self.shingle.to_json(), None if self.exact_only else self.num_perm, HASH_SCHEME
        )


def make_options(
    *,
    exact: bool = False,
    threshold: float | None = None,
    ngram: int | None = None,
    num_perm: int | None = None,
    bands: int | None = None,
    rows: int | None = None,
    verify: str | None = None,
    keep: str = "first",
    normalize: str | None = None,
    shingle: str | None = None,
) -> DedupOptions:
    """Check option combinations (exit 2 with the fix) and fill in the defaults."""
    steps = parse_normalize(normalize)
    if exact:
        given = [
            name
            for name, v in (
                ("--threshold", threshold),
                ("--ngram", ngram),
                ("--num-perm", num_perm),
                ("--bands", bands),
                ("--rows", rows),
                ("--verify", verify),
                ("--shingle", shingle),
            )
            if v is not None
        ]
        if given:
            raise CurateError(
                f"--exact removes exact duplicates only, so {given[0]} has no effect; "
                f"drop {given[0]}, or drop --exact to remove near duplicates too"
            )
        return DedupOptions(exact_only=True, shingle=ShingleConfig(normalize=steps), keep=keep)
    threshold = 0.8 if threshold is None else threshold
    if not 0.0 < threshold <= 1.0:
        raise CurateError(
            f"--threshold {threshold}: a Jaccard similarity must be in (0, 1]; e.g. 0.8"
        )
    shingle = shingle or "word"
    if shingle not in SHINGLE_CHOICES:
        raise CurateError(f"--shingle {shingle}: choose one of {', '.join(SHINGLE_CHOICES)}")
    ngram = 5 if ngram is None else ngram
    if ngram < 1:
        raise CurateError(f"--ngram {ngram}: shingles need at least 1 token; e.g. --ngram 5")
    verify = verify or "exact"
    if verify not in VERIFY_CHOICES:
        raise CurateError(f"--verify {verify}: choose one of {', '.join(VERIFY_CHOICES)}")
    if (bands is None) != (rows is None):
        raise CurateError(
            "--bands and --rows go together (b bands of r rows); give both, or neither to "
            "let curate choose them from --threshold"
        )
    if num_perm is None:
        num_perm = max(128, bands * rows) if bands and rows else 128
    if not 2 <= num_perm <= 4096:
        raise CurateError(f"--num-perm {num_perm}: use a value from 2 to 4096 (e.g. 128)")
    if bands is not None and rows is not None:
        if bands < 1 or rows < 1:
            raise CurateError("--bands and --rows must be at least 1")
        if bands * rows > num_perm:
            raise CurateError(
                f"--bands {bands} --rows {rows} need {bands * rows} signature values but "
                f"--num-perm is {num_perm}; raise --num-perm to at least {bands * rows}"
            )
    else:
        weights = WEIGHTS_UNVERIFIED if verify == "none" else WEIGHTS_VERIFIED
        bands, rows = optimal_bands(threshold, num_perm, *weights)
    cfg = ShingleConfig(shingle=shingle, ngram=ngram, normalize=steps)
    return DedupOptions(
        exact_only=False,
        threshold=threshold,
        shingle=cfg,
        num_perm=num_perm,
        bands=bands,
        rows=rows,
        verify=verify,
        keep=keep,
    )


# --------------------------------------------------------------------------- stage 1


@dataclass(frozen=True)
class SigJob:
    shard: Shard
    schema: pa.Schema
    out: Path
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
    cache.write_table(cache.shard_file(job.out, job.shard.name), table)
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
        hi[i], lo[i], n_chars[i], n_sh[i], row = seen.rows[digests[i]]
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


def _id_hashes(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of every id (a look-up key only: matches are compared as strings)."""
    return pl.Series(ids.cast(pa.string())).hash(seed=_ID_SEED).to_numpy()


_ID_SEED = 0x1D5


def _lookup(hashes: np.ndarray, keys: pa.Array | pa.ChunkedArray, ids: pa.Array) -> np.ndarray:
    """Position in `keys` (sorted by `hashes`) of every id, or -1 where it is not there."""
    h = _id_hashes(ids)
    pos = np.searchsorted(hashes, h)
    inside = pos < len(hashes)
    pos[~inside] = 0
    cand = np.flatnonzero(inside & (hashes[pos] == h))
    out = np.full(len(h), -1, dtype=np.int64)
    if not len(cand):
        return out
    same = pc.equal(keys.take(pa.array(pos[cand])), ids.take(pa.array(cand)))
    ok = same.to_numpy(zero_copy_only=False)
    out[cand[ok]] = pos[cand[ok]]
    for i in cand[~ok].tolist():  # two ids with one hash (~2^-64 a pair): look further
        p = int(pos[i]) + 1
        while p < len(hashes) and hashes[p] == h[i]:
            if keys[p].as_py() == ids[i].as_py():
                out[i] = p
                break
            p += 1
    return out


# --------------------------------------------------------------------------- stage 3 and 4


@dataclass(frozen=True)
class BandJob:
    sig_file: Path
    out: Path
    rows_index: np.ndarray  # file rows to band (exact representatives with shingles)
    gidx: np.ndarray  # their global indices
    bands: int
    rows: int


def band_unit(job: BandJob) -> int:
    """Band hashes of one shard's documents to `out`: a raw uint64 [bands + 1, n] file.

    Band-major, so a band is one contiguous read; the last row is the documents'
    global indices. Raw, not `.npy`: the candidates stage reads a band of every file
    (bands x shards reads), and parsing a `.npy` header each time was most of that
    stage on a small input.
    """
    table = cache.read_table(job.sig_file, ["sig"])
    sig = cache.sig_matrix(table, job.rows_index)
    bh = band_hashes(sig, job.bands, job.rows)
    with open(job.out, "wb") as fh:
        memory.write_array(fh, bh.T)
        memory.write_array(fh, job.gidx.astype(np.int64))
    report(docs=len(job.rows_index))
    return len(job.rows_index)


@dataclass(frozen=True)
class PairJob:
    band: int
    bands: int
    files: tuple[tuple[Path, int], ...]  # band files and their document counts


def pair_unit(job: PairJob) -> np.ndarray:
    """Candidate pairs of one band: documents with equal band hashes (int64 [m, 2])."""
    hs, gs = [], []
    for f, n in job.files:
        if n == 0:
            continue
        with open(f, "rb") as fh:
            fh.seek(job.band * n * 8)
            h = np.fromfile(fh, dtype=np.uint64, count=n)
            fh.seek(job.bands * n * 8)
            g = np.fromfile(fh, dtype=np.int64, count=n)
        if len(h) != n or len(g) != n:  # fromfile reads short silently
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


# --------------------------------------------------------------------------- stage 5


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


# --------------------------------------------------------------------------- the filter pass


@dataclass(frozen=True)
class DedupFilter:
    """The map step that drops the documents the global stages chose to remove."""

    options: DedupOptions
    removed_path: str
    against: str | None = None
    name: str = "dedup"

    def params(self) -> dict[str, Any]:
        return {**self.options.params(), "against": self.against}

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        return schema

    def rejected_schema(self, schema: pa.Schema) -> pa.Schema:
        extra = [f for f in (pa.field("dup_of", pa.string()), pa.field("dup_reason", pa.string()))]
        base = pa.schema([f for f in schema if f.name not in ("dup_of", "dup_reason")])
        for f in extra:
            base = base.append(f)
        return base

    def _removed(self) -> tuple[np.ndarray, pa.Table]:
        """The removed documents sorted by a 64-bit hash of their id, and those hashes.

        Read once per process. A batch's ids are looked up by hash with one
        `searchsorted` and then compared as strings, so nothing is rebuilt per batch:
        `pc.is_in` builds a hash table of its value set on every call, 0.27 s a batch
        of 10,000 against a million removed ids (quadratic in the corpus).
        """
        cached = getattr(self, "_cache_removed", None)
        if cached is None:
            t = pq.ParquetFile(self.removed_path).read()  # (read_table imports pyarrow.dataset)
            t = t.select(["id", "dup_of", "dup_reason"]).combine_chunks()
            h = _id_hashes(t.column("id"))
            order = np.argsort(h, kind="stable")
            cached = (h[order], t.take(pa.array(order)))
            object.__setattr__(self, "_cache_removed", cached)
        return cached

    def process(self, table: pa.Table) -> BatchOutput:
        hashes, removed = self._removed()
        if not len(hashes):
            return BatchOutput(table, table.slice(0, 0), {}, {})
        ids = table.column("id").cast(pa.string()).combine_chunks()
        pos = _lookup(hashes, removed.column("id"), ids)
        hit = pos >= 0
        mask = pa.array(hit)
        kept = table.filter(pc.invert(mask))
        rej = table.filter(mask)
        if "dup_of" in rej.column_names:
            rej = rej.drop_columns([c for c in ("dup_of", "dup_reason") if c in rej.column_names])
        which = pa.array(pos[hit])
        reasons = removed.column("dup_reason").take(which)
        rej = rej.append_column("dup_of", removed.column("dup_of").take(which).cast(pa.string()))
        rej = rej.append_column("dup_reason", reasons.cast(pa.string()))
        counts = Counter(reasons.to_pylist())
        return BatchOutput(kept, rej, dict(counts), {})

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_cache_removed", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)


# --------------------------------------------------------------------------- orchestration


@dataclass
class DedupResult:
    """What `dedup` did, for the summary table and the caller."""

    map: MapResult
    facts: dict[str, Any]
    stage_seconds: dict[str, float]

    @property
    def up_to_date(self) -> bool:
        return self.map.up_to_date

    def summary_rows(self) -> list[tuple[str, str]]:
        m = self.map
        rows = [("documents in", f"{m.rows_in:,}"), ("documents out", f"{m.rows_out:,}")]
        for reason, n in sorted(m.removed.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append((f"removed: {reason}", f"{n:,}"))
        f = self.facts
        for key in (
            "clusters",
            "documents_in_clusters",
            "exact_pairs",
            "candidate_pairs",
            "checked_pairs",
            "verified_pairs",
            "against_documents",
        ):
            if key in f:
                rows.append((key.replace("_", " "), f"{f[key]:,}"))
        if "bands" in f:
            rows.append(("bands x rows", f"{f['bands']} x {f['rows']} of {f['num_perm']}"))
        if f.get("null_text"):
            rows.append(("null text (kept)", f"{f['null_text']:,}"))
        if m.dataset is not None:
            rows.append(("bytes out", human_bytes(m.dataset.bytes)))
        for stage, s in self.stage_seconds.items():
            rows.append((f"time: {stage}", f"{s:.1f} s"))
        rows.append(("time", f"{m.seconds:.1f} s"))
        return rows


@dataclass
class _Collection:
    """The documents of one dataset as the global stages see them."""

    label: str  # "input" or "--against PATH"
    ds: Dataset
    sig_dir: Path
    files: list[Path]  # signature file per unit, in order
    base: list[int]  # global index of each file's first row
    select: list[np.ndarray | None]  # rows of each file that belong (None: all)
    shards_for_text: list[Shard]  # where verification reads text
    start: int = 0  # global index range [start, end)
    end: int = 0
    reused: bool = False  # signatures came from the dataset's own cache
    spill_dir: Path | None = None  # shingle hashes kept by the signature pass (some files)


def _identity(ds: Dataset) -> dict[str, Any]:
    ident = input_identity(ds)
    if is_remote(ds.location):
        return ident  # a bare object is identified by its name, rows and size
    ident["location"] = str(Path(ds.location).resolve())
    if ds.is_bare:
        ident["mtimes"] = [Path(s.path).stat().st_mtime_ns for s in ds.shards]
    return ident


def _progress(console: Any, label: str, units: int, unit_name: str = "shards") -> StepProgress:
    from rich.console import Console

    con = console or Console(stderr=True, quiet=True)
    return StepProgress(con, label=label, units=units, unit_name=unit_name)


def _run_units(
    executor: Any, fn: Any, jobs: list[Any], console: Any, label: str, unit_name: str = "shards"
) -> list[Any]:
    """Run jobs through the executor with a progress bar; results in job order."""
    results: dict[int, Any] = {}
    index = {id(j): i for i, j in enumerate(jobs)}  # the executor yields our own job objects
    with _progress(console, label, len(jobs), unit_name) as progress:
        for job, res in executor.map_unordered(fn, jobs, on_progress=progress.tick):
            if isinstance(res, UnitFailed):
                raise _unit_failed(label, res)
            results[index[id(job)]] = res
            progress.unit_done()
    return [results[i] for i in range(len(jobs))]


def _unit_failed(label: str, res: UnitFailed) -> CurateError:
    """The one-line error for a stage whose unit crashed its worker on every attempt."""
    return CurateError(
        f"{label}: {describe(res.unit)}: {res.error}; re-run the same command to resume"
    )


def _stream_units(executor: Any, fn: Any, jobs: list[Any], console: Any, label: str) -> Any:
    """Like `_run_units`, but yield (job index, result) as each unit finishes."""
    index = {id(j): i for i, j in enumerate(jobs)}
    with _progress(console, label, len(jobs)) as progress:
        for job, res in executor.map_unordered(fn, jobs, on_progress=progress.tick):
            if isinstance(res, UnitFailed):
                raise _unit_failed(label, res)
            progress.unit_done()
            yield index[id(job)], res


def _signatures(
    coll_ds: Dataset,
    sig_dir: Path,
    options: DedupOptions,
    executor: Any,
    console: Any,
    label: str,
    spill_dir: Path | None = None,
) -> tuple[list[Path], int]:
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
        if cache.shard_file(sig_dir, s.name).name not in valid
    ]
    if jobs:
        _run_units(executor, signature_unit, jobs, console, label)
    return [cache.shard_file(sig_dir, s.name) for s in coll_ds.shards], len(jobs)


def _against_collection(
    against: str,
    options: DedupOptions,
    work: Path,
    executor: Any,
    console: Any,
) -> _Collection:
    ads = open_dataset(against)
    check_core(ads.schema, where=ads.location)
    ids = pa.concat_arrays(
        [
            b.column(0).cast(pa.string())
            for b in ads.iter_batches(columns=["id"], batch_size=100_000)
        ]
        or [pa.array([], pa.string())]
    )
    their = Path(ads.location) / cache.CACHE / cache.SIGNATURES
    meta = cache.read_meta(their) if Path(ads.location).is_dir() else None
    if meta is not None and cache.check_compatible(against, meta, options.spec()):
        files = sorted(their.glob("*.arrow"), key=lambda p: p.name)
        order = [cache.shard_file(their, n) for n in meta.get("shards_order", [])]
        files = [f for f in order if f.exists()] or files
        select: list[np.ndarray | None] = []
        covered = 0
        for f in files:
            fid = cache.read_table(f, ["id"]).column("id")
            mask = pc.is_in(fid, value_set=ids).to_numpy(zero_copy_only=False)
            select.append(np.flatnonzero(mask))
            covered += int(mask.sum())
        if covered == len(ids):
            c = _Collection(f"--against {against}", ads, their, files, [], select, ads.shards)
            c.reused = True
            return c
    sig_dir = work / "against"
    spill_dir = work / "shingles-against"
    files, _ = _signatures(
        ads, sig_dir, options, executor, console, "dedup: signatures (against)", spill_dir
    )
    return _Collection(
        f"--against {against}",
        ads,
        sig_dir,
        files,
        [],
        [None] * len(files),
        ads.shards,
        spill_dir=spill_dir,
    )


def dedup(
    source: str | Path,
    output: str | Path,
    *,
    options: DedupOptions,
    rejected: str | Path | None = None,
    clusters: str | Path | None = None,
    against: str | Path | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    overwrite: bool = False,
    console: Any = None,
) -> DedupResult:
    """Remove exact and near duplicates from the dataset at `source`, writing `output`."""
    t0 = time.monotonic()
    ds = open_dataset(source)
    check_core(ds.schema, where=ds.location)
    out = str(output)
    # signatures and stage files: the output's `_cache/` where every worker can read it;
    # for an output in an object store, a scratch folder of this machine (not kept)
    scratch = Path(tempfile.mkdtemp(prefix="curate-dedup-")) if is_remote(out) else None
    cache_root = scratch if scratch is not None else Path(out) / cache.CACHE
    inputs = dataset_inputs(ds.location, [s.path for s in ds.shards])
    if against is not None:
        ads = open_dataset(against)
        inputs += [
            ("--against dataset", p)
            for _, p in dataset_inputs(ads.location, [s.path for s in ads.shards])
        ]
    check_locations({"-o": out, "--rejected": rejected, "--clusters": clusters}, inputs)
    keep_col = _check_keep(options.keep, ds)
    step = DedupFilter(
        options,
        str(cache_root / "run" / "removed.parquet"),
        str(against) if against is not None else None,
    )
    params = {
        **step.params(),
        "input": input_identity(ds),
        "rejected": str(rejected) if rejected else None,
    }
    with contextlib.ExitStack() as held:  # the outputs' locks, released however it ends
        if scratch is not None:
            held.callback(shutil.rmtree, scratch, ignore_errors=True)
        names = [s.name for s in ds.shards]
        main = DatasetWriter(
            out,
            step="dedup",
            params=params,
            overwrite=overwrite,
            owns=[cache.CACHE, *names],
            # the signature cache depends only on the input and the shingling, which its own
            # metadata checks: --overwrite keeps it
            preserve=[cache.CACHE],
        )
        held.enter_context(main)
        state = main.begin()  # marks the output ours before the stages write `_cache/` into it
        # claim every output before the work, so a clash is reported before, not after, it
        # (and a lock a killed run left in one of them is taken over, then released)
        for folder, role, owns in (
            (rejected, "dedup-rejected", names),
            (clusters, "dedup-clusters", [CLUSTERS_SHARD]),
        ):
            if folder is not None:
                claim = DatasetWriter(
                    folder,
                    step=role,
                    params=params,
                    overwrite=overwrite,
                    owns=owns,
                    command="dedup",
                )
                held.enter_context(claim)
                claimed = claim.begin()
                if state.up_to_date and not claimed.up_to_date:
                    raise CurateError(
                        f"{out}: is complete but its {role.split('-')[1]} dataset {folder} is "
                        "not; re-run with --overwrite to write both again"
                    )
        if state.up_to_date:
            res = run_map(step, ds, out, rejected=rejected, workers=1, console=console)
            return DedupResult(res, {}, {})
        docs, stored = ds.rows, ds.bytes
        if against is not None:
            more_docs, more_stored = _size_of(against)
            docs, stored = docs + more_docs, stored + more_stored
        # small inputs: threads of this process (their NumPy work releases the GIL), not
        # worker processes whose imports would cost more than the parallelism saves
        executor = (executor or make_executor(workers)).for_input(docs, stored)
        times: dict[str, float] = {}
        work = cache_root / "run"
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)

        # 1. signatures of the input (cached) and of --against
        t = time.monotonic()
        sig_dir = cache_root / cache.SIGNATURES
        spill_dir = work / "shingles"
        files, computed = _signatures(
            ds, sig_dir, options, executor, console, "dedup: signatures", spill_dir
        )
        meta = cache.read_meta(sig_dir) or {}
        meta["shards_order"] = [s.name for s in ds.shards]
        cache.write_meta(sig_dir, meta)
        colls: list[_Collection] = []
        if against is not None:
            colls.append(_against_collection(str(against), options, work, executor, console))
        colls.append(
            _Collection(
                "input", ds, sig_dir, files, [], [None] * len(files), ds.shards, spill_dir=spill_dir
            )
        )
        times["signatures"] = time.monotonic() - t

        # global index: --against documents first, so `first` always keeps theirs
        t = time.monotonic()
        g = 0
        hi, lo, nulls, nsh, nchars = [], [], [], [], []
        for c in colls:
            c.base = []
            c.start = g
            for f, sel in zip(c.files, c.select, strict=True):
                tab = cache.read_table(f, ["null_text", "xh_hi", "xh_lo", "n_shingles", "n_chars"])
                if sel is not None:
                    tab = tab.take(pa.array(sel))
                c.base.append(g)
                g += tab.num_rows
                hi.append(tab.column("xh_hi").to_numpy())
                lo.append(tab.column("xh_lo").to_numpy())
                nulls.append(tab.column("null_text").to_numpy(zero_copy_only=False))
                nsh.append(tab.column("n_shingles").to_numpy())
                nchars.append(tab.column("n_chars").to_numpy())
            c.end = g
        total = g
        n_against = colls[0].end if against is not None else 0
        _check_unique_ids(colls[-1])
        hi_a, lo_a = (
            np.concatenate(hi or [[]]).astype(np.uint64),
            np.concatenate(lo or [[]]).astype(np.uint64),
        )
        null_a = np.concatenate(nulls or [[]]).astype(bool)
        nsh_a = np.concatenate(nsh or [[]]).astype(np.int64)
        nchars_a = np.concatenate(nchars or [[]]).astype(np.int64)

        # 2. exact groups: every member → the first of its group
        gidx = np.arange(total, dtype=np.int64)
        live = ~null_a
        df = pl.DataFrame({"g": gidx[live], "hi": hi_a[live], "lo": lo_a[live]})
        df = df.with_columns(rep=pl.col("g").min().over(["hi", "lo"]))
        dup = df.filter(pl.col("g") != pl.col("rep"))
        exact_pairs = np.stack([dup["rep"].to_numpy(), dup["g"].to_numpy()], axis=1).astype(
            np.int64
        )
        exact_pairs = exact_pairs[~(exact_pairs[:, 1] < n_against)]  # both --against
        is_rep = np.zeros(total, dtype=bool)
        is_rep[df.filter(pl.col("g") == pl.col("rep"))["g"].to_numpy()] = True
        times["exact"] = time.monotonic() - t

        facts: dict[str, Any] = {
            "exact_pairs": int(len(exact_pairs)),
            "signature_shards_computed": computed,
        }
        if against is not None:
            facts["against_signatures"] = "reused" if colls[0].reused else "computed"
        near_pairs = np.zeros((0, 2), np.int64)
        if not options.exact_only:
            facts.update(bands=options.bands, rows=options.rows, num_perm=options.num_perm)
            # 3. bands
            t = time.monotonic()
            band_dir = work / "bands"
            band_dir.mkdir()
            bjobs = []
            n = 0
            for c in colls:
                for f, base, sel in zip(c.files, c.base, c.select, strict=True):
                    rows_n = len(sel) if sel is not None else _ipc_rows(f)
                    local = np.arange(rows_n)
                    ok = is_rep[base : base + rows_n] & (nsh_a[base : base + rows_n] > 0)
                    file_rows = local[ok] if sel is None else sel[ok]
                    bjobs.append(
                        BandJob(
                            f,
                            band_dir / f"{n:06d}.bands",
                            file_rows,
                            local[ok] + base,
                            options.bands,
                            options.rows,
                        )
                    )
                    n += 1
            # bands and candidates are light NumPy work (16 hashes, 16 sorts a document):
            # starting worker processes for them cost more than they do (measured), but
            # their NumPy calls release the GIL, so threads of this process share them out
            _run_units(executor.light(), band_unit, bjobs, console, "dedup: bands")
            times["bands"] = time.monotonic() - t

            # 4. candidate pairs, band by band
            t = time.monotonic()
            files = tuple((j.out, len(j.rows_index)) for j in bjobs)
            pjobs = [PairJob(b, options.bands, files) for b in range(options.bands)]
            # a band of every document per thread (~50 bytes a document while it sorts):
            # two at a time, so many cores do not multiply this stage's memory
            pairing = executor.light(workers=2)
            got = _run_units(pairing, pair_unit, pjobs, console, "dedup: candidates", "bands")
            cand = np.concatenate(got) if got else np.zeros((0, 2), np.int64)
            if len(cand):
                cand = _unique_pairs(cand)
            cand = cand[~(cand[:, 1] < n_against)]  # pairs inside --against are not our business
            facts["candidate_pairs"] = int(len(cand))
            times["candidates"] = time.monotonic() - t

            # 5. verify
            t = time.monotonic()
            near_pairs = _verify(
                cand, options, colls, executor, console, nsh_a, facts, (hi_a, lo_a)
            )
            facts["verified_pairs"] = int(len(near_pairs))
            times["verify"] = time.monotonic() - t

        # 6. components and the keep policy
        t = time.monotonic()
        nodes, label, facts["components"] = _components(
            exact_pairs, near_pairs, executor, work / "components"
        )
        removed_tab, clusters_tab, cfacts = _decide(
            nodes, label, n_against, options, keep_col, colls, nchars_a, hi_a, lo_a
        )
        facts.update(cfacts)
        facts["null_text"] = int(null_a[n_against:].sum())
        if against is not None:
            facts["against_documents"] = int(n_against)
        pq.write_table(removed_tab, step.removed_path)
        times["components"] = time.monotonic() - t

        # the clusters are committed before the output: see `run_map`
        if clusters is not None:
            write_table_dataset(
                clusters,
                clusters_tab,
                step="dedup-clusters",
                params=params,
                sources=ds.sources,
                lineage_step={
                    "clusters": facts.get("clusters", 0),
                    "rows_out": clusters_tab.num_rows,
                },
                command="dedup",
            )

        # 7. filter pass
        t = time.monotonic()
        extra = {"dedup": {**facts, "stage_seconds": {k: round(v, 2) for k, v in times.items()}}}
        res = run_map(
            step,
            ds,
            out,
            rejected=rejected,
            executor=executor,
            overwrite=False,
            console=console,
            extra_lineage=extra,
        )
        times["filter"] = time.monotonic() - t
        shutil.rmtree(work, ignore_errors=True)
        res.seconds = time.monotonic() - t0
        return DedupResult(res, facts, times)


def _components(
    exact_pairs: np.ndarray, near_pairs: np.ndarray, executor: Executor, work: Path
) -> tuple[np.ndarray, np.ndarray, str]:
    """(nodes, label, how): union-find in memory while the graph fits the driver's
    budget, else the partitioned large-star/small-star rounds as units of the executor
    (the same labels: the smallest index of each component)."""
    n_edges = len(exact_pairs) + len(near_pairs)
    if choose_components(n_edges, memory_budget=pcomp.DRIVER_MEMORY_BUDGET) == "memory":
        pairs = np.concatenate([exact_pairs, near_pairs]) if len(near_pairs) else exact_pairs
        nodes, label = components(pairs)
        return nodes, label, "memory"
    edges = work / "edges"
    edges.mkdir(parents=True, exist_ok=True)
    write_edges(edges / "exact", exact_pairs)
    write_edges(edges / "near", near_pairs)
    labels = partitioned_components(edges, executor, work / "labels")
    nodes, label = labels.read_all()
    return nodes, label, "partitioned"


def _check_unique_ids(c: _Collection) -> None:
    """Removal is by id, so ids must be unique (the dataset contract): check, exit 2."""
    parts = [pl.from_arrow(cache.read_table(f, ["id"]).column("id")) for f in c.files]
    if not parts:
        return
    ids = pl.concat(parts)
    dup = ids.filter(ids.is_duplicated())
    if len(dup):
        raise CurateError(
            f"{c.ds.location}: id `{dup[0]}` appears more than once ({len(dup.unique()):,} "
            "ids repeated); dedup removes documents by id: make ids unique (curate ingest "
            "does) and re-run"
        )


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


def _size_of(spec: str | Path) -> tuple[int, int]:
    """(documents, stored bytes) of a dataset (zeros if it cannot be opened: reported later)."""
    try:
        ds = open_dataset(spec)
    except CurateError:
        return 0, 0
    return ds.rows, ds.bytes


def _file_rows(c: _Collection, i: int) -> int:
    sel = c.select[i]
    return len(sel) if sel is not None else _ipc_rows(c.files[i])


def _ipc_rows(path: Path) -> int:
    with pa.memory_map(str(path), "r") as source:
        reader = pa.ipc.open_file(source)
        return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))


def _check_keep(keep: str, ds: Dataset) -> str | None:
    if keep in ("first", "longest", "none"):
        return None
    if keep not in ds.schema.names:
        raise CurateError(
            f"--keep {keep}: no such column in {ds.location}; use first, longest, none or "
            f"a numeric column ({', '.join(_numeric_columns(ds.schema)) or 'there is none'})"
        )
    t = ds.schema.field(keep).type
    if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)):
        raise CurateError(
            f"--keep {keep}: column is {t}, not a number; keep needs a numeric column "
            "(the highest value survives), e.g. a quality score"
        )
    return keep


def _numeric_columns(schema: pa.Schema) -> list[str]:
    return [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)]


def _locate(colls: list[_Collection], g: np.ndarray) -> list[tuple[_Collection, int, np.ndarray]]:
    """Split global indices by (collection, file): [(coll, file index, local positions)]."""
    out = []
    for c in colls:
        for i, base in enumerate(c.base):
            end = base + _file_rows(c, i)
            m = (g >= base) & (g < end)
            if m.any():
                out.append((c, i, np.flatnonzero(m)))
    return out


def _ids_of(colls: list[_Collection], g: np.ndarray) -> np.ndarray:
    """The `id` of every global index in g (object array)."""
    ids = np.empty(len(g), dtype=object)
    for c, i, pos in _locate(colls, g):
        local = g[pos] - c.base[i]
        rows = local if c.select[i] is None else c.select[i][local]
        col = cache.read_table(c.files[i], ["id"]).column("id")
        ids[pos] = col.take(pa.array(rows)).to_pylist()
    return ids


def _verify(
    cand: np.ndarray,
    options: DedupOptions,
    colls: list[_Collection],
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
    for c, i, pos in _locate(colls, nodes):
        local = nodes[pos] - c.base[i]
        rows = local if c.select[i] is None else c.select[i][local]
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
    colls: list[_Collection],
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
        for c, i, pos in _locate(colls, targets):
            stem = c.files[i].stem
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
    ids = _ids_of(colls, want_nodes)
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
    for i, (got_ids, hh, oo) in _stream_units(executor, set_unit, jobs, console, "dedup: verify"):
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
    colls: list[_Collection],
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
    for c, i, pos in _locate(colls, maybe):
        stem = c.files[i].stem
        if c.select[i] is None and spill.stored(c.spill_dir, stem):
            assert c.spill_dir is not None
            ok[pos] = spill.stored_mask(c.spill_dir, stem)[maybe[pos] - c.base[i]]
    maybe = maybe[ok]
    df_have = pl.DataFrame({"hi": hi[maybe], "lo": lo[maybe], "g": maybe})
    j = df_want.join(df_have, on=["hi", "lo"]).group_by("pos").agg(pl.col("g").min())
    return j["g"].to_numpy().astype(np.int64), j["pos"].to_numpy().astype(np.int64)


def _decide(
    nodes: np.ndarray,
    label: np.ndarray,
    n_against: int,
    options: DedupOptions,
    keep_col: str | None,
    colls: list[_Collection],
    nchars: np.ndarray,
    hi: np.ndarray,
    lo: np.ndarray,
) -> tuple[pa.Table, pa.Table, dict[str, Any]]:
    """Pick the survivor of every cluster; the removed table and the clusters table."""
    empty_removed = pa.table(
        {
            "id": pa.array([], pa.string()),
            "dup_of": pa.array([], pa.string()),
            "dup_reason": pa.array([], pa.string()),
        }
    )
    cl_schema = pa.schema(
        [
            pa.field("id", pa.string()),
            pa.field("cluster", pa.string()),
            pa.field("kept", pa.bool_()),
        ]
    )
    if not len(nodes):
        return empty_removed, cl_schema.empty_table(), {"clusters": 0, "documents_in_clusters": 0}
    ids = _ids_of(colls, nodes)
    score = np.zeros(len(nodes), dtype=np.float64)
    if options.keep == "longest":
        score = nchars[nodes].astype(np.float64)
    elif keep_col is not None:
        score = _column_values(colls[-1], nodes, keep_col)
    # order inside a cluster: --against first, then highest score, then earliest
    is_against = nodes < n_against
    order = np.lexsort((nodes, -score, ~is_against, label))
    lab_sorted = label[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = lab_sorted[1:] != lab_sorted[:-1]
    keeper_of_label = dict(zip(lab_sorted[first].tolist(), order[first].tolist(), strict=True))
    keeper_pos = np.array([keeper_of_label[lb] for lb in label.tolist()], dtype=np.int64)
    kept = np.arange(len(nodes)) == keeper_pos
    cluster_has_against = np.zeros(len(nodes), dtype=bool)
    if n_against:
        ag_labels = set(label[is_against].tolist())
        cluster_has_against = np.array([lb in ag_labels for lb in label.tolist()])
    if options.keep == "none":
        kept = np.zeros(len(nodes), dtype=bool)
    kept &= ~is_against  # --against documents are not in the output either way
    # cluster name: the smallest id of the cluster
    id_df = pl.DataFrame({"label": label, "id": ids.tolist()})
    cluster_id = id_df.with_columns(c=pl.col("id").min().over("label"))["c"].to_list()
    dup_of = ids[keeper_pos]
    if options.keep == "none":
        dup_of = np.where(cluster_has_against, dup_of, None)
    same = (hi[nodes] == hi[nodes[keeper_pos]]) & (lo[nodes] == lo[nodes[keeper_pos]])
    if options.keep == "none":
        key = pl.DataFrame({"label": label, "hi": hi[nodes], "lo": lo[nodes]})
        same = key.select(pl.len().over(["label", "hi", "lo"]) > 1).to_series().to_numpy()
    reason = np.where(same, "exact_duplicate", "near_duplicate")
    mine = ~is_against
    removed = mine & ~kept
    removed_tab = pa.table(
        {
            "id": pa.array(ids[removed].tolist(), pa.string()),
            "dup_of": pa.array(dup_of[removed].tolist(), pa.string()),
            "dup_reason": pa.array(reason[removed].tolist(), pa.string()),
        }
    )
    clusters_tab = pa.table(
        {
            "id": pa.array(ids[mine].tolist(), pa.string()),
            "cluster": pa.array(np.array(cluster_id, dtype=object)[mine].tolist(), pa.string()),
            "kept": pa.array(kept[mine].tolist(), pa.bool_()),
        },
        schema=cl_schema,
    )
    facts = {
        "clusters": int(len(np.unique(label[mine]))),
        "documents_in_clusters": int(mine.sum()),
        "removed": int(removed.sum()),
    }
    return removed_tab, clusters_tab, facts


def _column_values(c: _Collection, nodes: np.ndarray, col: str) -> np.ndarray:
    """The keep column for input documents (nulls and NaN lowest); --against rows get 0."""
    vals = np.full(len(nodes), -np.inf)
    for cc, i, pos in _locate([c], nodes):
        local = nodes[pos] - cc.base[i]
        shard = c.ds.shards[i]
        arr = (
            pq.read_table(shard.path, columns=[col]).column(col)
            if col in pq.read_schema(shard.path).names
            else pa.chunked_array([pa.nulls(shard.rows)])
        )
        taken = arr.take(pa.array(local)).cast(pa.float64())
        v = taken.to_numpy(zero_copy_only=False).astype(np.float64)
        v = np.where(np.isnan(v), -np.inf, v)
        vals[pos] = v
    return vals


def print_summary(console: Any, result: DedupResult, output: str) -> None:
    if console.quiet:  # a quiet console still renders what it is given
        return
    if result.up_to_date:
        console.print(f"{output}: up to date (same input and options); nothing to do")
        return
    console.print(summary_table(f"curate dedup → {output}", result.summary_rows()))
