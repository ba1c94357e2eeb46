"""The records of one WARC or WET file, each read or counted exactly once, whatever
the file's damage or dialect.

fastwarc reads strictly, so that damage raises instead of being skipped: its quirks
mode resynchronises by itself and silently drops the records it skips. Where it stops,
this module looks at the bytes:

* a damaged record or gzip member is counted once (`corrupt_record`), and reading
  resumes at the next record start (gzip member, zstd frame or `WARC/` line);
* a file that ends inside a record, read or not, makes it `truncated_record`: the end
  of the last record is checked against the file;
* WARC headers fastwarc refuses (LF-only lines, as in ClueWeb09's sample files and
  CCNet's hand-made WETs) are read through warcio, which is lenient;
* a file in which no WARC record can be read at all is a user error (exit 2).

None of this runs on a healthy file but one check of its last record.
"""

from __future__ import annotations

import bz2
import contextlib
import functools
import io
import lzma
import os
import re
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from fastwarc.warc import ArchiveIterator, WarcRecordType

from curate.errors import CurateError
from curate.ingest.collect import Collector
from curate.ingest.detect import InputFile, compression_of
from curate.ingest.remote import open_input

__all__ = ["WarcRecords", "open_records"]

_MAX_RESYNCS = 10_000
_MARKERS = {"gz": b"\x1f\x8b\x08", "zst": b"\x28\xb5\x2f\xfd"}
_BLANK = b"\r\n\t \x00"
_WARC_FIELD = re.compile(rb"^WARC-(?:Type|Date|Record-ID|Target-URI)[ \t]*:", re.M | re.I)
_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)", re.IGNORECASE | re.MULTILINE)


@dataclass
class _Run:
    """What one pass of a parser over part of a file gave."""

    records: int = 0
    last: int = -1  # offset of its last record
    broken: int | None = None  # offset of a record whose header is not a WARC header
    error: str | None = None  # why the parser stopped, if it failed


class WarcRecords:
    """(offset, record) of one WARC or WET file, with every damage counted once.

    A parser pass (`_Run`) goes until the file ends or the parser fails; then
    `_resume` decides where the next one starts:

    * a pass that yields nothing found a damaged record: counted (`truncated_record`
      when no record start follows it, else `corrupt_record`), and the next pass starts
      at the next record start;
    * after a pass that yielded records, the end of its last record is worked out from
      the file itself (its Content-Length, or its gzip member) and checked: a record the
      file ends inside is judged `truncated_record`, and bytes after it that no pass
      read start the next pass (which counts them if they are no record). A failure
      there is not counted by itself: it is either the last record's tail (which its
      reader judged already) or the next record (which the next pass finds unreadable).

    Records found damaged only after they were yielded are listed in `judged`, for
    readers that count a record skipped unread once the next record arrives.
    """

    def __init__(
        self,
        fh: BinaryIO,
        kind: str | None,
        file: InputFile,
        out: Collector,
        *,
        stream_error: str | None = None,
    ) -> None:
        self.fh = fh
        self.kind = kind  # "gz", "zst" or None (plain)
        self.file = file
        self.out = out
        self.stream_error = stream_error  # why a bz2/xz file stopped decompressing early
        self.read = 0  # records yielded
        self.judged: dict[int, str] = {}  # offset -> reason, for records found damaged late
        self._held: list[tuple[str, int, str]] = []  # damage before any record
        self._cut_at_end = False  # a record the end of the file cuts was counted

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        start: int | None = 0
        for _ in range(_MAX_RESYNCS):
            assert start is not None
            run = _Run()
            yield from self._strict(start, run)
            if run.records == 0 and self._looks_like_warc(start):
                run = _Run()
                yield from self._lenient(start, run)
            start = self._resume(start, run)
            if start is None:
                break
        else:
            self._damaged(start or 0, "too many damaged records; the rest is not read", False)
        self._finish()

    def _yielded(self, offset: int, run: _Run) -> None:
        """Bookkeeping for each record (the hot path: a few attribute updates)."""
        run.records += 1
        run.last = offset
        self.read += 1
        if self._held:  # damage before the first record: now known to be in a WARC file
            for reason, at, message in self._held:
                self.out.skip(reason, self.file.display, at, message.encode())
            self._held.clear()

    def _strict(self, start: int, run: _Run) -> Iterator[tuple[int, Any]]:
        """fastwarc (strict, so that damage raises instead of being skipped silently)."""
        self.fh.seek(start)
        base = 0 if _positions_absolute() else start
        try:
            for rec in ArchiveIterator(self.fh, parse_http=False):
                offset = base + rec.stream_pos
                if not rec.content_length and "Content-Length" not in rec.headers:
                    run.broken = offset  # a header cut short or not a WARC header
                    return
                self._yielded(offset, run)
                yield offset, rec
        except OSError as exc:
            run.error = str(exc)

    def _lenient(self, start: int, run: _Run) -> Iterator[tuple[int, Any]]:
        """warcio, for headers fastwarc refuses (LF-only lines, as in ClueWeb09)."""
        from warcio.archiveiterator import ArchiveIterator as WarcioIterator

        self.fh.seek(start)
        records = WarcioIterator(self.fh)
        try:
            while True:
                with contextlib.redirect_stderr(io.StringIO()):  # its repair notes
                    rec = next(records, None)
                if rec is None:
                    return
                offset = records.offset
                if rec.rec_headers.get_header("Content-Length") is None:
                    run.broken = offset
                    return
                self._yielded(offset, run)
                yield offset, _LenientRecord(rec)
        except Exception as exc:  # noqa: BLE001 - warcio raises many types on damage
            run.error = str(exc) or type(exc).__name__

    def _resume(self, start: int, run: _Run) -> int | None:
        """Where the next pass starts after `run` (counting damage), or None at the end."""
        damaged = run.broken
        if damaged is None and run.records == 0 and (run.error or self._has_data(start)):
            damaged = start
        if damaged is not None:
            following = self._following(damaged)
            self._damaged(damaged, run.error or "not a readable WARC record", following is None)
            return following
        if run.records == 0:
            return None
        after = self._after_last(run.last)
        if run.last in self.judged:
            return after
        # After a failure, a record start before `after` means the last record's
        # Content-Length was too long; it swallowed the start of the next.
        found = self._next_start(run.last + 1) if run.error is not None else None
        if after is None or (found is not None and found < after):
            return found
        if self.kind in _MARKERS or self._looks_like_record(after, found):
            return after  # a record the parser could not read: the next pass counts it
        # Bytes that are no record: a damaged separator, or the rest of the last record
        # when its Content-Length is too short.
        if (found if found is not None else self._size()) - after >= 64:
            self.judged[run.last] = "corrupt_record"
        return found

    def _following(self, damaged: int) -> int | None:
        """Where reading resumes after the damaged record at `damaged`: the next record
        start, or, in a gzip file, the end of the damaged member when it can be found
        (the member after it may have lost its magic bytes to the same damage)."""
        found = self._next_start(damaged + 1)
        if self.kind == "gz":
            end = self._member_end(damaged)[0]
            after = self._data_from(end) if end is not None else None
            if after is not None and (found is None or after < found):
                return after
        return found

    def _damaged(self, offset: int, message: str, at_end: bool) -> None:
        reason = "truncated_record" if at_end else "corrupt_record"
        self._cut_at_end = at_end
        if self.read == 0:
            self._held.append((reason, offset, message))  # is this a WARC file at all?
            return
        self.out.skip(reason, self.file.display, offset, message.encode())

    def _finish(self) -> None:
        """No record at all: an empty file (counted), or not a WARC file (exit 2). A bz2
        or xz stream that stopped early, past the last record that shows it, is counted
        as `truncated_file` (its blocks hold records that are gone without a trace)."""
        if self.read and self.stream_error and not self._cut_at_end:
            self.out.skip("truncated_file", self.file.display, None, self.stream_error.encode())
        if self.read:
            return
        if self.stream_error:
            raise CurateError(
                f"{self.file.display}: no WARC record could be read ({self.stream_error}); "
                "the file is damaged or not a WARC file"
            )
        if not self._held:
            self.out.skip("empty_file", self.file.display, None, None)
            return
        head = self._peek(0)[0]
        if not head and self.kind in _MARKERS:
            raise CurateError(
                f"{self.file.display}: no WARC record could be read (its {self.kind} stream "
                f"does not decompress: {self._held[0][2]}); the file is damaged or not a WARC file"
            )
        if head and head.lstrip(_BLANK).startswith(b"WARC/"):
            raise CurateError(
                f"{self.file.display}: no WARC record could be read ({self._held[0][2]}); "
                "the file is damaged"
            )
        raise CurateError(
            f"{self.file.display}: not a WARC file (no WARC record at the start; it begins "
            f"with {(head or b'')[:24]!r}); check the file or pass --format"
        )

    # -- looking at the bytes themselves (only where a parser stopped, so never hot)

    def _peek(self, start: int, n: int = 1024) -> tuple[bytes | None, bool]:
        """(up to `n` decoded bytes at `start` or None if undecodable, all of them there)."""
        self.fh.seek(start)
        raw = self.fh.read(1 << 16)
        try:
            if self.kind == "gz":
                d = zlib.decompressobj(31)
                out = d.decompress(raw, n)
                return out, d.eof or len(out) >= n
            if self.kind == "zst":
                import zstandard

                z = zstandard.ZstdDecompressor().decompressobj()
                out = z.decompress(raw)[:n]
                return out, z.eof or len(out) >= n
        except Exception:  # noqa: BLE001 - zlib.error, zstandard.ZstdError
            return None, False
        return raw[:n], True

    def _looks_like_warc(self, start: int) -> bool:
        head = self._peek(start)[0]
        return head is not None and head.lstrip(_BLANK).startswith(b"WARC/")

    def _has_data(self, start: int) -> bool:
        """Anything but blank bytes (or an empty gzip member) at `start`."""
        head, whole = self._peek(start)
        return head is None or not whole or bool(head.strip(_BLANK))

    def _next_start(self, pos: int) -> int | None:
        """Offset of the next gzip member, zstd frame or `WARC/` line at or after `pos`."""
        marker = _MARKERS.get(self.kind or "", b"\nWARC/")
        skip = 0 if self.kind in _MARKERS else 1  # (a WARC/ line starts after its \n)
        self.fh.seek(pos)
        carry = b""
        base = pos
        while True:
            block = self.fh.read(1 << 20)
            if not block:
                return None
            data = carry + block
            i = data.find(marker)
            if i >= 0:
                return base - len(carry) + i + skip
            carry = data[-(len(marker) - 1) :]
            base += len(block)

    def _looks_like_record(self, pos: int, before: int | None) -> bool:
        """A WARC header at `pos` (up to `before`), even if its `WARC/` line is damaged."""
        self.fh.seek(pos)
        head = self.fh.read(4096 if before is None else min(4096, before - pos))
        if head.startswith(b"WARC/") or b"WARC/".startswith(head):
            return True  # (or the start of one, where the file is cut)
        end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0), default=-1)
        return _WARC_FIELD.search(head, 0, end if end >= 0 else len(head)) is not None

    def _after_last(self, last: int) -> int | None:
        """Check the last record against the file (a cut one is judged
        `truncated_record`); the offset of bytes after it that no pass read, if any."""
        end, whole = self._record_end(last)
        if not whole:
            self.judged[last] = "truncated_record"
        self._cut_at_end = not whole
        return self._data_from(end) if end is not None else None

    def _size(self) -> int:
        return self.fh.seek(0, os.SEEK_END)

    def _data_from(self, pos: int) -> int | None:
        """Offset of the first byte at or after `pos` that is not blank, None at the end."""
        self.fh.seek(pos)
        while True:
            block = self.fh.read(1 << 16)
            if not block:
                return None
            rest = block.lstrip(_BLANK)
            if rest:
                return pos + len(block) - len(rest)
            pos += len(block)

    def _record_end(self, offset: int) -> tuple[int | None, bool]:
        """(where the record at `offset` ends, whether all of it is in the file)."""
        if self.kind == "gz":
            return self._member_end(offset)
        if self.kind is None:
            self.fh.seek(offset)
            length = _block_length(self.fh.read(1 << 16))
            if length is None:
                return None, True
            size = os.fstat(self.fh.fileno()).st_size
            return (offset + length, True) if offset + length <= size else (None, False)
        return None, True  # zstd frames: fastwarc's reads tell

    def _member_end(self, offset: int) -> tuple[int | None, bool]:
        """(end of the gzip member at `offset`, whether its record is all there).

        The member is raw-inflated, so that its end is found even when the same damage
        that hit the next member's magic bytes hit this one's trailer; the end is only
        trusted when the trailer's CRC or size matches what inflated (damaged deflate
        data can end early without an error)."""
        self.fh.seek(offset)
        data = self.fh.read(1 << 16)
        skip = _gzip_header_length(data)
        if skip is None:
            return None, True  # one gzip member for the whole file: no member ends to find
        d = zlib.decompressobj(-15)
        data = data[skip:]
        head = b""
        total = crc = 0
        fed = len(data)
        try:
            while True:
                while data and not d.eof:
                    out = d.decompress(data, 1 << 20)
                    total += len(out)
                    crc = zlib.crc32(out, crc)
                    if len(head) < 1 << 16:
                        head += out[: (1 << 16) - len(head)]
                    data = d.unconsumed_tail
                if d.eof:
                    break
                data = self.fh.read(1 << 16)
                if not data:
                    break
                fed += len(data)
        except zlib.error:
            return None, True  # damaged, not cut: the next member is found by its magic
        length = _block_length(head)
        whole = total >= length if length is not None else d.eof
        if not d.eof:
            return None, whole
        end = offset + skip + fed - len(d.unused_data)
        self.fh.seek(end)
        trailer = self.fh.read(8)
        matches = trailer[:4] == crc.to_bytes(4, "little") or trailer[4:] == (
            total & 0xFFFFFFFF
        ).to_bytes(4, "little")
        return (end + 8 if matches else None), whole


def _gzip_header_length(data: bytes) -> int | None:
    """Length of the gzip member header `data` starts with (RFC 1952), or None."""
    if len(data) < 10 or not data.startswith(_MARKERS["gz"]):
        return None
    flags = data[3]
    pos = 10
    if flags & 4:  # FEXTRA
        pos += 2 + int.from_bytes(data[pos : pos + 2], "little")
    for flag in (8, 16):  # FNAME, FCOMMENT: zero-terminated
        if flags & flag:
            pos = data.find(b"\0", pos) + 1
            if pos == 0:
                return None
    if flags & 2:  # FHCRC
        pos += 2
    return pos if pos <= len(data) else None


@functools.cache
def _positions_absolute() -> bool:
    """Whether fastwarc's `stream_pos` counts from the start of a stream it is handed
    after a seek (fastwarc 2 does), or from where it started reading. Asked once, of a
    two-byte-in record, so that offsets after a resynchronisation are right either way."""
    stream = io.BytesIO(
        b"\r\n" + b"WARC/1.0\r\nWARC-Type: metadata\r\nContent-Length: 0\r\n\r\n\r\n\r\n"
    )
    stream.seek(2)
    rec = next(iter(ArchiveIterator(stream, parse_http=False)), None)
    return rec is not None and rec.stream_pos == 2


def _block_length(head: bytes) -> int | None:
    """Header plus Content-Length of the WARC record `head` starts with, if it parses."""
    if not head.startswith(b"WARC/"):
        return None
    ends = [i + n for i, n in ((head.find(b"\r\n\r\n"), 4), (head.find(b"\n\n"), 2)) if i >= 0]
    if not ends:
        return None
    header_end = min(ends)
    m = _CONTENT_LENGTH.search(head, 0, header_end)
    return header_end + int(m.group(1)) if m else None


_WARCIO_TYPES = {
    "warcinfo": WarcRecordType.warcinfo,
    "response": WarcRecordType.response,
    "resource": WarcRecordType.resource,
    "request": WarcRecordType.request,
    "metadata": WarcRecordType.metadata,
    "revisit": WarcRecordType.revisit,
    "conversion": WarcRecordType.conversion,
    "continuation": WarcRecordType.continuation,
}


class _LenientRecord:
    """A warcio record with the few fastwarc attributes the readers use."""

    def __init__(self, rec: Any) -> None:
        self.record_type = _WARCIO_TYPES.get(rec.rec_type, WarcRecordType.unknown)
        self.headers = _WarcioHeaders(rec.rec_headers)
        self.http_headers = _WarcioHeaders(rec.http_headers) if rec.http_headers else None
        self.is_http = self.http_headers is not None
        self.reader = rec.raw_stream
        self.content_length = rec.raw_stream.limit  # the payload after any HTTP headers

    def parse_http(self, **_: Any) -> None:
        """warcio parsed them already (leniently: LF-only lines are fine)."""


class _WarcioHeaders:
    def __init__(self, headers: Any) -> None:
        self._headers = headers

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._headers.get_header(name, default)

    @property
    def status_code(self) -> int | None:
        code = self._headers.get_statuscode()
        return int(code) if code and code.isdigit() else None


@contextlib.contextmanager
def open_records(file: InputFile, out: Collector) -> Iterator[WarcRecords]:
    """The records of a WARC or WET file. bz2 and xz, which fastwarc cannot read, are
    decompressed into a temporary file first (up to where they are cut or damaged), so
    that they are checked and resynchronised like an uncompressed WARC."""
    with open_input(file.path) as fh:
        kind = compression_of(fh.read(6))
        if kind in ("bz2", "xz"):
            with tempfile.TemporaryFile(prefix=".curate-tmp-") as plain:
                error = _decompress_into(file, kind, plain)
                yield WarcRecords(plain, None, file, out, stream_error=error)
            return
        fh.seek(0)
        yield WarcRecords(fh, kind, file, out)


def _decompress_into(file: InputFile, kind: str, target: BinaryIO) -> str | None:
    """Decompress a bz2 or xz file a piece at a time, so that what comes before a cut or
    damage is kept; why it stopped early, if it did."""
    new = bz2.BZ2Decompressor if kind == "bz2" else lzma.LZMADecompressor
    d = new()
    fed = False  # the current stream has been given bytes and not reached its end
    with open_input(file.path) as raw:
        while data := raw.read(1 << 16):
            try:
                while data:
                    target.write(d.decompress(data))
                    fed = not d.eof
                    data = d.unused_data if d.eof else b""
                    if d.eof:
                        d = new()  # concatenated streams, as `bzip2 -c a b` writes
            except (EOFError, OSError, lzma.LZMAError) as exc:
                target.seek(0)
                return f"{kind} data is damaged ({exc})"
    target.seek(0)
    return f"the {kind} stream ends early (the file is cut short)" if fed else None
