"""WARC, WET and ARC readers.

WARC and WET go through fastwarc (the fastest parser we measured); ARC through
warcio, because fastwarc rejects ARC headers. A corrupt record or a damaged gzip
member does not end the file: the reader counts it and resynchronises at the next
record, so one bad byte in a 1 GB crawl file costs one record, not the file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from fastwarc.warc import ArchiveIterator, WarcRecordType

from curate.ingest.collect import Collector, normalize_text, parse_created, record_id
from curate.ingest.detect import InputFile
from curate.ingest.options import ReadOptions

_UUID = re.compile(r"<?urn:uuid:([^>]+)>?")
_GZIP_MEMBER = b"\x1f\x8b\x08"
_WARC_START = b"WARC/"
_MAX_RESYNCS = 10_000


def warc_id(record_id_header: str | None) -> str | None:
    """The WARC-Record-ID's UUID without `<urn:uuid:` and `>` (CLI.md)."""
    if not record_id_header:
        return None
    m = _UUID.fullmatch(record_id_header.strip())
    return m.group(1) if m else record_id_header.strip().strip("<>")


def _target_uri(value: str | None) -> str | None:
    """WARC-Target-URI, without the angle brackets wget writes around it."""
    if not value:
        return None
    return value.strip().strip("<>") or None


def is_html(content_type: str | None, body: bytes) -> bool:
    if content_type:
        return "html" in content_type.lower()
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _records(fh: BinaryIO, file: InputFile, out: Collector) -> Iterator[tuple[int, Any]]:
    """(offset, record) of a file's fastwarc records, resynchronising after corruption."""
    start = 0
    for _ in range(_MAX_RESYNCS):
        fh.seek(start)
        last = start
        try:
            for rec in ArchiveIterator(fh, parse_http=True):
                last = start + rec.stream_pos
                yield last, rec
            return
        except OSError as exc:
            out.skip("corrupt_record", file.display, last, str(exc).encode())
        start = _next_record_start(fh, last + 1, file.path.name.lower().endswith(".gz"))
        if start is None:
            return


def _next_record_start(fh: BinaryIO, pos: int, gzipped: bool) -> int | None:
    """Offset of the next gzip member (or `WARC/` line) after `pos`, if any."""
    marker = _GZIP_MEMBER if gzipped else b"\n" + _WARC_START
    fh.seek(pos)
    carry = b""
    base = pos
    while True:
        block = fh.read(1 << 20)
        if not block:
            return None
        data = carry + block
        i = data.find(marker)
        if i >= 0:
            return base - len(carry) + i + (0 if gzipped else 1)
        carry = data[-(len(marker) - 1) :]
        base += len(block)


def read_warc(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """HTML pages from `response` (and HTML `resource`) records; others counted by reason."""
    index = 0
    with open(file.path, "rb") as fh:
        for offset, rec in _records(fh, file, out):
            index += 1
            rtype = rec.record_type
            if rtype not in (WarcRecordType.response, WarcRecordType.resource):
                out.skip("record_type", file.display, offset, None)
                out.note(f"record_type:{_type_name(rtype)}")
                continue
            headers = rec.headers
            status = None
            content_type = None
            if rtype == WarcRecordType.response:
                http = rec.http_headers
                if http is None:
                    out.skip("not_http", file.display, offset, None)
                    continue
                status = http.status_code
                content_type = http.get("Content-Type")
            else:
                content_type = headers.get("Content-Type")
            if (status is not None and status != 200) or (
                content_type and "html" not in content_type.lower()
            ):
                # Most records of a crawl are images, scripts and redirects: count them
                # without copying their payloads into Python (fastwarc skips the bytes).
                out.input_bytes(rec.content_length)
                reason = "http_status" if status not in (None, 200) else "not_html"
                raw = (content_type or "").encode() if reason == "not_html" else None
                out.skip(reason, file.display, offset, raw)
                continue
            try:
                body = rec.reader.read()
            except OSError as exc:
                out.skip("corrupt_record", file.display, offset, str(exc).encode())
                continue
            if _truncated(rec, body) and is_html(content_type, body):
                out.input_bytes(len(body))
                out.skip("truncated_record", file.display, offset, body)
                continue
            _add_page(
                out,
                file,
                opts,
                offset=offset,
                body=body,
                status=status,
                content_type=content_type,
                doc_id=warc_id(headers.get("WARC-Record-ID"))
                or record_id(opts.source, file.display, index),
                url=_target_uri(headers.get("WARC-Target-URI")),
                date=headers.get("WARC-Date"),
                metadata=_metadata(headers),
            )


def _add_page(
    out: Collector,
    file: InputFile,
    opts: ReadOptions,
    *,
    offset: int | None,
    body: bytes,
    status: int | None,
    content_type: str | None,
    doc_id: str,
    url: str | None,
    date: str | None,
    metadata: str | None,
) -> None:
    """One HTTP payload of a WARC or ARC: counted by reason, or extracted into a document."""
    from curate.ingest.extract import extract

    out.input_bytes(len(body))
    if status is not None and status != 200:
        out.skip("http_status", file.display, offset, body[:512])
        return
    if not is_html(content_type, body):
        out.skip("not_html", file.display, offset, (content_type or "").encode())
        return
    page = extract(body, extractor=opts.extractor, content_type=content_type)
    text = normalize_text(page.text)
    if not text.strip():
        out.skip("empty_text", file.display, offset, body)
        return
    out.add(
        {
            "id": doc_id,
            "text": text,
            "url": url,
            "created": _created(date, out),
            "content_type": content_type,
            "http_status": status,
            "html_lang": page.html_lang,
            "license": page.licenses,
            "metadata": metadata,
            "_offset": offset,
        }
    )


def _truncated(rec: Any, body: bytes) -> bool:
    """True for a payload shorter than its record says, unless the crawler declared it.

    Common Crawl cuts pages over 1 MiB and marks them `WARC-Truncated`; such pages are
    kept. A payload cut short without that header is a damaged file.
    """
    if rec.headers.get("WARC-Truncated"):
        return False
    http = rec.http_headers
    if http is not None and (http.get("Content-Encoding") or http.get("Transfer-Encoding")):
        return False
    return len(body) < rec.content_length


def _created(value: str | None, out: Collector) -> Any:
    created = parse_created(value)
    if value and created is None:
        out.note("bad_created")
    return created


_META_HEADERS = (
    "WARC-Identified-Content-Language",
    "WARC-Identified-Payload-Type",
    "WARC-TREC-ID",
    "WARC-Refers-To",
    "WARC-Truncated",
)


def _metadata(headers: Any) -> str | None:
    """WARC headers worth keeping that have no column of their own, as JSON."""
    meta = {h: headers.get(h) for h in _META_HEADERS if headers.get(h)}
    return json.dumps(meta, ensure_ascii=False) if meta else None


def _type_name(rtype: Any) -> str:
    return str(rtype).rsplit(".", 1)[-1]


def read_wet(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """`conversion` records of a WET file, their text as it is."""
    index = 0
    with open(file.path, "rb") as fh:
        for offset, rec in _records(fh, file, out):
            index += 1
            if rec.record_type != WarcRecordType.conversion:
                out.skip("record_type", file.display, offset, None)
                out.note(f"record_type:{_type_name(rec.record_type)}")
                continue
            try:
                body = rec.reader.read()
            except OSError as exc:
                out.skip("corrupt_record", file.display, offset, str(exc).encode())
                continue
            out.input_bytes(len(body))
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                out.skip("undecodable", file.display, offset, body)
                continue
            text = normalize_text(text)
            if not text.strip():
                out.skip("empty_text", file.display, offset, body)
                continue
            headers = rec.headers
            out.add(
                {
                    "id": warc_id(headers.get("WARC-Record-ID"))
                    or record_id(opts.source, file.display, index),
                    "text": text,
                    "url": _target_uri(headers.get("WARC-Target-URI")),
                    "created": _created(headers.get("WARC-Date"), out),
                    "content_type": headers.get("Content-Type"),
                    "http_status": None,
                    "html_lang": None,
                    "license": [],
                    "metadata": _metadata(headers),
                    "_offset": offset,
                }
            )


def read_arc(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """ARC (the format of older web archives) through warcio, like WARC responses."""
    from warcio.archiveiterator import ArchiveIterator as WarcioIterator
    from warcio.exceptions import ArchiveLoadFailed

    logging.getLogger("warcio").setLevel(logging.ERROR)  # its URI repairs are not our news
    index = 0
    with open(file.path, "rb") as fh:
        iterator = WarcioIterator(fh, arc2warc=True)
        try:
            for rec in iterator:
                index += 1
                if rec.rec_type != "response":
                    out.skip("record_type", file.display, iterator.get_record_offset(), None)
                    out.note(f"record_type:{rec.rec_type}")
                    continue
                if rec.http_headers is None:  # dns: and other non-HTTP captures
                    out.skip("not_http", file.display, iterator.get_record_offset(), None)
                    continue
                try:
                    body = rec.content_stream().read()
                except Exception as exc:  # warcio raises many types on damaged payloads
                    out.skip("corrupt_record", file.display, None, str(exc).encode())
                    continue
                offset = iterator.get_record_offset()  # (asking first would consume the payload)
                status_text = rec.http_headers.get_statuscode() or ""
                h = rec.rec_headers
                _add_page(
                    out,
                    file,
                    opts,
                    offset=offset,
                    body=body,
                    status=int(status_text) if status_text.isdigit() else -1,
                    content_type=rec.http_headers.get_header("Content-Type"),
                    # ARC has no record ids (warcio invents random ones): derive one.
                    doc_id=record_id(opts.source, file.display, index),
                    url=_target_uri(h.get_header("WARC-Target-URI")),
                    date=h.get_header("WARC-Date"),
                    metadata=None,
                )
        except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
            out.skip("corrupt_record", file.display, None, str(exc).encode())
