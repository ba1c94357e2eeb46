"""Shingle hashes kept from the signature pass for verification (one file per shard).

Verification needs the shingle sets of the candidate documents. Recomputing them
means reading, decoding, normalising and hashing those documents a second time,
which is most of the work when most documents are candidates (92% of the Debian
guide's pages). So while the corpus is small enough (`fits`), the signature pass
also writes every document's shingle hashes to the run's work folder, streamed
batch by batch (the 4-byte set key of each shingle, `shingles.set_keys`: memory stays
bounded by the batch), and
verification reads back only the candidates' slices. Documents the signature pass
did not compute (repeats of a text it had seen, see `repeats`) are marked missing
and recomputed from their text, as are all documents of a run whose signatures came
from the cache.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from curate.dedup.memory import write_array
from curate.dedup.shingles import set_keys

# Spill while the estimated bytes stay under this (4 bytes a shingle: 1.2x the
# zstd-compressed text of web pages, 2x for documentation): temporary files about the
# size of the input, removed at the end of the run.
BUDGET_BYTES = 4 << 30
BYTES_PER_STORED_BYTE = 2


def fits(compressed_bytes: int) -> bool:
    return compressed_bytes * BYTES_PER_STORED_BYTE <= BUDGET_BYTES


def _paths(folder: Path, stem: str) -> tuple[Path, Path, Path]:
    return folder / f"{stem}.hashes", folder / f"{stem}.lens.npy", folder / f"{stem}.ok.npy"


class SpillWriter:
    """Appends one batch's shingle hashes, grouped by row, to a shard's spill file."""

    def __init__(self, folder: Path, stem: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.paths = _paths(folder, stem)
        self._f = self.paths[0].open("wb")
        self._lens: list[np.ndarray] = []
        self._ok: list[np.ndarray] = []

    def add(self, hashes: np.ndarray, doc: np.ndarray, rows: np.ndarray, n: int) -> None:
        """`hashes[i]` belongs to batch row `rows[doc[i]]`; rows not in `rows` are missing."""
        order = np.argsort(doc, kind="stable")  # nearly sorted already: linear
        write_array(self._f, set_keys(hashes[order]))
        lens = np.zeros(n, dtype=np.int64)
        lens[rows] = np.bincount(doc, minlength=len(rows))
        ok = np.zeros(n, dtype=bool)
        ok[rows] = True
        self._lens.append(lens)
        self._ok.append(ok)

    def close(self) -> None:
        self._f.close()
        np.save(self.paths[1], np.concatenate(self._lens) if self._lens else np.zeros(0, np.int64))
        np.save(self.paths[2], np.concatenate(self._ok) if self._ok else np.zeros(0, bool))

    def abort(self) -> None:
        self._f.close()
        for p in self.paths:
            p.unlink(missing_ok=True)


def stored(folder: Path | None, stem: str) -> bool:
    return folder is not None and all(p.exists() for p in _paths(folder, stem))


def stored_mask(folder: Path, stem: str) -> np.ndarray:
    """Which file rows of a shard have their hashes in the spill file."""
    return np.load(_paths(folder, stem)[2])


def read_rows(
    folder: Path, stem: str, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(set keys, position in `rows` of each key, ok mask over `rows`) for some file rows."""
    hpath, lpath, okpath = _paths(folder, stem)
    lens = np.load(lpath)
    ok = np.load(okpath)[rows]
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    keep = rows[ok]
    if not len(keep) or not offsets[-1]:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64), ok
    data = np.memmap(hpath, dtype=np.uint32, mode="r")
    from curate.dedup.jaccard import _ranges

    n = lens[keep]
    idx = _ranges(offsets[keep], n)
    pos = np.repeat(np.flatnonzero(ok), n)
    return np.asarray(data[idx]), pos, ok
