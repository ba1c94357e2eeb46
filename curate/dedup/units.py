"""Running a stage's units through the executor, with a progress bar."""

from __future__ import annotations

from typing import Any

from curate.errors import CurateError
from curate.executor import (
    UnitFailed,
    describe,
)
from curate.progress import StepProgress


def _progress(console: Any, label: str, units: int, unit_name: str = "shards") -> StepProgress:
    from rich.console import Console

    con = console or Console(stderr=True, quiet=True)
    return StepProgress(con, label=label, units=units, unit_name=unit_name)


def run_stage_units(
    executor: Any, fn: Any, jobs: list[Any], console: Any, label: str, unit_name: str = "shards"
) -> list[Any]:
    """Run jobs through the executor with a progress bar; results in job order."""
    results: dict[int, Any] = {}
    index = {id(j): i for i, j in enumerate(jobs)}  # the executor yields our own job objects
    with _progress(console, label, len(jobs), unit_name) as progress:
        for job, res in executor.map_unordered(fn, jobs, on_progress=progress.tick):
            if isinstance(res, UnitFailed):
                raise _unit_failed(label, res)
            results[index[id(job)]] = res
            progress.unit_done()
    return [results[i] for i in range(len(jobs))]


def _unit_failed(label: str, res: UnitFailed) -> CurateError:
    """The one-line error for a stage whose unit crashed its worker on every attempt."""
    return CurateError(
        f"{label}: {describe(res.unit)}: {res.error}; re-run the same command to resume"
    )


def stream_units(executor: Any, fn: Any, jobs: list[Any], console: Any, label: str) -> Any:
    """Like `run_stage_units`, but yield (job index, result) as each unit finishes."""
    index = {id(j): i for i, j in enumerate(jobs)}
    with _progress(console, label, len(jobs)) as progress:
        for job, res in executor.map_unordered(fn, jobs, on_progress=progress.tick):
            if isinstance(res, UnitFailed):
                raise _unit_failed(label, res)
            progress.unit_done()
            yield index[id(job)], res
