"""`curate train-classifier`: options → `curate.score.train.train_classifier`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from curate.cli.base import Backend, Overwrite, Quiet, RayAddress, Workers, app, build_executor
from curate.progress import stderr_console, summary_table, warn


def _d(name: str):  # the library's defaults, shown in --help
    from curate.score.params import TrainParams

    return getattr(TrainParams(), name)


@app.command("train-classifier")
def train_classifier(
    output: Annotated[Path, typer.Option("-o", "--output", help="Model file to write (.bin).")],
    positive: Annotated[
        list[str] | None,
        typer.Option("--positive", help="Dataset of positive examples (repeatable)."),
    ] = None,
    negative: Annotated[
        list[str] | None,
        typer.Option("--negative", help="Dataset of negative examples (repeatable)."),
    ] = None,
    input_ds: Annotated[
        str | None, typer.Option("--input", help="One dataset with a label column.")
    ] = None,
    label_column: Annotated[
        str | None, typer.Option("--label-column", help="Column of --input holding the label.")
    ] = None,
    positive_label: Annotated[
        str | None,
        typer.Option(
            "--positive-label",
            help="Name of the positive label (default: positive; with --input: the value "
            "that is positive, inferred for 0/1 and false/true).",
        ),
    ] = None,
    negative_label: Annotated[
        str | None,
        typer.Option("--negative-label", help="Name of the negative label (default: negative)."),
    ] = None,
    test_fraction: Annotated[
        float, typer.Option("--test-fraction", help="Share of documents held out for metrics.")
    ] = _d("test_fraction"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split and of fastText.")] = _d(
        "seed"
    ),
    epoch: Annotated[int, typer.Option("--epoch", help="fastText epochs.")] = _d("epoch"),
    lr: Annotated[float, typer.Option("--lr", help="fastText learning rate.")] = _d("lr"),
    word_ngrams: Annotated[
        int, typer.Option("--word-ngrams", help="fastText word n-gram length.")
    ] = _d("word_ngrams"),
    dim: Annotated[int, typer.Option("--dim", help="fastText vector size.")] = _d("dim"),
    bucket: Annotated[
        int, typer.Option("--bucket", help="fastText hash buckets for word n-grams.")
    ] = _d("bucket"),
    min_count: Annotated[
        int, typer.Option("--min-count", help="fastText: ignore words rarer than this.")
    ] = _d("min_count"),
    loss: Annotated[str, typer.Option("--loss", help="fastText loss: softmax|ova|hs|ns.")] = _d(
        "loss"
    ),
    autotune: Annotated[
        int,
        typer.Option(
            "--autotune",
            metavar="SECONDS",
            help="Search fastText's lr, epochs, word n-grams and dimensions for this long, "
            "judged by AUC on a validation part of the training documents (10%; never the "
            "held-out ones), starting from the given ones; the chosen ones go in MODEL.json.",
        ),
    ] = _d("autotune"),
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the model card (MODEL.json) on stdout.")
    ] = False,
    workers: Workers = None,
    backend: Backend = None,
    ray_address: RayAddress = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Train a fastText classifier with a held-out split; print precision, recall and AUC.

    Writes MODEL.bin and MODEL.json beside it (positive_label, labels, training
    parameters, data, held-out metrics). `curate score --model MODEL.bin --column NAME`
    then adds the positive label's probability. The data pass (read, prepare, split)
    runs shard by shard on --executor; fastText trains here with --workers threads.

    Example:

        curate train-classifier --positive wiki/ --negative crawl/ -o quality.bin

        curate train-classifier --input labelled/ --label-column label -o quality.bin

        curate score crawl/ -o scored/ --model quality.bin --column quality
    """
    from curate.score.params import TrainParams
    from curate.score.train import train_classifier as run_train

    console = stderr_console(quiet)
    params = TrainParams(
        epoch=epoch,
        lr=lr,
        word_ngrams=word_ngrams,
        dim=dim,
        bucket=bucket,
        min_count=min_count,
        loss=loss,
        seed=seed,
        test_fraction=test_fraction,
        autotune=autotune,
    )
    result = run_train(
        output,
        positive=list(positive or []),
        negative=list(negative or []),
        input=input_ds,
        label_column=label_column,
        positive_label=positive_label,
        negative_label=negative_label,
        params=params,
        workers=workers,
        executor=build_executor(workers, backend, ray_address),
        overwrite=overwrite,
        console=console,
    )
    for w in result.warnings:
        warn(console, w)
    console.print(summary_table(f"curate train-classifier → {output}", result.summary_rows()))
    if as_json:
        sys.stdout.write(json.dumps(result.card, indent=2, ensure_ascii=False) + "\n")
