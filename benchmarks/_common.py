"""Shared helpers for the benchmark scripts in this folder.

* :func:`run_measured` runs a command as a subprocess and measures its wall time, the peak
  memory of its whole process tree (sampled) and its CPU time.
* :func:`peer_python` / :func:`curate_bin` locate the two environments being compared: the
  peer venv made by ``make_peer_env.sh`` and curate's own venv.
* :func:`print_table`, :func:`ratio` and :func:`print_machine` print results.

Only the standard library is used (``psutil`` is used when importable, it is not required),
so this module works both in curate's venv and in the peer venv.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

try:  # optional: faster and portable process-tree walking
    import psutil  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the venv
    psutil = None

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
PEER_VENV = BENCH_DIR / ".peer-venv"
DEFAULT_EVALDATA = REPO.parent / "shared" / "evaldata"
MB = 1024 * 1024
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --------------------------------------------------------------------------- environments


def peer_python(required: bool = True) -> Path | None:
    """The peer venv's python; exits with a hint when it is missing (unless not required)."""
    py = PEER_VENV / "bin" / "python"
    if py.exists():
        return py
    if required:
        raise SystemExit(
            f"peer venv not found at {PEER_VENV}; create it with: bash benchmarks/make_peer_env.sh"
        )
    return None


def curate_bin() -> Path:
    """The ``curate`` console script: next to this interpreter, else in the repo's .venv."""
    for cand in (Path(sys.executable).parent / "curate", REPO / ".venv" / "bin" / "curate"):
        if cand.exists():
            return cand
    raise SystemExit("`curate` console script not found: run `pip install -e .` in the venv")


def package_versions(python: Path | str, names: Sequence[str]) -> dict[str, str]:
    """Installed versions of distributions, as seen by the given interpreter."""
    code = (
        "import sys, json\n"
        "from importlib.metadata import version\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try:\n"
        "        out[n] = version(n)\n"
        "    except Exception:\n"
        "        out[n] = 'not installed'\n"
        "print(json.dumps(out))\n"
    )
    import json

    try:
        res = subprocess.run(
            [str(python), "-c", code, *names], capture_output=True, text=True, check=True
        )
        return json.loads(res.stdout)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return {n: "unknown" for n in names}


def core_count() -> tuple[int, int]:
    """(logical CPUs of the machine, CPUs this process may run on)."""
    total = os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = total
    return total, usable


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def print_machine() -> None:
    """One paragraph on the machine: cores, CPU, memory, load (the machine may be shared)."""
    total, usable = core_count()
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load avg " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {total} cores ({usable} usable), {_cpu_model()}{mem}{load}")
    print(f"python {platform.python_version()} on {platform.platform()}")
    compile_curate()


def compile_curate() -> None:
    """Give curate the bytecode an installed package has.

    `pip install` compiles a package's modules; an editable checkout run with
    PYTHONDONTWRITEBYTECODE=1 (as on our CI machines) never writes `__pycache__`, so
    every curate process would compile its sources first, ~0.2 CPU-s the peers,
    installed from wheels, do not pay. Compiling once here is what pip would have done.
    """
    try:
        import compileall

        import curate

        compileall.compile_dir(Path(curate.__file__).parent, quiet=1)
    except (ImportError, OSError) as exc:
        print(f"note: curate's bytecode not compiled ({exc}); curate pays for compiling")


# --------------------------------------------------------------------------- measuring


@dataclass
class RunResult:
    """What :func:`run_measured` observed."""

    name: str
    cmd: list[str]
    returncode: int
    wall_s: float
    peak_rss: int  # bytes: max over samples of the summed RSS of the process tree
    peak_pss: int | None  # bytes: same with PSS (shared pages split), None if unavailable
    max_proc_rss: int  # bytes: largest single process
    cpu_s: float  # user + sys seconds of the whole tree
    max_procs: int  # most processes seen alive at once in the tree
    log: Path | None = None
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, n: int = 20) -> str:
        """Last n lines of the command's combined output (when it was logged)."""
        if not self.log or not self.log.exists():
            return ""
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


def _proc_children_map() -> dict[int, list[int]]:
    """ppid -> [pid] for every process, from /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name is in parentheses and may contain spaces: split after the last ')'
        rest = stat[stat.rfind(b")") + 2 :].split()
        ppid = int(rest[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _tree_pids(root: int) -> list[int]:
    """root and all its descendants still alive."""
    if psutil is not None:
        try:
            proc = psutil.Process(root)
            return [root] + [c.pid for c in proc.children(recursive=True)]
        except psutil.Error:
            return []
    children = _proc_children_map()
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, ()))
    return out


def _cpu_of(pid: int) -> float | None:
    """User + system CPU seconds of one process itself (not its children), None if gone."""
    if psutil is not None:
        try:
            t = psutil.Process(pid).cpu_times()
            return t.user + t.system
        except psutil.Error:
            return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    # fields[0] is field 3 (state) of proc(5): utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def _mem_of(pid: int, want_pss: bool) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes, PSS 0 unless ``want_pss``; (0, 0) if it is gone.

    Zombies and exiting processes have no mappings left, so they count 0.
    """
    if want_pss:
        rss = pss = 0
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Rss:"):
                        rss = int(line.split()[1]) * 1024
                    elif line.startswith(b"Pss:"):
                        pss = int(line.split()[1]) * 1024
        except (OSError, ValueError):
            return 0, 0
        return rss, pss
    if psutil is not None:
        try:
            return psutil.Process(pid).memory_info().rss, 0
        except psutil.Error:
            return 0, 0
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE, 0
    except (OSError, ValueError, IndexError):
        return 0, 0


class _TreeSampler(threading.Thread):
    """Samples a process tree every ``interval`` seconds until stopped.

    Tracks the peak of the summed RSS (and PSS, where /proc/<pid>/smaps_rollup exists), the
    largest single process, the most processes alive at once, and the last CPU time seen for
    every process (so CPU spent by grandchildren that nobody reaps is still counted).
    """

    def __init__(self, root: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_rss = 0
        self.peak_pss = 0
        self.max_proc_rss = 0
        self.max_procs = 0
        self.cpu: dict[int, float] = {}
        self.want_pss = os.path.exists(f"/proc/{root}/smaps_rollup")
        self._halt = threading.Event()

    def sample(self) -> None:
        pids = _tree_pids(self.root)
        rss_sum = pss_sum = 0
        for pid in pids:
            rss, pss = _mem_of(pid, self.want_pss)
            rss_sum += rss
            pss_sum += pss
            self.max_proc_rss = max(self.max_proc_rss, rss)
            cpu = _cpu_of(pid)
            if cpu is not None:
                self.cpu[pid] = max(cpu, self.cpu.get(pid, 0.0))
        self.peak_rss = max(self.peak_rss, rss_sum)
        self.peak_pss = max(self.peak_pss, pss_sum)
        self.max_procs = max(self.max_procs, len(pids))

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def run_measured(
    cmd: Sequence[str | os.PathLike],
    *,
    name: str | None = None,
    log: Path | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    interval: float = 0.1,
    timeout: float | None = None,
) -> RunResult:
    """Run ``cmd`` and measure wall time, peak tree memory and CPU time.

    Output (stdout and stderr together) goes to ``log`` (or is discarded), so a chatty tool
    cannot block on a full pipe or slow down by writing to a terminal. The memory of every
    process in the tree is summed at each sample (every ``interval`` s; short spikes
    between samples are missed). CPU time is the larger of the kernel's count for reaped
    descendants and the sum of the last CPU time sampled for every process seen.
    """
    argv = [str(c) for c in cmd]
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=full_env,
        )
        sampler = _TreeSampler(proc.pid, interval)
        sampler.sample()
        sampler.start()
        deadline = None if timeout is None else start + timeout
        status, usage = 0, None
        while True:
            # wait4 gives the child's rusage (its reaped descendants included)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                _kill_tree(proc.pid)
            time.sleep(0.02)
        wall = time.perf_counter() - start
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log:
            out.close()
    # the kernel's numbers cover reaped descendants exactly; the samples also cover
    # processes that were never reaped by their parent (e.g. forkserver workers)
    kernel_cpu = (usage.ru_utime + usage.ru_stime) if usage else 0.0
    return RunResult(
        name=name or Path(argv[0]).name,
        cmd=argv,
        returncode=proc.returncode,
        wall_s=wall,
        peak_rss=sampler.peak_rss,
        peak_pss=sampler.peak_pss if sampler.want_pss else None,
        max_proc_rss=max(sampler.max_proc_rss, usage.ru_maxrss * 1024 if usage else 0),
        cpu_s=max(kernel_cpu, sum(sampler.cpu.values())),
        max_procs=sampler.max_procs,
        log=log,
    )


def run_or_exit(cmd: Sequence[str | os.PathLike], *, name: str, log: Path) -> RunResult:
    """:func:`run_measured`, stopping the benchmark with the run's log if it failed: a
    figure from a failed run would be no figure."""
    res = run_measured(cmd, name=name, log=log)
    if res.returncode != 0:
        print(log.read_text())
        raise SystemExit(f"{name} failed (exit {res.returncode})")
    return res


def _kill_tree(root: int) -> None:
    """SIGKILL a process and its descendants (used only on timeout of our own child)."""
    import signal

    for pid in reversed(_tree_pids(root)):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def shell_quote(cmd: Iterable[str]) -> str:
    """A command line as one copy-pasteable string."""
    return " ".join(shlex.quote(str(c)) for c in cmd)


# --------------------------------------------------------------------------- printing


def ratio(num: float | None, den: float | None, digits: int = 2) -> str:
    """``num / den`` formatted as ``1.23x``; ``n/a`` when either side is missing or 0."""
    if not num or not den:
        return "n/a"
    return f"{num / den:.{digits}f}x"


def fmt_mb(nbytes: float | None) -> str:
    """Bytes as MB with one decimal, ``n/a`` for None."""
    return "n/a" if nbytes is None else f"{nbytes / MB:.1f}"


def format_table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], title: str | None = None
) -> str:
    """A plain-text table: text columns left-aligned, numbers right-aligned."""
    rows = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def numeric(cell: str) -> bool:
        stripped = cell.rstrip("x%s").replace(".", "", 1).replace(",", "").lstrip("+-")
        return stripped.isdigit()

    def line(cells: Sequence[str]) -> str:
        parts = []
        for i, cell in enumerate(cells):
            parts.append(cell.rjust(widths[i]) if numeric(cell) else cell.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    out = []
    if title:
        out.append(title)
    out.append(line(list(headers)))
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(row) for row in rows)
    return "\n".join(out)


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], title: str | None = None
) -> None:
    """Print :func:`format_table` followed by a blank line."""
    print(format_table(headers, rows, title))
    print()
