"""`curate filter`: options → `curate.filters.build_chain` + `filter_dataset`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli.base import (
    Backend,
    Overwrite,
    Quiet,
    RayAddress,
    app,
    build_executor,
    output_option,
    rejected_option,
    workers_option,
)
from curate.defaults import MIN_LANG_SCORE
from curate.progress import stderr_console

FilterOutput = Annotated[
    str,
    output_option("Output dataset (same shard names as the input): a folder, s3:// or gs:// URI."),
]
FilterRejected = Annotated[
    str | None,
    rejected_option(
        "Write removed documents (input text) to this dataset, with `filter` and `filter_reason`."
    ),
]
FilterWorkers = Annotated[
    int | None,
    workers_option(
        "Worker processes (default: all cores); a dataset with fewer than four shards a worker "
        "has its shards cut into row ranges of 4,000 documents that run in parallel and are "
        "put back together (the same shards, byte for byte); under 1,000 documents the run "
        "stays in one process (starting workers would cost more than the work)."
    ),
]


def _codes(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [c.strip() for c in value.split(",") if c.strip()]


@app.command("filter")
def filter_cmd(
    dataset: Annotated[str, typer.Argument(help="Input dataset (folder, Parquet file or glob).")],
    output: FilterOutput,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            metavar="gopher|c4|fineweb",
            help="`gopher` (gopher_quality, gopher_repetition), `c4` (c4), `fineweb` "
            "(gopher_repetition, gopher_quality, c4 with `filter_no_terminal_punct = false`, "
            "fineweb_quality: datatrove's `examples/fineweb.py` after extraction). Presets hold "
            "no language step: `--preset fineweb --lang en` is FineWeb's recipe; add `url` "
            "with your lists in --config.",
        ),
    ] = None,
    filters: Annotated[
        str | None,
        typer.Option(
            "--filters",
            metavar="NAME[,NAME…]",
            help="Run these families, in this order, with their default thresholds: "
            "gopher_quality, gopher_repetition, c4, fineweb_quality, language, length, url.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="filters.toml: `[[filter]]` tables, run in order: `family` plus any of that "
            "family's parameters (names in [filters.md](filters.md)).",
        ),
    ] = None,
    annotate: Annotated[
        bool,
        typer.Option(
            "--annotate",
            help="Keep every document; add `filter` and `filter_reason` (null when kept), to "
            "tune thresholds on a sample before dropping anything.",
        ),
    ] = False,
    rejected: FilterRejected = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="CODE[,CODE…]",
            help="Keep documents in these languages (ISO 639-1 `en` or 639-3 `deu`; both "
            "normalised to 639-1 where one exists).",
        ),
    ] = None,
    min_lang_score: Annotated[
        float | None,
        typer.Option(
            "--min-lang-score",
            metavar="X",
            help=f"A listed language's probability must be > X (default `{MIN_LANG_SCORE}`); "
            "without --lang, the top language's probability must be > X. 0 <= X < 1.",
        ),
    ] = None,
    lang_model: Annotated[
        Path | None,
        typer.Option(
            "--lang-model",
            help="A fastText language-ID model (`lid.176.bin`, GlotLID) instead of the bundled "
            "py3langid model.",
        ),
    ] = None,
    workers: FilterWorkers = None,
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
