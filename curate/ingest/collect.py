"""Collect documents from readers into shards, and skipped records into counts.

Readers only say "here is a document" or "this record is skipped, because…"; the
collector turns that into Arrow batches, rolls shards at `--shard-rows`, drops
repeated ids, and keeps the rejected snippets, so every reader reports the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from curate.dataset import Shard, ShardSink
from curate.executor import report
from curate.schema import INGEST_REJECTED_SCHEMA

BATCH_ROWS = 5_000
RAW_LIMIT = 4096


def id_hash(ids: list[str]) -> np.ndarray:
    """64-bit hashes of ids: what the parent keeps to find ids repeated across tasks."""
    out = np.empty(len(ids), dtype=np.uint64)
    for i, s in enumerate(ids):
        out[i] = int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")
    return out


def record_id(source: str, display: str, index: int) -> str:
    """The id of a record that has none of its own: stable across reruns and machines."""
    key = f"{source}\x00{display}\x00{index}".encode()
    return hashlib.blake2b(key, digest_size=16).hexdigest()


class Collector:
    """Buffers one task's documents into shards `part-TTTTT-CCCC.parquet`."""

    def __init__(
        self,
        *,
        folder: Path | str,
        task: int,
        schema: pa.Schema,
        shard_rows: int,
        source: str,
        rejected_folder: Path | str | None,
    ) -> None:
        self.folder = folder
        self.task = task
        self.schema = schema
        self.shard_rows = shard_rows
        self.source = source
        self.rejected_folder = rejected_folder
        self.names = schema.names
        self.cols: dict[str, list[Any]] = {n: [] for n in self.names}
        self.skipped: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()  # kept-but-noted (bad_created…)
        self.bytes_out = 0
        self.shards: list[Shard] = []
        self.hashes: list[np.ndarray] = []
        self._ids: set[str] = set()
        self._sink: ShardSink | None = None
        self._chunk = 0
        self._pending_docs = 0
        self._pending_bytes = 0
        self._rejected: dict[str, list[Any]] = {n: [] for n in INGEST_REJECTED_SCHEMA.names}
        self._rejected_sink: ShardSink | None = None
        self.rejected_shards: list[Shard] = []
        self._files: list[tuple[int, str]] = []  # (first buffered row, file) per file read

    # -- what readers call

    def start_file(self, display: str) -> None:
        """The file whose records follow, for naming it if a row fails when written."""
        self._files.append((len(self.cols["id"]), display))

    def add(self, doc: dict[str, Any]) -> None:
        """One document; `doc` holds `id` and `text` and any other schema columns."""
        doc_id = doc["id"]
        if doc_id in self._ids:
            raw = doc_id.encode("utf-8", "surrogatepass")
            self.skip("duplicate_id", doc.get("path"), doc.get("_offset"), raw)
            return
        self._ids.add(doc_id)
        doc["source"] = self.source
        for n in self.names:
            self.cols[n].append(doc.get(n))
        self._pending_docs += 1
        if len(self.cols["id"]) >= BATCH_ROWS:
            self._flush()

    def skip(
        self,
        reason: str,
        path: str | None,
        offset: int | None,
        raw: bytes | Callable[[], bytes] | None,
    ) -> None:
        """A record that is not written: counted, and kept in --rejected if asked.

        `raw` may be a function, for readers whose raw snippet costs work to build
        (Parquet rows): it is only called when a rejected dataset is being written.
        """
        self.skipped[reason] += 1
        if self.rejected_folder is not None:
            r = self._rejected
            r["path"].append(path)
            r["offset"].append(offset)
            r["reason"].append(reason)
            if callable(raw):
                raw = raw()
            r["raw"].append(raw[:RAW_LIMIT] if raw is not None else None)
            if len(r["reason"]) >= BATCH_ROWS:
                self._flush_rejected()

    def note(self, what: str) -> None:
        self.notes[what] += 1

    def input_bytes(self, n: int) -> None:
        self._pending_bytes += n
        if self._pending_bytes >= 1 << 20:
            self._report()

    # -- batching

    def _report(self) -> None:
        report(docs=self._pending_docs, bytes=self._pending_bytes)
        self._pending_docs = 0
        self._pending_bytes = 0

    def _flush(self) -> None:
        n = len(self.cols["id"])
        if n == 0:
            return
        try:
            arrays = [pa.array(self.cols[f.name], type=f.type) for f in self.schema]
        except UnicodeEncodeError:
            n = self._drop_unencodable()
            if n == 0:
                return
            arrays = [pa.array(self.cols[f.name], type=f.type) for f in self.schema]
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        self.hashes.append(id_hash(self.cols["id"]))
        self.cols = {name: [] for name in self.names}
        self._files = self._files[-1:]
        if self._files:
            self._files[0] = (0, self._files[0][1])
        start = 0
        while start < n:
            if self._sink is None:
                name = f"part-{self.task:05d}-{self._chunk:04d}.parquet"
                self._sink = ShardSink(self.folder, name, self.schema)
                self._chunk += 1
            room = self.shard_rows - self._sink.rows
            piece = batch.slice(start, room)
            self._sink.write(piece)
            start += piece.num_rows
            if self._sink.rows >= self.shard_rows:
                self._commit()
        self._report()

    def _drop_unencodable(self) -> int:
        """Skip the buffered rows holding a lone surrogate, as `undecodable`; rows left.

        No UTF-8 column can hold such a string: a JSONL `"\\ud800"` escape parses into
        one, and so does a page in UTF-7. Looking for them in every line would cost every
        line; here only a batch that fails to convert pays, row by row.
        """
        columns = [self.cols[n] for n in self.names]
        keep: list[int] = []
        files = self._files
        for i, row in enumerate(zip(*columns, strict=True)):
            try:
                for value in row:
                    if isinstance(value, str):
                        value.encode("utf-8")
                    elif isinstance(value, list):
                        for item in value:
                            if isinstance(item, str):
                                item.encode("utf-8")
            except UnicodeEncodeError:
                doc = {k: v for k, v in zip(self.names, row, strict=True) if v is not None}
                self._ids.discard(doc["id"])
                path = doc.get("path") or next((f for at, f in reversed(files) if at <= i), None)
                raw = json.dumps(doc, default=str).encode()  # surrogates as \udxxx escapes
                self.skip("undecodable", path, None, raw)
                continue
            keep.append(i)
        self.cols = {n: [col[i] for i in keep] for n, col in zip(self.names, columns, strict=True)}
        return len(keep)

    def _commit(self) -> None:
        assert self._sink is not None
        shard = self._sink.commit()
        self.shards.append(shard)
        self.bytes_out += shard.bytes
        self._sink = None

    def _flush_rejected(self) -> None:
        if not self._rejected["reason"]:
            return
        assert self.rejected_folder is not None
        table = pa.Table.from_pydict(self._rejected, schema=INGEST_REJECTED_SCHEMA)
        if self._rejected_sink is None:
            name = f"part-{self.task:05d}.parquet"
            self._rejected_sink = ShardSink(self.rejected_folder, name, INGEST_REJECTED_SCHEMA)
        self._rejected_sink.write(table)
        self._rejected = {n: [] for n in INGEST_REJECTED_SCHEMA.names}

    def close(self) -> None:
        """Write what is buffered and rename the last shards into place."""
        self._flush()
        if self._sink is not None:
            self._commit()
        self._report()
        if self.rejected_folder is not None:
            self._flush_rejected()
            if self._rejected_sink is not None:
                self.rejected_shards.append(self._rejected_sink.commit())

    def abort(self) -> None:
        for sink in (self._sink, self._rejected_sink):
            if sink is not None:
                sink.abort()


def normalize_text(text: str) -> str:
    """UTF-8 text with `\\n` newlines, as the dataset contract promises."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


_EPOCH_MS_CUTOFF = 1e11  # larger epoch numbers are milliseconds (year 5138 in seconds)


def parse_created(value: Any) -> dt.datetime | None:
    """A UTC datetime from ISO 8601 text or epoch seconds/ms; None when unparseable."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            seconds = value / 1000 if abs(value) > _EPOCH_MS_CUTOFF else value
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        if isinstance(value, str):
            s = value.strip()
            if s.endswith(("Z", "z")):
                s = s[:-1] + "+00:00"
            parsed = dt.datetime.fromisoformat(s)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None
