"""Vectorised text normalisation on Unicode code points, for a whole batch at once.

Dedup hashes every document twice (an exact hash of the normalised text, and the
hashes of its shingles), and per-document Python string calls (`lower`, `split`,
`re.findall`) were the measured cost on multilingual text (~20 MB/s). So a batch is
handled as one array: the Arrow UTF-8 buffer is decoded to code points with NumPy,
lower-cased and classified through lookup tables built from Python's own Unicode
data (`str.lower`, `str.isalnum`, `str.isspace`), so a "word character" here is
exactly what Python's `re` calls `\\w` (alphanumeric or `_`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from curate.defaults import DEDUP_NORMALIZE
from curate.errors import CurateError

# Code points above this have no case mapping and no alphanumerics worth a table
# (planes 4-16: unassigned, tags, private use).
_TABLE_SIZE = 0x40000

NORMALIZE_STEPS = ("lower", "whitespace", "punctuation", "digits", "nfkc")
DEFAULT_NORMALIZE = DEDUP_NORMALIZE


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lower, is_word, is_space, is_digit) lookup tables, built once per machine.

    Building takes ~0.7 CPU-s and every worker process of every dedup stage needs them,
    so they are kept in the user's cache folder under a name that changes with anything
    that could change them (see `_tables_path`): a stale file is never read.
    """
    path = _tables_path()
    with _TABLES_LOCK:  # threads of one process (dedup's small inputs) build them once
        try:
            with np.load(path) as z:
                return z["lower"], z["word"], z["space"], z["digit"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass  # missing, or cut short by a killed writer: build it again
        tables = _build_tables()
        tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.npz")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(tmp, lower=tables[0], word=tables[1], space=tables[2], digit=tables[3])
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):  # a full disk: leave no half file behind
                os.unlink(tmp)
        return tables


def _tables_path() -> Path:
    """Where the tables are cached: `$XDG_CACHE_HOME/curate` (else `~/.cache/curate`),
    named by the Unicode data, the Python version and a hash of this module's source,
    since any of them can change what `_build_tables` returns."""
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    name = (
        f"unicode-tables-{unicodedata.unidata_version}-"
        f"py{sys.version_info[0]}.{sys.version_info[1]}-{digest}.npz"
    )
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "curate" / name


_TABLES_LOCK = threading.Lock()


def _build_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lower, is_word, is_space, is_digit) lookup tables over the first code points.

    Built with Python's own `re` classes over every code point (`\\w`, `\\s`, `\\d`),
    so "word character" means exactly what `re` means by it.
    """
    import re

    chars = "".join(chr(c) if not 0xD800 <= c < 0xE000 else " " for c in range(_TABLE_SIZE))
    pos = np.arange(_TABLE_SIZE)

    def cls(pattern: str) -> np.ndarray:
        mask = np.zeros(_TABLE_SIZE, dtype=bool)
        mask[[m.start() for m in re.finditer(pattern, chars)]] = True
        return mask

    word = cls(r"\w")
    space = cls(r"\s")
    space[0xD800:0xE000] = False
    digit = cls(r"\d")
    lower = pos.astype(np.uint32)
    for c in np.flatnonzero(cls(r"[^\W\d_]")).tolist():  # letters: the only cased chars
        lo = chars[c].lower()
        if lo != chars[c]:
            lower[c] = ord(lo[0])  # 1:many mappings (İ) keep their first code point
    return lower, word, space, digit


@lru_cache(maxsize=1)
def _punct_table() -> np.ndarray:
    """Unicode punctuation (categories P*); built only when `--normalize punctuation` asks."""
    punct = np.zeros(_TABLE_SIZE, dtype=bool)
    for c in range(_TABLE_SIZE):
        if not 0xD800 <= c < 0xE000 and unicodedata.category(chr(c)).startswith("P"):
            punct[c] = True
    return punct


def parse_normalize(spec: str | None) -> tuple[str, ...]:
    """`--normalize lower,whitespace` → the steps, checked; `none` → no normalisation."""
    if spec is None:
        return DEFAULT_NORMALIZE
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if parts == ["none"]:
        return ()
    bad = [p for p in parts if p not in NORMALIZE_STEPS]
    if bad or not parts:
        raise CurateError(
            f"--normalize: unknown step `{bad[0] if bad else spec}`; use a comma-separated "
            f"list of {', '.join(NORMALIZE_STEPS)}, or `none`"
        )
    return tuple(s for s in NORMALIZE_STEPS if s in parts)  # canonical order


@lru_cache(maxsize=1)
def _lower_class_table() -> np.ndarray:
    """lower(c) | class(lower(c)) << 24: case folding and classes in one look-up."""
    lower = _tables()[0]
    return lower | (_class_table()[lower].astype(np.uint32) << 24)


@lru_cache(maxsize=1)
def _lower_ws_class_table() -> np.ndarray:
    """`_lower_class_table` with every whitespace character mapped to a space (class kept).

    With `lower` and `whitespace` both on (the default) this saves the pass that
    writes the spaces after the look-up.
    """
    table = _lower_class_table().copy()
    ws = (table >> np.uint32(24)) & np.uint32(2) != 0
    table[ws] = (table[ws] & np.uint32(0xFF000000)) | np.uint32(0x20)
    return table


@dataclass
class CodePoints:
    """A batch of documents as one code-point array.

    Document i is `cp[starts[i]:ends[i]]`; every document is followed by a NUL
    separator, so no word token and no n-gram window can run from one document into
    the next without a per-character document index.
    """

    cp: np.ndarray  # uint32
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64
    cls: np.ndarray | None = None  # class byte of every code point, when known

    @property
    def docs(self) -> int:
        return len(self.starts)

    def lengths(self) -> np.ndarray:
        return self.ends - self.starts


def decode(
    texts: pa.Array | pa.ChunkedArray, steps: tuple[str, ...] = ()
) -> tuple[CodePoints, np.ndarray]:
    """UTF-8 strings → code points; also a mask of null texts (they decode as empty).

    CPython's codecs do the decoding (UTF-8 → str → UTF-32), faster than any NumPy
    formulation of UTF-8 we measured. The per-string parts of `steps` happen here:
    `nfkc`, and for `whitespace` the leading and trailing whitespace (`str.strip`
    looks only at the ends; doing it on the array would cost a pass over everything).
    """
    values = texts.to_pylist()
    nulls = np.fromiter((t is None for t in values), dtype=bool, count=len(values))
    if nulls.any():
        values = ["" if t is None else t for t in values]
    if "nfkc" in steps:
        values = [unicodedata.normalize("NFKC", t) for t in values]
    if "whitespace" in steps:
        values = [t.strip() for t in values]
    joined = "\0".join([*values, ""])  # the last separator too, without a second copy
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    lens = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    starts = np.zeros(len(values), dtype=np.int64)
    if len(values) > 1:
        np.cumsum(lens[:-1] + 1, out=starts[1:])
    return CodePoints(cp, starts, starts + lens), nulls


@lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    """One byte per code point: 1 word (`\\w`), 2 whitespace, 4 digit."""
    _, word, space, digit = _tables()
    return word.astype(np.uint8) | (space.astype(np.uint8) << 1) | (digit.astype(np.uint8) << 2)


def _gather(table: np.ndarray, cp: np.ndarray, big: bool, default: int | None) -> np.ndarray:
    """table[cp]; above the table: `default`, or cp itself for None."""
    if not big:
        return table[cp]
    small = cp < _TABLE_SIZE
    got = table[np.where(small, cp, 0)]
    return np.where(small, got, cp if default is None else default).astype(table.dtype)


def classes(cp: np.ndarray) -> np.ndarray:
    """The class byte (see `_class_table`) of every code point."""
    big = bool(len(cp)) and int(cp.max()) >= _TABLE_SIZE
    return _gather(_class_table(), cp, big, 0)


def _drop(cps: CodePoints, drop: np.ndarray) -> CodePoints:
    """Remove the characters marked in `drop` (few ever are); documents' bounds follow."""
    dropped = np.flatnonzero(drop)
    if not len(dropped):
        return cps
    keep = ~drop
    return CodePoints(
        cps.cp[keep],
        cps.starts - np.searchsorted(dropped, cps.starts),
        cps.ends - np.searchsorted(dropped, cps.ends),
        None if cps.cls is None else cps.cls[keep],
    )


def normalize(cps: CodePoints, steps: tuple[str, ...]) -> CodePoints:
    """Apply the normalisation steps (lower, whitespace, punctuation, digits) to a batch.

    `whitespace` turns every run of whitespace into one space and drops leading and
    trailing whitespace (CLI.md); `punctuation` removes Unicode punctuation (P*);
    `digits` maps every digit to `0`. `nfkc` and the ends of `whitespace` are applied
    while decoding (`decode(texts, steps)`). Lower-casing maps code point by code point (Python's
    `str.lower` per character), so a Greek final capital sigma becomes `σ`, not `ς`.
    """
    cp = cps.cp
    if not len(cp):
        return cps
    big = int(cp.max()) >= _TABLE_SIZE
    spaced = "lower" in steps and "whitespace" in steps  # the table writes the spaces
    if spaced and not big and "digits" not in steps and "punctuation" not in steps:
        return _lower_collapse(cps)
    if "lower" in steps:
        both = _gather(_lower_ws_class_table() if spaced else _lower_class_table(), cp, big, None)
        if big:  # above the table: the code point itself, class 0
            both = np.where(cp >= _TABLE_SIZE, cp, both)
        cls = (both >> np.uint32(24)).astype(np.uint8)
        cp = both & np.uint32(0xFFFFFF)
    else:
        cls = _gather(_class_table(), cp, big, 0)
    if "digits" in steps:
        cp = np.where(cls & 4, np.uint32(0x30), cp)
        cls = np.where(cls & 4, _class_table()[0x30], cls).astype(np.uint8)
    out = CodePoints(cp, cps.starts, cps.ends, cls)
    if "punctuation" in steps:
        out = _drop(out, _gather(_punct_table(), out.cp, big, False))
    if "whitespace" in steps:
        assert out.cls is not None
        cp, cls = out.cp, out.cls
        ws = (cls & 2).astype(bool)
        prev = np.empty_like(ws)
        prev[0] = True
        prev[1:] = ws[:-1]
        prev[out.starts] = True  # whitespace at a document's start is dropped
        drop = ws & prev  # the first whitespace of a run stays, as one space
        if not spaced:
            cp = cp.copy() if cp is cps.cp else cp
            cp[ws] = 0x20
        out = _drop(CodePoints(cp, out.starts, out.ends, cls), drop)
        if "punctuation" in steps:  # removed punctuation can leave a space at an end
            nonempty = out.ends > out.starts
            edge = np.concatenate([out.starts[nonempty], out.ends[nonempty] - 1])
            edge = edge[out.cp[edge] == 0x20]
            if len(edge):
                drop = np.zeros(len(out.cp), dtype=bool)
                drop[edge] = True
                out = _drop(out, drop)
    return out


def _lower_collapse(cps: CodePoints) -> CodePoints:
    """`lower` + `whitespace` (the default), in half the array passes of the general path.

    The look-up gives code point and class in one uint32; the class byte is read in
    place (a strided view of the top bytes) and whitespace is class 2 alone, so the
    runs to drop come from one comparison and one `and`; code points and classes are
    split after the drop, on what is kept.
    """
    both = _lower_ws_class_table()[cps.cp]
    top = both.view(np.uint8)[_TOP_BYTE::4]
    ws = top == 2
    drop = np.empty_like(ws)
    drop[0] = ws[0]
    np.logical_and(ws[1:], ws[:-1], out=drop[1:])  # a space after a space
    drop[cps.starts] = ws[cps.starts]  # whitespace at a document's start
    out = _drop(CodePoints(both, cps.starts, cps.ends), drop)
    both = out.cp  # the look-up's own array, or the kept part of it: ours to mask
    cls = np.ascontiguousarray(both.view(np.uint8)[_TOP_BYTE::4])
    both &= np.uint32(0xFFFFFF)
    return CodePoints(both, out.starts, out.ends, cls)


_TOP_BYTE = 3 if sys.byteorder == "little" else 0  # the class byte of a uint32 in memory


def word_spans(cps: CodePoints) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, doc) of every maximal run of `\\w` characters (a word token)."""
    cp = cps.cp
    if not len(cp):
        z = np.zeros(0, np.int64)
        return z, z, z
    cls = cps.cls if cps.cls is not None else classes(cp)
    w = (cls & 1).view(np.int8) if cls.dtype == np.uint8 else (cls & 1).astype(np.int8)
    # word runs open and close in turn, and the NUL after the last document closes
    # the last one: one search for every change gives starts and ends alternately
    edges = np.flatnonzero(w[1:] != w[:-1]) + 1
    if w[0]:
        starts = np.concatenate([[0], edges[1::2]])
        ends = edges[0::2]
    else:
        starts, ends = edges[0::2], edges[1::2]
    # words per document from the few document bounds, not a search per word (5% of
    # the signature pass)
    first = np.searchsorted(starts, cps.starts)
    counts = np.diff(np.append(first, len(starts)))
    doc = np.repeat(np.arange(cps.docs, dtype=np.int64), counts)
    return starts.astype(np.int64), ends.astype(np.int64), doc
