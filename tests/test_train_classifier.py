"""`curate train-classifier`: a tiny fastText model from data the test builds, its card, errors."""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import read_rows, run

from curate.score.train import prepare_training_text, roc_auc

GOOD = "river mill bread flour village baker ledger morning history science".split()
BAD = "casino cheap click buy now free offer winner loan bonus".split()
TINY = ["--epoch", "5", "--dim", "8", "--bucket", "2000", "--workers", "1"]


def docs(words, n, seed):
    rng = random.Random(seed)
    return [" ".join(rng.choice(words) for _ in range(rng.randint(8, 30))) for _ in range(n)]


def write(path, texts, **columns):
    ids = [f"{path.stem}{i}" for i in range(len(texts))]
    table = pa.table({"id": ids, "text": pa.array(texts, pa.large_string()), **columns})
    pq.write_table(table, path)
    return path


@pytest.fixture
def pos_neg(tmp_path):
    return write(tmp_path / "pos.parquet", docs(GOOD, 120, 1)), write(
        tmp_path / "neg.parquet", docs(BAD, 120, 2)
    )


def test_positive_negative_trains_prints_metrics_and_writes_the_card(tmp_path, pos_neg):
    pos, neg = pos_neg
    out = tmp_path / "models" / "quality.bin"
    r = run("train-classifier", "--positive", pos, "--negative", neg, "-o", out, *TINY)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    for name in ("precision", "recall", "auc"):
        assert re.search(rf"held-out {name}\s*│\s*1\.000", r.stderr), r.stderr
    card = json.loads((tmp_path / "models" / "quality.json").read_text())
    assert card["positive_label"] == "__label__positive"
    assert sorted(card["labels"]) == ["__label__negative", "__label__positive"]
    assert card["params"]["epoch"] == 5 and card["params"]["dim"] == 8
    assert card["params"]["word_ngrams"] == 2 and card["params"]["test_fraction"] == 0.2
    assert card["metrics"]["auc"] == 1.0 and card["metrics"]["test_documents"] > 20
    rows = card["data"]["rows"]
    assert sum(rows["train"].values()) + sum(rows["test"].values()) == 240
    assert card["data"]["positive"] == [str(pos)] and card["data"]["negative"] == [str(neg)]
    # the card's positive_label is what `score` uses without --label
    src = write(tmp_path / "new.parquet", [docs(GOOD, 1, 9)[0], docs(BAD, 1, 9)[0]])
    r = run("score", src, "-o", tmp_path / "scored", "--model", out, "--column", "quality", "-q")
    assert r.exit_code == 0, r.stderr
    scored = read_rows(tmp_path / "scored")
    assert scored[0]["quality"] > 0.5 > scored[1]["quality"]


def test_named_labels_and_json_card_on_stdout(tmp_path, pos_neg):
    pos, neg = pos_neg
    out = tmp_path / "q.bin"
    labels = ["--positive-label", "hq", "--negative-label", "__label__lq"]
    r = run("train-classifier", "--positive", pos, "--negative", neg, "-o", out, *TINY, *labels,
            "--json", "-q")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    card = json.loads(r.stdout)
    assert card["positive_label"] == "__label__hq" and "__label__lq" in card["labels"]
    assert card == json.loads((tmp_path / "q.json").read_text())


def test_label_column_with_zero_one_labels(tmp_path):
    texts = docs(GOOD, 80, 3) + docs(BAD, 80, 4) + [None, ""]
    labels = [1] * 80 + [0] * 80 + [1, 0]
    src = write(tmp_path / "lab.parquet", texts, label=labels)
    out = tmp_path / "m.bin"
    r = run("train-classifier", "--input", src, "--label-column", "label", "-o", out, *TINY)
    assert r.exit_code == 0, r.stderr
    card = json.loads((tmp_path / "m.json").read_text())
    assert card["positive_label"] == "__label__1"
    assert card["data"]["skipped"] == {"no text": 2}
    assert card["data"]["input"] == str(src) and card["data"]["label_column"] == "label"
    assert re.search(r"skipped: no text\s*│\s*2", r.stderr)


def test_label_column_needs_positive_label_when_it_cannot_tell(tmp_path):
    src = write(tmp_path / "lab.parquet", ["a b", "c d"] * 5, label=["x", "y"] * 5)
    out = tmp_path / "m.bin"
    r = run("train-classifier", "--input", src, "--label-column", "label", "-o", out, *TINY)
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        "error: --label-column label: labels are x, y; "
        "pass --positive-label LABEL to say which one is positive"
    )
    r = run("train-classifier", "--input", src, "--label-column", "label", "-o", out, *TINY,
            "--positive-label", "y", "-q")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert json.loads((tmp_path / "m.json").read_text())["positive_label"] == "__label__y"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--positive", "P"], "give --positive DS and --negative DS"),
        (["--input", "P"], "--input DS and --label-column COL go together"),
        (["--input", "P", "--label-column", "nope"], "has no column `nope` for --label-column"),
        (["--positive", "P", "--negative", "N", "--input", "P"], "not both"),
        (["--positive", "P", "--negative", "N", "--test-fraction", "1.5"], "--test-fraction"),
        (["--positive", "P", "--negative", "P", "--positive-label", "a b"], "no spaces"),
    ],
)
def test_usage_mistakes_are_one_line_errors(tmp_path, pos_neg, args, message):
    pos, neg = pos_neg
    args = [str(pos) if a == "P" else str(neg) if a == "N" else a for a in args]
    r = run("train-classifier", *args, "-o", tmp_path / "m.bin", *TINY)
    assert r.exit_code == 2 and message in r.stderr, r.stderr
    assert r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1


def test_existing_model_needs_overwrite(tmp_path, pos_neg):
    pos, neg = pos_neg
    out = tmp_path / "m.bin"
    args = ["train-classifier", "--positive", pos, "--negative", neg, "-o", out, *TINY, "-q"]
    assert run(*args).exit_code == 0
    r = run(*args)
    assert r.exit_code == 2
    assert r.stderr.strip() == f"error: {out}: already exists; pass --overwrite to replace it"
    assert run(*args, "--overwrite").exit_code == 0


def test_one_label_only_is_refused(tmp_path):
    pos = write(tmp_path / "pos.parquet", docs(GOOD, 20, 1))
    empty = write(tmp_path / "neg.parquet", [None, "  "])
    r = run("train-classifier", "--positive", pos, "--negative", empty, "-o", tmp_path / "m.bin",
            *TINY)  # fmt: skip
    assert r.exit_code == 2 and "at least two labels" in r.stderr
    assert not (tmp_path / "m.bin").exists() and not (tmp_path / "m.json").exists()


def test_training_text_is_one_line_without_label_tokens():
    import polars as pl

    got = prepare_training_text(pl.Series(["a\nb\r\nc", "__label__x word __label__y", "x"]))
    assert "\n" not in "".join(got.to_list())
    assert [t.split() for t in got.to_list()] == [["a", "b", "c"], ["word"], ["x"]]


def test_roc_auc_with_ties_matches_pairwise_counting():
    rng = np.random.default_rng(0)
    y = rng.random(60) < 0.4
    s = np.round(rng.random(60), 1)  # many ties
    pos, neg = s[y], s[~y]
    pairs = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert roc_auc(y, s) == pytest.approx(pairs / (len(pos) * len(neg)))
    assert roc_auc(np.array([True, True]), np.array([0.1, 0.2])) is None


def test_help_has_an_example():
    r = run("train-classifier", "--help")
    assert r.exit_code == 0 and "Example" in r.stdout


def test_autotune_searches_on_a_validation_part_of_the_training_documents(tmp_path, pos_neg):
    pos, neg = pos_neg
    out = tmp_path / "tuned.bin"
    r = run(
        "train-classifier", "--positive", pos, "--negative", neg, "-o", out,
        "--autotune", "2", "--bucket", "2000", "--workers", "1", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    card = json.loads(r.stdout)
    tuned = card["autotuned"]
    assert tuned["seconds"] == 2 and tuned["trials"] >= 1
    assert tuned["validation_auc"] > 0.9
    assert tuned["epoch"] >= 1 and tuned["lr"] > 0 and tuned["dim"] >= 1
    rows = card["data"]["rows"]
    # every document is in exactly one part: fitted on, validated on, or held out
    parts = ("train", "validation", "test")
    assert sum(sum(rows[p].values()) for p in parts) == 240
    assert sum(rows["validation"].values()) > 0
    # the held-out split is the one an untuned run with the same seed draws
    plain = tmp_path / "plain.bin"
    r = run("train-classifier", "--positive", pos, "--negative", neg, "-o", plain, *TINY, "--json")
    assert json.loads(r.stdout)["data"]["rows"]["test"] == rows["test"]
    assert card["metrics"]["auc"] > 0.9


def test_autotune_without_both_labels_to_validate_on_is_one_line(tmp_path):
    pos = write(tmp_path / "pos.parquet", docs(GOOD, 3, 1))
    neg = write(tmp_path / "neg.parquet", docs(BAD, 3, 2))
    r = run(
        "train-classifier", "--positive", pos, "--negative", neg, "-o", tmp_path / "m.bin",
        "--autotune", "1", "--test-fraction", "0.1", "--workers", "1",
    )  # fmt: skip
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1].startswith("error: --autotune needs documents of both labels")
    assert not (tmp_path / "m.bin").exists()
