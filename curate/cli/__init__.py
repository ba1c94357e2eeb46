"""The `curate` command line: thin commands that parse options and call the library.

Every command's behaviour lives in a library function a notebook can call with the
same result. Each command has a module of its own in this package, named after the
command (`tag_synthetic` for `tag-synthetic`), so a command is added without touching
the others: importing a module registers its command on `app`. `curate.cli.app` (and
`from curate.cli import app`) has every command, in pipeline order then any others
by name; the `curate` process imports only the module of the command it runs (the
other modules and typer's conversion of ten commands: ~0.1 CPU-s of every start).

This module imports neither typer nor rich: a worker process that multiprocessing
spawns runs the `curate` console script's imports again (`from curate.cli import main`)
before it unpickles its work, and needs none of the command line.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

PIPELINE_ORDER = (
    "ingest",
    "filter",
    "dedup",
    "decontaminate",
    "score",
    "train_classifier",
    "tag_synthetic",
    "pii",
    "tokens",
    "report",
    "check",
    "stats",
    "show",
    "mix",
    "export",
)

__all__ = ["app", "main"]

# modules of this package that register no command ("app" is the name `app` resolves
# to: a module of that name, left behind by an old install, must never shadow it)
NOT_COMMANDS = frozenset({"base", "app"})


def _command_modules() -> list[str]:
    found = {m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_COMMANDS}
    return [*[n for n in PIPELINE_ORDER if n in found], *sorted(found - set(PIPELINE_ORDER))]


def _register(only: str | None = None) -> Any:
    """`app` with the command `only` registered, or every command; returns it."""
    modules = _command_modules()
    wanted = only.replace("-", "_") if only is not None else None
    for name in [wanted] if wanted in modules else modules:
        importlib.import_module(f"curate.cli.{name}")
    return importlib.import_module("curate.cli.base").app


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole command line, as tests and docs drive it
        full = _register()
        globals()["app"] = full
        return full
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _invoked_command(argv: list[str]) -> str | None:
    """The command name in `curate [--root-option] COMMAND ...`, if there is one."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    """Entry point of the `curate` console script."""
    _one_blas_thread()
    app = _register(_invoked_command(sys.argv[1:]))
    try:
        app(prog_name="curate")  # ends with SystemExit, as click's standalone mode does
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    sys.exit(_flushed(code))


def _flushed(code: Any) -> Any:
    """The exit code once stdout is flushed: output that never arrived fails the command.

    Left to the interpreter, a failed final flush prints a traceback-like "Exception
    ignored" block. A reader that closed the pipe (`curate ... | head`) has what it
    wanted: that is success, and the rest of the output goes nowhere (as Python's docs
    on SIGPIPE advise). Anything else (a full disk) is one `error:` line and status 120,
    the status CPython gives a failed flush.
    """
    import os

    try:
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError) as exc:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.stderr.write(f"error: could not write the output: {exc}\n")
        return code or 120
    return code


def _one_blas_thread() -> None:
    """NumPy's BLAS on one thread in this process and its workers, unless the user says.

    curate parallelises over shards with processes and threads; BLAS threads inside
    each would only compete for the same cores (curate's few matrix products are
    small), and OpenBLAS starting one per core cost 0.1 CPU-s at every `import numpy`
    (measured: 0.32 -> 0.23 CPU-s). Set before NumPy is imported; workers inherit it.
    """
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
