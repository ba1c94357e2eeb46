"""Quality scoring: heuristic `q_*` signals and fastText classifiers (train and apply).

* `signals.py`: the `q_*` signals, vectorised over a batch (docs/score.md defines each);
* `fasttext.py`: batch inference with any supervised fastText model;
* `step.py`: the `curate score` map step and its library entry point `score()`;
* `train.py`: `curate train-classifier`, a fastText classifier with held-out metrics.
"""

from __future__ import annotations

from curate.score.signals import SIGNAL_NAMES, SIGNALS, compute_signals
from curate.score.step import ScoreStep, score

__all__ = ["SIGNALS", "SIGNAL_NAMES", "ScoreStep", "compute_signals", "score"]
