"""`curate export`: rows to stdout (JSONL, CSV) and release files to a folder."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import run, write_jsonl
from test_report import FORUM, SYSTEM

from curate.dataset import write_table_dataset

_SCRIPT = Path(sys.executable).with_name("curate")
CURATE = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "curate"]


def _dataset(path: Path, n: int = 5) -> Path:
    table = pa.table(
        {
            "id": [f"d{i}" for i in range(n)],
            "text": [f"document number {i} " + "word " * i for i in range(n)],
            "source": ["web" if i % 2 else "forum" for i in range(n)],
            "license": [["CC-BY-4.0"] if i == 1 else [] for i in range(n)],
            "raw": [b"\x00\xff" for _ in range(n)],
            "q_word_count": [float(3 + i) for i in range(n)],
        }
    )
    write_table_dataset(path, table, step="test", params={"n": n})
    return path


def test_jsonl_to_stdout_holds_the_rows_and_nothing_else(tmp_path):
    ds = _dataset(tmp_path / "ds")
    r = run("export", ds)
    assert r.exit_code == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["id"] for x in rows] == [f"d{i}" for i in range(5)]
    assert rows[1]["license"] == ["CC-BY-4.0"]
    assert rows[0]["raw"] == "AP8="  # binary as base64
    assert "5 rows" in r.stderr


def test_columns_and_where_select_what_is_written(tmp_path):
    ds = _dataset(tmp_path / "ds")
    r = run("export", ds, "--columns", "text,id", "--where", "source = 'web' AND q_word_count > 4")
    assert r.exit_code == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert rows == [
        {"text": "document number 3 word word word ", "id": "d3"},
    ]


def test_csv_to_stdout_has_a_header_and_nested_values_as_json(tmp_path):
    ds = _dataset(tmp_path / "ds")
    r = run("export", ds, "--format", "csv", "--columns", "id,license")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["id"] for x in rows] == [f"d{i}" for i in range(5)]
    assert json.loads(rows[1]["license"]) == ["CC-BY-4.0"]
    none = run("export", ds, "--format", "csv", "--columns", "id", "--where", "id = 'zz'")
    assert none.exit_code == 0 and none.stdout == "id\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--columns", "id,nope"], "--columns: nope not in"),
        (["--where", "nope > 1"], "--where 'nope > 1': no column nope"),
        (["--where", "id ==== 1"], "not a SQL predicate"),
        (["--format", "parquet"], "to stdout only jsonl or csv"),
        (["--format", "xml"], "--format xml: choose one of jsonl, jsonl.zst, parquet, csv"),
        (["--shard-rows", "10"], "--shard-rows needs -o DIR"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, message):
    ds = _dataset(tmp_path / "ds")
    r = run("export", ds, *args)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith("error: ") and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_closed_pipe_ends_the_export_cleanly(tmp_path):
    """`curate export ds | head -n 1`: exit 0, nothing on stderr but the log line."""
    n = 200_000  # several MB: far more than a pipe buffer holds
    table = pa.table({"id": [f"d{i}" for i in range(n)], "text": ["some words " * 4] * n})
    write_table_dataset(tmp_path / "big", table, step="test", params={})
    pipeline = subprocess.run(
        f"{' '.join(CURATE)} export {tmp_path / 'big'} | head -n 1; "
        'echo "status=${PIPESTATUS[0]}" >&2',
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(pipeline.stdout) == {"id": "d0", "text": "some words " * 4}
    assert "status=0" in pipeline.stderr
    assert "Traceback" not in pipeline.stderr and "error" not in pipeline.stderr.lower()


def test_files_to_a_folder_in_a_hugging_face_layout(tmp_path):
    ds = _dataset(tmp_path / "ds", n=7)
    out = tmp_path / "release"
    r = run("export", ds, "-o", out, "--format", "parquet", "--shard-rows", "3")
    assert r.exit_code == 0, r.stderr
    names = sorted(p.name for p in (out / "data").iterdir())
    assert names == ["train-00000.parquet", "train-00001.parquet", "train-00002.parquet"]
    back = pl.read_parquet(out / "data" / "*.parquet")
    assert back["id"].to_list() == [f"d{i}" for i in range(7)]
    assert back.schema["license"] == pl.List(pl.String)
    marker = json.loads((out / "_curate.export.json").read_text())
    assert marker["rows"] == 7 and [f["rows"] for f in marker["files"]] == [3, 3, 1]
    assert not (out / "_curate.pending.json").exists() and not (out / "_curate.lock").exists()
    again = run("export", ds, "-o", out, "--format", "parquet", "--shard-rows", "3")
    assert again.exit_code == 0 and "up to date" in again.stderr


def test_jsonl_files_are_cut_exactly_at_the_byte_limit(tmp_path):
    ds = _dataset(tmp_path / "ds", n=40)
    out = tmp_path / "release"
    r = run("export", ds, "-o", out, "--columns", "id,text", "--shard-bytes", "200B")
    assert r.exit_code == 0, r.stderr
    files = sorted((out / "data").iterdir())
    assert len(files) > 3
    lines = []
    for f in files:
        assert f.stat().st_size <= 200 or len(f.read_text().splitlines()) == 1
        assert f.read_text().endswith("\n")
        lines += f.read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == [f"d{i}" for i in range(40)]


def test_jsonl_zst_files_decompress_to_the_rows(tmp_path):
    ds = _dataset(tmp_path / "ds", n=6)
    out = tmp_path / "release"
    r = run("export", ds, "-o", out, "--format", "jsonl.zst", "--columns", "id")
    assert r.exit_code == 0, r.stderr
    data = zstandard.ZstdDecompressor().stream_reader(
        (out / "data" / "train-00000.jsonl.zst").open("rb")
    )
    ids = [json.loads(x)["id"] for x in data.read().decode().splitlines()]
    assert ids == [f"d{i}" for i in range(6)]


SOURCES = SYSTEM + FORUM  # a declared system and the one source these tests ingest


def test_the_card_from_curate_report_describes_the_exported_files(tmp_path):
    src = tmp_path / "sources.toml"
    src.write_text(SOURCES)
    rows = [
        {"id": f"p{i}", "text": f"Forum post number {i} about rivers and mills."} for i in range(4)
    ]
    write_jsonl(tmp_path / "forum.jsonl", rows)
    ds = tmp_path / "ds"
    r = run("ingest", tmp_path / "forum.jsonl", "--source", "forum", "--sources", src, "-o", ds)
    assert r.exit_code == 0, r.stderr
    assert run("report", ds, "--sources", src, "-o", tmp_path / "report").exit_code == 0
    out = tmp_path / "release"
    r = run(
        "export", ds, "-o", out, "--columns", "id,text", "--where", "id <> 'p0'",
        "--card", tmp_path / "report",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    card = (out / "README.md").read_text()
    assert 'path: "data/train-*.jsonl"' in card
    assert "3 documents" in card
    assert '"source"' not in card  # a column that was not exported is not described
    assert '"text"' in card
    assert json.loads((out / "_curate.export.json").read_text())["card"] == "README.md"


def test_the_output_folder_is_guarded_like_every_curate_output(tmp_path):
    ds = _dataset(tmp_path / "ds")
    out = tmp_path / "release"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    r = run("export", ds, "-o", out)
    assert r.exit_code == 2 and "notes.txt" in r.stderr
    r = run("export", ds, "-o", out, "--overwrite")
    assert r.exit_code == 2 and (out / "notes.txt").read_text() == "mine"
    (out / "notes.txt").unlink()
    assert run("export", ds, "-o", out).exit_code == 0
    other = run("export", ds, "-o", out, "--columns", "id")
    assert other.exit_code == 2 and "--overwrite" in other.stderr
    assert run("export", ds, "-o", out, "--columns", "id", "--overwrite").exit_code == 0
    assert json.loads((out / "_curate.export.json").read_text())["params"]["columns"] == ["id"]
    other_ds = _dataset(tmp_path / "other-ds")
    r = run("export", ds, "-o", other_ds)
    assert r.exit_code == 2 and "folder is not empty" in r.stderr
    assert (other_ds / "_curate.json").exists()  # a dataset there is never replaced silently
    inside = run("export", ds, "-o", ds / "sub")
    assert inside.exit_code == 2 and "inside the input" in inside.stderr


def test_an_interrupted_export_is_not_complete_and_is_redone(tmp_path):
    ds = _dataset(tmp_path / "ds")
    out = tmp_path / "release"
    assert run("export", ds, "-o", out).exit_code == 0
    marker = json.loads((out / "_curate.export.json").read_text())
    # as a kill before the commit leaves it: files written, pending file, no marker
    (out / "_curate.export.json").unlink()
    pending = {
        "step": "export",
        "command": "export",
        "fingerprint": marker["fingerprint"],
        "params": marker["params"],
        "owns": ["data", "README.md", "_curate.export.json"],
    }
    (out / "_curate.pending.json").write_text(json.dumps(pending))
    (out / "data" / "train-00000.jsonl").write_text('{"id": "half')
    r = run("stats", out)
    assert r.exit_code == 2 and "unfinished output of `curate export`" in r.stderr
    r = run("export", ds, "-o", out)
    assert r.exit_code == 0, r.stderr
    lines = (out / "data" / "train-00000.jsonl").read_text().splitlines()
    assert len(lines) == 5


def test_shards_without_a_column_export_it_as_null(tmp_path):
    """An appended source may lack a column the dataset has: its rows get nulls."""
    folder = tmp_path / "bare"
    folder.mkdir()
    pq.write_table(pa.table({"id": ["a"], "text": ["one"], "q": [1.5]}), folder / "p0.parquet")
    pq.write_table(pa.table({"id": ["b"], "text": ["two"]}), folder / "p1.parquet")
    r = run("export", folder, "--where", "text <> 'x'")
    assert r.exit_code == 0, r.stderr
    assert [json.loads(x) for x in r.stdout.splitlines()] == [
        {"id": "a", "text": "one", "q": 1.5},
        {"id": "b", "text": "two", "q": None},
    ]
    c = run("export", folder, "--format", "csv")
    assert c.stdout.splitlines() == ["id,text,q", "a,one,1.5", "b,two,"]
