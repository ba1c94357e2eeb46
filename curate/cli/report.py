"""`curate report`: options → `curate.provenance.report.build_report` → files or a listing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from curate.cli.base import (
    RayAddress,
    app,
    build_executor,
    executor_help,
    executor_option,
    overwrite_option,
    quiet_option,
    workers_option,
)
from curate.errors import CHECK_FAILED, CurateError
from curate.progress import stderr_console, summary_table

FAIL_ON = "error"  # the severity that fails --strict when --fail-on is not given
ReportWorkers = Annotated[
    int | None,
    workers_option(
        "Processes for the measuring pass (default: all cores; a small dataset is measured on "
        "threads of one process)."
    ),
]
ReportExecutor = Annotated[
    str | None,
    executor_option(
        executor_help(
            "the measuring pass",
            "The report is the same on every executor, and `report.json` records which one "
            "measured (`measurements.executor`, `measurements.hosts`).",
        )
    ),
]
ReportOverwrite = Annotated[
    bool,
    overwrite_option(
        "Write into a non-empty folder that is not a report folder: the report files are written, "
        "the others left alone."
    ),
]
ReportQuiet = Annotated[bool, quiet_option("No summary table.")]

STATUS_STYLE = {
    "consistent": "green",
    "declared": "cyan",
    "measured": "cyan",
    "contradicted": "red",
    "missing": "red",
    "n/a": "dim",
}
SEV_STYLE = {"error": "red", "warning": "yellow", "info": "dim"}


@app.command()
def report(
    dataset: Annotated[
        str, typer.Argument(help="Dataset folder, bare Parquet file, folder or glob.")
    ],
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            metavar="FILE",
            help="The sources manifest (`curate.sources/1`, see [sources.md](sources.md)); "
            "without it the declarations the dataset carries in `_curate.json` are used (ingest "
            "stores each source's table and `[system]`; `[processing]`, `[waivers]` and "
            "`[tolerances]` are read only from a --sources file).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="DIR",
            help="Write the report's eight files into DIR. A folder holding only these files "
            "(an earlier report, known by its report.json) is replaced; a folder holding "
            "anything else, or files of these names without a curate report.json (a README.md "
            "of your own), is refused unless --overwrite. The files appear together or not at "
            "all: each is written under a temporary name (`.curate-tmp-PID-NAME`) in DIR and "
            "renamed into place once all are written, so a full disk or Ctrl-C leaves an "
            "earlier report as it was (temporaries of a run killed outright are removed by the "
            "next run). Without -o nothing is written: the items and findings are printed on "
            "stdout.",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Exit 1 when any unwaived finding has severity `error` (CI)."
        ),
    ] = False,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            metavar="error|warning",
            help=f"The severity that fails --strict (default `{FAIL_ON}`); giving it implies "
            "--strict.",
            show_default=False,
        ),
    ] = "",
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print `report.json` on stdout and nothing else (the summary still goes to "
            "stderr).",
        ),
    ] = False,
    workers: ReportWorkers = None,
    backend: ReportExecutor = None,
    ray_address: RayAddress = None,
    overwrite: ReportOverwrite = False,
    quiet: ReportQuiet = False,
) -> None:
    """California AB 2013 training-data report, per source and overall, with its evidence.

    Writes report.md, report.html, report.json, croissant.json, README.md (dataset card),
    eu_summary.md, eu_summary.json and eu_top_domains.csv with `-o`; without `-o` it writes
    nothing and prints the items and findings.

    Example:

        curate report clean/ --sources sources.toml -o report/

        curate report clean/ --sources sources.toml --strict --fail-on warning
    """
    from curate.provenance.findings import RANK
    from curate.provenance.publish import write_outputs
    from curate.provenance.report import build_report

    if fail_on and fail_on not in ("error", "warning"):
        raise CurateError(f"--fail-on {fail_on!r}: use `error` or `warning`")
    threshold = fail_on or FAIL_ON
    strict = strict or bool(fail_on)
    console = stderr_console(quiet)
    rep = build_report(
        dataset,
        sources=sources,
        executor=build_executor(workers, backend, ray_address),
        console=console,
    )
    if output is not None:
        paths = write_outputs(rep, output, overwrite=overwrite)
    if as_json:
        sys.stdout.write(json.dumps(rep.doc, indent=2, ensure_ascii=False, default=str) + "\n")
    elif output is None:
        _print_listing(Console(highlight=False, soft_wrap=False), rep.doc)
    counts = {sev: 0 for sev in RANK}
    for f in rep.findings:
        if not f.waived:
            counts[f.severity] += 1
    failing = rep.failing(threshold)
    rows = [
        ("dataset", rep.dataset.location),
        ("documents", f"{rep.dataset.rows:,}"),
        ("sources", ", ".join(rep.doc["sources"]) or "none"),
        ("errors", str(counts["error"])),
        ("warnings", str(counts["warning"])),
        ("waived", str(sum(1 for f in rep.findings if f.waived))),
    ]
    if output is not None:
        rows.append(("written", f"{len(paths)} files in {output}"))
    if strict:
        rows.append(
            ("strict", f"fail ({len(failing)} at {threshold} or above)" if failing else "pass")
        )
    console.print(summary_table("report", rows))
    if strict and failing:
        raise typer.Exit(CHECK_FAILED)


def _print_listing(console: Console, doc: dict) -> None:
    """The items and findings on stdout (what a CI log shows without -o)."""
    t = Table(title="AB 2013 items (Cal. Civ. Code §3111(a))", title_justify="left")
    t.add_column("#", justify="right")
    t.add_column("item")
    t.add_column("overall")
    for src in doc["sources"]:
        t.add_column(src)
    for item in doc["items"]:
        cells = [
            f"[{STATUS_STYLE[item['per_source'][s]['status']]}]{item['per_source'][s]['status']}[/]"
            for s in doc["sources"]
        ]
        t.add_row(
            str(item["number"]),
            escape(item["key"]),
            f"[{STATUS_STYLE[item['overall']]}]{item['overall']}[/]",
            *cells,
        )
    console.print(t)
    if not doc["findings"]:
        console.print("no findings")
        return
    console.print("findings:")
    for f in doc["findings"]:
        where = ", ".join(
            x for x in (f"item {f['item']}" if f["item"] else "", f["source"] or "") if x
        )
        waived = " (waived)" if f["waived"] else ""
        console.print(
            f"  [{SEV_STYLE[f['severity']]}]{f['severity']}[/] {f['code']}"
            f"{' (' + escape(where) + ')' if where else ''}: {escape(f['message'])}{waived}",
            soft_wrap=True,
        )
