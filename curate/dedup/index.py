"""The global document index the stages share, and stage 2 (exact groups).

Every document of a run (the `--against` dataset's first, then the input's) has a
global index: its collection's start, plus its signature file's base, plus its row in
that file. The stages after the signatures pass indices around, never documents;
`GlobalIndex` holds the few per-document values they look up (16 bytes of exact hash,
the shingle and character counts, the null flag).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from curate.dataset import Dataset, Shard
from curate.dedup import cache
from curate.dedup.workfiles import Location
from curate.errors import CurateError


@dataclass
class Collection:
    """The documents of one dataset as the global stages see them."""

    label: str  # "input" or "--against PATH"
    ds: Dataset
    sig_dir: Location  # local, or in an object store (`workfiles`)
    files: list[Location]  # signature file per unit, in order
    base: list[int]  # global index of each file's first row
    select: list[np.ndarray | None]  # rows of each file that belong (None: all)
    shards_for_text: list[Shard]  # where verification reads text
    start: int = 0  # global index range [start, end)
    end: int = 0
    reused: bool = False  # signatures came from the dataset's own cache
    spill_dir: Path | None = None  # shingle hashes kept by the signature pass (some files)
    rows: list[int] = field(default_factory=list)  # documents of each file that belong


@dataclass
class GlobalIndex:
    """Per-document values of every document of the run, by global index."""

    colls: list[Collection]  # in global order: --against (if any), then the input
    hi: np.ndarray  # uint64: the normalised text's 128-bit hash, high half
    lo: np.ndarray  # uint64: low half
    null: np.ndarray  # bool: text is null (kept, never a duplicate)
    n_shingles: np.ndarray  # int64
    n_chars: np.ndarray  # int64
    n_against: int  # documents [0, n_against) are --against's

    @property
    def total(self) -> int:
        return len(self.hi)

    @property
    def input(self) -> Collection:
        return self.colls[-1]


def load_index(colls: list[Collection], has_against: bool) -> GlobalIndex:
    """Read the small columns of every signature file (not the signatures) into one
    index, numbering the documents in collection order; check the input's ids."""
    g = 0
    hi, lo, nulls, nsh, nchars = [], [], [], [], []
    input_ids: list[pl.Series] = []  # read with the rest: one read a file (one request)
    for c in colls:
        c.base, c.rows = [], []
        c.start = g
        for f, sel in zip(c.files, c.select, strict=True):
            tab = cache.read_table(
                f, ["id", "null_text", "xh_hi", "xh_lo", "n_shingles", "n_chars"]
            )
            if c is colls[-1]:
                input_ids.append(pl.Series(tab.column("id")))
            if sel is not None:
                tab = tab.take(pa.array(sel))
            c.base.append(g)
            c.rows.append(tab.num_rows)
            g += tab.num_rows
            hi.append(tab.column("xh_hi").to_numpy())
            lo.append(tab.column("xh_lo").to_numpy())
            nulls.append(tab.column("null_text").to_numpy(zero_copy_only=False))
            nsh.append(tab.column("n_shingles").to_numpy())
            nchars.append(tab.column("n_chars").to_numpy())
        c.end = g
    n_against = colls[0].end if has_against else 0
    check_unique_ids(colls[-1], input_ids)
    return GlobalIndex(
        colls,
        np.concatenate(hi or [[]]).astype(np.uint64),
        np.concatenate(lo or [[]]).astype(np.uint64),
        np.concatenate(nulls or [[]]).astype(bool),
        np.concatenate(nsh or [[]]).astype(np.int64),
        np.concatenate(nchars or [[]]).astype(np.int64),
        n_against,
    )


@dataclass(frozen=True)
class ExactGroups:
    """Stage 2's result."""

    pairs: np.ndarray  # int64 [m, 2]: (first of the group, another member)
    is_rep: np.ndarray  # bool per document: the first of its group (the one banded)


def exact_stage(index: GlobalIndex) -> ExactGroups:
    """Stage 2: documents with equal normalised-text hashes; every member is paired
    with the first of its group (16 bytes a document, in the driver)."""
    gidx = np.arange(index.total, dtype=np.int64)
    live = ~index.null
    df = pl.DataFrame({"g": gidx[live], "hi": index.hi[live], "lo": index.lo[live]})
    df = df.with_columns(rep=pl.col("g").min().over(["hi", "lo"]))
    dup = df.filter(pl.col("g") != pl.col("rep"))
    pairs = np.stack([dup["rep"].to_numpy(), dup["g"].to_numpy()], axis=1).astype(np.int64)
    pairs = pairs[~(pairs[:, 1] < index.n_against)]  # both --against
    is_rep = np.zeros(index.total, dtype=bool)
    is_rep[df.filter(pl.col("g") == pl.col("rep"))["g"].to_numpy()] = True
    return ExactGroups(pairs, is_rep)


def check_unique_ids(c: Collection, parts: list[pl.Series]) -> None:
    """Removal is by id, so ids must be unique (the dataset contract): check, exit 2."""
    if not parts:
        return
    ids = pl.concat(parts)
    dup = ids.filter(ids.is_duplicated())
    if len(dup):
        raise CurateError(
            f"{c.ds.location}: id `{dup[0]}` appears more than once ({len(dup.unique()):,} "
            "ids repeated); dedup removes documents by id: make ids unique (curate ingest "
            "does) and re-run"
        )


def locate(colls: list[Collection], g: np.ndarray) -> list[tuple[Collection, int, np.ndarray]]:
    """Split global indices by (collection, file): [(coll, file index, local positions)]."""
    out = []
    for c in colls:
        for i, base in enumerate(c.base):
            end = base + c.rows[i]
            m = (g >= base) & (g < end)
            if m.any():
                out.append((c, i, np.flatnonzero(m)))
    return out


def ids_of(colls: list[Collection], g: np.ndarray) -> np.ndarray:
    """The `id` of every global index in g (object array)."""
    ids = np.empty(len(g), dtype=object)
    for c, i, pos in locate(colls, g):
        local, sel = g[pos] - c.base[i], c.select[i]
        rows = local if sel is None else sel[local]
        col = cache.read_table(c.files[i], ["id"]).column("id")
        ids[pos] = col.take(pa.array(rows)).to_pylist()
    return ids


def id_array(colls: list[Collection], g: np.ndarray) -> pa.Array:
    """The `id` of every global index in g, as one Arrow string array in g's order."""
    chunks, where = [], []
    for c, i, pos in locate(colls, g):
        local, sel = g[pos] - c.base[i], c.select[i]
        rows = local if sel is None else sel[local]
        col = cache.read_table(c.files[i], ["id"]).column("id")
        chunks.append(col.take(pa.array(rows)).combine_chunks().cast(pa.string()))
        where.append(pos)
    if not chunks:
        return pa.array([], pa.string())
    ids = pa.concat_arrays(chunks)
    at = np.concatenate(where)
    if np.all(at[1:] > at[:-1]):  # g sorted: the files' pieces come in order
        return ids
    back = np.empty(len(at), dtype=np.int64)
    back[at] = np.arange(len(at))
    return ids.take(pa.array(back))
