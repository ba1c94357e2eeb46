"""Benchmark: `curate filter` vs datatrove's filters, on real web text, in one run.

Input (built in a temp folder from ``--evaldata``, default ``../shared/evaldata``):
DCLM quality-label documents and Dolma CC samples (JSONL), the English pages of the
Debian installation guide, the trafilatura evaluation pages (HTML, extracted by
``curate ingest``) and the real Common Crawl / archive WARCs (``curate ingest``). Both
tools judge exactly the same texts: the ``text`` column of the ingested dataset.

Measured, same documents, same cores (``--workers``, default all usable):

* **agreement**: per family (gopher_quality, gopher_repetition, c4, fineweb_quality)
  and for the FineWeb chain, the share of documents where keep/drop matches datatrove
  (then the share where the reason matches too, via each family's reason mapping), and
  for C4 the share of kept documents whose rewritten text is identical;
* **throughput**: documents/s (wall clock; and per CPU-second, which a busy shared
  machine distorts less) of ``curate filter --filters F`` (the CLI end to end:
  Parquet in and out, worker start-up included) vs datatrove's filter objects called
  directly in a ``multiprocessing.Pool`` of the same size (no reader/writer: this
  favours datatrove), and the ratio;
* **memory**: peak RSS of the curate process tree on the chain at 1x, 10x and 20x input;
* **larger input** (``--scale N``, default 5): each family on the corpus repeated N
  times, where curate's run cache is warm (datatrove's 1x rate is used, marked);
* **language ID**: accuracy on ``langid/lingua_testdata.jsonl.gz`` per language and kind
  (sentences, word pairs, single words), curate's default model vs py3langid alone.

Run with curate's venv: ``.venv/bin/python benchmarks/filter.py [--quick]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    core_count,
    curate_bin,
    fmt_mb,
    format_table,
    package_versions,
    peer_python,
    print_machine,
    ratio,
    run_measured,
)

REPO = Path(__file__).resolve().parent.parent
FAMILIES = ["gopher_repetition", "gopher_quality", "c4", "fineweb_quality"]

PEER_SCRIPT = r"""
import json, sys, time
from multiprocessing import Pool

from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter,
)

def make(name):
    return {
        "gopher_quality": GopherQualityFilter,
        "gopher_repetition": GopherRepetitionFilter,
        "c4": C4QualityFilter,
        "c4_fineweb": lambda: C4QualityFilter(filter_no_terminal_punct=False),
        "fineweb_quality": FineWebQualityFilter,
    }[name]()

CHAIN = ["gopher_repetition", "gopher_quality", "c4_fineweb", "fineweb_quality"]
_F = {}

def run_one(args):
    names, items = args
    c0 = time.process_time()
    out = []
    for i, text in items:
        doc = Document(text=text, id=str(i))
        verdict = [None, None, None]
        for n in names:
            f = _F.get(n) or _F.setdefault(n, make(n))
            r = f.filter(doc)
            if r is True:
                continue
            if r is False:
                r = (False, None)
            verdict = [n.replace("c4_fineweb", "c4"), r[1], None]
            break
        if verdict[0] is None:
            verdict[2] = doc.text
        out.append(verdict)
    return out, time.process_time() - c0

if __name__ == "__main__":
    src, workers, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    texts = [json.loads(l) for l in open(src, encoding="utf-8")]
    items = list(enumerate(texts))
    size = max(1, len(items) // (workers * 8))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    result = {}
    with Pool(workers) as pool:
        pool.map(run_one, [(["gopher_quality"], chunks[0][:2])] * workers)  # warm-up
        for label, names in [(f, [f]) for f in
                             ["gopher_repetition", "gopher_quality", "c4", "fineweb_quality"]] \
                + [("fineweb_chain", CHAIN)]:
            t0 = time.perf_counter()
            parts = pool.map(run_one, [(names, c) for c in chunks])
            dt = time.perf_counter() - t0
            result[label] = {
                "seconds": dt,
                "cpu": sum(p[1] for p in parts),
                "decisions": [v for p in parts for v in p[0]],
            }
    json.dump(result, open(dst, "w"))
"""


# --------------------------------------------------------------------------- corpus


def build_corpus(evaldata: Path, work: Path, quick: bool, workers: int) -> Path:
    """Ingest the real text into one curate dataset; returns its folder."""
    cur = curate_bin()
    jsonl = work / "docs.jsonl"
    n = 0
    with jsonl.open("w", encoding="utf-8") as out:
        for path in [
            evaldata / "text/dclm_quality_labels/majority_data.jsonl.gz",
            *sorted((evaldata / "text/dolma_cc_samples").glob("*.jsonl.gz")),
        ]:
            for line in gzip.open(path, "rt", encoding="utf-8"):
                out.write(json.dumps({"id": f"j{n}", "text": json.loads(line)["text"]}) + "\n")
                n += 1
        per_arch = Counter()
        with lzma.open(evaldata / "text/debian_installguide_neardup/docs.jsonl.xz", "rt") as f:
            for line in f:
                r = json.loads(line)
                if r["lang"] == "en" and per_arch[r["arch"]] < (40 if quick else 110):
                    per_arch[r["arch"]] += 1
                    out.write(json.dumps({"id": f"j{n}", "text": r["text"]}) + "\n")
                    n += 1
    raw = work / "raw"
    _ok(subprocess.run([cur, "ingest", jsonl, "-o", raw, "--source", "text", "-q"]))
    html_dir = work / "html"
    with tarfile.open(evaldata / "html/trafilatura_eval_html.tar.xz") as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith((".html", ".htm"))]
        members = members[: 250 if quick else len(members)]
        tar.extractall(html_dir, members=members, filter="data")
    _ok(
        subprocess.run(
            [
                cur,
                "ingest",
                html_dir,
                "-o",
                raw,
                "--source",
                "html",
                "--append",
                "-q",
                "--workers",
                str(workers),
            ]
        )
    )
    warcs = [
        evaldata / "warc/commoncrawl/resiliparse_cc_warcfile.warc.gz",
        evaldata / "warc/webarchives/aut/example.warc.gz",
        *sorted((evaldata / "warc/webarchives").glob("dolma_wget_sample-*.warc.gz")),
    ]
    warcs = [w for w in warcs if w.exists()]
    _ok(
        subprocess.run(
            [
                cur,
                "ingest",
                *warcs,
                "-o",
                raw,
                "--source",
                "warc",
                "--append",
                "-q",
                "--workers",
                str(workers),
            ]
        )
    )
    return raw


def _ok(res: subprocess.CompletedProcess) -> None:
    if res.returncode != 0:
        raise SystemExit(f"command failed: {res.args}")


def dataset_texts(ds: Path) -> list[str]:
    import pyarrow.parquet as pq

    m = json.loads((ds / "_curate.json").read_text())
    out: list[str] = []
    for s in m["shards"]:
        out += pq.read_table(ds / s["name"], columns=["text"]).column("text").to_pylist()
    return out


def repeat_dataset(src: Path, dst: Path, times: int) -> Path:
    """A bare Parquet copy of `src` repeated `times` times (for the memory check)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    m = json.loads((src / "_curate.json").read_text())
    tables = [pq.read_table(src / s["name"]) for s in m["shards"]]
    t = pa.concat_tables(tables, promote_options="default")
    dst.mkdir(parents=True, exist_ok=True)
    # row groups of 1,000 rows, like a dataset written in batches: a reader then holds
    # one row group at a time, as it would for curate's own shards
    pq.write_table(pa.concat_tables([t] * times), dst / "part-0.parquet", row_group_size=1000)
    return dst / "part-0.parquet"


# --------------------------------------------------------------------------- curate side


def curate_decisions(texts: list[str]) -> dict[str, list[tuple]]:
    """curate's per-family and chain decisions on the same texts (library, in-process)."""
    from curate.filters import build_chain, decide, make_family

    out = {}
    for fam in FAMILIES:
        d = decide((make_family(fam, {}),), texts, [None] * len(texts))
        out[fam] = list(zip(d.family, d.reason, d.texts, strict=True))
    chain = tuple(build_chain(preset="fineweb"))
    d = decide(chain, texts, [None] * len(texts))
    out["fineweb_chain"] = list(zip(d.family, d.reason, d.texts, strict=True))
    return out


def curate_timed(raw: Path, work: Path, label: str, args: list[str], workers: int):
    out = work / f"out-{label}"
    return run_measured(
        [
            curate_bin(),
            "filter",
            raw,
            "-o",
            out,
            *args,
            "--workers",
            str(workers),
            "-q",
            "--overwrite",
        ],
        name=f"curate {label}",
        log=work / f"curate-{label}.log",
    )


# --------------------------------------------------------------------------- language ID


def langid_accuracy(evaldata: Path, quick: bool) -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from curate.filters.language import load_model, normalize_code

    rows = [
        json.loads(line) for line in gzip.open(evaldata / "langid/lingua_testdata.jsonl.gz", "rt")
    ]
    if quick:
        per: Counter = Counter()
        keep = []
        for r in rows:
            if per[(r["lang"], r["kind"])] < 100:
                per[(r["lang"], r["kind"])] += 1
                keep.append(r)
        rows = keep
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    model = load_model(None)
    t0 = time.perf_counter()
    ours = model.predict([r["text"] for r in rows])
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = [normalize_code(ident.classify(r["text"])[0]) for r in rows]
    t_base = time.perf_counter() - t0
    stats: dict = defaultdict(lambda: [0, 0, 0])  # (lang, kind) -> n, ours ok, base ok
    supported = set(normalize_code(c) for c in ident.nb_classes)
    for r, o, b in zip(rows, ours, base, strict=True):
        gold = normalize_code(r["lang"])
        top = max(o, key=o.__getitem__) if o else None
        s = stats[(gold, r["kind"])]
        s[0] += 1
        s[1] += top == gold
        s[2] += b == gold
    kinds = ["sentences", "word-pairs", "single-words"]
    table = []
    tot = {k: [0, 0, 0] for k in kinds}
    for lang in sorted({k[0] for k in stats}):
        row = [lang + ("" if lang in supported else " (not in model)")]
        for k in kinds:
            s = stats.get((lang, k))
            if not s:
                row += ["", ""]
                continue
            row += [f"{s[1] / s[0]:.3f}", f"{s[2] / s[0]:.3f}"]
            for j in range(3):
                tot[k][j] += s[j]
        table.append(row)
    table.append(
        ["ALL"]
        + [
            x
            for k in kinds
            for x in (f"{tot[k][1] / tot[k][0]:.3f}", f"{tot[k][2] / tot[k][0]:.3f}")
        ]
    )
    heads = ["lang"] + [f"{k} {w}" for k in kinds for w in ("curate", "py3langid")]
    print(
        format_table(
            heads, table, title=f"language ID accuracy ({len(rows):,} texts, lingua testdata)"
        )
    )
    weak = sorted(
        ((s[1] / s[0], lang) for (lang, k), s in stats.items() if k == "sentences" and s[0]),
    )[:8]
    print("weakest on sentences:", ", ".join(f"{lang} {acc:.2f}" for acc, lang in weak))
    print(f"time: curate {t_ours:.1f} s, py3langid classify {t_base:.1f} s")


# --------------------------------------------------------------------------- scale


def _curate_on(data: Path, out: Path, args: list[str], workers: int, name: str, log: Path):
    return run_measured(
        [curate_bin(), "filter", data, "-o", out, *args, "--workers", str(workers), "-q"],
        name=name,
        log=log,
    )


def memory_and_scale(
    raw: Path, work: Path, texts: list[str], timings: dict, peer_out: dict, w: int, scale: int
) -> None:
    """Peak RSS at 1x / 10x / 20x the input (the chain), then each family on `scale`x.

    The repeated input is one bare Parquet file of the corpus repeated (row groups of
    1,000 rows). A repeated document meets curate's warm run cache, so the `scale`x
    rates show steady state, not the cold start the 1x figures include; datatrove is
    NOT rerun on it (its spaCy tokenizer caches too), so those ratios are marked.
    """
    n = len(texts)
    rows = []
    t1 = timings["fineweb_chain"]
    rows.append(
        ["1x", f"{n:,}", f"{n / t1.wall_s:,.0f}", f"{n / t1.cpu_s:,.0f}", fmt_mb(t1.peak_rss)]
    )
    for times in (10, 20):
        big = repeat_dataset(raw, work / f"big{times}", times)
        t = _curate_on(
            big,
            work / f"out-big{times}",
            ["--preset", "fineweb"],
            w,
            f"curate {times}x",
            work / f"curate-{times}x.log",
        )
        m = times * n
        rows.append(
            [
                f"{times}x",
                f"{m:,}",
                f"{m / t.wall_s:,.0f}",
                f"{m / t.cpu_s:,.0f}",
                fmt_mb(t.peak_rss),
            ]
        )
    print(
        format_table(
            ["input", "documents", "docs/s", "docs/cpu-s", "peak RSS MB"],
            rows,
            title="memory: curate filter --preset fineweb as the input grows (process tree)",
        )
    )
    if scale <= 1:
        return
    big = repeat_dataset(raw, work / f"scale{scale}", scale)
    rows = []
    cli_args = {f: ["--filters", f] for f in FAMILIES}
    cli_args["fineweb_chain"] = ["--preset", "fineweb"]
    for label, args in cli_args.items():
        t = _curate_on(
            big,
            work / f"out-scale-{label}",
            args,
            w,
            f"curate {label} {scale}x",
            work / f"curate-scale-{label}.log",
        )
        mine = scale * n / t.cpu_s if t.cpu_s else None
        theirs = n / peer_out[label]["cpu"]
        rows.append(
            [
                label,
                f"{scale * n / t.wall_s:,.0f}",
                f"{mine:,.0f}" if mine else "",
                f"{theirs:,.0f}",
                ratio(mine, theirs) + " *",
            ]
        )
    print(
        format_table(
            [
                "family",
                "curate docs/s",
                "curate docs/cpu-s",
                "datatrove docs/cpu-s (1x)",
                "cpu ratio",
            ],
            rows,
            title=f"larger input: the corpus repeated {scale}x ({scale * n:,} docs, {w} workers); "
            "* datatrove not rerun at this size, its 1x rate is used",
        )
    )


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--evaldata", type=Path, default=REPO.parent / "shared" / "evaldata")
    ap.add_argument("--quick", action="store_true", help="fewer documents, no memory/scale runs")
    ap.add_argument(
        "--scale",
        type=int,
        default=5,
        help="also time each family on the corpus repeated this many times (1: skip)",
    )
    ap.add_argument("--workers", type=int, default=core_count()[1])
    ap.add_argument("--skip-langid", action="store_true")
    args = ap.parse_args()
    peer = peer_python()
    w = args.workers
    print_machine()
    with tempfile.TemporaryDirectory(prefix="curate-bench-filter-") as tmp:
        work = Path(tmp)
        raw = build_corpus(args.evaldata, work, args.quick, w)
        texts = dataset_texts(raw)
        print(f"documents: {len(texts):,} ({sum(map(len, texts)) / 1e6:.1f} M characters)")
        src = work / "texts.jsonl"
        src.write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")

        # datatrove: decisions and timing in one pass per family
        res = subprocess.run(
            [peer, "-c", PEER_SCRIPT, src, str(w), work / "peer.json"],
            capture_output=True,
            text=True,
        )
        if res.returncode != 0:
            raise SystemExit(f"datatrove run failed:\n{res.stderr[-3000:]}")
        peer_out = json.loads((work / "peer.json").read_text())

        ours = curate_decisions(texts)
        from curate.filters import FAMILIES as REG

        rows = []
        labels = [*FAMILIES, "fineweb_chain"]
        cli_args = {f: ["--filters", f] for f in FAMILIES}
        cli_args["fineweb_chain"] = ["--preset", "fineweb"]
        timings = {}
        for label in labels:
            timings[label] = curate_timed(raw, work, label, cli_args[label], w)
        for label in labels:
            theirs = peer_out[label]["decisions"]
            mine = ours[label]
            same = same_reason = 0
            text_same = text_n = 0
            for (fam, why, text), (pfam, pwhy, ptext) in zip(mine, theirs, strict=True):
                keep_a, keep_b = fam is None, pfam is None
                if keep_a == keep_b:
                    same += 1
                    if keep_a:
                        same_reason += 1
                        text_n += 1
                        text_same += text == ptext
                    else:
                        mapped = REG[fam].datatrove_reasons.get(why, why)
                        same_reason += fam == pfam and mapped == pwhy
            n = len(texts)
            t = timings[label]
            ours_dps = n / t.wall_s if t.ok else None
            peer_dps = n / peer_out[label]["seconds"]
            ours_cpu = n / t.cpu_s if t.ok and t.cpu_s else None
            peer_cpu = n / peer_out[label]["cpu"] if peer_out[label]["cpu"] else None
            rows.append(
                [
                    label,
                    f"{same / n:.2%}",
                    f"{same_reason / n:.2%}",
                    f"{text_same / text_n:.2%}"
                    if label in ("c4", "fineweb_chain") and text_n
                    else "",
                    f"{sum(1 for m in mine if m[0] is None):,}",
                    f"{sum(1 for m in theirs if m[0] is None):,}",
                    f"{ours_dps:,.0f}" if ours_dps else "failed",
                    f"{peer_dps:,.0f}",
                    ratio(ours_dps, peer_dps),
                    f"{ours_cpu:,.0f}" if ours_cpu else "",
                    f"{peer_cpu:,.0f}" if peer_cpu else "",
                    ratio(ours_cpu, peer_cpu),
                    fmt_mb(t.peak_rss),
                ]
            )
        print(
            format_table(
                [
                    "family",
                    "keep/drop agree",
                    "+reason agree",
                    "c4 text same",
                    "kept curate",
                    "kept datatrove",
                    "curate docs/s",
                    "datatrove docs/s",
                    "ratio",
                    "curate docs/cpu-s",
                    "datatrove docs/cpu-s",
                    "cpu ratio",
                    "curate peak MB",
                ],
                rows,
                title=f"curate filter vs datatrove ({len(texts):,} docs, {w} workers)",
            )
        )
        for label in labels:
            diffs = [
                (m, p)
                for m, p in zip(ours[label], peer_out[label]["decisions"], strict=True)
                if (m[0] is None) != (p[0] is None)
            ]
            if diffs:
                c = Counter((m[1], p[1]) for m, p in diffs)
                print(f"  {label} disagreements (curate reason, datatrove reason): {dict(c)}")

        if not args.quick:
            memory_and_scale(raw, work, texts, timings, peer_out, w, args.scale)
    if not args.skip_langid:
        langid_accuracy(args.evaldata, args.quick)
    mine = package_versions(sys.executable, ["curate", "py3langid", "pyarrow", "numpy"])
    theirs = package_versions(peer, ["datatrove", "spacy", "numpy"])
    print("versions: " + ", ".join(f"{k} {v}" for k, v in {**mine, **theirs}.items()))


if __name__ == "__main__":
    main()
