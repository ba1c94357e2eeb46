"""The `curate` command line: thin commands that parse options and call the library.

Every command's behaviour lives in a library function a notebook can call with the
same result. Each command has a module of its own in this package, so a command is
added without touching the others: every module here except `app` is imported and
registers its commands on `app` (in pipeline order, then any others by name).
"""

from __future__ import annotations

import importlib
import pkgutil

from curate.cli.app import app

PIPELINE_ORDER = (
    "ingest",
    "filter",
    "dedup",
    "score",
    "train_classifier",
    "tag_synthetic",
    "pii",
    "report",
    "check",
    "stats",
)

_found = {m.name for m in pkgutil.iter_modules(__path__) if m.name != "app"}
for _name in [*[n for n in PIPELINE_ORDER if n in _found], *sorted(_found - set(PIPELINE_ORDER))]:
    importlib.import_module(f"curate.cli.{_name}")

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the `curate` console script."""
    from curate.nopandas import block_pandas

    block_pandas()
    _workers_skip_main_script()
    app(prog_name="curate")


def _workers_skip_main_script() -> None:
    """Spawned workers do not run the `curate` console script again.

    A spawned worker first re-runs the parent's main script file, which for the console
    script imports the whole CLI (typer, rich, every command: ~0.2 CPU-s a worker) only
    to unpickle curate functions that never live in `__main__`. Without `__file__` the
    worker skips that. (`python -m curate` has a module spec: workers skip it already.)
    """
    import sys

    main_module = sys.modules.get("__main__")
    if main_module is not None and getattr(main_module, "__spec__", None) is None:
        main_module.__dict__.pop("__file__", None)
