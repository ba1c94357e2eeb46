"""Language ID: the bundled py3langid model, a fastText model by path, code mapping."""

from __future__ import annotations

import pytest
from conftest import manifest, read_rows, run, write_jsonl

from curate.filters.language import PY3LANGID_LABELS, _FastText, check_code, normalize_code

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


MANY_SCRIPTS = [
    "The committee will publish its findings on the water supply next spring.",
    "Der Ausschuss veröffentlicht seine Ergebnisse zur Wasserversorgung im Frühjahr.",
    "Le comité publiera ses conclusions sur l'approvisionnement en eau au printemps.",
    "Комитет опубликует свои выводы о водоснабжении следующей весной.",
    "委员会将于明年春天公布其关于供水的调查结果。",
    "ستنشر اللجنة نتائجها بشأن إمدادات المياه في الربيع المقبل.",
    "Η επιτροπή θα δημοσιεύσει τα πορίσματά της για την ύδρευση την άνοιξη.",
    "委員会は来春、水道に関する調査結果を公表する。",
    "THIS WHOLE SENTENCE IS WRITTEN IN CAPITAL LETTERS FOR EMPHASIS",
    "e\u0301te\u0301 cafe\u0301 re\u0301sume\u0301",  # decomposed accents: NFC first
    "",
    "   \n\t ",
    "🙂🙂 ok 🙂",
    "x",
    "ok",
    "Hi!",  # 3 and 4 bytes: fewer bytes than the automaton's depth
    "xxxx",
    "naïve " * 400,  # a long document
    "mixed English text mit deutschen Wörtern et quelques mots français",
]


@pytest.fixture(scope="module")
def batch_langid():
    from curate.filters.langid import BatchLangid

    return BatchLangid()


def test_batch_langid_gives_py3langids_probabilities(batch_langid):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ref = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    got = batch_langid.top(MANY_SCRIPTS, 5)
    for text, ours in zip(MANY_SCRIPTS, got, strict=True):
        theirs = ref.rank(text)[:5]
        assert [lab for lab, _ in ours][:1] == [lab for lab, _ in theirs][:1], text
        for (lab, p), (lab2, p2) in zip(ours, theirs, strict=True):
            assert p == pytest.approx(p2, abs=1e-4), (text, lab, lab2)
    assert [r[0][0] for r in got[:8]] == ["en", "de", "fr", "ru", "zh", "ar", "el", "ja"]
    for tiny in (["ok"], ["Hi!"], ["xxxx"], ["", " "]):  # a whole batch shorter than the depth
        assert batch_langid.top(tiny, 1)[0][0][0] == ref.rank(tiny[0])[0][0]


def test_a_document_longer_than_a_pass_is_counted_in_windows(batch_langid, monkeypatch):
    import numpy as np

    from curate.filters import langid

    text = " ".join(MANY_SCRIPTS) * 3
    data = langid._encode(text)
    whole = batch_langid._counts([data], np.zeros(1, np.int64), None).toarray()
    monkeypatch.setattr(langid, "_CHUNK_BYTES", 97)  # windows cut mid-character too
    assert (batch_langid._long_counts(data).toarray() == whole).all()
    short = batch_langid.probabilities(["Guten Morgen, wie geht es dir heute?"])
    got = batch_langid.probabilities([text, "Guten Morgen, wie geht es dir heute?"])
    assert got[1] == pytest.approx(short[0], abs=1e-6)
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ref = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True).rank(text)[0]
    assert batch_langid.labels[int(got[0].argmax())] == ref[0]
    # float32 sums in another order: raw scores in the thousands differ in the last bits
    assert float(got[0].max()) == pytest.approx(ref[1], abs=1e-3)


def test_batch_langid_is_independent_of_batch_neighbours(batch_langid):
    alone = [batch_langid.probabilities([t])[0] for t in MANY_SCRIPTS]
    together = batch_langid.probabilities(MANY_SCRIPTS)
    for a, b in zip(alone, together, strict=True):
        assert a == pytest.approx(b, abs=1e-6)


def test_the_threshold_has_one_name_and_the_old_one_is_still_read(tmp_path):
    """`--min-lang-score` is `min_lang_score` in filters.toml and the lineage; a
    filters.toml written with the former `language_threshold` gives the same run."""
    from curate.filters.registry import make_family

    new = make_family("language", {"languages": ["en"], "min_lang_score": 0.9})
    old = make_family("language", {"languages": ["en"], "language_threshold": 0.9})
    assert new == old
    assert new.params()["min_lang_score"] == 0.9
    assert "language_threshold" not in new.params()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "english"], "languages (--lang) `english`: not a language code"),
        (["--lang", "en,xx"], "languages (--lang) `xx`: not a language code"),
        (["--lang", "en", "--min-lang-score", "2"], "min_lang_score (--min-lang-score) 2.0"),
        (["--lang", "en", "--min-lang-score", "-1"], "min_lang_score (--min-lang-score) -1.0"),
        (["--lang", "en", "--min-lang-score", "1"], "min_lang_score (--min-lang-score) 1.0"),
        (["--min-lang-score", "nan"], "expected a number from 0 up to (not including) 1"),
    ],
)
def test_a_language_or_threshold_that_would_remove_everything_is_refused(tmp_path, args, message):
    """A code no model returns (`english`, `xx`) or a threshold outside [0, 1) would
    remove every document (or none) without a word: exit 2 before anything is written."""
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": EN[0]}])
    assert run("ingest", src, "-o", tmp_path / "raw", "--source", "s", "-q").exit_code == 0
    r = run("filter", tmp_path / "raw", "-o", tmp_path / "out", *args)
    assert r.exit_code == 2 and message in r.stderr, r
    assert not (tmp_path / "out").exists()


def test_639_3_codes_glotlid_labels_and_withdrawn_codes_are_accepted(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": EN[0]}])
    assert run("ingest", src, "-o", tmp_path / "raw", "--source", "s", "-q").exit_code == 0
    langs = "eng,deu_Latn,fr,zh-Hans,iw"  # iw: Hebrew's withdrawn code
    r = run("filter", tmp_path / "raw", "-o", tmp_path / "out", "--lang", langs)
    assert r.exit_code == 0, r
    assert [x["id"] for x in read_rows(tmp_path / "out")] == ["a"]
    assert manifest(tmp_path / "out")["lineage"][-1]["params"]["filters"][0]["languages"] == [
        "en", "de", "fr", "zh", "he",
    ]  # fmt: skip
    check_code("bh")  # lid.176 returns it, though no 639-1 table lists it any more


def test_a_code_the_model_never_returns_is_refused(tmp_path, ft_model):
    """`fil` is a language, but py3langid says `tl`: every document would be removed."""
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": EN[0]}])
    assert run("ingest", src, "-o", tmp_path / "raw", "--source", "s", "-q").exit_code == 0
    r = run("filter", tmp_path / "raw", "-o", tmp_path / "out", "--lang", "en,fil")
    assert r.exit_code == 2 and "(py3langid) never returns it" in r.stderr, r
    assert "`fil`" in r.stderr and not (tmp_path / "out").exists()
    r = run(
        "filter", tmp_path / "raw", "-o", tmp_path / "o2", "--lang", "fr", "--lang-model", ft_model
    )
    assert r.exit_code == 2 and "never returns it" in r.stderr, r  # it knows en and de only


def test_the_bundled_model_labels_are_the_installed_models():
    from curate.filters.langid import BatchLangid

    assert sorted(BatchLangid().labels) == sorted(PY3LANGID_LABELS)
