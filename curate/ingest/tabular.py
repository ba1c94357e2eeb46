"""JSONL, CSV and Parquet readers: one record per line/row, fields mapped to columns.

Fields that are not mapped to a column travel in `metadata` (a JSON string), so an
ingest never loses what a dump carried (authors, scores, thread ids).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curate.ingest.collect import Collector, normalize_text, parse_created, record_id
from curate.ingest.detect import STREAM_ERRORS, InputFile, open_decompressed
from curate.ingest.options import ReadOptions
from curate.ingest.remote import open_input

_BOM = b"\xef\xbb\xbf"
# what a damaged Parquet file raises (ValueError: a footer whose names are not UTF-8)
_PARQUET_ERRORS = (OSError, ValueError, pa.ArrowException)


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
    out.start_file(file.display)

    def damaged(message: str) -> None:
        out.skip("corrupt_record", file.display, None, message.encode())

    try:
        with open_decompressed(file.path, on_damage=damaged) as fh:
            # a string with a lone surrogate (`"\ud800"`) parses, but no UTF-8 column can
            # hold it: the collector drops it as `undecodable` when its batch is written,
            # which costs nothing per line, unlike looking for `\ud` in each one
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
                except (ValueError, RecursionError):  # RecursionError: nested too deep
                    obj = _after_bom(line) if lineno == 1 else None
                    if obj is None:
                        out.skip("invalid_json", file.display, lineno, line)
                        continue
                if not isinstance(obj, dict):
                    out.skip("invalid_json", file.display, lineno, line)
                    continue
                try:
                    add_record(
                        obj, index=lineno, offset=lineno, raw=line, file=file, opts=opts, out=out
                    )
                except RecursionError:  # parsed, but too deep to write back as metadata
                    out.skip("invalid_json", file.display, lineno, line)
    except STREAM_ERRORS as exc:
        out.skip("truncated_file", file.display, None, str(exc).encode())
        return
    if records == 0:
        out.skip("empty_file", file.display, None, None)


def _after_bom(line: bytes) -> Any:
    """The first line parsed without its UTF-8 byte-order mark; None if it still fails.

    Only tried after the plain parse failed, so the other lines pay nothing for it.
    """
    if not line.startswith(_BOM):
        return None
    try:
        return json.loads(line[len(_BOM) :].decode("utf-8"))
    except (ValueError, RecursionError):
        return None


def read_csv(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """CSV/TSV with a header row; undecodable rows are skipped, not fatal."""
    csv.field_size_limit(sys.maxsize)
    delimiter = "\t" if ".tsv" in file.name.lower() else ","
    records = 0
    out.start_file(file.display)

    def damaged(message: str) -> None:
        out.skip("corrupt_record", file.display, None, message.encode())

    try:
        with open_decompressed(file.path, on_damage=damaged) as raw:
            # utf-8-sig: a byte-order mark would otherwise become part of the first name
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
            reader = csv.DictReader(text, delimiter=delimiter)
            # the header is the first row that is not blank (DictReader takes a blank
            # first line for a header of no names, and every row then for extra fields)
            header = next((r for r in reader.reader if _filled(r)), None)
            if header is None:
                out.skip("empty_file", file.display, None, None)
                return
            reader.fieldnames = header
            header_bad = any(_has_surrogates(n) for n in header)  # spoils every row
            for index, row in enumerate(reader, start=1):
                line = reader.line_num
                body = _field(row, opts.text_field)
                if (not body or body.isspace()) and not _filled(row.values()):
                    continue  # a row of blank cells is a blank line, not a record
                records += 1
                extra = row.pop(None, None)
                values = [v for v in row.values() if isinstance(v, str)]
                if extra:
                    values += extra
                if header_bad or any(_has_surrogates(v) for v in values):
                    rawrow = ",".join(values).encode("utf-8", "surrogateescape")
                    out.skip("undecodable", file.display, line, rawrow)
                    continue
                if extra:
                    row["_extra_fields"] = extra
                rawrow = ",".join(values).encode("utf-8", "replace")
                out.input_bytes(len(rawrow))
                add_record(row, index=index, offset=line, raw=rawrow, file=file, opts=opts, out=out)
    except STREAM_ERRORS as exc:
        out.skip("truncated_file", file.display, None, str(exc).encode())
        return
    except csv.Error as exc:
        out.skip("malformed_csv", file.display, None, str(exc).encode())
        return
    if records == 0:
        out.skip("empty_file", file.display, None, None)


def _filled(cells: Any) -> bool:
    """Whether a CSV row has a cell that is not blank (extra cells come as a list)."""
    for cell in cells:
        if isinstance(cell, str):
            if cell and not cell.isspace():
                return True
        elif cell and _filled(cell):
            return True
    return False


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_parquet(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """Parquet rows with the same field mapping as JSONL.

    Row groups are read one at a time: they are stored apart, so one that is damaged
    loses its own rows (counted as one `corrupt_record`), not the file's.
    """
    out.start_file(file.display)
    try:
        source = file.path if isinstance(file.path, Path) else open_input(file.path)
        pf = pq.ParquetFile(source, pre_buffer=False)  # memory ~ a batch, not the file
        sizes = [pf.metadata.row_group(i).num_rows for i in range(pf.num_row_groups)]
    except _PARQUET_ERRORS as exc:
        out.skip("corrupt_file", file.display, None, str(exc).encode())
        return
    records = 0
    damaged = False
    for group, size in enumerate(sizes):
        batches = pf.iter_batches(batch_size=5_000, row_groups=[group])
        done = 0
        while True:
            try:
                batch = next(batches, None)
            except _PARQUET_ERRORS as exc:
                damaged = True
                lost = f"row group {group} ({size - done} of its {size} rows): {exc}"
                out.skip("corrupt_record", file.display, records + 1, lost.encode())
                break
            if batch is None:
                break
            done += batch.num_rows
            for row in _batch_rows(batch):
                records += 1
                if isinstance(row, pa.RecordBatch):
                    out.skip("undecodable", file.display, records, _undecodable_raw(row))
                    continue
                text = row.get(opts.text_field)
                out.input_bytes(len(text) if isinstance(text, str) else 0)

                def raw(row: dict[str, Any] = row) -> bytes:
                    return json.dumps(row, default=str, ensure_ascii=False).encode()[:4096]

                add_record(
                    row, index=records, offset=records, raw=raw, file=file, opts=opts, out=out
                )
    if records == 0 and not damaged:
        out.skip("empty_file", file.display, None, None)


def _batch_rows(batch: pa.RecordBatch) -> list[dict[str, Any]] | list[Any]:
    """The rows of a batch as dicts; a row with a string that is not UTF-8 stays a batch.

    Parquet does not check that string columns hold UTF-8 (a writer other than Arrow may
    put any bytes there); Python conversion fails on the whole batch, so only then is the
    batch converted row by row to find the rows at fault.
    """
    try:
        return batch.to_pylist()
    except UnicodeDecodeError:
        pass
    rows: list[Any] = []
    for i in range(batch.num_rows):
        one = batch.slice(i, 1)
        try:
            rows.append(one.to_pylist()[0])
        except UnicodeDecodeError:
            rows.append(one)
    return rows


def _undecodable_raw(one: pa.RecordBatch) -> bytes:
    """A row whose strings are not all UTF-8, as JSON holding the bytes as they are."""
    row: dict[str, Any] = {}
    for name, col in zip(one.schema.names, one.columns, strict=True):
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = col.cast(pa.large_binary())  # the same bytes, not checked
        try:
            value = col.to_pylist()[0]
        except UnicodeDecodeError:  # a nested string: not worth digging out
            value = None
        if isinstance(value, bytes):  # round-trips: the raw snippet shows the very bytes
            value = value.decode("utf-8", "surrogateescape")
        row[name] = value
    return json.dumps(row, default=str, ensure_ascii=False).encode("utf-8", "surrogateescape")
