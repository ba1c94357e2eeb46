"""HTML -> main text: a fast boilerplate-removing extractor, plus page metadata.

Why a scorer of our own: trafilatura is accurate but ~45 ms a page, which makes it the
bottleneck of an ingest; resiliparse's ``main_content`` mode is fast but drops or keeps
too much on news pages. This module gets close to trafilatura's accuracy at a fraction of
the cost with one linear pass over a lexbor DOM and a few array passes (see
docs/extraction.md for the measurements):

1. **Segment** the body into text blocks (a block = the inline text between two
   block-level boundaries; ``<br>`` also ends a block). Each block remembers its text,
   how much of it is link text, and the innermost block-level element that owns it.
   Invisible and non-text elements (script, style, svg, form controls, ``hidden`` ...)
   are skipped without being descended into.
2. **Mark** boilerplate containers from tag, ARIA role and class/id words (nav, footer,
   aside, menu, sidebar, comment, share, cookie, related ...). A marked container that
   holds most of the page's prose is un-marked again: a "sidebar" class on a wrapper of
   the whole article is a layout accident, not boilerplate.
3. **Score** every block: prose (long, or punctuated) counts its non-link length
   positively, link text negatively, boilerplate blocks negatively. The main-content
   region is the element whose subtree maximises the score sum (maximum-subtree), which
   includes the whole article, split over sibling containers if need be, while
   excluding navigation and link lists around it.
4. **Filter** the region: drop boilerplate sub-containers, link lists and ad labels,
   trim short non-prose blocks (bylines, dates, "Share this") at its edges.
5. **Fall back** when the region is thin compared with the page's prose (home pages,
   shops, listings): keep every non-boilerplate, non-link block of the body instead.

The DOM comes from selectolax's lexbor binding: the same HTML5 parser resiliparse uses,
but resiliparse 2.0's Python node access measured ~5 us a node (and quadratic indexing
of node collections), i.e. 5-10 ms a page just to walk the tree, against ~0.2 us a node
for selectolax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from curate.errors import CurateError
from curate.ingest.charset import decode_html
from curate.ingest.licenses import spdx_from_url

__all__ = ["EXTRACTORS", "Extracted", "decode_html", "extract"]

EXTRACTORS: tuple[str, ...] = ("curate", "resiliparse", "trafilatura")


@dataclass(frozen=True)
class Extracted:
    """What ingest keeps from one HTML page."""

    text: str
    """Main text, paragraphs separated by ``\\n``; "" when the page has none."""
    html_lang: str | None = None
    """``<html lang>`` as written (stripped), None if absent or empty."""
    licenses: list[str] = field(default_factory=list)
    """SPDX ids of licence markers on the page, deduplicated and sorted."""
    canonical_url: str | None = None
    """``<link rel=canonical>``, else ``og:url``, else None."""


# --------------------------------------------------------------------------- metadata


def _attr(node: Any, name: str) -> str | None:
    """One attribute value, stripped; None when absent or empty."""
    value = node.attributes.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _metadata(tree: Any) -> tuple[str | None, list[str], str | None]:
    """(html_lang, licences, canonical_url) from one parsed page."""
    lang = None
    root = tree.root
    if root is not None and root.tag == "html":
        lang = _attr(root, "lang") or _attr(root, "xml:lang")
    found: set[str] = set()
    canonical = None
    og_url = None
    # One selector pass over the document (each css() call is a full traversal).
    for node in tree.css('[rel], [href*="creativecommons.org" i], meta[property="og:url" i]'):
        attrs = node.attributes
        if node.tag == "meta":
            og_url = og_url or _attr(node, "content")
            continue
        href = (attrs.get("href") or "").strip()
        if not href:
            continue
        rel = (attrs.get("rel") or "").lower().split()
        if "license" in rel or "creativecommons.org" in href.lower():
            spdx = spdx_from_url(href)
            if spdx:
                found.add(spdx)
        if canonical is None and "canonical" in rel and node.tag == "link":
            canonical = href
    canonical = canonical or og_url
    return lang, sorted(found), canonical


# --------------------------------------------------------------------------- segmentation

# Not rendered as text, or text that is not prose: skipped with their whole subtree.
_SKIP = frozenset(
    "script style noscript template svg math head title meta link iframe frame frameset "
    "object embed canvas video audio source track picture img map select option optgroup "
    "datalist button textarea input dialog".split()
)
# Elements that start a new block of text.
_BLOCK = frozenset(
    "address article aside blockquote body center dd details dir div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr legend li main menu "
    "nav ol p pre section summary table tbody thead tfoot tr td th caption ul html".split()
)
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# Owners of short lines that are content by structure (list items, cells, code).
_STRUCTURED = frozenset("li dd dt td th pre".split())
_BOILER_TAGS = frozenset({"nav", "footer", "aside", "menu"})
_BOILER_ROLES = frozenset(
    {"banner", "search", "dialog", "menu", "toolbar", "alertdialog", "tablist"}
)
_CONTENT_ROLES = frozenset({"main", "article"})
_LANDMARK_ROLES = frozenset({"navigation", "contentinfo", "complementary", "menubar"})
# Formatting elements that never carry a block boundary or a useful class: walked without
# reading their attributes (that read is the most expensive call of the walk).
_INLINE = frozenset(
    "b i em strong u s small sup sub abbr cite q code mark time font strike tt kbd var dfn "
    "ins del bdi bdo big nobr wbr".split()
)

# Class/id words that mark boilerplate. Long, distinctive words match as substrings; short
# or ambiguous ones ("nav", "ad", "tags", "share") only as whole dash/underscore tokens so
# that "canvas", "header-shadow" or "shared-content" do not fire.
_BOILER_CLASS = re.compile(
    r"sidebar|side-bar|footer|breadcrumb|cookie|consent|gdpr|newsletter|subscri|related|"
    r"recommend|comment|disqus|sharing|share-|-share|socia[ln]|sponsor|promo|advert|"
    r"banner|widget|paginat|pager|popup|pop-up|modal|navbar|navigation|menu|dropdown|"
    r"toolbar|outbrain|taboola|signup|sign-up|login|byline|author-bio|authorbio|"
    r"about-author|tagcloud|tag-list|taglist|trending|most-popular|mostpopular|"
    r"most-read|mostread|read-more|readmore|more-stories|morestories|newsfeed|"
    r"skip-link|skiplink|copyright|disclaimer|paywall|teaser|carousel|"
    r"rating|print-only|jump-link|author-info|post-meta|entry-meta|article-meta|caption|"
    r"credit|gallery|slideshow|lightbox|"
    r"(?:^|[\s_-])(?:nav|ad|ads|adv|advertisement|share|shares|social|links|sitemap|topbar|"
    r"top-bar|utility|tools|rss|skip|print)(?=$|[\s_-])|"
    # "tag"/"meta" only at the end of a class token: "post-tags", not WordPress "tag-foo".
    r"(?:^|[\s_-])(?:tags?|meta|foot|date|dateline|timestamp|signature|author|avatar)(?=$|\s)|"
    # The same in the languages most common in crawls after English.
    r"teilen|kommentar|werbung|anzeige|partager|commentaire|compartir|comentario",
)
# Class/id words of page and article headers (logo, title, byline): neutral, not output.
_SOFT_CLASS = re.compile(r"(?:^|[\s_-])(?:header|masthead|heading)(?=$|[\s_-])")
# Class/id words of visually hidden text ("Skip to content", screen-reader labels).
_HIDDEN_CLASS = re.compile(
    r"sr-only|screen-reader|visually-hidden|visuallyhidden|element-invisible"
)
# Containers that name themselves as the article (schema.org, common CMS names).
_CONTENT_CLASS = re.compile(
    r"article-?body|article-?content|articletext|article-text|story-?body|story-content|"
    r"entry-content|post-?content|post-?body|post-entry|main-?content|page-content|"
    r"body-?text|content-body|rich-?text|article__body|story__body",
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

# Lines that are ad or UI labels in any position (compared lowercased, without trailing
# punctuation). Kept small on purpose: only labels that are never content on their own.
_LABELS = frozenset(
    {
        "advertisement",
        "advertisment",
        "advertising",
        "ad",
        "ads",
        "sponsored",
        "sponsored content",
        "anzeige",
        "werbung",
        "publicité",
        "publicidad",
        "pubblicità",
        "реклама",
        "广告",
        "share",
        "share this",
        "share this article",
        "share this story",
        "share on facebook",
        "share on twitter",
        "tweet",
        "print",
        "email",
        "e-mail",
        "read more",
        "continue reading",
        "weiterlesen",
        "mehr lesen",
        "lire la suite",
        "leer más",
        "skip to content",
        "skip to main content",
        "back to top",
        "nach oben",
        "zum inhalt springen",
        "loading",
        "related",
        "related articles",
        "related stories",
        "recommended",
        "you may also like",
        "comments",
        "leave a comment",
        "leave a reply",
        "post a comment",
        "kommentare",
    }
)

_MARKUP = re.compile(r"</?[a-zA-Z][\w-]*(?:\s[^>]*)?/?>")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SENTENCE_PUNCT = re.compile(r"[.!?;:,。！？；，、]")
_INVISIBLE = str.maketrans({"\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None,
                            "\u00ad": None})  # fmt: skip

# Walk frame flags.
_F_BLOCK = 1
_F_LINK = 2
_F_PRE = 4

# Element marks.
_M_BOILER = 1  # boilerplate container: negative score, dropped
_M_SOFT = 2  # page/article header: neutral score, dropped from output
_M_CONTENT = 4  # declares itself the article: score bonus
_M_LANDMARK = 8  # nav/footer/aside or the same ARIA landmark: summarised, not walked
_M_HIDDEN = -1  # visually hidden (screen-reader-only) text: skipped

# Marks of elements without class/id/role, by tag.
_TAG_MARK = {
    "nav": _M_BOILER | _M_LANDMARK,
    "footer": _M_BOILER | _M_LANDMARK,
    "aside": _M_BOILER | _M_LANDMARK,
    "menu": _M_BOILER | _M_LANDMARK,
    "header": _M_SOFT,
    "figcaption": _M_BOILER,  # captions and photo credits are not running text
    "article": _M_CONTENT,
    "main": _M_CONTENT,
}


class _Page:
    """Blocks and block-level elements of one page body, as parallel arrays."""

    __slots__ = ("b_text", "b_link", "b_owner", "e_parent", "e_tag", "e_mark", "e_end")

    def __init__(self) -> None:
        self.b_text: list[str] = []  # block text, whitespace-normalised
        self.b_link: list[int] = []  # characters of link text in the block
        self.b_owner: list[int] = []  # index of the innermost block element owning it
        self.e_parent: list[int] = [-1]  # element 0 is the body
        self.e_tag: list[str] = ["body"]
        self.e_mark: list[int] = [0]
        self.e_end: list[int] = [0]  # last descendant element index (pre-order interval)


_mark_cache: dict[tuple[str, str, str | None, str | None], int] = {}


def _mark(tag: str, attrs: dict[str, str | None]) -> int:
    """Boilerplate / content marks of one element from its tag, role and class/id words."""
    cls = attrs.get("class")
    ident = attrs.get("id")
    role = attrs.get("role")
    if not cls and not ident and not role and "itemprop" not in attrs:
        return _TAG_MARK.get(tag, 0)
    key = (tag, (cls or "") + " " + (ident or ""), role, attrs.get("itemprop"))
    hit = _mark_cache.get(key)
    if hit is not None:
        return hit
    words = key[1].lower()
    role_l = (role or "").strip().lower()
    if cls and _HIDDEN_CLASS.search(cls.lower()):
        mark = _M_HIDDEN
    elif key[3] == "articleBody" or role_l in _CONTENT_ROLES or _CONTENT_CLASS.search(words):
        mark = _M_CONTENT
    elif tag in _BOILER_TAGS or role_l in _LANDMARK_ROLES:
        mark = _M_BOILER | _M_LANDMARK
    elif role_l in _BOILER_ROLES or _BOILER_CLASS.search(words):
        mark = _M_BOILER
    elif _SOFT_CLASS.search(words):
        mark = _M_SOFT
    else:
        mark = _TAG_MARK.get(tag, 0)
    if len(_mark_cache) < 50_000:
        _mark_cache[key] = mark
    return mark


def _hidden(attrs: dict[str, str | None]) -> bool:
    """True for elements a browser would not show."""
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = attrs.get("style")
    return style is not None and _HIDDEN_STYLE.search(style) is not None


def _segment(body: Any) -> _Page:
    """One iterative pre-order walk: blocks of text and the block elements that own them.

    Hot loop (every DOM node passes here once), hence the inlined checks. ``nav``,
    ``footer``, ``aside`` and ARIA landmarks of the same kind are never content, so they
    are summarised as one boilerplate block by a single C-level text() call instead of
    being walked: mega-menus and footers are often a third of a page's nodes.
    """
    page = _Page()
    b_text, b_link, b_owner = page.b_text, page.b_link, page.b_owner
    e_parent, e_tag, e_mark, e_end = page.e_parent, page.e_tag, page.e_mark, page.e_end
    buf: list[str] = []
    link_chars = 0
    in_link = 0
    in_pre = 0
    owners = [0]  # stack of open block elements
    stack: list[tuple[Any, int]] = []
    skip, block, inline = _SKIP, _BLOCK, _INLINE

    def flush() -> None:
        nonlocal link_chars
        raw = "".join(buf)
        buf.clear()
        if not raw.isascii():
            raw = raw.translate(_INVISIBLE)
        if in_pre:
            lines = [ln.rstrip() for ln in raw.strip("\n").split("\n")]
            text = "\n".join(lines).strip("\n")
            if not text.strip():
                text = ""
        else:
            text = " ".join(raw.split())
        if text:
            b_text.append(text)
            b_link.append(min(link_chars, len(text)))
            b_owner.append(owners[-1])
        link_chars = 0

    node = body.child
    while True:
        if node is None:
            if not stack:
                break
            node, fr = stack.pop()
            if fr & _F_BLOCK:
                if buf:
                    flush()
                e_end[owners.pop()] = len(e_tag) - 1
            if fr & _F_LINK:
                in_link -= 1
            if fr & _F_PRE:
                in_pre -= 1
            node = node.next
            continue
        tag = node.tag
        if tag == "-text":
            text = node.text_content
            if text:
                buf.append(text)
                if in_link:
                    link_chars += len(text.strip())
            node = node.next
            continue
        if tag in inline:
            stack.append((node, 0))
            node = node.child
            continue
        if tag[0] == "-" or tag in skip:
            node = node.next
            continue
        if tag == "br":
            if in_pre:
                buf.append("\n")
            elif buf:
                flush()
            node = node.next
            continue
        attrs = node.attributes
        if attrs:
            if ("hidden" in attrs or "style" in attrs or "aria-hidden" in attrs) and _hidden(attrs):
                node = node.next
                continue
            mark = _mark(tag, attrs)
            if mark < 0:  # visually hidden class
                node = node.next
                continue
        else:
            mark = _TAG_MARK.get(tag, 0)
        fr = 0
        if tag in block or mark:
            if buf:
                flush()
            e_parent.append(owners[-1])
            e_tag.append(tag)
            e_mark.append(mark)
            e_end.append(len(e_tag) - 1)
            if mark & _M_LANDMARK:
                # Landmark boilerplate: one block with its whole text, subtree not walked.
                text = " ".join((node.text(deep=True, separator=" ") or "").split())
                if text:  # counted as all link text: never prose, never kept
                    b_text.append(text)
                    b_link.append(len(text))
                    b_owner.append(len(e_tag) - 1)
                node = node.next
                continue
            owners.append(len(e_tag) - 1)
            fr = _F_BLOCK
        if tag == "a":
            in_link += 1
            fr |= _F_LINK
        elif tag == "pre":
            if buf:
                flush()
            in_pre += 1
            fr |= _F_PRE
        elif not fr and (tag == "td" or tag == "th"):
            buf.append(" ")
        stack.append((node, fr))
        node = node.child
    if buf:
        flush()
    e_end[0] = len(e_tag) - 1
    return page


# --------------------------------------------------------------------------- scoring


def _weight(text: str) -> int:
    """Text length in Latin-equivalent characters (a CJK character counts as three)."""
    n = len(text)
    if not text.isascii():
        n += 2 * len(_CJK.findall(text))
    return n


def _is_label(text: str) -> bool:
    """True for a bare ad/UI label such as "Advertisement" or "Share this"."""
    return len(text) < 40 and text.lower().strip(" .:!|»›>-–—…") in _LABELS


def _teasers(page: _Page, length: list[int], link: list[int], prose: list[bool]) -> list[bool]:
    """Elements inside a list of teasers: "headline link + summary" items, 3+ siblings.

    Links to other stories often carry a one-sentence summary, which reads as prose and
    would pull the main region over the "more stories" list next to the article. What
    gives them away is structure: a small item (2-6 blocks) that opens with a block that
    is all link text (the headline), repeated at least three times under one parent.
    """
    ne = len(page.e_tag)
    nb = len(page.b_text)
    e_parent, owner = page.e_parent, page.b_owner
    count = [0] * ne
    first = [nb] * ne
    has_prose = [False] * ne
    for i in range(nb - 1, -1, -1):
        o = owner[i]
        count[o] += 1
        first[o] = i
        if prose[i]:
            has_prose[o] = True
    for e in range(ne - 1, 0, -1):
        p = e_parent[e]
        count[p] += count[e]
        if first[e] < first[p]:
            first[p] = first[e]
        if has_prose[e]:
            has_prose[p] = True
    candidates = [0] * ne
    candidate = [False] * ne
    for e in range(1, ne):
        if 2 <= count[e] <= 6 and has_prose[e]:
            f = first[e]
            if length[f] >= 15 and link[f] * 10 >= length[f] * 9:
                candidate[e] = True
                candidates[e_parent[e]] += 1
    teaser = [False] * ne
    for e in range(1, ne):
        teaser[e] = teaser[e_parent[e]] or (candidate[e] and candidates[e_parent[e]] >= 3)
    return teaser


def _main_text(page: _Page) -> str:
    """Pick the main-content region and return its filtered blocks, or "" if none."""
    nb = len(page.b_text)
    if nb == 0:
        return ""
    e_parent, e_mark, e_end, e_tag = page.e_parent, page.e_mark, page.e_end, page.e_tag
    ne = len(e_tag)

    # Per block: length, link length, prose or not.
    length = [0] * nb
    link = [0] * nb
    prose = [False] * nb
    for i, text in enumerate(page.b_text):
        n = _weight(text)
        lk = page.b_link[i]
        if lk and n != len(text):
            lk = min(n, lk * n // max(1, len(text)))
        length[i] = n
        link[i] = lk
        nonlink = n - lk
        prose[i] = (
            lk * 2 < n
            and e_tag[page.b_owner[i]] not in _HEADINGS
            and (nonlink >= 100 or (nonlink >= 40 and _SENTENCE_PUNCT.search(text) is not None))
        )

    teaser = _teasers(page, length, link, prose)

    # Raw prose per element, to find "boilerplate" marks on containers of the article.
    raw = [0] * ne
    owner = page.b_owner
    for i in range(nb):
        if prose[i]:
            raw[owner[i]] += length[i] - link[i]
    for e in range(ne - 1, 0, -1):
        raw[e_parent[e]] += raw[e]
    total_raw = raw[0]

    # Effective marks: nearest boilerplate / soft / content ancestor-or-self (pre-order).
    boiler = [False] * ne
    soft = [False] * ne
    content = [False] * ne
    for e in range(1, ne):
        p = e_parent[e]
        m = e_mark[e]
        if m & _M_BOILER and raw[e] * 2 > total_raw and total_raw > 0:
            m = 0  # holds most of the page's prose: a layout wrapper, not boilerplate
        boiler[e] = boiler[p] or bool(m & _M_BOILER)
        soft[e] = soft[p] or bool(m & _M_SOFT)
        content[e] = content[p] or bool(m & _M_CONTENT)

    # Block scores, summed per subtree; the main region maximises the sum.
    score = [0.0] * ne
    for i in range(nb):
        o = owner[i]
        n, lk = length[i], link[i]
        if boiler[o]:
            w = -0.5 * n - 5.0
        elif teaser[o]:
            w = -0.25 * n - 0.75 * lk
        elif prose[i]:
            w = float(n - 2 * lk)
            if content[o]:
                w *= 1.5
        else:
            w = -0.75 * lk
        score[o] += w
    for e in range(ne - 1, 0, -1):
        score[e_parent[e]] += score[e]
    best = 0
    best_score = score[0]
    for e in range(1, ne):
        if score[e] >= best_score:
            best, best_score = e, score[e]

    lo, hi = best, e_end[best]
    region_prose = raw[best]
    thin = total_raw == 0 or region_prose * 10 < total_raw * 3 or region_prose < 150
    if thin:
        # Not an article (home page, shop, listing) or nothing scored: keep every block of
        # the body that is neither boilerplate nor a link list.
        lo, hi = 0, ne - 1
    keep: list[int] = []
    for i in range(nb):
        o = owner[i]
        if o < lo or o > hi:
            continue
        if (boiler[o] or soft[o]) and not (o == best or boiler[best] or soft[best]):
            continue
        if teaser[o] and not thin and not teaser[best]:
            continue
        n, lk = length[i], link[i]
        if lk * 2 > n or (lk * 3 > n and not prose[i]):
            continue
        text = page.b_text[i]
        if n < 40 and _is_label(text):
            continue
        if text[0] == "<" and _MARKUP.match(text):
            continue  # markup shown as text (escaped or mis-nested <noscript> content)
        keep.append(i)
    if not keep and thin:
        # Nothing survived even in page mode: keep any non-link text that is not marked.
        keep = [i for i in range(nb) if link[i] * 2 <= length[i] and not boiler[owner[i]]]

    # Trim short non-prose blocks (bylines, dates, captions, "Share") at the region edges.
    first = next((k for k, i in enumerate(keep) if prose[i]), None)
    if first is not None:
        start = first
        while start > 0 and e_tag[owner[keep[start - 1]]] in _HEADINGS:
            start -= 1
        end = len(keep)
        if not thin:
            # Trailing bylines, tags and "Share" lines go; a table, list or code block
            # that ends the article stays.
            while end > first + 1 and not prose[keep[end - 1]]:
                if e_tag[owner[keep[end - 1]]] in _STRUCTURED:
                    break
                end -= 1
        keep = keep[start:end]
    # Drop repeated paragraphs (responsive pages carry mobile and desktop copies of the
    # same caption or teaser); short lines may legitimately repeat ("Yes", list items).
    lines: list[str] = []
    seen: set[str] = set()
    prev = None
    for i in keep:
        text = page.b_text[i]
        if e_tag[owner[i]] in _HEADINGS:
            text = text.rstrip("¶#§ ") or text  # permalink anchors after headings
        if text == prev:
            continue
        prev = text
        if len(text) >= 20:
            if text in seen:
                continue
            seen.add(text)
        lines.append(text)
    return "\n".join(lines)


# --------------------------------------------------------------------------- extractors


def _parse(html: str) -> Any:
    """Parse with lexbor through selectolax (the fast DOM binding, see module docstring)."""
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise CurateError(
            "the curate HTML extractor needs selectolax: `pip install selectolax`"
        ) from exc
    return LexborHTMLParser(html)


def _curate_text(tree: Any) -> str:
    """Main text with the curate scorer; "" for pages without a body."""
    body = tree.body
    if body is None:
        body = tree.root
    if body is None:
        return ""
    return _main_text(_segment(body))


def _resiliparse_text(html: str) -> str:
    """resiliparse's own main-content mode, paragraphs on their own lines."""
    from resiliparse.extract.html2text import extract_plain_text

    text = extract_plain_text(html, main_content=True, list_bullets=False, alt_texts=False)
    return _normalise_lines(text)


def _trafilatura_text(html: str) -> str:
    """trafilatura's text output (comments excluded, like datatrove's ingest)."""
    try:
        import trafilatura
    except ImportError as exc:
        raise CurateError(
            "the trafilatura extractor needs `pip install curate[trafilatura]`"
        ) from exc
    text = trafilatura.extract(html, include_comments=False, include_tables=True)
    return _normalise_lines(text or "")


def _normalise_lines(text: str) -> str:
    """Collapse whitespace inside lines and drop empty lines (the one output shape)."""
    lines = (" ".join(line.split()) for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def extract(
    html: str | bytes, *, extractor: str = "curate", content_type: str | None = None
) -> Extracted:
    """Main text and metadata of one HTML page; never raises on bad HTML.

    ``content_type`` is the HTTP Content-Type header, used to decode bytes. Unknown
    ``extractor`` names and a missing trafilatura raise :class:`CurateError` (user
    errors); anything going wrong inside parsing or scoring yields ``text=""``.
    """
    if extractor not in EXTRACTORS:
        raise CurateError(
            f"unknown extractor `{extractor}`; choose one of: {', '.join(EXTRACTORS)}"
        )
    if isinstance(html, bytes | bytearray | memoryview):
        html = decode_html(bytes(html), content_type)
    if not isinstance(html, str) or not html.strip():
        return Extracted(text="")
    if "\x00" in html:
        html = html.replace("\x00", "")
    tree = _parse(html)
    try:
        lang, licenses, canonical = _metadata(tree)
    except Exception:  # noqa: BLE001 - metadata is best effort on broken markup
        lang, licenses, canonical = None, [], None
    try:
        if extractor == "curate":
            text = _curate_text(tree)
        elif extractor == "resiliparse":
            text = _resiliparse_text(html)
        else:
            text = _trafilatura_text(html)
    except CurateError:
        raise
    except Exception:  # noqa: BLE001 - a page that breaks the extractor has no text
        text = ""
    return Extracted(text=text, html_lang=lang, licenses=licenses, canonical_url=canonical)
