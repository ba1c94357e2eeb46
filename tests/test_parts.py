"""Few large shards cut into row ranges (`curate.parts`): the same bytes as one worker.

A one-shard input is filtered by one local worker (the shard is one unit), two local
workers and a 2-CPU Ray (the shard is cut into row ranges, each a unit, then put back
together): shards, rejected shards and manifests must be the same, byte for byte apart
from timings and where the work ran. Its row groups (1,700 rows) do not line up with
filter's batches (2,000 rows) nor with the ranges, so every range starts inside one.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from faultkit import PENDING, differences, holds_lock, normalized_manifest, run_curate

from curate.dataset import MANIFEST, PARTS
from curate.executor import LocalExecutor, make_executor
from curate.filters.registry import build_chain
from curate.filters.step import filter_dataset
from curate.parts import AssembleJob, row_ranges
from curate.step import ShardJob

# 4 row ranges of filter's (3 of 4,000 rows, 1 of 2,000): a run killed when the first
# is recorded has a range's work or more left (the kill tests need that margin)
ROWS = 14_000
WORDS = (
    "the river ran past the old mill where the miller kept his accounts and every morning "
    "he counted the sacks of flour the farmers brought to him from the village"
).split()


def _document(rnd: random.Random, k: int) -> str | None:
    """Kept, rewritten (c4 drops a line without an end mark), or removed documents."""
    if k % 97 == 0:
        return None
    lines = []
    for _ in range(rnd.randint(1, 6)):
        line = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 14))).capitalize()
        lines.append(line + rnd.choice([".", ".", "!", ""]))
    return "\n".join(lines)


@pytest.fixture(scope="module")
def big_shard(tmp_path_factory) -> Path:
    rnd = random.Random(15)
    table = pa.table(
        {
            "id": [f"doc-{k:05d}" for k in range(ROWS)],
            "text": [_document(rnd, k) for k in range(ROWS)],
            "source": ["news" if k % 3 else "forum" for k in range(ROWS)],
        }
    )
    path = tmp_path_factory.mktemp("parts") / "big.parquet"
    pq.write_table(table, path, row_group_size=1_700)
    return path


class Spy:
    """An executor that records the units it is given (the driver's side only)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.units: list[Any] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def workers(self) -> int:
        return self.inner.workers

    def split(self, units: int, docs: int) -> tuple[Spy, bool]:
        self.inner, cut = self.inner.split(units, docs)
        return self, cut

    def map_unordered(self, fn, units, *, on_progress=None):
        self.units += list(units)
        yield from self.inner.map_unordered(fn, units, on_progress=on_progress)

    def hosts(self) -> int:
        return self.inner.hosts()

    def ranges(self) -> list[tuple[int, int]]:
        return sorted(u.rows for u in self.units if isinstance(u, ShardJob) and u.rows)

    def assembled(self) -> int:
        return sum(isinstance(u, AssembleJob) for u in self.units)


def _filter(
    src: Path, out: Path, executor: Any, rejected: Path | None = None, overwrite: bool = True
) -> Any:
    return filter_dataset(
        src,
        out,
        build_chain(preset="c4"),
        rejected=rejected,
        executor=executor,
        overwrite=overwrite,
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _manifest(folder: Path) -> Any:
    """The manifest without timings nor where the work ran, nor the output's own path."""
    m = normalized_manifest(json.loads((folder / MANIFEST).read_text()))
    for step in m["lineage"]:
        for key in ("executor", "hosts"):
            step.pop(key, None)
    return m


def test_one_large_shard_gives_the_same_bytes_on_one_worker_two_and_ray(
    tmp_path, big_shard, ray_cluster
):
    want = row_ranges(ROWS, 2_000)
    assert want == [(0, 4_000), (4_000, 8_000), (8_000, 12_000), (12_000, 14_000)]
    runs = {}
    for label, executor in (
        ("local1", LocalExecutor(1)),
        ("local2", LocalExecutor(2)),
        ("ray", make_executor(2, backend="ray")),
    ):
        spy = Spy(executor)
        # the same folder names for every run: the manifest records `--rejected`'s path
        out, rej = tmp_path / "out", tmp_path / "rej"
        res = _filter(big_shard, out, spy, rejected=rej)
        assert res.rows_in == ROWS
        runs[label] = (spy, _files(out), _files(rej), _manifest(out), _manifest(rej))
        assert not (out / PARTS).exists() and not (rej / PARTS).exists()
        shutil.rmtree(out)
        shutil.rmtree(rej)
    one = runs["local1"]
    assert one[0].ranges() == [] and one[0].assembled() == 0  # one unit: the shard
    last = one[3]["lineage"][-1]
    assert last["removed"]["c4.too_few_sentences"] > 0 and last["totals"]["null_text"] > 0
    assert 0 < last["totals"]["documents_rewritten"] < last["rows_out"]
    assert set(last["per_source"]) == {"news", "forum"}
    assert set(one[1]) == {"_curate.json", "big.parquet"} and set(one[2]) == set(one[1])
    for label in ("local2", "ray"):
        spy, shards, rejected, out_m, rej_m = runs[label]
        assert spy.ranges() == want and spy.assembled() == 1, label
        assert shards["big.parquet"] == one[1]["big.parquet"], label
        assert rejected["big.parquet"] == one[2]["big.parquet"], label
        assert out_m == one[3] and rej_m == one[4], label


def test_a_run_killed_with_parts_done_resumes_to_the_same_bytes(tmp_path, big_shard, monkeypatch):
    """SIGKILL once a range is recorded; the rerun keeps the finished ranges."""
    ref, lane = tmp_path / "ref", tmp_path / "lane"
    ref.mkdir()
    lane.mkdir()
    monkeypatch.chdir(ref)  # relative outputs: both runs record the same parameters
    _filter(big_shard, Path("out"), LocalExecutor(1), rejected=Path("rej"))
    args = ["filter", str(big_shard), "-o", "out", "--rejected", "rej", "--preset", "c4"]
    parts = lane / "out" / PARTS / "big.parquet"

    def first_part_recorded(pid: int) -> bool:
        return holds_lock(lane / "out")(pid) and any(parts.glob("rows-*.json"))

    killed = run_curate([*args, "--workers", "2"], lane, kill_after=0, watch=first_part_recorded)
    assert killed.killed, killed.describe()
    assert (lane / "out" / PENDING).exists() and not (lane / "out" / MANIFEST).exists()
    recorded = sorted(p.name for p in parts.glob("rows-*.json"))
    assert recorded and (lane / "rej" / PARTS / "big.parquet").is_dir()
    monkeypatch.chdir(lane)
    spy = Spy(LocalExecutor(2, threads=True))  # threads: worker processes kept from an
    # earlier test would resolve the relative paths in the folder they started in
    res = _filter(big_shard, Path("out"), spy, rejected=Path("rej"), overwrite=False)
    assert res.rows_in == ROWS and not res.up_to_date
    redone = {f"rows-{a:012d}-{b:012d}.json" for a, b in spy.ranges()}
    assert redone and not redone & set(recorded)  # the recorded ranges are not redone
    assert spy.assembled() == 1
    assert not (lane / "out" / PARTS).exists() and not (lane / "rej" / PARTS).exists()
    assert differences(lane / "out", ref / "out") == []
    assert differences(lane / "rej", ref / "rej") == []


def test_overwrite_removes_parts_a_killed_run_left(tmp_path, big_shard):
    """Parts left by an unfinished run are curate's: `--overwrite` removes them."""
    lane = tmp_path / "lane"
    lane.mkdir()
    parts = lane / "out" / PARTS / "big.parquet"
    args = ["filter", str(big_shard), "-o", "out", "--preset", "c4", "--workers", "2"]

    def first_part_recorded(pid: int) -> bool:
        return any(parts.glob("rows-*.json"))

    assert run_curate(args, lane, kill_after=0, watch=first_part_recorded).killed
    assert any(parts.glob("rows-*.parquet"))
    done = run_curate([*args[:-2], "--workers", "1", "--overwrite", "-q"], lane)
    assert done.returncode == 0, done.describe()
    assert not (lane / "out" / PARTS).exists()
    want = tmp_path / "want"
    _filter(big_shard, want, LocalExecutor(1))
    assert differences(lane / "out", want) == []


def test_parts_in_an_object_store_give_the_same_bytes(tmp_path, big_shard, s3):
    """Parts are written, listed, read back and removed through the store, like shards."""
    from curate.storage import Store

    _filter(big_shard, tmp_path / "want", LocalExecutor(1), rejected=tmp_path / "want-rej")
    spy = Spy(LocalExecutor(2, threads=True))
    _filter(big_shard, s3("out"), spy, rejected=s3("rej"))
    assert len(spy.ranges()) == 4 and spy.assembled() == 1
    for remote, local in ((s3("out"), tmp_path / "want"), (s3("rej"), tmp_path / "want-rej")):
        store = Store(remote)
        assert sorted(e.name for e in store.list()) == ["_curate.json", "big.parquet"]
        assert store.read_bytes("big.parquet") == (local / "big.parquet").read_bytes()


class _ChunkedLengths:
    """A map step whose batches come out in several chunks (as Polars or a concatenation
    gives them): the shard put together must still equal a one-unit write."""

    name = "lengths"

    def params(self):
        return {}

    def output_schema(self, schema):
        return schema.append(pa.field("n_chars", pa.int64())).append(pa.field("url", pa.string()))

    def rejected_schema(self, schema):
        return None

    def process(self, table):
        import pyarrow.compute as pc

        from curate.step import BatchOutput

        n = pc.utf8_length(table.column("text")).cast(pa.int64())
        # a column of several pages a batch: the encoder's page cuts follow the chunks
        long = pc.binary_repeat(table.column("text"), 40)
        out = table.append_column("n_chars", n).append_column("url", long)
        return BatchOutput(pa.concat_tables([out.slice(0, 7), out.slice(7, 300), out.slice(307)]))


def test_any_map_step_is_cut_and_put_together_to_the_same_bytes(tmp_path, big_shard):
    from curate.step import run_map

    run_map(_ChunkedLengths(), big_shard, tmp_path / "one", executor=LocalExecutor(1))
    spy = Spy(LocalExecutor(2, threads=True))
    run_map(_ChunkedLengths(), big_shard, tmp_path / "two", executor=spy, batch_rows=1_000)
    run_map(
        _ChunkedLengths(), big_shard, tmp_path / "ref", executor=LocalExecutor(1), batch_rows=1_000
    )
    assert len(spy.ranges()) == 4  # 4,000 rows a range: whole batches of 1,000
    assert _files(tmp_path / "two")["big.parquet"] == _files(tmp_path / "ref")["big.parquet"]
    assert pq.read_table(tmp_path / "two").equals(pq.read_table(tmp_path / "one"))
