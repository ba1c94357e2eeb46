"""Connected components of a duplicate graph too large for one process's memory.

`curate.dedup.components.components` holds every pair, and a few arrays as large, in
one process: about `UNION_FIND_BYTES_PER_EDGE` bytes an edge at its peak. At a billion
documents with a realistic duplicate rate that is hundreds of millions of edges, tens
of GB. This module computes the same labels (the smallest node of each component) as
a few rounds of maps over partitioned edge files, through any `Executor`: each unit
reads its partition's edges from disk and writes its output edges partitioned by the
key the next map groups them by (a shuffle through files: never through the driver's
memory or Ray's object store). The driver holds only file names and per-map counters.

`choose_components` says which of the two to use; `partitioned_components` runs the
distributed one; `Labels` (its result) reads the labels back partition by partition.

**Edge files** (the input): a folder of files, each either `.npy` (a 2-D integer
array [m, 2], C order) or `.pairs` (raw little-endian int64, two per edge, no
header; `write_edges` writes one). Nodes are non-negative integers (global document
indices); an edge may appear several times, in either orientation; a self-loop (u, u)
makes u a node of its own component, as in `components`.

**The algorithm** is the alternating large-star / small-star algorithm of Kiveris et
al. ("Connected Components in MapReduce and Beyond", SoCC 2014): O(log² n) rounds in
the worst case (about log n in practice), and no round emits more edges than it read,
so the edge files never grow. Edges are kept as (hi, lo), hi ≥ lo. With mn(x) the
smallest of x and the nodes below x joined to it (x's smallest neighbour-or-self):

* large-star: every edge (hi, lo) becomes (hi, mn(lo)): two maps, `ls1` grouped by
  hi (it computes mn, a table per partition, and re-emits the edges by lo), `ls2`
  grouped by lo (it looks lo up in its partition's table and emits by hi);
* small-star: with m = mn(hi), every edge (hi, lo) with lo ≠ m becomes (lo, m), and
  each hi keeps one edge (hi, m): one map, `ss`, grouped by hi.

Phase 1 repeats the three maps until a small-star changes no edge. From then on every
hi has exactly one lo, its parent: the graph is a forest of pointers to smaller nodes,
and a large-star (`ls1`, `jump`) is a pointer jump (each node's parent becomes its
grandparent) that keeps it a forest, so phase 2 repeats only those two maps. There an
edge whose new parent is known to be a root (a node with no parent) can never change
again: `jump` files it as final (`ls1` of the next round writes each partition's finals
as a sorted table) and it is read again only as a look-up, so each pointer jump
shuffles only the edges still moving (at 100M documents: 20M edges in the first jump,
117k in the second). When none is left, `labels` writes each partition's labels:
every node that is not a root has a final edge to its root, and every root was seen
by a jump: (node, label) sorted by node, `labels/part-NNNNN.npy`, int64 [n, 2].

**Memory.** Partitions are by a hash of the node (Fibonacci hashing of the int64),
so each partition holds about 1/P of the nodes whatever the ids. A unit streams its
partition's edges in chunks of `chunk_edges(unit_memory)` edges: a hub (the centre of
a million-document cluster) makes one partition long, never one unit large. Per unit:
one chunk (at most half of `unit_memory`) plus its partition's table (one entry per
node of the partition; `plan_partitions` chooses P so that it takes at most the other
half). Edges are de-duplicated inside every chunk (sorted as one uint64 key, hi·2³² +
lo, while the nodes are below 2³²; a two-key sort above).

**On disk.** Every map's unit writes one file of edges (`.bin`, raw int64 pairs) in
blocks, one block per chunk, each block grouped by destination partition, and one
index (`.idx.npy`, int64 [blocks, P + 1]: where each destination's rows start). The
next map's unit p reads, from every file of the previous map, its slice of each
block. A map's files are removed once the map that reads them has finished, so the
work folder holds two generations of the edges at most (each no larger than the
input), plus phase 2's final tables (16 bytes a node). `work` must be reachable by
every worker (a shared folder on a cluster): the units of one map may run anywhere.
"""

from __future__ import annotations

import json
import math
import os
import re
import resource
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from curate.dedup.memory import write_array
from curate.errors import CurateError
from curate.executor import Executor, UnitFailed, report

# --------------------------------------------------------------------------- budgets

# The driver may hold the duplicate graph in memory (today's union-find) while it needs
# at most this much: 2 GiB, what one process of the dedup step may take on top of its
# other stages on a modest machine. Pass `memory_budget` to `choose_components` for
# more (a large driver) or less.
DRIVER_MEMORY_BUDGET = 2 << 30

# `components(pairs)` at its peak, the caller's pairs (16 bytes an edge) included, with
# np.unique's sort and inverse and the union-find's arrays: 120-126 bytes an edge on
# dedup-like graphs of about one edge a node (benchmarks/components_scale.py, 1M, 10M
# and 100M documents: 35 MB, 348 MB, 3,465 MB over the interpreter's 103 MB).
UNION_FIND_BYTES_PER_EDGE = 96
UNION_FIND_BYTES_PER_NODE = 24

# What one unit of the partitioned path may use (its chunk and its partition's table),
# on top of the worker process itself (~100 MB: Python, NumPy, and the Polars and Arrow
# that importing `curate.dedup` brings).
UNIT_MEMORY_BUDGET = 256 << 20

# Working bytes of a unit per edge of its chunk (the chunk as read, the packed sort key
# and its sorted copy, the unpacked columns, the output and its shuffle order) and per
# node of its partition's table (keys, minima, and a merge's copies).
EDGE_WORK_BYTES = 112
KEY_WORK_BYTES = 72

MAX_PARTITIONS = 1 << 15  # destinations are uint16 (a radix sort), and P² slices a map

EDGE_SUFFIXES = (".npy", ".pairs")

Method = Literal["memory", "partitioned"]


def choose_components(
    n_edges: int, n_nodes: int | None = None, memory_budget: int = DRIVER_MEMORY_BUDGET
) -> Method:
    """`"memory"` when `components(pairs)` fits `memory_budget`, else `"partitioned"`.

    `n_edges` counts pairs as found (duplicates included); `n_nodes` the distinct
    documents in them, if known (at most 2 · n_edges, assumed when not given).

    How the dedup step uses it (stage 6), with `n` the pairs the stages found::

        if choose_components(n) == "memory":
            nodes, label = components(pairs)              # as today
        else:
            # stages 2-5 append their pairs to `work / "edges"` with `write_edges`
            # (e.g. one file per verify unit) instead of concatenating them
            labels = partitioned_components(work / "edges", executor, work / "cc")
            label = labels.lookup(ids)                     # any set of documents, or
            for nodes, label in labels.iter_partitions():  # all of them, a part at a time
                ...
    """
    if n_edges < 0:
        raise ValueError("n_edges must be non-negative")
    nodes = 2 * n_edges if n_nodes is None else n_nodes
    need = n_edges * UNION_FIND_BYTES_PER_EDGE + nodes * UNION_FIND_BYTES_PER_NODE
    return "memory" if need <= memory_budget else "partitioned"


def chunk_edges(unit_memory: int = UNIT_MEMORY_BUDGET) -> int:
    """Edges a unit works on at a time: half of its budget."""
    return max(1024, unit_memory // 2 // EDGE_WORK_BYTES)


def plan_partitions(
    n_edges: int,
    n_nodes: int | None = None,
    unit_memory: int = UNIT_MEMORY_BUDGET,
    workers: int = 1,
) -> int:
    """How many partitions: a partition's table in half of `unit_memory`, its edges
    (usually) in one chunk, and at least one partition a worker."""
    nodes = 2 * n_edges if n_nodes is None else n_nodes
    by_nodes = math.ceil(nodes * KEY_WORK_BYTES / max(1, unit_memory // 2))
    by_edges = math.ceil(n_edges / chunk_edges(unit_memory))
    parts = max(1, workers, by_nodes, by_edges)
    if parts > MAX_PARTITIONS:
        raise CurateError(
            f"components: {n_edges:,} edges need {parts:,} partitions of "
            f"{unit_memory >> 20} MB, more than {MAX_PARTITIONS:,}; give the units more memory"
        )
    return parts


# --------------------------------------------------------------------------- edge files


def write_edges(path: str | Path, pairs: np.ndarray) -> Path:
    """Write pairs (int [m, 2]) as one edge file (`.pairs`: raw little-endian int64)."""
    path = Path(path)
    if path.suffix not in EDGE_SUFFIXES:
        path = path.with_name(path.name + ".pairs")
    arr = np.ascontiguousarray(pairs, dtype="<i8").reshape(-1, 2)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        write_array(fh, arr)
    os.replace(tmp, path)
    return path


def edge_files(folder: str | Path) -> list[tuple[str, int]]:
    """The edge files of `folder` (sorted by name) and their edge counts."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CurateError(f"components: edge folder {folder} does not exist")
    out = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in EDGE_SUFFIXES or not path.is_file():
            continue
        out.append((str(path), len(_open_edges(str(path)))))
    return out


def _open_edges(path: str) -> np.ndarray:
    """An edge file as an [m, 2] array mapped from disk (nothing read yet)."""
    if path.endswith(".npy"):
        arr = np.load(path, mmap_mode="r")
        if arr.ndim != 2 or arr.shape[1] != 2 or arr.dtype.kind not in "iu":
            raise CurateError(
                f"components: {path} holds {arr.dtype} {arr.shape}, not integer pairs [m, 2]"
            )
        return arr
    size = os.path.getsize(path)
    if size % 16:
        raise CurateError(f"components: {path} is {size} bytes, not a whole number of pairs")
    if size == 0:
        return np.zeros((0, 2), np.int64)
    return np.memmap(path, dtype="<i8", mode="r").reshape(-1, 2)


# --------------------------------------------------------------------------- primitives

_FIB = np.uint64(0x9E3779B97F4A7C15)
_S32 = np.uint64(32)
_LOW = np.uint64(0xFFFFFFFF)
_PACKABLE = 1 << 32


def partition_of(nodes: np.ndarray, partitions: int) -> np.ndarray:
    """The partition (uint16) of each node: Fibonacci hashing, so any ids spread evenly."""
    h = (np.asarray(nodes, np.int64).view(np.uint64) * _FIB) >> _S32
    return ((h * np.uint64(partitions)) >> _S32).astype(np.uint16)


def _sorted_unique(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (a, b) sorted by a then b, each once."""
    if len(a) == 0:
        return a.astype(np.int64), b.astype(np.int64)
    if int(a.max()) < _PACKABLE and int(b.max()) < _PACKABLE:
        a, b = a.astype(np.int64, copy=False), b.astype(np.int64, copy=False)
        key = a.view(np.uint64) << _S32
        key |= b.view(np.uint64)
        key.sort()
        key = key[_firsts(key)]
        return (key >> _S32).view(np.int64), (key & _LOW).view(np.int64)
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    keep = np.ones(len(a), bool)
    keep[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[keep], b[keep]


def _firsts(sorted_values: np.ndarray) -> np.ndarray:
    """Mask of the first element of each run of equal values."""
    mask = np.empty(len(sorted_values), bool)
    if len(mask):
        mask[0] = True
        np.not_equal(sorted_values[1:], sorted_values[:-1], out=mask[1:])
    return mask


def _groups(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start index, size) of each run of equal keys."""
    starts = np.flatnonzero(_firsts(sorted_keys))
    sizes = np.diff(np.append(starts, len(sorted_keys)))
    return starts, sizes


class _GroupMin:
    """key -> smallest value, over chunks; merged when the pending part outgrows it."""

    def __init__(self, chunk: int) -> None:
        self.keys = np.zeros(0, np.int64)
        self.mins = np.zeros(0, np.int64)
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.size = 0
        self.chunk = chunk

    def add(self, keys: np.ndarray, mins: np.ndarray) -> None:
        self.pending.append((keys, mins))
        self.size += len(keys)
        if self.size > max(len(self.keys), self.chunk):
            self._merge()

    def _merge(self) -> None:
        if not self.pending:
            return
        if len(self.pending) == 1 and not len(self.keys):
            self.keys, self.mins = self.pending[0]  # one chunk: already sorted, unique keys
        else:
            k = np.concatenate([self.keys, *(p[0] for p in self.pending)])
            m = np.concatenate([self.mins, *(p[1] for p in self.pending)])
            k, m = _sorted_unique(k, m)
            first = _firsts(k)
            self.keys, self.mins = k[first], m[first]
        self.pending, self.size = [], 0

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        self._merge()
        return self.keys, self.mins


# --------------------------------------------------------------------------- shuffle files


class _Emitter:
    """One unit's output: blocks of edges grouped by destination partition."""

    def __init__(self, stem: str, partitions: int) -> None:
        self.stem = stem
        self.partitions = partitions
        self.file = open(stem + ".bin", "wb")  # noqa: SIM115 - closed by close()
        self.rows = 0
        self.index: list[np.ndarray] = []

    def emit(self, a: np.ndarray, b: np.ndarray, key: np.ndarray, chunk: int) -> None:
        """Edges (a, b), each to the partition of its `key` (a or b)."""
        for s in range(0, len(a), chunk):
            self._block(a[s : s + chunk], b[s : s + chunk], key[s : s + chunk])

    def _block(self, a: np.ndarray, b: np.ndarray, key: np.ndarray) -> None:
        n = len(a)
        if n == 0:
            return
        out = np.empty((n, 2), np.int64)
        if self.partitions == 1:
            counts = np.array([n], np.int64)
            out[:, 0], out[:, 1] = a, b
        else:
            dest = partition_of(key, self.partitions)
            order = np.argsort(dest, kind="stable")  # a radix sort on uint16
            counts = np.bincount(dest, minlength=self.partitions)
            del dest
            out[:, 0] = a[order]
            out[:, 1] = b[order]
            del order
        write_array(self.file, out)
        row = np.empty(self.partitions + 1, np.int64)
        row[0] = 0
        np.cumsum(counts, out=row[1:])
        self.index.append(row + self.rows)
        self.rows += n

    def close(self) -> int:
        self.file.close()
        index = np.stack(self.index) if self.index else np.zeros((0, self.partitions + 1), np.int64)
        tmp = self.stem + ".idx.tmp.npy"
        np.save(tmp, index)
        os.replace(tmp, self.stem + ".idx.npy")
        return self.rows


class _Partition:
    """Partition p of a map's output files: its total size, and its edges in chunks."""

    def __init__(self, sources: Sequence[str], part: int, chunk: int) -> None:
        self.slices: list[tuple[str, int, int]] = []
        for stem in sources:
            index = np.load(stem + ".idx.npy")
            for start, end in zip(
                index[:, part].tolist(), index[:, part + 1].tolist(), strict=True
            ):
                if end > start:
                    self.slices.append((stem + ".bin", start, end))
        self.total = sum(e - s for _, s, e in self.slices)
        self.chunk = chunk
        self._cached: tuple[np.ndarray, np.ndarray] | None = None

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(hi, lo) columns of at most `chunk` edges, as stored."""
        left = self.total
        buf = np.empty((0, 2), np.int64)
        fill = 0
        handle = None
        name = ""
        try:
            for path, start, end in self.slices:
                if path != name:
                    if handle is not None:
                        handle.close()
                    handle, name = open(path, "rb"), path  # noqa: SIM115
                pos = start
                while pos < end:
                    if fill == len(buf):
                        buf = np.empty((min(self.chunk, left), 2), np.int64)
                        fill = 0
                    n = min(end - pos, len(buf) - fill)
                    assert handle is not None
                    handle.seek(pos * 16)
                    view = buf[fill : fill + n].data.cast("B")
                    if handle.readinto(view) != n * 16:
                        raise CurateError(f"components: {path} is shorter than its index")
                    fill += n
                    pos += n
                    left -= n
                    if fill == len(buf):
                        yield buf[:, 0], buf[:, 1]
        finally:
            if handle is not None:
                handle.close()

    def sorted_chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The chunks sorted by (hi, lo), repeats dropped; a partition of one chunk is
        read and sorted once however many passes read it."""
        if self._cached is not None:
            yield self._cached
            return
        for hi, lo in self.chunks():
            cols = _sorted_unique(hi, lo)
            del hi, lo
            if self.total <= self.chunk:
                self._cached = cols
            yield cols


# --------------------------------------------------------------------------- units


@dataclass(frozen=True)
class IngestUnit:
    """Rows of the input edge files: canonical (hi, lo), de-duplicated, by hi."""

    pieces: tuple[tuple[str, int, int], ...]  # (edge file, first row, end row)
    out: str
    partitions: int
    chunk: int


@dataclass(frozen=True)
class StepUnit:
    """One partition of one map (`op`: ls1, ls2, ss, jump or labels; see `_OPS`)."""

    op: str
    part: int
    sources: tuple[str, ...]  # the previous map's output files (stems)
    out: str
    partitions: int
    chunk: int
    table: str = ""  # this partition's table (written by ls1, read by ls2 and jump)
    finals: tuple[str, ...] = ()  # files of edges found final by the last jump map
    forest: str = ""  # folder of the final tables and roots of the forest phase
    round: int = 0  # forest rounds so far (this one included)


def _facts(**counts: int) -> dict[str, int]:
    from curate.dedup.memory import release

    release()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {**counts, "pid": os.getpid(), "peak_rss": int(peak)}


def ingest_unit(unit: IngestUnit) -> dict[str, int]:
    """Read the unit's rows, orient each edge as (hi, lo), drop repeats, emit by hi."""
    emitter = _Emitter(unit.out, unit.partitions)
    read = 0
    top = -1
    for path, start, end in unit.pieces:
        edges = _open_edges(path)
        for s in range(start, end, unit.chunk):
            block = np.asarray(edges[s : min(end, s + unit.chunk)]).astype(np.int64)
            a, b = block[:, 0], block[:, 1]
            if len(a) and min(int(a.min()), int(b.min())) < 0:
                raise CurateError(f"components: {path} holds a negative node")
            hi, lo = _sorted_unique(np.maximum(a, b), np.minimum(a, b))
            del block, a, b
            if len(hi):
                top = max(top, int(hi.max()))
            emitter.emit(hi, lo, hi, unit.chunk)
            read += len(hi)
            report(edges=len(hi))
    rows = emitter.close()
    return _facts(edges_in=read, edges_out=rows, max_node=top)


def step_unit(unit: StepUnit) -> dict[str, int]:
    """One partition of a map (see `_OPS` and the module docstring)."""
    part = _Partition(unit.sources, unit.part, unit.chunk)
    return _OPS[unit.op](unit, part)


def _save(path: str, array: np.ndarray) -> None:
    tmp = path + ".tmp.npy"
    np.save(tmp, array)
    os.replace(tmp, path)


def _final_path(forest: str, rnd: int, part: int) -> str:
    return os.path.join(forest, f"final-{rnd:03d}-{part:05d}.npy")


def _roots_path(forest: str, rnd: int, part: int) -> str:
    return os.path.join(forest, f"roots-{rnd:03d}-{part:05d}.npy")


def _min_by_key(part: _Partition) -> tuple[np.ndarray, np.ndarray]:
    """hi -> smallest lo over a partition's edges (keys sorted, once each)."""
    table = _GroupMin(part.chunk)
    for hi, lo in part.sorted_chunks():
        first = _firsts(hi)
        table.add(hi[first], lo[first])
    return table.result()


def _tables(unit: StepUnit, part: _Partition) -> dict[str, int]:
    """ls1, grouped by hi: mn(hi) for this partition's nodes (the table), and the edges
    again, by lo. In the forest phase (`jump` maps follow) it also files the edges the
    last jump found final: `final-RRR-PPPPP.npy`, int64 [2, n] (node, its root)."""
    emitter = _Emitter(unit.out, unit.partitions)
    table = _GroupMin(unit.chunk)
    for hi, lo in part.sorted_chunks():
        first = _firsts(hi)
        table.add(hi[first], lo[first])
        emitter.emit(hi, lo, lo, unit.chunk)
        report(edges=len(hi))
    keys, mins = table.result()
    below = mins < keys  # a node with only a self-loop is its own mn: no entry
    _save(unit.table, np.stack([keys[below], mins[below]]))
    finals = 0
    if unit.forest:
        nodes, roots = _min_by_key(_Partition(unit.finals, unit.part, unit.chunk))
        below = roots < nodes
        finals = int(below.sum())
        _save(
            _final_path(unit.forest, unit.round, unit.part), np.stack([nodes[below], roots[below]])
        )
    return _facts(edges_in=part.total, edges_out=emitter.close(), keys=len(keys), finals=finals)


def _load_table(path: str) -> tuple[np.ndarray, np.ndarray]:
    table = np.load(path)
    return table[0], table[1]


def _lookup(
    keys: np.ndarray, values: np.ndarray, nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(found, value) of each of `nodes` (sorted) in a table (keys sorted); a node not
    found gets itself as its value."""
    if not len(keys) or not len(nodes):
        return np.zeros(len(nodes), bool), nodes.copy()
    at = np.minimum(np.searchsorted(keys, nodes), len(keys) - 1)
    found = np.asarray(keys[at]) == nodes
    return found, np.where(found, np.asarray(values[at]), nodes)


def _large_star(unit: StepUnit, part: _Partition) -> dict[str, int]:
    """ls2, grouped by lo: each edge (hi, lo) becomes (hi, mn(lo)), emitted by hi."""
    keys, mins = _load_table(unit.table)
    emitter = _Emitter(unit.out, unit.partitions)
    changes = 0
    for hi, lo in part.chunks():
        lo, hi = _sorted_unique(lo, hi)
        starts, sizes = _groups(lo)
        ulo = lo[starts]
        found, mn = _lookup(keys, mins, ulo)
        changes += int(sizes[found].sum())
        emitter.emit(hi, np.repeat(mn, sizes), hi, unit.chunk)
        report(edges=len(hi))
    return _facts(edges_in=part.total, edges_out=emitter.close(), changes=changes)


def _small_star(unit: StepUnit, part: _Partition) -> dict[str, int]:
    """ss, grouped by hi: m = mn(hi); (hi, lo) with lo != m becomes (lo, m); (hi, m) stays."""
    keys, mins = _min_by_key(part)
    emitter = _Emitter(unit.out, unit.partitions)
    changes = 0
    for hi, lo in part.sorted_chunks():
        starts, sizes = _groups(hi)
        m = np.repeat(mins[np.searchsorted(keys, hi[starts])], sizes)
        moved = lo != m
        changes += int(moved.sum())
        emitter.emit(lo[moved], m[moved], lo[moved], unit.chunk)
        report(edges=len(hi))
    emitter.emit(keys, mins, keys, unit.chunk)
    return _facts(edges_in=part.total, edges_out=emitter.close(), changes=changes)


def _jump(unit: StepUnit, part: _Partition) -> dict[str, int]:
    """jump, grouped by lo, in the forest phase (every hi has one lo, its parent): each
    edge (hi, lo) becomes (hi, parent(lo)). An edge whose new parent is known to be a
    root (lo is a root: in no table; or lo's own edge is final) is final: it goes to
    `out-final` and is never read again by a jump; the others to `out`. The roots seen
    go to `roots-RRR-PPPPP.npy`."""
    keys, parents = _load_table(unit.table)
    finals = [
        np.load(_final_path(unit.forest, r, unit.part), mmap_mode="r")
        for r in range(1, unit.round + 1)
    ]
    active = _Emitter(unit.out, unit.partitions)
    final = _Emitter(unit.out + "-final", unit.partitions)
    roots = _GroupMin(unit.chunk)
    for hi, lo in part.chunks():
        lo, hi = _sorted_unique(lo, hi)
        starts, sizes = _groups(lo)
        ulo = lo[starts]
        found, parent = _lookup(keys, parents, ulo)
        rest = np.flatnonzero(~found)
        for table in finals:  # lo's own edge was final: its parent is its root
            if not len(rest):
                break
            got, root = _lookup(table[0], table[1], ulo[rest])
            parent[rest[got]] = root[got]
            rest = rest[~got]
        roots.add(ulo[rest], ulo[rest])
        moving = np.repeat(found, sizes)
        parent = np.repeat(parent, sizes)
        active.emit(hi[moving], parent[moving], hi[moving], unit.chunk)
        done = ~moving
        final.emit(hi[done], parent[done], hi[done], unit.chunk)
        report(edges=len(hi))
    _save(_roots_path(unit.forest, unit.round, unit.part), roots.result()[0])
    moved, ended = active.close(), final.close()
    return _facts(edges_in=part.total, edges_out=moved, finals=ended)


def _labels(unit: StepUnit, part: _Partition) -> dict[str, int]:
    """labels, when no edge is left active: every node not a root has a final edge to
    its root (filed by node), every root was seen by a jump (filed by root). Writes
    (node, label) sorted by node."""
    nodes, labels = [], []
    last, last_roots = _min_by_key(_Partition(unit.finals, unit.part, unit.chunk))
    below = last_roots < last
    nodes.append(last[below])
    labels.append(last_roots[below])
    for r in range(1, unit.round + 1):
        table = np.load(_final_path(unit.forest, r, unit.part))
        nodes.append(table[0])
        labels.append(table[1])
        roots = np.load(_roots_path(unit.forest, r, unit.part))
        nodes.append(roots)
        labels.append(roots)
    node, label = _sorted_unique(np.concatenate(nodes), np.concatenate(labels))
    if len(node) > 1 and not (node[1:] > node[:-1]).all():
        raise RuntimeError("components: a node with two labels (not converged)")
    _save(unit.out, np.stack([node, label], axis=1))
    return _facts(nodes=len(node), components=int((node == label).sum()))


# Maps: phase 1 repeats ls1, ls2 (a large-star) and ss (a small-star) until a small-star
# changes nothing; phase 2 (the forest) repeats ls1 and jump until no edge is active;
# then labels.
_OPS: dict[str, Callable[[StepUnit, _Partition], dict[str, int]]] = {
    "ls1": _tables,
    "ls2": _large_star,
    "ss": _small_star,
    "jump": _jump,
    "labels": _labels,
}


# --------------------------------------------------------------------------- the driver


LABELS_META = "_labels.json"
_OURS = re.compile(r"00-ingest|\d\d+-(ls1|ls2|ss)|f\d\d+-(ls1|jump)|forest|labels")


@dataclass(frozen=True)
class Labels:
    """The labels written by `partitioned_components`: (node, label) sorted by node,
    one file per partition (`part-NNNNN.npy`, int64 [n, 2]), nodes in the partition
    `partition_of(node, partitions)`."""

    folder: Path
    partitions: int
    nodes: int
    components: int
    stats: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def open(cls, folder: str | Path) -> Labels:
        folder = Path(folder)
        meta = json.loads((folder / LABELS_META).read_text())
        return cls(folder, meta["partitions"], meta["nodes"], meta["components"], meta)

    def part_path(self, part: int) -> Path:
        return self.folder / f"part-{part:05d}.npy"

    def iter_partitions(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(nodes, labels) of each partition in turn, nodes sorted; memory: one partition."""
        for p in range(self.partitions):
            table = np.load(self.part_path(p))
            yield np.ascontiguousarray(table[:, 0]), np.ascontiguousarray(table[:, 1])

    def lookup(self, nodes: np.ndarray, missing: int = -1) -> np.ndarray:
        """The label of each of `nodes` (`missing` for a node in no edge), reading only the
        partitions that hold some of them, one at a time."""
        nodes = np.asarray(nodes, np.int64)
        out = np.full(len(nodes), missing, np.int64)
        if not len(nodes):
            return out
        parts = partition_of(nodes, self.partitions)
        order = np.argsort(parts, kind="stable")
        bounds = np.searchsorted(parts[order], np.arange(self.partitions + 1))
        for p in np.flatnonzero(np.diff(bounds)).tolist():
            where = order[bounds[p] : bounds[p + 1]]
            table = np.load(self.part_path(p), mmap_mode="r")
            if not len(table):
                continue
            keys = np.ascontiguousarray(table[:, 0])
            want = nodes[where]
            at = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
            hit = keys[at] == want
            out[where[hit]] = np.asarray(table[at[hit], 1])
        return out

    def read_all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (node, label), sorted by node, as `components` returns them: small
        graphs and tests only (this is the whole table in memory)."""
        got = list(self.iter_partitions())
        if not got:
            z = np.zeros(0, np.int64)
            return z, z
        nodes = np.concatenate([n for n, _ in got])
        labels = np.concatenate([lab for _, lab in got])
        order = np.argsort(nodes, kind="stable")
        return nodes[order], labels[order]


def lookup_labels(folder: str | Path, nodes: np.ndarray, missing: int = -1) -> np.ndarray:
    """`Labels.open(folder).lookup(nodes)`."""
    return Labels.open(folder).lookup(nodes, missing)


def partitioned_components(
    edges: str | Path,
    executor: Executor,
    work: str | Path,
    *,
    unit_memory: int = UNIT_MEMORY_BUDGET,
    partitions: int | None = None,
    n_nodes: int | None = None,
    on_progress: Callable[[dict[str, int]], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> Labels:
    """Connected components of the graph in the edge files of `edges`, as maps through
    `executor`; the labels (smallest node of each component, the same as `components`)
    go to `work/labels/` (an earlier run's folders in `work` are replaced; nothing
    else there is touched).

    `partitions` overrides `plan_partitions` (tests); `n_nodes`, if known, sharpens it.
    `on_progress` receives the units' `edges` counts; `log` one line per map.
    """
    work = Path(work)
    files = edge_files(edges)
    n_edges = sum(n for _, n in files)
    parts = partitions or plan_partitions(n_edges, n_nodes, unit_memory, executor.workers)
    if not 1 <= parts <= MAX_PARTITIONS:
        raise CurateError(f"components: partitions must be in 1..{MAX_PARTITIONS}")
    chunk = chunk_edges(unit_memory)
    work.mkdir(parents=True, exist_ok=True)
    for old in work.iterdir():  # an earlier run's folders (ours only: nothing else)
        if _OURS.fullmatch(old.name) and old.is_dir():
            shutil.rmtree(old)
    stats: dict[str, Any] = {"edges": n_edges, "partitions": parts, "maps": []}
    peaks: dict[int, int] = {}

    def run(name: str, fn: Callable[[Any], dict[str, int]], units: Sequence[Any]) -> dict:
        total: dict[str, int] = {}
        for _unit, res in executor.map_unordered(fn, units, on_progress=on_progress):
            if isinstance(res, UnitFailed):
                raise CurateError(f"components: {name} unit failed: {res.error}")
            pid, peak = res.pop("pid"), res.pop("peak_rss")
            peaks[pid] = max(peaks.get(pid, 0), peak)
            for k, v in res.items():
                total[k] = max(total.get(k, v), v) if k == "max_node" else total.get(k, 0) + v
        stats["maps"].append({"map": name, **total})
        if log is not None:
            log(f"components: {name}: " + ", ".join(f"{k} {v:,}" for k, v in total.items()))
        return total

    def step_dir(name: str) -> Path:
        d = work / name
        d.mkdir()
        return d

    # ingest: each unit takes an equal share of the input's rows
    d = step_dir("00-ingest")
    shares = _share_rows(files, parts)
    units = [
        IngestUnit(tuple(pieces), str(d / f"{i:05d}"), parts, chunk)
        for i, pieces in enumerate(shares)
    ]
    run("ingest", ingest_unit, units)
    state, state_dir = [u.out for u in units], d

    def step(op: str, name: str, sources: list[str], **fields: Any) -> tuple[Path, list, dict]:
        d = step_dir(name)
        units = [
            StepUnit(
                op,
                p,
                tuple(sources),
                str(d / (f"part-{p:05d}.npy" if op == "labels" else f"{p:05d}")),
                parts,
                chunk,
                **{k: v(p) if callable(v) else v for k, v in fields.items()},
            )
            for p in range(parts)
        ]
        return d, [u.out for u in units], run(name, step_unit, units)

    def tables(name: str) -> Callable[[int], str]:
        return lambda p: str(work / name / f"table-{p:05d}.npy")

    limit = _max_rounds(n_edges)
    # phase 1: large-star, small-star, until a small-star changes nothing
    rounds = 0
    while True:
        rounds += 1
        if rounds > limit:
            raise RuntimeError(f"components: no convergence after {limit} rounds")
        name = f"{rounds:02d}-ls1"
        d1, by_lo, _ = step("ls1", name, state, table=tables(name))
        shutil.rmtree(state_dir)
        d2, state, _ = step("ls2", f"{rounds:02d}-ls2", by_lo, table=tables(name))
        shutil.rmtree(d1)
        state_dir, state, total = step("ss", f"{rounds:02d}-ss", state)
        shutil.rmtree(d2)
        if total.get("changes", 0) == 0:
            break

    # phase 2, the forest: every hi has one lo (its parent), and a large-star (ls1, jump)
    # is a pointer jump that keeps it so; edges that reach a root are filed and dropped
    forest = work / "forest"
    forest.mkdir()
    finals: list[str] = []
    jumps = 0
    while True:
        jumps += 1
        if jumps > limit:
            raise RuntimeError(f"components: no convergence after {limit} pointer jumps")
        name = f"f{jumps:02d}-ls1"
        common = {"forest": str(forest), "round": jumps}
        d1, by_lo, _ = step("ls1", name, state, table=tables(name), finals=tuple(finals), **common)
        shutil.rmtree(state_dir)
        state_dir, state, total = step(
            "jump", f"f{jumps:02d}-jump", by_lo, table=tables(name), **common
        )
        shutil.rmtree(d1)
        finals = [stem + "-final" for stem in state]
        if total.get("edges_out", 0) == 0:
            break
    labels_dir, _, total = step("labels", "labels", [], finals=tuple(finals), **common)
    shutil.rmtree(state_dir)
    shutil.rmtree(forest)

    stats["rounds"] = rounds + jumps
    stats["unit_peak_rss"] = peaks
    meta = {
        "partitions": parts,
        "nodes": total.get("nodes", 0),
        "components": total.get("components", 0),
        "hash": "fibonacci64-hi32",
        "format": "part-NNNNN.npy: int64 [n, 2] (node, label), sorted by node",
        "edges": n_edges,
        "rounds": rounds,
        "jumps": jumps,
    }
    (labels_dir / LABELS_META).write_text(json.dumps(meta, indent=1) + "\n")
    return Labels(labels_dir, parts, meta["nodes"], meta["components"], stats)


def _share_rows(files: list[tuple[str, int]], units: int) -> list[list[tuple[str, int, int]]]:
    """The input's rows cut into `units` contiguous shares of (nearly) equal size."""
    total = sum(n for _, n in files)
    bounds = [total * i // units for i in range(units + 1)]
    shares: list[list[tuple[str, int, int]]] = [[] for _ in range(units)]
    base = 0
    for path, n in files:
        for i in range(units):
            s, e = max(bounds[i], base), min(bounds[i + 1], base + n)
            if e > s:
                shares[i].append((path, s - base, e - base))
        base += n
    return shares


def _max_rounds(n_edges: int) -> int:
    """A safety bound, far above what the algorithm needs (O(log² n) rounds)."""
    log = max(2, math.ceil(math.log2(max(2, 2 * n_edges))))
    return 8 + 2 * log * log
