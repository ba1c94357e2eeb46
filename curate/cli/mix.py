"""`curate mix`: options → `curate.mix.mix`."""

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
from curate.progress import human_bytes, stderr_console, summary_table


@app.command()
def mix(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Inputs as NAME=DATASET:WEIGHT (weights are relative).", show_default=False
        ),
    ],
    output: Output,
    tokens: Annotated[
        str | None,
        typer.Option(
            "--tokens",
            help="Weigh by tokens (needs n_tokens) and take this many in all, e.g. 2e9.",
            show_default=False,
        ),
    ] = None,
    documents: Annotated[
        str | None,
        typer.Option(
            "--documents",
            help="Weigh by documents and take this many in all (default: the most that "
            "needs no up-sampling).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the sampling, splits and shuffle.")
    ] = 0,
    split: Annotated[
        list[str] | None,
        typer.Option(
            "--split",
            help="NAME=FRACTION of documents held out as a split (repeatable); the rest is train.",
            show_default=False,
        ),
    ] = None,
    buffer_size: Annotated[
        str,
        typer.Option(
            "--buffer-size", help="Shuffle buffer: rows shuffled in memory at once, as bytes."
        ),
    ] = "256MiB",
    workers: Workers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Mix datasets into a training mixture: weighted, sampled by seed, shuffled, split.

    Writes one dataset per split: OUT/train and one per --split.

    Example:

        curate mix web=clean-web/:0.7 code=clean-code/:0.2 books=books/:0.1 --tokens 2e9
        --seed 0 --split val=0.01 -o mixture/
    """
    from curate.errors import CurateError
    from curate.export import parse_size
    from curate.mix import mix as run_mix
    from curate.mix import parse_input, parse_split

    console = stderr_console(quiet)

    def count(opt: str, text: str | None) -> int | None:
        if text is None:
            return None
        try:
            value = float(text)
        except ValueError:
            raise CurateError(f"{opt} {text!r}: not a number (e.g. 2e9 or 2000000000)") from None
        if not value >= 1 or value != value or value == float("inf"):
            raise CurateError(f"{opt} {text!r}: must be at least 1")
        return int(value)

    result = run_mix(
        [parse_input(i) for i in inputs],
        output,
        tokens=count("--tokens", tokens),
        documents=count("--documents", documents),
        seed=seed,
        splits=[parse_split(s) for s in split or []],
        buffer_bytes=parse_size(buffer_size, option="--buffer-size"),
        workers=workers,
        executor=build_executor(workers, backend, ray_address),
        overwrite=overwrite,
        console=console,
    )
    if result.up_to_date:
        console.print(f"{output}: up to date (same inputs and options); nothing to do")
        return
    rows: list[tuple[str, str]] = []
    for p in result.plans:
        what = f"{p.documents:,} docs" + (f", {p.tokens:,} tokens" if p.tokens is not None else "")
        rows.append((f"{p.name} (weight {p.weight:g})", f"{what}; ×{p.rate:.3g} each"))
    for name, ds in result.splits.items():
        per = result.copies.get(name, {})
        total = sum(per.values()) or 1
        shares = ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(per.items()))
        size = human_bytes(ds.bytes) if ds is not None else "-"
        rows.append((f"{name}", f"{ds.rows if ds else 0:,} rows, {size} ({shares})"))
    rows.append(("time", f"{result.seconds:.1f} s"))
    console.print(summary_table(f"curate mix → {output}", rows))
