"""`curate show`: options → `curate.show.select_documents`, printed or written as a page."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from curate.cli.base import Quiet, app, overwrite_option
from curate.progress import stderr_console


@app.command()
def show(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, Parquet file or glob.")],
    where: Annotated[
        str | None,
        typer.Option(
            "--where",
            help="Only documents matching this Polars SQL predicate, e.g. "
            "\"filter_reason = 'top_2_gram'\".",
            show_default=False,
        ),
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help="Fields shown above each text, comma-separated (default: source, url and "
            "the reason and language columns present).",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Show the first N documents.")] = 10,
    sample: Annotated[
        int | None,
        typer.Option(
            "--sample",
            help="Show N documents drawn at random (instead of the first).",
            show_default=False,
        ),
    ] = None,  # fmt: skip
    seed: Annotated[int, typer.Option("--seed", help="Seed of --sample.")] = 0,
    max_chars: Annotated[
        int,
        typer.Option("--max-chars", help="Cut each text after N characters (0: whole texts)."),
    ] = 1_000,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Write a self-contained page to browse the same documents (filter by "
            "reason, search) instead of printing them.",
            show_default=False,
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        overwrite_option(
            "Let --html replace an existing file that an earlier `curate show` did not write "
            "(its own earlier pages are replaced without it)."
        ),
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Print documents for a person to read: id, source, url, reasons, then the text.

    Example:

        curate show filtered-rejected/ --where "filter_reason = 'top_2_gram'" --limit 5

        curate show clean/ --sample 20 --seed 1 --columns source,q_word_count,quality

        curate show duplicates/ --limit 500 --html dups.html
    """
    from curate.show import render_text, select_documents, write_html

    console = stderr_console(quiet)
    from curate.selection import parse_columns

    shown = select_documents(
        dataset,
        columns=parse_columns(columns),
        where=where,
        limit=limit,
        sample=sample,
        seed=seed,
    )
    if html is not None:
        write_html(shown, html, overwrite=overwrite)
        console.print(f"curate show: {len(shown.rows):,} documents → {html}")
        return
    sys.stdout.write(render_text(shown, max_chars=max_chars))
    sys.stdout.flush()
    console.print(f"curate show: {len(shown.rows):,} documents from {shown.location}")
