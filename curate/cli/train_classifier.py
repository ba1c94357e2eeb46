"""`curate train-classifier`: options → `curate.score.train.train_classifier`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from curate.cli.base import (
    app,
    build_executor,
    executor_help,
    executor_option,
    overwrite_option,
    quiet_option,
    ray_address_option,
    workers_option,
)
from curate.progress import stderr_console, summary_table, warn
from curate.score.params import NEGATIVE_LABEL, POSITIVE_LABEL, POSITIVE_NAMES

TrainWorkers = Annotated[
    int | None,
    workers_option(
        "fastText training threads, and the processes of the data pass (default: all cores; more "
        "than one training thread makes training non-deterministic, as in fastText itself)."
    ),
]
TrainExecutor = Annotated[
    str | None,
    executor_option(
        executor_help(
            "the data pass (read, prepare, split)",
            "fastText trains on the machine running `curate`; the training file is the same bytes "
            "on every executor.",
        )
    ),
]
TrainRayAddress = Annotated[
    str | None,
    ray_address_option(
        "The Ray cluster of the data pass (`auto`, `ray://host:10001`; default `RAY_ADDRESS`; with "
        "neither, a local Ray with --workers CPUs)."
    ),
]
TrainOverwrite = Annotated[bool, overwrite_option("Replace an existing model and card.")]
TrainQuiet = Annotated[bool, quiet_option("No summary.")]


def _d(name: str):  # the library's defaults, shown in --help
    from curate.score.params import TrainParams

    return getattr(TrainParams(), name)


@app.command("train-classifier")
def train_classifier(
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            metavar="MODEL.bin",
            help="The model file; the card is written beside it as `MODEL.json` (the path with "
            "the suffix `.json`); parent folders are created.",
        ),
    ],
    positive: Annotated[
        list[str] | None,
        typer.Option(
            "--positive",
            metavar="DS",
            help="Dataset (curate folder, Parquet file, folder or glob) of positive examples; "
            "repeatable.",
        ),
    ] = None,
    negative: Annotated[
        list[str] | None,
        typer.Option("--negative", metavar="DS", help="Dataset of negative examples; repeatable."),
    ] = None,
    input_ds: Annotated[
        str | None,
        typer.Option(
            "--input",
            metavar="DS",
            help="Instead of --positive/--negative: one dataset with a label column.",
        ),
    ] = None,
    label_column: Annotated[
        str | None,
        typer.Option(
            "--label-column",
            metavar="COL",
            help="The column of --input holding each document's label (strings, integers or "
            "booleans; every distinct value is a label).",
        ),
    ] = None,
    positive_label: Annotated[
        str | None,
        typer.Option(
            "--positive-label",
            metavar="NAME",
            help="With --positive/--negative: the positive label's name (default "
            f"`{POSITIVE_LABEL}`); with --input: which value is positive, inferred for `0`/`1` "
            "(→ `1`), `false`/`true` (→ `true`) and for two labels of which exactly one is "
            f"{', '.join(f'`{n}`' for n in POSITIVE_NAMES[:-1])} or `{POSITIVE_NAMES[-1]}`; "
            "otherwise required.",
        ),
    ] = None,
    negative_label: Annotated[
        str | None,
        typer.Option(
            "--negative-label",
            metavar="NAME",
            help=f"The negative label's name (default `{NEGATIVE_LABEL}`; --positive/--negative "
            "only).",
        ),
    ] = None,
    test_fraction: Annotated[
        float,
        typer.Option(
            "--test-fraction", metavar="X", help="Share of documents held out for the metrics."
        ),
    ] = _d("test_fraction"),
    seed: Annotated[
        int,
        typer.Option("--seed", metavar="N", help="Seed of the held-out split and of fastText."),
    ] = _d("seed"),
    epoch: Annotated[int, typer.Option("--epoch", metavar="N", help="fastText epochs.")] = _d(
        "epoch"
    ),
    lr: Annotated[float, typer.Option("--lr", metavar="X", help="fastText learning rate.")] = _d(
        "lr"
    ),
    word_ngrams: Annotated[
        int,
        typer.Option(
            "--word-ngrams",
            metavar="N",
            help="fastText word n-gram length (2: words and bigrams).",
        ),
    ] = _d("word_ngrams"),
    dim: Annotated[int, typer.Option("--dim", metavar="N", help="fastText vector size.")] = _d(
        "dim"
    ),
    bucket: Annotated[
        int,
        typer.Option(
            "--bucket",
            metavar="N",
            help="fastText hash buckets for word n-grams (fastText's own default, 2,000,000, "
            "makes a model of 800 MB at dim 100 and scored no better on the data in "
            "docs/train-classifier.md).",
        ),
    ] = _d("bucket"),
    min_count: Annotated[
        int,
        typer.Option("--min-count", metavar="N", help="fastText: ignore words seen fewer times."),
    ] = _d("min_count"),
    loss: Annotated[
        str,
        typer.Option(
            "--loss",
            metavar="softmax|ova|hs|ns",
            help="fastText loss: `softmax`, `ova`, `hs` or `ns`.",
        ),
    ] = _d("loss"),
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
        bool,
        typer.Option(
            "--json",
            help="Also print the card (`MODEL.json`) on stdout (the summary stays on stderr).",
        ),
    ] = False,
    workers: TrainWorkers = None,
    backend: TrainExecutor = None,
    ray_address: TrainRayAddress = None,
    overwrite: TrainOverwrite = False,
    quiet: TrainQuiet = False,
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
