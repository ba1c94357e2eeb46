"""Benchmark (issue 15): curate's executors at equal cores, and datatrove on the same engine.

Part 1, **curate local vs Ray**. For each step, the same command on the same input three
times: ``--executor local --workers 1``, ``--executor local --workers 2`` and
``--executor ray --workers 2`` against a local Ray head with 2 CPUs that this script
starts itself (``ray start --head --num-cpus 2 --block``) before the first run and stops
at the end, so Ray's own start-up is not in any command's time (each command still
connects to it as a new Ray job, and its tasks run in that job's fresh worker processes:
that is counted, as a pool's start-up is counted for local 2). Steps:

* ``ingest-jsonl``: the JSONL corpus -> dataset (the dataset the next steps read);
* ``ingest-warc``: the real WARC files of ``<evaldata>/warc`` copied ``--warc-repeat``
  times (fresh record ids per copy, as ``ingest.py`` stages them), HTML extraction included;
* ``filter``: ``--preset fineweb`` (the FineWeb chain) on a subset of the dataset;
* ``dedup``: defaults (MinHash, threshold 0.8, exact verification) on the whole dataset;
* ``score``: the ``q_*`` signals on the same subset as filter.

Printed: docs/s of each run, ``ray/local-2`` (goal >= 0.85 at equal cores) and
``local-2/local-1`` (goal >= 1.8 on map steps), and whether the three outputs are
byte-identical (every shard file of the same name; the shard names must match too). A
detail table gives wall and CPU seconds (for Ray runs, the CPU of the Ray head's process
tree is added, since the tasks run in its workers, not under the curate command), docs
per CPU-second, the load average (the machine is shared), and each command's fixed cost
(start-up, imports, workers' start, Ray connection), estimated from a second run on a
tiny input (1,200 documents in 4 files or shards) as ``wall = fixed + docs / rate``, with
its share of the timed run (goal: under ~5%). For each Ray run, Ray's task events
(``ray.timeline()``) tell where the wall time went; the machine's parallel capacity (2
busy processes vs 1) is measured before and after, since other tenants' load caps the
gain of 2 workers over 1.

Part 2, **curate vs datatrove on Ray**: the FineWeb chain on the same Parquet shards,
``curate filter --preset fineweb --executor ray --workers 2`` vs datatrove's
``RayPipelineExecutor`` (``ParquetReader -> GopherRepetitionFilter -> GopherQualityFilter
-> C4QualityFilter(filter_no_terminal_punct=False) -> FineWebQualityFilter ->
ParquetWriter``, one task per shard, 2 at a time, 1 CPU each), each on its own 2-CPU Ray
head of the same Ray version (datatrove's from the peer venv, so its workers import
datatrove). Printed: docs/s, the ratio (goal >= 5x) and the share of documents with the
same keep/drop. If datatrove's Ray executor cannot run, the reason is printed and its
``LocalPipelineExecutor`` (same pipeline, 2 workers) is measured instead.

Input: the real text of ``<evaldata>`` (Debian installation guide in 19 languages, DCLM
quality-label docs, Dolma CC samples, fast-detect-gpt human/machine texts, the AEB
article bodies: 15,582 documents, 3.6 kB on average). Copy 0 is that text as is; each
later copy of a document keeps each of its paragraphs with probability 0.6, replaces
the others with random paragraphs of the same language, and rotates them, so copies are
distinct documents (not near-duplicates) with real lines. Nothing is copied into the
repository; everything is written to a temp folder.

Ray is stopped by terminating the ``ray start --block`` process this script started
(which ends its raylet, GCS and workers), not with ``ray stop``: that kills every Ray
process of the machine by name, other users' clusters and test runs included.

Run with curate's venv: ``.venv/bin/python benchmarks/scale.py [--quick]``. The peer venv
(``bash benchmarks/make_peer_env.sh``) needs ``ray``, which that script installs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    DEFAULT_EVALDATA,
    REPO,
    RunResult,
    _cpu_of,
    _tree_pids,
    core_count,
    curate_bin,
    format_table,
    package_versions,
    peer_python,
    print_machine,
    ratio,
    run_measured,
    shell_quote,
)
from ingest import find_inputs, gzip_error, stage  # noqa: E402

CPUS = 2  # the cores compared: local 2 workers and a 2-CPU Ray head
# Ray 2.5x turns token authentication on for `ray start --head` when ~/.ray/auth_token
# exists (any earlier local `ray.init()` writes one), and a driver given an explicit
# address does not send it: it fails with InvalidAuthToken. The heads here are private,
# local and short-lived, so they run without it, and so do their drivers.
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
PEER_ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "TQDM_DISABLE": "1", **RAY_ENV}
CONFIGS = ("local-1", "local-2", "ray-2")
STEPS = ("ingest-jsonl", "ingest-warc", "filter", "dedup", "score")
TINY_DOCS = 1_200  # the fixed-cost runs: 4 JSONL files of ~1 MB (4 ingest tasks, 4 shards)
MAP_STEPS = {"ingest-jsonl", "ingest-warc", "filter", "score"}

PEER_SCRIPT = r"""
import sys, time
mode, data_dir, out_dir, log_dir, tasks, workers, address = sys.argv[1:8]
tasks, workers = int(tasks), int(workers)
from datatrove.pipeline.filters import (
    C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter,
)
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.writers import ParquetWriter

pipeline = [
    ParquetReader(data_dir, glob_pattern="part-*.parquet", text_key="text", id_key="id"),
    GopherRepetitionFilter(),
    GopherQualityFilter(),
    C4QualityFilter(filter_no_terminal_punct=False),
    FineWebQualityFilter(),
    ParquetWriter(out_dir),
]
if mode == "ray":
    import ray
    from datatrove.executor import RayPipelineExecutor

    ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    ex = RayPipelineExecutor(
        pipeline, tasks=tasks, workers=workers, cpus_per_task=1, logging_dir=log_dir
    )
else:
    from datatrove.executor import LocalPipelineExecutor

    ex = LocalPipelineExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=log_dir)
ex.run()
"""


# --------------------------------------------------------------------------- corpus


def base_docs(evaldata: Path) -> list[tuple[str, str]]:
    """(language, text) of every real document the corpus is made of."""
    docs: list[tuple[str, str]] = []
    with lzma.open(evaldata / "text/debian_installguide_neardup/docs.jsonl.xz", "rt") as f:
        for line in f:
            r = json.loads(line)
            docs.append((r["lang"], r["text"]))
    jsonl = [
        evaldata / "text/dclm_quality_labels/majority_data.jsonl.gz",
        *sorted((evaldata / "text/dolma_cc_samples").glob("*.jsonl.gz")),
        evaldata / "ai_generated/fast-detect-gpt_labeled.jsonl.gz",
    ]
    for path in jsonl:
        for line in gzip.open(path, "rt", encoding="utf-8"):
            docs.append(("en", json.loads(line)["text"]))
    aeb = json.loads((evaldata / "html/scrapinghub_aeb/ground-truth.json").read_text())
    docs += [("en", v["articleBody"]) for v in aeb.values()]
    return docs


def compose(docs: list[tuple[str, str]], n: int, seed: int = 15) -> Iterator[str]:
    """n documents: the real ones first, then perturbed copies (see the module docstring)."""
    pools: dict[str, list[str]] = {}
    split = []
    for lang, text in docs:
        paras = [p for p in text.split("\n") if p.strip()]
        split.append((lang, paras))
        pools.setdefault(lang, []).extend(paras)
    rng = random.Random(seed)
    for j in range(n):
        copy, i = divmod(j, len(docs))
        if copy == 0:
            yield docs[i][1]
            continue
        lang, paras = split[i]
        pool = pools[lang]
        out = [p if rng.random() < 0.6 else pool[rng.randrange(len(pool))] for p in paras]
        r = rng.randrange(len(out)) if out else 0
        yield "\n".join(out[r:] + out[:r])


def write_corpus(docs: list[tuple[str, str]], n: int, folder: Path, files: int) -> list[Path]:
    """n documents (ids d0, d1, ...) dealt round-robin into `files` JSONL files, so that
    every file, and any few of them, is a sample of the whole mix."""
    folder.mkdir(parents=True)
    paths = [folder / f"docs-{f:03d}.jsonl" for f in range(files)]
    handles = [p.open("w", encoding="utf-8") for p in paths]
    try:
        for j, text in enumerate(compose(docs, n)):
            rec = {"id": f"d{j}", "text": text}
            handles[j % files].write(json.dumps(rec, ensure_ascii=False) + "\n")
    finally:
        for h in handles:
            h.close()
    return paths


# --------------------------------------------------------------------------- Ray heads


_ADDRESS = re.compile(r"ray start --address='([^']+)'")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RayHead:
    """A local Ray head with `cpus` CPUs, run by `ray start --block` as our child.

    Stopped by SIGTERM to that process (which ends the processes it started), then
    SIGKILL to any process of its tree still alive: only processes we started.
    """

    def __init__(self, ray_bin: Path, cpus: int, log: Path, env: dict[str, str] | None = None):
        self.ray_bin, self.cpus, self.log = ray_bin, cpus, log
        self.env = {**os.environ, **RAY_ENV, **(env or {})}
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.start_s = 0.0

    def start(self, timeout: float = 120.0) -> None:
        cmd = [
            str(self.ray_bin),
            "start",
            "--head",
            "--block",
            f"--num-cpus={self.cpus}",
            "--num-gpus=0",
            f"--port={self.port}",
            f"--ray-client-server-port={_free_port()}",
            f"--dashboard-agent-listen-port={_free_port()}",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--object-store-memory={512 << 20}",
        ]
        t0 = time.perf_counter()
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"`{shell_quote(cmd)}` exited:\n{self.tail()}")
            # the head binds to the node's IP, which `ray start` prints for other nodes
            found = _ADDRESS.search(self.log.read_text(errors="replace"))
            if not found:
                time.sleep(0.5)
                continue
            self.address = found.group(1)
            probe = subprocess.run(
                [str(self.ray_bin), "status", f"--address={self.address}"],
                capture_output=True,
                env=self.env,
            )
            if probe.returncode == 0:
                self.start_s = time.perf_counter() - t0
                return
            time.sleep(1)
        self.stop()
        raise SystemExit(f"the Ray head did not come up in {timeout:.0f} s:\n{self.tail()}")

    def tail(self, n: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def pids(self) -> list[int]:
        return _tree_pids(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def stop(self) -> None:
        if self.proc is None:
            return
        pids = self.pids()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        time.sleep(0.5)
        for pid in pids:  # anything of its tree that outlived it
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> RayHead:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state != b"Z"
    except (OSError, IndexError):
        return False


class TreeCpu(threading.Thread):
    """CPU seconds a process tree spends while it runs (the Ray head: its workers' CPU).

    Samples every process of the tree (every 0.2 s) and sums, per process, the CPU it
    used since it was first seen (0 before, for processes that start later): Ray workers
    of a job exit when the job ends, so their last sample is what they used.
    """

    def __init__(self, root_pids: Sequence[int], interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.roots, self.interval = list(root_pids), interval
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._halt = threading.Event()
        self.sample(initial=True)
        self.initial = set(self.first)

    def sample(self, initial: bool = False) -> None:
        pids = {p for r in self.roots for p in _tree_pids(r)}
        for pid in pids:
            cpu = _cpu_of(pid)
            if cpu is None:
                continue
            if pid not in self.first:
                self.first[pid] = cpu if initial else 0.0
            self.last[pid] = max(cpu, self.last.get(pid, 0.0))

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.sample()

    def stop(self) -> tuple[float, int, float]:
        """(CPU seconds the tree used during the run, processes started during it, CPU
        seconds of those new processes: for a Ray head, the job's workers)."""
        self._halt.set()
        self.join()
        self.sample()
        new = [p for p in self.first if p not in self.initial]
        total = sum(self.last[p] - self.first[p] for p in self.last)
        return total, len(new), sum(self.last[p] - self.first[p] for p in new)


# --------------------------------------------------------------------------- runs


@dataclass
class Run:
    config: str
    res: RunResult
    head_cpu: float = 0.0  # CPU of the Ray head's whole tree during the run
    head_new: int = 0  # processes the head started during the run (the job's Ray workers)
    workers_cpu: float = 0.0  # CPU of those new processes (the tasks run there)
    load: tuple[float, float] = (0.0, 0.0)  # 1-min load average before / after
    timeline: str = ""  # for Ray runs: where the wall time went (`ray_timeline`)

    @property
    def cpu(self) -> float:
        """The command's CPU; for Ray, plus the head's (the tasks run in its workers)."""
        return self.res.cpu_s + (self.head_cpu if self.config.startswith("ray") else 0.0)


@dataclass
class StepResult:
    step: str
    docs: int
    runs: dict[str, list[Run]] = field(default_factory=dict)
    tiny: dict[str, float] = field(default_factory=dict)  # tiny-input wall per config
    tiny_docs: int = 0
    same: str = ""
    notes: list[str] = field(default_factory=list)

    def median(self, config: str) -> Run | None:
        runs = [r for r in self.runs.get(config, []) if r.res.ok]
        if not runs:
            return None
        runs.sort(key=lambda r: r.res.wall_s)
        return runs[(len(runs) - 1) // 2]

    def dps(self, config: str) -> float | None:
        r = self.median(config)
        return self.docs / r.res.wall_s if r else None


def config_args(config: str, head: RayHead | None) -> list[str]:
    if config == "local-1":
        return ["--executor", "local", "--workers", "1"]
    if config == "local-2":
        return ["--executor", "local", "--workers", str(CPUS)]
    assert head is not None
    return ["--executor", "ray", "--ray-address", head.address, "--workers", str(CPUS)]


def step_cmd(step: str, inp: Sequence[Path] | Path, out: Path) -> list[str | Path]:
    cur = curate_bin()
    if step.startswith("ingest"):
        return [cur, "ingest", *inp, "-o", out, "--source", "bench"]
    args = {"filter": ["--preset", "fineweb"], "dedup": [], "score": []}[step]
    return [cur, step, inp, "-o", out, *args]


def run_one(
    step: str,
    config: str,
    inp: Sequence[Path] | Path,
    out: Path,
    work: Path,
    head: RayHead | None,
    env: dict[str, str],
    tag: str = "",
    timeline: bool = True,
) -> Run:
    if out.exists():
        shutil.rmtree(out)
    cmd = [*step_cmd(step, inp, out), *config_args(config, head), "-q"]
    load0 = os.getloadavg()[0]
    sampler = TreeCpu(head.pids()) if head else None
    if sampler:
        sampler.start()
    t0 = time.time()
    res = run_measured(
        cmd, name=f"{step} {config}", log=work / f"{step}-{config}{tag}.log", cwd=work, env=env
    )
    t1 = time.time()
    head_cpu, head_new, workers_cpu = sampler.stop() if sampler else (0.0, 0, 0.0)
    if not res.ok:
        print(f"  ! {step} {config} failed (exit {res.returncode}): {res.tail(3)}", flush=True)
    run = Run(config, res, head_cpu, head_new, workers_cpu, (load0, os.getloadavg()[0]))
    if config.startswith("ray") and head and res.ok and timeline:
        run.timeline = ray_timeline(head, work, env, t0, t1)
    return run


TIMELINE_SCRIPT = r"""
import json, sys
import ray
ray.init(address=sys.argv[1], log_to_driver=False, logging_level="ERROR")
json.dump(ray.timeline(), open(sys.argv[2], "w"))
"""


def ray_timeline(head: RayHead, work: Path, env: dict[str, str], t0: float, t1: float) -> str:
    """Where a Ray run's wall time went, from Ray's task events (`ray.timeline()`, read
    by a second driver afterwards): before the first task was submitted (python, imports,
    connecting, planning), until the first task ran (the job's workers start), how busy
    the CPUs were while tasks ran, and after the last task (commit, disconnect, exit)."""
    dump = work / "timeline.json"
    python = head.ray_bin.parent / "python"
    got = subprocess.run(
        [str(python), "-c", TIMELINE_SCRIPT, head.address, str(dump)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=work,
    )
    if got.returncode != 0:
        return "timeline unavailable: " + " ".join(got.stderr.split()[-12:])
    events = json.loads(dump.read_text())
    sec = 1e-6
    submits = [e["ts"] * sec for e in events if e.get("cat") == "submit_task"]
    spans = sorted(
        (e["ts"] * sec, (e["ts"] + e["dur"]) * sec)
        for e in events
        if e.get("cat") == "task:execute"
    )
    submits = [x for x in submits if t0 <= x <= t1]
    spans = [sp for sp in spans if t0 <= sp[0] <= t1]
    if not spans:
        return "timeline: no task events"
    busy = sum(b - a for a, b in spans)
    first, last = spans[0][0], max(b for _, b in spans)
    idle = one = 0.0
    level, prev = 0, first
    for x, d in sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans]):
        if level == 0:
            idle += x - prev
        elif level == 1:
            one += x - prev
        level, prev = level + d, x
    # actor tasks (datatrove's) have no submit events: then only the first task's start
    start = (
        f"{min(submits) - t0:.1f} s to the first task submitted, "
        f"{first - min(submits):.1f} s more to the first task running"
        if submits
        else f"{first - t0:.1f} s to the first task running"
    )
    return (
        f"{len(spans)} tasks seen; {start}; then tasks kept "
        f"{busy / (last - first) / CPUS:.0%} of {CPUS} CPUs busy over {last - first:.1f} s "
        f"(no task running {idle:.1f} s, one task {one:.1f} s); {t1 - last:.1f} s after the "
        "last task"
    )


def shard_bytes(folder: Path) -> dict[str, bytes] | None:
    try:
        m = json.loads((folder / "_curate.json").read_text())
    except (OSError, ValueError):
        return None
    return {s["name"]: (folder / s["name"]).read_bytes() for s in m["shards"]}


def compare_outputs(outs: dict[str, Path]) -> str:
    """'yes' when every output has the same shard names with the same bytes."""
    got = {c: shard_bytes(p) for c, p in outs.items()}
    ref_name = CONFIGS[0]
    ref = got.get(ref_name)
    if not ref:
        return "no (no local-1 output)"
    problems = []
    for c, shards in got.items():
        if c == ref_name:
            continue
        if shards is None:
            problems.append(f"{c}: no output")
        elif set(shards) != set(ref):
            problems.append(f"{c}: shard names differ ({len(shards)} vs {len(ref)})")
        else:
            diff = [n for n in ref if shards[n] != ref[n]]
            if diff:
                problems.append(f"{c}: {len(diff)}/{len(ref)} shards differ (e.g. {diff[0]})")
    return "yes" if not problems else "no (" + "; ".join(problems) + ")"


def rows_of(folder: Path) -> int:
    m = json.loads((folder / "_curate.json").read_text())
    return int(m["rows"]) if "rows" in m else sum(s["rows"] for s in m["shards"])


def measure_step(
    step: str,
    docs: int,
    inp: Sequence[Path] | Path,
    tiny: Sequence[Path] | Path | None,
    work: Path,
    head: RayHead,
    env: dict[str, str],
    rounds: int,
) -> StepResult:
    result = StepResult(step, docs)
    outs = {c: work / f"out-{step}-{c}" for c in CONFIGS}
    for r in range(rounds):
        order = CONFIGS if r % 2 == 0 else tuple(reversed(CONFIGS))
        for config in order:
            run = run_one(step, config, inp, outs[config], work, head, env, f"-r{r}")
            result.runs.setdefault(config, []).append(run)
            if not result.docs and run.res.ok:  # ingest-warc: the pages the first run wrote
                result.docs = rows_of(outs[config])
            print(
                f"  {step:12s} {config:8s} {run.res.wall_s:7.1f} s  "
                f"{result.docs / run.res.wall_s:8,.0f} docs/s  cpu {run.cpu:6.1f} s  "
                f"load {run.load[0]:.1f}",
                flush=True,
            )
    result.same = compare_outputs(outs)
    ray_run = result.median("ray-2")
    if ray_run and ray_run.timeline:
        result.notes.append(f"where ray-2's time went: {ray_run.timeline}")
    if step == "dedup":
        result.notes.append(dedup_stages(outs))
    for p in outs.values():
        shutil.rmtree(p, ignore_errors=True)
    if tiny is not None:
        for config in CONFIGS:
            out = work / f"tiny-{step}-{config}"
            run = run_one(step, config, tiny, out, work, head, env, "-tiny", timeline=False)
            if run.res.ok:
                result.tiny[config] = run.res.wall_s
                if config == CONFIGS[0]:
                    result.tiny_docs = tiny_docs(step, tiny, out)
            shutil.rmtree(out, ignore_errors=True)
    return result


def tiny_docs(step: str, tiny: Sequence[Path] | Path, out: Path) -> int:
    """Documents of a tiny input, counted as the timed run counts its own."""
    if step == "ingest-warc":
        return rows_of(out)
    if step == "ingest-jsonl":
        return TINY_DOCS
    return rows_of(tiny)  # a dataset


def fixed_cost(s: StepResult, config: str) -> float | None:
    """A command's fixed cost (start-up, imports, workers' start, Ray connection): with
    wall = fixed + docs / rate through the tiny and the timed run."""
    big, small = s.median(config), s.tiny.get(config)
    if big is None or small is None or s.docs <= s.tiny_docs:
        return None
    per_doc = (big.res.wall_s - small) / (s.docs - s.tiny_docs)
    return max(0.0, small - per_doc * s.tiny_docs)


def dedup_stages(outs: dict[str, Path]) -> str:
    """Each config's dedup stage seconds (from the lineage), to see where time goes."""
    parts = []
    for c, p in outs.items():
        try:
            last = json.loads((p / "_curate.json").read_text())["lineage"][-1]
            st = last["dedup"]["stage_seconds"]
        except (OSError, ValueError, KeyError):
            continue
        parts.append(c + " " + ", ".join(f"{k} {v:.1f}" for k, v in st.items()))
    return "dedup stage seconds: " + "; ".join(parts)


# --------------------------------------------------------------------------- machine


def _spin(n: int) -> float:
    t0 = time.perf_counter()
    s = 0
    for i in range(n):
        s += i
    return time.perf_counter() - t0


def parallel_capacity(n: int = 8_000_000, trials: int = 3) -> float:
    """How much work 2 busy processes get done now, relative to 1 (2.0 on 2 idle cores).

    The machine is shared: other users' load caps what local 2 (or Ray 2) can gain over
    local 1, whatever curate does. The median of `trials` measurements.
    """
    import multiprocessing as mp

    got = []
    with mp.get_context("fork").Pool(CPUS) as pool:
        pool.map(_spin, [1000] * CPUS)  # started
        for _ in range(trials):
            one = _spin(n)
            t0 = time.perf_counter()
            pool.map(_spin, [n] * CPUS)
            got.append(CPUS * one / (time.perf_counter() - t0))
    return statistics.median(got)


# --------------------------------------------------------------------------- tables


def fmt_rate(x: float | None) -> str:
    return f"{x:,.0f}" if x else "failed"


def goal(value: float | None, target: float, applies: bool = True) -> str:
    if value is None:
        return "n/a"
    mark = "" if not applies else (" ok" if value >= target else " LOW")
    return f"{value:.2f}x{mark}"


def print_tables(results: list[StepResult], capacity: tuple[float, float]) -> None:
    rows = []
    for s in results:
        d1, d2, dr = (s.dps(c) for c in CONFIGS)
        rows.append(
            [
                s.step,
                f"{s.docs:,}",
                fmt_rate(d1),
                fmt_rate(d2),
                fmt_rate(dr),
                goal(dr / d2 if dr and d2 else None, 0.85),
                goal(d2 / d1 if d2 and d1 else None, 1.8, s.step in MAP_STEPS),
                "yes" if s.same == "yes" else "no",
            ]
        )
    print(
        format_table(
            [
                "step",
                "docs",
                "local-1 docs/s",
                "local-2 docs/s",
                "ray-2 docs/s",
                "ray/local-2 (>=0.85)",
                "local-2/local-1 (>=1.8 map)",
                "same bytes",
            ],
            rows,
            title=f"curate on {CPUS} cores: local 1 worker, local {CPUS} workers, "
            f"Ray {CPUS} workers (a {CPUS}-CPU Ray head started beforehand)",
        )
    )
    print(
        f"parallel capacity of the machine (2 busy processes vs 1, ideal {CPUS:.2f}x): "
        f"{capacity[0]:.2f}x before these runs, {capacity[1]:.2f}x after (the machine is "
        "shared: local-2/local-1 and Ray's gain cannot exceed it)"
    )
    print()
    for s in results:
        print(f"  {s.step}: same bytes: {s.same}")
        for note in s.notes:
            print(f"  {s.step}: {note}")
    print()
    rows = []
    for s in results:
        for c in CONFIGS:
            r = s.median(c)
            if r is None:
                rows.append([s.step, c, "failed"] + [""] * 9)
                continue
            fixed = fixed_cost(s, c)
            tiny = s.tiny.get(c)
            rows.append(
                [
                    s.step,
                    c,
                    f"{r.res.wall_s:.1f}",
                    f"{r.cpu:.1f}",
                    f"{s.docs / r.cpu:,.0f}" if r.cpu else "",
                    f"{r.workers_cpu:.1f}" if c.startswith("ray") else "",
                    str(r.head_new) if c.startswith("ray") else "",
                    f"{r.head_cpu - r.workers_cpu:.1f}",
                    f"{tiny:.1f}" if tiny else "",
                    f"{fixed:.1f}" if fixed is not None else "",
                    f"{fixed / r.res.wall_s:.1%}" if fixed is not None else "",
                    f"{r.load[0]:.1f} / {r.load[1]:.1f}",
                ]
            )
    print(
        format_table(
            [
                "step",
                "run",
                "wall s",
                "cpu s",
                "docs/cpu-s",
                "Ray workers cpu s",
                "Ray workers started",
                "Ray head own cpu s",
                "tiny wall s",
                "fixed s",
                "fixed share",
                "load before / after",
            ],
            rows,
            title="details (median run). cpu s: the command's process tree, plus for Ray the "
            "head's whole tree (the tasks run in its workers); Ray workers: the processes the "
            "head started for the run (the job's workers, the tasks' CPU included); Ray head "
            "own: the rest of the head's tree (GCS, raylet, agents; for local runs: what the "
            "idle head took); tiny: the same command on "
            f"{TINY_DOCS:,} docs in 4 files or shards (a few small WARCs for ingest-warc); "
            "fixed: start-up, imports, workers' start and Ray connection, from wall = fixed "
            "+ docs / rate through the tiny and the timed run",
        )
    )
    print()


# --------------------------------------------------------------------------- datatrove


def shard_ids(dataset: Path) -> set[str]:
    """The ids in a curate dataset's shards (from its manifest)."""
    import pyarrow.parquet as pq

    m = json.loads((dataset / "_curate.json").read_text())
    ids: set[str] = set()
    for s in m["shards"]:
        ids.update(pq.read_table(dataset / s["name"], columns=["id"]).column("id").to_pylist())
    return ids


def kept_ids(folder: Path) -> set[str]:
    import pyarrow.parquet as pq

    ids: set[str] = set()
    for p in sorted(folder.rglob("*.parquet")):
        ids.update(pq.read_table(p, columns=["id"]).column("id").to_pylist())
    return ids


def run_peer(mode: str, data: Path, shards: int, work: Path, address: str) -> RunResult:
    script = work / "datatrove_filter.py"
    script.write_text(PEER_SCRIPT)
    out, logs = work / f"dt-out-{mode}", work / f"dt-logs-{mode}"
    for p in (out, logs):
        shutil.rmtree(p, ignore_errors=True)
    cmd = [peer_python(), script, mode, data, out, logs, str(shards), str(CPUS), address]
    return run_measured(
        cmd, name=f"datatrove {mode}", log=work / f"datatrove-{mode}.log", cwd=work, env=PEER_ENV
    )


def peer_compare(
    data: Path, docs: int, shards: int, work: Path, curate_run: Run, curate_out_ids: set[str]
) -> None:
    """datatrove's RayPipelineExecutor (its own head, peer venv) vs curate's Ray run."""
    peer = peer_python()
    ray_bin = peer.parent / "ray"
    why_not = ""
    dt: RunResult | None = None
    dt_cpu = 0.0
    dt_timeline = ""
    mode = "ray"
    if not ray_bin.exists():
        why_not = f"`ray` is not installed in {peer.parent.parent} (rerun make_peer_env.sh)"
    else:
        head = RayHead(ray_bin, CPUS, work / "ray-head-peer.log")
        try:
            head.start()
        except SystemExit as exc:
            why_not = f"the peer venv's Ray head did not start: {exc}"
        else:
            try:
                sampler = TreeCpu(head.pids())
                sampler.start()
                t0 = time.time()
                dt = run_peer("ray", data, shards, work, head.address)
                t1 = time.time()
                dt_cpu, _, _ = sampler.stop()
                if dt.ok:
                    dt_timeline = ray_timeline(head, work, PEER_ENV, t0, t1)
            finally:
                head.stop()
            if not dt.ok or not (work / "dt-logs-ray" / "stats.json").exists():
                why_not = (
                    f"RayPipelineExecutor failed (exit {dt.returncode}; no stats.json): "
                    + " | ".join(dt.tail(6).splitlines())
                )
    if why_not:
        print(f"datatrove on Ray: NOT measured: {why_not}")
        print("falling back to datatrove's LocalPipelineExecutor (same pipeline, 2 workers)")
        mode = "local"
        dt = run_peer("local", data, shards, work, "")
        dt_cpu = 0.0
        if not dt.ok:
            print(f"datatrove LocalPipelineExecutor failed too: {dt.tail(8)}")
            return
    theirs = kept_ids(work / f"dt-out-{mode}")
    ours = curate_out_ids
    same = docs - len(ours ^ theirs)
    c_dps = docs / curate_run.res.wall_s
    d_dps = docs / dt.wall_s
    c_cpu, d_cpu = curate_run.cpu, dt.cpu_s + dt_cpu
    label = "RayPipelineExecutor" if mode == "ray" else "LocalPipelineExecutor (fallback)"
    rows = [
        [
            "curate filter --preset fineweb, Ray",
            f"{curate_run.res.wall_s:.1f}",
            f"{c_dps:,.0f}",
            f"{docs / c_cpu:,.0f}",
            f"{len(ours):,}",
        ],
        [
            f"datatrove {label}",
            f"{dt.wall_s:.1f}",
            f"{d_dps:,.0f}",
            f"{docs / d_cpu:,.0f}" if d_cpu else "",
            f"{len(theirs):,}",
        ],
    ]
    print(
        format_table(
            ["FineWeb chain, same Parquet shards", "wall s", "docs/s", "docs/cpu-s", "kept"],
            rows,
            title=f"curate vs datatrove on Ray ({docs:,} docs in {shards} shards, {CPUS} CPUs "
            "each, each on its own Ray head started beforehand)",
        )
    )
    verdict = "ok" if c_dps / d_dps >= 5 else "LOW"
    print(
        f"speed curate/datatrove: {ratio(c_dps, d_dps)} (goal >= 5x: {verdict}); "
        f"per CPU-second: {ratio(docs / c_cpu, docs / d_cpu if d_cpu else None)}"
    )
    print(
        f"same keep/drop: {same / docs:.2%} of {docs:,} docs "
        f"(kept by curate only: {len(ours - theirs):,}, by datatrove only: "
        f"{len(theirs - ours):,})"
    )
    if curate_run.timeline:
        print(f"where curate's time went: {curate_run.timeline}")
    if dt_timeline:
        print(f"where datatrove's time went: {dt_timeline}")
    print()


# --------------------------------------------------------------------------- main


@dataclass
class Sizes:
    docs: int  # the corpus: ingest-jsonl and dedup
    files: int  # JSONL files it is written to
    subset_files: int  # the first files: filter and score
    peer_files: int  # the first files: the datatrove comparison (in 4 shards)
    warc_repeat: int
    shard_rows: int  # rows per shard of the input datasets


def sizes_for(args: argparse.Namespace) -> Sizes:
    if args.quick:
        s = Sizes(16_000, files=16, subset_files=4, peer_files=1, warc_repeat=1, shard_rows=500)
    else:
        s = Sizes(160_000, files=32, subset_files=5, peer_files=1, warc_repeat=8, shard_rows=2500)
    if args.docs:
        s.docs = args.docs
    if args.warc_repeat:
        s.warc_repeat = args.warc_repeat
    if args.shard_rows:
        s.shard_rows = args.shard_rows
    if args.files:
        s.files = args.files
    return s


def ingest_dataset(
    files: Sequence[Path], out: Path, env: dict[str, str], work: Path, shard_rows: int
) -> Path:
    """An input dataset for filter / dedup / score: every shard at most `shard_rows` rows."""
    cmd = [curate_bin(), "ingest", *files, "-o", out, "--source", "bench", "-q"]
    res = run_measured(
        [*cmd, "--shard-rows", str(shard_rows)],
        log=work / f"prep-{out.name}.log",
        cwd=work,
        env=env,
    )
    if not res.ok:
        raise SystemExit(f"preparing {out.name} failed:\n{res.tail(10)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA)
    ap.add_argument("--quick", action="store_true", help="small inputs: a first look")
    ap.add_argument("--docs", type=int, help="documents in the corpus (ingest-jsonl, dedup)")
    ap.add_argument("--warc-repeat", type=int, help="copies of the WARC files for ingest-warc")
    ap.add_argument(
        "--files",
        type=int,
        help="JSONL files the corpus is written to (each is its own ingest task, so its "
        "own shard: `--files 1 --shard-rows N` gives filter and score one large shard)",
    )
    ap.add_argument(
        "--shard-rows",
        type=int,
        help="rows per shard of the input datasets (large: the one-or-two-shard case of filter "
        "and score, whose shards are cut into row ranges)",
    )
    ap.add_argument("--steps", default=",".join(STEPS), help=f"subset of {','.join(STEPS)}")
    ap.add_argument("--rounds", type=int, default=1, help="runs per config (median)")
    ap.add_argument("--no-peer", action="store_true", help="skip the datatrove comparison")
    ap.add_argument("--no-fixed", action="store_true", help="skip the tiny-input runs")
    ap.add_argument(
        "--curate-src",
        type=Path,
        help="run curate from this source tree (a checkout or `git archive` of one) "
        "instead of the venv's install: put first on PYTHONPATH of every curate process "
        "and of the Ray head's workers",
    )
    ap.add_argument("--tmpdir", type=Path, help="where to stage inputs (default $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = ap.parse_args(argv)
    steps = [s for s in args.steps.split(",") if s]
    unknown = set(steps) - set(STEPS)
    if unknown:
        ap.error(f"unknown steps: {', '.join(sorted(unknown))}")
    if not args.evaldata.is_dir():
        raise SystemExit(f"{args.evaldata} not found: pass --evaldata")
    if core_count()[1] < CPUS:
        print(f"note: fewer than {CPUS} usable cores: the ratios mean little")
    peer = None if args.no_peer else peer_python()
    env: dict[str, str] = dict(RAY_ENV)
    if args.curate_src:
        src = args.curate_src.resolve()
        if not (src / "curate" / "__init__.py").exists():
            raise SystemExit(f"--curate-src {src}: no curate/__init__.py there")
        env["PYTHONPATH"] = os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])
    t_start = time.perf_counter()
    print_machine()
    sizes = sizes_for(args)
    work = Path(tempfile.mkdtemp(prefix="curate-bench-scale-", dir=args.tmpdir))
    results: list[StepResult] = []
    head = RayHead(Path(sys.executable).parent / "ray", CPUS, work / "ray-head.log", env)
    try:
        # ---- inputs
        t0 = time.perf_counter()
        docs = base_docs(args.evaldata)
        files = write_corpus(docs, sizes.docs, work / "jsonl", sizes.files)
        tiny_files = write_corpus(docs, TINY_DOCS, work / "jsonl-tiny", 4)
        mb = sum(p.stat().st_size for p in files) / 1e6
        print(
            f"corpus: {sizes.docs:,} docs ({mb:,.0f} MB of JSONL in {sizes.files} files) from "
            f"{len(docs):,} real documents; built in {time.perf_counter() - t0:.0f} s"
        )
        need_ds = {"filter", "dedup", "score"} & set(steps)
        full = tiny_ds = subset = None
        if need_ds or (peer and "filter" in steps):
            full = ingest_dataset(files, work / "ds-full", env, work, sizes.shard_rows)
            tiny_ds = ingest_dataset(tiny_files, work / "ds-tiny", env, work, TINY_DOCS // 4)
            subset = ingest_dataset(
                files[: sizes.subset_files], work / "ds-subset", env, work, sizes.shard_rows
            )
        warcs: list[Path] = []
        tiny_warcs: list[Path] = []
        if "ingest-warc" in steps:
            intact = [p for p in find_inputs(args.evaldata, args.quick) if gzip_error(p) is None]
            warcs = stage(intact, sizes.warc_repeat, work / "warc")
            small = sorted(intact, key=lambda p: p.stat().st_size)[:4]
            tiny_warcs = stage(small, 1, work / "warc-tiny")
        print(f"inputs ready in {time.perf_counter() - t0:.0f} s")

        # ---- part 1
        cap0 = parallel_capacity()
        head.start()
        print(f"Ray head: {head.address}, {CPUS} CPUs, up in {head.start_s:.1f} s (not counted)")
        print()
        for step in steps:
            if step == "ingest-jsonl":
                inp, tiny, n = files, tiny_files, sizes.docs
            elif step == "ingest-warc":
                inp, tiny, n = warcs, tiny_warcs, 0  # counted on the first run's output
            elif step == "dedup":
                inp, tiny, n = full, tiny_ds, rows_of(full)
            else:
                inp, tiny, n = subset, tiny_ds, rows_of(subset)
            res = measure_step(
                step, n, inp, None if args.no_fixed else tiny, work, head, env, args.rounds
            )
            results.append(res)
        print()
        print_tables(results, (cap0, parallel_capacity()))

        # ---- part 2
        if peer and "filter" in steps:
            peer_files = files[: sizes.peer_files]
            per_shard = -(-sizes.docs * len(peer_files) // len(files) // 4)  # 4 shards
            peer_ds = ingest_dataset(peer_files, work / "ds-peer", env, work, per_shard)
            n = rows_of(peer_ds)
            shards = len(json.loads((peer_ds / "_curate.json").read_text())["shards"])
            out = work / "out-peer-curate"
            run = run_one("filter", "ray-2", peer_ds, out, work, head, env, "-peer")
            head.stop()
            if not run.res.ok:
                print("curate's Ray run on the datatrove input failed: comparison skipped")
            else:
                peer_compare(peer_ds, n, shards, work, run, shard_ids(out))
    finally:
        head.stop()
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print_versions(args, peer)
    print(f"total time: {time.perf_counter() - t_start:.0f} s")
    return 0


def git_state(folder: Path) -> str:
    """` at commit X` (`, with uncommitted changes under curate/`) or ` (not a git checkout)`."""

    def git(*a: str) -> str:
        got = subprocess.run(["git", "-C", str(folder), *a], capture_output=True, text=True)
        return got.stdout.strip() if got.returncode == 0 else ""

    rev = git("rev-parse", "HEAD")
    if not rev:
        return " (not a git checkout)"
    dirty = git("status", "--porcelain", "curate")
    return f" at commit {rev[:10]}" + (", with uncommitted changes under curate/" if dirty else "")


def print_versions(args: argparse.Namespace, peer: Path | None) -> None:
    mine = package_versions(sys.executable, ["curate", "ray", "pyarrow", "polars", "numpy"])
    folder = args.curate_src.resolve() if args.curate_src else REPO
    where = "--curate-src " if args.curate_src else "the venv's editable install, "
    src = f"{where}{folder}{git_state(folder)}"
    print(f"versions: curate {mine.pop('curate')} from {src}")
    print("  " + ", ".join(f"{k} {v}" for k, v in mine.items()))
    if peer:
        theirs = package_versions(peer, ["datatrove", "ray", "spacy", "pyarrow"])
        print("  peer venv: " + ", ".join(f"{k} {v}" for k, v in theirs.items()))
    total, usable = core_count()
    print(f"cores: {total} ({usable} usable); every configuration uses {CPUS}")


if __name__ == "__main__":
    raise SystemExit(main())
