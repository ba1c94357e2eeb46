"""Rows of a dataset chosen by `--where`, `--columns`, `--limit` and `--sample`.

`curate show` and `curate export` read a dataset the same way: shard by shard in
batches (memory bounded by the batch, whatever the dataset's size), each batch filtered
by a Polars SQL predicate and cut to the requested columns. Only the columns the
output or the predicate needs are read from the Parquet files.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from curate.dataset import Dataset
from curate.errors import CurateError

DEFAULT_BATCH_ROWS = 50_000


def parse_columns(spec: str | Sequence[str] | None) -> list[str] | None:
    """`id,text` (or a list, as a repeated option gives) as a list of names; None: all."""
    if spec is None:
        return None
    parts = [spec] if isinstance(spec, str) else list(spec)
    names = [c.strip() for p in parts for c in p.split(",") if c.strip()]
    if not names:
        raise CurateError("--columns: give at least one column name (e.g. --columns id,text)")
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Selection:
    """Which rows and columns of a dataset to read."""

    columns: tuple[str, ...] | None = None
    where: str | None = None

    def predicate(self) -> pl.Expr | None:
        """The `--where` predicate as a Polars expression (a parse error exits 2)."""
        if self.where is None or not self.where.strip():
            return None
        try:
            return pl.sql_expr(self.where)
        except pl.exceptions.PolarsError as exc:
            raise CurateError(
                f"--where {self.where!r}: not a SQL predicate Polars can read "
                f"({_first_line(exc)}); e.g. --where \"filter_reason = 'top_2_gram'\""
            ) from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def output_columns(ds: Dataset, selection: Selection) -> list[str]:
    """The columns the output holds, in the order asked (all, in dataset order, by default)."""
    have = ds.column_names()
    if selection.columns is None:
        return have
    missing = [c for c in selection.columns if c not in have]
    if missing:
        raise CurateError(
            f"--columns: {', '.join(missing)} not in {ds.location} (its columns: {', '.join(have)})"
        )
    return list(selection.columns)


def plan_read(ds: Dataset, selection: Selection) -> tuple[list[str], pl.Expr | None, list[str]]:
    """The output columns, the predicate, and the columns to read for both (checked:
    an unknown name exits 2 before anything is read)."""
    columns = output_columns(ds, selection)
    predicate = selection.predicate()
    needed = list(columns)
    if predicate is not None:
        have = set(ds.column_names())
        refs = predicate.meta.root_names()
        unknown = [c for c in refs if c not in have]
        if unknown:
            raise CurateError(
                f"--where {selection.where!r}: no column {', '.join(unknown)} in "
                f"{ds.location} (its columns: {', '.join(ds.column_names())})"
            )
        needed += [c for c in refs if c not in needed]
    return columns, predicate, needed


def where_failed(selection: Selection, exc: BaseException) -> CurateError:
    return CurateError(f"--where {selection.where!r}: cannot be evaluated ({_first_line(exc)})")


def iter_selected(
    ds: Dataset, selection: Selection, *, batch_rows: int = DEFAULT_BATCH_ROWS
) -> Iterator[pl.DataFrame]:
    """The selected rows as Polars frames, in dataset order (empty frames skipped)."""
    columns, predicate, needed = plan_read(ds, selection)
    for shard in ds.shards:
        yield from shard_frames(ds, shard, needed, predicate, columns, selection, batch_rows)


def shard_frames(
    ds: Dataset,
    shard: Any,
    needed: list[str],
    predicate: pl.Expr | None,
    columns: list[str],
    selection: Selection,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Iterator[pl.DataFrame]:
    """One shard's selected rows (`plan_read`'s columns and predicate), batch by batch."""
    for batch in ds.shard_batches(shard, columns=needed, batch_size=batch_rows):
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        if predicate is not None:
            try:
                frame = frame.filter(predicate)
            except pl.exceptions.PolarsError as exc:
                raise where_failed(selection, exc) from exc
        if frame.height:
            yield frame.select(columns) if frame.columns != columns else frame


def sample_rows(
    ds: Dataset, selection: Selection, n: int, *, seed: int, batch_rows: int = DEFAULT_BATCH_ROWS
) -> pl.DataFrame:
    """`n` selected rows drawn uniformly without replacement, the same for the same seed.

    Each row gets a key from a seeded hash of its `id` (of its position when the
    dataset has no ids; `curate.keys`); the rows with the `n` smallest keys win. Only `n` rows are
    held at any time, and the draw does not depend on shard or batch boundaries.
    """
    if n < 1:
        raise CurateError("--sample must be at least 1")
    kept: pl.DataFrame | None = None
    offset = 0
    read = selection
    if "id" in ds.column_names() and selection.columns and "id" not in selection.columns:
        read = Selection(columns=(*selection.columns, "id"), where=selection.where)
    for frame in iter_selected(ds, read, batch_rows=batch_rows):
        keys = _keys(frame, seed, offset)
        offset += frame.height
        frame = frame.with_columns(keys.alias("__key"))
        kept = frame if kept is None else pl.concat([kept, frame], how="vertical_relaxed")
        kept = kept.sort("__key").head(n)
    columns = output_columns(ds, selection)
    if kept is None:
        return empty_frame(ds, columns)
    return kept.select(columns)


def _keys(frame: pl.DataFrame, seed: int, offset: int) -> pl.Series:
    """Stable keys (`curate.keys`): the same sample on any machine and library version."""
    import numpy as np

    from curate.keys import derive, id_keys

    if "id" in frame.columns:
        base = id_keys(frame.get_column("id").cast(pl.String).fill_null("").to_list())
    else:
        base = np.arange(offset, offset + frame.height, dtype=np.uint64)
    return pl.Series(derive(base, seed, 0), dtype=pl.UInt64)


def empty_frame(ds: Dataset, columns: Sequence[str]) -> pl.DataFrame:
    """No rows, with the columns' types (what a selection that matched nothing gives)."""
    import pyarrow as pa

    table = pa.schema([ds.schema.field(c) for c in columns]).empty_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
