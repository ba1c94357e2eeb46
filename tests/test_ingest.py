"""`curate ingest` over line and file formats: columns, counts by reason, exit codes."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import json
import lzma

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import manifest, read_rows, run, write_jsonl

DOCS = [
    {
        "id": "a",
        "text": "First post.\r\nSecond line.",
        "url": "https://f.example/1",
        "created": "2024-02-01T10:00:00Z",
        "author": "ann",
        "score": 3,
    },
    {"id": "b", "text": "Another post", "created": 1706781600},
    {"id": "c", "text": "Third", "created": "not a date"},
]


def test_jsonl_columns_metadata_and_normalised_newlines(tmp_path):
    src = write_jsonl(tmp_path / "dump.jsonl", DOCS)
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "forum", "--quiet")
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert [x["id"] for x in rows] == ["a", "b", "c"]
    assert rows[0]["text"] == "First post.\nSecond line."
    assert rows[0]["source"] == "forum"
    assert rows[0]["url"] == "https://f.example/1"
    assert rows[0]["created"] == dt.datetime(2024, 2, 1, 10, tzinfo=dt.UTC)
    assert rows[1]["created"] == dt.datetime(2024, 2, 1, 10, tzinfo=dt.UTC)
    assert rows[2]["created"] is None
    assert json.loads(rows[0]["metadata"]) == {"author": "ann", "score": 3}
    step = manifest(tmp_path / "out")["lineage"][0]
    assert step["notes"] == {"bad_created": 1}
    assert step["rows_out"] == 3
    schema = pq.read_schema(next((tmp_path / "out").glob("*.parquet")))
    assert schema.field("text").type == pa.large_string()
    assert schema.field("created").type == pa.timestamp("us", tz="UTC")


@pytest.mark.parametrize(
    "suffix,compress",
    [
        (".jsonl.gz", lambda b: gzip.compress(b)),
        (".jsonl.zst", lambda b: zstandard.ZstdCompressor().compress(b)),
        (".jsonl.bz2", bz2.compress),
        (".ndjson.xz", lzma.compress),
    ],
)
def test_compressed_jsonl(tmp_path, suffix, compress):
    data = "".join(json.dumps(d) + "\n" for d in DOCS).encode()
    src = tmp_path / f"dump{suffix}"
    src.write_bytes(compress(data))
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "s", "-q")
    assert r.exit_code == 0, r
    assert len(read_rows(tmp_path / "out")) == 3


def test_field_mapping_and_generated_ids(tmp_path):
    src = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"body": "hello there", "link": "https://x.example", "when": "2023-05-01"},
            {"body": "second", "meta": {"lang": "de"}},
        ],
    )
    args = ["--text-field", "body", "--url-field", "link", "--created-field", "when"]
    r = run("ingest", src, "-o", tmp_path / "o1", "--source", "s", "-q", *args)
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "o1")
    assert rows[0]["url"] == "https://x.example"
    assert rows[0]["created"] == dt.datetime(2023, 5, 1, tzinfo=dt.UTC)
    assert len(rows[0]["id"]) == 32 and rows[0]["id"] != rows[1]["id"]
    # ids are derived from source, path and record index: the same on every run
    run("ingest", src, "-o", tmp_path / "o2", "--source", "s", "-q", *args)
    assert [x["id"] for x in read_rows(tmp_path / "o2")] == [x["id"] for x in rows]


def test_bad_jsonl_lines_are_skipped_counted_and_rejected(tmp_path):
    src = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            DOCS[0],
            "{not json",
            "[1, 2]",
            {"id": "nt", "body": "x"},
            {"id": "n", "text": 5},
            {"id": "e", "text": "   "},
            {"id": "a", "text": "same id again"},
        ],
    )
    with open(src, "ab") as f:
        f.write(b'{"id": "u", "text": "caf\xe9"}\n')
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "s", "--rejected", tmp_path / "rej")
    assert r.exit_code == 0, r
    assert len(read_rows(tmp_path / "out")) == 1
    removed = manifest(tmp_path / "out")["lineage"][0]["removed"]
    assert removed == {
        "invalid_json": 2,
        "missing_text": 1,
        "bad_text": 1,
        "empty_text": 1,
        "duplicate_id": 1,
        "undecodable": 1,
    }
    rej = read_rows(tmp_path / "rej")
    assert sorted(x["reason"] for x in rej) == sorted(
        [
            "invalid_json",
            "invalid_json",
            "missing_text",
            "bad_text",
            "empty_text",
            "duplicate_id",
            "undecodable",
        ]
    )
    bad = next(x for x in rej if x["offset"] == 2)
    assert bad["path"] == str(src) and bad["raw"] == b"{not json\n"
    assert "invalid_json" in r.stderr  # the summary table names every reason


def test_truncated_gzip_keeps_what_was_read(tmp_path):
    data = gzip.compress(
        "".join(json.dumps({"id": str(i), "text": "x" * 50}) + "\n" for i in range(200)).encode()
    )
    src = tmp_path / "cut.jsonl.gz"
    src.write_bytes(data[: len(data) // 2])
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "s", "-q")
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert 0 < len(rows) < 200
    assert manifest(tmp_path / "out")["lineage"][0]["removed"] == {"truncated_file": 1}


def test_a_link_to_nothing_in_a_folder_is_counted_not_lost(tmp_path):
    """A dangling symbolic link (or a loop of them) in an input folder is an input file
    that cannot be read: counted as `unreadable_file`, not left out of the run unnoticed
    (nor a traceback)."""
    folder = tmp_path / "in"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", [{"text": "hello"}])
    (folder / "b.jsonl").symlink_to(tmp_path / "gone.jsonl")
    (folder / "c.jsonl").symlink_to(folder / "d.jsonl")  # a loop: c -> d -> c
    (folder / "d.jsonl").symlink_to(folder / "c.jsonl")
    r = run("ingest", folder, "-o", tmp_path / "out", "--source", "s")
    assert r.exit_code == 0, r
    assert len(read_rows(tmp_path / "out")) == 1
    assert manifest(tmp_path / "out")["lineage"][0]["removed"] == {"unreadable_file": 3}


def test_nothing_readable_exits_2_and_leaves_no_dataset(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    r = run("ingest", tmp_path / "empty.jsonl", "-o", tmp_path / "out", "--source", "s")
    assert r.exit_code == 2
    assert "no record could be read" in r.stderr and "empty_file: 1" in r.stderr
    assert not (tmp_path / "out").exists()


def test_read_but_none_written_exits_0_with_warning(tmp_path):
    src = write_jsonl(tmp_path / "d.jsonl", [{"id": "x", "body": "no text field"}])
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "s")
    assert r.exit_code == 0, r
    assert "warning" in r.stderr
    assert manifest(tmp_path / "out")["rows"] == 0


def test_user_mistakes_are_one_line_exit_2(tmp_path):
    r = run("ingest", tmp_path / "missing.jsonl", "-o", tmp_path / "o", "--source", "s")
    assert (
        r.exit_code == 2
        and r.stderr.strip() == f"error: {tmp_path / 'missing.jsonl'}: no such file or folder"
    )
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02")
    r = run("ingest", tmp_path / "blob.bin", "-o", tmp_path / "o", "--source", "s")
    assert r.exit_code == 2 and "cannot tell the format" in r.stderr and "--format" in r.stderr
    r = run(
        "ingest", tmp_path / "blob.bin", "-o", tmp_path / "o", "--source", "s", "--format", "pdf"
    )
    assert r.exit_code == 2 and "unknown --format `pdf`" in r.stderr
    r = run("ingest", tmp_path / "blob.bin", "-o", tmp_path / "o", "--source", "has space")
    assert r.exit_code == 2 and "--source" in r.stderr
    assert "Traceback" not in r.stderr


def test_csv_with_mapping(tmp_path):
    src = tmp_path / "posts.csv"
    src.write_text('post_id,body,topic\n1,"Hello, world",news\n2,"Multi\nline",misc\n3,,empty\n')
    r = run(
        "ingest",
        src,
        "-o",
        tmp_path / "out",
        "--source",
        "s",
        "-q",
        "--text-field",
        "body",
        "--id-field",
        "post_id",
    )
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert [(x["id"], x["text"]) for x in rows] == [("1", "Hello, world"), ("2", "Multi\nline")]
    assert json.loads(rows[0]["metadata"]) == {"topic": "news"}
    assert manifest(tmp_path / "out")["lineage"][0]["removed"] == {"empty_text": 1}


def test_text_files_per_file_and_per_line(tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("alpha document\nsecond line\n")
    (folder / "b.txt").write_text("beta\n\ngamma\n")
    (folder / "empty.txt").write_text("")
    r = run("ingest", folder, "-o", tmp_path / "o1", "--source", "s", "-q")
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "o1")
    assert [x["path"] for x in rows] == [str(folder / "a.txt"), str(folder / "b.txt")]
    assert rows[0]["text"] == "alpha document\nsecond line\n"
    assert manifest(tmp_path / "o1")["lineage"][0]["removed"] == {"empty_file": 1}
    r = run("ingest", folder, "-o", tmp_path / "o2", "--source", "s", "-q", "--per-line")
    assert [x["text"] for x in read_rows(tmp_path / "o2")] == [
        "alpha document",
        "second line",
        "beta",
        "gamma",
    ]


def test_parquet_input_with_mapping(tmp_path):
    pq.write_table(pa.table({"doc": ["one", "two", None], "n": [1, 2, 3]}), tmp_path / "in.parquet")
    r = run(
        "ingest",
        tmp_path / "in.parquet",
        "-o",
        tmp_path / "out",
        "--source",
        "s",
        "-q",
        "--text-field",
        "doc",
    )
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert [x["text"] for x in rows] == ["one", "two"]
    assert json.loads(rows[1]["metadata"]) == {"n": 2}
    assert manifest(tmp_path / "out")["lineage"][0]["removed"] == {"missing_text": 1}


def test_shard_rows_and_rerun_is_up_to_date(tmp_path):
    src = write_jsonl(tmp_path / "d.jsonl", [{"id": str(i), "text": f"t{i}"} for i in range(25)])
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "s", "-q", "--shard-rows", "10")
    assert r.exit_code == 0
    m = manifest(tmp_path / "out")
    assert [s["rows"] for s in m["shards"]] == [10, 10, 5]
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "s", "--shard-rows", "10")
    assert r.exit_code == 0 and "up to date" in r.stderr
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "s", "--shard-rows", "7")
    assert r.exit_code == 2 and "--overwrite" in r.stderr
    r = run(
        "ingest",
        src,
        "-o",
        tmp_path / "out",
        "--source",
        "s",
        "-q",
        "--shard-rows",
        "7",
        "--overwrite",
    )
    assert r.exit_code == 0 and len(manifest(tmp_path / "out")["shards"]) == 4


def test_append_second_source_unions_schema_and_refuses_clashes(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": "a1", "text": "from a"}])
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "b.txt").write_text("from b")
    out = tmp_path / "out"
    assert run("ingest", a, "-o", out, "--source", "forum", "-q").exit_code == 0
    r = run("ingest", folder, "-o", out, "--source", "books", "-q", "--append")
    assert r.exit_code == 0, r
    m = manifest(out)
    assert sorted(m["sources"]) == ["books", "forum"]
    assert [s["step"] for s in m["lineage"]] == ["ingest", "ingest"]
    rows = read_rows(out)
    assert [(x["source"], x.get("path")) for x in rows] == [
        ("forum", None),
        ("books", str(folder / "b.txt")),
    ]
    # every shard has the same columns, so a plain glob query works across sources
    import polars as pl

    assert pl.read_parquet(f"{out}/*.parquet").height == 2
    # appending the same command again is a no-op; an id already present is refused
    assert "up to date" in run("ingest", folder, "-o", out, "--source", "books", "--append").stderr
    clash = write_jsonl(tmp_path / "c.jsonl", [{"id": "a1", "text": "other text"}])
    r = run("ingest", clash, "-o", out, "--source", "more", "--append")
    assert r.exit_code == 2 and "id 'a1' is already in the dataset" in r.stderr
    assert sorted(manifest(out)["sources"]) == ["books", "forum"]  # untouched
    assert len(read_rows(out)) == 2


SOURCES_TOML = """
schema = "curate.sources/1"
[system]
developer = "Example Labs"
name = "demo"
[sources.forum]
owner = "Forum Inc."
license = "CC-BY-4.0"
kind = "licensed"
collection_start = 2024-01-01
personal_information = "present"
"""


def test_sources_declaration_is_stored(tmp_path):
    (tmp_path / "sources.toml").write_text(SOURCES_TOML)
    src = write_jsonl(tmp_path / "d.jsonl", DOCS)
    r = run(
        "ingest",
        src,
        "-o",
        tmp_path / "out",
        "--source",
        "forum",
        "-q",
        "--sources",
        tmp_path / "sources.toml",
    )
    assert r.exit_code == 0, r
    m = manifest(tmp_path / "out")
    assert m["sources"]["forum"]["owner"] == "Forum Inc."
    assert m["sources"]["forum"]["collection_start"] == "2024-01-01"
    assert m["system"]["developer"] == "Example Labs"


def test_sources_errors_name_source_and_field(tmp_path):
    src = write_jsonl(tmp_path / "d.jsonl", DOCS)
    bad = tmp_path / "bad.toml"
    bad.write_text(SOURCES_TOML.replace("2024-01-01", '"January"'))
    r = run("ingest", src, "-o", tmp_path / "o", "--source", "forum", "--sources", bad)
    assert r.exit_code == 2 and "sources.forum.collection_start: expected a date" in r.stderr
    (tmp_path / "ok.toml").write_text(SOURCES_TOML)
    r = run(
        "ingest", src, "-o", tmp_path / "o", "--source", "web", "--sources", tmp_path / "ok.toml"
    )
    assert r.exit_code == 2 and "no [sources.web] table (declared: forum)" in r.stderr
