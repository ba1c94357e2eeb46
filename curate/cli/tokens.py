"""`curate tokens`: options → `curate.tokens.tokens`."""

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
def tokens(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, Parquet file or glob.")],
    output: Output,
    tokenizer: Annotated[
        str,
        typer.Option(
            "--tokenizer",
            metavar="PATH",
            help="A Hugging Face `tokenizer.json`, or a tiktoken BPE file "
            "(`cl100k_base.tiktoken`); read offline, nothing is downloaded.",
        ),
    ],
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            metavar="NAME",
            help="For a tiktoken file: its encoding, `r50k_base`, `p50k_base`, `p50k_edit`, "
            "`cl100k_base` or `o200k_base` (default: the file's name without extension).",
        ),
    ] = None,
    workers: Workers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Count each document's tokens into n_tokens (int64), with a tokenizer given by path.

    Every document is kept. Nothing is downloaded: the file must be on disk.

    Example:

        curate tokens clean/ -o counted/ --tokenizer tokenizer.json

        curate tokens clean/ -o counted/ --tokenizer cl100k_base.tiktoken
    """
    from curate.step import print_map_summary
    from curate.tokens import tokens as run

    console = stderr_console(quiet)
    result = run(
        dataset,
        output,
        tokenizer=tokenizer,
        encoding=encoding,
        workers=workers,
        executor=build_executor(workers, backend, ray_address),
        overwrite=overwrite,
        console=console,
    )
    print_map_summary(console, result, "tokens", str(output))
