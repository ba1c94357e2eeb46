"""JSONL, CSV and Parquet readers: one record per line/row, fields mapped to columns.

Fields that are not mapped to a column travel in `metadata` (a JSON string), so an
ingest never loses what a dump carried (authors, scores, thread ids).
"""

from __future__ import annotations

import csv
import io
import json
import sys
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curate.ingest.collect import Collector, normalize_text, parse_created, record_id
from curate.ingest.detect import InputFile, open_decompressed
from curate.ingest.options import ReadOptions

_STREAM_ERRORS = (EOFError, OSError, zlib.error)


def _field(obj: dict[str, Any], name: str) -> Any:
    """`obj[name]`, or a dotted path into nested objects (`meta.body`)."""
    if name in obj:
        return obj[name]
    if "." in name:
        cur: Any = obj
        for part in name.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return None
            cur = cur[part]
        return cur
    return None


def add_record(
    obj: dict[str, Any],
    *,
    index: int,
    offset: int,
    raw: bytes | Callable[[], bytes],
    file: InputFile,
    opts: ReadOptions,
    out: Collector,
) -> None:
    """Map one record's fields to the columns, or skip it with its reason."""
    text = _field(obj, opts.text_field)
    if text is None:
        out.skip("missing_text", file.display, offset, raw)
        return
    if not isinstance(text, str):
        out.skip("bad_text", file.display, offset, raw)
        return
    text = normalize_text(text)
    if not text.strip():
        out.skip("empty_text", file.display, offset, raw)
        return
    raw_id = _field(obj, opts.id_field)
    doc_id = (
        str(raw_id) if raw_id not in (None, "") else record_id(opts.source, file.display, index)
    )
    url = _field(obj, opts.url_field)
    created_raw = _field(obj, opts.created_field)
    created = parse_created(created_raw)
    if created_raw not in (None, "") and created is None:
        out.note("bad_created")
    mapped = {opts.text_field, opts.id_field, opts.url_field, opts.created_field}
    rest = {k: v for k, v in obj.items() if k not in mapped}
    out.add(
        {
            "id": doc_id,
            "text": text,
            "url": str(url) if url not in (None, "") else None,
            "created": created,
            "metadata": json.dumps(rest, ensure_ascii=False, default=str) if rest else None,
            "_offset": offset,
        }
    )


def read_jsonl(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """One JSON object per line; bad lines are skipped and counted, the file goes on."""
    records = 0
    try:
        with open_decompressed(file.path) as fh:
            for lineno, line in enumerate(fh, start=1):
                out.input_bytes(len(line))
                if not line.strip():
                    continue
                records += 1
                try:
                    obj = json.loads(line.decode("utf-8"))
                except UnicodeDecodeError:
                    out.skip("undecodable", file.display, lineno, line)
                    continue
                except ValueError:
                    out.skip("invalid_json", file.display, lineno, line)
                    continue
                if not isinstance(obj, dict):
                    out.skip("invalid_json", file.display, lineno, line)
                    continue
                add_record(
                    obj, index=lineno, offset=lineno, raw=line, file=file, opts=opts, out=out
                )
    except _STREAM_ERRORS as exc:
        out.skip("truncated_file", file.display, None, str(exc).encode())
        return
    if records == 0:
        out.skip("empty_file", file.display, None, None)


def read_csv(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """CSV/TSV with a header row; undecodable rows are skipped, not fatal."""
    csv.field_size_limit(sys.maxsize)
    delimiter = "\t" if ".tsv" in file.path.name.lower() else ","
    records = 0
    try:
        with open_decompressed(file.path) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
            reader = csv.DictReader(text, delimiter=delimiter)
            for index, row in enumerate(reader, start=1):
                records += 1
                line = reader.line_num
                values = [v for v in row.values() if isinstance(v, str)]
                if any(_has_surrogates(v) for v in values):
                    rawrow = ",".join(values).encode("utf-8", "surrogateescape")
                    out.skip("undecodable", file.display, line, rawrow)
                    continue
                extra = row.pop(None, None)  # type: ignore[call-overload]
                if extra:
                    row["_extra_fields"] = extra
                rawrow = ",".join(values).encode("utf-8", "replace")
                out.input_bytes(len(rawrow))
                add_record(row, index=index, offset=line, raw=rawrow, file=file, opts=opts, out=out)
    except _STREAM_ERRORS as exc:
        out.skip("truncated_file", file.display, None, str(exc).encode())
        return
    except csv.Error as exc:
        out.skip("malformed_csv", file.display, None, str(exc).encode())
        return
    if records == 0:
        out.skip("empty_file", file.display, None, None)


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _parquet_rows(file: InputFile, out: Collector) -> Iterator[dict[str, Any]]:
    try:
        pf = pq.ParquetFile(file.path, pre_buffer=False)  # memory ~ a batch, not the file
        for batch in pf.iter_batches(batch_size=5_000):
            yield from batch.to_pylist()
    except (OSError, pa.ArrowException) as exc:
        out.skip("corrupt_file", file.display, None, str(exc).encode())


def read_parquet(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """Parquet rows with the same field mapping as JSONL."""
    records = 0
    for index, row in enumerate(_parquet_rows(file, out), start=1):
        records += 1
        text = row.get(opts.text_field)
        out.input_bytes(len(text) if isinstance(text, str) else 0)

        def raw(row: dict[str, Any] = row) -> bytes:
            return json.dumps(row, default=str, ensure_ascii=False).encode()[:4096]

        add_record(row, index=index, offset=index, raw=raw, file=file, opts=opts, out=out)
    if records == 0 and not out.skipped.get("corrupt_file"):
        out.skip("empty_file", file.display, None, None)
