"""`curate decontaminate`: benchmark items found in documents, dropped, annotated or excised."""

from __future__ import annotations

import csv

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import manifest, read_rows, run, write_jsonl

from curate.decont.ngrams import simplify, words_cache

QUESTIONS = [
    "Which planet of the solar system has the largest number of known moons orbiting it today",
    "How many grams of salt must be dissolved in two litres of water to make a brine of ten "
    "percent",
    "What was the name of the ship that carried the first settlers across the cold northern sea",
]
ANSWERS = ["Saturn has the most moons", "Two hundred grams", "The Northern Star"]
FILLER = (
    "Gardening in small spaces asks for patience and a good plan. Start with pots that drain "
    "well, pick herbs that like the sun, and water them in the morning before it gets hot. "
)


def bench(tmp_path, name="quiz.jsonl"):
    rows = [{"question": q, "answer": a} for q, a in zip(QUESTIONS, ANSWERS, strict=True)]
    return write_jsonl(tmp_path / name, rows)


def corpus(tmp_path, texts):
    path = tmp_path / "docs.parquet"
    ids = [f"d{i}" for i in range(len(texts))]
    pq.write_table(pa.table({"id": ids, "text": pa.array(texts, pa.large_string())}), path)
    return path


def planted(tmp_path):
    """Clean pages, and copies of items: whole, lower-cased, re-punctuated, embedded."""
    q0, q1, q2 = QUESTIONS
    texts = [
        FILLER * 3,  # d0 clean
        q0 + "? " + ANSWERS[0] + ".",  # d1 whole item
        FILLER * 4 + q1.lower() + " " + FILLER * 4,  # d2 lower-cased inside a long page
        FILLER + "; ".join(q2.split(" ")) + "!!" + FILLER,  # d3 re-punctuated
        FILLER * 2 + "Which planet of the solar system has the largest number of known.",  # d4
        None,  # d5 no text
    ]
    return corpus(tmp_path, texts)


def test_drop_finds_every_planted_copy_and_keeps_the_rest(tmp_path):
    out, rej = tmp_path / "clean", tmp_path / "contaminated"
    r = run(
        "decontaminate", planted(tmp_path), "-o", out, "--against", bench(tmp_path),
        "--fields", "question,answer", "--rejected", rej,
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert [row["id"] for row in read_rows(out)] == ["d0", "d4", "d5"]
    rejected = read_rows(rej)
    assert [row["id"] for row in rejected] == ["d1", "d2", "d3"]
    assert all(row["contaminated_by"] == ["quiz"] for row in rejected)
    # d1 holds the whole item: every 13-gram of question + answer
    n_words = len(words_cache().words(QUESTIONS[0] + " " + ANSWERS[0]))
    assert rejected[0]["contamination_ngrams"] == n_words - 13 + 1
    step = manifest(out)["lineage"][-1]
    assert step["removed"] == {"contaminated": 3}
    assert step["totals"]["contaminated by quiz"] == 3
    assert step["benchmarks"]["quiz"]["items"] == 3


def test_annotate_keeps_all_and_names_each_benchmark(tmp_path):
    other = write_jsonl(tmp_path / "other.jsonl", [{"question": QUESTIONS[1], "answer": "x"}])
    out = tmp_path / "marked"
    r = run(
        "decontaminate", planted(tmp_path), "-o", out, "--against", bench(tmp_path), other,
        "--fields", "question,answer", "--mode", "annotate",
    )  # fmt: skip
    assert r.exit_code == 0, r
    rows = {row["id"]: row for row in read_rows(out)}
    assert len(rows) == 6
    assert rows["d0"]["contaminated_by"] == [] and rows["d0"]["contamination_ngrams"] == 0
    assert rows["d2"]["contaminated_by"] == ["other", "quiz"]
    assert rows["d1"]["contaminated_by"] == ["quiz"]
    assert rows["d5"]["contaminated_by"] == []
    totals = manifest(out)["lineage"][-1]["totals"]
    assert totals["contaminated by other"] == 1 and totals["contaminated by quiz"] == 3
    assert "contaminated by quiz" in r.stderr


def test_task_field_names_the_benchmark(tmp_path):
    rows = [
        {"q": QUESTIONS[0], "task": "astro"},
        {"q": QUESTIONS[1], "task": "chem"},
    ]
    items = write_jsonl(tmp_path / "mixed.jsonl", rows)
    out = tmp_path / "marked"
    r = run(
        "decontaminate", planted(tmp_path), "-o", out, "--against", items, "--fields", "q",
        "--task-field", "task", "--mode", "annotate",
    )  # fmt: skip
    assert r.exit_code == 0, r
    by = {row["id"]: row["contaminated_by"] for row in read_rows(out)}
    assert by["d1"] == ["astro"] and by["d2"] == ["chem"] and by["d3"] == []


def test_excise_cuts_the_span_and_a_window_and_drops_what_is_too_short(tmp_path):
    long_page = FILLER * 6 + QUESTIONS[1] + ". " + FILLER * 6
    docs = corpus(tmp_path, [long_page, QUESTIONS[0] + " " + ANSWERS[0], FILLER])
    out, rej = tmp_path / "excised", tmp_path / "rej"
    r = run(
        "decontaminate", docs, "-o", out, "--against", bench(tmp_path),
        "--fields", "question,answer", "--mode", "excise", "--rejected", rej,
    )  # fmt: skip
    assert r.exit_code == 0, r
    rows = {row["id"]: row for row in read_rows(out)}
    assert set(rows) == {"d0", "d2"}
    cut = rows["d0"]["text"]
    assert "dissolved" not in cut and "brine" not in cut
    assert rows["d0"]["decont_chars_removed"] == len(long_page) - len(cut)
    # the span itself (a whole sentence) plus about 200 characters on each side
    assert len(QUESTIONS[1]) + 400 <= rows["d0"]["decont_chars_removed"] <= len(QUESTIONS[1]) + 420
    assert rows["d2"]["text"] == FILLER and rows["d2"]["decont_chars_removed"] == 0
    assert [row["id"] for row in read_rows(rej)] == ["d1"]  # nothing left of it
    assert manifest(out)["lineage"][-1]["removed"] == {"too_short_after_excise": 1}


def test_pages_sharing_only_common_phrases_are_not_flagged(tmp_path):
    # every word of the item appears, and short phrases of it, but no 13 words in a row
    q = QUESTIONS[0].split()
    mixed = " ".join(q[:6]) + ". " + FILLER + " ".join(q[6:12]) + ". " + " ".join(q[12:])
    docs = corpus(tmp_path, [mixed, FILLER + " ".join(reversed(q))])
    out = tmp_path / "marked"
    r = run(
        "decontaminate", docs, "-o", out, "--against", bench(tmp_path), "--fields", "question",
        "--mode", "annotate",
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert [row["contaminated_by"] for row in read_rows(out)] == [[], []]


def test_ignore_common_leaves_out_ngrams_frequent_in_the_corpus(tmp_path):
    licence = (
        "Permission is hereby granted free of charge to any person obtaining a copy of this "
        "software and associated documentation files"
    )
    items = write_jsonl(
        tmp_path / "code.jsonl",
        [{"text": licence + " def add(a, b): return a + b"}, {"text": QUESTIONS[2]}],
    )
    texts = [FILLER + licence + f" project {i}" for i in range(5)] + [FILLER + QUESTIONS[2]]
    docs = corpus(tmp_path, texts)
    plain, common = tmp_path / "plain", tmp_path / "common"
    assert run("decontaminate", docs, "-o", plain, "--against", items).exit_code == 0
    assert read_rows(plain) == []  # the licence matched every page
    r = run("decontaminate", docs, "-o", common, "--against", items, "--ignore-common", "3")
    assert r.exit_code == 0, r
    assert [row["id"] for row in read_rows(common)] == [f"d{i}" for i in range(5)]
    assert manifest(common)["lineage"][-1]["ignore_common"]["ngrams_ignored"] > 0
    assert (
        manifest(common)["lineage"][-1]["benchmarks"]["code"]["ngrams"]
        < (manifest(plain)["lineage"][-1]["benchmarks"]["code"]["ngrams"])
    )


def test_an_up_to_date_ignore_common_rerun_does_not_count_the_corpus_again(tmp_path):
    items = write_jsonl(tmp_path / "items.jsonl", [{"text": QUESTIONS[2]}])
    docs = corpus(tmp_path, [FILLER + QUESTIONS[2], FILLER])
    out = tmp_path / "o"
    args = ("decontaminate", docs, "-o", out, "--against", items, "--ignore-common", "3")
    first = run(*args)
    assert first.exit_code == 0, first
    assert "common n-grams" in first.stderr
    again = run(*args)
    assert again.exit_code == 0, again
    assert "up to date" in again.stdout + again.stderr
    assert "common n-grams" not in again.stderr
    other = run(*args[:-1], "4")  # another N is another output: refused without --overwrite
    assert other.exit_code == 2, other


def test_csv_and_parquet_items_and_several_against(tmp_path):
    with open(tmp_path / "a.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["question", "answer"])
        w.writerow([QUESTIONS[0], ANSWERS[0]])
    pq.write_table(
        pa.table({"question": [QUESTIONS[1]], "answer": [ANSWERS[1]]}), tmp_path / "b.parquet"
    )
    out = tmp_path / "o"
    r = run(
        "decontaminate", planted(tmp_path), "-o", out, "--against", tmp_path / "a.csv",
        tmp_path / "b.parquet", "--fields", "question,answer", "--mode", "annotate",
    )  # fmt: skip
    assert r.exit_code == 0, r
    by = {row["id"]: row["contaminated_by"] for row in read_rows(out)}
    assert by["d1"] == ["a"] and by["d2"] == ["b"] and by["d3"] == []


def test_normalisation_matches_datatrove_simplify_text():
    assert simplify("  The 3.14 Ünïcode—Test,  isn't 1,000!\n") == "the 0 unicode test isn t 0"
    assert words_cache().words("I cant do it, gonna") == ["i", "ca", "nt", "do", "it", "gon", "na"]


@pytest.mark.parametrize(
    ("rows", "args", "message"),
    [
        ([{"question": "q " * 20}], ["--fields", "question,answer"], "no field `answer`"),
        ([{"text": "  "}], [], "empty benchmark item"),
        (["not json"], [], "not a JSON object"),
        ([], [], "holds no benchmark items"),  # an empty file would pass every document
    ],
)
def test_bad_benchmark_items_exit_2_with_one_line(tmp_path, rows, args, message):
    items = write_jsonl(tmp_path / "bad.jsonl", rows)
    out = tmp_path / "o"
    r = run("decontaminate", planted(tmp_path), "-o", out, "--against", items, *args)
    assert r.exit_code == 2, r
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (out / "_curate.json").exists()


def test_bad_options_exit_2(tmp_path):
    docs = planted(tmp_path)
    items = bench(tmp_path)
    r = run("decontaminate", docs, "-o", tmp_path / "o", "--against", items, "--mode", "cut")
    assert r.exit_code == 2 and "unknown" in r.stderr
    r = run(
        "decontaminate", docs, "-o", tmp_path / "o", "--against", items, "--mode", "annotate",
        "--rejected", tmp_path / "r",
    )  # fmt: skip
    assert r.exit_code == 2 and "--rejected" in r.stderr
    r = run("decontaminate", docs, "-o", tmp_path / "o", "--against", tmp_path / "none.jsonl")
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_short_items_are_warned_about(tmp_path):
    items = write_jsonl(tmp_path / "tiny.jsonl", [{"text": "two words"}, {"text": QUESTIONS[0]}])
    r = run("decontaminate", planted(tmp_path), "-o", tmp_path / "o", "--against", items)
    assert r.exit_code == 0, r
    assert "1 of 2 items have fewer than 13 words" in r.stderr


def test_report_counts_documents_per_benchmark_and_rerun_is_up_to_date(tmp_path):
    out = tmp_path / "clean"
    args = ["decontaminate", planted(tmp_path), "-o", out, "--against", bench(tmp_path)]
    args += ["--fields", "question,answer"]
    assert run(*args).exit_code == 0
    again = run(*args)
    assert again.exit_code == 0 and "up to date" in again.stderr
    rep = tmp_path / "report"
    assert run("report", out, "-o", rep).exit_code == 0
    text = (rep / "report.md").read_text()
    assert "contaminated documents per benchmark, all sources: quiz 3" in text
