"""`curate report`: each AB 2013 item declared, measured, missing and contradicted; --strict.

Datasets are built the way a user builds them: `curate ingest --sources` over JSONL
written here (one `--append` per source), then a test step that adds the columns
later steps add (`pii_*`, `synthetic*`, `license`, `lang`, `quality`) and a lineage
entry, as `curate pii` or `tag-synthetic` would.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import manifest, run, write_jsonl

from curate.dataset import DatasetWriter, open_dataset

SYSTEM = """
schema = "curate.sources/1"

[system]
developer = "Example Labs"
name = "demo-model"
version = "1.2"
release_date = 2026-06-01
intended_purpose = "A small English assistant for tests"
disclosure_url = "https://example.org/ai/training-data"
"""

WEB = """
[sources.web]
owner = "Example Labs"
origin = "https://crawl.example.org/"
kind = "crawled"
description = "Pages crawled from public websites"
purpose = "General web text for pretraining"
roles = ["pretraining"]
labels = []
license = "various"
copyright = "yes"
trademark = "no"
patent = "no"
public_domain = "no"
acquisition = "none"
personal_information = "possible"
aggregate_consumer_information = false
collection_start = 2024-01-01
collection_end = 2024-06-30
collection_ongoing = false
created_means = "collected"
first_used = 2026-01-15
synthetic = false
generator = ""
"""

FORUM = """
[sources.forum]
owner = "Forum Ltd"
origin = "https://forum.example.net/"
kind = "licensed"
description = "Public forum threads"
purpose = "Conversational text"
roles = ["fine-tuning"]
labels = []
license = "CC-BY-4.0"
copyright = "yes"
trademark = "no"
patent = "no"
public_domain = "no"
acquisition = "licensed"
licensor = "Forum Ltd"
personal_information = "none"
aggregate_consumer_information = false
collection_start = 2023-01-01
collection_end = 2024-06-30
collection_ongoing = false
created_means = "published"
first_used = 2026-01-15
synthetic = false
generator = ""
"""

TOML = SYSTEM + WEB + FORUM


def web_docs(n: int = 6) -> list[dict[str, Any]]:
    return [
        {
            "id": f"w{i}",
            "text": f"Web page number {i} about rivers, mills and bread. " * 3,
            "url": f"https://{'news.' if i % 2 else ''}site{i % 3}.example.com/page/{i}",
            "created": f"2024-0{i % 6 + 1}-15T10:00:00Z",
        }
        for i in range(n)
    ]


def forum_docs(n: int = 4) -> list[dict[str, Any]]:
    return [
        {
            "id": f"f{i}",
            "text": f"Forum reply {i}: try a smaller gear and oil the chain.",
            "url": f"https://forum.example.net/t/{i}",
            "created": f"2023-1{i % 3}-01T08:00:00Z",
        }
        for i in range(n)
    ]


def build(
    tmp_path: Path,
    toml: str = TOML,
    *,
    web: list[dict[str, Any]] | None = None,
    forum: list[dict[str, Any]] | None = None,
    name: str = "raw",
) -> tuple[Path, Path]:
    """Ingest the sources (web, then forum with --append); returns (dataset, sources.toml)."""
    src = tmp_path / "sources.toml"
    src.write_text(toml)
    out = tmp_path / name
    for i, (source, docs) in enumerate(
        (("web", web if web is not None else web_docs()), ("forum", forum or forum_docs()))
    ):
        if not docs:
            continue
        path = write_jsonl(tmp_path / f"{source}.jsonl", docs)
        args = ["ingest", path, "--source", source, "--sources", src, "-o", out, "-q"]
        r = run(*args, *(["--append"] if i and out.exists() else []))
        assert r.exit_code == 0, r
    return out, src


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """One ingested dataset (web + forum) shared by the tests that only vary declarations."""
    ds, _ = build(tmp_path_factory.mktemp("base"))
    return ds


def sources(tmp_path: Path, toml: str = TOML) -> Path:
    """A sources.toml for `curate report --sources` (the dataset stays as ingested)."""
    p = tmp_path / "sources.toml"
    p.write_text(toml)
    return p


def annotate(
    ds_path: Path,
    out: Path,
    columns: dict[str, tuple[pa.DataType, dict[str, Any], Any]],
    *,
    step: str = "pii",
    params: dict[str, Any] | None = None,
    drop: dict[str, str] | None = None,
) -> Path:
    """A test step: add columns (type, value by id, default) and drop ids (id → reason).

    It writes a real dataset with the input's sources, system and lineage plus its own
    lineage entry, so the report sees what it would after `curate pii` and friends.
    """
    ds = open_dataset(ds_path)
    drop = drop or {}
    writer = DatasetWriter(out, step=step, params=params or {}, overwrite=True)
    writer.begin()
    shards = []
    schema = ds.schema
    for name, (typ, _, _) in columns.items():
        if name in schema.names:
            schema = schema.remove(schema.get_field_index(name))
        schema = schema.append(pa.field(name, typ))
    rows_in = 0
    removed: dict[str, int] = {}
    for shard in ds.shards:
        table = pq.read_table(shard.path)
        rows_in += table.num_rows
        ids = table.column("id").to_pylist()
        keep = [i not in drop for i in ids]
        for i in ids:
            if i in drop:
                removed[drop[i]] = removed.get(drop[i], 0) + 1
        for name, (typ, values, default) in columns.items():
            arr = pa.array([values.get(i, default) for i in ids], type=typ)
            if name in table.column_names:
                table = table.drop_columns([name])
            table = table.append_column(name, arr)
        table = table.filter(pa.array(keep)).select(schema.names).cast(schema)
        sink = writer.shard_sink(shard.name, schema)
        sink.write(table)
        shards.append(sink.commit())
    writer.finish(
        shards=shards,
        schema=schema,
        sources=ds.sources,
        lineage_step={
            "rows_in": rows_in,
            "rows_out": sum(s.rows for s in shards),
            "removed": removed,
            "totals": {},
        },
        inherited_lineage=ds.lineage,
        system=(ds.manifest or {}).get("system"),
    )
    return out


def report_json(ds: Path, *args: Any) -> dict[str, Any]:
    r = run("report", ds, "--json", *args)
    assert r.exit_code in (0, 1), r
    return json.loads(r.stdout)


def status(doc: dict[str, Any], item: int, source: str) -> str:
    return doc["items"][item - 1]["per_source"][source]["status"]


def findings(doc: dict[str, Any], item: int | None = None, code: str | None = None) -> list[dict]:
    return [
        f
        for f in doc["findings"]
        if (item is None or f["item"] == item) and (code is None or f["code"] == code)
    ]


def without(toml: str, source: str, *fields: str) -> str:
    """The manifest with some fields of one source's table left out."""
    out, current = [], None
    for line in toml.splitlines():
        if line.startswith("[sources."):
            current = line.strip("[]").split(".", 1)[1]
        key = line.split("=", 1)[0].strip()
        if current == source and key in fields:
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def replace(toml: str, source: str, field: str, value: str) -> str:
    out, current = [], None
    for line in toml.splitlines():
        if line.startswith("[sources."):
            current = line.strip("[]").split(".", 1)[1]
        if current == source and line.split("=", 1)[0].strip() == field:
            line = f"{field} = {value}"
        out.append(line)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- the complete case


def test_complete_declarations_pass_strict(base, tmp_path):
    ds, src = base, sources(tmp_path)
    r = run("report", ds, "--sources", src, "--strict")
    assert r.exit_code == 0, r
    doc = report_json(ds, "--sources", src)
    assert doc["schema_version"] == "curate.report/1"
    assert [i["number"] for i in doc["items"]] == list(range(1, 13))
    assert doc["items"][6]["citation"] == "Cal. Civ. Code §3111(a)(7)"
    assert doc["sources"] == ["web", "forum"]
    assert not [f for f in doc["findings"] if f["severity"] == "error"]
    # declared-only items, measured-only items, and both agreeing
    for item in (2, 6, 8, 11):
        assert status(doc, item, "web") == "declared", item
    for item in (3, 9):
        assert status(doc, item, "web") == "measured", item
    for item in (1, 4, 7, 10):
        assert status(doc, item, "web") == "consistent", item
    assert doc["items"][2]["per_source"]["web"]["value"].startswith("6 documents (n<1K)")
    assert doc["items"][2]["dataset"]["value"].startswith("10 documents")
    assert doc["items"][0]["per_source"]["web"]["measured"]["top_domains"][0]["domain"] == (
        "example.com"
    )


def test_without_output_prints_items_and_findings_and_writes_nothing(tmp_path):
    ds, src = build(tmp_path, without(TOML, "web", "first_used"))
    before = sorted(p.name for p in tmp_path.iterdir())
    r = run("report", ds, "--sources", src)
    assert r.exit_code == 0, r  # not --strict: errors are printed, the exit stays 0
    assert "first_used" in r.stdout and "MISSING" in r.stdout and "(item 11, web)" in r.stdout
    assert "collection_period" in r.stdout  # the items table
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert "errors" in r.stderr  # the summary table


def test_declarations_carried_in_the_dataset_are_used_without_sources(tmp_path):
    ds, _ = build(tmp_path)
    doc = report_json(ds)
    assert status(doc, 1, "forum") == "consistent"
    assert doc["declarations"].endswith("_curate.json")
    assert doc["system"]["developer"] == "Example Labs"
    assert run("report", ds, "--strict").exit_code == 0


# --------------------------------------------------------------------------- missing

MISSING_FIELD = {
    1: ("owner", "origin"),
    2: ("purpose",),
    5: ("copyright",),
    6: ("acquisition",),
    7: ("personal_information",),
    8: ("aggregate_consumer_information",),
    10: ("collection_start",),
    11: ("first_used",),
    12: ("synthetic",),
}


@pytest.mark.parametrize("item", sorted(MISSING_FIELD))
def test_a_field_left_out_makes_its_item_missing_and_strict_fail(base, tmp_path, item):
    ds, src = base, sources(tmp_path, without(TOML, "forum", *MISSING_FIELD[item]))
    doc = report_json(ds, "--sources", src)
    assert status(doc, item, "forum") == "missing"
    assert status(doc, item, "web") != "missing"
    assert doc["items"][item - 1]["overall"] == "missing"
    (f,) = findings(doc, item, "MISSING")
    assert f["severity"] == "error" and f["source"] == "forum" and not f["waived"]
    assert MISSING_FIELD[item][-1] in f["message"] and "sources.toml" in f["message"]
    r = run("report", ds, "--sources", src, "--strict")
    assert r.exit_code == 1, r
    assert "fail" in r.stderr


def test_item3_ongoing_collection_without_estimate_is_a_warning(base, tmp_path):
    toml = replace(TOML, "web", "collection_ongoing", "true")
    ds, src = base, sources(tmp_path, toml)
    doc = report_json(ds, "--sources", src)
    assert status(doc, 3, "web") == "measured"  # counts are always measured
    assert "notice: collection is ongoing" in doc["items"][9]["per_source"]["web"]["value"]
    (f,) = findings(doc, 3, "MISSING")
    assert f["severity"] == "warning" and "data_points_estimate" in f["message"]
    assert run("report", ds, "--sources", src, "--strict").exit_code == 0
    assert run("report", ds, "--sources", src, "--fail-on", "warning").exit_code == 1
    toml2 = toml.replace("[sources.forum]", "data_points_estimate = 5000\n[sources.forum]")
    src.write_text(toml2)
    doc = report_json(ds, "--sources", src)
    assert status(doc, 3, "web") == "consistent"
    assert "declared estimate 5,000" in doc["items"][2]["per_source"]["web"]["value"]


def test_item4_missing_for_a_declared_source_without_description_or_documents(base, tmp_path):
    books = WEB.replace("[sources.web]", "[sources.books]")
    toml = TOML + without(books, "books", "description", "labels")
    ds, src = base, sources(tmp_path, toml)
    doc = report_json(ds, "--sources", src)
    assert status(doc, 4, "books") == "missing"
    assert findings(doc, 1, "EMPTY_SOURCE")[0]["source"] == "books"
    assert status(doc, 3, "books") == "measured"
    assert doc["items"][2]["per_source"]["books"]["value"].startswith("0 documents")


def test_item4_measured_without_a_description(base, tmp_path):
    ds, src = base, sources(tmp_path, without(TOML, "web", "description", "labels"))
    doc = report_json(ds, "--sources", src)
    assert status(doc, 4, "web") == "measured"
    measured = doc["items"][3]["per_source"]["web"]["measured"]
    assert measured["modality"] == "text" and measured["length_chars"]["p50"] > 0


def test_item9_missing_on_bare_parquet_without_declared_processing(base, tmp_path):
    ds, src = base, sources(tmp_path)
    bare = tmp_path / "bare"
    bare.mkdir()
    for p in sorted(ds.glob("*.parquet")):
        (bare / p.name).write_bytes(p.read_bytes())
    doc = report_json(bare, "--sources", src)
    assert status(doc, 9, "web") == "missing"
    assert findings(doc, 9, "NO_LINEAGE")
    src.write_text(TOML + '\n[processing.purpose]\ndedup = "Reduce repetition"\n')
    doc = report_json(bare, "--sources", src)
    assert status(doc, 9, "web") == "declared"
    assert not findings(doc, 9, "NO_LINEAGE")


def test_item9_lineage_steps_parameters_removed_rows_and_purposes(base, tmp_path):
    ds, src = base, sources(tmp_path)
    out = annotate(
        ds,
        tmp_path / "deduped",
        {},
        step="dedup",
        params={"threshold": 0.8},
        drop={"w1": "near_duplicate", "f2": "exact_duplicate"},
    )
    doc = report_json(out, "--sources", src)
    assert status(doc, 9, "web") == "measured"
    value = doc["items"][8]["per_source"]["web"]["value"]
    assert "dedup: 10 → 8 documents (removed:" in value and "near_duplicate 1" in value
    assert "memorisation" in value  # built-in purpose
    step = doc["lineage"][-1]
    assert step["params"]["threshold"] == 0.8 and step["removed"]["exact_duplicate"] == 1
    src.write_text(TOML + '\n[processing.purpose]\ndedup = "Our own words"\n')
    doc = report_json(out, "--sources", src)
    assert status(doc, 9, "web") == "consistent"
    assert "Our own words" in doc["items"][8]["per_source"]["web"]["value"]
    odd = annotate(out, tmp_path / "odd", {}, step="my-step")
    doc = report_json(odd, "--sources", src)
    assert any("my-step" in f["message"] for f in findings(doc, 9, "MISSING"))


# --------------------------------------------------------------------------- contradicted


def test_item1_source_in_data_but_not_declared(base, tmp_path):
    toml = SYSTEM + WEB  # forum is ingested without its table: declare it only for ingest
    ds = base
    src = tmp_path / "only-web.toml"
    src.write_text(toml)
    doc = report_json(ds, "--sources", src)
    (f,) = findings(doc, 1, "UNDECLARED_SOURCE")
    assert f["source"] == "forum" and f["severity"] == "error" and "4 documents" in f["message"]
    assert status(doc, 1, "forum") == "missing"
    assert status(doc, 3, "forum") == "measured"
    assert not findings(doc, code="MISSING")  # one finding for the source, not eleven
    assert run("report", ds, "--sources", src, "--strict").exit_code == 1


def test_item4_label_columns_without_declared_labels(base, tmp_path):
    ds, src = base, sources(tmp_path)
    out = annotate(ds, tmp_path / "labelled", {"label": (pa.string(), {}, "positive")})
    doc = report_json(out, "--sources", src)
    assert status(doc, 4, "web") == "contradicted"
    (f,) = [f for f in findings(doc, 4, "CONTRADICTED") if f["source"] == "web"]
    assert f["severity"] == "warning" and "label" in f["message"]


def test_item5_public_domain_declared_but_cc_by_markers(base, tmp_path):
    toml = replace(TOML, "web", "public_domain", '"entirely"')
    ds, src = base, sources(tmp_path, toml)
    lic = pa.list_(pa.string())
    out = annotate(ds, tmp_path / "lic", {"license": (lic, {"w0": ["CC-BY-4.0"]}, [])})
    doc = report_json(out, "--sources", src)
    assert status(doc, 5, "web") == "contradicted"
    (f,) = findings(doc, 5, "CONTRADICTED")
    assert f["severity"] == "error" and "public_domain = entirely" in f["message"]
    assert run("report", out, "--sources", src, "--strict").exit_code == 1
    assert status(doc, 5, "forum") == "consistent"  # measured markers, no contradiction


def test_item5_declared_spdx_with_other_markers_is_a_warning(base, tmp_path):
    ds, src = base, sources(tmp_path)
    lic = pa.list_(pa.string())
    out = annotate(ds, tmp_path / "lic", {"license": (lic, {"f0": ["CC-BY-SA-4.0"]}, [])})
    doc = report_json(out, "--sources", src)
    (f,) = findings(doc, 5, "CONTRADICTED")
    assert f["source"] == "forum" and f["severity"] == "warning" and "25.0%" in f["message"]


def test_item5_unknown_is_an_honest_warning(base, tmp_path):
    ds, src = base, sources(tmp_path, replace(TOML, "web", "trademark", '"unknown"'))
    doc = report_json(ds, "--sources", src)
    assert findings(doc, 5, "UNKNOWN")[0]["severity"] == "warning"
    assert run("report", ds, "--sources", src, "--strict").exit_code == 0
    assert run("report", ds, "--sources", src, "--fail-on", "warning").exit_code == 1


def test_item6_licensed_kind_but_not_acquired(base, tmp_path):
    ds, src = base, sources(tmp_path, replace(TOML, "forum", "acquisition", '"none"'))
    doc = report_json(ds, "--sources", src)
    assert status(doc, 6, "forum") == "contradicted"
    assert findings(doc, 6, "CONTRADICTED")[0]["severity"] == "error"


def test_item7_none_declared_but_pii_columns_count_emails(base, tmp_path):
    ds, src = base, sources(tmp_path)
    out = annotate(ds, tmp_path / "pii", {"pii_email": (pa.int64(), {"f1": 2}, 0)})
    doc = report_json(out, "--sources", src)
    assert status(doc, 7, "forum") == "contradicted"
    (f,) = findings(doc, 7, "CONTRADICTED")
    assert f["severity"] == "error" and "1 of 4 documents" in f["message"]
    measured = doc["items"][6]["per_source"]["forum"]["measured"]
    assert measured["method"] == "columns" and measured["by_kind"]["email"]["hits"] == 2
    assert status(doc, 7, "web") == "consistent"  # "possible" agrees with anything
    # within a declared tolerance the same data is consistent
    src.write_text(TOML + "\n[tolerances]\npii_tolerance = 0.5\n")
    doc = report_json(out, "--sources", src)
    assert status(doc, 7, "forum") == "consistent"
    assert doc["tolerances"]["pii_tolerance"] == 0.5


def test_item7_sampled_scan_when_no_pii_columns(tmp_path):
    docs = forum_docs()
    docs[0]["text"] += " Write to jane.doe@example.com for the parts list."
    ds, src = build(tmp_path, forum=docs)
    doc = report_json(ds, "--sources", src)
    answer = doc["items"][6]["per_source"]["forum"]
    assert answer["status"] == "contradicted"
    assert answer["measured"]["method"] == "sampled scan"
    assert any("estimated, n=4" in e for e in answer["evidence"])
    assert findings(doc, 7, "CONTRADICTED")[0]["severity"] == "error"


def test_item7_sampled_scan_and_curate_pii_agree_on_the_same_documents(tmp_path):
    # the report's sampled scan is `curate pii`'s detector: on a dataset small enough to be
    # sampled whole, its counts per kind are exactly the documents `curate pii` flags
    texts = [
        "Write to jane.doe@example.com or call 07700 063 966.",
        "Upgrade to version 10.3.9.153; the server at 10.0.0.1 was patched.",
        "Paid with 4111 1111 1111 1111, ref DE89370400440532013000.",
        "Firmware 2.1.0.37 ships with zlib 1.2.0.1; see section 4.8.3.1.",
        "Appelez le 06 12 34 56 78 ou +49 (0)30 123456.",
        "The city had 8 336 817 residents in 2024-01-15.",
    ]
    docs = [{**d, "text": t} for d, t in zip(forum_docs(len(texts)), texts, strict=True)]
    ds, src = build(tmp_path, forum=docs)
    doc = report_json(ds, "--sources", src)
    answer = doc["items"][6]["per_source"]["forum"]
    assert answer["measured"]["method"] == "sampled scan"
    assert any("`curate pii` detector" in e for e in answer["evidence"])
    r = run("pii", ds, "-o", tmp_path / "pii", "-q", "--workers", 1)
    assert r.exit_code == 0, r
    rows = [
        row
        for f in sorted((tmp_path / "pii").glob("*.parquet"))
        for row in pq.read_table(f).to_pylist()
        if row["source"] == "forum"
    ]
    flagged = {
        k: sum(1 for row in rows if row[f"pii_{k}"] > 0)
        for k in answer["measured"]["documents_by_kind"]
    }
    assert answer["measured"]["documents_by_kind"] == flagged
    assert flagged == {"email": 1, "phone": 2, "ip": 1, "credit_card": 1, "us_ssn": 0, "iban": 1}


def test_item7_present_redacted_needs_a_redaction_step(base, tmp_path):
    ds, src = (
        base,
        sources(tmp_path, replace(TOML, "web", "personal_information", '"present-redacted"')),
    )
    doc = report_json(ds, "--sources", src)
    assert status(doc, 7, "web") == "contradicted"
    assert "no `curate pii --redact` step" in findings(doc, 7, "CONTRADICTED")[0]["message"]
    out = annotate(
        ds,
        tmp_path / "redacted",
        {"pii_email": (pa.int64(), {}, 0), "pii_redacted": (pa.int64(), {}, 0)},
        params={"redact": ["email"]},
    )
    doc = report_json(out, "--sources", src)
    assert status(doc, 7, "web") == "consistent"


def test_item7_unrecognised_declaration_is_reported_as_written(base, tmp_path):
    ds, src = base, sources(tmp_path, replace(TOML, "web", "personal_information", '"some"'))
    doc = report_json(ds, "--sources", src)
    assert status(doc, 7, "web") == "declared"
    assert findings(doc, 7, "UNRECOGNISED_VALUE")[0]["severity"] == "warning"


def test_item10_documents_dated_after_collection_end(base, tmp_path):
    ds, src = base, sources(tmp_path, replace(TOML, "web", "collection_end", "2024-03-31"))
    doc = report_json(ds, "--sources", src)
    assert status(doc, 10, "web") == "contradicted"
    (f,) = findings(doc, 10, "CONTRADICTED")
    assert f["severity"] == "error" and "3 documents (50.00%) are dated after" in f["message"]
    src.write_text(
        replace(TOML, "web", "collection_end", "2024-03-31")
        + "[tolerances]\ndate_tolerance = 0.6\n"
    )
    doc = report_json(ds, "--sources", src)
    assert status(doc, 10, "web") == "consistent"
    assert findings(doc, 10, "CONTRADICTED")[0]["severity"] == "warning"


def test_item10_dates_before_start_count_only_when_created_means_collected(base, tmp_path):
    toml = replace(TOML, "web", "collection_start", "2024-03-01")
    ds, src = base, sources(tmp_path, toml)
    doc = report_json(ds, "--sources", src)
    assert "dated before" in findings(doc, 10, "CONTRADICTED")[0]["message"]
    src.write_text(replace(toml, "web", "created_means", '"published"'))
    doc = report_json(ds, "--sources", src)
    assert not findings(doc, 10, "CONTRADICTED")


def test_item11_first_used_after_release_or_before_collection(base, tmp_path):
    ds, src = base, sources(tmp_path, replace(TOML, "web", "first_used", "2026-07-01"))
    doc = report_json(ds, "--sources", src)
    assert status(doc, 11, "web") == "contradicted"
    assert "after system.release_date" in findings(doc, 11, "CONTRADICTED")[0]["message"]
    src.write_text(replace(TOML, "web", "first_used", "2023-06-01"))
    doc = report_json(ds, "--sources", src)
    assert "before collection_start" in findings(doc, 11, "CONTRADICTED")[0]["message"]


def test_item12_detected_synthetic_share_contradicts_a_false_declaration(base, tmp_path):
    ds, src = base, sources(tmp_path)
    out = annotate(
        ds,
        tmp_path / "syn",
        {
            "synthetic": (pa.bool_(), {"w0": True}, False),
            "synthetic_by": (pa.string(), {"w0": "detected"}, None),
            "synthetic_score": (pa.float64(), {"w0": 0.9}, 0.1),
        },
        step="tag-synthetic",
    )
    doc = report_json(out, "--sources", src)
    assert status(doc, 12, "web") == "contradicted"
    (f,) = findings(doc, 12, "CONTRADICTED")
    assert f["severity"] == "warning" and "16.7%" in f["message"]
    assert status(doc, 12, "forum") == "consistent"
    assert run("report", out, "--sources", src, "--strict").exit_code == 0


def test_item12_synthetic_without_generator(base, tmp_path):
    ds, src = base, sources(tmp_path, replace(TOML, "web", "synthetic", "true"))
    doc = report_json(ds, "--sources", src)
    assert status(doc, 12, "web") == "missing"
    assert "generator" in findings(doc, 12, "MISSING")[0]["message"]


# --------------------------------------------------------------------------- waivers, strict


def test_a_waiver_acknowledges_a_finding_until_it_expires(base, tmp_path):
    toml = without(TOML, "forum", "first_used")
    ds, src = base, sources(tmp_path, toml)
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    src.write_text(
        toml
        + f'\n[waivers]\n"11:forum" = {{ reason = "pending", by = "legal", until = {until} }}\n'
    )
    doc = report_json(ds, "--sources", src)
    (f,) = findings(doc, 11, "MISSING")
    assert f["waived"] and f["waiver"]["by"] == "legal"
    assert run("report", ds, "--sources", src, "--strict").exit_code == 0
    src.write_text(
        toml
        + '\n[waivers]\n"11:forum" = { reason = "pending", by = "legal", until = 2020-01-01 }\n'
    )
    doc = report_json(ds, "--sources", src)
    assert not findings(doc, 11, "MISSING")[0]["waived"]
    assert findings(doc, 11, "WAIVER_EXPIRED")[0]["severity"] == "error"
    assert run("report", ds, "--sources", src, "--strict").exit_code == 1


def test_a_waiver_must_name_reason_owner_and_expiry(base, tmp_path):
    ds, src = base, sources(tmp_path)
    src.write_text(TOML + '\n[waivers]\n"7:web" = { reason = "ok" }\n')
    r = run("report", ds, "--sources", src)
    assert r.exit_code == 2
    assert 'waivers."7:web": a waiver must name reason, by, until; add by, until' in r.stderr
    src.write_text(TOML + '\n[waivers]\n"web" = { reason = "ok", by = "a", until = 2030-01-01 }\n')
    assert 'key must be "ITEM:SOURCE"' in run("report", ds, "--sources", src).stderr


def test_strict_exit_codes(base, tmp_path):
    ds, src = base, sources(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text(replace(TOML, "web", "first_used", '"last spring"'))
    r = run("report", ds, "--sources", bad, "--strict")
    assert r.exit_code == 2
    assert "sources.web.first_used: expected a date like 2025-06-02" in r.stderr
    assert "Traceback" not in r.stderr
    bad.write_text(SYSTEM + 'exemption = "maybe"\n' + WEB + FORUM)
    assert "system.exemption: 'maybe' is not one of" in run("report", ds, "--sources", bad).stderr
    bad.write_text("this is = = not toml")
    assert run("report", ds, "--sources", bad, "--strict").exit_code == 2
    assert run("report", tmp_path / "nope", "--strict").exit_code == 2
    r = run("report", ds, "--fail-on", "often")
    assert r.exit_code == 2 and "--fail-on 'often'" in r.stderr
    src.write_text(TOML + "\n[tolerances]\npii_tolerance = 2\n")
    assert "tolerances.pii_tolerance: expected a number between 0 and 1" in (
        run("report", ds, "--sources", src).stderr
    )


def test_an_exempt_system_passes_strict_with_one_statement(base, tmp_path):
    toml = SYSTEM + 'exemption = "national-security"\n' + without(WEB, "web", "owner", "origin")
    ds, src = base, sources(tmp_path, toml + FORUM)
    doc = report_json(ds, "--sources", src)
    assert doc["exempt"] is True
    assert {i["overall"] for i in doc["items"]} == {"n/a"}
    assert [f["code"] for f in doc["findings"]] == ["EXEMPT"]
    assert run("report", ds, "--sources", src, "--strict").exit_code == 0


# --------------------------------------------------------------------------- outputs


def _full_dataset(tmp_path: Path, base: Path) -> tuple[Path, Path]:
    ds, src = base, sources(tmp_path)
    out = annotate(
        ds,
        tmp_path / "clean",
        {
            "lang": (pa.string(), {"f0": "de"}, "en"),
            "quality": (pa.float64(), {"w0": 0.2, "w1": 0.9}, 0.5),
            "pii_email": (pa.int64(), {}, 0),
            "license": (pa.list_(pa.string()), {"f0": ["CC-BY-4.0"]}, []),
        },
        step="score",
    )
    return out, src


OUTPUTS = {
    "report.md",
    "report.html",
    "report.json",
    "croissant.json",
    "README.md",
    "eu_summary.md",
    "eu_summary.json",
    "eu_top_domains.csv",
}


def test_writes_every_output_and_report_json_follows_its_schema(base, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    ds, src = _full_dataset(tmp_path, base)
    r = run("report", ds, "--sources", src, "-o", tmp_path / "report")
    assert r.exit_code == 0, r
    assert {p.name for p in (tmp_path / "report").iterdir()} == OUTPUTS
    doc = json.loads((tmp_path / "report" / "report.json").read_text())
    from curate.provenance.publish import report_schema

    jsonschema.Draft202012Validator.check_schema(report_schema())
    jsonschema.validate(doc, report_schema())
    assert doc["dataset"]["fingerprint"].startswith("sha256:")
    assert doc["measurements"]["languages"] == {"en": 9, "de": 1}
    # the schema rejects what a consumer must not see
    broken = dict(doc, items=doc["items"][:11])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, report_schema())
    md = (tmp_path / "report" / "report.md").read_text()
    assert "## The twelve items (§3111(a))" in md and "| 12 |" in md
    assert "## Appendix: declarations as given" in md


def test_report_html_is_one_self_contained_page_with_charts(base, tmp_path):
    from html.parser import HTMLParser

    ds, src = _full_dataset(tmp_path, base)
    assert run("report", ds, "--sources", src, "-o", tmp_path / "r").exit_code == 0
    page = (tmp_path / "r" / "report.html").read_text()

    class Parser(HTMLParser):
        VOID = {"meta", "br", "link", "img", "rect"}

        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []
            self.tags: list[str] = []
            self.refs: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            self.refs += [v for k, v in attrs if k in ("src", "href") and v]
            if tag not in self.VOID:
                self.stack.append(tag)

        def handle_startendtag(self, tag, attrs):
            self.tags.append(tag)

        def handle_endtag(self, tag):
            if tag in self.VOID:
                return
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
            self.stack.pop()

    p = Parser()
    p.feed(page)
    p.close()
    assert p.stack == []  # every element closed, in order
    assert "script" not in p.tags and p.refs == []  # nothing to fetch, nothing to run
    assert p.tags.count("svg") == 5  # sources, languages, quality, timeline, funnel
    assert "Quality distribution (sample)" in page and "Collection timeline" in page
    assert "✗ missing" not in page


def test_dataset_card_yaml_front_matter(base, tmp_path):
    yaml = pytest.importorskip("yaml")
    ds, src = _full_dataset(tmp_path, base)
    assert run("report", ds, "--sources", src, "-o", tmp_path / "r").exit_code == 0
    card = (tmp_path / "r" / "README.md").read_text()
    assert card.startswith("---\n")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta["license"] == "other" and "CC-BY-4.0" in meta["license_name"]
    assert meta["language"] == ["en", "de"]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["source_datasets"] == ["original"]
    assert meta["annotations_creators"] == ["machine-generated"]  # quality scores published
    assert meta["configs"][0]["data_files"][0] == {"split": "train", "path": "*.parquet"}
    assert meta["dataset_info"]["splits"][0]["num_examples"] == 10
    assert {"name": "license", "sequence": "string"} in meta["dataset_info"]["features"]
    assert "## Training data documentation (California AB 2013" in card


def test_croissant_is_valid(base, tmp_path):
    mlc = pytest.importorskip("mlcroissant")
    ds, src = _full_dataset(tmp_path, base)
    assert run("report", ds, "--sources", src, "-o", tmp_path / "r").exit_code == 0
    path = tmp_path / "r" / "croissant.json"
    doc = json.loads(path.read_text())
    assert doc["rai:dataCollectionTimeframe"] == "2023-01-01/2024-06-30"
    assert doc["rai:dataCollectionType"] == ["Secondary Data analysis", "Web Scraping"]
    assert doc["rai:dataUseCases"] == ["Fine Tuning", "Training"]
    assert len(doc["prov:wasGeneratedBy"]) == 3  # two ingests and the score step
    assert doc["version"] == "1.2.0"
    assert doc["license"][0] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert "various" in doc["license"][1]["name"]  # web's licence is not one SPDX id
    dataset = mlc.Dataset(jsonld=str(path))  # raises on validation errors
    assert dataset.metadata.name == "demo-model"
    # beside the shards (as published), the records read back
    (ds / "croissant.json").write_text(path.read_text())
    rows = list(mlc.Dataset(jsonld=str(ds / "croissant.json")).records("documents"))
    assert len(rows) == 10


def test_eu_summary_and_top_domains_of_crawled_sources(base, tmp_path):
    ds, src = _full_dataset(tmp_path, base)
    toml = TOML.replace(
        "[sources.web]", '[system.eu]\nsme = false\nprovider_contact = "x@y"\n\n[sources.web]'
    )
    src.write_text(toml)
    assert run("report", ds, "--sources", src, "-o", tmp_path / "r").exit_code == 0
    eu = json.loads((tmp_path / "r" / "eu_summary.json").read_text())
    assert eu["1_general"]["1.1_provider"]["contact"] == "x@y"
    assert eu["1_general"]["1.3_modalities_and_size"]["latest_collection"] == "2024-06"
    assert eu["2_sources"]["2.3_crawled"]["used"] is True
    assert (
        eu["2_sources"]["2.2_private_third_party"]["2.2.1_commercially_licensed"][0]["source"]
        == "forum"
    )
    top = eu["2_sources"]["2.3_crawled"]["top_domains"]
    assert [d["domain"] for d in top] == ["example.com"]  # all web hosts share one domain
    csv_lines = (tmp_path / "r" / "eu_top_domains.csv").read_text().splitlines()
    assert csv_lines[0] == "rank,domain,text_bytes,documents,share_of_text_bytes"
    assert csv_lines[1].startswith("1,example.com,") and len(csv_lines) == 2
    md = (tmp_path / "r" / "eu_summary.md").read_text()
    assert "**2.3 Data crawled and scraped from online sources:** Yes" in md


def test_output_folder_rules(base, tmp_path):
    ds, src = base, sources(tmp_path)
    out = tmp_path / "r"
    assert run("report", ds, "--sources", src, "-o", out).exit_code == 0
    assert run("report", ds, "--sources", src, "-o", out).exit_code == 0  # our own: replaced
    (out / "notes.txt").write_text("mine")
    r = run("report", ds, "--sources", src, "-o", out)
    assert r.exit_code == 2 and "not a report folder (holds notes.txt)" in r.stderr
    assert run("report", ds, "--sources", src, "-o", out, "--overwrite").exit_code == 0
    assert (out / "notes.txt").read_text() == "mine"


def test_a_readme_of_the_users_own_is_not_taken_for_an_earlier_report(base, tmp_path):
    """A project folder holding only the user's README.md looks like a report folder by its
    file names; without a curate report.json it is refused, and the README kept."""
    ds, src = base, sources(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "README.md").write_text("# My project, written by hand\n")
    r = run("report", ds, "--sources", src, "-o", project)
    assert r.exit_code == 2, r
    assert "holds README.md but no report.json of a curate report" in r.stderr
    assert (project / "README.md").read_text() == "# My project, written by hand\n"
    assert sorted(p.name for p in project.iterdir()) == ["README.md"]


def _files(folder: Path) -> dict[str, bytes]:
    """Every entry of a folder (hidden ones too) and its bytes."""
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    return stderr


def _report_with_file_size_limit(ds: Path, src: Path, out: Path, limit: int):
    """`python -m curate report` in a process that cannot grow any file past `limit` bytes.

    This is a full disk as a writer sees it: Python ignores SIGXFSZ, so the write that
    would pass the limit fails with OSError (EFBIG) like one on a full disk (ENOSPC).
    """

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    cmd = [sys.executable, "-m", "curate", "report", str(ds), "--sources", str(src), "-o", str(out)]
    return subprocess.run(
        cmd, capture_output=True, text=True, preexec_fn=limit_file_size, timeout=300
    )


@pytest.fixture(scope="module")
def sizes(base, tmp_path_factory) -> dict[str, int]:
    """The size of each report file of `base`, to choose a limit some files fit under."""
    tmp = tmp_path_factory.mktemp("sizes")
    assert run("report", base, "--sources", sources(tmp), "-o", tmp / "r").exit_code == 0
    return {p.name: p.stat().st_size for p in (tmp / "r").iterdir()}


def _limit_between(sizes: dict[str, int]) -> int:
    """A file size limit every report file but the largest fits under."""
    limit = sorted(sizes.values())[-2]
    assert limit < max(sizes.values())
    return limit


def test_a_full_disk_writes_no_report_file_and_says_so_in_one_line(base, sizes, tmp_path):
    out = tmp_path / "r"
    p = _report_with_file_size_limit(base, sources(tmp_path), out, _limit_between(sizes))
    assert p.returncode == 2, p
    line = _one_error_line(p.stderr)
    assert f"{out}: cannot write the report (file too large" in line
    assert not out.exists() or _files(out) == {}  # neither report files nor temporaries


def test_a_full_disk_leaves_the_previous_report_as_it_was(base, sizes, tmp_path):
    out = tmp_path / "r"
    assert run("report", base, "--sources", sources(tmp_path), "-o", out).exit_code == 0
    before = _files(out)
    assert set(before) == OUTPUTS
    newer = sources(tmp_path, TOML.replace('version = "1.2"', 'version = "1.3"'))
    p = _report_with_file_size_limit(base, newer, out, _limit_between(sizes))
    assert p.returncode == 2, p
    _one_error_line(p.stderr)
    assert _files(out) == before  # every file the earlier run wrote, byte for byte, no more
    assert run("report", base, "--sources", newer, "-o", out).exit_code == 0
    assert _files(out).keys() == before.keys() and _files(out) != before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_report_folder_is_one_error_line_and_left_alone(base, tmp_path):
    out, src = tmp_path / "r", sources(tmp_path)
    assert run("report", base, "--sources", src, "-o", out).exit_code == 0
    before = _files(out)
    out.chmod(0o555)
    try:
        r = run("report", base, "--sources", src, "-o", out)
    finally:
        out.chmod(0o755)
    assert r.exit_code == 2, r
    assert f"{out}: cannot write the report (permission denied)" in _one_error_line(r.stderr)
    assert _files(out) == before
    tmp_path.chmod(0o555)  # a new folder in a read-only parent
    try:
        r = run("report", base, "--sources", src, "-o", tmp_path / "new")
    finally:
        tmp_path.chmod(0o755)
    assert r.exit_code == 2, r
    assert "cannot create the report folder (permission denied)" in _one_error_line(r.stderr)


def test_output_that_is_a_file_or_inside_one_is_one_error_line(base, tmp_path):
    src = sources(tmp_path)
    r = run("report", base, "--sources", src, "-o", src)
    assert r.exit_code == 2, r
    assert f"{src}: exists and is not a folder" in _one_error_line(r.stderr)
    r = run("report", base, "--sources", src, "-o", src / "report")
    assert r.exit_code == 2, r
    assert f"{src / 'report'}: cannot create the report folder" in _one_error_line(r.stderr)


def test_an_interrupted_write_leaves_no_file_behind(base, tmp_path, monkeypatch):
    from curate.provenance import publish

    out, src = tmp_path / "r", sources(tmp_path)
    assert run("report", base, "--sources", src, "-o", out).exit_code == 0
    before = _files(out)
    real, calls = os.fsync, []

    def interrupt_at_the_fourth_file(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 4:
            raise KeyboardInterrupt
        real(fd)

    monkeypatch.setattr(publish.os, "fsync", interrupt_at_the_fourth_file)
    newer = sources(tmp_path, TOML.replace('version = "1.2"', 'version = "1.3"'))
    r = run("report", base, "--sources", newer, "-o", out)
    assert r.exit_code == 130 and len(calls) == 4, r
    assert _files(out) == before
    calls.clear()
    r = run("report", base, "--sources", newer, "-o", tmp_path / "fresh" / "r")
    assert r.exit_code == 130 and len(calls) == 4, r
    assert not (tmp_path / "fresh").exists()  # the folders this run created are gone too


def test_temporaries_a_killed_run_left_are_removed_by_the_next(base, tmp_path):
    out, src = tmp_path / "r", sources(tmp_path)
    out.mkdir()
    dead = 2**31 - 1  # above any pid_max: no such process
    (out / f".curate-tmp-{dead}-report.md").write_text("half")
    (out / f".tmp-{dead}-report.html").write_text("half")  # the name earlier versions used
    (out / f".curate-tmp-{os.getppid()}-report.json").write_text("a live process's")
    assert run("report", base, "--sources", src, "-o", out).exit_code == 0
    assert set(_files(out)) == OUTPUTS | {f".curate-tmp-{os.getppid()}-report.json"}


def test_manifest_of_the_dataset_is_untouched(tmp_path):
    ds, src = build(tmp_path)
    before = manifest(ds)
    run("report", ds, "--sources", src, "-o", tmp_path / "r")
    assert manifest(ds) == before


def test_word_counts_agree_with_a_unicode_whitespace_regex():
    import polars as pl

    from curate.provenance.measure import word_counts

    texts = ["", None, "one", " two  words ", "a\u00a0b", "x\u3000y z", "\tline\r\nnext", "é à"]
    texts += ["中文没有空格", "  ", "a\u2009b\u2028c", "end ", "x\x1fy"]
    arr = pa.array(texts, pa.large_string())
    expected = pl.Series(texts).str.count_matches(r"\S+").fill_null(0).to_list()
    assert word_counts(arr).tolist() == expected
    assert word_counts(arr.slice(3, 5)).tolist() == expected[3:8]
    assert word_counts(pa.array([], pa.large_string())).tolist() == []
