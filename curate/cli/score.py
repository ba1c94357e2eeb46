"""`curate score`: options → `curate.score.score`."""

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
    Workers,
    app,
    build_executor,
)
from curate.progress import stderr_console


@app.command()
def score(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, Parquet file or glob.")],
    output: Output,
    model: Annotated[
        list[Path] | None,
        typer.Option("--model", help="A supervised fastText .bin model (repeatable)."),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option(
            "--label",
            help="Label whose probability to add, with or without __label__ (one per --model; "
            "default: positive_label of MODEL.json beside the model).",
        ),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option("--column", help="Column for that probability (one per --model)."),
    ] = None,
    no_signals: Annotated[
        bool, typer.Option("--no-signals", help="Skip the q_* signals: model scores only.")
    ] = False,
    workers: Workers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: Overwrite = False,
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
