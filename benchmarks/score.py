"""Benchmark: `curate score` (signals, fastText) vs datatrove's fastText filter; classifier AUC.

Input: the DCLM human-labelled web documents in
``<evaldata>/text/dclm_quality_labels/majority_data.jsonl.gz`` (499 documents, median
1.4 k characters), copied ``--repeat`` times into ``--shards`` Parquet shards with new ids.

1. **Throughput**, one run of each, same shards, same ``--workers`` (default 2):

   * ``curate score IN -o OUT --workers W -q`` (the ``q_*`` signals only);
   * ``curate score IN -o OUT --no-signals --model M --column quality --workers W -q``;
   * datatrove (peer venv): ``ParquetReader -> FastTextClassifierFilter(M,
     keep_labels=("1", 0.0), newline_replacement=" ") -> JsonlWriter(compression=None)``
     under ``LocalPipelineExecutor(tasks=shards, workers=W)``. Keeping documents whose
     ``__label__1`` score is at least 0 annotates and keeps every document, like
     ``curate score`` (given no labels at all, datatrove 0.10.1 raises a TypeError);
     ``newline_replacement=" "`` makes it see the text curate sees (its default, ``""``,
     glues the words on either side of a newline together). Its ``ParquetWriter`` cannot
     write this output: the label scores land in ``metadata`` in probability order, so
     the struct's field order changes between documents and pyarrow refuses the second
     batch; hence JSONL, uncompressed, the cheapest writer it has.

   The model M (the same file for both) is trained in a temp folder on the labelled
   documents themselves, by ``curate train-classifier`` with ``--dim 256 --bucket 2000000``
   (the shape of DCLM's published classifier: 256 dimensions, word bigrams, 2 M buckets;
   ``--quick`` uses 100 and 200 000). It is never kept. A first datatrove run on one shard
   warms its model cache (datatrove copies the model there), outside the timing.
   Printed: docs/s, MB/s, peak memory, CPU, the ratio to datatrove, and how far the two
   tools' probabilities are apart on the same documents.

2. **Held-out AUC** of ``curate train-classifier --input DS --label-column label --seed S``
   (its own defaults) against fastText trained directly on the same split with the
   supervised tutorial's recipe (``lr=1.0, epoch=25, wordNgrams=2, bucket=200000,
   dim=50``; texts with newlines as spaces), for ``--seeds`` seeds, each scored on the held
   out documents. ``majority_data`` and the ``agreement_data`` subset are both measured.

Run it with curate's venv: ``.venv/bin/python benchmarks/score.py [--quick]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_EVALDATA,
    MB,
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
    shell_quote,
)

LABELLED = "text/dclm_quality_labels/{name}_data.jsonl.gz"

DATATROVE_SCRIPT = """\
import sys

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.filters import FastTextClassifierFilter
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.writers import JsonlWriter

if __name__ == "__main__":  # required: the executor starts workers with forkserver
    input_dir, output_dir, logging_dir, model, label, tasks, workers = sys.argv[1:8]
    LocalPipelineExecutor(
        pipeline=[
            ParquetReader(input_dir, glob_pattern="*.parquet"),
            FastTextClassifierFilter(model, keep_labels=(label, 0.0), newline_replacement=" "),
            JsonlWriter(output_dir, compression=None),
        ],
        tasks=int(tasks),
        workers=int(workers),
        logging_dir=logging_dir,
    ).run()
"""

PEER_ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "TQDM_DISABLE": "1"}


def read_labelled(evaldata: Path, name: str) -> list[dict]:
    path = evaldata / LABELLED.format(name=name)
    if not path.exists():
        raise SystemExit(f"{path} not found: pass --evaldata PATH (see evaldata/README.md)")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def stage_corpus(docs: list[dict], repeat: int, shards: int, dest: Path) -> tuple[int, int]:
    """`repeat` copies of the documents (new ids) in `shards` Parquet files: (docs, bytes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    dest.mkdir(parents=True)
    texts = [d["text"] for d in docs] * repeat
    ids = [f"doc{i:07d}" for i in range(len(texts))]
    per = -(-len(texts) // shards)
    for k in range(shards):
        sl = slice(k * per, (k + 1) * per)
        table = pa.table(
            {
                "id": ids[sl],
                "text": pa.array(texts[sl], pa.large_string()),
                "source": ["dclm"] * len(ids[sl]),
            }
        )
        pq.write_table(table, dest / f"part-{k:05d}.parquet")
    return len(texts), sum(len(t.encode()) for t in texts)


def write_labelled(docs: list[dict], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "id": [f"d{i}" for i in range(len(docs))],
            "text": pa.array([d["text"] for d in docs], pa.large_string()),
            "label": [int(d["label"]) for d in docs],
        }
    )
    pq.write_table(table, path)


# --------------------------------------------------------------------------- throughput


def run_curate(args: list[str], name: str, log: Path) -> RunResult:
    res = run_measured([curate_bin(), *args], name=name, log=log)
    if not res.ok:
        print(f"{name} failed (exit {res.returncode}):\n{res.tail()}")
    return res


def run_datatrove(
    tmp: Path,
    input_dir: Path,
    out: Path,
    model: Path,
    label: str,
    tasks: int,
    workers: int,
    name: str,
) -> RunResult:
    script = tmp / "datatrove_score.py"
    script.write_text(DATATROVE_SCRIPT)
    logs = tmp / f"{name}-logs"
    env = {**PEER_ENV, "HF_HOME": str(tmp / "hf-home")}
    cmd = [peer_python(), script, input_dir, out, logs, model, label, str(tasks), str(workers)]
    res = run_measured(cmd, name=name, log=tmp / f"{name}.log", env=env)
    if not res.ok:
        print(f"{name} failed (exit {res.returncode}):\n{res.tail()}")
    return res


def curate_scores(folder: Path, column: str) -> dict[str, float]:
    import polars as pl

    df = pl.read_parquet(folder / "*.parquet", columns=["id", column])
    return dict(zip(df["id"].to_list(), df[column].to_list(), strict=True))


def datatrove_scores(folder: Path, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for p in sorted(folder.rglob("*.jsonl*")):
        with open(p, encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                out[row["id"]] = (row.get("metadata") or {}).get(label)
    return out


def train_model(args: argparse.Namespace, labelled: Path, tmp: Path) -> Path | None:
    """A model of DCLM's classifier's shape, trained on the labelled documents (temp only)."""
    model = tmp / "model" / "dclm_like.bin"
    dim, bucket = ("100", "200000") if args.quick else ("256", "2000000")
    train = [
        "train-classifier", "--input", labelled, "--label-column", "label", "-o", model,
        "--dim", dim, "--bucket", bucket, "--workers", str(args.workers), "-q",
    ]  # fmt: skip
    res = run_curate([str(a) for a in train], "train", tmp / "train.log")
    if not res.ok:
        return None
    print(f"model: {model.stat().st_size / MB:,.0f} MB (dim {dim}, {bucket} buckets, bigrams)")
    return model


def throughput(args: argparse.Namespace, docs: list[dict], tmp: Path) -> None:
    corpus = tmp / "corpus"
    n_docs, n_bytes = stage_corpus(docs, args.repeat, args.shards, corpus)
    print(
        f"input: {n_docs:,} documents ({args.repeat} copies of {len(docs)} DCLM documents), "
        f"{n_bytes / MB:.1f} MB of text, {args.shards} shards"
    )
    labelled = tmp / "labelled.parquet"
    write_labelled(docs, labelled)
    if args.model is not None:
        model = args.model
        print(f"model: {model} ({model.stat().st_size / MB:,.0f} MB, given with --model)")
    else:
        model = train_model(args, labelled, tmp)
        if model is None:
            return
    w = str(args.workers)
    runs: list[tuple[str, RunResult]] = []
    sig = run_curate(
        ["score", str(corpus), "-o", str(tmp / "sig"), "--workers", w, "-q"],
        "curate score (signals)",
        tmp / "sig.log",
    )
    runs.append(("curate score: q_* signals", sig))
    ft_args = ["--no-signals", "--model", str(model), "--label", args.label, "--column", "quality"]
    ft = run_curate(
        ["score", str(corpus), "-o", str(tmp / "ft"), *ft_args, "--workers", w, "-q"],
        "curate score (fastText)",
        tmp / "ft.log",
    )
    runs.append(("curate score: fastText", ft))
    dt_res = None
    if peer_python(required=False) is not None:
        warm = tmp / "warm"
        warm.mkdir()
        shutil.copy(corpus / "part-00000.parquet", warm / "part-00000.parquet")
        run_datatrove(tmp, warm, tmp / "dt-warm", model, args.label, 1, 1, "datatrove-warmup")
        dt_res = run_datatrove(
            tmp, corpus, tmp / "dt", model, args.label, args.shards, args.workers, "datatrove"
        )
        runs.append(("datatrove FastTextClassifierFilter", dt_res))
    else:
        print("peer venv missing: datatrove not measured (bash benchmarks/make_peer_env.sh)")
    rows = []
    dt_ok = dt_res is not None and dt_res.ok
    for label, r in runs:
        ok = r.ok
        rows.append(
            [
                label,
                f"{r.wall_s:.1f}" if ok else "failed",
                f"{n_docs / r.wall_s:,.0f}" if ok else "",
                f"{n_bytes / MB / r.wall_s:.2f}" if ok else "",
                fmt_mb(r.peak_pss or r.peak_rss),
                f"{r.cpu_s:.1f}",
                f"{n_docs / r.cpu_s:,.0f}" if ok and r.cpu_s else "",
                ratio(dt_res.wall_s, r.wall_s) if dt_ok and ok else "",
                ratio(dt_res.cpu_s, r.cpu_s) if dt_ok and ok else "",
            ]
        )
    print()
    print_table(
        [
            "tool", "wall s", "docs/s", "MB/s", "peak MB (PSS)", "CPU s", "docs/CPU-s",
            "wall vs dt", "CPU vs dt",
        ],
        rows,
        title=f"throughput, {args.workers} workers, {n_docs:,} documents",
    )  # fmt: skip
    print(
        "wall vs dt = datatrove wall / tool wall; CPU vs dt = datatrove CPU / tool CPU (the "
        "machine is shared: CPU seconds are the steadier measure of work when it is loaded)"
    )
    if ft.ok and dt_res is not None and dt_res.ok:
        a = curate_scores(tmp / "ft", "quality")
        b = datatrove_scores(tmp / "dt", f"__label__{args.label}")
        common = [k for k in a if k in b and a[k] is not None and b[k] is not None]
        diffs = [abs(a[k] - b[k]) for k in common]
        same = sum((a[k] >= 0.5) == (b[k] >= 0.5) for k in common)
        print(
            f"agreement: {len(common):,} documents scored by both "
            f"(curate {len(a):,}, datatrove {len(b):,}); max |p_curate - p_datatrove| = "
            f"{max(diffs):.2e} (fastText adds 1e-5 to every probability); same side of 0.5: "
            f"{same / max(len(common), 1):.2%}"
        )
    for label, r in runs:
        print(f"  {label}: {shell_quote(r.cmd)}")
    print()


# --------------------------------------------------------------------------- AUC


def direct_fasttext_auc(docs: list[dict], test: list[bool], tmp: Path) -> float:
    """fastText trained by hand on the same training rows (tutorial recipe), held-out AUC."""
    import fasttext
    import numpy as np

    from curate.score.train import roc_auc

    train_txt = tmp / "direct.txt"
    with train_txt.open("w", encoding="utf-8") as fh:
        for d, t in zip(docs, test, strict=True):
            if not t:
                fh.write(f"__label__{d['label']} " + d["text"].replace("\n", " ") + "\n")
    model = fasttext.train_supervised(
        str(train_txt), lr=1.0, epoch=25, wordNgrams=2, bucket=200000, dim=50,
        thread=1, seed=0, verbose=0,
    )  # fmt: skip
    y, s = [], []
    for d, t in zip(docs, test, strict=True):
        if t:
            line = d["text"].replace("\n", " ") + "\n"
            preds = {lab: p for p, lab in model.f.predict(line, -1, 0.0, "strict")}
            y.append(int(d["label"]) == 1)
            s.append(preds.get("__label__1", 0.0))
    return float(roc_auc(np.array(y), np.array(s)))


def curate_split(n: int, seed: int, fraction: float = 0.2) -> list[bool]:
    """The held-out rows `curate train-classifier --seed S` draws (one batch: n < 10,000)."""
    import numpy as np

    return list(np.random.default_rng(seed).random(n) < fraction)


def auc_check(args: argparse.Namespace, tmp: Path) -> None:
    import random

    rows = []
    majority = read_labelled(args.evaldata, "majority")
    sets = [
        ("majority", majority),
        ("majority, 250 drawn", random.Random(0).sample(majority, 250)),
        ("agreement", read_labelled(args.evaldata, "agreement")),
    ]
    tune = ["--autotune", str(args.autotune)] if args.autotune else []
    for name, docs in sets:
        labelled = tmp / "labelled.parquet"
        write_labelled(docs, labelled)
        cur, tuned, direct = [], [], []
        for seed in range(args.seeds):
            for extra, got in (([], cur), (tune, tuned)):
                if got is tuned and not tune:
                    continue
                out = tmp / f"auc-{seed}.bin"
                cmd = [
                    "train-classifier", "--input", labelled, "--label-column", "label",
                    "-o", out, "--seed", seed, "--workers", "1", "-q", "--overwrite", *extra,
                ]  # fmt: skip
                res = run_curate([str(c) for c in cmd], "train", tmp / "auc.log")
                if not res.ok:
                    return
                card = json.loads(out.with_suffix(".json").read_text())
                got.append(card["metrics"]["auc"])
            direct.append(direct_fasttext_auc(docs, curate_split(len(docs), seed), tmp))
        mean_c, mean_d = sum(cur) / len(cur), sum(direct) / len(direct)
        row = [
            f"{name} ({len(docs)} docs)",
            " ".join(f"{x:.3f}" for x in cur),
            f"{mean_c:.3f}",
            " ".join(f"{x:.3f}" for x in direct),
            f"{mean_d:.3f}",
            f"{mean_c - mean_d:+.3f}",
        ]
        if tune:
            row.append(f"{sum(tuned) / len(tuned):.3f}")
        rows.append(row)
    head = ["labelled set", "curate AUC per seed", "mean", "direct fastText per seed", "mean"]
    head.append("diff")
    if tune:
        head.append(f"curate --autotune {args.autotune} mean")
    print_table(head, rows, title=f"held-out ROC AUC (20% held out, seeds 0..{args.seeds - 1})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA)
    ap.add_argument("--quick", action="store_true", help="small corpus and model, 2 seeds")
    ap.add_argument("--repeat", type=int, help="copies of the 499 documents (default 40)")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", type=int, help="AUC seeds (default 5)")
    ap.add_argument("--no-auc", action="store_true")
    ap.add_argument(
        "--autotune", type=int, default=0, help="also train with --autotune SECONDS (AUC table)"
    )
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    ap.add_argument("--model", type=Path, help="score with this model instead of training one")
    ap.add_argument("--label", default="1", help="label to score (without __label__)")
    args = ap.parse_args()
    args.repeat = args.repeat or (4 if args.quick else 40)
    args.seeds = args.seeds or (2 if args.quick else 5)
    print_machine()
    total, usable = core_count()
    print(f"workers: {args.workers} (cores usable: {usable})")
    tmp = Path(tempfile.mkdtemp(prefix="curate-bench-score-"))
    try:
        docs = read_labelled(args.evaldata, "majority")
        if not args.no_speed:
            throughput(args, docs, tmp)
        if not args.no_auc:
            auc_check(args, tmp)
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    names = ["curate", "polars", "pyarrow", "numpy", "scipy", "fasttext-wheel"]
    versions = package_versions(sys.executable, names)
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    peer = peer_python(required=False)
    if peer is not None:
        pv = package_versions(peer, ["datatrove", "fasttext-numpy2-wheel", "numpy", "pyarrow"])
        print("peer: " + ", ".join(f"{k} {v}" for k, v in pv.items()))


if __name__ == "__main__":
    main()
