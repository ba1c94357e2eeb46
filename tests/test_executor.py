"""One contract, every backend: the conformance suite of `curate.executor`.

Each backend (in-process, worker processes, threads, Ray) must give every unit's result
exactly once, pass a unit's exception to the caller unchanged, turn a worker that dies
on every attempt into `UnitFailed` naming the unit without failing the others, and
deliver exact progress totals.
"""

from __future__ import annotations

import os

import pytest

from curate.errors import CurateError
from curate.executor import LocalExecutor, UnitFailed, make_executor, report


def _square(x: int) -> int:
    report(docs=x, bytes=2 * x)
    return x * x


def _fail_on_five(x: int) -> int:
    if x == 5:
        raise CurateError(f"unit {x}: bad input", exit_code=2, hint="fix unit five")
    return x


def _crash_on_three(x: int) -> int:
    if x == 3:
        os._exit(1)  # kills its worker on every attempt
    return x * 10


BACKENDS = ["in-process", "processes", "threads", "ray"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    name = request.param
    if name == "in-process":
        return LocalExecutor(workers=1)
    if name == "processes":
        return LocalExecutor(workers=2)
    if name == "threads":
        return LocalExecutor(workers=2, threads=True)
    request.getfixturevalue("ray_cluster")
    return make_executor(2, backend="ray")


def test_every_unit_comes_back_once_with_its_result(backend):
    units = list(range(12))
    got = list(backend.map_unordered(_square, units))
    assert sorted(u for u, _ in got) == units
    assert dict(got) == {u: u * u for u in units}


def test_progress_totals_are_exact(backend):
    totals = {"docs": 0, "bytes": 0}

    def tick(counts):
        for k, v in counts.items():
            totals[k] += v

    list(backend.map_unordered(_square, list(range(10)), on_progress=tick))
    assert totals == {"docs": 45, "bytes": 90}


def test_a_units_exception_reaches_the_caller_unchanged(backend):
    with pytest.raises(CurateError) as info:
        list(backend.map_unordered(_fail_on_five, list(range(8))))
    err = info.value
    assert type(err) is CurateError
    assert (err.message, err.exit_code, err.hint) == ("unit 5: bad input", 2, "fix unit five")


@pytest.mark.parametrize("backend", ["processes", "ray"], indirect=True)
def test_a_unit_that_kills_its_worker_every_time_fails_alone(backend):
    got = dict(backend.map_unordered(_crash_on_three, list(range(1, 7))))
    assert isinstance(got[3], UnitFailed) and got[3].unit == 3
    assert {u: r for u, r in got.items() if u != 3} == {u: u * 10 for u in (1, 2, 4, 5, 6)}


def test_an_empty_list_of_units_gives_nothing(backend):
    assert list(backend.map_unordered(_square, [])) == []


def test_the_small_input_rule_lives_in_the_backend():
    local = LocalExecutor(workers=2)
    assert local.for_input(docs=100, stored_bytes=1 << 10).threads
    assert not local.for_input(docs=10**6, stored_bytes=1 << 30).threads
    assert local.light().threads and local.hosts() == 1


def test_split_cuts_shards_only_when_there_are_too_few_for_the_workers(backend):
    """Tiny inputs in-process (locally); four shards a worker run as they are; fewer
    are cut into row ranges (`curate.parts`); one local worker never cuts."""
    many = 4 * backend.workers
    ex, cut = backend.split(units=many, docs=10**6)
    assert ex is backend and not cut
    ex, cut = backend.split(units=many - 1, docs=10**6)
    assert ex is backend and cut == (backend.workers > 1)
    if backend.name == "local":
        ex, cut = backend.split(units=1, docs=999)
        assert ex.workers == 1 and not cut


def test_unknown_backend_and_the_environment(monkeypatch):
    with pytest.raises(CurateError, match="unknown executor `spark`; choose one of: local, ray"):
        make_executor(2, backend="spark")
    monkeypatch.setenv("CURATE_EXECUTOR", "local")
    assert make_executor(2).name == "local"
