"""curate never loses a user's data: what --overwrite may remove, where a command may
write, manifests that point elsewhere, outputs committed together, one writer at a time,
workers that die with their parent, and system errors as one line."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import manifest, read_rows, run, write_jsonl
from faultkit import wait_dead, worker_processes

import curate.dataset as dataset_mod
from curate.dataset import MANIFEST, PENDING, open_dataset
from curate.errors import CurateError
from curate.lock import LOCK

GOPHER_OK = " ".join(
    "the quick brown fox jumps over the lazy dog while the farmer counts his sheep".split() * 8
)


def _jsonl_inputs(folder: Path, files: int = 2, rows: int = 20) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        write_jsonl(
            folder / f"f{f}.jsonl",
            [{"id": f"{f}-{i}", "text": f"{GOPHER_OK} number {f} {i}"} for i in range(rows)],
        )
    return folder


def _dataset(tmp_path: Path, name: str = "ds") -> Path:
    out = tmp_path / name
    r = run("ingest", _jsonl_inputs(tmp_path / f"{name}-in"), "-o", out, "--source", "s", "-q")
    assert r.exit_code == 0, r
    return out


def _user_parquet(folder: Path, n: int = 3) -> dict[str, bytes]:
    """A user's own Parquet files, Spark-style folder included; returns their bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table({"id": [f"u{i}" for i in range(n)], "text": [GOPHER_OK] * n})
    pq.write_table(table, folder / "part-00000.parquet")
    (folder / "events.parquet").mkdir()
    pq.write_table(table, folder / "events.parquet" / "part-0.parquet")
    return _snapshot(folder)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# --------------------------------------------------------------------------- --overwrite


def test_ingest_into_its_own_input_folder_is_refused_and_deletes_nothing(tmp_path):
    dumps = tmp_path / "dumps"
    before = _user_parquet(dumps)
    r = run("ingest", dumps, "-o", dumps, "--source", "d", "--overwrite")
    assert r.exit_code == 2
    assert "is the input" in r.stderr and "Traceback" not in r.stderr
    assert _snapshot(dumps) == before


def test_filter_glob_into_the_folder_it_reads_is_refused(tmp_path):
    raw = tmp_path / "raw"
    before = _user_parquet(raw)
    r = run("filter", str(raw / "part-*.parquet"), "-o", raw, "--preset", "gopher", "--overwrite")
    assert r.exit_code == 2 and "contains the input" in r.stderr
    assert _snapshot(raw) == before


def test_rejected_pointed_at_the_input_is_refused(tmp_path):
    ds = _dataset(tmp_path)
    before = _snapshot(ds)
    r = run(
        "filter", ds, "-o", tmp_path / "f", "--rejected", ds, "--preset", "gopher", "--overwrite"
    )
    assert r.exit_code == 2 and "--rejected" in r.stderr and "is the input" in r.stderr
    assert _snapshot(ds) == before and not (tmp_path / "f").exists()


def test_outputs_must_not_overlap_each_other_or_sit_inside_the_input(tmp_path):
    ds = _dataset(tmp_path)
    r = run("filter", ds, "-o", tmp_path / "f", "--rejected", tmp_path / "f", "--preset", "c4")
    assert r.exit_code == 2 and "give each output a folder of its own" in r.stderr
    r = run("filter", ds, "-o", ds / "inner", "--preset", "c4")
    assert r.exit_code == 2 and "is inside the input" in r.stderr
    r = run("dedup", ds, "-o", tmp_path / "d", "--clusters", ds)
    assert r.exit_code == 2 and "--clusters" in r.stderr
    r = run("ingest", tmp_path / "ds-in", "-o", tmp_path / "ds-in" / "out", "--source", "s")
    assert r.exit_code == 2 and "is inside the input" in r.stderr
    linked = tmp_path / "link"
    linked.symlink_to(ds)  # two spellings of one folder are one folder
    r = run("filter", ds, "-o", tmp_path / "g", "--rejected", linked, "--preset", "c4")
    assert r.exit_code == 2 and "is the input" in r.stderr


def test_overwrite_removes_only_what_the_manifest_lists_and_lists_the_rest(tmp_path):
    ds = _dataset(tmp_path)
    out = tmp_path / "out"
    assert run("filter", ds, "-o", out, "--preset", "c4", "-q").exit_code == 0
    # the user drops files of their own into curate's output
    (out / "notes.txt").write_text("precious")
    pq.write_table(pa.table({"id": ["x"]}), out / "mine.parquet")
    (out / "_cache").mkdir()
    (out / "_cache" / "keep.bin").write_bytes(b"1")
    r = run("filter", ds, "-o", out, "--preset", "gopher", "--overwrite")
    assert r.exit_code == 2
    assert "did not write (_cache, mine.parquet, notes.txt)" in r.stderr
    assert (out / "notes.txt").read_text() == "precious" and (out / "mine.parquet").exists()
    assert (out / MANIFEST).exists()  # nothing was removed: not even curate's own files
    for p in ("notes.txt", "mine.parquet"):
        (out / p).unlink()
    (out / "_cache" / "keep.bin").unlink()
    (out / "_cache").rmdir()
    r = run("filter", ds, "-o", out, "--preset", "gopher", "--overwrite", "-q")
    assert r.exit_code == 0, r
    assert manifest(out)["lineage"][-1]["params"]["filters"][0]["family"] == "gopher_quality"


def test_overwrite_refuses_a_folder_that_is_not_a_curate_output(tmp_path):
    ds = _dataset(tmp_path)
    target = tmp_path / "target"
    before = _user_parquet(target)
    r = run("filter", ds, "-o", target, "--preset", "c4", "--overwrite")
    assert r.exit_code == 2 and "did not write" in r.stderr
    assert _snapshot(target) == before


@pytest.mark.parametrize("command", ["filter", "dedup", "ingest"])
def test_a_refused_second_output_leaves_the_first_as_it_was(tmp_path, command):
    """-o and --rejected are both checked before either is claimed: a --rejected folder of
    the user's is refused, and the earlier -o output is not emptied by --overwrite (nor a
    new one left holding a pending file)."""
    ds = _dataset(tmp_path)
    args = {"filter": ["--preset", "c4"], "dedup": [], "ingest": ["--source", "s"]}[command]
    src = _jsonl_inputs(tmp_path / "ds-in") if command == "ingest" else ds
    out = tmp_path / "out"
    assert run(command, src, "-o", out, *args, "-q").exit_code == 0
    earlier = _snapshot(out)
    precious = tmp_path / "precious"
    mine = _user_parquet(precious)
    r = run(command, src, "-o", out, *args, "--rejected", precious, "--overwrite", "-q")
    assert r.exit_code == 2 and "refusing to delete them even with --overwrite" in r.stderr
    assert _snapshot(out) == earlier and _snapshot(precious) == mine
    fresh = tmp_path / "fresh"
    r = run(command, src, "-o", fresh, *args, "--rejected", precious, "--overwrite", "-q")
    assert r.exit_code == 2 and not fresh.exists()


def test_dedup_overwrite_keeps_its_signature_cache_and_removes_nothing_foreign(tmp_path):
    ds = _dataset(tmp_path)
    out = tmp_path / "dd"
    assert run("dedup", ds, "-o", out, "-q").exit_code == 0
    sigs = sorted(p.name for p in (out / "_cache" / "signatures").iterdir())
    assert sigs
    r = run("dedup", ds, "-o", out, "--threshold", "0.5", "--overwrite", "-q")
    assert r.exit_code == 0, r
    assert sorted(p.name for p in (out / "_cache" / "signatures").iterdir()) == sigs
    assert "_cache" in manifest(out)["owns"]


# --------------------------------------------------------------------------- manifests


def _rewrite_manifest(ds: Path, change) -> None:
    m = manifest(ds)
    change(m)
    (ds / MANIFEST).write_text(json.dumps(m))


def test_a_manifest_cannot_point_outside_its_dataset(tmp_path):
    ds = _dataset(tmp_path)
    foreign = _dataset(tmp_path, "foreign")
    shard = manifest(foreign)["shards"][0]
    for name in (f"../foreign/{shard['name']}", str(foreign / shard["name"])):
        _rewrite_manifest(
            ds, lambda m, name=name: m["shards"].__setitem__(0, {**shard, "name": name})
        )
        r = run("stats", ds)
        assert r.exit_code == 2 and "not a file name inside the dataset" in r.stderr, r
        assert r.stderr.count("\n") == 1 and r.stdout == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.clear() or None, "holds null"),
        (lambda m: m.__setitem__("shards", {"a": 1}), "`shards` is not a list"),
        (lambda m: m["shards"][0].__setitem__("rows", "40"), "`rows` is '40', not a count"),
        (lambda m: m["shards"][0].__setitem__("rows", 1.5), "`rows` is 1.5, not a count"),
        (
            lambda m: m["shards"][0].__setitem__("rows", 39),
            "holds 40 rows but _curate.json says 39",
        ),
        (lambda m: m.__setitem__("lineage", {}), "`lineage` is not a JSON list"),
    ],
)
def test_a_manifest_of_the_wrong_shape_is_one_error_line(tmp_path, change, message):
    ds = _dataset(tmp_path)
    m = manifest(ds)
    result = change(m)
    text = "null" if result is None and not m else json.dumps(m)
    (ds / MANIFEST).write_text(text)
    r = run("stats", ds)
    assert r.exit_code == 2 and message in r.stderr, r
    assert r.stderr.startswith("error:") and r.stderr.count("\n") == 1


# --------------------------------------------------------------------------- committed together


def test_an_interruption_between_the_two_commits_never_strands_the_rejected_dataset(
    tmp_path, monkeypatch
):
    ds = _dataset(tmp_path)
    out, rej = tmp_path / "f", tmp_path / "rej"
    real = dataset_mod.DatasetWriter.finish
    commits: list[Path] = []

    def killed_after_first_commit(self, **kw):
        if commits:
            raise KeyboardInterrupt  # killed right after the first manifest
        commits.append(self.folder)
        return real(self, **kw)

    monkeypatch.setattr(dataset_mod.DatasetWriter, "finish", killed_after_first_commit)
    args = ("filter", ds, "-o", out, "--rejected", rej, "--preset", "gopher", "-q")
    assert run(*args).exit_code == 130
    # whichever was committed first, the other one says it is unfinished, and the
    # command it names exists
    assert (out / PENDING).exists()
    r = run("stats", out)
    assert r.exit_code == 2 and "`curate filter`" in r.stderr
    monkeypatch.setattr(dataset_mod.DatasetWriter, "finish", real)
    r = run(*args)
    assert r.exit_code == 0 and "up to date" not in r.stderr, r
    for folder in (out, rej):
        assert (folder / MANIFEST).exists() and not (folder / PENDING).exists()
    assert len(read_rows(out)) + len(read_rows(rej)) == 40


def test_a_pending_rejected_output_names_a_command_that_exists(tmp_path, monkeypatch):
    ds = _dataset(tmp_path)
    rej = tmp_path / "rej"
    real = dataset_mod.DatasetWriter._claim
    calls = []

    def stop_after_claims(self):
        state = real(self)
        calls.append(self.folder)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return state

    monkeypatch.setattr(dataset_mod.DatasetWriter, "_claim", stop_after_claims)
    run("filter", ds, "-o", tmp_path / "f", "--rejected", rej, "--preset", "c4", "-q")
    monkeypatch.undo()
    r = run("stats", rej)
    assert r.exit_code == 2 and "`curate filter`" in r.stderr and "rejected`" not in r.stderr


# --------------------------------------------------------------------------- one writer at a time


def _lock(folder: Path, pid: int, host: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    info = {
        "pid": pid,
        "host": host or socket.gethostname(),
        "started": "2026-01-01T00:00:00+00:00",
        "command": "filter",
    }
    (folder / LOCK).write_text(json.dumps(info))


def test_a_second_run_on_the_same_output_names_the_first(tmp_path):
    ds = _dataset(tmp_path)
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _lock(out, holder.pid)
        r = run("filter", ds, "-o", out, "--preset", "c4")
        assert r.exit_code == 2
        assert f"pid {holder.pid} on {socket.gethostname()}" in r.stderr
        assert "started 2026-01-01" in r.stderr and "`curate filter`" in r.stderr
        assert not (out / PENDING).exists()  # the second run touched nothing
    finally:
        holder.kill()
        holder.wait()
    # its process is gone: the stale lock is taken over and released at the end
    r = run("filter", ds, "-o", out, "--preset", "c4", "-q")
    assert r.exit_code == 0, r
    assert not (out / LOCK).exists()


def test_a_busy_rejected_output_leaves_the_main_output_as_it_was(tmp_path):
    """Every output is locked before any is claimed: a --rejected folder another run holds
    stops the command before --overwrite empties -o."""
    ds = _dataset(tmp_path)
    out, rej = tmp_path / "out", tmp_path / "rej"
    assert run("filter", ds, "-o", out, "--preset", "c4", "-q").exit_code == 0
    earlier = _snapshot(out)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _lock(rej, holder.pid)
        r = run("filter", ds, "-o", out, "--rejected", rej, "--preset", "c4", "--overwrite")
        assert r.exit_code == 2 and f"pid {holder.pid}" in r.stderr, r
        assert _snapshot(out) == earlier
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_from_another_host_is_not_taken_over(tmp_path):
    ds = _dataset(tmp_path)
    out = tmp_path / "out"
    _lock(out, 1, host="elsewhere.example")
    r = run("filter", ds, "-o", out, "--preset", "c4")
    assert r.exit_code == 2 and "on elsewhere.example" in r.stderr and "remove" in r.stderr


def test_two_processes_writing_one_output_never_interleave(tmp_path):
    ds = _dataset(tmp_path)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "curate",
        "filter",
        str(ds),
        "-o",
        str(out),
        "--preset",
        "gopher",
        "--workers",
        "1",
        "-q",
    ]
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for code, err in results:
        assert code in (0, 2), err
        assert "Traceback" not in err
        if code == 2:
            assert "another curate command is writing this output" in err
    assert manifest(out)["lineage"][-1]["rows_in"] == 40


# --------------------------------------------------------------------------- orphans


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_stop_when_their_parent_is_killed(tmp_path):
    folder = _jsonl_inputs(tmp_path / "in", files=30, rows=3000)
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
        "2",
        "-q",
    ]
    parent = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(workers) < 2:
        workers = worker_processes(parent.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the workers never started"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert wait_dead(workers, timeout=10) == []
    # and the output resumes to a complete dataset
    r = run("ingest", folder, "-o", out, "--source", "s", "-q")
    assert r.exit_code == 0, r
    assert open_dataset(out).rows == 30 * 3000


# --------------------------------------------------------------------------- system errors


def _limited(max_bytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def test_a_full_disk_is_one_error_line_and_leaves_an_unfinished_output(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    rows = [{"id": str(i), "text": os.urandom(200).hex()} for i in range(3000)]
    write_jsonl(folder / "big.jsonl", rows)
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
        "--shard-rows",
        "500",
        "-q",
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=_limited(50_000))
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("error:") and p.stderr.count("\n") == 1, p.stderr
    assert "file too large" in p.stderr and "re-run the same command" in p.stderr
    assert (out / PENDING).exists() and not (out / MANIFEST).exists()
    with pytest.raises(CurateError, match="unfinished output"):
        open_dataset(out)
    # space again: the same command resumes to a complete dataset
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert open_dataset(out).rows == 3000


def test_unwritable_and_symlinked_outputs(tmp_path):
    ds = _dataset(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("filter", ds, "-o", blocker / "out", "--preset", "c4")
    assert r.exit_code == 2 and r.stderr.startswith("error:") and "Traceback" not in r.stderr
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    r = run("filter", ds, "-o", dangling, "--preset", "c4")
    assert r.exit_code == 2 and "symbolic link to a folder that does not exist" in r.stderr
    real = tmp_path / "real"
    real.mkdir()
    linked = tmp_path / "linked"
    linked.symlink_to(real)
    assert run("filter", ds, "-o", linked, "--preset", "c4", "-q").exit_code == 0
    assert (real / MANIFEST).exists()


def test_a_report_is_never_written_into_its_dataset(tmp_path):
    ds = _dataset(tmp_path)
    before = _snapshot(ds)
    r = run("report", ds, "-o", ds)
    assert r.exit_code == 2 and "is the input dataset" in r.stderr
    assert _snapshot(ds) == before


def test_a_lock_half_taken_by_a_killed_run_is_cleaned_up(tmp_path):
    ds = _dataset(tmp_path)
    out = tmp_path / "out"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out.mkdir()
    (out / f".curate-tmp-{dead.pid}-{LOCK}").write_text("{}")  # killed between write and link
    assert run("filter", ds, "-o", out, "--preset", "c4", "-q").exit_code == 0
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
