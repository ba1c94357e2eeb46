"""`curate stats`: options → `curate.stats.compute_stats`, rendered as tables or JSON."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from curate.cli.base import (
    RayAddress,
    app,
    build_executor,
    executor_help,
    executor_option,
    workers_option,
)
from curate.progress import human_bytes

StatsWorkers = Annotated[
    int | None,
    workers_option(
        "Processes counting shards (default: all cores; a small dataset is counted on threads of "
        "one process)."
    ),
]
StatsExecutor = Annotated[
    str | None,
    executor_option(
        executor_help("the counting of shards", "The numbers are the same on every executor.")
    ),
]


@app.command()
def stats(
    dataset: Annotated[
        str, typer.Argument(help="Dataset folder, bare Parquet file, folder or glob.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout, nothing else.")
    ] = False,
    workers: StatsWorkers = None,
    backend: StatsExecutor = None,
    ray_address: RayAddress = None,
) -> None:
    """Shards, documents, sizes, sources, languages, licences, lengths and lineage.

    Example:

        curate stats raw/

        curate stats raw/ --json | jq .sources
    """
    from curate.stats import compute_stats

    result = compute_stats(dataset, build_executor(workers, backend, ray_address))
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2, default=str) + "\n")
        return
    _render_stats(Console(), result)


def _render_stats(console: Console, s: dict) -> None:
    t = Table(title=f"{s['dataset']}", show_header=False, title_justify="left")
    t.add_column("what", style="bold")
    t.add_column("value", justify="right")
    t.add_row("shards", f"{s['shards']:,}")
    t.add_row("documents", f"{s['documents']:,}")
    t.add_row("bytes on disk", human_bytes(s["bytes"]))
    t.add_row("characters", f"{s['characters']:,}")
    t.add_row("words", f"{s['words']:,}")
    if "tokens" in s:
        t.add_row("tokens", f"{s['tokens']:,}")
    if s["bare_parquet"]:
        t.add_row("manifest", "none (bare Parquet: no sources or lineage)")
    console.print(t)
    if s["length_chars"]:
        lt = Table(title="document length (characters)", title_justify="left")
        for k in s["length_chars"]:
            lt.add_column(k, justify="right")
        lt.add_row(*[f"{v:,}" for v in s["length_chars"].values()])
        console.print(lt)
    docs = max(s["documents"], 1)
    for key, title in (("sources", "source"), ("languages", "lang"), ("licenses", "license")):
        if key in s and s[key]:
            gt = Table(title=f"documents per {title}", title_justify="left")
            gt.add_column(title)
            gt.add_column("documents", justify="right")
            gt.add_column("share", justify="right")
            for name, n in s[key].items():
                gt.add_row(str(name), f"{n:,}", f"{n / docs:.1%}")
            console.print(gt)
    tokens = max(s.get("tokens", 0), 1)
    for key, title in (("tokens_by_source", "source"), ("tokens_by_language", "lang")):
        if s.get(key):
            tt = Table(title=f"tokens per {title}", title_justify="left")
            tt.add_column(title)
            tt.add_column("tokens", justify="right")
            tt.add_column("share", justify="right")
            for name, n in s[key].items():
                tt.add_row(str(name), f"{n:,}", f"{n / tokens:.1%}")
            console.print(tt)
    if s["lineage"]:
        lin = Table(title="lineage", title_justify="left", box=box.SIMPLE_HEAD)
        lin.add_column("step", no_wrap=True)
        lin.add_column("source", overflow="fold")
        lin.add_column("in", justify="right", no_wrap=True)
        lin.add_column("out", justify="right", no_wrap=True)
        lin.add_column("removed by reason", overflow="fold")
        for step in s["lineage"]:
            # one reason a line: a comma-joined list wraps mid-name in a narrow terminal
            removed = "\n".join(f"{k} {v:,}" for k, v in step.get("removed", {}).items())
            lin.add_row(
                step.get("step", ""),
                step.get("source", "") or "",
                f"{step.get('rows_in', 0):,}",
                f"{step.get('rows_out', 0):,}",
                removed,
            )  # when each step ended is in `--json`: the reasons need the width
        console.print(lin)
