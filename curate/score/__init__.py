"""Quality scoring: heuristic `q_*` signals and fastText classifiers (train and apply).

* `signals.py`: the `q_*` signals, vectorised over a batch (docs/score.md defines each);
* `fasttext.py`: batch inference with any supervised fastText model;
* `step.py`: the `curate score` map step and its library entry point `score()`;
* `train.py`: `curate train-classifier`, a fastText classifier with held-out metrics;
* `params.py`: its training parameters.

Nothing is imported eagerly (`from curate.score import score` still works): the CLI
imports this package to build `--help`, and NumPy/Polars would slow every command.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "SIGNALS": "curate.score.signals",
    "SIGNAL_NAMES": "curate.score.signals",
    "compute_signals": "curate.score.signals",
    "ScoreStep": "curate.score.step",
    "score": "curate.score.step",
    "train_classifier": "curate.score.train",
    "TrainParams": "curate.score.params",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'curate.score' has no attribute {name!r}")
