"""Our tokenizer gives spaCy's English word splits (what datatrove's ratios count).

The comparison with spaCy itself needs the `spacy` package (a `test` extra); without it
that test is skipped and the fixed expectations below still run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from curate.filters.tokenizer import EnglishTokenizer, english

CASES = Path(__file__).parent / "data" / "filters" / "tokenizer_cases.txt"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hello world!", ["Hello", "world", "!"]),
        ("don't It's", ["do", "n't", "It", "'s"]),
        ("e-mail #tag 50% ©2024", ["e", "-", "mail", "#", "tag", "50", "%", "©", "2024"]),
        ("U.S.A. e.g. a.m. Dr. Fig.", ["U.S.A.", "e.g.", "a.m.", "Dr.", "Fig", "."]),
        (
            "http://x.com/a?b=c user@example.com 3.5 10:30 3,5",
            ["http://x.com/a?b=c", "user@example.com", "3.5", "10:30", "3,5"],
        ),
        ("wait... … -- ---", ["wait", "...", "…", "--", "---"]),
        ("cannot gonna", ["can", "not", "gon", "na"]),
        ("10km", ["10", "km"]),
        ("", []),
        ("  \n\t ", []),
    ],
)
def test_known_splits(text, tokens):
    assert english().words(text) == tokens


def test_matches_spacy_on_shipped_text():
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    ours = EnglishTokenizer()
    lines = CASES.read_text(encoding="utf-8").splitlines()
    for line in [*lines, "\n".join(lines)]:
        expected = [t.text.strip() for t in nlp.tokenizer(line) if t.text.strip()]
        assert ours.words(line) == expected, line


def test_sentences_match_spacy_sentencizer():
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ours = EnglishTokenizer()
    for line in CASES.read_text(encoding="utf-8").splitlines() + ["A. B.  ", " x. y", "..."]:
        expected = [s.end_char for s in nlp(line).sents]
        assert ours.sentence_ends(line) == expected, line


def test_rules_file_matches_installed_spacy_version():
    spacy = pytest.importorskip("spacy")
    assert EnglishTokenizer().spacy_version.split(".")[:2] == spacy.__version__.split(".")[:2]


@pytest.mark.parametrize(
    "run",
    [
        "word,",
        "word.",
        "Word.",
        "I.",
        "kW.",
        "PiS.",
        "USA.",
        "(word",
        '"word',
        "\u201eWort",
        "word)",
        "cannot,",
        "(cannot",
        "Dr.",
        "etc.",
        "Schutz-",
        "lib/",
        "word\u2026",
    ],
)
def test_fast_paths_agree_with_the_full_algorithm(run):
    """A run of letters with one mark takes a shortcut; it must split as spaCy's rules do."""
    tok = EnglishTokenizer()
    assert tok._new_tokens(run) == tok._tokenize_run(run)
    assert tok.words(f"{run} {run}") == [*tok._tokenize_run(run)] * 2


def test_cache_overflow_keeps_tokens(monkeypatch):
    """Clearing the bounded run cache mid-document cannot lose or reorder tokens."""
    import curate.filters.tokenizer as mod

    monkeypatch.setattr(mod, "_CACHE_MAX", 3)
    tok = EnglishTokenizer()
    text = "a b, (c d. e-mail f g h"
    assert tok.words("a b") == ["a", "b"]
    assert tok.words(text) == EnglishTokenizer().words(text)
    assert len(tok._cache) <= 8
