"""Keep pyarrow from importing pandas in curate's own processes.

pyarrow imports pandas, when it is installed, the first time it converts Python or
NumPy values (`pa.array(list)`, `pa.scalar`, `fill_null("x")`, `to_numpy` of a column
with nulls), only to ask whether they are pandas objects. That import costs 0.5–0.8
CPU-seconds per process, and every worker of every step paid it: on a small input
more than the step's own work. curate never hands pyarrow a pandas object, so the
`curate` command and the workers it starts make `import pandas` fail, and pyarrow
behaves exactly as it does where pandas is not installed.

Only the command line turns it on: it sets `CURATE_NO_PANDAS=1`, and any process that
imports curate with that in its environment (the workers) blocks pandas too, so a
notebook that imports curate keeps its pandas. Never where pandas is already imported;
`CURATE_NO_PANDAS=0` turns it off.
"""

from __future__ import annotations

import os
import sys
from typing import Any

ENV = "CURATE_NO_PANDAS"


class _NoPandas:
    """A meta-path finder under which `import pandas` fails."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(
                f"pandas is not imported in curate's processes (set {ENV}=0 to allow it)",
                name=name,
            )
        return None


_FINDER = _NoPandas()


def block_pandas() -> None:
    """Block pandas here and in the worker processes started from now on."""
    if os.environ.get(ENV) == "0" or "pandas" in sys.modules:
        return
    if not any(isinstance(f, _NoPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _FINDER)
    os.environ[ENV] = "1"  # spawned workers inherit the environment


def block_in_worker() -> None:
    """In a worker process: block pandas if the process that started it did."""
    if os.environ.get(ENV) == "1":
        block_pandas()
