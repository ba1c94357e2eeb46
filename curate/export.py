"""`curate export`: a dataset's rows as JSONL or CSV on stdout, or as release files.

To stdout, rows are serialised a batch at a time by Polars (its NDJSON and CSV
writers) and written as they come, so `curate export ds/ | head` starts at once and
memory stays bounded by the batch. A reader that closes the pipe ends the command
cleanly (the CLI turns the broken pipe into exit 0).

To a folder (`-o DIR`), files are laid out as a Hugging Face dataset repository:
`data/train-00000.jsonl` (or `.jsonl.zst`, `.parquet`), cut by rows or bytes, and the
dataset card (`README.md`) from `curate report` when one is given. The folder follows
the same contract as every curate output: `_curate.lock` while it is written,
`_curate.pending.json` until it is complete, `_curate.export.json` (the list of files,
rows and options) written last; a rerun of the same export is up to date, other
options need `--overwrite`, which removes only what an export (or another curate
command) wrote there.
"""

from __future__ import annotations

import errno
import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate import __version__, lock
from curate.dataset import (
    ALWAYS_OURS,
    LOCK,
    PENDING,
    Dataset,
    _claimed_names,
    _is_temp,
    _matches,
    fingerprint,
    open_dataset,
    read_json,
)
from curate.errors import CurateError
from curate.locations import check_locations, dataset_inputs
from curate.selection import (
    Selection,
    iter_selected,
    output_columns,
    plan_read,
    shard_frames,
    where_failed,
)
from curate.storage import Store

STDOUT_FORMATS = ("jsonl", "csv")
FILE_FORMATS = ("jsonl", "jsonl.zst", "parquet", "csv")
EXPORT_MARKER = "_curate.export.json"
DATA_FOLDER = "data"
SPLIT = "train"
DEFAULT_SHARD_BYTES = 500_000_000  # the Hugging Face Hub's advice for a file's size
ZSTD_LEVEL = 3
_PIECE_ROWS = 2_000  # parquet and zstd files are cut at a piece's end once past the size

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_size(text: str, *, option: str = "--shard-bytes") -> int:
    """`500MB`, `1.5G`, `64MiB`, `1000` as bytes (KB, MB... are powers of 1000; KiB of 1024)."""
    m = _SIZE.match(text)
    if not m:
        raise CurateError(f"{option} {text!r}: not a size; e.g. 500MB, 2GB, 64MiB")
    number, unit = float(m.group(1)), m.group(2).lower()
    scale = _UNITS[unit[:1] if unit[:1] in "kmgt" else ""]
    if "i" in unit:
        scale = 1024 ** ("kmgt".index(unit[0]) + 1)
    value = int(number * scale)
    if value < 1:
        raise CurateError(f"{option} {text!r}: must be at least 1 byte")
    return value


# --------------------------------------------------------------------------- rows as bytes


def _plain(frame: pl.DataFrame, *, flat: bool) -> pl.DataFrame:
    """Columns a text format can hold: binary as base64 text, and (for CSV) nested
    values (lists, structs) as JSON text."""
    fixes = _plain_fixes(frame.schema, flat=flat)
    return frame.with_columns(fixes) if fixes else frame


def _plain_fixes(schema: pl.Schema, *, flat: bool) -> list[pl.Expr]:
    """The expressions `_plain` applies to the columns of `schema`."""
    fixes = []
    for name, dtype in schema.items():
        if dtype == pl.Binary:
            fixes.append(pl.col(name).bin.encode("base64"))
        elif flat and dtype.is_nested():
            fixes.append(
                pl.col(name).map_batches(_json_texts, return_dtype=pl.String, is_elementwise=True)
            )
    return fixes


def _json_texts(values: pl.Series) -> pl.Series:
    return pl.Series(
        [None if v is None else json.dumps(v, ensure_ascii=False) for v in values.to_list()],
        dtype=pl.String,
    )


def jsonl_bytes(frame: pl.DataFrame) -> memoryview:
    """One JSON object per row, newline-terminated (Polars' NDJSON writer); a view of
    the buffer, not a copy of it (a batch's JSON is tens of MB)."""
    buf = io.BytesIO()
    _plain(frame, flat=False).write_ndjson(buf)
    return buf.getbuffer()


def csv_bytes(frame: pl.DataFrame, *, header: bool) -> memoryview:
    buf = io.BytesIO()
    _plain(frame, flat=True).write_csv(buf, include_header=header)
    return buf.getbuffer()


# --------------------------------------------------------------------------- to a stream


@dataclass
class ExportResult:
    rows: int = 0
    bytes: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    up_to_date: bool = False
    card: bool = False


def export_to_stream(
    location: str | Dataset,
    stream: BinaryIO,
    *,
    fmt: str = "jsonl",
    selection: Selection | None = None,
) -> ExportResult:
    """Write the selected rows to `stream` (stdout) as JSONL or CSV.

    A closed pipe raises BrokenPipeError out of here: the reader has what it wanted.
    """
    t0 = time.monotonic()
    if fmt not in FILE_FORMATS:
        raise CurateError(f"--format {fmt}: choose one of {', '.join(FILE_FORMATS)}")
    if fmt not in STDOUT_FORMATS:
        raise CurateError(
            f"--format {fmt}: to stdout only {' or '.join(STDOUT_FORMATS)}; "
            "give -o DIR to write jsonl.zst or parquet files"
        )
    ds = location if isinstance(location, Dataset) else open_dataset(location)
    selection = selection or Selection()
    columns, predicate, needed = plan_read(ds, selection)
    result = ExportResult()
    out = _PipeOut(stream)
    header = True
    for shard in ds.shards:
        lazy = _scan(shard, needed)
        if lazy is not None:  # Polars' streaming engine: decoding and writing overlap
            if predicate is not None:
                lazy = lazy.filter(predicate)
            lazy = _plain_lazy(lazy.select(columns), flat=fmt == "csv")
            rows_before = out.lines
            try:
                if fmt == "jsonl":
                    lazy.sink_ndjson(out)  # type: ignore[call-overload]  # any binary file
                else:
                    lazy.sink_csv(out, include_header=header)  # type: ignore[call-overload]
            except (OSError, pl.exceptions.PolarsError) as exc:
                if out.broken:
                    raise BrokenPipeError(errno.EPIPE, "the reader closed the pipe") from None
                if isinstance(exc, pl.exceptions.PolarsError):
                    raise where_failed(selection, exc) from exc
                raise
            header = False
            if fmt == "jsonl":
                result.rows += out.lines - rows_before
            else:
                result.rows += _count(shard, needed, predicate, selection)
            continue
        for frame in shard_frames(ds, shard, needed, predicate, columns, selection):
            data = jsonl_bytes(frame) if fmt == "jsonl" else csv_bytes(frame, header=header)
            header = False
            out.write(data)
            result.rows += frame.height
    if fmt == "csv" and header:  # no shard at all: still the header, so the columns show
        out.write(csv_bytes(_empty(ds, selection), header=True))
    result.bytes = out.bytes
    stream.flush()
    result.seconds = time.monotonic() - t0
    return result


class _PipeOut(io.RawIOBase):
    """The stream Polars writes into: counts bytes and lines, and remembers a closed pipe
    (Polars reports the error as its own)."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self.stream = stream
        self.bytes = 0
        self.lines = 0
        self.broken = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        try:
            self.stream.write(data)
        except BrokenPipeError:
            self.broken = True
            raise
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                self.broken = True
            raise
        n = memoryview(data).nbytes
        self.bytes += n
        self.lines += bytes(data).count(b"\n") if not isinstance(data, bytes) else data.count(b"\n")
        return n

    def flush(self) -> None:
        self.stream.flush()


def _scan(shard: Any, needed: list[str]) -> pl.LazyFrame | None:
    """A lazy scan of a local shard that has every needed column; None otherwise (an
    object-store shard, or a shard of an appended source without some column: those
    go through the batch reader, which fills missing columns with nulls)."""
    if not isinstance(shard.path, Path):
        return None
    try:
        names = pq.read_schema(shard.path).names
    except (OSError, pa.ArrowException):
        return None  # the batch reader says what is wrong with it, naming the shard
    if any(c not in names for c in needed):
        return None
    return pl.scan_parquet(shard.path).select(needed)


def _plain_lazy(lazy: pl.LazyFrame, *, flat: bool) -> pl.LazyFrame:
    """`_plain` for a lazy frame (binary as base64; nested values as JSON text in CSV)."""
    fixes = _plain_fixes(lazy.collect_schema(), flat=flat)
    return lazy.with_columns(fixes) if fixes else lazy


def _count(shard: Any, needed: list[str], predicate: pl.Expr | None, selection: Selection) -> int:
    """Rows of a shard the predicate keeps (CSV lines cannot be counted: texts hold breaks)."""
    lazy = pl.scan_parquet(shard.path).select(needed)
    if predicate is not None:
        lazy = lazy.filter(predicate)
    try:
        return int(lazy.select(pl.len()).collect().item())
    except pl.exceptions.PolarsError as exc:
        raise where_failed(selection, exc) from exc


def _empty(ds: Dataset, selection: Selection) -> pl.DataFrame:
    from curate.selection import empty_frame

    return empty_frame(ds, output_columns(ds, selection))


# --------------------------------------------------------------------------- to a folder


class ExportFolder:
    """The output folder of one export: claim, write files, commit (module docstring)."""

    def __init__(self, output: str, params: dict[str, Any], *, overwrite: bool) -> None:
        self.store = Store(output)
        self.params = params
        self.fingerprint = fingerprint("export", params)
        self.overwrite = overwrite
        self._lock: Any = None
        self.owns = [DATA_FOLDER, "README.md", EXPORT_MARKER]

    def begin(self) -> bool:
        """Take the folder; True when it already holds this very export (up to date)."""
        local = self.store.local
        if local is not None and local.exists() and not local.is_dir():
            raise CurateError(f"{local}: exists and is not a folder; choose another -o")
        self.store.make()
        self._lock = lock.acquire_in(self.store, "export")
        try:
            return self._claim()
        except BaseException:
            self.release()
            raise

    def _claim(self) -> bool:
        store = self.store
        marker = read_json(store, EXPORT_MARKER)
        pending = read_json(store, PENDING)
        if not self.overwrite:
            if marker and not pending:
                if marker.get("fingerprint") == self.fingerprint:
                    return True
                raise CurateError(
                    f"{store.display()}: already holds an export made with other options; "
                    "pass --overwrite to replace it"
                )
            if pending and pending.get("command") != "export":
                raise CurateError(
                    f"{store.display()}: holds an unfinished `curate {pending.get('command')}` "
                    "output; choose another folder"
                )
            if pending and pending.get("fingerprint") != self.fingerprint:
                raise CurateError(
                    f"{store.display()}: holds an unfinished `curate export` with other "
                    "options; re-run it with the same options, or pass --overwrite"
                )
        ours = bool(marker) or pending.get("command") == "export"
        if not self.overwrite and not ours:  # another command's output is not ours to replace
            present = sorted(
                e.name for e in store.list() if e.name != LOCK and not _is_temp(e.name)
            )
            if present:
                shown = ", ".join(present[:3]) + (" …" if len(present) > 3 else "")
                raise CurateError(
                    f"{store.display()}: folder is not empty (it holds {shown}); choose an "
                    "empty folder, or pass --overwrite to replace a curate output there"
                )
        claimed = set(ALWAYS_OURS) | _claimed_names(store)
        if ours:
            claimed |= set(self.owns)
        foreign = sorted(e.name for e in store.list() if not _matches(e.name, claimed))
        if foreign:
            shown = ", ".join(foreign[:3]) + (" …" if len(foreign) > 3 else "")
            raise CurateError(
                f"{store.display()}: holds files curate did not write ({shown}); "
                "choose an empty folder"
                + (" (--overwrite never deletes them)" if self.overwrite else "")
            )
        # an unfinished export is redone from the start (a linear pass: nothing to save)
        for e in store.list():
            if e.name != LOCK and (_matches(e.name, claimed) or _is_temp(e.name)):
                store.delete(e.name)
        state = {
            "step": "export",
            "command": "export",
            "fingerprint": self.fingerprint,
            "params": self.params,
            "owns": self.owns,
        }
        store.write_bytes(PENDING, json.dumps(state, indent=1, default=str).encode())
        return False

    def release(self) -> None:
        if self._lock is not None:
            lock.release(self._lock)
            self._lock = None

    def commit(self, files: list[dict[str, Any]], source: Dataset, card: bool) -> None:
        """The marker last: from here the folder is a complete export."""
        marker = {
            "format": "curate.export",
            "created_by": f"curate {__version__}",
            "fingerprint": self.fingerprint,
            "params": self.params,
            "input": source.location,
            "rows": sum(f["rows"] for f in files),
            "bytes": sum(f["bytes"] for f in files),
            "files": files,
            "card": "README.md" if card else None,
        }
        self.store.write_bytes(EXPORT_MARKER, json.dumps(marker, indent=1).encode())
        self.store.delete(PENDING)
        self.release()


class _ShardFiles:
    """Writes `data/train-NNNNN.EXT` files, starting a new one at the row or byte limit."""

    def __init__(
        self, store: Store, fmt: str, shard_rows: int | None, shard_bytes: int | None
    ) -> None:
        self.store = store
        self.fmt = fmt
        self.shard_rows = shard_rows
        self.shard_bytes = shard_bytes
        self.files: list[dict[str, Any]] = []
        self._out: Any = None
        self._sink: Any = None  # the zstd or parquet writer over `_out`
        self._name = ""
        self._rows = 0
        self._bytes = 0  # bytes in the file so far (uncompressed for nothing: on disk)

    def _open(self) -> None:
        ext = self.fmt
        self._name = f"{DATA_FOLDER}/{SPLIT}-{len(self.files):05d}.{ext}"
        if self.store.local is not None:
            (self.store.local / DATA_FOLDER).mkdir(parents=True, exist_ok=True)
        self._out = _Counting(self.store.open_output(self._name))
        self._rows = 0
        if self.fmt == "jsonl.zst":
            import zstandard

            self._sink = zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(
                self._out, closefd=False
            )
        else:
            self._sink = None

    def _close(self) -> None:
        if self._out is None:
            return
        if self._sink is not None:
            self._sink.close()
        self._out.close()
        self.files.append({"name": self._name, "rows": self._rows, "bytes": self._out.count})
        self._out = self._sink = None

    def _room_rows(self) -> int:
        return self.shard_rows - self._rows if self.shard_rows else 1 << 62

    def _full(self) -> bool:
        if self.shard_rows and self._rows >= self.shard_rows:
            return True
        return bool(self.shard_bytes and self._out.count >= self.shard_bytes)

    def write(self, frame: pl.DataFrame) -> None:
        while frame.height:
            if self._out is None:
                self._open()
            take = min(frame.height, self._room_rows())
            piece, frame = frame.head(take), frame.slice(take)
            if self.fmt == "jsonl":
                self._jsonl(piece)
            else:
                frame = self._in_pieces(piece, frame)
            if self._full():
                self._close()

    def _jsonl(self, piece: pl.DataFrame) -> None:
        """Write whole lines, starting new files exactly at the byte limit."""
        data = jsonl_bytes(piece)
        if not self.shard_bytes:
            self._out.write(data)
            self._rows += piece.height
            return
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
        start = 0
        row = 0
        while row < len(ends):
            room = self.shard_bytes - self._out.count
            fit = int(np.searchsorted(ends, start + room, side="right")) - row
            if fit <= 0 and self._rows == 0:
                fit = 1  # a row longer than the limit gets a file of its own
            if fit <= 0:
                self._close()
                self._open()
                continue
            end = int(ends[row + fit - 1])
            self._out.write(data[start:end])
            self._rows += fit
            row += fit
            start = end
            if row < len(ends):
                self._close()
                self._open()

    def _in_pieces(self, piece: pl.DataFrame, rest: pl.DataFrame) -> pl.DataFrame:
        """Parquet and zstd: write in small pieces, checking the file's size after each;
        what is left once the file is full goes back in front of `rest`."""
        while piece.height:
            part, piece = piece.head(_PIECE_ROWS), piece.slice(_PIECE_ROWS)
            if self.fmt == "jsonl.zst":
                self._sink.write(jsonl_bytes(part))
                self._sink.flush()  # ends a block: the file's size is what is on disk
            elif self.fmt == "csv":
                self._out.write(csv_bytes(part, header=self._rows == 0))
            else:
                if self._sink is None:
                    import pyarrow.parquet as pq

                    from curate.dataset import COMPRESSION

                    table = part.to_arrow()
                    self._sink = _ParquetSink(
                        pq.ParquetWriter(self._out, table.schema, compression=COMPRESSION)
                    )
                self._sink.write(part)
            self._rows += part.height
            if self._full() and piece.height:
                return pl.concat([piece, rest], how="vertical_relaxed") if rest.height else piece
        return rest

    def finish(self) -> list[dict[str, Any]]:
        self._close()
        return self.files


class _ParquetSink:
    def __init__(self, writer: Any) -> None:
        self.writer = writer

    def write(self, frame: pl.DataFrame) -> None:
        table = frame.to_arrow()
        self.writer.write_table(table.cast(self.writer.schema))

    def close(self) -> None:
        self.writer.close()


class _Counting:
    """A binary output that counts the bytes written through it."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.count = 0
        self.closed = False

    def write(self, data: Any) -> int:
        n = self.raw.write(data)
        n = len(data) if n is None else n
        self.count += n
        return n

    def flush(self) -> None:
        self.raw.flush()

    def tell(self) -> int:
        return self.count

    def close(self) -> None:
        if not self.closed:
            self.raw.close()
            self.closed = True

    def writable(self) -> bool:
        return True


def export_to_folder(
    location: str,
    output: str,
    *,
    fmt: str = "jsonl",
    selection: Selection | None = None,
    shard_rows: int | None = None,
    shard_bytes: int | None = None,
    card: str | Path | None = None,
    overwrite: bool = False,
) -> ExportResult:
    """Write the selected rows to `output` as release files (module docstring)."""
    t0 = time.monotonic()
    if fmt not in FILE_FORMATS:
        raise CurateError(f"--format {fmt}: choose one of {', '.join(FILE_FORMATS)}")
    if shard_rows is not None and shard_rows < 1:
        raise CurateError("--shard-rows must be at least 1")
    if shard_rows is None and shard_bytes is None:
        shard_bytes = DEFAULT_SHARD_BYTES
    selection = selection or Selection()
    ds = open_dataset(location)
    columns = output_columns(ds, selection)
    selection.predicate()  # a bad --where fails before the folder is touched
    inputs = dataset_inputs(ds.location, [s.path for s in ds.shards])
    if card is not None:
        inputs.append(("--card", str(card)))
    check_locations({"-o": output}, inputs)
    card_doc, card_text = _load_card(card) if card is not None else (None, None)
    params = {
        "input": ds.location,
        "input_fingerprint": (ds.manifest or {}).get("fingerprint"),
        "format": fmt,
        "columns": columns,
        "where": selection.where,
        "shard_rows": shard_rows,
        "shard_bytes": shard_bytes,
        "card": str(card) if card is not None else None,
    }
    folder = ExportFolder(output, params, overwrite=overwrite)
    if folder.begin():
        return ExportResult(up_to_date=True, seconds=time.monotonic() - t0)
    try:
        files = _ShardFiles(folder.store, fmt, shard_rows, shard_bytes)
        for frame in iter_selected(ds, selection):
            files.write(frame)
        written = files.finish()
        if card_doc is not None:
            card_text = _card_for(card_doc, written, columns, fmt)
        if card_text is not None:
            folder.store.write_bytes("README.md", card_text.encode("utf-8"))
        folder.commit(written, ds, card_text is not None)
    finally:
        folder.release()
    return ExportResult(
        rows=sum(f["rows"] for f in written),
        bytes=sum(f["bytes"] for f in written),
        files=written,
        seconds=time.monotonic() - t0,
        card=card_text is not None,
    )


def _load_card(card: str | Path) -> tuple[dict[str, Any] | None, str | None]:
    """`curate report`'s report.json (to re-render the card for the release), or a
    README.md to copy as it is."""
    path = Path(card)
    report_json = path / "report.json" if path.is_dir() else None
    if report_json is not None and report_json.is_file():
        try:
            return json.loads(report_json.read_text("utf-8")), None
        except (OSError, ValueError) as exc:
            raise CurateError(f"{report_json}: cannot be read ({exc})") from exc
    readme = path / "README.md" if path.is_dir() else path
    if not readme.is_file():
        raise CurateError(
            f"--card {card}: no report.json or README.md there; give the folder "
            "`curate report -o DIR` wrote, or a README.md"
        )
    return None, readme.read_text("utf-8")


def _card_for(
    doc: dict[str, Any], files: list[dict[str, Any]], columns: list[str], fmt: str
) -> str:
    """The report's card, describing the exported files: their columns, rows and bytes."""
    from curate.provenance.card import render_card

    rows = sum(f["rows"] for f in files)
    size = sum(f["bytes"] for f in files)
    doc = {**doc, "dataset": {**doc.get("dataset", {}), "documents": rows, "bytes": size}}
    return render_card(doc, data_files=f"{DATA_FOLDER}/{SPLIT}-*.{fmt}", columns=columns)


def iter_jsonl(location: str, selection: Selection | None = None) -> Iterator[bytes]:
    """The selected rows as JSONL, a batch of lines at a time (for Python callers)."""
    ds = open_dataset(location)
    for frame in iter_selected(ds, selection or Selection()):
        yield bytes(jsonl_bytes(frame))
