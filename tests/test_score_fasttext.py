"""fastText scoring: batch inference equals fastText's own predict, and the CLI options."""

from __future__ import annotations

import json
import random

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import read_rows, run

from curate.errors import CurateError
from curate.score import fasttext as ft

GOOD = "river mill bread flour village baker ledger morning history science".split()
BAD = "casino cheap click buy now free offer winner loan bonus".split()

# texts that exercise fastText's tokeniser: unicode, tabs and other separators, a token
# fastText reads as a label, unknown words, a token longer than the vectorised bytes
EDGE_TEXTS = [
    "",
    "   ",
    "river mill\tbread\x0bflour\x0cbaker\rledger",
    "héllo wörld 日本語 \u00a0nbsp river",
    "__label__good casino __label__x",
    "first line\n\nsecond line river",
    "zzqx unknownword   casino",
    "ü" * 100 + " bread " + "x" * 300,
    "casino " * 200,
]


def _docs(words, n, rng):
    return [" ".join(rng.choice(words) for _ in range(rng.randint(5, 40))) for _ in range(n)]


def train_tiny(path, *, loss="softmax", word_ngrams=2, labels=("good", "bad"), seed=0):
    import fasttext

    rng = random.Random(seed)
    lines = []
    for lab, words in zip(labels, (GOOD, BAD), strict=False):
        lines += [f"__label__{lab} {d}" for d in _docs(words, 60, rng)]
    if len(labels) > 2:
        lines += [f"__label__{labels[2]} {d}" for d in _docs(GOOD + BAD, 60, rng)]
    rng.shuffle(lines)
    train = path.with_suffix(".txt")
    train.write_text("\n".join(lines) + "\n")
    model = fasttext.train_supervised(
        str(train), epoch=5, dim=8, bucket=2000, wordNgrams=word_ngrams, loss=loss,
        thread=1, seed=0, verbose=0, minCount=1,
    )  # fmt: skip
    model.save_model(str(path))
    return path


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return train_tiny(tmp_path_factory.mktemp("ft") / "tiny.bin")


def scored(model, texts, label):
    arr = pa.array(texts, pa.large_string())
    return np.array(ft.predict_labels(model, arr, [label])[label].to_pylist(), dtype=float)


def reference(model, texts):
    """fastText's own answer through the low-level call (model.predict breaks on NumPy 2)."""
    return ft._predict_reference(model, pl.Series("t", texts, dtype=pl.String))


@pytest.mark.parametrize(
    "loss,ngrams", [("softmax", 2), ("softmax", 1), ("softmax", 3), ("ova", 2)]
)
def test_batch_inference_matches_fastext_predict(tmp_path, loss, ngrams):
    path = train_tiny(tmp_path / "m.bin", loss=loss, word_ngrams=ngrams, labels=("a", "b", "c"))
    ft.forget_models()
    model = ft.load_model(path)
    assert model.vectorised
    rng = random.Random(1)
    texts = _docs(GOOD + BAD, 40, rng) + EDGE_TEXTS + [None]
    vec = ft._predict_vectorised(model, pl.Series("t", texts, dtype=pl.String))
    ref = reference(model, texts)
    # fastText reports p + 1e-5 (it adds 1e-5 before taking the log), capped here at 1
    np.testing.assert_allclose(vec[:-1], ref[:-1], atol=2e-5)
    assert np.isnan(vec[-1]).all() and np.isnan(ref[-1]).all()


def test_two_label_probabilities_sum_to_one(model_path):
    model = ft.load_model(model_path)
    texts = ["river mill bread", "casino cheap loan", "unknown words only", ""]
    arr = pa.array(texts, pa.large_string())
    probs = ft.predict_labels(model, arr, ["__label__good", "__label__bad"])
    total = np.array(probs["__label__good"].to_pylist()) + np.array(probs["__label__bad"])
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    ref = reference(model, texts)
    np.testing.assert_allclose(ref.sum(axis=1), 1.0, atol=1e-4)
    good = scored(model, texts, "__label__good")
    assert good[0] > 0.5 > good[1]


def test_hierarchical_softmax_models_use_fasttexts_predict(tmp_path):
    path = train_tiny(tmp_path / "hs.bin", loss="hs")
    model = ft.load_model(path)
    assert not model.vectorised
    p = scored(model, ["river mill bread flour", "casino cheap loan", None], "__label__good")
    assert p[0] > p[1] and np.isnan(p[2]) and ((p[:2] >= 0) & (p[:2] <= 1)).all()


def test_fnv1a_matches_fasttexts_hash_with_signed_bytes():
    def fasttext_hash(token):
        h = 2166136261
        for b in token.encode():
            h ^= (b - 256 if b > 127 else b) & 0xFFFFFFFF
            h = (h * 16777619) & 0xFFFFFFFF
        return h

    tokens = ["the", "", "héllo", "日本語", "x" * 70, "ü" * 50, "</s>"]
    got = ft.fnv1a(pa.array(tokens, pa.large_string()))
    assert got.tolist() == [fasttext_hash(t) for t in tokens]


def write_docs(path, texts):
    ids = [f"d{i}" for i in range(len(texts))]
    pq.write_table(pa.table({"id": ids, "text": pa.array(texts, pa.large_string())}), path)
    return path


TEXTS = ["river mill bread flour village", "casino cheap click buy now", None]


def test_score_with_a_model_label_with_or_without_prefix(tmp_path, model_path):
    src = write_docs(tmp_path / "in.parquet", TEXTS)
    args = ["--model", model_path, "--column", "quality", "--workers", "1", "-q"]
    r1 = run("score", src, "-o", tmp_path / "a", *args, "--label", "good")
    r2 = run("score", src, "-o", tmp_path / "b", *args, "--label", "__label__good")
    assert r1.exit_code == 0 and r2.exit_code == 0, r1.stderr
    a, b = read_rows(tmp_path / "a"), read_rows(tmp_path / "b")
    assert [r["quality"] for r in a] == [r["quality"] for r in b]
    assert a[0]["quality"] > 0.5 > a[1]["quality"] and a[2]["quality"] is None
    assert "q_word_count" in a[0]


def test_several_models_in_one_pass_and_no_signals(tmp_path, model_path):
    other = train_tiny(tmp_path / "other.bin", labels=("hq", "lq"), seed=3)
    src = write_docs(tmp_path / "in.parquet", TEXTS)
    r = run(
        "score", src, "-o", tmp_path / "out", "--no-signals", "--workers", "1", "-q",
        "--model", model_path, "--label", "good", "--column", "good",
        "--model", model_path, "--label", "bad", "--column", "bad",
        "--model", other, "--label", "hq", "--column", "hq",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    rows = read_rows(tmp_path / "out")
    assert list(rows[0]) == ["id", "text", "good", "bad", "hq"]
    assert rows[0]["good"] + rows[0]["bad"] == pytest.approx(1.0)
    assert rows[0]["hq"] > rows[1]["hq"]


def test_label_defaults_to_the_model_cards_positive_label(tmp_path, model_path):
    local = tmp_path / "m.bin"
    local.write_bytes(model_path.read_bytes())
    src = write_docs(tmp_path / "in.parquet", TEXTS)
    r = run("score", src, "-o", tmp_path / "x", "--model", local, "--column", "q")
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        f"error: {local}: no --label and no m.json beside the model; pass --label LABEL"
    )
    (tmp_path / "m.json").write_text(json.dumps({"positive_label": "__label__bad"}))
    r = run("score", src, "-o", tmp_path / "out", "--model", local, "--column", "q", "-q")
    assert r.exit_code == 0, r.stderr
    rows = read_rows(tmp_path / "out")
    assert rows[1]["q"] > 0.5 > rows[0]["q"]


def test_unknown_label_lists_the_models_labels(tmp_path, model_path):
    src = write_docs(tmp_path / "in.parquet", TEXTS)
    r = run("score", src, "-o", tmp_path / "o", "--model", model_path, "--label", "hq",
            "--column", "q")  # fmt: skip
    assert r.exit_code == 2
    labels = ", ".join(lab.removeprefix("__label__") for lab in ft.load_model(model_path).labels)
    assert r.stderr.strip() == f"error: {model_path}: has no label `hq`; its labels are: {labels}"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "M", "--label", "good"], "got 1 --model and 0 --column options"),
        (
            ["--model", "M", "--column", "a", "--column", "b"],
            "got 1 --model and 2 --column options",
        ),
        (["--model", "M", "--label", "good", "--column", "text"], "that name belongs to curate"),
        (["--model", "M", "--label", "good", "--column", "q_x"], "that name belongs to curate"),
        (["--model", "M", "--label", "good", "--column", "bad name"], "not a valid column name"),
        (["--model", "missing.bin", "--column", "x"], "fastText model not found"),
    ],
)
def test_option_mistakes_are_one_line_errors(tmp_path, model_path, args, message):
    src = write_docs(tmp_path / "in.parquet", TEXTS)
    args = [str(model_path) if a == "M" else a for a in args]
    r = run("score", src, "-o", tmp_path / "o", *args)
    assert r.exit_code == 2 and message in r.stderr
    assert r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1


def test_a_file_that_is_not_a_model_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not a model")
    src = write_docs(tmp_path / "in.parquet", TEXTS)
    r = run("score", src, "-o", tmp_path / "o", "--model", bad, "--label", "x", "--column", "q")
    assert r.exit_code == 2 and "not a fastText model" in r.stderr


def test_column_already_in_the_input_is_refused(tmp_path, model_path):
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a"], "text": ["river"], "quality": [0.3]}), src)
    r = run("score", src, "-o", tmp_path / "o", "--model", model_path, "--label", "good",
            "--column", "quality")  # fmt: skip
    assert r.exit_code == 2 and "already has a column `quality`" in r.stderr


def test_worker_processes_give_the_same_scores(tmp_path, model_path, real_workers):
    rng = random.Random(5)
    shards = tmp_path / "in"
    shards.mkdir()
    for k in range(2):
        write_docs(shards / f"part-{k}.parquet", _docs(GOOD + BAD, 30, rng))
    args = ["--model", model_path, "--label", "good", "--column", "q", "-q"]
    assert run("score", shards, "-o", tmp_path / "one", *args, "--workers", "1").exit_code == 0
    assert run("score", shards, "-o", tmp_path / "two", *args, "--workers", "2").exit_code == 0
    real_workers.assert_ran()
    assert read_rows(tmp_path / "one") == read_rows(tmp_path / "two")


def test_quantised_models_score_through_fasttexts_predict(tmp_path):
    from fasttext.FastText import _FastText

    path = train_tiny(tmp_path / "m.bin")
    model = _FastText(model_path=str(path))
    model.quantize(input=str(path.with_suffix(".txt")), retrain=False, cutoff=0, dsub=2)
    model.save_model(str(tmp_path / "m.ftz"))
    ftz = ft.load_model(tmp_path / "m.ftz")
    assert not ftz.vectorised
    p = scored(ftz, ["river mill bread flour", "casino cheap loan", None], "__label__good")
    assert p[0] > p[1] and np.isnan(p[2])


def test_a_changed_model_is_not_up_to_date(tmp_path):
    path = train_tiny(tmp_path / "m.bin")
    src = write_docs(tmp_path / "in.parquet", TEXTS)
    args = ["score", src, "-o", tmp_path / "out", "--model", path, "--label", "good",
            "--column", "q", "--workers", "1"]  # fmt: skip
    assert run(*args, "-q").exit_code == 0
    assert "up to date" in run(*args).stderr
    train_tiny(path, seed=7)  # same path, other model
    r = run(*args)
    assert r.exit_code == 2 and "other parameters" in r.stderr
    m = json.loads((tmp_path / "out" / "_curate.json").read_text())
    assert len(m["lineage"][-1]["params"]["models"][0]["fingerprint"]) == 64


def test_batch_models_are_mapped_not_loaded_into_each_worker(tmp_path, model_path):
    ft.forget_models()
    model = ft.load_model(model_path)
    assert model.vectorised and model.ft is None  # fastText itself never loaded the file
    assert not model.input_matrix.flags.writeable  # a read-only view of the file's pages
    texts = ["river mill bread flour", "casino cheap loan"]
    np.testing.assert_allclose(
        ft._predict_vectorised(model, pl.Series("t", texts)), reference(model, texts), atol=2e-5
    )


def test_a_cut_short_model_file_is_a_usage_error(tmp_path, model_path):
    cut = tmp_path / "cut.bin"
    cut.write_bytes(model_path.read_bytes()[:-100])  # fastText itself would load this
    src = write_docs(tmp_path / "in.parquet", TEXTS)
    r = run("score", src, "-o", tmp_path / "o", "--model", cut, "--label", "good", "--column", "q")
    assert r.exit_code == 2 and "cut short or damaged" in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("error:")  # after a bare-file warning
    assert not (tmp_path / "o").exists()  # refused before any worker started


def _train_lines(path, lines, **kw):
    import fasttext

    train = path.with_suffix(".txt")
    train.write_bytes(b"\n".join(lines) + b"\n")
    args = dict(epoch=5, dim=8, bucket=2000, wordNgrams=2, thread=1, seed=0, verbose=0)
    model = fasttext.train_supervised(str(train), **{**args, **kw})
    model.save_model(str(path))
    ft.forget_models()
    return ft.load_model(path)


def _same_as_fasttext(model, texts):
    vec = ft._predict_vectorised(model, pl.Series("t", texts, dtype=pl.String))
    np.testing.assert_allclose(vec, reference(model, texts), atol=2e-5)
    return vec


def test_a_written_end_of_line_token_ends_the_document_as_in_fasttext(model_path):
    model = ft.load_model(model_path)
    texts = ["river </s> casino casino casino cheap", "river", "bread flour </s>", "</s> x"]
    vec = _same_as_fasttext(model, texts)
    np.testing.assert_allclose(vec[0], vec[1], atol=1e-6)  # nothing after </s> is read


def test_a_model_whose_vocabulary_lacks_the_end_token(tmp_path):
    lines = [b"__label__good river river river mill mill mill", b"__label__bad casino casino loan"]
    model = _train_lines(tmp_path / "m.bin", lines * 2, minCount=5)  # </s> seen twice only
    assert model.vectorised and model.eos_id == -1
    _same_as_fasttext(model, ["river mill", "zz yy xx ww", "casino unknown loan", ""])


def test_vocabulary_words_that_are_not_utf8_match_no_token(tmp_path):
    lines = [b"__label__good caf\xe9 river mill", b"__label__bad casino cheap loan"] * 30
    model = _train_lines(tmp_path / "m.bin", lines, minCount=1)
    _same_as_fasttext(model, ["casino cheap caf\ufffd loan", "caf\xe9 river", "river mill"])


def test_a_label_with_another_prefix_is_taken_as_written(tmp_path):
    lines = [b"__lang__en the river mill", b"__lang__de der fluss muehle"] * 30
    model = _train_lines(tmp_path / "m.bin", lines, label="__lang__")
    assert ft.resolve_label(model, "__lang__en") == "__lang__en"
    with pytest.raises(CurateError, match="its labels are: __lang__en"):
        ft.resolve_label(model, "en")


def test_a_model_replaced_during_a_run_stops_the_worker(tmp_path, model_path):
    from curate.score.step import ModelColumn, ScoreStep

    step = ScoreStep(False, (ModelColumn(str(model_path), "__label__good", "q", "not-this"),))
    table = pa.table({"id": ["a"], "text": ["river mill"]})
    with pytest.raises(CurateError, match="the model file changed during the run"):
        step.process(table)
