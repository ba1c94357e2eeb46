"""The Typer app, the error handling and the options every command shares.

Every command's behaviour lives in a library function a notebook can call with the
same result; this module only maps options to keyword arguments, renders
summaries, and turns `CurateError` into one `error:` line and an exit code.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from curate import __version__
from curate.errors import CurateError, system_reason
from curate.executor import BACKEND_ENV, DEFAULT_BACKEND


class CurateGroup(TyperGroup):
    """Turns a `CurateError` from any command into one `error:` line and its exit code.

    Done at the group level (not in `main`) so that tests driving the app through
    typer's CliRunner see exactly what a user sees.
    """

    def invoke(self, ctx: Any) -> object:  # the click Context typer passes
        try:
            return super().invoke(ctx)
        except CurateError as exc:
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            err.print(f"[red]error:[/red] {escape(exc.message)}")
            if exc.hint:
                err.print(f"hint: {escape(exc.hint)}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            sys.stderr.write("interrupted; re-run the same command to resume\n")
            raise typer.Exit(130) from None
        except BrokenPipeError:  # `curate ... | head`: the reader has what it wanted
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:  # the system refused: a full disk, a read-only folder
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            err.print(f"[red]error:[/red] {escape(system_error_message(exc))}")
            raise typer.Exit(2) from None


def system_error_message(exc: OSError) -> str:
    """One line for an error the system raised: the file, what went wrong, what to do.

    Whatever the command was writing stays an unfinished output (its pending file is
    only removed by the commit), so the advice is always the same: fix, then re-run.
    """
    where = exc.filename if exc.filename is not None else None
    what = system_reason(exc)
    head = f"{where}: {what}" if where else what
    return (
        f"{head}; nothing that was written looks complete: fix this, then re-run the same "
        "command to resume"
    )


app = typer.Typer(
    name="curate",
    cls=CurateGroup,
    help="Curate LLM training data: ingest → filter → dedup → score → tag → report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)

# Options shared by many commands, spelled once: one name and one metavar everywhere.
# A command whose option means something of its own (what `--rejected` holds, what
# `--workers` runs) makes its own with the factory and the words it needs; the docs'
# option tables are rendered from these help texts (scripts/cli_reference.py).
# dataset locations stay strings: a Path would turn `s3://b/x` into `s3:/b/x`


def output_option(help: str = "Output dataset: a folder, s3:// or gs:// URI.") -> Any:
    """`-o/--output DIR`, required."""
    return typer.Option("-o", "--output", metavar="DIR", help=help)


def overwrite_option(help: str = "Replace an existing output instead of refusing.") -> Any:
    """`--overwrite`."""
    return typer.Option("--overwrite", help=help)


def workers_option(help: str = "Worker processes (default: all cores).") -> Any:
    """`--workers N`, at least 1; None means every core."""
    return typer.Option("--workers", min=1, metavar="N", help=help)


def executor_help(what: str = "the work", more: str = "") -> str:
    """`--executor`'s help: where `what` runs, the default and the variable, then `more`."""
    return (
        f"Where {what} runs: `{DEFAULT_BACKEND}` processes (default) or tasks on a `ray` "
        f"cluster (env `{BACKEND_ENV}`; see [scale.md](scale.md)).{' ' + more if more else ''}"
    )


def executor_option(help: str = executor_help()) -> Any:
    """`--executor local|ray` (the environment's CURATE_EXECUTOR when not given)."""
    return typer.Option("--executor", metavar="local|ray", help=help, show_default=False)


def ray_address_option(
    help: str = (
        "The Ray cluster (`auto`, `ray://host:10001`; default `RAY_ADDRESS`; with neither, "
        "a local Ray with --workers CPUs)."
    ),
) -> Any:
    """`--ray-address ADDR`."""
    return typer.Option("--ray-address", metavar="ADDR", help=help, show_default=False)


def quiet_option(help: str = "No progress and no summary.") -> Any:
    """`--quiet/-q`."""
    return typer.Option("--quiet", "-q", help=help)


def rejected_option(help: str = "Write skipped records (with the reason) to this dataset.") -> Any:
    """`--rejected DIR`: what goes there differs by command, so say it per command."""
    return typer.Option("--rejected", metavar="DIR", help=help)


Output = Annotated[str, output_option()]
Overwrite = Annotated[bool, overwrite_option()]
Workers = Annotated[int | None, workers_option()]
Backend = Annotated[str | None, executor_option()]
RayAddress = Annotated[str | None, ray_address_option()]
Quiet = Annotated[bool, quiet_option()]
Rejected = Annotated[str | None, rejected_option()]


def build_executor(workers: int | None, backend: str | None, ray_address: str | None) -> Any:
    """The executor the shared options ask for (`curate.executor.make_executor`)."""
    from curate.executor import make_executor

    if ray_address and (backend or "") not in ("", "ray"):
        raise CurateError("--ray-address needs --executor ray")
    if ray_address and not backend:
        backend = "ray"
    return make_executor(workers, backend=backend, address=ray_address)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"curate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Curate LLM training data: ingest → filter → dedup → score → tag → report."""
