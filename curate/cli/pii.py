"""`curate pii`: options → `curate.pii.pii`."""

from __future__ import annotations

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


@app.command()
def pii(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, Parquet file or glob.")],
    output: Output,
    kinds: Annotated[
        str | None,
        typer.Option(
            "--kinds",
            help="Kinds to detect: email,phone,ip,credit_card,us_ssn,iban (default: all).",
        ),
    ] = None,
    redact: Annotated[
        str | None,
        typer.Option("--redact", help="Replace these kinds (or all) with <KIND> in the text."),
    ] = None,
    spans: Annotated[
        bool,
        typer.Option("--spans", help="Add pii_spans: {kind, start, end} of every match."),
    ] = False,
    drop_if: Annotated[
        str | None,
        typer.Option(
            "--drop-if", help="Remove documents with more than N of a kind: email>0, any>2."
        ),
    ] = None,
    phone_regions: Annotated[
        str | None,
        typer.Option(
            "--phone-regions",
            help="Numbering plans (ISO 3166 codes, e.g. GB,FR,DE) that phone numbers "
            "without a +country code are validated against (default: a broad set, see "
            "docs/pii.md).",
        ),
    ] = None,
    rejected: Rejected = None,
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
