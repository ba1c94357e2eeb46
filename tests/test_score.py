"""`curate score`: the q_* signals (exact values on small texts) and the command's contract."""

from __future__ import annotations

import math
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import manifest, read_rows, run

from curate.score.signals import SIGNAL_NAMES, SIGNALS, STOP_WORDS, compute_signals


def signals_of(*texts):
    table = compute_signals(pa.array(list(texts), pa.large_string()))
    return table.to_pylist()


def write_docs(path, texts, **extra):
    ids = [f"d{i}" for i in range(len(texts))]
    table = pa.table({"id": ids, "text": pa.array(texts, pa.large_string()), **extra})
    pq.write_table(table, path)
    return path


def test_there_are_at_least_ten_documented_signals_all_prefixed():
    assert len(SIGNALS) >= 10 and len(set(SIGNAL_NAMES)) == len(SIGNAL_NAMES)
    assert all(n.startswith("q_") for n in SIGNAL_NAMES)
    assert "q_word_count" in SIGNAL_NAMES


def test_sizes_words_lines_sentences():
    [s] = signals_of("Hello world. This is a test!\n\n  Second line here...\n- bullet")
    assert s["q_char_count"] == 60
    assert s["q_word_count"] == 11
    assert s["q_line_count"] == 3  # the blank line does not count
    assert s["q_sentence_count"] == 4  # world. test! here... and the unterminated last one
    words = "Hello world. This is a test! Second line here... - bullet".split()
    assert s["q_mean_word_length"] == pytest.approx(sum(map(len, words)) / len(words))


def test_word_count_is_whitespace_split_for_any_whitespace():
    texts = ["a\tb\nc  d", "  ", "", "one", "x\u00a0y z"]
    got = [s["q_word_count"] for s in signals_of(*texts)]
    assert got == [len(t.split()) for t in texts]


def test_stop_words_unique_words_entropy():
    [s] = signals_of("The cat and the dog, THE end")
    # normalised: the cat and the dog the end -> stop words: the and the the
    assert s["q_stop_word_fraction"] == pytest.approx(4 / 7)
    assert s["q_unique_word_fraction"] == pytest.approx(5 / 7)
    p = [3 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7]
    assert s["q_unigram_entropy"] == pytest.approx(-sum(x * math.log(x) for x in p))
    assert s["q_all_caps_word_fraction"] == pytest.approx(1 / 7)
    assert "the" in STOP_WORDS and "cat" not in STOP_WORDS


def test_character_ratios():
    [s] = signals_of("AB cd 12 {x} ## ... é")
    n = len("AB cd 12 {x} ## ... é")
    assert s["q_digit_fraction"] == pytest.approx(2 / n)
    assert s["q_uppercase_fraction"] == pytest.approx(2 / 6)  # A B of A B c d x é
    assert s["q_curly_bracket_fraction"] == pytest.approx(2 / n)
    assert s["q_non_ascii_fraction"] == pytest.approx(1 / n)
    assert s["q_whitespace_fraction"] == pytest.approx(6 / n)
    assert s["q_symbol_word_ratio"] == pytest.approx(3 / 7)  # two #, one ...
    assert s["q_alpha_word_fraction"] == pytest.approx(4 / 7)


def test_line_statistics():
    text = "• first item\nA full sentence ends here.\n• first item\nwait for it…\n" + "x" * 40
    [s] = signals_of(text)
    lines = ["• first item", "A full sentence ends here.", "• first item", "wait for it…", "x" * 40]
    assert s["q_line_count"] == 5
    assert s["q_mean_line_length"] == pytest.approx(sum(map(len, lines)) / 5)
    assert s["q_short_line_fraction"] == pytest.approx(4 / 5)
    assert s["q_bullet_line_fraction"] == pytest.approx(2 / 5)
    assert s["q_ellipsis_line_fraction"] == pytest.approx(1 / 5)
    assert s["q_terminal_punct_line_fraction"] == pytest.approx(2 / 5)
    assert s["q_duplicate_line_fraction"] == pytest.approx(1 / 5)
    assert s["q_duplicate_line_char_fraction"] == pytest.approx(12 / sum(map(len, lines)))


def test_repetition_statistics():
    a, b = signals_of(
        "to be or not to be that is the question",
        "one two three four five six one two three four five six seven",
    )
    chars_a = len("tobeornottobethatisthequestion")
    # "to be" occurs twice, 4 characters each time
    assert a["q_top_2gram_char_fraction"] == pytest.approx(8 / chars_a)
    assert a["q_top_3gram_char_fraction"] == 0.0
    assert a["q_dup_5gram_char_fraction"] == 0.0
    chars_b = sum(len(w) for w in "one two three four five six".split()) * 2 + 5
    assert b["q_dup_5gram_char_fraction"] == pytest.approx((chars_b - 5) / chars_b)
    assert b["q_dup_6gram_char_fraction"] == pytest.approx((chars_b - 5) / chars_b)
    assert b["q_dup_7gram_char_fraction"] == 0.0
    # every 4-gram of the repeat occurs twice; the one with most characters counts
    assert b["q_top_4gram_char_fraction"] == pytest.approx(2 * len("threefourfivesix") / chars_b)


def test_repeats_in_one_document_do_not_leak_into_the_next():
    a, b = signals_of("alpha beta gamma delta epsilon", "alpha beta gamma delta epsilon")
    assert a["q_dup_5gram_char_fraction"] == 0.0 and b["q_top_2gram_char_fraction"] == 0.0


def test_null_empty_and_blank_text():
    null, empty, blank = signals_of(None, "", " \n\t ")
    assert all(v is None for v in null.values())
    assert empty["q_word_count"] == 0 and empty["q_char_count"] == 0
    assert empty["q_line_count"] == 0 and empty["q_sentence_count"] == 0
    assert empty["q_mean_word_length"] is None and empty["q_stop_word_fraction"] is None
    assert blank["q_char_count"] == 4 and blank["q_word_count"] == 0
    assert blank["q_whitespace_fraction"] == 1.0 and blank["q_mean_line_length"] is None


def test_crlf_text_counts_lines_like_lf():
    lf, crlf = signals_of("one two.\nthree four.", "one two.\r\nthree four.")
    assert lf["q_line_count"] == crlf["q_line_count"] == 2
    assert lf["q_word_count"] == crlf["q_word_count"] == 4


def test_score_command_adds_signals_keeps_every_row_and_counts_missing_text(tmp_path):
    texts = ["A short document. It has words.", None, "", "Another one here!"]
    src = write_docs(tmp_path / "in.parquet", texts, source=["s"] * 4)
    r = run("score", src, "-o", tmp_path / "out", "--workers", "1")
    assert r.exit_code == 0, r.stderr
    assert re.search(r"documents without text\s*│\s*1 │", r.stderr)
    rows = read_rows(tmp_path / "out")
    assert [row["id"] for row in rows] == ["d0", "d1", "d2", "d3"]
    assert list(rows[0])[:3] == ["id", "text", "source"]
    assert [c for c in rows[0] if c.startswith("q_")] == list(SIGNAL_NAMES)
    assert [row["q_word_count"] for row in rows] == [6, None, 0, 3]
    m = manifest(tmp_path / "out")
    step = m["lineage"][-1]
    assert step["step"] == "score" and step["rows_in"] == 4 and step["rows_out"] == 4
    assert step["totals"]["documents without text"] == 1
    schema = pq.read_schema(tmp_path / "out" / m["shards"][0]["name"])
    assert schema.field("q_word_count").type == pa.int64()
    assert schema.field("q_stop_word_fraction").type == pa.float64()


def test_scoring_a_scored_dataset_replaces_the_signals(tmp_path):
    src = write_docs(tmp_path / "in.parquet", ["one two three", "four five"])
    assert run("score", src, "-o", tmp_path / "a", "-q", "--workers", "1").exit_code == 0
    assert run("score", tmp_path / "a", "-o", tmp_path / "b", "-q", "--workers", "1").exit_code == 0
    a, b = read_rows(tmp_path / "a"), read_rows(tmp_path / "b")
    assert a == b and list(b[0]).count("q_word_count") == 1


def test_rerun_is_up_to_date_and_other_options_need_overwrite(tmp_path):
    src = write_docs(tmp_path / "in.parquet", ["one two three"])
    out = tmp_path / "out"
    assert run("score", src, "-o", out, "-q", "--workers", "1").exit_code == 0
    r = run("score", src, "-o", out, "--workers", "1")
    assert r.exit_code == 0 and "up to date" in r.stderr


def test_no_signals_without_a_model_is_a_usage_error(tmp_path):
    src = write_docs(tmp_path / "in.parquet", ["one"])
    r = run("score", src, "-o", tmp_path / "out", "--no-signals")
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        "error: --no-signals leaves nothing to score; add --model PATH --column NAME"
    )


def test_help_has_an_example():
    r = run("score", "--help")
    assert r.exit_code == 0 and "Example" in r.stdout
