"""Open and write datasets: shard discovery, the manifest, atomic writes, resume.

Every step reads batches and writes shards through this module, so no step opens
Parquet by hand and every step keeps the same promises (DESIGN.md §1):

* shards are written under a temporary name and renamed into place, so a shard
  that exists is complete;
* while a step writes, `_curate.pending.json` marks the folder unfinished, and the
  manifest `_curate.json` is written last, so a crash never leaves a folder that
  looks complete;
* rerunning the same step with the same parameters resumes: work units recorded
  as done in the pending file are skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import glob
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curate import __version__, lock
from curate.errors import CurateError
from curate.lock import LOCK
from curate.schema import schema_to_json, union_schemas
from curate.storage import Entry, Store, display, is_remote, local_path, scheme_of

MANIFEST = "_curate.json"
PENDING = "_curate.pending.json"
TMP_PREFIX = ".curate-tmp-"  # files being written: never part of a dataset
LEGACY_TMP_PREFIX = ".tmp-"  # the temporary prefix of curate before 0.2
# what every curate output folder may hold besides its shards and declared work files
UNITS = "_curate.units"  # one marker file a finished unit, while the output is pending
PARTS = "_curate.parts"  # row ranges of shards cut into parts, until each is put together
ALWAYS_OURS = (MANIFEST, PENDING, LOCK, UNITS, PARTS, f"{TMP_PREFIX}*")
FORMAT_VERSION = 1
ROW_GROUP_ROWS = 20_000
COMPRESSION = "zstd"


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Shard:
    """One Parquet file of a dataset, as listed in the manifest."""

    name: str
    path: Path | str  # a local Path, or the URI of a shard in an object store
    rows: int
    bytes: int
    # where `rows` and `bytes` come from: the manifest (True), or the file itself when
    # a bare Parquet dataset was opened (False); only the wording of an error differs
    listed: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "bytes": self.bytes}

    @property
    def folder(self) -> str:
        """The location of the folder that holds the shard."""
        if isinstance(self.path, Path):
            return str(self.path.parent)
        return str(self.path).rpartition("/")[0]


def shard_source(path: Path | str) -> Any:
    """What pyarrow reads a shard from: the local path itself, or an open remote file."""
    if isinstance(path, Path) or not is_remote(path):
        return str(path)
    folder, _, name = str(path).rpartition("/")
    return Store(folder).open_input(name)


def join(location: Path | str, name: str) -> Path | str:
    """`location/name` for a local folder (a Path) or a URI (a string)."""
    if isinstance(location, Path) or not is_remote(location):
        return Path(location) / name
    return f"{str(location).rstrip('/')}/{name}"


@dataclass
class Dataset:
    """A readable dataset: a curate folder with a manifest, or bare Parquet."""

    location: str
    shards: list[Shard]
    schema: pa.Schema
    manifest: dict[str, Any] | None = None

    @property
    def is_bare(self) -> bool:
        """True for Parquet without a manifest: no sources, no lineage to carry."""
        return self.manifest is None

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.shards)

    @property
    def bytes(self) -> int:
        return sum(s.bytes for s in self.shards)

    @property
    def sources(self) -> dict[str, Any]:
        return dict((self.manifest or {}).get("sources", {}))

    @property
    def lineage(self) -> list[dict[str, Any]]:
        return list((self.manifest or {}).get("lineage", []))

    def iter_batches(
        self, columns: Sequence[str] | None = None, batch_size: int = 10_000
    ) -> Iterator[pa.RecordBatch]:
        """Batches of every shard in dataset order, conformed to the dataset schema."""
        for shard in self.shards:
            yield from self.shard_batches(shard, columns=columns, batch_size=batch_size)

    def shard_batches(
        self,
        shard: Shard,
        columns: Sequence[str] | None = None,
        batch_size: int = 10_000,
        rows: tuple[int, int] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Batches of one shard; columns a shard lacks (an appended source) come as nulls.

        Batch k holds the shard's rows `[k * batch_size, (k + 1) * batch_size)`, whatever
        its row groups, so a map step's batches depend on the data only. `rows` reads
        just the rows `[start, stop)` (a part of a shard cut into row ranges; `start` a
        multiple of `batch_size`, so its batches are those of a whole-shard read).
        """
        schema = (
            self.schema if columns is None else pa.schema([self.schema.field(c) for c in columns])
        )
        return read_shard(shard, schema, batch_size=batch_size, rows=rows)

    def column_names(self) -> list[str]:
        return list(self.schema.names)


def _row_groups(meta: Any, start: int, stop: int) -> tuple[list[int], int]:
    """The row groups holding rows `[start, stop)`, and the rows of the first to skip."""
    groups: list[int] = []
    skip = 0
    first = 0
    for g in range(meta.num_row_groups):
        n = meta.row_group(g).num_rows
        if first + n > start and first < stop:
            if not groups:
                skip = start - first
            groups.append(g)
        first += n
    return groups, skip


def exact_batches(
    batches: Iterable[pa.RecordBatch], skip: int, take: int, size: int
) -> Iterator[pa.RecordBatch]:
    """Rows `[skip, skip + take)` of a stream of batches, cut into batches of exactly
    `size` rows (the last may be shorter). A reader's batches may stop at row-group
    boundaries or not (it depends on the pyarrow version); these never depend on it."""
    held: list[pa.RecordBatch] = []
    n = 0
    for batch in batches:
        if take <= 0:
            break
        if skip:
            if skip >= batch.num_rows:
                skip -= batch.num_rows
                continue
            batch, skip = batch.slice(skip), 0
        if batch.num_rows > take:
            batch = batch.slice(0, take)
        take -= batch.num_rows
        held.append(batch)
        n += batch.num_rows
        while n >= size:
            whole = _concat(held)
            yield whole.slice(0, size) if whole.num_rows > size else whole
            rest = whole.slice(size)
            held, n = ([rest] if rest.num_rows else []), rest.num_rows
    if n:
        yield _concat(held)


def read_shard(
    shard: Shard,
    schema: pa.Schema,
    *,
    batch_size: int,
    rows: tuple[int, int] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Batches of `batch_size` rows of one shard, conformed to `schema`, in file order.

    The footer's row count is checked against what the shard is said to hold (the
    manifest's count): in an object store a dataset is opened from one listing and
    the footers are read only here, so this is where a shard replaced by another
    file of the same size is caught. The shard is read a row group at a time: in an
    object store with pre-buffering, one ranged GET for the columns of a row group
    (pyarrow coalesces their byte ranges) instead of a few per column, and no more
    than one row group's bytes held at a time (pre-buffering the whole file would
    keep every buffer until it is closed, memory growing with the shard). `rows`:
    only the rows `[start, stop)`, in batches cut as a whole-shard read cuts them.
    """
    shown = display(shard.path)
    remote = not isinstance(shard.path, Path) and is_remote(shard.path)
    try:
        source = shard_source(shard.path)
    except (OSError, pa.ArrowException) as exc:
        raise _unreadable(shown, exc) from exc
    pf: pq.ParquetFile | None = None
    try:
        pf = pq.ParquetFile(source, pre_buffer=remote)
        found = pf.metadata.num_rows
        if found != shard.rows:
            raise _rows_differ(shown, found, shard.rows, listed=shard.listed)
        present = [c for c in schema.names if c in pf.schema_arrow.names]
        start, stop = rows if rows is not None else (0, found)
        wanted, skip = _row_groups(pf.metadata, start, stop)
        groups = (
            pf.iter_batches(batch_size=batch_size, columns=present, row_groups=[g]) for g in wanted
        )
        read = (b for group in groups for b in group)
        for batch in exact_batches(read, skip, stop - start, batch_size):
            yield conform_batch(batch, schema)
    except (OSError, pa.ArrowException) as exc:
        raise _unreadable(shown, exc) from exc
    finally:
        if pf is not None:
            pf.close()  # the file it opened itself (a local path)
        if not isinstance(source, str):
            source.close()


def _concat(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _unreadable(shown: str, exc: BaseException) -> CurateError:
    return CurateError(
        f"{shown}: shard cannot be read ({_one_line(exc)}); "
        "restore it or re-run the step that wrote it"
    )


def _rows_differ(shown: str, found: int, rows: int, *, listed: bool) -> CurateError:
    if listed:
        return CurateError(
            f"{shown}: shard holds {found:,} rows but {MANIFEST} says {rows:,}; restore it "
            "or re-run the step that wrote it"
        )
    return CurateError(
        f"{shown}: holds {found:,} rows, {rows:,} when curate opened it; it was changed "
        "while curate read it: run the command again"
    )


def conform_batch(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """Reorder a batch to `schema`, adding missing columns as nulls and casting types."""
    if batch.schema.equals(schema):
        return batch
    arrays = []
    for f in schema:
        idx = batch.schema.get_field_index(f.name)
        if idx < 0:
            arrays.append(pa.nulls(batch.num_rows, type=f.type))
        else:
            col = batch.column(idx)
            arrays.append(col if col.type == f.type else col.cast(f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def open_dataset(spec: str | os.PathLike[str]) -> Dataset:
    """Open a curate dataset, a bare Parquet file, a folder of Parquet, or a glob.

    Local paths, `file://`, `s3://` and `gs://` locations alike.
    """
    text = str(spec)
    if not text.strip():  # Path("") is ".": an unset shell variable would read this folder
        raise CurateError("the dataset path is empty; name a dataset folder, Parquet file or glob")
    if is_remote(text):
        return _open_remote(text)
    local = local_path(text)
    assert local is not None
    path = local
    text = str(path) if scheme_of(text) == "file" else text
    if path.is_dir():
        store = Store(path)
        _refuse_pending(store)
        if (path / MANIFEST).exists():
            return _open_manifest(store)
        files = sorted(p for p in path.glob("*.parquet") if not p.name.startswith("."))
        if not files:
            raise CurateError(f"{path}: no dataset here (no _curate.json and no .parquet files)")
        return _open_bare(text, files)
    if path.is_file():
        return _open_bare(text, [path])
    if glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text) if p.endswith(".parquet"))
        if not files:
            raise CurateError(f"{text}: the pattern matches no .parquet files")
        return _open_bare(text, files)
    raise CurateError(f"{text}: no such file or folder")


def _open_remote(uri: str) -> Dataset:
    """A dataset, a Parquet object, or a glob of them in an object store.

    A folder costs one listing (its manifest, its pending file and every shard's size
    in one answer, a request per 1,000 keys) and the GET of its manifest; no request a
    shard until a step reads the shard (see `read_shard`).
    """
    shown = display(uri)
    try:
        if glob.has_magic(uri):
            folder, _, pattern = uri.rstrip("/").rpartition("/")
            names = [n for n in Store(folder).glob(pattern) if n.endswith(".parquet")]
            if not names:
                raise CurateError(f"{shown}: the pattern matches no .parquet files")
            return _open_bare(uri, [f"{folder}/{n}" for n in names])
        store = Store(uri)
        if uri.endswith(".parquet") and store.exists() and not store.list():
            return _open_bare(uri, [uri])
        listing = {e.name: e for e in store.list()}
        if PENDING in listing:
            _refuse_pending(store)
        if MANIFEST in listing:
            return _open_manifest(store, listing)
        names = sorted(
            e.name
            for e in listing.values()
            if not e.is_dir and e.name.endswith(".parquet") and not e.name.startswith(".")
        )
        if not names:
            raise CurateError(f"{shown}: no dataset here (no _curate.json and no .parquet files)")
        return _open_bare(uri, [f"{uri.rstrip('/')}/{n}" for n in names])
    except OSError as exc:
        raise CurateError(f"{shown}: cannot be read ({_one_line(exc)})") from exc


def _refuse_pending(store: Store) -> None:
    if store.exists(PENDING):
        raise CurateError(
            f"{store.display()}: unfinished output of `curate {_pending_step(store)}` "
            "(it holds _curate.pending.json); re-run that step to resume it"
        )


def _open_manifest(store: Store, listing: dict[str, Entry] | None = None) -> Dataset:
    """The dataset a manifest lists, after checking its shards are there at their size.

    Locally each shard's footer is read too (cheap on a disk), so a shard holding other
    rows fails here. In an object store `listing` (the folder's one listing, taken
    here when not given) gives every size at once, and the footer is checked when
    the shard is read (`read_shard`): a HEAD and a GET a shard at open would cost
    more than reading small shards does.
    """
    where = store.display(MANIFEST)
    try:
        manifest = json.loads(store.read_bytes(MANIFEST).decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise CurateError(f"{where}: manifest cannot be read ({_one_line(exc)})") from exc
    location: Path | str = store.local if store.local is not None else store.spec
    listed = _manifest_shards(manifest, where)
    if store.local is None and listing is None:
        listing = {e.name: e for e in store.list()}
    shards = []
    for name, rows, size in listed:
        shards.append(Shard(name, join(location, name), rows, size))
        if listing is None:
            _check_shard_file(store, name, rows, size)
        else:
            entry = listing.get(name)
            _check_shard_size(
                store, name, size, None if entry is None or entry.is_dir else entry.size
            )
    schema = schema_from_manifest(manifest, shards, where=store.display())
    return Dataset(str(location), shards, schema, manifest)


def _manifest_shards(manifest: Any, where: str) -> list[tuple[str, int, int]]:
    """(name, rows, bytes) of every shard, after checking the manifest's shape.

    A manifest is data from disk, written by any version or edited by hand: a shard
    name must be a plain file name, so no manifest can make a step read (or a later
    `--overwrite` delete) a file outside its own folder.
    """

    def bad(problem: str) -> CurateError:
        return CurateError(
            f"{where}: {problem}; the manifest is damaged: restore it or re-run the step "
            "that wrote it"
        )

    if not isinstance(manifest, dict):
        raise bad(
            f"holds {type(manifest).__name__ if manifest is not None else 'null'}, "
            "not a JSON object"
        )
    entries = manifest.get("shards", [])
    if not isinstance(entries, list):
        raise bad("`shards` is not a list")
    for key, kind in (("sources", dict), ("lineage", list)):
        if manifest.get(key) is not None and not isinstance(manifest[key], kind):
            raise bad(f"`{key}` is not a JSON {'object' if kind is dict else 'list'}")
    out: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise bad(f"shard {i} is not a JSON object")
        name, rows, size = entry.get("name"), entry.get("rows"), entry.get("bytes")
        if not is_plain_name(name):
            raise bad(f"shard {i} has the name {name!r}, not a file name inside the dataset")
        for field_name, value in (("rows", rows), ("bytes", size)):
            if type(value) is not int or value < 0:
                raise bad(f"shard {name}: `{field_name}` is {value!r}, not a count")
        if name in seen:
            raise bad(f"shard {name} is listed twice")
        assert isinstance(name, str) and isinstance(rows, int) and isinstance(size, int)
        seen.add(name)
        out.append((name, rows, size))
    return out


def is_plain_name(name: object) -> bool:
    """A file name of the folder itself: no separators, no `..`, nothing absolute."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and "/" not in name
        and "\\" not in name
        and "\0" not in name
        and os.path.basename(name) == name
    )


def _check_shard_file(store: Store, name: str, rows: int, size: int) -> None:
    """A local shard is the one the manifest lists: same size, same row count in its footer."""
    try:
        found_size: int | None = store.size(name)
    except FileNotFoundError:
        found_size = None
    except OSError as exc:
        raise _unreadable(store.display(name), exc) from exc
    _check_shard_size(store, name, size, found_size)
    try:
        found = pq.read_metadata(shard_source(join(_location(store), name))).num_rows
    except (OSError, pa.ArrowException) as exc:
        raise _unreadable(store.display(name), exc) from exc
    if found != rows:
        raise _rows_differ(store.display(name), found, rows, listed=True)


def _check_shard_size(store: Store, name: str, size: int, found_size: int | None) -> None:
    """The shard exists (`found_size` is not None) at the size the manifest records."""
    shown = store.display(name)
    if found_size is None:
        raise CurateError(
            f"{shown}: shard listed in {MANIFEST} is missing; restore it or re-run the step"
        )
    if found_size != size:
        raise CurateError(
            f"{shown}: shard is {found_size:,} bytes but {MANIFEST} says {size:,}; it was "
            "changed or cut short: restore it or re-run the step that wrote it"
        )


def _location(store: Store) -> Path | str:
    return store.local if store.local is not None else store.spec


def _open_bare(location: str, files: Sequence[Path | str]) -> Dataset:
    """Parquet without a manifest: rows and schema from each file's footer."""
    shards = []
    schema: pa.Schema | None = None
    for p in files:
        shown = display(p)
        source: Any = str(p)
        try:
            source = shard_source(p)
            pf = pq.ParquetFile(source)
            meta, file_schema = pf.metadata, pf.schema_arrow
            # an open remote file knows its size (from the request that opened it)
            size = p.stat().st_size if isinstance(p, Path) else int(source.size())
        except (OSError, pa.ArrowException) as exc:
            raise CurateError(f"{shown}: not a readable Parquet file ({_one_line(exc)})") from exc
        finally:
            if not isinstance(source, str):
                source.close()
        schema = (
            file_schema if schema is None else union_schemas(schema, file_schema, context=shown)
        )
        name = p.name if isinstance(p, Path) else p.rpartition("/")[2]
        shards.append(Shard(name, p, meta.num_rows, size, listed=False))
    assert schema is not None
    return Dataset(location, shards, schema.remove_metadata(), None)


def schema_from_manifest(manifest: dict[str, Any], shards: list[Shard], *, where: str) -> pa.Schema:
    """The exact Arrow schema, stored as serialized IPC in the manifest."""
    encoded = manifest.get("arrow_schema")
    if encoded:
        try:
            return pa.ipc.read_schema(pa.py_buffer(bytes.fromhex(encoded)))
        except (ValueError, pa.ArrowException) as exc:
            raise CurateError(f"{where}: schema in {MANIFEST} cannot be read") from exc
    schema: pa.Schema | None = None
    for s in shards:
        file_schema = pq.read_schema(shard_source(s.path))
        schema = (
            file_schema if schema is None else union_schemas(schema, file_schema, context=where)
        )
    return (schema or pa.schema([])).remove_metadata()


def _pending_step(store: Store) -> str:
    return _command_of(read_json(store, PENDING))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# --------------------------------------------------------------------------- writing


def fingerprint(step: str, params: dict[str, Any]) -> str:
    """A stable hash of a step's parameters: equal fingerprints mean "the same run"."""
    blob = json.dumps({"step": step, "params": params}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class WriteState:
    """What `DatasetWriter.begin` found in the output folder."""

    up_to_date: bool = False
    resumed: bool = False
    done: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    info: dict[str, dict[str, Any]] = field(default_factory=dict)


class DatasetWriter:
    """Writes one step's output dataset with the atomic/resumable protocol.

    Work is recorded in *units* (an ingest task, a map step's input shard): a unit is
    done when all its shards are in place and a small marker for it is written under
    `_curate.units/` (one write a unit, whatever the number of units: the pending file
    itself is written once). A rerun with the same fingerprint skips done units, after
    checking that their shards are still there at the size recorded, and removes
    shards of units that did not finish.

    The writer removes only what curate wrote: the shards its manifest or pending file
    lists, the names the step declares it writes (`owns`: file names or patterns such
    as `part-00000.parquet` or `_cache`), its temporary files and unit markers, the
    manifest, the pending file and the lock. Anything else in the folder makes
    `--overwrite` refuse. `preserve` names owned entries that `--overwrite` keeps
    (dedup's signature cache, which checks its own parameters).
    """

    def __init__(
        self,
        output: str | os.PathLike[str],
        *,
        step: str,
        params: dict[str, Any],
        overwrite: bool = False,
        append: bool = False,
        owns: Sequence[str] = (),
        preserve: Sequence[str] = (),
        command: str | None = None,
    ) -> None:
        if not str(output).strip():  # "" is the current folder to every file API
            raise CurateError("an output path is empty; name a folder, s3:// or gs:// URI")
        self.store = Store(output)
        # a local Path (as before), or the URI of a folder in an object store
        self.folder: Path | str = self.store.local if self.store.local is not None else str(output)
        self.step = step
        self.command = command or step
        self.params = params
        self.fingerprint = fingerprint(step, params)
        self.overwrite = overwrite
        self.append = append
        self.owns = list(dict.fromkeys(owns))
        self.preserve = tuple(preserve)
        self.base: Dataset | None = None
        self.started = _now()
        self._done: dict[str, list[dict[str, Any]]] = {}
        self._info: dict[str, dict[str, Any]] = {}
        self._lock: Any = None

    def path_of(self, name: str) -> Path | str:
        """Where the shard `name` of this output lives."""
        return join(self.folder, name)

    # -- lifecycle

    def preflight(self) -> None:
        """Raise the error `begin` would raise from what the folder holds, writing
        nothing (`begin_all` runs it for every output before it locks any)."""
        local = self.store.local
        if local is not None:
            if local.is_symlink() and not local.exists():
                raise CurateError(
                    f"{local}: is a symbolic link to a folder that does not exist; "
                    "create the folder it points to or choose another -o"
                )
            if local.exists() and not local.is_dir():
                raise CurateError(f"{local}: exists and is not a folder; choose another -o")
        if self.store.exists():
            self._check_claim()

    def begin(self) -> WriteState:
        """Claim the output folder: fresh, resumed, appended to, or already up to date.

        Takes the folder's lock first (released by `finish`, `abandon` or `release`),
        so nothing here races with another run.
        """
        (state,) = begin_all(self)
        assert state is not None
        return state

    def _take_lock(self) -> None:
        self.store.make()
        self._lock = lock.acquire_in(self.store, self.command)

    def _check_claim(self) -> None:
        """The refusals of `_claim`, made before anything is touched."""
        store = self.store
        if self.overwrite:
            foreign = self._foreign(set(ALWAYS_OURS) | _claimed_names(store))
            if foreign:
                raise CurateError(
                    f"{store.display()}: holds files curate did not write "
                    f"({_list_names(foreign)}); refusing to delete them even with --overwrite: "
                    "move them or choose another folder"
                )
        elif self._committed():
            return
        elif store.exists(PENDING):
            state = read_json(store, PENDING)
            if state.get("fingerprint") != self.fingerprint:
                raise CurateError(
                    f"{store.display()}: holds an unfinished `curate {_command_of(state)}` run "
                    "with other parameters; re-run it with the same options to resume, or pass "
                    "--overwrite"
                )
        elif store.exists(MANIFEST):
            if not self.append:
                raise CurateError(
                    f"{store.display()}: already holds a dataset made with other parameters; "
                    "pass --overwrite to replace it"
                    + (" or --append to add to it" if self.step == "ingest" else "")
                )
            _open_manifest(store)  # a dataset to append to must open
        elif foreign := self._foreign(set(ALWAYS_OURS)):
            raise CurateError(
                f"{store.display()}: folder is not empty and is not a curate output (it holds "
                f"{_list_names(foreign)}); choose an empty folder"
            )

    def _claim(self) -> WriteState:
        """Act on the folder as `_check_claim` (run just before, under the lock) allows."""
        store = self.store
        if self.overwrite:
            self._clear()
        elif self._committed():
            self._tidy()  # a run killed after its commit left its pending file or markers
            return WriteState(up_to_date=True)
        elif store.exists(PENDING):
            return self._resume()
        elif store.exists(MANIFEST):
            self.base = _open_manifest(store)  # appending: _check_claim refused otherwise
        self._write_pending()
        return WriteState()

    def _committed(self) -> bool:
        """Whether the manifest already records this very run (same fingerprint)."""
        existing = read_json(self.store, MANIFEST)
        lineage = existing.get("lineage") or [{}]
        if not isinstance(lineage, list):
            return False
        steps = [s for s in lineage if isinstance(s, dict)]
        if self.append:  # appended runs are anywhere in the lineage
            return any(s.get("fingerprint") == self.fingerprint for s in steps)
        last = steps[-1] if steps else {}
        return existing.get("fingerprint") == self.fingerprint or (
            last.get("fingerprint") == self.fingerprint
        )

    def _tidy(self) -> None:
        """Remove what a committed run no longer needs: its pending file, its unit
        markers, the parts of cut shards and temporary files (a kill between the commit
        and this leaves them)."""
        for e in self.store.list():
            if e.name in (PENDING, UNITS, PARTS) or _is_temp(e.name):
                self.store.delete(e.name)

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        """Give up the output's lock (done by `finish` and `abandon`; safe to repeat)."""
        if self._lock is not None:
            lock.release(self._lock)
            self._lock = None

    def _resume(self) -> WriteState:
        state = read_json(self.store, PENDING)  # its fingerprint checked by _check_claim
        self.started = state.get("started", self.started)
        done = {k: list(v) for k, v in state.get("done", {}).items()}  # written before 0.2
        info = {k: dict(v) for k, v in state.get("info", {}).items()}
        for unit, marker in _unit_markers(self.store).items():
            done[unit] = list(marker.get("shards", []))
            if marker.get("info") is not None:
                info[unit] = dict(marker["info"])
        self.owns = list(dict.fromkeys([*state.get("owns", []), *self.owns]))
        if self.store.exists(MANIFEST):
            self.base = _open_manifest_ignoring_pending(self.store, state.get("base_shards"))
        # a unit is trusted only while its shards are there, whole, at the recorded size
        present = {e.name: e.size for e in self.store.list() if not e.is_dir}
        for unit, shards in done.items():
            if all(present.get(s["name"]) == s["bytes"] for s in shards):
                self._done[unit] = shards
                if unit in info:
                    self._info[unit] = info[unit]
            else:
                self.store.delete(f"{UNITS}/{_marker_name(unit)}")
        self._remove_orphans()
        return WriteState(resumed=True, done=dict(self._done), info=dict(self._info))

    def _clear(self) -> None:
        """Empty the folder for --overwrite: only what its manifest or pending file says
        curate wrote (`_check_claim` refused, touching nothing, if anything else is there)."""
        for e in sorted(self.store.list(), key=lambda e: e.name):
            if e.name == LOCK or _matches(e.name, self.preserve):
                continue
            self.store.delete(e.name)

    def _foreign(self, claimed: set[str]) -> list[str]:
        return sorted(e.name for e in self.store.list() if not _matches(e.name, claimed))

    def _remove_orphans(self) -> None:
        """Delete temp files and shards written by units that never finished."""
        keep = {s["name"] for shards in self._done.values() for s in shards}
        if self.base is not None:
            keep |= {s.name for s in self.base.shards}
        for e in self.store.list():
            if _is_temp(e.name) or (
                e.name not in keep and e.name.endswith(".parquet") and _matches(e.name, self.owns)
            ):
                self.store.delete(e.name)

    def _write_pending(self) -> None:
        state = {
            "step": self.step,
            "command": self.command,
            "fingerprint": self.fingerprint,
            "params": self.params,
            "started": self.started,
            "owns": self.owns,
            "base_shards": [s.name for s in self.base.shards] if self.base else None,
        }
        self.store.write_bytes(PENDING, json.dumps(state, indent=1, default=str).encode())

    # -- shards

    def shard_sink(self, name: str, schema: pa.Schema) -> ShardSink:
        """A streaming writer for one shard; the file appears only on `commit()`."""
        if self.base is not None and any(s.name == name for s in self.base.shards):
            raise CurateError(f"{self.store.display(name)}: shard name already used in the dataset")
        return ShardSink(self.folder, name, schema)

    def unit_done(
        self, unit: str, shards: Iterable[Shard], info: dict[str, Any] | None = None
    ) -> None:
        """Record a finished unit so a rerun skips it (called in the parent process).

        `info` is what the step needs to finish without redoing the unit (its counts).
        One small marker file a unit: a million units cost a million small writes, not
        a pending file rewritten a million times.
        """
        self._done[unit] = [s.to_json() for s in shards]
        if info is not None:
            self._info[unit] = info
        marker = {"unit": unit, "shards": self._done[unit], "info": info}
        self.store.write_bytes(
            f"{UNITS}/{_marker_name(unit)}", json.dumps(marker, default=str).encode()
        )

    def done_shards(self) -> list[Shard]:
        shards = []
        for unit in sorted(self._done):
            for s in self._done[unit]:
                shards.append(Shard(s["name"], self.path_of(s["name"]), s["rows"], s["bytes"]))
        return shards

    # -- finishing

    def finish(
        self,
        *,
        shards: list[Shard],
        schema: pa.Schema,
        sources: dict[str, Any],
        lineage_step: dict[str, Any],
        inherited_lineage: list[dict[str, Any]] | None = None,
        system: dict[str, Any] | None = None,
    ) -> Dataset:
        """Write the manifest (last), then drop the pending file and the lock."""
        lineage = list(inherited_lineage or [])
        all_shards = list(shards)
        if self.base is not None:
            lineage = self.base.lineage
            all_shards = self.base.shards + all_shards
            sources = {**self.base.sources, **sources}
            system = system or (self.base.manifest or {}).get("system")
            schema = union_schemas(self.base.schema, schema, context=self.store.display())
        step = {
            "step": self.step,
            "tool": "curate",
            "version": __version__,
            "fingerprint": self.fingerprint,
            "params": self.params,
            "started": self.started,
            "ended": _now(),
            "hosts": 1,
            **lineage_step,
        }
        lineage.append(step)
        base_owns = (self.base.manifest or {}).get("owns", []) if self.base else []
        owns = list(dict.fromkeys([*base_owns, *self.owns]))
        manifest = {
            "format": "curate.dataset",
            "format_version": FORMAT_VERSION,
            "created_by": f"curate {__version__}",
            "fingerprint": self.fingerprint,
            "rows": sum(s.rows for s in all_shards),
            "bytes": sum(s.bytes for s in all_shards),
            "shards": [s.to_json() for s in all_shards],
            "owns": owns,
            "schema": schema_to_json(schema),
            "arrow_schema": schema.serialize().to_pybytes().hex(),
            "sources": sources,
            "system": system,
            "lineage": lineage,
        }
        for e in self.store.list():  # left by a worker that died and was retried
            if _is_temp(e.name):
                self.store.delete(e.name)
        self.store.write_bytes(MANIFEST, json.dumps(manifest, indent=1, default=str).encode())
        self._tidy()
        self.release()
        return Dataset(str(self.folder), all_shards, schema, manifest)

    def abandon(self) -> None:
        """Undo this run: remove its shards and the pending file (a base dataset stays)."""
        keep = {s.name for s in self.base.shards} if self.base is not None else set()
        if not self.store.exists():
            return
        done = {s["name"] for shards in self._done.values() for s in shards}
        for e in self.store.list():
            if _is_temp(e.name) or (
                e.name not in keep and (e.name in done or _matches(e.name, self.owns))
            ):
                self.store.delete(e.name)
        self.store.delete(UNITS)
        self.store.delete(PARTS)
        self.store.delete(PENDING)
        self.release()
        local = self.store.local
        if self.base is None and local is not None and not any(local.iterdir()):
            local.rmdir()


def begin_all(*writers: DatasetWriter | None) -> list[WriteState | None]:
    """`begin` for a command's outputs together (`-o` and `--rejected`, dedup's three,
    mix's splits): every one is checked, locked and checked again before any is claimed,
    so a refused or busy output leaves every other as it was (not emptied by --overwrite,
    no pending file left behind). Call it inside `holding(...)`; None entries stay None.
    """
    live = [w for w in writers if w is not None]
    for w in live:
        w.preflight()
    try:
        for w in live:
            w._take_lock()
        for w in live:  # under the locks: the folders may have changed since preflight
            w._check_claim()
        return [w._claim() if w is not None else None for w in writers]
    except BaseException:
        for w in live:
            w.release()
        raise


@contextlib.contextmanager
def holding(*writers: DatasetWriter | None) -> Iterator[None]:
    """The outputs' locks (taken by `begin`), released however the block ends."""
    with contextlib.ExitStack() as stack:
        for writer in writers:
            if writer is not None:
                stack.enter_context(writer)
        yield


def _marker_name(unit: str) -> str:
    """A unit's marker file name (unit keys are curate's own: shard names, `task-00003`)."""
    return re.sub(r"[^\w.\-]", "_", unit) + ".json"


def _unit_markers(store: Store) -> dict[str, dict[str, Any]]:
    """The markers of the units a pending output has finished."""
    units = store.child(UNITS)
    out: dict[str, dict[str, Any]] = {}
    for e in units.list():
        if e.is_dir or not e.name.endswith(".json"):
            continue
        marker = read_json(units, e.name)
        if isinstance(marker.get("unit"), str) and isinstance(marker.get("shards"), list):
            out[marker["unit"]] = marker
    return out


def read_json(store: Store, name: str) -> dict[str, Any]:
    """A manifest, pending or marker file as a dict; an empty dict when it cannot be used."""
    try:
        data = json.loads(store.read_bytes(name).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _command_of(state: dict[str, Any]) -> str:
    """The command a user runs to resume a pending output (`filter`, never `filter-rejected`)."""
    command = state.get("command") or state.get("step") or "?"
    return str(command).removesuffix("-rejected").removesuffix("-clusters")


def _claimed_names(store: Store) -> set[str]:
    """Names (and patterns) the folder's manifest or pending file says curate wrote."""
    names: set[str] = set()
    manifest = read_json(store, MANIFEST)
    if manifest:
        entries = manifest.get("shards", [])
        if isinstance(entries, list):
            names |= {
                e["name"] for e in entries if isinstance(e, dict) and is_plain_name(e.get("name"))
            }
        names |= {n for n in manifest.get("owns", []) if isinstance(n, str)}
        last = (manifest.get("lineage") or [{}])[-1]
        if "owns" not in manifest and isinstance(last, dict) and last.get("step") == "dedup":
            names.add("_cache")  # written before manifests listed their work files
    pending = read_json(store, PENDING)
    if pending:
        for shards in pending.get("done", {}).values():
            names |= {s["name"] for s in shards if is_plain_name(s.get("name"))}
        for marker in _unit_markers(store).values():
            names |= {s["name"] for s in marker["shards"] if is_plain_name(s.get("name"))}
        if "owns" in pending:
            names |= {n for n in pending["owns"] if isinstance(n, str)}
        else:  # written before pending files listed what they own
            names |= {f"{LEGACY_TMP_PREFIX}*", "*.parquet", "_cache"}
    return names


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(name == p or fnmatch.fnmatchcase(name, p) for p in patterns)


def _is_temp(name: str) -> bool:
    if not name.startswith((TMP_PREFIX, LEGACY_TMP_PREFIX)):
        return False
    if name.endswith(LOCK):  # another process may be taking the lock right now: only a
        return lock.is_stale_temp(name)  # dead one's half-taken lock is ours to remove
    return True


def _list_names(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _open_manifest_ignoring_pending(store: Store, base_shards: list[str] | None) -> Dataset:
    """The dataset an interrupted --append started from (its manifest is still the old one)."""
    ds = _open_manifest(store)
    if base_shards is not None:
        ds.shards = [s for s in ds.shards if s.name in set(base_shards)]
    return ds


# Columns whose values are (nearly) all different: a Parquet dictionary only costs
# there (every value is hashed into it until the dictionary page overflows and the
# writer falls back to plain pages); measured a third of the write CPU, same size.
UNIQUE_COLUMNS = frozenset({"id", "text", "url", "metadata"})


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """Parquet leaf paths to dictionary-encode: every column but `UNIQUE_COLUMNS`."""
    out: list[str] = []

    def leaves(path: str, t: pa.DataType) -> None:
        if pa.types.is_struct(t):
            for i in range(t.num_fields):
                leaves(f"{path}.{t.field(i).name}", t.field(i).type)
        elif pa.types.is_map(t):
            leaves(f"{path}.key_value.key", t.key_type)
            leaves(f"{path}.key_value.value", t.item_type)
        elif pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
            leaves(f"{path}.list.element", t.value_type)
        else:
            out.append(path)

    for f in schema:
        if f.name not in UNIQUE_COLUMNS:
            leaves(f.name, f.type)
    return out


class ShardSink:
    """Stream record batches into one shard that appears, whole, only on `commit()`.

    Locally it is written under a temporary name and renamed into place; in an object
    store it is uploaded to its final key, where it appears when the upload completes
    (there is no rename), and a unit that did not finish is told apart by its missing
    marker (see `DatasetWriter`).
    """

    def __init__(self, folder: Path | str, name: str, schema: pa.Schema) -> None:
        self.store = Store(folder)
        self.folder = folder
        self.name = name
        self.schema = schema
        self.rows = 0
        self._tmp = f"{TMP_PREFIX}{os.getpid()}-{name}" if self.store.is_local else name
        self._stream: Any = None
        self._writer: pq.ParquetWriter | None = None

    def _open(self, **options: Any) -> pq.ParquetWriter:
        if self.store.local is not None:
            return pq.ParquetWriter(str(self.store.local / self._tmp), self.schema, **options)
        self._stream = self.store.open_output(self.name)
        return pq.ParquetWriter(self._stream, self.schema, **options)

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        if batch.num_rows == 0:
            return
        if self._writer is None:
            self._writer = self._open(
                compression=COMPRESSION,
                write_statistics=True,
                use_dictionary=dictionary_columns(self.schema),
            )
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        if any(c.num_chunks > 1 for c in table.columns):
            # the encoder cuts pages at chunk boundaries too: one chunk a column makes
            # the bytes a function of the values alone (a shard put together from parts
            # reads its row groups back as one chunk each, and must equal a direct write)
            table = table.combine_chunks()
        self._writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
        self.rows += batch.num_rows

    def commit(self) -> Shard:
        """Close and put in place: from here on the shard exists and is complete."""
        if self._writer is None:  # an empty shard still needs a valid file
            self._writer = self._open(compression=COMPRESSION)
        self._writer.close()
        final = join(self.folder, self.name)
        if self.store.local is not None:
            os.replace(self.store.local / self._tmp, self.store.local / self.name)
            size = (self.store.local / self.name).stat().st_size
        else:
            size = self._stream.tell()
            self._stream.close()  # the upload completes: the object appears whole
        return Shard(self.name, final, self.rows, size)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self.store.local is not None:
            (self.store.local / self._tmp).unlink(missing_ok=True)
        # in a store the key of an unfinished unit has no marker: the rerun removes it


def write_table_dataset(
    output: str | os.PathLike[str],
    table: pa.Table,
    *,
    step: str,
    params: dict[str, Any],
    sources: dict[str, Any] | None = None,
    lineage_step: dict[str, Any] | None = None,
    overwrite: bool = False,
    command: str | None = None,
) -> Dataset:
    """Write a small table as a one-shard dataset (rejected rows, clusters, test data)."""
    name = "part-00000.parquet"
    writer = DatasetWriter(
        output, step=step, params=params, overwrite=overwrite, owns=[name], command=command
    )
    with writer:
        state = writer.begin()
        if state.up_to_date:
            return open_dataset(output)
        sink = writer.shard_sink(name, table.schema)
        sink.write(table)
        shard = sink.commit()
        return writer.finish(
            shards=[shard],
            schema=table.schema,
            sources=sources or {},
            lineage_step=lineage_step or {},
        )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
