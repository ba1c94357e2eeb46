"""report.md: the page a developer posts (AB 2013 §3111(a), items numbered as in the statute).

Rendered from the report document only, so it can never say something report.json
does not. Markdown table cells are escaped (a `|` in a declaration must not break
the table).
"""

from __future__ import annotations

import json
from typing import Any

BADGE = {
    "declared": "declared",
    "measured": "measured",
    "consistent": "✓ consistent",
    "contradicted": "✗ contradicted",
    "missing": "✗ missing",
    "n/a": "n/a",
}


def cell(text: Any) -> str:
    """One Markdown table cell: no newlines, pipes escaped."""
    return " ".join(str(text if text is not None else "").split()).replace("|", "\\|")


def system_lines(doc: dict[str, Any]) -> list[str]:
    s = doc.get("system") or {}
    rows = [
        ("Developer", s.get("developer")),
        ("System", f"{s.get('name', '?')} {s.get('version', '')}".strip()),
        ("Release date", s.get("release_date")),
        ("Substantial modification of", s.get("substantial_modification_of")),
        ("Intended purpose", s.get("intended_purpose")),
        ("Exemption (§3111(b))", s.get("exemption", "none")),
        ("Disclosure URL", s.get("disclosure_url")),
    ]
    return [f"- **{k}:** {v}" for k, v in rows if v]


def items_table(doc: dict[str, Any]) -> list[str]:
    """The twelve items × sources, status badges and the answers."""
    lines = ["| # | Item | Overall | Source | Status | Answer |", "|---|---|---|---|---|---|"]
    for item in doc["items"]:
        first = True
        for src, ans in item["per_source"].items():
            head = (
                [str(item["number"]), cell(item["title"]), BADGE[item["overall"]]]
                if first
                else ["", "", ""]
            )
            lines.append(
                "| "
                + " | ".join([*head, cell(src), BADGE[ans["status"]], cell(ans["value"])])
                + " |"
            )
            first = False
        if first:
            lines.append(
                f"| {item['number']} | {cell(item['title'])} | {BADGE[item['overall']]} | | | |"
            )
    return lines


def findings_lines(doc: dict[str, Any]) -> list[str]:
    if not doc["findings"]:
        return ["No findings."]
    lines = ["| Severity | Code | Item | Source | Finding | Waived |", "|---|---|---|---|---|---|"]
    for f in doc["findings"]:
        waived = ""
        if f["waived"]:
            w = f.get("waiver") or {}
            waived = f"yes: {w.get('reason')} ({w.get('by')}, until {w.get('until')})"
        lines.append(
            "| "
            + " | ".join(
                [
                    f["severity"],
                    f["code"],
                    str(f["item"] or ""),
                    cell(f["source"] or ""),
                    cell(f["message"]),
                    cell(waived),
                ]
            )
            + " |"
        )
    return lines


def lineage_lines(doc: dict[str, Any]) -> list[str]:
    if not doc["lineage"]:
        return ["No processing recorded (bare Parquet, or a dataset not written by curate)."]
    lines = [
        "| Step | Source | Rows in | Rows out | Removed (by reason) | Purpose | Ended |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in doc["lineage"]:
        removed = ", ".join(f"{k} {v:,}" for k, v in (s.get("removed") or {}).items() if v)
        lines.append(
            "| "
            + " | ".join(
                cell(x)
                for x in (
                    s["step"],
                    s.get("source") or "",
                    f"{s.get('rows_in') or 0:,}",
                    f"{s.get('rows_out') or 0:,}",
                    removed,
                    s.get("purpose") or "",
                    s.get("ended") or "",
                )
            )
            + " |"
        )
    return lines


def render_markdown(doc: dict[str, Any]) -> str:
    """The whole report.md."""
    s = doc.get("system") or {}
    title = f"Training data documentation: {s.get('name', doc['dataset']['location'])}"
    out = [f"# {title}", ""]
    out += [
        "Documentation of the datasets used to train this generative AI system, following "
        "California Civil Code §3111(a) (AB 2013). Each answer is marked *declared* (stated "
        "by the developer), *measured* (computed from the data), *consistent* (both, and they "
        "agree), *contradicted* or *missing*. Summaries of the statute's items are paraphrased; "
        "this page reports facts and declarations, not legal conclusions.",
        "",
    ]
    out += system_lines(doc)
    if doc.get("exempt"):
        out += ["", f"**Exempt under §3111(b) ({s.get('exemption')}): no posting is required.**"]
    ds = doc["dataset"]
    out += [
        "",
        f"Dataset `{ds['location']}`: {ds['documents']:,} documents in {len(ds['shards'])} "
        f"shard(s), fingerprint `{ds['fingerprint']}`; generated {doc['generated_at']} by "
        f"curate {doc['tool']['version']}.",
        "",
        "## The twelve items (§3111(a))",
        "",
        *items_table(doc),
        "",
        "### For the whole dataset",
        "",
        "| # | Item | Answer |",
        "|---|---|---|",
    ]
    for item in doc["items"]:
        out.append(
            f"| {item['number']} | {cell(item['title'])} | {cell(item['dataset']['value'])} |"
        )
    out += ["", "## Findings", "", *findings_lines(doc), ""]
    out += ["## Processing (lineage)", "", *lineage_lines(doc), ""]
    t = doc["tolerances"]
    out += [
        "## Tolerances",
        "",
        "What *consistent* meant in this report:",
        "",
        *[f"- `{k}` = {v}" for k, v in t.items()],
        "",
        "## Evidence",
        "",
    ]
    for item in doc["items"]:
        for src, ans in item["per_source"].items():
            if ans["evidence"]:
                out.append(f"- ({item['number']}) {src}: " + "; ".join(ans["evidence"]))
    out += [
        "",
        "## Appendix: declarations as given",
        "",
        f"From `{doc['declarations']}`:",
        "",
        "```json",
        json.dumps(
            {
                "system": doc["system"],
                "sources": doc["declared_sources"],
                "waivers": doc["waivers"],
            },
            indent=2,
            ensure_ascii=False,
        ),
        "```",
        "",
    ]
    return "\n".join(out)
