"""report.html: one self-contained page (inline CSS and SVG charts, no scripts, no fetches).

A disclosure page is posted, archived and mailed around; it must open offline, years
later, exactly as it was. So every chart is inline SVG drawn here, every string is
HTML-escaped, and nothing refers to a URL except the links the user declared.
"""

# ruff: noqa: E501  (HTML and SVG markup reads better unwrapped)
from __future__ import annotations

import html
from typing import Any

from curate.provenance.render_md import BADGE, system_lines

COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7")
STATUS_CLASS = {
    "declared": "st-declared",
    "measured": "st-measured",
    "consistent": "st-ok",
    "contradicted": "st-bad",
    "missing": "st-bad",
    "n/a": "st-na",
}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;
 padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.6rem 0}
th,td{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f5f5f5}
.badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.8rem;white-space:nowrap}
.st-ok{background:#d8f0d8}.st-bad{background:#f8d0d0}.st-declared{background:#e3e8f5}
.st-measured{background:#efe6d6}.st-na{background:#eee}
.sev-error{color:#a00;font-weight:600}.sev-warning{color:#a60}.sev-info{color:#555}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:1rem}
figure{margin:0;border:1px solid #eee;padding:.5rem}figcaption{font-weight:600;font-size:.9rem}
.note{color:#666;font-size:.85rem}pre{background:#f7f7f7;padding:.6rem;overflow:auto;font-size:.8rem}
"""


def esc(x: Any) -> str:
    return html.escape(str(x if x is not None else ""), quote=True)


def hbar_chart(rows: list[tuple[str, float]], *, unit: str = "") -> str:
    """Horizontal bars, one per (label, value), scaled to the largest."""
    if not rows:
        return '<p class="note">not measured</p>'
    width, bar_h, label_w = 360, 18, 130
    top = max(v for _, v in rows) or 1
    h = bar_h * len(rows) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width + label_w + 70} {h}" role="img">'
    ]
    for i, (label, v) in enumerate(rows):
        y = i * bar_h + 3
        w = max(1.0, width * v / top)
        parts.append(
            f'<text x="{label_w - 4}" y="{y + 13}" font-size="11" text-anchor="end">{esc(label[:22])}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 4}" fill="{COLORS[i % len(COLORS)]}">'
            f"<title>{esc(label)}: {v:,.0f}{esc(unit)}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="11">{v:,.0f}{esc(unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(labels: list[str], series: dict[str, list[float]]) -> str:
    """Vertical bars per label, stacked by series (months × sources; histogram bins)."""
    if not labels or not series:
        return '<p class="note">not measured</p>'
    width, height, pad = 480, 160, 24
    totals = [sum(s[i] for s in series.values()) for i in range(len(labels))]
    top = max(totals) or 1
    bw = width / len(labels)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width + 10} {height + pad * 2}" role="img">'
    ]
    for i, label in enumerate(labels):
        y = height + pad
        for k, (name, values) in enumerate(series.items()):
            v = values[i]
            if not v:
                continue
            hgt = height * v / top
            y -= hgt  # type: ignore[assignment]  # an int until the first bar
            parts.append(
                f'<rect x="{i * bw + 1:.1f}" y="{y:.1f}" width="{max(bw - 2, 1):.1f}" height="{hgt:.1f}" '
                f'fill="{COLORS[k % len(COLORS)]}"><title>{esc(label)} {esc(name)}: {v:,.0f}</title></rect>'
            )
    step = max(1, len(labels) // 6)
    for i in range(0, len(labels), step):
        parts.append(
            f'<text x="{i * bw + 1:.1f}" y="{height + pad + 14}" font-size="10">{esc(labels[i])}</text>'
        )
    parts.append(f'<text x="0" y="12" font-size="10">max {top:,.0f}</text>')
    legend_x = 90
    if len(series) > 1:
        for k, name in enumerate(series):
            parts.append(
                f'<rect x="{legend_x}" y="3" width="10" height="10" fill="{COLORS[k % len(COLORS)]}"/>'
                f'<text x="{legend_x + 13}" y="12" font-size="10">{esc(name[:18])}</text>'
            )
            legend_x += 20 + 6 * min(len(name), 18)
    parts.append("</svg>")
    return "".join(parts)


def _charts(doc: dict[str, Any]) -> str:
    ms = doc["measurements"]
    per = ms["per_source"]
    figs = []
    figs.append(("Documents per source", hbar_chart([(s, m["documents"]) for s, m in per.items()])))
    langs = ms.get("languages")
    figs.append(
        (
            "Languages (documents)",
            hbar_chart(list(langs.items())[:12])
            if langs
            else '<p class="note">not measured (no <code>lang</code> column; run <code>curate filter</code> with the language family)</p>',
        )
    )
    qh = ms.get("quality_histogram")
    if qh and qh["counts"]:
        labels = [f"{e:.2f}" for e in qh["edges"][:-1]]
        figs.append(
            ("Quality distribution (sample)", column_chart(labels, {"documents": qh["counts"]}))
        )
    else:
        figs.append(
            (
                "Quality distribution",
                '<p class="note">not measured (no <code>quality</code> column)</p>',
            )
        )
    months = sorted(
        {mo for m in per.values() for mo in ((m.get("created") or {}).get("months") or {})}
    )
    series = {
        s: [float(((m.get("created") or {}).get("months") or {}).get(mo, 0)) for mo in months]
        for s, m in per.items()
    }
    figs.append(
        ("Collection timeline (documents per month of created)", column_chart(months, series))
    )
    steps = [
        (
            f"{i + 1}. {s['step']}" + (f" ({s['source']})" if s.get("source") else ""),
            float(s.get("rows_out") or 0),
        )
        for i, s in enumerate(doc["lineage"])
    ]
    figs.append(("Documents after each step (removed-by-step funnel)", hbar_chart(steps)))
    return (
        '<div class="charts">'
        + "".join(f"<figure><figcaption>{esc(t)}</figcaption>{svg}</figure>" for t, svg in figs)
        + "</div>"
    )


def _badge(status: str) -> str:
    return f'<span class="badge {STATUS_CLASS[status]}">{esc(BADGE[status])}</span>'


def render_html(doc: dict[str, Any]) -> str:
    """The whole report.html."""
    s = doc.get("system") or {}
    title = f"Training data documentation: {s.get('name', doc['dataset']['location'])}"
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        "<p>Documentation of the datasets used to train this generative AI system, following "
        "California Civil Code §3111(a) (AB 2013). Each answer is marked <em>declared</em>, "
        "<em>measured</em>, <em>consistent</em>, <em>contradicted</em> or <em>missing</em>. "
        "Item titles are paraphrased; this page reports facts and declarations, not legal "
        "conclusions.</p><ul>",
    ]
    for line in system_lines(doc):
        key, _, value = line.removeprefix("- **").partition(":** ")
        out.append(f"<li><strong>{esc(key)}:</strong> {esc(value)}</li>")
    out.append("</ul>")
    if doc.get("exempt"):
        out.append(
            f"<p><strong>Exempt under §3111(b) ({esc(s.get('exemption'))}): no posting is required.</strong></p>"
        )
    ds = doc["dataset"]
    out.append(
        f'<p class="note">Dataset <code>{esc(ds["location"])}</code>: {ds["documents"]:,} documents, '
        f"{len(ds['shards'])} shard(s), fingerprint <code>{esc(ds['fingerprint'])}</code>; generated "
        f"{esc(doc['generated_at'])} by curate {esc(doc['tool']['version'])}.</p>"
    )
    out.append("<h2>Overview</h2>" + _charts(doc))
    out.append(
        "<h2>The twelve items (§3111(a))</h2><table><thead><tr><th>#</th><th>Item</th>"
        "<th>Overall</th><th>Source</th><th>Status</th><th>Answer</th><th>Evidence</th></tr></thead><tbody>"
    )
    for item in doc["items"]:
        per = list(item["per_source"].items()) or [("", None)]
        for k, (src, ans) in enumerate(per):
            head = ""
            if k == 0:
                span = len(per)
                head = (
                    f'<td rowspan="{span}">{item["number"]}</td><td rowspan="{span}">{esc(item["title"])}'
                    f'<br><span class="note">{esc(item["citation"])}</span></td>'
                    f'<td rowspan="{span}">{_badge(item["overall"])}</td>'
                )
            if ans is None:
                out.append(f"<tr>{head}<td></td><td></td><td></td><td></td></tr>")
                continue
            out.append(
                f"<tr>{head}<td>{esc(src)}</td><td>{_badge(ans['status'])}</td><td>{esc(ans['value'])}</td>"
                f'<td class="note">{esc("; ".join(ans["evidence"]))}</td></tr>'
            )
        out.append(
            f'<tr><td></td><td colspan="2" class="note">whole dataset</td><td colspan="4">'
            f"{esc(item['dataset']['value'])}</td></tr>"
        )
    out.append("</tbody></table>")
    out.append("<h2>Findings</h2>")
    if doc["findings"]:
        out.append(
            "<table><thead><tr><th>Severity</th><th>Code</th><th>Item</th><th>Source</th>"
            "<th>Finding</th><th>Waived</th></tr></thead><tbody>"
        )
        for f in doc["findings"]:
            w = f.get("waiver") or {}
            waived = (
                f"{w.get('reason')} ({w.get('by')}, until {w.get('until')})" if f["waived"] else ""
            )
            out.append(
                f'<tr><td class="sev-{esc(f["severity"])}">{esc(f["severity"])}</td><td>{esc(f["code"])}</td>'
                f"<td>{esc(f['item'] or '')}</td><td>{esc(f['source'] or '')}</td><td>{esc(f['message'])}</td>"
                f"<td>{esc(waived)}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append("<p>No findings.</p>")
    out.append("<h2>Processing (lineage)</h2>")
    if doc["lineage"]:
        out.append(
            "<table><thead><tr><th>Step</th><th>Source</th><th>Rows in</th><th>Rows out</th>"
            "<th>Removed (by reason)</th><th>Purpose</th><th>Ended</th></tr></thead><tbody>"
        )
        for st in doc["lineage"]:
            removed = ", ".join(f"{k} {v:,}" for k, v in (st.get("removed") or {}).items() if v)
            out.append(
                f"<tr><td>{esc(st['step'])}</td><td>{esc(st.get('source') or '')}</td>"
                f"<td>{st.get('rows_in') or 0:,}</td><td>{st.get('rows_out') or 0:,}</td>"
                f"<td>{esc(removed)}</td><td>{esc(st.get('purpose') or '')}</td><td>{esc(st.get('ended') or '')}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append("<p>No processing recorded.</p>")
    out.append("<h2>Tolerances</h2><ul>")
    out += [f"<li><code>{esc(k)}</code> = {esc(v)}</li>" for k, v in doc["tolerances"].items()]
    out.append("</ul></body></html>")
    return "\n".join(out) + "\n"
