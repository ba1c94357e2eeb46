"""ROC AUC of `curate tag-synthetic`'s heuristic `synthetic_score` on human vs machine text.

Data: ``evaldata/ai_generated/`` (fast-detect-gpt: XSum, WritingPrompts, PubMedQA with
davinci, GPT-3.5-turbo and GPT-4 continuations; Binoculars: PubMed articles with
Falcon-7B continuations). Measured as its README asks: all whitespace collapsed (the
human fast-detect-gpt texts have no newlines, so a newline alone would give the answer
away), Binoculars' tokenised human articles de-tokenised and cut to the length of their
machine text. The fast-detect-gpt machine texts were cut by their generator at a token
limit; the score uses no end-of-text signal.

There is no peer here: the detectors a user would compare against (Binoculars,
Fast-DetectGPT, GPTZero) need a language model download or a paid API.

    python benchmarks/synthetic.py [EVALDATA_DIR] [--quick]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
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
    """(text, is_machine, dataset, generator) rows."""
    rows = []
    with gzip.open(base / "fast-detect-gpt_labeled.jsonl.gz", "rt") as f:
        for line in f:
            r = json.loads(line)
            rows.append(
                (collapse(r["text"]), r["label"] == "machine", r["dataset"], r["generator"])
            )
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("evaldata", nargs="?", default=str(DEFAULT_EVALDATA))
    ap.add_argument("--quick", action="store_true", help="every 4th row only")
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()
    import polars as pl

    import curate
    from curate.synthetic import heuristic_scores

    rows = load(Path(args.evaldata) / "ai_generated")
    if args.quick:
        rows = rows[::4]
    texts = pl.Series([r[0] for r in rows], dtype=pl.String)
    y = np.array([r[1] for r in rows])
    t0 = time.perf_counter()
    s = heuristic_scores(texts)
    dt = time.perf_counter() - t0
    mb = sum(len(r[0].encode()) for r in rows) / 1e6
    print(f"curate {curate.__version__}, polars {pl.__version__}; {len(rows):,} texts, {mb:.1f} MB")
    print(f"heuristic scoring: {len(rows) / dt:,.0f} docs/s, {mb / dt:.1f} MB/s (1 process)\n")
    table = []
    th = args.threshold

    def line(name: str, mask: np.ndarray) -> list[str]:
        ys, ss = y[mask], s[mask]
        hum, mac = ss[~ys], ss[ys]
        return [
            name,
            f"{mask.sum():,}",
            f"{roc_auc(ss, ys):.3f}" if ys.any() and (~ys).any() else "-",
            f"{(hum > th).mean():.1%}" if len(hum) else "-",
            f"{(mac > th).mean():.1%}" if len(mac) else "-",
        ]

    table.append(line("ALL", np.ones(len(y), bool)))
    by_ds: dict[str, list[int]] = defaultdict(list)
    by_gen: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_ds[r[2]].append(i)
        if r[1]:
            by_gen[(r[2], r[3])].append(i)
    for ds, idx in sorted(by_ds.items()):
        table.append(line(ds, np.isin(np.arange(len(y)), idx)))
    for (ds, gen), idx in sorted(by_gen.items()):
        humans = [i for i in by_ds[ds] if not y[i]]
        table.append(line(f"{ds} vs {gen}", np.isin(np.arange(len(y)), idx + humans)))
    print_table(["subset", "texts", "ROC AUC", f"human > {th}", f"machine > {th}"], table)


if __name__ == "__main__":
    main()
