"""Where a step's work runs: one interface, a local backend and a Ray backend.

Steps hand an executor a picklable function and a list of units (an input file
group, a shard, a band file); the executor runs them and yields each unit's result
as it finishes. A step never sees processes, threads, tasks or pools, so the same
step runs on this machine or on a Ray cluster unchanged (`--executor local|ray`).

The contract every backend keeps (tests/test_executor.py runs one conformance suite
against each):

* every unit given comes back exactly once, with its result or a `UnitFailed`;
* a unit's exception reaches the caller unchanged (same type, same message), and no
  unit is started after it;
* a worker that crashed (killed, out of memory, segfault) is retried; a unit that
  crashes on every attempt comes back as `UnitFailed`, naming the unit, and the
  other units are not affected;
* the progress counts a unit reports (`report(docs=..., bytes=...)`) reach the
  caller's `on_progress`, and their totals are exact.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from curate.errors import CurateError

U = TypeVar("U")
R = TypeVar("R")

ProgressFn = Callable[[dict[str, int]], None]

_tick_queue: Any = None  # set in worker processes by the pool initializer


def report(**counts: int) -> None:
    """Called from inside a unit's function: add to the progress counters (docs, bytes…)."""
    if _tick_queue is None:
        if _local_sink is not None:
            _local_sink(counts)
        return
    _unit_counts.update(counts)
    _tick_queue.put((*_unit_key, counts))


_unit_key: tuple[int, int] = (0, 0)  # in a worker: (call token, unit index) of its unit
_unit_counts: Counter[str] = Counter()  # in a worker: what its unit reported so far


def _counted(fn: Callable[[U], R], unit: U, token: int, index: int) -> tuple[R, dict[str, int]]:
    """A unit in a worker process: its result and the total progress it reported."""
    global _unit_key, _unit_counts
    _unit_key, _unit_counts = (token, index), Counter()
    result = fn(unit)
    return result, dict(_unit_counts)


class _Tally:
    """Exact progress of units in worker processes.

    Ticks arrive live through a queue whose feeder thread may deliver a unit's last
    tick after its result; so at a unit's end, whatever of its total the ticks have not
    brought yet is passed on at once, and its later ticks are dropped.
    """

    def __init__(self, on_progress: ProgressFn | None, token: int) -> None:
        self.on_progress = on_progress
        self.token = token
        self.lock = threading.Lock()
        self.received: dict[int, Counter[str]] = {}
        self.finished: set[int] = set()

    def tick(self, message: Any) -> None:
        token, index, counts = message
        with self.lock:
            if token != self.token or index in self.finished:
                return
            self.received.setdefault(index, Counter()).update(counts)
            if self.on_progress is not None:
                self.on_progress(counts)

    def done(self, index: int, total: dict[str, int]) -> None:
        with self.lock:
            self.finished.add(index)
            got = self.received.pop(index, Counter())
            rest = {k: v - got.get(k, 0) for k, v in total.items() if v != got.get(k, 0)}
            if rest and self.on_progress is not None:
                self.on_progress(rest)


_local_sink: ProgressFn | None = None


def default_workers() -> int:
    """All cores this process may use (respects CPU affinity in containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class UnitsCrashed(CurateError):
    """A step's units whose workers crashed on every attempt: the output stays
    unfinished so that a rerun resumes (unlike an error in the input itself)."""


@dataclass(frozen=True)
class UnitFailed:
    """A unit whose worker crashed on every attempt: the step decides what that means."""

    unit: Any
    error: str


def describe(unit: Any) -> str:
    """A unit as the user knows it, for messages: its shard, or its input files."""
    name = getattr(getattr(unit, "shard", None), "name", None)
    if isinstance(name, str):
        rows = getattr(unit, "rows", None)  # a row range of a cut shard (`curate.parts`)
        return f"shard {name}" + (f" (rows {rows[0]:,}-{rows[1]:,})" if rows else "")
    files = getattr(unit, "files", None)
    if isinstance(files, tuple) and files:
        first = getattr(files[0], "display", None) or str(files[0])
        return f"input {first}" + (f" (+{len(files) - 1} more)" if len(files) > 1 else "")
    text = repr(unit)
    return text if len(text) <= 80 else text[:77] + "..."


class Executor(Protocol):
    """What a step needs from a backend (see the module docstring for the contract)."""

    @property
    def name(self) -> str:
        """`local` or `ray`: recorded in the lineage."""
        ...

    @property
    def workers(self) -> int:
        """How many units run at once."""
        ...

    def map_unordered(
        self,
        fn: Callable[[U], R],
        units: Sequence[U],
        *,
        on_progress: ProgressFn | None = None,
    ) -> Iterator[tuple[U, R | UnitFailed]]: ...

    def for_input(self, docs: int, stored_bytes: int) -> Executor:
        """The executor for a step's input of this size (the small-input rule)."""
        ...

    def light(self, workers: int | None = None) -> Executor:
        """The executor for light NumPy/Arrow units that release the GIL (at most
        `workers` at a time, where the backend has the choice)."""
        ...

    def hosts(self) -> int:
        """How many machines the work ran on (for the lineage)."""
        ...

    def split(self, units: int, docs: int) -> tuple[Executor, bool]:
        """For a map step over `units` shards holding `docs` documents: the executor to
        run it on, and whether to cut its large shards into row ranges, units of their
        own (`curate.parts`), because there are too few shards to keep every worker
        busy. The outputs are the same either way, byte for byte."""
        ...


# Below this many documents (and this many stored bytes) a step's input is worked on by
# threads of this process: starting worker processes (each importing NumPy, Polars and
# Arrow, ~0.7 CPU-s) costs more than they gain over threads, which reach ~1.5x of one
# core on dedup's work. Break-even measured near 4 CPU-s of signatures: ~100 MB of text.
SMALL_INPUT_DOCS = 20_000
SMALL_INPUT_BYTES = 40 << 20


# Below this many documents a map step stays in one process: each worker's start
# (Python, Arrow, NumPy, the models, a cold token cache) costs about a CPU-second, more
# than the filters' work on a few hundred documents (the demo: 5.1 s on one process,
# 5.5 s wall and twice the CPU on two).
IN_PROCESS_DOCS = 1_000


def lineage_facts(executor: Executor) -> dict[str, Any]:
    """What every lineage step records of where it ran."""
    return {"executor": executor.name, "hosts": executor.hosts()}


class LocalExecutor:
    """Worker processes on this machine; `workers=1` runs in-process (no pickling).

    `threads=True` runs the units on `workers` threads of this process instead: for
    small inputs whose units are NumPy/Arrow work that releases the GIL, where starting
    worker processes (each importing numpy, polars and pyarrow: ~0.7 CPU-s) would cost
    more than the parallelism gives back. A unit's exception reaches the caller as in
    the in-process mode; there is no crash isolation, as there is none in-process.
    """

    name = "local"

    def __init__(self, workers: int | None = None, retries: int = 1, threads: bool = False) -> None:
        self.workers = workers or default_workers()
        if self.workers < 1:
            raise CurateError("--workers must be at least 1")
        self.retries = retries
        self.threads = threads

    def for_input(self, docs: int, stored_bytes: int) -> LocalExecutor:
        """Threads of this process for a small input (`SMALL_INPUT_*`), else processes."""
        small = docs < SMALL_INPUT_DOCS and stored_bytes < SMALL_INPUT_BYTES
        return LocalExecutor(self.workers, self.retries, threads=small) if small else self

    def light(self, workers: int | None = None) -> LocalExecutor:
        """Threads of this process: such units cost less than a worker's start-up."""
        n = min(self.workers, workers or self.workers)
        if self.threads and n == self.workers:
            return self
        return LocalExecutor(n, self.retries, threads=True)

    def hosts(self) -> int:
        return 1

    def split(self, units: int, docs: int) -> tuple[LocalExecutor, bool]:
        """Tiny inputs in-process; shards as they are when there are at least four a
        worker; fewer would leave workers idle behind one big shard: cut them."""
        if docs < IN_PROCESS_DOCS:
            return LocalExecutor(1, self.retries), False
        return self, self.workers > 1 and units < 4 * self.workers

    def map_unordered(
        self,
        fn: Callable[[U], R],
        units: Sequence[U],
        *,
        on_progress: ProgressFn | None = None,
    ) -> Iterator[tuple[U, R | UnitFailed]]:
        if not units:
            return
        if self.workers == 1 or len(units) == 1:
            yield from self._in_process(fn, units, on_progress)
        elif self.threads:
            yield from self._in_threads(fn, units, on_progress)
        else:
            yield from self._in_pool(fn, units, on_progress)

    def _in_process(
        self, fn: Callable[[U], R], units: Sequence[U], on_progress: ProgressFn | None
    ) -> Iterator[tuple[U, R | UnitFailed]]:
        global _local_sink
        previous, _local_sink = _local_sink, on_progress
        try:
            for unit in units:
                yield unit, fn(unit)
        finally:
            _local_sink = previous

    def _in_threads(
        self, fn: Callable[[U], R], units: Sequence[U], on_progress: ProgressFn | None
    ) -> Iterator[tuple[U, R | UnitFailed]]:
        """Units on a thread pool; their ticks reach `on_progress` on the caller's thread.

        The caller updates the same progress display between results, so every call
        into it is made from one thread: the workers' ticks wait in a queue.
        """
        global _local_sink
        ticks: queue.SimpleQueue[dict[str, int]] = queue.SimpleQueue()

        def drain() -> None:
            while not ticks.empty():
                counts = ticks.get()
                if on_progress is not None:
                    on_progress(counts)

        previous, _local_sink = _local_sink, ticks.put
        pool = ThreadPoolExecutor(max_workers=min(self.workers, len(units)))
        futures = {pool.submit(fn, unit): unit for unit in units}
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                drain()
                for fut in done:
                    yield futures[fut], fut.result()
            drain()
        finally:
            for fut in futures:  # an error or an early stop: drop what has not started
                fut.cancel()
            pool.shutdown(wait=True)
            _local_sink = previous

    def _in_pool(
        self, fn: Callable[[U], R], units: Sequence[U], on_progress: ProgressFn | None
    ) -> Iterator[tuple[U, R | UnitFailed]]:
        """Units on the kept worker pool; a crash is pinned on the unit that caused it.

        A worker that dies (OOM kill, segfault) breaks the whole pool: every unit in
        flight fails with it, and nothing says which one killed it. So no more than
        `workers + 1` units are in flight at a time (what the pool would have sent to
        its workers anyway), and after a crash each of them runs again alone in a
        worker of its own: the ones that complete are done, and only a unit that
        crashes alone too (`retries` times) is reported failed. Units that were
        waiting their turn are not suspects and go back to the pool.
        """
        ticks = _ticks()
        tally = _Tally(on_progress, next(_CALLS))
        stop = threading.Event()
        drainer = threading.Thread(target=_drain, args=(ticks, tally, stop), daemon=True)
        drainer.start()
        todo = deque(range(len(units)))
        try:
            while todo:
                suspects = yield from self._until_broken(fn, units, todo, tally)
                if suspects:
                    _discard_pool(self.workers)
                    for i in suspects:
                        yield units[i], self._alone(fn, units, i, tally)
        finally:
            stop.set()
            drainer.join(timeout=2)

    def _until_broken(
        self, fn: Callable[[U], R], units: Sequence[U], todo: deque[int], tally: _Tally
    ) -> Generator[tuple[U, R], None, list[int]]:
        """Feed `todo` to the pool until it is done or broken; returns the units that were
        in flight when it broke (none if it did not)."""
        pool = _pool(self.workers)
        flight: dict[Future[tuple[R, dict[str, int]]], int] = {}
        suspects: list[int] = []
        broken = False
        try:
            while todo or flight:
                while todo and not (suspects or broken) and len(flight) <= self.workers:
                    try:
                        fut = pool.submit(_counted, fn, units[todo[0]], tally.token, todo[0])
                    except BrokenProcessPool:  # a worker died before this unit was sent
                        broken = True
                        _discard_pool(self.workers)  # the caller's next call gets a new one
                        break
                    flight[fut] = todo.popleft()
                if not flight:
                    break
                done, _ = wait(flight, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = flight.pop(fut)
                    try:
                        result, total = fut.result()
                    except BrokenProcessPool:
                        suspects.append(i)
                        continue
                    tally.done(i, total)
                    yield units[i], result
        finally:
            for fut in flight:  # the caller stopped early: drop what has not started
                fut.cancel()
        return suspects

    def _alone(
        self, fn: Callable[[U], R], units: Sequence[U], i: int, tally: _Tally
    ) -> R | UnitFailed:
        """Run one unit that was in flight when a worker died, in a process of its own."""
        unit = units[i]
        error = ""
        for _ in range(self.retries):
            pool = _new_pool(1)
            try:
                result, total = pool.submit(_counted, fn, unit, tally.token, i).result()
                tally.done(i, total)
                return result
            except BrokenProcessPool as exc:
                error = str(exc)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        if not error:
            return UnitFailed(unit, "its worker crashed (no retries)")
        return UnitFailed(unit, f"its worker crashed, and again when it ran alone ({error})")


# One pool per worker count, kept for the life of the process: a step with several
# stages (dedup) or a notebook running many steps pays the spawn and import cost of
# the workers (numpy, polars, pyarrow: seconds on a busy machine) once, not per stage.
_POOLS: dict[int, ProcessPoolExecutor] = {}
_CALLS = itertools.count(1)  # a token per map call: ticks of an earlier call are dropped
_TICKS: Any = None


def _ticks() -> Any:
    global _TICKS
    if _TICKS is None:
        _TICKS = mp.get_context("spawn").Queue()
    return _TICKS


def _pool(workers: int) -> ProcessPoolExecutor:
    pool = _POOLS.get(workers)
    if pool is None:
        pool = _POOLS[workers] = _new_pool(workers)
    return pool


def _new_pool(workers: int) -> ProcessPoolExecutor:
    """Spawned workers that send their progress ticks to this process's queue."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("spawn"),
        initializer=_init_worker,
        initargs=(_ticks(), os.getpid()),
    )


def _discard_pool(workers: int) -> None:
    """Forget a pool whose worker died, so the retry gets fresh processes."""
    pool = _POOLS.pop(workers, None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def shutdown_pools() -> None:
    """Stop the kept worker processes (tests, long-lived notebooks)."""
    for workers in list(_POOLS):
        pool = _POOLS.pop(workers)
        pool.shutdown(wait=True, cancel_futures=True)


def _init_worker(ticks: Any, parent: int) -> None:
    global _tick_queue
    _tick_queue = ticks
    # Ticks are progress only: at exit a worker must not wait for its last ones to be
    # flushed into a pipe the parent no longer reads (left full by earlier calls' late
    # ticks, it kept both waiting for each other at the end of a long session)
    ticks.cancel_join_thread()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int, every: float = 0.2) -> None:
    """End this worker as soon as the process that started it is gone.

    A parent killed with SIGKILL cannot stop its pool, and its workers would go on
    writing shards into an output that a rerun is already resuming. An orphan is
    adopted by another process, so its parent pid changes: that is the signal (Linux's
    PR_SET_PDEATHSIG would fire when the *thread* that spawned the worker ends, which
    for a pool is not the parent's death).
    """
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            os._exit(1)


def _drain(ticks: Any, tally: _Tally, stop: threading.Event) -> None:
    while not stop.is_set() or not ticks.empty():
        try:
            message = ticks.get(timeout=0.1)
        except queue.Empty:
            continue
        except (EOFError, OSError):
            return
        tally.tick(message)


def run_units(
    executor: Executor,
    fn: Callable[[U], R],
    units: Sequence[U],
    *,
    progress: Any,
    on_result: Callable[[U, R], None],
    what: str = "unit",
    counted: Callable[[U], bool] | None = None,
) -> None:
    """Run `units`, hand each result to `on_result` as it arrives, tick `progress`.

    A unit whose worker crashed on every attempt makes the whole step fail with one
    line; the results already handed over stay recorded, so a rerun resumes. With
    `progress=None` nothing is shown. Units for which `counted` is false (a part of
    a shard) add documents, not units, to `progress`.
    """
    failed: list[UnitFailed] = []
    with progress if progress is not None else contextlib.nullcontext():
        tick = progress.tick if progress is not None else None
        for unit, res in executor.map_unordered(fn, units, on_progress=tick):
            if isinstance(res, UnitFailed):
                failed.append(res)
                continue
            on_result(unit, res)
            if progress is not None and (counted is None or counted(unit)):
                progress.unit_done()
    if failed:
        more = f" and {len(failed) - 1} more {what}(s)" if len(failed) > 1 else ""
        raise UnitsCrashed(
            f"{describe(failed[0].unit)}{more}: {failed[0].error}; the output is "
            "unfinished: re-run the same command to resume (or leave that input out)"
        )


BACKENDS = ("local", "ray")
DEFAULT_BACKEND = "local"  # with neither --executor nor the environment variable
BACKEND_ENV = "CURATE_EXECUTOR"


def make_executor(
    workers: int | None = None,
    backend: str | None = None,
    threads: bool = False,
    address: str | None = None,
) -> Executor:
    """The executor `--workers`, `--executor` and `--ray-address` ask for.

    `backend` defaults to the environment's `CURATE_EXECUTOR`, then `local`; the Ray
    address to Ray's own `RAY_ADDRESS` (read by Ray itself).
    """
    backend = backend or os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND
    if backend == "local":
        return LocalExecutor(workers, threads=threads)
    if backend == "ray":
        from curate.ray_executor import RayExecutor

        return RayExecutor(workers=workers, address=address)
    raise CurateError(f"unknown executor `{backend}`; choose one of: {', '.join(BACKENDS)}")
