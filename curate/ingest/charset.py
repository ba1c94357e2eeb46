"""The character encoding of an HTML page, picked as browsers pick it.

This is the WHATWG encoding-sniffing algorithm (HTML Living Standard, "determining the
character encoding"): a byte-order mark, then the HTTP `charset`, then a prescan of the
first 1024 bytes for `<meta charset>` / `<meta http-equiv=content-type>`, then
detection. Labels mean what the WHATWG Encoding Standard says they mean, which is not
what Python's codec names mean: `iso-8859-1`, `latin1` and `ascii` are windows-1252,
`gb2312` is GBK (decoded as gb18030, its superset), `shift_jis` is windows-31j (cp932,
with the NEC and IBM characters Japanese pages use), `euc-kr` is windows-949.

Two steps go beyond the prescan, both because a browser would end up there too or
because training text must not be mojibake:

* a `<meta>` after the first 1024 bytes still counts: the HTML parser meets it and
  re-decodes the page ("change the encoding"), so it beats detection;
* a declaration the bytes contradict is distrusted: a multi-byte encoding the bytes do
  not decode under (more than a few stray bytes), or a single-byte one (windows-1252
  above all, the old Apache default) on bytes that are valid, non-ASCII UTF-8.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["decode_html", "encoding_for_label", "html_encoding"]

# WHATWG Encoding Standard: encoding name -> its labels.
_LABELS = {
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
    "ibm866": "866 cp866 csibm866 ibm866",
    "iso-8859-2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 "
    "iso_8859-2:1987 l2 latin2",
    "iso-8859-3": "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 "
    "iso_8859-3:1988 l3 latin3",
    "iso-8859-4": "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 "
    "iso_8859-4:1988 l4 latin4",
    "iso-8859-5": "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 "
    "iso_8859-5 iso_8859-5:1988",
    "iso-8859-6": "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 "
    "iso-8859-6 iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 "
    "iso_8859-6:1987",
    "iso-8859-7": "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 "
    "iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    "iso-8859-8": "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 "
    "iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical",
    "iso-8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    "iso-8859-13": "iso-8859-13 iso8859-13 iso885913",
    "iso-8859-14": "iso-8859-14 iso8859-14 iso885914",
    "iso-8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "iso-8859-16": "iso-8859-16",
    "koi8-r": "cskoi8r koi koi8 koi8-r koi8_r",
    "koi8-u": "koi8-ru koi8-u",
    "macintosh": "csmacintosh mac macintosh x-mac-roman",
    "windows-874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "windows-1250": "cp1250 windows-1250 x-cp1250",
    "windows-1251": "cp1251 windows-1251 x-cp1251",
    "windows-1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 "
    "iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii "
    "windows-1252 x-cp1252",
    "windows-1253": "cp1253 windows-1253 x-cp1253",
    "windows-1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 "
    "iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254",
    "windows-1255": "cp1255 windows-1255 x-cp1255",
    "windows-1256": "cp1256 windows-1256 x-cp1256",
    "windows-1257": "cp1257 windows-1257 x-cp1257",
    "windows-1258": "cp1258 windows-1258 x-cp1258",
    "x-mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    "gbk": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
    "gb18030": "gb18030",
    "big5": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "euc-jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "iso-2022-jp": "csiso2022jp iso-2022-jp",
    "shift_jis": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "euc-kr": "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 "
    "ksc5601 ksc_5601 windows-949",
    "utf-16be": "unicodefffe utf-16be",
    "utf-16le": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
    "x-user-defined": "x-user-defined",
}
# WHATWG encoding -> the Python codec that decodes it (the WHATWG decoders of GBK,
# Shift_JIS, EUC-KR and Big5 are the supersets below).
_CODECS = {
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
    "big5": "big5hkscs",
    "macintosh": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "windows-874": "cp874",
    "x-user-defined": "cp1252",  # only reachable from HTTP; close enough for text
}
_LABEL_TO_ENCODING = {label: enc for enc, labels in _LABELS.items() for label in labels.split()}
# Python codec names the detector answers with, and common spellings not in the table.
_EXTRA = {"shift-jis": "shift_jis", "euc_jp": "euc-jp", "euc_kr": "euc-kr", "cp932": "shift_jis",
          "cp949": "euc-kr", "cp936": "gbk", "ms936": "gbk", "windows-936": "gbk",
          "utf_8": "utf-8", "iso2022_jp": "iso-2022-jp", "tis620": "windows-874"}  # fmt: skip
_MULTI_BYTE = frozenset({"utf-8", "gbk", "gb18030", "big5", "euc-jp", "iso-2022-jp", "shift_jis",
                         "euc-kr", "utf-16be", "utf-16le"})  # fmt: skip

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([^\s\"';,]+)", re.IGNORECASE)
_PRESCAN_BYTES = 1024
_LATE_META_BYTES = 64 << 10
_DETECT_BYTES = 256 << 10


def encoding_for_label(label: str | None) -> str | None:
    """The WHATWG encoding a charset label names (`latin1` -> `windows-1252`), or None."""
    if not label:
        return None
    key = label.strip("\t\n\x0c\r \"'").rstrip("/").lower()  # `charset=utf-8/>` is common
    return _LABEL_TO_ENCODING.get(key) or _EXTRA.get(key)


def _codec(encoding: str) -> str:
    if encoding.startswith("iso-8859-"):
        return "iso8859_" + encoding[9:]
    return _CODECS.get(encoding, encoding)


def html_encoding(body: bytes, http_content_type: str | None = None) -> tuple[str, str]:
    """(WHATWG encoding, where it came from: `bom`, `http`, `meta`, `detected`, `default`)."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, "bom"
    if http_content_type:
        m = _HEADER_CHARSET.search(http_content_type)
        found = encoding_for_label(m.group(1)) if m else None
        if found and not (found.startswith("utf-16") and b"\x00" not in body[:1024]):
            return found, "http"
    found = prescan(body[:_PRESCAN_BYTES]) or _late_meta(body)
    if found:
        return found, "meta"
    detected = _detect(body)
    if detected:
        return detected, "detected"
    return "utf-8", "default"


def decode_html(body: bytes, http_content_type: str | None = None) -> str:
    """Bytes -> str without ever raising; invalid bytes become U+FFFD."""
    if not body:
        return ""
    encoding, source = html_encoding(body, http_content_type)
    if source == "bom":
        return body[len(_bom(encoding)) :].decode(_codec(encoding), errors="replace")
    if source in ("http", "meta"):
        text = _decode_declared(body, encoding)
        if text is not None:
            return text
        encoding = _detect(body) or encoding  # the bytes contradict the declaration
    return _decode(body, encoding)


def _bom(encoding: str) -> bytes:
    return next(bom for bom, name in _BOMS if name == encoding)


def _decode_declared(body: bytes, encoding: str) -> str | None:
    """The page under its declared encoding, or None when the bytes contradict it."""
    codec = _codec(encoding)
    if encoding not in _MULTI_BYTE and not body.isascii():
        try:
            return body.decode("utf-8")  # valid UTF-8 is never meant as windows-1252
        except UnicodeDecodeError:
            pass
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        pass
    text = body.decode(codec, errors="replace")
    bad = text.count("\ufffd")
    if bad <= 8 or bad * 500 < len(body):
        return text  # a few stray bytes in a well-labelled page: keep the label
    return None


def _decode(body: bytes, encoding: str) -> str:
    codec = _codec(encoding)
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        return body.decode(codec, errors="replace")


def _detect(body: bytes) -> str | None:
    """resiliparse's detector (uchardet), answering in WHATWG names; None if it cannot."""
    try:
        from resiliparse.parse.encoding import detect_encoding

        return encoding_for_label(detect_encoding(body[:_DETECT_BYTES]))
    except Exception:  # noqa: BLE001 - the detector is best effort
        return None


# --------------------------------------------------------------------------- prescan

_CHARSET = re.compile(rb"charset", re.IGNORECASE)
_SPACE = b"\t\n\x0c\r "
_ATTRIBUTE = re.compile(
    rb"[\t\n\x0c\r /]*([^\t\n\x0c\r />][^\t\n\x0c\r /=>]*)"
    rb"(?:[\t\n\x0c\r ]*=[\t\n\x0c\r ]*(\"[^\"]*\"?|'[^']*'?|[^\t\n\x0c\r >]*))?"
)
_META_CHARSET = re.compile(
    rb"charset[\t\n\x0c\r ]*=[\t\n\x0c\r ]*(?:\"([^\"]*)\"|'([^']*)'|([^\t\n\x0c\r ;\"']+))",
    re.IGNORECASE,
)
_TAG_END = re.compile(rb"(?:[^>\"']|\"[^\"]*\"|'[^']*')*>?")
_META_TAG = re.compile(rb"<meta[\t\n\x0c\r /]", re.IGNORECASE)
_TAG_START = re.compile(rb"<(?:!--|meta[\t\n\x0c\r /]|/?[a-zA-Z]|[!/?])", re.IGNORECASE)


def prescan(head: bytes) -> str | None:
    """WHATWG "prescan a byte stream to determine its encoding": the encoding a `<meta>`
    declares, skipping comments and other tags' attributes as the spec does."""
    if _META_TAG.search(head) is None:
        return None  # (most heads without a declaration: no walk at all)
    pos = 0
    while True:
        m = _TAG_START.search(head, pos)
        if m is None:
            return None
        token = m.group(0).lower()
        if token == b"<!--":
            end = head.find(b"-->", m.start() + 2)
            if end < 0:
                return None
            pos = end + 3
        elif token.startswith(b"<meta"):
            attrs, pos = _attributes(head, m.end())
            found = _meta_encoding(attrs)
            if found:
                return found
        elif token[-1:].isalpha():
            # another tag: skipped with its attributes, so that a `<meta` inside an
            # attribute value is not taken for a tag
            tag_end = _TAG_END.match(head, m.end())
            pos = tag_end.end() if tag_end else len(head)
        else:  # <! </ <? : skip to the next >
            end = head.find(b">", m.end())
            if end < 0:
                return None
            pos = end + 1


def _late_meta(body: bytes) -> str | None:
    """A `<meta>` charset after the prescanned bytes: the parser meets it and re-decodes.

    Found by searching for `<meta` tags (not by a second prescan, which walks every tag
    and costs milliseconds on a 64 KiB head), only when `charset` appears at all.
    """
    if len(body) <= _PRESCAN_BYTES or not _CHARSET.search(body, _PRESCAN_BYTES, _LATE_META_BYTES):
        return None
    window = body[:_LATE_META_BYTES]
    for m in _META_TAG.finditer(window, _PRESCAN_BYTES - 6):
        attrs, _ = _attributes(window, m.end())
        found = _meta_encoding(attrs)
        if found:
            return found
    return None


def _attributes(head: bytes, pos: int) -> tuple[dict[bytes, bytes], int]:
    """Attributes of the tag whose attribute list starts at `pos`, first ones winning."""
    attrs: dict[bytes, bytes] = {}
    while pos < len(head):
        if head[pos] == 0x3E:  # >
            return attrs, pos + 1
        m = _ATTRIBUTE.match(head, pos)
        if m is None or m.end() == pos:
            pos += 1
            continue
        name = m.group(1).lower()
        value = m.group(2) or b""
        if value[:1] in (b'"', b"'"):
            value = value[1:-1] if len(value) > 1 and value[-1:] == value[:1] else value[1:]
        attrs.setdefault(name, value.lower())
        pos = m.end()
    return attrs, pos


def _meta_encoding(attrs: dict[bytes, bytes]) -> str | None:
    """The spec's need-pragma rules: `charset=` counts alone, `content=` only with
    `http-equiv=content-type`; UTF-16 labels mean UTF-8 here (the page was read as ASCII)."""
    if b"charset" in attrs:
        found = encoding_for_label(attrs[b"charset"].decode("latin-1"))
    elif b"content" in attrs and attrs.get(b"http-equiv", b"").strip() == b"content-type":
        m = _META_CHARSET.search(attrs[b"content"])
        label = next((g for g in m.groups() if g is not None), None) if m else None
        found = encoding_for_label(label.decode("latin-1")) if label else None
    else:
        return None
    if found in ("utf-16be", "utf-16le"):
        return "utf-8"
    if found == "x-user-defined":
        return "windows-1252"
    return found
