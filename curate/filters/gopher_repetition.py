"""`gopher_repetition`: duplicated paragraphs, lines and n-grams (Gopher Table A1).

FILTERS.md §2, datatrove 0.10.1's definitions: denominators are the whole original
text (spaces and newlines included), the duplicate n-gram score is a greedy walk over
concatenated token keys. The paper's intent differs in detail (RedPajama implements it
differently again); agreement with datatrove is what we promise.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate, compress
from typing import ClassVar

from curate.filters.base import Family
from curate.filters.text import Doc

_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")


def duplicates(parts: list[str]) -> tuple[int, int]:
    """(repeated elements, their summed length): every occurrence after the first."""
    seen: set[str] = set()
    n = chars = 0
    for p in parts:
        if p in seen:
            n += 1
            chars += len(p)
        else:
            seen.add(p)
    return n, chars


def top_ngram_chars(tokens: list[str], n: int) -> int:
    """len(most frequent n-gram joined by spaces) x its count; ties → first seen.

    Counting tuples is the same as counting the space-joined strings because tokens
    never contain whitespace; Counter keeps first-seen order on ties, like datatrove.
    """
    grams = Counter(zip(*(tokens[i:] for i in range(n)), strict=False))
    if not grams:
        return 0
    gram, count = grams.most_common(1)[0]
    return (sum(map(len, gram)) + n - 1) * count


def duplicate_ngram_chars(
    tokens: list[str], n: int, joined: str | None = None, offs: list[int] | None = None
) -> int:
    """Greedy walk: a key seen before adds its length and jumps n tokens ahead.

    Keys are tokens concatenated *without* separator (so `ab`+`c` equals `a`+`bc`),
    sliced out of one joined string (`joined`, `offs`: pass them to share the work
    between the n's). Only positions whose key occurs more than once can change the
    total, so the walk visits just those: a position is skipped when an earlier jump
    covered it, else its key counts if an earlier visited position had it. That is
    the same total as stepping through every position.
    """
    if joined is None or offs is None:
        joined = "".join(tokens)
        offs = list(accumulate(map(len, tokens), initial=0))
    keys = [joined[a:b] for a, b in zip(offs, offs[n:], strict=False)]
    counts = Counter(keys)
    if len(counts) == len(keys):
        return 0
    dup = {k for k, c in counts.items() if c > 1}
    seen: set[str] = set()
    repeated = 0
    nxt = 0  # first position not covered by a jump
    for p in compress(range(len(keys)), map(dup.__contains__, keys)):
        if p < nxt:
            continue
        key = keys[p]
        if key in seen:
            repeated += len(key)
            nxt = p + n
        else:
            seen.add(key)
    return repeated


@dataclass(frozen=True)
class GopherRepetition(Family):
    """Repetition rules in datatrove's order: paragraphs, lines, top 2-4-grams,
    duplicated 5-10-grams (a falsy threshold turns its rule off)."""

    name: ClassVar[str] = "gopher_repetition"
    reasons: ClassVar[tuple[str, ...]] = (
        "empty",
        "dup_para_frac",
        "dup_para_char_frac",
        "dup_line_frac",
        "dup_line_char_frac",
        "top_2_gram",
        "top_3_gram",
        "top_4_gram",
        *(f"duplicated_{n}_n_grams" for n in range(5, 11)),
    )
    datatrove_reasons: ClassVar[dict[str, str]] = {r: r for r in reasons}

    dup_para_frac: float | None = 0.3
    dup_para_char_frac: float | None = 0.2
    dup_line_frac: float | None = 0.3
    dup_line_char_frac: float | None = 0.2
    top_n_grams: tuple[tuple[int, float], ...] = ((2, 0.2), (3, 0.18), (4, 0.16))
    dup_n_grams: tuple[tuple[int, float], ...] = (
        (5, 0.15),
        (6, 0.14),
        (7, 0.13),
        (8, 0.12),
        (9, 0.11),
        (10, 0.10),
    )

    def check(self, doc: Doc, stats: Counter[str]) -> str | None:
        text = doc.text
        if not text:
            return "empty"
        size = len(text)
        paragraphs = _PARAGRAPHS.split(text.strip())
        n_dup, chars = duplicates(paragraphs)
        if self.dup_para_frac and n_dup / len(paragraphs) > self.dup_para_frac:
            return "dup_para_frac"
        if self.dup_para_char_frac and chars / size > self.dup_para_char_frac:
            return "dup_para_char_frac"
        lines = _LINES.split(text)
        n_dup, chars = duplicates(lines)
        if self.dup_line_frac and n_dup / len(lines) > self.dup_line_frac:
            return "dup_line_frac"
        if self.dup_line_char_frac and chars / size > self.dup_line_char_frac:
            return "dup_line_char_frac"
        tokens = doc.words
        for n, frac in self.top_n_grams:
            if len(tokens) >= n and top_ngram_chars(tokens, n) / size > frac:
                return f"top_{n}_gram"
        joined = "".join(tokens)
        offs = list(accumulate(map(len, tokens), initial=0))
        for n, frac in self.dup_n_grams:
            if len(tokens) >= n and duplicate_ngram_chars(tokens, n, joined, offs) / size > frac:
                return f"duplicated_{n}_n_grams"
        return None
