"""`curate decontaminate`: options → `curate.decont.step.decontaminate`."""

from __future__ import annotations

from typing import Annotated

import click
import typer
from typer.core import TyperCommand

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


class _SeveralAgainst(TyperCommand):
    """`--against A B C` means `--against A --against B --against C` (CLI.md).

    Every word after `--against` up to the next option is a benchmark path, so the
    dataset comes before `--against` (or after `--`).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
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
            help="Benchmark items: JSONL, CSV, Parquet files or datasets (several paths; "
            "repeatable).",
        ),
    ],
    fields: Annotated[
        str,
        typer.Option("--fields", help="Fields joined by a space into one item (F[,F...])."),
    ] = "text",
    task_field: Annotated[
        str | None,
        typer.Option(
            "--task-field",
            help="Field naming the benchmark (default: the file's name without extensions).",
        ),
    ] = None,
    ngram: Annotated[int, typer.Option("--ngram", help="Words per n-gram.")] = 13,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="drop (to --rejected), annotate (keep all, add columns) or excise (cut "
            "the matched spans).",
        ),
    ] = "drop",
    ignore_common: Annotated[
        int | None,
        typer.Option(
            "--ignore-common",
            help="Ignore a benchmark n-gram found in more than N documents of the corpus "
            "(boilerplate, licences); one extra counting pass.",
        ),
    ] = None,
    window: Annotated[
        int, typer.Option("--window", help="excise: characters cut on each side of a match.")
    ] = 200,
    min_chars: Annotated[
        int,
        typer.Option("--min-chars", help="excise: drop a document left with fewer characters."),
    ] = 200,
    rejected: Rejected = None,
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
