"""`curate check`: options → `curate.check.run_checks` → a table, JSON and/or JUnit XML."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from curate.cli.base import app, overwrite_option, quiet_option
from curate.errors import CHECK_FAILED, CurateError
from curate.progress import stderr_console

CheckQuiet = Annotated[bool, quiet_option("No table.")]


@app.command()
def check(
    dataset: Annotated[
        str, typer.Argument(help="Dataset folder, bare Parquet file, folder or glob.")
    ],
    rules: Annotated[
        Path,
        typer.Option(
            "--rules", metavar="FILE", help="`checks.toml`: a list of `[[check]]` tables."
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON object on stdout (`dataset`, `passed`, `counts` {`checks`, "
            "`passed`, `failed`, `warnings`}, `checks` [{`name`, `metric`, `column`, "
            "`severity`, `expected`, `actual`, `passed`, `message`}]); the table goes to "
            "stderr. `actual` is `null` when the value is undefined or infinite (JSON has no "
            "number for NaN or infinity).",
        ),
    ] = False,
    junit: Annotated[
        Path | None,
        typer.Option(
            "--junit",
            metavar="FILE",
            help="Also write JUnit XML: one `testcase` per check (`classname` "
            "`curate.check.<metric>`); a failing `error` check is a `<failure>`, a failing "
            "`warning` check is `<skipped>`.",
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        overwrite_option(
            "Let --junit replace an existing file that an earlier `curate check` did not "
            "write (its own earlier results are replaced without it)."
        ),
    ] = False,
    quiet: CheckQuiet = False,
) -> None:
    """Run declarative data checks (checks.toml): exit 0 all pass, 1 any fails, 2 bad rules.

    A failing check of severity `warning` is shown (and is `<skipped>` in JUnit) but never
    fails the run.

    Example:

        curate check clean/ --rules checks.toml

        curate check clean/ --rules checks.toml --junit results.xml --json > checks.json
    """
    from curate.check import JUNIT_MARKER, junit_xml, run_checks
    from curate.locations import check_file_output, check_locations, dataset_inputs
    from curate.storage import Store

    if junit is not None:  # before the checks run: a refused file wastes no work
        check_locations({"--junit": junit}, dataset_inputs(dataset, []))
        check_file_output("--junit", junit, JUNIT_MARKER, overwrite=overwrite)
    result = run_checks(dataset, rules)
    if junit is not None:
        try:  # whole: a temporary name renamed into place
            Store(junit.parent).write_bytes(junit.name, junit_xml(result).encode("utf-8"))
        except OSError as exc:
            raise CurateError(f"--junit {junit}: cannot write ({exc})") from exc
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, default=str) + "\n")
        table_console = stderr_console(quiet)
    else:
        table_console = Console(quiet=quiet, highlight=False)
    _render(table_console, result)
    if result.failed:
        raise typer.Exit(CHECK_FAILED)


def _render(console: Console, result) -> None:
    from curate.check import format_actual

    t = Table(title=f"checks: {result.dataset}", title_justify="left")
    for c in ("check", "expected", "actual", "result"):
        t.add_column(c)
    for r in result.results:
        if r.passed:
            verdict = "[green]pass[/green]"
        elif r.severity == "warning":
            verdict = "[yellow]warn[/yellow]"
        else:
            verdict = "[red]FAIL[/red]"
        t.add_row(escape(r.name), escape(r.expected), escape(format_actual(r.actual)), verdict)
    console.print(t)
    passed = sum(r.passed for r in result.results)
    console.print(
        f"{passed} passed, {len(result.failed)} failed, {len(result.warned)} warning(s) "
        f"of {len(result.results)} checks"
    )
