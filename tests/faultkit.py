"""Fault injection for `tests/test_faults.py`: run curate as a real process, kill it,
starve it of disk, and compare what it leaves with what a clean run wrote.

Everything runs `python -m curate` in a subprocess (a SIGKILL, a file-size limit and
the workers' watchdog only exist there). The commands use paths relative to the
folder they run in (`-o out --rejected rej`), so two *lanes* (folders of the same
depth) run the same command with the same parameters side by side, and their
manifests can be compared with a clean run's field for field.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CURATE = [sys.executable, "-m", "curate"]
TMP_PREFIXES = (".curate-tmp-", ".tmp-")
LOCK = "_curate.lock"
MANIFEST = "_curate.json"
PENDING = "_curate.pending.json"
UNITS = "_curate.units"  # a marker file a finished unit, while an output is pending
PARTS = "_curate.parts"  # row ranges of cut shards, until each shard is put together
# what legitimately differs between two runs of one command: wall-clock times, and how
# much of the work a run found already done (dedup's signature cache)
VOLATILE_KEYS = frozenset(
    {"started", "ended", "stage_seconds", "seconds", "signature_shards_computed"}
)

WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if "
    "so no what can out other into more some time could them may then these first any my "
    "river mill miller flour ledger village baker bread morning sacks numbers market cart "
    "road winter harvest field wheat barley stone water wheel grain price town bridge"
).split()


# --------------------------------------------------------------------------- inputs


def _sentence(rnd: random.Random, n: int) -> str:
    words = [rnd.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def document(rnd: random.Random, k: int, scale: float = 1.0) -> str:
    """A document: mostly English-looking prose, sometimes too short, symbol-heavy, or
    carrying an e-mail address or a phone number (so every step has work to do)."""
    kind = k % 11
    if kind == 0:
        return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 12)))  # too short
    if kind == 1:
        return " ".join(f"#{rnd.randint(0, 9999)} {{}} |" for _ in range(60))  # symbols
    body = " ".join(
        _sentence(rnd, rnd.randint(8, 18)) for _ in range(int(rnd.randint(4, 12) * scale))
    )
    if kind == 2:
        body += f" Write to clerk{k}@example.org or miller{k}@mill.example.com today."
    if kind == 3:
        body += f" Call us on (415) 555-{1000 + k % 9000:04d} before noon."
    return body


def write_jsonl_corpus(
    folder: Path,
    *,
    files: int,
    file_bytes: int,
    seed: int,
    repeated_ids: int = 0,
    bad_lines: int = 0,
) -> Path:
    """JSONL files of about `file_bytes` each (documents grow with the file number, so
    shards differ in size), with exact and near duplicates across files, `repeated_ids`
    ids of file 0 used again in every later file, and `bad_lines` invalid lines a file."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    earlier: list[str] = []
    for f in range(files):
        lines: list[str] = []
        size = 0
        i = 0
        while size < file_bytes:
            if earlier and i % 17 == 5:
                text = rnd.choice(earlier)  # an exact duplicate of an earlier document
            elif earlier and i % 17 == 9:
                words = rnd.choice(earlier).split()
                words[rnd.randrange(len(words))] = "changed"
                text = " ".join(words)  # a near duplicate
            else:
                text = document(rnd, i, scale=0.6 + 0.3 * f)
                if len(earlier) < 200:
                    earlier.append(text)
            doc_id = f"{f}-{i}"
            if f and i < repeated_ids:
                doc_id = f"0-{i}"  # an id already used in file 0: a later copy is dropped
            line = json.dumps({"id": doc_id, "text": text, "lang": "en"})
            if bad_lines and i % max(1, 400 // bad_lines) == 7 and i // 400 < bad_lines:
                line = line[: len(line) // 2]  # cut in half: invalid JSON
            lines.append(line)
            size += len(line) + 1
            i += 1
        (folder / f"part-{f:02d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- trees


def tree(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file and folder under `root`: relative path -> (size, mtime_ns, bytes)."""
    out: dict[str, tuple[int, int, bytes]] = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(root))
            if p.is_file() and not p.is_symlink():
                out[rel] = (st.st_size, st.st_mtime_ns, p.read_bytes())
            else:
                out[rel] = (-1, 0 if p.is_dir() else st.st_mtime_ns, b"")
    return out


def listing(root: Path) -> list[str]:
    return sorted(tree(root))


def normalized_manifest(data: Any) -> Any:
    """A manifest (or any JSON) without what legitimately differs between two runs."""
    if isinstance(data, dict):
        return {k: normalized_manifest(v) for k, v in data.items() if k not in VOLATILE_KEYS}
    if isinstance(data, list):
        return [normalized_manifest(v) for v in data]
    return data


def differences(got_root: Path, want_root: Path) -> list[str]:
    """How the outputs under `got_root` differ from the reference under `want_root`:
    the same files, shards byte for byte, manifests equal once normalized."""
    got, want = tree(got_root), tree(want_root)
    problems = []
    if sorted(got) != sorted(want):
        extra = sorted(set(got) - set(want))
        missing = sorted(set(want) - set(got))
        problems.append(f"files differ: extra {extra[:8]}, missing {missing[:8]}")
    for rel in sorted(set(got) & set(want)):
        g, w = got[rel], want[rel]
        if g[0] == -1 or w[0] == -1:
            continue
        if rel.endswith(".json"):
            gj, wj = json.loads(g[2]), json.loads(w[2])
            if normalized_manifest(gj) != normalized_manifest(wj):
                problems.append(f"{rel}: differs ({json_diff(gj, wj)})")
        elif g[2] != w[2]:
            problems.append(f"{rel}: bytes differ ({g[0]} vs {w[0]} bytes)")
    return problems


def json_diff(got: Any, want: Any, path: str = "") -> str:
    """The first place two normalized JSON values differ, for messages."""
    got, want = normalized_manifest(got), normalized_manifest(want)
    if isinstance(got, dict) and isinstance(want, dict):
        for k in sorted(set(got) | set(want)):
            if got.get(k, "<absent>") != want.get(k, "<absent>"):
                return json_diff(got.get(k, "<absent>"), want.get(k, "<absent>"), f"{path}.{k}")
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            if a != b:
                return json_diff(a, b, f"{path}[{i}]")
    return f"{path or '.'}: {str(got)[:200]} != {str(want)[:200]}"


def leftovers(root: Path) -> list[str]:
    """Locks, pending files, unit markers, parts and temporary files anywhere under `root`."""
    found = []
    for rel in listing(root):
        name = Path(rel).name
        if name in (LOCK, PENDING, UNITS, PARTS) or name.startswith(TMP_PREFIXES):
            found.append(rel)
    return found


# --------------------------------------------------------------------------- processes


@dataclass
class Outcome:
    """One curate process: how it ended and what it said."""

    args: list[str]
    returncode: int
    stderr: str
    seconds: float
    killed: bool = False
    delay: float | None = None
    workers: list[int] = field(default_factory=list)  # its worker processes at the kill
    armed: float | None = None  # when the watched path appeared (seconds from the start)

    def describe(self) -> str:
        how = f"killed after {self.delay:.3f} s" if self.killed else f"exit {self.returncode}"
        return f"`curate {' '.join(self.args)}` ({how}): {self.stderr.strip()[-2000:]!r}"


def problems_of(outcome: Outcome) -> list[str]:
    """What is wrong with how a process that was not killed ended: it must exit 0 with
    its counts (or "up to date"), or exit 2 with one `error:` line, never a traceback."""
    if outcome.killed:
        return []
    err = outcome.stderr
    if "Traceback" in err:
        return [f"traceback: {outcome.describe()}"]
    if outcome.returncode == 0:
        if not ("up to date" in err or "documents" in err or "input files" in err):
            return [f"exit 0 without counts: {outcome.describe()}"]
        return []
    if outcome.returncode == 2:
        lines = err.splitlines()
        if lines and lines[-1].startswith("hint:"):
            lines.pop()
        errors = [line for line in lines if line.startswith("error:")]
        quiet = "-q" in outcome.args or "--quiet" in outcome.args
        # the error line ends the output; before it, only progress lines (not with -q)
        if len(errors) != 1 or lines[-1] != errors[0] or (quiet and len(lines) != 1):
            return [f"exit 2 with other than one error line: {outcome.describe()}"]
        return []
    return [f"unexpected exit status: {outcome.describe()}"]


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rfind(")") + 2 :].split()[0] not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def worker_processes(pid: int) -> list[int]:
    """The worker processes process `pid` has started (spawned by multiprocessing)."""
    return [p for p in _children(pid) if "spawn_main" in _cmdline(p)]


def run_curate(
    args: list[str],
    cwd: Path,
    *,
    kill_after: float | None = None,
    watch: Callable[[int], bool] | None = None,
    preexec_fn: Callable[[], None] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Outcome:
    """Run `curate ARGS` in `cwd`; with `kill_after`, SIGKILL it then if it still runs.

    With `watch`, the delay counts from the moment `watch(pid)` is true (see
    `holds_lock`: the command has started its work), and `Outcome.armed` says when
    that was.
    """
    with tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [*CURATE, *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=preexec_fn,
            env=env,
        )
        killed = False
        workers: list[int] = []
        armed = None
        try:
            if watch is not None:
                while proc.poll() is None and not watch(proc.pid):
                    if time.monotonic() - t0 > timeout:
                        raise subprocess.TimeoutExpired(proc.args, timeout)
                    time.sleep(0.002)
                if proc.poll() is None:
                    armed = time.monotonic() - t0
            wait = kill_after if kill_after is not None else timeout
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            if kill_after is None:
                proc.kill()
                proc.wait()
                raise
            workers = worker_processes(proc.pid)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed = True
        seconds = time.monotonic() - t0
        err.seek(0)
        text = err.read().decode("utf-8", errors="replace")
    return Outcome(args, proc.returncode, text, seconds, killed, kill_after, workers, armed)


def holds_lock(folder: Path) -> Callable[[int], bool]:
    """`watch` for `run_curate`: true once process `pid` holds the lock of `folder`
    (taken just before the command writes its pending file and starts its units)."""

    def check(pid: int) -> bool:
        try:
            return json.loads((folder / LOCK).read_text()).get("pid") == pid
        except (OSError, ValueError, AttributeError):
            return False

    return check


def file_size_limit(max_bytes: int) -> Callable[[], None]:
    """A `preexec_fn` that makes every write beyond `max_bytes` of one file fail (EFBIG)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def wait_dead(pids: list[int], timeout: float = 10) -> list[int]:
    """The pids still alive after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def empty(folder: Path) -> None:
    """Remove everything in `folder` (a lane between two trials)."""
    for p in folder.iterdir():
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
