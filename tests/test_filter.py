"""`curate filter` through the real CLI: presets, flags, config, annotate, rejected, errors."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import manifest, read_rows, run, write_jsonl

GOOD_DOC = "\n".join(
    [
        "The river ran quietly past the old mill, where the miller kept his accounts.",
        "Every morning he counted the sacks of flour that the farmers brought to him.",
        "His daughter walked to the village with bread for the baker and the inn.",
        "In winter the water froze, and the great wheel stood still for many weeks.",
        "Then the family mended nets, told stories and waited for the spring thaw.",
        "When the ice broke, the whole valley came to watch the wheel turn again.",
        "Children ran along the bank, shouting that the mill was alive once more.",
        "The miller smiled, wrote the date in his ledger and went back to work.",
    ]
)
GERMAN = (
    "Der Fluss floss ruhig an der alten Mühle vorbei, wo der Müller seine Bücher führte und "
    "die Säcke mit Mehl zählte, die ihm die Bauern mit ihren Wagen brachten."
)


def _raw(tmp_path, rows, *args):
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "raw"
    r = run("ingest", src, "-o", out, "--source", "t", "-q", *args)
    assert r.exit_code == 0, r
    return out


@pytest.fixture
def raw(tmp_path):
    return _raw(
        tmp_path,
        [
            {"id": "good", "text": GOOD_DOC},
            {"id": "short", "text": "hello world"},
            {"id": "menu", "text": "Home\nAbout\nContact\nShop\nLogin"},
            {
                "id": "de",
                "text": "\n".join(
                    [GERMAN] * 1 + [GERMAN.replace("Fluss", f"Bach {i}") for i in range(6)]
                ),
            },
        ],
    )


def test_preset_gopher_removes_and_rejects_with_reasons(tmp_path, raw):
    r = run(
        "filter", raw, "-o", tmp_path / "out", "--preset", "gopher", "--rejected", tmp_path / "rej"
    )
    assert r.exit_code == 0, r
    assert "removed: gopher_quality.too_few_words" in r.stderr
    assert [x["id"] for x in read_rows(tmp_path / "out")] == ["good"]
    rej = {x["id"]: (x["filter"], x["filter_reason"]) for x in read_rows(tmp_path / "rej")}
    assert rej["short"] == ("gopher_quality", "too_few_words")
    assert rej["menu"] == ("gopher_quality", "too_few_words")
    assert set(rej) == {"short", "menu", "de"}
    step = manifest(tmp_path / "out")["lineage"][-1]
    assert step["step"] == "filter" and step["rows_in"] == 4 and step["rows_out"] == 1
    assert step["removed"]["gopher_quality.too_few_words"] == 2
    assert [f["family"] for f in step["params"]["filters"]] == [
        "gopher_quality",
        "gopher_repetition",
    ]


def test_annotate_keeps_every_document(tmp_path, raw):
    r = run("filter", raw, "-o", tmp_path / "out", "--preset", "gopher", "--annotate", "-q")
    assert r.exit_code == 0, r
    rows = {x["id"]: x for x in read_rows(tmp_path / "out")}
    assert len(rows) == 4
    assert rows["good"]["filter"] is None and rows["good"]["filter_reason"] is None
    assert rows["short"]["filter"] == "gopher_quality"
    assert rows["short"]["filter_reason"] == "too_few_words"
    assert manifest(tmp_path / "out")["lineage"][-1]["removed"] == {}
    r = run(
        "filter",
        raw,
        "-o",
        tmp_path / "o2",
        "--preset",
        "gopher",
        "--annotate",
        "--rejected",
        tmp_path / "rej",
    )
    assert r.exit_code == 2 and "--rejected has no effect with --annotate" in r.stderr


def test_c4_rewrites_text_and_records_lines(tmp_path):
    text = GOOD_DOC + "\nmenu home about\nPlease enable javascript to view this page."
    raw = _raw(tmp_path, [{"id": "a", "text": text}])
    r = run("filter", raw, "-o", tmp_path / "out", "--filters", "c4", "-q")
    assert r.exit_code == 0, r
    (row,) = read_rows(tmp_path / "out")
    assert row["text"] == GOOD_DOC and row["c4_lines_removed"] == 2
    totals = manifest(tmp_path / "out")["lineage"][-1]["totals"]
    assert totals["c4_lines_removed"] == 2
    assert totals["c4_lines_removed_javascript"] == 1
    assert totals["documents_rewritten"] == 1


def test_language_annotates_and_removes_only_when_asked(tmp_path, raw):
    r = run("filter", raw, "-o", tmp_path / "a", "--filters", "language", "-q")
    assert r.exit_code == 0, r
    rows = {x["id"]: x for x in read_rows(tmp_path / "a")}
    assert len(rows) == 4
    assert rows["good"]["lang"] == "en" and rows["good"]["lang_score"] > 0.65
    assert rows["de"]["lang"] == "de"
    r = run(
        "filter", raw, "-o", tmp_path / "b", "--lang", "en", "--rejected", tmp_path / "rej", "-q"
    )
    assert r.exit_code == 0, r
    kept = {x["id"] for x in read_rows(tmp_path / "b")}
    assert "good" in kept and "de" not in kept
    rej = {x["id"]: x for x in read_rows(tmp_path / "rej")}
    assert rej["de"]["filter"] == "language" and rej["de"]["filter_reason"] == "lang_not_allowed"
    assert rej["de"]["lang"] == "de"
    r = run("filter", raw, "-o", tmp_path / "c", "--lang", "deu,en", "-q")
    assert {x["id"] for x in read_rows(tmp_path / "c")} >= {"good", "de"}
    r = run(
        "filter", raw, "-o", tmp_path / "d", "--lang", "en", "--min-lang-score", "0.9999999", "-q"
    )
    assert r.exit_code == 0
    assert len(read_rows(tmp_path / "d")) < len(kept) or all(
        x["lang_score"] > 0.9999999 for x in read_rows(tmp_path / "d")
    )


def test_config_sets_thresholds_and_order(tmp_path, raw):
    cfg = tmp_path / "filters.toml"
    cfg.write_text(
        '[[filter]]\nfamily = "length"\nmin_words = 2\nmin_chars = 5\n\n'
        '[[filter]]\nfamily = "gopher_quality"\nmin_doc_words = 1\nmin_stop_words = 0\n'
        "max_non_alpha_words_ratio = 0\n"
    )
    r = run("filter", raw, "-o", tmp_path / "out", "--config", cfg, "--annotate", "-q")
    assert r.exit_code == 0, r
    rows = {x["id"]: x for x in read_rows(tmp_path / "out")}
    assert rows["short"]["filter"] is None  # 2 words, 11 chars: allowed by this config
    params = manifest(tmp_path / "out")["lineage"][-1]["params"]["filters"]
    assert [p["family"] for p in params] == ["length", "gopher_quality"]
    assert params[1]["min_doc_words"] == 1


def test_config_overrides_preset_and_flags_override_config(tmp_path, raw):
    cfg = tmp_path / "f.toml"
    cfg.write_text(
        '[[filter]]\nfamily = "gopher_quality"\nmin_doc_words = 1\nmin_stop_words = 0\n'
        '[[filter]]\nfamily = "language"\nlanguages = ["de"]\n'
    )
    r = run(
        "filter",
        raw,
        "-o",
        tmp_path / "out",
        "--preset",
        "gopher",
        "--config",
        cfg,
        "--lang",
        "en",
        "--annotate",
        "-q",
    )
    assert r.exit_code == 0, r
    params = manifest(tmp_path / "out")["lineage"][-1]["params"]["filters"]
    assert [p["family"] for p in params] == ["language", "gopher_quality", "gopher_repetition"]
    assert params[0]["languages"] == ["en"] and params[1]["min_doc_words"] == 1


@pytest.mark.parametrize(
    ("args", "toml", "message"),
    [
        (
            ["--filters", "gopher,c4"],
            None,
            "--filters: unknown filter `gopher`; choose one of: gopher_quality, gopher_repetition, "
            "c4, fineweb_quality, language, length, url",
        ),
        (
            ["--preset", "dolma"],
            None,
            "--preset: unknown preset `dolma`; choose one of: gopher, c4, fineweb",
        ),
        ([], '[[filter]]\nfamily = "c5"\n', "unknown filter `c5`; choose one of: gopher_quality"),
        (
            [],
            '[[filter]]\nfamily = "c4"\nmin_sentences = 3\n',
            "`min_sentences` is not a parameter of filter `c4`; valid: split_paragraph",
        ),
        (
            [],
            '[[filter]]\nfamily = "c4"\nmin_num_sentences = "3"\n',
            "`c4.min_num_sentences`: expected an integer",
        ),
        (
            [],
            '[[filter]]\nfamily = "gopher_quality"\nmax_symbol_word_ratio = true\n',
            "`gopher_quality.max_symbol_word_ratio`: expected a number (or omit it)",
        ),
        ([], "[[filter]]\nmin_doc_words = 3\n", "has no `family`"),
        ([], "[[filter]\n", "not valid TOML"),
        ([], '[[filters]]\nfamily = "c4"\n', "unknown key `filters`"),
        ([], '[[filter]]\nfamily = "url"\n', "filter `url` needs a block list"),
        ([], None, "nothing to run: give --preset, --filters, --config or --lang"),
        (["--lang-model", "/nonexistent/lid.bin"], None, "--lang-model file not found"),
    ],
)
def test_config_errors_exit_2_naming_choices(tmp_path, raw, args, toml, message):
    extra = []
    if toml is not None:
        (tmp_path / "f.toml").write_text(toml)
        extra = ["--config", tmp_path / "f.toml"]
    r = run("filter", raw, "-o", tmp_path / "out", *args, *extra)
    assert r.exit_code == 2, r
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.count("error:") == 1


def test_empty_input_and_null_text(tmp_path):
    pq.write_table(
        pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.large_string())}),
        tmp_path / "empty.parquet",
    )
    r = run(
        "filter", tmp_path / "empty.parquet", "-o", tmp_path / "out", "--preset", "fineweb", "-q"
    )
    assert r.exit_code == 0, r
    assert read_rows(tmp_path / "out") == []
    pq.write_table(
        pa.table({"id": ["a", "b"], "text": pa.array([None, GOOD_DOC], pa.large_string())}),
        tmp_path / "nulls.parquet",
    )
    r = run(
        "filter",
        tmp_path / "nulls.parquet",
        "-o",
        tmp_path / "o2",
        "--preset",
        "gopher",
        "--rejected",
        tmp_path / "rej",
    )
    assert r.exit_code == 0, r
    assert [x["id"] for x in read_rows(tmp_path / "o2")] == ["b"]
    (rej,) = read_rows(tmp_path / "rej")
    assert rej["id"] == "a" and rej["text"] is None and rej["filter_reason"] == "too_few_words"
    assert manifest(tmp_path / "o2")["lineage"][-1]["totals"]["null_text"] == 1


def test_refiltering_annotated_output_replaces_our_columns(tmp_path, raw):
    assert (
        run(
            "filter", raw, "-o", tmp_path / "a", "--filters", "language", "--annotate", "-q"
        ).exit_code
        == 0
    )
    r = run(
        "filter", tmp_path / "a", "-o", tmp_path / "b", "--preset", "gopher", "--annotate", "-q"
    )
    assert r.exit_code == 0, r
    cols = pq.read_schema(next((tmp_path / "b").glob("*.parquet"))).names
    assert cols.count("filter") == 1 and "lang" in cols


def test_workers_give_the_same_result(tmp_path, real_workers):
    rows = [{"id": str(i), "text": GOOD_DOC if i % 2 else "too short"} for i in range(80)]
    raw = _raw(tmp_path, rows, "--shard-rows", "20")  # four shards: a unit a shard
    assert (
        run(
            "filter", raw, "-o", tmp_path / "a", "--preset", "fineweb", "--workers", "1", "-q"
        ).exit_code
        == 0
    )
    assert (
        run(
            "filter", raw, "-o", tmp_path / "b", "--preset", "fineweb", "--workers", "2", "-q"
        ).exit_code
        == 0
    )
    real_workers.assert_ran()
    assert read_rows(tmp_path / "a") == read_rows(tmp_path / "b")
    assert len(read_rows(tmp_path / "a")) == 40


def test_help_has_example():
    r = run("filter", "--help")
    assert r.exit_code == 0 and "Example" in r.stdout
