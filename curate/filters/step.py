"""The `filter` map step: run a chain of families over each batch, keep, reject, annotate.

One runner for every family (STYLE.md §5.1): families only decide; this module does
the per-batch work (documents → decisions, in worker processes when a dataset has
fewer shards than `--workers`), the `filter` / `filter_reason` columns, `--annotate`,
the rejected rows and the per-reason counts that `curate.step.run_map` puts in the
lineage.
"""

from __future__ import annotations

import atexit
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from curate.errors import CurateError
from curate.executor import Executor
from curate.filters.base import Family
from curate.filters.text import Doc
from curate.step import BatchOutput, MapResult, run_map

FILTER_COLUMNS = ("filter", "filter_reason")
_ARROW = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}
# Below this many documents a batch is decided in-process: a pool round trip costs more.
_MIN_PARALLEL_DOCS = 64
# Rows per batch: documents, their tokens and decisions are held per batch, so this
# bounds memory (web pages average a few KB; 2,000 keep a batch near 10-30 MB of text).
BATCH_ROWS = 2_000


@dataclass
class Decisions:
    """What the chain made of a list of documents (picklable, returned by workers)."""

    texts: list[str]  # text after the chain (C4 rewrites it)
    changed: list[bool]
    family: list[str | None]
    reason: list[str | None]
    annotations: dict[str, list[Any]]
    stats: Counter[str] = field(default_factory=Counter)


def decide(chain: tuple[Family, ...], texts: list[str | None], urls: list[str | None]) -> Decisions:
    """Run the chain over documents: the first family that fails a document names it."""
    stats: Counter[str] = Counter()
    docs = []
    for t, u in zip(texts, urls, strict=True):
        if not isinstance(t, str):
            stats["null_text"] += 1
            t = ""
        docs.append(Doc(t, u))
    n = len(docs)
    family: list[str | None] = [None] * n
    reason: list[str | None] = [None] * n
    alive = list(range(n))
    for fam in chain:
        if not alive:
            break
        fam.prepare()
        verdicts = fam.check_batch([docs[i] for i in alive], stats)
        still = []
        for i, v in zip(alive, verdicts, strict=True):
            if v is None:
                still.append(i)
            else:
                family[i], reason[i] = fam.name, v
        alive = still
    annotations: dict[str, list[Any]] = {}
    for fam in chain:
        if fam.columns:
            rows = [fam.annotations(d) for d in docs]
            for col in fam.columns:
                annotations[col] = [r.get(col) for r in rows]
    originals = [t if isinstance(t, str) else "" for t in texts]
    out_texts = [d.text for d in docs]
    changed = [a != b for a, b in zip(out_texts, originals, strict=True)]
    return Decisions(out_texts, changed, family, reason, annotations, stats)


def _decide_chunk(args: tuple[tuple[Family, ...], list[str | None], list[str | None]]) -> Decisions:
    return decide(*args)


_POOL: dict[int, ProcessPoolExecutor] = {}


def _pool(workers: int) -> ProcessPoolExecutor:
    """A pool kept for the whole run: spawning per batch would cost more than it saves."""
    if workers not in _POOL:
        import multiprocessing as mp

        _POOL[workers] = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"))
        atexit.register(_POOL[workers].shutdown)
    return _POOL[workers]


def shutdown_pools() -> None:
    for p in _POOL.values():
        p.shutdown()
    _POOL.clear()


def _merge(parts: list[Decisions]) -> Decisions:
    out = Decisions([], [], [], [], {}, Counter())
    for p in parts:
        out.texts += p.texts
        out.changed += p.changed
        out.family += p.family
        out.reason += p.reason
        for k, v in p.annotations.items():
            out.annotations.setdefault(k, []).extend(v)
        out.stats.update(p.stats)
    return out


@dataclass(frozen=True)
class FilterStep:
    """`curate filter` as a map step (see `curate.step.MapStep`)."""

    chain: tuple[Family, ...]
    annotate: bool = False
    inner_workers: int = 1
    name: str = "filter"

    def params(self) -> dict[str, Any]:
        return {
            "filters": [{"family": f.name, **_jsonable(f.params())} for f in self.chain],
            "annotate": self.annotate,
        }

    def added_fields(self) -> list[pa.Field]:
        fields = []
        for fam in self.chain:
            for col, typ in fam.columns.items():
                fields.append(pa.field(col, _ARROW[typ]))
        return fields

    def _ours(self) -> set[str]:
        return {f.name for f in self.added_fields()} | set(FILTER_COLUMNS)

    def _base(self, schema: pa.Schema) -> pa.Schema:
        ours = self._ours()
        keep = [f for f in schema if f.name not in ours]
        return pa.schema(keep, metadata=schema.metadata)

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        base = self._base(schema)
        for f in self.added_fields():
            base = base.append(f)
        if self.annotate:
            for c in FILTER_COLUMNS:
                base = base.append(pa.field(c, pa.string()))
        return base

    def rejected_schema(self, schema: pa.Schema) -> pa.Schema | None:
        if self.annotate:
            return None
        base = self._base(schema)
        for f in self.added_fields():
            base = base.append(f)
        for c in FILTER_COLUMNS:
            base = base.append(pa.field(c, pa.string()))
        return base

    def _decide(self, texts: list[str | None], urls: list[str | None]) -> Decisions:
        w = self.inner_workers
        if w <= 1 or len(texts) < _MIN_PARALLEL_DOCS:
            return decide(self.chain, texts, urls)
        size = -(-len(texts) // (w * 4))
        chunks = [
            (self.chain, texts[i : i + size], urls[i : i + size])
            for i in range(0, len(texts), size)
        ]
        return _merge(list(_pool(w).map(_decide_chunk, chunks)))

    def process(self, table: pa.Table) -> BatchOutput:
        texts = table.column("text").to_pylist()
        urls = (
            table.column("url").to_pylist()
            if "url" in table.column_names and pa.types.is_string(table.schema.field("url").type)
            else [None] * table.num_rows
        )
        d = self._decide(texts, urls)
        base = table.drop_columns([c for c in table.column_names if c in self._ours()])
        extra = [
            pa.array(d.annotations.get(f.name, [None] * table.num_rows), f.type)
            for f in self.added_fields()
        ]
        kept_mask = pa.array([f is None for f in d.family], pa.bool_())
        removed = Counter(f"{f}.{r}" for f, r in zip(d.family, d.reason, strict=True) if f)
        totals: dict[str, float] = {k: float(v) for k, v in d.stats.items()}
        totals["documents_rewritten"] = float(
            sum(1 for c, f in zip(d.changed, d.family, strict=True) if c and f is None)
        )
        filt = pa.array(d.family, pa.string())
        why = pa.array(d.reason, pa.string())
        if any(d.changed):
            idx = base.column_names.index("text")
            # Rewritten text only for kept documents; a removed one keeps its input text.
            new_text = [
                t if f is None else o for t, f, o in zip(d.texts, d.family, texts, strict=True)
            ]
            kept_base = base.set_column(
                idx, base.schema.field("text"), pa.array(new_text, base.schema.field("text").type)
            )
        else:
            kept_base = base
        out = kept_base
        for f, arr in zip(self.added_fields(), extra, strict=True):
            out = out.append_column(f, arr)
        if self.annotate:
            out = out.append_column(pa.field("filter", pa.string()), filt)
            out = out.append_column(pa.field("filter_reason", pa.string()), why)
            for k, v in removed.items():
                totals[f"flagged.{k}"] = float(v)
            return BatchOutput(out, None, {}, totals)
        kept = out.filter(kept_mask)
        rejected = None
        if removed:
            rej = base
            for f, arr in zip(self.added_fields(), extra, strict=True):
                rej = rej.append_column(f, arr)
            rej = rej.append_column(pa.field("filter", pa.string()), filt)
            rej = rej.append_column(pa.field("filter_reason", pa.string()), why)
            rejected = rej.filter(pc.invert(kept_mask))
        return BatchOutput(kept, rejected, dict(removed), totals)


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (list(map(list, v)) if _is_pairs(v) else list(v) if isinstance(v, tuple) else v)
        for k, v in params.items()
    }


def _is_pairs(v: Any) -> bool:
    return isinstance(v, tuple) and bool(v) and all(isinstance(x, tuple) for x in v)


def filter_dataset(
    source: str | Path,
    output: str | Path,
    chain: list[Family],
    *,
    annotate: bool = False,
    rejected: str | Path | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    overwrite: bool = False,
    console: Any = None,
) -> MapResult:
    """Filter a dataset with `chain` (see `curate.filters.registry.build_chain`).

    Parallelism is the executor's choice (`Executor.split`): locally, shards go to
    worker processes when there are at least four a worker, else each batch's documents
    are spread over the workers, so a one-shard dataset still uses every core.
    """
    from curate.dataset import open_dataset
    from curate.executor import make_executor

    if annotate and rejected is not None:
        raise CurateError("--rejected has no effect with --annotate (nothing is removed); drop one")
    ds = open_dataset(source)
    shard_executor, inner = (executor or make_executor(workers)).split(len(ds.shards), ds.rows)
    for fam in chain:
        fam.prepare()  # a bad model path or list fails now, not in a worker
    step = FilterStep(tuple(chain), annotate=annotate, inner_workers=inner)
    try:
        return run_map(
            step,
            ds,
            output,
            rejected=rejected,
            executor=shard_executor,
            overwrite=overwrite,
            console=console,
            batch_rows=BATCH_ROWS,
        )
    finally:
        shutdown_pools()
