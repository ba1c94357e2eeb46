"""`curate ingest` over archives other crawlers write: HTTP as it came over the wire,
older WARC versions, pages without (or with a wrong) content type or charset, revisits,
and files that are damaged or cut short, where every record must be written or counted
exactly once."""

from __future__ import annotations

import bz2
import gzip
import lzma
import random
import uuid
import zlib

import brotli
import pytest
import zstandard
from conftest import manifest, read_rows, run

from curate.ingest.charset import encoding_for_label, prescan
from curate.ingest.extract import decode_html
from curate.ingest.http import BadEncoding, CutShort, decode_payload, sniff_html

EN = (
    "The ferry left the harbour an hour late because of the fog, and the passengers "
    "waited on deck with their collars turned up against the wind. "
)
ZH = (
    "越来越多的年轻人选择在下班后到公园和江边夜跑。他们说，跑步不仅能锻炼身体，"
    "还能让人忘记一天的疲劳。城市的夜晚灯火通明，跑道上总是挤满了人。"
    "有人戴着耳机听音乐，有人和朋友边跑边聊天，也有人独自一人慢慢地走。"
)
JA = (
    "今日は朝から雨が降っていたので、駅まで歩くのが大変でした。電車の中はとても"
    "混んでいて、座ることができませんでした。会社に着いてから、温かいコーヒーを"
    "飲んで少し休みました。午後は会議が三つもあり、夕方にはすっかり疲れてしまいました。"
)
RU = (
    "Вчера вечером мы гуляли по старому парку и разговаривали о планах на лето. "
    "Погода была тёплой, и в воздухе пахло сиренью. Мы решили, что в июле поедем "
    "на море, а в августе навестим бабушку в деревне, где растут яблони и малина."
)


# --------------------------------------------------------------------------- builders


def page(text: str = EN, title: str = "A page", head: str = "") -> str:
    """An HTML page whose main text the extractor keeps (two paragraphs of prose)."""
    return (
        f"<!DOCTYPE html><html><head>{head}<title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/about'>About</a></nav><article>"
        f"<h1>{title}</h1><p>{text}</p><p>{text}</p></article></body></html>"
    )


def http(body: bytes, *headers: str, status: str = "200 OK", nl: bytes = b"\r\n") -> bytes:
    """An HTTP response as it came over the wire (headers as given, no Content-Type added)."""
    lines = [f"HTTP/1.1 {status}".encode(), *(h.encode() for h in headers)]
    return nl.join(lines) + nl + nl + body


def record(
    block: bytes,
    *,
    rtype: str = "response",
    uri: str = "https://example.org/",
    version: str = "WARC/1.0",
    extra: tuple[str, ...] = (),
    content_type: str | None = None,
    length: int | None = None,
    nl: bytes = b"\r\n",
) -> bytes:
    """One WARC record, assembled by hand so that any header can be odd."""
    if content_type is None:
        content_type = {
            "response": "application/http; msgtype=response",
            "request": "application/http; msgtype=request",
            "revisit": "application/http; msgtype=response",
        }.get(rtype, "text/plain")
    lines = [
        version,
        f"WARC-Type: {rtype}",
        f"WARC-Target-URI: {uri}",
        "WARC-Date: 2024-05-01T10:00:00Z",
        f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>",
        f"Content-Type: {content_type}",
        *extra,
        f"Content-Length: {len(block) if length is None else length}",
    ]
    return nl.join(x.encode() for x in lines) + nl + nl + block + nl + nl


def warcinfo() -> bytes:
    return record(b"software: tests\r\n", rtype="warcinfo", content_type="application/warc-fields")


def response(uri: str, body: bytes, *headers: str, **kw) -> bytes:
    return record(http(body, *headers), uri=uri, **kw)


def html_response(uri: str, text: str = EN, ctype: str = "text/html", **kw) -> bytes:
    return response(uri, page(text).encode(), f"Content-Type: {ctype}", **kw)


def write(path, records: list[bytes], *, gz: bool | None = None):
    """Records as a .warc (plain) or .warc.gz (one gzip member per record, as crawlers do)."""
    gz = path.name.endswith(".gz") if gz is None else gz
    data = b"".join(gzip.compress(r, mtime=0) if gz else r for r in records)
    path.write_bytes(data)
    return path


def ingest(tmp_path, src, *args):
    """(exit code, rows, removed, lineage step, run) of `curate ingest SRC`."""
    out = tmp_path / f"out-{src.name}"
    r = run("ingest", src, "-o", out, "--source", "t", "-q", *args)
    if r.exit_code != 0:
        return r.exit_code, [], {}, {}, r
    step = manifest(out)["lineage"][0]
    return r.exit_code, read_rows(out), step["removed"], step, r


def chunk(body: bytes, size: int = 50) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


HTML = page().encode()
NOISE = random.Random(14).randbytes(5000)  # bytes that are no format at all


# --------------------------------------------------------------------------- HTTP codings

ENCODED = {
    "chunked": (chunk(HTML), ["Transfer-Encoding: chunked"]),
    "gzip": (gzip.compress(HTML), ["Content-Encoding: gzip"]),
    "x-gzip": (gzip.compress(HTML), ["Content-Encoding: x-gzip"]),
    "deflate-zlib": (zlib.compress(HTML), ["Content-Encoding: deflate"]),
    "deflate-raw": (raw_deflate(HTML), ["Content-Encoding: deflate"]),
    "br": (brotli.compress(HTML), ["Content-Encoding: br"]),
    "zstd": (zstandard.ZstdCompressor().compress(HTML), ["Content-Encoding: zstd"]),
    "gzip-then-br": (brotli.compress(gzip.compress(HTML)), ["Content-Encoding: gzip, br"]),
    "gzip-chunked": (
        chunk(gzip.compress(HTML), 16),
        ["Content-Encoding: gzip", "Transfer-Encoding: chunked"],
    ),
    "br-chunked-lf": (
        chunk(brotli.compress(HTML), 9).replace(b"\r\n", b"\n"),
        ["Transfer-Encoding: chunked", "Content-Encoding: br"],
    ),
}


@pytest.mark.parametrize("gz", [True, False], ids=["warc.gz", "warc"])
def test_payloads_as_they_came_over_the_wire_are_decoded(tmp_path, gz):
    records = [warcinfo()]
    for name, (body, headers) in ENCODED.items():
        records.append(
            response(f"https://enc.example/{name}", body, "Content-Type: text/html", *headers)
        )
    records.append(html_response("https://enc.example/after"))  # nothing after them is lost
    src = write(tmp_path / ("w.warc.gz" if gz else "w.warc"), records)
    code, rows, removed, _, r = ingest(tmp_path, src)
    assert code == 0, r
    assert [x["url"].rsplit("/", 1)[1] for x in rows] == [*ENCODED, "after"]
    assert all(x["text"].startswith("A page\nThe ferry left the harbour") for x in rows)
    assert removed == {"record_type": 1}


def test_malformed_encodings_are_counted_not_fatal(tmp_path):
    bad = {
        "gzip-garbage": (b"\x1f\x8b\x08\x00" + NOISE, "Content-Encoding: gzip"),
        "br-garbage": (bytes(range(256)), "Content-Encoding: br"),
        "zstd-garbage": (b"\x28\xb5\x2f\xfd" + NOISE, "Content-Encoding: zstd"),
        "unknown-coding": (NOISE, "Content-Encoding: compress"),
        "bad-chunk": (chunk(HTML)[:56] + b"zz\r\nrest\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
    }
    records = [
        response(f"https://bad.example/{k}", body, "Content-Type: text/html", header)
        for k, (body, header) in bad.items()
    ]
    src = write(tmp_path / "bad.warc.gz", [*records, html_response("https://bad.example/ok")])
    code, rows, removed, _, r = ingest(tmp_path, src, "--rejected", tmp_path / "rej")
    assert code == 0, r
    assert [x["url"] for x in rows] == ["https://bad.example/ok"]
    assert removed == {"bad_encoding": 5}
    assert {x["reason"] for x in read_rows(tmp_path / "rej")} == {"bad_encoding"}


def test_payload_stored_decoded_under_its_coding_header_is_kept(tmp_path):
    # ClueWeb09 kept `Content-Encoding: gzip` on decoded pages; servo and other recorders
    # keep `Transfer-Encoding: chunked` on de-chunked (here still gzip-encoded) bodies.
    src = write(
        tmp_path / "stale.warc.gz",
        [
            response(
                "https://s.example/ce", HTML, "Content-Type: text/html", "Content-Encoding: gzip"
            ),
            response(
                "https://s.example/te",
                gzip.compress(HTML),
                "Content-Type: text/html",
                "Transfer-Encoding: chunked",
                "Content-Encoding: gzip",
            ),
        ],
    )
    code, rows, removed, _, r = ingest(tmp_path, src)
    assert code == 0, r
    assert [x["url"] for x in rows] == ["https://s.example/ce", "https://s.example/te"]
    assert all("The ferry left" in x["text"] for x in rows) and removed == {}


def test_encoded_payload_cut_short(tmp_path):
    """A gzip stream that ends early is a damaged record, unless the crawler cut it and
    said so (`WARC-Truncated`): then the part that decodes is kept."""
    long_html = page(" ".join(f"{EN} ({i})" for i in range(200))).encode()
    compressed = gzip.compress(long_html)
    cut = compressed[: len(compressed) // 2]
    headers = ("Content-Type: text/html", "Content-Encoding: gzip")
    src = write(
        tmp_path / "cut.warc.gz",
        [
            response("https://c.example/damaged", cut, *headers),
            response(
                "https://c.example/declared", cut, *headers, extra=("WARC-Truncated: length",)
            ),
        ],
    )
    code, rows, removed, _, r = ingest(tmp_path, src)
    assert code == 0, r
    assert [x["url"] for x in rows] == ["https://c.example/declared"]
    assert "The ferry left" in rows[0]["text"]
    assert removed == {"truncated_record": 1}


def test_encoded_record_cut_by_the_end_of_the_file_is_truncated(tmp_path):
    """Today's reader skipped the length check for encoded payloads: the cut page went
    through the extractor as gzip bytes."""
    body = gzip.compress(page(EN * 20).encode())
    data = warcinfo() + response(
        "https://e.example/", body, "Content-Type: text/html", "Content-Encoding: gzip"
    )
    src = tmp_path / "end.warc"
    src.write_bytes(data[: len(data) - len(body) // 2])
    code, rows, removed, _, r = ingest(tmp_path, src)
    assert code == 0, r
    assert rows == [] and removed == {"record_type": 1, "truncated_record": 1}


def test_decode_payload_unit():
    assert decode_payload(chunk(b"abc" * 40), transfer_encoding="chunked") == b"abc" * 40
    with_ext = b"3;name=value\r\nabc\r\n0\r\nTrailer: x\r\n\r\n"
    assert decode_payload(with_ext, transfer_encoding="Chunked") == b"abc"
    assert decode_payload(HTML, content_encoding="identity") == HTML
    with pytest.raises(CutShort):
        decode_payload(chunk(HTML)[:-5], transfer_encoding="chunked")
    cut = decode_payload(chunk(HTML)[:-5], transfer_encoding="chunked", partial_ok=True)
    assert cut == HTML
    with pytest.raises(BadEncoding):
        decode_payload(b"\x1f\x8b\x08\x00garbage" + bytes(range(40)), content_encoding="gzip")
    two = gzip.compress(b"ab") + gzip.compress(b"cd")  # concatenated members, as gunzip reads
    assert decode_payload(two, content_encoding="gzip") == b"abcd"


# --------------------------------------------------------------------------- older WARCs


def test_warc_018_clueweb09_style(tmp_path):
    """ClueWeb09: `WARC/0.18`, LF-only HTTP headers, impossible dates, an empty header,
    `Content-Encoding: gzip` on a payload stored decoded, a charset only in <meta>."""
    body = page(JA, head="<meta http-equiv='Content-Type' content='text/html; charset=EUC-JP'>")
    block = http(
        body.encode("euc_jp"),
        "Content-Type: text/html",
        "Content-Encoding: gzip",
        "Date: Wed, 28 Jan 2009 17:05:56 GMT",
        nl=b"\n",
    )
    rec = record(
        block,
        uri="http://www.example.jp/shop/",
        version="WARC/0.18",
        content_type="application/http;msgtype=response",
        extra=("WARC-TREC-ID: clueweb09-ja0016-50-00000", "WARC-Identified-Payload-Type: "),
    ).replace(b"2024-05-01T10:00:00Z", b"2008-10-294T05:21:46-0700")
    src = write(tmp_path / "cw09.warc.gz", [warcinfo().replace(b"WARC/1.0", b"WARC/0.18"), rec])
    code, rows, removed, step, r = ingest(tmp_path, src)
    assert code == 0, r
    assert len(rows) == 1 and JA[:20] in rows[0]["text"]
    assert rows[0]["created"] is None and step["notes"]["bad_created"] == 1
    assert '"WARC-TREC-ID": "clueweb09-ja0016-50-00000"' in rows[0]["metadata"]
    assert removed == {"record_type": 1}


@pytest.mark.parametrize("version", ["WARC/0.17", "WARC/0.18", "WARC/1.1"])
@pytest.mark.parametrize("gz", [True, False], ids=["warc.gz", "warc"])
def test_lf_only_warc_headers_are_read_leniently(tmp_path, version, gz):
    """Every line LF-only (ClueWeb09's sample files, CCNet's hand-made WETs): fastwarc's
    strict parser read one record of type `unknown` and silently stopped there."""
    records = [
        record(
            http(page(f"{EN} Number {i}.").encode(), "Content-Type: text/html", nl=b"\n"),
            uri=f"http://lf.example/{i}",
            version=version,
            nl=b"\n",
        )
        for i in range(3)
    ]
    src = write(tmp_path / ("lf.warc.gz" if gz else "lf.warc"), records)
    code, rows, removed, _, r = ingest(tmp_path, src)
    assert code == 0, r
    assert [x["url"] for x in rows] == [f"http://lf.example/{i}" for i in range(3)]
    assert removed == {}


def test_response_without_http_content_type_header(tmp_path):
    """A response record whose WARC Content-Type is missing still holds HTTP."""
    rec = record(http(HTML, "Content-Type: text/html"), uri="https://n.example/", content_type="")
    src = write(tmp_path / "n.warc", [rec])
    code, rows, removed, _, r = ingest(tmp_path, src)
    assert code == 0, r
    assert len(rows) == 1 and removed == {}


@pytest.mark.parametrize("ext", ["bz2", "xz"])
def test_bz2_and_xz_compressed_warc(tmp_path, ext):
    """fastwarc reads neither: the whole file was one `corrupt_record`."""
    compress = bz2.compress if ext == "bz2" else lzma.compress
    meta = record(b"k: v\r\n" * 300, rtype="metadata")
    whole = compress(warcinfo() + html_response("https://b.example/") + meta)
    src = tmp_path / f"x.warc.{ext}"
    src.write_bytes(whole)
    code, rows, removed, _, r = ingest(tmp_path, src)
    assert code == 0, r
    assert [x["url"] for x in rows] == ["https://b.example/"] and removed == {"record_type": 2}
    # a cut second stream: xz keeps what decodes before the cut, bz2 loses the whole block
    cut = tmp_path / f"cut.warc.{ext}"
    cut.write_bytes(whole + compress(html_response("https://b.example/2") + meta)[:-40])
    code, rows, removed, _, r = ingest(tmp_path, cut)
    assert code == 0, r
    assert len(rows) == (2 if ext == "xz" else 1)
    assert removed == (
        {"record_type": 2, "truncated_record": 1}
        if ext == "xz"
        else {"record_type": 2, "truncated_file": 1}
    )


# --------------------------------------------------------------------------- sniffing


def test_html_sniffed_when_the_content_type_says_nothing(tmp_path):
    records = [
        response("https://m.example/none", HTML),
        response("https://m.example/octet", HTML, "Content-Type: application/octet-stream"),
        response("https://m.example/plain", b"\n  " + HTML, "Content-Type: text/plain"),
        response("https://m.example/unknown", HTML, "Content-Type: unknown/unknown"),
        response("https://m.example/php", HTML, "Content-Type: application/x-httpd-php"),
        response(
            "https://m.example/p", b"<P>" + EN.encode() * 2, "Content-Type: binary/octet-stream"
        ),
        # not pages: text that is not HTML, and types that are never read
        response(
            "https://m.example/robots", b"User-agent: *\nDisallow: /", "Content-Type: text/plain"
        ),
        response("https://m.example/blob", b"\x89PNG\r\n\x1a\n" + HTML),
        response("https://m.example/img", HTML, "Content-Type: image/jpeg"),
        response("https://m.example/css", HTML, "Content-Type: text/css"),
        response("https://m.example/json", HTML, "Content-Type: application/json"),
    ]
    src = write(tmp_path / "m.warc.gz", records)
    code, rows, removed, _, r = ingest(tmp_path, src)
    assert code == 0, r
    assert [x["url"].rsplit("/", 1)[1] for x in rows] == [
        "none",
        "octet",
        "plain",
        "unknown",
        "php",
        "p",
    ]
    assert removed == {"not_html": 5}


def test_sniff_html_unit():
    for yes in (b"<!DOCTYPE html>", b" \r\n<html lang=en>", b"<HEAD>", b"<!-- x -->", b"<p>hi",
                b"\xef\xbb\xbf<html>", b"<?xml version='1.0'?>\n<html xmlns='x'>",
                "<html>".encode("utf-16")):  # fmt: skip
        assert sniff_html(yes), yes
    for no in (
        b"",
        b"hello <html>",
        b"<htmlx>",
        b"<pre>",
        b'{"a": 1}',
        b"<?xml version='1.0'?><rss>",
    ):
        assert not sniff_html(no), no


# --------------------------------------------------------------------------- charsets


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        (ZH, "gbk"),
        (ZH, "gb18030"),
        (JA, "shift_jis"),
        (JA, "euc_jp"),
        (RU, "cp1251"),
        (RU, "koi8_r"),
    ],
)
def test_undeclared_legacy_encodings_come_out_as_text(tmp_path, text, codec):
    """No charset anywhere: the detector picks it (GBK, Shift_JIS, windows-1251...)."""
    body = page(text, title=text[:8]).encode(codec)
    src = write(
        tmp_path / "l.warc.gz", [response("https://l.example/", body, "Content-Type: text/html")]
    )
    code, rows, _, _, r = ingest(tmp_path, src)
    assert code == 0, r
    assert text[:30] in rows[0]["text"]


def test_charset_labels_mean_what_browsers_take_them_to_mean():
    # gb2312 is read as GBK (gb18030): characters GB2312 lacks (堃, 镕) survive
    assert "王堃和朱镕" in decode_html(
        page("王堃和朱镕" + ZH, head="<meta charset=gb2312>").encode("gbk")
    )
    # Shift_JIS is windows-31j: NEC specials such as ① and ㈱ survive
    sjis = page("①㈱" + JA, head="<meta charset='x-sjis'>").encode("cp932")
    assert "①㈱" in decode_html(sjis)
    # iso-8859-1 / latin1 / ascii mean windows-1252: 0x80 is the euro sign
    assert "5 €" in decode_html(page("5 € " + EN).encode("cp1252"), "text/html; charset=ISO-8859-1")
    assert "5 €" in decode_html(page("5 € " + EN, head="<meta charset=ascii>").encode("cp1252"))
    # a meta utf-16 label on an ASCII-readable page means utf-8
    assert "Grüße" in decode_html(page("Grüße " + EN, head='<meta charset="utf-16">').encode())
    # the BOM beats the HTTP header
    assert "Grüße" in decode_html(
        b"\xef\xbb\xbf" + page("Grüße").encode(), "text/html; charset=cp1251"
    )
    # the HTTP header beats <meta>
    ru = page(RU, head="<meta charset=utf-8>").encode("koi8_r")
    assert RU[:30] in decode_html(ru, "text/html; charset=KOI8-R")
    # UTF-8 bytes under the old Apache default (charset=ISO-8859-1) are UTF-8, not mojibake
    assert "Grüße" in decode_html(page("Grüße " + EN).encode(), "text/html; charset=iso-8859-1")
    assert encoding_for_label(" Latin1 ") == "windows-1252"
    assert encoding_for_label("gb2312") == "gbk" and encoding_for_label("utf-16") == "utf-16le"


def test_meta_prescan_follows_the_spec():
    assert prescan(b"<!-- <meta charset=utf-8> --><meta charset=koi8-r>") == "koi8-r"
    assert prescan(b'<div title="<meta charset=utf-8>"><meta charset=big5>') == "big5"
    assert prescan(b'<meta name=description content="charset=utf-8">') is None  # no pragma
    assert prescan(b'<meta content="text/html; charset=windows-1251" http-equiv=Content-Type>') == (
        "windows-1251"
    )
    assert prescan(b"<meta charset=no-such-thing><meta charset=euc-kr>") == "euc-kr"
    # a <meta> the parser meets after the first 1024 bytes still beats detection
    late = page(ZH, head="<script>var a = 1;</script>" * 60 + "<meta charset=gbk>").encode("gbk")
    assert late.index(b"<meta") > 1024 and ZH[:20] in decode_html(late)


# --------------------------------------------------------------------------- record types


def test_revisit_records_are_their_own_reason(tmp_path):
    revisit = record(
        http(b"", "Content-Type: text/html"),
        rtype="revisit",
        uri="https://r.example/",
        extra=("WARC-Profile: http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",),
    )
    src = write(tmp_path / "r.warc.gz", [warcinfo(), html_response("https://r.example/"), revisit])
    code, rows, removed, step, r = ingest(tmp_path, src)
    assert code == 0, r
    assert len(rows) == 1
    assert removed == {"record_type": 1, "revisit": 1}
    assert step["notes"] == {"record_type:warcinfo": 1}


# --------------------------------------------------------------------------- damage


def _members(n: int = 3) -> list[bytes]:
    return [warcinfo()] + [html_response(f"https://d.example/{i}") for i in range(n)]


def test_corrupt_gzip_member_is_counted_once(tmp_path):
    """The reader resynchronised at the member that had just failed, failed again there and
    counted the same record twice (corrupt_record: 2 for one damaged member)."""
    members = [gzip.compress(r, mtime=0) for r in _members()]
    for where in (20, 200):  # in the WARC header, and in the payload
        damaged = bytearray(members[1])
        damaged[where : where + 12] = b"\x00" * 12
        src = tmp_path / f"bad{where}.warc.gz"
        src.write_bytes(b"".join([members[0], bytes(damaged), *members[2:]]))
        code, rows, removed, step, r = ingest(tmp_path, src)
        assert code == 0, r
        assert [x["url"] for x in rows] == ["https://d.example/1", "https://d.example/2"]
        assert removed == {"record_type": 1, "corrupt_record": 1}, where
        assert step["rows_in"] == 4


def test_wet_records_never_vanish(tmp_path):
    def conv(i: int) -> bytes:
        return record(
            f"Plain text number {i}.\n".encode() * 30,
            rtype="conversion",
            uri=f"https://w.example/{i}",
        )

    # cut inside the last record's WARC header: the record vanished without a count
    members = [gzip.compress(conv(i), mtime=0) for i in range(4)]
    cut = tmp_path / "cut.warc.wet.gz"
    cut.write_bytes(b"".join(members[:3]) + members[3][:40])
    code, rows, removed, step, r = ingest(tmp_path, cut)
    assert code == 0, r
    assert len(rows) == 3 and removed == {"truncated_record": 1} and step["rows_in"] == 4
    # cut inside the last record's text: its first half was written as a document
    plain = tmp_path / "cut2.warc.wet"
    data = b"".join(conv(i) for i in range(4))
    plain.write_bytes(data[:-300])
    code, rows, removed, _, r = ingest(tmp_path, plain)
    assert code == 0, r
    assert len(rows) == 3 and removed == {"truncated_record": 1}
    # LF-only lines (CCNet's hand-made WET): one `unknown` record counted, the rest gone
    lf = tmp_path / "lf.warc.wet"
    lf.write_bytes(b"".join(conv(i).replace(b"\r\n", b"\n") for i in range(4)))
    code, rows, removed, _, r = ingest(tmp_path, lf)
    assert code == 0, r
    assert len(rows) == 4 and removed == {}


@pytest.mark.parametrize("gz", [True, False], ids=["warc.gz", "warc"])
def test_file_cut_inside_a_request_record_is_truncated(tmp_path, gz):
    """Requests are counted without reading their payload, so a file that ended inside
    one looked whole."""
    request = record(
        b"GET / HTTP/1.1\r\nHost: d.example\r\nUser-Agent: test\r\n\r\n" + b"x=1&" * 100,
        rtype="request",
        uri="https://d.example/",
    )
    records = [warcinfo(), html_response("https://d.example/"), request]
    data = b"".join(gzip.compress(r, mtime=0) if gz else r for r in records)
    src = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    src.write_bytes(data[:-120])
    code, rows, removed, step, r = ingest(tmp_path, src)
    assert code == 0, r
    assert len(rows) == 1
    assert removed == {"record_type": 1, "truncated_record": 1}
    assert step["notes"] == {"record_type:warcinfo": 1}


@pytest.mark.parametrize("gz", [True, False], ids=["warc.gz", "warc"])
def test_every_record_begun_is_written_or_counted_wherever_the_file_is_cut(tmp_path, gz):
    meta = record(b"k: v\r\n" * 50, rtype="metadata")
    records = [
        warcinfo(),
        html_response("https://k.example/a"),
        meta,
        html_response("https://k.example/b"),
    ]
    parts = [gzip.compress(r, mtime=0) if gz else r for r in records]
    data = b"".join(parts)
    last = len(data) - len(parts[-1])
    for cut in sorted({last + 1, last + 3, last + 12, last + 60, last + 200, len(data) - 30,
                       len(data) - 6, len(data) - 1, len(data)}):  # fmt: skip
        src = tmp_path / f"k{cut}.warc{'.gz' if gz else ''}"
        src.write_bytes(data[:cut])
        code, rows, removed, step, r = ingest(tmp_path, src)
        assert code == 0, (cut, r)
        assert step["rows_in"] == 4, (cut, removed)
        assert len(rows) + sum(removed.values()) == 4, (cut, removed)


@pytest.mark.parametrize("name", ["x.warc.gz", "x.warc", "x.warc.wet.gz"])
def test_file_that_is_not_a_warc_exits_2(tmp_path, name):
    src = tmp_path / name
    src.write_bytes(NOISE)
    r = run("ingest", src, "-o", tmp_path / "out", "--source", "t", "-q")
    assert r.exit_code == 2, r
    line = r.stderr.strip()
    assert "\n" not in line and name in line and "not a WARC file" in line and "--format" in line
    assert not (tmp_path / "out").exists()  # nothing to resume: the rerun after a fix starts anew
    text = tmp_path / ("notes.warc.gz" if name.endswith(".gz") else "notes.warc")
    text.write_bytes(
        gzip.compress(b"just some notes\n" * 20) if name.endswith(".gz") else b"notes\n"
    )
    r = run("ingest", text, "-o", tmp_path / "out2", "--source", "t", "-q")
    assert r.exit_code == 2 and "not a WARC file" in r.stderr and "notes" in r.stderr


def test_damage_after_good_records_is_counted_not_fatal(tmp_path):
    good = write(tmp_path / "g.warc.gz", _members(2)).read_bytes()
    src = tmp_path / "later.warc.gz"
    src.write_bytes(good + NOISE[:3000])
    code, rows, removed, _, r = ingest(tmp_path, src)
    assert code == 0, r
    assert len(rows) == 2 and removed == {"record_type": 1, "truncated_record": 1}


def test_empty_warc_file_is_counted_as_empty(tmp_path):
    (tmp_path / "e.warc").write_bytes(b"")
    r = run("ingest", tmp_path / "e.warc", "-o", tmp_path / "out", "--source", "t", "-q")
    assert r.exit_code == 2 and "empty_file: 1" in r.stderr
