"""Regenerate `spacy_en.json`, the English tokenizer rules `curate` reproduces (needs spaCy).

Run `python -m curate.filters._make_spacy_rules` with the pinned spaCy installed. The
rules are spaCy's (MIT licence, (c) ExplosionAI GmbH): its prefix, suffix and infix
patterns, its URL matcher, its special-case table and the sentencizer's punctuation.
We ship them as data so `curate filter` gives spaCy's word splits without importing
spaCy at run time; `tests/test_filter_tokenizer.py` checks the two still agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("spacy_en.json")


def build() -> dict:
    """Read the rules out of `spacy.blank("en")` (what datatrove tokenizes English with)."""
    import spacy
    from spacy.pipeline.sentencizer import Sentencizer

    tok: Any = spacy.blank("en").tokenizer
    from spacy.attrs import ORTH

    rules = {k: [t[ORTH] for t in v] for k, v in sorted(tok.rules.items())}
    # Special cases the tokenizer re-applies after affix splitting (its phrase matcher):
    # those whose text has a prefix, suffix or infix match, or a space.
    matcher = {}
    for k in rules:
        if tok.find_prefix(k) or tok.find_suffix(k) or tok.find_infix(k) or " " in k:
            tok2: Any = spacy.blank("en").tokenizer
            tok2.rules = {}
            matcher[k] = [t.text for t in tok2(k)]
    return {
        "spacy_version": spacy.__version__,
        "licence": "MIT, (c) ExplosionAI GmbH; extracted from spacy.blank('en')",
        "prefix": tok.prefix_search.__self__.pattern,
        "suffix": tok.suffix_search.__self__.pattern,
        "infix": tok.infix_finditer.__self__.pattern,
        "url_match": tok.url_match.__self__.pattern,
        "rules": rules,
        "matcher": matcher,
        "punct_chars": sorted(Sentencizer.default_punct_chars),
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=0, sort_keys=True) + "\n")
    print(f"wrote {OUT}")
