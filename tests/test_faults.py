"""Fault injection at the process level: SIGKILL at random points, full disks, broken
inputs. Whatever happens, curate ends with exit 0 and its counts or exit 2 and one
`error:` line (never a traceback), a dataset that exists is complete, and rerunning the
same command gives the result of a clean run byte for byte, leaving no lock, no
temporary file and nothing outside its outputs.

The data is built here, in the module's temporary folder: JSONL files for ingest
(several tasks, invalid lines, ids repeated across tasks), and an ingested dataset of
16 shards for the other steps, whose source declares a long description (it travels
into every manifest, which makes the manifests the largest files an output has, so a
file-size limit can be set to fail exactly at the commit).
"""

from __future__ import annotations

import gzip
import json
import os
import queue
import random
import shutil
import socket
import subprocess
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import run, write_warc
from faultkit import (
    LOCK,
    MANIFEST,
    PENDING,
    UNITS,
    differences,
    empty,
    file_size_limit,
    holds_lock,
    leftovers,
    listing,
    problems_of,
    run_curate,
    tree,
    wait_dead,
    write_jsonl_corpus,
)

import curate.dataset as dataset_mod

pytestmark = pytest.mark.skipif(
    not Path("/proc").is_dir(), reason="kills processes and finds their workers in /proc"
)

STEPS = ("ingest", "filter", "dedup", "score", "pii")
TRIALS = 20  # per step
LANES = 2  # trials run two at a time, each in a folder of its own (2 cores)
TWO_WORKERS = (3, 13)  # the trials run with --workers 2 (spawning costs ~1.5 CPU-s a run)
DESCRIPTION_BYTES = 150_000  # larger than any shard or cache file of the map steps
# FAULTS_LOG=1 pytest -s tests/test_faults.py: print where the kills landed
STAGE_LOG: list[tuple[str, bool, str]] | None = [] if os.environ.get("FAULTS_LOG") else None


@dataclass(frozen=True)
class Command:
    """One curate command, its outputs relative to the folder it runs in."""

    step: str
    args: tuple[str, ...]
    outputs: tuple[str, ...]

    def with_workers(self, workers: int) -> list[str]:
        return [*self.args, "--workers", str(workers)]


@dataclass
class Reference:
    """A clean run: its outputs (under `folder`) and how long it took."""

    folder: Path
    # workers -> (seconds from the start, seconds from taking the output's lock) of a run
    seconds: dict[int, tuple[float, float]]
    problems: list[str] = field(default_factory=list)  # the clean runs must agree


@dataclass
class World:
    root: Path
    inputs: Path
    dataset: Path
    env: dict[str, str]
    refs: dict[str, Reference] = field(default_factory=dict)

    def command(self, step: str, *, many_shards: bool = False) -> Command:
        ds = str(self.dataset)
        if step == "ingest":
            rows = "25" if many_shards else "300"
            args = ("ingest", str(self.inputs), "-o", "out", "--rejected", "rej")
            args += ("--source", "web", "--shard-rows", rows)
            return Command(step, args, ("out", "rej"))
        if step == "filter":
            args = ("filter", ds, "-o", "out", "--rejected", "rej", "--preset", "gopher")
            return Command(step, args, ("out", "rej"))
        if step == "dedup":
            args = ("dedup", ds, "-o", "out", "--rejected", "rej", "--clusters", "clusters")
            return Command(step, args, ("out", "rej", "clusters"))
        if step == "score":
            return Command(step, ("score", ds, "-o", "out"), ("out",))
        if step == "pii":
            args = ("pii", ds, "-o", "out", "--redact", "email", "--drop-if", "phone>0")
            return Command(step, (*args, "--rejected", "rej"), ("out", "rej"))
        raise AssertionError(step)

    def reference(self, cmd: Command, key: str, *, two_workers: bool = True) -> Reference:
        """The clean run of `cmd` (with one worker, then two: both must agree)."""
        if key in self.refs:
            return self.refs[key]
        times = []
        folders = []
        for workers in (1, 2) if two_workers else (1,):
            folder = self.root / "ref" / f"{key}-w{workers}"
            folder.mkdir(parents=True)
            outcome = run_curate(
                cmd.with_workers(workers), folder, env=self.env, watch=holds_lock(folder / "out")
            )
            assert outcome.returncode == 0 and not problems_of(outcome), outcome.describe()
            assert not leftovers(folder), leftovers(folder)
            start = outcome.armed if outcome.armed is not None else outcome.seconds / 2
            times.append((outcome.seconds, outcome.seconds - start))
            folders.append(folder)
        ref = Reference(folders[0], dict(enumerate(times, start=1)))
        ref.problems = [
            f"[{cmd.step} clean runs] --workers 2 differs from --workers 1: {p}"
            for folder in folders[1:]
            for p in differences(folder, folders[0])[:6]
        ]
        self.refs[key] = ref
        return ref

    def outside(self) -> dict[str, tuple[int, int, bytes]]:
        """Everything a trial must leave alone: the inputs, references, the temp folder."""
        return {k: v for k, v in tree(self.root).items() if not k.startswith("lanes")}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("faults")
    systmp = root / "systmp"  # the commands' TMPDIR: nothing may be left there either
    systmp.mkdir()
    env = {**os.environ, "TMPDIR": str(systmp)}
    # ingest: 4 files of ~540 KB, each a task of its own; 3 ids of file 0 reused by each
    # later file (dropped across tasks), 2 invalid lines per file
    inputs = write_jsonl_corpus(
        root / "in", files=4, file_bytes=540_000, seed=1, repeated_ids=3, bad_lines=2
    )
    # the other steps: ~1,200 documents in 16 shards of 75 rows
    ds_in = write_jsonl_corpus(root / "ds-in", files=2, file_bytes=230_000, seed=2)
    sources = root / "sources.toml"
    description = "A long description. " * (DESCRIPTION_BYTES // 20)
    sources.write_text(
        'schema = "curate.sources/1"\n[sources.books]\nowner = "Example"\n'
        f'kind = "licensed"\ndescription = "{description}"\n',
        encoding="utf-8",
    )
    dataset = root / "ds"
    args = ("--source", "books", "--sources", sources, "--shard-rows", 75, "--workers", 1)
    r = run("ingest", ds_in, "-o", dataset, *args, "-q")
    assert r.exit_code == 0, r
    return World(root, inputs, dataset, env)


# --------------------------------------------------------------------------- lanes


def run_in_lanes(world: World, name: str, jobs: list[Callable[[Path], list[str]]]) -> list[str]:
    """Run `jobs` two at a time, each given an empty lane folder; their problems."""
    todo: queue.SimpleQueue[Callable[[Path], list[str]]] = queue.SimpleQueue()
    for job in jobs:
        todo.put(job)
    problems: list[str] = []
    guard = threading.Lock()

    def lane(k: int) -> None:
        folder = world.root / "lanes" / name / f"L{k}"
        folder.mkdir(parents=True)
        while True:
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            try:
                found = job(folder)
            except Exception as exc:  # a broken harness must fail the test, not hang it
                found = [f"harness error: {exc!r}"]
            with guard:
                problems.extend(found)
            empty(folder)

    threads = [threading.Thread(target=lane, args=(k,)) for k in range(LANES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lanes = {f"L{k}{tmp}" for k in range(LANES) for tmp in ("", "-tmp")}
    if stray := sorted(set(os.listdir(world.root / "lanes" / name)) - lanes):
        problems.append(f"created beside the lanes: {stray}")
    return problems


def counts(folder: Path, outputs: tuple[str, ...]) -> dict[str, tuple]:
    """rows_in, rows_out and removed of the last lineage entry of each output."""
    out = {}
    for name in outputs:
        m = json.loads((folder / name / MANIFEST).read_text())
        last = m["lineage"][-1]
        out[name] = (last.get("rows_in"), last.get("rows_out"), last.get("removed"), m["rows"])
    return out


def check_final_state(lane: Path, cmd: Command, ref: Reference) -> list[str]:
    """After a successful run: only the outputs, complete, equal to the clean run's."""
    problems = []
    stray = sorted(set(os.listdir(lane)) - set(cmd.outputs))
    if stray:
        problems.append(f"created outside its outputs: {stray}")
    if left := leftovers(lane):
        problems.append(f"left behind: {left}")
    for name in cmd.outputs:
        if not (lane / name / MANIFEST).exists():
            problems.append(f"{name}: no manifest after a successful run")
    if problems:
        return problems
    got, want = counts(lane, cmd.outputs), counts(ref.folder, cmd.outputs)
    if got != want:
        problems.append(f"counts differ: {got} != {want}")
    diff = differences(lane, ref.folder)
    more = [f"... and {len(diff) - 6} more differences"] if len(diff) > 6 else []
    return problems + diff[:6] + more


# --------------------------------------------------------------------------- SIGKILL


@dataclass(frozen=True)
class KillPlan:
    """Kill after each delay in turn, counted from the start of the process or (when
    `from_lock`) from the moment it took the output's lock: its work had started."""

    step: str
    seed: str
    workers: int
    delays: tuple[tuple[float, bool], ...]  # (seconds, from_lock)

    def tag(self) -> str:
        kills = ", ".join(
            f"{d:.3f} s{' after the lock' if lock else ''}" for d, lock in self.delays
        )
        return f"[{self.step} seed={self.seed!r} workers={self.workers} kills at ({kills})]"


def kill_plans(step: str, ref: Reference) -> list[KillPlan]:
    plans = []
    for trial in range(TRIALS):
        seed = f"{step}-{trial}"
        rnd = random.Random(seed)
        workers = 2 if trial in TWO_WORKERS else 1
        whole, work = ref.seconds[workers]
        kills = rnd.choice((1, 1, 1, 1, 1, 1, 1, 2, 2, 3))  # several kills in a row, at times
        delays = []
        for _ in range(kills):
            from_lock = rnd.random() < 0.5  # half the kills land in the work, on any machine
            delays.append((rnd.uniform(0, work if from_lock else whole), from_lock))
        plans.append(KillPlan(step, seed, workers, tuple(delays)))
    return plans


def kill_trial(world: World, cmd: Command, ref: Reference, plan: KillPlan, lane: Path) -> list[str]:
    """Kill the command at each delay in turn, rerun it to the end, compare."""
    args = cmd.with_workers(plan.workers)
    problems: list[str] = []
    workers: list[int] = []
    for delay, from_lock in plan.delays:
        watch = holds_lock(lane / "out") if from_lock else None
        outcome = run_curate(args, lane, kill_after=delay, watch=watch, env=world.env)
        problems += problems_of(outcome)
        workers += outcome.workers
        if STAGE_LOG is not None:
            STAGE_LOG.append((plan.step, outcome.killed, stage_reached(cmd, ref, lane)))
    final = run_curate(args, lane, env=world.env)
    problems += problems_of(final)
    if outlived := wait_dead(workers):
        problems.append(f"workers {outlived} outlived their killed parent")
    if final.returncode != 0:
        problems.append(f"the rerun did not finish: {final.describe()}")
    else:
        problems += check_final_state(lane, cmd, ref)
    return [f"{plan.tag()} {p}" for p in problems]


@pytest.mark.parametrize("step", STEPS)
def test_sigkill_at_random_points_then_the_rerun_matches_a_clean_run(world, step):
    cmd = world.command(step)
    ref = world.reference(cmd, step)
    before = world.outside()
    plans = kill_plans(step, ref)
    jobs = [lambda lane, p=p: kill_trial(world, cmd, ref, p, lane) for p in plans]
    problems = ref.problems + run_in_lanes(world, f"kill-{step}", jobs)
    if STAGE_LOG is not None:
        landed = sorted(Counter(s for st, _, s in STAGE_LOG if st == step).items())
        print(step, ref.seconds, landed)
    assert world.outside() == before, "a trial touched files outside its outputs"
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- full disks


def units_done(folder: Path) -> int | None:
    """Units recorded as done in an unfinished output; None without a pending file."""
    try:
        state = json.loads((folder / PENDING).read_text())
    except FileNotFoundError:
        return None
    markers = folder / UNITS  # one file a unit; older pending files listed them inline
    return len(state.get("done", {})) + (len(os.listdir(markers)) if markers.is_dir() else 0)


def disk_limits(cmd: Command, ref: Reference) -> list[tuple[str, int]]:
    """File-size limits that make a run fail before its first unit is done, mid-run, and
    at the commit (the main manifest, the largest file: see `world`)."""
    files = {k: v[0] for k, v in tree(ref.folder).items() if v[0] >= 0}
    # the files one worker writes in turn: dedup's signatures, else the output's shards
    turn = "out/_cache/signatures/part-" if cmd.step == "dedup" else "out/part-"
    sizes = [v for k, v in sorted(files.items()) if k.startswith(turn)]
    # mid-run: the files before k fit, file k does not (k as close to the middle as can be)
    cuts = [k for k in range(1, len(sizes)) if sizes[k] > max(sizes[:k])]
    assert cuts, "no limit stops the run mid-way"
    k = min(cuts, key=lambda k: abs(k - len(sizes) // 2))
    manifest = files[f"out/{MANIFEST}"]
    others = [v for k, v in files.items() if not k.endswith(MANIFEST)]
    assert manifest > max(others), "no limit fails at the commit alone"
    # halfway between: a rerun's manifest differs by a few bytes (its times and rates)
    commit = (max(others) + manifest) // 2
    return [("start", min(others) - 1), ("mid", max(sizes[:k])), ("commit", commit)]


def stage_reached(cmd: Command, ref: Reference, lane: Path) -> str:
    """Where a failed run stopped: before any unit was done, mid-run, or at the commit."""
    manifest = json.loads((ref.folder / "out" / MANIFEST).read_text())
    # units: ingest's tasks (a file each, by design of the inputs), else the input shards
    units = manifest["lineage"][-1]["params"]["inputs"] if cmd.step == "ingest" else None
    total = len(units if units is not None else manifest["shards"])
    if (lane / "out" / MANIFEST).exists() and not (lane / "out" / PENDING).exists():
        return "complete"
    done = units_done(lane / "out") or 0
    written = [p for p in listing(lane / "out") if Path(p).name.startswith("part-")]
    if done >= total:
        return "commit"
    return "mid" if done or written else "start"


def disk_case(
    world: World, cmd: Command, ref: Reference, where: str, limit: int, lane: Path
) -> list[str]:
    tag = f"[{cmd.step} RLIMIT_FSIZE={limit} ({where})]"
    tmp = lane.parent / f"{lane.name}-tmp"  # a fresh TMPDIR: caches are built and saved
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    env = {**world.env, "TMPDIR": str(tmp)}
    args = cmd.with_workers(1)
    problems: list[str] = []
    failed = run_curate(args, lane, preexec_fn=file_size_limit(limit), env=env)
    problems += problems_of(failed)
    if failed.returncode != 2:
        problems.append(f"expected exit 2 (a file could not be written): {failed.describe()}")
    elif "Traceback" not in failed.stderr:
        if "file too large" not in failed.stderr:
            problems.append(f"the error line does not say what failed: {failed.describe()}")
        main = lane / "out"
        if (main / MANIFEST).exists():
            problems.append("the output has a manifest although the run failed")
        if locks := [p for p in listing(lane) if p.endswith(LOCK)]:
            problems.append(f"locks left by a run that ended: {locks}")
        done = units_done(main)
        if done is None and [p for p in listing(main) if not Path(p).name.startswith(".")]:
            problems.append(f"no pending file in an unfinished output: {listing(main)}")
        if (reached := stage_reached(cmd, ref, lane)) != where:
            problems.append(f"the limit was meant to stop the run at `{where}`, not `{reached}`")
    stray = [p.name for p in tmp.iterdir() if not p.name.endswith("-v1.npz")]
    if stray:
        problems.append(f"temporary files left in TMPDIR: {stray}")
    again = run_curate(args, lane, env=world.env)
    problems += problems_of(again)
    if again.returncode != 0:
        problems.append(f"the rerun without a limit did not finish: {again.describe()}")
    else:
        problems += check_final_state(lane, cmd, ref)
    shutil.rmtree(tmp, ignore_errors=True)
    return [f"{tag} {p}" for p in problems]


@pytest.mark.parametrize("step", STEPS)
def test_a_full_disk_is_one_error_line_and_the_rerun_resumes(world, step):
    # ingest: shards of 25 rows, so its manifest is larger than any shard
    cmd = world.command(step, many_shards=True)
    if step == "ingest":
        ref = world.reference(cmd, "ingest-many", two_workers=False)
    else:
        ref = world.reference(cmd, step)
    before = world.outside()
    limits = disk_limits(cmd, ref)
    jobs = [lambda lane, w=w, n=n: disk_case(world, cmd, ref, w, n, lane) for w, n in limits]
    problems = ref.problems + run_in_lanes(world, f"disk-{step}", jobs)
    assert world.outside() == before, "a run touched files outside its outputs"
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- broken inputs


def broken_inputs(folder: Path) -> list[Path]:
    """Inputs damaged in the ways files get damaged; returns them."""
    rnd = random.Random(7)
    folder.mkdir()
    lines = "".join(
        json.dumps({"id": str(i), "text": f"document {i} " * 30}) + "\n" for i in range(200)
    ).encode()
    whole = gzip.compress(lines, mtime=0)
    (folder / "truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (folder / "random.jsonl.gz").write_bytes(rnd.randbytes(5000))
    (folder / "random.warc.gz").write_bytes(b"\x1f\x8b\x08" + rnd.randbytes(5000))
    (folder / "noise.warc.gz").write_bytes(rnd.randbytes(3000))
    warc = write_warc(
        folder / "whole.warc.gz",
        [
            {
                "uri": f"https://example.org/{i}",
                "payload": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
                + f"<html><body><p>{'Some words here. ' * 40}</p></body></html>".encode(),
            }
            for i in range(5)
        ],
    )
    data = warc.read_bytes()
    (folder / "truncated.warc.gz").write_bytes(data[: len(data) * 2 // 3])
    warc.unlink()
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "empty.jsonl.gz").write_bytes(b"")
    (folder / "invalid.jsonl").write_bytes(
        b'{"id": "a", "text": "fine"}\n{"id": "b", "text": \n[1, 2]\n"just a string"\n'
        b'{"id": "c", "text": 5}\n{"id": "d"}\n\xff\xfe{"id": "e"}\n{"id": "f", "text": "end"}\n'
    )
    (folder / "bom.jsonl").write_bytes(
        b'\xef\xbb\xbf{"id": "bom", "text": "a file that starts with a byte order mark"}\n'
    )
    (folder / "dangling.jsonl").symlink_to(folder / "nowhere.jsonl")
    if os.geteuid() != 0:  # root reads anything
        locked = folder / "locked.jsonl"
        locked.write_bytes(b'{"id": "x", "text": "secret"}\n')
        locked.chmod(0)
    return sorted(folder.iterdir())


def test_broken_inputs_are_counted_or_one_error_line(world, tmp_path):
    inputs = broken_inputs(tmp_path / "broken")
    cases = [[str(p)] for p in inputs] + [[str(tmp_path / "broken")]]

    def job(paths: list[str], lane: Path) -> list[str]:
        args = ["ingest", *paths, "-o", "out", "--rejected", "rej", "--source", "b"]
        outcome = run_curate([*args, "--workers", "1"], lane, env=world.env)
        problems = problems_of(outcome)
        if outcome.returncode == 0:
            problems += [f"left behind: {p}" for p in leftovers(lane)]
        elif outcome.returncode == 2:
            problems += [f"locks left: {p}" for p in listing(lane) if p.endswith(LOCK)]
            problems += [
                f"a failed run left a manifest: {p}" for p in listing(lane) if p.endswith(MANIFEST)
            ]
        return [f"[ingest {' '.join(Path(p).name for p in paths)}] {p}" for p in problems]

    jobs = [lambda lane, c=c: job(c, lane) for c in cases]
    problems = run_in_lanes(world, f"broken-{tmp_path.name}", jobs)
    for p in inputs:
        if not p.is_symlink():
            p.chmod(0o644)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- one window


def test_ingest_interrupted_after_dropping_repeated_ids_resumes_to_the_clean_result(
    world, tmp_path, monkeypatch
):
    """A window the random kills rarely hit: ids repeated across tasks were dropped from
    the shards of later tasks (rewritten after their tasks were recorded done), and the
    run died before its manifest: the rerun must still count and reject those copies."""
    cmd = world.command("ingest")
    ref = world.reference(cmd, "ingest")
    monkeypatch.chdir(tmp_path)
    real = dataset_mod.DatasetWriter.finish

    def killed_before_the_main_commit(self, **kw):
        if self.folder.name == "out":
            raise KeyboardInterrupt
        return real(self, **kw)

    monkeypatch.setattr(dataset_mod.DatasetWriter, "finish", killed_before_the_main_commit)
    args = [*cmd.with_workers(1), "-q"]
    assert run(*args).exit_code == 130
    monkeypatch.setattr(dataset_mod.DatasetWriter, "finish", real)
    r = run(*args)
    assert r.exit_code == 0, r
    assert check_final_state(tmp_path, cmd, ref) == []


@pytest.mark.parametrize("step", ["ingest", "filter"])
def test_a_unit_recorded_done_in_the_output_but_not_in_rejected_is_redone(
    world, tmp_path, monkeypatch, step
):
    """Killed between the two records of one finished unit (the output records it done,
    the rejected dataset does not yet): the rerun must not lose the unit's rejected rows."""
    cmd = world.command(step)
    ref = world.reference(cmd, step)
    monkeypatch.chdir(tmp_path)
    real = dataset_mod.DatasetWriter.unit_done

    def killed_between_the_records(self, unit, shards, info=None):
        if self.folder.name == "rej":
            raise KeyboardInterrupt
        return real(self, unit, shards, info)

    monkeypatch.setattr(dataset_mod.DatasetWriter, "unit_done", killed_between_the_records)
    args = [*cmd.with_workers(1), "-q"]
    assert run(*args).exit_code == 130
    monkeypatch.setattr(dataset_mod.DatasetWriter, "unit_done", real)
    r = run(*args)
    assert r.exit_code == 0, r
    assert check_final_state(tmp_path, cmd, ref) == []


def test_dedup_killed_after_its_commit_leaves_no_lock_once_rerun(world, tmp_path, monkeypatch):
    """Killed after the manifest, before the locks of --rejected and --clusters were
    released and before its work folder was removed: the rerun says up to date and takes
    over (and removes) every stale lock and the work folder (found by the SIGKILL trials)."""
    cmd = world.command("dedup")
    ref = world.reference(cmd, "dedup")
    for name in cmd.outputs:
        shutil.copytree(ref.folder / name, tmp_path / name)
    bands = tmp_path / cmd.outputs[0] / "_cache" / "run" / "bands"
    bands.mkdir(parents=True)
    (bands / "000000.bands").write_bytes(b"\0" * 64)
    gone = subprocess.Popen(["true"])
    gone.wait()
    for name in cmd.outputs:
        info = {"pid": gone.pid, "host": socket.gethostname(), "command": "dedup"}
        (tmp_path / name / LOCK).write_text(json.dumps({**info, "started": "2026-01-01"}))
    monkeypatch.chdir(tmp_path)
    r = run(*cmd.with_workers(1))
    assert r.exit_code == 0 and "up to date" in r.stderr, r
    assert leftovers(tmp_path) == []
    assert not bands.parent.exists()
