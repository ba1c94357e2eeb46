"""`curate ingest`: options → `curate.ingest.run.ingest`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli.base import (
    Backend,
    Overwrite,
    Quiet,
    RayAddress,
    Rejected,
    Workers,
    app,
    build_executor,
    output_option,
)
from curate.defaults import SHARD_ROWS
from curate.ingest.options import ReadOptions
from curate.progress import stderr_console

READ_DEFAULTS = ReadOptions(source="")  # the field names and extractor the library uses
IngestOutput = Annotated[str, output_option("The dataset to write: a folder, s3:// or gs:// URI.")]


@app.command()
def ingest(
    output: IngestOutput,
    source: Annotated[
        str,
        typer.Option(
            "--source",
            metavar="NAME",
            help="Source name for every document (letters, digits, `.`, `_`, `-`).",
        ),
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
            metavar="FORMAT",
            help="`auto` (by content and name), `warc`, `arc`, `wet`, `jsonl`, `csv`, `parquet`, "
            "`text`, `html`.",
        ),
    ] = "auto",
    text_field: Annotated[
        str, typer.Option(metavar="FIELD", help="Field holding the text (JSONL, CSV, Parquet).")
    ] = READ_DEFAULTS.text_field,
    id_field: Annotated[
        str,
        typer.Option(metavar="FIELD", help="Field holding the document id (JSONL, CSV, Parquet)."),
    ] = READ_DEFAULTS.id_field,
    url_field: Annotated[
        str, typer.Option(metavar="FIELD", help="Field holding the URL (JSONL, CSV, Parquet).")
    ] = READ_DEFAULTS.url_field,
    created_field: Annotated[
        str,
        typer.Option(
            metavar="FIELD",
            help="Field holding the creation time, ISO 8601 or epoch (JSONL, CSV, Parquet).",
        ),
    ] = READ_DEFAULTS.created_field,
    per_line: Annotated[
        bool, typer.Option("--per-line", help="Text files: one document per line.")
    ] = False,
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            metavar="FILE",
            help="Provenance declarations (`sources.toml`, see [sources.md](sources.md)).",
        ),
    ] = None,
    rejected: Rejected = None,
    extractor: Annotated[
        str,
        typer.Option(
            metavar="curate|resiliparse|trafilatura",
            help="HTML extractor: `curate`, `resiliparse`, `trafilatura` (needs "
            "`pip install curate[trafilatura]`).",
        ),
    ] = READ_DEFAULTS.extractor,
    append: Annotated[
        bool, typer.Option("--append", help="Add this source to an existing dataset.")
    ] = False,
    shard_rows: Annotated[
        int, typer.Option(metavar="N", help="Rows per output shard at most.")
    ] = SHARD_ROWS,
    paths_from: Annotated[
        str | None,
        typer.Option(
            "--paths-from",
            metavar="FILE",
            help="More inputs, one path or URL a line (gzip or plain; blank and `#` lines "
            "skipped), as Common Crawl's `warc.paths.gz`.",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="Joined to the relative lines of --paths-from (`https://data.commoncrawl.org/`).",
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
