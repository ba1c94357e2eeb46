"""The EU AI Act public summary of training content (Art. 53(1)(d), AI Office template).

Follows the template's structure (PROVENANCE.md §2): 1 general information, 2 data
sources grouped by `kind` (2.1 public datasets … 2.6 other), 3 data processing. The
top-domain list of 2.3 is the top 10 % of all domains by text bytes (an SME: 5 % or
1,000 domains, whichever is lower), written in full to `eu_top_domains.csv`. What
curate cannot know (provider contact, crawler behaviour) comes from `[system.eu]` and
the sources' declarations, and is marked "not declared" when absent.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

SECTIONS = {
    "public-dataset": "2.1",
    "licensed": "2.2.1",
    "private-third-party": "2.2.2",
    "crawled": "2.3",
    "user-data": "2.4",
    "synthetic": "2.5",
    "first-party": "2.6",
    "other": "2.6",
}
# Share of a modality's training data above which a public dataset is "large" and
# listed by name (2.1). The Explanatory Notice defines the threshold; this default is
# a parameter of ours, printed in the summary, not a quotation of the notice.
LARGE_DATASET_SHARE = 0.03
TEXT_TOKEN_BINS = ((1e9, "less than 1 billion tokens"), (1e13, "1 billion to 10 trillion tokens"))
NOT_DECLARED = "not declared"
TEMPLATE = (
    "EU AI Act Art. 53(1)(d) public summary of training content "
    "(AI Office template, C(2025) 5235 / C(2025) 8311)"
)


def top_domain_count(n_domains: int, *, sme: bool) -> int:
    """How many domains 2.3 lists: 10 % of all (SME: min(5 %, 1,000)), at least one."""
    if n_domains == 0:
        return 0
    if sme:
        return max(1, min(math.ceil(n_domains * 0.05), 1000))
    return max(1, math.ceil(n_domains * 0.10))


def build_eu_summary(doc: dict[str, Any], domains: list[tuple[str, int, int]]) -> dict[str, Any]:
    """The template's sections from a report; `domains` are those of the crawled sources."""
    system = doc.get("system") or {}
    eu = system.get("eu") or {}
    decls = doc.get("declared_sources") or {}
    per = doc["measurements"]["per_source"]
    total_docs = max(doc["dataset"]["documents"], 1)
    words = sum(m.get("words") or 0 for m in per.values())
    # the template's size bins are in tokens: from `n_tokens` (`curate tokens`) when every
    # source has it, else no bin and the size in documents and words, said to be so
    counted = [m.get("tokens") for m in per.values()]
    tokens = sum(counted) if counted and all(t is not None for t in counted) else None
    created_max = max(
        (m["created"]["max"] for m in per.values() if m.get("created") and m["created"]["max"]),
        default=None,
    )
    latest = created_max[:7] if created_max else None
    if latest is None:
        ends = [str(d["collection_end"]) for d in decls.values() if d.get("collection_end")]
        latest = max(ends)[:7] if ends else None
    by_section: dict[str, list[dict[str, Any]]] = {}
    for src, d in decls.items():
        sec = SECTIONS.get(str(d.get("kind")), "2.6")
        n = per.get(src, {}).get("documents", 0)
        by_section.setdefault(sec, []).append(
            {
                "source": src,
                "name": d.get("description") or src,
                "origin": d.get("origin") or NOT_DECLARED,
                "owner": d.get("owner") or NOT_DECLARED,
                "documents": n,
                "share": n / total_docs,
                "large": n / total_docs >= LARGE_DATASET_SHARE,
                "licensor": d.get("licensor") or None,
                "collection_period": _period(d),
                "crawler": d.get("crawler") or None,
                "generator": d.get("generator") or None,
            }
        )
    n_top = top_domain_count(len(domains), sme=bool(eu.get("sme")))
    top = domains[:n_top]
    total_bytes = sum(b for _, b, _ in domains) or 1
    crawled = by_section.get("2.3", [])
    steps = [s["step"] for s in doc["lineage"]]
    summary = {
        "template": TEMPLATE,
        "version": eu.get("summary_version") or "1",
        "last_update": doc["generated_at"][:10],
        "1_general": {
            "1.1_provider": {
                "name": system.get("developer") or NOT_DECLARED,
                "contact": eu.get("provider_contact") or NOT_DECLARED,
                "authorised_representative": eu.get("authorised_representative") or None,
            },
            "1.2_model": {
                "name": " ".join(x for x in (system.get("name"), system.get("version")) if x)
                or NOT_DECLARED,
                "dependencies": eu.get("model_dependencies")
                or system.get("substantial_modification_of")
                or None,
                "placed_on_market": eu.get("placed_on_market")
                or system.get("release_date")
                or NOT_DECLARED,
            },
            "1.3_modalities_and_size": {
                "modalities": ["text"],
                "text_size_bin": _token_bin(tokens) if tokens is not None else None,
                "tokens": tokens,
                "size_from": "measured from column n_tokens"
                if tokens is not None
                else "estimated from words: no n_tokens column (run `curate tokens`)",
                "approximate_size": f"{doc['dataset']['documents']:,} documents, {words:,} words"
                + (f", {tokens:,} tokens" if tokens is not None else ""),
                "latest_collection": latest,
                "continuously_trained": bool(eu.get("continuous_training"))
                or any(d.get("collection_ongoing") for d in decls.values()),
                "languages": doc["measurements"].get("languages"),
            },
        },
        "2_sources": {
            "2.1_public_datasets": {
                "used": bool(by_section.get("2.1")),
                "large_dataset_share": LARGE_DATASET_SHARE,
                "datasets": by_section.get("2.1", []),
            },
            "2.2_private_third_party": {
                "used": bool(by_section.get("2.2.1") or by_section.get("2.2.2")),
                "2.2.1_commercially_licensed": by_section.get("2.2.1", []),
                "2.2.2_other": by_section.get("2.2.2", []),
            },
            "2.3_crawled": {
                "used": bool(crawled),
                "sources": crawled,
                "top_domains_rule": "top 5 % or 1,000 domains (SME)"
                if eu.get("sme")
                else "top 10 % of domains",
                "domains_total": len(domains),
                "top_domains": [
                    {"domain": d, "text_bytes": b, "documents": n, "share": b / total_bytes}
                    for d, b, n in top
                ],
                "top_domains_file": "eu_top_domains.csv",
            },
            "2.4_user_data": {
                "used": bool(by_section.get("2.4")),
                "sources": by_section.get("2.4", []),
                "description": eu.get("user_data") or None,
            },
            "2.5_synthetic": {
                "used": bool(by_section.get("2.5"))
                or any(d.get("synthetic") is True for d in decls.values()),
                "generators": sorted(
                    {str(d["generator"]) for d in decls.values() if d.get("generator")}
                ),
                "sources": by_section.get("2.5", []),
            },
            "2.6_other": {
                "used": bool(by_section.get("2.6")),
                "sources": by_section.get("2.6", []),
                "description": eu.get("other_sources") or None,
            },
        },
        "3_processing": {
            "3.1_tdm_opt_out": {
                "code_of_practice_signatory": eu.get("code_of_practice_signatory"),
                "measures": eu.get("tdm_optout_measures") or NOT_DECLARED,
                "robots_txt_respected_by_crawlers": {
                    s["source"]: (s["crawler"] or {}).get("respects_robots_txt") for s in crawled
                },
            },
            "3.2_illegal_content": {
                "measures": eu.get("illegal_content_measures") or NOT_DECLARED,
                "lineage_evidence": [s for s in steps if s in ("filter", "pii", "dedup")],
            },
            "3.3_other": "; ".join(
                f"{step}: {purpose}"
                for step, purpose in {
                    s["step"]: s.get("purpose") or "purpose not declared" for s in doc["lineage"]
                }.items()
            ),
        },
    }
    return summary


def _period(d: dict[str, Any]) -> str | None:
    start = d.get("collection_start")
    end = "ongoing" if d.get("collection_ongoing") else d.get("collection_end")
    return f"{start or '?'} to {end or '?'}" if start or end else None


def _token_bin(tokens: float) -> str:
    for limit, label in TEXT_TOKEN_BINS:
        if tokens < limit:
            return label
    return "more than 10 trillion tokens"


def top_domains_csv(domains: list[tuple[str, int, int]], *, sme: bool) -> str:
    n = top_domain_count(len(domains), sme=sme)
    total = sum(b for _, b, _ in domains) or 1
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["rank", "domain", "text_bytes", "documents", "share_of_text_bytes"])
    for i, (d, b, docs) in enumerate(domains[:n], 1):
        w.writerow([i, d, b, docs, f"{b / total:.6f}"])
    return buf.getvalue()


def render_eu_markdown(s: dict[str, Any]) -> str:
    g = s["1_general"]
    src = s["2_sources"]
    p = s["3_processing"]
    yn = lambda b: "Yes" if b else "No"  # noqa: E731
    size = g["1.3_modalities_and_size"]
    out = [
        "# Public summary of training content",
        "",
        f"Template: {s['template']}.  ",
        f"Version {s['version']}, last update {s['last_update']}.",
        "",
        "## 1. General information",
        "",
        f"- **1.1 Provider:** {g['1.1_provider']['name']}; contact: {g['1.1_provider']['contact']}"
        + (
            f"; authorised representative: {g['1.1_provider']['authorised_representative']}"
            if g["1.1_provider"]["authorised_representative"]
            else ""
        ),
        f"- **1.2 Model:** {g['1.2_model']['name']}; dependencies: "
        f"{g['1.2_model']['dependencies'] or 'none declared'}; placed on the Union market: "
        f"{g['1.2_model']['placed_on_market']}",
        f"- **1.3 Modalities:** text. Size: {size['text_size_bin'] or 'token count not measured'}"
        f" ({size.get('size_from') or 'estimated from words'}); "
        f"approximate size: {size['approximate_size']}. Latest data collection: "
        f"{size['latest_collection'] or 'unknown'}. Continuously trained on new data: "
        f"{yn(size['continuously_trained'])}.",
    ]
    if size["languages"]:
        out.append(
            "- **Languages (documents):** "
            + ", ".join(f"{k} {v:,}" for k, v in list(size["languages"].items())[:10])
        )
    out += ["", "## 2. List of data sources", ""]

    def listing(rows: list[dict[str, Any]]) -> list[str]:
        return [
            f"  - {r['name']} ({r['origin']}; {r['documents']:,} documents, {r['share']:.1%}"
            + (", large" if r.get("large") else "")
            + (f"; period {r['collection_period']}" if r.get("collection_period") else "")
            + ")"
            for r in rows
        ]

    pub = src["2.1_public_datasets"]
    out += [f"**2.1 Publicly available datasets:** {yn(pub['used'])}", *listing(pub["datasets"])]
    out.append(
        f"  (a dataset is listed as large at ≥ {pub['large_dataset_share']:.0%} of the text)"
        if pub["used"]
        else ""
    )
    priv = src["2.2_private_third_party"]
    out += [
        f"**2.2 Private non-publicly available datasets from third parties:** {yn(priv['used'])}",
        *(
            ["- 2.2.1 Commercially licensed:"] + listing(priv["2.2.1_commercially_licensed"])
            if priv["2.2.1_commercially_licensed"]
            else []
        ),
        *(["- 2.2.2 Other:"] + listing(priv["2.2.2_other"]) if priv["2.2.2_other"] else []),
        "",
    ]
    cr = src["2.3_crawled"]
    out += [f"**2.3 Data crawled and scraped from online sources:** {yn(cr['used'])}"]
    for r in cr["sources"]:
        c = r.get("crawler") or {}
        out.append(
            f"  - {r['name']}: crawler {c.get('name') or 'not declared'} "
            f"(user agent {c.get('user_agent') or 'not declared'}); purpose "
            f"{c.get('purpose') or 'not declared'}; robots.txt respected: "
            f"{c.get('respects_robots_txt', 'not declared')}; "
            f"period {r.get('collection_period') or 'not declared'}"
        )
    if cr["top_domains"]:
        out += [
            "",
            f"Most relevant domains ({cr['top_domains_rule']}: {len(cr['top_domains'])} of "
            f"{cr['domains_total']:,}; also in `{cr['top_domains_file']}`):",
            "",
            *[
                f"{i}. {d['domain']} ({d['share']:.1%} of text)"
                for i, d in enumerate(cr["top_domains"][:50], 1)
            ],
        ]
    ud = src["2.4_user_data"]
    out += [
        "",
        f"**2.4 User data:** {yn(ud['used'])}"
        + (f" — {ud['description']}" if ud["description"] else ""),
    ]
    syn = src["2.5_synthetic"]
    out += [
        f"**2.5 Synthetic data:** {yn(syn['used'])}"
        + (f" — generated with {', '.join(syn['generators'])}" if syn["generators"] else ""),
    ]
    oth = src["2.6_other"]
    out += [f"**2.6 Other sources:** {yn(oth['used'])}", *listing(oth["sources"])]
    cop = p["3.1_tdm_opt_out"]["code_of_practice_signatory"]
    signatory = "not declared" if cop is None else yn(cop)
    out += [
        "",
        "## 3. Data processing aspects",
        "",
        f"- **3.1 Reservation of rights (TDM opt-out):** Code of Practice signatory: "
        f"{signatory}; measures: {p['3.1_tdm_opt_out']['measures']}",
        f"- **3.2 Removal of illegal content:** {p['3.2_illegal_content']['measures']}"
        + (
            f" (processing steps run: {', '.join(p['3.2_illegal_content']['lineage_evidence'])})"
            if p["3.2_illegal_content"]["lineage_evidence"]
            else ""
        ),
        f"- **3.3 Other information:** {p['3.3_other'] or 'none'}",
        "",
    ]
    return "\n".join(out)
