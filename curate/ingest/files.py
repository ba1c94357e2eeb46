"""Plain-text and HTML files: one document per file (or per line with --per-line)."""

from __future__ import annotations

import zlib

from curate.ingest.collect import Collector, normalize_text, record_id
from curate.ingest.detect import InputFile, open_decompressed
from curate.ingest.options import ReadOptions

_STREAM_ERRORS = (EOFError, OSError, zlib.error)


def _read_all(file: InputFile, out: Collector) -> bytes | None:
    try:
        with open_decompressed(file.path) as fh:
            data = fh.read()
    except _STREAM_ERRORS as exc:
        out.skip("truncated_file", file.display, None, str(exc).encode())
        return None
    out.input_bytes(len(data))
    if not data:
        out.skip("empty_file", file.display, None, None)
        return None
    return data


def read_text(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """UTF-8 text: the whole file is a document, or each non-blank line with --per-line."""
    data = _read_all(file, out)
    if data is None:
        return
    if not opts.per_line:
        try:
            text = normalize_text(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            out.skip("undecodable", file.display, 0, data)
            return
        if not text.strip():
            out.skip("empty_text", file.display, 0, data)
            return
        doc = {"id": record_id(opts.source, file.display, 0), "text": text}
        out.add({**doc, "path": file.display, "_offset": 0})
        return
    for lineno, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            out.skip("undecodable", file.display, lineno, line)
            continue
        doc_id = record_id(opts.source, file.display, lineno)
        out.add({"id": doc_id, "text": text, "path": file.display, "_offset": lineno})


def read_html(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """One page per file, through the same extractor as WARC pages."""
    from curate.ingest.extract import extract

    data = _read_all(file, out)
    if data is None:
        return
    page = extract(data, extractor=opts.extractor)
    text = normalize_text(page.text)
    if not text.strip():
        out.skip("empty_text", file.display, 0, data)
        return
    out.add(
        {
            "id": record_id(opts.source, file.display, 0),
            "text": text,
            "url": page.canonical_url,
            "html_lang": page.html_lang,
            "license": page.licenses,
            "path": file.display,
            "_offset": 0,
        }
    )
