"""Character sets and per-document text facts shared by the filter families.

Defined once so two families cannot disagree about what a "word", a "symbol" or a
"line" is (FILTERS.md §0). The sets are datatrove's, written out here as data.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from curate.filters.tokenizer import english


def _ranges(spec: str) -> frozenset[str]:
    out: set[str] = set()
    for part in spec.split():
        lo, _, hi = part.partition("-")
        for cp in range(int(lo, 16), int(hi or lo, 16) + 1):
            out.add(chr(cp))
    return frozenset(out)


# Sentence-final marks (159 code points; FILTERS.md §0.4): close to Unicode's
# Sentence_Terminal but not equal, so it is data, not a `unicodedata` query.
TERMINAL_PUNCTUATION: frozenset[str] = _ranges(
    """0021 002E 003F 0589 061D-061F 06D4 0700-0702 07F9 0837 0839 083D-083E 0964-0965
    104A-104B 1362 1367-1368 166E 1735-1736 17D4-17D6 17D9-17DA 1803 1809 1944-1945
    1AA8-1AAB 1B5A-1B5B 1B5E-1B5F 1B7D-1B7E 1C3B-1C3C 1C7E-1C7F 203C-203D 2047-2049 2E2E
    2E3C 2E53-2E54 3002 A4FF A60E-A60F A6F3 A6F7 A876-A877 A8CE-A8CF A92F A9C8-A9C9
    AA5D-AA5F AAF0-AAF1 ABEB FE52 FE56-FE57 FF01 FF0E FF1F FF61 10A56-10A57 10F55-10F59
    10F86-10F89 11047-11048 110BE-110C1 11141-11143 111C5-111C6 111CD 111DE-111DF
    11238-11239 1123B-1123C 112A9 1144B-1144C 115C2-115C3 115C9-115D7 11641-11642
    1173C-1173E 11944 11946 11A42-11A43 11A9B-11A9C 11C41-11C42 11EF7-11EF8 11F43-11F44
    16A6E-16A6F 16AF5 16B37-16B38 16B44 16E98 1BC9F 1DA88"""
)

# A token made only of these is a symbol, not a word (gopher_quality's W, length's words).
SYMBOLS: frozenset[str] = (
    frozenset(string.punctuation)
    | _ranges(
        """00AB 00B4 00BB 2013 2014 2019 201C 201D 201E 2026 2236 2501 25BA 3001 3002
        3008-300D 3010-3011 FF01 FF05 FF08-FF09 FF0C FF0E FF11 FF1A FF1B FF1F FF5E"""
    )
    | _ranges("0000-0008 000B-001F 007F-009F")
    | TERMINAL_PUNCTUATION
)


@lru_cache(maxsize=1 << 18)
def is_word(token: str) -> bool:
    """A token with at least one character outside the symbol set (cached: tokens repeat)."""
    return not SYMBOLS.issuperset(token)


@lru_cache(maxsize=1 << 18)
def has_alpha(token: str) -> bool:
    """A token with at least one letter (`str.isalpha` per character, like datatrove)."""
    return token.isalpha() or any(c.isalpha() for c in token)


@dataclass
class Doc:
    """One document as the families see it, with the costly facts computed once.

    `words` (spaCy-compatible tokens) are shared by gopher_quality, gopher_repetition,
    fineweb_quality and length; `set_text` (C4's rewrite) invalidates them.
    """

    text: str
    url: str | None = None
    c4_lines_removed: int | None = None
    lang: str | None = None
    lang_score: float | None = None
    _words: list[str] | None = field(default=None, repr=False)
    _nonsymbol: list[str] | None = field(default=None, repr=False)
    _ids: Any = field(default=None, repr=False)
    _ids_generation: int = field(default=-1, repr=False)

    @property
    def words(self) -> list[str]:
        if self._words is None:
            self._words = english().words(self.text)
        return self._words

    @property
    def token_ids(self) -> Any:
        """`words` as ids into `english().table` (a NumPy array; see `TokenTable`).

        Recomputed when the tokenizer's bounded caches were cleared since (stale ids).
        """
        tok = english()
        if self._ids is None or self._ids_generation != tok.generation:
            self._ids = tok.token_ids(self.text)
            self._ids_generation = tok.generation
        return self._ids

    @property
    def words_known(self) -> bool:
        """Whether the tokens are already computed (a family may then skip a cheaper bound)."""
        return self._words is not None or self._ids is not None

    @property
    def nonsymbol_words(self) -> list[str]:
        if self._nonsymbol is None:
            self._nonsymbol = list(filter(is_word, self.words))
        return self._nonsymbol

    def set_token_ids(self, ids: Any) -> None:
        """Token ids computed for many documents at once (`ensure_token_ids`)."""
        self._ids = ids
        self._ids_generation = english().generation

    def set_text(self, text: str, words: list[str] | None = None) -> None:
        """Replace the text (C4); `words` are its tokens when the caller knows them."""
        if text != self.text:
            self.text = text
            self._words = words
            self._nonsymbol = None
            self._ids = None


def ensure_token_ids(docs: list[Doc]) -> None:
    """Give every document its token ids, the new runs of all of them tokenized at once."""
    tok = english()
    todo = [d for d in docs if d._ids is None or d._ids_generation != tok.generation]
    if todo:
        for d, ids in zip(todo, tok.batch_token_ids([d.text for d in todo]), strict=True):
            d.set_token_ids(ids)
