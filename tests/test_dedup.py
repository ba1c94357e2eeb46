"""`curate dedup`: exact and near duplicates across shards, keep policies, clusters,
rejected rows, `--against`, determinism and bad options, on small data built here."""

from __future__ import annotations

import random
import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import manifest, read_rows, run, write_jsonl

WORDS = (
    "river mill miller ledger flour bread baker village morning sack inn road bridge "
    "stone church market cart horse field wheat barley oven fire water wind rain "
    "winter summer autumn spring lamp candle window door table chair roof wall "
    "garden tree apple pear plum cherry fence gate path hill valley forest wolf "
    "fox owl hawk crow sparrow fish boat net shore harbour ship sail rope anchor"
).split()


def text(seed: int, n: int = 60) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randint(0, 99)) for _ in range(n)) + "."


def edit(t: str, swaps: int, seed: int = 0) -> str:
    """Replace `swaps` words at well-separated places (each kills up to 5 shingles)."""
    words = t.split()
    rng = random.Random(seed)
    for i in rng.sample(range(0, len(words), 10), swaps):
        words[i] = "zzz" + str(i)
    return " ".join(words)


def shingles(t: str, n: int = 5) -> set[tuple[str, ...]]:
    toks = re.findall(r"\w+", t.lower())
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def ingest(tmp_path, rows, name="raw", shard_rows=3):
    src = write_jsonl(tmp_path / f"{name}.jsonl", rows)
    out = tmp_path / name
    r = run("ingest", src, "-o", out, "--source", "s", "-q", "--shard-rows", shard_rows)
    assert r.exit_code == 0, r
    return out


def corpus():
    """a: original; b: same text, other case/spacing; c: one edit (J≈0.85); d: unrelated;
    e: 4 edits (J≈0.5); f: exact copy of d in another shard; g: one edit of c's copy."""
    a = text(1)
    rows = [
        {"id": "a", "text": a},
        {"id": "b", "text": "  " + a.upper().replace(" ", "   ") + "\n"},
        {"id": "c", "text": edit(a, 1, seed=1)},
        {"id": "d", "text": text(2)},
        {"id": "e", "text": edit(a, 4, seed=2)},
        {"id": "f", "text": text(2)},
        {"id": "g", "text": text(3)},
    ]
    return rows


def test_exact_and_near_duplicates_across_shards(tmp_path):
    rows = corpus()
    assert jaccard(rows[0]["text"], rows[2]["text"]) >= 0.8
    assert jaccard(rows[0]["text"], rows[4]["text"]) < 0.8
    raw = ingest(tmp_path, rows)
    assert len(manifest(raw)["shards"]) == 3
    r = run(
        "dedup", raw, "-o", tmp_path / "out", "--clusters", tmp_path / "cl",
        "--rejected", tmp_path / "rej", "--workers", 1,
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert "removed: near_duplicate" in r.stderr and "removed: exact_duplicate" in r.stderr
    kept = [x["id"] for x in read_rows(tmp_path / "out")]
    assert kept == ["a", "d", "e", "g"]
    m_in, m_out = manifest(raw), manifest(tmp_path / "out")
    assert [s["name"] for s in m_out["shards"]] == [s["name"] for s in m_in["shards"]]
    assert m_out["sources"] == m_in["sources"]
    step = m_out["lineage"][-1]
    assert step["step"] == "dedup"
    assert step["removed"] == {"exact_duplicate": 2, "near_duplicate": 1}
    assert step["dedup"]["clusters"] == 2 and step["dedup"]["removed"] == 3
    assert step["dedup"]["exact_pairs"] == 2 and step["dedup"]["verified_pairs"] >= 1
    rej = {x["id"]: (x["dup_of"], x["dup_reason"]) for x in read_rows(tmp_path / "rej")}
    assert rej == {
        "b": ("a", "exact_duplicate"),
        "c": ("a", "near_duplicate"),
        "f": ("d", "exact_duplicate"),
    }
    cl = sorted((x["id"], x["cluster"], x["kept"]) for x in read_rows(tmp_path / "cl"))
    assert cl == [
        ("a", "a", True), ("b", "a", False), ("c", "a", False),
        ("d", "d", True), ("f", "d", False),
    ]  # fmt: skip


def test_exact_only_normalises_case_and_whitespace(tmp_path):
    rows = corpus()
    raw = ingest(tmp_path, rows)
    r = run("dedup", raw, "-o", tmp_path / "out", "--exact", "-q", "--workers", 1)
    assert r.exit_code == 0, r
    assert [x["id"] for x in read_rows(tmp_path / "out")] == ["a", "c", "d", "e", "g"]
    r = run("dedup", raw, "-o", tmp_path / "o2", "--exact", "--normalize", "none", "-q")
    assert r.exit_code == 0, r
    assert [x["id"] for x in read_rows(tmp_path / "o2")] == ["a", "b", "c", "d", "e", "g"]
    r = run("dedup", raw, "-o", tmp_path / "o3", "--exact", "--normalize", "casefold", "-q")
    assert r.exit_code == 2
    assert "--normalize: unknown step `casefold`" in r.stderr


def test_punctuation_normalisation_and_char_shingles(tmp_path):
    rows = [
        {"id": "1", "text": "Hello, world! This is a test."},
        {"id": "2", "text": "hello world this is a test"},
        {"id": "3", "text": "Something else entirely, friend."},
    ]
    raw = ingest(tmp_path, rows, shard_rows=10)
    r = run("dedup", raw, "-o", tmp_path / "o", "--exact", "--normalize",
            "lower,whitespace,punctuation", "-q")  # fmt: skip
    assert r.exit_code == 0, r
    assert [x["id"] for x in read_rows(tmp_path / "o")] == ["1", "3"]
    t = text(7, 40)
    rows = [{"id": "x", "text": t}, {"id": "y", "text": t[:-3] + "zz."}, {"id": "z", "text": "q"}]
    raw = ingest(tmp_path, rows, name="raw2", shard_rows=10)
    r = run("dedup", raw, "-o", tmp_path / "c", "--shingle", "char", "--ngram", "5", "-q")
    assert r.exit_code == 0, r
    assert [x["id"] for x in read_rows(tmp_path / "c")] == ["x", "z"]


@pytest.mark.parametrize(
    ("keep", "expected"),
    [("first", "a"), ("longest", "c"), ("quality", "b"), ("none", None)],
)
def test_keep_policies(tmp_path, keep, expected):
    a = text(1)
    table = pa.table(
        {
            "id": ["a", "b", "c", "z"],
            "text": [a, a.upper(), a + " and a little more", text(9)],
            "quality": [0.2, 0.9, 0.5, 0.1],
        }
    )
    pq.write_table(table, tmp_path / "in.parquet")
    r = run("dedup", tmp_path / "in.parquet", "-o", tmp_path / "o", "--keep", keep,
            "--rejected", tmp_path / "rej", "--clusters", tmp_path / "cl", "-q")  # fmt: skip
    assert r.exit_code == 0, r
    kept = [x["id"] for x in read_rows(tmp_path / "o")]
    assert kept == ([expected, "z"] if expected else ["z"]) if expected != "a" else ["a", "z"]
    rej = read_rows(tmp_path / "rej")
    assert {x["dup_of"] for x in rej} == {expected}
    cl = {x["id"]: (x["cluster"], x["kept"]) for x in read_rows(tmp_path / "cl")}
    assert cl == {i: ("a", i == expected) for i in "abc"}


def test_keep_column_must_exist_and_be_numeric(tmp_path):
    raw = ingest(tmp_path, corpus())
    r = run("dedup", raw, "-o", tmp_path / "o", "--keep", "qualiti")
    assert r.exit_code == 2 and "--keep qualiti: no such column" in r.stderr
    r = run("dedup", raw, "-o", tmp_path / "o", "--keep", "source")
    assert r.exit_code == 2 and "--keep source: column is string, not a number" in r.stderr


def test_same_result_with_other_worker_counts(tmp_path, monkeypatch, real_workers):
    import curate.executor as executor_mod

    rows = []
    for i in range(12):
        base = text(100 + i)
        rows.append({"id": f"{i:02d}-0", "text": base})
        rows.append({"id": f"{i:02d}-1", "text": edit(base, 1, seed=i)})
    random.Random(5).shuffle(rows)
    raw = ingest(tmp_path, rows, shard_rows=5)
    outs = []
    # one process, two threads (a small input's default), then two worker processes
    off = dict.fromkeys(real_workers.shortcuts, 0)
    for w, shortcuts in ((1, off), (2, real_workers.shortcuts), (2, off)):
        for name, value in shortcuts.items():
            monkeypatch.setattr(executor_mod, name, value)
        o, cl = tmp_path / f"o{len(outs)}", tmp_path / f"cl{len(outs)}"
        r = run("dedup", raw, "-o", o, "--workers", w, "--clusters", cl, "-q")
        assert r.exit_code == 0, r
        outs.append((read_rows(o), read_rows(cl)))
        if len(outs) == 2:
            assert not real_workers.pids  # one process, then threads
    real_workers.assert_ran()
    assert outs[0] == outs[1] == outs[2]
    assert len(outs[0][0]) == 12


def test_verification_stops_banding_false_positives(tmp_path):
    a = text(1)
    e = edit(a, 3, seed=4)
    assert 0.5 < jaccard(a, e) < 0.8
    raw = ingest(tmp_path, [{"id": "a", "text": a}, {"id": "e", "text": e}], shard_rows=10)
    loose = ["--bands", "64", "--rows", "2"]  # nearly every pair above J≈0.3 is a candidate
    r = run("dedup", raw, "-o", tmp_path / "n", *loose, "--verify", "none", "-q")
    assert r.exit_code == 0, r
    assert len(read_rows(tmp_path / "n")) == 1
    for verify in ("exact", "estimate"):
        r = run("dedup", raw, "-o", tmp_path / verify, *loose, "--verify", verify, "-q")
        assert r.exit_code == 0, r
        assert len(read_rows(tmp_path / verify)) == 2
        assert manifest(tmp_path / verify)["lineage"][-1]["dedup"]["candidate_pairs"] == 1


def test_against_drops_what_the_old_corpus_has_and_reuses_its_signatures(tmp_path):
    old = ingest(tmp_path, corpus(), name="old")
    r = run("dedup", old, "-o", tmp_path / "deduped", "-q")
    assert r.exit_code == 0, r
    assert (tmp_path / "deduped" / "_cache" / "signatures" / "meta.json").exists()
    new_rows = [
        {"id": "n1", "text": edit(text(1), 1, seed=9)},  # near copy of old a
        {"id": "n2", "text": text(2).upper()},  # exact copy of old d
        {"id": "n3", "text": text(50)},  # new
        {"id": "n4", "text": text(50) + " "},  # exact copy of n3
    ]
    new = ingest(tmp_path, new_rows, name="new")
    r = run("dedup", new, "-o", tmp_path / "only", "--against", tmp_path / "deduped",
            "--rejected", tmp_path / "rej", "--clusters", tmp_path / "cl")  # fmt: skip
    assert r.exit_code == 0, r
    assert [x["id"] for x in read_rows(tmp_path / "only")] == ["n3"]
    rej = {x["id"]: x["dup_of"] for x in read_rows(tmp_path / "rej")}
    assert rej == {"n1": "a", "n2": "d", "n4": "n3"}
    facts = manifest(tmp_path / "only")["lineage"][-1]["dedup"]
    assert facts["against_signatures"] == "reused"
    assert facts["against_documents"] == 4
    assert {x["id"] for x in read_rows(tmp_path / "cl")} == {"n1", "n2", "n3", "n4"}
    # other shingling parameters than the old run: refuse
    r = run("dedup", new, "-o", tmp_path / "x", "--against", tmp_path / "deduped", "--ngram", "3")
    assert r.exit_code == 2
    assert "it was deduplicated with other shingling parameters (ngram 5 there vs 3 here" in (
        r.stderr
    )
    r = run("dedup", new, "-o", tmp_path / "x2", "--against", tmp_path / "deduped", "--exact",
            "--normalize", "none")  # fmt: skip
    assert r.exit_code == 2 and "it was deduplicated with --normalize lower,whitespace" in r.stderr
    r = run("dedup", new, "-o", tmp_path / "x3", "--against", tmp_path / "deduped", "--exact", "-q")
    assert r.exit_code == 0, r
    assert [x["id"] for x in read_rows(tmp_path / "x3")] == ["n1", "n3"]  # exact copies only
    # a dataset without a cache works too (its signatures are computed)
    r = run("dedup", new, "-o", tmp_path / "y", "--against", old, "-q")
    assert r.exit_code == 0, r
    assert [x["id"] for x in read_rows(tmp_path / "y")] == ["n3"]
    assert manifest(tmp_path / "y")["lineage"][-1]["dedup"]["against_signatures"] == "computed"


def test_rerun_is_up_to_date_and_other_threshold_reuses_signatures(tmp_path):
    raw = ingest(tmp_path, corpus())
    out = tmp_path / "out"
    assert run("dedup", raw, "-o", out, "-q").exit_code == 0
    r = run("dedup", raw, "-o", out)
    assert r.exit_code == 0 and "up to date" in r.stderr
    r = run("dedup", raw, "-o", out, "--threshold", "0.4")
    assert r.exit_code == 2 and "pass --overwrite" in r.stderr
    r = run("dedup", raw, "-o", out, "--threshold", "0.4", "--overwrite", "-q")
    assert r.exit_code == 0, r
    facts = manifest(out)["lineage"][-1]["dedup"]
    assert facts["signature_shards_computed"] == 0
    assert [x["id"] for x in read_rows(out)] == ["a", "d", "g"]  # e (J≈0.5) goes too


def test_null_text_is_kept_and_counted(tmp_path):
    table = pa.table({"id": ["a", "b", "c"], "text": [text(1), None, text(1)]})
    pq.write_table(table, tmp_path / "in.parquet")
    r = run("dedup", tmp_path / "in.parquet", "-o", tmp_path / "o")
    assert r.exit_code == 0, r
    assert [x["id"] for x in read_rows(tmp_path / "o")] == ["a", "b"]
    assert manifest(tmp_path / "o")["lineage"][-1]["dedup"]["null_text"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--exact", "--num-perm", "64"], "--exact removes exact duplicates only, so --num-perm"),
        (["--exact", "--threshold", "0.9"], "so --threshold has no effect"),
        (["--threshold", "1.5"], "--threshold 1.5: a Jaccard similarity must be in (0, 1]"),
        (["--threshold", "0"], "must be in (0, 1]"),
        (["--bands", "4"], "--bands and --rows go together"),
        (
            ["--bands", "20", "--rows", "8", "--num-perm", "128"],
            "need 160 signature values but --num-perm is 128",
        ),
        (["--verify", "maybe"], "--verify maybe: choose one of exact, estimate, none"),
        (["--shingle", "line"], "--shingle line: choose one of word, char"),
        (["--ngram", "0"], "--ngram 0: shingles need at least 1 token"),
        (["--num-perm", "1"], "--num-perm 1: use a value from 2 to 4096"),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path, args, message):
    raw = ingest(tmp_path, corpus()[:2], shard_rows=10)
    r = run("dedup", raw, "-o", tmp_path / "o", *args)
    assert r.exit_code == 2, r
    assert message in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_repeated_ids_and_empty_input(tmp_path):
    pq.write_table(pa.table({"id": ["a", "a"], "text": ["x y", "z"]}), tmp_path / "d.parquet")
    r = run("dedup", tmp_path / "d.parquet", "-o", tmp_path / "o")
    assert r.exit_code == 2 and "id `a` appears more than once" in r.stderr
    empty = pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())})
    pq.write_table(empty, tmp_path / "e.parquet")
    r = run("dedup", tmp_path / "e.parquet", "-o", tmp_path / "oe", "--clusters", tmp_path / "c")
    assert r.exit_code == 0, r
    assert read_rows(tmp_path / "oe") == [] and read_rows(tmp_path / "c") == []


def test_output_must_differ_from_input(tmp_path):
    raw = ingest(tmp_path, corpus()[:2], shard_rows=10)
    r = run("dedup", raw, "-o", raw)
    assert r.exit_code == 2 and "is the input dataset" in r.stderr


# --------------------------------------------------------------------------- the pieces


def test_shingles_match_python_re_reference():
    from curate.dedup.shingles import ShingleConfig, prepare, shingle_hashes, shingle_sets

    samples = [
        "Grüße aus Köln — straße_nummer 12³ and ÉCOLE élève",
        "Привет, мир! Это тест; строка без смысла, но со словами",
        "Tiếng Việt có dấu: người, được, những",
        "a b",
        "",
        "   ",
        "x" * 3 + " ... " + "ǅemal ﬁne ΣΊΣΥΦΟΣ",
        "one two three four five six seven",
    ]
    cfg = ShingleConfig()
    cps, _ = prepare(pa.array(samples, pa.large_string()), cfg.normalize)
    h, doc = shingle_hashes(cps, cfg)
    sets, so = shingle_sets(h, doc, len(samples))
    for i, t in enumerate(samples):
        toks = re.findall(r"\w+", t.lower())
        want = {tuple(toks[j : j + 5]) for j in range(len(toks) - 4)} or (
            {tuple(toks)} if toks else set()
        )
        assert so[i + 1] - so[i] == len(want), t
    # equal texts (after normalisation) have equal shingle sets
    same, _ = prepare(pa.array(["A  b c", "a b c"], pa.large_string()), cfg.normalize)
    h2, d2 = shingle_hashes(same, cfg)
    assert sorted(h2[d2 == 0]) == sorted(h2[d2 == 1])


def test_whitespace_normalisation_matches_python():
    from curate.dedup.text import decode, normalize

    samples = ["  Hello \t\n World  ", "\u00a0x\u2003y\u3000", "", " ", "ÄÖÜ  ß", "a\r\nb"]
    for steps, case in ((("lower", "whitespace"), str.lower), (("whitespace",), str)):
        cps, _ = decode(pa.array(samples, pa.large_string()), steps)
        out = normalize(cps, steps)
        for i, t in enumerate(samples):
            got = "".join(map(chr, out.cp[out.starts[i] : out.ends[i]]))
            assert got == " ".join(case(t).split())


def test_exact_hash_equal_only_for_equal_normalised_text():
    from curate.dedup.shingles import exact_hashes, prepare

    # 1-, 2- and 4-byte widths; "ab" and U+6261 have the same bytes at different widths
    samples = ["ab", "\u6261", "AB ", "", "\U0001f600", " \U0001f600", "ä", "Ä", "a\u00e4"]
    cps, _ = prepare(pa.array(samples, pa.large_string()), ("lower", "whitespace"))
    hi, lo = exact_hashes(cps)
    keys = list(zip(hi.tolist(), lo.tolist(), strict=True))
    norm = [" ".join(t.lower().split()) for t in samples]
    for i in range(len(samples)):
        for j in range(len(samples)):
            assert (keys[i] == keys[j]) == (norm[i] == norm[j]), (samples[i], samples[j])


def test_optimal_bands_matches_datasketch():
    lsh = pytest.importorskip("datasketch.lsh")
    from curate.dedup.minhash import optimal_bands

    for t, k in [(0.8, 128), (0.5, 64), (0.9, 256)]:
        assert optimal_bands(t, k) == lsh._optimal_param(t, k, 0.5, 0.5)


def test_signature_estimates_jaccard():
    from curate.dedup.minhash import estimate_jaccard, signatures

    rng = np.random.default_rng(3)
    common = rng.integers(0, 2**63, 600, dtype=np.uint64)
    a = np.concatenate([common, rng.integers(0, 2**63, 200, dtype=np.uint64)])
    b = np.concatenate([common, rng.integers(0, 2**63, 200, dtype=np.uint64)])
    short = rng.integers(0, 2**63, 3, dtype=np.uint64)  # fewer shingles than bins
    hashes = np.concatenate([a, b, short, short])
    doc = np.repeat(np.arange(4), [len(a), len(b), 3, 3])
    sig = signatures(hashes, doc, 4, 256)
    est = estimate_jaccard(sig[[0, 2]], sig[[1, 3]])
    assert abs(est[0] - 600 / 1000) < 0.08
    assert est[1] == 1.0 and (sig[2] != 0xFFFFFFFF).all()


def test_components_label_is_smallest_member():
    from curate.dedup.components import components

    nodes, label = components(np.array([[5, 3], [3, 9], [10, 11], [11, 2]]))
    assert dict(zip(nodes.tolist(), label.tolist(), strict=True)) == {
        2: 2, 3: 3, 5: 3, 9: 3, 10: 2, 11: 2,
    }  # fmt: skip
