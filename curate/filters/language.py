"""`language`: language ID on every document it sees, removal only when asked.

Out of the box the model is py3langid's (it ships inside the PyPI wheel: nothing is
downloaded); `model = PATH` (`--lang-model`) uses a fastText model instead, such as
`lid.176.bin` or GlotLID. The rule is datatrove's LanguageFilter (FILTERS.md §6):
keep when any listed language's probability is strictly above the threshold; with
no list and an explicit threshold, keep when the top probability is above it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from curate.defaults import MIN_LANG_SCORE
from curate.errors import CurateError
from curate.filters.base import Family
from curate.filters.text import Doc

DEFAULT_THRESHOLD = MIN_LANG_SCORE


@lru_cache(maxsize=1)
def _iso639() -> dict[str, str]:
    """ISO 639-3 (and 639-2/B) → ISO 639-1, from Debian's iso-codes (via pycountry)."""
    return json.loads(Path(__file__).with_name("iso639.json").read_text())


# ISO 639-1 codes withdrawn for new ones (models and old scripts still use them), and `bh`
# (Bihari, a collective code lid.176 returns) that is in no 639-1 table any more.
RENAMED = {"iw": "he", "ji": "yi", "jw": "jv", "in": "id", "mo": "ro"}
COLLECTIVE = frozenset({"bh"})


def _base(code: str) -> str:
    """The language part of a code or label: `__label__eng_Latn` → `eng`, `zh-Hans` → `zh`."""
    return code.removeprefix("__label__").strip().split("_")[0].split("-")[0].lower()


def normalize_code(code: str) -> str:
    """`eng`, `eng_Latn`, `__label__en` → `en`; codes without a 639-1 form stay 639-3;
    withdrawn 639-1 codes become the current ones (`iw` → `he`)."""
    low = _base(code)
    if len(low) == 3:
        return _iso639().get(low, low)
    return RENAMED.get(low, low)


def check_code(code: str) -> None:
    """Exit 2 for what is not a language code: an ISO 639-1 code must be one that exists;
    a 639-3 code (three letters, maybe with a script, `eng_Latn`) cannot be checked here
    (GlotLID knows thousands), only its shape."""
    base = _base(code)
    if len(base) == 2 and (
        base in set(_iso639().values()) or base in RENAMED or base in COLLECTIVE
    ):
        return
    if len(base) == 3 and base.isascii() and base.isalpha():
        return
    raise CurateError(
        f"languages (--lang) `{code}`: not a language code; give ISO 639-1 codes like `en` "
        "or 639-3 codes like `deu`"
    )


# The labels of py3langid's bundled model, so a `--lang` code it never returns is refused
# without loading it (a second and 100 MB in the parent); a test keeps this list in step
# with the installed model.
PY3LANGID_LABELS = (
    "ace af am an ar ary arz as az ba bcl be bg bn br bs ca crh cs cy da de dz el en eo es "
    "et eu ext fa fi fo fr fuv fy ga gcf gcr gd gl gom grc gu gug guw ha hbo he hi hr ht hu "
    "hy id ig is it ja jv ka kab kik kk km kn ko ku ky la lb lg lij ln lo lt ltg lv mg mk ml "
    "mn mr ms mt my ne nl nn no nso oc om or pa pcm pl ps pt qu ro ru rw sa sdh se si sk sl "
    "sn so sq sr st sv sw ta te tg th tk tl tr tt ug uk ur uz uzs vec vi vo wa wuu xh yo yue "
    "zh zu zxx"
).split()


class _Py3Langid:
    """py3langid's bundled model, probabilities normalised over its languages.

    Scored a batch at a time by curate.filters.langid (the same probabilities as
    py3langid's `rank`, without its byte-by-byte Python loop).
    """

    def __init__(self) -> None:
        from curate.filters.langid import BatchLangid

        self.ident = BatchLangid()

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        out = []
        for ranked in self.ident.top(texts, 5):
            probs: dict[str, float] = {}
            for label, prob in ranked:
                code = normalize_code(label)
                probs[code] = max(probs.get(code, 0.0), prob)
            out.append(probs)
        return out


class _FastText:
    """A fastText language-ID model by path (all labels, like datatrove: k = -1).

    Uses the low-level `f.predict` because fasttext-wheel's `predict` is broken under
    NumPy 2 (one string raises; a list repeats the top probability for every label).
    """

    def __init__(self, path: str) -> None:
        p = Path(path)
        if not p.is_file():
            raise CurateError(f"{path}: --lang-model file not found; give a fastText .bin model")
        try:
            import fasttext
        except ImportError as exc:  # pragma: no cover - fasttext-wheel is a dependency
            raise CurateError("--lang-model needs the `fasttext-wheel` package") from exc
        try:
            fasttext.FastText.eprint = lambda *a, **k: None
            self.model = fasttext.load_model(str(p))
        except ValueError as exc:
            raise CurateError(f"{path}: not a fastText model ({exc})") from exc

    def codes(self) -> set[str]:
        """Every language code this model can return."""
        return {normalize_code(label) for label in self.model.get_labels()}

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        f = self.model.f
        out = []
        for t in texts:
            probs: dict[str, float] = {}
            for prob, label in f.predict(t.replace("\n", " ") + "\n", -1, 0.0, "strict"):
                code = normalize_code(label)
                if prob > probs.get(code, -1.0):
                    probs[code] = float(prob)
            out.append(probs)
        return out


_MODELS: dict[str | None, Any] = {}


def load_model(path: str | None) -> Any:
    """One model per process (the step object is pickled to workers without it)."""
    if path not in _MODELS:
        _MODELS[path] = _FastText(path) if path else _Py3Langid()
    return _MODELS[path]


@dataclass(frozen=True)
class Language(Family):
    """Adds `lang` / `lang_score`; removes only with `languages` or `min_lang_score`."""

    name: ClassVar[str] = "language"
    reasons: ClassVar[tuple[str, ...]] = ("lang_not_allowed", "low_lang_score")
    columns: ClassVar[dict[str, str]] = {"lang": "string", "lang_score": "float64"}
    # the name filters.toml used before the parameter took `--min-lang-score`'s name
    aliases: ClassVar[dict[str, str]] = {"language_threshold": "min_lang_score"}

    languages: tuple[str, ...] | None = None
    min_lang_score: float | None = None  # None: 0.65 with a list, no removal without
    label_only: bool = False
    model: str | None = None

    def __post_init__(self) -> None:
        # A code no model can return, or a threshold outside the probabilities, would
        # remove every document (or none) without a word.
        if self.languages is not None:
            for code in self.languages:
                check_code(code)
            object.__setattr__(
                self, "languages", tuple(dict.fromkeys(normalize_code(c) for c in self.languages))
            )
        thr = self.min_lang_score
        if thr is not None and not 0.0 <= thr < 1.0:  # a probability is never > 1
            raise CurateError(
                f"min_lang_score (--min-lang-score) {thr}: expected a number from 0 up to "
                "(not including) 1: a language's probability must be above it"
            )

    def params(self) -> dict[str, Any]:
        return {
            "languages": list(self.languages) if self.languages is not None else None,
            "min_lang_score": self.min_lang_score,
            "label_only": self.label_only,
            "model": self.model or "py3langid",
        }

    def prepare(self) -> None:
        # A model path is loaded now, so a bad one fails before any worker starts. The
        # bundled model cannot be missing: it loads on first use, so the parent process
        # of a run (which only checks) never spends a second and 100 MB on it.
        if self.model:
            known = load_model(self.model).codes()
        else:
            known = {normalize_code(label) for label in PY3LANGID_LABELS}
        for code in self.languages or ():
            if code not in known:  # every document would be `lang_not_allowed`
                raise CurateError(
                    f"languages (--lang) `{code}`: the language-ID model "
                    f"({self.model or 'py3langid'}) never returns it, so every document would "
                    f"be removed; give a code it knows ({len(known)} of them, e.g. "
                    f"{', '.join(sorted(known)[:6])}…) or another --lang-model"
                )

    def check_batch(self, docs: list[Doc], stats: Counter[str]) -> list[str | None]:
        preds = load_model(self.model).predict([d.text for d in docs])
        out: list[str | None] = []
        thr = self.min_lang_score
        for doc, probs in zip(docs, preds, strict=True):
            if probs:
                top = max(probs, key=probs.__getitem__)
                doc.lang, doc.lang_score = top, probs[top]
            else:
                doc.lang, doc.lang_score = None, 0.0
            out.append(None if self.label_only else self._decide(doc, probs, thr))
        return out

    def _decide(self, doc: Doc, probs: dict[str, float], thr: float | None) -> str | None:
        if self.languages:
            limit = DEFAULT_THRESHOLD if thr is None else thr
            if any(probs.get(c, 0.0) > limit for c in self.languages):
                return None
            return "low_lang_score" if doc.lang in self.languages else "lang_not_allowed"
        if thr is not None and (doc.lang_score or 0.0) <= thr:
            return "low_lang_score"
        return None

    def check(self, doc: Doc, stats: Counter[str]) -> str | None:
        return self.check_batch([doc], stats)[0]

    def annotations(self, doc: Doc) -> dict[str, Any]:
        return {"lang": doc.lang, "lang_score": doc.lang_score}
