"""`curate ingest -`: standard input fed by a real producer process, as in a shell pipe."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import html_page, http_response, manifest, read_rows, write_jsonl, write_warc

_SCRIPT = Path(sys.executable).with_name("curate")
CURATE = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "curate"]


def _pipe(producer: list[str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`producer | curate ARGS`: two processes joined by an OS pipe."""
    feed = subprocess.Popen(producer, stdout=subprocess.PIPE)
    try:
        return subprocess.run(
            [*CURATE, *map(str, args)],
            stdin=feed.stdout,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        assert feed.stdout is not None
        feed.stdout.close()
        feed.wait()


def _cat(path: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        f"import sys,shutil; shutil.copyfileobj(open({str(path)!r},'rb'), sys.stdout.buffer)",
    ]


ROWS = [
    {"id": "a", "text": "The first post in the forum."},
    {"id": "b", "text": "A second post, longer than the first one."},
    "not json at all",
    {"id": "c", "text": ""},
]


def test_jsonl_from_a_pipe_is_read_and_counted_like_a_file(tmp_path):
    src = write_jsonl(tmp_path / "dump.jsonl", ROWS)
    r = _pipe(_cat(src), "ingest", "-", "--source", "forum", "-o", tmp_path / "raw")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""  # stdout carries only data; ingest prints none
    assert [row["id"] for row in read_rows(tmp_path / "raw")] == ["a", "b"]
    step = manifest(tmp_path / "raw")["lineage"][-1]
    assert step["removed"] == {"empty_text": 1, "invalid_json": 1}
    assert step["input"] == ["<stdin>"]
    assert step["bytes_in"] == src.stat().st_size

    # the same rows from a file give the same counts
    f = _pipe(_cat(src), "ingest", src, "--source", "forum", "-o", tmp_path / "from-file")
    assert f.returncode == 0, f.stderr
    assert manifest(tmp_path / "from-file")["lineage"][-1]["removed"] == step["removed"]


def test_a_compressed_stream_is_detected(tmp_path):
    src = tmp_path / "dump.jsonl.gz"
    write_jsonl(src, ROWS[:2], gz=True)
    r = _pipe(_cat(src), "ingest", "-", "--format", "jsonl", "--source", "f", "-o", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    assert [row["text"] for row in read_rows(tmp_path / "o")] == [ROWS[0]["text"], ROWS[1]["text"]]


def test_text_per_line_and_csv_from_a_pipe(tmp_path):
    txt = tmp_path / "lines.txt"
    txt.write_text("one line\n\nanother line\n")
    r = _pipe(
        _cat(txt), "ingest", "-", "--format", "text", "--per-line", "--source", "t",
        "-o", tmp_path / "t",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = read_rows(tmp_path / "t")
    assert [x["text"] for x in rows] == ["one line", "another line"]
    assert {x["path"] for x in rows} == {"<stdin>"}

    csv = tmp_path / "rows.csv"
    csv.write_text("id,body\n1,first row\n2,second row\n")
    r = _pipe(
        _cat(csv), "ingest", "-", "--format", "csv", "--text-field", "body", "--source", "c",
        "-o", tmp_path / "c",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert [x["text"] for x in read_rows(tmp_path / "c")] == ["first row", "second row"]


def test_a_warc_stream_is_read_and_its_format_told_by_content(tmp_path):
    page = http_response(html_page(title="Mill", url="https://example.org/mill").encode())
    warc = write_warc(
        tmp_path / "crawl.warc.gz", [{"uri": "https://example.org/mill", "payload": page}]
    )
    r = _pipe(_cat(warc), "ingest", "-", "--source", "crawl", "-o", tmp_path / "w")
    assert r.returncode == 0, r.stderr
    rows = read_rows(tmp_path / "w")
    assert len(rows) == 1
    assert "miller kept his accounts" in rows[0]["text"]


def test_format_that_cannot_be_told_or_read_from_a_pipe_is_a_usage_error(tmp_path):
    txt = tmp_path / "plain"
    txt.write_text("just some words\n")
    r = _pipe(_cat(txt), "ingest", "-", "--source", "s", "-o", tmp_path / "o")
    assert r.returncode == 2
    assert r.stderr.startswith("error: <stdin>: cannot tell the format")
    r = _pipe(
        _cat(txt), "ingest", "-", "--format", "parquet", "--source", "s", "-o", tmp_path / "o"
    )
    assert r.returncode == 2
    assert "parquet cannot be read from standard input" in r.stderr
    r = _pipe(_cat(txt), "ingest", "-", txt, "--source", "s", "-o", tmp_path / "o")
    assert r.returncode == 2
    assert "must be the only input" in r.stderr
    assert "Traceback" not in r.stderr


def test_an_interrupted_stdin_run_cannot_resume(tmp_path):
    src = write_jsonl(tmp_path / "dump.jsonl", ROWS[:2])
    out = tmp_path / "raw"
    r = _pipe(_cat(src), "ingest", "-", "--source", "forum", "-o", out)
    assert r.returncode == 0, r.stderr
    # make it look as a run killed in the middle leaves it
    m = json.loads((out / "_curate.json").read_text())
    (out / "_curate.json").unlink()
    pending = {"step": "ingest", "command": "ingest", "fingerprint": m["fingerprint"],
               "params": m["lineage"][-1]["params"], "owns": m["owns"]}  # fmt: skip
    (out / "_curate.pending.json").write_text(json.dumps(pending))
    again = _pipe(_cat(src), "ingest", "-", "--source", "forum", "-o", out)
    assert again.returncode == 2
    assert "cannot be resumed" in again.stderr and "--overwrite" in again.stderr
    assert (out / "_curate.pending.json").exists()  # nothing touched
    fresh = _pipe(_cat(src), "ingest", "-", "--source", "forum", "-o", out, "--overwrite")
    assert fresh.returncode == 0, fresh.stderr
    assert len(read_rows(out)) == 2


def test_a_second_stdin_run_into_a_finished_output_is_never_up_to_date(tmp_path):
    first = write_jsonl(tmp_path / "one.jsonl", ROWS[:1])
    second = write_jsonl(tmp_path / "two.jsonl", [{"id": "z", "text": "another stream"}])
    out = tmp_path / "raw"
    assert _pipe(_cat(first), "ingest", "-", "--source", "f", "-o", out).returncode == 0
    r = _pipe(_cat(second), "ingest", "-", "--source", "f", "-o", out)
    assert r.returncode == 2
    assert "--overwrite" in r.stderr and "--append" in r.stderr
    r = _pipe(_cat(second), "ingest", "-", "--source", "f", "-o", out, "--append")
    assert r.returncode == 0, r.stderr
    assert sorted(x["id"] for x in read_rows(out)) == ["a", "z"]
