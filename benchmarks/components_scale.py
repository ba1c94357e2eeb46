"""Benchmark: dedup's component stage at scale (a simulation: edge files, no text).

For N documents, a duplicate graph shaped like dedup's: ``--dup-rate`` (30%) of the
documents are in clusters; one boilerplate cluster of ``--giant`` x N documents (0.1%),
the others of power-law sizes (1 + Zipf(2.5): half of them pairs, a few of thousands);
inside a cluster each document is joined to a random earlier member (a random tree,
depth ~log of its size) and, half the time, to a second one; 5% of the clusters of
three or more are chains instead (the worst case for rounds); a few pairs repeat.
Document ids are an affine permutation of 0..N-1, so a cluster's members are scattered
over the id space as near duplicates are over a corpus. The pairs go to raw int64 edge
files (``curate.dedup.partitioned_components.write_edges``), 8M pairs a file, in the
order they were made.

Then, each in a process of its own so that each peak is its own:

* ``partitioned``: ``partitioned_components`` with ``LocalExecutor(--workers)`` and the
  default unit budget (256 MB): wall time, the driver's peak RSS, each worker's peak
  RSS (``ru_maxrss`` each unit reports of its own process: the process's lifetime
  peak, imports included), the rounds and the work folder's largest size;
* ``union-find``: today's in-memory ``components(pairs)`` on the same edges, loaded
  into one array as the dedup step holds them (skipped when its estimate exceeds
  60% of the free memory): wall time and peak RSS; ``--check`` compares its labels
  with the partitioned ones, partition by partition.

    python benchmarks/components_scale.py --quick            # 1M documents
    python benchmarks/components_scale.py --docs 10000000 --check
    python benchmarks/components_scale.py --docs 100000000

The goal (issue 15, item 6): at 100M documents the distributed path's peak per worker
stays under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MB, print_machine, print_table  # noqa: E402

FILE_EDGES = 8_000_000


# --------------------------------------------------------------------------- the graph


def _sizes(rng: np.random.Generator, clustered: int, giant: int, cap: int) -> np.ndarray:
    """Cluster sizes summing to `clustered`: one giant, then 1 + Zipf(2.5), capped."""
    parts = [np.array([giant], np.int64)] if giant >= 2 else []
    left = clustered - (giant if giant >= 2 else 0)
    while left >= 2:
        s = np.minimum(1 + rng.zipf(2.5, max(1024, left // 2)), cap).astype(np.int64)
        s = s[np.cumsum(s) <= left]
        if not len(s):
            s = np.array([left], np.int64)
        parts.append(s)
        left -= int(s.sum())
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _multiplier(n: int) -> int:
    for a in (1_000_000_007, 998_244_353, 2_147_483_647):
        if n % a:
            return a
    return 1


def generate(docs: int, out: Path, dup_rate: float, giant_rate: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    clustered = int(docs * dup_rate)
    giant = int(docs * giant_rate)
    sizes = _sizes(rng, clustered, giant, cap=max(2, min(100_000, docs // 1000)))
    mult, shift = _multiplier(docs), int(rng.integers(0, docs))
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    chain = (rng.random(len(sizes)) < 0.05) & (sizes >= 3)
    pending: list[np.ndarray] = []
    held = 0
    files = 0
    edges = 0

    def flush(final: bool) -> None:
        nonlocal pending, held, files, edges
        while held >= FILE_EDGES or (final and held):
            block = np.concatenate(pending)
            take, rest = block[:FILE_EDGES], block[FILE_EDGES:]
            np.ascontiguousarray(take).tofile(out / f"edges-{files:05d}.pairs")
            files += 1
            edges += len(take)
            pending, held = ([rest], len(rest)) if len(rest) else ([], 0)

    step = 2_000_000  # documents a batch
    c0 = 0
    while c0 < len(sizes):
        c1 = int(np.searchsorted(offsets, offsets[c0] + step, side="right"))
        c1 = max(c1 - 1, c0 + 1)
        sz = sizes[c0:c1]
        first = offsets[c0:c1]
        member = np.arange(int(sz.sum()), dtype=np.int64)
        start = np.repeat(first - first[0], sz)
        j = member - start  # position inside its cluster
        g = member + first[0]  # global member index
        is_chain = np.repeat(chain[c0:c1], sz)
        k = j >= 1
        gj, jj, cj = g[k], j[k], is_chain[k]
        parent = np.where(cj, jj - 1, (rng.random(len(jj)) * jj).astype(np.int64))
        a = [gj]
        b = [gj - jj + parent]
        extra = (~cj) & (rng.random(len(jj)) < 0.5)
        a.append(gj[extra])
        b.append(
            gj[extra] - jj[extra] + (rng.random(int(extra.sum())) * jj[extra]).astype(np.int64)
        )
        a_all, b_all = np.concatenate(a), np.concatenate(b)
        rep = rng.random(len(a_all)) < 0.01  # a few pairs found twice, once each way
        a_all, b_all = np.concatenate([a_all, b_all[rep]]), np.concatenate([b_all, a_all[rep]])
        flip = rng.random(len(a_all)) < 0.5
        a_all, b_all = np.where(flip, b_all, a_all), np.where(flip, a_all, b_all)
        pairs = np.empty((len(a_all), 2), np.int64)
        pairs[:, 0] = (a_all * mult + shift) % docs
        pairs[:, 1] = (b_all * mult + shift) % docs
        pending.append(pairs)
        held += len(pairs)
        flush(False)
        c0 = c1
    flush(True)
    return {
        "docs": docs,
        "nodes": int(sizes.sum()),
        "clusters": len(sizes),
        "largest": int(sizes.max()) if len(sizes) else 0,
        "pair_clusters": int((sizes == 2).sum()),
        "edges": edges,
        "files": files,
        "edge_bytes": edges * 16,
    }


# --------------------------------------------------------------------------- children


def _rss_now() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _peak_self() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class _DiskPeak(threading.Thread):
    """The work folder's largest size, sampled."""

    def __init__(self, folder: Path) -> None:
        super().__init__(daemon=True)
        self.folder, self.peak, self.stop = folder, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            total = 0
            for root, _, names in os.walk(self.folder):
                for n in names:
                    try:
                        total += os.path.getsize(os.path.join(root, n))
                    except OSError:
                        pass
            self.peak = max(self.peak, total)


def _worker_start(_: int) -> tuple[int, int]:
    """A worker's pid and resident memory once it has imported the components module."""
    import curate.dedup.partitioned_components  # noqa: F401

    time.sleep(0.2)  # let the other worker take the next one
    return os.getpid(), _rss_now()


def child_partitioned(edges: Path, work: Path, workers: int, unit_mb: int) -> dict:
    from curate.dedup.partitioned_components import partitioned_components
    from curate.executor import LocalExecutor, shutdown_pools

    base = _rss_now()
    executor = LocalExecutor(workers)
    starts = dict(r for _, r in executor.map_unordered(_worker_start, range(2 * workers)))
    t0 = time.monotonic()
    disk = _DiskPeak(work)
    disk.start()

    def log(line: str) -> None:
        print(f"  {time.monotonic() - t0:7.1f}s {line}", file=sys.stderr, flush=True)

    labels = partitioned_components(edges, executor, work, unit_memory=unit_mb * MB, log=log)
    wall = time.monotonic() - t0
    disk.stop.set()
    disk.join()
    shutdown_pools()
    peaks = labels.stats["unit_peak_rss"]
    return {
        "wall": wall,
        "driver_peak": _peak_self(),
        "driver_base": base,
        "worker_peaks": sorted(peaks.values(), reverse=True),
        "worker_start": max(starts.values()) if starts else 0,
        "rounds": labels.stats["rounds"],
        "maps": len(labels.stats["maps"]),
        "partitions": labels.partitions,
        "nodes": labels.nodes,
        "components": labels.components,
        "disk_peak": disk.peak,
        "labels": str(labels.folder),
    }


def child_union_find(edges: Path, save: Path | None) -> dict:
    from curate.dedup.components import components
    from curate.dedup.partitioned_components import _open_edges, edge_files

    base = _rss_now()
    t0 = time.monotonic()
    files = edge_files(edges)
    pairs = np.empty((sum(n for _, n in files), 2), np.int64)
    at = 0
    for path, n in files:
        pairs[at : at + n] = _open_edges(path)
        at += n
    loaded = time.monotonic()
    nodes, label = components(pairs)
    wall = time.monotonic() - loaded
    peak = _peak_self()
    if save is not None:
        np.save(save / "uf-nodes.npy", nodes)
        np.save(save / "uf-labels.npy", label)
    return {
        "wall": wall,
        "load": loaded - t0,
        "peak": peak,
        "base": base,
        "edges": len(pairs),
        "nodes": len(nodes),
        "components": int((nodes == label).sum()),
    }


def child_check(labels_dir: Path, save: Path) -> dict:
    from curate.dedup.partitioned_components import Labels

    nodes = np.load(save / "uf-nodes.npy", mmap_mode="r")
    label = np.load(save / "uf-labels.npy", mmap_mode="r")
    labels = Labels.open(labels_dir)
    seen = 0
    for part_nodes, part_labels in labels.iter_partitions():
        at = np.searchsorted(nodes, part_nodes)
        if len(part_nodes) and (
            at.max() >= len(nodes) or not np.array_equal(nodes[at], part_nodes)
        ):
            return {"equal": False, "why": "a node the union-find does not have"}
        if not np.array_equal(label[at], part_labels):
            return {"equal": False, "why": "a label differs"}
        seen += len(part_nodes)
    return {"equal": seen == len(nodes), "nodes": seen}


def _child(args: list[str]) -> dict:
    cmd = [sys.executable, __file__, *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode:
        raise SystemExit(f"{' '.join(args[:1])} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _free_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


# --------------------------------------------------------------------------- main


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        what, rest = sys.argv[1], sys.argv[2:]
        if what == "_gen":
            docs, out, dup, giant, seed = rest
            res = generate(int(docs), Path(out), float(dup), float(giant), int(seed))
        elif what == "_part":
            edges, work, workers, unit_mb = rest
            res = child_partitioned(Path(edges), Path(work), int(workers), int(unit_mb))
        elif what == "_uf":
            edges, save = rest
            res = child_union_find(Path(edges), Path(save) if save else None)
        else:
            labels_dir, save = rest
            res = child_check(Path(labels_dir), Path(save))
        print(json.dumps(res))
        return

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=10_000_000)
    ap.add_argument("--quick", action="store_true", help="1M documents")
    ap.add_argument("--dup-rate", type=float, default=0.3)
    ap.add_argument("--giant", type=float, default=0.001, help="the largest cluster, x docs")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--unit-memory-mb", type=int, default=256)
    ap.add_argument("--work", type=Path, default=Path("/tmp/curate-components-bench"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-union-find", action="store_true")
    ap.add_argument("--check", action="store_true", help="compare labels with union-find")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    docs = 1_000_000 if args.quick else args.docs

    print_machine()
    work = args.work
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    edges_dir = work / "edges"
    try:
        t = time.monotonic()
        g = _child(
            ["_gen", str(docs), str(edges_dir), str(args.dup_rate), str(args.giant), str(args.seed)]
        )
        gen_s = time.monotonic() - t
        print(
            f"graph: {docs:,} documents, {g['nodes']:,} in {g['clusters']:,} clusters "
            f"(largest {g['largest']:,}, {g['pair_clusters']:,} pairs), {g['edges']:,} edges "
            f"in {g['files']} files ({g['edge_bytes'] / MB:,.0f} MB), made in {gen_s:.1f} s"
        )
        from curate.dedup.partitioned_components import (
            UNION_FIND_BYTES_PER_EDGE,
            UNION_FIND_BYTES_PER_NODE,
            choose_components,
        )

        print(f"choose_components: {choose_components(g['edges'], g['nodes'])}\n", flush=True)
        p = _child(
            ["_part", str(edges_dir), str(work / "cc"), str(args.workers), str(args.unit_memory_mb)]
        )
        rows = []
        peaks = p["worker_peaks"]
        rows.append(
            [
                f"partitioned ({args.workers} workers, {args.unit_memory_mb} MB units)",
                f"{p['wall']:.1f}",
                f"{p['driver_peak'] / MB:,.0f}",
                " / ".join(f"{x / MB:,.0f}" for x in peaks),
                f"{p['partitions']}",
                f"{p['rounds']} ({p['maps']} maps)",
                f"{p['disk_peak'] / MB:,.0f}",
                f"{p['components']:,}",
            ]
        )
        uf = None
        need = g["edges"] * UNION_FIND_BYTES_PER_EDGE + g["nodes"] * UNION_FIND_BYTES_PER_NODE
        if args.no_union_find:
            note = "skipped (--no-union-find)"
        elif need > 0.6 * _free_bytes():
            note = f"skipped: needs ~{need / MB:,.0f} MB, {_free_bytes() / MB:,.0f} MB free"
        else:
            note = ""
            uf = _child(["_uf", str(edges_dir), str(work) if args.check else ""])
            rows.append(
                [
                    "union-find in memory (1 process)",
                    f"{uf['wall']:.1f} (+{uf['load']:.1f} load)",
                    f"{uf['peak'] / MB:,.0f}",
                    "-",
                    "-",
                    "-",
                    "-",
                    f"{uf['components']:,}",
                ]
            )
        print_table(
            [
                "components",
                "wall s",
                "driver peak MB",
                "worker peaks MB",
                "partitions",
                "rounds",
                "disk peak MB",
                "components",
            ],
            rows,
            title=f"{docs:,} documents, {g['edges']:,} edges",
        )
        print(
            f"partitioned: driver RSS after imports {p['driver_base'] / MB:,.0f} MB, "
            f"a worker's after imports {p['worker_start'] / MB:,.0f} MB; "
            f"worker goal < 2,048 MB: {'met' if max(peaks) < 2048 * MB else 'NOT met'}"
        )
        if uf is not None:
            per_edge = (uf["peak"] - uf["base"]) / max(1, uf["edges"])
            print(
                f"union-find: RSS before loading {uf['base'] / MB:,.0f} MB; "
                f"{per_edge:.0f} bytes an edge at its peak (pairs included)"
            )
        else:
            print(f"union-find: {note}")
        if args.check and uf is not None:
            c = _child(["_check", p["labels"], str(work)])
            print(f"labels equal to union-find's: {c['equal']} ({c.get('nodes', 0):,} nodes)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
