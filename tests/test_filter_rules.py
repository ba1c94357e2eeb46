"""Each filter rule on each side of its threshold: the decision and the reason.

Small literal documents (our own text); expectations follow FILTERS.md, which records
datatrove 0.10.1's behaviour on the same kinds of input.
"""

from __future__ import annotations

from collections import Counter

import pytest

from curate.filters import FAMILIES, make_family
from curate.filters.text import Doc

SENT = "The cat sat with the dog and looked at the birds that flew over the old barn. "


def check(family: str, text: str, url: str | None = None, **params):
    fam = make_family(family, params)
    doc = Doc(text, url)
    return fam.check(doc, Counter()), doc


def words(n: int) -> str:
    base = (
        "the river runs past old mills and fields with tall trees that have leaves " * 20
    ).split()
    return " ".join(base[:n])


# -- gopher_quality ------------------------------------------------------------------


def test_gopher_quality_word_count_bounds():
    assert check("gopher_quality", words(49))[0] == "too_few_words"
    assert check("gopher_quality", words(50))[0] is None
    assert check("gopher_quality", words(60), max_doc_words=59)[0] == "too_many_words"
    assert check("gopher_quality", words(59), max_doc_words=59)[0] is None


def test_gopher_quality_punctuation_is_not_a_word_but_counts_in_ratios():
    # 49 words + 10 full stops: still too few words (symbols are not words)
    assert check("gopher_quality", words(49) + " ." * 10)[0] == "too_few_words"


def test_gopher_quality_mean_word_length():
    short = " ".join(["an", "of", "the", "to", "be", "and", "that", "with"] * 8)
    assert check("gopher_quality", short)[0] == "mean_word_length_low"
    long = " ".join(["extraordinarily", "the", "and"] * 20)
    assert check("gopher_quality", long, max_avg_word_length=5)[0] == "mean_word_length_high"
    assert check("gopher_quality", long)[0] is None


def test_gopher_quality_hash_and_ellipsis_ratios():
    text = words(60)
    assert check("gopher_quality", text + " #" * 7)[0] == "hash_ratio"  # 7/67 > 0.1
    assert check("gopher_quality", text + " #" * 6)[0] is None  # 6/66 < 0.1
    assert check("gopher_quality", text + " ..." * 8)[0] == "ellipsis_ratio"
    assert check("gopher_quality", text + " ..." * 6 + " end")[0] is None
    assert check("gopher_quality", text + " ..." * 6)[0] == "ellipsis_lines"


def test_gopher_quality_bullet_and_ellipsis_lines():
    bullets = "\n".join(f"- item {words(8)}" for _ in range(10))
    assert check("gopher_quality", bullets)[0] == "bullet_lines"
    nine = "\n".join([f"- item {words(8)}"] * 9 + [words(8)])  # 9/10 is not > 0.9
    assert check("gopher_quality", nine, max_bullet_lines_ratio=0.9)[0] is None
    ell = "\n".join([words(12) + " ..."] * 4 + [words(12)] * 6)  # 4/10 > 0.3
    assert check("gopher_quality", ell, max_symbol_word_ratio=None)[0] == "ellipsis_lines"
    ell_ok = "\n".join([words(12) + " ..."] * 3 + [words(12)] * 7)
    assert check("gopher_quality", ell_ok)[0] is None


def test_gopher_quality_alpha_words_counts_comma_tokens():
    fruits = ", ".join(["apple", "pear", "plum", "fig", "lime", "kiwi"] * 10) + " the and."
    assert check("gopher_quality", fruits)[0] == "alpha_words"
    assert check("gopher_quality", fruits.replace(", ", " "))[0] is None


def test_gopher_quality_stop_words_distinct_and_case_sensitive():
    text = "The cat sat quietly near old windows and watched birds. " * 6
    assert check("gopher_quality", text)[0] == "stop_words"
    assert check("gopher_quality", text.replace("The cat", "the cat"))[0] is None


def test_gopher_quality_empty_text_never_crashes():
    fam = FAMILIES["gopher_quality"]
    for t in ("", "   ", "\n\n\n", "hello world"):
        reason = check("gopher_quality", t, min_doc_words=None)[0]
        assert reason is None or reason in fam.reasons
    assert check("gopher_quality", "")[0] == "too_few_words"


# -- gopher_repetition -----------------------------------------------------------------


def test_gopher_repetition_degenerate_inputs():
    assert check("gopher_repetition", "")[0] == "empty"
    assert check("gopher_repetition", "   ")[0] is None
    assert check("gopher_repetition", "\n\n\n")[0] == "dup_line_frac"
    assert check("gopher_repetition", "hello world")[0] == "top_2_gram"


def _unique_lines(n: int) -> list[str]:
    import random

    rng = random.Random(n)
    vocab = (
        "alpha beta gamma delta epsilon zeta theta iota kappa lambda sigma omega river "
        "stone cloud field "
    ).split()
    return [" ".join(rng.choice(vocab) for _ in range(9)) + f" n{i}." for i in range(n)]


def test_gopher_repetition_paragraphs():
    paras = _unique_lines(10)
    dup = "\n\n".join(paras[:6] + paras[:4])  # 4/10 repeated > 0.3
    assert check("gopher_repetition", dup, dup_para_char_frac=None)[0] == "dup_para_frac"
    ok = "\n\n".join(paras[:8] + paras[:2])  # 2/10
    no_ngrams = {"top_n_grams": [], "dup_n_grams": []}
    assert check("gopher_repetition", ok, **no_ngrams)[0] is None
    assert check("gopher_repetition", dup)[0] == "dup_para_frac"
    assert check("gopher_repetition", dup, dup_para_frac=None)[0] == "dup_para_char_frac"


def test_gopher_repetition_lines():
    lines = _unique_lines(10)
    dup = "\n".join(lines[:6] + lines[:4])
    assert check("gopher_repetition", dup)[0] == "dup_line_frac"
    assert check("gopher_repetition", dup, dup_line_frac=None)[0] == "dup_line_char_frac"
    ok = "\n".join(lines[:9] + lines[:1])
    assert check("gopher_repetition", ok)[0] is None


def test_gopher_repetition_top_and_duplicated_ngrams():
    lines = _unique_lines(30)
    text = " ".join(lines)
    assert check("gopher_repetition", text)[0] is None
    rep = text + " " + " ".join(["spam eggs"] * 100)
    assert check("gopher_repetition", rep)[0] == "top_2_gram"
    block = " ".join(lines[:8])
    dup = " ".join(lines[8:20]) + " " + block + " " + block
    assert check("gopher_repetition", dup, top_n_grams=[])[0].startswith("duplicated_")
    assert check("gopher_repetition", dup, top_n_grams=[], dup_n_grams=[[5, 0.5]])[0] is None


# -- c4 --------------------------------------------------------------------------------


def test_c4_one_line_of_five_sentences_passes_four_lines_fail():
    five = "One is here. Two is here. Three is here. Four is here. Five is here."
    reason, doc = check("c4", five)
    assert reason is None and doc.text == five
    four = "\n".join(["This line has words."] * 4)
    assert check("c4", four)[0] == "too_few_sentences"


def test_c4_drops_lines_and_records_counts():
    text = (
        "A good first line is here.\nmenu home about\nEnable javascript to see this page.\n"
        "Read our privacy policy for more.\nShort.\n" + SENT * 5
    )
    reason, doc = check("c4", text)
    assert reason is None
    assert doc.c4_lines_removed == 4
    assert doc.text.splitlines()[0] == "A good first line is here."
    assert "javascript" not in doc.text and "menu" not in doc.text


def test_c4_page_rules():
    assert check("c4", SENT * 5 + "\nlorem ipsum dolor sit amet.")[0] == "lorem_ipsum"
    assert check("c4", SENT * 5 + "\nvar x = {a: 1} is code.")[0] == "curly_bracket"
    # a `{` on a line without end mark never reaches the page rule...
    assert check("c4", SENT * 5 + "\nvar x = {a: 1}")[0] is None
    # ...unless terminal punctuation is not required (the FineWeb setting)
    assert check("c4", SENT * 5 + "\nvar x = {a: 1}", filter_no_terminal_punct=False)[0] == (
        "curly_bracket"
    )


def test_c4_citations_and_long_words():
    reason, doc = check("c4", "Ok [1] [2] [3] [4].\n" + SENT * 5)
    assert reason is None and doc.text.startswith("Ok    .")
    reason, doc = check("c4", "x" * 1001 + " is a long word.\n" + SENT * 5)
    assert reason is None and doc.c4_lines_removed == 1


def test_c4_sentence_count_follows_spacy():
    from curate.filters.tokenizer import english

    tok = english()
    assert tok.count_sentences("Version 3.5 is out. Dr. Who is here. Done.") == 3
    assert tok.count_sentences('See e.g. Fig. 3. It works! Really?! Yes... no. "Quote." Next') == 7
    assert check("c4", "")[0] == "too_few_sentences"


# -- fineweb_quality --------------------------------------------------------------------


def test_fineweb_quality_rules():
    assert check("fineweb_quality", "")[0] == "empty"
    assert check("fineweb_quality", "  \n \n")[0] == "empty"
    quoted = "\n".join([f'He said "this is line {i} of the text here."' for i in range(10)])
    assert check("fineweb_quality", quoted)[0] == "line_punct_ratio"
    trailing = "\n".join([f"This is sentence number {i} of the page here. " for i in range(10)])
    assert check("fineweb_quality", trailing)[0] == "line_punct_ratio"
    good = "\n".join(f"This is a long enough sentence, number {i}, in the page." for i in range(10))
    assert check("fineweb_quality", good)[0] is None
    short = "\n".join(
        ["A long enough line that ends with a period mark here."] + [f"item {i}." for i in range(9)]
    )
    assert check("fineweb_quality", short)[0] == "short_line_ratio"
    dup = good + "\n" + good.splitlines()[0]
    assert check("fineweb_quality", dup)[0] == "char_dup_ratio"
    listy = "\n\n\n\n\n".join(f"This is a long enough sentence, number {i}, ok." for i in range(10))
    assert check("fineweb_quality", listy)[0] == "list_ratio"
    assert check("fineweb_quality", listy, new_line_ratio=0.5)[0] is None


def test_fineweb_list_ratio_counts_tokens_not_whitespace_runs():
    """newlines / runs > 0.3 but newlines / spaCy tokens <= 0.3: kept, tokenized or not."""
    text = "\n\n\n".join(f"Alpha{i}, beta, gamma, delta, epsilon, zeta." for i in range(10))
    assert text.count("\n") / len(text.split()) > 0.3
    assert check("fineweb_quality", text)[0] is None
    fam = make_family("fineweb_quality", {})
    doc = Doc(text)
    assert len(doc.words) == 120  # shared tokens already there (the FineWeb chain)
    assert fam.check(doc, Counter()) is None
    assert check("fineweb_quality", text, new_line_ratio=0.2)[0] == "list_ratio"


# -- length and url ---------------------------------------------------------------------


def test_length_rules():
    assert check("length", words(60), min_chars=1000)[0] == "too_short"
    assert check("length", words(60), max_chars=100)[0] == "too_long"
    assert check("length", words(49))[0] == "too_few_words"
    assert check("length", words(60), max_words=59)[0] == "too_many_words"
    assert check("length", words(60))[0] is None


def test_url_rules(tmp_path):
    (tmp_path / "d.txt").write_text("# comment\nbad.com\nsub.other.org\n")
    (tmp_path / "u.txt").write_text("exact.net/page\n")
    (tmp_path / "w.txt").write_text("casino\n")
    (tmp_path / "s.txt").write_text("free\nbonus\n")
    (tmp_path / "sw.txt").write_text("poker\n")
    p = {
        "domains_file": str(tmp_path / "d.txt"),
        "urls_file": str(tmp_path / "u.txt"),
        "banned_words_file": str(tmp_path / "w.txt"),
        "soft_banned_words_file": str(tmp_path / "s.txt"),
        "banned_subwords_file": str(tmp_path / "sw.txt"),
    }
    assert check("url", "t", "https://www.bad.com/x", **p)[0] == "domain"
    assert check("url", "t", "https://sub.other.org/x", **p)[0] == "subdomain"
    assert check("url", "t", "https://else.other.org/x", **p)[0] is None
    assert check("url", "t", "exact.net/page", **p)[0] == "url"
    assert check("url", "t", "https://a.org/casino/x", **p)[0] == "hard_blacklisted"
    assert check("url", "t", "https://a.org/CASINO/x", **p)[0] is None  # case kept
    assert check("url", "t", "https://a.org/free-bonus", **p)[0] == "soft_blacklisted"
    assert check("url", "t", "https://a.org/free", **p)[0] is None
    assert check("url", "t", "https://a.org/videoPoker1", **p)[0] == "blacklisted_subword"
    stats: Counter[str] = Counter()
    assert make_family("url", p).check(Doc("t", None), stats) is None
    assert stats["url_missing"] == 1


# -- every declared reason is reachable and nothing undeclared is returned ---------------


def test_reasons_are_declared():
    for name, cls in FAMILIES.items():
        assert cls.reasons, name
        assert len(set(cls.reasons)) == len(cls.reasons)


@pytest.mark.parametrize("family", ["gopher_quality", "gopher_repetition", "c4", "fineweb_quality"])
def test_only_declared_reasons(family):
    fam = make_family(family, {})
    texts = ["", " ", "\n\n", "hello world", SENT * 6, words(80), "# " * 40, "- a\n" * 30]
    for t in texts:
        r = fam.check(Doc(t), Counter())
        assert r is None or r in fam.reasons


def test_fast_ngram_scores_equal_the_reference_walk():
    import random

    from curate.filters.gopher_repetition import (
        NgramIndex,
        duplicate_ngram_chars,
        top_ngram_chars,
    )

    rng = random.Random(7)
    for _ in range(300):
        vocab = [
            rng.choice(["a", "b", "ab", "c", "bc", "é", "日本"]) for _ in range(rng.randint(1, 6))
        ]
        tokens = [rng.choice(vocab) for _ in range(rng.randint(1, 50))]
        index = NgramIndex.from_tokens(tokens)
        for n in range(2, 11):
            assert index.duplicate_chars(n) == duplicate_ngram_chars(tokens, n), (tokens, n)
            assert index.top_chars(n) == top_ngram_chars(tokens, n), (tokens, n)


def test_ngram_index_from_the_token_table_equals_from_strings():
    from curate.filters.gopher_repetition import NgramIndex
    from curate.filters.text import Doc

    text = "the cat sat on the mat , the cat sat on the mat again and again ab c a bc"
    doc = Doc(text)
    a, b = NgramIndex.from_doc(doc), NgramIndex.from_tokens(doc.words)
    for n in range(2, 11):
        assert a.top_chars(n) == b.top_chars(n)
        assert a.duplicate_chars(n) == b.duplicate_chars(n)


def test_c4_stops_counting_sentences_at_the_minimum_but_keeps_every_line():
    lines = [f"Sentence number {i} is here. And another one {i} follows." for i in range(8)]
    reason, doc = check("c4", "\n".join(lines))
    assert reason is None
    assert doc.text == "\n".join(lines) and doc.c4_lines_removed == 0
    assert check("c4", "\n".join(lines[:2]))[0] == "too_few_sentences"  # 4 sentences < 5


# -- every declared reason has a document that triggers it ---------------------------------


def _block_twice() -> str:
    lines = _unique_lines(30)
    block = " ".join(lines[:8])
    return " ".join(lines[8:20]) + " " + block + " " + block


def _url_lists(folder) -> dict[str, str]:
    files = {
        "domains_file": "bad.com\nsub.other.org\n",
        "urls_file": "exact.net/page\n",
        "banned_words_file": "casino\n",
        "soft_banned_words_file": "free\nbonus\n",
        "banned_subwords_file": "poker\n",
    }
    for key, body in files.items():
        (folder / f"{key}.txt").write_text(body)
    return {key: str(folder / f"{key}.txt") for key in files}


# (family, reason) -> (text, url, parameters); "lists" in the parameters means the URL
# lists above. Parameters switch off the rules checked before the one wanted, so each row
# shows the rule on its own.
_NO_TOP = {"top_n_grams": []}
TRIGGERS: dict[tuple[str, str], tuple[str, str | None, dict]] = {
    ("gopher_quality", "too_few_words"): (words(49), None, {}),
    ("gopher_quality", "too_many_words"): (words(60), None, {"max_doc_words": 59}),
    ("gopher_quality", "mean_word_length_low"): (
        " ".join(["an", "of", "the", "to", "be", "and", "that", "with"] * 8),
        None,
        {},
    ),
    ("gopher_quality", "mean_word_length_high"): (
        " ".join(["extraordinarily", "the", "and"] * 20),
        None,
        {"max_avg_word_length": 5},
    ),
    ("gopher_quality", "hash_ratio"): (words(60) + " #" * 7, None, {}),
    ("gopher_quality", "ellipsis_ratio"): (words(60) + " ..." * 8, None, {}),
    ("gopher_quality", "bullet_lines"): (
        "\n".join(f"- item {words(8)}" for _ in range(10)),
        None,
        {},
    ),
    ("gopher_quality", "ellipsis_lines"): (
        "\n".join([words(12) + " ..."] * 4 + [words(12)] * 6),
        None,
        {"max_symbol_word_ratio": None},
    ),
    ("gopher_quality", "alpha_words"): (
        ", ".join(["apple", "pear", "plum", "fig", "lime", "kiwi"] * 10) + " the and.",
        None,
        {},
    ),
    ("gopher_quality", "stop_words"): (
        "The cat sat quietly near old windows and watched birds. " * 6,
        None,
        {},
    ),
    ("gopher_repetition", "empty"): ("", None, {}),
    ("gopher_repetition", "dup_para_frac"): (
        "\n\n".join(_unique_lines(10)[:6] + _unique_lines(10)[:4]),
        None,
        {},
    ),
    ("gopher_repetition", "dup_para_char_frac"): (
        "\n\n".join(_unique_lines(10)[:6] + _unique_lines(10)[:4]),
        None,
        {"dup_para_frac": None},
    ),
    ("gopher_repetition", "dup_line_frac"): (
        "\n".join(_unique_lines(10)[:6] + _unique_lines(10)[:4]),
        None,
        {},
    ),
    ("gopher_repetition", "dup_line_char_frac"): (
        "\n".join(_unique_lines(10)[:6] + _unique_lines(10)[:4]),
        None,
        {"dup_line_frac": None},
    ),
    **{
        ("gopher_repetition", f"top_{n}_gram"): (
            " ".join(_unique_lines(30))
            + " "
            + " ".join([" ".join(["spam", "eggs", "ham"][:n])] * 100),
            None,
            {"top_n_grams": [[n, 0.1]], "dup_n_grams": []},
        )
        for n in (2, 3, 4)
    },
    **{
        ("gopher_repetition", f"duplicated_{n}_n_grams"): (
            _block_twice(),
            None,
            {**_NO_TOP, "dup_n_grams": [[n, 0.1]]},
        )
        for n in range(5, 11)
    },
    ("c4", "lorem_ipsum"): (SENT * 5 + "\nlorem ipsum dolor sit amet.", None, {}),
    ("c4", "curly_bracket"): (SENT * 5 + "\nvar x = {a: 1} is code.", None, {}),
    ("c4", "too_few_sentences"): ("\n".join(["This line has words."] * 4), None, {}),
    ("fineweb_quality", "empty"): ("", None, {}),
    ("fineweb_quality", "line_punct_ratio"): (
        "\n".join(f'He said "this is line {i} of the text here."' for i in range(10)),
        None,
        {},
    ),
    ("fineweb_quality", "short_line_ratio"): (
        "\n".join(
            ["A long enough line that ends with a period mark here."]
            + [f"item {i}." for i in range(9)]
        ),
        None,
        {},
    ),
    ("fineweb_quality", "char_dup_ratio"): (
        "\n".join(f"This is a long enough sentence, number {i}, in the page." for i in range(10))
        + "\nThis is a long enough sentence, number 0, in the page.",
        None,
        {},
    ),
    ("fineweb_quality", "list_ratio"): (
        "\n\n\n\n\n".join(f"This is a long enough sentence, number {i}, ok." for i in range(10)),
        None,
        {},
    ),
    ("language", "lang_not_allowed"): (SENT * 4, None, {"languages": ["de"]}),
    ("language", "low_lang_score"): (
        SENT * 4,
        None,
        {"languages": ["en"], "min_lang_score": 0.99999},
    ),
    ("length", "too_short"): (words(60), None, {"min_chars": 1000}),
    ("length", "too_long"): (words(60), None, {"max_chars": 100}),
    ("length", "too_few_words"): (words(49), None, {}),
    ("length", "too_many_words"): (words(60), None, {"max_words": 59}),
    ("url", "domain"): ("t", "https://www.bad.com/x", {"lists": True}),
    ("url", "subdomain"): ("t", "https://sub.other.org/x", {"lists": True}),
    ("url", "url"): ("t", "exact.net/page", {"lists": True}),
    ("url", "hard_blacklisted"): ("t", "https://a.org/casino/x", {"lists": True}),
    ("url", "soft_blacklisted"): ("t", "https://a.org/free-bonus", {"lists": True}),
    ("url", "blacklisted_subword"): ("t", "https://a.org/videoPoker1", {"lists": True}),
}


def test_every_declared_reason_has_a_trigger_below():
    declared = {(name, r) for name, cls in FAMILIES.items() for r in cls.reasons}
    assert declared == set(TRIGGERS)


@pytest.mark.parametrize(("family", "reason"), sorted(TRIGGERS))
def test_every_reason_can_be_triggered(family, reason, tmp_path):
    text, url, params = TRIGGERS[(family, reason)]
    if params.pop("lists", False):
        params = {**params, **_url_lists(tmp_path)}
    assert check(family, text, url, **params)[0] == reason
