"""`curate dedup`'s options: checked, with defaults filled in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from curate import defaults as D
from curate.dedup import cache
from curate.dedup.minhash import optimal_bands
from curate.dedup.shingles import (
    HASH_SCHEME,
    ShingleConfig,
)
from curate.dedup.text import parse_normalize
from curate.errors import CurateError

VERIFY_CHOICES = ("exact", "estimate", "none")
SHINGLE_CHOICES = ("word", "char")
# With verification a false positive costs only a Jaccard computation, a false
# negative costs a duplicate left in: weight the optimiser accordingly.
WEIGHTS_VERIFIED = (0.05, 0.95)
WEIGHTS_UNVERIFIED = (0.5, 0.5)


@dataclass(frozen=True)
class DedupOptions:
    """Every option of `curate dedup` that changes its output."""

    exact_only: bool = False
    threshold: float = D.DEDUP_THRESHOLD
    shingle: ShingleConfig = field(default_factory=ShingleConfig)
    num_perm: int = D.DEDUP_NUM_PERM
    bands: int = 16
    rows: int = 8
    verify: str = D.DEDUP_VERIFY
    keep: str = D.DEDUP_KEEP

    def params(self) -> dict[str, Any]:
        if self.exact_only:
            return {
                "exact": True,
                "normalize": list(self.shingle.normalize),
                "keep": self.keep,
            }
        return {
            "exact": False,
            "threshold": self.threshold,
            **self.shingle.to_json(),
            "num_perm": self.num_perm,
            "bands": self.bands,
            "rows": self.rows,
            "verify": self.verify,
            "keep": self.keep,
            "scheme": HASH_SCHEME,
        }

    def spec(self) -> cache.SignatureSpec:
        return cache.SignatureSpec(
            self.shingle.to_json(), None if self.exact_only else self.num_perm, HASH_SCHEME
        )


def make_options(
    *,
    exact: bool = False,
    threshold: float | None = None,
    ngram: int | None = None,
    num_perm: int | None = None,
    bands: int | None = None,
    rows: int | None = None,
    verify: str | None = None,
    keep: str = D.DEDUP_KEEP,
    normalize: str | None = None,
    shingle: str | None = None,
) -> DedupOptions:
    """Check option combinations (exit 2 with the fix) and fill in the defaults."""
    steps = parse_normalize(normalize)
    if exact:
        given = [
            name
            for name, v in (
                ("--threshold", threshold),
                ("--ngram", ngram),
                ("--num-perm", num_perm),
                ("--bands", bands),
                ("--rows", rows),
                ("--verify", verify),
                ("--shingle", shingle),
            )
            if v is not None
        ]
        if given:
            raise CurateError(
                f"--exact removes exact duplicates only, so {given[0]} has no effect; "
                f"drop {given[0]}, or drop --exact to remove near duplicates too"
            )
        return DedupOptions(exact_only=True, shingle=ShingleConfig(normalize=steps), keep=keep)
    threshold = D.DEDUP_THRESHOLD if threshold is None else threshold
    if not 0.0 < threshold <= 1.0:
        raise CurateError(
            f"--threshold {threshold}: a Jaccard similarity must be in (0, 1]; e.g. 0.8"
        )
    shingle = shingle or D.DEDUP_SHINGLE
    if shingle not in SHINGLE_CHOICES:
        raise CurateError(f"--shingle {shingle}: choose one of {', '.join(SHINGLE_CHOICES)}")
    ngram = D.DEDUP_NGRAM if ngram is None else ngram
    if ngram < 1:
        raise CurateError(f"--ngram {ngram}: shingles need at least 1 token; e.g. --ngram 5")
    verify = verify or D.DEDUP_VERIFY
    if verify not in VERIFY_CHOICES:
        raise CurateError(f"--verify {verify}: choose one of {', '.join(VERIFY_CHOICES)}")
    if (bands is None) != (rows is None):
        raise CurateError(
            "--bands and --rows go together (b bands of r rows); give both, or neither to "
            "let curate choose them from --threshold"
        )
    if num_perm is None:
        num_perm = max(D.DEDUP_NUM_PERM, bands * rows) if bands and rows else D.DEDUP_NUM_PERM
    if not 2 <= num_perm <= 4096:
        raise CurateError(f"--num-perm {num_perm}: use a value from 2 to 4096 (e.g. 128)")
    if bands is not None and rows is not None:
        if bands < 1 or rows < 1:
            raise CurateError("--bands and --rows must be at least 1")
        if bands * rows > num_perm:
            raise CurateError(
                f"--bands {bands} --rows {rows} need {bands * rows} signature values but "
                f"--num-perm is {num_perm}; raise --num-perm to at least {bands * rows}"
            )
    else:
        weights = WEIGHTS_UNVERIFIED if verify == "none" else WEIGHTS_VERIFIED
        bands, rows = optimal_bands(threshold, num_perm, *weights)
    cfg = ShingleConfig(shingle=shingle, ngram=ngram, normalize=steps)
    return DedupOptions(
        exact_only=False,
        threshold=threshold,
        shingle=cfg,
        num_perm=num_perm,
        bands=bands,
        rows=rows,
        verify=verify,
        keep=keep,
    )
