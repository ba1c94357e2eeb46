"""Stage 6: connected components of the duplicate graph, and the keep policy.

Exact and near pairs form one graph; its components are the clusters, labelled by
their smallest global index (so nothing depends on worker count or on which unit
finished first). The keep policy then picks one survivor a cluster.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curate.dataset import shard_source
from curate.dedup import partitioned_components as pcomp
from curate.dedup import workfiles
from curate.dedup.components import components
from curate.dedup.index import Collection, GlobalIndex, id_array, locate
from curate.dedup.options import DedupOptions
from curate.dedup.partitioned_components import (
    choose_components,
    partitioned_components,
    write_edges,
)
from curate.dedup.workfiles import Location
from curate.executor import Executor, LocalExecutor, default_workers


def components_stage(
    exact_pairs: np.ndarray,
    near_pairs: np.ndarray,
    index: GlobalIndex,
    options: DedupOptions,
    keep_col: str | None,
    executor: Executor,
    work: Location,
) -> tuple[pa.Table, pa.Table, dict[str, Any]]:
    """Stage 6: the removed documents (id, dup_of, dup_reason), the clusters table
    (id, cluster, kept) and their facts for the lineage.

    The partitioned components shuffle edges through memory-mapped files with many
    small slices read by every unit: with a work folder in an object store they run
    in a temporary folder of this machine, on its worker processes (the same labels;
    not spread over a cluster's hosts).
    """
    if workfiles.is_local(work):
        nodes, label, how = _components(exact_pairs, near_pairs, executor, Path(work))
    else:
        with tempfile.TemporaryDirectory(prefix="curate-components-") as tmp:
            here = LocalExecutor(min(executor.workers, default_workers()))
            nodes, label, how = _components(exact_pairs, near_pairs, here, Path(tmp))
    removed, clusters, facts = _decide(
        nodes,
        label,
        index.n_against,
        options,
        keep_col,
        index.colls,
        index.n_chars,
        index.hi,
        index.lo,
    )
    return removed, clusters, {"components": how, **facts}


def _components(
    exact_pairs: np.ndarray, near_pairs: np.ndarray, executor: Executor, work: Path
) -> tuple[np.ndarray, np.ndarray, str]:
    """(nodes, label, how): union-find in memory while the graph fits the driver's
    budget, else the partitioned large-star/small-star rounds as units of the executor
    (the same labels: the smallest index of each component)."""
    n_edges = len(exact_pairs) + len(near_pairs)
    if choose_components(n_edges, memory_budget=pcomp.DRIVER_MEMORY_BUDGET) == "memory":
        pairs = np.concatenate([exact_pairs, near_pairs]) if len(near_pairs) else exact_pairs
        nodes, label = components(pairs)
        return nodes, label, "memory"
    edges = work / "edges"
    edges.mkdir(parents=True, exist_ok=True)
    write_edges(edges / "exact", exact_pairs)
    write_edges(edges / "near", near_pairs)
    labels = partitioned_components(edges, executor, work / "labels")
    # Read back whole (16 bytes a clustered document): the keep policy compares the
    # members of each cluster (--against first, then the score, then the earliest),
    # and the label files are partitioned by node, so a cluster's members are spread
    # over every partition. Deciding per partition would take one more shuffle, by
    # label, and each unit would need the members' scores, exact hashes and ids (the
    # driver's global index and the signature files). So `_decide` holds NumPy and
    # Arrow arrays only: ~180 bytes a clustered document at its peak, about half of it
    # the removed and clusters tables it returns (3M clustered documents: 512 MB over
    # its inputs, 10 s; with Python objects a document it was 1,348 MB, 27 s).
    nodes, label = labels.read_all()
    return nodes, label, "partitioned"


def _decide(
    nodes: np.ndarray,
    label: np.ndarray,
    n_against: int,
    options: DedupOptions,
    keep_col: str | None,
    colls: list[Collection],
    nchars: np.ndarray,
    hi: np.ndarray,
    lo: np.ndarray,
) -> tuple[pa.Table, pa.Table, dict[str, Any]]:
    """Pick the survivor of every cluster; the removed table and the clusters table."""
    empty_removed = pa.table(
        {
            "id": pa.array([], pa.string()),
            "dup_of": pa.array([], pa.string()),
            "dup_reason": pa.array([], pa.string()),
        }
    )
    cl_schema = pa.schema(
        [
            pa.field("id", pa.string()),
            pa.field("cluster", pa.string()),
            pa.field("kept", pa.bool_()),
        ]
    )
    if not len(nodes):
        return empty_removed, cl_schema.empty_table(), {"clusters": 0, "documents_in_clusters": 0}
    ids = id_array(colls, nodes)
    score = np.zeros(len(nodes), dtype=np.float64)
    if options.keep == "longest":
        score = nchars[nodes].astype(np.float64)
    elif keep_col is not None:
        score = _column_values(colls[-1], nodes, keep_col)
    # order inside a cluster: --against first, then highest score, then earliest; the
    # keeper of each cluster is the first of its run in that order (all NumPy: no
    # Python object a document, which at tens of millions of clustered documents was
    # most of the driver's memory)
    is_against = nodes < n_against
    order = np.lexsort((nodes, -score, ~is_against, label))
    keeper_pos = _first_of_runs(order, label)
    del order
    kept = np.arange(len(nodes)) == keeper_pos
    # --against documents sort first in their cluster: one is there iff it is the keeper
    cluster_has_against = is_against[keeper_pos]
    if options.keep == "none":
        kept = np.zeros(len(nodes), dtype=bool)
    kept &= ~is_against  # --against documents are not in the output either way
    # cluster name: the smallest id of the cluster (the first of its run by label, id)
    by_id = pc.sort_indices(
        pa.table({"label": label, "id": ids}),
        sort_keys=[("label", "ascending"), ("id", "ascending")],
    ).to_numpy()
    cluster_id = ids.take(pa.array(_first_of_runs(by_id, label)))
    del by_id
    dup_of = ids.take(pa.array(keeper_pos))
    if options.keep == "none":
        dup_of = pc.if_else(pa.array(cluster_has_against), dup_of, pa.scalar(None, pa.string()))
    same = (hi[nodes] == hi[nodes[keeper_pos]]) & (lo[nodes] == lo[nodes[keeper_pos]])
    if options.keep == "none":
        key = pl.DataFrame({"label": label, "hi": hi[nodes], "lo": lo[nodes]})
        same = key.select(pl.len().over(["label", "hi", "lo"]) > 1).to_series().to_numpy()
    mine = ~is_against
    removed = mine & ~kept
    removed_mask, mine_mask = pa.array(removed), pa.array(mine)
    reason = pc.if_else(
        pa.array(same[removed]), pa.scalar("exact_duplicate"), pa.scalar("near_duplicate")
    )
    removed_tab = pa.table(
        {
            "id": ids.filter(removed_mask),
            "dup_of": dup_of.filter(removed_mask),
            "dup_reason": reason,
        }
    )
    clusters_tab = pa.table(
        {
            "id": ids.filter(mine_mask),
            "cluster": cluster_id.filter(mine_mask),
            "kept": pa.array(kept[mine], pa.bool_()),
        },
        schema=cl_schema,
    )
    facts = {
        "clusters": int(len(np.unique(label[mine]))),
        "documents_in_clusters": int(mine.sum()),
        "removed": int(removed.sum()),
    }
    return removed_tab, clusters_tab, facts


def _first_of_runs(order: np.ndarray, label: np.ndarray) -> np.ndarray:
    """For positions `order` sorted by label (then by a preference), the position that
    comes first in each label's run, for every position: int64 [len(label)]."""
    order = order.astype(np.int64, copy=False)
    lab_sorted = label[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = lab_sorted[1:] != lab_sorted[:-1]
    del lab_sorted
    out = np.empty(len(order), dtype=np.int64)
    out[order] = order[first][np.cumsum(first) - 1]
    return out


def _column_values(c: Collection, nodes: np.ndarray, col: str) -> np.ndarray:
    """The keep column for input documents (nulls and NaN lowest); --against rows get 0."""
    vals = np.full(len(nodes), -np.inf)
    for cc, i, pos in locate([c], nodes):
        local = nodes[pos] - cc.base[i]
        shard = c.ds.shards[i]
        pf = pq.ParquetFile(shard_source(shard.path))  # through curate's store if remote
        arr = (
            pf.read(columns=[col]).column(col)
            if col in pf.schema_arrow.names
            else pa.chunked_array([pa.nulls(shard.rows)])
        )
        taken = arr.take(pa.array(local)).cast(pa.float64())
        v = taken.to_numpy(zero_copy_only=False).astype(np.float64)
        v = np.where(np.isnan(v), -np.inf, v)
        vals[pos] = v
    return vals
