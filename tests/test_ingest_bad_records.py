"""`curate ingest` never stops for one bad record (issue 14): it is counted, the rest read.

Each test checks what a user sees: the exit code, the documents written (read back with
`open_dataset`), the skip reasons in the lineage, and that the counts add up: documents
written plus records skipped equal the records read.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from typer.testing import CliRunner

from curate.cli import app
from curate.dataset import open_dataset
from curate.ingest.run import FILE_LEVEL_REASONS

COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gz": lambda b: gzip.compress(b, mtime=0),
    "zst": lambda b: zstandard.ZstdCompressor().compress(b),
    "bz2": lambda b: bz2.compress(b, 1),  # 100 kB blocks: several in a test file
    "xz": lzma.compress,
}
WORDS = "river mill stone quiet north lamp bread ledger flour village baker inn road".split()


class Ran:
    """What a user sees of one command (its repr is the assertion message)."""

    def __init__(self, exit_code: int, stderr: str) -> None:
        self.exit_code = exit_code
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"Ran(exit={self.exit_code}, stderr={self.stderr!r})"


def ingest(*args: Any) -> Ran:
    """`curate ingest ARGS --source s -q`, as a user runs it; a traceback fails the test."""
    argv = ["ingest", *(str(a) for a in args), "--source", "s", "-q"]
    result = CliRunner().invoke(app, argv, catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return Ran(result.exit_code, result.stderr)


def docs(out: Path) -> list[dict[str, Any]]:
    """The rows of a dataset (the output, or a --rejected one), in order."""
    return [row for batch in open_dataset(out).iter_batches() for row in batch.to_pylist()]


def removed(out: Path) -> dict[str, int]:
    """The skip reasons of the last ingest, once its counts are checked to add up."""
    ds = open_dataset(out)
    step = ds.lineage[-1]
    skipped = sum(n for r, n in step["removed"].items() if r not in FILE_LEVEL_REASONS)
    assert step["rows_in"] == step["rows_out"] + skipped
    assert step["rows_out"] == ds.rows
    return step["removed"]


def texts(n: int, seed: int = 0) -> list[str]:
    """`n` distinct lines of words, each naming its number."""
    rng = random.Random(seed)
    return [f"line {i}: " + " ".join(rng.choice(WORDS) for _ in range(14)) for i in range(n)]


def damage(data: bytes, at: float = 0.5, size: int = 16) -> bytes:
    out = bytearray(data)
    start = int(len(out) * at)
    for i in range(start, start + size):
        out[i] ^= 0xFF
    return bytes(out)


# -- text that is not valid Unicode


def test_lone_surrogate_escape_in_any_field_is_undecodable(tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_text(
        "\n".join(
            [
                '{"id": "a", "text": "first"}',
                r'{"id": "b", "text": "a\ud800b"}',
                r'{"id": "c\udfff", "text": "in the id"}',
                r'{"id": "d", "text": "in the url", "url": "https://e.example/\ud800"}',
                r'{"id": "e", "text": "in metadata", "author": "\udc00"}',
                r'{"id": "f", "text": "in a metadata key", "\uDBFF": 1}',
                r'{"id": "g", "text": "emoji \ud83d\ude00, escaped backslash \\ud800"}',
                '{"id": "h", "text": "last"}',
            ]
        )
        + "\n"
    )
    r = ingest(src, "-o", tmp_path / "out", "--rejected", tmp_path / "rej")
    assert r.exit_code == 0, r
    got = docs(tmp_path / "out")
    assert [d["id"] for d in got] == ["a", "g", "h"]
    assert got[1]["text"] == "emoji \U0001f600, escaped backslash \\ud800"
    assert removed(tmp_path / "out") == {"undecodable": 5}
    rej = docs(tmp_path / "rej")
    assert [x["reason"] for x in rej] == ["undecodable"] * 5
    assert {x["path"] for x in rej} == {str(src)}
    assert all(b"\\ud" in x["raw"].lower() for x in rej)


def test_csv_bytes_not_utf8_in_the_header_or_an_extra_field_are_undecodable(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_bytes(b"id,text,t\xffpic\nx1,hello,a\nx2,world,b\n")
    (folder / "b.csv").write_bytes(b"id,text\n1,hello\n2,world,extra \xff\n3,again\n")
    r = ingest(folder, "-o", tmp_path / "out")
    assert r.exit_code == 0, r
    assert [d["id"] for d in docs(tmp_path / "out")] == ["1", "3"]
    assert removed(tmp_path / "out") == {"undecodable": 3}


def test_parquet_string_not_utf8_is_undecodable(tmp_path):
    # Arrow checks UTF-8 when it builds strings, not when it reads Parquet written elsewhere
    raw = pa.array([b"ok", b"a\xff b", b"fine"], pa.binary())
    text = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())
    pq.write_table(pa.table({"id": ["1", "2", "3"], "text": text}), tmp_path / "in.parquet")
    r = ingest(tmp_path / "in.parquet", "-o", tmp_path / "out", "--rejected", tmp_path / "rej")
    assert r.exit_code == 0, r
    assert [d["text"] for d in docs(tmp_path / "out")] == ["ok", "fine"]
    assert removed(tmp_path / "out") == {"undecodable": 1}
    (rej,) = docs(tmp_path / "rej")
    assert rej["offset"] == 2 and b"a\xff b" in rej["raw"]


# -- JSON that is not a record


def test_deeply_nested_json_line_is_invalid_json_and_the_file_goes_on(tmp_path):
    src = tmp_path / "deep.jsonl"
    src.write_text(
        "\n".join(
            [
                '{"id": "a", "text": "before"}',
                "[" * 100_000,
                '{"a":' * 50_000 + "1" + "}" * 50_000,
                '{"id": "n", "text": "nested, not deep", "m": ' + "[" * 50 + "]" * 50 + "}",
                '{"id": "b", "text": "after"}',
            ]
        )
        + "\n"
    )
    r = ingest(src, "-o", tmp_path / "out", "--rejected", tmp_path / "rej")
    assert r.exit_code == 0, r
    assert [d["id"] for d in docs(tmp_path / "out")] == ["a", "n", "b"]
    assert removed(tmp_path / "out") == {"invalid_json": 2}
    assert [(x["offset"], x["reason"]) for x in docs(tmp_path / "rej")] == [
        (2, "invalid_json"),
        (3, "invalid_json"),
    ]


def test_json_of_another_type_text_of_another_type_and_nul(tmp_path):
    src = tmp_path / "d.jsonl"
    lines = [
        b'{"id": "a", "text": "kept"}',
        b"1",
        b'"a string"',
        b"[1, 2]",
        b"null",
        b"true",
        b'{"id": "t1", "text": 5}',
        b'{"id": "t2", "text": ["a"]}',
        b'{"id": "t3", "text": {"a": 1}}',
        b'{"id": "t4", "text": false}',
        b'{"id": "raw-nul", "text": "a\x00b"}',  # JSON has no raw control characters
        b'{"id": "nul", "text": "a\\u0000b"}',
        b'{"id": "latin1", "text": "caf\xe9"}',
    ]
    src.write_bytes(b"\n".join(lines) + b"\n")
    r = ingest(src, "-o", tmp_path / "out")
    assert r.exit_code == 0, r
    got = docs(tmp_path / "out")
    assert [(d["id"], d["text"]) for d in got] == [("a", "kept"), ("nul", "a\x00b")]
    assert removed(tmp_path / "out") == {"invalid_json": 6, "bad_text": 4, "undecodable": 1}


def test_csv_with_nul_and_a_field_over_the_csv_modules_limit(tmp_path):
    big = "y" * 200_000  # the csv module's default limit is 131,072
    (tmp_path / "d.csv").write_bytes(f"id,text\n1,a\x00b\n2,{big}\n3,ok\n".encode())
    r = ingest(tmp_path / "d.csv", "-o", tmp_path / "out")
    assert r.exit_code == 0, r
    assert [d["text"] for d in docs(tmp_path / "out")] == ["a\x00b", big, "ok"]
    assert removed(tmp_path / "out") == {}


def test_csv_header_after_blank_lines_and_rows_of_blank_cells(tmp_path):
    (tmp_path / "d.csv").write_bytes(b"\n\nid,text\n1,hello\n \n , \n2,world\n")
    r = ingest(tmp_path / "d.csv", "-o", tmp_path / "out")
    assert r.exit_code == 0, r
    got = docs(tmp_path / "out")
    assert [(d["id"], d["text"], d["metadata"]) for d in got] == [
        ("1", "hello", None),
        ("2", "world", None),
    ]
    assert removed(tmp_path / "out") == {}


# -- byte-order marks, empty files


def test_byte_order_mark_is_not_part_of_the_first_record(tmp_path):
    bom = b"\xef\xbb\xbf"
    (tmp_path / "d.jsonl").write_bytes(
        bom + b'{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n'
    )
    r = ingest(tmp_path / "d.jsonl", "-o", tmp_path / "o1")
    assert r.exit_code == 0, r
    assert [d["id"] for d in docs(tmp_path / "o1")] == ["a", "b"]
    assert removed(tmp_path / "o1") == {}

    (tmp_path / "d.csv").write_bytes(bom + b"id,text\n1,hello\n2,world\n")
    r = ingest(tmp_path / "d.csv", "-o", tmp_path / "o2")
    assert r.exit_code == 0, r
    got = docs(tmp_path / "o2")
    assert [(d["id"], d["metadata"]) for d in got] == [("1", None), ("2", None)]

    (tmp_path / "d.txt").write_bytes(bom + b"hello\nworld\n")
    r = ingest(tmp_path / "d.txt", "-o", tmp_path / "o3", "--per-line")
    assert r.exit_code == 0, r
    assert [d["text"] for d in docs(tmp_path / "o3")] == ["hello", "world"]


def test_empty_and_whitespace_only_files_are_empty_file(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "blank.jsonl").write_bytes(b" \n\t\n")
    (folder / "blank.csv").write_bytes(b"\n \n")
    (folder / "blank.txt").write_bytes(b" \n\n")
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), folder / "none.parquet")
    (folder / "good.jsonl").write_text('{"text": "the one document"}\n')
    r = ingest(folder, "-o", tmp_path / "o1")
    assert r.exit_code == 0, r
    assert [d["text"] for d in docs(tmp_path / "o1")] == ["the one document"]
    assert removed(tmp_path / "o1") == {"empty_file": 5}

    r = ingest(folder / "blank.txt", folder / "good.jsonl", "-o", tmp_path / "o2", "--per-line")
    assert r.exit_code == 0, r
    assert removed(tmp_path / "o2") == {"empty_file": 1}

    r = ingest(folder / "blank.jsonl", "-o", tmp_path / "o3")
    assert r.exit_code == 2
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("error: no record could be read") and "empty_file: 1" in line
    assert not (tmp_path / "o3").exists()


# -- Parquet files that do not hold what is asked


def test_parquet_text_column_of_another_type_or_missing_is_counted(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    pq.write_table(pa.table({"text": [1, 2]}), folder / "a-int.parquet")
    pq.write_table(pa.table({"body": ["x", "y"]}), folder / "b-missing.parquet")
    pq.write_table(pa.table({"text": ["kept"]}), folder / "c-good.parquet")
    r = ingest(folder, "-o", tmp_path / "out")
    assert r.exit_code == 0, r
    assert [d["text"] for d in docs(tmp_path / "out")] == ["kept"]
    assert removed(tmp_path / "out") == {"bad_text": 2, "missing_text": 2}


def test_parquet_that_is_not_parquet_is_corrupt_file(tmp_path):
    (tmp_path / "junk.parquet").write_bytes(random.Random(1).randbytes(5000))
    r = ingest(tmp_path / "junk.parquet", "-o", tmp_path / "o1")
    assert r.exit_code == 2
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("error: ") and "corrupt_file: 1" in line
    pq.write_table(pa.table({"text": ["kept"]}), tmp_path / "good.parquet")
    r = ingest(tmp_path / "junk.parquet", tmp_path / "good.parquet", "-o", tmp_path / "o2")
    assert r.exit_code == 0, r
    assert removed(tmp_path / "o2") == {"corrupt_file": 1}


def test_damaged_parquet_row_group_loses_only_its_rows(tmp_path):
    lines = texts(3000)
    table = pa.table({"id": [str(i) for i in range(3000)], "text": lines})
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=1000)
    chunk = pq.ParquetFile(tmp_path / "in.parquet").metadata.row_group(1).column(1)
    data = bytearray((tmp_path / "in.parquet").read_bytes())
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    middle = start + chunk.total_compressed_size // 2
    data[middle : middle + 64] = bytes(64)
    (tmp_path / "in.parquet").write_bytes(bytes(data))
    r = ingest(tmp_path / "in.parquet", "-o", tmp_path / "out")
    assert r.exit_code == 0, r
    got = {d["id"]: d["text"] for d in docs(tmp_path / "out")}
    assert all(got[str(i)] == lines[i] for i in [*range(1000), *range(2000, 3000)])
    assert removed(tmp_path / "out") == {"corrupt_record": 1}


# -- compressed streams that are damaged or cut short


def _lines_file(fmt: str, lines: list[str], first: int = 0) -> bytes:
    """`lines` as a JSONL, CSV or text file; ids count from `first`."""
    if fmt == "jsonl":
        body = "".join(
            json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(lines, first)
        )
    elif fmt == "csv":
        body = "id,text\n" + "".join(f"{i},{t}\n" for i, t in enumerate(lines, first))
    else:
        body = "".join(t + "\n" for t in lines)
    return body.encode()


def _leading_originals(got: list[dict[str, Any]], lines: list[str]) -> int:
    """How many documents, from the first, are the file's first lines as they were."""
    n = 0
    while n < len(got) and n < len(lines) and got[n]["text"] == lines[n]:
        n += 1
    return n


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "text"])
@pytest.mark.parametrize("comp", ["gz", "zst", "bz2", "xz"])
def test_damaged_compressed_stream_keeps_the_records_before_the_damage(tmp_path, comp, fmt):
    lines = texts(3000)
    ext = {"jsonl": "jsonl", "csv": "csv", "text": "txt"}[fmt]
    src = tmp_path / f"d.{ext}.{comp}"
    src.write_bytes(damage(COMPRESS[comp](_lines_file(fmt, lines))))
    per_line = ["--per-line"] if fmt == "text" else []
    r = ingest(src, "-o", tmp_path / "out", *per_line)
    assert r.exit_code == 0, r
    assert _leading_originals(docs(tmp_path / "out"), lines) >= 750
    # a format may decode damaged bytes for a while before its check fails (the lines
    # decoded meanwhile are read like any other, most counted as invalid)
    assert removed(tmp_path / "out")["truncated_file"] == 1


@pytest.mark.parametrize("comp", ["gz", "zst", "bz2", "xz"])
def test_compressed_stream_cut_short_is_counted_never_silent(tmp_path, comp):
    lines = texts(3000)
    data = COMPRESS[comp](_lines_file("jsonl", lines))
    src = tmp_path / f"d.jsonl.{comp}"
    src.write_bytes(data[: int(len(data) * 0.6)])
    r = ingest(src, "-o", tmp_path / "out")
    assert r.exit_code == 0, r
    got = docs(tmp_path / "out")
    assert len(got) >= 750 and _leading_originals(got, lines) == len(got)
    assert removed(tmp_path / "out") == {"truncated_file": 1}


@pytest.mark.parametrize("comp", ["gz", "zst"])
def test_damaged_member_or_frame_resumes_at_the_next(tmp_path, comp):
    lines = texts(3000)
    members = []  # 4 members (frames) of 750 lines each, the second one damaged
    for k in range(4):
        member = COMPRESS[comp](_lines_file("jsonl", lines[750 * k : 750 * k + 750], 750 * k))
        members.append(damage(member) if k == 1 else member)
    src = tmp_path / f"d.jsonl.{comp}"
    src.write_bytes(b"".join(members))
    r = ingest(src, "-o", tmp_path / "out")
    assert r.exit_code == 0, r
    got = {d["id"]: d["text"] for d in docs(tmp_path / "out")}
    assert all(got.get(str(i)) == lines[i] for i in [*range(750), *range(1500, 3000)])
    reasons = removed(tmp_path / "out")
    assert reasons["corrupt_record"] == 1 and "truncated_file" not in reasons

    # a file read whole is one document: with a hole in it, it is not written
    parts = [COMPRESS[comp](_lines_file("text", lines[i : i + 750])) for i in (0, 750, 1500)]
    whole = tmp_path / f"whole.txt.{comp}"
    whole.write_bytes(parts[0] + damage(parts[1]) + parts[2])
    r = ingest(whole, "-o", tmp_path / "o2")
    assert r.exit_code == 0, r
    assert docs(tmp_path / "o2") == [] and removed(tmp_path / "o2") == {"truncated_file": 1}


def test_damaged_compressed_file_gets_its_format_from_what_decodes(tmp_path):
    lines = texts(400)
    data = gzip.compress(_lines_file("jsonl", lines), mtime=0)
    (tmp_path / "dump.gz").write_bytes(data[: len(data) // 2])  # no format in the name
    r = ingest(tmp_path / "dump.gz", "-o", tmp_path / "out")
    assert r.exit_code == 0, r
    assert _leading_originals(docs(tmp_path / "out"), lines) >= 50
    assert removed(tmp_path / "out") == {"truncated_file": 1}

    (tmp_path / "blob.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4)
    r = ingest(tmp_path / "blob.gz", "-o", tmp_path / "o2")
    assert r.exit_code == 2
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith(f"error: {tmp_path / 'blob.gz'}: cannot tell the format")
    assert "its content cannot be read" in line and "--format" in line


def test_file_name_that_is_not_utf8(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")
    try:
        (folder / name).write_text("a page of text\n")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system only takes UTF-8 names")
    r = ingest(folder, "-o", tmp_path / "out")
    assert r.exit_code == 0, r
    assert [d["path"] for d in docs(tmp_path / "out")] == [f"{folder}/caf\\xe9.txt"]
