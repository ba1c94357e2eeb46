"""`curate stats`: what a dataset holds, in numbers a curator checks first.

Reads the dataset shard by shard on an executor (`--executor local|ray`), each shard
batch by batch (memory bounded by the batch, plus 4 bytes per document for exact
length percentiles); the shards' counts merge to the same numbers whatever ran them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from curate.dataset import Dataset, Shard, open_dataset
from curate.errors import CurateError
from curate.executor import Executor, make_executor, report, run_units

PERCENTILES = (0, 1, 5, 25, 50, 75, 95, 99, 100)
TOP = 20


def compute_stats(spec: str, executor: Executor | None = None) -> dict[str, Any]:
    """The stats of one dataset as a JSON-ready dict (`curate stats --json` prints it)."""
    ds = open_dataset(spec)
    return dataset_stats(ds, executor)


@dataclass(frozen=True)
class StatsUnit:
    """One shard to count."""

    location: str
    shard: Shard
    schema: pa.Schema  # of the columns read
    group_cols: tuple[str, ...]


@dataclass
class ShardStats:
    """What one shard holds: the counts that add up, and its documents' lengths."""

    chars: int = 0
    words: int = 0
    nulls: int = 0
    lengths: list[np.ndarray] = field(default_factory=list)
    counters: dict[str, Counter[str]] = field(default_factory=dict)
    tokens: int = 0  # the sum of `n_tokens`, where the column exists
    token_totals: dict[str, Counter[str]] = field(default_factory=dict)  # per source, lang


def shard_stats(unit: StatsUnit) -> ShardStats:
    out = ShardStats(counters={c: Counter() for c in unit.group_cols})
    ds = Dataset(unit.location, [unit.shard], unit.schema)
    for batch in ds.shard_batches(unit.shard, columns=unit.schema.names):
        df = pl.from_arrow(pa.Table.from_batches([batch]))
        assert isinstance(df, pl.DataFrame)
        if "text" in df.columns:
            text = df.get_column("text")
            n_chars = text.str.len_chars()
            out.nulls += int(text.null_count())
            out.chars += int(n_chars.sum() or 0)
            out.words += int(text.str.count_matches(r"\S+").sum() or 0)
            out.lengths.append(n_chars.fill_null(0).to_numpy().astype(np.int32))
        if "n_tokens" in df.columns:
            out.tokens += _add_tokens(df, list(unit.group_cols), out.token_totals)
        for c in unit.group_cols:
            col = df.get_column(c)
            if col.dtype == pl.List:
                # a document without a licence marker counts under "(none)", like a null
                col = col.explode(empty_as_null=True)
            counts = col.cast(pl.String).fill_null("(none)").value_counts()
            for value, n in counts.iter_rows():
                out.counters[c][value] += int(n)
        report(docs=batch.num_rows)
    if len(out.lengths) > 1:
        out.lengths = [np.concatenate(out.lengths)]
    return out


def dataset_stats(ds: Dataset, executor: Executor | None = None) -> dict[str, Any]:
    """The stats of `ds`, its shards counted on `executor` (default: local; threads for a
    small dataset). Ties in a ranking are in name order."""
    names = ds.column_names()
    if "text" in names:
        text_type = ds.schema.field("text").type
        if not (pa.types.is_string(text_type) or pa.types.is_large_string(text_type)):
            raise CurateError(
                f"{ds.location}: column `text` is {text_type}, expected string; "
                "re-run `curate ingest` on the source data"
            )
    group_cols = [c for c in ("source", "lang", "license") if c in names]
    has_tokens = "n_tokens" in names
    read_cols = [c for c in ("text", *group_cols, "n_tokens") if c in names]
    schema = pa.schema([ds.schema.field(c) for c in read_cols])
    units = [StatsUnit(ds.location, s, schema, tuple(group_cols)) for s in ds.shards]
    total = ShardStats(counters={c: Counter() for c in group_cols})

    def add(_unit: StatsUnit, part: ShardStats) -> None:
        total.chars += part.chars
        total.words += part.words
        total.nulls += part.nulls
        total.lengths.extend(part.lengths)
        for c, counter in part.counters.items():
            total.counters[c].update(counter)
        total.tokens += part.tokens
        for c, counter in part.token_totals.items():
            total.token_totals.setdefault(c, Counter()).update(counter)

    executor = (executor or make_executor()).for_input(ds.rows, ds.bytes)
    run_units(executor, shard_stats, units, progress=None, on_result=add, what="shard")
    counters = {c: Counter({k: v[k] for k in sorted(v)}) for c, v in total.counters.items()}
    chars, words, nulls, lengths = total.chars, total.words, total.nulls, total.lengths
    tokens = total.tokens
    token_totals = {c: Counter({k: v[k] for k in sorted(v)}) for c, v in total.token_totals.items()}
    docs = ds.rows
    all_lengths = np.concatenate(lengths) if lengths else np.empty(0, np.int32)
    pct = (
        {f"p{p}": int(np.percentile(all_lengths, p, method="nearest")) for p in PERCENTILES}
        if all_lengths.size
        else {}
    )
    out: dict[str, Any] = {
        "dataset": ds.location,
        "bare_parquet": ds.is_bare,
        "shards": len(ds.shards),
        "documents": docs,
        "bytes": ds.bytes,
        "characters": chars,
        "words": words,
        "null_text": nulls,
        "length_chars": pct,
        "columns": [{"name": f.name, "type": str(f.type)} for f in ds.schema],
        "sources": dict(counters.get("source", Counter()).most_common()),
        "lineage": [_lineage_row(step) for step in ds.lineage],
    }
    if "lang" in counters:
        out["languages"] = dict(counters["lang"].most_common(TOP))
    if "license" in counters:
        out["licenses"] = dict(counters["license"].most_common(TOP))
    if has_tokens:
        out["tokens"] = tokens
        out["tokens_by_source"] = dict(token_totals.get("source", Counter()).most_common())
        if "lang" in token_totals:
            out["tokens_by_language"] = dict(token_totals["lang"].most_common(TOP))
    out["declared_sources"] = sorted(ds.sources)
    return out


def _add_tokens(df: pl.DataFrame, group_cols: list[str], totals: dict[str, Counter[str]]) -> int:
    """Add a batch's `n_tokens` to the totals per source and language; its sum."""
    n = df.get_column("n_tokens").cast(pl.Int64).fill_null(0)
    for c in ("source", "lang"):
        if c not in group_cols:
            continue
        keys = df.get_column(c).cast(pl.String).fill_null("(none)")
        sums = pl.DataFrame({"k": keys, "n": n}).group_by("k").agg(pl.col("n").sum())
        for key, value in sums.iter_rows():
            totals.setdefault(c, Counter())[key] += int(value)
    return int(n.sum())


def _lineage_row(step: dict[str, Any]) -> dict[str, Any]:
    keep = ("step", "version", "source", "started", "ended", "rows_in", "rows_out", "removed")
    return {k: step[k] for k in keep if k in step}
