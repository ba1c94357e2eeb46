"""The committed sample_data/ is exactly what scripts/make_sample_data.py generates.

Later tests and benchmarks measure recall against `manifest_of_planted_cases.json`, so the
manifest must describe the committed files truthfully: these tests regenerate the corpus into
a temporary directory, demand byte-identical output, and re-count the WARC (with both warcio
and fastwarc) and the forum dump against the manifest.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
SCRIPT = ROOT / "scripts" / "make_sample_data.py"
FILES = (
    "crawl.warc.gz",
    "forum.jsonl.gz",
    "sources.toml",
    "manifest_of_planted_cases.json",
    "README.md",
)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample_data")
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--quiet"], check=True, cwd=ROOT
    )
    return out


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads((SAMPLE / "manifest_of_planted_cases.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def crawl() -> dict[str, Any]:
    """Every response of the committed WARC (read with warcio), keyed by target URI."""
    from warcio.archiveiterator import ArchiveIterator

    types: Counter[str] = Counter()
    responses: dict[str, dict[str, Any]] = {}
    with (SAMPLE / "crawl.warc.gz").open("rb") as fh:
        for record in ArchiveIterator(fh):
            types[record.rec_type] += 1
            if record.rec_type != "response":
                continue
            uri = record.rec_headers.get_header("WARC-Target-URI")
            assert uri not in responses, f"{uri}: fetched twice"
            responses[uri] = {
                "record_id": record.rec_headers.get_header("WARC-Record-ID"),
                "status": record.http_headers.get_statuscode(),
                "content_type": record.http_headers.get_header("Content-Type"),
                "body": record.content_stream().read(),
            }
    return {"types": types, "responses": responses}


def page_text(crawl: dict[str, Any], page: dict[str, Any]) -> str:
    return crawl["responses"][page["url"]]["body"].decode(page["charset"])


def test_regeneration_is_byte_identical(regenerated: Path) -> None:
    for name in FILES:
        new, old = (regenerated / name).read_bytes(), (SAMPLE / name).read_bytes()
        if name.endswith(".gz"):
            assert gzip.decompress(new) == gzip.decompress(old), (
                f"{name}: content differs from the generator; run "
                "`python scripts/make_sample_data.py` and commit sample_data/"
            )
        assert new == old, (
            f"{name}: bytes differ although the content is the same; this zlib "
            f"({zlib.ZLIB_RUNTIME_VERSION}) compresses differently from the one that made the "
            "committed file"
            if name.endswith(".gz")
            else f"{name}: differs from the generator; regenerate and commit sample_data/"
        )


def test_sizes_stay_small() -> None:
    assert (SAMPLE / "crawl.warc.gz").stat().st_size < 1_500_000
    assert (SAMPLE / "forum.jsonl.gz").stat().st_size < 100_000


def test_warc_counts_match_manifest(manifest: dict[str, Any], crawl: dict[str, Any]) -> None:
    counts = manifest["counts"]
    responses = crawl["responses"].values()
    assert dict(crawl["types"]) == counts["records_by_type"]
    assert sum(crawl["types"].values()) == counts["warc_records"]
    assert dict(Counter(str(r["status"]) for r in responses)) == counts["responses_by_status"]
    assert (
        dict(Counter(r["content_type"] for r in responses)) == (counts["responses_by_content_type"])
    )
    html_200 = [
        u
        for u, r in crawl["responses"].items()
        if r["status"] == "200" and r["content_type"].startswith("text/html")
    ]
    assert sorted(html_200) == sorted(p["url"] for p in manifest["pages"])
    assert len(html_200) == counts["html_200_pages"]


def test_fastwarc_reads_the_same_crawl(manifest: dict[str, Any]) -> None:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    types: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    with (SAMPLE / "crawl.warc.gz").open("rb") as fh:
        for record in ArchiveIterator(fh, parse_http=True):
            types[record.headers["WARC-Type"]] += 1
            if record.record_type == WarcRecordType.response:
                statuses[str(record.http_headers.status_code)] += 1
    assert dict(types) == manifest["counts"]["records_by_type"]
    assert dict(statuses) == manifest["counts"]["responses_by_status"]


def test_planted_case_counts_are_consistent(manifest: dict[str, Any]) -> None:
    counts, planted = manifest["counts"], manifest["planted"]
    for key in (
        "exact_duplicate_groups",
        "near_duplicate_clusters",
        "pii_pages",
        "pii_hard_negative_pages",
        "machine_generated_pages",
        "low_quality_pages",
        "licensed_pages",
        "canonical_links",
        "html_lang_missing",
        "html_lang_wrong",
        "non_utf8_pages",
        "non_html_responses",
        "non_200_responses",
    ):
        assert len(planted[key]) == counts[key], key
    groups = planted["exact_duplicate_groups"]
    assert sum(len(g["members"]) - 1 for g in groups) == counts["exact_duplicate_copies"]
    clusters = planted["near_duplicate_clusters"]
    assert sum(len(c["members"]) for c in clusters) == counts["near_duplicate_pages"]
    kinds = Counter(p["kind"] for p in manifest["pages"])
    assert kinds["machine_generated"] == counts["machine_generated_pages"]
    assert kinds["low_quality"] == counts["low_quality_pages"]


def test_planted_cases_are_in_the_pages(manifest: dict[str, Any], crawl: dict[str, Any]) -> None:
    pages = {p["url"]: p for p in manifest["pages"]}
    planted = manifest["planted"]
    by_sha: dict[str, set[str]] = {}
    for p in manifest["pages"]:
        by_sha.setdefault(p["main_text_sha256"], set()).add(p["url"])
    for group in planted["exact_duplicate_groups"]:
        urls = {m["url"] for m in group["members"]}
        assert {pages[u]["main_text_sha256"] for u in urls} == {group["main_text_sha256"]}
        assert by_sha[group["main_text_sha256"]] == urls, "an unplanted exact duplicate"
    for cluster in planted["near_duplicate_clusters"]:
        shas = {pages[m["url"]]["main_text_sha256"] for m in cluster["members"]}
        assert len(shas) == len(cluster["members"]), "near duplicates must not be exact"
    for case in planted["pii_pages"] + planted["pii_hard_negative_pages"]:
        html = page_text(crawl, pages[case["url"]])
        for item in case["items"]:
            assert item["value"] in html, (case["url"], item)
    for case in planted["machine_generated_pages"]:
        html = page_text(crawl, pages[case["url"]]).replace("&#x27;", "'")
        assert case["tells"] and all(t in html for t in case["tells"]), case["url"]
    for case in planted["licensed_pages"]:
        assert f'rel="license" href="{case["license_url"]}"' in page_text(crawl, pages[case["url"]])
    for case in planted["canonical_links"]:
        html = page_text(crawl, pages[case["url"]])
        assert f'<link rel="canonical" href="{case["canonical"].replace("&", "&amp;")}">' in html
    for url in planted["html_lang_missing"]:
        assert "<html>" in page_text(crawl, pages[url])
    for case in planted["html_lang_wrong"]:
        assert f'<html lang="{case["declared"]}">' in page_text(crawl, pages[case["url"]])
    for case in planted["non_utf8_pages"]:
        response = crawl["responses"][case["url"]]
        assert response["content_type"] == f"text/html; charset={case['charset']}"
        with pytest.raises(UnicodeDecodeError):
            response["body"].decode("utf-8")
    for case in planted["non_html_responses"] + planted["non_200_responses"]:
        response = crawl["responses"][case["url"]]
        assert (int(response["status"]), response["content_type"]) == (
            case["status"],
            case["content_type"],
        )
        assert response["record_id"] == case["record_id"]


def test_pages_are_real_shaped(manifest: dict[str, Any], crawl: dict[str, Any]) -> None:
    for page in manifest["pages"]:
        assert crawl["responses"][page["url"]]["record_id"] == page["record_id"]
        html = page_text(crawl, page)
        # Print views (`print=1`) are deliberately bare: no banner, menus or sidebar.
        markers = (
            ("<style>", "&copy;")
            if "print=1" in page["url"]
            else ("<script>", "<style>", "cookie-banner", "<nav", "&copy;")
        )
        for marker in markers:
            assert marker in html, (page["url"], marker)
        if page["kind"] == "article" and page["lang"] != "zh":
            assert 150 <= page["main_words"] <= 1500, page["url"]
    langs = manifest["counts"]["pages_by_lang"]
    assert langs["en"] > sum(n for lang, n in langs.items() if lang != "en")
    assert set(langs) == {"en", "de", "fr", "es", "ru", "zh"}


def test_forum_matches_manifest(manifest: dict[str, Any]) -> None:
    forum = manifest["forum"]
    lines = gzip.decompress((SAMPLE / "forum.jsonl.gz").read_bytes()).decode().splitlines()
    assert len(lines) == forum["lines"] == manifest["counts"]["forum_lines"]
    posts: dict[int, dict[str, Any]] = {}
    broken, missing = [], []
    for n, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            broken.append(n)
            continue
        if "body" not in obj:
            missing.append(n)
            continue
        assert set(obj) == {"post_id", "body", "thread_url", "posted_at", "author", "score"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", obj["posted_at"])
        assert isinstance(obj["score"], int)
        posts[obj["post_id"]] = obj
    assert broken == forum["broken_json_lines"]
    assert missing == forum["missing_body_lines"]
    assert len(posts) == forum["posts_with_body"]
    for group in forum["exact_duplicate_groups"]:
        assert len({posts[i]["body"] for i in group["post_ids"]}) == 1, group
    bodies = Counter(p["body"] for p in posts.values())
    assert sum(n - 1 for n in bodies.values() if n > 1) == sum(
        len(g["post_ids"]) - 1 for g in forum["exact_duplicate_groups"]
    ), "an unplanted duplicate post"
    for case in forum["pii_posts"]:
        assert all(item["value"] in posts[case["post_id"]]["body"] for item in case["items"])
    for case in forum["machine_generated_posts"]:
        assert case["tells"]
        assert all(t in posts[case["post_id"]]["body"] for t in case["tells"])


def test_sources_toml_is_a_valid_declaration() -> None:
    from curate.provenance.manifest import load_sources

    data = load_sources(SAMPLE / "sources.toml")
    assert set(data["sources"]) == {"sample-crawl", "sample-forum"}
    assert data["sources"]["sample-crawl"]["kind"] == "crawled"
    assert data["sources"]["sample-forum"]["acquisition"] == "licensed"


def _load_script() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample_data", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_sample_data"] = module
    spec.loader.exec_module(module)
    return module


def _dup_5gram_fraction(text: str) -> float:
    """Gopher's duplicated word-5-gram character share, on whitespace tokens (FILTERS.md §2)."""
    tokens = text.split()
    seen: set[str] = set()
    repeated, i = 0, 0
    while i <= len(tokens) - 5:
        key = "".join(tokens[i : i + 5])
        if key in seen:
            repeated += len(key)
            i += 5
        else:
            seen.add(key)
            i += 1
    return repeated / max(1, len(text))


def test_articles_never_repeat_sentences_or_long_ngrams() -> None:
    """Gopher's repetition rule (> 0.15 of characters in repeated 5-grams) would drop
    templated prose; a normal page repeats no sentence and (almost) no 5-gram."""
    import random

    mod = _load_script()
    worst = 0.0
    for key, topic in mod.TOPICS.items():
        for seed in range(4):
            gen = mod.TextGen(key, random.Random(f"test:{key}:{seed}"))
            blocks = gen.article(1400 if topic.lang == "zh" else 700)
            text = "\n\n".join(mod.block_text(b) for b in blocks)
            assert mod.count_words(text, topic.lang) >= 150, key
            splitter = r"(?<=[。])" if topic.lang == "zh" else r"(?<=[.!?])\s+"
            paras = [str(b[1]) for b in blocks if b[0] == "p"]
            sentences = [s for p in paras for s in re.split(splitter, p) if s]
            assert len(sentences) == len(set(sentences)), key
            worst = max(worst, _dup_5gram_fraction(text))
    assert worst < 0.05


def test_sources_declare_how_content_was_created() -> None:
    import tomllib

    data = tomllib.loads((SAMPLE / "sources.toml").read_text(encoding="utf-8"))
    assert data["sources"]["sample-crawl"]["created_means"] == "collected"
    assert data["sources"]["sample-forum"]["created_means"] == "published"
