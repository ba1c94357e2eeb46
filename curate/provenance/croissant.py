"""croissant.json: MLCommons Croissant 1.0 JSON-LD with the Responsible AI (RAI 1.0) fields.

Written to sit beside the Parquet shards when the dataset is published (its FileSet
`includes` the shard names relative to the dataset folder). RAI properties are the
names of `croissant_rai.ttl` only (PROVENANCE.md §3: the spec prose mentions names
the vocabulary does not define). The `mlcroissant` validator only warns about a
missing licence or date, so curate fills them itself where it has them and the
report's findings say what was missing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from curate.provenance.report import NOT_AN_SPDX_ID

CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "prov": "http://www.w3.org/ns/prov#",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

COLLECTION_TYPE = {
    "crawled": "Web Scraping",
    "public-dataset": "Secondary Data analysis",
    "licensed": "Secondary Data analysis",
    "private-third-party": "Secondary Data analysis",
    "user-data": "User-generated content data",
    "synthetic": "Software Collection",
    "first-party": "Manual Human Curator",
    "other": "Others",
}
USE_CASES = {
    "pretraining": "Training",
    "fine-tuning": "Fine Tuning",
    "validation": "Validation",
    "testing": "Testing",
}


def spdx_url(spdx: str) -> str:
    return f"https://spdx.org/licenses/{spdx}.html"


def data_type(arrow_type: str) -> str | None:
    """Croissant dataType of an Arrow type string (None: not exposed as a field)."""
    t = arrow_type.lower()
    if t.startswith(("int", "uint")):
        return "sc:Integer"
    if t.startswith(("double", "float", "halffloat", "decimal")):
        return "sc:Float"
    if t == "bool":
        return "sc:Boolean"
    if t.startswith(("timestamp", "date")):
        return "sc:Date"
    if t in ("string", "large_string", "utf8", "large_utf8"):
        return "sc:Text"
    return None  # lists, structs, binary: described in the report, not as Croissant fields


def _semver(version: str | None) -> str:
    parts = (version or "0.0.0").split(".")
    parts = [p if p.isdigit() else "0" for p in parts[:3]] + ["0"] * (3 - min(len(parts), 3))
    return ".".join(parts[:3])


def build_croissant(doc: dict[str, Any], *, today: dt.date | None = None) -> dict[str, Any]:
    """The Croissant document of a report."""
    system = doc.get("system") or {}
    decls = doc.get("declared_sources") or {}
    name = system.get("name") or Path(doc["dataset"]["location"]).name or "dataset"
    spdx = sorted(
        {
            str(d.get("license"))
            for d in decls.values()
            if d.get("license") and str(d.get("license")).lower() not in NOT_AN_SPDX_ID
        }
    )
    others = sorted(
        {
            str(d.get("license") or "unknown")
            for d in decls.values()
            if not d.get("license") or str(d.get("license")).lower() in NOT_AN_SPDX_ID
        }
    )
    licenses: list[Any] = [spdx_url(s) for s in spdx]
    if others or not licenses:
        licenses.append(
            {
                "@type": "sc:CreativeWork",
                "name": f"{', '.join(others) or 'unknown'}; see item 5 of report.md per source",
            }
        )
    url = system.get("disclosure_url") or next(
        (str(d["origin"]) for d in decls.values() if str(d.get("origin", "")).startswith("http")),
        Path(doc["dataset"]["location"]).resolve().as_uri(),
    )
    fields = []
    for col in doc["dataset"]["columns"]:
        dtype = data_type(col["type"])
        if dtype is None:
            continue
        fields.append(
            {
                "@type": "cr:Field",
                "@id": f"documents/{col['name']}",
                "name": col["name"],
                "dataType": dtype,
                "source": {
                    "fileSet": {"@id": "parquet-shards"},
                    "extract": {"column": col["name"]},
                },
            }
        )
    starts = [str(d["collection_start"]) for d in decls.values() if d.get("collection_start")]
    ends = [str(d["collection_end"]) for d in decls.values() if d.get("collection_end")]
    ongoing = any(d.get("collection_ongoing") for d in decls.values())
    items = {i["number"]: i for i in doc["items"]}
    year = str(system.get("release_date") or "")[:4] or str((today or dt.date.today()).year)
    collection = [f"{src}: {ans['value']}" for src, ans in items[1]["per_source"].items()] + [
        f"{src}: {ans['value']}" for src, ans in items[10]["per_source"].items()
    ]
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": [
            "http://mlcommons.org/croissant/1.0",
            "http://mlcommons.org/croissant/RAI/1.0",
        ],
        "name": name,
        "description": system.get("intended_purpose")
        or f"Training data of {name}, documented by curate (AB 2013 report).",
        "url": url,
        "license": licenses[0] if len(licenses) == 1 else licenses,
        "creator": {"@type": "sc:Organization", "name": system.get("developer") or "unknown"},
        "datePublished": str(system.get("release_date") or (today or dt.date.today()).isoformat()),
        "version": _semver(system.get("version")),
        "citeAs": f"@misc{{{_bibkey(name)}, title = {{{name} training data}}, "
        f"author = {{{system.get('developer') or 'unknown'}}}, year = {{{year}}}}}",
        "isLiveDataset": ongoing,
        "rai:dataCollection": "; ".join(collection),
        "rai:dataCollectionType": sorted(
            {COLLECTION_TYPE.get(str(d.get("kind")), "Others") for d in decls.values()}
        )
        or ["Others"],
        "rai:dataCollectionRawData": "; ".join(
            f"{s}: {d.get('description') or d.get('origin') or 'not declared'}"
            for s, d in decls.items()
        )
        or "not declared",
        "rai:dataPreprocessingProtocol": [
            f"{s['step']}: {s.get('rows_in') or 0} -> {s.get('rows_out') or 0} documents; "
            f"{s.get('purpose') or 'purpose not declared'}"
            for s in doc["lineage"]
        ]
        or ["no processing recorded"],
        "rai:personalSensitiveInformation": "; ".join(
            f"{src}: {ans['value']}" for src, ans in items[7]["per_source"].items()
        )
        or "not declared",
        "rai:dataUseCases": sorted(
            {USE_CASES[r] for d in decls.values() for r in d.get("roles") or [] if r in USE_CASES}
        )
        or ["Training"],
        "distribution": [
            {
                "@type": "cr:FileSet",
                "@id": "parquet-shards",
                "name": "parquet-shards",
                "description": "The dataset's Parquet shards (place this file beside them).",
                "encodingFormat": "application/x-parquet",
                "includes": "*.parquet",
            }
        ],
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": "documents",
                "name": "documents",
                "description": "One record per document.",
                **(
                    {"key": {"@id": "documents/id"}}
                    if any(f["name"] == "id" for f in fields)
                    else {}
                ),
                "field": fields,
            }
        ],
    }
    if starts:
        end = "" if ongoing else max(ends) if ends else ""
        out["rai:dataCollectionTimeframe"] = f"{min(starts)}/{end}" if end else min(starts)
    origins = [
        str(d["origin"]) for d in decls.values() if str(d.get("origin", "")).startswith("http")
    ]
    if origins:
        out["prov:wasDerivedFrom"] = [{"@id": o} for o in origins]
    activities = [
        {
            "@type": "prov:Activity",
            "prov:label": f"curate {s['step']}" + (f" ({s['source']})" if s.get("source") else ""),
            **({"prov:startedAtTime": s["started"]} if s.get("started") else {}),
            **({"prov:endedAtTime": s["ended"]} if s.get("ended") else {}),
        }
        for s in doc["lineage"]
    ]
    if activities:
        out["prov:wasGeneratedBy"] = activities
    langs = (doc["measurements"].get("languages") or {}).keys()
    codes = [code for code in langs if len(code) in (2, 3) and code.isalpha()]
    if codes:
        out["inLanguage"] = codes
    return out


def _bibkey(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name) or "dataset"
