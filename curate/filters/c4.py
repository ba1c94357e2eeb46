"""`c4`: C4's line cleaning and page rules; rewrites `text` by dropping lines.

FILTERS.md §3, datatrove 0.10.1's C4QualityFilter (which follows the T5 paper's
numbers, not TFDS's code). Kept documents get the cleaned text; the number of lines
dropped goes in the `c4_lines_removed` column and the per-rule line counts in the
step's lineage totals, so the rewrite is never silent.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from curate.filters.base import Family
from curate.filters.text import Doc
from curate.filters.tokenizer import english

CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
END_PUNCTUATION = (".", "?", "!", '"', "'")
POLICY = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)


@dataclass(frozen=True)
class C4(Family):
    """Per line: long word, citations, end mark, few words, lorem ipsum (page),
    javascript, curly bracket (page), policy; then a minimum number of sentences.
    Numeric rules turn off with -1, the others with false."""

    name: ClassVar[str] = "c4"
    reasons: ClassVar[tuple[str, ...]] = ("lorem_ipsum", "curly_bracket", "too_few_sentences")
    datatrove_reasons: ClassVar[dict[str, str]] = {r: r for r in reasons}
    columns: ClassVar[dict[str, str]] = {"c4_lines_removed": "int64"}

    split_paragraph: bool = True
    remove_citations: bool = True
    filter_no_terminal_punct: bool = True
    min_num_sentences: int = 5
    min_words_per_line: int = 3
    max_word_length: int = 1000
    filter_lorem_ipsum: bool = True
    filter_javascript: bool = True
    filter_curly_bracket: bool = True
    filter_policy: bool = True

    def check(self, doc: Doc, stats: Counter[str]) -> str | None:
        tok = english()
        text = doc.text
        if self.split_paragraph:
            units = text.splitlines()
        else:
            units = sentence_units(text)
        sentences = 0
        kept: list[str] = []
        removed = 0
        why: Counter[str] = Counter()  # added to the totals only if the document is kept
        need = self.min_num_sentences if self.min_num_sentences != -1 else 0
        for line in units:
            line = line.strip()
            words = line.split()
            if (
                self.max_word_length != -1
                and len(line) > self.max_word_length
                and any(len(w) > self.max_word_length for w in words)
            ):
                why["c4_lines_removed_too_long_word"] += 1
                removed += 1
                continue
            runs = words  # the line's runs, for the tokenizer
            if self.remove_citations and "[" in line:
                line = CITATION.sub("", line)
                runs = line.split()
            if self.filter_no_terminal_punct and (
                not line.endswith(END_PUNCTUATION) or line.endswith("...")
            ):
                why["c4_lines_removed_no_terminal_punct"] += 1
                removed += 1
                continue
            if len(words) < self.min_words_per_line:
                why["c4_lines_removed_too_few_words"] += 1
                removed += 1
                continue
            low = line.lower()
            if self.filter_lorem_ipsum and "lorem ipsum" in low:
                return "lorem_ipsum"
            if self.filter_javascript and "javascript" in low:
                why["c4_lines_removed_javascript"] += 1
                removed += 1
                continue
            if self.filter_curly_bracket and "{" in line:
                return "curly_bracket"
            if self.filter_policy and any(p in low for p in POLICY):
                why["c4_lines_removed_policy"] += 1
                removed += 1
                continue
            if sentences < need:
                # Sentences are counted only until the minimum is reached: the count
                # decides nothing after that, and most lines then need no tokenizing.
                if self.split_paragraph:
                    sentences += tok.count_sentences(line, runs=runs)
                else:
                    sentences += 1
            kept.append(line)
        if sentences < self.min_num_sentences:
            return "too_few_sentences"
        doc.c4_lines_removed = removed
        stats.update(why)
        stats["c4_lines_removed"] += removed
        stats["c4_lines_kept"] += len(kept)
        new = ("\n" if self.split_paragraph else " ").join(kept).strip()
        if new != doc.text:
            doc.set_text(new)  # later families tokenize it if they need to (runs cached)
        return None

    def annotations(self, doc: Doc) -> dict[str, Any]:
        return {"c4_lines_removed": getattr(doc, "c4_lines_removed", None)}


def sentence_units(text: str) -> list[str]:
    """`split_paragraph = false`: the text cut at spaCy sentence starts (no stripping)."""
    ends = english().sentence_ends(text)
    if not ends:
        return [text]
    cuts = [0, *ends[:-1]]
    return [text[a:b] for a, b in zip(cuts, [*ends[:-1], len(text)], strict=True)]
