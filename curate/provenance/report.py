"""The AB 2013 provenance report: declarations joined with measurements, item by item.

`build_report` reads a dataset once (`measure`), takes the declarations (a
`sources.toml` or the ones the dataset carries), answers each of the twelve items of
§3111(a) per source and for the whole corpus, and records findings where a
declaration is missing or the data contradicts it. The result is one JSON-ready
document (`report.json`, schema `curate.report/1`); every other output (Markdown,
HTML, Croissant, dataset card, EU summary) is rendered from it, so they cannot
disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate import __version__
from curate.dataset import MANIFEST, Dataset, open_dataset
from curate.executor import Executor, lineage_facts, make_executor
from curate.progress import StepProgress
from curate.provenance.findings import Finding, apply_waivers, failing
from curate.provenance.items import ITEMS, STEP_PURPOSES, overall_status
from curate.provenance.manifest import (
    CREATED_MEANS,
    PERSONAL_INFORMATION,
    TOLERANCES,
    check_report_tables,
    load_manifest,
    manifest_from_dataset,
    parse_date,
)
from curate.provenance.measure import (
    NO_SOURCE,
    Measurements,
    SourceMeasure,
    declared_window,
    domains,
    histogram,
    measure,
    percentiles,
    scan_pii,
)
from curate.storage import Store

SCHEMA_VERSION = "curate.report/1"
TOP = 20
SIZE_CATEGORIES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
)
OPEN_LICENCE_PREFIX = "CC-BY"  # CC-BY, CC-BY-SA, CC-BY-NC…: the works are copyrighted
PUBLIC_DOMAIN_MARKERS = {"CC0-1.0", "CC-PDDC", "PDM-1.0", "CC-PDM-1.0"}
NOT_AN_SPDX_ID = {"proprietary", "various", "unknown", "mixed", "other"}


def size_category(n: int) -> str:
    """Hugging Face's `size_categories` bucket for a row count."""
    for limit, name in SIZE_CATEGORIES:
        if n < limit:
            return name
    return "n>1T"


@dataclass
class Answer:
    """One source's answer to one item."""

    value: str
    status: str
    evidence: list[str]
    declared: dict[str, Any] = field(default_factory=dict)
    measured: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "status": self.status,
            "evidence": self.evidence,
            "declared": self.declared,
            "measured": self.measured,
        }


@dataclass
class Report:
    """The report document plus what only the file outputs need (the full domain list)."""

    doc: dict[str, Any]
    findings: list[Finding]
    domains: list[tuple[str, int, int]]
    dataset: Dataset
    hosts: dict[str, tuple[Counter[str], Counter[str]]] = field(default_factory=dict)

    def domains_of(self, sources: list[str]) -> list[tuple[str, int, int]]:
        """Registrable domains of the given sources' documents, by text bytes."""
        by_bytes: Counter[str] = Counter()
        by_docs: Counter[str] = Counter()
        for s in sources:
            h, d = self.hosts.get(s, (Counter(), Counter()))
            by_bytes.update(h)
            by_docs.update(d)
        return domains(by_bytes, by_docs)

    def failing(self, fail_on: str = "error") -> list[Finding]:
        return failing(self.findings, fail_on)


@dataclass
class _Ctx:
    system: dict[str, Any]
    tolerances: dict[str, float]
    purposes: dict[str, str]
    lineage: list[dict[str, Any]]
    ms: Measurements
    findings: list[Finding]
    quiet_missing: bool = False  # an undeclared source: one UNDECLARED_SOURCE, not eleven MISSING

    def add(self, code: str, severity: str, item: int | None, source: str | None, msg: str, **kw):
        if self.quiet_missing and code == "MISSING":
            return
        self.findings.append(Finding(code, severity, item, source, msg, **kw))

    def missing(self, item: int, source: str, fields: list[str]) -> None:
        names = ", ".join(fields)
        self.add(
            "MISSING",
            "error",
            item,
            source,
            f"sources.{source}: {names} not declared; add {'it' if len(fields) == 1 else 'them'} "
            "to sources.toml",
        )


# --------------------------------------------------------------------------- entry point


def build_report(
    spec: str | Path,
    *,
    sources: str | Path | None = None,
    today: dt.date | None = None,
    seed: int = 0,
    executor: Executor | None = None,
    console: Any = None,
) -> Report:
    """Report on the dataset at `spec` (library form of `curate report`).

    The measuring pass runs shard by shard on `executor` (default: local, threads for a
    small dataset); the report is the same whatever ran it.
    """
    ds = open_dataset(spec)
    if sources is not None:
        decl = load_manifest(sources)
        where = str(sources)
    else:
        decl = manifest_from_dataset(ds.manifest)
        where = f"{ds.location}/{MANIFEST}"
        check_report_tables(decl, where=where)
    today = today or dt.datetime.now(dt.UTC).date()
    system = dict(decl.get("system") or {})
    declared = {k: dict(v) for k, v in (decl.get("sources") or {}).items()}
    tolerances = {**TOLERANCES, **(decl.get("tolerances") or {})}
    purposes = {**STEP_PURPOSES, **((decl.get("processing") or {}).get("purpose") or {})}
    windows = {name: declared_window(d) for name, d in declared.items()}
    executor = (executor or make_executor()).for_input(ds.rows, ds.bytes)
    progress = None
    if console is not None and console.is_terminal:  # a bar; no log lines: stderr stays
        progress = StepProgress(  # the summary (or one error line)
            console, label="report: measuring", units=len(ds.shards), unit_name="shards"
        )
    ms = measure(ds, windows, seed=seed, executor=executor, progress=progress)
    names = list(declared) + sorted(n for n in ms.per_source if n not in declared)
    ctx = _Ctx(system, tolerances, purposes, ds.lineage, ms, [])
    exemption = system.get("exemption", "none") or "none"
    exempt = exemption != "none"

    items_json = []
    for item in ITEMS:
        per: dict[str, Any] = {}
        for name in names:
            m = ms.per_source.get(name) or SourceMeasure(name)
            ctx.quiet_missing = name not in declared
            ans = _ITEM_FUNCS[item.number](ctx, name, declared.get(name, {}), m)
            if name not in declared and ans.status != "measured":
                ans.status = "missing"
            if exempt:
                ans.status = "n/a"
            per[name] = ans.to_json()
        statuses = [a["status"] for a in per.values()]
        items_json.append(
            {
                "number": item.number,
                "key": item.key,
                "title": item.title,
                "citation": item.citation,
                "overall": "n/a" if exempt else overall_status(statuses),
                "per_source": per,
                "dataset": _DATASET_FUNCS.get(item.number, _dataset_default)(ctx, names, per),
            }
        )
    ctx.quiet_missing = False
    _dataset_findings(ctx, declared, names)
    findings = ctx.findings
    if exempt:
        findings = [
            Finding(
                "EXEMPT",
                "info",
                None,
                None,
                f"exempt under §3111(b) ({exemption}): no AB 2013 posting is required; "
                "the items are shown for information",
            )
        ]
    else:
        findings = apply_waivers(findings, dict(decl.get("waivers") or {}), today)
    all_domains = domains(
        sum((m.hosts for m in ms.per_source.values()), Counter()),
        sum((m.host_docs for m in ms.per_source.values()), Counter()),
    )
    doc = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tool": {"name": "curate", "version": __version__},
        "dataset": {
            "location": ds.location,
            "fingerprint": _fingerprint(ds),
            "documents": ds.rows,
            "shards": [s.name for s in ds.shards],
            "bytes": ds.bytes,
            "bare_parquet": ds.is_bare,
            "columns": ms.columns,
        },
        "declarations": where,
        "system": system,
        "exempt": exempt,
        "sources": names,
        "declared_sources": declared,
        "tolerances": tolerances,
        "waivers": dict(decl.get("waivers") or {}),
        "items": items_json,
        "findings": [f.to_json() for f in findings],
        "lineage": _lineage(ds.lineage, purposes),
        "measurements": {
            **_measurements_json(ms, names, all_domains),
            **lineage_facts(executor),
        },
    }
    hosts = {n: (m.hosts, m.host_docs) for n, m in ms.per_source.items()}
    return Report(doc, findings, all_domains, ds, hosts)


def _fingerprint(ds: Dataset) -> str:
    """sha256 of `_curate.json` (or of the shard names and sizes of bare Parquet)."""
    if not ds.is_bare:
        blob = Store(ds.location).read_bytes(MANIFEST)
    else:
        blob = json.dumps([[s.name, s.rows, s.bytes] for s in ds.shards]).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()


# --------------------------------------------------------------------------- items


def _has(decl: dict[str, Any], key: str) -> bool:
    v = decl.get(key)
    return v is not None and v != "" and v != []


def _item1(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    declared = {k: decl[k] for k in ("owner", "origin") if _has(decl, k)}
    top = domains(m.hosts, m.host_docs)[:5]
    measured = {
        "documents": m.rows,
        "top_domains": [{"domain": d, "text_bytes": b, "documents": n} for d, b, n in top],
    }
    evidence = [f"column source: {m.rows:,} documents"]
    if top:
        evidence.append("column url: registrable domains by text bytes")
    parts = [f"{k}: {v}" for k, v in declared.items()]
    if top:
        parts.append("top domains: " + ", ".join(d for d, _, _ in top))
    if not declared:
        ctx.missing(1, name, ["owner", "origin"])
        status = "missing"
    else:
        evidence.insert(0, "declared: " + ", ".join(declared))
        status = "consistent" if m.rows else "declared"
    return Answer("; ".join(parts) or "not declared", status, evidence, declared, measured)


def _item2(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    declared = {k: decl[k] for k in ("purpose", "roles") if _has(decl, k)}
    if "purpose" not in declared:
        ctx.missing(2, name, ["purpose"])
        return Answer("not declared", "missing", [], declared)
    value = str(declared["purpose"])
    if declared.get("roles"):
        value += f" (roles: {', '.join(declared['roles'])})"
    return Answer(value, "declared", ["declared: " + ", ".join(declared)], declared)


def _item3(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    measured = {
        "documents": m.rows,
        "size_category": size_category(m.rows),
        "words": m.words,
        "text_bytes": m.text_bytes,
    }
    value = f"{m.rows:,} documents ({size_category(m.rows)}); {m.words:,} words"
    evidence = [
        f"{MANIFEST} shard row counts",
        f"words from {'column q_word_count' if ctx.ms.words_from != 'text' else 'text'}",
    ]
    if ctx.ms.has("n_tokens"):
        measured["tokens"] = m.tokens
        value += f"; {m.tokens:,} tokens"
        evidence.append("tokens from column n_tokens")
    declared = {}
    status = "measured"
    if _has(decl, "data_points_estimate"):
        declared["data_points_estimate"] = decl["data_points_estimate"]
        value += f"; declared estimate {decl['data_points_estimate']:,}"
        evidence.insert(0, "declared: data_points_estimate")
        status = "consistent"
    elif decl.get("collection_ongoing") is True:
        ctx.add(
            "MISSING",
            "warning",
            3,
            name,
            f"sources.{name}: collection is ongoing but data_points_estimate is not declared; "
            "add an estimate (AB 2013 allows estimated figures for dynamic datasets)",
        )
    return Answer(value, status, evidence, declared, measured)


def _item4(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    declared = {k: decl[k] for k in ("description", "labels") if k in decl}
    lengths = percentiles(m.sample.cols.get("length", []))
    langs = dict(m.langs.most_common(TOP))
    measured = {
        "modality": "text",
        "languages": langs if ctx.ms.has("lang") else None,
        "length_chars": lengths,
        "length_sample": m.sample.size,
        "columns": [c["name"] for c in ctx.ms.columns],
        "label_columns": ctx.ms.label_columns,
    }
    parts = []
    if _has(decl, "description"):
        parts.append(str(decl["description"]).rstrip("."))
    parts.append("unlabelled text documents" if not decl.get("labels") else "labelled text")
    if decl.get("labels"):
        parts.append("label types: " + ", ".join(decl["labels"]))
    if langs:
        parts.append("languages: " + ", ".join(f"{k} {v:,}" for k, v in list(langs.items())[:5]))
    if lengths:
        parts.append(f"median length {int(lengths['p50']):,} characters")
    evidence = []
    if declared:
        evidence.append("declared: " + ", ".join(declared))
    if m.rows:
        evidence.append(f"column text (length percentiles from n={m.sample.size:,})")
        evidence.append("column lang" if ctx.ms.has("lang") else "column lang: not measured")
    status = "consistent" if declared and m.rows else "declared" if declared else "measured"
    if not declared and not m.rows:
        ctx.missing(4, name, ["description"])
        status = "missing"
    if ctx.ms.label_columns and m.rows and not decl.get("labels"):
        cols = ", ".join(ctx.ms.label_columns)
        ctx.add(
            "CONTRADICTED",
            "warning",
            4,
            name,
            f"sources.{name}: label columns ({cols}) are present but no label types are "
            "declared; list them in `labels`",
            declared=decl.get("labels"),
            measured=ctx.ms.label_columns,
        )
        status = "contradicted" if "labels" in decl else status
    return Answer("; ".join(parts), status, evidence, declared, measured)


_IP_FIELDS = ("copyright", "trademark", "patent", "public_domain")


def _item5(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    declared = {k: decl[k] for k in ("license", *_IP_FIELDS) if _has(decl, k)}
    has_col = ctx.ms.has("license")
    measured = (
        {"markers": dict(m.licenses.most_common()), "no_marker": m.no_license} if has_col else None
    )
    parts = [f"{k}: {v}" for k, v in declared.items()]
    if has_col and m.rows:
        marked = ", ".join(f"{k} {v:,}" for k, v in m.licenses.most_common(5)) or "none"
        parts.append(f"licence markers: {marked}; {m.no_license / m.rows:.0%} without a marker")
    evidence = ["declared: " + ", ".join(declared)] if declared else []
    evidence.append(
        "column license (ingest's licence markers)" if has_col else "column license: not measured"
    )
    absent = [k for k in _IP_FIELDS if k not in declared]
    status = "consistent" if has_col and m.rows else "declared"
    if absent:
        ctx.missing(5, name, absent)
        status = "missing"
    for k in _IP_FIELDS:
        if declared.get(k) == "unknown":
            ctx.add("UNKNOWN", "warning", 5, name, f"sources.{name}.{k} is declared `unknown`")
    open_markers = sum(
        v for k, v in m.licenses.items() if k.upper().startswith(OPEN_LICENCE_PREFIX)
    )
    claims_pd = declared.get("public_domain") == "entirely" or declared.get("copyright") == "no"
    if claims_pd and open_markers:
        claim = (
            "public_domain = entirely"
            if declared.get("public_domain") == "entirely"
            else "copyright = no"
        )
        ctx.add(
            "CONTRADICTED",
            "error",
            5,
            name,
            f"sources.{name}: declared {claim}, but {open_markers:,} documents carry a Creative "
            "Commons BY licence marker (those works are copyrighted)",
            declared={k: declared.get(k) for k in ("public_domain", "copyright")},
            measured={"cc_by_markers": open_markers},
        )
        status = "contradicted"
    lic = str(declared.get("license", ""))
    if lic and lic.lower() not in NOT_AN_SPDX_ID and m.rows:
        other = sum(v for k, v in m.licenses.items() if k != lic)
        share = other / m.rows
        tol = ctx.tolerances["license_mismatch_tolerance"]
        if share > ctx.tolerances["license_mismatch_tolerance"]:
            ctx.add(
                "CONTRADICTED",
                "warning",
                5,
                name,
                f"sources.{name}: declared license {lic}, but {share:.1%} of documents carry "
                f"other licence markers (tolerance {tol:.1%})",
                declared=lic,
                measured=dict(m.licenses),
            )
            if status != "missing":
                status = "contradicted"
    return Answer("; ".join(parts) or "not declared", status, evidence, declared, measured)


def _item6(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    declared = {
        k: decl[k] for k in ("acquisition", "licensor", "agreement_ref", "kind") if _has(decl, k)
    }
    if "acquisition" not in declared:
        ctx.missing(6, name, ["acquisition"])
        return Answer("not declared", "missing", [], declared)
    acq = declared["acquisition"]
    value = {
        "purchased": "purchased",
        "licensed": "licensed",
        "both": "purchased and licensed",
        "none": "neither purchased nor licensed",
    }[acq]
    if declared.get("licensor"):
        value += f" (from {declared['licensor']})"
    status = "declared"
    if declared.get("kind") == "licensed" and acq == "none":
        ctx.add(
            "CONTRADICTED",
            "error",
            6,
            name,
            f'sources.{name}: kind = "licensed" but acquisition = "none"; correct one of them',
            declared={"kind": "licensed", "acquisition": "none"},
        )
        status = "contradicted"
    return Answer(value, status, ["declared: " + ", ".join(declared)], declared)


def _item7(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    pi = decl.get("personal_information")
    declared = {"personal_information": pi} if _has(decl, "personal_information") else {}
    tol = ctx.tolerances["pii_tolerance"]
    measured: dict[str, Any] | None = None
    evidence = ["declared: personal_information"] if declared else []
    sampled = False
    hit_docs = 0
    denom = m.rows
    if ctx.ms.pii_columns:
        hit_docs = m.pii_any_docs
        measured = {
            "method": "columns",
            "documents_with_pii": hit_docs,
            "by_kind": {k: {"hits": m.pii_hits[k], "documents": m.pii_docs[k]} for k in m.pii_hits},
            "redacted": m.pii_redacted if ctx.ms.has("pii_redacted") else None,
        }
        evidence.append("columns " + ", ".join(ctx.ms.pii_columns) + " (every document)")
    elif m.scan.size:
        sampled = True
        found = scan_pii(m.scan.cols.get("text", []))
        denom = m.scan.size
        hit_docs = max(found.values()) if found else 0
        measured = {"method": "sampled scan", "sample": m.scan.size, "documents_by_kind": found}
        evidence.append(
            f"sampled scan with the `curate pii` detector (all kinds), estimated, n={m.scan.size:,}"
        )
    else:
        evidence.append("pii: not measured (no pii_* columns and no text)")
    parts = [f"declared: {pi}"] if declared else ["not declared"]
    if measured is not None:
        if sampled:
            kinds = ", ".join(f"{k} {v}" for k, v in measured["documents_by_kind"].items())
            parts.append(f"sampled scan of {denom:,} documents: {kinds} (estimated)")
        else:
            kinds = ", ".join(f"{k} {v['hits']:,}" for k, v in measured["by_kind"].items())
            parts.append(f"{hit_docs:,} documents with detections ({kinds})")
    else:
        parts.append("not measured")
    status = "consistent" if declared and measured is not None else "declared"
    if not declared:
        ctx.missing(7, name, ["personal_information"])
        status = "missing"
    elif pi not in PERSONAL_INFORMATION:
        ctx.add(
            "UNRECOGNISED_VALUE",
            "warning",
            7,
            name,
            f"sources.{name}.personal_information = {pi!r} is not one of "
            f"{', '.join(PERSONAL_INFORMATION)}; it is reported as written and not checked",
        )
        status = "declared"
    elif pi == "none" and measured is not None and denom and hit_docs / denom > tol:
        email_hit = (measured.get("documents_by_kind") or {}).get("email", 0) if sampled else 1
        sev = "error" if (not sampled or email_hit) else "warning"
        ctx.add(
            "CONTRADICTED",
            sev,
            7,
            name,
            f'sources.{name}: declared personal_information = "none", but {hit_docs:,} of '
            f"{denom:,} {'sampled ' if sampled else ''}documents hold PII detections "
            f"(tolerance {tol:.1%})",
            declared=pi,
            measured=measured,
        )
        status = "contradicted"
    elif pi == "present-redacted":
        redacted = any(
            s.get("step") == "pii" and (s.get("params") or {}).get("redact") for s in ctx.lineage
        )
        residual = 0
        if ctx.ms.has("pii_redacted") and m.scan.size:
            residual = scan_pii(m.scan.cols.get("text", [])).get("email", 0)
        if not redacted:
            ctx.add(
                "CONTRADICTED",
                "error",
                7,
                name,
                f'sources.{name}: declared "present-redacted", but the lineage has no '
                "`curate pii --redact` step; run it or correct the declaration",
                declared=pi,
            )
            status = "contradicted"
        elif residual:
            ctx.add(
                "CONTRADICTED",
                "error",
                7,
                name,
                f'sources.{name}: declared "present-redacted", but {residual} of '
                f"{m.scan.size:,} sampled documents still hold e-mail addresses after redaction",
                declared=pi,
                measured={"residual_email_documents": residual, "sample": m.scan.size},
            )
            status = "contradicted"
    return Answer("; ".join(parts), status, evidence, declared, measured)


def _item8(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    if "aggregate_consumer_information" not in decl:
        ctx.missing(8, name, ["aggregate_consumer_information"])
        return Answer("not declared (not observable in text)", "missing", [])
    v = decl["aggregate_consumer_information"]
    return Answer(
        "yes" if v else "no",
        "declared",
        ["declared: aggregate_consumer_information (not observable in text)"],
        {"aggregate_consumer_information": v},
    )


def _source_steps(lineage: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The steps that touched a source: its own ingest, and every step over the dataset."""
    return [s for s in lineage if s.get("step") != "ingest" or s.get("source") == name]


def _item9(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    steps = _source_steps(ctx.lineage, name)
    declared_purposes = {k: v for k, v in ctx.purposes.items() if STEP_PURPOSES.get(k) != v}
    if not steps:
        if declared_purposes:
            value = "; ".join(f"{k}: {v}" for k, v in declared_purposes.items())
            return Answer(value, "declared", ["declared: [processing.purpose]"], declared_purposes)
        ctx.add(
            "NO_LINEAGE",
            "error",
            9,
            name,
            f"source {name}: no lineage (bare Parquet or not ingested by curate) and no "
            "[processing.purpose] declared; run the pipeline with curate or declare the processing",
        )
        return Answer("no processing recorded", "missing", [])
    parts = []
    for s in steps:
        step = s.get("step", "?")
        removed = s.get("removed") or {}
        rm = ", ".join(f"{k} {v:,}" for k, v in removed.items() if v)
        purpose = ctx.purposes.get(step)
        if purpose is None:
            ctx.add(
                "MISSING",
                "warning",
                9,
                name,
                f"step `{step}` has no intended purpose; add processing.purpose.{step} to "
                "sources.toml",
            )
        mine = (s.get("per_source") or {}).get(name)
        counts = (
            f"{mine['rows_in']:,} → {mine['rows_out']:,} documents of this source "
            f"(all sources: {s.get('rows_in', 0):,} → {s.get('rows_out', 0):,})"
            if mine
            else f"{s.get('rows_in', 0):,} → {s.get('rows_out', 0):,} documents"
        )
        rm_label = "removed from all sources" if mine else "removed"
        per_benchmark = ", ".join(
            f"{k.removeprefix('contaminated by ')} {int(v):,}"
            for k, v in (s.get("totals") or {}).items()
            if k.startswith("contaminated by ") and v
        )
        parts.append(
            f"{step}: {counts}"
            + (f" ({rm_label}: {rm})" if rm else "")
            + (
                f" (contaminated documents per benchmark, all sources: {per_benchmark})"
                if per_benchmark
                else ""
            )
            + (_mixture_text(s) if step == "mix" else "")
            + (f" — {purpose}" if purpose else "")
        )
    status = "consistent" if declared_purposes else "measured"
    evidence = [f"{MANIFEST} lineage: {len(steps)} step(s)"]
    if declared_purposes:
        evidence.append("declared: [processing.purpose]")
    measured = {"steps": [s.get("step") for s in steps]}
    return Answer("; ".join(parts), status, evidence, declared_purposes, measured)


def _item10(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    keys = ("collection_start", "collection_end", "collection_ongoing", "created_means")
    declared = {k: decl[k] for k in keys if k in decl and decl[k] != ""}
    start, end = declared_window(decl)
    ongoing = decl.get("collection_ongoing") is True
    has_created = ctx.ms.has("created") and m.rows > m.created_null
    measured: dict[str, Any] | None = None
    evidence = ["declared: " + ", ".join(declared)] if declared else []
    if has_created:
        measured = {
            "created_min": _iso(m.created_min),
            "created_max": _iso(m.created_max),
            "created_null": m.created_null,
            "after_end": m.after_end if end else None,
            "before_start": m.before_start if start else None,
        }
        evidence.append(f"column created ({m.rows - m.created_null:,} dated documents)")
    else:
        evidence.append("column created: not measured (absent or all null)")
    parts = []
    if start or end or ongoing:
        parts.append(
            f"declared {start.isoformat() if start else '?'} to "
            f"{'ongoing' if ongoing else end.isoformat() if end else '?'}"
        )
    if ongoing:
        parts.append("notice: collection is ongoing")
    if measured:
        parts.append(
            f"documents dated {measured['created_min'][:10]} to {measured['created_max'][:10]}"
        )
    absent = []
    if start is None:
        absent.append("collection_start")
    if end is None and not ongoing:
        absent.append("collection_end (or collection_ongoing = true)")
    status = "consistent" if has_created and not absent else "declared"
    if absent:
        ctx.missing(10, name, absent)
        status = "missing"
    tol = ctx.tolerances["date_tolerance"]
    dated = max(m.rows - m.created_null, 1)
    checks = [("after", m.after_end, end)]
    means = decl.get("created_means")
    if means == "collected":
        checks.append(("before", m.before_start, start))
    for side, n, bound in checks:
        if bound is None or not n:
            continue
        share = n / dated
        sev = "error" if share > tol else "warning"
        edge = "collection_end" if side == "after" else "collection_start"
        ctx.add(
            "CONTRADICTED",
            sev,
            10,
            name,
            f"sources.{name}: declared {edge} {bound.isoformat()}, but {n:,} documents "
            f"({share:.2%}) are dated {side} it (tolerance {tol:.2%})",
            declared={edge: bound.isoformat()},
            measured={f"dated_{side}": n, "share": share},
        )
        if sev == "error" and status != "missing":
            status = "contradicted"
    if means is not None and means not in CREATED_MEANS and has_created:
        ctx.add(
            "UNRECOGNISED_VALUE",
            "info",
            10,
            name,
            f"sources.{name}.created_means is free text; dates before collection_start are "
            f'checked only when it is "collected"',
        )
    return Answer("; ".join(parts) or "not declared", status, evidence, declared, measured)


def _item11(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    first = parse_date(decl.get("first_used"))
    ingests = [
        s.get("started")
        for s in ctx.lineage
        if s.get("step") == "ingest" and s.get("source") == name
    ]
    hint = min((s for s in ingests if s), default=None)
    measured = {"earliest_processing": hint} if hint else None
    evidence = ["declared: first_used"] if first else []
    if hint:
        evidence.append("hint: earliest lineage timestamp (first processing is not first use)")
    if first is None:
        ctx.missing(11, name, ["first_used"])
        return Answer("not declared", "missing", evidence, {}, measured)
    status = "declared"
    release = parse_date(ctx.system.get("release_date"))
    start = parse_date(decl.get("collection_start"))
    if release and first > release:
        ctx.add(
            "CONTRADICTED",
            "error",
            11,
            name,
            f"sources.{name}: first_used {first} is after system.release_date {release}",
            declared={"first_used": first.isoformat(), "release_date": release.isoformat()},
        )
        status = "contradicted"
    if start and first < start:
        ctx.add(
            "CONTRADICTED",
            "error",
            11,
            name,
            f"sources.{name}: first_used {first} is before collection_start {start}",
            declared={"first_used": first.isoformat(), "collection_start": start.isoformat()},
        )
        status = "contradicted"
    return Answer(first.isoformat(), status, evidence, {"first_used": first.isoformat()}, measured)


def _item12(ctx: _Ctx, name: str, decl: dict, m: SourceMeasure) -> Answer:
    keys = ("synthetic", "generator", "synthetic_purpose")
    declared = {k: decl[k] for k in keys if k in decl and decl[k] != ""}
    has_col = ctx.ms.has("synthetic") and m.synthetic_known > 0
    measured = None
    evidence = ["declared: " + ", ".join(declared)] if declared else []
    share = m.synthetic_true / m.synthetic_known if has_col else 0.0
    if has_col:
        measured = {
            "synthetic_documents": m.synthetic_true,
            "share": share,
            "by": dict(m.synthetic_by),
            "score_histogram": m.synthetic_score_hist if ctx.ms.has("synthetic_score") else None,
        }
        evidence.append(f"column synthetic ({m.synthetic_known:,} tagged documents)")
    else:
        evidence.append("column synthetic: not measured (run `curate tag-synthetic`)")
    parts = []
    if "synthetic" in declared:
        parts.append("synthetic: " + ("yes" if declared["synthetic"] else "no"))
    if declared.get("generator"):
        parts.append(f"generator: {declared['generator']}")
    if declared.get("synthetic_purpose"):
        parts.append(f"purpose: {declared['synthetic_purpose']}")
    if has_col:
        by = ", ".join(f"{k} {v:,}" for k, v in m.synthetic_by.items())
        parts.append(f"{share:.1%} of documents tagged synthetic" + (f" ({by})" if by else ""))
    if "synthetic" not in declared:
        ctx.missing(12, name, ["synthetic"])
        return Answer("; ".join(parts) or "not declared", "missing", evidence, declared, measured)
    status = "consistent" if has_col else "declared"
    if declared["synthetic"] is True and not declared.get("generator"):
        ctx.missing(12, name, ["generator"])
        status = "missing"
    tol = ctx.tolerances["synthetic_tolerance"]
    detected = m.synthetic_by.get("detected", 0)
    dshare = detected / m.synthetic_known if has_col else 0.0
    if declared["synthetic"] is False and dshare > tol:
        ctx.add(
            "CONTRADICTED",
            "warning",
            12,
            name,
            f"sources.{name}: declared synthetic = false, but {dshare:.1%} of documents are "
            f"detected as machine-written (tolerance {tol:.0%}; the detector is heuristic)",
            declared=False,
            measured={"detected_share": dshare},
        )
        status = "contradicted"
    return Answer("; ".join(parts), status, evidence, declared, measured)


_ITEM_FUNCS: dict[int, Callable[[_Ctx, str, dict, SourceMeasure], Answer]] = {
    1: _item1,
    2: _item2,
    3: _item3,
    4: _item4,
    5: _item5,
    6: _item6,
    7: _item7,
    8: _item8,
    9: _item9,
    10: _item10,
    11: _item11,
    12: _item12,
}


# --------------------------------------------------------------------------- the whole


def _dataset_default(ctx: _Ctx, names: list[str], per: dict[str, Any]) -> dict[str, Any]:
    return {"value": f"see the {len(names)} source(s)", "evidence": []}


def _dataset_sources(ctx: _Ctx, names: list[str], per: dict[str, Any]) -> dict[str, Any]:
    return {"value": f"{len(names)} source(s): {', '.join(names)}", "evidence": ["column source"]}


def _dataset_purpose(ctx: _Ctx, names: list[str], per: dict[str, Any]) -> dict[str, Any]:
    p = ctx.system.get("intended_purpose")
    return {
        "value": f"system purpose: {p}" if p else "system purpose not declared",
        "evidence": ["declared: system.intended_purpose"] if p else [],
    }


def _dataset_points(ctx: _Ctx, names: list[str], per: dict[str, Any]) -> dict[str, Any]:
    rows = sum(m.rows for m in ctx.ms.per_source.values())
    words = sum(m.words for m in ctx.ms.per_source.values())
    value = f"{rows:,} documents ({size_category(rows)}); {words:,} words"
    evidence = [f"{MANIFEST} shard row counts"]
    if ctx.ms.has("n_tokens"):
        value += f"; {sum(m.tokens for m in ctx.ms.per_source.values()):,} tokens"
        evidence.append("tokens from column n_tokens")
    return {"value": value, "evidence": evidence}


def _dataset_types(ctx: _Ctx, names: list[str], per: dict[str, Any]) -> dict[str, Any]:
    cols = ", ".join(f"{c['name']} ({c['type']})" for c in ctx.ms.columns)
    return {"value": f"text documents; columns: {cols}", "evidence": ["dataset schema"]}


def _dataset_pii(ctx: _Ctx, names: list[str], per: dict[str, Any]) -> dict[str, Any]:
    if not ctx.ms.pii_columns:
        return {"value": "see the sources (sampled scan or not measured)", "evidence": []}
    hits: Counter[str] = Counter()
    for m in ctx.ms.per_source.values():
        hits.update(m.pii_hits)
    docs = sum(m.pii_any_docs for m in ctx.ms.per_source.values())
    kinds = ", ".join(f"{k} {v:,}" for k, v in hits.items())
    return {
        "value": f"{docs:,} documents with detections ({kinds})",
        "evidence": ctx.ms.pii_columns,
    }


def _dataset_processing(ctx: _Ctx, names: list[str], per: dict[str, Any]) -> dict[str, Any]:
    steps = [s.get("step", "?") for s in ctx.lineage]
    return {
        "value": " → ".join(steps) if steps else "no processing recorded",
        "evidence": [f"{MANIFEST} lineage"] if steps else [],
    }


def _dataset_period(ctx: _Ctx, names: list[str], per: dict[str, Any]) -> dict[str, Any]:
    lo = [m.created_min for m in ctx.ms.per_source.values() if m.created_min]
    hi = [m.created_max for m in ctx.ms.per_source.values() if m.created_max]
    if not lo:
        return {"value": "documents carry no dates", "evidence": []}
    return {
        "value": f"documents dated {_iso(min(lo))[:10]} to {_iso(max(hi))[:10]}",
        "evidence": ["column created"],
    }


def _dataset_synthetic(ctx: _Ctx, names: list[str], per: dict[str, Any]) -> dict[str, Any]:
    known = sum(m.synthetic_known for m in ctx.ms.per_source.values())
    if not known:
        return {"value": "synthetic share not measured", "evidence": []}
    true = sum(m.synthetic_true for m in ctx.ms.per_source.values())
    return {
        "value": f"{true / known:.1%} of documents tagged synthetic",
        "evidence": ["column synthetic"],
    }


_DATASET_FUNCS = {
    1: _dataset_sources,
    2: _dataset_purpose,
    3: _dataset_points,
    4: _dataset_types,
    7: _dataset_pii,
    9: _dataset_processing,
    10: _dataset_period,
    12: _dataset_synthetic,
}


def _dataset_findings(ctx: _Ctx, declared: dict[str, dict], names: list[str]) -> None:
    if not declared:
        ctx.add(
            "MISSING",
            "error",
            1,
            None,
            "no sources are declared; pass --sources sources.toml (or ingest with --sources)",
        )
    for name in names:
        m = ctx.ms.per_source.get(name)
        if name == NO_SOURCE:
            ctx.add(
                "UNDECLARED_SOURCE",
                "error",
                1,
                name,
                f"{m.rows if m else 0:,} documents have no `source` column; ingest them with "
                "`curate ingest --source NAME` and declare NAME in sources.toml",
            )
        elif name not in declared:
            ctx.add(
                "UNDECLARED_SOURCE",
                "error",
                1,
                name,
                f"source {name} has {m.rows if m else 0:,} documents but no [sources.{name}] "
                "table; declare it in sources.toml",
            )
        elif m is None or m.rows == 0:
            ctx.add(
                "EMPTY_SOURCE",
                "warning",
                1,
                name,
                f"sources.{name} is declared but has no documents in this dataset",
            )
    if not ctx.system.get("intended_purpose"):
        ctx.add(
            "MISSING",
            "error",
            2,
            None,
            "system.intended_purpose is not declared; add it to the [system] table",
        )
    for key in ("developer", "name", "version", "release_date"):
        if not ctx.system.get(key):
            ctx.add(
                "MISSING",
                "warning",
                None,
                None,
                f"system.{key} is not declared; add it to the [system] table",
            )
    if ctx.ms.has("created") is False:
        ctx.add("NOT_MEASURED", "info", 10, None, "column created is absent: dates not measured")


def _iso(t: dt.datetime | None) -> str:
    return t.isoformat() if t else ""


def _mixture_text(step: dict[str, Any]) -> str:
    """A `mix` step's weights, seed and how often documents appear, for item 9."""
    mixture = step.get("mixture")
    if not isinstance(mixture, dict) or not mixture:
        return ""
    parts = []
    for name, m in mixture.items():
        if not isinstance(m, dict):
            continue
        times = m.get("times") or {}
        appear = ", ".join(f"{n:,} × {k}" for k, n in times.items() if isinstance(n, int))
        parts.append(
            f"{name} weight {m.get('weight')} (rate {float(m.get('rate') or 0):.3g}"
            + (f"; documents appearing: {appear}" if appear else "")
            + ")"
        )
    return (
        f" (split {step.get('split')}, seed {step.get('seed')}, by {step.get('by')}: "
        + "; ".join(parts)
        + ")"
    )


def _lineage(lineage: list[dict[str, Any]], purposes: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for s in lineage:
        params = dict(s.get("params") or {})
        if isinstance(params.get("inputs"), list) and len(params["inputs"]) > TOP:
            params["inputs"] = params["inputs"][:TOP] + [f"… {len(params['inputs']) - TOP} more"]
        extra = {"mixture": s["mixture"]} if isinstance(s.get("mixture"), dict) else {}
        out.append(
            {
                **extra,
                "step": s.get("step"),
                "version": s.get("version"),
                "source": s.get("source"),
                "params": params,
                "rows_in": s.get("rows_in"),
                "rows_out": s.get("rows_out"),
                "removed": s.get("removed") or {},
                "totals": s.get("totals") or {},
                "started": s.get("started"),
                "ended": s.get("ended"),
                "purpose": purposes.get(s.get("step") or ""),
            }
        )
    return out


def _measure_json(m: SourceMeasure, ms: Measurements) -> dict[str, Any]:
    quality = m.sample.cols.get("quality", [])
    return {
        "documents": m.rows,
        "text_bytes": m.text_bytes,
        "words": m.words,
        "tokens": m.tokens if ms.has("n_tokens") else None,
        "null_text": m.null_text,
        "empty_text": m.empty_text,
        "languages": dict(m.langs.most_common(TOP)) if ms.has("lang") else None,
        "licenses": dict(m.licenses.most_common(TOP)) if ms.has("license") else None,
        "no_license": m.no_license if ms.has("license") else None,
        "created": {
            "min": _iso(m.created_min) or None,
            "max": _iso(m.created_max) or None,
            "null": m.created_null,
            "months": dict(sorted(m.months.items())),
        }
        if ms.has("created")
        else None,
        "length_chars": percentiles(m.sample.cols.get("length", [])),
        "sample_size": m.sample.size,
        "quality": {
            "percentiles": percentiles(quality),
            "histogram": histogram(quality),
            "sample_size": m.sample.size,
        }
        if ms.has("quality")
        else None,
        "synthetic_share": m.synthetic_true / m.synthetic_known if m.synthetic_known else None,
        "top_domains": [
            {"domain": d, "text_bytes": b, "documents": n}
            for d, b, n in domains(m.hosts, m.host_docs)[:TOP]
        ],
    }


def _measurements_json(
    ms: Measurements, names: list[str], all_domains: list[tuple[str, int, int]]
) -> dict[str, Any]:
    per = {n: _measure_json(ms.per_source.get(n) or SourceMeasure(n), ms) for n in names}
    langs: Counter[str] = Counter()
    for m in ms.per_source.values():
        langs.update(m.langs)
    quality = [q for m in ms.per_source.values() for q in m.sample.cols.get("quality", [])]
    return {
        "per_source": per,
        "languages": dict(langs.most_common(TOP)) if ms.has("lang") else None,
        "quality_histogram": histogram(quality) if ms.has("quality") else None,
        "pii_columns": ms.pii_columns,
        "label_columns": ms.label_columns,
        "top_domains": [
            {"domain": d, "text_bytes": b, "documents": n} for d, b, n in all_domains[:TOP]
        ],
        "distinct_domains": len(all_domains),
    }


def write_report_json(report: Report, path: Path) -> None:
    path.write_text(json.dumps(report.doc, indent=2, default=str) + "\n", encoding="utf-8")
