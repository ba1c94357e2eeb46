"""Find input files, open them whatever their compression, and tell their format.

Format comes from content first (magic bytes, the first record) and extension
second, because crawl dumps are often misnamed (`.txt` WARCs, `.json` JSONL) and a
wrong guess costs a whole run.
"""

from __future__ import annotations

import bz2
import glob
import io
import lzma
import os
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

from curate.errors import CurateError
from curate.ingest.remote import (
    InputUnavailable,
    is_network,
    is_url,
    list_remote,
    name_of,
    open_input,
)
from curate.ingest.stdin import STDIN_DISPLAY, is_stdin
from curate.storage import display as display_uri
from curate.storage import is_remote

FORMATS = ("auto", "warc", "arc", "wet", "jsonl", "csv", "parquet", "text", "html")
COMPRESSIONS = (".gz", ".zst", ".zstd", ".bz2", ".xz")

_MAGIC = {
    b"\x1f\x8b": "gz",
    b"\x28\xb5\x2f\xfd": "zst",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
}
# What reading a cut or damaged stream raises (BadGzipFile is an OSError): readers catch
# these around the whole file and count the rest of it as `truncated_file`.
STREAM_ERRORS: tuple[type[Exception], ...] = (
    EOFError,
    OSError,
    zlib.error,
    lzma.LZMAError,
    zstandard.ZstdError,
)
_HTML_EXT = (".html", ".htm", ".xhtml", ".shtml")
_TEXT_EXT = (".txt", ".text", ".md", ".rst")
_JSONL_EXT = (".jsonl", ".ndjson", ".json")
_CSV_EXT = (".csv", ".tsv")


@dataclass(frozen=True)
class InputFile:
    """One input file: its path as the user gave it, its size and detected format."""

    path: Path | str  # a local Path, or the URI of an object or a URL
    display: str
    format: str
    size: int  # bytes; -1 when not known without a request (a URL)

    @property
    def name(self) -> str:
        return name_of(self.path)


def compression_of(head: bytes) -> str | None:
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def open_decompressed(
    path: Path | str, *, on_damage: Callable[[str], None] | None = None
) -> BinaryIO:
    """A binary stream of the file's content, decompressing gz/zst/bz2/xz by magic bytes.

    A stream that is cut short raises EOFError at the point where it stops, never a
    silent end (zstd's own stream reader ends quietly there). A damaged gzip member or
    zstd frame raises too, unless `on_damage` is given and another member or frame
    follows: then `on_damage` gets a one-line description, a newline is inserted (the
    line cut by the damage must not merge with the line the next member starts in) and
    reading resumes there. Line readers pass it; whole-file readers must not, since a
    document with a hole is not the document.
    """
    raw = open_input(path)
    head = raw.read(6)
    raw.seek(0)
    kind = compression_of(head)
    if kind in ("gz", "zst"):
        return io.BufferedReader(_Members(raw, kind, on_damage), buffer_size=1 << 16)
    if kind == "bz2":
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if kind == "xz":
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    return raw


_FEED = {"gz": 1 << 16, "zst": 1 << 14}  # zstd output is unbounded per call: feed less
_MAX_OUT = 1 << 20  # decompressed bytes held at most per gzip step (a bomb stays small)
_MEMBER_MAGIC = {"gz": b"\x1f\x8b\x08", "zst": b"\x28\xb5\x2f\xfd"}
_MEMBER_NAME = {"gz": "gzip member", "zst": "zstd frame"}


class _Members(io.RawIOBase):
    """The decompressed bytes of a gzip or zstd file, one member (frame) after another.

    Both formats start each member afresh, so the members after a damaged one can still
    be read: the damage is reported through `on_damage` once a following member decodes,
    and raised when none does (the reader then counts the rest as `truncated_file`).
    """

    def __init__(self, raw: BinaryIO, kind: str, on_damage: Callable[[str], None] | None):
        self._raw = raw
        self._kind = kind
        self._feed = _FEED[kind]
        self._magic = _MEMBER_MAGIC[kind]
        self._on_damage = on_damage
        self._input = b""  # compressed bytes not yet given to the decoder
        self._pos = 0  # file offset of self._input[0]
        self._out = memoryview(b"")  # decoded bytes not yet returned
        self._dec: Any = self._decoder()
        self._member_at = 0  # file offset where the current member starts
        self._member_fed = False  # the current member has been given bytes
        self._damage: str | None = None  # damage not yet reported (resynchronising)
        self._error: Exception | None = None  # raised if no member follows the damage
        self._failed: tuple[Exception, bytes] | None = None
        self._done = False

    def _decoder(self) -> Any:
        if self._kind == "gz":
            return zlib.decompressobj(31)
        return zstandard.ZstdDecompressor().decompressobj()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._out:
            if self._done:
                return 0
            self._step()
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()

    def _step(self) -> None:
        """Decode one more piece of input into `self._out` (which may stay empty)."""
        if self._failed is not None:
            exc, data = self._failed
            self._failed = None
            self._damaged(exc, data)
            return
        data = self._input or self._raw.read(self._feed)
        # at the end of the input zlib may still hold output it kept back under _MAX_OUT
        if not data and not (self._kind == "gz" and self._member_fed):
            self._end()
            return
        if not self._member_fed:
            if self._kind == "gz":  # gzip files may be padded with zeros after a member
                stripped = data.lstrip(b"\x00")
                self._pos += len(data) - len(stripped)
                data = stripped
                if not data:
                    self._input = b""
                    return
            self._member_at = self._pos
            self._member_fed = True
        try:
            before = self._dec.copy() if self._kind == "gz" else None  # for _salvage
            if self._kind == "gz":
                out = self._dec.decompress(data, _MAX_OUT)
                rest = self._dec.unused_data if self._dec.eof else self._dec.unconsumed_tail
            else:  # zstd gives back whole blocks only: damage loses the block it is in
                out = self._dec.decompress(data)
                rest = self._dec.unused_data if self._dec.eof else b""
        except (zlib.error, zstandard.ZstdError) as exc:
            if self._kind == "gz":
                self._out = memoryview(_salvage(before, data))
            self._failed = (exc, data)  # dealt with once the salvaged bytes are read
            return
        self._pos += len(data) - len(rest)
        self._input = rest
        eof = self._dec.eof
        if not (data or out or eof):
            self._end()
            return
        if self._damage is not None and (out or eof):
            out = self._resumed() + out
        if out:
            self._out = memoryview(out)
        if eof:
            self._dec = self._decoder()
            self._member_fed = False

    def _damaged(self, exc: Exception, data: bytes) -> None:
        """Give up the current member and find the next one's magic bytes after it."""
        if self._on_damage is None:
            self._done = True
            raise exc
        if self._damage is None:
            member = _MEMBER_NAME[self._kind]
            self._damage = f"the {member} at byte {self._member_at} is damaged ({exc})"
            self._error = exc
        while True:
            # the bytes the failed member consumed hold no member start; nor does its first
            found = data.find(self._magic, max(0, self._member_at + 1 - self._pos))
            if found >= 0:
                break
            more = self._raw.read(self._feed)
            if not more:
                self._input = b""
                self._end()
                return
            keep = data[-(len(self._magic) - 1) :]
            self._pos += len(data) - len(keep)
            data = keep + more
        self._pos += found
        self._input = data[found:]
        self._dec = self._decoder()
        self._member_fed = False

    def _resumed(self) -> bytes:
        """Report the damage now that a member after it decodes; end the cut line."""
        assert self._on_damage is not None
        self._on_damage(f"{self._damage}; resumed at byte {self._member_at}")
        self._damage = self._error = None
        return b"\n"

    def _end(self) -> None:
        self._done = True
        if self._error is not None:
            raise self._error
        if self._member_fed:
            member = _MEMBER_NAME[self._kind]
            raise EOFError(f"the file ends inside the {member} at byte {self._member_at}")


def _salvage(dec: Any, data: bytes) -> bytes:
    """What a zlib decoder gives for `data` up to its damage, fed a little at a time.

    One call that fails returns nothing, so without this the bytes decoded from the
    same 64 KiB of input before the damage would be lost with it.
    """
    pieces = []
    for i in range(0, len(data), 512):
        try:
            pieces.append(dec.decompress(data[i : i + 512]))
        except zlib.error:
            break
        if dec.eof:
            break
    return b"".join(pieces)


def _strip_compression(name: str) -> str:
    lower = name.lower()
    for ext in COMPRESSIONS:
        if lower.endswith(ext):
            return lower[: -len(ext)]
    return lower


def sniff_format(path: Path | str) -> str | None:
    """The format of one file from its first bytes and its name; None if unknown."""
    return _sniff(path)[0]


def _head(path: Path | str, size: int = 65536) -> tuple[bytes, str | None]:
    """The first `size` decompressed bytes, or those before the damage, and the damage.

    Read piece by piece, so that a stream damaged early still shows what it starts with:
    its format is told as for any other file, and its reader counts the damage.
    """
    head = b""
    try:
        with open_decompressed(path) as fh:
            while len(head) < size:
                piece = fh.read1(size - len(head))  # type: ignore[attr-defined]
                if not piece:
                    break
                head += piece
    except STREAM_ERRORS as exc:
        return head, str(exc) or type(exc).__name__
    return head, None


def _resolved(path: Path | str) -> Path | str:
    """One spelling per file (links followed), to read a file named twice once; a link
    loop keeps its own name (reading it then fails and is counted)."""
    if not isinstance(path, Path):
        return path
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, on Python 3.11
        return path.absolute()


def _sniff(path: Path | str) -> tuple[str | None, str | None]:
    """`sniff_format`, and why the content could not be read when it could not."""
    name = _strip_compression(name_of(path))
    if is_network(path) and (by_name := format_from_name(name)) is not None:
        return by_name, None  # a request a file saved: the reader checks the content
    damage: str | None
    try:
        with open_input(path) as raw:
            magic = raw.read(4)
    except (OSError, InputUnavailable) as exc:  # the format from the name; its reader counts it
        head, damage = b"", str(exc)
    else:
        if magic == b"PAR1":
            return "parquet", None
        head, damage = _head(path)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"WARC/"):
        if b"WARC-Type: conversion" in head or name.endswith(".wet"):
            return "wet", damage
        return "warc", damage
    if stripped.startswith(b"filedesc://"):
        return "arc", damage
    if name.endswith((".warc", ".wet")):
        return "wet" if name.endswith(".wet") else "warc", damage
    if name.endswith(".arc"):
        return "arc", damage
    if name.endswith(_CSV_EXT):
        return "csv", damage
    if name.endswith(_JSONL_EXT) or stripped.startswith(b"{"):
        return "jsonl", damage
    if name.endswith(".parquet"):
        return "parquet", damage
    lowered = stripped[:512].lower()
    if name.endswith(_HTML_EXT) or lowered.startswith((b"<!doctype html", b"<html")):
        return "html", damage
    if name.endswith(_TEXT_EXT):
        return "text", damage
    return None, damage


def format_from_name(name: str) -> str | None:
    """The format an unambiguous extension names (`name` without compression suffix)."""
    for exts, kind in (
        ((".wet",), "wet"),
        ((".warc",), "warc"),
        ((".arc",), "arc"),
        (_CSV_EXT, "csv"),
        (_JSONL_EXT, "jsonl"),
        ((".parquet",), "parquet"),
        (_HTML_EXT, "html"),
        (_TEXT_EXT, "text"),
    ):
        if name.endswith(exts):
            return kind
    return None


def _printable(display: str) -> str:
    """The path as valid UTF-8 text, bytes that are not (old Latin-1 names) shown as `\\xe9`.

    It goes into the `path` column, `--rejected` and the lineage, which hold text only.
    """
    try:
        display.encode("utf-8")
    except UnicodeEncodeError:
        raw = display.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace")
    return display


def expand_inputs(paths: Iterable[str], fmt: str = "auto") -> tuple[list[InputFile], list[str]]:
    """Files, folders (recursively) and globs, sorted, with their formats.

    A path that does not exist, or a named file of unknown format under `--format
    auto`, is a usage error (exit 2): a typo must not turn into "0 documents
    written". Files of unknown format found inside a folder (READMEs, checksums) are
    returned separately, so the run can count them instead of dropping them silently.
    """
    paths = list(paths)
    if fmt not in FORMATS:
        raise CurateError(f"unknown --format `{fmt}`; choose one of: {', '.join(FORMATS)}")
    found: list[tuple[Path | str, str, bool]] = []  # (path, display, given explicitly)
    sizes: dict[str, int] = {}
    for spec in paths:
        if is_stdin(spec):
            found.append((spec, STDIN_DISPLAY, True))
            continue
        if is_url(spec):
            found.append((spec, display_uri(spec), True))
            continue
        if is_remote(spec):
            listed = list_remote(spec)
            if not listed:
                raise CurateError(f"{display_uri(spec)}: no objects there")
            for uri, size in listed:
                sizes[uri] = size
                found.append((uri, display_uri(uri), glob.has_magic(spec) or uri == spec))
            continue
        p = Path(spec)
        if p.is_dir():
            for sub in sorted(p.rglob("*")):
                # a link to nothing is listed too: reading it fails and is counted as
                # `unreadable_file`, rather than the file vanishing from the run unnoticed
                dangling = sub.is_symlink() and not sub.exists()
                if (sub.is_file() or dangling) and not sub.name.startswith((".", "_")):
                    found.append((sub, str(sub), False))
        elif p.is_file():
            found.append((p, spec, True))
        elif glob.has_magic(spec):
            matches = sorted(glob.glob(spec, recursive=True))
            if not matches:
                raise CurateError(f"{spec}: the pattern matches no files")
            for m in matches:
                if os.path.isfile(m):
                    found.append((Path(m), m, True))
        else:
            raise CurateError(f"{spec}: no such file or folder")
    files: list[InputFile] = []
    ignored: list[str] = []
    seen: set[Path | str] = set()
    for path, display, explicit in sorted(found, key=lambda t: t[1]):
        real = _resolved(path)
        if real in seen:
            continue
        seen.add(real)
        display = _printable(display)
        kind, damage = (fmt, None) if fmt != "auto" else _sniff(path)
        if is_stdin(path) and kind == "parquet":
            raise CurateError(
                "parquet cannot be read from standard input (its index is at the end); "
                "save it to a file and ingest that"
            )
        if kind is None:
            if not explicit:
                ignored.append(display)
                continue
            why = f" (its content cannot be read: {damage})" if damage else ""
            raise CurateError(
                f"{display}: cannot tell the format of this file{why}; pass --format "
                f"({', '.join(FORMATS[1:])})"
            )
        if isinstance(path, Path):
            try:
                size = path.stat().st_size
            except OSError:  # gone or a dangling link: its reader counts it `unreadable_file`
                size = -1
        else:
            size = sizes.get(path, -1)  # a URL's length costs a request: not asked
        files.append(InputFile(path, display, kind, size))
    if not files:
        raise CurateError(
            "no input files found in "
            + ", ".join(paths)
            + (f" ({len(ignored)} files of unknown format; pass --format)" if ignored else "")
        )
    return files, ignored
