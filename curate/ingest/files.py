"""Plain-text and HTML files: one document per file (or per line with --per-line)."""

from __future__ import annotations

from curate.ingest.collect import Collector, normalize_text, record_id
from curate.ingest.detect import STREAM_ERRORS, InputFile, open_decompressed
from curate.ingest.options import ReadOptions

_BOM = b"\xef\xbb\xbf"


def _read_all(file: InputFile, out: Collector) -> bytes | None:
    """The whole file, or None when it is counted instead (cut short, damaged, empty).

    A damaged stream loses the whole document: a text with a hole is not the text.
    """
    out.start_file(file.display)
    try:
        with open_decompressed(file.path) as fh:
            data = fh.read()
    except STREAM_ERRORS as exc:
        out.skip("truncated_file", file.display, None, str(exc).encode())
        return None
    out.input_bytes(len(data))
    if not data.strip():
        out.skip("empty_file", file.display, None, None)
        return None
    return data


def read_text(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """UTF-8 text: the whole file is a document, or each non-blank line with --per-line."""
    if opts.per_line:
        _read_lines(file, opts, out)
        return
    data = _read_all(file, out)
    if data is None:
        return
    try:
        text = normalize_text(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        out.skip("undecodable", file.display, 0, data)
        return
    if not text.strip():  # only a byte-order mark, or Unicode spaces
        out.skip("empty_text", file.display, 0, data)
        return
    doc = {"id": record_id(opts.source, file.display, 0), "text": text}
    out.add({**doc, "path": file.display, "_offset": 0})


def _read_lines(file: InputFile, opts: ReadOptions, out: Collector) -> None:
    """Each non-blank line a document; a damaged stream keeps the lines before it."""
    records = 0
    out.start_file(file.display)

    def damaged(message: str) -> None:
        out.skip("corrupt_record", file.display, None, message.encode())

    try:
        with open_decompressed(file.path, on_damage=damaged) as fh:
            for lineno, line in enumerate(fh, start=1):
                out.input_bytes(len(line))
                if lineno == 1 and line.startswith(_BOM):
                    line = line[len(_BOM) :]
                if not line.strip():
                    continue
                records += 1
                try:
                    text = line.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError:
                    out.skip("undecodable", file.display, lineno, line)
                    continue
                doc_id = record_id(opts.source, file.display, lineno)
                out.add({"id": doc_id, "text": text, "path": file.display, "_offset": lineno})
    except STREAM_ERRORS as exc:
        out.skip("truncated_file", file.display, None, str(exc).encode())
        return
    if records == 0:
        out.skip("empty_file", file.display, None, None)


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
