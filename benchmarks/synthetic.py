"""ROC AUC of `curate tag-synthetic`'s heuristic `synthetic_score` on human vs machine text.

Data: ``evaldata/ai_generated/`` (fast-detect-gpt: XSum, WritingPrompts, PubMedQA with
davinci, GPT-3.5-turbo and GPT-4 continuations; Binoculars: PubMed articles with
Falcon-7B continuations). Measured as its README asks: all whitespace collapsed (the
human fast-detect-gpt texts have no newlines, so a newline alone would give the answer
away), Binoculars' tokenised human articles de-tokenised and cut to the length of their
machine text. The fast-detect-gpt machine texts were cut by their generator at a token
limit; the score uses no end-of-text signal.

Human text of other kinds is scored too, for the false-alarm rate only: DCLM's 499
labelled web pages (``text/dclm_quality_labels``) and the demo crawl
(``sample_data/crawl.warc.gz``, ingested here: English, German, French, Spanish, Russian
and Chinese pages).

**Tuning and held-out split.** The heuristic's offset (and the centre of heuristic-v3's
repeated-trigram signal) were set on the *tuning* rows: the GPT-3.5-turbo texts and the
human texts at even positions of the fast-detect-gpt file.
Everything else is *held out*: GPT-4, davinci and Falcon-7B texts, the odd human texts,
Binoculars' PubMed, DCLM and the demo crawl. Rows are printed for both.

The detectors a user would compare against (Binoculars, Fast-DetectGPT, GPTZero) need a
language model download or a paid API. The peer here is what a user can do without one:
a supervised **fastText** classifier (word bigrams, 25 epochs) trained on the same
tuning rows, scored on the held-out ones.

    python benchmarks/synthetic.py [EVALDATA_DIR] [--quick]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_EVALDATA, print_table  # noqa: E402


def detokenise(text: str) -> str:
    """Undo the PubMed dump's tokenisation (`word , word ( x )` → `word, word (x)`)."""
    text = re.sub(r" ([.,;:!?%)\]}])", r"\1", text)
    text = re.sub(r"([(\[{]) ", r"\1", text)
    text = re.sub(r" - ", "-", text)
    return re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", text)


def collapse(text: str) -> str:
    return " ".join(text.split())


def load(base: Path) -> list[tuple[str, bool, str, str]]:
    """(text, is_machine, dataset, generator) rows; humans of fast-detect-gpt are
    `human-tune` at even and `human` at odd positions of the file."""
    rows = []
    with gzip.open(base / "fast-detect-gpt_labeled.jsonl.gz", "rt") as f:
        humans = 0
        for line in f:
            r = json.loads(line)
            gen = r["generator"]
            if r["label"] == "human":
                gen = "human-tune" if humans % 2 == 0 else "human"
                humans += 1
            rows.append((collapse(r["text"]), r["label"] == "machine", r["dataset"], gen))
    gen_key = "-fs-cml-models-Falcon-falcon-7b_generated_text_wo_prompt"
    with gzip.open(base / "binoculars_pubmed-falcon7.jsonl.gz", "rt") as f:
        for line in f:
            r = json.loads(line)
            machine = collapse(r[gen_key])
            human = collapse(detokenise(r["article"]))[: len(machine)]
            rows.append((human, False, "binoculars-pubmed", "human"))
            rows.append((machine, True, "binoculars-pubmed", "falcon-7b"))
    return rows


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half."""
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i : j + 1] = (i + j) / 2 + 1
        i = j + 1
    r = np.empty(len(s))
    r[order] = ranks
    pos = labels.astype(bool)
    n1, n0 = pos.sum(), (~pos).sum()
    if n1 == 0 or n0 == 0:
        return float("nan")
    return float((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


TUNING = ("gpt-3.5-turbo", "human-tune")


def other_humans(base: Path) -> list[tuple[str, bool, str, str]]:
    """DCLM's labelled web pages and the demo crawl's pages: human text, for false alarms."""
    rows = []
    with gzip.open(base / "text/dclm_quality_labels/majority_data.jsonl.gz", "rt") as f:
        rows += [(collapse(json.loads(line)["text"]), False, "dclm-web", "human") for line in f]
    import polars as pl

    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                str(Path(sys.executable).parent / "curate"),
                "ingest",
                str(repo / "sample_data/crawl.warc.gz"),
                "-o",
                f"{tmp}/crawl",
                "--source",
                "demo",
                "-q",
            ],
            check=True,
        )
        texts = pl.read_parquet(f"{tmp}/crawl/*.parquet")["text"].drop_nulls().to_list()
    rows += [(collapse(t), False, "demo-crawl", "human") for t in texts]
    return rows


def fasttext_peer(rows, tune: np.ndarray) -> np.ndarray:
    """P(machine) from a fastText classifier trained on the tuning rows."""
    import fasttext

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for (text, machine, _, _), t in zip(rows, tune, strict=True):
            if t:
                f.write(f"__label__{'machine' if machine else 'human'} {text.lower()}\n")
    model = fasttext.train_supervised(f.name, epoch=25, wordNgrams=2, verbose=0, seed=1)
    Path(f.name).unlink()
    out = np.empty(len(rows))
    for i, (text, *_rest) in enumerate(rows):
        preds = dict((lab, p) for p, lab in model.f.predict(text.lower() + "\n", 2, 0.0, "strict"))
        out[i] = preds.get("__label__machine", 0.0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("evaldata", nargs="?", default=str(DEFAULT_EVALDATA))
    ap.add_argument("--quick", action="store_true", help="every 4th row only")
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()
    import polars as pl

    import curate
    from curate.synthetic import heuristic_scores

    base = Path(args.evaldata)
    rows = load(base / "ai_generated") + other_humans(base)
    if args.quick:
        rows = rows[::4]
    texts = pl.Series([r[0] for r in rows], dtype=pl.String)
    y = np.array([r[1] for r in rows])
    tune = np.array([r[3] in TUNING for r in rows])
    t0 = time.perf_counter()
    s = heuristic_scores(texts)
    dt = time.perf_counter() - t0
    ft = fasttext_peer(rows, tune)
    mb = sum(len(r[0].encode()) for r in rows) / 1e6
    print(f"curate {curate.__version__}, polars {pl.__version__}; {len(rows):,} texts, {mb:.1f} MB")
    print(f"heuristic scoring: {len(rows) / dt:,.0f} docs/s, {mb / dt:.1f} MB/s (1 process)\n")
    th = args.threshold
    idx = np.arange(len(y))

    def line(name: str, mask: np.ndarray, peer: bool = True) -> list[str]:
        ys = y[mask]
        out = [name, f"{mask.sum():,}"]
        for sc in (s, ft) if peer else (s,):
            ss = sc[mask]
            hum, mac = ss[~ys], ss[ys]
            out += [
                f"{roc_auc(ss, ys):.3f}" if ys.any() and (~ys).any() else "-",
                f"{(hum > th).mean():.1%}" if len(hum) else "-",
                f"{(mac > th).mean():.1%}" if len(mac) else "-",
            ]
        return out

    held = ~tune
    table = [
        line("ALL (tuning rows included)", np.ones(len(y), bool), peer=False) + ["-"] * 3,
        line("HELD-OUT", held),
    ]
    by_ds: dict[str, list[int]] = defaultdict(list)
    by_gen: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        if held[i]:
            by_ds[r[2]].append(i)
            if r[1]:
                by_gen[(r[2], r[3])].append(i)
    for ds, ix in sorted(by_ds.items()):
        table.append(line(f"held-out {ds}", np.isin(idx, ix)))
    for (ds, gen), ix in sorted(by_gen.items()):
        humans = [i for i in by_ds[ds] if not y[i]]
        table.append(line(f"held-out {ds} vs {gen}", np.isin(idx, ix + humans)))
    table.append(line("tuning rows", tune, peer=False) + ["-"] * 3)
    print_table(
        [
            "subset",
            "texts",
            "curate AUC",
            f"human > {th}",
            f"machine > {th}",
            "fastText AUC",
            f"human > {th}",
            f"machine > {th}",
        ],
        table,
    )


if __name__ == "__main__":
    main()
