"""The `filter` map step: run a chain of families over each batch, keep, reject, annotate.

One runner for every family (STYLE.md §5.1): families only decide; this module does
the per-batch work (documents → decisions), the `filter` / `filter_reason` columns,
`--annotate`, the rejected rows and the per-reason counts that `curate.step.run_map`
puts in the lineage (which also decides where the batches run: shards, or row ranges
of few large shards, on the executor).
"""

from __future__ import annotations

from collections import Counter
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
# Rows per batch: documents, their tokens and decisions are held per batch, so this
# bounds memory (web pages average a few KB; 2,000 keep a batch near 10-30 MB of text).
BATCH_ROWS = 2_000


@dataclass
class Decisions:
    """What the chain made of a batch's documents."""

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


@dataclass(frozen=True)
class FilterStep:
    """`curate filter` as a map step (see `curate.step.MapStep`)."""

    chain: tuple[Family, ...]
    annotate: bool = False
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

    def process(self, table: pa.Table) -> BatchOutput:
        texts = table.column("text").to_pylist()
        urls = (
            table.column("url").to_pylist()
            if "url" in table.column_names and pa.types.is_string(table.schema.field("url").type)
            else [None] * table.num_rows
        )
        d = decide(self.chain, texts, urls)
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

    Parallelism is the executor's choice (`Executor.split`, applied by `run_map`):
    shards run in parallel when there are at least four a worker; fewer, large shards
    are cut into row ranges that run in parallel and are put back together, so a
    one-shard dataset still uses every core (and every node of a Ray cluster).
    """
    if annotate and rejected is not None:
        raise CurateError("--rejected has no effect with --annotate (nothing is removed); drop one")
    for fam in chain:
        fam.prepare()  # a bad model path or list fails now, not in a worker
    step = FilterStep(tuple(chain), annotate=annotate)
    return run_map(
        step,
        source,
        output,
        rejected=rejected,
        workers=workers,
        executor=executor,
        overwrite=overwrite,
        console=console,
        batch_rows=BATCH_ROWS,
    )
