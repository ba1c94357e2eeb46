"""Dedup's components at scale: the partitioned path gives exactly union-find's labels.

`partitioned_components` (maps over partitioned edge files through an executor) must
return, for every graph, the same (node, label) as `components` (the smallest node of
each component), whatever the partition count, the chunk size (a unit's memory) and
the executor: in-process, two worker processes, Ray.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curate.dedup.components import components
from curate.dedup.partitioned_components import (
    DRIVER_MEMORY_BUDGET,
    EDGE_WORK_BYTES,
    Labels,
    choose_components,
    chunk_edges,
    lookup_labels,
    partition_of,
    partitioned_components,
    plan_partitions,
    write_edges,
)
from curate.errors import CurateError
from curate.executor import LocalExecutor

TINY = 1 << 17  # unit memory for 1,024-edge chunks: partitions of several chunks


def _graphs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.permutation(1_000_000)[:20_000].astype(np.int64)
    path = ids[:3_000]
    star = ids[3_000:6_001]
    small = rng.choice(ids[6_001:16_001], (4_000, 2))
    loops = ids[16_001:16_050]
    repeated = rng.choice(ids[16_050:16_200], (300, 2))
    g = {
        # a chain with scattered ids: the most rounds
        "chain": np.stack([path[:-1], path[1:]], axis=1),
        # a path in id order, and in reverse: min-label propagation's worst case
        "path_up": np.stack([np.arange(4_000), np.arange(1, 4_001)], axis=1),
        "path_down": np.stack([np.arange(4_001, 1, -1), np.arange(4_000, 0, -1)], axis=1),
        # stars centred on the largest and on a middle node (a hub: one long partition)
        "star_high": np.stack([np.full(3_000, star.max()), star[star != star.max()]], axis=1),
        "star_mid": np.stack([np.full(3_000, star[0]), star[1:]], axis=1),
        "many_small": small,
        # self-loops (alone and on nodes with edges), repeats in both orientations
        "loops_and_repeats": np.concatenate(
            [
                np.stack([loops, loops], axis=1),
                repeated,
                repeated[:, ::-1],
                repeated[:50],
                np.stack([repeated[:20, 0], repeated[:20, 0]], axis=1),
            ]
        ),
        # ids above 2³² (the two-key sort) and near 2⁶², next to small ones
        "big_labels": np.array(
            [
                [1 << 62, (1 << 62) + 5],
                [(1 << 62) + 5, (1 << 40) + 1],
                [(1 << 40) + 1, 3],
                [(1 << 62) - 1, (1 << 62) - 1],
                [(1 << 33) + 7, (1 << 33) + 9],
                [7, 9],
                [9, (1 << 35)],
            ],
            np.int64,
        ),
    }
    g["everything"] = np.concatenate([g[k] for k in ("chain", "star_mid", "many_small")])
    return g


GRAPHS = _graphs()


def _write(folder: Path, pairs: np.ndarray, files: int = 3) -> Path:
    """The pairs in `files` edge files, alternately raw `.pairs` and `.npy`."""
    folder.mkdir(parents=True)
    for i, piece in enumerate(np.array_split(pairs, files)):
        if i % 2:
            np.save(folder / f"e{i}.npy", piece.astype(np.int64))
        else:
            write_edges(folder / f"e{i}", piece)
    return folder


def _check(tmp: Path, pairs: np.ndarray, executor, **kw) -> Labels:
    labels = partitioned_components(_write(tmp / "edges", pairs), executor, tmp / "work", **kw)
    want_nodes, want_labels = components(pairs)
    got_nodes, got_labels = labels.read_all()
    assert np.array_equal(got_nodes, want_nodes)
    assert np.array_equal(got_labels, want_labels)
    assert labels.nodes == len(want_nodes)
    assert labels.components == int((want_nodes == want_labels).sum())
    return labels


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_same_labels_as_union_find_in_process(tmp_path, name):
    _check(tmp_path, GRAPHS[name], LocalExecutor(1), partitions=3, unit_memory=TINY)


@pytest.mark.parametrize("partitions", [1, 2, 7])
def test_any_partition_count_and_chunk_size(tmp_path, partitions):
    pairs = GRAPHS["everything"]
    for memory in (TINY, 64 << 20):
        _check(
            tmp_path / str(memory),
            pairs,
            LocalExecutor(1),
            partitions=partitions,
            unit_memory=memory,
        )


def test_random_graphs_in_two_worker_processes(tmp_path, real_workers):
    """Units in processes (the files are the only way between them): several graphs,
    one pool for all."""
    rng = np.random.default_rng(7)
    executor = LocalExecutor(2)
    for i in range(1):
        n = int(rng.integers(50, 20_000))
        pairs = rng.integers(0, n, (int(rng.integers(1, 8_000)), 2)) * int(rng.integers(1, 1 << 20))
        _check(
            tmp_path / str(i), pairs, executor, partitions=int(rng.integers(2, 6)), unit_memory=TINY
        )
    _check(tmp_path / "all", GRAPHS["everything"], executor)
    real_workers.assert_ran()


def test_on_ray(tmp_path, ray_cluster):
    from curate.ray_executor import RayExecutor

    _check(tmp_path, GRAPHS["everything"], RayExecutor(workers=2), partitions=3, unit_memory=TINY)


def test_lookup_partition_by_partition(tmp_path):
    pairs = GRAPHS["everything"]
    labels = _check(tmp_path, pairs, LocalExecutor(1), partitions=4, unit_memory=TINY)
    nodes, label = components(pairs)
    pick = np.random.default_rng(3).choice(len(nodes), 500, replace=False)
    absent = np.array([nodes.max() + 1, 1 << 50], np.int64)
    got = labels.lookup(np.concatenate([nodes[pick], absent]))
    assert np.array_equal(got[:500], label[pick])
    assert got[500:].tolist() == [-1, -1]
    assert np.array_equal(lookup_labels(labels.folder, nodes[pick[:10]]), label[pick[:10]])
    # each part: (node, label) sorted by node, every node in the partition its hash says
    for p in range(labels.partitions):
        part = np.load(labels.part_path(p))
        assert part.dtype == np.int64 and part.shape[1] == 2
        assert (np.diff(part[:, 0]) > 0).all()
        assert (partition_of(part[:, 0], labels.partitions) == p).all()
    # only the labels are left in the work folder; a rerun replaces them, and leaves
    # what is not its own
    assert sorted(x.name for x in (tmp_path / "work").iterdir()) == ["labels"]
    (tmp_path / "work" / "keep.txt").write_text("not ours")
    partitioned_components(tmp_path / "edges", LocalExecutor(1), tmp_path / "work", partitions=2)
    assert sorted(x.name for x in (tmp_path / "work").iterdir()) == ["keep.txt", "labels"]
    assert Labels.open(tmp_path / "work" / "labels").partitions == 2
    assert Labels.open(labels.folder).nodes == len(nodes)


def test_no_edges(tmp_path):
    labels = _check(tmp_path, np.zeros((0, 2), np.int64), LocalExecutor(1), partitions=2)
    assert labels.nodes == 0 and labels.lookup(np.array([1, 2])).tolist() == [-1, -1]


def test_bad_edge_files(tmp_path):
    (tmp_path / "neg").mkdir()
    write_edges(tmp_path / "neg" / "a", np.array([[1, -2]]))
    with pytest.raises(CurateError, match="negative"):
        partitioned_components(tmp_path / "neg", LocalExecutor(1), tmp_path / "w")
    (tmp_path / "shape").mkdir()
    np.save(tmp_path / "shape" / "a.npy", np.zeros((4, 3), np.int64))
    with pytest.raises(CurateError, match="integer pairs"):
        partitioned_components(tmp_path / "shape", LocalExecutor(1), tmp_path / "w")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "a.pairs").write_bytes(b"\0" * 24)
    with pytest.raises(CurateError, match="whole number of pairs"):
        partitioned_components(tmp_path / "odd", LocalExecutor(1), tmp_path / "w")


def test_choose_components_by_the_driver_budget():
    assert choose_components(0) == "memory"
    assert choose_components(1_000_000, 1_000_000) == "memory"
    assert choose_components(300_000_000, 300_000_000) == "partitioned"
    edges = 10_000_000
    assert choose_components(edges, edges) == "memory"
    assert choose_components(edges, edges, memory_budget=DRIVER_MEMORY_BUDGET // 4) == (
        "partitioned"
    )


def test_partition_plan_bounds_a_units_memory():
    budget = 256 << 20
    assert chunk_edges(budget) * EDGE_WORK_BYTES <= budget // 2
    assert plan_partitions(1_000, workers=4) == 4  # at least one a worker
    big = plan_partitions(500_000_000, 300_000_000, budget)
    assert 500_000_000 / big <= chunk_edges(budget)
    with pytest.raises(CurateError, match="partitions"):
        plan_partitions(10**15, unit_memory=budget)


def test_dedup_gives_the_same_clusters_when_the_graph_is_partitioned(tmp_path, monkeypatch):
    """A driver too small for the graph: dedup's component stage runs as partitioned
    units, and the kept documents and clusters are those of union-find in memory."""
    import random

    from conftest import read_rows, run, write_jsonl

    import curate.dedup.partitioned_components as pcomp

    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(400)]
    rows = []
    for c in range(15):
        base = [rng.choice(vocab) for _ in range(80)]
        for k in range(1 + c % 4):
            doc = list(base)
            doc[rng.randrange(len(doc))] = rng.choice(vocab)
            rows.append({"id": f"{c:02d}-{k}", "text": " ".join(doc)})
    src = tmp_path / "in"
    src.mkdir()
    write_jsonl(src / "a.jsonl", rows)
    raw = tmp_path / "raw"
    assert run("ingest", src, "-o", raw, "--source", "s", "-q").exit_code == 0
    outs = []
    for budget in (pcomp.DRIVER_MEMORY_BUDGET, 0):
        monkeypatch.setattr(pcomp, "DRIVER_MEMORY_BUDGET", budget)
        o, cl = tmp_path / f"o{budget}", tmp_path / f"c{budget}"
        r = run("dedup", raw, "-o", o, "--clusters", cl, "--threshold", "0.7", "-q")
        assert r.exit_code == 0, r
        outs.append((read_rows(o), read_rows(cl)))
        how = json.loads((o / "_curate.json").read_text())["lineage"][-1]["dedup"]["components"]
        assert how == ("partitioned" if budget == 0 else "memory")
    assert outs[0] == outs[1]
    assert len(outs[0][0]) == 15  # one survivor a cluster
