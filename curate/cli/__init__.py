"""The `curate` command line: thin commands that parse options and call the library.

Every command's behaviour lives in a library function a notebook can call with the
same result. Each command has a module of its own in this package, named after the
command (`tag_synthetic` for `tag-synthetic`), so a command is added without touching
the others: importing a module registers its command on `app`. `curate.cli.app` (and
`from curate.cli import app`) has every command, in pipeline order then any others
by name; the `curate` process imports only the module of the command it runs (the
other modules and typer's conversion of ten commands: ~0.1 CPU-s of every start).
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
    return base.app


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
    and typer's module objects one by one) cost 0.25-0.4 s at the end of every command,
    releasing memory the OS takes back anyway. By now every output is closed and
    committed; what the interpreter would still do that matters runs here, in its
    order: join non-daemon threads (thread and process pools shut down there), run the
    `atexit` handlers, flush the standard streams.
    """
    import atexit
    import os
    import threading

    status = _exit_status(code)
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    status = _flush_output(status)
    os._exit(status)


def _exit_status(code: object) -> int:
    """The process status for `SystemExit(code)`, as CPython computes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if -(1 << 63) <= code < 1 << 63 else 0xFF  # a C long, or -1
    if sys.stderr is not None:  # `sys.exit("message")` (or any object): printed, status 1
        sys.stderr.write(f"{code}\n")
    return 1


def _flush_output(status: int) -> int:
    """Flush stdout and stderr; output that could not be written is a failure (120).

    As CPython does: a command whose JSON never reached a full disk or a closed pipe
    must not exit 0.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the descriptor closed
            continue
        try:
            stream.flush()
        except (OSError, ValueError) as exc:
            status = status or 120
            if stream is sys.stdout and not isinstance(exc, BrokenPipeError):
                try:
                    sys.stderr.write(f"error: could not write the output: {exc}\n")
                    sys.stderr.flush()
                except (AttributeError, OSError, ValueError):
                    pass
    return status


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
