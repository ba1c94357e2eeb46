"""`fineweb_quality`: FineWeb's line-punctuation, short-line, duplicate-line and list rules.

FILTERS.md §4, datatrove 0.10.1 (the v0.4.0 rewrite: terminal-punctuation set, blank
lines dropped, strict comparisons). FineWeb v1 itself was built with the older rules.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from curate.filters.base import Family
from curate.filters.gopher_repetition import duplicates
from curate.filters.text import TERMINAL_PUNCTUATION, Doc


@dataclass(frozen=True)
class FineWebQuality(Family):
    """Lines are `text.split("\\n")` minus blank ones, unstripped; rules in this order."""

    name: ClassVar[str] = "fineweb_quality"
    reasons: ClassVar[tuple[str, ...]] = (
        "empty",
        "line_punct_ratio",
        "short_line_ratio",
        "char_dup_ratio",
        "list_ratio",
    )
    datatrove_reasons: ClassVar[dict[str, str]] = {r: r for r in reasons}

    line_punct_thr: float = 0.12
    line_punct_exclude_zero: bool = False
    stop_chars: tuple[str, ...] | None = None  # None: the terminal-punctuation set
    short_line_thr: float = 0.67
    short_line_length: int = 30
    char_duplicates_ratio: float = 0.01
    new_line_ratio: float = 0.3

    def check(self, doc: Doc, stats: Counter[str]) -> str | None:
        text = doc.text
        lines = [ln for ln in text.split("\n") if ln.strip()]
        if not lines:
            return "empty"
        n = len(lines)
        stops = frozenset(self.stop_chars) if self.stop_chars is not None else TERMINAL_PUNCTUATION
        ratio = sum(1 for ln in lines if ln[-1] in stops) / n
        if ratio < self.line_punct_thr and not (ratio == 0 and self.line_punct_exclude_zero):
            return "line_punct_ratio"
        if sum(1 for ln in lines if len(ln) <= self.short_line_length) / n > self.short_line_thr:
            return "short_line_ratio"
        newlines = text.count("\n")
        if duplicates(lines)[1] / (len(text) - newlines) > self.char_duplicates_ratio:
            return "char_dup_ratio"
        if not doc.words_known:
            # Every whitespace run is at least one token, so newlines / runs bounds
            # newlines / tokens from above: when it passes, so would the token ratio,
            # and this family alone need not tokenize at all (the costliest step).
            runs = len(text.split())
            if not runs or newlines / runs <= self.new_line_ratio:
                return None
        words = doc.words
        if words and newlines / len(words) > self.new_line_ratio:
            return "list_ratio"
        return None
