"""`curate tag-synthetic`: declared sources, the heuristic detector, a fastText detector."""

from __future__ import annotations

import math

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import manifest, read_rows, run, write_jsonl

from curate.synthetic import (
    ENGLISH_FULL,
    ENGLISH_NONE,
    OFFSET,
    SIGNALS,
    heuristic_scores,
    repeated_ngram_shares,
    signal_frame,
    signal_logits,
)

HUMAN = (
    'The council met on Tuesday. "We\'ve had 43 complaints since May," said Jo Briggs, '
    "who chairs the parks committee. Residents in Hove say the bins (all 12 of them) "
    "overflow by noon! Nobody knows why. The BBC asked the council; it didn't reply."
)
MACHINE = (
    "The initiative is a testament to the community's unwavering commitment to fostering "
    "innovation, highlighting the crucial role of collaboration. Furthermore, it plays a "
    "vital role in ensuring that various stakeholders can navigate the evolving landscape, "
    "ultimately paving the way for a more sustainable future. Overall, this comprehensive "
    "approach underscores the importance of resilience, showcasing a profound dedication."
)
ASSISTANT = "As an AI language model, I don't have personal opinions. I hope this helps!"

W = ("--workers", 1)

SOURCES = """schema = "curate.sources/1"
[sources.web]
synthetic = false
[sources.gen]
synthetic = true
generator = "gpt-4o"
"""


def _dataset(tmp_path, sources_toml=True):
    toml = tmp_path / "sources.toml"
    toml.write_text(SOURCES)
    web = write_jsonl(
        tmp_path / "web.jsonl",
        [
            {"id": "h", "text": HUMAN},
            {"id": "m", "text": MACHINE},
            {"id": "a", "text": ASSISTANT},
        ],
    )
    gen = write_jsonl(tmp_path / "gen.jsonl", [{"id": "g", "text": HUMAN}])
    raw = tmp_path / "raw"
    extra = ["--sources", toml] if sources_toml else []
    assert run("ingest", web, "-o", raw, "--source", "web", "-q", *extra, *W).exit_code == 0
    r = run("ingest", gen, "-o", raw, "--source", "gen", "--append", "-q", *extra, *W)
    assert r.exit_code == 0, r
    return raw, toml


def test_declared_from_manifest_and_detected_by_heuristics(tmp_path):
    raw, _ = _dataset(tmp_path)
    r = run("tag-synthetic", raw, "-o", tmp_path / "out", "-q", *W)
    assert r.exit_code == 0, r
    rows = {x["id"]: x for x in read_rows(tmp_path / "out")}
    assert len(rows) == 4
    assert rows["g"]["synthetic"] is True and rows["g"]["synthetic_by"] == "declared"
    assert rows["g"]["synthetic_score"] == 1.0
    assert rows["h"]["synthetic"] is False and rows["h"]["synthetic_by"] is None
    assert rows["m"]["synthetic"] is True and rows["m"]["synthetic_by"] == "detected"
    assert rows["a"]["synthetic_by"] == "detected" and rows["a"]["synthetic_score"] > 0.9
    assert rows["h"]["synthetic_score"] < 0.5 < rows["m"]["synthetic_score"]
    step = manifest(tmp_path / "out")["lineage"][-1]
    assert step["step"] == "tag-synthetic" and step["rows_out"] == 4
    assert step["totals"]["synthetic_declared"] == 1
    assert step["totals"]["synthetic_detected"] == 2
    assert step["declared_synthetic"] == {"gen": "gpt-4o"}
    assert step["params"]["detector"] == "heuristic-v4"


# Human texts the detector used to call machine-written (scores 0.54-0.76 before): a
# lower-cased abstract, formal trial prose, and pages in Spanish and Russian.
FORMER_FALSE_ALARMS = [
    "we measured serum ferritin in forty patients before and after treatment. levels fell "
    "in most of them, but two patients with liver disease showed no change, and one "
    "dropped out after the second visit because of nausea.",
    "Patients were randomly assigned to receive either the study drug or placebo for "
    "twelve weeks. The primary outcome was the change in blood pressure, and secondary "
    "outcomes included heart rate and adverse events.",
    "La biblioteca abre de lunes a viernes de nueve a siete. Los sábados solo abre la sala "
    "de lectura, y los préstamos se renuevan en el mostrador o por teléfono con el número "
    "del carné.",
    "Библиотека открыта с понедельника по пятницу с девяти до семи. По субботам работает "
    "только читальный зал.",
]


# A news page as an extractor leaves it: the headline three times, a byline, a caption and
# share buttons. Its repetition is page furniture, and its quotes, attribution and varied
# punctuation are a reporter's.
WEB_PAGE = (
    "Council approves new budget | Riverside Gazette Council approves new budget By Ann Lee "
    "| March 3, 2021, 4:12 pm The council voted 7-2 on Tuesday to approve a $4.1m budget for "
    'next year. "It\'s tight, but it works," said treasurer Bob Ames. Photo: council chamber '
    "(R. Diaz) Council approves new budget Share on Facebook Share on Twitter"
)


def test_a_web_page_repeating_its_headline_is_not_detected():
    (score,) = heuristic_scores(pl.Series([WEB_PAGE]))
    assert signal_frame(pl.Series([WEB_PAGE]))["repeated_4grams"][0] > 0
    assert score < 0.5


def test_former_false_alarms_on_human_text_are_not_detected(tmp_path):
    rows = [{"id": f"h{i}", "text": t} for i, t in enumerate(FORMER_FALSE_ALARMS)]
    rows.append({"id": "m", "text": MACHINE})
    raw = tmp_path / "raw"
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    assert run("ingest", src, "-o", raw, "--source", "web", "-q", *W).exit_code == 0
    r = run("tag-synthetic", raw, "-o", tmp_path / "out", "-q", *W)
    assert r.exit_code == 0, r
    out = {x["id"]: x for x in read_rows(tmp_path / "out")}
    assert [out[f"h{i}"]["synthetic"] for i in range(len(FORMER_FALSE_ALARMS))] == [False] * 4
    # non-English texts are not judged on English word lists, and typical assistant prose
    # is still caught, lower-cased or not
    assert out["m"]["synthetic_by"] == "detected"
    assert heuristic_scores(pl.Series([MACHINE.lower()]))[0] > 0.5


def test_sources_option_overrides_a_manifest_without_declarations(tmp_path):
    raw, toml = _dataset(tmp_path, sources_toml=False)
    r = run("tag-synthetic", raw, "-o", tmp_path / "a", "-q", *W)
    assert r.exit_code == 0
    assert {x["synthetic_by"] for x in read_rows(tmp_path / "a")} == {None, "detected"}
    r = run("tag-synthetic", raw, "-o", tmp_path / "b", "--sources", toml, "--threshold", 0.99, *W)
    assert r.exit_code == 0, r
    rows = {x["id"]: x for x in read_rows(tmp_path / "b")}
    assert rows["g"]["synthetic_by"] == "declared"
    assert rows["m"]["synthetic_by"] is None  # below the raised threshold
    assert "synthetic_declared" in r.stderr


def test_null_text_gets_nulls_and_is_counted(tmp_path):
    t = pa.table({"id": ["1", "2"], "text": pa.array([None, HUMAN], pa.large_string())})
    pq.write_table(t, tmp_path / "x.parquet")
    r = run("tag-synthetic", tmp_path / "x.parquet", "-o", tmp_path / "out", "-q", *W)
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert rows[0]["synthetic"] is None and rows[0]["synthetic_score"] is None
    assert rows[1]["synthetic"] is False
    assert manifest(tmp_path / "out")["lineage"][-1]["totals"]["null_text"] == 1


def test_scores_are_probabilities_and_neither_whitespace_nor_case_matters():
    """Line breaks and letter case say more about the pipeline (a lower-cased dump) than
    about the author: neither moves the score."""
    texts = [HUMAN, MACHINE, None, MACHINE.replace(" ", "\n"), HUMAN.lower(), MACHINE.upper()]
    s = heuristic_scores(pl.Series(texts))
    assert s[2] != s[2]  # NaN for null text
    assert s[1] == pytest.approx(s[3]) == pytest.approx(s[5])
    assert s[0] == pytest.approx(s[4])


OPENING = (
    "We walked down to the harbour after lunch with my little brother. The tide was out "
    "and the boats sat still. He found a crab under a rock and chased it for ages. Mum "
    "bought chips from the van by the pier, and we ate them on the wall. Gulls watched us "
    "the whole time. "
)
# the same sentence lengths, commas, punctuation and first-person words: new sentences,
# or the first three again
GOES_ON = (
    "We walked back up the lane past the church with my dog. The rain came in fast over "
    "the grey hills. He dried off by the fire and fell asleep in his chair."
)
REPEATS = OPENING.split(" Mum")[0]
REPETITION = {"repeated_bigrams", "repeated_4grams"}


def test_repeating_itself_raises_the_score():
    """A text that repeats its own sentences repeats word n-grams: more machine-like
    (looping is a known trait of generated text, base models' above all), all else equal."""
    texts = pl.Series([OPENING + GOES_ON, OPENING + REPEATS])
    f = signal_frame(texts)
    for s in SIGNALS:
        if s.name not in REPETITION:
            assert f[s.name][0] == pytest.approx(f[s.name][1]), s.name
    assert f["repeated_4grams"][0] == 0.0 < f["repeated_4grams"][1]
    assert f["repeated_bigrams"][0] < f["repeated_bigrams"][1]
    plain, repeated = heuristic_scores(texts)
    assert plain < 0.5 < repeated


def test_repeated_ngrams_are_counted_within_each_text():
    """Each text's share is its own: an n-gram repeated across texts (or running from one
    text into the next) does not count, and texts too short for an n-gram (or null) score
    0, in the batch's order."""
    words = pl.Series(
        [["a", "b", "c", "a", "b", "c"], None, ["a", "b"], [], ["a", "b", "c"], ["the"] * 5],
        dtype=pl.List(pl.String),
    )
    shares = repeated_ngram_shares(words, (2, 4))
    assert shares[2].tolist() == [0.4, 0.0, 0.0, 0.0, 0.0, 0.75]
    assert shares[4].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, 0.5]
    touching = pl.Series([["a", "b", "a"], ["b", "c"]], dtype=pl.List(pl.String))
    assert repeated_ngram_shares(touching, (2,))[2].tolist() == [0.0, 0.0]


def test_a_text_looping_over_line_breaks_scores_as_on_one_line():
    looped = OPENING + REPEATS
    flat, broken = heuristic_scores(pl.Series([looped, looped.replace(". ", ".\n\n  ")]))
    assert flat == pytest.approx(broken) and flat > 0.5


def _only_differ_in(f: pl.DataFrame, name: str) -> bool:
    return all(f[s.name][0] == pytest.approx(f[s.name][1]) for s in SIGNALS if s.name != name)


TAIL = " The work cost more than planned."
# Pairs of texts identical in every signal but one; the second has more of what looks
# machine-written (or less of what looks human).
ONE_SIGNAL_APART = {
    "stock_words": (
        "The plan is important for the town." + TAIL,
        "The plan is crucial for the town." + TAIL,
    ),
    "commas": (
        "The plan is good and the team is ready." + TAIL,
        "The plan is good, and the team is ready." + TAIL,
    ),
    "comma_participle": (
        "The team met on Monday, so the plan was agreed." + TAIL,
        "The team met on Monday, leaving the plan agreed upon." + TAIL,
    ),
    "repeated_bigrams": (
        "The red car passed a blue van near the old mill." + TAIL,
        "The red car passed the red van near the old mill." + TAIL,
    ),
    # the same three repeated word pairs, apart or running on as one repeated 4-gram
    "repeated_4grams": (
        "Ann the old red barn and the old then red barn we old red there." + TAIL,
        "Ann the old red barn and the old red barn then we left it there." + TAIL,
    ),
    "attribution": (
        "The city said the new bridge would open in spring." + TAIL,
        "The city expects the new bridge to open in spring." + TAIL,
    ),
    "first_person": (
        "I think the new bridge will open in spring." + TAIL,
        "We think the new bridge will open in spring." + TAIL,
    ),
    "sentence_length": (
        "The plan works well and the team is ready." + TAIL,
        "The plan works well. And the team is ready." + TAIL,
    ),
}


@pytest.mark.parametrize("signal", sorted(ONE_SIGNAL_APART))
def test_each_signal_moves_the_score_its_own_way(signal):
    """Every signal votes, and in its direction: stock words, commas, participles after a
    comma and repetition look machine-written; attributing ("said"), writing as "I" and
    long sentences look human. With every other signal equal, the text with more of the
    machine-like side scores higher."""
    assert {s.name for s in SIGNALS} == set(ONE_SIGNAL_APART)
    human_side, machine_side = ONE_SIGNAL_APART[signal]
    texts = pl.Series([human_side, machine_side])
    f = signal_frame(texts)
    assert _only_differ_in(f, signal) and f[signal][0] != pytest.approx(f[signal][1])
    lower, higher = heuristic_scores(texts)
    assert lower < higher


def test_repetition_is_measured_on_the_first_150_words():
    """Long texts repeat more; the share is taken on the opening words only, so a long
    human text is not judged by its length."""
    opening = " ".join(f"w{i}" for i in range(150))
    f = signal_frame(pl.Series([opening + " " + opening]))
    assert f["repeated_bigrams"][0] == 0.0 and f["repeated_4grams"][0] == 0.0


def test_partly_english_text_counts_in_proportion():
    """Between ENGLISH_NONE and ENGLISH_FULL of English function words, the signals count
    for the share of the way: halfway, half the votes."""
    f = signal_frame(pl.Series([MACHINE]))
    full = signal_logits(f.with_columns(english=pl.lit(ENGLISH_FULL)))[0]
    half = signal_logits(f.with_columns(english=pl.lit((ENGLISH_NONE + ENGLISH_FULL) / 2)))[0]
    none = signal_logits(f.with_columns(english=pl.lit(ENGLISH_NONE)))[0]
    assert full > 1.0 and half == pytest.approx(full / 2) and none == 0.0


def test_text_that_is_not_english_is_not_judged():
    """The signals are measured on English: a Spanish text that loops scores exactly as a
    text with no signal at all, below the threshold."""
    spanish = "La casa es grande, muy grande, la casa es grande y bonita. " * 4
    (score,) = heuristic_scores(pl.Series([spanish]))
    assert signal_frame(pl.Series([spanish]))["repeated_4grams"][0] > 0.3
    assert score == pytest.approx(1 / (1 + math.exp(-OFFSET))) and score < 0.5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threshold", "1.5"], "--threshold 1.5: expected a number between 0 and 1"),
        (["--model", "nope.bin"], "nope.bin: no such model file"),
    ],
)
def test_bad_options_exit_2(tmp_path, args, message):
    raw, _ = _dataset(tmp_path)
    r = run("tag-synthetic", raw, "-o", tmp_path / "out", *args, *W)
    assert r.exit_code == 2 and message in r.stderr


def _train(tmp_path):
    import fasttext

    lines = []
    for i in range(60):
        lines.append(f"__label__machine {MACHINE} {i % 7}")
        lines.append(f"__label__human {HUMAN} {i % 5}")
    data = tmp_path / "train.txt"
    data.write_text("\n".join(lines) + "\n")
    model = fasttext.train_supervised(str(data), epoch=5, lr=0.5, dim=8, verbose=0)
    path = tmp_path / "detector.bin"
    model.save_model(str(path))
    return path, model


def test_fasttext_detector_scores_and_two_label_probabilities_sum_to_one(tmp_path):
    path, model = _train(tmp_path)
    pairs = model.f.predict(HUMAN + "\n", 2, 0.0, "strict")
    assert sum(p for p, _ in pairs) == pytest.approx(1.0, abs=1e-3)
    raw, _ = _dataset(tmp_path)
    r = run("tag-synthetic", raw, "-o", tmp_path / "out", "--model", path, "-q", *W)
    assert r.exit_code == 0, r
    rows = {x["id"]: x for x in read_rows(tmp_path / "out")}
    assert rows["m"]["synthetic_by"] == "detected" and rows["h"]["synthetic_by"] is None
    assert rows["m"]["synthetic_score"] > 0.5 > rows["h"]["synthetic_score"]
    r = run("tag-synthetic", raw, "-o", tmp_path / "o2", "--model", path, "--label", "robot", *W)
    assert r.exit_code == 2
    assert "has no label '__label__robot' (labels: __label__" in r.stderr
