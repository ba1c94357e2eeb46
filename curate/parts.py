"""Shards cut into row ranges, so that a dataset of a few large shards keeps every worker busy.

A map step's unit is one input shard. When a dataset has fewer shards than a few a
worker (one huge file, a handful of them), the executor's `split` says so, and each
large shard is cut into row ranges of `PART_ROWS` rows (a whole number of batches,
chosen from the data only: never from the number of workers). Each range is a unit of
its own, run on the same executor as any unit (local processes, threads, Ray tasks); it
writes its rows as a *part*, a Parquet file under `_curate.parts/<shard>/` of the output
(and of the `--rejected` dataset). Once every part of a shard is done, one more unit
copies the parts' row groups, in order, into the shard.

A map step writes one row group a batch, and a range starts on a batch boundary, so the
shard put together is byte for byte the shard a single unit writes: the same row groups,
ids, order and values; the counts are sums of integers, the same in any order.

Resume: the driver records a finished part with a marker file beside it (its files'
sizes and its counts). A rerun reuses a part whose files are there at those sizes and
redoes the others; temporary files of a worker that died are removed. A shard's parts
are removed once the shard is recorded done, and the whole folder when the output is
committed (`DatasetWriter._tidy`); `--overwrite` removes it with the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curate.dataset import PARTS, TMP_PREFIX, Shard, ShardSink, join, read_json, shard_source
from curate.storage import Store

# Rows of a part (rounded up to whole batches): ~8 s of the FineWeb chain on one core,
# so per-part costs (opening the shard, writing the part, copying it back: well under a
# second) stay small, while a shard of 100,000 rows still makes 25 units to balance.
PART_ROWS = 4_000

Rows = tuple[int, int]


def row_ranges(rows: int, batch_rows: int) -> list[Rows]:
    """The row ranges a shard of `rows` rows is cut into (one range: not cut)."""
    size = batch_rows * max(1, -(-PART_ROWS // batch_rows))
    return [(start, min(start + size, rows)) for start in range(0, rows, size)] or [(0, 0)]


def part_name(rows: Rows) -> str:
    return f"rows-{rows[0]:012d}-{rows[1]:012d}.parquet"


def parts_folder(output: Path | str, shard: str) -> Path | str:
    """Where the parts of `shard` are written in the output `output`."""
    return join(join(output, PARTS), shard)


class PartBook:
    """The finished parts of one run's cut shards, as the driver records them."""

    def __init__(self, output: Path | str, rejected: Path | str | None, batch_rows: int) -> None:
        self.output = output
        self.rejected = rejected
        self.batch_rows = batch_rows

    def _marker(self, rows: Rows) -> str:
        return part_name(rows).removesuffix(".parquet") + ".json"

    def done(self, shard: str, ranges: list[Rows]) -> dict[Rows, dict[str, Any]]:
        """The ranges of `shard` already done (their markers' contents), after removing
        temporary files that workers which died left among the parts."""
        store = Store(parts_folder(self.output, shard))
        present = _files(store)
        rej_present = (
            _files(Store(parts_folder(self.rejected, shard))) if self.rejected is not None else {}
        )
        out: dict[Rows, dict[str, Any]] = {}
        for rows in ranges:
            if self._marker(rows) not in present:
                continue
            marker = read_json(store, self._marker(rows))
            if self._usable(marker, present, rej_present):
                out[rows] = marker
        return out

    def _usable(
        self, marker: dict[str, Any], present: dict[str, int], rej_present: dict[str, int]
    ) -> bool:
        """A marker of this batch size whose files are there at the recorded sizes."""
        return (
            marker.get("batch_rows") == self.batch_rows
            and isinstance(marker.get("info"), dict)
            and _there(marker.get("part"), present)
            and (self.rejected is None or _there(marker.get("rejected"), rej_present))
        )

    def record(
        self, shard: str, rows: Rows, part: Shard, rejected: Shard | None, info: dict[str, Any]
    ) -> None:
        """A part is done: both its files are in place (called in the driver)."""
        marker = {
            "shard": shard,
            "rows": list(rows),
            "batch_rows": self.batch_rows,
            "part": part.to_json(),
            "rejected": rejected.to_json() if rejected is not None else None,
            "info": info,
        }
        Store(parts_folder(self.output, shard)).write_bytes(
            self._marker(rows), json.dumps(marker, default=str).encode()
        )

    def remove(self, shard: str) -> None:
        """Drop a shard's parts once the shard is recorded done."""
        for output in (self.output, self.rejected):
            if output is not None:
                Store(join(output, PARTS)).delete(shard)


def _files(store: Store) -> dict[str, int]:
    """Name -> size of the files of a parts folder; temporary files are removed."""
    out = {}
    for e in store.list():
        if e.name.startswith(TMP_PREFIX):
            store.delete(e.name)
        elif not e.is_dir:
            out[e.name] = e.size
    return out


def _there(entry: Any, present: dict[str, int]) -> bool:
    return isinstance(entry, dict) and present.get(str(entry.get("name"))) == entry.get("bytes")


@dataclass(frozen=True)
class AssembleJob:
    """Put a cut shard together from its parts (a unit: runs on the executor)."""

    shard: Shard  # the input shard: its name is the output shard's
    ranges: tuple[Rows, ...]
    output: Path | str
    schema: pa.Schema
    rejected: Path | str | None = None
    rejected_schema: pa.Schema | None = None


def assemble(job: AssembleJob) -> tuple[Shard, Shard | None]:
    """The output shard (and its rejected shard), copied row group by row group from
    the parts in row order: one row group in memory at a time."""
    shard = _put_together(job.output, job.shard.name, job.schema, job.ranges)
    rejected = None
    if job.rejected is not None and job.rejected_schema is not None:
        rejected = _put_together(job.rejected, job.shard.name, job.rejected_schema, job.ranges)
    return shard, rejected


def _put_together(
    output: Path | str, name: str, schema: pa.Schema, ranges: tuple[Rows, ...]
) -> Shard:
    folder = parts_folder(output, name)
    sink = ShardSink(output, name, schema)
    try:
        for rows in ranges:
            with pq.ParquetFile(shard_source(join(folder, part_name(rows)))) as pf:
                for group in range(pf.num_row_groups):
                    sink.write(pf.read_row_group(group))
        return sink.commit()
    except BaseException:
        sink.abort()
        raise
