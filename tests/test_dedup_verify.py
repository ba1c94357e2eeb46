"""`curate dedup`'s shortcuts change nothing a user sees: repeated texts copied instead of
recomputed, shingle hashes kept from the signature pass, pairs already joined not
checked, the vectorised Jaccard. Small data built here."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from conftest import manifest, read_rows, run
from test_dedup import edit, ingest, jaccard, shingles, text


def family_corpus() -> list[dict]:
    """Triangles of near duplicates, raw repeats across shards, unrelated documents."""
    rows = []
    for i in range(6):
        base = text(500 + i, n=80)
        rows.append({"id": f"f{i}-0", "text": base})
        rows.append({"id": f"f{i}-1", "text": edit(base, 1, seed=i)})
        rows.append({"id": f"f{i}-2", "text": edit(base, 1, seed=100 + i)})
        rows.append({"id": f"f{i}-3", "text": base})  # a byte-for-byte repeat
    for i in range(8):
        rows.append({"id": f"u{i}", "text": text(900 + i, n=80)})
    random.Random(3).shuffle(rows)
    return rows


def dedup_outputs(tmp_path, raw, name, *extra):
    out, cl, rej = tmp_path / f"o-{name}", tmp_path / f"c-{name}", tmp_path / f"r-{name}"
    r = run("dedup", raw, "-o", out, "--clusters", cl, "--rejected", rej, "-q", *extra)
    assert r.exit_code == 0, r
    rejected = sorted((x["id"], x["dup_of"], x["dup_reason"]) for x in read_rows(rej))
    clusters = sorted((x["id"], x["cluster"], x["kept"]) for x in read_rows(cl))
    kept = [x["id"] for x in read_rows(out)]
    return kept, rejected, clusters, manifest(out)["lineage"][-1]["dedup"]


def test_shortcuts_give_the_same_result_as_computing_everything(tmp_path, monkeypatch):
    import curate.dedup.repeats as repeats
    import curate.dedup.spill as spill
    import curate.dedup.verify as verify_mod

    rows = family_corpus()
    raw = ingest(tmp_path, rows, shard_rows=7)
    monkeypatch.setattr(verify_mod, "VERIFY_CHUNK", 1)  # skip every pair already joined
    fast = dedup_outputs(tmp_path, raw, "fast", "--workers", 2)
    # every shortcut off: no repeats cache, no spill, every pair checked
    monkeypatch.setattr(repeats, "MAX_ENTRIES", 0)
    monkeypatch.setattr(spill, "BUDGET_BYTES", 0)
    monkeypatch.setattr(verify_mod, "VERIFY_CHUNK", 10_000)
    slow = dedup_outputs(tmp_path, raw, "slow", "--workers", 1)
    assert fast[:3] == slow[:3]
    # the expected answer: 6 clusters of 4 (3 near copies, 1 exact repeat each)
    assert len(fast[0]) == 6 + 8
    assert len(fast[1]) == 18
    by_cluster: dict[str, set[str]] = {}
    for doc_id, cluster, _ in fast[2]:
        by_cluster.setdefault(cluster, set()).add(doc_id)
    assert sorted(by_cluster.values(), key=min) == [
        {f"f{i}-{k}" for k in range(4)} for i in range(6)
    ]
    # triangles: a pair whose documents were already joined is not checked
    facts = fast[3]
    assert slow[3]["checked_pairs"] == slow[3]["candidate_pairs"] == facts["candidate_pairs"]
    assert facts["checked_pairs"] < facts["candidate_pairs"]
    assert facts["verified_pairs"] <= facts["checked_pairs"]


def test_worker_processes_and_one_process_agree(tmp_path, real_workers):
    """Each worker process has its own repeats cache and spill files: same result."""
    raw = ingest(tmp_path, family_corpus(), shard_rows=5)
    one = dedup_outputs(tmp_path, raw, "one", "--workers", 1)
    assert not real_workers.pids
    procs = dedup_outputs(tmp_path, raw, "procs", "--workers", 2)
    real_workers.assert_ran()
    assert one[:3] == procs[:3]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_pairs_verified_on_threads_pass_by_their_true_jaccard(monkeypatch, threads):
    """A chunk's pairs shared out over threads: each pair passes by its own Jaccard."""
    import curate.dedup.verify as verify_mod

    monkeypatch.setattr(verify_mod, "MIN_PAIRS_A_THREAD", 1)  # every chunk split
    rng = np.random.default_rng(5)
    sets = []
    for _ in range(2 * 200):  # 200 disjoint pairs: none is skipped as already joined
        size = int(rng.integers(5, 60))
        sets.append(np.unique(rng.integers(0, 400, size)).astype(np.uint32))
    for k in range(0, len(sets), 4):  # every other pair nearly the same
        keep = sets[k][: max(1, len(sets[k]) - int(rng.integers(0, 3)))]
        sets[k + 1] = np.unique(np.concatenate([keep, rng.integers(0, 400, 1)])).astype(np.uint32)
    lens = np.array([len(x) for x in sets])
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    a, b = np.arange(0, len(sets), 2), np.arange(1, len(sets), 2)
    passed, checked = verify_mod._verify_unjoined(
        a, b, starts, lens, np.concatenate(sets), 0.8, threads
    )
    truth = [
        len(set(sets[i].tolist()) & set(sets[j].tolist()))
        / len(set(sets[i].tolist()) | set(sets[j].tolist()))
        >= 0.8
        for i, j in zip(a.tolist(), b.tolist(), strict=True)
    ]
    assert checked == 200
    assert passed.tolist() == truth
    assert 20 < sum(truth) < 180


def test_band_files_give_every_bands_pairs(tmp_path):
    """band_unit then pair_unit, band by band, over shards (one empty): the pairs of
    documents whose band hashes are equal, computed here from the signatures."""
    import pyarrow as pa

    import curate.dedup.bands as bands_mod
    from curate.dedup import cache
    from curate.dedup.minhash import band_hashes

    rng = np.random.default_rng(11)
    bands, rows, k = 4, 2, 8
    sizes = [6, 0, 5]
    sigs = []
    jobs = []
    base = 0
    for s_i, n in enumerate(sizes):
        sig = rng.integers(0, 3, size=(n, k)).astype(np.uint32)  # few values: many ties
        sigs.append(sig)
        f = tmp_path / f"sig{s_i}.arrow"
        cache.write_table(f, pa.table({"sig": pa.array(list(sig), pa.list_(pa.uint32(), k))}))
        idx = np.arange(n)
        jobs.append(bands_mod.BandJob(f, tmp_path / f"{s_i}.bands", idx, idx + base, bands, rows))
        base += n
    for job in jobs:
        bands_mod.band_unit(job)
    files = tuple((j.out, len(j.rows_index)) for j in jobs)
    everything = np.concatenate([s for s in sigs if len(s)])
    bh = band_hashes(everything, bands, rows)
    for band in range(bands):
        got = bands_mod.pair_unit(bands_mod.PairJob(band, bands, files))
        got = {tuple(sorted(p)) for p in got.tolist()}
        want = {
            (i, j)
            for i in range(len(everything))
            for j in range(i + 1, len(everything))
            if bh[i, band] == bh[j, band]
        }
        assert got == want, band
        assert want  # the ties make pairs in every band


@pytest.mark.parametrize("collide", [False, True])
def test_removed_ids_are_found_exactly_even_when_hashes_collide(monkeypatch, collide):
    """The filter pass looks a batch's ids up by hash, then compares the strings."""
    import pyarrow as pa

    import curate.dedup.filter_pass as filter_mod

    if collide:  # every id gets one of two hashes: matches must come from the strings
        real = filter_mod._id_hashes
        monkeypatch.setattr(filter_mod, "_id_hashes", lambda ids: real(ids) & np.uint64(1))
    removed = pa.array([f"r{i}" for i in range(0, 60, 3)])  # r0, r3, ... r57
    h = filter_mod._id_hashes(removed)
    order = np.argsort(h, kind="stable")
    keys = removed.take(pa.array(order))
    batch = pa.array([f"r{i}" for i in range(70)])
    pos = filter_mod._lookup(h[order], keys, batch)
    found = {batch[i].as_py(): keys[int(p)].as_py() for i, p in enumerate(pos) if p >= 0}
    assert found == {f"r{i}": f"r{i}" for i in range(0, 60, 3)}


def test_a_second_run_in_the_same_process_is_the_same(tmp_path):
    raw = ingest(tmp_path, family_corpus(), shard_rows=7)
    first = dedup_outputs(tmp_path, raw, "one", "--workers", 1)
    second = dedup_outputs(tmp_path, raw, "two", "--workers", 1)
    assert first[:3] == second[:3]


@pytest.mark.parametrize("block", [1, 7, 1 << 22])
def test_pair_jaccard_matches_python_sets(monkeypatch, block):
    import curate.dedup.jaccard as jac
    from curate.dedup.shingles import ShingleConfig, prepare, shingle_hashes, shingle_sets

    monkeypatch.setattr(jac, "BLOCK", block)
    docs = [text(1), edit(text(1), 2), text(2), "", "one two", edit(text(2), 1), text(1)]
    import pyarrow as pa

    cps, _ = prepare(pa.array(docs), ("lower", "whitespace"))
    h, d = shingle_hashes(cps, ShingleConfig())
    sets, off = shingle_sets(h, d, len(docs))
    pairs = np.array([(0, 1), (0, 2), (1, 2), (3, 4), (4, 3), (2, 5), (0, 6), (3, 3)])
    got = jac.pair_jaccard(pairs[:, 0], pairs[:, 1], off[:-1], np.diff(off), sets)
    for (a, b), j in zip(pairs.tolist(), got.tolist(), strict=True):
        if not shingles(docs[a]) or not shingles(docs[b]):
            assert j == 0.0
        else:
            assert j == pytest.approx(jaccard(docs[a], docs[b]), abs=1e-12)


def test_a_cut_short_unicode_table_cache_is_rebuilt(tmp_path, monkeypatch):
    """A killed writer can leave a truncated table file: later runs rebuild it."""
    import curate.dedup.text as text_mod

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    text_mod._tables.cache_clear()
    try:
        good = text_mod._tables()
        (cached,) = list((tmp_path / "curate").glob("unicode-tables-*.npz"))
        cached.write_bytes(cached.read_bytes()[:1000])  # cut short
        text_mod._tables.cache_clear()
        again = text_mod._tables()
        assert all(np.array_equal(a, b) for a, b in zip(good, again, strict=True))
        with np.load(cached) as z:  # and the file is whole again
            assert np.array_equal(z["lower"], good[0])
    finally:
        text_mod._tables.cache_clear()


def test_unicode_tables_of_another_curate_version_are_never_read(tmp_path, monkeypatch):
    """The cached tables are named by the code that builds them: after an upgrade that
    changes the normalisation, the old file cannot silently change dedup's answers."""
    import curate.dedup.text as text_mod

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    ours = text_mod._tables_path()
    changed = tmp_path / "text.py"
    changed.write_bytes(Path(text_mod.__file__).read_bytes() + b"\n# changed\n")
    monkeypatch.setattr(text_mod, "__file__", str(changed))
    assert text_mod._tables_path() != ours
    assert text_mod._tables_path().parent == ours.parent == tmp_path / "curate"
