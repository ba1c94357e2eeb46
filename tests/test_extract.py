"""Tests of curate.ingest.extract on hand-written pages (tests/data/html/).

The pages are the tuning set of the extractor: each imitates one kind of site (blog,
news with sidebar, forum, shop, docs, cookie banner, German latin-1, Chinese GBK, an old
<br>-only page, a home page), and each test states what must survive and what must not.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import pytest

from curate.errors import CurateError
from curate.ingest.extract import EXTRACTORS, Extracted, decode_html, extract
from curate.ingest.licenses import spdx_from_url

PAGES = Path(__file__).parent / "data" / "html"


def page(name: str, **kwargs: object) -> Extracted:
    """Extract one test page from its raw bytes (as ingest does)."""
    return extract((PAGES / name).read_bytes(), **kwargs)  # type: ignore[arg-type]


def assert_kept(text: str, *snippets: str) -> None:
    for snippet in snippets:
        assert snippet in text, f"missing: {snippet!r}\n---\n{text}"


def assert_dropped(text: str, *snippets: str) -> None:
    for snippet in snippets:
        assert snippet not in text, f"boilerplate kept: {snippet!r}\n---\n{text}"


# --------------------------------------------------------------------------- main text


def test_blog_keeps_post_drops_menus_widgets_comments_and_share() -> None:
    got = page("blog.html")
    assert_kept(
        got.text,
        "Moving to a village at 1,600 metres changed everything",
        "Less yeast, more time in the cold",  # heading inside the post
        "bulk ferment at 22 °C for four hours",  # list item
        "The crust sets before the loaf has a chance to spread.",
    )
    assert_dropped(
        got.text,
        "Skip to content",
        "Recipes",
        "Share this",
        "Twitter",
        "Previous post",
        "Jonas",
        "Leave a Reply",
        "Your email address will not be published",
        "Recent Posts",
        "I bake, I hike",  # "About me" widget prose in the sidebar
        "Proudly powered",
        "dataLayer",
        ".site-header",
    )
    assert got.html_lang == "en-GB"
    assert got.canonical_url == "https://crumb.example.org/2021/03/sourdough-at-altitude/"
    assert got.licenses == ["CC-BY-NC-SA-4.0"]


def test_news_article_drops_cookie_banner_ads_related_newsletter_and_rail() -> None:
    got = page("news.html")
    assert_kept(
        got.text,
        "The city council voted 7-2 on Wednesday night",
        "“This is the biggest new green space the city has seen in fifty years,”",
        "Residents can see the full plan at the public library",
    )
    assert_dropped(
        got.text,
        "We use cookies",
        "Accept all",
        "Advertisement",
        "Soil tests at rail yard",
        "Get the morning briefing",
        "Sign up for our free newsletter",
        "Most popular",
        "Support local journalism",
        "All rights reserved",
        "Obituaries",
        "Photo: Courier staff",
    )
    assert got.text.count("The city council voted") == 1
    # og:url is the canonical URL when there is no <link rel=canonical>
    assert got.canonical_url == (
        "https://www.riverside-courier.example.com/news/local/rail-yard-park-approved-2023-05-11/"
    )


def test_forum_keeps_every_post() -> None:
    got = page("forum.html")
    assert_kept(
        got.text,
        "I put a new 11-speed cassette on my gravel bike",
        "Do I really need a new chain too",  # after <br><br> inside the first post
        "Almost certainly the chain.",
        "Update: the checker showed 0.75 %.",
    )
    assert_dropped(got.text, "Log in", "Suggested topics", "Tubeless sealant", "Powered by")
    # <br> splits lines
    assert "jumps.\nThe chain is about 2,000 km old." in got.text


def test_shop_page_keeps_description_specs_and_review() -> None:
    got = page("shop.html")
    assert_kept(
        got.text,
        "A featherweight shell for runners",
        "Fully taped seams",
        "20,000 mm",
        "Kept me dry on a four-hour mountain run.",
    )
    assert_dropped(
        got.text, "Free shipping on orders", "Add to cart", "Merino Base Layer", "Cart (0)"
    )


def test_docs_page_keeps_code_and_drops_side_navigation() -> None:
    got = page("docs.html")
    assert_kept(
        got.text,
        "tidepool reads its settings from a TOML file.",
        'data_dir = "/var/lib/tidepool"\nmax_open_files = 512',  # <pre> lines kept
        "Environment variables win over the file.",
        "TIDEPOOL_LOG_LEVEL",
    )
    assert_dropped(got.text, "Search docs", "API reference", "Changelog", "Built with", "Next")
    assert got.licenses == ["CC-BY-4.0"]  # <link rel="license">


def test_german_latin1_page_decoded_from_meta_http_equiv() -> None:
    got = page("german_latin1.html")
    assert_kept(got.text, "Goldparmäne", "Süddeutschlands", "mühsamer")
    assert_dropped(
        got.text, "Diese Website verwendet Cookies", "Impressum", "Quittengelee", "WhatsApp"
    )
    assert got.html_lang == "de"


def test_chinese_gbk_page() -> None:
    got = page("chinese_gbk.html")
    assert_kept(got.text, "越来越多的年轻人选择在下班后到公园和江边夜跑", "以确保安全")
    assert_dropped(got.text, "热门新闻", "版权所有", "微博", "首页")
    assert got.html_lang == "zh-CN"


def test_old_page_made_of_one_div_with_brs() -> None:
    got = page("brdiv.html")
    assert_kept(
        got.text,
        "Last summer I finally replaced my old vertical",
        "The center insulator is a piece of PVC pipe",
        "I hung it between two pine trees",
    )
    assert_dropped(got.text, "Antennas | Logbook")
    lines = got.text.split("\n")
    assert len(lines) >= 3 and all(line == line.strip() and line for line in lines)


def test_home_page_is_not_empty() -> None:
    got = page("home.html")
    assert_kept(got.text, "Tulips, daffodils and alliums", "Learn pruning, composting")
    assert_dropped(got.text, "Workshops Visit us")


def test_every_test_page_gives_text_through_every_extractor() -> None:
    for name in sorted(p.name for p in PAGES.glob("*.html")):
        for extractor in ("curate", "resiliparse"):
            assert extract((PAGES / name).read_bytes(), extractor=extractor).text, (name, extractor)


# --------------------------------------------------------------------------- markup details


def test_entities_br_scripts_and_title_handling() -> None:
    html = (
        "<html><head><title>Fish &amp; Chips</title><style>p{color:red}</style></head><body>"
        "<h1>Fish &amp; Chips</h1><script>var x = '<p>no</p>';</script>"
        "<noscript>Enable JavaScript</noscript><template><p>template text</p></template>"
        "<svg><text>svg text</text></svg>"
        "<p>Batter the cod&nbsp;fillets, fry them at 180&#176;C and serve with&hellip; "
        "mushy peas, obviously. It is the only correct way.<br>Second line here.</p></body></html>"
    )
    text = extract(html).text
    assert "fry them at 180°C and serve with… mushy peas" in text
    assert "It is the only correct way.\nSecond line here." in text
    assert_dropped(text, "color:red", "var x", "Enable JavaScript", "template text", "svg text")
    assert text.count("Fish & Chips") <= 1  # the <title> is never added to the text


def test_inline_markup_does_not_split_or_glue_words() -> None:
    html = (
        "<body><article><p>Some <b>bold</b>, <i>italic</i> and <a href='/x'>linked</a> words "
        "inside one paragraph that is long enough to be prose, really.</p></article></body>"
    )
    assert extract(html).text == (
        "Some bold, italic and linked words inside one paragraph that is long enough to be "
        "prose, really."
    )


def test_hidden_elements_are_dropped() -> None:
    html = (
        "<body><p>Visible paragraph with enough words to be counted as the main text, yes.</p>"
        "<p style='display: none'>Hidden paragraph with enough words to be counted as text.</p>"
        "<div hidden>Also hidden text of some length, with punctuation, and words.</div>"
        "<span class='sr-only'>Screen reader only</span></body>"
    )
    text = extract(html).text
    assert "Visible paragraph" in text
    assert_dropped(text, "Hidden paragraph", "Also hidden", "Screen reader only")


def test_output_shape_is_newline_separated_paragraphs() -> None:
    text = page("news.html").text
    assert "\r" not in text and "\n\n" not in text and "  " not in text
    assert text == text.strip()


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        b"",
        b"\x00\x01\x02\xff\xfe garbage \x00",
        "<html>",
        "<<<>>>&&&;;",
        "<html><body></body></html>",
        "<body><script>only()</script></body>",
        "<frameset><frame src='a.html'></frameset>",
        "<p>" * 5000,
        "plain text, no tags at all, but a sentence.",
        "<?xml version='1.0'?><rss><channel><item>x</item></channel></rss>",
    ],
)
def test_bad_input_never_raises(html: str | bytes) -> None:
    got = extract(html)
    assert isinstance(got.text, str)


def test_plain_text_without_tags_is_kept() -> None:
    text = "A page that is only text, a few sentences long, with no markup at all. Really."
    assert extract(text).text == text


def test_deeply_nested_and_huge_pages_are_linear() -> None:
    # Deeper than Python's recursion limit (the walk is iterative). Not deeper: lexbor's
    # parse itself is superlinear in nesting depth (about 1 s at 10,000 levels).
    deep = "<div>" * 3_000 + "<p>Deep text, long enough, with a comma, to be prose here.</p>"
    assert "Deep text" in extract(deep).text
    para = "<p>Paragraph number {} has a few words, a comma and a full stop at the end.</p>"
    small = "<body><nav><a>x</a></nav>" + "".join(para.format(i) for i in range(500))
    big = "<body><nav><a>x</a></nav>" + "".join(para.format(i) for i in range(20_000))
    start = time.perf_counter()
    extract(small)
    t_small = time.perf_counter() - start
    start = time.perf_counter()
    text = extract(big).text
    t_big = time.perf_counter() - start
    assert text.count("\n") == 19_999
    assert t_big < 80 * t_small + 0.5  # 40x the input, far from 1600x (quadratic)


# --------------------------------------------------------------------------- metadata


def test_lang_is_stripped_and_none_when_absent() -> None:
    assert extract("<html lang=' pt-BR '><body><p>x</p></body></html>").html_lang == "pt-BR"
    assert extract("<html lang=''><body><p>x</p></body></html>").html_lang is None
    assert extract("<body><p>x</p></body>").html_lang is None


def test_canonical_prefers_link_over_og_url() -> None:
    html = (
        "<head><meta property='og:url' content='https://a.example/og'>"
        "<link rel='canonical' href=' https://a.example/c '></head><body><p>x</p></body>"
    )
    assert extract(html).canonical_url == "https://a.example/c"
    assert extract("<body><p>x</p></body>").canonical_url is None


def test_licences_from_rel_and_cc_links_anywhere() -> None:
    html = (
        "<head><link rel='license' href='https://creativecommons.org/licenses/by-sa/4.0/'></head>"
        "<body><p>text</p><a href='http://creativecommons.org/publicdomain/zero/1.0/'>CC0</a>"
        "<a href='//creativecommons.org/licenses/by-sa/4.0/deed.de'>again</a>"
        "<a rel='license' href='https://example.com/our-terms'>terms</a></body>"
    )
    assert extract(html).licenses == ["CC-BY-SA-4.0", "CC0-1.0"]
    assert extract("<body><p>no licence</p></body>").licenses == []


@pytest.mark.parametrize(
    ("url", "spdx"),
    [
        ("https://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0"),
        ("http://creativecommons.org/licenses/by-nc-nd/3.0/", "CC-BY-NC-ND-3.0"),
        ("https://creativecommons.org/licenses/by-sa/3.0/de/", "CC-BY-SA-3.0-DE"),
        ("https://creativecommons.org/licenses/by-sa/3.0/es/", "CC-BY-SA-3.0"),
        ("https://creativecommons.org/licenses/by-nc-sa/2.0/uk/", "CC-BY-NC-SA-2.0-UK"),
        ("https://CreativeCommons.org/Licenses/BY/2.5/", "CC-BY-2.5"),
        ("https://creativecommons.org/publicdomain/zero/1.0/legalcode", "CC0-1.0"),
        ("https://creativecommons.org/publicdomain/mark/1.0/", "PDM-1.0"),
        ("https://www.apache.org/licenses/LICENSE-2.0", "Apache-2.0"),
        ("https://creativecommons.org/licenses/by/9.9/", None),
        ("https://creativecommons.org/about/", None),
        ("https://example.com/license", None),
        ("", None),
    ],
)
def test_spdx_from_url(url: str, spdx: str | None) -> None:
    assert spdx_from_url(url) == spdx


# --------------------------------------------------------------------------- decoding


def test_decode_prefers_http_header_then_meta() -> None:
    body = "<meta charset='utf-8'><p>Grüße</p>".encode("latin-1")
    assert "Grüße" in decode_html(body, "text/html; charset=ISO-8859-1")
    assert "Grüße" in decode_html("<meta charset='windows-1252'><p>Grüße €</p>".encode("cp1252"))


def test_decode_bom_and_detection_and_invalid_bytes() -> None:
    assert decode_html("\ufeff<p>héllo</p>".encode()) == "<p>héllo</p>"
    assert decode_html("<p>héllo</p>".encode("utf-16")) == "<p>héllo</p>"
    gbk = "<p>越来越多的年轻人选择在下班后到公园和江边夜跑。</p>".encode("gbk") * 3
    assert "年轻人" in decode_html(gbk)
    stray = ("<meta charset=utf-8><p>" + "héllo wörld " * 50).encode() + b"\xff</p>"
    assert "héllo" in decode_html(stray) and "\ufffd" in decode_html(stray)
    assert decode_html(b"") == ""
    assert isinstance(decode_html(b"<meta charset='no-such-codec'>\xff"), str)


def test_declared_charset_that_does_not_fit_is_distrusted() -> None:
    body = ("<meta charset='utf-8'><p>" + "Straße und Größe " * 20 + "</p>").encode("latin-1")
    assert "Straße" in decode_html(body)


def test_bytes_use_content_type_header() -> None:
    body = "<p>Čeština je krásný jazyk, věta s čárkou a tečkou na konci.</p>".encode("cp1250")
    assert "Čeština" in extract(body, content_type="text/html; charset=windows-1250").text


# --------------------------------------------------------------------------- interface


def test_interface() -> None:
    assert EXTRACTORS == ("curate", "resiliparse", "trafilatura")
    got = extract("<p>x</p>")
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.text = "y"  # type: ignore[misc]
    with pytest.raises(CurateError):
        extract("<p>x</p>", extractor="nope")


def test_trafilatura_extractor_or_its_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("trafilatura")
    assert "Moving to a village" in page("blog.html", extractor="trafilatura").text
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # simulate "not installed"
    with pytest.raises(CurateError, match=r"pip install curate\[trafilatura\]"):
        extract("<p>x</p>", extractor="trafilatura")
