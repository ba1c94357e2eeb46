"""`curate ingest`: many input files → one dataset, in parallel, resumably.

Inputs are sorted and cut into *tasks* (a run of consecutive files, or one large
file); each task is a unit of the executor and writes its own shards
`part-TTTTT-CCCC.parquet`. Shard names and contents depend only on the inputs and
options, never on the worker count, so a rerun resumes exactly where a crash left
off and two machines produce the same dataset.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console

from curate.dataset import (
    PENDING,
    Dataset,
    DatasetWriter,
    Shard,
    begin_all,
    holding,
    open_dataset,
    shard_source,
)
from curate.defaults import SHARD_ROWS
from curate.errors import CurateError
from curate.executor import Executor, UnitsCrashed, lineage_facts, make_executor, run_units
from curate.ingest import files, stdin, tabular, warc
from curate.ingest.collect import RAW_LIMIT, Collector, id_hash
from curate.ingest.detect import InputFile, expand_inputs
from curate.ingest.options import ReadOptions
from curate.ingest.remote import InputUnavailable, open_input, read_paths_file
from curate.ingest.stdin import is_stdin
from curate.locations import check_locations
from curate.progress import StepProgress, human_bytes, summary_table, warn
from curate.provenance.manifest import declaration_for, load_sources
from curate.schema import (
    CORE_FIELDS,
    INGEST_REJECTED_SCHEMA,
    METADATA_FIELD,
    PATH_FIELD,
    WEB_FIELDS,
)
from curate.storage import Store

TASK_BYTES = 256 << 20  # input bytes per task: big enough to amortise, small to balance
TASK_FILES = 2_000
MIN_TASK_BYTES = 1 << 20
DEFAULT_SHARD_ROWS = SHARD_ROWS
# the names ingest gives its shards (`Collector`, `_drop_repeated_ids`): all it may remove
SHARD_NAMES = (
    "part-[0-9][0-9][0-9][0-9][0-9].parquet",
    "part-[0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9].parquet",
    "part-[0-9][0-9][0-9][0-9][0-9]-repeated-ids.parquet",
)
FILE_LEVEL_REASONS = frozenset({"empty_file", "unreadable_file", "corrupt_file", "unknown_format"})

Reader = Callable[[InputFile, ReadOptions, Collector], None]
READERS: dict[str, Reader] = {
    "warc": warc.read_warc,
    "wet": warc.read_wet,
    "arc": warc.read_arc,
    "jsonl": tabular.read_jsonl,
    "csv": tabular.read_csv,
    "parquet": tabular.read_parquet,
    "text": files.read_text,
    "html": files.read_html,
}


# The one schema of every ingest shard, whatever its input format: columns a format does
# not fill (`http_status` for JSONL, `path` for WARC) are null rather than absent, so every
# shard of a dataset — including shards appended later from another kind of source — has
# the same columns, and a plain `polars.scan_parquet("ds/*.parquet")` works.
INGEST_SCHEMA = pa.schema([*CORE_FIELDS, PATH_FIELD, *WEB_FIELDS, METADATA_FIELD])


@dataclass(frozen=True)
class Task:
    """One executor unit: consecutive input files written to shards of one task number."""

    number: int
    files: tuple[InputFile, ...]
    options: ReadOptions
    output: Path | str
    rejected: Path | str | None
    shard_rows: int

    @property
    def key(self) -> str:
        return f"task-{self.number:05d}"


@dataclass
class TaskResult:
    number: int
    shards: list[Shard]
    rejected_shards: list[Shard]
    written: int
    skipped: dict[str, int]
    notes: dict[str, int]
    bytes_in: int
    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))

    def info(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "skipped": self.skipped,
            "notes": self.notes,
            "bytes_in": self.bytes_in,
        }


def run_task(task: Task) -> TaskResult:
    """Read a task's files into its shards (runs in a worker process)."""
    out = Collector(
        folder=task.output,
        task=task.number,
        schema=INGEST_SCHEMA,
        shard_rows=task.shard_rows,
        source=task.options.source,
        rejected_folder=task.rejected,
    )
    try:
        for f in task.files:
            if isinstance(f.path, Path) and not f.path.exists():  # a link to nothing
                why = b"no such file: a link to a file that does not exist, or removed"
                out.skip("unreadable_file", f.display, None, why)
                continue
            try:
                with _seekable(f) as readable:
                    READERS[f.format](readable, task.options, out)
            except PermissionError as exc:
                out.skip("unreadable_file", f.display, None, str(exc).encode())
            except InputUnavailable as exc:  # 403, 404, or every retry failed
                out.skip("unreadable_file", f.display, None, str(exc).encode())
            except IsADirectoryError as exc:  # pragma: no cover - filtered by expand_inputs
                out.skip("unreadable_file", f.display, None, str(exc).encode())
        out.close()
    except BaseException:
        out.abort()
        raise
    hashes = np.concatenate(out.hashes) if out.hashes else np.empty(0, dtype=np.uint64)
    return TaskResult(
        number=task.number,
        shards=out.shards,
        rejected_shards=out.rejected_shards,
        written=sum(s.rows for s in out.shards),
        skipped=dict(out.skipped),
        notes=dict(out.notes),
        bytes_in=sum(max(f.size, 0) for f in task.files),
        hashes=hashes,
    )


SEEKING_FORMATS = frozenset({"warc", "wet", "arc"})  # their readers seek back to recover


@contextlib.contextmanager
def _seekable(f: InputFile) -> Iterator[InputFile]:
    """`f`, or for standard input in a format whose reader seeks, a temporary copy of it.

    WARC readers go back to a record's start to recover from damage and check the end
    of the last record, which a pipe cannot do: the stream is copied to a temporary
    file (in TMPDIR) as it arrives, and read from there under the same name.
    """
    if not (is_stdin(f.path) and f.format in SEEKING_FORMATS):
        yield f
        return
    with tempfile.NamedTemporaryFile(prefix=".curate-tmp-stdin-") as copy:
        with open_input(f.path) as pipe:
            shutil.copyfileobj(pipe, copy, 1 << 20)
        copy.flush()
        yield InputFile(Path(copy.name), f.display, f.format, copy.tell())


def plan_tasks(
    inputs: Sequence[InputFile],
    *,
    first_number: int,
    make: Callable[[int, tuple[InputFile, ...]], Task],
) -> list[Task]:
    """Group sorted files into tasks of about TASK_BYTES (1/16 of the input at most).

    The plan must not depend on the worker count (resume and reproducibility need the
    same shard names on every run), so the size target is derived from the inputs alone.
    """
    total = sum(_planned_size(f) for f in inputs)
    target = max(MIN_TASK_BYTES, min(TASK_BYTES, total // 16 + 1))
    tasks: list[Task] = []
    group: list[InputFile] = []
    size = 0
    for f in inputs:
        if group and (size + _planned_size(f) > target or len(group) >= TASK_FILES):
            tasks.append(make(first_number + len(tasks), tuple(group)))
            group, size = [], 0
        group.append(f)
        size += _planned_size(f)
    if group:
        tasks.append(make(first_number + len(tasks), tuple(group)))
    return tasks


def _planned_size(f: InputFile) -> int:
    """A URL's length is not asked for (a request each): plan it as a task of its own."""
    return f.size if f.size >= 0 else TASK_BYTES


@dataclass
class IngestResult:
    dataset: Dataset | None
    written: int
    skipped: dict[str, int]
    notes: dict[str, int]
    bytes_in: int
    bytes_out: int
    seconds: float
    files: int
    up_to_date: bool = False


def ingest(
    paths: Sequence[str],
    output: str | Path,
    *,
    source: str,
    fmt: str = "auto",
    options: ReadOptions | None = None,
    sources_toml: str | Path | None = None,
    rejected: str | Path | None = None,
    append: bool = False,
    overwrite: bool = False,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    workers: int | None = None,
    executor: Executor | None = None,
    console: Console | None = None,
    paths_from: str | None = None,
    base_url: str | None = None,
) -> IngestResult:
    """Read `paths` into the dataset at `output` (library form of `curate ingest`).

    `paths_from` names a file listing more inputs, one a line (Common Crawl's
    `warc.paths.gz`), relative ones joined to `base_url`.
    """
    t0 = time.monotonic()
    console = console or Console(stderr=True, quiet=True)
    if not source or not re.fullmatch(r"[\w.\-]+", source):
        raise CurateError(
            f"--source {source!r}: use letters, digits, '.', '_' or '-' (e.g. commoncrawl-2024-10)"
        )
    if shard_rows < 1:
        raise CurateError("--shard-rows must be at least 1")
    if append and overwrite:
        raise CurateError("--append and --overwrite cannot be used together")
    opts = options or ReadOptions(source=source)
    if opts.source != source:
        opts = ReadOptions(**{**opts.__dict__, "source": source})
    if base_url is not None and paths_from is None:
        raise CurateError("--base-url needs --paths-from (it is joined to the paths listed there)")
    if paths_from is not None:
        paths = [*paths, *read_paths_file(paths_from, base_url)]
    if not paths:
        raise CurateError("no inputs: give input paths, or --paths-from FILE")
    from_stdin = any(is_stdin(p) for p in paths)
    if from_stdin:
        if len(paths) > 1:
            raise CurateError(
                "`-` (standard input) must be the only input; ingest the files with "
                "another run and --append"
            )
        if stdin.is_terminal():
            raise CurateError(
                "`-` reads standard input, which is a terminal here; pipe the data in "
                "(e.g. zcat dump.jsonl.gz | curate ingest - ...)"
            )
        stdin.reset()
    inputs, ignored = expand_inputs(paths, fmt)
    check_locations(
        {"-o": output, "--rejected": rejected},
        [
            *(("path", p) for p in paths if os.path.exists(p)),
            *([("--paths-from", paths_from)] if paths_from is not None else []),
            *(("file", str(f.path)) for f in inputs),
            *([("--sources", str(sources_toml))] if sources_toml is not None else []),
        ],
    )
    if ignored:
        warn(
            console,
            f"{len(ignored)} file(s) of unknown format are not read (first: {ignored[0]}); "
            "pass --format to read them",
        )
    if any(f.format in ("warc", "arc", "html") for f in inputs):
        _check_extractor(opts.extractor)
    declared: dict[str, Any] = {}
    system = None
    if sources_toml is not None:
        manifest = load_sources(sources_toml)
        declared = declaration_for(manifest, source, path=str(sources_toml))
        system = manifest.get("system")

    params = {
        "source": source,
        "format": fmt,
        "options": {k: v for k, v in opts.__dict__.items() if k != "source"},
        "shard_rows": shard_rows,
        "inputs": [[f.display, f.size, f.format] for f in inputs],
        "sources": declared,
        "rejected": str(rejected) if rejected else None,
    }
    if from_stdin:
        # a stream cannot be compared with the one a finished run read: every stdin run
        # is a run of its own, so a rerun is never taken for "up to date"
        params["stdin_run"] = f"{time.time_ns()}-{os.getpid()}"
        _refuse_stdin_resume(output, overwrite)
        _refuse_stdin_resume(rejected, overwrite)
    writer = DatasetWriter(
        output, step="ingest", params=params, overwrite=overwrite, append=append, owns=SHARD_NAMES
    )
    rejected_writer = None
    if rejected is not None:
        rejected_writer = DatasetWriter(
            rejected,
            step="ingest",
            params=params,
            overwrite=overwrite,
            append=append,
            owns=SHARD_NAMES,
        )
    with holding(writer, rejected_writer):
        state, rej_state = begin_all(writer, rejected_writer)
        assert state is not None
        if state.up_to_date:
            ds = open_dataset(output)
            return IngestResult(ds, 0, {}, {}, 0, 0, time.monotonic() - t0, len(inputs), True)
        if rej_state is not None and rej_state.up_to_date:
            rejected_writer = None  # committed just before an interruption

        first = _next_task_number(writer.base)
        executor = executor or make_executor(workers or None)
        if from_stdin:  # the pipe is this process's: read it on a thread of this process
            executor = make_executor(1, threads=True)

        def make(number: int, group: tuple[InputFile, ...]) -> Task:
            return Task(
                number,
                group,
                opts,
                writer.folder,
                rejected_writer.folder if rejected_writer is not None else None,
                shard_rows,
            )

        tasks = plan_tasks(inputs, first_number=first, make=make)
        results: dict[int, TaskResult] = {}
        # a task is done when both outputs recorded it (see `run_map`)
        both_done = set(state.done)
        if rejected_writer is not None and rej_state is not None:
            both_done &= set(rej_state.done)
        for task in tasks:
            if task.key in both_done:
                results[task.number] = _result_from_state(task, state, writer)
        todo = [t for t in tasks if t.number not in results]

        total_bytes = sum(max(f.size, 0) for f in inputs)
        progress = StepProgress(console, label="ingest", units=len(tasks), unit_name="tasks")
        for _ in results:
            progress.unit_done()

        def record(task: Task, res: TaskResult) -> None:
            results[task.number] = res
            if rejected_writer is not None:  # first: a task is done when both have it
                rejected_writer.unit_done(task.key, res.rejected_shards)
            writer.unit_done(task.key, res.shards, res.info())

        try:
            run_units(executor, run_task, todo, progress=progress, on_result=record, what="task")
        except UnitsCrashed:
            raise  # resumable: the finished tasks stay
        except CurateError:
            # an input the user must fix (a file that is not what its name says): the
            # rerun after the fix has other inputs, so nothing here could be resumed
            writer.abandon()
            if rejected_writer is not None:
                rejected_writer.abandon()
            raise
        ordered = [results[t.number] for t in tasks]
        if from_stdin:
            ordered[0].bytes_in = total_bytes = stdin.stdin_bytes_read()
        skipped: Counter[str] = Counter()
        notes: Counter[str] = Counter()
        for r in ordered:
            skipped.update(r.skipped)
            notes.update(r.notes)
        records = sum(r.written for r in ordered) + sum(
            n for k, n in skipped.items() if k not in FILE_LEVEL_REASONS
        )
        if records == 0:
            writer.abandon()
            if rejected_writer is not None:
                rejected_writer.abandon()
            reasons = (
                ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items())) or "nothing to read"
            )
            what = inputs[0].display if len(inputs) == 1 else f"{len(inputs)} input files"
            raise CurateError(f"no record could be read from {what} ({reasons})")

        try:
            shards, dup_skips = _drop_repeated_ids(writer, ordered, rejected_writer)
        except CurateError:
            writer.abandon()
            if rejected_writer is not None:
                rejected_writer.abandon()
            raise
        if dup_skips:
            skipped["duplicate_id"] += dup_skips
        if ignored:
            skipped["unknown_format"] += len(ignored)
        written = sum(s.rows for s in shards)
        lineage_step = {
            "source": source,
            "input": [f.display for f in inputs],
            "rows_in": records,
            "rows_out": written,
            "removed": dict(sorted(skipped.items())),
            "notes": dict(sorted(notes.items())),
            "bytes_in": total_bytes,
            "unknown_format_files": ignored[:100],
            **lineage_facts(executor),
        }
        if rejected_writer is not None:  # first: see `run_map`
            rej_shards = rejected_writer.done_shards()
            rejected_writer.finish(
                shards=rej_shards,
                schema=INGEST_REJECTED_SCHEMA,
                sources={},
                lineage_step={
                    "rejected_of": str(output),
                    "rows_out": sum(s.rows for s in rej_shards),
                },
            )
        ds = writer.finish(
            shards=shards,
            schema=INGEST_SCHEMA,
            sources={source: declared},
            lineage_step=lineage_step,
            system=system,
        )
        if written == 0:
            warn(console, f"{records} records were read but none written; see the reasons below")
        return IngestResult(
            dataset=ds,
            written=written,
            skipped=dict(skipped),
            notes=dict(notes),
            bytes_in=total_bytes,
            bytes_out=sum(s.bytes for s in shards),
            seconds=time.monotonic() - t0,
            files=len(inputs),
        )


def _refuse_stdin_resume(location: str | Path | None, overwrite: bool) -> None:
    """An unfinished run from standard input cannot resume: the stream it read is gone."""
    if location is None or overwrite:
        return
    store = Store(location)
    if not store.exists(PENDING):
        return
    try:
        pending = json.loads(store.read_bytes(PENDING))
    except (OSError, ValueError):
        return  # not ours to judge: the writer says what it is
    if isinstance(pending, dict) and "stdin_run" in (pending.get("params") or {}):
        raise CurateError(
            f"{store.display()}: holds an unfinished ingest from standard input, which "
            "cannot be resumed (the stream it read is gone); pass --overwrite to start "
            "again"
        )


def _check_extractor(name: str) -> None:
    """Fail before any work when the HTML extractor is unknown (imports the HTML stack)."""
    from curate.ingest.extract import EXTRACTORS

    if name not in EXTRACTORS:
        raise CurateError(f"unknown --extractor `{name}`; choose one of: {', '.join(EXTRACTORS)}")


_TASK_NAME = re.compile(r"part-(\d+)-\d+\.parquet$")


def _next_task_number(base: Dataset | None) -> int:
    """Appended tasks continue the numbering, so shard names never clash."""
    if base is None:
        return 0
    numbers = [int(m.group(1)) for s in base.shards if (m := _TASK_NAME.match(s.name))]
    return max(numbers, default=len(base.shards) - 1) + 1


def _result_from_state(task: Task, state: Any, writer: DatasetWriter) -> TaskResult:
    """A task finished by an earlier (interrupted) run: its shards and counts, not redone."""
    shards = []
    for s in state.done[task.key]:
        path = writer.path_of(s["name"])
        # a shard may have been rewritten after its task finished (repeated ids): trust the file
        rows = pq.read_metadata(shard_source(path)).num_rows
        shards.append(Shard(s["name"], path, rows, writer.store.size(s["name"])))
    info = state.info.get(task.key, {})
    ids: list[str] = []
    for s in shards:
        ids.extend(_ids(s))
    return TaskResult(
        number=task.number,
        shards=shards,
        rejected_shards=[],
        written=info.get("written", sum(s.rows for s in shards)),
        skipped=info.get("skipped", {}),
        notes=info.get("notes", {}),
        bytes_in=info.get("bytes_in", 0),
        hashes=id_hash(ids),
    )


def _drop_repeated_ids(
    writer: DatasetWriter,
    ordered: list[TaskResult],
    rejected_writer: DatasetWriter | None = None,
) -> tuple[list[Shard], int]:
    """Find ids repeated across tasks (or already in an appended-to dataset).

    Each task drops its own repeats while reading; across tasks the parent compares
    64-bit id hashes (8 bytes per document: the one place ingest's memory grows with
    the corpus) and rewrites the rare shards that hold a later copy (kept, with the
    reason `duplicate_id`, in `--rejected` like every other skipped record). An id that
    is already in the dataset being appended to is a user error (CLI.md): exit 2.
    """
    shards = [s for r in ordered for s in r.shards]
    new = np.concatenate([r.hashes for r in ordered]) if ordered else np.empty(0, np.uint64)
    if writer.base is not None and writer.base.rows:
        old = _dataset_hashes(writer.base)
        clash = np.intersect1d(old, new)
        if clash.size:
            first = _find_id_with_hash(shards, int(clash[0]))
            raise CurateError(
                f"{writer.folder}: id {first!r} is already in the dataset "
                f"({clash.size} ids clash); give this source distinct ids (--id-field) or "
                "ingest it into another dataset"
            )
    if new.size < 2:
        return shards, 0
    uniq, counts = np.unique(new, return_counts=True)
    repeated = set(uniq[counts > 1].tolist())
    if not repeated:
        return shards, 0
    seen: set[str] = set()
    dropped = 0
    out: list[Shard] = []
    rejected_rows: list[dict[str, Any]] = []
    for shard in shards:
        table = pq.read_table(shard_source(shard.path))
        ids = table.column("id").to_pylist()
        hashes = id_hash(ids)
        keep = np.ones(len(ids), dtype=bool)
        for i, (h, doc_id) in enumerate(zip(hashes.tolist(), ids, strict=True)):
            if h in repeated:
                if doc_id in seen:
                    keep[i] = False
                else:
                    seen.add(doc_id)
        if keep.all():
            out.append(shard)
            continue
        dropped += int((~keep).sum())
        if rejected_writer is not None:
            texts = table.column("text")
            for i in np.flatnonzero(~keep).tolist():
                raw = (texts[i].as_py() or "").encode()[:RAW_LIMIT]
                rejected_rows.append(
                    {"path": shard.name, "offset": i, "reason": "duplicate_id", "raw": raw}
                )
        sink = writer.shard_sink(shard.name, table.schema)
        sink.write(table.filter(pa.array(keep)))
        out.append(sink.commit())
    if rejected_writer is not None and rejected_rows:
        name = f"part-{ordered[0].number:05d}-repeated-ids.parquet"
        sink = rejected_writer.shard_sink(name, INGEST_REJECTED_SCHEMA)
        sink.write(pa.Table.from_pylist(rejected_rows, schema=INGEST_REJECTED_SCHEMA))
        rejected_writer.unit_done("repeated-ids", [sink.commit()])
    return out, dropped


def _ids(shard: Shard) -> list[str]:
    return pq.read_table(shard_source(shard.path), columns=["id"]).column("id").to_pylist()


def _dataset_hashes(ds: Dataset) -> np.ndarray:
    parts = [id_hash(b.column(0).to_pylist()) for b in ds.iter_batches(columns=["id"])]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)


def _find_id_with_hash(shards: list[Shard], h: int) -> str:
    for s in shards:
        ids = _ids(s)
        for doc_id, hh in zip(ids, id_hash(ids).tolist(), strict=True):
            if hh == h:
                return doc_id
    return "?"


def summary_rows(result: IngestResult) -> list[tuple[str, str]]:
    """The rows of the summary table printed at the end of `curate ingest`."""
    rows = [
        ("input files", f"{result.files:,}"),
        ("documents written", f"{result.written:,}"),
    ]
    for reason, n in sorted(result.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append((f"skipped: {reason}", f"{n:,}"))
    for what, n in sorted(result.notes.items()):
        if what.startswith("record_type:"):
            rows.append((f"  of which {what.split(':', 1)[1]}", f"{n:,}"))
        else:
            rows.append((f"kept, {what}", f"{n:,}"))
    rows += [
        ("bytes in", human_bytes(result.bytes_in)),
        ("bytes out", human_bytes(result.bytes_out)),
        ("time", f"{result.seconds:.1f} s"),
    ]
    return rows


def print_summary(console: Console, result: IngestResult, output: str) -> None:
    if result.up_to_date:
        console.print(f"{output}: up to date (same inputs and options); nothing to do")
        return
    console.print(summary_table(f"curate ingest → {output}", summary_rows(result)))
