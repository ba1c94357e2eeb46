"""`curate ingest` over web archives and HTML files: pages in, everything else counted."""

from __future__ import annotations

import datetime as dt
import gzip
import json

from arcfile import write_arc
from conftest import html_page, http_response, manifest, read_rows, run, write_warc

BODY = "The lighthouse keeper wrote down every ship that passed the point in winter."


def _page(title: str, body: str = BODY, **kw) -> bytes:
    return http_response(html_page(title, body, **kw).encode())


def _crawl(tmp_path, name="crawl.warc.gz"):
    records = [
        {
            "uri": "https://a.example/one",
            "payload": _page("One"),
            "date": "2024-03-01T12:00:00Z",
            "id": "<urn:uuid:11111111-1111-4111-8111-111111111111>",
        },
        {
            "uri": "https://a.example/one",
            "type": "request",
            "payload": b"GET /one HTTP/1.1\r\nHost: a.example\r\n\r\n",
        },
        {
            "uri": "https://a.example/logo.png",
            "payload": http_response(b"\x89PNG....", content_type="image/png"),
        },
        {"uri": "https://a.example/gone", "payload": _page_status("Gone", "404 Not Found")},
        {
            "uri": "https://a.example/moved",
            "payload": http_response(b"", status="301 Moved Permanently"),
        },
        {
            "uri": "https://a.example/blank",
            "payload": http_response(b"<html><body><script>x()</script></body></html>"),
        },
        {
            "uri": "<https://a.example/two>",
            "payload": _page("Two", lang="de"),
            "date": "2024-03-02T08:30:00Z",
        },
    ]
    return write_warc(tmp_path / name, records)


def _page_status(title, status):
    return http_response(html_page(title).encode(), status=status)


def test_warc_pages_columns_and_reasons(tmp_path):
    src = _crawl(tmp_path)
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "cc", "-q")
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert [x["url"] for x in rows] == ["https://a.example/one", "https://a.example/two"]
    one = rows[0]
    assert one["id"] == "11111111-1111-4111-8111-111111111111"
    assert one["created"] == dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)
    assert one["http_status"] == 200 and one["content_type"] == "text/html"
    assert one["html_lang"] == "en" and rows[1]["html_lang"] == "de"
    assert one["license"] == ["CC-BY-SA-4.0"]
    assert "lighthouse keeper" in one["text"]
    assert one["source"] == "cc"
    step = manifest(tmp_path / "out")["lineage"][0]
    assert step["removed"] == {"record_type": 2, "not_html": 1, "http_status": 2, "empty_text": 1}
    assert step["notes"] == {"record_type:request": 1, "record_type:warcinfo": 1}


def test_corrupt_record_is_skipped_and_reading_resumes(tmp_path):
    good = _crawl(tmp_path, "a.warc.gz").read_bytes()
    # damage the second gzip member (the first response) in the middle of its data
    members = good.split(b"\x1f\x8b\x08")
    assert len(members) > 3
    second = bytearray(members[2])
    second[40:60] = b"\x00" * 20
    members[2] = bytes(second)
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"\x1f\x8b\x08".join(members))
    r = run(
        "ingest",
        bad,
        "-o",
        tmp_path / "out",
        "--source",
        "cc",
        "-q",
        "--rejected",
        tmp_path / "rej",
    )
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert [x["url"] for x in rows] == ["https://a.example/two"]  # the page after it survives
    removed = manifest(tmp_path / "out")["lineage"][0]["removed"]
    assert removed["corrupt_record"] >= 1
    assert any(x["reason"] == "corrupt_record" for x in read_rows(tmp_path / "rej"))


def test_payload_cut_short_is_skipped_unless_declared_truncated(tmp_path):
    page = _page("Cut")
    head, body = page.split(b"\r\n\r\n", 1)
    cut = head + b"\r\n\r\n" + body[: len(body) // 2]
    # the HTTP header still says the full length; the WARC block is shorter than it claims
    raw = gzip.decompress(
        write_warc(
            tmp_path / "w.warc.gz",
            [{"uri": "https://a.example/cut", "payload": page}],
            warcinfo=False,
        ).read_bytes()
    )
    raw = raw.replace(body, body[: len(body) // 2])
    (tmp_path / "cut.warc").write_bytes(raw)
    r = run("ingest", tmp_path / "cut.warc", "-o", tmp_path / "out", "--source", "cc", "-q")
    assert r.exit_code == 0, r
    assert cut  # (kept for readability of the construction above)
    removed = manifest(tmp_path / "out")["lineage"][0]["removed"]
    assert removed.get("truncated_record", 0) + removed.get("corrupt_record", 0) == 1


def test_wet_conversion_records(tmp_path):
    src = write_warc(
        tmp_path / "x.warc.wet.gz",
        [
            {
                "uri": "https://w.example/",
                "type": "conversion",
                "payload": b"Plain text\r\nof a page",
            },
            {"uri": "https://w.example/e", "type": "conversion", "payload": b"  "},
        ],
    )
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "cc", "-q")
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert [x["text"] for x in rows] == ["Plain text\nof a page"]
    assert rows[0]["url"] == "https://w.example/" and rows[0]["created"] is not None
    assert manifest(tmp_path / "out")["lineage"][0]["removed"] == {
        "empty_text": 1,
        "record_type": 1,
    }


def test_arc_like_warc(tmp_path):
    src = write_arc(
        tmp_path / "old.arc.gz",
        [
            ("http://old.example/", "20080301120000", "text/html", _page("Old")),
            (
                "http://old.example/a.gif",
                "20080301120001",
                "image/gif",
                http_response(b"GIF89a", content_type="image/gif"),
            ),
        ],
    )
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "ia", "-q")
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert [x["url"] for x in rows] == ["http://old.example/"]
    assert rows[0]["created"] == dt.datetime(2008, 3, 1, 12, tzinfo=dt.UTC)
    assert len(rows[0]["id"]) == 32  # ARC has no record ids: derived, stable
    r2 = run("ingest", src, "-o", tmp_path / "out2", "--source", "ia", "-q")
    assert r2.exit_code == 0 and read_rows(tmp_path / "out2")[0]["id"] == rows[0]["id"]
    assert manifest(tmp_path / "out")["lineage"][0]["removed"]["not_html"] == 1


def test_html_files_path_and_canonical_url(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.html").write_text(html_page("A", url="https://site.example/a"))
    (site / "b.htm").write_text("<html><body><script>menu()</script></body></html>")
    (site / "README").write_text("not a page")
    r = run("ingest", site, "-o", tmp_path / "out", "--source", "site", "-q")
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert len(rows) == 1
    assert rows[0]["path"] == str(site / "a.html")
    assert rows[0]["url"] == "https://site.example/a"
    assert rows[0]["created"] is None
    removed = manifest(tmp_path / "out")["lineage"][0]["removed"]
    assert removed == {"empty_text": 1, "unknown_format": 1}  # README is counted, not dropped
    assert "1 file(s) of unknown format" in r.stderr or r.stderr == ""


def test_mixed_formats_in_one_dataset(tmp_path):
    src = _crawl(tmp_path)
    (tmp_path / "d.jsonl").write_text(json.dumps({"id": "j1", "text": "from a dump"}) + "\n")
    r = run("ingest", src, tmp_path / "d.jsonl", "-o", tmp_path / "out", "--source", "mix", "-q")
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert len(rows) == 3
    assert {"metadata", "html_lang", "license"} <= set(rows[0])


def test_unknown_extractor_is_exit_2(tmp_path):
    r = run("ingest", _crawl(tmp_path), "-o", tmp_path / "o", "--source", "s", "--extractor", "x")
    assert r.exit_code == 2 and "unknown --extractor `x`" in r.stderr
