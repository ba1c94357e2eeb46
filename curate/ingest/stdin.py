"""Standard input as an ingest input (`curate ingest -`).

A pipe can be read once, from the start, and never sought. The readers (and format
detection) open an input more than once and look at its first bytes before reading
it, so the bytes read from the pipe are kept until the stream has gone past the first
`KEEP_BYTES`: up to there, every opening starts again at byte 0; after that the kept
bytes are freed and memory stays bounded whatever the stream's length. WARC and ARC
readers seek back to recover damaged records, so those formats are copied to a
temporary file as they are read (see `curate.ingest.run`).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from typing import Any, BinaryIO

STDIN = "-"  # the input spec that names standard input
STDIN_DISPLAY = "<stdin>"  # how it is named in messages, the `path` column and the lineage
KEEP_BYTES = 16 << 20  # raw bytes kept for re-reading the start (format detection, sniffing)
_READ = 1 << 16


def is_stdin(spec: object) -> bool:
    """Whether an input spec (or an `InputFile.path`) is standard input."""
    return isinstance(spec, str) and spec == STDIN


class _Pipe:
    """The process's standard input, read once, its first bytes kept for re-reading."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self.read = read
        self.kept: bytearray | None = bytearray()
        self.consumed = 0  # bytes read from the pipe so far

    def read_at(self, pos: int, size: int) -> bytes:
        if pos < self.consumed:
            if self.kept is None or pos >= len(self.kept):
                raise io.UnsupportedOperation(
                    "standard input cannot be read again past its first "
                    f"{KEEP_BYTES >> 20} MiB; save it to a file and ingest that"
                )
            return bytes(self.kept[pos : pos + size])
        if pos > self.consumed:  # pragma: no cover - views only seek backwards or to 0
            raise io.UnsupportedOperation("standard input cannot skip ahead")
        data = self.read(size)
        if self.kept is not None:
            if self.consumed + len(data) <= KEEP_BYTES:
                self.kept += data
            else:  # past the re-readable start: free it, memory stays bounded
                self.kept = None
        self.consumed += len(data)
        return data


class _View(io.RawIOBase):
    """One opening of standard input: starts at byte 0, closing it leaves the pipe open."""

    def __init__(self, pipe: _Pipe) -> None:
        super().__init__()
        self.pipe = pipe
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.pipe.read_at(self.pos, len(buffer))
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self.pos
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("standard input has no end to seek to")
        if offset != self.pos and not (
            self.pipe.kept is not None and offset <= len(self.pipe.kept)
        ):
            raise io.UnsupportedOperation("standard input cannot be sought")
        self.pos = offset
        return offset

    def tell(self) -> int:
        return self.pos


_pipe: _Pipe | None = None


def _the_pipe() -> _Pipe:
    global _pipe
    if _pipe is None:
        stream = sys.stdin
        if stream is None:
            raise OSError("standard input is closed")
        try:
            fd = stream.fileno()
        except (AttributeError, io.UnsupportedOperation, ValueError):  # replaced (tests)
            buffer: Any = getattr(stream, "buffer", stream)
            read: Callable[[int], bytes] = getattr(buffer, "read1", None) or buffer.read
            _pipe = _Pipe(read)
        else:
            _pipe = _Pipe(lambda size: os.read(fd, size))
    return _pipe


def open_stdin() -> BinaryIO:
    """A buffered reader of standard input from its first byte (see the module doc)."""
    return io.BufferedReader(_View(_the_pipe()), buffer_size=_READ)


def stdin_bytes_read() -> int:
    """How many bytes were read from standard input (the `bytes in` of a stdin run)."""
    return _pipe.consumed if _pipe is not None else 0


def is_terminal() -> bool:
    """Whether standard input is a terminal (a user who forgot the pipe would wait forever)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def reset() -> None:
    """Forget the pipe: the next opening reads the current `sys.stdin` afresh."""
    global _pipe
    _pipe = None
