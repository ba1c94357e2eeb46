"""`curate tag-synthetic`: options → `curate.synthetic.tag_synthetic`."""

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


@app.command("tag-synthetic")
def tag_synthetic(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, Parquet file or glob.")],
    output: Output,
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            help="sources.toml whose `synthetic = true` sources are tagged declared "
            "(default: the declarations in the dataset's manifest).",
        ),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option("--threshold", help="synthetic_score above this → synthetic_by=detected."),
    ] = 0.5,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="A fastText detector (.bin) to use instead of heuristics."),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            help="The model's machine-written label (default: positive_label of MODEL.json "
            "beside the model, else __label__machine).",
        ),
    ] = None,
    workers: Workers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Tag synthetic (machine-written) documents: declared sources, then a detector.

    Adds `synthetic` (bool), `synthetic_by` (declared | detected | null) and
    `synthetic_score` (0-1, higher = more likely machine-written). Keeps every row.

    Example:

        curate tag-synthetic scored/ -o tagged/

        curate tag-synthetic scored/ -o tagged/ --sources sources.toml --threshold 0.7
    """
    from curate.step import print_map_summary
    from curate.synthetic import tag_synthetic as run

    console = stderr_console(quiet)
    result = run(
        dataset,
        output,
        sources_toml=sources,
        threshold=threshold,
        model=model,
        label=label,
        workers=workers,
        executor=build_executor(workers, backend, ray_address),
        overwrite=overwrite,
        console=console,
    )
    print_map_summary(console, result, "tag-synthetic", str(output))
