"""`gopher_quality`: Gopher's document-quality rules, as datatrove 0.10 applies them.

FILTERS.md §1. Ratios divide by *all* spaCy tokens, punctuation included, because
datatrove does: we promise its keep/drop decisions, not a prettier metric.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from curate.filters.base import Family
from curate.filters.text import Doc, ensure_token_ids
from curate.filters.tokenizer import english

STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")


@dataclass(frozen=True)
class GopherQuality(Family):
    """Word counts, mean word length, `#`/ellipsis ratios, bullet and ellipsis lines,
    alphabetic tokens and stop words (rules run in this order; a falsy threshold
    turns its rule off, as in datatrove)."""

    name: ClassVar[str] = "gopher_quality"
    reasons: ClassVar[tuple[str, ...]] = (
        "too_few_words",
        "too_many_words",
        "mean_word_length_low",
        "mean_word_length_high",
        "hash_ratio",
        "ellipsis_ratio",
        "bullet_lines",
        "ellipsis_lines",
        "alpha_words",
        "stop_words",
    )
    datatrove_reasons: ClassVar[dict[str, str]] = {
        "too_few_words": "gopher_short_doc",
        "too_many_words": "gopher_long_doc",
        "mean_word_length_low": "gopher_below_avg_threshold",
        "mean_word_length_high": "gopher_above_avg_threshold",
        "hash_ratio": "gopher_too_many_hashes",
        "ellipsis_ratio": "gopher_too_many_ellipsis",
        "bullet_lines": "gopher_too_many_bullets",
        "ellipsis_lines": "gopher_too_many_end_ellipsis",
        "alpha_words": "gopher_below_alpha_threshold",
        "stop_words": "gopher_enough_stop_words",
    }

    min_doc_words: int | None = 50
    max_doc_words: int | None = 100_000
    min_avg_word_length: float | None = 3
    max_avg_word_length: float | None = 10
    max_symbol_word_ratio: float | None = 0.1
    max_bullet_lines_ratio: float | None = 0.9
    max_ellipsis_lines_ratio: float | None = 0.3
    # datatrove's name; it is really the *minimum* share of tokens holding a letter.
    max_non_alpha_words_ratio: float | None = 0.8
    min_stop_words: int | None = 2
    stop_words: tuple[str, ...] = STOP_WORDS

    def check_batch(self, docs: list[Doc], stats: Counter[str]) -> list[str | None]:
        ensure_token_ids(docs)  # every document is tokenized: all new runs at once
        return [self.check(d, stats) for d in docs]

    def check(self, doc: Doc, stats: Counter[str]) -> str | None:
        text = doc.text
        ids = doc.token_ids  # per-token facts are summed with NumPy (`TokenTable`)
        n = len(ids)
        if n == 0:
            return "too_few_words"  # datatrove would divide by zero; FILTERS.md §1
        table = english().table
        is_word = table.is_word[ids]
        nw = int(np.count_nonzero(is_word))
        if self.min_doc_words and nw < self.min_doc_words:
            return "too_few_words"
        if self.max_doc_words and nw > self.max_doc_words:
            return "too_many_words"
        if nw:
            mean = int(table.length[ids[is_word]].sum()) / nw
            if self.min_avg_word_length and mean < self.min_avg_word_length:
                return "mean_word_length_low"
            if self.max_avg_word_length and mean > self.max_avg_word_length:
                return "mean_word_length_high"
        if self.max_symbol_word_ratio:
            if text.count("#") / n > self.max_symbol_word_ratio:
                return "hash_ratio"
            if (text.count("...") + text.count("\u2026")) / n > self.max_symbol_word_ratio:
                return "ellipsis_ratio"
        lines = text.splitlines()
        nl = len(lines)
        if self.max_bullet_lines_ratio and nl:
            bullets = sum(1 for ln in lines if ln.lstrip().startswith(("\u2022", "-")))
            if bullets / nl > self.max_bullet_lines_ratio:
                return "bullet_lines"
        if self.max_ellipsis_lines_ratio and nl:
            ends = sum(1 for ln in lines if ln.rstrip().endswith(("...", "\u2026")))
            if ends / nl > self.max_ellipsis_lines_ratio:
                return "ellipsis_lines"
        if self.max_non_alpha_words_ratio:
            alpha = int(np.count_nonzero(table.has_alpha[ids]))
            if alpha / n < self.max_non_alpha_words_ratio:
                return "alpha_words"
        if self.min_stop_words:
            known = [i for i in map(table.ids.get, set(self.stop_words)) if i is not None]
            present = sum(1 for i in known if (ids == i).any())
            if present < self.min_stop_words:
                return "stop_words"
        return None
