"""The `curate` command line: thin commands that parse options and call the library.

Every command's behaviour lives in a library function a notebook can call with the
same result. Each command has a module of its own here (so commands can be added
without touching each other); importing this package registers them all on `app`.
"""

from __future__ import annotations

from curate.cli import ingest, stats  # noqa: F401  (registers the commands)
from curate.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the `curate` console script."""
    app(prog_name="curate")
