"""`curate decontaminate`: options → `curate.decont.step.decontaminate`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperCommand

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


class _SeveralAgainst(TyperCommand):
    """`--against A B C` means `--against A --against B --against C` (CLI.md).

    Every word after `--against` up to the next option is a benchmark path, so the
    dataset comes before `--against` (or after `--`).
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a click Context
        out: list[str] = []
        taking = False
        for arg in args:
            if arg == "--":
                taking = False
            elif arg.startswith("-") and arg != "-":
                taking = arg == "--against"
                if arg.startswith("--against="):
                    taking = True
            elif taking and out and out[-1] != "--against":
                out.append("--against")
            out.append(arg)
        return super().parse_args(ctx, out)


@app.command(cls=_SeveralAgainst)
def decontaminate(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, Parquet file or glob.")],
    output: Output,
    against: Annotated[
        list[str],
        typer.Option(
            "--against",
            metavar="PATH...",
            help="Benchmark items: JSONL (`.jsonl`, `.ndjson`, `.json`, also `.gz`), CSV, "
            "Parquet files, curate datasets, folders or globs of Parquet (local, or `s3://`, "
            "`gs://` for Parquet). Takes several paths and may be repeated; the dataset to "
            "clean comes first on the command line.",
        ),
    ],
    fields: Annotated[
        str,
        typer.Option(
            "--fields",
            metavar="F[,F...]",
            help="The fields of a row joined by a space into one item; a list field "
            "(multiple-choice options) is joined too.",
        ),
    ] = "text",
    task_field: Annotated[
        str | None,
        typer.Option(
            "--task-field",
            metavar="F",
            help="The field naming the benchmark (default: the file's name without "
            "extensions, `evals/mmlu.jsonl.gz` → `mmlu`).",
        ),
    ] = None,
    ngram: Annotated[
        int,
        typer.Option(
            "--ngram", metavar="N", help="Words per n-gram (13, as GPT-3; datatrove's is 12)."
        ),
    ] = 13,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            metavar="drop|annotate|excise",
            help="What happens to a contaminated document: `drop` (to --rejected), `annotate` "
            "(keep all, add columns) or `excise` (cut the matched spans).",
        ),
    ] = "drop",
    ignore_common: Annotated[
        int | None,
        typer.Option(
            "--ignore-common",
            metavar="N",
            help="Ignore a benchmark n-gram found in more than N documents of the corpus "
            "itself: licences, boilerplate, stock phrases a benchmark happens to quote (one "
            "extra counting pass over the corpus).",
        ),
    ] = None,
    window: Annotated[
        int,
        typer.Option(
            "--window", metavar="N", help="`excise`: characters cut on each side of a match."
        ),
    ] = 200,
    min_chars: Annotated[
        int,
        typer.Option(
            "--min-chars",
            metavar="N",
            help="`excise`: a document left with fewer characters (stripped) is dropped.",
        ),
    ] = 200,
    rejected: Annotated[
        str | None,
        typer.Option(
            "--rejected",
            metavar="DIR",
            help="Where `drop` and `excise` put removed documents, with `contaminated_by` and "
            "`contamination_ngrams` (not with `annotate`, which removes nothing).",
        ),
    ] = None,
    workers: Workers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Find benchmark items (word n-grams) in the corpus: drop, annotate or excise them.

    Every path after --against is read (repeat the option or list several).

    Example:

        curate decontaminate deduped/ -o clean/ --against mmlu.jsonl gsm8k.parquet

        curate decontaminate deduped/ -o clean/ --against evals.jsonl --fields q,a --task-field task

        curate decontaminate deduped/ -o marked/ --against evals.jsonl --mode annotate
    """
    from curate.decont.step import decontaminate as run
    from curate.step import print_map_summary

    console = stderr_console(quiet)
    result = run(
        dataset,
        output,
        against=_split_paths(against),
        fields=[f.strip() for f in fields.split(",") if f.strip()],
        task_field=task_field,
        ngram=ngram,
        mode=mode,
        rejected=rejected,
        ignore_common=ignore_common,
        window=window,
        min_chars=min_chars,
        workers=workers,
        executor=build_executor(workers, backend, ray_address),
        overwrite=overwrite,
        console=console,
    )
    print_map_summary(console, result, "decontaminate", str(output))


def _split_paths(values: list[str]) -> list[str]:
    return [v for v in values if v]
