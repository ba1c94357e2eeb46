"""Count a Hugging Face tokenizer's tokens a piece at a time, each distinct piece once.

Why this exists: in `tokenizers`, most of an encode's time is its Oniguruma regex
splitting the text into pieces (its BPE is already cached per piece) and building an
`Encoding` of ids, tokens and offsets nobody reads when only the count is wanted. The
count of a text is its post-processor's special tokens plus the sum of its pieces'
counts, the same regex runs about four times faster in Python's `regex` module, and
web text repeats its pieces: so each distinct piece is counted once per process, by the
tokenizer's own model, and a text costs a split and a dictionary lookup a piece.

The count must stay the tokenizer's own, so the shortcut is taken only where it is
exact, and checks itself where exactness rests on two regex engines agreeing:

- only for the pipelines whose count is such a sum: an optional normalizer (the
  tokenizer's own is applied), then `ByteLevel` with its regex, or `Split` (regex,
  isolated) steps followed by a plain `ByteLevel`; any model but a BPE with dropout; no
  truncation or padding. Anything else (`Metaspace`, `Whitespace`, ...) is encoded whole;
- a text holding an added token (`<s>`, `<|endoftext|>`) is encoded whole, since added
  tokens are cut out before the pre-tokenizer runs;
- the stretches a pattern leaves between its matches are pieces, as tokenizers keeps
  them; `^` and `$` are line anchors, as in Oniguruma's Ruby syntax;
- before the shortcut is taken at all, the tokenizer and the counter must split and count
  a set of awkward texts (`SHAPES`: runs of spaces around line ends, contractions,
  letters of every case class) alike: a post-processor that repeats the text (`$A $A`)
  or a pattern the engines read differently fails there;
- every character, the first time a process meets it in a new piece, is split in
  contexts (between letters of each case class, digits, punctuation, spaces, new lines)
  by both engines; a character they split differently sends every text holding it to
  the encoder. They do differ: Python's `regex` knows the letters Unicode 17 added
  (U+0558, ...) and that U+0295 is now Lo, not Ll; the Oniguruma inside `tokenizers`
  does not yet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np

# tokenizers' `ByteLevel(use_regex=True)` split pattern (GPT-2's)
BYTE_LEVEL_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
# the cache is emptied past this many pieces: ~135 bytes each, so at most ~70 MB a worker
MAX_CACHED_PIECES = 1 << 19


# Neighbours a character is probed between: letters of each case class (upper, lower,
# title, modifier, other) and a combining mark, all decades old, so that a character whose
# class changed between Unicode versions (U+0295 went from Ll to Lo) splits differently
# under patterns that tell cases apart (GPT-4o's), digits, punctuation, spaces, new lines
NEIGHBOURS = ("A", "a", "\u01c5", "\u02b0", "\u00aa", "\u0301")


def _probe(chars: set[str] | list[str]) -> str:
    """Each character in the contexts where two regex engines could split it apart."""
    parts = []
    for c in chars:
        parts.append(f"a{c}a 1{c}1 .{c}. \n{c}\n '{c}s {c}{c} A{c}1\t{c}  \n {c}\r\n")
        parts.extend(f" {n}{c}{n} {c}{n}b {c}{n}B " for n in NEIGHBOURS)
    return "".join(parts)


# Text on which a split pattern must cut as tokenizers' own splitter does before the
# shortcut is taken at all: runs of spaces before and after new lines, line ends of each
# kind, contractions in both cases, long numbers, letters of every case class
SHAPES = (
    "",
    " ",
    "\n",
    "a  \nb\n\n  c \r\n\r\nd\t\n\te   \n\n\n   f  ",
    "  leading and trailing   ",
    "It's, I'LL, we'Ve, don't; 'twas. THE END\n",
    "1234567 3.14159 1,000,000 42nd x86_64",
    "HelloWorld iPhone McDONALD ǅungla ʰa ªb e\u0301 Ａｂｃ 日本語 العربية",
    "a\u00a0b\u3000c\u0085d\u2028e\u200bf\ufeffg",
)


# A cached value packs a piece's token count with its length, so that one sum over a
# text's pieces gives both its count and how much of the text the pieces cover
LENGTH_UNIT = 1 << 32  # value = tokens + characters * LENGTH_UNIT
UNSURE = -(1 << 80)  # a piece holding a character the two regex engines split differently


class _PieceValues(dict[str, int]):
    """piece -> its packed value, computed the first time the piece is asked for."""

    def __init__(self, value: Callable[[str], int]) -> None:
        super().__init__()
        self._value = value

    def __missing__(self, piece: str) -> int:
        v = self[piece] = self._value(piece)
        return v


class PieceCounter:
    """Token counts equal to `len(tokenizer.encode(text))`, computed a piece at a time."""

    def __init__(
        self,
        tokenizer: Any,
        patterns: list[str],
        prefix_space: bool,
        piece_prefix_space: bool,
        added: list[str],
        specials: int,
    ) -> None:
        import regex
        from tokenizers import Regex, pre_tokenizers

        self._normalizer = tokenizer.normalizer
        self._specials = specials
        # Oniguruma (Ruby syntax) reads `^` and `$` as line anchors
        self._patterns = [regex.compile(p, regex.MULTILINE) for p in patterns]
        self._prefix_space = prefix_space
        self._reference = pre_tokenizers.Sequence(
            [pre_tokenizers.Split(Regex(p), "isolated") for p in patterns]
        )
        self._added = re.compile("|".join(map(re.escape, added))) if added else None
        self._model = tokenizer.model
        self._piece_prefix_space = piece_prefix_space
        self._byte_chars = _byte_level_chars()
        self._values = _PieceValues(self._value)
        self._known: set[str] = set()  # characters both engines split alike
        self._unsafe: set[str] = set()  # characters they split differently

    @classmethod
    def for_tokenizer(cls, tokenizer: Any) -> PieceCounter | None:
        """A counter for `tokenizer`, or None when its pipeline is not a sum over pieces."""
        try:
            import regex
        except ImportError:  # pragma: no cover - tiktoken, in the same extra, needs it
            return None
        spec = json.loads(tokenizer.to_str())
        if spec.get("truncation") or spec.get("padding"):
            return None
        model = spec.get("model") or {}
        if model.get("type") == "BPE" and model.get("dropout"):
            return None
        shape = _pieces_shape(spec.get("pre_tokenizer"))
        if shape is None:
            return None
        patterns, prefix_space, byte_level = shape
        try:
            if any(regex.compile(p).groups for p in patterns):
                return None  # findall would return the groups, not the pieces
        except regex.error:
            return None
        # ByteLevel adds its prefix space to each split it is given: to the whole text
        # when it splits with its own regex, to each piece after `Split` steps
        piece_prefix_space = bool(byte_level.get("add_prefix_space")) and not prefix_space
        added = {t["content"] for t in spec.get("added_tokens", []) if t.get("content")}
        if tokenizer.normalizer is not None:
            added |= {tokenizer.normalizer.normalize_str(t) for t in added} - {""}
        ordered = sorted(added, key=len, reverse=True)
        specials = _specials_added(tokenizer)
        if specials is None:
            return None
        counter = cls(tokenizer, patterns, prefix_space, piece_prefix_space, ordered, specials)
        return counter if counter._counts_as(tokenizer) else None

    def count(self, texts: list[str], encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Each text's count; `encode` counts the texts the shortcut may not take.

        Every character of a text lies in one of its pieces (the pieces' lengths add up
        to the text's), and each piece's characters were checked when it was first
        met, so a text is counted by its pieces only if none of them is `UNSURE`.
        """
        out = np.empty(len(texts), np.int64)
        whole: list[int] = []
        get = self._values.__getitem__
        for i, text in enumerate(texts):
            prepared = self._prepared(text)
            if prepared is None:
                whole.append(i)
                continue
            total = sum(map(get, self._split(prepared)))
            if total >= 0 and total // LENGTH_UNIT != len(prepared):
                # the matches leave gaps: tokenizers keeps them as pieces of their own
                total = sum(map(get, self._split(prepared, gaps=True)))
            if total < 0 or total // LENGTH_UNIT != len(prepared):
                whole.append(i)
            else:
                out[i] = self._specials + total % LENGTH_UNIT
        if whole:
            out[whole] = encode([texts[i] for i in whole])
        if len(self._values) > MAX_CACHED_PIECES:
            self._values.clear()
        return out

    def _prepared(self, text: str) -> str | None:
        """The text as the pre-tokenizer sees it; None if it holds an added token."""
        if self._added is not None and self._added.search(text):
            return None
        if self._normalizer is not None:
            text = self._normalizer.normalize_str(text)
            if self._added is not None and self._added.search(text):
                return None
        if self._prefix_space and text and not text.startswith(" "):
            text = " " + text
        return text

    def _value(self, piece: str) -> int:
        """The piece's packed value: what the tokenizer's model makes of it, as `encode`
        hands it over (ByteLevel's prefix space and byte-to-character mapping applied)."""
        if not piece:
            return 0  # tokenizers drops empty pieces
        if not self._chars_agree(set(piece)):
            return UNSURE
        seen = f" {piece}" if self._piece_prefix_space and not piece.startswith(" ") else piece
        mapped = "".join([self._byte_chars[b] for b in seen.encode()])
        return len(self._model.tokenize(mapped)) + len(piece) * LENGTH_UNIT

    def _split(self, text: str, gaps: bool = False) -> list[str]:
        """The pieces: the first pattern's matches (the gaps between them too, with
        `gaps`, as tokenizers keeps them), each cut again by the next patterns."""
        first, *rest = self._patterns
        pieces: list[str] = _isolated(first, text) if gaps else first.findall(text)
        for pattern in rest:
            pieces = [q for p in pieces for q in _isolated(pattern, p)]
        return pieces

    def _chars_agree(self, chars: set[str]) -> bool:
        if chars <= self._known:
            return True
        new = chars - self._known - self._unsafe
        if new and not self._agree(new):
            for c in new:
                (self._known if self._agree({c}) else self._unsafe).add(c)
        else:
            self._known |= new
        return not (chars & self._unsafe)

    def _counts_as(self, tokenizer: Any) -> bool:
        """Whether this counter splits and counts `SHAPES` as the tokenizer does: a
        pattern the two engines read differently, or a post-processor that adds more
        than a fixed number of tokens (`$A $A` repeats the text), fails here."""
        shapes = list(SHAPES)
        if not all(self._agree_on(text) for text in shapes):
            return False

        def encode(texts: list[str]) -> np.ndarray:
            return np.array([len(e) for e in tokenizer.encode_batch(texts)], np.int64)

        return bool(self.count(shapes, encode).tolist() == encode(shapes).tolist())

    def _agree(self, chars: set[str]) -> bool:
        return self._agree_on(_probe(sorted(chars)))

    def _agree_on(self, text: str) -> bool:
        theirs = [piece for piece, _ in self._reference.pre_tokenize_str(text)]
        return theirs == self._split(text, gaps=True)


def _isolated(pattern: Any, text: str) -> list[str]:
    """`text` cut as tokenizers' `Split(pattern, "isolated")` cuts it: each match and
    each stretch between matches a piece, empty ones left out."""
    pieces, pos = [], 0
    for match in pattern.finditer(text):
        start, end = match.span()
        if start > pos:
            pieces.append(text[pos:start])
        if end > start:
            pieces.append(text[start:end])
        pos = end
    if pos < len(text):
        pieces.append(text[pos:])
    return pieces


def _specials_added(tokenizer: Any) -> int | None:
    """The tokens the post-processor adds to a text (those of the empty text), or None
    when tokenizers cannot encode at all (a template it cannot apply panics)."""
    try:
        return len(tokenizer.encode(""))
    except BaseException as exc:  # tokenizers' panics are BaseExceptions
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return None


def _byte_level_chars() -> list[str]:
    """The character ByteLevel maps each byte to, read from `tokenizers` itself.

    A text's UTF-8 bytes map one character each, so mapping characters whose encodings
    hold every byte valid UTF-8 can hold (ASCII, and a two-, three- and four-byte
    character for each lead and continuation byte) reads the whole table off its output.
    """
    from tokenizers import pre_tokenizers

    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    sample = [chr(c) for c in range(0x80)]
    sample += [bytes([lead, tail]).decode() for lead in range(0xC2, 0xE0) for tail in (0x80, 0xBF)]
    sample += [bytes([0xE1, tail, 0x80]).decode() for tail in range(0x80, 0xC0)]
    sample += [
        bytes([lead, 0x90 if lead == 0xF0 else 0x80, 0x80, 0x80]).decode()
        for lead in range(0xF0, 0xF5)
    ]
    sample += [bytes([lead, 0xA0, 0x80]).decode() for lead in range(0xE0, 0xF0) if lead != 0xED]
    sample += ["\ud7ff"]  # 0xED's character
    chars: list[str | None] = [None] * 256
    for text in sample:
        ((mapped, _),) = byte_level.pre_tokenize_str(text)
        for byte, char in zip(text.encode(), mapped, strict=True):
            chars[byte] = char
    missing = [b for b in range(256) if chars[b] is None and b not in (0xC0, 0xC1) and b < 0xF5]
    if missing:  # pragma: no cover - a ByteLevel that maps bytes otherwise
        raise RuntimeError(f"ByteLevel's table misses bytes {missing}")
    return [c if c is not None else "" for c in chars]


def _pieces_shape(pre: dict[str, Any] | None) -> tuple[list[str], bool, dict[str, Any]] | None:
    """(split patterns, prefix space on the whole text, the ByteLevel step) or None.

    Two shapes are sums over pieces: `ByteLevel` with its own regex (GPT-2, RoBERTa), and
    `Split` regex steps ending in a `ByteLevel` without one (Llama 3, Qwen, GPT-4o's
    conversions).
    """
    if not pre:
        return None
    steps = pre["pretokenizers"] if pre.get("type") == "Sequence" else [pre]
    *splits, last = steps
    if last.get("type") != "ByteLevel":
        return None
    if not splits:
        if not last.get("use_regex", True):
            return None
        return [BYTE_LEVEL_PATTERN], bool(last.get("add_prefix_space")), last
    if last.get("use_regex", True):
        return None
    patterns = []
    for step in splits:
        pattern = step.get("pattern") or {}
        if (
            step.get("type") != "Split"
            or "Regex" not in pattern
            or str(step.get("behavior")).lower() != "isolated"
            or step.get("invert")
        ):
            return None
        patterns.append(pattern["Regex"])
    return patterns, False, last
