"""The `curate` process as a user starts it: which commands it has, how it ends.

The console entry point registers only the command it runs (curate.cli._register): a
user must not be able to tell, except by the time it saves. Every command works on its
own, and output that never reached its reader is a failure, except a reader that stopped
reading (`| head`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from faultkit import run_curate, worker_processes

from curate.executor import IN_PROCESS_DOCS

_SCRIPT = Path(sys.executable).with_name("curate")
CURATE = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "curate"]


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CURATE, *map(str, args)], capture_output=True, text=True, timeout=300)


def test_every_command_runs_registered_alone():
    from typer.main import get_command

    from curate.cli import app

    names = list(get_command(app).commands)
    assert len(names) >= 10
    for name in names:
        r = _run(name, "--help")
        assert r.returncode == 0, (name, r.stderr)
        assert f"Usage: curate {name} " in r.stdout


def test_the_root_still_lists_every_command():
    r = _run("--help")
    assert r.returncode == 0
    for name in ("ingest", "filter", "dedup", "tag-synthetic", "report", "check", "stats"):
        assert name in r.stdout
    unknown = _run("dedupe", "x")
    assert unknown.returncode == 2
    assert "No such command 'dedupe'" in unknown.stderr


# stdout buffered as in a terminal-less run (CI sets PYTHONUNBUFFERED, which would hide
# a missing flush)
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _small_dataset(tmp_path: Path) -> Path:
    src = tmp_path / "docs.jsonl"
    src.write_text(
        "".join(json.dumps({"id": f"d{i}", "text": f"doc {i}"}) + "\n" for i in range(5))
    )
    r = _run("ingest", src, "-o", tmp_path / "raw", "--source", "t")
    assert r.returncode == 0, r.stderr
    return tmp_path / "raw"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_that_cannot_be_written_fails_the_command(tmp_path):
    ds = _small_dataset(tmp_path)
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [*CURATE, "stats", str(ds), "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=BUFFERED,
        )
    assert r.returncode == 120
    assert r.stderr.splitlines() == [
        "error: could not write the output: [Errno 28] No space left on device"
    ]


def test_a_reader_that_stops_early_is_success_without_noise(tmp_path):
    ds = _small_dataset(tmp_path)
    # the reader closes the pipe before curate writes: its final flush finds it closed
    reader = subprocess.Popen(["true"], stdin=subprocess.PIPE)
    reader.wait()
    r = subprocess.run(
        [*CURATE, "stats", str(ds), "--json"],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        env=BUFFERED,
    )
    reader.stdin.close()
    assert r.returncode == 0
    assert r.stderr == ""


def test_a_user_mistake_is_one_line_and_exit_2(tmp_path):
    r = _run("dedup", tmp_path / "missing", "-o", tmp_path / "out")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'missing'}: no such file or folder"
    ]
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the workers in /proc")
def test_a_run_with_worker_processes_ends_with_its_output_complete(tmp_path):
    src = tmp_path / "docs.jsonl"
    n = IN_PROCESS_DOCS + 200  # fewer would be filtered in-process, with no worker
    rows = [{"id": f"d{i}", "text": f"document number {i} " * 30} for i in range(n)]
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    shard_rows = str(-(-n // 3))
    ingest = _run(
        "ingest", src, "-o", tmp_path / "raw", "--source", "t", "--shard-rows", shard_rows
    )
    assert ingest.returncode == 0, ingest.stderr

    def has_workers(pid: int) -> bool:
        return bool(worker_processes(pid))

    # three shards on two workers: worker processes, shut down at the exit
    args = ["filter", str(tmp_path / "raw"), "-o", str(tmp_path / "f"), "--filters", "length"]
    r = run_curate([*args, "--workers", "2"], tmp_path, watch=has_workers)
    assert r.returncode == 0, r.stderr
    assert r.armed is not None, "the filter ended without starting worker processes"
    stats = _run("stats", tmp_path / "f")
    assert stats.returncode == 0, stats.stderr
    # the whole summary reached the pipe: its last line is the filter step's lineage
    assert stats.stdout.rstrip().splitlines()[-1].split() == ["filter", f"{n:,}", f"{n:,}"]
    meta = json.loads((tmp_path / "f" / "_curate.json").read_text())
    assert sum(s["rows"] for s in meta["shards"]) == meta["rows"]
    assert os.listdir(tmp_path / "f")  # committed, not left as a temporary folder
