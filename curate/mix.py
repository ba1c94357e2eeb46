"""`curate mix`: a training mixture from several datasets, weighted, shuffled, split.

Each input `NAME=DS:WEIGHT` contributes a share of the mixture by documents (default)
or by tokens (`--tokens N`, from the `n_tokens` column). A source's *rate* is how many
copies of each of its documents the target needs on average: below 1 it is
down-sampled, above 1 up-sampled. Document d gets `floor(rate)` copies plus one more
with probability `rate - floor(rate)`, decided by a seeded hash of its id
(`curate.keys`), so the mixture depends on the seed and the data, never on sharding or
workers. The split (`--split val=0.01`) is decided per document, so every copy of a
document is in the same split: no validation text leaks into training.

The shuffle is global and bounded in memory, in two passes of executor units:

1. *scatter* (a unit per input shard): each copy gets a bucket from another seeded
   hash and is appended to that bucket's scratch file; the number of buckets is the
   estimated output size over `--buffer-size`, so one bucket fits the buffer.
2. *shuffle* (a unit per bucket): a bucket is read whole, permuted with a generator
   seeded by the seed, the split and the bucket, and written as output shard
   `part-BBBBB.parquet` of its split.

A random bucket and a random order inside it are a uniformly random order of the
whole. Memory is a bucket (about `--buffer-size`), never the corpus. Each split is a
dataset `OUT/<split>` written with the usual protocol (pending file, unit markers,
manifest last); an interrupted run resumes after the scatter pass if it had finished.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rich.console import Console

from curate.dataset import (
    ALWAYS_OURS,
    Dataset,
    DatasetWriter,
    Shard,
    ShardSink,
    begin_all,
    holding,
    join,
    open_dataset,
)
from curate.errors import CurateError
from curate.executor import Executor, lineage_facts, make_executor, run_units
from curate.keys import derive, id_keys, uniform
from curate.locations import check_locations, dataset_inputs
from curate.progress import StepProgress
from curate.schema import check_core, union_schemas
from curate.storage import Store

TRAIN = "train"
SCRATCH = "_mix_scratch"
SCATTERED = "_scattered.json"  # in a split's scratch once the scatter pass is complete
DEFAULT_BUFFER_BYTES = 256 << 20
BATCH_ROWS = 10_000
MIX_FIELDS = (
    pa.field("mix_source", pa.string()),
    pa.field("mix_copy", pa.int64()),
    pa.field("mix_copies", pa.int64()),
)
# decisions drawn from each document's key (curate.keys.derive)
_COPIES, _SPLIT, _BUCKET = 1, 2, 3
_NAME = re.compile(r"^[A-Za-z0-9][\w.\-]*$")


@dataclass(frozen=True)
class MixInput:
    """One `NAME=DS:WEIGHT` argument."""

    name: str
    location: str
    weight: float


def parse_input(spec: str) -> MixInput:
    """`web=clean-web/:0.7` (the dataset may itself hold `:`, as `s3://b/x`)."""
    name, eq, rest = spec.partition("=")
    location, colon, weight_text = rest.rpartition(":")
    if not eq or not colon or not name or not location:
        raise CurateError(f"{spec!r}: give each input as NAME=DATASET:WEIGHT (e.g. web=clean/:0.7)")
    if not _NAME.match(name):
        raise CurateError(f"{spec!r}: the name {name!r} must be letters, digits, '.', '_' or '-'")
    try:
        weight = float(weight_text)
    except ValueError:
        raise CurateError(f"{spec!r}: the weight {weight_text!r} is not a number") from None
    if not math.isfinite(weight) or weight <= 0:
        raise CurateError(f"{spec!r}: the weight must be a positive number")
    return MixInput(name, location, weight)


def parse_split(spec: str) -> tuple[str, float]:
    """`val=0.01`: a split's name and the fraction of documents it gets."""
    name, eq, value = spec.partition("=")
    try:
        fraction = float(value)
    except ValueError:
        fraction = math.nan
    if not eq or not _NAME.match(name) or not 0 < fraction < 1:
        raise CurateError(
            f"--split {spec!r}: give NAME=FRACTION with 0 < FRACTION < 1 (e.g. --split val=0.01)"
        )
    if name == TRAIN:
        raise CurateError(f"--split {spec!r}: `train` is the rest, it takes no fraction")
    return name, fraction


@dataclass
class SourcePlan:
    """What the mixture takes from one input."""

    index: int
    name: str
    location: str
    weight: float  # as given
    share: float  # the weight normalised
    documents: int
    tokens: int | None
    rate: float  # average copies of each document
    est_bytes: float  # uncompressed bytes expected in the output


def _tokens_of(ds: Dataset) -> int | None:
    if "n_tokens" not in ds.column_names():
        return None
    total = 0
    for batch in ds.iter_batches(columns=["n_tokens"], batch_size=100_000):
        total += int(pc.sum(batch.column(0)).as_py() or 0)
    return total


def _uncompressed_bytes(ds: Dataset) -> int:
    """The shards' uncompressed size from their footers (no data read)."""
    from curate.dataset import shard_source

    total = 0
    for shard in ds.shards:
        meta = pq.read_metadata(shard_source(shard.path))
        total += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return total


def plan_sources(
    inputs: Sequence[MixInput],
    datasets: Sequence[Dataset],
    *,
    tokens: int | None,
    documents: int | None,
) -> list[SourcePlan]:
    """Each source's rate: its share of the target over what it holds.

    By tokens, the target is `tokens`; by documents, `documents`, or by default the
    largest mixture that needs no up-sampling (the scarcest source, relative to its
    share, is taken whole once).
    """
    total_weight = sum(i.weight for i in inputs)
    plans = []
    for k, (inp, ds) in enumerate(zip(inputs, datasets, strict=True)):
        if ds.rows == 0:
            raise CurateError(f"{inp.name}={inp.location}: the dataset holds no documents")
        n_tokens = _tokens_of(ds) if tokens is not None else None
        if tokens is not None and n_tokens is None:
            raise CurateError(
                f"{inp.name}={inp.location}: --tokens needs the column n_tokens; run "
                "`curate tokens` on it first, or mix by documents (without --tokens)"
            )
        if tokens is not None and not n_tokens:
            raise CurateError(f"{inp.name}={inp.location}: its documents hold no tokens")
        share = inp.weight / total_weight
        plans.append(
            SourcePlan(k, inp.name, inp.location, inp.weight, share, ds.rows, n_tokens, 0.0, 0.0)
        )
    if tokens is not None:
        for p in plans:
            assert p.tokens
            p.rate = p.share * tokens / p.tokens
    else:
        target = documents if documents is not None else min(p.documents / p.share for p in plans)
        for p in plans:
            p.rate = p.share * target / p.documents
    for p, ds in zip(plans, datasets, strict=True):
        p.est_bytes = _uncompressed_bytes(ds) * p.rate
    return plans


# --------------------------------------------------------------------------- the two passes


@dataclass(frozen=True)
class ScatterJob:
    """Scatter one input shard's copies into the buckets of every split."""

    source: int
    name: str
    rate: float
    location: str
    shard: Shard
    read_schema: pa.Schema
    out_schema: pa.Schema
    seed: int
    splits: tuple[tuple[str, float], ...]  # (name, upper bound of its key range), train last
    buckets: tuple[int, ...]  # buckets per split
    scratch: tuple[str, ...]  # scratch folder per split

    def __repr__(self) -> str:  # what a crash message names
        return f"{self.name}: {self.shard.name}"


@dataclass
class ScatterResult:
    files: dict[str, list[str]]  # "split/bucket" -> scratch file names
    docs: int = 0
    copies: dict[str, int] = field(default_factory=dict)  # rows out per split
    tokens: dict[str, int] = field(default_factory=dict)  # tokens out per split
    times: dict[str, dict[str, int]] = field(default_factory=dict)  # split -> {copies: docs}


def scatter(job: ScatterJob) -> ScatterResult:
    """Runs in a worker: decide each document's copies, split and buckets; append them."""
    ds = Dataset(job.location, [job.shard], job.read_schema)
    writers: dict[tuple[int, int], Any] = {}
    result = ScatterResult(files={})
    whole, frac = math.floor(job.rate), job.rate - math.floor(job.rate)
    bounds = np.array([b for _, b in job.splits[:-1]], dtype=np.float64)
    has_tokens = "n_tokens" in job.read_schema.names
    try:
        for batch in ds.shard_batches(job.shard, batch_size=BATCH_ROWS):
            base = id_keys(batch.column("id").to_pylist())
            result.docs += len(base)
            counts = whole + (uniform(derive(base, job.seed, _COPIES)) < frac).astype(np.int64)
            split_of = np.searchsorted(bounds, uniform(derive(base, job.seed, _SPLIT)), "right")
            for s, (split, _) in enumerate(job.splits):
                rows = np.flatnonzero((split_of == s) & (counts > 0))
                times = result.times.setdefault(split, {})
                in_split = counts[split_of == s]
                for c, n in zip(*np.unique(in_split, return_counts=True), strict=True):
                    times[str(int(c))] = times.get(str(int(c)), 0) + int(n)
                if not rows.size:
                    continue
                reps = counts[rows]
                idx = np.repeat(rows, reps)
                starts = np.repeat(np.cumsum(reps) - reps, reps)
                copy = np.arange(idx.size, dtype=np.int64) - starts
                keys = derive(
                    base[idx] ^ (copy.astype(np.uint64) + np.uint64(1)), job.seed, _BUCKET
                )
                bucket = (keys % np.uint64(job.buckets[s])).astype(np.int64)
                order = np.argsort(bucket, kind="stable")
                table = pa.Table.from_batches([batch]).take(pa.array(idx[order]))
                table = _with_mix_columns(table, job, copy[order], reps, rows, order)
                result.copies[split] = result.copies.get(split, 0) + table.num_rows
                if has_tokens:
                    n = pc.sum(table.column("n_tokens")).as_py() or 0
                    result.tokens[split] = result.tokens.get(split, 0) + int(n)
                sorted_b = bucket[order]
                edges = np.flatnonzero(np.diff(sorted_b)) + 1
                for lo, hi in zip(
                    [0, *edges.tolist()], [*edges.tolist(), len(sorted_b)], strict=True
                ):
                    b = int(sorted_b[lo])
                    w = writers.get((s, b))
                    if w is None:
                        w = writers[(s, b)] = _scratch_writer(job, s, b, result)
                    w[1].write_table(table.slice(lo, hi - lo))
    finally:
        for out, writer in writers.values():
            writer.close()
            out.close()
    return result


def _with_mix_columns(
    table: pa.Table,
    job: ScatterJob,
    copy: np.ndarray,
    reps: np.ndarray,
    rows: np.ndarray,
    order: np.ndarray,
) -> pa.Table:
    copies_each = np.repeat(reps, reps)[order]
    arrays = []
    for f in job.out_schema:
        if f.name == "mix_source":
            arrays.append(pa.array([job.name] * table.num_rows, type=pa.string()))
        elif f.name == "mix_copy":
            arrays.append(pa.array(copy, type=pa.int64()))
        elif f.name == "mix_copies":
            arrays.append(pa.array(copies_each, type=pa.int64()))
        elif f.name in table.column_names:
            col = table.column(f.name)
            arrays.append(col if col.type == f.type else col.cast(f.type))
        else:
            arrays.append(pa.nulls(table.num_rows, type=f.type))
    return pa.Table.from_arrays(arrays, schema=job.out_schema)


def _scratch_writer(job: ScatterJob, s: int, b: int, result: ScatterResult) -> tuple[Any, Any]:
    stem = job.shard.name.removesuffix(".parquet")
    name = f"{b:05d}.{job.source:03d}.{stem}.parquet"
    store = Store(job.scratch[s])
    out = store.open_output(name)
    result.files.setdefault(f"{job.splits[s][0]}/{b}", []).append(name)
    return out, pq.ParquetWriter(out, job.out_schema, compression="lz4")


@dataclass(frozen=True)
class ShuffleJob:
    """Permute one bucket and write it as an output shard."""

    split: str
    split_index: int
    bucket: int
    files: tuple[str, ...]
    scratch: str
    folder: str | Path
    schema: pa.Schema
    seed: int

    @property
    def key(self) -> str:
        return f"bucket-{self.bucket:05d}"

    def __repr__(self) -> str:
        return f"{self.split} {self.key}"


def shuffle_bucket(job: ShuffleJob) -> Shard | None:
    """Runs in a worker: read a bucket whole, permute it, write `part-BBBBB.parquet`."""
    from curate.dataset import shard_source

    store = Store(job.scratch)
    tables = [pq.read_table(shard_source(join(job.scratch, n))) for n in job.files]
    _ = store
    if not tables or not sum(t.num_rows for t in tables):
        return None
    table = pa.concat_tables(tables)
    del tables
    rng = np.random.default_rng([job.seed & 0xFFFFFFFF, job.split_index, job.bucket])
    table = table.take(pa.array(rng.permutation(table.num_rows)))
    sink = ShardSink(job.folder, f"part-{job.bucket:05d}.parquet", job.schema)
    try:
        sink.write(table)
        return sink.commit()
    except BaseException:
        sink.abort()
        raise


# --------------------------------------------------------------------------- the step


@dataclass
class MixResult:
    splits: dict[str, Dataset | None]
    plans: list[SourcePlan]
    copies: dict[str, dict[str, int]]  # split -> source -> rows
    seconds: float
    up_to_date: bool = False


def mix(
    inputs: Sequence[MixInput],
    output: str | Path,
    *,
    tokens: int | None = None,
    documents: int | None = None,
    seed: int = 0,
    splits: Sequence[tuple[str, float]] = (),
    buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    workers: int | None = None,
    executor: Executor | None = None,
    overwrite: bool = False,
    console: Console | None = None,
) -> MixResult:
    """Write the mixture of `inputs` to `output/<split>` (library form of `curate mix`)."""
    t0 = time.monotonic()
    console = console or Console(stderr=True, quiet=True)
    if not inputs:
        raise CurateError("no inputs: give NAME=DATASET:WEIGHT arguments")
    names = [i.name for i in inputs]
    if len(set(names)) != len(names):
        raise CurateError(f"input names must differ: {', '.join(names)}")
    if tokens is not None and documents is not None:
        raise CurateError("--tokens and --documents cannot be used together: give one target")
    if tokens is not None and tokens < 1 or documents is not None and documents < 1:
        raise CurateError("--tokens / --documents must be at least 1")
    if buffer_bytes < 1 << 20:
        raise CurateError("--buffer-size must be at least 1MiB")
    split_names = [n for n, _ in splits]
    if len(set(split_names)) != len(split_names):
        raise CurateError(f"--split names must differ: {', '.join(split_names)}")
    held_out = sum(f for _, f in splits)
    if held_out >= 1:
        raise CurateError("--split fractions add up to 1 or more: nothing would be left for train")
    datasets = [open_dataset(i.location) for i in inputs]
    for i, ds in zip(inputs, datasets, strict=True):
        check_core(ds.schema, where=f"{i.name}={ds.location}")
    all_outputs = {"-o": output}
    check_locations(
        all_outputs,
        [
            pair
            for ds in datasets
            for pair in dataset_inputs(ds.location, [s.path for s in ds.shards])
        ],
    )
    schema = datasets[0].schema
    for i, ds in zip(inputs[1:], datasets[1:], strict=True):
        schema = union_schemas(schema, ds.schema, context=f"{i.name}={ds.location}")
    for f in MIX_FIELDS:
        if f.name in schema.names:
            schema = schema.remove(schema.get_field_index(f.name))
    out_schema = pa.schema([*schema, *MIX_FIELDS])
    plans = plan_sources(inputs, datasets, tokens=tokens, documents=documents)

    order = [*split_names, TRAIN]  # train last: the rest of the key range
    bounds, acc = [], 0.0
    for _, f in splits:
        acc += f
        bounds.append(acc)
    bounds.append(1.0)
    fractions = dict(zip(split_names, (f for _, f in splits), strict=True))
    fractions[TRAIN] = 1 - held_out
    est = sum(p.est_bytes for p in plans)
    buckets = [max(1, math.ceil(est * fractions[s] / buffer_bytes)) for s in order]

    params = {
        "inputs": [
            {
                "name": i.name,
                "input": ds.location,
                "weight": i.weight,
                "fingerprint": (ds.manifest or {}).get("fingerprint"),
                "rows": ds.rows,
            }
            for i, ds in zip(inputs, datasets, strict=True)
        ],  # fmt: skip
        "by": "tokens" if tokens is not None else "documents",
        "tokens": tokens,
        "documents": documents,
        "seed": seed,
        "splits": {s: fractions[s] for s in order},
        "buffer_bytes": buffer_bytes,
    }
    _check_output_folder(output, order, overwrite)
    writers = {
        s: DatasetWriter(
            join(str(output), s),
            step="mix",
            params={**params, "split": s},
            overwrite=overwrite,
            owns=["part-*.parquet", SCRATCH],
            command="mix",
        )
        for s in order
    }
    with holding(*writers.values()):
        begun = begin_all(*writers.values())
        states = {s: st for s, st in zip(writers, begun, strict=True) if st is not None}
        if all(st.up_to_date for st in states.values()):
            for w in writers.values():
                w.store.delete(SCRATCH)
            return MixResult(
                {s: open_dataset(join(str(output), s)) for s in order},
                plans, {}, time.monotonic() - t0, up_to_date=True,
            )  # fmt: skip
        executor = executor or make_executor(workers)
        scratch = {s: join(writers[s].folder, SCRATCH) for s in order}
        pending = [s for s in order if not states[s].up_to_date]
        summary = _scattered(writers, pending)
        if summary is None:
            for s in pending:
                writers[s].store.delete(SCRATCH)
                Store(scratch[s]).make()
            jobs = [
                ScatterJob(
                    p.index, p.name, p.rate, ds.location, shard, ds.schema, out_schema, seed,
                    tuple(zip(order, bounds, strict=True)), tuple(buckets),
                    tuple(str(scratch[s]) for s in order),
                )
                for p, ds in zip(plans, datasets, strict=True)
                for shard in ds.shards
            ]  # fmt: skip
            summary = _new_summary(order)
            progress = StepProgress(
                console, label="mix: scatter", units=len(jobs), unit_name="shards"
            )

            def add(job: ScatterJob, res: ScatterResult) -> None:
                _merge(summary, job.name, res)

            run_units(executor, scatter, jobs, progress=progress, on_result=add, what="shard")
            for s in pending:  # the scatter pass is complete: a rerun resumes from here
                Store(scratch[s]).write_bytes(SCATTERED, json.dumps(summary).encode())
        shuffle_jobs = []
        for si, s in enumerate(order):
            if s not in pending:
                continue
            for b in range(buckets[si]):
                key = f"bucket-{b:05d}"
                if key in states[s].done:
                    continue
                # in name order, not the order the scatter units finished in: the same
                # bucket holds the same rows in the same order whatever ran them
                files = tuple(sorted(summary["files"].get(f"{s}/{b}", [])))
                shuffle_jobs.append(
                    ShuffleJob(
                        s, si, b, files, str(scratch[s]), writers[s].folder, out_schema, seed
                    )
                )
        progress = StepProgress(
            console, label="mix: shuffle", units=len(shuffle_jobs), unit_name="buckets"
        )

        def record(job: ShuffleJob, shard: Shard | None) -> None:
            writers[job.split].unit_done(job.key, [shard] if shard is not None else [])

        run_units(executor, shuffle_bucket, shuffle_jobs, progress=progress, on_result=record,
                  what="bucket")  # fmt: skip
        sources: dict[str, Any] = {}
        lineage: list[dict[str, Any]] = []
        seen: set[str] = set()
        for ds in datasets:
            sources.update(ds.sources)
            for step in ds.lineage:
                fp = json.dumps(step, sort_keys=True, default=str)
                if fp not in seen:
                    seen.add(fp)
                    lineage.append(step)
        system = next((ds.manifest.get("system") for ds in datasets if ds.manifest), None)
        done: dict[str, Dataset | None] = {}
        for s in order:
            if s not in pending:
                done[s] = open_dataset(join(str(output), s))
                continue
            shards = writers[s].done_shards()
            step_facts = _lineage_step(plans, summary, s, params, executor)
            done[s] = writers[s].finish(
                shards=shards,
                schema=out_schema,
                sources=sources,
                lineage_step=step_facts,
                inherited_lineage=lineage,
                system=system,
            )
            writers[s].store.delete(SCRATCH)
        return MixResult(done, plans, summary["copies"], time.monotonic() - t0)


def _new_summary(order: Sequence[str]) -> dict[str, Any]:
    return {
        "files": {},
        "docs": {},
        "copies": {s: {} for s in order},
        "tokens": {s: {} for s in order},
        "times": {s: {} for s in order},
    }


def _merge(summary: dict[str, Any], name: str, res: ScatterResult) -> None:
    for key, files in res.files.items():
        summary["files"].setdefault(key, []).extend(files)
    summary["docs"][name] = summary["docs"].get(name, 0) + res.docs
    for s, n in res.copies.items():
        summary["copies"][s][name] = summary["copies"][s].get(name, 0) + n
    for s, n in res.tokens.items():
        summary["tokens"][s][name] = summary["tokens"][s].get(name, 0) + n
    for s, hist in res.times.items():
        mine = summary["times"][s].setdefault(name, {})
        for c, n in hist.items():
            mine[c] = mine.get(c, 0) + n


def _scattered(writers: dict[str, DatasetWriter], pending: list[str]) -> dict[str, Any] | None:
    """The scatter pass's summary, when an interrupted run had finished it."""
    found = None
    for s in pending:
        store = Store(join(writers[s].folder, SCRATCH))
        try:
            if not store.exists(SCATTERED):
                return None
            found = json.loads(store.read_bytes(SCATTERED))
        except (OSError, ValueError):
            return None
    return found


def _check_output_folder(output: str | Path, splits: Sequence[str], overwrite: bool) -> None:
    """OUT holds only the split datasets: anything else there is not ours to write over."""
    store = Store(output)
    if store.local is not None and store.local.exists() and not store.local.is_dir():
        raise CurateError(f"{output}: exists and is not a folder; choose another -o")
    other = sorted(
        e.name for e in store.list() if e.name not in splits and e.name not in ALWAYS_OURS
    )
    if other:
        shown = ", ".join(other[:3]) + (" …" if len(other) > 3 else "")
        raise CurateError(
            f"{store.display()}: holds {shown} besides the splits ({', '.join(splits)}); "
            "choose an empty folder" + (" (--overwrite never deletes them)" if overwrite else "")
        )


def _lineage_step(
    plans: list[SourcePlan], summary: dict[str, Any], split: str, params: dict[str, Any],
    executor: Executor,
) -> dict[str, Any]:  # fmt: skip
    copies = summary["copies"][split]
    rows_out = sum(copies.values())
    per_source = {}
    for p in plans:
        per_source[p.name] = {
            "input": p.location,
            "weight": p.weight,
            "share": p.share,
            "documents": summary["docs"].get(p.name, p.documents),
            "tokens": p.tokens,
            "rate": p.rate,
            "rows_out": copies.get(p.name, 0),
            "share_out": copies.get(p.name, 0) / rows_out if rows_out else 0.0,
            "tokens_out": summary["tokens"][split].get(p.name),
            # how many documents of this source appear 0, 1, 2... times in this split
            "times": dict(
                sorted(summary["times"][split].get(p.name, {}).items(), key=lambda kv: int(kv[0]))
            ),
        }
    return {
        "input": [p.location for p in plans],
        "split": split,
        "seed": params["seed"],
        "by": params["by"],
        "rows_in": sum(p.documents for p in plans),
        "rows_out": rows_out,
        "mixture": per_source,
        **lineage_facts(executor),
    }
