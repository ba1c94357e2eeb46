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
from curate.defaults import SYNTHETIC_LABEL, SYNTHETIC_THRESHOLD
from curate.progress import stderr_console


@app.command("tag-synthetic")
def tag_synthetic(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, Parquet file or glob.")],
    output: Output,
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            metavar="FILE",
            help="Take the declarations (`synthetic = true` sources are tagged `declared`) from "
            "this `sources.toml` instead of the dataset's manifest.",
        ),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold",
            metavar="X",
            help="`synthetic_score` above X is `detected` (`synthetic_by`).",
        ),
    ] = SYNTHETIC_THRESHOLD,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            metavar="PATH",
            help="A supervised fastText `.bin` detector; its probability of the machine label "
            "becomes `synthetic_score` instead of the heuristic score.",
        ),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            metavar="LABEL",
            help="The model's machine-written label (with or without `__label__`); default: "
            "`positive_label` from `MODEL.json` beside the model (as `curate train-classifier` "
            f"writes it), else `{SYNTHETIC_LABEL}`. A label the model lacks: exit 2, listing "
            "its labels.",
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
