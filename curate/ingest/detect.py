"""Find input files, open them whatever their compression, and tell their format.

Format comes from content first (magic bytes, the first record) and extension
second, because crawl dumps are often misnamed (`.txt` WARCs, `.json` JSONL) and a
wrong guess costs a whole run.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from curate.errors import CurateError

FORMATS = ("auto", "warc", "arc", "wet", "jsonl", "csv", "parquet", "text", "html")
COMPRESSIONS = (".gz", ".zst", ".zstd", ".bz2", ".xz")

_MAGIC = {
    b"\x1f\x8b": "gz",
    b"\x28\xb5\x2f\xfd": "zst",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
}
_HTML_EXT = (".html", ".htm", ".xhtml", ".shtml")
_TEXT_EXT = (".txt", ".text", ".md", ".rst")
_JSONL_EXT = (".jsonl", ".ndjson", ".json")
_CSV_EXT = (".csv", ".tsv")


@dataclass(frozen=True)
class InputFile:
    """One input file: its path as the user gave it, its size and detected format."""

    path: Path
    display: str
    format: str
    size: int


def compression_of(head: bytes) -> str | None:
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def open_decompressed(path: Path) -> BinaryIO:
    """A binary stream of the file's content, decompressing gz/zst/bz2/xz by magic bytes."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller
    head = raw.read(6)
    raw.seek(0)
    kind = compression_of(head)
    if kind == "gz":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if kind == "zst":
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        return io.BufferedReader(reader)  # type: ignore[arg-type]
    if kind == "bz2":
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if kind == "xz":
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    return raw


def _strip_compression(name: str) -> str:
    lower = name.lower()
    for ext in COMPRESSIONS:
        if lower.endswith(ext):
            return lower[: -len(ext)]
    return lower


def sniff_format(path: Path) -> str | None:
    """The format of one file from its first bytes and its name; None if unknown."""
    name = _strip_compression(path.name)
    try:
        with open(path, "rb") as raw:
            magic = raw.read(4)
        if magic == b"PAR1":
            return "parquet"
        with open_decompressed(path) as fh:
            head = fh.read(65536)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, zstandard.ZstdError):
        head = b""  # an unreadable file gets its format from the name, then fails in its reader
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"WARC/"):
        if b"WARC-Type: conversion" in head or name.endswith(".wet"):
            return "wet"
        return "warc"
    if stripped.startswith(b"filedesc://"):
        return "arc"
    if name.endswith((".warc", ".wet")):
        return "wet" if name.endswith(".wet") else "warc"
    if name.endswith(".arc"):
        return "arc"
    if name.endswith(_CSV_EXT):
        return "csv"
    if name.endswith(_JSONL_EXT) or stripped.startswith(b"{"):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    lowered = stripped[:512].lower()
    if name.endswith(_HTML_EXT) or lowered.startswith((b"<!doctype html", b"<html")):
        return "html"
    if name.endswith(_TEXT_EXT):
        return "text"
    return None


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
    found: list[tuple[Path, str, bool]] = []  # (path, display, given explicitly)
    for spec in paths:
        p = Path(spec)
        if p.is_dir():
            for sub in sorted(p.rglob("*")):
                if sub.is_file() and not sub.name.startswith((".", "_")):
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
    seen: set[Path] = set()
    for path, display, explicit in sorted(found, key=lambda t: t[1]):
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        kind = fmt if fmt != "auto" else sniff_format(path)
        if kind is None:
            if not explicit:
                ignored.append(display)
                continue
            raise CurateError(
                f"{display}: cannot tell the format of this file; pass --format "
                f"({', '.join(FORMATS[1:])})"
            )
        files.append(InputFile(path, display, kind, path.stat().st_size))
    if not files:
        raise CurateError(
            "no input files found in "
            + ", ".join(paths)
            + (f" ({len(ignored)} files of unknown format; pass --format)" if ignored else "")
        )
    return files, ignored
