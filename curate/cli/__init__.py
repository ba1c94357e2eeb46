"""The `curate` command line: thin commands that parse options and call the library.

Every command's behaviour lives in a library function a notebook can call with the
same result. Each command has a module of its own in this package, named after the
command (`tag_synthetic` for `tag-synthetic`), so a command is added without touching
the others: importing a module registers its command on `app`. `curate.cli.app` (and
`from curate.cli import app`) has every command, in pipeline order then any others
by name; the `curate` process imports only the module of the command it runs (the
other modules and typer's conversion of ten commands: 0.05 s of every start).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any, NoReturn

from curate.cli import base

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

__all__ = ["app", "main"]


def _command_modules() -> list[str]:
    found = {m.name for m in pkgutil.iter_modules(__path__) if m.name != "base"}
    return [*[n for n in PIPELINE_ORDER if n in found], *sorted(found - set(PIPELINE_ORDER))]


def _register(only: str | None = None) -> Any:
    """`app` with the command `only` registered, or every command; returns it."""
    modules = _command_modules()
    wanted = only.replace("-", "_") if only is not None else None
    for name in [wanted] if wanted in modules else modules:
        importlib.import_module(f"curate.cli.{name}")
    return base.app


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole command line, as tests and docs drive it
        return _register()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _invoked_command(argv: list[str]) -> str | None:
    """The command name in `curate [--root-option] COMMAND ...`, if there is one."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    """Entry point of the `curate` console script."""
    from curate.nopandas import block_pandas

    block_pandas()
    _one_blas_thread()
    _workers_skip_main_script()
    app = _register(_invoked_command(sys.argv[1:]))
    try:
        app(prog_name="curate")
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    _exit_without_teardown(code)


def _exit_without_teardown(code: object) -> NoReturn:
    """End the process as the interpreter would, less its teardown of every module.

    Finalizing the interpreter (the collector walking numpy's, polars', pyarrow's, rich's
    and typer's module objects one by one) costs 0.1-0.3 s at the end of every command,
    releasing memory the OS takes back anyway. By now every output is closed and
    committed; what the interpreter would still do that matters runs here, in its
    order: join non-daemon threads (thread and process pools shut down there), run the
    `atexit` handlers, flush the standard streams.
    """
    import atexit
    import os
    import threading

    if isinstance(code, str):  # `sys.exit("message")`, as the interpreter prints it
        sys.stderr.write(code + "\n")
        code = 1
    status = 0 if code is None else code if isinstance(code, int) else 1
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`) or a closed stream
            pass
    os._exit(status & 0xFF)


def _one_blas_thread() -> None:
    """NumPy's BLAS on one thread in this process and its workers, unless the user says.

    curate parallelises over shards with processes and threads; BLAS threads inside
    each would only compete for the same cores (curate's few matrix products are
    small), and OpenBLAS starting one per core cost 0.1 CPU-s at every `import numpy`
    (measured: 0.32 -> 0.23 CPU-s). Set before NumPy is imported; workers inherit it.
    """
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _workers_skip_main_script() -> None:
    """Spawned workers do not run the `curate` console script again.

    A spawned worker first re-runs the parent's main script file, which for the console
    script imports the whole CLI (typer, rich, every command: ~0.2 CPU-s a worker) only
    to unpickle curate functions that never live in `__main__`. Without `__file__` the
    worker skips that. (`python -m curate` has a module spec: workers skip it already.)
    """
    main_module = sys.modules.get("__main__")
    if main_module is not None and getattr(main_module, "__spec__", None) is None:
        main_module.__dict__.pop("__file__", None)
