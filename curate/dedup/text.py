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

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from curate.errors import CurateError

# Code points above this have no case mapping and no alphanumerics worth a table
# (planes 4-16: unassigned, tags, private use).
_TABLE_SIZE = 0x40000

NORMALIZE_STEPS = ("lower", "whitespace", "punctuation", "digits", "nfkc")
DEFAULT_NORMALIZE = ("lower", "whitespace")


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lower, is_word, is_space, is_digit) lookup tables, built once per machine.

    Building takes ~0.5 s and every worker process of every stage needs them, so
    they are kept in the temp folder, keyed by the Unicode version of this Python.
    """
    import os
    import tempfile

    path = os.path.join(
        tempfile.gettempdir(), f"curate-unicode-{unicodedata.unidata_version}-v1.npz"
    )
    try:
        with np.load(path) as z:
            return z["lower"], z["word"], z["space"], z["digit"]
    except (OSError, ValueError, KeyError):
        pass
    tables = _build_tables()
    tmp = f"{path}.{os.getpid()}.npz"
    try:
        np.savez(tmp, lower=tables[0], word=tables[1], space=tables[2], digit=tables[3])
        os.replace(tmp, path)
    except OSError:
        pass
    return tables


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


@dataclass
class CodePoints:
    """A batch of documents as one code-point array plus document offsets."""

    cp: np.ndarray  # uint32 code points of every document, concatenated
    offsets: np.ndarray  # int64, len = docs + 1

    @property
    def docs(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


def decode(texts: pa.Array | pa.ChunkedArray) -> tuple[CodePoints, np.ndarray]:
    """UTF-8 strings → code points; also a mask of null texts (they decode as empty)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    if not pa.types.is_large_string(texts.type):
        texts = texts.cast(pa.large_string())
    n = len(texts)
    nulls = np.zeros(n, bool)
    if texts.null_count:
        nulls = texts.is_null().to_numpy(zero_copy_only=False)
    bufs = texts.buffers()
    off = np.frombuffer(bufs[1], dtype=np.int64, count=texts.offset + n + 1)[texts.offset :]
    start, end = int(off[0]), int(off[-1])
    data = (
        np.frombuffer(bufs[2], dtype=np.uint8)[start:end]
        if bufs[2] is not None
        else np.zeros(0, np.uint8)
    )
    byte_off = off - start
    if nulls.any():  # a null's offsets span nothing, but be safe
        byte_off = byte_off.copy()
    if data.size == 0 or int(data.max()) < 0x80:
        return CodePoints(data.astype(np.uint32), byte_off.astype(np.int64)), nulls
    lead = (data & 0xC0) != 0x80
    idx = np.flatnonzero(lead)
    cp = data[idx].astype(np.uint32)
    multi = np.flatnonzero(cp >= 0xC0)  # only multi-byte characters need assembling
    if len(multi):
        pad = np.concatenate([data, np.zeros(3, np.uint8)])
        at = idx[multi]
        b0 = cp[multi]
        b1 = (pad[at + 1] & 0x3F).astype(np.uint32)
        b2 = (pad[at + 2] & 0x3F).astype(np.uint32)
        b3 = (pad[at + 3] & 0x3F).astype(np.uint32)
        cp[multi] = np.where(
            b0 < 0xE0,
            ((b0 & 0x1F) << 6) | b1,
            np.where(
                b0 < 0xF0,
                ((b0 & 0x0F) << 12) | (b1 << 6) | b2,
                ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3,
            ),
        )
    char_off = np.searchsorted(idx, byte_off).astype(np.int64)
    return CodePoints(cp, char_off), nulls


def _doc_edges(offsets: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the first and last character of every non-empty document."""
    first = np.zeros(total, dtype=bool)
    last = np.zeros(total, dtype=bool)
    lens = np.diff(offsets)
    ne = lens > 0
    first[offsets[:-1][ne]] = True
    last[offsets[1:][ne] - 1] = True
    return first, last


def _lookup(table: np.ndarray, cp: np.ndarray, default: object) -> np.ndarray:
    """table[cp], with `default` (or cp itself, for None) above the table."""
    if not len(cp) or int(cp.max()) < _TABLE_SIZE:
        return table[cp]
    small = cp < _TABLE_SIZE
    got = table[np.where(small, cp, 0)]
    return np.where(small, got, cp if default is None else default)


def _drop(cp: np.ndarray, offsets: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cp[keep] and the documents' new offsets (few characters are ever dropped)."""
    dropped = np.flatnonzero(~keep)
    if not len(dropped):
        return cp, offsets
    return cp[keep], offsets - np.searchsorted(dropped, offsets)


def normalize(cps: CodePoints, steps: tuple[str, ...]) -> CodePoints:
    """Apply the normalisation steps (lower, whitespace, punctuation, digits) to a batch.

    `whitespace` turns every run of whitespace into one space and drops leading and
    trailing whitespace (CLI.md); `punctuation` removes Unicode punctuation (P*);
    `digits` maps every digit to `0`. `nfkc` is applied before decoding (see
    `normalize_texts`).
    """
    lower_t, _, space_t, digit_t = _tables()
    cp = cps.cp
    offsets = cps.offsets
    if "lower" in steps:
        cp = _lookup(lower_t, cp, None)
    if "digits" in steps:
        cp = np.where(_lookup(digit_t, cp, False), np.uint32(0x30), cp)
    if "punctuation" in steps:
        cp, offsets = _drop(cp, offsets, ~_lookup(_punct_table(), cp, False))
    if "whitespace" in steps and len(cp):
        ws = _lookup(space_t, cp, False)
        prev = np.empty_like(ws)
        prev[0] = True
        prev[1:] = ws[:-1]
        starts = offsets[:-1][np.diff(offsets) > 0]
        prev[starts] = True  # whitespace at a document's start is dropped
        keep = ~ws | ~prev  # the first whitespace of a run stays, as one space
        cp = np.where(ws, np.uint32(0x20), cp)
        cp, offsets = _drop(cp, offsets, keep)
        # a run that ended a document left one trailing space: drop it
        ends = offsets[1:][np.diff(offsets) > 0] - 1
        trailing = ends[cp[ends] == 0x20]
        if len(trailing):
            keep = np.ones(len(cp), dtype=bool)
            keep[trailing] = False
            cp, offsets = _drop(cp, offsets, keep)
    return CodePoints(np.ascontiguousarray(cp, dtype=np.uint32), offsets.astype(np.int64))


def normalize_texts(texts: pa.Array, steps: tuple[str, ...]) -> pa.Array:
    """The Python-level part of normalisation (NFKC), needed before decoding."""
    if "nfkc" not in steps:
        return texts
    return pa.array(
        [None if t is None else unicodedata.normalize("NFKC", t) for t in texts.to_pylist()],
        type=pa.large_string(),
    )


def word_spans(cps: CodePoints) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, doc) of every maximal run of `\\w` characters (a word token)."""
    _, word_t, _, _ = _tables()
    cp = cps.cp
    n = len(cp)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z, z, z
    w = _lookup(word_t, cp, False)
    first, last = _doc_edges(cps.offsets, n)
    prev_w = np.empty_like(w)
    prev_w[0] = False
    prev_w[1:] = w[:-1]
    prev_w &= ~first
    next_w = np.empty_like(w)
    next_w[-1] = False
    next_w[:-1] = w[1:]
    next_w &= ~last
    starts = np.flatnonzero(w & ~prev_w)
    ends = np.flatnonzero(w & ~next_w) + 1
    doc = np.searchsorted(cps.offsets, starts, side="right") - 1
    return starts.astype(np.int64), ends.astype(np.int64), doc.astype(np.int64)


def slices_as_binary(cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """Binary values over `cp`'s UTF-32 bytes for the given [start, end) slices.

    Slices must be sorted and non-overlapping. The gaps between them are values too
    (at even positions), so the array is built over the existing buffer without
    copying a byte; the slices are the values at odd positions (1, 3, 5…).
    """
    total = len(cp)
    bounds = np.empty(2 * len(starts) + 2, dtype=np.int64)
    bounds[0] = 0
    bounds[1:-1:2] = starts
    bounds[2:-1:2] = ends
    bounds[-1] = total
    buf = pa.py_buffer(np.ascontiguousarray(cp, dtype=np.uint32).view(np.uint8))
    return pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(bounds) - 1, [None, pa.py_buffer(bounds * 4), buf]
    )
