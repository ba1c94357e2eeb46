"""dedup with its output in an object store: the work files live in the store too.

The signature cache and the stage files go to `<output>/_cache/` in the bucket, where
workers on any host can reach them (nothing in a local scratch folder), so a rerun
and a later `--against` reuse the signatures, and the output is byte for byte the
one a local run writes. A real S3-compatible server (moto) runs on 127.0.0.1.
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from conftest import manifest, run, write_jsonl

from curate.dataset import MANIFEST, Store

VOCAB = [f"w{i}" for i in range(300)]


def _corpus(folder: Path, prefix: str, clusters: int, seed: int) -> Path:
    """`clusters` groups of 1-3 near copies (one word changed) and an exact repeat
    every few groups, over two files."""
    rng = random.Random(seed)
    folder.mkdir()
    rows = []
    for c in range(clusters):
        base = [rng.choice(VOCAB) for _ in range(60)]
        for k in range(1 + c % 3):
            doc = list(base)
            doc[rng.randrange(len(doc))] = rng.choice(VOCAB)
            rows.append({"id": f"{prefix}{c:02d}-{k}", "text": " ".join(doc)})
        if c % 4 == 0:
            rows.append({"id": f"{prefix}{c:02d}-x", "text": rows[-1]["text"]})
    write_jsonl(folder / "a.jsonl", rows[: len(rows) // 2])
    write_jsonl(folder / "b.jsonl", rows[len(rows) // 2 :])
    return folder


def _ingest(tmp_path: Path, name: str, prefix: str, clusters: int, seed: int) -> Path:
    raw = tmp_path / name
    src = _corpus(tmp_path / f"{name}-src", prefix, clusters, seed)
    assert run("ingest", src, "-o", raw, "--source", "s", "--shard-rows", "15", "-q").exit_code == 0
    return raw


def _remote(uri: str) -> tuple[dict[str, bytes], dict]:
    store = Store(uri)
    m = json.loads(store.read_bytes(MANIFEST))
    return {s["name"]: store.read_bytes(s["name"]) for s in m["shards"]}, m


def _local(folder: Path) -> dict[str, bytes]:
    return {s["name"]: (folder / s["name"]).read_bytes() for s in manifest(folder)["shards"]}


def _work_files(folder: Path) -> list[str]:
    """What is in a temporary folder besides the Unicode tables' cache (`text.py`)."""
    return [p.name for p in folder.iterdir() if not p.name.startswith("curate-unicode-")]


def test_dedup_to_s3_keeps_its_signature_cache_there_and_a_rerun_reuses_it(
    tmp_path, s3, monkeypatch
):
    import curate.dedup.partitioned_components as pcomp

    raw = _ingest(tmp_path, "raw", "d", clusters=12, seed=1)
    shards = len(manifest(raw)["shards"])
    scratch = tmp_path / "tmp"  # the driver's temporary folder: nothing may be left there
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out, rej, cl = s3("deduped"), s3("dups"), s3("clusters")
    r = run(
        "dedup", raw, "-o", out, "--rejected", rej, "--clusters", cl, "-q", "--threshold", "0.7"
    )
    assert r.exit_code == 0, r
    lo, lr, lc = tmp_path / "o", tmp_path / "r", tmp_path / "c"
    r = run("dedup", raw, "-o", lo, "--rejected", lr, "--clusters", lc, "-q", "--threshold", "0.7")
    assert r.exit_code == 0, r
    got, m = _remote(out)
    assert got == _local(lo)
    assert _remote(rej)[0] == _local(lr) and _remote(cl)[0] == _local(lc)
    facts = m["lineage"][-1]["dedup"]
    assert facts["signature_shards_computed"] == shards
    assert facts["removed"] == manifest(lo)["lineage"][-1]["dedup"]["removed"] > 0
    # the cache is in the bucket, one file a shard; the run's stage files are gone
    cache = Store(out).child("_cache")
    assert {e.name for e in cache.list()} == {"signatures"}
    names = {e.name for e in cache.child("signatures").list()}
    assert "meta.json" in names and len([n for n in names if n.endswith(".arrow")]) == shards
    assert _work_files(scratch) == []

    # another threshold, --overwrite: every signature from the bucket's cache; and the
    # components through the partitioned path (its shuffle in a local temporary folder)
    monkeypatch.setattr(pcomp, "DRIVER_MEMORY_BUDGET", 0)
    r = run("dedup", raw, "-o", out, "--threshold", "0.8", "--overwrite", "-q")
    assert r.exit_code == 0, r
    lo8 = tmp_path / "o8"
    assert run("dedup", raw, "-o", lo8, "--threshold", "0.8", "-q").exit_code == 0
    got, m = _remote(out)
    assert got == _local(lo8)
    facts = m["lineage"][-1]["dedup"]
    assert facts["signature_shards_computed"] == 0
    assert facts["components"] == "partitioned"
    assert {e.name for e in Store(out).child("_cache").list()} == {"signatures"}
    assert _work_files(scratch) == []

    # an upload cut short (its stream closed on the way out) leaves an object without its
    # marker: that shard alone is computed again
    sigs = Store(out).child("_cache").child("signatures")
    first = sorted(n for n in names if n.endswith(".arrow"))[0]
    sigs.write_bytes(first, sigs.read_bytes(first)[:100])
    sigs.delete(f"{first}.done")
    r = run("dedup", raw, "-o", out, "--threshold", "0.8", "--overwrite", "-q")
    assert r.exit_code == 0, r
    got, m = _remote(out)
    assert got == _local(lo8)
    assert m["lineage"][-1]["dedup"]["signature_shards_computed"] == 1


def test_against_an_s3_dataset_reuses_the_signature_cache_in_its_bucket(tmp_path, s3, monkeypatch):
    import curate.executor as executor_mod

    old_raw = _ingest(tmp_path, "old-raw", "o", clusters=8, seed=2)
    new_src = _corpus(tmp_path / "new-src", "n", clusters=6, seed=3)
    # two documents of the new crawl are copies of old ones
    old_rows = [json.loads(x) for x in (tmp_path / "old-raw-src" / "a.jsonl").open()]
    extra = [{"id": f"copy-{i}", "text": old_rows[i]["text"]} for i in (0, 3)]
    write_jsonl(new_src / "c.jsonl", extra)
    new_raw = tmp_path / "new-raw"
    assert run("ingest", new_src, "-o", new_raw, "--source", "s", "-q").exit_code == 0

    old = s3("old")
    # worker processes write the cache to the bucket: fresh ones, started with this test's
    # environment (the kept pool of an earlier test has none of its S3 settings)
    executor_mod.shutdown_pools()
    with monkeypatch.context() as m:
        m.setattr(executor_mod, "SMALL_INPUT_DOCS", 0)
        assert run("dedup", old_raw, "-o", old, "--workers", "2", "-q").exit_code == 0
    executor_mod.shutdown_pools()
    out, rej = s3("new"), s3("new-dups")
    r = run("dedup", new_raw, "-o", out, "--rejected", rej, "--against", old, "-q")
    assert r.exit_code == 0, r
    got, m = _remote(out)
    facts = m["lineage"][-1]["dedup"]
    assert facts["against_signatures"] == "reused"
    # the same answer as with everything on disk
    lold, lo, lr = tmp_path / "lold", tmp_path / "lnew", tmp_path / "lrej"
    assert run("dedup", old_raw, "-o", lold, "-q").exit_code == 0
    assert facts["against_documents"] == manifest(lold)["rows"]
    r = run("dedup", new_raw, "-o", lo, "--rejected", lr, "--against", lold, "-q")
    assert r.exit_code == 0, r
    assert got == _local(lo)
    assert _remote(rej)[0] == _local(lr)
    dups = [
        row
        for s in manifest(lr)["shards"]
        for row in pq.read_table(lr / s["name"], columns=["id", "dup_reason"]).to_pylist()
    ]
    assert {"copy-0", "copy-3"} <= {d["id"] for d in dups}
