"""The map-step runner every filter/score/tag step uses: shards, lineage, rejected, resume."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import manifest, read_rows, run, write_jsonl

from curate.dataset import PENDING
from curate.errors import CurateError
from curate.step import BatchOutput, run_map


@dataclass(frozen=True)
class DropWord:
    """A toy step: removes documents containing `word`, adds their length."""

    word: str = "drop"
    name: str = "toy"

    def params(self):
        return {"word": self.word}

    def output_schema(self, schema):
        return schema.append(pa.field("n_chars", pa.int64()))

    def rejected_schema(self, schema):
        return schema.append(pa.field("reason", pa.string()))

    def process(self, table):
        hit = pc.match_substring(table["text"], self.word)
        table = table.append_column("n_chars", pc.utf8_length(table["text"]).cast(pa.int64()))
        kept = table.filter(pc.invert(hit)).drop_columns([])
        rej = table.filter(hit).drop_columns(["n_chars"])
        rej = rej.append_column("reason", pa.array(["has_word"] * rej.num_rows, pa.string()))
        return BatchOutput(
            kept.select(kept.column_names),
            rej,
            {"has_word": rej.num_rows},
            {"chars_seen": float(pc.sum(table["n_chars"]).as_py() or 0)},
        )


def _ingested(tmp_path, rows=30, shard_rows=10):
    src = write_jsonl(
        tmp_path / "d.jsonl",
        [{"id": str(i), "text": ("drop me" if i % 3 == 0 else f"keep {i}")} for i in range(rows)],
    )
    out = tmp_path / "raw"
    r = run("ingest", src, "-o", out, "--source", "s", "-q", "--shard-rows", shard_rows)
    assert r.exit_code == 0
    return out


def test_map_writes_same_shard_names_and_carries_lineage(tmp_path):
    raw = _ingested(tmp_path)
    res = run_map(DropWord(), raw, tmp_path / "out", rejected=tmp_path / "rej", workers=1)
    assert res.rows_in == 30 and res.rows_out == 20 and res.removed == {"has_word": 10}
    m_in, m_out = manifest(raw), manifest(tmp_path / "out")
    assert [s["name"] for s in m_out["shards"]] == [s["name"] for s in m_in["shards"]]
    assert [s["step"] for s in m_out["lineage"]] == ["ingest", "toy"]
    assert m_out["lineage"][1]["removed"] == {"has_word": 10}
    assert m_out["lineage"][1]["totals"]["chars_seen"] > 0
    assert m_out["sources"] == m_in["sources"]
    assert m_out["lineage"][1]["per_source"] == {"s": {"rows_in": 30, "rows_out": 20}}
    rows = read_rows(tmp_path / "out")
    assert all("drop" not in r["text"] for r in rows) and rows[0]["n_chars"] == len(rows[0]["text"])
    rej = read_rows(tmp_path / "rej")
    assert len(rej) == 10 and {r["reason"] for r in rej} == {"has_word"}


def test_map_in_worker_processes_gives_the_same_result(tmp_path, real_workers):
    raw = _ingested(tmp_path)
    run_map(DropWord(), raw, tmp_path / "a", workers=1)
    assert not real_workers.pids
    run_map(DropWord(), raw, tmp_path / "b", workers=2)
    real_workers.assert_ran()
    assert read_rows(tmp_path / "a") == read_rows(tmp_path / "b")


def test_map_resumes_and_is_up_to_date(tmp_path, monkeypatch):
    import curate.step as step_mod

    raw = _ingested(tmp_path)
    real = step_mod.map_shard
    calls = []

    def crash_second(job):
        calls.append(job.shard.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(step_mod, "map_shard", crash_second)
    with pytest.raises(KeyboardInterrupt):
        run_map(DropWord(), raw, tmp_path / "out", workers=1)
    assert (tmp_path / "out" / PENDING).exists()
    calls.clear()
    monkeypatch.setattr(step_mod, "map_shard", lambda j: (calls.append(j.shard.name), real(j))[1])
    res = run_map(DropWord(), raw, tmp_path / "out", workers=1)
    assert len(calls) == 2 and res.rows_in == 30 and res.rows_out == 20
    assert run_map(DropWord(), raw, tmp_path / "out", workers=1).up_to_date
    with pytest.raises(CurateError, match="other parameters"):
        run_map(DropWord(word="keep"), raw, tmp_path / "out", workers=1)


def test_map_over_bare_parquet_and_missing_text(tmp_path):
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["drop", "fine"]}), tmp_path / "x.parquet")
    res = run_map(DropWord(), tmp_path / "x.parquet", tmp_path / "out", workers=1)
    assert res.rows_out == 1 and manifest(tmp_path / "out")["lineage"][0]["step"] == "toy"
    pq.write_table(pa.table({"id": ["a"], "body": ["x"]}), tmp_path / "y.parquet")
    with pytest.raises(CurateError, match="column `text` is missing"):
        run_map(DropWord(), tmp_path / "y.parquet", tmp_path / "out2", workers=1)
