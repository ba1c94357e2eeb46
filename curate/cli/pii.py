"""`curate pii`: options → `curate.pii.pii`."""

from __future__ import annotations

from collections.abc import Iterable
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
    rejected_option,
)
from curate.defaults import PHONE_REGIONS, PII_KINDS
from curate.progress import stderr_console

PiiRejected = Annotated[
    str | None,
    rejected_option(
        "Write the removed documents there, with a `reason` column (`pii_email>0`); "
        "needs --drop-if."
    ),
]


def _listed(names: Iterable[str]) -> str:
    """`a`, `b`, `c`: names as code, for a help text."""
    return ", ".join(f"`{n}`" for n in names)


@app.command()
def pii(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, Parquet file or glob.")],
    output: Output,
    kinds: Annotated[
        str | None,
        typer.Option(
            "--kinds",
            metavar="K[,K…]",
            help=f"Kinds to detect (default: all): {_listed(PII_KINDS)}.",
        ),
    ] = None,
    redact: Annotated[
        str | None,
        typer.Option(
            "--redact",
            metavar="K[,K…]|all",
            help="Replace each span of these kinds in `text` with `<KIND>` "
            f"({_listed(f'<{k.upper()}>' for k in PII_KINDS)}); `all`: every detected kind.",
        ),
    ] = None,
    spans: Annotated[
        bool,
        typer.Option("--spans", help="Add `pii_spans`: {`kind`, `start`, `end`} of every match."),
    ] = False,
    drop_if: Annotated[
        str | None,
        typer.Option(
            "--drop-if",
            metavar="K>N",
            help="Remove documents with more than N spans of kind K (`any>N`: all kinds "
            "together), e.g. `email>0`, `any>2`.",
        ),
    ] = None,
    phone_regions: Annotated[
        str | None,
        typer.Option(
            "--phone-regions",
            metavar="CC[,CC…]",
            help="Numbering plans (ISO 3166 alpha-2 codes) that phone numbers written without "
            "a `+` country code are validated against; a code without a plan exits 2 "
            f"(default: {', '.join(PHONE_REGIONS)}).",
        ),
    ] = None,
    rejected: PiiRejected = None,
    workers: Workers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Count personal data per document (pii_<kind>), optionally redact it or drop documents.

    Example:

        curate pii tagged/ -o clean/ --redact email,phone,ip

        curate pii tagged/ -o clean/ --spans --drop-if credit_card>0 --rejected pii-rej/
    """
    from curate.pii import pii as run
    from curate.step import print_map_summary

    console = stderr_console(quiet)
    result = run(
        dataset,
        output,
        kinds=kinds,
        redact=redact,
        spans=spans,
        drop_if=drop_if,
        rejected=rejected,
        phone_regions=phone_regions,
        workers=workers,
        executor=build_executor(workers, backend, ray_address),
        overwrite=overwrite,
        console=console,
    )
    print_map_summary(console, result, "pii", str(output))
