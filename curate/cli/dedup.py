"""`curate dedup`: options → `curate.dedup.dedup`."""

from __future__ import annotations

from typing import Annotated

import typer

from curate.cli.base import (
    Backend,
    Output,
    Overwrite,
    Quiet,
    RayAddress,
    Workers,
    app,
    build_executor,
)
from curate.progress import stderr_console


@app.command()
def dedup(
    dataset: Annotated[str, typer.Argument(help="Input dataset (folder, Parquet file or glob).")],
    output: Output,
    exact: Annotated[
        bool, typer.Option("--exact", help="Exact duplicates only (normalised text hash).")
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(help="Jaccard similarity at or above which documents are duplicates [0.8]."),
    ] = None,
    ngram: Annotated[int | None, typer.Option(help="Shingle length in words or chars [5].")] = None,
    num_perm: Annotated[
        int | None, typer.Option("--num-perm", help="MinHash signature length [128].")
    ] = None,
    bands: Annotated[
        int | None, typer.Option(help="LSH bands (with --rows; default: chosen from threshold).")
    ] = None,
    rows: Annotated[int | None, typer.Option(help="Rows per LSH band (with --bands).")] = None,
    verify: Annotated[
        str | None,
        typer.Option(
            help="exact (true Jaccard of shingle sets, default), estimate (signature) or none."
        ),
    ] = None,
    keep: Annotated[
        str,
        typer.Option(
            help="Which copy survives: first, longest, COLUMN (highest value) or none (drop all)."
        ),
    ] = "first",
    normalize: Annotated[
        str | None,
        typer.Option(
            help="Text normalisation before hashing: comma list of lower, whitespace, "
            "punctuation, digits, nfkc, or none [lower,whitespace]."
        ),
    ] = None,
    shingle: Annotated[
        str | None, typer.Option(help="Shingle unit: word (\\w+ tokens, default) or char.")
    ] = None,
    clusters: Annotated[
        str | None,
        typer.Option("--clusters", help="Write (id, cluster, kept) of every duplicate here."),
    ] = None,
    rejected: Annotated[
        str | None,
        typer.Option("--rejected", help="Write the removed documents (with dup_of) here."),
    ] = None,
    against: Annotated[
        str | None,
        typer.Option("--against", help="Also drop documents this older dataset already has."),
    ] = None,
    workers: Workers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Remove exact duplicates, then near duplicates (MinHash LSH, verified by true Jaccard).

    Example:

        curate dedup filtered/ -o deduped/ --threshold 0.8 --clusters clusters/ --rejected dups/

        curate dedup filtered/ -o deduped/ --exact

        curate dedup new-crawl/ -o new-only/ --against deduped/
    """
    from curate.dedup import dedup as run_dedup
    from curate.dedup import make_options
    from curate.dedup.run import print_summary

    console = stderr_console(quiet)
    options = make_options(
        exact=exact,
        threshold=threshold,
        ngram=ngram,
        num_perm=num_perm,
        bands=bands,
        rows=rows,
        verify=verify,
        keep=keep,
        normalize=normalize,
        shingle=shingle,
    )
    result = run_dedup(
        dataset,
        output,
        options=options,
        rejected=rejected,
        clusters=clusters,
        against=against,
        workers=workers,
        executor=build_executor(workers, backend, ray_address),
        overwrite=overwrite,
        console=console,
    )
    print_summary(console, result, str(output))
