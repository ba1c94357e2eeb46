"""Which process ran a unit: a wrapper small enough to import in every worker.

`real_workers` (conftest.py) wraps each unit the local executor sends to its worker
pool in `with_pid`, so the test can see the ids of the processes that really ran it.
It lives in a module of its own: a worker unpickling it imports only this file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def with_pid(fn: Callable[[Any], Any], unit: Any) -> tuple[int, Any]:
    """`fn(unit)`, and the id of the process it ran in."""
    return os.getpid(), fn(unit)
