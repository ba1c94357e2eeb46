"""`curate check`: every metric failing and passing, exit codes, JSON and JUnit output."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import run
from test_report import TOML, annotate, build, forum_docs, web_docs


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """10 documents (web 6, forum 4), one forum post a case/space variant of another."""
    tmp = tmp_path_factory.mktemp("check")
    forum = forum_docs()
    forum[3]["text"] = "  FORUM reply 0:   try a smaller gear and oil the chain.  "
    ds, src = build(tmp, web=web_docs(), forum=forum)
    out = annotate(
        ds,
        tmp / "clean",
        {
            "lang": (pa.string(), {"f0": "de"}, "en"),
            "quality": (pa.float64(), {"w0": 0.2, "w1": 0.9}, 0.5),
            "pii_email": (pa.int64(), {"f1": 2}, 0),
            "synthetic": (pa.bool_(), {"w0": True}, False),
            "license": (pa.list_(pa.string()), {"f0": ["CC-BY-4.0"]}, []),
        },
    )
    r = run("report", out, "--sources", src, "-o", tmp / "report")
    assert r.exit_code == 0, r
    return out


def rules(tmp_path, text: str):
    p = tmp_path / "checks.toml"
    p.write_text(text)
    return p


# (rule body, value the dataset has) — each rule is run once passing and once failing.
CASES = {
    "documents": ('metric = "documents"', "min = 10", "min = 11"),
    "bytes": ('metric = "bytes"', "min = 1", "max = 1"),
    "shards": ('metric = "shards"', "equals = 2", "max = 1"),
    "null_fraction": ('metric = "null_fraction"\ncolumn = "url"', "equals = 0", "min = 0.5"),
    "empty_fraction": ('metric = "empty_fraction"\ncolumn = "license"', "min = 0.9", "max = 0.5"),
    "distinct_fraction": (
        'metric = "distinct_fraction"\ncolumn = "source"',
        "equals = 0.2",
        "min = 0.5",
    ),
    "mean": ('metric = "mean"\ncolumn = "quality"', "min = 0.5", "min = 0.6"),
    "min": ('metric = "min"\ncolumn = "quality"', "min = 0.1", "min = 0.3"),
    "max": ('metric = "max"\ncolumn = "quality"', "max = 1", "max = 0.8"),
    "quantile": ('metric = "quantile"\ncolumn = "quality"\nq = 0.9', "max = 0.6", "max = 0.5"),
    "share": ('metric = "share"\ncolumn = "source"\nvalue = "web"', "max = 0.6", "max = 0.5"),
    "share_of_list": (
        'metric = "share"\ncolumn = "license"\nvalue = "CC-BY-4.0"',
        "equals = 0.1",
        "min = 0.5",
    ),
    "max_share": ('metric = "max_share"\ncolumn = "lang"', "max = 0.95", "max = 0.8"),
    "outside_fraction": (
        'metric = "outside_fraction"\ncolumn = "lang"\nvalues = ["en", "de"]',
        "max = 0",
        "min = 0.5",
    ),
    "duplicate_fraction": ('metric = "duplicate_fraction"', "equals = 0.1", "max = 0.05"),
    "sql": (
        'metric = "sql"\nquery = "SELECT count(*) FROM data WHERE pii_email > 0"',
        "max = 1",
        "max = 0",
    ),
    "report_findings": (
        'metric = "report_findings"\npath = "REPORT"',
        "max = 1",
        "max = 0",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("passing", [True, False])
def test_each_metric_passes_and_fails(dataset, tmp_path, case, passing):
    body, ok, bad = CASES[case]
    body = body.replace("REPORT", str(dataset.parent / "report" / "report.json"))
    text = f"[[check]]\n{body}\n{ok if passing else bad}\n"
    r = run("check", dataset, "--rules", rules(tmp_path, text), "--json")
    assert r.exit_code == (0 if passing else 1), r
    (res,) = json.loads(r.stdout)["checks"]
    assert res["passed"] is passing
    if not passing:
        assert res["message"].startswith("got ")


def test_outside_fraction_counts_other_values(dataset, tmp_path):
    body = 'metric = "outside_fraction"\ncolumn = "lang"\nvalues = ["en"]\nmax = 0\n'
    p = rules(tmp_path, "[[check]]\n" + body)
    r = run("check", dataset, "--rules", p, "--json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["checks"][0]["actual"] == pytest.approx(0.1)


def test_report_findings_severity_at_least(dataset, tmp_path):
    report = dataset.parent / "report" / "report.json"
    doc = json.loads(report.read_text())
    errors = sum(1 for f in doc["findings"] if f["severity"] == "error" and not f["waived"])
    at_least_info = sum(1 for f in doc["findings"] if not f["waived"])
    assert errors == 1  # forum declared no personal information; pii_email says otherwise
    body = f'[[check]]\nmetric = "report_findings"\npath = "{report}"\nseverity_at_least = "info"\n'
    r = run("check", dataset, "--rules", rules(tmp_path, body + "max = 0\n"), "--json")
    assert json.loads(r.stdout)["checks"][0]["actual"] == at_least_info


def test_columns_rule_names_the_missing_ones(dataset, tmp_path):
    body = '[[check]]\nmetric = "columns"\nrequire = ["id", "text", "lang"]\n'
    assert run("check", dataset, "--rules", rules(tmp_path, body)).exit_code == 0
    body = '[[check]]\nmetric = "columns"\nrequire = ["id", "toxicity", "topic"]\n'
    r = run("check", dataset, "--rules", rules(tmp_path, body), "--json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["checks"][0]["message"] == "missing column(s): toxicity, topic"


def test_a_column_the_dataset_lacks_fails_the_check(dataset, tmp_path):
    body = '[[check]]\nmetric = "null_fraction"\ncolumn = "toxicity"\nmax = 0\n'
    r = run("check", dataset, "--rules", rules(tmp_path, body), "--json")
    assert r.exit_code == 1
    assert "column `toxicity` is not in the dataset" in json.loads(r.stdout)["checks"][0]["message"]


def test_table_junit_and_warning_severity(dataset, tmp_path):
    body = """
[[check]]
name = "enough documents"
metric = "documents"
min = 5

[[check]]
name = "one source dominates"
metric = "max_share"
column = "source"
max = 0.5
severity = "warning"
"""
    junit = tmp_path / "ci" / "results.xml"
    r = run("check", dataset, "--rules", rules(tmp_path, body), "--junit", junit)
    assert r.exit_code == 0, r  # a failing warning never fails the run
    assert "enough documents" in r.stdout and "pass" in r.stdout and "warn" in r.stdout
    assert "1 passed, 0 failed, 1 warning(s) of 2 checks" in r.stdout
    root = ET.parse(junit).getroot()
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["enough documents", "one source dominates"]
    assert cases[0].find("failure") is None and cases[0].find("skipped") is None
    assert cases[1].find("skipped") is not None and root.get("skipped") == "1"
    body = body.replace('severity = "warning"', 'severity = "error"')
    r = run("check", dataset, "--rules", rules(tmp_path, body), "--junit", junit)
    assert r.exit_code == 1
    root = ET.parse(junit).getroot()
    failure = root.findall(".//testcase")[1].find("failure")
    assert failure is not None and failure.get("message") == "got 0.6, expected ≤ 0.5"
    assert root.get("failures") == "1"


def test_junit_never_replaces_a_file_curate_did_not_write(dataset, tmp_path):
    """Re-running replaces its own results file; the dataset's manifest, or a file of the
    user's, is refused (exit 2, nothing changed) unless --overwrite."""
    body = '[[check]]\nmetric = "documents"\nmin = 1\n'
    manifest = Path(dataset) / "_curate.json"
    before = manifest.read_bytes()
    r = run("check", dataset, "--rules", rules(tmp_path, body), "--junit", manifest)
    assert r.exit_code == 2 and "is inside the input dataset" in r.stderr
    assert manifest.read_bytes() == before
    notes = tmp_path / "notes.md"
    notes.write_text("my notes")
    r = run("check", dataset, "--rules", rules(tmp_path, body), "--junit", notes)
    assert r.exit_code == 2 and "already exists and curate did not write it" in r.stderr
    assert notes.read_text() == "my notes"
    r = run("check", dataset, "--rules", rules(tmp_path, body), "--junit", notes, "--overwrite")
    assert r.exit_code == 0 and ET.parse(notes).getroot().tag == "testsuites"
    results = tmp_path / "results.xml"
    for _ in range(2):  # its own earlier file is replaced without --overwrite
        r = run("check", dataset, "--rules", rules(tmp_path, body), "--junit", results)
        assert r.exit_code == 0, r


def test_json_goes_to_stdout_and_the_table_to_stderr(dataset, tmp_path):
    body = '[[check]]\nmetric = "documents"\nmin = 1\n'
    r = run("check", dataset, "--rules", rules(tmp_path, body), "--json")
    out = json.loads(r.stdout)
    assert out["passed"] is True and out["counts"] == {
        "checks": 1,
        "passed": 1,
        "failed": 0,
        "warnings": 0,
    }
    assert out["checks"][0]["name"] == "documents"  # default name: the metric (and column)
    assert "documents" in r.stderr
    q = run("check", dataset, "--rules", rules(tmp_path, body), "--json", "--quiet")
    assert q.stderr == ""


BAD_RULES = {
    'metric = "words"\nmin = 1': "unknown metric 'words'; valid metrics: documents, bytes",
    'metric = "documents"\nminimum = 1': "unknown key `minimum`; valid keys: name, metric",
    'metric = "documents"': "give a bound: min, max or equals",
    'metric = "documents"\nmin = "ten"': "`min` must be a number, got 'ten'",
    'metric = "mean"\nmin = 0': "(mean): `column` is required",
    'metric = "quantile"\ncolumn = "quality"\nq = 2\nmax = 1': "`q` must be a number between 0",
    'metric = "documents"\nmin = 1\nseverity = "fatal"': "severity 'fatal'; use error or warning",
    'metric = "mean"\ncolumn = "text"\nmin = 0': "column `text` is large_string; mean needs",
    'metric = "sql"\nquery = "SELEC nonsense"\nmax = 0': "(sql): query failed",
    'metric = "sql"\nquery = "SELECT id FROM data"\nmax = 0': "it returned 10 row(s)",
    'metric = "report_findings"\npath = "nope.json"\nmax = 0': "no such report.json",
    'metric = "share"\ncolumn = "synthetic"\nvalue = "yes"\nmax = 1': "type true or false",
    'metric = "outside_fraction"\ncolumn = "lang"\nvalues = [1]\nmax = 1': "type string; got 1",
    'metric = "share"\ncolumn = "created"\nvalue = "2024"\nmax = 1': "with a `sql` check instead",
    # a bound that cannot do its job: TOML's nan/inf literals, a bool, an impossible range
    'metric = "documents"\nmin = nan': "check 1 (documents): `min` is nan, not a finite number",
    'metric = "documents"\nmax = inf': "check 1 (documents): `max` is inf, not a finite number",
    'metric = "documents"\nmin = -inf': "check 1 (documents): `min` is -inf, not a finite number",
    'metric = "documents"\nequals = nan': "check 1 (documents): `equals` is nan, not a finite",
    'metric = "documents"\nmax = true': "check 1: `max` must be a number, got True",
    'metric = "documents"\nmin = 5\nmax = 1': "(documents): `min` 5 is above `max` 1; no value",
    'metric = "documents"\nequals = 3\nmin = 5': "`equals` 3 is below `min` 5; no value",
    'metric = "documents"\nequals = 9\nmax = 5': "`equals` 9 is above `max` 5; no value",
    'metric = "null_fraction"\ncolumn = "url"\nmax = 5': "`max` 5 is outside 0–1; null_fraction",
    'metric = "share"\ncolumn = "source"\nvalue = "web"\nmin = -0.5': "`min` -0.5 is outside",
    'metric = "quantile"\ncolumn = "quality"\nq = nan\nmax = 1': "`q` must be a number between",
    'metric = "quantile"\ncolumn = "quality"\nq = -0.1\nmax = 1': "`q` must be a number between",
    'metric = "quantile"\ncolumn = "quality"\nq = true\nmax = 1': "`q` must be a number between",
    'metric = "share"\ncolumn = "quality"\nvalue = nan\nmax = 1': "`value` is nan, not a finite",
    'metric = "outside_fraction"\ncolumn = "quality"\nvalues = [0.5, inf]\nmax = 1': "is inf",
    'metric = "columns"\nrequire = []': "`require` must list at least one column",
    'metric = "documents"\nmin = 1\ndescription = 3': "`description` must be a string",
}


@pytest.mark.parametrize("body", sorted(BAD_RULES))
def test_bad_rules_exit_2_naming_the_fix(dataset, tmp_path, body):
    r = run("check", dataset, "--rules", rules(tmp_path, f"[[check]]\n{body}\n"))
    assert r.exit_code == 2, r
    assert BAD_RULES[body] in r.stderr
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr


def test_bad_rules_files(dataset, tmp_path):
    assert "no such rules file" in run("check", dataset, "--rules", tmp_path / "x.toml").stderr
    assert "not valid TOML" in run("check", dataset, "--rules", rules(tmp_path, "[[check")).stderr
    r = run("check", dataset, "--rules", rules(tmp_path, "title = 'x'\n"))
    assert r.exit_code == 2 and "unknown top-level key `title`" in r.stderr
    r = run("check", tmp_path / "missing", "--rules", rules(tmp_path, TOML[:0] + "[[check]]\n"))
    assert r.exit_code == 2


@pytest.fixture(scope="module")
def undefined(dataset, tmp_path_factory):
    """The dataset plus `blank` (every value null) and `noisy` (one NaN among 0.5s)."""
    out = tmp_path_factory.mktemp("undefined") / "ds"
    columns = {
        "blank": (pa.float64(), {}, None),
        "noisy": (pa.float64(), {"w0": float("nan")}, 0.5),
    }
    return annotate(dataset, out, columns, step="score")


UNDEFINED = {
    'metric = "mean"\ncolumn = "blank"\nmin = 0': "column `blank` has no non-null values",
    'metric = "min"\ncolumn = "blank"\nmax = 1': "column `blank` has no non-null values",
    'metric = "quantile"\ncolumn = "blank"\nq = 0.5\nmax = 1': "`blank` has no non-null values",
    'metric = "mean"\ncolumn = "noisy"\nmax = 1': "column `noisy` holds 1 NaN value(s)",
    'metric = "min"\ncolumn = "noisy"\nmin = 0': "column `noisy` holds 1 NaN value(s)",
    'metric = "max"\ncolumn = "noisy"\nmax = 1': "column `noisy` holds 1 NaN value(s)",
    'metric = "quantile"\ncolumn = "noisy"\nq = 0.5\nmax = 1': "`noisy` holds 1 NaN value(s)",
    'metric = "sql"\nquery = "SELECT avg(blank) FROM data"\nmax = 1': "the query returned NULL",
    'metric = "sql"\nquery = "SELECT sum(noisy) FROM data"\nmax = 1': "the query returned NaN",
}


@pytest.mark.parametrize("body", sorted(UNDEFINED))
def test_an_undefined_value_fails_its_check_and_says_why(undefined, tmp_path, body):
    r = run("check", undefined, "--rules", rules(tmp_path, f"[[check]]\n{body}\n"), "--json")
    assert r.exit_code == 1, r
    doc = json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    (res,) = doc["checks"]
    assert res["passed"] is False and res["actual"] is None  # JSON has no NaN
    assert res["message"].startswith("undefined: ") and UNDEFINED[body] in res["message"]
    assert "undefined" in r.stderr  # the table's actual column


def test_an_undefined_warning_is_shown_but_does_not_fail_the_run(undefined, tmp_path):
    body = '[[check]]\nmetric = "mean"\ncolumn = "blank"\nmin = 0\nseverity = "warning"\n'
    r = run("check", undefined, "--rules", rules(tmp_path, body), "--junit", tmp_path / "j.xml")
    assert r.exit_code == 0, r
    skipped = ET.parse(tmp_path / "j.xml").getroot().find(".//skipped")
    assert skipped is not None and "column `blank` has no non-null values" in skipped.get("message")
