"""`_curate.lock`: one command at a time writes an output.

Two runs into the same folder would interleave their shards and pending files and
fail half-way with errors that name neither run. While a command writes an output
it holds a lock file there (JSON: `pid`, `host`, `started`, as CLI.md says); a second
command finds it and exits 2 naming the holder. A run killed with SIGKILL cannot
remove its lock, so a lock whose process is gone on this host is taken over; a lock
from another host cannot be checked from here, and the message says how to remove it.

The lock is re-entrant within a process: dedup claims its output before the stages
and its filter pass writes the same output again, and a notebook may rerun a step
after an error left a lock of its own process behind.
"""

from __future__ import annotations

import atexit
import datetime as dt
import errno
import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

from curate.errors import CurateError

LOCK = "_curate.lock"

_held: dict[Path, int] = {}  # lock file -> how many writers of this process hold it
_guard = threading.Lock()


def _process_start(pid: int) -> str | None:
    """The start time of `pid` in clock ticks since boot (Linux), to tell pid reuse apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _alive(pid: int, start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    if start is not None:
        now = _process_start(pid)
        if now is not None and now != start:
            return False  # the pid was reused by another process
    return True


def is_stale_temp(name: str) -> bool:
    """A `.curate-tmp-PID-_curate.lock` whose process (on this host) is gone: a run was
    killed while it took a lock, between writing the lock's text and linking it."""
    pid = name.split("-")[2] if name.count("-") >= 3 else ""
    return pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid), None)


def _holder_text(info: dict[str, Any]) -> str:
    return (
        f"pid {info.get('pid', '?')} on {info.get('host', '?')}, started {info.get('started', '?')}"
    )


def acquire(folder: Path, command: str) -> Path:
    """Take the lock of `folder` (which exists) for this process, or exit 2 naming its holder."""
    path = folder.resolve() / LOCK
    with _guard:
        if path in _held:
            _held[path] += 1
            return path
        me = _me(command)
        # written whole under a temporary name, then linked into place: the link fails
        # if a lock exists, and a lock that exists is never seen half-written
        tmp = folder / f".curate-tmp-{os.getpid()}-{LOCK}"
        tmp.write_text(json.dumps(me), encoding="utf-8")
        try:
            for _ in range(3):
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    _take_over_if_stale(path, folder)  # raises while its holder lives
                    continue
                _held[path] = 1
                return path
        finally:
            tmp.unlink(missing_ok=True)
        raise CurateError(f"{folder}: could not take {LOCK}; re-run the command")


def _take_over_if_stale(path: Path, folder: Path) -> None:
    """Remove a lock whose holder is gone (or is this process); raise if it is alive."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return  # released meanwhile
    except OSError:
        text = ""
    _judge(text, str(folder), str(path))
    _remove(path, text)


def _remove(path: Path, judged: str) -> None:
    """Remove the stale lock whose text was `judged`, and never a lock just taken.

    Two runs may find the same stale lock; the first takes over, and the second must
    not then remove the first one's fresh lock. So the lock is first renamed away (one
    run wins that), and put back if its text is no longer the one judged stale.
    """
    aside = path.with_name(f".curate-tmp-{os.getpid()}-stale-{LOCK}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    try:
        if aside.read_text(encoding="utf-8") != judged:
            try:
                os.link(aside, path)  # someone else's live lock: put it back
            except FileExistsError:
                pass
    finally:
        aside.unlink(missing_ok=True)


def acquire_in(store: Any, command: str) -> Any:
    """Take the lock of a `curate.storage.Store` folder: a local one as `acquire` does.

    An object store has no atomic create-if-absent that every store offers, so there
    the lock is best effort: it is read, judged as a local one is (a holder on this
    host that is gone is taken over), then written; two runs starting in the same
    second could both pass. It still names a run that is plainly writing there.
    """
    if store.local is not None:
        return acquire(store.local, command)
    key = ("store", store.spec)
    with _guard:
        if key in _held_remote:
            _held_remote[key][1] += 1
            return key
        if store.exists(LOCK):
            try:
                text = store.read_bytes(LOCK).decode("utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            _judge(text, store.display(), store.display(LOCK))
        store.write_bytes(LOCK, json.dumps(_me(command)).encode())
        _held_remote[key] = [store, 1]
        return key


_held_remote: dict[tuple[str, str], list[Any]] = {}


def _me(command: str) -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command,
        "process_start": _process_start(os.getpid()),
    }


def _judge(text: str, folder: str, where: str) -> None:
    """Return if the lock whose text this is may be taken over; raise naming its holder."""
    try:
        info = json.loads(text)
    except ValueError:
        info = {}
    if not isinstance(info, dict) or not info:
        return
    pid = info.get("pid")
    if isinstance(pid, int) and info.get("host") == socket.gethostname():
        ours = pid == os.getpid() and info.get("process_start") == _process_start(pid)
        if ours or not _alive(pid, info.get("process_start")):
            return
    raise CurateError(
        f"{folder}: another curate command is writing this output "
        f"(`curate {info.get('command', '?')}`, {_holder_text(info)}); wait for it to "
        f"finish, or if that run is gone, remove {where} and re-run",
    )


def release(path: Any) -> None:
    """Give up one hold of the lock; the file goes when the last writer of the process ends."""
    if isinstance(path, tuple):
        with _guard:
            held_here = _held_remote.get(path)
            if held_here is None:
                return
            held_here[1] -= 1
            if held_here[1] > 0:
                return
            del _held_remote[path]
        try:
            held_here[0].delete(LOCK)
        except OSError:
            pass
        return
    with _guard:
        n = _held.get(path, 0)
        if n > 1:
            _held[path] = n - 1
            return
        _held.pop(path, None)
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:  # a folder turned read-only under us: not worth a failure
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise


def release_all() -> None:
    """Drop every lock this process still holds (its command ended with an error)."""
    with _guard:
        paths = list(_held)
        _held.clear()
        stores = [held_here[0] for held_here in _held_remote.values()]
        _held_remote.clear()
    for p in paths:
        try:
            p.unlink()
        except OSError:
            pass
    for store in stores:
        try:
            store.delete(LOCK)
        except OSError:
            pass


def held(folder: Path) -> bool:
    return folder / LOCK in _held


atexit.register(release_all)
