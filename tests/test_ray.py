"""The same commands on a real local Ray: the same bytes as local runs, every step.

A local Ray instance on 2 CPUs (the `ray_cluster` fixture) stands in for a cluster:
the tasks run in Ray's own worker processes, and the shards they write must be
byte-identical to those of local runs with one worker and with two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import manifest, run, write_jsonl

pytestmark = pytest.mark.usefixtures("ray_cluster")

WORDS = (
    "the river ran quietly past the old mill where the miller kept his accounts and "
    "every morning he counted the sacks of flour and wrote the numbers in a ledger"
).split()


def _corpus(folder: Path, files: int = 4, rows: int = 60) -> Path:
    folder.mkdir()
    for f in range(files):
        docs = []
        for i in range(rows):
            n = 40 + (i * 7 + f) % 90
            text = " ".join(WORDS[(i + j * f) % len(WORDS)] for j in range(n))
            if i % 9 == 0:
                text = "short"
            if i % 11 == 0 and i:  # near duplicates across files
                text = " ".join(WORDS * 3) + f" tail {i % 3}"
            docs.append({"id": f"{f}-{i}", "text": text, "url": f"https://e.org/{f}/{i}"})
        write_jsonl(folder / f"part{f}.jsonl", docs)
    return folder


def _shards(folder: Path) -> dict[str, bytes]:
    return {s["name"]: (folder / s["name"]).read_bytes() for s in manifest(folder)["shards"]}


def _same_everywhere(tmp_path: Path, step: str, *args: object) -> dict[str, Path]:
    outs = {}
    for label, extra in (
        ("local1", ("--workers", "1")),
        ("local2", ("--workers", "2")),
        ("ray", ("--workers", "2", "--executor", "ray")),
    ):
        out = tmp_path / f"{step}-{label}"
        r = run(step, *args, "-o", out, *extra, "-q")
        assert r.exit_code == 0, (label, r)
        outs[label] = out
    reference = _shards(outs["local1"])
    assert reference
    for label in ("local2", "ray"):
        assert _shards(outs[label]) == reference, label
        mine = manifest(outs[label])["lineage"][-1]
        ref = manifest(outs["local1"])["lineage"][-1]
        for key in ("rows_in", "rows_out", "removed"):
            assert mine.get(key) == ref.get(key), (label, key)
    last = manifest(outs["ray"])["lineage"][-1]
    assert last["executor"] == "ray" and last["hosts"] == 1
    assert manifest(outs["local2"])["lineage"][-1]["executor"] == "local"
    return outs


def test_ingest_filter_dedup_score_decontaminate_give_the_same_bytes_on_ray(tmp_path, monkeypatch):
    import curate.executor as executor_mod
    import curate.ingest.run as ingest_run

    monkeypatch.setattr(ingest_run, "MIN_TASK_BYTES", 1)  # several tasks
    monkeypatch.setattr(executor_mod, "SMALL_INPUT_DOCS", 0)  # processes, not threads
    monkeypatch.setattr(executor_mod, "IN_PROCESS_DOCS", 0)
    src = _corpus(tmp_path / "in")
    ing = _same_everywhere(tmp_path, "ingest", src, "--source", "s", "--shard-rows", "40")
    raw = ing["local1"]
    _same_everywhere(tmp_path, "filter", raw, "--preset", "gopher")
    dd = _same_everywhere(tmp_path, "dedup", raw, "--threshold", "0.7")
    assert manifest(dd["ray"])["lineage"][-1]["rows_out"] < manifest(raw)["rows"]
    _same_everywhere(tmp_path, "score", raw)
    items = write_jsonl(tmp_path / "quiz.jsonl", [{"text": " ".join(WORDS[:16])}])
    dc = _same_everywhere(tmp_path, "decontaminate", raw, "--against", items, "--mode", "annotate")
    assert manifest(dc["ray"])["lineage"][-1]["totals"]["contaminated by quiz"] > 0


def test_a_missing_extra_and_an_unreachable_cluster_are_one_line(tmp_path, monkeypatch):
    src = _corpus(tmp_path / "in", files=1, rows=5)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if `curate[ray]` were not installed
    r = run("ingest", src, "-o", tmp_path / "o", "--source", "s", "--executor", "ray")
    assert r.exit_code == 2 and "pip install 'curate[ray]'" in r.stderr
    monkeypatch.delitem(sys.modules, "ray")
    env = {**os.environ, "CURATE_EXECUTOR": "ray", "RAY_ADDRESS": "127.0.0.1:9"}
    cmd = [
        sys.executable,
        "-m",
        "curate",
        "ingest",
        str(src),
        "-o",
        str(tmp_path / "o2"),
        "--source",
        "s",
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("error: RAY_ADDRESS 127.0.0.1:9: no Ray cluster answers")
    assert p.stderr.count("\n") == 1
    r = run("ingest", src, "-o", tmp_path / "o3", "--source", "s", "--executor", "spark")
    assert r.exit_code == 2 and "unknown executor `spark`" in r.stderr
    assert not json.dumps(r.stderr).count("Traceback")


class _LengthStep:
    """A tiny map step for the fault tests: adds `n_chars`; can kill its worker once, or
    fail on one shard, the first time it meets it (marker files in `flags`)."""

    name = "lengths"

    def __init__(self, flags: str, crash_on: str = "", fail_on: str = "") -> None:
        self.flags, self.crash_on, self.fail_on = flags, crash_on, fail_on

    def params(self):
        return {}

    def output_schema(self, schema):
        import pyarrow as pa

        return schema.append(pa.field("n_chars", pa.int64()))

    def rejected_schema(self, schema):
        return None

    def process(self, table):
        import pyarrow as pa
        import pyarrow.compute as pc

        from curate.step import BatchOutput

        first = table.column("id")[0].as_py()
        for which, action in ((self.crash_on, "crash"), (self.fail_on, "fail")):
            flag = Path(self.flags) / f"{action}-{first}"
            if which and first == which and not flag.exists():
                flag.write_text("x")
                if action == "crash":
                    os._exit(1)  # the worker dies mid-unit
                raise RuntimeError("interrupted")  # the run stops here
        n = pc.utf8_length(table.column("text")).cast(pa.int64())
        return BatchOutput(table.append_column("n_chars", n))


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    src = _corpus(tmp_path / "in", files=3, rows=30)
    assert run("ingest", src, "-o", raw, "--source", "s", "--shard-rows", "10", "-q").exit_code == 0
    return raw


def test_a_worker_killed_mid_unit_on_ray_is_retried_and_the_output_is_identical(tmp_path):
    from curate.executor import LocalExecutor, make_executor
    from curate.step import run_map

    raw = _raw(tmp_path)
    first_ids = [b.column("id")[0].as_py() for b in _batches(raw)]
    clean = tmp_path / "clean"
    run_map(_LengthStep(str(tmp_path)), raw, clean, executor=LocalExecutor(1))
    out = tmp_path / "ray"
    step = _LengthStep(str(tmp_path), crash_on=first_ids[2])
    run_map(step, raw, out, executor=make_executor(2, backend="ray"))
    assert (tmp_path / f"crash-{first_ids[2]}").exists()  # it did die once
    assert _shards(out) == _shards(clean)


def test_a_run_interrupted_on_ray_resumes_to_the_same_output(tmp_path):
    from curate.executor import LocalExecutor, make_executor
    from curate.step import run_map

    raw = _raw(tmp_path)
    first_ids = [b.column("id")[0].as_py() for b in _batches(raw)]
    clean = tmp_path / "clean"
    run_map(_LengthStep(str(tmp_path)), raw, clean, executor=LocalExecutor(1))
    out = tmp_path / "ray"
    ray_ex = make_executor(2, backend="ray")
    with pytest.raises(RuntimeError, match="interrupted"):
        run_map(_LengthStep(str(tmp_path), fail_on=first_ids[4]), raw, out, executor=ray_ex)
    assert (out / "_curate.pending.json").exists() and not (out / "_curate.json").exists()
    run_map(_LengthStep(str(tmp_path), fail_on=first_ids[4]), raw, out, executor=ray_ex)
    assert _shards(out) == _shards(clean)


def _batches(ds: Path):
    from curate.dataset import open_dataset

    d = open_dataset(ds)
    return [next(d.shard_batches(s)) for s in d.shards]
