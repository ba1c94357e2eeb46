"""`curate score`: options → `curate.score.score`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli.base import (
    Backend,
    Quiet,
    RayAddress,
    app,
    build_executor,
    output_option,
    overwrite_option,
    workers_option,
)
from curate.progress import stderr_console

ScoreOutput = Annotated[
    str,
    output_option("Output dataset (same shard names as the input): a folder, s3:// or gs:// URI."),
]
ScoreWorkers = Annotated[
    int | None, workers_option("Worker processes (default: all cores); each loads each model once.")
]
ScoreOverwrite = Annotated[bool, overwrite_option("Replace an output made with other options.")]


@app.command()
def score(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, Parquet file or glob.")],
    output: ScoreOutput,
    model: Annotated[
        list[Path] | None,
        typer.Option(
            "--model",
            metavar="PATH",
            help="A supervised fastText `.bin` (or `.ftz`) model; repeatable.",
        ),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option(
            "--label",
            metavar="LABEL",
            help="The label whose probability goes into the column, with or without fastText's "
            "`__label__` prefix; one per --model, or none at all: then each model's `MODEL.json` "
            "(the model's path with the suffix `.json`, as `curate train-classifier` writes it) "
            "gives `positive_label`.",
        ),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            metavar="NAME",
            help="The column for that probability (float64); one per --model.",
        ),
    ] = None,
    no_signals: Annotated[
        bool,
        typer.Option("--no-signals", help="Skip the `q_*` columns (model scores only)."),
    ] = False,
    workers: ScoreWorkers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: ScoreOverwrite = False,
    quiet: Quiet = False,
) -> None:
    """Add heuristic quality signals (q_* columns) and fastText classifier scores.

    Every document is kept. Options --model, --label and --column pair by position, so
    one pass can apply several models.

    Example:

        curate score deduped/ -o scored/

        curate score deduped/ -o scored/ --model dclm_fasttext.bin --label hq --column quality

        curate score deduped/ -o scored/ --no-signals --model quality.bin --column quality
    """
    from curate.score.step import score as run_score
    from curate.step import print_map_summary

    console = stderr_console(quiet)
    result = run_score(
        dataset,
        output,
        signals=not no_signals,
        models=list(model or []),
        labels=list(label or []),
        columns=list(column or []),
        workers=workers,
        executor=build_executor(workers, backend, ray_address),
        overwrite=overwrite,
        console=console,
    )
    print_map_summary(console, result, "score", str(output))
