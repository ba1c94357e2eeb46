"""Training parameters of `curate train-classifier`, importable without NumPy or Polars.

The CLI shows these defaults in `--help`; keeping them in a module with no heavy
imports keeps every `curate` command quick to start.
"""

from __future__ import annotations

from dataclasses import dataclass

# the label names of --positive/--negative datasets
POSITIVE_LABEL = "positive"
NEGATIVE_LABEL = "negative"
# with --input and two labels, the one named like this is positive
POSITIVE_NAMES = ("positive", "pos", "hq", "high", "good", "keep", "yes")


@dataclass(frozen=True)
class TrainParams:
    """fastText's supervised training parameters (the names of its Python API).

    The defaults are fastText's supervised-tutorial recipe for small labelled sets (lr
    1.0, 25 epochs, word bigrams), the size people label by hand: hundreds to tens of
    thousands of documents. (Until 0.1.0 lr was 0.5, which left the held-out AUC 0.005 to
    0.017 below the recipe on DCLM's labelled documents.) 200,000 buckets instead of
    2,000,000: the same AUC there, and a 90 MB model instead of 800 MB. `autotune`
    (seconds, 0 = off) lets fastText search the parameters on a validation part of the
    training documents instead.
    """

    epoch: int = 25
    lr: float = 1.0
    word_ngrams: int = 2
    dim: int = 100
    bucket: int = 200_000
    min_count: int = 1
    loss: str = "softmax"
    seed: int = 0
    test_fraction: float = 0.2
    autotune: int = 0
    validation_fraction: float = 0.1
