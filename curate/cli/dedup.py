"""`curate dedup`: options → `curate.dedup.dedup`."""

from __future__ import annotations

from typing import Annotated

import typer

from curate import defaults as D
from curate.cli.base import (
    Backend,
    Quiet,
    RayAddress,
    app,
    build_executor,
    output_option,
    overwrite_option,
    rejected_option,
    workers_option,
)
from curate.progress import stderr_console

DedupOutput = Annotated[
    str,
    output_option(
        "The deduplicated dataset (input shard k → output shard k, same name): a folder, s3:// "
        "or gs:// URI."
    ),
]
DedupRejected = Annotated[
    str | None,
    rejected_option(
        "Write the removed documents here: all their columns plus `dup_of` and `dup_reason`."
    ),
]
DedupWorkers = Annotated[
    int | None,
    workers_option(
        "Worker processes for the per-shard stages (default: all cores; threads of one process "
        "for a small input, see 'How it works' in docs/dedup.md; `--workers 1` runs "
        "everything in one thread)."
    ),
]
DedupOverwrite = Annotated[
    bool, overwrite_option("Replace an existing output (the signature cache in it is kept).")
]


@app.command()
def dedup(
    dataset: Annotated[str, typer.Argument(help="Input dataset (folder, Parquet file or glob).")],
    output: DedupOutput,
    exact: Annotated[
        bool,
        typer.Option(
            "--exact",
            help="Exact duplicates only (normalised text hash): no shingles, no signatures. "
            "Cannot be combined with --threshold, --ngram, --num-perm, --bands, --rows, "
            "--verify, --shingle (exit 2).",
        ),
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(
            metavar="J",
            help="Jaccard similarity at or above which two documents are near duplicates; in "
            f"(0, 1] (default `{D.DEDUP_THRESHOLD}`).",
        ),
    ] = None,
    ngram: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Shingle length: N words (`--shingle word`) or N characters (`--shingle char`) "
            f"(default `{D.DEDUP_NGRAM}`).",
        ),
    ] = None,
    num_perm: Annotated[
        int | None,
        typer.Option(
            "--num-perm",
            metavar="N",
            help="MinHash signature length (values per document), 2-4096 "
            f"(default `{D.DEDUP_NUM_PERM}`).",
        ),
    ] = None,
    bands: Annotated[
        int | None,
        typer.Option(
            metavar="B",
            help="LSH banding, with --rows: B bands of R signature values (B·R ≤ --num-perm; "
            "given without --num-perm, the signature grows to B·R). Default: chosen from "
            "--threshold.",
        ),
    ] = None,
    rows: Annotated[
        int | None,
        typer.Option(metavar="R", help="Signature values per LSH band (with --bands)."),
    ] = None,
    verify: Annotated[
        str | None,
        typer.Option(
            metavar="exact|estimate|none",
            help="What a candidate pair must pass before it is merged: `exact` the true "
            "Jaccard of the two shingle sets ≥ threshold; `estimate` the share of equal "
            f"signature values ≥ threshold; `none` banding alone (default `{D.DEDUP_VERIFY}`).",
        ),
    ] = None,
    keep: Annotated[
        str,
        typer.Option(
            metavar="first|longest|COLUMN|none",
            help="Which copy of a cluster survives: `first` the earliest in dataset order "
            "(manifest shard order, then row order); `longest` the most characters; `COLUMN` "
            "the highest value of a numeric column (nulls and NaN lowest); ties go to the "
            "earliest. `none` removes every member of a cluster.",
        ),
    ] = D.DEDUP_KEEP,
    normalize: Annotated[
        str | None,
        typer.Option(
            metavar="STEPS",
            help="Normalisation before hashing, a comma list of `lower` (case folding), "
            "`whitespace` (every run of whitespace becomes one space; leading and trailing "
            "whitespace is dropped), `punctuation` (Unicode punctuation removed), `digits` "
            "(every digit becomes 0), `nfkc` (Unicode NFKC), or `none`. Shingles are taken "
            f"from the normalised text too (default `{','.join(D.DEDUP_NORMALIZE)}`).",
        ),
    ] = None,
    shingle: Annotated[
        str | None,
        typer.Option(
            metavar="word|char",
            help="`word`: n-grams of `\\w+` tokens (Python `re`'s `\\w`: letters, digits, `_`) "
            "of the normalised text; `char`: n-grams of its characters "
            f"(default `{D.DEDUP_SHINGLE}`).",
        ),
    ] = None,
    clusters: Annotated[
        str | None,
        typer.Option(
            "--clusters",
            metavar="DIR",
            help="Write one row per document that has at least one duplicate "
            "(`id`, `cluster`, `kept`).",
        ),
    ] = None,
    rejected: DedupRejected = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            metavar="DS",
            help="Incremental: also remove documents that duplicate a document of DS (DS "
            "itself is not changed or copied).",
        ),
    ] = None,
    workers: DedupWorkers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: DedupOverwrite = False,
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
