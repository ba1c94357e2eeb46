"""The dataset contract: manifest, atomic shards, resume, bare Parquet, refusals."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run

from curate.dataset import (
    MANIFEST,
    PENDING,
    UNITS,
    DatasetWriter,
    open_dataset,
    write_table_dataset,
)
from curate.errors import CurateError
from curate.lock import LOCK


def _table(n: int = 3) -> pa.Table:
    return pa.table(
        {
            "id": pa.array([f"d{i}" for i in range(n)], pa.string()),
            "text": pa.array([f"text {i}" for i in range(n)], pa.large_string()),
            "source": pa.array(["s"] * n, pa.string()),
        }
    )


def test_manifest_lists_shards_schema_and_lineage(tmp_path):
    ds = write_table_dataset(tmp_path / "ds", _table(), step="test", params={"a": 1})
    m = json.loads((tmp_path / "ds" / MANIFEST).read_text())
    assert m["shards"] == [{"name": "part-00000.parquet", "rows": 3, "bytes": ds.bytes}]
    assert [c["name"] for c in m["schema"]] == ["id", "text", "source"]
    assert m["lineage"][0]["step"] == "test"
    assert m["lineage"][0]["params"] == {"a": 1}
    assert not (tmp_path / "ds" / PENDING).exists()
    again = open_dataset(tmp_path / "ds")
    assert again.schema.field("text").type == pa.large_string()
    assert again.rows == 3


def test_pending_folder_is_not_a_dataset(tmp_path):
    w = DatasetWriter(tmp_path / "out", step="ingest", params={})
    w.begin()
    with pytest.raises(CurateError, match="unfinished output of `curate ingest`"):
        open_dataset(tmp_path / "out")


def test_shard_appears_only_on_commit(tmp_path):
    w = DatasetWriter(tmp_path / "out", step="s", params={})
    w.begin()
    sink = w.shard_sink("part-00000.parquet", _table().schema)
    sink.write(_table())
    assert not (tmp_path / "out" / "part-00000.parquet").exists()
    sink.commit()
    assert pq.read_table(tmp_path / "out" / "part-00000.parquet").num_rows == 3


def test_resume_keeps_done_units_and_removes_orphans(tmp_path):
    out = tmp_path / "out"
    w = DatasetWriter(out, step="s", params={"x": 1}, owns=["part-*.parquet"])
    w.begin()
    sink = w.shard_sink("part-a.parquet", _table().schema)
    sink.write(_table())
    w.unit_done("a", [sink.commit()], {"n": 3})
    orphan = w.shard_sink("part-b.parquet", _table().schema)
    orphan.write(_table())
    orphan.commit()  # written but never recorded as done: a crash right here
    (out / ".tmp-123-part-c.parquet").write_bytes(b"half")

    w.release()  # the process is gone: its lock with it

    again = DatasetWriter(out, step="s", params={"x": 1})  # the pending file says what it owns
    state = again.begin()
    assert state.resumed and list(state.done) == ["a"] and state.info["a"] == {"n": 3}
    assert sorted(p.name for p in out.iterdir()) == [LOCK, PENDING, UNITS, "part-a.parquet"]


def test_other_parameters_refused_without_overwrite(tmp_path):
    write_table_dataset(tmp_path / "ds", _table(), step="s", params={"a": 1})
    w = DatasetWriter(tmp_path / "ds", step="s", params={"a": 2})
    with pytest.raises(CurateError, match="other parameters; pass --overwrite"):
        w.begin()
    assert DatasetWriter(tmp_path / "ds", step="s", params={"a": 1}).begin().up_to_date
    assert (
        not DatasetWriter(tmp_path / "ds", step="s", params={"a": 2}, overwrite=True)
        .begin()
        .up_to_date
    )


def test_refuses_foreign_non_empty_folder_even_with_overwrite(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("precious")
    with pytest.raises(CurateError, match="not empty"):
        DatasetWriter(tmp_path / "mine", step="s", params={}).begin()
    with pytest.raises(CurateError, match="did not write"):
        DatasetWriter(tmp_path / "mine", step="s", params={}, overwrite=True).begin()
    assert (tmp_path / "mine" / "notes.txt").read_text() == "precious"


def test_bare_parquet_file_folder_and_glob(tmp_path):
    pq.write_table(_table(2), tmp_path / "a.parquet")
    pq.write_table(_table(3), tmp_path / "b.parquet")
    assert open_dataset(tmp_path / "a.parquet").rows == 2
    folder = open_dataset(tmp_path)
    assert folder.is_bare and folder.rows == 5 and folder.lineage == []
    assert open_dataset(str(tmp_path / "*.parquet")).rows == 5
    with pytest.raises(CurateError, match="matches no .parquet"):
        open_dataset(str(tmp_path / "*.nothing"))


def test_missing_and_corrupt_shards_are_named(tmp_path):
    write_table_dataset(tmp_path / "ds", _table(), step="s", params={})
    shard = tmp_path / "ds" / "part-00000.parquet"
    size = shard.stat().st_size
    shard.write_bytes(b"garbage")
    with pytest.raises(CurateError, match="part-00000.parquet: shard is 7 bytes but"):
        open_dataset(tmp_path / "ds")
    shard.write_bytes(b"x" * size)  # same size, not Parquet
    with pytest.raises(CurateError, match="part-00000.parquet: shard cannot be read"):
        open_dataset(tmp_path / "ds")
    (tmp_path / "ds" / "part-00000.parquet").unlink()
    with pytest.raises(CurateError, match="shard listed in _curate.json is missing"):
        open_dataset(tmp_path / "ds")


def test_a_shard_of_many_row_groups_reads_in_whole_batches_in_order(tmp_path):
    # read a row group at a time, the batches are still those of one pass over the
    # file: a step's output (its row groups, its bytes) does not depend on the input's
    t = _table(23)
    with pq.ParquetWriter(tmp_path / "a.parquet", t.schema) as w:
        for start in range(0, 23, 5):  # row groups of 5, 5, 5, 5 and 3 rows
            w.write_table(t.slice(start, 5))
    ds = open_dataset(tmp_path / "a.parquet")
    assert pq.ParquetFile(tmp_path / "a.parquet").num_row_groups == 5
    batches = list(ds.iter_batches(batch_size=7))
    assert [b.num_rows for b in batches] == [7, 7, 7, 2]
    assert [r["id"] for b in batches for r in b.to_pylist()] == t.column("id").to_pylist()
    assert [b.num_rows for b in ds.iter_batches(columns=["id"], batch_size=5)] == [5] * 4 + [3]


def test_a_shard_changed_after_its_bare_dataset_was_opened_is_named(tmp_path):
    pq.write_table(_table(3), tmp_path / "a.parquet")
    ds = open_dataset(tmp_path)
    pq.write_table(_table(4), tmp_path / "a.parquet")
    with pytest.raises(CurateError, match="a.parquet: holds 4 rows, 3 when curate opened it"):
        list(ds.iter_batches())


def test_batches_of_heterogeneous_shards_are_conformed(tmp_path):
    pq.write_table(_table(2), tmp_path / "a.parquet")
    extra = _table(1).append_column("lang", pa.array(["de"]))
    pq.write_table(extra, tmp_path / "b.parquet")
    ds = open_dataset(tmp_path)
    rows = [r for b in ds.iter_batches() for r in b.to_pylist()]
    assert [r["lang"] for r in rows] == [None, None, "de"]


@pytest.mark.parametrize("command", ["stats", "show", "filter"])
def test_an_empty_dataset_path_is_one_line_not_the_current_folder(tmp_path, command, monkeypatch):
    """`curate stats "$DATA"` with DATA unset must not read whatever folder it runs in."""
    monkeypatch.chdir(tmp_path)
    extra = ["-o", str(tmp_path / "out"), "--preset", "c4"] if command == "filter" else []
    r = run(command, "", *extra)
    assert r.exit_code == 2 and "the dataset path is empty" in r.stderr, r


def test_an_empty_output_path_is_refused_not_the_current_folder(tmp_path, monkeypatch):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "hello"}\n')
    monkeypatch.chdir(tmp_path)
    r = run("ingest", src, "-o", "", "--source", "s")
    assert r.exit_code == 2 and "-o: the path is empty" in r.stderr, r
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
