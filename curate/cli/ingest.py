"""`curate ingest`: options → `curate.ingest.run.ingest`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli.base import (
    Backend,
    Output,
    Overwrite,
    Quiet,
    RayAddress,
    Rejected,
    Workers,
    app,
    build_executor,
)
from curate.progress import stderr_console


@app.command()
def ingest(
    output: Output,
    source: Annotated[
        str, typer.Option("--source", help="Name of the source every document gets.")
    ],
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Input files, folders or globs; s3://, gs:// (globs too) and https:// URLs; "
            "`-` reads standard input.",
            show_default=False,
        ),
    ] = None,
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
    paths_from: Annotated[
        str | None,
        typer.Option(
            "--paths-from",
            help="A file listing inputs, one a line (gzip or plain), as Common Crawl's "
            "warc.paths.gz.",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Joined to the relative lines of --paths-from (https://data.commoncrawl.org/).",
            show_default=False,
        ),
    ] = None,
    workers: Workers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Read crawls and dumps (WARC, WET, ARC, JSONL, CSV, Parquet, text, HTML) into a dataset.

    Example:

        curate ingest CC-MAIN-*.warc.gz --source commoncrawl-2024-10 -o raw/

        curate ingest dumps/*.jsonl.zst --source forum --text-field body -o raw/ --append

        zcat dump.jsonl.gz | curate ingest - --format jsonl --source forum -o raw/

        curate ingest --paths-from warc.paths.gz --base-url https://data.commoncrawl.org/
        --source cc-2024-10 -o s3://corpus/raw/
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
        paths or [],
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
        executor=build_executor(workers, backend, ray_address),
        console=console,
        paths_from=paths_from,
        base_url=base_url,
    )
    print_summary(console, result, str(output))
