"""`url`: block lists of domains, URLs and words in URLs, read from files you give.

FILTERS.md §7, datatrove's URLFilter rules in its order. No list ships with curate
(datatrove's come from the UT1 blacklist, whose licence is the user's call): pass
files with `domains_file`, `urls_file`, `banned_words_file`, `soft_banned_words_file`,
`banned_subwords_file` in `--config`. A document with no `url` is kept and counted
(`url_missing` in the lineage totals), not guessed at.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from curate.errors import CurateError
from curate.filters.base import Family
from curate.filters.text import Doc

_SPLIT = re.compile(r"[^a-zA-Z0-9]+")


def _normalize(s: str) -> str:
    return _SPLIT.sub("", s).lower()


@lru_cache(maxsize=16)
def read_list(path: str) -> frozenset[str]:
    """One entry a line; blank lines and lines starting with `#` are ignored."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CurateError(f"{path}: cannot read url block list ({exc.strerror})") from exc
    return frozenset(
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    )


@lru_cache(maxsize=1)
def _suffix_extractor() -> Any:
    """tldextract with its bundled Public Suffix List: no network, reproducible."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def domains_of(url: str) -> tuple[str, str]:
    """(registered domain, full host) as tldextract gives them (case kept, like datatrove)."""
    ext = _suffix_extractor()(url)
    if not (ext.domain and ext.suffix):
        return "", ext.fqdn
    return f"{ext.domain}.{ext.suffix}", ext.fqdn


@dataclass(frozen=True)
class Url(Family):
    """Domain, subdomain, exact URL, banned word, soft-banned words, banned sub-word."""

    name: ClassVar[str] = "url"
    reasons: ClassVar[tuple[str, ...]] = (
        "domain",
        "subdomain",
        "url",
        "hard_blacklisted",
        "soft_blacklisted",
        "blacklisted_subword",
    )
    datatrove_reasons: ClassVar[dict[str, str]] = {r: r for r in reasons}

    domains_file: str | None = None
    urls_file: str | None = None
    banned_words_file: str | None = None
    soft_banned_words_file: str | None = None
    banned_subwords_file: str | None = None
    soft_word_threshold: int = 2

    def __post_init__(self) -> None:
        files = (
            self.domains_file,
            self.urls_file,
            self.banned_words_file,
            self.soft_banned_words_file,
            self.banned_subwords_file,
        )
        if not any(files):
            raise CurateError(
                "filter `url` needs a block list: set domains_file, urls_file, "
                "banned_words_file, soft_banned_words_file or banned_subwords_file in --config"
            )

    def prepare(self) -> None:
        for f in (self.domains_file, self.urls_file, self.banned_words_file):
            if f:
                read_list(f)
        self._subword_re()

    def _subword_re(self) -> re.Pattern[str] | None:
        return _subwords(self.banned_subwords_file) if self.banned_subwords_file else None

    def check(self, doc: Doc, stats: Counter[str]) -> str | None:
        url = doc.url
        if not url:
            stats["url_missing"] += 1
            return None
        if self.domains_file:
            domains = read_list(self.domains_file)
            registered, host = domains_of(url)
            if registered in domains:
                return "domain"
            if host in domains:
                return "subdomain"
        if self.urls_file and url in read_list(self.urls_file):
            return "url"
        pieces = set(_SPLIT.split(url))
        if self.banned_words_file and not pieces.isdisjoint(read_list(self.banned_words_file)):
            return "hard_blacklisted"
        if self.soft_banned_words_file:
            soft = len(pieces & read_list(self.soft_banned_words_file))
            if soft >= self.soft_word_threshold:
                return "soft_blacklisted"
        sub = self._subword_re()
        if sub is not None and sub.search(_normalize(url)):
            return "blacklisted_subword"
        return None


@lru_cache(maxsize=4)
def _subwords(path: str) -> re.Pattern[str] | None:
    words = sorted({_normalize(w) for w in read_list(path)} - {""}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))) if words else None
