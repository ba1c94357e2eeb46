"""Language ID: the bundled py3langid model, a fastText model by path, code mapping."""

from __future__ import annotations

import pytest
from conftest import read_rows, run, write_jsonl

from curate.filters.language import _FastText, normalize_code

EN = [
    "the cat sat on the mat and looked at the birds",
    "we walked to the village to buy bread and milk",
    "this is a simple sentence written in english",
    "the weather was cold and the river was frozen",
]
DE = [
    "die katze sass auf der matte und sah die voegel an",
    "wir gingen ins dorf um brot und milch zu kaufen",
    "dies ist ein einfacher satz auf deutsch geschrieben",
    "das wetter war kalt und der fluss war gefroren",
]


@pytest.fixture(scope="module")
def ft_model(tmp_path_factory):
    fasttext = pytest.importorskip("fasttext")
    d = tmp_path_factory.mktemp("ft")
    train = d / "train.txt"
    lines = [f"__label__eng_Latn {t}" for t in EN] + [f"__label__deu_Latn {t}" for t in DE]
    train.write_text("\n".join(lines * 20) + "\n")
    model = fasttext.train_supervised(
        str(train), epoch=25, lr=0.5, minn=2, maxn=4, dim=16, verbose=0, thread=1, seed=1
    )
    path = d / "lid.bin"
    model.save_model(str(path))
    return path


def test_codes_map_to_iso639_1():
    assert normalize_code("__label__eng_Latn") == "en"
    assert normalize_code("deu") == "de"
    assert normalize_code("__label__zh") == "zh"
    assert normalize_code("yue") == "yue"  # no 639-1 code: stays 639-3


def test_fasttext_probabilities_sum_to_one(ft_model):
    (probs,) = _FastText(str(ft_model)).predict([EN[0]])
    assert set(probs) == {"en", "de"}
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-3)
    assert probs["en"] > probs["de"]


def test_lang_model_by_path_through_cli(tmp_path, ft_model):
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": f"e{i}", "text": t} for i, t in enumerate(EN)]
        + [{"id": f"d{i}", "text": t} for i, t in enumerate(DE)],
    )
    assert run("ingest", src, "-o", tmp_path / "raw", "--source", "s", "-q").exit_code == 0
    r = run(
        "filter",
        tmp_path / "raw",
        "-o",
        tmp_path / "out",
        "--lang",
        "deu",
        "--min-lang-score",
        "0.5",
        "--lang-model",
        ft_model,
        "-q",
    )
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert {x["id"] for x in rows} == {f"d{i}" for i in range(4)}
    assert all(x["lang"] == "de" and x["lang_score"] > 0.5 for x in rows)


def test_not_a_model_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not a model")
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "hello there"}])
    assert run("ingest", src, "-o", tmp_path / "raw", "--source", "s", "-q").exit_code == 0
    r = run("filter", tmp_path / "raw", "-o", tmp_path / "out", "--lang-model", bad)
    assert r.exit_code == 2 and "not a fastText model" in r.stderr, r


def test_default_model_without_list_or_threshold_keeps_everything(tmp_path):
    src = write_jsonl(
        tmp_path / "in.jsonl", [{"id": "a", "text": "zzz qqq"}, {"id": "b", "text": EN[0]}]
    )
    assert run("ingest", src, "-o", tmp_path / "raw", "--source", "s", "-q").exit_code == 0
    assert (
        run(
            "filter", tmp_path / "raw", "-o", tmp_path / "o", "--filters", "language", "-q"
        ).exit_code
        == 0
    )
    assert len(read_rows(tmp_path / "o")) == 2
    r = run("filter", tmp_path / "raw", "-o", tmp_path / "o2", "--min-lang-score", "0.99", "-q")
    assert r.exit_code == 0
    assert [x["id"] for x in read_rows(tmp_path / "o2")] == ["b"]
