"""Give freed memory back to the system between units (glibc; a no-op elsewhere).

The signature and verification units allocate many short-lived arrays of a few MB to
tens of MB. glibc raises its mmap threshold after the first such array is freed, so
later ones come from the heap, and the heap rarely shrinks: at 1M documents each
worker process held ~600-800 MB after its shards. Trimming the heap after each unit
(`malloc_trim` also returns free chunks inside the heap) keeps a worker's resident
memory near what its batch needs. The threshold itself is left alone: mapping every
large array afresh costs page faults on each batch.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
from functools import lru_cache
from typing import Any

import numpy as np


@lru_cache(maxsize=1)
def _libc() -> Any:
    try:
        name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if libc is None or not hasattr(libc, "malloc_trim"):
        return None
    return libc


def release() -> None:
    """Return the heap's free memory to the system (after a unit, in a worker process).

    Not in the main process: there the units are small inputs run in-process, and
    memory handed back would only be faulted in again by the next unit.
    """
    if multiprocessing.parent_process() is None:
        return
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def write_array(fh: Any, arr: np.ndarray) -> None:
    """Write an array's bytes to an open binary file.

    Not `ndarray.tofile`: on a full disk it raises an error with no file name and no
    errno ("3522 requested and 750 written"), which the user cannot act on; a plain
    write raises the system's OSError (ENOSPC, EFBIG), which curate reports in one line.
    """
    flat = np.ascontiguousarray(arr).reshape(-1)
    if flat.size:
        fh.write(flat.data.cast("B"))
