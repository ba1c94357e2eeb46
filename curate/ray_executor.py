"""The Ray backend: each unit a Ray task, on a cluster the user already has.

`curate` brings no scheduler of its own: scheduling, placement and the retry of a
task whose worker died belong to Ray. Shards never travel through Ray's object store:
a unit reads its input and writes its output through the filesystem (a dataset folder
every worker can reach), and returns only its small result (counts, shard names and
sizes). The contract is the one in `curate.executor`, kept by the same conformance
tests as the local backend.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from curate import executor as _executor
from curate.errors import CurateError
from curate.executor import ProgressFn, UnitFailed, default_workers

U = TypeVar("U")
R = TypeVar("R")

INSTALL_HINT = "pip install 'curate[ray]'"


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise CurateError(
            f"--executor ray needs Ray, which is not installed; install it with: {INSTALL_HINT}"
        ) from None
    return ray


def _run_unit(fn: Callable[[Any], Any], unit: Any) -> tuple[Any, dict[str, int], str]:
    """A unit inside a Ray worker: its result, the progress it reported, and its node.

    Ray runs one task at a time in a worker process, so the process-wide progress sink
    of `curate.executor.report` collects exactly this unit's counts; they reach the
    caller with the result (totals exact, granularity one unit).
    """
    import ray

    counts: Counter[str] = Counter()
    previous = _executor._local_sink
    _executor._local_sink = counts.update
    try:
        result = fn(unit)
    finally:
        _executor._local_sink = previous
    return result, dict(counts), ray.get_runtime_context().get_node_id()


def _check_reachable(address: str, option: str, timeout: float = 5.0) -> None:
    """Fail in seconds on an address nobody listens at (Ray itself waits for minutes)."""
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return  # `auto`, or a form Ray resolves itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise CurateError(
            f"{option} {address}: no Ray cluster answers there ({exc.strerror or exc}); "
            "start one with `ray start --head`, or check the address (or RAY_ADDRESS)"
        ) from None


def _one_line(text: object, limit: int = 200) -> str:
    return " ".join(str(text).split())[:limit]


def connect_error(address: str | None, exc: BaseException) -> str:
    """The one line for a Ray that could not be started or reached.

    Ray >= 2.60 turns token authentication on for a cluster started where
    `~/.ray/auth_token` exists, but a driver sends its token to an explicit
    `HOST:PORT` only when `RAY_AUTH_MODE=token` is set (`auto` finds it by itself): the
    connect then fails after ~20 s with nothing saying why. curate does not send the
    token unasked (Ray keeps it from addresses the user merely named), so the message
    says how to.
    """
    reason = _one_line(exc)
    if not address:
        return (
            f"could not start a local Ray instance ({reason}); check that Ray works here "
            "(`ray start --head`), or give --ray-address"
        )
    line = f"could not reach the Ray cluster at {address} ({reason}); "
    explicit = address != "auto" and not address.startswith("ray://")
    if explicit and os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
        return line + (
            "if it uses token authentication (Ray >= 2.60 turns it on where "
            "~/.ray/auth_token exists), Ray sends the token to an explicit address only "
            "with RAY_AUTH_MODE=token set (token from ~/.ray/auth_token, "
            "RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN); or run curate on the head node with "
            "--ray-address auto"
        )
    return line + "check --ray-address (or RAY_ADDRESS), or start one with `ray start --head`"


class RayExecutor:
    """Units as Ray tasks on the cluster at `address` (or a local instance)."""

    name = "ray"

    def __init__(
        self, workers: int | None = None, address: str | None = None, retries: int = 2
    ) -> None:
        self._ray = _import_ray()
        if workers is not None and workers < 1:
            raise CurateError("--workers must be at least 1")
        self._workers = workers
        self.address = address
        self.retries = retries
        self._nodes: set[str] = set()

    # -- the cluster

    def _connect(self) -> None:
        """Join the cluster once per process; with no address, start a local Ray."""
        ray = self._ray
        if ray.is_initialized():
            return
        address = self.address or os.environ.get("RAY_ADDRESS")
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": "ERROR",
            "configure_logging": True,
        }
        if address:
            _check_reachable(address, "--ray-address" if self.address else "RAY_ADDRESS")
        try:
            if address:
                ray.init(address=address, **options)
            else:
                # "local": a new instance even where `ray start` left one running (CLI.md:
                # with no address, a local Ray with --workers CPUs)
                ray.init(address="local", num_cpus=self._workers or default_workers(), **options)
        except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
            raise CurateError(connect_error(address, exc)) from exc
        except getattr(ray.exceptions, "AuthenticationError", ()) as exc:  # Ray with token auth
            raise CurateError(  # RAY_AUTH_MODE=token, but no token here
                f"could not connect to the Ray cluster at {address}: "
                f"{_one_line(getattr(exc, 'message', exc))}; put the cluster's token "
                "(`ray get-auth-token` on its head node) in ~/.ray/auth_token, "
                "RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN"
            ) from exc

    @property
    def workers(self) -> int:
        """The CPUs the work may use: `--workers`, else every CPU of the cluster."""
        if self._workers is not None:
            return self._workers
        self._connect()
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def hosts(self) -> int:
        return max(1, len(self._nodes))

    def split(self, units: int, docs: int) -> tuple[RayExecutor, bool]:
        """Shards as they are when there are at least four a CPU of the cluster (it
        balances them); fewer are cut into row ranges, tasks of their own."""
        return self, units < 4 * self.workers

    def for_input(self, docs: int, stored_bytes: int) -> RayExecutor:
        return self  # a cluster's tasks are always worth it: no in-process shortcut

    def light(self, workers: int | None = None) -> RayExecutor:
        return self  # on a cluster, every stage's units are tasks

    # -- running units

    def map_unordered(
        self,
        fn: Callable[[U], R],
        units: Sequence[U],
        *,
        on_progress: ProgressFn | None = None,
    ) -> Iterator[tuple[U, R | UnitFailed]]:
        if not units:
            return
        self._connect()
        ray = self._ray
        task = ray.remote(_run_unit).options(
            num_cpus=1, max_retries=self.retries, retry_exceptions=False
        )
        limit = max(2 * self.workers, 4)  # tasks queued at a time: bounded, still saturating
        todo = list(range(len(units)))
        todo.reverse()
        flight: dict[Any, int] = {}
        try:
            while todo or flight:
                while todo and len(flight) < limit:
                    i = todo.pop()
                    flight[task.remote(fn, units[i])] = i
                ready, _ = ray.wait(list(flight), num_returns=1)
                for ref in ready:
                    i = flight.pop(ref)
                    outcome = self._outcome(ref, units[i])
                    if isinstance(outcome, UnitFailed):
                        yield units[i], outcome
                        continue
                    result, counts, node = outcome
                    self._nodes.add(node)
                    if on_progress is not None and counts:
                        on_progress(counts)
                    yield units[i], result
        finally:
            for ref in flight:  # an error or an early stop: drop what has not finished
                ray.cancel(ref)

    def _outcome(self, ref: Any, unit: Any) -> Any:
        """The task's (result, counts, node); its own exception raised as it was; a
        worker that died on every attempt as `UnitFailed`."""
        ray = self._ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, BaseException):
                raise cause from None
            raise
        except ray.exceptions.RayError as exc:  # worker crashed, node died, out of memory
            first = " ".join(str(exc).split())[:200]
            return UnitFailed(
                unit, f"its Ray worker died on all {self.retries + 1} attempts ({first})"
            )
