"""`curate export`: options → `curate.export.export_to_stream` / `export_to_folder`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from curate.cli.base import Overwrite, Quiet, app
from curate.progress import human_bytes, stderr_console, summary_table

Columns = Annotated[
    str | None,
    typer.Option(
        "--columns", help="Columns to write, comma-separated, in this order (default: all).",
        show_default=False,
    ),
]  # fmt: skip
Where = Annotated[
    str | None,
    typer.Option(
        "--where",
        help="Only rows matching this Polars SQL predicate, e.g. "
        "\"lang = 'en' AND q_word_count > 50\".",
        show_default=False,
    ),
]  # fmt: skip


@app.command()
def export(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, Parquet file or glob.")],
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            help="Write files to this folder (data/train-NNNNN.EXT, Hugging Face layout) "
            "instead of stdout.",
            show_default=False,
        ),
    ] = None,  # fmt: skip
    fmt: Annotated[
        str,
        typer.Option("--format", help="jsonl|csv|parquet|jsonl.zst (to stdout: jsonl or csv)."),
    ] = "jsonl",
    columns: Columns = None,
    where: Where = None,
    shard_rows: Annotated[
        int | None,
        typer.Option("--shard-rows", help="With -o: rows per file at most.", show_default=False),
    ] = None,
    shard_bytes: Annotated[
        str | None,
        typer.Option(
            "--shard-bytes",
            help="With -o: bytes per file at most, e.g. 500MB (default 500MB unless --shard-rows).",
            show_default=False,
        ),
    ] = None,
    card: Annotated[
        Path | None,
        typer.Option(
            "--card",
            help="With -o: the dataset card: the folder `curate report -o DIR` wrote (its "
            "card is re-rendered for these files), or a README.md.",
            show_default=False,
        ),
    ] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Write a dataset's rows as JSONL or CSV to stdout, or as release files to a folder.

    Stdout carries only the rows; `| head` ends the command cleanly (exit 0).

    Example:

        curate export clean/ --format jsonl --columns id,text | head

        curate export clean/ -o release/ --format jsonl.zst --shard-bytes 500MB --card report/
    """
    from curate.errors import CurateError
    from curate.export import export_to_folder, export_to_stream, parse_size
    from curate.selection import Selection, parse_columns

    console = stderr_console(quiet)
    cols = parse_columns(columns)
    selection = Selection(columns=tuple(cols) if cols else None, where=where)
    if output is None:
        for opt, value in (("--shard-rows", shard_rows), ("--shard-bytes", shard_bytes),
                           ("--card", card), ("--overwrite", overwrite or None)):  # fmt: skip
            if value is not None:
                raise CurateError(f"{opt} needs -o DIR (it shapes files; stdout is one stream)")
        result = export_to_stream(dataset, sys.stdout.buffer, fmt=fmt, selection=selection)
        console.print(
            f"curate export: {result.rows:,} rows, {human_bytes(result.bytes)} to stdout "
            f"({result.seconds:.1f} s)"
        )
        return
    size = parse_size(shard_bytes) if shard_bytes is not None else None
    result = export_to_folder(
        dataset,
        output,
        fmt=fmt,
        selection=selection,
        shard_rows=shard_rows,
        shard_bytes=size,
        card=card,
        overwrite=overwrite,
    )
    if result.up_to_date:
        console.print(f"{output}: up to date (same dataset and options); nothing to do")
        return
    rows = [
        ("rows", f"{result.rows:,}"),
        ("files", f"{len(result.files):,}"),
        ("bytes", human_bytes(result.bytes)),
        ("dataset card", "README.md" if result.card else "none (--card)"),
        ("time", f"{result.seconds:.1f} s"),
    ]
    console.print(summary_table(f"curate export → {output}", rows))
