"""`curate train-classifier`: a fastText classifier, its held-out metrics and its card.

The recipe is the one people use by hand (one document per line, `__label__X text`,
newlines turned into spaces, `fasttext.train_supervised` with word bigrams), wrapped so
that the result can be trusted and reused:

* a held-out split (seeded, streaming: each row draws once from a seeded generator,
  so memory stays bounded by the batch size) and metrics on it, printed and kept;
* the model is scored with the same inference `curate score` uses, so the AUC in
  the card is the AUC a user gets from `score --model`;
* `MODEL.json` beside the model records `positive_label` (what `score` picks by
  default), the labels, the training parameters, the data and the metrics.

Documents are prepared exactly as `curate score` prepares them: newlines become
spaces, and tokens that start with `__label__` are dropped (fastText would read them
as extra labels while training and ignores them while predicting).

The data pass (read, prepare, split) runs shard by shard on the executor
(`--executor local|ray`); each shard's rows draw from the one seeded stream at their
own offset in it, and the parts are joined in dataset order, so the training file is
the same bytes on any executor and with any number of workers.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate import __version__
from curate.dataset import Dataset, Shard, open_dataset
from curate.errors import CurateError
from curate.executor import (
    Executor,
    default_workers,
    lineage_facts,
    make_executor,
    report,
    run_units,
)
from curate.score.fasttext import LABEL_PREFIX
from curate.score.params import NEGATIVE_LABEL, POSITIVE_LABEL, POSITIVE_NAMES, TrainParams

CARD_FORMAT = "curate.classifier/1"
THRESHOLD = 0.5
_POSITIVE_NAMES = POSITIVE_NAMES


@dataclass
class TrainResult:
    """What a training run made: the model, its card, and the numbers in the summary."""

    model: Path
    card_path: Path
    card: dict[str, Any]
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def summary_rows(self) -> list[tuple[str, str]]:
        c = self.card
        rows: list[tuple[str, str]] = []
        for part in ("train", "test"):
            for lab, n in sorted(c["data"]["rows"][part].items()):
                rows.append((f"{part}: {lab.removeprefix(LABEL_PREFIX)}", f"{n:,}"))
        for reason, n in sorted(c["data"]["skipped"].items()):
            rows.append((f"skipped: {reason}", f"{n:,}"))
        m = c["metrics"]
        for key in ("precision", "recall", "f1", "accuracy", "auc"):
            v = m.get(key)
            rows.append((f"held-out {key}", "n/a" if v is None else f"{v:.3f}"))
        rows.append(("positive label", c["positive_label"]))
        rows.append(("model", str(self.model)))
        rows.append(("card", str(self.card_path)))
        rows.append(("time", f"{self.seconds:.1f} s"))
        return rows


def card_path_for(model: str | os.PathLike[str]) -> Path:
    """MODEL.json beside MODEL.bin: the model's path with the suffix `.json`."""
    return Path(model).with_suffix(".json")


def train_classifier(
    output: str | os.PathLike[str],
    *,
    positive: list[str] | None = None,
    negative: list[str] | None = None,
    input: str | None = None,  # noqa: A002 - the CLI's --input
    label_column: str | None = None,
    positive_label: str | None = None,
    negative_label: str | None = None,
    params: TrainParams | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    overwrite: bool = False,
    console: Any = None,
) -> TrainResult:
    """Train a fastText classifier, write it to `output` and its card beside it.

    The data pass runs on `executor` (default: local worker processes, `workers` of
    them); fastText trains here with `workers` threads. See docs/train-classifier.md.
    """
    import time

    t0 = time.monotonic()
    params = params or TrainParams()
    out = Path(output)
    card = card_path_for(out)
    _check_params(params)
    _check_output(out, card, overwrite)
    data = _DataPass(executor or make_executor(workers), console)
    sources = _sources(
        positive, negative, input, label_column, positive_label, negative_label, data
    )
    pos_full = LABEL_PREFIX + sources.positive
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".curate-train-", dir=out.parent) as tmp:
        train_txt = Path(tmp) / "train.txt"
        counts, test_parts = _write_split(sources, data, params, Path(tmp), train_txt)
        trained = {lab for lab, n in counts["train"].items() if n > 0}
        if pos_full not in trained or len(trained) < 2:
            raise CurateError(
                "training data needs documents of at least two labels, the positive one "
                f"({sources.positive}) among them; got {_fmt_counts(counts['train']) or 'none'}"
            )
        tmp_model = Path(tmp) / "model.bin"
        if params.autotune:
            tuned = _autotune(train_txt, tmp_model, params, workers, pos_full)
            validation = Counter(tuned.pop("validation_rows"))
            counts["train"] = counts["train"] - validation  # what the model was fitted on
            counts["validation"] = validation
        else:
            tuned = None
            _train(train_txt, tmp_model, params, workers)
        metrics, warnings = _evaluate(tmp_model, test_parts, pos_full)
        os.replace(tmp_model, out)
    from curate.score.fasttext import forget_models, load_model
    from curate.score.step import sha256_file

    forget_models()
    labels = load_model(out).labels
    forget_models()
    card_data = {
        "format": CARD_FORMAT,
        "model": out.name,
        "model_sha256": sha256_file(out),
        "positive_label": pos_full,
        "labels": labels,
        "params": {**asdict(params), "threads": workers or default_workers()},
        **({"autotuned": tuned} if tuned is not None else {}),
        "text_preparation": "newlines → spaces; tokens starting with __label__ removed",
        "data": {
            **sources.describe(),
            "rows": {part: dict(sorted(c.items())) for part, c in counts.items() if part != "skip"},
            "skipped": dict(sorted(counts["skip"].items())),
            **lineage_facts(data.executor),
        },
        "metrics": metrics,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "created_by": f"curate {__version__}",
    }
    tmp_card = card.with_name(f".tmp-{card.name}")
    tmp_card.write_text(json.dumps(card_data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp_card, card)
    return TrainResult(out, card, card_data, time.monotonic() - t0, warnings)


# --------------------------------------------------------------------------- checks


def _check_params(p: TrainParams) -> None:
    if not 0 < p.test_fraction < 1:
        raise CurateError(f"--test-fraction {p.test_fraction}: must be between 0 and 1")
    for name in ("epoch", "dim", "word_ngrams", "min_count"):
        if getattr(p, name) < 1:
            raise CurateError(f"--{name.replace('_', '-')} must be at least 1")
    if p.lr <= 0:
        raise CurateError("--lr must be greater than 0")
    if p.bucket < 0:
        raise CurateError("--bucket must be 0 or more")
    if p.loss not in ("softmax", "ova", "hs", "ns"):
        raise CurateError(f"--loss {p.loss}: choose one of softmax, ova, hs, ns")
    if p.autotune < 0:
        raise CurateError(f"--autotune {p.autotune}: give seconds of search, or 0 for none")
    if not 0 < p.validation_fraction < 1:
        raise CurateError(f"validation_fraction {p.validation_fraction}: must be between 0 and 1")


def _check_output(out: Path, card: Path, overwrite: bool) -> None:
    if out.suffix == ".json":
        raise CurateError(f"-o {out}: the model's card gets that name; give the model a .bin name")
    if out.is_dir():
        raise CurateError(
            f"-o {out}: is a folder; give the model file's path, e.g. {out}/model.bin"
        )
    for p in (out, card):
        if p.exists() and not overwrite:
            raise CurateError(f"{p}: already exists; pass --overwrite to replace it")


# --------------------------------------------------------------------------- reading


@dataclass
class _Sources:
    """Where the documents come from and how each gets its label."""

    positive: str
    labelled: list[tuple[str, str]]  # (dataset, fixed label) in pos/neg mode
    input: str | None = None
    label_column: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # raw value -> label (input mode)

    def describe(self) -> dict[str, Any]:
        if self.input is not None:
            return {"input": self.input, "label_column": self.label_column}
        return {
            "positive": [d for d, lab in self.labelled if lab == self.positive],
            "negative": [d for d, lab in self.labelled if lab != self.positive],
        }


def _sources(
    positive: list[str] | None,
    negative: list[str] | None,
    input: str | None,  # noqa: A002
    label_column: str | None,
    positive_label: str | None,
    negative_label: str | None,
    data: _DataPass,
) -> _Sources:
    if input is not None or label_column is not None:
        if positive or negative:
            raise CurateError(
                "use either --positive/--negative or --input/--label-column, not both"
            )
        if input is None or label_column is None:
            raise CurateError("--input DS and --label-column COL go together; give both")
        if negative_label is not None:
            raise CurateError(
                "--negative-label is for --positive/--negative; --input labels "
                "come from --label-column"
            )
        values = _label_values(data, input, label_column)
        labels = sorted(set(values.values()))
        pos = _pick_positive(labels, positive_label, label_column)
        return _Sources(pos, [], input, label_column, values)
    if not positive or not negative:
        raise CurateError("give --positive DS and --negative DS (or --input DS --label-column COL)")
    pos = _label_name(positive_label or POSITIVE_LABEL, "--positive-label")
    neg = _label_name(negative_label or NEGATIVE_LABEL, "--negative-label")
    if pos == neg:
        raise CurateError(
            f"--positive-label and --negative-label are both `{pos}`; name them apart"
        )
    for ds in (*positive, *negative):
        data.open(ds)
    return _Sources(pos, [(d, pos) for d in positive] + [(d, neg) for d in negative])


def _label_name(label: str, option: str) -> str:
    name = label.removeprefix(LABEL_PREFIX)
    if not name or any(c.isspace() for c in name):
        raise CurateError(f"{option} {label!r}: a label needs at least one character and no spaces")
    return name


class _DataPass:
    """The datasets the pass reads and the executor their shards run on.

    The executor is chosen for the size of everything read (small inputs run on
    threads of this process), once every dataset is open.
    """

    def __init__(self, base: Executor, console: Any) -> None:
        self.base = base
        self.console = console
        self.datasets: dict[str, Dataset] = {}
        self._executor: Executor | None = None

    def open(self, spec: str) -> Dataset:
        """The dataset at `spec`, which must have a `text` column."""
        ds = self.datasets.get(spec)
        if ds is None:
            ds = self.datasets[spec] = open_dataset(spec)
            if "text" not in ds.schema.names:
                raise CurateError(
                    f"{spec}: has no `text` column; ingest it with `curate ingest` first"
                )
        return ds

    @property
    def executor(self) -> Executor:
        if self._executor is None:
            sets = self.datasets.values()
            self._executor = self.base.for_input(
                sum(d.rows for d in sets), sum(d.bytes for d in sets)
            )
        return self._executor

    def run(self, fn: Any, units: list[Any], label: str | None, on_result: Any) -> None:
        """Run `units` on the executor, handing each result to `on_result` as it comes;
        with a `label`, their progress is shown."""
        from curate.progress import StepProgress

        progress = None
        if label is not None and self.console is not None:
            progress = StepProgress(self.console, label=label, units=len(units), unit_name="shards")
        run_units(
            self.executor,
            fn,
            units,
            progress=progress,
            on_result=lambda _unit, res: on_result(res),
            what="shard",
        )


@dataclass(frozen=True)
class ShardUnit:
    """One shard of a labelled dataset: a unit of the data pass."""

    index: int  # its place in the pass: the parts are joined in this order
    location: str
    shard: Shard
    schema: pa.Schema  # of the columns read: `text` and the label column, or the latter
    label: str | None = None  # the fixed label (--positive/--negative), else the column's
    offset: int = 0  # documents of the pass before this shard: where its draws start
    seed: int = 0
    test_fraction: float = 0.0
    folder: str = ""  # where its parts are written

    def batches(self):
        ds = Dataset(self.location, [self.shard], self.schema)
        return ds.shard_batches(self.shard, columns=self.schema.names)


def _units(
    data: _DataPass, specs: list[tuple[str, str | None]], columns: list[str], **kw: Any
) -> list[ShardUnit]:
    """A unit per shard of each (dataset, fixed label), in that order, with its offset."""
    units: list[ShardUnit] = []
    offset = 0
    for spec, label in specs:
        ds = data.open(spec)
        schema = pa.schema([ds.schema.field(c) for c in columns])
        for shard in ds.shards:
            units.append(ShardUnit(len(units), ds.location, shard, schema, label, offset, **kw))
            offset += shard.rows
    return units


def _as_labels(col: pa.Array | pa.ChunkedArray) -> pl.Series:
    """Label values as strings: booleans as true/false, numbers as written."""
    s = pl.Series("v", col)
    if s.dtype == pl.Boolean:
        return s.cast(pl.String).str.to_lowercase()
    return s.cast(pl.String)


def _shard_label_values(unit: ShardUnit) -> set[str]:
    """The distinct values of a shard's label column (stops past 1000: not a label)."""
    seen: set[str] = set()
    for batch in unit.batches():
        labels = _as_labels(batch.column(batch.num_columns - 1))
        seen.update(v for v in labels.unique().to_list() if v is not None)
        if len(seen) > 1000:
            break
    return seen


def _label_values(data: _DataPass, ds: str, column: str) -> dict[str, str]:
    schema = data.open(ds).schema
    if column not in schema.names:
        raise CurateError(
            f"{ds}: has no column `{column}` for --label-column; its columns are: "
            + ", ".join(schema.names)
        )
    seen: set[str] = set()

    def add(values: set[str]) -> None:
        seen.update(values)
        if len(seen) > 1000:
            raise CurateError(
                f"--label-column {column}: holds over 1000 distinct values; "
                "is it really a label column?"
            )

    units = _units(data, [(ds, None)], [column])
    data.run(_shard_label_values, units, None, add)  # one column: quick, no progress
    values = {}
    for v in sorted(seen):
        if not v or any(c.isspace() for c in v):
            raise CurateError(
                f"--label-column {column}: value {v!r} holds whitespace or is empty; "
                "fastText labels are single tokens: recode it first"
            )
        values[v] = v.removeprefix(LABEL_PREFIX)
    return values


def _pick_positive(labels: list[str], given: str | None, column: str) -> str:
    if len(labels) < 2:
        raise CurateError(
            f"--label-column {column}: needs at least two labels, found {labels or 'none'}"
        )
    if given is not None:
        name = given.removeprefix(LABEL_PREFIX)
        if name not in labels:
            raise CurateError(
                f"--positive-label {given}: not a value of `{column}`; its values are: "
                + ", ".join(labels[:20])
            )
        return name
    if set(labels) == {"0", "1"}:
        return "1"
    if set(labels) == {"false", "true"}:
        return "true"
    if len(labels) == 2:
        named = [lab for lab in labels if lab.lower() in _POSITIVE_NAMES]
        if len(named) == 1:
            return named[0]
    raise CurateError(
        f"--label-column {column}: labels are {', '.join(labels[:20])}; "
        "pass --positive-label LABEL to say which one is positive"
    )


def prepare_training_text(text: pl.Series) -> pl.Series:
    """One line per document, without tokens fastText would read as labels."""
    return text.str.replace_all(r"[\n\r\x0b\x0c]", " ").str.replace_all(
        r"(?:^|[ \t])__label__\S*", " "
    )


TEST_SCHEMA = pa.schema([("label", pa.string()), ("text", pa.large_string())])


@dataclass
class _Part:
    """What one shard gave: its counts, and the names of its parts (None when empty)."""

    index: int
    counts: dict[str, Counter[str]]
    train: str | None
    test: str | None


def _split_shard(unit: ShardUnit) -> _Part:
    """Prepare one shard's documents into its training part and its held-out part.

    Its rows draw from the pass's one generator (seeded with `--seed`) at their own
    offset in it, so every document draws what it would in a single sequential pass.
    """
    rng = np.random.Generator(np.random.PCG64(unit.seed).advance(unit.offset))
    counts: dict[str, Counter[str]] = {"train": Counter(), "test": Counter(), "skip": Counter()}
    folder = Path(unit.folder)
    train_name, test_name = f"train-{unit.index:06d}.txt", f"test-{unit.index:06d}.parquet"
    writer: pq.ParquetWriter | None = None
    wrote_train = False
    try:
        with (folder / train_name).open("w", encoding="utf-8") as fh:
            for text, labels in _labelled(unit):
                keep = text.is_not_null() & (text.str.strip_chars() != "")
                counts["skip"]["no text"] += int((~keep & labels.is_not_null()).sum())
                counts["skip"]["no label"] += int(labels.is_null().sum())
                keep = keep & labels.is_not_null()
                is_test = pl.Series(rng.random(len(text)) < unit.test_fraction)
                prepared = prepare_training_text(text)
                full = LABEL_PREFIX + labels
                train = keep & ~is_test
                test = keep & is_test
                lines = (full.filter(train) + " " + prepared.filter(train)).to_list()
                if lines:
                    fh.write("\n".join(lines) + "\n")
                    wrote_train = True
                counts["train"].update(dict(full.filter(train).value_counts().iter_rows()))
                t_lab, t_text = full.filter(test), text.filter(test)
                counts["test"].update(dict(t_lab.value_counts().iter_rows()))
                if len(t_lab):
                    if writer is None:
                        writer = pq.ParquetWriter(folder / test_name, TEST_SCHEMA)
                    writer.write_table(
                        pa.table(
                            {
                                "label": t_lab.to_arrow().cast(pa.string()),
                                "text": t_text.to_arrow().cast(pa.large_string()),
                            },
                            schema=TEST_SCHEMA,
                        )
                    )
                report(docs=len(text))
    finally:
        if writer is not None:
            writer.close()
    if not wrote_train:
        (folder / train_name).unlink()
    return _Part(
        unit.index, counts, train_name if wrote_train else None, test_name if writer else None
    )


def _labelled(unit: ShardUnit):
    """(text, label) batches of a shard as Polars Series; labels without the prefix."""
    for batch in unit.batches():
        text = _text_series(batch.column(0))
        if unit.label is None:
            labels = _as_labels(batch.column(1)).str.strip_prefix(LABEL_PREFIX)
        else:
            labels = pl.Series("v", [unit.label] * len(text), dtype=pl.String)
        yield text, labels


def _write_split(
    sources: _Sources, data: _DataPass, params: TrainParams, folder: Path, train_txt: Path
) -> tuple[dict[str, Counter[str]], list[Path]]:
    """Every labelled document into the training file or a held-out part, shard by shard.

    The shards' training parts are appended to `train_txt` in dataset order as soon as
    every earlier one is in (a part that came early waits on disk, not in memory).
    Returns the counts and the held-out parts in dataset order.
    """
    if sources.input is not None:
        assert sources.label_column is not None
        specs: list[tuple[str, str | None]] = [(sources.input, None)]
        columns = ["text", sources.label_column]
    else:
        specs = [(d, lab) for d, lab in sources.labelled]
        columns = ["text"]
    units = _units(
        data,
        specs,
        columns,
        seed=params.seed,
        test_fraction=params.test_fraction,
        folder=str(folder),
    )
    counts: dict[str, Counter[str]] = {"train": Counter(), "test": Counter(), "skip": Counter()}
    waiting: dict[int, _Part] = {}
    tests: list[Path] = []
    with train_txt.open("wb") as fh:

        def join(part: _Part) -> None:
            for key, c in part.counts.items():
                counts[key].update(c)
            waiting[part.index] = part
            while len(tests) < len(units) and (ready := waiting.pop(len(tests), None)):
                if ready.train is not None:
                    with _part(folder, ready.train).open("rb") as src:
                        shutil.copyfileobj(src, fh, 1 << 20)
                    (folder / ready.train).unlink()
                tests.append(_part(folder, ready.test) if ready.test else Path())

        data.run(_split_shard, units, "train-classifier: reading", join)
    counts["skip"] = Counter({k: v for k, v in counts["skip"].items() if v})
    return counts, [t for t in tests if t != Path()]


def _part(folder: Path, name: str) -> Path:
    """A part a unit wrote; one missing was written on a machine that does not share it."""
    path = folder / name
    if not path.exists():
        raise CurateError(
            f"{path}: a worker wrote it but it is not here; on a Ray cluster the model's "
            "folder (-o) must be one every node sees under the same path"
        )
    return path


def _text_series(col: pa.Array) -> pl.Series:
    s = pl.Series("t", col)
    return s if s.dtype == pl.String else pl.Series("t", [None] * len(s), dtype=pl.String)


def _fmt_counts(c: Counter[str]) -> str:
    return ", ".join(f"{k.removeprefix(LABEL_PREFIX)} {v}" for k, v in sorted(c.items()))


# --------------------------------------------------------------------------- train and test


def _train(train_txt: Path, out: Path, p: TrainParams, workers: int | None) -> None:
    import fasttext

    try:
        model = fasttext.train_supervised(
            input=str(train_txt),
            epoch=p.epoch,
            lr=p.lr,
            wordNgrams=p.word_ngrams,
            dim=p.dim,
            bucket=p.bucket,
            minCount=p.min_count,
            loss=p.loss,
            seed=p.seed,
            thread=workers or default_workers(),
            verbose=0,
        )
    except (ValueError, RuntimeError, MemoryError) as exc:
        raise CurateError(f"fastText training failed: {' '.join(str(exc).split())}") from None
    model.save_model(str(out))


def _autotune(
    train_txt: Path, out: Path, p: TrainParams, workers: int | None, positive: str
) -> dict[str, Any]:
    """Search lr, epochs, word n-grams and dimensions for `p.autotune` seconds, judged by
    ROC AUC on a validation part carved from the training documents (never from the
    held-out test documents, so the reported metrics stay honest); then train the best
    on every training document. Returns what it chose, for the card.

    Not fastText's own autotune: that also searches the bucket count up to 10 million,
    gigabytes per trial (5 GB for a 240-document test set here), and scores by F1 where
    a quality classifier is used to rank. This search keeps `--bucket` and `--loss`.
    """
    import random
    import time

    fit_txt, valid_txt = train_txt.with_name("fit.txt"), train_txt.with_name("valid.txt")
    rng = np.random.default_rng([p.seed, 1])  # its own stream: the test split is untouched
    valid_rows: Counter[str] = Counter()
    with train_txt.open("rb") as src, fit_txt.open("wb") as fit, valid_txt.open("wb") as val:
        for line in src:
            if rng.random() < p.validation_fraction:
                val.write(line)
                valid_rows[line.split(b" ", 1)[0].decode()] += 1
            else:
                fit.write(line)
    if len(valid_rows) < 2:
        raise CurateError(
            "--autotune needs documents of both labels in its validation part "
            f"({p.validation_fraction:.0%} of the training documents); got "
            f"{_fmt_counts(valid_rows) or 'none'}: label more documents"
        )
    deadline = time.monotonic() + p.autotune
    pick = random.Random(p.seed)
    best, best_auc, trials = p, -1.0, 0
    candidate = p  # the defaults first: a search never ends worse than not searching
    while True:
        trial = fit_txt.with_name("trial.bin")
        _train(fit_txt, trial, candidate, workers)
        score = _validation_auc(trial, valid_txt, positive)
        trials += 1
        if score > best_auc:
            best, best_auc = candidate, score
        if time.monotonic() >= deadline:
            break
        candidate = replace(
            p,
            lr=round(math.exp(pick.uniform(math.log(0.05), math.log(2.0))), 3),
            epoch=pick.randint(5, 50),
            word_ngrams=pick.choice((1, 2, 3)),
            dim=pick.choice((16, 32, 64, 100)),
        )
    _train(train_txt, out, best, workers)
    return {
        "epoch": best.epoch,
        "lr": best.lr,
        "word_ngrams": best.word_ngrams,
        "dim": best.dim,
        "seconds": p.autotune,
        "trials": trials,
        "validation_auc": round(best_auc, 4),
        "validation_rows": dict(sorted(valid_rows.items())),
    }


def _validation_auc(model_path: Path, valid_txt: Path, positive: str) -> float:
    """ROC AUC of P(positive) on fastText-format lines (`__label__x text`)."""
    import fasttext

    model = fasttext.load_model(str(model_path))
    truth, scores = [], []
    with valid_txt.open(encoding="utf-8") as fh:
        for line in fh:
            label, _, text = line.partition(" ")
            probs = {lab: pr for pr, lab in model.f.predict(text, -1, 0.0, "strict")}
            truth.append(label == positive)
            scores.append(probs.get(positive, 0.0))
    auc = roc_auc(np.array(truth), np.array(scores))
    return -1.0 if auc is None else auc  # None: one label only, which the caller rules out


def _evaluate(
    model_path: Path, test_parts: list[Path], positive: str
) -> tuple[dict[str, Any], list[str]]:
    """Held-out precision/recall/F1/accuracy at P(positive) ≥ 0.5, and ROC AUC."""
    from curate.score.fasttext import forget_models, load_model, predict_labels

    model = load_model(model_path)
    scores: list[np.ndarray] = []
    truth: list[np.ndarray] = []
    batches = (
        batch
        for part in test_parts
        for batch in pq.ParquetFile(part).iter_batches(batch_size=10_000)
    )
    for batch in batches:
        probs = predict_labels(model, batch.column(1), [positive])[positive]
        scores.append(np.nan_to_num(probs.to_numpy(zero_copy_only=False), nan=0.0))
        truth.append(np.asarray(batch.column(0).to_pylist(), dtype=object) == positive)
    forget_models()
    s = np.concatenate(scores) if scores else np.zeros(0)
    y = np.concatenate(truth).astype(bool) if truth else np.zeros(0, bool)
    return binary_metrics(y, s)


def binary_metrics(y: np.ndarray, s: np.ndarray) -> tuple[dict[str, Any], list[str]]:
    """Precision, recall, F1, accuracy at `THRESHOLD`, and ROC AUC (None when undefined)."""
    warnings: list[str] = []
    pred = s >= THRESHOLD
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum())
    n = len(y)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall > 0
        else None
    )
    auc = roc_auc(y, s)
    if n == 0:
        warnings.append("the held-out split is empty: raise --test-fraction or add documents")
    elif auc is None:
        warnings.append("the held-out split holds one label only: AUC is undefined")
    metrics = {
        "threshold": THRESHOLD,
        "test_documents": n,
        "test_positive": int(y.sum()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": float((pred == y).mean()) if n else None,
        "auc": auc,
    }
    return metrics, warnings


def roc_auc(y: np.ndarray, s: np.ndarray) -> float | None:
    """ROC AUC by the rank-sum formula (ties get their average rank)."""
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    sorted_s = s[order]
    ranks = np.empty(len(s), dtype=np.float64)
    starts = np.flatnonzero(np.concatenate([[True], sorted_s[1:] != sorted_s[:-1]]))
    ends = np.concatenate([starts[1:], [len(s)]])
    avg = (starts + ends + 1) / 2.0  # 1-based average rank of each tie group
    ranks[order] = np.repeat(avg, ends - starts)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
