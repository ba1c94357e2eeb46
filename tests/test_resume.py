"""A crash never leaves a complete-looking output; the rerun finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import manifest, read_rows, run, write_jsonl

import curate.ingest.run as ingest_run
from curate.dataset import PENDING, open_dataset
from curate.errors import CurateError
from curate.executor import LocalExecutor, UnitFailed


def _inputs(tmp_path, files=6, rows=50):
    folder = tmp_path / "in"
    folder.mkdir()
    for f in range(files):
        write_jsonl(
            folder / f"f{f}.jsonl",
            [{"id": f"{f}-{i}", "text": f"document {f} {i} " * 20} for i in range(rows)],
        )
    return folder


def test_interrupted_ingest_resumes_without_redoing_finished_tasks(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_run, "MIN_TASK_BYTES", 1)
    monkeypatch.setattr(ingest_run, "TASK_FILES", 1)  # one task per file
    folder = _inputs(tmp_path)
    out = tmp_path / "out"
    real = ingest_run.run_task
    calls: list[int] = []

    def crash_on_fourth(task):
        calls.append(task.number)
        if len(calls) == 4:
            raise KeyboardInterrupt  # the process is killed mid-run
        return real(task)

    monkeypatch.setattr(ingest_run, "run_task", crash_on_fourth)
    r = run("ingest", folder, "-o", out, "--source", "s", "--workers", "1", "-q")
    assert r.exit_code == 130
    assert (out / PENDING).exists() and not (out / "_curate.json").exists()
    with pytest.raises(CurateError, match="unfinished output"):
        open_dataset(out)
    r = run("stats", out)
    assert r.exit_code == 2 and "re-run that step to resume" in r.stderr

    calls.clear()
    monkeypatch.setattr(ingest_run, "run_task", lambda t: (calls.append(t.number), real(t))[1])
    r = run("ingest", folder, "-o", out, "--source", "s", "--workers", "1", "-q")
    assert r.exit_code == 0, r
    assert calls == [3, 4, 5]  # tasks 0-2 were complete and are not redone
    rows = read_rows(out)
    assert len(rows) == 300 and len({x["id"] for x in rows}) == 300
    assert manifest(out)["lineage"][0]["rows_out"] == 300
    assert not (out / PENDING).exists()


def test_killed_process_leaves_unfinished_output_that_resumes(tmp_path):
    folder = _inputs(tmp_path, files=40, rows=400)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "curate",
        "ingest",
        str(folder),
        "-o",
        str(out),
        "--source",
        "s",
        "--workers",
        "1",
        "--quiet",
    ]
    env = {**os.environ, "CURATE_TEST": "1"}
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.time() + 30
    while not (out / PENDING).exists() and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if (out / "_curate.json").exists() and not (out / PENDING).exists():
        pytest.skip("the run finished before it could be killed")
    assert not (out / "_curate.json").exists()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = read_rows(out)
    assert len(rows) == 16_000 and len({x["id"] for x in rows}) == 16_000


def _crash_once(marker: str, _unit: int) -> int:
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)  # a worker dying hard (OOM kill, segfault)
    return 42


def test_executor_retries_a_crashed_worker(tmp_path):
    from functools import partial

    ex = LocalExecutor(workers=2, retries=1)
    fn = partial(_crash_once, str(tmp_path / "crashed"))
    results = [r for _, r in ex.map_unordered(fn, [1, 2])]
    assert results == [42, 42]


def _always_crash(_: int) -> int:
    os._exit(1)


def test_executor_reports_a_unit_that_keeps_crashing():
    ex = LocalExecutor(workers=2, retries=1)
    results = [r for _, r in ex.map_unordered(_always_crash, [1, 2])]
    assert all(isinstance(r, UnitFailed) for r in results)


def _crash_on_three(unit: int) -> int:
    if unit == 3:
        os._exit(1)  # this unit kills its worker every time it runs
    return unit * 10


def test_only_the_unit_that_kills_its_worker_fails():
    """The others in flight with it at the crash, and the ones queued, all complete."""
    ex = LocalExecutor(workers=2, retries=1)
    results = dict(ex.map_unordered(_crash_on_three, list(range(1, 9))))
    failed = [u for u, r in results.items() if isinstance(r, UnitFailed)]
    assert failed == [3]
    assert "again when it ran alone" in results[3].error
    assert {u: r for u, r in results.items() if u != 3} == {
        u: u * 10 for u in range(1, 9) if u != 3
    }


def test_a_step_names_the_shard_whose_worker_crashed(tmp_path, monkeypatch):
    from curate.executor import describe
    from curate.ingest.detect import InputFile

    class Job:
        def __init__(self, shard):
            self.shard = shard

    class Named:
        name = "part-00000-0003.parquet"

    assert describe(Job(Named())) == "shard part-00000-0003.parquet"

    class Task:
        files = (InputFile(tmp_path / "a.warc.gz", "crawl/a.warc.gz", "warc", 1),) * 3

    assert describe(Task()) == "input crawl/a.warc.gz (+2 more)"


def _square_and_tick(x: int) -> int:
    from curate.executor import report

    if x < 0:
        raise ValueError(f"negative unit {x}")
    report(docs=x)
    return x * x


def test_thread_mode_runs_every_unit_counts_every_tick_and_raises_a_units_error():
    ticks: list[int] = []
    ex = LocalExecutor(workers=2, threads=True)
    got = dict(
        ex.map_unordered(
            _square_and_tick, list(range(20)), on_progress=lambda c: ticks.append(c["docs"])
        )
    )
    assert got == {x: x * x for x in range(20)}
    assert sorted(ticks) == list(range(20))
    with pytest.raises(ValueError, match="negative unit -3"):
        list(ex.map_unordered(_square_and_tick, [1, 2, -3, 4]))


def test_a_kept_pool_whose_idle_workers_died_is_replaced():
    """Workers killed between two steps (the OOM killer picks idle ones too)."""
    import curate.executor as executor_mod

    ex = LocalExecutor(workers=2)
    assert dict(ex.map_unordered(_square_and_tick, [1, 2, 3])) == {1: 1, 2: 4, 3: 9}
    pool = executor_mod._POOLS[2]
    for proc in list(pool._processes.values()):
        proc.kill()
        proc.join()
    got = dict(ex.map_unordered(_square_and_tick, list(range(8))))
    assert got == {x: x * x for x in range(8)}


def _tick_a_lot(x: int) -> int:
    from curate.executor import report

    for _ in range(20_000):  # far more than a pipe holds, faster than the parent reads
        report(docs=1)
    return x


def test_kept_workers_stop_even_with_progress_ticks_nobody_read():
    import threading

    import curate.executor as executor_mod

    ex = LocalExecutor(workers=2)
    assert sorted(dict(ex.map_unordered(_tick_a_lot, [1, 2]))) == [1, 2]
    # a unit whose ticks nobody drains (as late ticks of earlier calls pile up in a long
    # session) leaves the ticks pipe full
    pool = executor_mod._POOLS[2]
    assert pool.submit(_tick_a_lot, 3).result() == 3
    workers = list(pool._processes.values())
    stopper = threading.Thread(target=executor_mod.shutdown_pools, daemon=True)
    stopper.start()
    stopper.join(timeout=60)
    hung = stopper.is_alive()
    for proc in workers:  # never leave a hung worker to block the test run's own exit
        if proc.is_alive():
            proc.kill()
    assert not hung, "the kept workers did not stop: each waits to flush its ticks"


def test_ids_repeated_across_tasks_are_dropped_and_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_run, "MIN_TASK_BYTES", 1)
    monkeypatch.setattr(ingest_run, "TASK_FILES", 1)  # each file is its own task
    folder = tmp_path / "in"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", [{"id": "x", "text": "first copy"}, {"id": "y", "text": "y"}])
    write_jsonl(folder / "b.jsonl", [{"id": "x", "text": "second copy"}, {"id": "z", "text": "z"}])
    out, rej = tmp_path / "out", tmp_path / "rej"
    r = run("ingest", folder, "-o", out, "--source", "s", "-q", "--workers", "1", "--rejected", rej)
    assert r.exit_code == 0, r
    rows = read_rows(out)
    assert sorted((x["id"], x["text"]) for x in rows) == [
        ("x", "first copy"),
        ("y", "y"),
        ("z", "z"),
    ]
    assert manifest(out)["rows"] == 3
    assert manifest(out)["lineage"][0]["removed"] == {"duplicate_id": 1}
    dup = [x for x in read_rows(rej) if x["reason"] == "duplicate_id"]
    assert len(dup) == 1 and dup[0]["raw"] == b"second copy"
