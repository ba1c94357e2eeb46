"""`curate show`: documents as a person reads them, in a terminal or a browser.

The point is "why was this removed?" in one command: the reason columns of a rejected
dataset (`filter_reason`, `reason`, `dup_of`, `contaminated_by`) are shown above each
text by default, and `--where` picks the documents of one reason. Rows come from
`curate.selection` (the first `--limit` matches in dataset order, or a seeded
`--sample`), so a look at a 100 GB dataset reads only what it shows.
"""

from __future__ import annotations

import html
import json
import shutil
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from curate.dataset import Dataset, open_dataset
from curate.errors import CurateError
from curate.selection import Selection, iter_selected, output_columns, sample_rows

# shown above the text when the dataset has them (and --columns does not say otherwise)
DEFAULT_FIELDS = (
    "source",
    "url",
    "filter",
    "filter_reason",
    "reason",
    "dup_of",
    "contaminated_by",
    "lang",
    "lang_score",
    "synthetic_by",
)
# the column whose values the HTML page offers as a filter, the first one present
REASON_FIELDS = ("filter_reason", "reason", "filter", "contaminated_by", "synthetic_by")
DEFAULT_MAX_CHARS = 1_000
HTML_MAX_CHARS = 50_000
MAX_WIDTH = 100


@dataclass
class Shown:
    """The documents a `show` selected: header fields and text of each."""

    location: str
    fields: list[str]
    rows: list[dict[str, Any]]
    has_text: bool


def select_documents(
    location: str | Dataset,
    *,
    columns: Sequence[str] | None = None,
    where: str | None = None,
    limit: int = 10,
    sample: int | None = None,
    seed: int = 0,
) -> Shown:
    """The rows `curate show` prints: `limit` first matches, or a `sample` of them."""
    ds = location if isinstance(location, Dataset) else open_dataset(location)
    have = ds.column_names()
    if columns is None:
        fields = [c for c in DEFAULT_FIELDS if c in have]
    else:
        fields = [c for c in columns if c not in ("id", "text")]
    read = [c for c in ("id", *fields, "text") if c in have or c in fields]
    selection = Selection(columns=tuple(dict.fromkeys(read)), where=where)
    output_columns(ds, selection)  # unknown --columns: exit 2 naming the dataset's columns
    if sample is not None:
        frame = sample_rows(ds, selection, sample, seed=seed)
        rows = frame.to_dicts()
    else:
        if limit < 1:
            raise CurateError("--limit must be at least 1")
        rows = []
        for frame in iter_selected(ds, selection, batch_rows=max(limit, 1_000)):
            rows.extend(frame.head(limit - len(rows)).to_dicts())
            if len(rows) >= limit:
                break
    return Shown(str(ds.location), fields, rows, "text" in have)


def _value(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def cut_text(text: str, max_chars: int) -> tuple[str, int]:
    """The text up to `max_chars` (0: all of it) and how many characters were left out."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text, 0
    return text[:max_chars], len(text) - max_chars


def render_text(
    shown: Shown, *, max_chars: int = DEFAULT_MAX_CHARS, width: int | None = None
) -> str:
    """Plain text for a terminal or a pager: a header block, then the wrapped text."""
    width = width or min(shutil.get_terminal_size((MAX_WIDTH, 24)).columns, MAX_WIDTH)
    rule = "─" * width
    out: list[str] = []
    for n, row in enumerate(shown.rows, start=1):
        out.append(rule)
        out.append(f"[{n}] id: {_value(row.get('id'))}")
        for f in shown.fields:
            out.append(f"    {f}: {_value(row.get(f))}")
        if shown.has_text:
            text = row.get("text")
            out.append("")
            if not isinstance(text, str):
                out.append("    (no text)")
            else:
                body, rest = cut_text(text, max_chars)
                out.extend(_wrap(body, width))
                if rest:
                    out.append(f"[… {rest:,} more characters; --max-chars 0 shows all]")
    if shown.rows:
        out.append(rule)
    return "\n".join(out) + ("\n" if out else "")


def _wrap(text: str, width: int) -> list[str]:
    """Wrap each line of the text (its own line breaks kept; blank lines kept)."""
    lines: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            lines.append("")
            continue
        lines.extend(
            textwrap.wrap(line, width=width, break_long_words=True, replace_whitespace=False)
        )
    return lines


# --------------------------------------------------------------------------- HTML


def render_html(shown: Shown, *, title: str | None = None) -> str:
    """A self-contained page (no network, no files beside it) to browse the documents.

    The rows travel as JSON inside the page and are drawn by its script with
    `textContent` (a document's text is never parsed as HTML). A select offers the
    values of the first reason column present, a box searches id, url and text; both
    are kept in the address's fragment (`#reason=top_2_gram&q=mill`), so a view can be
    bookmarked or shared.
    """
    reason = next((f for f in REASON_FIELDS if f in shown.fields), None)
    docs = []
    for row in shown.rows:
        text = row.get("text")
        body, rest = cut_text(text, HTML_MAX_CHARS) if isinstance(text, str) else ("", 0)
        docs.append(
            {
                "id": _value(row.get("id")),
                "fields": [[f, _value(row.get(f))] for f in shown.fields],
                "reason": _value(row.get(reason)) if reason else None,
                "text": body,
                "cut": rest,
            }
        )
    data = json.dumps(
        {"location": shown.location, "reason_field": reason, "docs": docs},
        ensure_ascii=False,
        default=str,
    )
    data = data.replace("</", "<\\/").replace("<!--", "<\\!--")  # cannot end the <script>
    page_title = html.escape(title or f"curate show {shown.location}")
    page = _PAGE.replace("@MARKER@", HTML_MARKER).replace("@TITLE@", page_title)
    return page.replace("@DATA@", data)


HTML_MARKER = '<meta name="generator" content="curate show">'


def write_html(shown: Shown, path: str | Path, *, overwrite: bool = False) -> None:
    """Write the page whole (a temporary file renamed into place), never over the input
    or over a file an earlier `curate show` did not write (unless `overwrite`)."""
    from curate.locations import check_file_output, check_locations, dataset_inputs
    from curate.storage import Store

    target = Path(path)
    if target.is_dir():
        raise CurateError(f"--html {path}: is a folder; give a file name (e.g. show.html)")
    check_locations({"--html": target}, dataset_inputs(shown.location, []))
    check_file_output("--html", target, HTML_MARKER, overwrite=overwrite)
    if not target.parent.exists():
        raise CurateError(f"--html {path}: the folder {target.parent} does not exist")
    Store(target.parent).write_bytes(target.name, render_html(shown).encode("utf-8"))


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
@MARKER@
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
header { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd;
  padding: .6rem 1rem; display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 1rem; margin: 0; }
input[type=search] { min-width: 18rem; padding: .3rem .5rem; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
article { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 0 0 1rem;
  padding: .8rem 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; margin: 0 0 .6rem;
  font-size: .85rem; color: #444; }
dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font: inherit; margin: 0; }
.cut { color: #a33; font-style: italic; }
mark { background: #fde68a; }
</style></head>
<body>
<header><h1 id="title"></h1>
<label id="reason-box">reason <select id="reason"><option value="">all</option></select></label>
<input id="q" type="search" placeholder="search id, url, text">
<span id="count"></span></header>
<main id="docs"></main>
<script type="application/json" id="data">@DATA@</script>
<script>
"use strict";
const DATA = JSON.parse(document.getElementById("data").textContent);
const reasonSel = document.getElementById("reason");
const q = document.getElementById("q");
document.getElementById("title").textContent = DATA.location;
if (DATA.reason_field) {
  const counts = new Map();
  for (const d of DATA.docs) counts.set(d.reason, (counts.get(d.reason) || 0) + 1);
  for (const [value, n] of [...counts].sort((a, b) => b[1] - a[1])) {
    const o = document.createElement("option");
    o.value = value; o.textContent = value + " (" + n + ")";
    reasonSel.appendChild(o);
  }
  reasonSel.parentElement.firstChild.textContent = DATA.reason_field + " ";
} else {
  document.getElementById("reason-box").hidden = true;
}
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  q.value = p.get("q") || "";
  reasonSel.value = p.get("reason") || "";
}
function writeHash() {
  const p = new URLSearchParams();
  if (q.value) p.set("q", q.value);
  if (reasonSel.value) p.set("reason", reasonSel.value);
  history.replaceState(null, "", "#" + p.toString());
}
function draw() {
  const needle = q.value.trim().toLowerCase();
  const main = document.getElementById("docs");
  main.replaceChildren();
  let shown = 0;
  for (const d of DATA.docs) {
    if (reasonSel.value && d.reason !== reasonSel.value) continue;
    if (needle && !(d.id + " " + d.text + " " + d.fields.map(f => f[1]).join(" "))
        .toLowerCase().includes(needle)) continue;
    shown++;
    const art = document.createElement("article");
    art.className = "doc"; art.dataset.id = d.id;
    const dl = document.createElement("dl");
    for (const [k, v] of [["id", d.id], ...d.fields]) {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v;
      dl.append(dt, dd);
    }
    const pre = document.createElement("pre"); pre.textContent = d.text;
    art.append(dl, pre);
    if (d.cut) {
      const c = document.createElement("p"); c.className = "cut";
      c.textContent = "[… " + d.cut.toLocaleString("en") + " more characters]";
      art.append(c);
    }
    main.append(art);
  }
  document.getElementById("count").textContent =
    shown + " of " + DATA.docs.length + " documents";
}
reasonSel.addEventListener("change", () => { writeHash(); draw(); });
q.addEventListener("input", () => { writeHash(); draw(); });
window.addEventListener("hashchange", () => { readHash(); draw(); });
readHash();
draw();
</script>
</body></html>
"""


def frame_of(shown: Shown) -> pl.DataFrame:
    """The shown rows as a frame (for notebook users)."""
    return pl.DataFrame(shown.rows)
