"""Write every output of `curate report -o DIR` from one report document.

All files come from the same in-memory report (PROVENANCE.md §6.3), each written
under a temporary name and renamed into place, so a crash never leaves a half-written
page that looks posted. A folder holding only these files is our own earlier output
and is replaced; anything else in it is refused unless `overwrite`.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from curate.errors import CurateError
from curate.provenance.card import render_card
from curate.provenance.croissant import build_croissant
from curate.provenance.eu import build_eu_summary, render_eu_markdown, top_domains_csv
from curate.provenance.render_html import render_html
from curate.provenance.render_md import render_markdown
from curate.provenance.report import Report

OUTPUTS = (
    "report.md",
    "report.html",
    "report.json",
    "croissant.json",
    "README.md",
    "eu_summary.md",
    "eu_summary.json",
    "eu_top_domains.csv",
)


def report_schema() -> dict[str, Any]:
    """The JSON Schema of report.json shipped in the package (`curate.report/1`)."""
    text = resources.files("curate.provenance").joinpath("report.schema.json").read_text("utf-8")
    return json.loads(text)


def render_all(report: Report) -> dict[str, str]:
    """Every output file's text, by name."""
    doc = report.doc
    crawled = [
        s for s, d in (doc.get("declared_sources") or {}).items() if d.get("kind") == "crawled"
    ]
    crawled_domains = report.domains_of(crawled)
    eu = build_eu_summary(doc, crawled_domains)
    sme = bool(((doc.get("system") or {}).get("eu") or {}).get("sme"))
    return {
        "report.md": render_markdown(doc),
        "report.html": render_html(doc),
        "report.json": _json(doc),
        "croissant.json": _json(build_croissant(doc)),
        "README.md": render_card(doc),
        "eu_summary.md": render_eu_markdown(eu),
        "eu_summary.json": _json(eu),
        "eu_top_domains.csv": top_domains_csv(crawled_domains, sme=sme),
    }


def write_outputs(report: Report, out: str | Path, *, overwrite: bool = False) -> list[Path]:
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise CurateError(f"{folder}: exists and is not a folder; choose another -o")
    if folder.exists():
        foreign = sorted(
            p.name
            for p in folder.iterdir()
            if p.name not in OUTPUTS and not p.name.startswith(".tmp-")
        )
        if foreign and not overwrite:
            raise CurateError(
                f"{folder}: not empty and not a report folder (holds {foreign[0]}); "
                "choose another -o or pass --overwrite"
            )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all(report).items():
        path = folder / name
        tmp = folder / f".tmp-{os.getpid()}-{name}"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written


def _json(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n"
