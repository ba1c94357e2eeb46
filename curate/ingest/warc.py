"""WARC, WET and ARC readers.

WARC and WET go through fastwarc (the fastest parser we measured), with warcio as the
lenient fallback and damage counted once (curate.ingest.warc_records); ARC through
warcio, because fastwarc rejects ARC headers. Every record read is either written or
counted under a reason, exactly once.

HTTP payloads are decoded (chunked, gzip, deflate, br, zstd) only when their headers ask
for it (curate.ingest.http), so Common Crawl's pre-decoded payloads cost nothing extra.
Records skipped unread (requests, images, redirects: most of a crawl) are counted once
the next record shows them whole, so the last one of a file cut short is
`truncated_record`, not `record_type`.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, NamedTuple

from fastwarc.warc import WarcRecordType

from curate.ingest.collect import Collector, normalize_text, parse_created, record_id
from curate.ingest.detect import InputFile
from curate.ingest.http import BadEncoding, CutShort, decode_payload, html_type, sniff_html
from curate.ingest.options import ReadOptions
from curate.ingest.remote import open_input
from curate.ingest.warc_records import WarcRecords, open_records

_UUID = re.compile(r"<?urn:uuid:([^>]+)>?")


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
    """An HTML page by its content type, or by its bytes when the type says nothing
    (missing, `application/octet-stream`, `text/plain`...), as browsers sniff."""
    kind = html_type(content_type)
    return kind if kind is not None else sniff_html(body)


# --------------------------------------------------------------------------- WARC


class _Skip(NamedTuple):
    """A record skipped without reading its payload: counted once the record after it
    shows it whole (the last record of a file cut short becomes `truncated_record`)."""

    reason: str
    offset: int
    raw: bytes | None = None
    note: str | None = None


def _count(out: Collector, file: InputFile, records: WarcRecords, skip: _Skip | None) -> None:
    """Count a record skipped unread, under the damage found in it since, if any."""
    if skip is None:
        return
    damage = records.judged.get(skip.offset)
    if damage is not None:
        out.skip(damage, file.display, skip.offset, None)
        return
    out.skip(skip.reason, file.display, skip.offset, skip.raw)
    if skip.note:
        out.note(skip.note)


def read_warc(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """HTML pages from `response` (and HTML `resource`) records; others counted by reason."""
    with open_records(file, out) as records:
        pending: _Skip | None = None
        for offset, rec in records:
            _count(out, file, records, pending)
            pending = _warc_record(rec, offset, records.read, file, opts, out)
        _count(out, file, records, pending)


def _warc_record(
    rec: Any, offset: int, index: int, file: InputFile, opts: ReadOptions, out: Collector
) -> _Skip | None:
    """One WARC record: written or counted, or a _Skip when its payload is not read."""
    rtype = rec.record_type
    if rtype == WarcRecordType.revisit:
        return _Skip("revisit", offset)
    if rtype != WarcRecordType.response and rtype != WarcRecordType.resource:
        return _Skip("record_type", offset, note=f"record_type:{_type_name(rtype)}")
    http = None
    status = None
    if rtype == WarcRecordType.response:
        http = _http_headers(rec)
        if http is None:
            return _Skip("not_http", offset)
        status = http.status_code
        content_type = http.get("Content-Type")
    else:
        content_type = rec.headers.get("Content-Type")
    if (status is not None and status != 200) or html_type(content_type) is False:
        # Most records of a crawl are images, scripts and redirects: count them
        # without copying their payloads into Python (fastwarc skips the bytes).
        out.input_bytes(rec.content_length)
        if status not in (None, 200):
            return _Skip("http_status", offset)
        return _Skip("not_html", offset, (content_type or "").encode())
    body = _payload(rec, http, offset, file, out)
    if body is None:
        return None
    headers = rec.headers
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
    return None


def _http_headers(rec: Any) -> Any:
    """The HTTP headers of a response, parsed leniently (LF-only lines, as ClueWeb09 and
    old servers write them); None for a response that holds no HTTP message."""
    if not rec.is_http and (rec.headers.get("WARC-Target-URI") or "").startswith("http"):
        rec.is_http = True  # an http(s) response whose WARC Content-Type is missing or odd
    try:
        rec.parse_http(quirks_mode=True)
    except OSError:
        return None
    return rec.http_headers


def _payload(rec: Any, http: Any, offset: int, file: InputFile, out: Collector) -> bytes | None:
    """The payload as a browser gets it; None when it is counted instead (damaged, cut
    short, or in an encoding it does not decode from)."""
    try:
        raw = rec.reader.read()
    except OSError as exc:
        out.skip("corrupt_record", file.display, offset, str(exc).encode())
        return None
    out.input_bytes(len(raw))
    marked_cut = bool(rec.headers.get("WARC-Truncated"))
    if len(raw) < rec.content_length and not marked_cut:
        # Common Crawl cuts pages over 1 MiB and marks them `WARC-Truncated`; such pages
        # are kept. A payload cut short without that header is a damaged file.
        out.skip("truncated_record", file.display, offset, raw)
        return None
    if http is None:
        return raw
    transfer = http.get("Transfer-Encoding")
    content = http.get("Content-Encoding")
    if not (transfer or content):
        return raw
    try:
        return decode_payload(
            raw, transfer_encoding=transfer, content_encoding=content, partial_ok=marked_cut
        )
    except CutShort:
        out.skip("truncated_record", file.display, offset, raw)
    except BadEncoding as exc:
        out.skip("bad_encoding", file.display, offset, f"{exc}: ".encode() + raw)
    return None


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
    with open_records(file, out) as records:
        pending: _Skip | None = None
        for offset, rec in records:
            _count(out, file, records, pending)
            pending = _wet_record(rec, offset, records.read, file, opts, out)
        _count(out, file, records, pending)


def _wet_record(
    rec: Any, offset: int, index: int, file: InputFile, opts: ReadOptions, out: Collector
) -> _Skip | None:
    """One WET record: written or counted, or a _Skip when its payload is not read."""
    rtype = rec.record_type
    if rtype == WarcRecordType.revisit:
        return _Skip("revisit", offset)
    if rtype != WarcRecordType.conversion:
        return _Skip("record_type", offset, note=f"record_type:{_type_name(rtype)}")
    body = _payload(rec, None, offset, file, out)
    if body is None:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        out.skip("undecodable", file.display, offset, body)
        return None
    text = normalize_text(text)
    if not text.strip():
        out.skip("empty_text", file.display, offset, body)
        return None
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
    return None


def read_arc(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """ARC (the format of older web archives) through warcio, like WARC responses."""
    from warcio.archiveiterator import ArchiveIterator as WarcioIterator
    from warcio.exceptions import ArchiveLoadFailed

    logging.getLogger("warcio").setLevel(logging.ERROR)  # its URI repairs are not our news
    index = 0
    with open_input(file.path) as fh:
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
                out.input_bytes(len(body))
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
