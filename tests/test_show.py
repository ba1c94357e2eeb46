"""`curate show`: documents in a terminal, and a page checked in a real headless browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import run

from curate.dataset import write_table_dataset

REASONS = ["top_2_gram", "mean_word_length", "top_2_gram", "too_few_words", "top_2_gram"]


def _rejected(path: Path) -> Path:
    """A rejected dataset as `curate filter --rejected` writes it (its reason columns)."""
    n = len(REASONS)
    table = pa.table(
        {
            "id": [f"r{i}" for i in range(n)],
            "text": [f"Document {i} says the mill the mill the mill." for i in range(n)],
            "source": ["web"] * n,
            "url": [f"https://example.org/{i}" for i in range(n)],
            "filter": [
                "gopher_repetition" if r == "top_2_gram" else "gopher_quality" for r in REASONS
            ],
            "filter_reason": REASONS,
            "q_word_count": [float(9 + i) for i in range(n)],
        }
    )
    write_table_dataset(path, table, step="filter", params={})
    return path


def _blocks(stdout: str) -> list[str]:
    return [b for b in stdout.split("─" * 10) if "id: " in b]


def test_shows_reasons_above_each_text_and_only_documents_on_stdout(tmp_path):
    ds = _rejected(tmp_path / "rej")
    r = run("show", ds, "--where", "filter_reason = 'top_2_gram'", "--limit", "2")
    assert r.exit_code == 0, r.stderr
    blocks = _blocks(r.stdout)
    assert len(blocks) == 2
    assert "[1] id: r0" in blocks[0] and "[2] id: r2" in blocks[1]
    for b in blocks:
        assert "filter_reason: top_2_gram" in b
        assert "filter: gopher_repetition" in b
        assert "url: https://example.org/" in b
        assert "the mill the mill" in b
    assert "q_word_count" not in r.stdout  # not chosen
    assert "2 documents" in r.stderr and "2 documents" not in r.stdout


def test_columns_choose_the_fields_and_long_texts_are_cut_with_a_marker(tmp_path):
    ds = _rejected(tmp_path / "rej")
    r = run("show", ds, "--columns", "q_word_count", "--limit", "1", "--max-chars", "10")
    assert r.exit_code == 0, r.stderr
    assert "q_word_count: 9" in r.stdout
    assert "source:" not in r.stdout
    assert "Document 0" in r.stdout and "says" not in r.stdout
    assert "[… 33 more characters; --max-chars 0 shows all]" in r.stdout


def test_a_sample_is_the_same_for_the_same_seed_and_differs_for_another(tmp_path):
    table = pa.table({"id": [f"d{i:03d}" for i in range(300)], "text": ["x"] * 300})
    write_table_dataset(tmp_path / "ds", table, step="t", params={})

    def ids(seed: int) -> list[str]:
        out = run("show", tmp_path / "ds", "--sample", "5", "--seed", seed).stdout
        return [line.split("id: ")[1] for line in out.splitlines() if "] id: " in line]

    first = ids(1)
    assert len(first) == 5 and len(set(first)) == 5
    assert ids(1) == first
    assert ids(2) != first
    assert first != [f"d{i:03d}" for i in range(5)]


def test_bad_options_are_one_line_errors(tmp_path):
    ds = _rejected(tmp_path / "rej")
    for args, message in (
        (["--columns", "nope"], "--columns: nope not in"),
        (["--where", "reason_x = 1"], "no column reason_x"),
        (["--limit", "0"], "--limit must be at least 1"),
        (["--html", tmp_path], "is a folder"),
        (["--html", ds / "show.html"], "is inside the input dataset"),
    ):
        r = run("show", ds, *args)
        assert r.exit_code == 2, (args, r)
        assert r.stderr.startswith("error: ") and message in r.stderr
        assert r.stdout == ""


# --------------------------------------------------------------------------- the page


def test_html_never_replaces_a_file_curate_did_not_write(tmp_path):
    """`--html` over a user's file (or another dataset's manifest) is refused, the file
    kept; its own earlier page is replaced; --overwrite replaces anything."""
    ds = _rejected(tmp_path / "ds")
    other = _rejected(tmp_path / "other")
    manifest = other / "_curate.json"
    before = manifest.read_bytes()
    r = run("show", ds, "--html", manifest)
    assert r.exit_code == 2 and "already exists and curate did not write it" in r.stderr
    assert manifest.read_bytes() == before
    page = tmp_path / "show.html"
    assert run("show", ds, "--html", page).exit_code == 0
    assert run("show", ds, "--html", page, "--limit", "2").exit_code == 0  # its own page
    notes = tmp_path / "notes.md"
    notes.write_text("my notes")
    assert run("show", ds, "--html", notes).exit_code == 2 and notes.read_text() == "my notes"
    assert run("show", ds, "--html", notes, "--overwrite").exit_code == 0
    assert notes.read_text().startswith("<!doctype html>")


def _chromium() -> str:
    """A headless Chromium: found, or installed from Debian's packages when the test
    machine can (root with apt-get), else the test is skipped saying why."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CURATE_TEST_NO_INSTALL"):
        pytest.skip("no Chromium on this machine and CURATE_TEST_NO_INSTALL is set")
    if not shutil.which("apt-get") or os.geteuid() != 0:
        pytest.skip("no Chromium on this machine, and apt-get cannot install it (not root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
            subprocess.run(cmd, env=env, capture_output=True, timeout=900, check=True)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"no Chromium on this machine, and installing it failed: {exc}")
    found = shutil.which("chromium")
    if not found:
        pytest.skip("apt-get installed no `chromium` command")
    return found


@pytest.fixture(scope="module")
def chromium() -> str:
    return _chromium()


def _dom(browser: str, page: Path, fragment: str = "") -> str:
    """The page's DOM after its script ran, as headless Chromium dumps it."""
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    r = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_the_html_page_filters_by_reason_and_searches_in_a_real_browser(tmp_path, chromium):
    ds = _rejected(tmp_path / "rej")
    page = tmp_path / "show.html"
    r = run("show", ds, "--html", page)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    text = page.read_text()
    assert "<script src" not in text and "<link" not in text  # self-contained

    everything = _dom(chromium, page)
    assert everything.count('class="doc"') == 5  # drawn by the page's script
    assert "5 of 5 documents" in everything
    assert "top_2_gram (3)" in everything  # the reason filter's choices, with counts

    reason = _dom(chromium, page, "reason=top_2_gram")
    assert reason.count('class="doc"') == 3
    assert 'data-id="r1"' not in reason and 'data-id="r2"' in reason
    assert "3 of 5 documents" in reason

    search = _dom(chromium, page, urllib.parse.urlencode({"q": "Document 3"}))
    assert search.count('class="doc"') == 1 and 'data-id="r3"' in search


def test_the_page_never_runs_a_documents_markup(tmp_path, chromium):
    hostile = '</script><script>document.title="pwned"</script><b id="injected">x</b>'
    table = pa.table({"id": ["h"], "text": [hostile], "filter_reason": ["x"]})
    write_table_dataset(tmp_path / "ds", table, step="t", params={})
    page = tmp_path / "show.html"
    assert run("show", tmp_path / "ds", "--html", page).exit_code == 0
    dom = _dom(chromium, page)
    assert '<b id="injected">' not in dom  # no element was made from the text
    assert "<title>curate show" in dom  # the hostile script did not run
    assert '&lt;b id="injected"&gt;' in dom  # the text is shown as text
