"""`curate stats`: counts, shares, percentiles and lineage, as tables or JSON."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import run, write_jsonl


def _dataset(tmp_path):
    a = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"id": "1", "text": "one two three"},
            {"id": "2", "text": "four five"},
            "{broken",
        ],
    )
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "3", "text": "six"}])
    out = tmp_path / "ds"
    assert run("ingest", a, "-o", out, "--source", "forum", "-q").exit_code == 0
    assert run("ingest", b, "-o", out, "--source", "wiki", "-q", "--append").exit_code == 0
    return out


def test_stats_json_is_the_only_stdout(tmp_path):
    out = _dataset(tmp_path)
    r = run("stats", out, "--json")
    assert r.exit_code == 0, r
    s = json.loads(r.stdout)
    assert s["documents"] == 3 and s["shards"] == 2
    assert s["sources"] == {"forum": 2, "wiki": 1}
    assert s["words"] == 6 and s["characters"] == len("one two three") + len("four five") + 3
    assert s["length_chars"]["p50"] == len("four five")
    assert s["bytes"] > 0
    assert [step["step"] for step in s["lineage"]] == ["ingest", "ingest"]
    assert s["lineage"][0]["removed"] == {"invalid_json": 1}


def test_stats_tables_show_sources_and_lineage(tmp_path):
    r = run("stats", _dataset(tmp_path))
    assert r.exit_code == 0
    for word in ("documents", "forum", "wiki", "66.7%", "lineage", "invalid_json 1"):
        assert word in r.stdout


def test_stats_on_bare_parquet_with_languages_and_licences(tmp_path):
    pq.write_table(
        pa.table(
            {
                "id": ["a", "b", "c"],
                "text": ["x y", "z", "w"],
                "source": ["s", "s", "s"],
                "lang": ["en", "en", "de"],
                "license": [["CC-BY-4.0"], [], ["CC-BY-4.0", "CC0-1.0"]],
            }
        ),
        tmp_path / "x.parquet",
    )
    s = json.loads(run("stats", tmp_path / "x.parquet", "--json").stdout)
    assert s["bare_parquet"] is True and s["lineage"] == []
    assert s["languages"] == {"en": 2, "de": 1}
    assert s["licenses"] == {"CC-BY-4.0": 2, "CC0-1.0": 1, "(none)": 1}


def test_stats_of_a_missing_dataset_is_one_line(tmp_path):
    r = run("stats", tmp_path / "nope")
    assert r.exit_code == 2 and r.stderr.startswith("error:") and "no such file" in r.stderr


def test_stats_of_non_text_column_is_one_line(tmp_path):
    pq.write_table(pa.table({"id": ["a"], "text": [1]}), tmp_path / "x.parquet")
    r = run("stats", tmp_path / "x.parquet")
    assert r.exit_code == 2 and "column `text` is int64, expected string" in r.stderr
