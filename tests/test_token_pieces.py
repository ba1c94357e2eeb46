"""Counting a piece at a time (`curate.token_pieces`) gives the tokenizer's own counts.

Each tokenizer is trained here on a few lines; every count is compared with
`len(tokenizer.encode(text))`, the count datatrove's `TokensCounter` gives.
"""

from __future__ import annotations

import pytest

tokenizers = pytest.importorskip("tokenizers")
from tokenizers import (  # noqa: E402
    Regex,
    Tokenizer,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

from curate.token_pieces import PieceCounter  # noqa: E402

# Llama 3's split pattern, as its tokenizer.json writes it
LLAMA3 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# U+0558 is a letter since Unicode 17: Python's `regex` knows it, tokenizers' Oniguruma not
NEWER_LETTER = "\u0558"
TEXTS = [
    "The cat sat on the mat. It didn't; I'LL say it's the cat's.",
    "  leading spaces, trailing spaces   ",
    "numbers 1234567 and 3.14159 and 1,000,000",
    "tabs\tand\n\nnew lines\r\n  indented\n",
    "日本語のテキストは空白なしで続きます。中文也是。",
    "العربية نص قصير — and a dash",
    "emoji 👍🏽 and ZWJ 👩‍💻, NBSP a\u00a0b, ideographic\u3000space, NEL\u0085x",
    "combining e\u0301 and Ａｂｃ full width",
    "",
    "x",
    "a literal <s> and </s> and <|eot|> in the text",
    f"a word with a new letter {NEWER_LETTER}ab in it",
]


def train(pre, *, normalizer=None, specials=("<s>", "</s>", "<|eot|>")):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre
    if normalizer is not None:
        tok.normalizer = normalizer
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=list(specials),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([t for t in TEXTS if t] * 5, trainer)
    return tok


def with_template(tok):
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    return tok


def gpt2_like():
    return with_template(train(pre_tokenizers.ByteLevel(add_prefix_space=False)))


def prefix_space_lowercase():
    norm = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    return train(pre_tokenizers.ByteLevel(add_prefix_space=True), normalizer=norm)


def llama3_like(prefix_space=False):
    pre = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(LLAMA3), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=prefix_space, use_regex=False),
        ]
    )
    return with_template(train(pre))


def split_then_prefix_space():
    """ByteLevel after a Split adds its prefix space to every piece, not once."""
    return llama3_like(prefix_space=True)


def leaves_gaps():
    pre = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(r"\p{L}+"), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    return train(pre)


def count(tok, texts):
    """(counts, the texts sent to the encoder) through a fresh piece counter."""
    counter = PieceCounter.for_tokenizer(tok)
    assert counter is not None
    whole: list[str] = []

    def encode(batch):
        whole.extend(batch)
        return [len(e) for e in tok.encode_batch(batch)]

    return counter.count(texts, encode).tolist(), whole


@pytest.mark.parametrize(
    "build",
    [gpt2_like, prefix_space_lowercase, llama3_like, split_then_prefix_space, leaves_gaps],
    ids=lambda f: f.__name__,
)
def test_counts_equal_the_tokenizers_own(build):
    tok = build()
    got, _ = count(tok, TEXTS * 2)  # the second round is counted from the cache
    assert got == [len(tok.encode(t)) for t in TEXTS * 2]


def test_texts_holding_added_tokens_or_unknown_letters_go_to_the_encoder():
    tok = llama3_like()
    got, whole = count(tok, TEXTS)
    assert got == [len(tok.encode(t)) for t in TEXTS]
    assert set(whole) == {TEXTS[-2], TEXTS[-1]}  # <|eot|> and U+0558; all else by pieces


def test_the_stretches_a_pattern_leaves_between_its_matches_are_pieces_too():
    tok = leaves_gaps()  # `\p{L}+`: spaces, digits and punctuation fall between matches
    texts = ["only letters", "", "digits 123, and more!"]
    got, whole = count(tok, texts)
    assert got == [len(tok.encode(t)) for t in texts]
    assert whole == []


def test_the_empty_text_counts_only_the_special_tokens():
    tok = gpt2_like()
    assert count(tok, [""])[0] == [2]


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.enable_truncation(8),
        lambda t: t.enable_padding(length=64),
        lambda t: setattr(t, "pre_tokenizer", pre_tokenizers.Whitespace()),
    ],
    ids=["truncation", "padding", "not byte-level"],
)
def test_pipelines_that_are_not_a_sum_over_pieces_are_left_to_the_encoder(change):
    tok = gpt2_like()
    change(tok)
    assert PieceCounter.for_tokenizer(tok) is None


def test_bpe_dropout_is_left_to_the_encoder():
    tok = gpt2_like()
    spec = tok.to_str().replace('"dropout":null', '"dropout":0.1')
    assert '"dropout":0.1' in spec
    assert PieceCounter.for_tokenizer(Tokenizer.from_str(spec)) is None


def test_counts_stay_right_when_the_piece_cache_is_emptied(monkeypatch):
    import curate.token_pieces

    monkeypatch.setattr(curate.token_pieces, "MAX_CACHED_PIECES", 5)
    tok = gpt2_like()
    counter = PieceCounter.for_tokenizer(tok)
    want = [len(tok.encode(t)) for t in TEXTS]
    for _ in range(3):  # each call fills the cache past 5 pieces, and it is emptied
        got = counter.count(TEXTS, lambda b: [len(e) for e in tok.encode_batch(b)]).tolist()
        assert got == want
        assert len(counter._values) == 0


# GPT-4o's pattern tells letters' case classes apart
O200K = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+"
    r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def split_then_byte_level(pattern, model=None, trainer=None):
    pre = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(pattern), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    if model is None:
        return train(pre)
    tok = Tokenizer(model)
    tok.pre_tokenizer = pre
    tok.train_from_iterator([t for t in TEXTS if t] * 5, trainer)
    return tok


def test_a_letter_whose_case_class_changed_between_unicode_versions_goes_to_the_encoder():
    # U+0295 is Lo in Python's `regex` (Unicode 17), Ll in tokenizers' Oniguruma: a letter
    # to both, but GPT-4o's pattern cuts "ʕHello" in one place or the other
    tok = split_then_byte_level(O200K)
    texts = ["\u0295Hello", "a kaomoji \u0295\u2022\u1d25\u2022\u0294 says Hello", "plain Hello"]
    got, whole = count(tok, texts)
    assert got == [len(tok.encode(t)) for t in texts]
    assert whole == texts[:2]


def test_line_anchors_in_a_pattern_mean_what_they_mean_to_tokenizers():
    tok = split_then_byte_level(r"\S+|[ ]+$|\s")  # `$`: the end of a line, for Oniguruma
    texts = ["a  \nb", "x   \ny z", "trailing  "]
    assert count(tok, texts)[0] == [len(tok.encode(t)) for t in texts]


def test_an_empty_match_is_not_a_piece():
    tok = split_then_byte_level(
        r"\p{L}+|\p{N}+|[^\p{L}\p{N}]+|(?<=Q)",
        models.WordLevel(unk_token="<unk>"),
        trainers.WordLevelTrainer(special_tokens=["<unk>"], show_progress=False),
    )
    texts = ["xQ", "abQ", "Q", "Qa"]
    assert count(tok, texts)[0] == [len(tok.encode(t)) for t in texts]


def test_a_template_that_repeats_the_text_is_left_to_the_encoder():
    tok = gpt2_like()
    tok.post_processor = None
    once = len(tok.encode("the cat"))
    tok.post_processor = processors.TemplateProcessing(single="$A $A", pair="$A $B")
    assert len(tok.encode("the cat")) == 2 * once  # and the empty text gets 0 added
    assert PieceCounter.for_tokenizer(tok) is None
