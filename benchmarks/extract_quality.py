"""Extraction quality and speed of the three HTML extractors on gold-labelled pages.

Measures, for ``curate`` (curate.ingest.extract's own scorer), ``resiliparse`` (its
``main_content`` mode) and ``trafilatura``:

* **Token F1 on the Article Extraction Benchmark** (181 English news/article pages in
  ``<evaldata>/html/scrapinghub_aeb/``; ``ground-truth.json`` maps the page id, i.e. the
  file name without ``.html.gz``, to ``{url, articleBody}``). Token F1 of one page:
  lowercase the text, tokens are the regex ``\\w+`` matches (Unicode word characters),
  compared as multisets (``Counter``): precision = |pred ∩ gold| / |pred|, recall =
  |pred ∩ gold| / |gold|, F1 = 2PR / (P + R); an empty prediction scores 0 (a page with
  empty gold would score 1 for an empty prediction, none exists). The table reports the
  mean over pages of P, R and F1.
* **Pages/s**: summed wall time of ``extract(html_str, extractor=...)`` per page, pages
  already decoded to str (decoding is the same for all three and not timed), single
  process, extractors interleaved page by page so that load from other processes on a
  shared machine affects all three alike.
* Optionally (**trafilatura evaldata**, ``--trafilatura-eval``): the "with"/"without"
  snippet test of trafilatura's own evaluation: a "with" snippet found in the output is a
  true positive, missing a false negative; a "without" snippet found is a false positive.
  Precision/recall/F1 over all snippets of all pages (micro). Pages are mostly German.

``run(evaldata, quick)`` returns the numbers as a dict so ``benchmarks/ingest.py`` can print
the same table; ``python benchmarks/extract_quality.py`` prints it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import re
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from curate.ingest.extract import EXTRACTORS, decode_html, extract  # noqa: E402

_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> Counter[str]:
    """Lowercased ``\\w+`` tokens as a multiset."""
    return Counter(_TOKEN.findall(text.lower()))


def token_prf(pred: str, gold: str) -> tuple[float, float, float]:
    """Multiset token precision, recall and F1 of one prediction against its gold text."""
    p, g = tokens(pred), tokens(gold)
    if not g:
        return (1.0, 1.0, 1.0) if not p else (0.0, 1.0, 0.0)
    if not p:
        return 0.0, 0.0, 0.0
    common = sum((p & g).values())
    if common == 0:
        return 0.0, 0.0, 0.0
    precision = common / sum(p.values())
    recall = common / sum(g.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def load_aeb(evaldata: Path, quick: bool = False) -> list[tuple[str, str, str]]:
    """(page id, html str, gold text) for the AEB pages; every 4th page with ``quick``."""
    root = evaldata / "html" / "scrapinghub_aeb"
    gold = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for i, key in enumerate(sorted(gold)):
        if quick and i % 4:
            continue
        body = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        pages.append((key, decode_html(body), gold[key]["articleBody"]))
    return pages


def load_trafilatura_eval(evaldata: Path, quick: bool = False) -> list[tuple[str, dict]]:
    """(html str, {with, without}) for trafilatura's evaldata pages; every 4th with ``quick``."""
    root = evaldata / "html"
    truth = json.loads((root / "trafilatura_evaldata.json").read_text(encoding="utf-8"))
    wanted = {}
    for i, (_url, item) in enumerate(sorted(truth.items())):
        if quick and i % 4:
            continue
        wanted[item["file"]] = item
    pages = []
    with lzma.open(root / "trafilatura_eval_html.tar.xz") as xz, tarfile.open(fileobj=xz) as tar:
        for member in tar:
            name = member.name.rsplit("/", 1)[-1]
            if not member.isfile() or name not in wanted or "/eval/" not in f"/{member.name}":
                continue
            fh = tar.extractfile(member)
            if fh is None:
                continue
            body = fh.read()
            if name.endswith(".gz"):
                body = gzip.decompress(body)
            pages.append((decode_html(body), wanted.pop(name)))
    return pages


def _timed_all(htmls: list[str], names: list[str]) -> dict[str, tuple[list[str], float]]:
    """Texts and total seconds per extractor, timed page by page in interleaved order.

    Interleaving (page 1 through every extractor, then page 2 ...) makes the ratios fair
    on a shared machine: a burst of load from other processes hits all extractors alike
    instead of whichever one happened to be running.
    """
    texts: dict[str, list[str]] = {name: [] for name in names}
    seconds = dict.fromkeys(names, 0.0)
    clock = time.perf_counter
    for html in htmls:
        for name in names:
            start = clock()
            text = extract(html, extractor=name).text
            seconds[name] += clock() - start
            texts[name].append(text)
    return {name: (texts[name], seconds[name]) for name in names}


def _available(extractor: str) -> bool:
    """False for trafilatura when it is not installed."""
    if extractor != "trafilatura":
        return True
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        return False
    return True


def run(
    evaldata: Path, quick: bool = False, trafilatura_eval: bool = False
) -> dict[str, dict[str, float]]:
    """Measure every available extractor; {extractor: {f1, precision, recall, pages_s, ...}}."""
    pages = load_aeb(Path(evaldata), quick)
    htmls = [html for _, html, _ in pages]
    golds = [gold for _, _, gold in pages]
    snippet_pages = load_trafilatura_eval(Path(evaldata), quick) if trafilatura_eval else []
    results: dict[str, dict[str, float]] = {}
    names = [name for name in EXTRACTORS if _available(name)]
    timed = _timed_all(htmls, names)
    snippet_timed = _timed_all([h for h, _ in snippet_pages], names) if snippet_pages else {}
    for name in names:
        texts, seconds = timed[name]
        prf = [token_prf(t, g) for t, g in zip(texts, golds, strict=True)]
        row = {
            "pages": float(len(pages)),
            "precision": sum(p for p, _, _ in prf) / len(prf),
            "recall": sum(r for _, r, _ in prf) / len(prf),
            "f1": sum(f for _, _, f in prf) / len(prf),
            "empty": float(sum(1 for t in texts if not t)),
            "seconds": seconds,
            "pages_s": len(pages) / seconds if seconds else float("inf"),
        }
        if snippet_pages:
            s_texts, s_seconds = snippet_timed[name]
            tp = fn = fp = 0
            for text, (_, item) in zip(s_texts, snippet_pages, strict=True):
                for snippet in item.get("with", []):
                    tp, fn = (tp + 1, fn) if snippet in text else (tp, fn + 1)
                for snippet in item.get("without", []):
                    fp += snippet in text
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            row["snippet_f1"] = (
                2 * precision * recall / (precision + recall) if precision + recall else 0.0
            )
            row["snippet_precision"] = precision
            row["snippet_recall"] = recall
            row["snippet_pages_s"] = len(snippet_pages) / s_seconds if s_seconds else 0.0
        results[name] = row
    return results


def format_table(results: dict[str, dict[str, float]]) -> str:
    """Markdown table of ``run``'s results, with F1 and speed relative to trafilatura."""
    ref = results.get("trafilatura")
    snippets = any("snippet_f1" in row for row in results.values())
    head = "| extractor | F1 | P | R | empty | pages/s | F1 - traf | speed / traf |"
    sep = "|---|---|---|---|---|---|---|---|"
    if snippets:
        head += " snippet F1 | snippet P | snippet R |"
        sep += "---|---|---|"
    lines = [head, sep]
    for name, row in results.items():
        d_f1 = f"{row['f1'] - ref['f1']:+.3f}" if ref else "n/a"
        speed = f"{row['pages_s'] / ref['pages_s']:.1f}x" if ref else "n/a"
        line = (
            f"| {name} | {row['f1']:.3f} | {row['precision']:.3f} | {row['recall']:.3f} "
            f"| {int(row['empty'])} | {row['pages_s']:.1f} | {d_f1} | {speed} |"
        )
        if snippets:
            line += (
                f" {row.get('snippet_f1', 0):.3f} | {row.get('snippet_precision', 0):.3f} "
                f"| {row.get('snippet_recall', 0):.3f} |"
            )
        lines.append(line)
    return "\n".join(lines)


def spot_check(evaldata: Path, n: int, width: int = 60) -> None:
    """Print n pages: token F1 per extractor, then gold and curate output side by side."""
    pages = load_aeb(Path(evaldata))
    step = max(1, len(pages) // max(1, n))
    for key, html, gold in pages[::step][:n]:
        outs = {name: extract(html, extractor=name).text for name in EXTRACTORS if _available(name)}
        scores = ", ".join(f"{k} {token_prf(v, gold)[2]:.3f}" for k, v in outs.items())
        print(f"=== {key[:16]}  {scores}")
        left = gold.replace("\n\n", "\n").split("\n")
        right = outs["curate"].split("\n")
        for i in range(max(len(left), len(right))):
            a = left[i][:width] if i < len(left) else ""
            b = right[i][:width] if i < len(right) else ""
            print(f"{a:<{width}} | {b}")
        print()


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaldata", type=Path, default=REPO / ".." / "shared" / "evaldata")
    parser.add_argument("--quick", action="store_true", help="every 4th page only")
    parser.add_argument("--spot-check", type=int, default=0, metavar="N")
    parser.add_argument(
        "--trafilatura-eval", action="store_true", help="also run trafilatura's snippet test"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    evaldata = args.evaldata.resolve()
    if args.spot_check:
        spot_check(evaldata, args.spot_check)
        return 0
    results = run(evaldata, quick=args.quick, trafilatura_eval=args.trafilatura_eval)
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
