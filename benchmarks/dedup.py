"""Benchmark: near-duplicate removal with curate vs datasketch vs datatrove, with ground truth.

Two corpora, both built from real third-party text in ``<evaldata>`` (nothing is copied into
the project):

* **planted**: documents of 10-40 real web sentences of one language (lingua's test
  sentences, Leipzig web corpora, 75 languages less ja/zh/th, which have no spaces between
  words); 30% of the documents are in *families*: an original plus 1-3 copies made with
  controlled word edits (substitute, delete, insert at a rate drawn from 0-12%, and 1 in 8
  copies only re-cased and re-spaced). The true Jaccard of every pair inside a family is
  computed here with Python (sets of 5-grams of ``re`` ``\\w+`` tokens of the lower-cased
  text); documents of different families share sentences only by chance (they draw from
  ~1,000 sentences per language) and stay far below 0.8, which the script checks on a sample.
* **debian**: the 11,050 pages of the Debian installation guide in 17 languages
  (``text/debian_installguide_neardup``, ja and zh_CN left out: word shingles need a
  segmenter there), with the exact pair Jaccards shipped with it (``jaccard_word5``).

Precision and recall (docs/dedup.md defines them): the true pairs with Jaccard >= threshold
form a graph; each of its components C must lose |C| - 1 documents. For the set R a tool
removed, ``correct = sum over C of min(|R ∩ C|, |C| - 1)``; precision = correct / |R|,
recall = correct / sum(|C| - 1). Removing a document with no true duplicate, or every copy
of a cluster, costs precision.

Tools, one after another in this one run, same data (a curate dataset of Parquet shards),
same cores:

* ``curate dedup DS -o OUT --rejected REJ --workers W`` (defaults: threshold 0.8, 5-word
  shingles, 128 values, bands chosen by curate, verification by true Jaccard);
* datasketch (peer venv): ``MinHash(num_perm=128).update_batch`` of the same shingles per
  document, ``MinHashLSH(threshold=0.8).insert`` then ``query`` of each document, union-find
  over the results, keep the first of each component (one process: datasketch has no
  parallel mode);
* datatrove (peer venv): ``MinhashDedupSignature -> MinhashDedupBuckets ->
  MinhashDedupCluster -> MinhashDedupFilter`` with its default ``MinhashConfig`` (5-grams,
  14 buckets x 8 hashes) under ``LocalPipelineExecutor(workers=W)``;
* a plain Parquet read + write of the same shards with pyarrow (the floor).

Printed: wall time, docs/s, CPU seconds, peak RSS of the whole process tree, removed
documents, precision and recall, the 1-minute load average before and after each tool
(the machine may be shared: compare ratios within one run, per CPU-second when it was
busy), the ratios to the peers, the versions measured and the machine.

Run it with curate's venv: ``.venv/bin/python benchmarks/dedup.py [--quick] [--size N]``.
``--quick`` is 10,000 planted documents; the default is 100,000; ``--curate-only`` skips the
peers (for 1M documents).
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import os
import random
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_EVALDATA,
    RunResult,
    core_count,
    curate_bin,
    fmt_mb,
    package_versions,
    peer_python,
    print_machine,
    print_table,
    ratio,
    run_measured,
)

THRESHOLD = 0.8
WORD = re.compile(r"\w+")
NO_SPACES = {"ja", "zh", "th"}

DATASKETCH = r"""
import json, re, sys
import pyarrow.parquet as pq
from pathlib import Path
from datasketch import MinHash, MinHashLSH

src, dst = sys.argv[1], sys.argv[2]
WORD = re.compile(r"\w+")
files = [Path(src) / s["name"] for s in json.load(open(Path(src) / "_curate.json"))["shards"]]
ids = []
lsh = MinHashLSH(threshold=0.8, num_perm=128)
hashes = {}
for f in files:
    t = pq.read_table(f, columns=["id", "text"])
    for i, text in zip(t.column("id").to_pylist(), t.column("text").to_pylist()):
        toks = WORD.findall((text or "").lower())
        sh = {" ".join(toks[j:j + 5]) for j in range(len(toks) - 4)}
        if not sh and toks:
            sh = {" ".join(toks)}
        m = MinHash(num_perm=128)
        m.update_batch([s.encode("utf-8") for s in sh])
        lsh.insert(i, m)
        hashes[i] = m
        ids.append(i)
order = {i: k for k, i in enumerate(ids)}
parent = list(range(len(ids)))
def find(x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x
for i in ids:
    a = order[i]
    for j in lsh.query(hashes[i]):
        b = order[j]
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
removed = [i for i in ids if find(order[i]) != order[i]]
json.dump(removed, open(dst, "w"))
"""

DATATROVE = r"""
import json, sys
from pathlib import Path
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import (
    MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature,
)
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.writers import JsonlWriter

def main():
    src, work, workers, tasks = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    cfg = MinhashConfig()
    def reader():
        return ParquetReader(src, glob_pattern="*.parquet", text_key="text", id_key="id")
    LocalPipelineExecutor(
        pipeline=[reader(), MinhashDedupSignature(output_folder=str(work / "sigs"), config=cfg)],
        tasks=tasks, workers=workers, logging_dir=str(work / "logs1"),
    ).run()
    LocalPipelineExecutor(
        pipeline=[MinhashDedupBuckets(input_folder=str(work / "sigs"),
                                      output_folder=str(work / "buckets"), config=cfg)],
        tasks=cfg.num_buckets, workers=workers, logging_dir=str(work / "logs2"),
    ).run()
    LocalPipelineExecutor(
        pipeline=[MinhashDedupCluster(input_folder=str(work / "buckets"),
                                      output_folder=str(work / "remove"), config=cfg)],
        tasks=1, workers=1, logging_dir=str(work / "logs3"),
    ).run()
    LocalPipelineExecutor(
        pipeline=[reader(), MinhashDedupFilter(input_folder=str(work / "remove"),
                  exclusion_writer=JsonlWriter(str(work / "removed"), compression=None)),
                  JsonlWriter(str(work / "kept"), compression=None)],
        tasks=tasks, workers=workers, logging_dir=str(work / "logs4"),
    ).run()


if __name__ == "__main__":
    main()
"""

PLAIN_IO = r"""
import json, sys
import pyarrow.parquet as pq
from pathlib import Path
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
dst.mkdir(parents=True, exist_ok=True)
for s in json.load(open(src / "_curate.json"))["shards"]:
    pq.write_table(pq.read_table(src / s["name"]), dst / s["name"], compression="zstd")
"""


# --------------------------------------------------------------------------- ground truth


def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    toks = WORD.findall(text.lower())
    if len(toks) < n:
        return {tuple(toks)} if toks else set()
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def components(pairs: list[tuple[str, str]]) -> list[set[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, set[str]] = defaultdict(set)
    for x in parent:
        groups[find(x)].add(x)
    return [g for g in groups.values() if len(g) > 1]


def precision_recall(clusters: list[set[str]], removed: set[str]) -> tuple[float, float, int]:
    """(precision, recall, documents that should go) as docs/dedup.md defines them."""
    must = sum(len(c) - 1 for c in clusters)
    correct = sum(min(len(c & removed), len(c) - 1) for c in clusters)
    precision = correct / len(removed) if removed else 1.0
    recall = correct / must if must else 1.0
    return precision, recall, must


# --------------------------------------------------------------------------- corpora


def _edit(words: list[str], rate: float, vocab: list[str], rng: random.Random) -> list[str]:
    out = []
    for w in words:
        r = rng.random()
        if r < rate / 3:
            continue  # delete
        if r < 2 * rate / 3:
            out.append(rng.choice(vocab))  # substitute
            continue
        out.append(w)
        if r < rate:
            out.append(rng.choice(vocab))  # insert
    return out


def planted(evaldata: Path, size: int, seed: int = 7) -> tuple[list[dict], list[set[str]], dict]:
    """Documents and true clusters at THRESHOLD; also facts about the pair Jaccards."""
    by_lang: dict[str, list[str]] = defaultdict(list)
    with gzip.open(evaldata / "langid/lingua_testdata.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["kind"] == "sentences" and r["lang"] not in NO_SPACES:
                by_lang[r["lang"]].append(r["text"])
    langs = sorted(by_lang)
    vocab = {lang: sorted({w for s in by_lang[lang] for w in s.split()}) for lang in langs}
    rng = random.Random(seed)
    docs: list[dict] = []
    families: list[list[int]] = []
    while len(docs) < size:
        lang = rng.choice(langs)
        base = " ".join(rng.sample(by_lang[lang], rng.randint(10, 40)))
        members = [len(docs)]
        docs.append({"text": base})
        if rng.random() < 0.3 / 2.5:  # ~30% of documents end up in families of 2-4
            for _ in range(rng.randint(1, 3)):
                if rng.random() < 1 / 8:
                    copy = "  ".join(base.upper().split(" ")) + "\n"
                else:
                    words = _edit(base.split(), rng.uniform(0.0, 0.12), vocab[lang], rng)
                    copy = " ".join(words)
                members.append(len(docs))
                docs.append({"text": copy})
            families.append(members)
    docs = docs[:size]
    order = list(range(len(docs)))
    rng.shuffle(order)
    new_id = {old: f"p{new:07d}" for new, old in enumerate(order)}
    for old, d in enumerate(docs):
        d["id"] = new_id[old]
    docs.sort(key=lambda d: d["id"])
    by_id = {d["id"]: d for d in docs}
    pairs, js = [], []
    for fam in families:
        ids = [new_id[m] for m in fam if m < size]
        sets = {i: shingles(by_id[i]["text"]) for i in ids}
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                j = jaccard(sets[ids[x]], sets[ids[y]])
                js.append(j)
                if j >= THRESHOLD:
                    pairs.append((ids[x], ids[y]))
    # cross-family pairs are far below the threshold: check a sample of random pairs
    sample = [shingles(docs[rng.randrange(len(docs))]["text"]) for _ in range(400)]
    cross = max(jaccard(sample[i], sample[i + 1]) for i in range(0, 398, 2))
    facts = {
        "family pairs": len(js),
        "pairs >= 0.8": len(pairs),
        "pairs in [0.7, 0.8)": sum(0.7 <= j < 0.8 for j in js),
        "pairs in [0.8, 0.9)": sum(0.8 <= j < 0.9 for j in js),
        "max Jaccard of 200 random pairs": round(cross, 3),
    }
    return docs, components(pairs), facts


def debian(evaldata: Path) -> tuple[list[dict], list[set[str]], dict]:
    folder = evaldata / "text/debian_installguide_neardup"
    docs, lang_of = [], {}
    with lzma.open(folder / "docs.jsonl.xz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            lang_of[r["id"]] = r["lang"]
            if r["lang"] not in ("ja", "zh_CN"):
                docs.append({"id": r["id"], "text": r["text"]})
    keep = {d["id"] for d in docs}
    pairs = []
    with gzip.open(folder / "pairs_jaccard_ge0.5.tsv.gz", "rt") as f:
        header = f.readline().rstrip("\n").split("\t")
        ia, ib, iw = header.index("id_a"), header.index("id_b"), header.index("jaccard_word5")
        for line in f:
            p = line.rstrip("\n").split("\t")
            if p[ia] in keep and p[ib] in keep and float(p[iw]) >= THRESHOLD:
                pairs.append((p[ia], p[ib]))
    clusters = components(pairs)
    return docs, clusters, {"pairs >= 0.8": len(pairs), "clusters": len(clusters)}


def write_dataset(docs: list[dict], folder: Path, work: Path, shard_rows: int) -> Path:
    src = work / f"{folder.name}.jsonl"
    with src.open("w", encoding="utf-8") as out:
        for d in docs:
            out.write(json.dumps({"id": d["id"], "text": d["text"]}) + "\n")
    res = run_measured(
        [curate_bin(), "ingest", src, "-o", folder, "--source", "bench", "--format", "jsonl",
         "--shard-rows", shard_rows, "--quiet", "--overwrite"],
        name="ingest",
    )  # fmt: skip
    if not res.ok:
        raise SystemExit(f"ingest of the benchmark corpus failed ({res.returncode})")
    src.unlink()
    return folder


# --------------------------------------------------------------------------- tools


def run_curate(ds: Path, work: Path, workers: int) -> tuple[RunResult, set[str]]:
    out, rej = work / "curate-out", work / "curate-rej"
    res = run_measured(
        [curate_bin(), "dedup", ds, "-o", out, "--rejected", rej, "--workers", workers,
         "--overwrite", "--quiet"],
        name="curate", log=work / "curate.log",
    )  # fmt: skip
    removed: set[str] = set()
    if res.ok:
        import pyarrow.parquet as pq

        for s in json.loads((rej / "_curate.json").read_text())["shards"]:
            removed |= set(pq.read_table(rej / s["name"], columns=["id"]).column("id").to_pylist())
        res.extra["lineage"] = json.loads((out / "_curate.json").read_text())["lineage"][-1]
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(rej, ignore_errors=True)
    return res, removed


def run_datasketch(ds: Path, work: Path) -> tuple[RunResult, set[str]]:
    script = work / "datasketch_pipeline.py"
    script.write_text(DATASKETCH)
    dst = work / "datasketch-removed.json"
    res = run_measured(
        [peer_python(), script, ds, dst], name="datasketch", log=work / "datasketch.log"
    )
    removed = set(json.loads(dst.read_text())) if res.ok else set()
    return res, removed


def run_datatrove(ds: Path, work: Path, workers: int, tasks: int) -> tuple[RunResult, set[str]]:
    script = work / "datatrove_pipeline.py"
    script.write_text(DATATROVE)
    dt = work / "datatrove"
    shutil.rmtree(dt, ignore_errors=True)
    res = run_measured(
        [peer_python(), script, ds, dt, workers, tasks], name="datatrove",
        log=work / "datatrove.log", timeout=3600,
    )  # fmt: skip
    removed: set[str] = set()
    for f in (dt / "removed").glob("*.jsonl"):
        for line in f.open(encoding="utf-8"):
            removed.add(json.loads(line)["id"])
    shutil.rmtree(dt, ignore_errors=True)
    return res, removed


def run_plain(ds: Path, work: Path) -> RunResult:
    script = work / "plain_io.py"
    script.write_text(PLAIN_IO)
    res = run_measured([sys.executable, script, ds, work / "plain-out"], name="parquet r+w")
    shutil.rmtree(work / "plain-out", ignore_errors=True)
    return res


def bench_corpus(
    name: str,
    docs: list[dict],
    clusters: list[set[str]],
    work: Path,
    args: argparse.Namespace,
) -> None:
    shard_rows = max(1000, len(docs) // (4 * args.workers))
    ds = write_dataset(docs, work / f"ds-{name}", work, shard_rows)
    n = len(docs)
    tasks = len(json.loads((ds / "_curate.json").read_text())["shards"])
    loads: dict[str, str] = {}

    def timed(fn, *a):  # the 1-minute load average before and after each tool
        before = os.getloadavg()[0]
        got = fn(*a)
        res = got[0] if isinstance(got, tuple) else got
        loads[res.name] = f"{before:.1f}-{os.getloadavg()[0]:.1f}"
        return got if isinstance(got, tuple) else (got, None)

    results: list[tuple[RunResult, set[str] | None]] = [timed(run_plain, ds, work)]
    results.append(timed(run_curate, ds, work, args.workers))
    if not args.curate_only:
        results.append(timed(run_datasketch, ds, work))
        if not args.no_datatrove:
            results.append(timed(run_datatrove, ds, work, args.workers, tasks))
    must = sum(len(c) - 1 for c in clusters)
    rows = []
    speed = {}
    per_cpu = {}
    for res, removed in results:
        dps = n / res.wall_s if res.ok and res.wall_s else None
        speed[res.name] = dps
        dpc = n / res.cpu_s if res.ok and res.cpu_s else None
        per_cpu[res.name] = dpc
        if removed is None:
            p = r = "-"
            nrem = "-"
        elif not res.ok:
            p = r = nrem = f"failed ({res.returncode})"
        else:
            prec, rec, _ = precision_recall(clusters, removed)
            p, r, nrem = f"{prec:.4f}", f"{rec:.4f}", f"{len(removed):,}"
        rows.append(
            [res.name, f"{res.wall_s:.1f}", f"{dps:,.0f}" if dps else "n/a",
             f"{res.cpu_s:.1f}" if res.cpu_s else "n/a", f"{dpc:,.0f}" if dpc else "n/a",
             fmt_mb(res.peak_rss), nrem, p, r, loads.get(res.name, "")]
        )  # fmt: skip
    print_table(
        [
            "tool",
            "wall s",
            "docs/s",
            "CPU s",
            "docs/CPU-s",
            "peak RSS MB",
            "removed",
            "precision",
            "recall",
            "load",
        ],
        rows,
        title=f"{name}: {n:,} documents, {must:,} must go (true clusters at J >= {THRESHOLD})",
    )
    cur = speed.get("curate")
    for peer in ("datasketch", "datatrove", "parquet r+w"):
        if peer in speed:
            print(
                f"curate docs/s vs {peer}: {ratio(cur, speed[peer])} "
                f"(per CPU-second: {ratio(per_cpu.get('curate'), per_cpu[peer])})"
            )
    for res, _ in results:
        if res.name == "curate" and res.ok:
            facts = res.extra["lineage"].get("dedup", {})
            print(
                "curate: "
                + ", ".join(f"{k} {v}" for k, v in facts.items() if not isinstance(v, dict))
            )
            stages = facts.get("stage_seconds", {})
            if stages:
                print("curate stages (s): " + ", ".join(f"{k} {v}" for k, v in stages.items()))
        if not res.ok:
            print(f"{res.name} failed; last lines of its log:\n{res.tail(15)}")
    print()
    shutil.rmtree(ds, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA)
    ap.add_argument("--quick", action="store_true", help="10,000 planted documents")
    ap.add_argument("--size", type=int, default=None, help="planted documents (default 100k)")
    ap.add_argument("--workers", type=int, default=core_count()[1])
    ap.add_argument("--curate-only", action="store_true", help="skip the peers (1M runs)")
    ap.add_argument("--no-datatrove", action="store_true")
    ap.add_argument("--skip-debian", action="store_true")
    ap.add_argument("--skip-planted", action="store_true", help="the Debian set alone")
    ap.add_argument("--keep-work", action="store_true")
    args = ap.parse_args()
    size = args.size or (10_000 if args.quick else 100_000)
    print_machine()
    work = Path(tempfile.mkdtemp(prefix="curate-bench-dedup-"))
    try:
        if not args.skip_planted:
            docs, clusters, facts = planted(args.evaldata, size)
            print("planted corpus: " + ", ".join(f"{k} {v:,}" for k, v in facts.items()))
            print()
            bench_corpus("planted", docs, clusters, work, args)
            del docs
        if not args.skip_debian:
            docs, clusters, facts = debian(args.evaldata)
            print("debian corpus: " + ", ".join(f"{k} {v:,}" for k, v in facts.items()))
            print()
            bench_corpus("debian", docs, clusters, work, args)
    finally:
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    here = package_versions(sys.executable, ["curate", "numpy", "polars", "pyarrow"])
    print("versions (curate venv): " + ", ".join(f"{k} {v}" for k, v in here.items()))
    py = peer_python(required=False)
    if py is not None and not args.curate_only:
        peers = package_versions(py, ["datasketch", "datatrove", "numpy"])
        print("versions (peer venv): " + ", ".join(f"{k} {v}" for k, v in peers.items()))


if __name__ == "__main__":
    main()
