"""Where a command may write: never into, over or around one of its own inputs.

`--overwrite` empties an output folder, and resume deletes unfinished shards in it,
so an output that is, contains or lies inside an input (`-o raw` for `raw/*.parquet`,
`--rejected` pointed at the input dataset, an ingest output inside the crawl folder
it reads recursively) would destroy or feed back into the data it reads. Every command
checks its locations here before it touches anything, after resolving symbolic links,
so two spellings of one folder are one folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from curate.errors import CurateError
from curate.storage import display, is_remote, local_path, scheme_of


def _real(path: str | os.PathLike[str]) -> PurePosixPath:
    """One spelling per location: symbolic links resolved, a URI as its bucket and key."""
    if is_remote(path) or scheme_of(path) not in (None, "file"):
        parts = urlsplit(display(path))
        return PurePosixPath(f"/{parts.scheme}:", parts.netloc, *parts.path.strip("/").split("/"))
    local = local_path(path)
    assert local is not None
    try:
        return PurePosixPath(Path(os.path.abspath(local)).resolve())
    except RuntimeError:  # a symlink loop (Python 3.11): it leads nowhere, keep its name
        return PurePosixPath(os.path.abspath(local))


def _within(inner: PurePosixPath, outer: PurePosixPath) -> bool:
    return inner == outer or outer in inner.parents


def check_locations(
    outputs: Mapping[str, str | os.PathLike[str] | None],
    inputs: Iterable[tuple[str, str | os.PathLike[str]]],
) -> None:
    """Exit 2 when an output overlaps an input or another output.

    `outputs` maps an option as the user typed it (`-o`, `--rejected`) to its location;
    `inputs` are (what, path) pairs: the input dataset and its shard files, ingest's
    files and folders, models, manifests.
    """
    for opt, p in outputs.items():
        if p is not None and not str(p).strip():  # "" is the current folder to file APIs
            raise CurateError(f"{opt}: the path is empty; name a folder, s3:// or gs:// URI")
    outs = [(opt, display(p), _real(p)) for opt, p in outputs.items() if p is not None]
    for what, given_spec in inputs:
        spec = display(given_spec)
        real = _real(given_spec)
        for opt, given, out in outs:
            if _within(real, out):
                where = "is" if real == out else "contains"
                raise CurateError(
                    f"{opt} {given}: {where} the input {what} {spec}; a command never writes "
                    "into or removes its own input: choose another folder"
                )
            if _within(out, real):
                raise CurateError(
                    f"{opt} {given}: is inside the input {what} {spec}; write outside "
                    "the data a command reads: choose another folder"
                )
    for i, (opt_a, given_a, a) in enumerate(outs):
        for opt_b, given_b, b in outs[i + 1 :]:
            if _within(a, b) or _within(b, a):
                raise CurateError(
                    f"{opt_a} {given_a} and {opt_b} {given_b}: are the same folder or one "
                    "is inside the other; give each output a folder of its own"
                )


def dataset_inputs(location: str, shard_paths: Iterable[Path | str]) -> list[tuple[str, str]]:
    """The input pairs of an opened dataset: its location (if it is a path) and its shards."""
    pairs = [("dataset", str(p)) for p in shard_paths]
    if is_remote(location) or os.path.exists(location):
        pairs.insert(0, ("dataset", location))
    return pairs


def check_file_output(option: str, path: Path, marker: str, *, overwrite: bool) -> None:
    """Exit 2 before a one-file output (a page, a JUnit report) replaces a file curate did
    not write.

    Re-running a command replaces its own earlier file, recognised by `marker` near its
    start, so a CI job can re-run in place; any other file (a dataset's manifest, notes,
    source data) is replaced only with `--overwrite`.
    """
    if path.is_dir():
        raise CurateError(f"{option} {path}: is a folder; give a file name")
    if overwrite or not path.exists():
        return
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        head = b""
    if marker.encode() not in head:
        raise CurateError(
            f"{option} {path}: already exists and curate did not write it; "
            "choose another file or pass --overwrite to replace it"
        )
