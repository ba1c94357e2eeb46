"""PII detection and redaction: e-mail, phone, IP, payment card, US SSN and IBAN.

Precision comes first: a count in `pii_email` ends up in a legal report (AB 2013
item 7), and a redaction rewrites training text. So every pattern is narrow and then
validated — checksums for cards (Luhn) and IBANs (ISO 7064 mod 97, with each country's
length), value ranges for SSNs and IP octets, the context before a match for the
shapes other things share (a dotted number after "version" or "section" is not an IP;
a run of digits after "ISBN" or "order" is not a phone or a card; a national number
without a `+` is a phone only when a word like "phone" or "tel" stands before it).

Speed: one Polars (Rust regex) query over the whole batch finds the rows that can hold
each kind at all and, in those rows, the "windows" (runs of digits and ` .()+-`) that
can hold a phone number, IPv4 address, card, SSN or IBAN. Python's regexes and the
validators then run only inside those windows (Python's engine tries a pattern at every
character of what it scans, so scanning whole texts once per pattern was most of the
time), and a match that a higher-priority span already covers is not validated. The
spans are exactly those of a whole-text scan. Offsets are Python string indices, i.e.
characters (code points).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from curate.defaults import PHONE_REGIONS, PII_KINDS
from curate.errors import CurateError
from curate.step import BatchOutput

KINDS: tuple[str, ...] = PII_KINDS
# When spans overlap, the earlier kind here wins (an IBAN's digits are not a phone).
PRIORITY: tuple[str, ...] = ("email", "iban", "credit_card", "us_ssn", "ip", "phone")

Span = tuple[str, int, int]  # (kind, start, end) — character offsets


def _before(text: str, start: int, n: int = 32) -> str:
    return text[max(0, start - n) : start].lower()


# --------------------------------------------------------------------------- e-mail

# Found from each "@" outwards (a literal search is fast; a pattern starting with a
# character class is tried at every letter of the text).
_EMAIL_LOCAL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?$")
_EMAIL_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])"
)
# "logo@2x.png" and "icon@3x.webp" are image names in HTML-derived text, not addresses.
_FILE_TLDS = frozenset(
    "png jpg jpeg gif svg webp bmp ico tif tiff css js json xml pdf mp4 mp3 webm avif".split()
)


def _find_emails(text: str) -> Iterable[tuple[int, int]]:
    at = text.find("@")
    while at != -1:
        local = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
        dom = _EMAIL_DOMAIN.match(text, at + 1) if local else None
        if local and dom and ".." not in local.group(0):
            if dom.group(1).lower() not in _FILE_TLDS:
                yield local.start(), dom.end()
        at = text.find("@", at + 1)


# --------------------------------------------------------------------------- IP

_IPV4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)")
_IPV6 = re.compile(
    r"[0-9A-Fa-f:](?<![\w:.][0-9A-Fa-f:])[0-9A-Fa-f:]*:[0-9A-Fa-f]*(?:(?:\.\d{1,3}){3})?(?![\w:])"
)
# A word before a dotted number that says it is something else: right before it
# ("version 1.2.3.4", "§ 4.1.2.3"), or with a few linking words between ("upgrade to",
# "build number", "release notes for", "patch level").
_VERSION_WORDS = (
    r"version|versions|ver|release|releases|released|build|builds|rev|revision|update|"
    r"updated|updates|upgrade|upgraded|upgrading|patch|patched|patches|firmware|fw|hotfix|"
    r"driver|kernel|bios|sdk|release notes|changelog|section|sections|sec|clause|clauses|"
    r"chapter|ch|oid|figure|fig|table|part|article|art|rule|step|paragraph|para|item|"
    r"standard|rfc|iso|annex|appendix|schedule|no|isbn|v"
)
_NOT_IP_BEFORE = re.compile(
    rf"(?:\b(?:{_VERSION_WORDS})\.?|§|¶)"
    r"(?:\s*[:#=]|\s+(?:number|no\.?|level|is|was|to|of|for|id|string))*\s*[:#]?\s*$"
)
# Earlier items of a list of dotted numbers ("versions 1.2.3.4, 1.2.3.5 and 1.2.3.6"):
# the word before the first item decides for all of them.
_DOTTED_LIST_TAIL = re.compile(
    r"(?:\d+(?:\.\d+)+[a-z]?\)?\s*(?:,|;|/|&|\+|-|–|and|or|to|through|thru|until|vs\.?)?\s*)+$"
)
# Right after: a suffix of a version or a file name ("10.3.9.153-beta", "_x64", "+build",
# "~deb12u1", ".tar.gz", ".in-addr.arpa"), or a version word ("1.2.3.4 release").
_NOT_IP_AFTER = re.compile(
    r"[-_+~][A-Za-z]|\.[A-Za-z]|\s*\(?(?:release|build|version|update|patch|firmware|"
    r"beta|alpha|rc\d*|lts|ga|final|hotfix|sp\d)\b",
    re.IGNORECASE,
)
# A section number heading a line: "4.8.3.1. Positional arguments", "3.3.2.4 Slots".
_HEADING_AFTER = re.compile(r"\.?\s*¶|\.\s+\S")
_TITLE_AFTER = re.compile(r"[ \t]+[A-Z][a-z]")  # "3.3.2.4 Slots": only with small numbers
# Words after which a small dotted number is still an address, not a product's version.
_ADDRESS_WORDS = frozenset(
    "ip ips ipv4 address addresses addr host hosts hostname server servers gateway gw dns "
    "resolver nameserver proxy router route routes subnet netmask mask peer client remote "
    "local localhost bind listen listening ping pinged connect connected connecting "
    "interface inet src dst source destination from to at on via by and or is was of in "
    "the a an for with use using set sets try tried reach reached block blocked allow "
    "allowed deny denied ban banned whitelist blacklist".split()
)
_WORD_BEFORE = re.compile(r"(?:^|[\s(\[\"'])([A-Za-z][A-Za-z0-9+]*)\s+$")
_PRODUCT_BEFORE = re.compile(r"[A-Za-z][-_/]$")  # "novas-3.1.1.3", "Firefox/2.0.0.11"


def _line_start(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] in "\n\r"


def _not_an_address(text: str, start: int, end: int) -> bool:
    """Whether the words around a dotted (or colon) number say it is something else: a
    version, a section, an OID, a file or package name, or a heading's number."""
    before = _before(text, start, 64)
    if _NOT_IP_BEFORE.search(before):
        return True
    tail = _DOTTED_LIST_TAIL.search(before)
    if tail is not None and tail.start() > 0 and _NOT_IP_BEFORE.search(before[: tail.start()]):
        return True
    if _PRODUCT_BEFORE.search(text[max(0, start - 2) : start]):
        return True
    after = text[end : end + 12]
    if _NOT_IP_AFTER.match(after):
        return True
    if not _line_start(text, start):
        return False
    if _HEADING_AFTER.match(after):
        return True
    octets = [int(p) for p in re.split(r"[.:]", text[start:end]) if p.isdigit()]
    return bool(_TITLE_AFTER.match(after)) and len(octets) == 4 and _version_like(octets)


def _version_like(octets: list[int]) -> bool:
    """Small numbers ("1.2.0.1", "2.7.2.2"): a version more often than an address."""
    return octets[0] < 10 and max(octets) < 32 and len(set(octets)) > 1


def _ipv4_ok(text: str, m: re.Match[str]) -> bool:
    parts = m.group(0).split(".")
    for octet in parts:
        if int(octet) > 255 or (len(octet) > 1 and octet[0] == "0"):
            return False
    if _not_an_address(text, m.start(), m.end()):
        return False
    if _version_like([int(p) for p in parts]):
        # "zlib 1.2.0.1", "GCC 2.7.2.2": a name right before small numbers is a product's
        w = _WORD_BEFORE.search(text, max(0, m.start() - 32), m.start())
        if w is not None and w.group(1).lower() not in _ADDRESS_WORDS:
            return False
    return True


_IPV6_HINT = re.compile(r":[0-9A-Fa-f]{0,4}:")  # starts with a literal: a fast check


def _ipv6_ok(text: str, m: re.Match[str]) -> bool:
    s = m.group(0)
    if s.count(":") < 2 or len(s) < 3:
        return False
    if not any(c.isdigit() for c in s) and s.count(":") < 4:  # "ffff:ffff::" but not "a::b"
        return False
    # "12:30:45" parses as nothing, but guard times and ratios anyway.
    if re.fullmatch(r"\d{1,2}(?::\d{2}){1,2}", s):
        return False
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return s != "::" and not _not_an_address(text, m.start(), m.end())


# --------------------------------------------------------------------------- digits

_NOT_NUMBER_BEFORE = re.compile(
    r"\b(?:isbn(?:-1[03])?|issn|order|tracking|invoice|ref|reference|serial|imei|doi|"
    r"patent|sku|ean|upc|barcode|case|ticket|item|part|model|receipt|transaction|"
    r"confirmation|booking|licen[cs]e|postal|postcode|postalcode|zip|zipcode|plz)\b\.?[^.\n]{0,12}$"
)


# The word that names what a number is, when it comes after a word above, wins:
# "last 10 transactions of card 6011 …", "the outgoing model. SSN: 861-12-1268".
_CARD_CONTEXT = re.compile(
    r"\b(?:card|cards|credit|debit|visa|mastercard|amex|cc|kreditkarte|carte|tarjeta)\b"
    r"[^.\n]{0,12}$"
)


def _named_otherwise(before: str, context: re.Pattern[str]) -> bool:
    """A word in `before` says the number that follows is an order, ISBN, tracking … number,
    and no word of `context` comes after that word."""
    other = _NOT_NUMBER_BEFORE.search(before)
    if other is None:
        return False
    own = context.search(before, other.start() + 1)
    return own is None


_SEPARATORS = str.maketrans("", "", " .()+-")


def _digits(s: str) -> str:
    """The digits of a match (which holds only digits and ` .()+-`)."""
    return s.translate(_SEPARATORS)


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_brand_ok(d: str) -> bool:
    """Issuer prefixes and lengths of the card networks (ISO/IEC 7812 IINs, as the
    networks publish them)."""
    n = len(d)
    p2, p3, p4, p6 = int(d[:2]), int(d[:3]), int(d[:4]), int(d[:6])
    if d[0] == "4":  # Visa (13 for old cards, 16-19 today)
        return n == 13 or 16 <= n <= 19
    if 2200 <= p4 <= 2204:  # Mir
        return 16 <= n <= 19
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:  # Mastercard
        return n == 16
    if p2 in (34, 37):  # American Express
        return n == 15
    if d.startswith("6011") or p2 == 65 or 644 <= p3 <= 649:  # Discover, RuPay 65
        return 16 <= n <= 19
    if 3528 <= p4 <= 3589:  # JCB
        return 16 <= n <= 19
    if d.startswith(("2131", "1800")):  # old JCB
        return n == 15
    if 300 <= p3 <= 305 or p2 in (36, 38, 39) or d.startswith("3095"):  # Diners
        return 14 <= n <= 19
    if p2 in (62, 81):  # UnionPay
        return 16 <= n <= 19
    if d.startswith("9792"):  # Troy
        return n == 16
    if p2 in (60, 82) or p3 == 508 or 506099 <= p6 <= 506198:  # RuPay, Verve
        return 16 <= n <= 19
    if p2 == 50 or 56 <= p2 <= 69:  # Maestro
        return 12 <= n <= 19
    return False


_CARD = re.compile(r"\d(?<![\w.,-]\d)(?:[ -]?\d){11,18}(?![\w-]|[.,]\d)")


_GROUP_BEFORE = re.compile(r"[A-Za-z0-9]*\d[A-Za-z0-9]*[ -]$|\b[A-Z]{2}\d{2}[ -][A-Z0-9]{4}[ -]$")


def _card_ok(text: str, m: re.Match[str]) -> bool:
    s = m.group(0)  # digits, and spaces or hyphens
    d = _digits(s)
    sep = " " if " " in s else "-" if "-" in s else ""
    if (sep == " " and "-" in s) or ("  " in s) or len(set(d)) < 2:
        return False
    if sep:
        groups = [len(g) for g in s.split(sep)]
        if not (
            (all(g == 4 for g in groups[:-1]) and groups[-1] >= 3)
            or groups in ([4, 6, 5], [4, 6, 4])
        ):
            return False
        # the tail of a longer grouped code (an IBAN or an account number)
        if _GROUP_BEFORE.search(text[max(0, m.start() - 12) : m.start()]):
            return False
    if not _luhn(d):
        return False
    before = _before(text, m.start())
    if not _card_brand_ok(d):
        # a number outside the published issuer ranges is a card only when a card word
        # stands right before it ("card number 3598 …": test and private-label ranges)
        if not (13 <= len(d) <= 19 and _CARD_CONTEXT.search(before)):
            return False
    return not _named_otherwise(before, _CARD_CONTEXT)


# US Social Security numbers: dashed (or spaced) 3-2-4; 9 bare digits only after "SSN".
_SSN = re.compile(r"(\d(?<![\w.-]\d)\d{2})([- ]?)(\d{2})\2(\d{4})(?![\w-]|[.,]\d)")
_SSN_CONTEXT = re.compile(r"\b(?:ssn|ss#|social security(?: number| no\.?)?|ssa)\b[^.\n]{0,15}$")
_SSN_EXAMPLES = frozenset({"078051120", "219099999", "123456789"})  # published specimens


def _ssn_ok(text: str, m: re.Match[str]) -> bool:
    area, sep, group, serial = m.group(1), m.group(2), m.group(3), m.group(4)
    a = int(area)
    if a == 0 or a == 666 or a >= 900 or group == "00" or serial == "0000":
        return False
    if area + group + serial in _SSN_EXAMPLES:
        return False
    before = _before(text, m.start(), 40)
    if sep != "-" and not _SSN_CONTEXT.search(before):
        return False
    return not _named_otherwise(before, _SSN_CONTEXT)


# --------------------------------------------------------------------------- IBAN

# Country → IBAN length (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
    "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
# Anchored on the first check digit (digits are rarer than letters: a faster scan);
# the country code is the two letters before it. Match start = m.start() - 2.
_IBAN_START = re.compile(r"\d(?<=[A-Za-z]{2}\d)(?<![A-Za-z0-9][A-Za-z]{2}\d)\d ?[A-Za-z0-9]{4}")


# Per length: that many ASCII letters and digits, single spaces allowed between them,
# and no letter or digit right after.
_IBAN_BODY: dict[int, re.Pattern[str]] = {
    n: re.compile(rf"(?:[A-Za-z0-9] ?){{{n - 1}}}[A-Za-z0-9](?![A-Za-z0-9])")
    for n in set(IBAN_LENGTHS.values())
}
# ISO 7064 mod 97: letters count as 10 (A) … 35 (Z).
_IBAN_NUMBERS = str.maketrans({chr(65 + i): str(10 + i) for i in range(26)})


def _iban_scan(text: str, start: int) -> int | None:
    """End offset of the IBAN starting at `start` (single spaces allowed), or None."""
    length = IBAN_LENGTHS.get(text[start : start + 2].upper())
    if length is None:
        return None
    m = _IBAN_BODY[length].match(text, start)
    if m is None:
        return None
    iban = m.group(0).replace(" ", "").upper()
    if not iban[2:4].isdigit():
        return None
    rearranged = iban[4:] + iban[:4]
    return m.end() if int(rearranged.translate(_IBAN_NUMBERS)) % 97 == 1 else None


# --------------------------------------------------------------------------- phone

DEFAULT_PHONE_REGIONS = PHONE_REGIONS  # `--phone-regions` (curate/defaults.py)

_PHONE_CONTEXT = re.compile(
    r"(?:\b(?:phone|telephone|tel|tél|mobile|mob|cell|cellphone|fax|call|ring|text|sms|"
    r"whatsapp|contact|hotline|helpline|ph|telefon|telefone|teléfono|telefono|téléphone|"
    r"handy|reach (?:me|us|him|her) at)\b\.?|☎|📞)[^.\n]{0,20}$"
)
# +CC then groups: "+44 20 7946 0958", "+1 (555) 123-4567", "+49 (0)30 123456".
_PHONE_INTL = re.compile(
    r"\+(?<![\w+]\+)\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,6}(?!(?!x\d)\w|[.,-]\d)"
)
# North American: "(415) 555-2671", "415-555-2671", "415.555.2671", "1-800-555-0199".
# Applied (fullmatch) to what the digit-group scan below found: one pass over the text.
_PHONE_NANP = re.compile(r"(?:1[ .-])?(?:\((\d{3})\) ?|(\d{3})([.-]))(\d{3})(?(3)\3|[.-])\d{4}")
# Any grouping of digits. The lookbehind sits after the first character so that Python's
# regex engine can skip to candidate characters quickly.
_PHONE_DIGITS = re.compile(
    r"[(\d](?<![\w.+-][(\d])\d{0,5}\)?(?:[ .-]?\d{2,8}){1,4}(?!(?!x\d)\w|[.,-]\d)"
)
# National styles that are phone numbers without a phone word before them (still only
# when valid in one of the regions' plans): a trunk prefix 0 ("07700 063 966",
# "06 12 34 56 78", "020 7946 0958"), an area code in brackets ("(37) 788-063",
# "(030) 1234567"), or nine digits in threes ("699 956 915", Spain and Poland).
_TRUNK_STYLE = re.compile(r"0[1-9]\d{0,4}[ .-]\d{2,8}(?:[ .-]\d{2,4}){0,4}")
_AREA_STYLE = re.compile(r"\(0?[1-9]\d{0,3}\) ?\d{2,4}(?:[ .-]?\d{2,4}){1,2}")
_THREES_STYLE = re.compile(r"[1-9]\d{2}([ .-])\d{3}\1\d{3}")
# Three to five groups of two to four digits ("21 23 89 93", "612 34 06 64",
# "070-123 33 01", "312 345 3929"), but not a number with thousands separators.
_GROUPED_STYLE = re.compile(r"\d{2,4}(?:[ .-]\d{2,4}){2,4}")
_THOUSANDS = re.compile(r"\d{1,3}([ .,])\d{3}(?:\1\d{3})*")
# A date inside a longer run of digits ("55 2013-11-05 09", "8467 11-26-02 22").
_DATE_INSIDE = re.compile(r"(?<![\d/.-])(\d{1,4})([-/.])(\d{1,2})\2(\d{2,4})(?!\d|[-/.]\d)")


def _has_date(s: str) -> bool:
    for m in _DATE_INSIDE.finditer(s):
        a, b, c = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if len(m.group(1)) == 4 and 1 <= b <= 12 and 1 <= c <= 31:  # 2013-11-05
            return True
        if len(m.group(1)) <= 2 and 1 <= b <= 31 and 1 <= a <= 31 and (a <= 12 or b <= 12):
            return True  # 11-26-02, 26.11.2002
    return False


def _counting(d: str, s: str) -> bool:
    """Consecutive numbers ("14 15 16 17 18"), or five pairs not led by a trunk 0."""
    groups = [int(g) for g in re.split(r"[ .-]+", s) if g]
    if all(b - a == 1 for a, b in zip(groups, groups[1:], strict=False)):
        return True
    return len(groups) >= 5 and all(len(g) == 2 for g in re.split(r"[ .-]+", s)) and d[0] != "0"


_DATE_LIKE = re.compile(
    r"\d{4}[-./ ]\d{1,2}[-./ ]\d{1,2}|\d{1,2}[-./ ]\d{1,2}[-./ ]\d{2,4}|\d{1,2}:\d{2}"
)
_SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}")
_MONEY_BEFORE = re.compile(r"[$€£¥₹]\s*$|\b(?:usd|eur|gbp|chf|sek|nok|dkk|pln|inr)\s*$")
# A currency, a unit or a counted noun right after: an amount or a quantity.
_NOT_PHONE_AFTER = re.compile(
    r":\d|\s*(?:[$€£¥₹%]|(?:usd|eur|gbp|chf|sek|nok|dkk|pln|inr|kr|zł|euros?|dollars?|pounds?|"
    r"people|persons|residents|inhabitants|users|visitors|views|downloads|copies|units|"
    r"items|tons?|tonnes?|km|kg|mi|miles?|m2|m²|km²|ha|hectares|acres|votes|cases|deaths|"
    r"words|pages|bytes|rows|records|times|years|points)\b)",
    re.IGNORECASE,
)


def parse_phone_regions(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """`GB,FR` → ("GB", "FR"), checked against libphonenumber's regions (exit 2 if
    unknown); None → DEFAULT_PHONE_REGIONS."""
    if value is None:
        return DEFAULT_PHONE_REGIONS
    import phonenumbers

    items = [v.strip().upper() for v in (value.split(",") if isinstance(value, str) else value)]
    items = [v for v in items if v]
    if not items:
        raise CurateError("--phone-regions: no region given; expected ISO 3166 codes like GB,FR")
    for v in items:
        if v not in phonenumbers.SUPPORTED_REGIONS:
            raise CurateError(
                f"--phone-regions {v}: not a region with a numbering plan; expected ISO 3166 "
                "alpha-2 codes like US,GB,FR,DE"
            )
    return tuple(dict.fromkeys(items))


@functools.lru_cache(maxsize=1 << 16)
def _valid_phone(number: str, regions: tuple[str, ...]) -> bool:
    """Whether a number written without a country code is valid in at least one of the
    numbering plans of `regions` (libphonenumber's `is_valid_number`)."""
    import phonenumbers

    for region in regions:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return True
    return False


@functools.lru_cache(maxsize=1 << 16)
def _possible_phone(number: str) -> bool:
    """Whether a `+CC` number has a country code and a length its country's plan allows
    (libphonenumber's `is_possible_number`: sample numbers and new ranges pass it even when
    `is_valid_number`'s list of assigned ranges lags behind)."""
    import phonenumbers

    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


def _phone_common(text: str, start: int, end: int, context: re.Match[str] | None = None) -> bool:
    """No word, currency or unit around the number says it is something else. A phone word
    (`context`) after such a word wins: "booking details, phone: 08-12 01 08"."""
    before = _before(text, start, 40)
    if context is not None:
        before = before[context.start() :]
    if _NOT_NUMBER_BEFORE.search(before) or _NOT_IP_BEFORE.search(before):
        return False
    if _MONEY_BEFORE.search(before):  # "€ 1 234 567" is an amount
        return False
    return not _NOT_PHONE_AFTER.match(text, end, end + 16)


def _phone_intl_ok(text: str, m: re.Match[str]) -> bool:
    s = m.group(0)
    d = _digits(s)
    if not (8 <= len(d) <= 15) or d[0] == "0" or not _phone_common(text, m.start(), m.end()):
        return False
    return _possible_phone(s)


def _phone_digits_ok(text: str, m: re.Match[str], regions: tuple[str, ...]) -> bool:
    s = m.group(0)
    nanp = _PHONE_NANP.fullmatch(s)
    if nanp is not None:
        area = nanp.group(1) or nanp.group(2)
        exchange = nanp.group(4)
        if area[0] in "01" or exchange[0] in "01" or area[1:] == "11":
            return False
        return _phone_common(text, m.start(), m.end())
    d = _digits(s)
    if not (7 <= len(d) <= 13) or not any(c in " .-()" for c in s) or len(set(d)) < 3:
        return False
    if _DATE_LIKE.fullmatch(s.strip("()")) or _SSN_SHAPE.fullmatch(s) or _has_date(s):
        return False
    before = _before(text, m.start(), 40)
    context = _PHONE_CONTEXT.search(before)
    if context is None:
        national = (
            (len(d) >= 9 and _TRUNK_STYLE.fullmatch(s))
            or (len(d) >= 7 and _AREA_STYLE.fullmatch(s))
            or (_THREES_STYLE.fullmatch(s) and s.count("00") < 2)
            or (
                len(d) >= 8
                and _GROUPED_STYLE.fullmatch(s)
                and not _THOUSANDS.fullmatch(s)
                and not _counting(d, s)
            )
        )
        if not national:
            return False
    if not _phone_common(text, m.start(), m.end(), context):
        return False
    return _valid_phone(s, regions)


# --------------------------------------------------------------------------- registry


# --------------------------------------------------------------------------- windows

# Python's regex engine tries a pattern that starts with a character class at every
# character of the text (~50 MB/s), so scanning a text once per digit pattern was most of
# the time. Every match of the digit patterns (phone, IPv4, card, SSN) consists only of
# digits and ` .()+-` and holds at least two digits, so it lies inside one "window": a
# run of those characters, from its first `(`, `+` or digit, with two digits or more.
# The windows come from one Rust-regex pass over the whole batch (`str.extract_all`);
# the Python patterns then scan only the windows. An IBAN's first check digit follows a
# letter, so it always starts a window. Results are those of a whole-text scan.
WINDOW = r"(?:\d|[(+][ .()+-]*\d)[ .()+-]*\d[\d .()+-]*"
_WINDOW_RE = re.compile(WINDOW)
# The digit patterns look at most this many characters past a match (`(?![\w-]|[.,]\d)`).
_LOOKAHEAD = 2
_HEX_COLON = frozenset("0123456789abcdefABCDEF:")

# (start, end, digits, dots, has "+"): where a window is, and what a pattern checks
# before it scans the window at all.
Window = tuple[int, int, int, int, bool]


def windows(text: str, pieces: Sequence[str] | None = None) -> list[Window]:
    """The windows of `text`; `pieces` are their strings in order (from
    `str.extract_all(WINDOW)`), else they are found here with Python's regex."""
    if pieces is None:
        return [_window(m.group(0), m.start(), m.end()) for m in _WINDOW_RE.finditer(text)]
    out: list[Window] = []
    pos = 0
    for piece in pieces:
        # the first occurrence after the previous window is this one: any earlier
        # occurrence would itself have been a leftmost match of WINDOW
        i = text.find(piece, pos)
        pos = i + len(piece)
        out.append(_window(piece, i, pos))
    return out


def _window(piece: str, start: int, end: int) -> Window:
    dots = piece.count(".")
    plus = piece.count("+")
    seps = dots + plus + piece.count(" ") + piece.count("-")
    seps += piece.count("(") + piece.count(")")
    return (start, end, len(piece) - seps, dots, plus > 0)


# What a window needs for a match that the pattern's check accepts (windows do not
# interact, so leaving out the others changes nothing): (characters, digits, dots, "+").
# "1.2.3.4"; 12 card digits; 9 SSN digits; "+" and 8 digits; 7 digits and a separator.
_NEEDS: dict[re.Pattern[str], tuple[int, int, int, bool]] = {
    _IPV4: (7, 4, 3, False),
    _CARD: (12, 12, 0, False),
    _SSN: (9, 9, 0, False),
    _PHONE_INTL: (9, 8, 0, True),
    _PHONE_DIGITS: (8, 7, 0, False),
}
# Shorter windows hold no match the checks accept: a batch extracts only the longer ones.
MIN_WINDOW = min(n[0] for n in _NEEDS.values())
# An IBAN's window (`DE89 3704…` → "89 3704…") follows two letters, which are not window
# characters: with the letters allowed in front, one Rust pass finds the windows and which
# of them may start an IBAN (the windows stay the same).
BATCH_WINDOW = r"(?:[A-Za-z]{2})?" + WINDOW
# the batch pass keeps a window if it is long enough for a digit pattern or follows letters
_LONG_ENOUGH = pl.element().str.len_chars() >= MIN_WINDOW
KEEP_WINDOW = pl.element().filter(_LONG_ENOUGH | pl.element().str.contains(r"^[A-Za-z]"))
KEEP_LONG_WINDOW = pl.element().filter(_LONG_ENOUGH)  # when no IBAN is looked for


def batch_windows(text: str, pieces: Sequence[str]) -> tuple[list[Window], list[int]]:
    """The windows of `text` and where those that follow two letters start, from `pieces`:
    the strings of `str.extract_all(BATCH_WINDOW)` kept by KEEP_WINDOW, in order."""
    out: list[Window] = []
    ibans: list[int] = []
    pos = 0
    for piece in pieces:
        # the first occurrence after the previous window is this one: any earlier
        # occurrence would itself have been a leftmost match (that was kept)
        i = text.find(piece, pos)
        pos = i + len(piece)
        if not piece[0].isdigit() and piece[0] not in "(+":
            i += 2  # two letters in front
            ibans.append(i)
            piece = piece[2:]
        out.append(_window(piece, i, pos))
    return out, ibans


def iban_starts(text: str, wins: Sequence[Window]) -> list[int]:
    """Where the windows that follow two ASCII letters start."""
    return [w[0] for w in wins if w[0] >= 2 and _two_letters(text[w[0] - 2 : w[0]])]


def _two_letters(s: str) -> bool:
    return s.isascii() and s.isalpha()


def _scan(pattern: re.Pattern[str], text: str, wins: Sequence[Window]) -> Iterable[re.Match[str]]:
    """`pattern.finditer(text)` for a pattern whose matches lie inside windows."""
    chars, digits, dots, plus = _NEEDS[pattern]
    for a, b, nd, ndot, hasplus in wins:
        if nd < digits or ndot < dots or b - a < chars or (plus and not hasplus):
            continue
        for m in pattern.finditer(text, a, b + _LOOKAHEAD):
            if m.start() >= b:
                break
            yield m


def _scan_ipv6(text: str) -> Iterable[re.Match[str]]:
    """`_IPV6.finditer(text)`, trying only where a match can start: an IPv6 match holds a
    `:`, and starts where the hex-and-colon run before that colon starts."""
    last = 0
    tried = -1
    c = text.find(":")
    while c != -1:
        s = c
        while s > 0 and text[s - 1] in _HEX_COLON:
            s -= 1
        if s != tried and s >= last:
            tried = s
            m = _IPV6.match(text, s)
            if m is not None:
                yield m
                last = m.end()
        c = text.find(":", max(c + 1, last))


@dataclass(frozen=True)
class Detector:
    """One kind: a Rust-regex prefilter for the batch, then Python patterns and checks.

    `find` gets the spans already taken by earlier kinds (PRIORITY): `find_pii` drops a
    match that overlaps one, so its checks are skipped."""

    kind: str
    prefilter: str  # Polars (Rust) regex; rows not matching it cannot hold this kind
    patterns: tuple[tuple[re.Pattern[str], Callable[[str, re.Match[str]], bool]], ...]

    def find(
        self, text: str, wins: Sequence[Window], ibans: Sequence[int], taken: Sequence[Span]
    ) -> Iterable[tuple[int, int]]:
        for pattern, ok in self.patterns:
            if pattern is _IPV6:
                if not _IPV6_HINT.search(text):
                    continue
                matches = _scan_ipv6(text)
            else:
                matches = _scan(pattern, text, wins)
            for m in matches:
                start, end = m.span()
                # a span of an earlier kind here wins anyway: no need to check this one
                if taken and any(s < end and start < e for _, s, e in taken):
                    continue
                if ok(text, m):
                    yield start, end


class _EmailDetector(Detector):
    def find(
        self, text: str, wins: Sequence[Window], ibans: Sequence[int], taken: Sequence[Span]
    ) -> Iterable[tuple[int, int]]:
        return _find_emails(text)


class _IbanDetector(Detector):
    def find(
        self, text: str, wins: Sequence[Window], ibans: Sequence[int], taken: Sequence[Span]
    ) -> Iterable[tuple[int, int]]:
        last = 0
        for a in ibans:
            if a < last:
                continue
            m = _IBAN_START.match(text, a)
            if m is None:
                continue
            last = m.end()
            end = _iban_scan(text, a - 2)
            if end is not None:
                yield a - 2, end


_PHONE_PREFILTER = r"\+\d|\d{3}[.-]\d{3}[.-]\d{4}|\(\d{3}\) ?\d{3}-|\d[ .()-]{1,2}\d{2}"


@functools.lru_cache(maxsize=64)
def phone_detector(regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS) -> Detector:
    """The phone detector for numbering plans `regions` (numbers without a `+CC`)."""
    return Detector(
        "phone",
        _PHONE_PREFILTER,
        (
            (_PHONE_INTL, _phone_intl_ok),
            (_PHONE_DIGITS, functools.partial(_phone_digits_ok, regions=regions)),
        ),
    )


DETECTORS: dict[str, Detector] = {
    "phone": phone_detector(),
    "email": _EmailDetector("email", r"@", ()),
    "ip": Detector(
        "ip",
        r"\d\.\d{1,3}\.\d{1,3}\.\d|[0-9A-Fa-f]:[0-9A-Fa-f]{0,4}:|::",
        ((_IPV4, _ipv4_ok), (_IPV6, _ipv6_ok)),
    ),
    "credit_card": Detector("credit_card", r"(?:\d[ -]?){12}\d", ((_CARD, _card_ok),)),
    "us_ssn": Detector("us_ssn", r"\d{3}[- ]?\d{2}[- ]?\d{4}", ((_SSN, _ssn_ok),)),
    "iban": _IbanDetector("iban", r"[A-Za-z]{2}\d{2} ?[A-Za-z0-9]{4}", ()),
}


def parse_kinds(
    value: str | Sequence[str] | None, *, option: str, allow_all: bool = False
) -> list[str]:
    """`email,ip` → ["email", "ip"]; an unknown kind → one line listing the known ones."""
    if value is None:
        return list(KINDS)
    items = [v.strip().lower() for v in (value.split(",") if isinstance(value, str) else value)]
    items = [v for v in items if v]
    if allow_all and items == ["all"]:
        return list(KINDS)
    for v in items:
        if v not in KINDS:
            raise CurateError(
                f"{option} {v}: unknown PII kind; known kinds: {', '.join(KINDS)}"
                + (" (or all)" if allow_all else "")
            )
    if not items:
        raise CurateError(f"{option}: no kind given; known kinds: {', '.join(KINDS)}")
    return list(dict.fromkeys(items))


def find_pii(
    text: str,
    kinds: Sequence[str] = KINDS,
    wins: Sequence[Window] | None = None,
    ibans: Sequence[int] | None = None,
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS,
) -> list[Span]:
    """Every PII span in `text`, sorted, without overlaps (PRIORITY decides). `wins` (the
    text's `windows`, at least those of MIN_WINDOW characters) and `ibans` (its
    `iban_starts`) are found here unless the caller has them from a batch pass
    (`batch_windows`); `phone_regions` are the numbering plans of numbers written
    without a country code."""
    if wins is None:
        wins = windows(text)
    if ibans is None:
        ibans = iban_starts(text, wins)
    taken: list[Span] = []
    for kind in PRIORITY:
        if kind not in kinds:
            continue
        det = phone_detector(phone_regions) if kind == "phone" else DETECTORS[kind]
        for start, end in det.find(text, wins, ibans, taken):
            if not any(s < end and start < e for _, s, e in taken):
                taken.append((kind, start, end))
    taken.sort(key=lambda t: t[1])
    return taken


def redact(text: str, spans: Sequence[Span], kinds: Iterable[str]) -> tuple[str, int]:
    """`text` with the spans of `kinds` replaced by `<KIND>`, and how many were replaced."""
    want = set(kinds)
    out: list[str] = []
    pos = 0
    n = 0
    for kind, start, end in spans:
        if kind in want:
            out.append(text[pos:start])
            out.append(f"<{kind.upper()}>")
            pos = end
            n += 1
    if not n:
        return text, 0
    out.append(text[pos:])
    return "".join(out), n


# --------------------------------------------------------------------------- the step


def parse_drop_if(value: str | None) -> tuple[str, int] | None:
    """`email>0` → ("email", 0); `any>2` counts every kind together."""
    if value is None:
        return None
    m = re.fullmatch(r"\s*([a-z_]+)\s*>\s*(\d+)\s*", value.lower())
    if not m:
        raise CurateError(
            f"--drop-if {value}: expected KIND>N, e.g. email>0 or any>2 "
            f"(kinds: {', '.join(KINDS)}, any)"
        )
    kind = m.group(1)
    if kind != "any":
        parse_kinds(kind, option="--drop-if")
    return kind, int(m.group(2))


SPAN_TYPE = pa.list_(pa.struct([("kind", pa.string()), ("start", pa.int64()), ("end", pa.int64())]))


@dataclass(frozen=True)
class PiiStep:
    """The `pii` map step: count per kind, optionally redact, record spans, drop."""

    kinds: tuple[str, ...] = KINDS
    redact: tuple[str, ...] = ()
    spans: bool = False
    drop_if: tuple[str, int] | None = None
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    name: str = "pii"

    def params(self) -> dict[str, Any]:
        return {
            "kinds": list(self.kinds),
            "redact": list(self.redact),
            "spans": self.spans,
            "drop_if": f"{self.drop_if[0]}>{self.drop_if[1]}" if self.drop_if else None,
            "phone_regions": list(self.phone_regions),
            "detector": "curate-pii-2",
        }

    def _added(self) -> list[pa.Field]:
        fields = [pa.field(f"pii_{k}", pa.int64()) for k in self.kinds]
        if self.redact:
            fields.append(pa.field("pii_redacted", pa.int64()))
        if self.spans:
            fields.append(pa.field("pii_spans", SPAN_TYPE))
        return fields

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        for f in self._added():
            if f.name in schema.names:
                schema = schema.remove(schema.get_field_index(f.name))
        for f in self._added():
            schema = schema.append(f)
        return schema

    def rejected_schema(self, schema: pa.Schema) -> pa.Schema | None:
        if self.drop_if is None:
            return None
        return self.output_schema(schema).append(pa.field("reason", pa.string()))

    def process(self, table: pa.Table) -> BatchOutput:
        texts = pl.from_arrow(table["text"]).cast(pl.String)
        assert isinstance(texts, pl.Series)
        n = len(texts)
        # One Polars query: which kinds each row may hold (a Rust regex per kind), and the
        # windows of the rows a digit kind or an IBAN may be in (Python's regexes then scan
        # only those; see `WINDOW`).
        flags = [
            pl.col("t").str.contains(DETECTORS[k].prefilter).fill_null(False).alias(k)
            for k in self.kinds
        ]
        exprs: list[pl.Expr] = [pl.col(k) for k in self.kinds]
        exprs.append(pl.any_horizontal(list(self.kinds)).alias("_maybe"))
        digit_kinds = [k for k in self.kinds if k != "email"]
        if digit_kinds:
            keep = KEEP_WINDOW if "iban" in self.kinds else KEEP_LONG_WINDOW
            exprs.append(
                pl.when(pl.any_horizontal(digit_kinds))
                .then(pl.col("t").str.extract_all(BATCH_WINDOW).list.eval(keep))
                .alias("_windows")
            )
        cand = pl.LazyFrame({"t": texts}).with_columns(flags).select(exprs).collect()
        maybe = cand["_maybe"].to_list()
        pieces: list[list[str] | None] = cand["_windows"].to_list() if digit_kinds else [None] * n
        kind_rows = {k: cand[k].to_list() for k in self.kinds}
        counts = {k: [0] * n for k in self.kinds}
        redacted = [0] * n
        spans_col: list[list[dict[str, Any]] | None] = [[] for _ in range(n)]
        new_text: dict[int, str] = {}
        values = texts.to_list()
        null_rows = 0
        with_pii = 0
        for i in range(n):
            t = values[i]
            if t is None:
                null_rows += 1
                spans_col[i] = None
                continue
            if not maybe[i]:
                continue
            kinds = [k for k in self.kinds if kind_rows[k][i]]
            p = pieces[i]
            wins, ibans = batch_windows(t, p) if p is not None else ([], [])
            found = find_pii(t, kinds, wins, ibans, self.phone_regions)
            if not found:
                continue
            with_pii += 1
            for kind, _s, _e in found:
                counts[kind][i] += 1
            if self.spans:
                spans_col[i] = [{"kind": k, "start": s, "end": e} for k, s, e in found]
            if self.redact:
                new, r = redact(t, found, self.redact)
                if r:
                    new_text[i] = new
                    redacted[i] = r
        out = table
        for f in self._added():
            if f.name in out.column_names:
                out = out.drop_columns([f.name])
        if new_text:
            col = [new_text.get(i, values[i]) for i in range(n)]
            idx = out.column_names.index("text")
            out = out.set_column(idx, "text", pa.array(col, out.schema.field("text").type))
        for k in self.kinds:
            out = out.append_column(f"pii_{k}", pa.array(counts[k], pa.int64()))
        if self.redact:
            out = out.append_column("pii_redacted", pa.array(redacted, pa.int64()))
        if self.spans:
            out = out.append_column("pii_spans", pa.array(spans_col, SPAN_TYPE))
        totals: dict[str, float] = {f"pii_{k}": float(sum(counts[k])) for k in self.kinds}
        totals["documents_with_pii"] = float(with_pii)
        totals["null_text"] = float(null_rows)
        if self.redact:
            totals["pii_redacted"] = float(sum(redacted))
        removed: dict[str, int] = {}
        rejected = None
        if self.drop_if is not None:
            kind, limit = self.drop_if
            if kind == "any":
                per_doc = [sum(counts[k][i] for k in self.kinds) for i in range(n)]
            else:
                per_doc = counts[kind]
            drop = pa.array([c > limit for c in per_doc], pa.bool_())
            reason = f"pii_{kind}>{limit}"
            rejected = out.filter(drop)
            rejected = rejected.append_column(
                "reason", pa.array([reason] * rejected.num_rows, pa.string())
            )
            out = out.filter(pc.invert(drop))
            if rejected.num_rows:
                removed[reason] = rejected.num_rows
        return BatchOutput(out, rejected, removed, totals)


def make_step(
    *,
    kinds: str | Sequence[str] | None = None,
    redact: str | Sequence[str] | None = None,
    spans: bool = False,
    drop_if: str | None = None,
    phone_regions: str | Sequence[str] | None = None,
) -> PiiStep:
    """Check the options (unknown kinds → exit 2 listing the known ones) and build the step."""
    k = parse_kinds(kinds, option="--kinds")
    r = parse_kinds(redact, option="--redact", allow_all=True) if redact is not None else []
    if isinstance(redact, str) and redact.strip().lower() == "all":
        r = k  # every kind being detected
    d = parse_drop_if(drop_if)
    # Redacting or dropping on a kind means detecting it, whatever --kinds said.
    extra = [x for x in [*r, *([d[0]] if d and d[0] != "any" else [])] if x not in k]
    if extra and kinds is not None:
        raise CurateError(
            f"--redact/--drop-if name {', '.join(extra)}, which --kinds leaves out; "
            "add it to --kinds"
        )
    return PiiStep(tuple(k), tuple(r), spans, d, parse_phone_regions(phone_regions))


def pii(
    source: str | Path,
    output: str | Path,
    *,
    kinds: str | Sequence[str] | None = None,
    redact: str | Sequence[str] | None = None,
    spans: bool = False,
    drop_if: str | None = None,
    rejected: str | Path | None = None,
    phone_regions: str | Sequence[str] | None = None,
    workers: int | None = None,
    executor: Any = None,
    overwrite: bool = False,
    console: Any = None,
) -> Any:
    """Count (and optionally redact) PII in every document of a dataset."""
    from curate.step import run_map

    step = make_step(
        kinds=kinds, redact=redact, spans=spans, drop_if=drop_if, phone_regions=phone_regions
    )
    if rejected is not None and step.drop_if is None:
        raise CurateError("--rejected needs --drop-if (pii removes no document otherwise)")
    return run_map(
        step,
        source,
        output,
        rejected=rejected,
        workers=workers,
        executor=executor,
        overwrite=overwrite,
        console=console,
    )
