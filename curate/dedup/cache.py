"""The signature cache: one Arrow IPC file per shard under `<output>/_cache/signatures/`.

The output's `_cache/` is on its own filesystem: a local folder, or the object store
of an `s3://` output (`workfiles`), so every worker on any host reads the same cache.

Signatures depend only on the text and the shingling parameters, not on the
threshold or bands, so a rerun with another threshold, and a later `--against OUT`,
reuse them. `meta.json` records what they were made with and from which input; a
file is used only when both match (otherwise it is recomputed, or for `--against`
the user is told, see `check_compatible`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from curate.dedup import workfiles
from curate.dedup.workfiles import Location
from curate.errors import CurateError

CACHE = "_cache"
SIGNATURES = "signatures"
META = "meta.json"
CACHE_VERSION = 2  # 2: n_chars was int64 read as int32 (wrong lengths for --keep longest)


def signature_schema(num_perm: int | None) -> pa.Schema:
    fields = [
        pa.field("id", pa.string()),
        pa.field("null_text", pa.bool_()),
        pa.field("xh_hi", pa.uint64()),
        pa.field("xh_lo", pa.uint64()),
        pa.field("n_chars", pa.int64()),
        pa.field("n_shingles", pa.int64()),
    ]
    if num_perm:
        fields.append(pa.field("sig", pa.list_(pa.uint32(), num_perm)))
    return pa.schema(fields)


@dataclass(frozen=True)
class SignatureSpec:
    """What a cached signature file was computed with."""

    shingling: dict[str, Any]  # shingle, ngram, normalize
    num_perm: int | None  # None: exact hashes only
    scheme: str

    def to_json(self) -> dict[str, Any]:
        return {"shingling": self.shingling, "num_perm": self.num_perm, "scheme": self.scheme}


def shard_file(folder: Location, shard_name: str) -> Location:
    return workfiles.child(folder, f"{Path(shard_name).stem}.arrow")


# the folder may be local or in the output's object store (see `workfiles`)
write_table = workfiles.write_table
read_table = workfiles.read_table

# In an object store, the marker of a signature file whose upload completed. Locally a
# file is renamed into place whole; a store has no rename, and an upload interrupted
# in this process (Ctrl-C) still closes its stream, which can leave a short object
# under the final key: only a file with its marker is trusted (and reused).
DONE = ".done"


def write_shard_file(path: Location, table: pa.Table) -> None:
    """One shard's signature file, and in an object store its marker after it."""
    workfiles.write_table(path, table)
    if not workfiles.is_local(path):
        workfiles.write_bytes(f"{path}{DONE}", b"")


def complete_files(folder: Location) -> list[str]:
    """The names of the signature files in `folder` that were written whole, sorted."""
    files = workfiles.names(folder, "*.arrow")
    if workfiles.is_local(folder):
        return files
    done = set(workfiles.names(folder, f"*{DONE}"))
    return [n for n in files if f"{n}{DONE}" in done]


def sig_matrix(table: pa.Table, rows: np.ndarray | None = None) -> np.ndarray:
    """The `sig` column as a uint32 [docs, K] matrix (optionally only some rows)."""
    col = table.column("sig").combine_chunks()
    k = col.type.list_size
    values = col.values.to_numpy(zero_copy_only=False).reshape(-1, k)
    if col.offset:
        values = values[col.offset : col.offset + len(col)]
    return values if rows is None else values[rows]


def read_meta(folder: Location) -> dict[str, Any] | None:
    meta = workfiles.read_json(workfiles.child(folder, META))
    return meta if isinstance(meta, dict) else None


def write_meta(folder: Location, meta: dict[str, Any]) -> None:
    workfiles.make(folder)
    workfiles.write_json(workfiles.child(folder, META), meta)


def prepare_folder(folder: Location, spec: SignatureSpec, identity: dict[str, Any]) -> set[str]:
    """Make `folder` hold signatures of `spec` for `identity`; the shard files still valid."""
    meta = read_meta(folder)
    want = {"version": CACHE_VERSION, "spec": spec.to_json(), "input": identity}
    if meta is not None and all(meta.get(k) == v for k, v in want.items()):
        for name in workfiles.names(folder, ".tmp-*"):  # left by a killed run (the lock is ours)
            workfiles.delete(workfiles.child(folder, name))
        return set(complete_files(folder))
    for pattern in ("*.arrow", f"*{DONE}", ".tmp-*"):
        for name in workfiles.names(folder, pattern):
            workfiles.delete(workfiles.child(folder, name))
    write_meta(folder, want)
    return set()


def check_compatible(against: str, meta: dict[str, Any], spec: SignatureSpec) -> bool:
    """True when `--against`'s cache can be reused; exit 2 when its shingling differs."""
    theirs = meta.get("spec", {})
    mine = spec.to_json()
    if spec.num_perm is None:  # exact only: the normalisation is all that must agree
        t_norm = (theirs.get("shingling") or {}).get("normalize")
        if t_norm != mine["shingling"]["normalize"]:
            raise CurateError(
                f"--against {against}: it was deduplicated with --normalize "
                f"{','.join(t_norm or []) or 'none'}, this run uses "
                f"{','.join(mine['shingling']['normalize']) or 'none'}; use the same --normalize"
            )
        return theirs.get("scheme") == mine["scheme"]
    if theirs.get("shingling") != mine["shingling"] or (
        spec.num_perm is not None
        and theirs.get("num_perm") is not None
        and theirs.get("num_perm") != spec.num_perm
    ):
        t = {**theirs.get("shingling", {}), "num_perm": theirs.get("num_perm")}
        m = {**mine["shingling"], "num_perm": spec.num_perm}
        diff = ", ".join(
            f"{k} {t.get(k)!r} there vs {m.get(k)!r} here"
            for k in ("shingle", "ngram", "normalize", "num_perm")
            if t.get(k) != m.get(k) and not (k == "num_perm" and spec.num_perm is None)
        )
        raise CurateError(
            f"--against {against}: it was deduplicated with other shingling parameters "
            f"({diff}); re-run with the same --shingle/--ngram/--normalize/--num-perm"
        )
    if theirs.get("scheme") != mine["scheme"]:
        return False  # another hash implementation: recompute, do not compare
    if spec.num_perm is not None and theirs.get("num_perm") is None:
        return False  # exact-only cache: no signatures to reuse
    return True
