"""dedup's work files by location: a local path, or a key in the output's object store.

The signature cache and the stage files live in the output's `_cache/` folder, where
every worker can reach them: on a local disk (or one every node mounts) for a local
output, in the store itself for an `s3://` or `gs://` output, so that Ray workers on
other hosts read and write them without a shared disk, and reruns and `--against`
find the signature cache there. A location is what `curate.dataset.join` makes: a
`Path` for a local file, a URI string for an object. These functions do the handful
of things the stages need on either, through `curate.storage.Store`.

Locally they keep the old behaviour (memory maps, seeks, temporary names renamed into
place). In a store an object is written with one upload and appears whole when it
completes, and a file is read with one request (a whole signature file: reading an
IPC file's batches one ranged request at a time would cost a request per 1,024
documents). Work files that are only ever memory-mapped by one process (the spilled
shingles, the partitioned components' shuffle) stay on that process's local disk
instead: see `signatures.signatures_stage` and `clusters.components_stage`.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa

from curate.dataset import join
from curate.storage import Store, is_remote

Location = Path | str


def is_local(loc: Location) -> bool:
    return not is_remote(str(loc))


def child(folder: Location, name: str) -> Location:
    """`folder/name` (a Path for a local folder, a URI string in a store)."""
    return join(folder, name)


def name_of(loc: Location) -> str:
    return PurePosixPath(str(loc)).name


def stem_of(loc: Location) -> str:
    return PurePosixPath(str(loc)).stem


def _split(loc: Location) -> tuple[Store, str]:
    text = str(loc).rstrip("/")
    parent, _, name = text.rpartition("/")
    return Store(parent), name


def make(folder: Location) -> None:
    """Create a folder (nothing to do in a store: prefixes need no creation)."""
    if is_local(folder):
        Path(folder).mkdir(parents=True, exist_ok=True)


def delete(loc: Location) -> None:
    """Remove a file or a whole folder; absent is fine."""
    store, name = _split(loc)
    store.delete(name)


def exists(loc: Location) -> bool:
    store, name = _split(loc)
    return store.exists(name)


def names(folder: Location, pattern: str = "*") -> list[str]:
    """The names of the files in `folder` matching a shell pattern, sorted."""
    return Store(str(folder)).glob(pattern)


def read_bytes(loc: Location) -> bytes:
    store, name = _split(loc)
    return store.read_bytes(name)


def write_bytes(loc: Location, data: bytes) -> None:
    """A reader sees the old file or the new one, never half (see `Store.write_bytes`)."""
    store, name = _split(loc)
    store.write_bytes(name, data)


def read_json(loc: Location) -> Any:
    """The JSON object in a file, or None when it is missing or unreadable."""
    try:
        return json.loads(read_bytes(loc).decode("utf-8"))
    except (OSError, ValueError):
        return None


def write_json(loc: Location, value: Any) -> None:
    write_bytes(loc, json.dumps(value, indent=1, sort_keys=True, default=str).encode("utf-8"))


def read_table(loc: Location, columns: list[str] | None = None) -> pa.Table:
    """An Arrow IPC file: memory-mapped locally, in one request from a store."""
    if is_local(loc):
        with pa.memory_map(str(loc), "r") as source:
            table = pa.ipc.open_file(source).read_all()
    else:
        table = pa.ipc.open_file(pa.BufferReader(read_bytes(loc))).read_all()
        if columns:
            # copied out of the downloaded file, so that it is freed: a view would keep
            # the whole file (signatures and all) alive for as long as one small column
            # is held, e.g. the global index's hashes, 16 bytes of ~570 a document
            table = table.select(columns)
            return pa.table(
                [pa.concat_arrays(c.chunks) if c.num_chunks else c for c in table.columns],
                schema=table.schema,
            )
    return table.select(columns) if columns else table


def write_table(loc: Location, table: pa.Table) -> None:
    """Write an uncompressed Arrow IPC file (signatures do not compress), whole or not
    at all: locally under a temporary name renamed into place, in a store one upload
    of the finished file."""
    if not is_local(loc):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        write_bytes(loc, sink.getvalue().to_pybytes())
        return
    path = Path(loc)
    tmp = path.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{path.name}")
    try:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk or an interruption leaves no half file
        raise


def open_output(loc: Location) -> Any:
    """A binary stream to a new file (in a store, the object appears when it closes)."""
    store, name = _split(loc)
    return store.open_output(name)


def open_input(loc: Location) -> Any:
    """A seekable binary file (in a store, each read is a ranged request)."""
    store, name = _split(loc)
    return store.open_input(name)


def read_range(loc: Location, offset: int, size: int) -> bytes:
    """`size` bytes at `offset` (fewer at the end of the file)."""
    with open_input(loc) as fh:
        fh.seek(offset)
        return fh.read(size)
