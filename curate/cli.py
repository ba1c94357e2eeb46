"""The `curate` command line: thin commands that parse options and call the library.

Every command's behaviour lives in a library function a notebook can call with the
same result; this module only maps options to keyword arguments, renders
summaries, and turns `CurateError` into one `error:` line and an exit code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from curate import __version__
from curate.errors import CurateError
from curate.progress import human_bytes, stderr_console


class CurateGroup(TyperGroup):
    """Turns a `CurateError` from any command into one `error:` line and its exit code.

    Done at the group level (not in `main`) so that tests driving the app through
    typer's CliRunner see exactly what a user sees.
    """

    def invoke(self, ctx: typer.Context) -> object:
        try:
            return super().invoke(ctx)
        except CurateError as exc:
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            err.print(f"[red]error:[/red] {escape(exc.message)}")
            if exc.hint:
                err.print(f"hint: {escape(exc.hint)}")
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted; re-run the same command to resume\n")
            ctx.exit(130)


app = typer.Typer(
    name="curate",
    cls=CurateGroup,
    help="Curate LLM training data: ingest → filter → dedup → score → tag → report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)

# Options shared by many commands, spelled once.
Output = Annotated[Path, typer.Option("-o", "--output", help="Output dataset folder.")]
Overwrite = Annotated[
    bool, typer.Option("--overwrite", help="Replace an existing output instead of refusing.")
]
Workers = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Worker processes (default: all cores)."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no summary.")]
Rejected = Annotated[
    Path | None,
    typer.Option("--rejected", help="Write skipped records (with the reason) to this dataset."),
]


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


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Input files, folders or globs.")],
    output: Output,
    source: Annotated[
        str, typer.Option("--source", help="Name of the source every document gets.")
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="auto|warc|arc|wet|jsonl|csv|parquet|text|html (auto: by content and name).",
        ),
    ] = "auto",
    text_field: Annotated[str, typer.Option(help="Field holding the text (JSONL/CSV/Parquet).")] = (
        "text"
    ),
    id_field: Annotated[str, typer.Option(help="Field holding the document id.")] = "id",
    url_field: Annotated[str, typer.Option(help="Field holding the URL.")] = "url",
    created_field: Annotated[
        str, typer.Option(help="Field holding the creation time (ISO 8601 or epoch).")
    ] = "created",
    per_line: Annotated[
        bool, typer.Option("--per-line", help="Text input: one document per line.")
    ] = False,
    sources: Annotated[
        Path | None, typer.Option("--sources", help="sources.toml declaring provenance.")
    ] = None,
    rejected: Rejected = None,
    extractor: Annotated[
        str, typer.Option(help="HTML extractor: curate (default), resiliparse, trafilatura.")
    ] = "curate",
    append: Annotated[
        bool, typer.Option("--append", help="Add this source to an existing dataset.")
    ] = False,
    shard_rows: Annotated[int, typer.Option(help="Rows per output shard at most.")] = 100_000,
    workers: Workers = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Read crawls and dumps (WARC, WET, ARC, JSONL, CSV, Parquet, text, HTML) into a dataset.

    Example:

        curate ingest CC-MAIN-*.warc.gz --source commoncrawl-2024-10 -o raw/

        curate ingest dumps/*.jsonl.zst --source forum --text-field body -o raw/ --append
    """
    from curate.ingest.options import ReadOptions
    from curate.ingest.run import ingest as run_ingest
    from curate.ingest.run import print_summary

    console = stderr_console(quiet)
    opts = ReadOptions(
        source=source,
        text_field=text_field,
        id_field=id_field,
        url_field=url_field,
        created_field=created_field,
        per_line=per_line,
        extractor=extractor,
    )
    result = run_ingest(
        paths,
        output,
        source=source,
        fmt=fmt,
        options=opts,
        sources_toml=sources,
        rejected=rejected,
        append=append,
        overwrite=overwrite,
        shard_rows=shard_rows,
        workers=workers,
        console=console,
    )
    print_summary(console, result, str(output))


@app.command()
def stats(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, Parquet file or glob.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = (
        False
    ),
) -> None:
    """Shards, documents, sizes, sources, languages, licences, lengths and lineage.

    Example:

        curate stats raw/

        curate stats raw/ --json | jq .sources
    """
    from curate.stats import compute_stats

    result = compute_stats(dataset)
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
    if s["lineage"]:
        lin = Table(title="lineage", title_justify="left")
        for c in ("step", "source", "rows in", "rows out", "removed by reason", "ended"):
            lin.add_column(c)
        for step in s["lineage"]:
            removed = ", ".join(f"{k} {v:,}" for k, v in step.get("removed", {}).items())
            lin.add_row(
                step.get("step", ""),
                step.get("source", "") or "",
                f"{step.get('rows_in', 0):,}",
                f"{step.get('rows_out', 0):,}",
                removed,
                step.get("ended", ""),
            )
        console.print(lin)


def main() -> None:
    """Entry point of the `curate` console script."""
    app(prog_name="curate")


if __name__ == "__main__":
    main()
