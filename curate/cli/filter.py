"""`curate filter`: options → `curate.filters.build_chain` + `filter_dataset`."""

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


def _codes(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [c.strip() for c in value.split(",") if c.strip()]


@app.command("filter")
def filter_cmd(
    dataset: Annotated[str, typer.Argument(help="Input dataset (folder, Parquet file or glob).")],
    output: Output,
    preset: Annotated[
        str | None,
        typer.Option("--preset", help="gopher | c4 | fineweb (the FineWeb chain, no language)."),
    ] = None,
    filters: Annotated[
        str | None,
        typer.Option(
            "--filters",
            help="Families to run, in order, with default thresholds: gopher_quality, "
            "gopher_repetition, c4, fineweb_quality, language, length, url.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="filters.toml: [[filter]] tables (family + thresholds)."),
    ] = None,
    annotate: Annotated[
        bool,
        typer.Option("--annotate", help="Keep every document; add `filter` and `filter_reason`."),
    ] = False,
    rejected: Rejected = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", help="Keep these languages (ISO 639-1 or 639-3 codes, comma-separated)."
        ),
    ] = None,
    min_lang_score: Annotated[
        float | None,
        typer.Option(
            "--min-lang-score",
            help="Language probability must be > this (default 0.65 with --lang; "
            "alone: the top language's).",
        ),
    ] = None,
    lang_model: Annotated[
        Path | None,
        typer.Option("--lang-model", help="fastText language-ID model (lid.176.bin, GlotLID)."),
    ] = None,
    workers: Workers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Remove low-quality documents with the Gopher, C4 and FineWeb rules, language ID,
    length bounds and URL block lists; removed documents can go to `--rejected`.

    Example:

        curate filter raw/ -o filtered/ --preset fineweb --lang en --rejected rejected/

        curate filter raw/ -o annotated/ --preset gopher --annotate
    """
    from curate.filters import build_chain, filter_dataset
    from curate.step import print_map_summary

    console = stderr_console(quiet)
    chain = build_chain(
        preset=preset,
        filters=_codes(filters),
        config=config,
        lang=_codes(lang),
        min_lang_score=min_lang_score,
        lang_model=str(lang_model) if lang_model is not None else None,
    )
    result = filter_dataset(
        dataset,
        output,
        chain,
        annotate=annotate,
        rejected=rejected,
        workers=workers,
        executor=build_executor(workers, backend, ray_address),
        overwrite=overwrite,
        console=console,
    )
    print_map_summary(console, result, "filter", str(output))
