"""ROC AUC of `curate tag-synthetic`'s heuristic `synthetic_score` on human vs machine text.

Data: ``evaldata/ai_generated/`` (fast-detect-gpt: XSum, WritingPrompts, PubMedQA with
davinci, GPT-3.5-turbo and GPT-4 continuations; Binoculars: PubMed articles with
Falcon-7B continuations). Measured as its README asks: all whitespace collapsed (the
human fast-detect-gpt texts have no newlines, so a newline alone would give the answer
away), Binoculars' tokenised human articles de-tokenised and cut to the length of their
machine text. The fast-detect-gpt machine texts were cut by their generator at a token
limit; the score uses no end-of-text signal.

Human text of other kinds: English web pages as curate extracts them (``html/``: the
Article Extraction Benchmark's 181 gold article bodies and the trafilatura evaluation
pages marked English), DCLM's 499 labelled web pages (``text/dclm_quality_labels``,
false alarms only) and the demo crawl (``sample_data/crawl.warc.gz``, ingested here: six
languages; its 20 planted machine-written pages, listed in its manifest, are machine).

**Tuning and held-out split.** The heuristic's signals, weights, centres and offset were
set on the *tuning* half. Texts are grouped by dataset and first eight words (the
fast-detect-gpt files hold each human text once per generator, cut to different lengths,
and every machine text continues the opening of its human one), and a group is tuned on
when the first byte of the SHA-1 of its key is even; web pages are split the same way by
``aeb/<key>`` or ``trafilatura/<file>``. Every generator is in both halves. Everything
else is *held out*: the other half, DCLM and the demo crawl. ``--fit`` refits the weights
on the tuning half (logistic regression, L2, on the clipped z-scores, web pages weighted
``WEB_WEIGHT``) and prints them beside curate's; ``synthetic_select.py`` shows how the
signals and ``WEB_WEIGHT`` were chosen.

The detectors a user would compare against (Binoculars, Fast-DetectGPT, GPTZero) need a
language model download or a paid API. The peer here is what a user can do without one:
a supervised **fastText** classifier (word bigrams, 25 epochs) trained on the same
tuning rows, scored on the held-out ones.

    python benchmarks/synthetic.py [EVALDATA_DIR] [--quick] [--fit]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

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


class Row(NamedTuple):
    """One scored text. `group` keys the split (None: held out whole, as DCLM and the
    demo crawl are)."""

    text: str
    machine: bool
    dataset: str
    generator: str
    group: str | None

    @property
    def tune(self) -> bool:
        return self.group is not None and tuning_half(self.group)


def tuning_half(key: str) -> bool:
    """The split: a group of texts is tuned on when its key's SHA-1 starts even."""
    return hashlib.sha1(key.encode()).digest()[0] % 2 == 0


def group_key(dataset: str, text: str) -> str:
    """Texts that open with the same eight words belong together: the fast-detect-gpt
    files hold each human text once per generator, cut to different lengths, and every
    machine text continues the opening of its human one."""
    return f"{dataset}/{' '.join(text.lower().split()[:8])}"


def load(base: Path) -> list[Row]:
    """Labelled rows; a human text, its copies and its continuations share one group."""
    with gzip.open(base / "fast-detect-gpt_labeled.jsonl.gz", "rt") as f:
        records = [json.loads(line) for line in f]
    group = {r["id"]: group_key(r["dataset"], r["text"]) for r in records if r["label"] == "human"}
    rows = []
    for r in records:
        machine = r["label"] == "machine"
        key = group[r["human_counterpart_id"] if machine else r["id"]]
        rows.append(Row(collapse(r["text"]), machine, r["dataset"], r["generator"], key))
    gen_key = "-fs-cml-models-Falcon-falcon-7b_generated_text_wo_prompt"
    with gzip.open(base / "binoculars_pubmed-falcon7.jsonl.gz", "rt") as f:
        for line in f:
            r = json.loads(line)
            machine = collapse(r[gen_key])
            human = collapse(detokenise(r["article"]))[: len(machine)]
            key = group_key("binoculars-pubmed", human)
            rows.append(Row(human, False, "binoculars-pubmed", "human", key))
            rows.append(Row(machine, True, "binoculars-pubmed", "falcon-7b", key))
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


LABELLED = ("xsum", "writing", "pubmed", "binoculars-pubmed")  # evaldata/ai_generated
WEB = ("aeb-news", "trafilatura-web")  # web pages on both sides of the split
# How much a tuning web page counts in the fit, against 1 for a labelled text: pages could
# teach the fit what human web text looks like (the labelled pairs have none). Chosen by
# benchmarks/synthetic_select.py on the tuning half: the weight with the best
# cross-validated AUC on labelled text among those flagging at most 5% of the web pages.
# At 0 the pages still set the centres and spreads and check the false alarms.
WEB_WEIGHT = 0.0
# The offset flags this share of the labelled tuning human texts at the default threshold:
# `curate report`'s default synthetic_tolerance, so that a human source stays under it.
FLAGGED_HUMANS = 0.05


def web_pages(base: Path) -> list[Row]:
    """English web pages as curate extracts them: the Article Extraction Benchmark's gold
    article bodies, and the trafilatura evaluation pages marked `lang="en"` (50 words or
    more), each in the half its file name's SHA-1 says."""
    import tarfile

    from curate.ingest.extract import extract

    rows = []
    aeb = json.loads((base / "html/scrapinghub_aeb/ground-truth.json").read_text())
    for key, page in sorted(aeb.items()):
        text = collapse(page.get("articleBody") or "")
        if text:
            rows.append(Row(text, False, "aeb-news", "human", f"aeb/{key}"))
    with tarfile.open(base / "html/trafilatura_eval_html.tar.xz") as tar:
        for member in tar:  # in stream order: going back would decompress it again
            f = tar.extractfile(member) if member.name.endswith(".html") else None
            page = extract(f.read()) if f else None
            if page is None or (page.html_lang or "").split("-")[0].lower() != "en":
                continue
            text = collapse(page.text)
            if len(text.split()) >= 50:
                key = f"trafilatura/{member.name}"
                rows.append(Row(text, False, "trafilatura-web", "human", key))
    return rows


def other_texts(base: Path) -> list[Row]:
    """Held-out texts of other kinds: DCLM's labelled web pages (human), and the demo
    crawl's pages, machine-written where its manifest of planted cases says so."""
    rows = []
    with gzip.open(base / "text/dclm_quality_labels/majority_data.jsonl.gz", "rt") as f:
        texts = [collapse(json.loads(line)["text"]) for line in f]
    rows += [Row(t, False, "dclm-web", "human", None) for t in texts]
    import polars as pl

    repo = Path(__file__).resolve().parent.parent
    planted = json.loads((repo / "sample_data/manifest_of_planted_cases.json").read_text())
    machine = {p["url"] for p in planted["pages"] if p["kind"] == "machine_generated"}
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
        pages = pl.read_parquet(f"{tmp}/crawl/*.parquet").drop_nulls("text")
    for text, url in zip(pages["text"], pages["url"], strict=True):
        is_machine = url in machine
        gen = "demo-template" if is_machine else "human"
        rows.append(Row(collapse(text), is_machine, "demo-crawl", gen, None))
    return rows


def fasttext_peer(rows: list[Row]) -> np.ndarray:
    """P(machine) from a fastText classifier trained on the tuning rows."""
    import fasttext

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for r in rows:
            if r.tune:
                f.write(f"__label__{'machine' if r.machine else 'human'} {r.text.lower()}\n")
    model = fasttext.train_supervised(f.name, epoch=25, wordNgrams=2, verbose=0, seed=1)
    Path(f.name).unlink()
    out = np.empty(len(rows))
    for i, r in enumerate(rows):
        pairs = model.f.predict(r.text.lower() + "\n", 2, 0.0, "strict")
        out[i] = dict((lab, p) for p, lab in pairs).get("__label__machine", 0.0)
    return out


def offset_flagging(logits: np.ndarray, share: float) -> float:
    """The largest offset that puts at most `share` of these texts above 0.5 (counted, not
    interpolated: rounding it down to 0.05 keeps the promise)."""
    allowed = int(np.floor(share * len(logits)))
    return float(-np.sort(logits)[::-1][allowed])


def logistic_fit(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray, c: float = 1.0
) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression (penalty |w|²/2c, intercept free, rows weighted) by
    Newton steps."""
    a = np.column_stack([x, np.ones(len(x))])
    w = np.zeros(a.shape[1])
    reg = np.full(a.shape[1], 1.0 / c)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(a @ w)))
        grad = a.T @ (weight * (p - y)) + reg * w
        hess = (a * (weight * p * (1 - p))[:, None]).T @ a + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def fit(rows: list[Row]) -> None:
    """Refit the heuristic's weights on the tuning half and print them beside curate's."""
    import polars as pl

    from curate.synthetic import OFFSET, SIGNALS, clipped_z, signal_frame, signal_logits

    tune = [r for r in rows if r.tune]
    f = signal_frame(pl.Series([r.text for r in tune], dtype=pl.String))
    y = np.array([r.machine for r in tune], dtype=float)
    web = np.array([r.dataset in WEB for r in tune])
    x = np.column_stack([f[s.name].to_numpy() for s in SIGNALS])
    centre, scale = x.mean(axis=0), x.std(axis=0)
    w, _ = logistic_fit(clipped_z(x, centre, scale), y, np.where(web, WEB_WEIGHT, 1.0))
    print(
        f"{len(tune):,} tuning texts ({web.sum()} of them web pages, weight {WEB_WEIGHT}); "
        "fitted on z-scores clipped to ±3\n"
    )
    print_table(
        ["signal", "fitted weight", "curate", "centre", "curate", "scale", "curate"],
        [
            [s.name, f"{wi:+.3f}", f"{s.weight:+.2f}", f"{c:.4g}", f"{s.centre:.4g}"]
            + [f"{sc:.4g}", f"{s.scale:.4g}"]
            for s, wi, c, sc in zip(SIGNALS, w, centre, scale, strict=True)
        ],
    )
    print("\nrounded as curate keeps them (weights to 0.05, centre and scale to two figures):")
    for sig, wi, c, sc in zip(SIGNALS, w, centre, scale, strict=True):
        print(
            f'    Signal("{sig.name}", {round(wi * 20) / 20:+.2f}, {float(f"{c:.2g}")!r}, '
            f"{float(f'{sc:.2g}')!r}),"
        )
    humans = signal_logits(f)[(y == 0) & ~web]
    print(
        f"\noffset putting {FLAGGED_HUMANS:.0%} of the labelled tuning human texts above 0.5 "
        f"with curate's weights: {offset_flagging(humans, FLAGGED_HUMANS):+.3f} "
        f"(curate: {OFFSET:+.2f}, rounded down to 0.05)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("evaldata", nargs="?", default=str(DEFAULT_EVALDATA))
    ap.add_argument("--quick", action="store_true", help="every 4th row only")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--fit", action="store_true", help="refit the weights on the tuning half")
    args = ap.parse_args()
    import polars as pl

    import curate
    from curate.synthetic import heuristic_scores

    base = Path(args.evaldata)
    rows = load(base / "ai_generated") + web_pages(base) + other_texts(base)
    if args.quick:
        rows = rows[::4]
    if args.fit:
        fit(rows)
        return
    texts = pl.Series([r.text for r in rows], dtype=pl.String)
    y = np.array([r.machine for r in rows])
    tune = np.array([r.tune for r in rows])
    t0 = time.perf_counter()
    s = heuristic_scores(texts)
    dt = time.perf_counter() - t0
    ft = fasttext_peer(rows)
    mb = sum(len(r.text.encode()) for r in rows) / 1e6
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
    labelled = np.array([r.dataset in LABELLED for r in rows])
    table = [
        line("labelled, all (tuning included)", labelled, peer=False) + ["-"] * 3,
        line("LABELLED, HELD-OUT", labelled & held),
        line("held-out human text of every kind", held & ~y),
    ]
    by_ds: dict[str, list[int]] = defaultdict(list)
    by_gen: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        if held[i]:
            by_ds[r.dataset].append(i)
            if r.machine:
                by_gen[(r.dataset, r.generator)].append(i)
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
