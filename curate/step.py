"""Run a *map step* (filter, score, tag, pii…) over a dataset, shard by shard.

A map step is a small object that turns one batch of rows into the rows to keep,
the rows it removed (with their reason columns) and counts. This module does the
rest once, for every such step: reading input shards in batches, writing output
shard k from input shard k under the same name, the optional `--rejected`
dataset, resume, lineage (rows in/out, removed by reason, step totals), carrying
the sources and lineage of the input, progress and the summary.

A dataset of few, large shards (fewer than the executor wants, see `Executor.split`)
has its shards cut into row ranges that run as units of their own and are put back
together into the same shards, byte for byte (`curate.parts`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from curate.dataset import (
    Dataset,
    DatasetWriter,
    Shard,
    ShardSink,
    begin_all,
    conform_batch,
    holding,
    open_dataset,
)
from curate.errors import CurateError
from curate.executor import Executor, lineage_facts, make_executor, report, run_units
from curate.locations import check_locations, dataset_inputs
from curate.parts import AssembleJob, PartBook, Rows, assemble, part_name, parts_folder, row_ranges
from curate.progress import StepProgress, human_bytes, summary_table, warn
from curate.schema import check_core
from curate.storage import Store

BATCH_ROWS = 10_000


@dataclass
class BatchOutput:
    """What a step makes of one batch."""

    kept: pa.Table
    rejected: pa.Table | None = None
    removed: dict[str, int] = field(default_factory=dict)  # reason -> rows removed
    totals: dict[str, float] = field(default_factory=dict)  # step facts summed over batches


class MapStep(Protocol):
    """The contract a step implements; everything else is the runner's job."""

    @property
    def name(self) -> str:
        """The command's name: the lineage step and the output's owner."""
        ...

    def params(self) -> dict[str, Any]:
        """Everything that changes the output (fingerprint and lineage)."""
        ...

    def output_schema(self, schema: pa.Schema) -> pa.Schema: ...

    def rejected_schema(self, schema: pa.Schema) -> pa.Schema | None: ...

    def process(self, table: pa.Table) -> BatchOutput: ...


@dataclass(frozen=True)
class ShardJob:
    step: Any
    shard: Shard
    schema: pa.Schema
    output: Path | str
    rejected: Path | str | None
    batch_rows: int
    rows: Rows | None = None  # a row range of the shard: written as a part of it

    def sinks(
        self, out_schema: pa.Schema, rej_schema: pa.Schema | None
    ) -> tuple[ShardSink, ShardSink | None]:
        """Where this unit's rows go: the shard itself, or its part (`curate.parts`)."""
        name = self.shard.name
        outputs = [self.output, self.rejected if rej_schema is not None else None]
        if self.rows is not None:
            name = part_name(self.rows)
            outputs = [parts_folder(o, self.shard.name) if o is not None else None for o in outputs]
            for o in outputs:
                if o is not None:
                    Store(o).make()
        main = outputs[0]
        assert main is not None  # the step's output is always there; only --rejected is not
        sink = ShardSink(main, name, out_schema)
        rej = None
        if outputs[1] is not None and rej_schema is not None:
            rej = ShardSink(outputs[1], name, rej_schema)
        return sink, rej


@dataclass
class ShardResult:
    shard: Shard
    rejected: Shard | None
    rows_in: int
    removed: dict[str, int]
    totals: dict[str, float]
    per_source: dict[str, list[int]] = field(default_factory=dict)  # source -> [in, out]

    def info(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "removed": self.removed,
            "totals": self.totals,
            "per_source": self.per_source,
        }


def _source_counts(table: pa.Table) -> Counter[str]:
    """Rows per `source` value: the report answers AB 2013's item 9 per source."""
    if "source" not in table.column_names or table.num_rows == 0:
        return Counter()
    counts = pc.value_counts(table["source"].fill_null("(none)")).to_pylist()
    return Counter({c["values"]: int(c["counts"]) for c in counts})


def map_shard(job: ShardJob) -> ShardResult:
    """Apply the step to one shard, or one row range of it (runs in a worker process)."""
    step = job.step
    ds = Dataset(job.shard.folder, [job.shard], job.schema)
    out_schema = step.output_schema(job.schema)
    rej_schema = step.rejected_schema(job.schema) if job.rejected is not None else None
    sink, rej_sink = job.sinks(out_schema, rej_schema)
    removed: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    src_in: Counter[str] = Counter()
    src_out: Counter[str] = Counter()
    rows_in = 0
    try:
        for batch in ds.shard_batches(job.shard, batch_size=job.batch_rows, rows=job.rows):
            rows_in += batch.num_rows
            table = pa.Table.from_batches([batch])
            src_in.update(_source_counts(table))
            result = step.process(table)
            src_out.update(_source_counts(result.kept))
            sink.write(_conform(result.kept, out_schema))
            if rej_sink is not None and result.rejected is not None:
                sink_schema = rej_sink.schema
                rej_sink.write(_conform(result.rejected, sink_schema))
            removed.update(result.removed)
            totals.update(result.totals)
            report(docs=batch.num_rows)
        shard = sink.commit()
        rej = rej_sink.commit() if rej_sink is not None else None
    except BaseException:
        sink.abort()
        if rej_sink is not None:
            rej_sink.abort()
        raise
    per_source = {k: [src_in[k], src_out.get(k, 0)] for k in sorted(src_in)}
    return ShardResult(shard, rej, rows_in, dict(removed), dict(totals), per_source)


def _run_jobs(
    jobs: list[ShardJob],
    *,
    executor: Executor,
    cut: bool,
    book: PartBook,
    schemas: tuple[pa.Schema, pa.Schema | None],
    progress: StepProgress,
    record: Callable[[str, ShardResult], None],
) -> None:
    """Run the shards' jobs on `executor`, handing each shard's result to `record`.

    With `cut` (few large shards, see `Executor.split`), each shard of more than one row
    range runs as one unit a range, its parts recorded in `book` (a rerun keeps the
    finished ones), then as one unit that puts the shard together (`curate.parts`).
    """
    units: list[ShardJob] = []
    cut_shards: dict[str, tuple[ShardJob, list[Rows]]] = {}
    part_infos: dict[str, dict[Rows, dict[str, Any]]] = {}
    for job in jobs:
        ranges = row_ranges(job.shard.rows, book.batch_rows) if cut else []
        if len(ranges) < 2:
            units.append(job)
            continue
        cut_shards[job.shard.name] = (job, ranges)
        done = book.done(job.shard.name, ranges)
        part_infos[job.shard.name] = {r: m["info"] for r, m in done.items()}
        units += [replace(job, rows=r) for r in ranges if r not in done]

    def record_unit(job: ShardJob, res: ShardResult) -> None:
        if job.rows is None:
            record(job.shard.name, res)
            return
        book.record(job.shard.name, job.rows, res.shard, res.rejected, res.info())
        part_infos[job.shard.name][job.rows] = res.info()

    run_units(
        executor,
        map_shard,
        units,
        progress=progress,
        on_result=record_unit,
        what="shard",
        counted=lambda job: job.rows is None,  # a shard is done once put together
    )
    assembly = [
        AssembleJob(job.shard, tuple(ranges), book.output, schemas[0], book.rejected, schemas[1])
        for job, ranges in cut_shards.values()
    ]

    def record_assembled(job: AssembleJob, res: tuple[Shard, Shard | None]) -> None:
        infos = [part_infos[job.shard.name][r] for r in job.ranges]
        record(job.shard.name, _sum_parts(res[0], res[1], infos))
        book.remove(job.shard.name)

    run_units(
        executor, assemble, assembly, progress=progress, on_result=record_assembled, what="shard"
    )


def _sum_parts(shard: Shard, rejected: Shard | None, infos: list[dict[str, Any]]) -> ShardResult:
    """A cut shard's result from its parts' counts (integer counts: exact in any order)."""
    removed: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    per_source: dict[str, list[int]] = {}
    for info in infos:
        removed.update(info["removed"])
        totals.update(info["totals"])
        for src, (n_in, n_out) in info["per_source"].items():
            acc = per_source.setdefault(src, [0, 0])
            acc[0] += n_in
            acc[1] += n_out
    rows_in = sum(int(info["rows_in"]) for info in infos)
    per_source = {k: per_source[k] for k in sorted(per_source)}
    return ShardResult(shard, rejected, rows_in, dict(removed), dict(totals), per_source)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    batches = [conform_batch(b, schema) for b in table.to_batches()]
    return pa.Table.from_batches(batches, schema=schema)


@dataclass
class MapResult:
    dataset: Dataset | None
    rows_in: int
    rows_out: int
    removed: dict[str, int]
    totals: dict[str, float]
    seconds: float
    up_to_date: bool = False

    def summary_rows(self) -> list[tuple[str, str]]:
        rows = [("documents in", f"{self.rows_in:,}"), ("documents out", f"{self.rows_out:,}")]
        for reason, n in sorted(self.removed.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append((f"removed: {reason}", f"{n:,}"))
        for k, v in sorted(self.totals.items()):
            rows.append((k, f"{v:,.0f}" if float(v).is_integer() else f"{v:,.3f}"))
        if self.dataset is not None:
            rows.append(("bytes out", human_bytes(self.dataset.bytes)))
        rows.append(("time", f"{self.seconds:.1f} s"))
        return rows


def run_map(
    step: MapStep,
    source: Dataset | str | Path,
    output: str | Path,
    *,
    rejected: str | Path | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    overwrite: bool = False,
    console: Any = None,
    batch_rows: int = BATCH_ROWS,
    extra_lineage: dict[str, Any] | None = None,
    extra_inputs: Sequence[tuple[str, str]] = (),
    preserve: Sequence[str] = (),
    prepare: Callable[[Any], MapStep] | None = None,
) -> MapResult:
    """Run `step` over every shard of the dataset at `source`, writing `output`.

    `source` is a location, or the dataset a caller has already opened (opening one in
    an object store costs requests, so it is done once a command).

    The shards run on `executor` (default: local worker processes, `workers` of them).
    `extra_inputs` are (what, path) pairs the step also reads (models, `--against`):
    no output may overlap them. `preserve` names work files `--overwrite` keeps.
    `prepare(step)` gives the step to run once the output is known not to be up to
    date: work it needs first (a pass over the input) is skipped on an up-to-date rerun.
    The prepared step must have the same params.
    """
    t0 = time.monotonic()
    ds = source if isinstance(source, Dataset) else open_dataset(source)
    check_core(ds.schema, where=ds.location)
    check_locations(
        {"-o": output, "--rejected": rejected},
        [*dataset_inputs(ds.location, [s.path for s in ds.shards]), *(extra_inputs or [])],
    )
    if ds.is_bare and console is not None:
        warn(console, f"{ds.location} has no _curate.json: sources and lineage start here")
    params = step_params(step, ds, rejected)
    names = [s.name for s in ds.shards]
    command = step.name
    writer = DatasetWriter(
        output,
        step=step.name,
        params=params,
        overwrite=overwrite,
        owns=names,
        preserve=preserve,
        command=command,
    )
    rej_writer = None
    if rejected is not None and step.rejected_schema(ds.schema) is not None:
        rej_writer = DatasetWriter(
            rejected,
            step=f"{step.name}-rejected",
            params=params,
            overwrite=overwrite,
            owns=names,
            command=command,
        )
    with holding(writer, rej_writer):
        state, rej_state = begin_all(writer, rej_writer)
        assert state is not None
        if state.up_to_date:
            if rej_state is not None and not rej_state.up_to_date:
                # the main output was committed but its rejected dataset was not (an older
                # curate committed them the other way round): redo both, so neither is stale
                raise CurateError(
                    f"{output}: is complete but its --rejected dataset {rejected} is "
                    "not; re-run with --overwrite to write both again"
                )
            return MapResult(open_dataset(output), 0, 0, {}, {}, time.monotonic() - t0, True)
        if prepare is not None:
            step = prepare(step)
        if rej_state is not None and rej_state.up_to_date:
            rej_writer = None  # committed just before an interruption: only the main one is left
        rejected = rej_writer.folder if rej_writer is not None else None
        # a unit is done when both outputs recorded it: a run killed between the two
        # records redoes it (its rejected rows would be lost otherwise)
        done = set(state.done)
        if rej_writer is not None and rej_state is not None:
            done &= set(rej_state.done)
        jobs = [
            ShardJob(
                step,
                s,
                ds.schema,
                writer.folder,
                rejected,
                batch_rows,
            )
            for s in ds.shards
            if s.name not in done
        ]
        results: dict[str, ShardResult] = {}
        for name, shards in state.done.items():
            if name not in done:
                continue
            info = state.info.get(name, {})
            out_shard = Shard(
                shards[0]["name"], writer.path_of(name), shards[0]["rows"], shards[0]["bytes"]
            )
            results[name] = ShardResult(
                out_shard,
                None,
                info.get("rows_in", 0),
                info.get("removed", {}),
                info.get("totals", {}),
                info.get("per_source", {}),
            )
        executor, cut = (executor or make_executor(workers)).split(
            len(jobs), sum(j.shard.rows for j in jobs)
        )
        rej_schema = step.rejected_schema(ds.schema) if rejected is not None else None
        progress = StepProgress(
            console or _quiet(), label=step.name, units=len(ds.shards), unit_name="shards"
        )
        for _ in results:
            progress.unit_done()

        def record(name: str, res: ShardResult) -> None:
            results[name] = res
            if rej_writer is not None and res.rejected is not None:  # first: see `done`
                rej_writer.unit_done(name, [res.rejected])
            writer.unit_done(name, [res.shard], res.info())

        _run_jobs(
            jobs,
            executor=executor,
            cut=cut,
            book=PartBook(writer.folder, rejected, batch_rows),
            schemas=(step.output_schema(ds.schema), rej_schema),
            progress=progress,
            record=record,
        )
        ordered = [results[s.name] for s in ds.shards]
        removed: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        per_source: dict[str, list[int]] = {}
        for r in ordered:
            removed.update(r.removed)
            totals.update(r.totals)
            for src, (n_in, n_out) in r.per_source.items():
                acc = per_source.setdefault(src, [0, 0])
                acc[0] += n_in
                acc[1] += n_out
        rows_in = sum(r.rows_in for r in ordered)
        rows_out = sum(r.shard.rows for r in ordered)
        out_schema = step.output_schema(ds.schema)
        lineage_step = {
            "input": ds.location,
            "rows_in": rows_in,
            "rows_out": rows_out,
            "removed": dict(sorted(removed.items())),
            "totals": dict(sorted(totals.items())),
            "per_source": {
                k: {"rows_in": v[0], "rows_out": v[1]} for k, v in sorted(per_source.items())
            },
            **lineage_facts(executor),
            **(extra_lineage or {}),
        }
        # the rejected dataset is committed first: an interruption between the two leaves
        # the main output unfinished, and its rerun finds every unit done and commits it
        if rej_writer is not None:
            rej_shards = rej_writer.done_shards()
            rej_schema = step.rejected_schema(ds.schema)
            assert rej_schema is not None
            rej_writer.finish(
                shards=rej_shards,
                schema=rej_schema,
                sources=ds.sources,
                lineage_step={
                    "rejected_by": step.name,
                    "rows_out": sum(s.rows for s in rej_shards),
                },
                inherited_lineage=ds.lineage,
            )
        result_ds = writer.finish(
            shards=[r.shard for r in ordered],
            schema=out_schema,
            sources=ds.sources,
            lineage_step=lineage_step,
            inherited_lineage=ds.lineage,
            system=(ds.manifest or {}).get("system"),
        )
        return MapResult(
            result_ds, rows_in, rows_out, dict(removed), dict(totals), time.monotonic() - t0
        )


def step_params(step: MapStep, ds: Dataset, rejected: str | Path | None) -> dict[str, Any]:
    """What a step's outputs record as their parameters, and compare to tell "same run"
    (up to date) from "other run" (needs --overwrite): the step's options, its input's
    identity, and where its rejected rows go. One function for every writer of a step
    (dedup's main output, its rejected and clusters datasets, the filter pass), so
    they never disagree about whether a rerun is the same run."""
    return {
        **step.params(),
        "input": input_identity(ds),
        "rejected": str(rejected) if rejected else None,
    }


def input_identity(ds: Dataset) -> dict[str, Any]:
    """What identifies the input for "same run?": its manifest fingerprint or its files."""
    fp = (ds.manifest or {}).get("fingerprint")
    last = ((ds.manifest or {}).get("lineage") or [{}])[-1].get("fingerprint")
    return {
        "location": ds.location,
        "fingerprint": last or fp,
        "shards": [[s.name, s.rows, s.bytes] for s in ds.shards],
    }


def _quiet() -> Any:
    from rich.console import Console

    return Console(stderr=True, quiet=True)


def print_map_summary(console: Any, result: MapResult, step: str, output: str) -> None:
    if result.up_to_date:
        console.print(f"{output}: up to date (same input and options); nothing to do")
        return
    console.print(summary_table(f"curate {step} → {output}", result.summary_rows()))
