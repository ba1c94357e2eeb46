"""README.md: a Hugging Face dataset card (YAML front matter + the AB 2013 table).

The front matter is written by hand as block YAML whose scalars are JSON strings
(YAML 1.2 reads JSON scalars), so curate needs no YAML library at run time and a
declaration with a colon or a quote cannot break the card.
"""

from __future__ import annotations

import json
from typing import Any

from curate.provenance.render_md import cell
from curate.provenance.report import NOT_AN_SPDX_ID, size_category

HF_TYPES = {
    "string": "string",
    "large_string": "large_string",
    "int64": "int64",
    "int32": "int32",
    "double": "float64",
    "float": "float32",
    "bool": "bool",
}


def hub_license(spdx: str) -> str:
    """The Hub's licence id for an SPDX id (the Hub uses lower-cased SPDX ids)."""
    return spdx.lower()


def yaml_lines(value: Any, indent: int = 0) -> list[str]:
    """Block YAML of dicts and lists with JSON-quoted scalars."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, dict | list) and v:
                lines.append(f"{pad}{k}:")
                lines += yaml_lines(v, indent + 2)
            else:
                lines.append(f"{pad}{k}: {json.dumps(v, ensure_ascii=False)}")
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict) and v:
                sub = yaml_lines(v, indent + 2)
                lines.append(f"{pad}- {sub[0].lstrip()}")
                lines += sub[1:]
            else:
                lines.append(f"{pad}- {json.dumps(v, ensure_ascii=False)}")
    return lines


def _feature(col: dict[str, str]) -> dict[str, Any]:
    t = col["type"]
    if t.startswith("timestamp"):
        return {"name": col["name"], "dtype": "timestamp[us, tz=UTC]"}
    if t.startswith(("list<", "large_list<")):
        inner = t.split("<", 1)[1].rstrip(">").split(":")[-1].strip()
        return {"name": col["name"], "sequence": HF_TYPES.get(inner, inner)}
    return {"name": col["name"], "dtype": HF_TYPES.get(t, t)}


def card_metadata(
    doc: dict[str, Any], *, data_files: str = "*.parquet", columns: list[str] | None = None
) -> dict[str, Any]:
    decls = doc.get("declared_sources") or {}
    ms = doc["measurements"]
    spdx = sorted(
        {
            str(d["license"])
            for d in decls.values()
            if d.get("license") and str(d["license"]).lower() not in NOT_AN_SPDX_ID
        }
    )
    mixed = len(spdx) != 1 or any(
        str(d.get("license", "unknown")).lower() in NOT_AN_SPDX_ID for d in decls.values()
    )
    meta: dict[str, Any] = {}
    if mixed:
        meta["license"] = "other"
        names = sorted({str(d.get("license") or "unknown") for d in decls.values()}) or ["unknown"]
        meta["license_name"] = "mixed: " + ", ".join(names)
        meta["license_details"] = "Per-source licences are listed under item 5 below."
    else:
        meta["license"] = hub_license(spdx[0])
    langs = [k for k in (ms.get("languages") or {}) if len(k) == 2 and k.isalpha()]
    if langs:
        meta["language"] = langs
        if len(langs) > 1:
            meta["multilinguality"] = ["multilingual"]
    system = doc.get("system") or {}
    if system.get("name"):
        meta["pretty_name"] = f"{system['name']} training data"
    docs = doc["dataset"]["documents"]
    meta["size_categories"] = [size_category(docs)]
    hub = [
        f"extended|{d['origin']}"
        for d in decls.values()
        if d.get("origin") and "://" not in str(d["origin"]) and "/" in str(d["origin"])
    ]
    meta["source_datasets"] = hub or ["original"]
    meta["task_categories"] = ["text-generation"]
    meta["task_ids"] = ["language-modeling"]
    cols = [c["name"] for c in doc["dataset"]["columns"]]
    scored = any(c.startswith("q_") or c in ("quality", "synthetic_score", "lang") for c in cols)
    meta["annotations_creators"] = ["machine-generated" if scored else "no-annotation"]
    synthetic = any(d.get("synthetic") is True for d in decls.values()) or any(
        (m.get("synthetic_share") or 0) > 0 for m in ms["per_source"].values()
    )
    meta["language_creators"] = ["found", "machine-generated"] if synthetic else ["found"]
    meta["configs"] = [
        {"config_name": "default", "data_files": [{"split": "train", "path": data_files}]}
    ]
    described = doc["dataset"]["columns"]
    if columns is not None:  # an export of some columns, in its order
        by_name = {c["name"]: c for c in described}
        described = [by_name[c] for c in columns if c in by_name]
    meta["dataset_info"] = {
        "features": [_feature(c) for c in described],
        "splits": [{"name": "train", "num_bytes": doc["dataset"]["bytes"], "num_examples": docs}],
        "download_size": doc["dataset"]["bytes"],
    }
    return meta


def render_card(
    doc: dict[str, Any], *, data_files: str = "*.parquet", columns: list[str] | None = None
) -> str:
    """The whole README.md; `data_files` and `columns` describe files other than the
    dataset's own shards (`curate export` writes `data/train-*.jsonl` and the like)."""
    meta = card_metadata(doc, data_files=data_files, columns=columns)
    system = doc.get("system") or {}
    name = meta.get("pretty_name") or doc["dataset"]["location"]
    out = ["---", *yaml_lines(meta), "---", "", f"# {name}", ""]
    if system.get("intended_purpose"):
        out += [f"Intended purpose: {system['intended_purpose']}", ""]
    out += [
        f"{doc['dataset']['documents']:,} documents from {len(doc['sources'])} source(s), "
        f"curated and documented with curate {doc['tool']['version']}. The files "
        f"`{data_files}` are the `train` split.",
        "",
        "## Sources",
        "",
        "| Source | Owner | Origin | Kind | Licence | Documents |",
        "|---|---|---|---|---|---|",
    ]
    decls = doc.get("declared_sources") or {}
    for src in doc["sources"]:
        d = decls.get(src, {})
        n = doc["measurements"]["per_source"].get(src, {}).get("documents", 0)
        out.append(
            f"| {cell(src)} | {cell(d.get('owner', ''))} | {cell(d.get('origin', ''))} | "
            f"{cell(d.get('kind', ''))} | {cell(d.get('license', ''))} | {n:,} |"
        )
    out += [
        "",
        "## Training data documentation (California AB 2013, Civ. Code §3111(a))",
        "",
        "| # | Item | Status | Answer (whole dataset, then per source) |",
        "|---|---|---|---|",
    ]
    for item in doc["items"]:
        answers = [item["dataset"]["value"]] + [
            f"**{s}**: {a['value']}" for s, a in item["per_source"].items()
        ]
        out.append(
            f"| {item['number']} | {cell(item['title'])} | {item['overall']} | "
            + cell(" · ".join(answers))
            + " |"
        )
    errors = sum(1 for f in doc["findings"] if f["severity"] == "error" and not f["waived"])
    warnings = sum(1 for f in doc["findings"] if f["severity"] == "warning" and not f["waived"])
    out += [
        "",
        f"Findings: {errors} error(s), {warnings} warning(s); see `report.md` for the full "
        "report, the processing steps and the evidence behind each answer.",
        "",
    ]
    return "\n".join(out)
