"""Connected components of the duplicate graph (union-find, vectorised).

The graph is small (its nodes are only documents with at least one duplicate), so
its memory is proportional to the duplicate candidates, not to the corpus. Labels
are the smallest node of each component, so they do not depend on the order in
which pairs were found (worker count, shard order).
"""

from __future__ import annotations

import numpy as np


def components(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(nodes, label): every node that is in a pair, and the smallest node of its component.

    `pairs` is int64 [m, 2] of global document indices.
    """
    if len(pairs) == 0:
        z = np.zeros(0, np.int64)
        return z, z
    nodes, inv = np.unique(pairs.ravel(), return_inverse=True)
    u, v = inv[0::2].astype(np.int64), inv[1::2].astype(np.int64)
    parent = np.arange(len(nodes), dtype=np.int64)
    # hook-and-jump until no edge joins two roots: labels only ever decrease
    while True:
        pu, pv = parent[u], parent[v]
        lo = np.minimum(pu, pv)
        hi = np.maximum(pu, pv)
        differ = lo != hi
        if not differ.any():
            break
        np.minimum.at(parent, hi[differ], lo[differ])
        while True:  # pointer jumping: every node points at its root
            pp = parent[parent]
            if np.array_equal(pp, parent):
                break
            parent = pp
    return nodes, nodes[parent]
