"""`length`: bounds on characters and words, counted the way gopher_quality counts.

datatrove has no length family (FILTERS.md §8); words here are gopher_quality's
non-symbol spaCy tokens so `min_words = 50` means the same in both families.
Characters are code points (Python `len`), not bytes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from curate.filters.base import Family
from curate.filters.text import Doc


@dataclass(frozen=True)
class Length(Family):
    """Drops documents outside [min, max] characters or words (a None bound is off)."""

    name: ClassVar[str] = "length"
    reasons: ClassVar[tuple[str, ...]] = (
        "too_short",
        "too_long",
        "too_few_words",
        "too_many_words",
    )

    min_chars: int | None = None
    max_chars: int | None = None
    min_words: int | None = 50
    max_words: int | None = 100_000

    def check(self, doc: Doc, stats: Counter[str]) -> str | None:
        n = len(doc.text)
        if self.min_chars is not None and n < self.min_chars:
            return "too_short"
        if self.max_chars is not None and n > self.max_chars:
            return "too_long"
        if self.min_words is None and self.max_words is None:
            return None
        w = len(doc.nonsymbol_words)
        if self.min_words is not None and w < self.min_words:
            return "too_few_words"
        if self.max_words is not None and w > self.max_words:
            return "too_many_words"
        return None
