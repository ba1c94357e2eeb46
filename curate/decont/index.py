"""The benchmark index: every word n-gram of every benchmark item, as sorted 64-bit hashes.

Built once in the driver from the `--against` files and shipped to the workers inside
the step: three NumPy arrays (unique n-gram hashes, and for each the benchmarks it
belongs to in CSR form), about 12 bytes an n-gram, so memory follows the benchmark
n-gram set and never the corpus.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curate.decont.ngrams import text_ngrams
from curate.errors import CurateError
from curate.storage import is_remote

_JSONL = (".jsonl", ".ndjson", ".json")
_TABLE = (".parquet", ".pq")


@dataclass(frozen=True)
class BenchmarkIndex:
    """n-gram hash -> benchmarks: `tasks[ptr[i]:ptr[i+1]]` are the benchmarks of `hashes[i]`."""

    n: int
    hashes: np.ndarray  # uint64, sorted, unique
    ptr: np.ndarray  # int64, len(hashes) + 1
    tasks: np.ndarray  # int32 into `names`
    names: tuple[str, ...]
    items: dict[str, int]  # benchmark -> items read
    short_items: dict[str, int]  # benchmark -> items with fewer than n words (cannot match)

    def digest(self) -> str:
        """What identifies the index (for the output's fingerprint)."""
        h = hashlib.sha256(f"{self.n}:{'|'.join(self.names)}:".encode())
        for a in (self.hashes, self.ptr, self.tasks):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """Position in `hashes` of each query hash, -1 where it is no benchmark n-gram."""
        if len(self.hashes) == 0 or len(hashes) == 0:
            return np.full(len(hashes), -1, np.int64)
        pos = np.searchsorted(self.hashes, hashes)
        pos[pos == len(self.hashes)] = 0
        return np.where(self.hashes[pos] == hashes, pos, -1)

    def task_names(self, positions: np.ndarray) -> list[str]:
        """The benchmarks (sorted by name) that own any of the index positions."""
        ids: set[int] = set()
        for p in np.unique(positions).tolist():
            ids.update(self.tasks[self.ptr[p] : self.ptr[p + 1]].tolist())
        return sorted(self.names[i] for i in ids)

    def without(self, drop: np.ndarray) -> BenchmarkIndex:
        """The index less the n-grams at positions `drop` (common in the corpus)."""
        keep = np.ones(len(self.hashes), bool)
        keep[drop] = False
        counts = np.diff(self.ptr)
        owner_keep = np.repeat(keep, counts)
        new_counts = counts[keep]
        ptr = np.zeros(len(new_counts) + 1, np.int64)
        np.cumsum(new_counts, out=ptr[1:])
        return BenchmarkIndex(
            self.n,
            self.hashes[keep],
            ptr,
            self.tasks[owner_keep],
            self.names,
            self.items,
            self.short_items,
        )


def build_index(
    paths: list[str], fields: list[str], task_field: str | None, n: int
) -> BenchmarkIndex:
    """Read every item of every `--against` path and index its n-grams."""
    if n < 1:
        raise CurateError(f"--ngram {n}: must be at least 1")
    per_task: dict[str, list[np.ndarray]] = {}
    items: dict[str, int] = {}
    short: dict[str, int] = {}
    for path in paths:
        default_task = _default_task(path)
        read = 0
        for where, task, text in _read_items(path, fields, task_field, default_task):
            read += 1
            if not text.strip():
                raise CurateError(
                    f"{where}: empty benchmark item (fields {','.join(fields)} hold no text); "
                    "remove it or choose other --fields"
                )
            grams = text_ngrams(text, n)
            items[task] = items.get(task, 0) + 1
            if len(grams) == 0:
                short[task] = short.get(task, 0) + 1
                continue
            per_task.setdefault(task, []).append(grams)
        if read == 0:  # a run against nothing would pass every document, looking checked
            raise CurateError(
                f"--against {path}: holds no benchmark items; give the file with the items"
            )
    names = tuple(sorted(items))
    all_h = [np.unique(np.concatenate(per_task[t])) for t in names if t in per_task]
    all_t = [
        np.full(len(h), i, np.int32)
        for h, i in zip(all_h, [names.index(t) for t in names if t in per_task], strict=True)
    ]
    if all_h:
        h = np.concatenate(all_h)
        t = np.concatenate(all_t)
        order = np.lexsort((t, h))
        h, t = h[order], t[order]
        uniq, first = np.unique(h, return_index=True)
        ptr = np.append(first, len(h)).astype(np.int64)
    else:
        uniq, t, ptr = np.empty(0, np.uint64), np.empty(0, np.int32), np.zeros(1, np.int64)
    return BenchmarkIndex(n, uniq, ptr, t, names, items, short)


def _default_task(path: str) -> str:
    """The file's (or folder's) name without extensions: `evals/mmlu.jsonl.gz` -> `mmlu`."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name.split(".", 1)[0] or name


def _kind(path: str) -> str:
    lower = path.lower()
    for ext in (".gz",):
        if lower.endswith(ext):
            lower = lower[: -len(ext)]
    if lower.endswith(_JSONL):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    return "dataset"  # Parquet file, folder of shards, curate dataset, glob, s3:// prefix


def _read_items(
    path: str, fields: list[str], task_field: str | None, default_task: str
) -> Iterator[tuple[str, str, str]]:
    """(where, benchmark, item text) for every row of one `--against` input."""
    kind = _kind(path)
    if kind in ("jsonl", "csv"):
        if is_remote(path):
            raise CurateError(
                f"--against {path}: JSONL and CSV benchmarks are read from local files; "
                "copy it here first, or give a Parquet file or dataset"
            )
        if not Path(path).is_file():
            raise CurateError(f"--against {path}: no such file")
        rows = _jsonl_rows(path) if kind == "jsonl" else _csv_rows(path)
    else:
        rows = _dataset_rows(path, fields, task_field)
    needed = [*fields, *([task_field] if task_field else [])]
    for where, row in rows:
        for f in needed:
            if f not in row:
                raise CurateError(
                    f"{where}: no field `{f}` (fields: {', '.join(map(str, row)) or 'none'}); "
                    "choose them with --fields / --task-field"
                )
        task = str(row[task_field]) if task_field and row[task_field] is not None else None
        values = [_as_text(row[f]) for f in fields]
        yield where, task or default_task, " ".join(v for v in values if v)


def _as_text(value: Any) -> str:
    """A field's text: strings as they are, lists (choices) joined, numbers printed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return " ".join(_as_text(v) for v in value)
    return str(value)


def _open_text(path: str) -> io.TextIOBase:
    if path.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")  # noqa: SIM115


def _jsonl_rows(path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    with _open_text(path) as fh:
        try:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError:
                    raise CurateError(f"{path}:{lineno}: not a JSON object") from None
                if not isinstance(row, dict):
                    raise CurateError(f"{path}:{lineno}: not a JSON object")
                yield f"{path}:{lineno}", row
        except (UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
            raise CurateError(f"{path}: not readable as UTF-8 JSONL ({exc})") from None


def _csv_rows(path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    with _open_text(path) as fh:
        try:
            for lineno, row in enumerate(csv.DictReader(fh), 2):
                yield f"{path}:{lineno}", row
        except (UnicodeDecodeError, csv.Error) as exc:
            raise CurateError(f"{path}: not readable as UTF-8 CSV ({exc})") from None


def _dataset_rows(
    path: str, fields: list[str], task_field: str | None
) -> Iterator[tuple[str, dict[str, Any]]]:
    from curate.dataset import open_dataset

    ds = open_dataset(path)
    names = ds.column_names()
    wanted = [c for c in dict.fromkeys([*fields, *([task_field] if task_field else [])])]
    missing = [c for c in wanted if c not in names]
    if missing:
        raise CurateError(
            f"{path}: no field `{missing[0]}` (fields: {', '.join(names)}); "
            "choose them with --fields / --task-field"
        )
    row_no = 0
    for batch in ds.iter_batches(columns=wanted):
        for row in batch.to_pylist():
            row_no += 1
            yield f"{path}: row {row_no}", row
