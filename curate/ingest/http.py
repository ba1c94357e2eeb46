"""HTTP payloads as a browser sees them: codings undone, HTML told from its bytes.

Common Crawl stores payloads decoded (it renames the headers to `X-Crawler-*`), but
Webrecorder/Browsertrix, wget, Heritrix and warcprox store the HTTP message as it came
over the wire: chunked, and gzip-, deflate-, brotli- or zstd-compressed, sometimes two
codings at once. fastwarc can undo these itself (`auto_decode`), but on its 2.0 we
measured it losing the record that follows a chunked+gzip one, rejecting raw deflate
(which browsers accept) and `x-gzip`, and not telling a stream cut short from garbage.
So the decoding is done here, on the bytes already read, and only when the headers ask
for it: Common Crawl's payloads never come here.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable

__all__ = ["BadEncoding", "CutShort", "decode_payload", "html_type", "sniff_html"]


class BadEncoding(ValueError):
    """The payload does not decode under the codings its headers name."""


class CutShort(ValueError):
    """An encoded stream that ends before its end marker; `partial` is what decoded."""

    def __init__(self, partial: bytes) -> None:
        super().__init__("the encoded payload ends early")
        self.partial = partial


def decode_payload(
    body: bytes,
    *,
    transfer_encoding: str | None = None,
    content_encoding: str | None = None,
    partial_ok: bool = False,
) -> bytes:
    """`body` with its transfer and content codings undone, in the reverse of their order.

    Raises BadEncoding, or CutShort when a stream ends early, unless `partial_ok` (a
    record the crawler cut and marked `WARC-Truncated`): then what decoded is returned.
    """
    codings = _codings(content_encoding) + _codings(transfer_encoding)  # as the server applied
    for coding in reversed(codings):
        try:
            body = _decode_one(coding, body)
        except CutShort as exc:
            if not partial_ok:
                raise
            body = exc.partial
    return body


def _codings(header: str | None) -> list[str]:
    if not header:
        return []
    return [c.strip().lower() for c in header.split(",") if c.strip()]


def _decode_one(coding: str, body: bytes) -> bytes:
    """One coding undone. A payload that fails at its first byte but reads as text was
    stored decoded with the header left in place (ClueWeb09 does this): kept as it is,
    as warcio and browsers do."""
    if coding in ("identity", "none", "utf-8", "binary", "8bit", "7bit"):
        return body
    decoder = _DECODERS.get(coding)
    if decoder is None:
        if _is_text(body):
            return body  # an unknown coding on a readable payload: browsers pass it through
        raise BadEncoding(f"unknown coding {coding!r}")
    if not body:
        return body
    try:
        return decoder(body)
    except _NotEncoded:
        if _is_text(body):
            return body
        raise BadEncoding(f"not {coding}") from None


class _NotEncoded(Exception):
    """The payload does not even start like the coding."""


def _dechunk(body: bytes) -> bytes:
    out: list[bytes] = []
    pos = 0
    end = len(body)
    while True:
        m = _CHUNK_SIZE.match(body, pos)
        if m is None:
            if pos == 0:
                return body  # stored de-chunked with the header left in place (servo, others)
            if _CHUNK_SIZE_START.fullmatch(body, pos):
                raise CutShort(b"".join(out))
            raise BadEncoding("invalid chunk size line")
        size = int(m.group(1), 16)
        pos = m.end()
        if size == 0:
            return b"".join(out)
        if pos + size > end:
            out.append(body[pos:])
            raise CutShort(b"".join(out))
        out.append(body[pos : pos + size])
        pos += size
        if body.startswith(b"\r\n", pos):
            pos += 2
        elif body.startswith(b"\n", pos):
            pos += 1
        elif pos < end and body[pos:] != b"\r":
            raise BadEncoding("chunk data longer than its size")


_CHUNK_SIZE = re.compile(rb"[ \t]*([0-9a-fA-F]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")
_CHUNK_SIZE_START = re.compile(rb"[ \t]*[0-9a-fA-F]{0,16}[ \t]*(?:;[^\r\n]*)?\r?")  # cut inside


def _gunzip(body: bytes) -> bytes:
    if not body.startswith(b"\x1f\x8b"):
        raise _NotEncoded
    return _inflate(body, 31)


def _undeflate(body: bytes) -> bytes:
    """zlib-wrapped deflate as the RFC says, or raw deflate as many servers send it."""
    zlib_header = len(body) > 1 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0
    if zlib_header:
        try:
            return _inflate(body, 15)
        except BadEncoding:
            pass
    try:
        return _inflate(body, -15)
    except BadEncoding:
        raise _NotEncoded from None


def _inflate(body: bytes, wbits: int) -> bytes:
    """All members of a gzip (or one zlib/raw deflate) stream; CutShort if it ends early."""
    out: list[bytes] = []
    data = body
    while True:
        d = zlib.decompressobj(wbits)
        try:
            out.append(d.decompress(data))
        except zlib.error as exc:
            raise BadEncoding(str(exc)) from None
        if not d.eof:
            out.append(d.flush())
            raise CutShort(b"".join(out))
        data = d.unused_data
        if wbits != 31 or not data.startswith(b"\x1f\x8b"):
            return b"".join(out)  # (bytes after the stream's end are ignored, as browsers do)


def _unbrotli(body: bytes) -> bytes:
    import brotli

    d = brotli.Decompressor()
    try:
        out = d.process(body)
    except brotli.error:
        raise _NotEncoded from None
    if not d.is_finished():
        raise CutShort(out)
    return out


def _unzstd(body: bytes) -> bytes:
    import zstandard

    if not body.startswith(b"\x28\xb5\x2f\xfd"):
        raise _NotEncoded
    out: list[bytes] = []
    data = body
    while data:
        d = zstandard.ZstdDecompressor().decompressobj()
        try:
            out.append(d.decompress(data))
        except zstandard.ZstdError as exc:
            raise BadEncoding(str(exc)) from None
        if not d.eof:
            raise CutShort(b"".join(out))
        data = d.unused_data
    return b"".join(out)


_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "chunked": _dechunk,
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _undeflate,
    "br": _unbrotli,
    "zstd": _unzstd,
}

# WHATWG "binary data bytes": a text payload has none of them; a compressed one has
# several in any 512 bytes.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _is_text(body: bytes) -> bool:
    return _BINARY.search(body, 0, 512) is None


# --------------------------------------------------------------------------- sniffing

# Content types that are not pages whatever their bytes say. Keeping them off the read
# path matters: most records of a crawl are images, scripts and styles.
_GENERIC = frozenset(
    {
        "application/octet-stream",
        "binary/octet-stream",
        "application/binary",
        "application/unknown",
        "application/x-unknown",
        "application/x-unknown-content-type",
        "application/force-download",
        "application/x-download",
        "unknown/unknown",
        "content/unknown",
        "text/plain",
        "text/unknown",
        "*/*",
    }
)
_type_cache: dict[str, bool | None] = {}
_UNSEEN = object()


def html_type(content_type: str | None) -> bool | None:
    """True for an HTML content type, False for one that is clearly something else,
    None when only the bytes can tell (missing, generic or a server's own wrong type).

    The sniffed kinds are what browsers sniff (missing, `application/octet-stream`,
    `unknown/unknown`), plus `text/plain` and the script types servers leak
    (`application/x-httpd-php`), which crawls hold many pages under.
    """
    if not content_type:
        return None
    known = _type_cache.get(content_type, _UNSEEN)
    if known is not _UNSEEN:
        return known  # type: ignore[return-value]
    essence = content_type.split(";", 1)[0].strip().lower()
    if "htm" in essence:
        kind: bool | None = True
    elif "/" not in essence or essence in _GENERIC or "php" in essence or "asp" in essence:
        kind = None
    else:
        kind = False
    if len(_type_cache) < 4096:
        _type_cache[content_type] = kind
    return kind


# WHATWG MIME Sniffing, "rules for identifying an unknown MIME type", the HTML patterns:
# after leading whitespace, case-insensitively, each followed by a space or `>`.
_HTML_START = re.compile(
    rb"[\t\n\x0c\r ]*<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|"
    rb"title|b|body|br|p|!--)[ >]",
    re.IGNORECASE,
)
_XHTML = re.compile(rb"[\t\n\x0c\r ]*<\?xml[^>]*>[\s\S]{0,1024}?<html[\s>]", re.IGNORECASE)


def sniff_html(body: bytes) -> bool:
    """True when the bytes start like an HTML page (a UTF-8 BOM and an XHTML `<?xml`
    declaration before it are allowed: such pages are HTML to us, if not to a sniffer)."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    elif body.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16-le" if body[0] == 0xFF else "utf-16-be"
        body = body[2:2050].decode(codec, errors="ignore").encode("ascii", errors="ignore")
    head = body[:2048]
    return _HTML_START.match(head) is not None or _XHTML.match(head) is not None
