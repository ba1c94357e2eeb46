"""`curate score` as a map step: `q_*` signals and fastText probabilities as columns.

The step removes nothing (`rejected_schema` is None): it adds columns a user filters
on later. It owns the `q_*` columns (scoring a scored dataset recomputes them) and
the columns named by `--column`; every other column passes through untouched.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from curate.dataset import Dataset, open_dataset
from curate.errors import CurateError
from curate.score.signals import SIGNAL_NAMES, compute_signals, signal_fields
from curate.step import BatchOutput, MapResult, run_map

NO_TEXT = "documents without text"


@dataclass(frozen=True)
class ModelColumn:
    """One `--model PATH --label LABEL --column NAME` triple, label fully resolved."""

    path: str
    label: str
    column: str
    fingerprint: str = ""


@dataclass(frozen=True)
class ScoreStep:
    """Adds the `q_*` signals (unless `signals=False`) and one column per model label."""

    signals: bool = True
    models: tuple[ModelColumn, ...] = ()
    name: str = field(default="score", init=False)

    def params(self) -> dict[str, Any]:
        return {
            "signals": self.signals,
            "signal_columns": list(SIGNAL_NAMES) if self.signals else [],
            "models": [
                {
                    "path": m.path,
                    "fingerprint": m.fingerprint,
                    "label": m.label,
                    "column": m.column,
                }
                for m in self.models
            ],
        }

    def _added(self) -> list[pa.Field]:
        fields = signal_fields() if self.signals else []
        return fields + [pa.field(m.column, pa.float64()) for m in self.models]

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        added = self._added()
        replaced = {f.name for f in added}
        kept = [f for f in schema if f.name not in replaced]
        return pa.schema(kept + added)

    def rejected_schema(self, schema: pa.Schema) -> pa.Schema | None:
        return None  # scoring never removes a document

    def process(self, table: pa.Table) -> BatchOutput:
        from curate.score.fasttext import load_model, predict_labels

        text = table["text"]
        if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
            text = pa.nulls(len(text), pa.large_string())
        columns: dict[str, pa.Array | pa.ChunkedArray] = {}
        if self.signals:
            sig = compute_signals(text)
            columns.update({name: sig[name] for name in sig.column_names})
        by_path: dict[str, list[ModelColumn]] = {}
        for m in self.models:
            by_path.setdefault(m.path, []).append(m)
        for path, specs in by_path.items():
            model = load_model(path)
            _check_unchanged(model, specs[0].fingerprint)
            probs = predict_labels(model, text, [m.label for m in specs])
            for m in specs:
                columns[m.column] = probs[m.label]
        out = table.drop_columns([c for c in columns if c in table.column_names])
        for f in self._added():
            out = out.append_column(f, columns[f.name])
        return BatchOutput(out, None, {}, {NO_TEXT: float(text.null_count)})


def score(
    source: str | Path,
    output: str | Path,
    *,
    signals: bool = True,
    models: list[str | Path] | None = None,
    labels: list[str] | None = None,
    columns: list[str] | None = None,
    workers: int | None = None,
    executor: Any = None,
    overwrite: bool = False,
    console: Any = None,
) -> MapResult:
    """Score every document of `source` into `output` (see docs/score.md).

    `models`, `labels` and `columns` pair by position; `labels` may be left out
    entirely, and then each model's `positive_label` comes from the MODEL.json beside it
    (what `curate train-classifier` writes).
    """
    specs = resolve_models(models or [], labels or [], columns or [], signals=signals)
    step = ScoreStep(signals=signals, models=tuple(specs))
    ds = open_dataset(source)
    for m in specs:
        if m.column in ds.schema.names and not m.column.startswith("q_"):
            owned = _owned_columns(ds)
            if m.column not in owned:
                raise CurateError(
                    f"--column {m.column}: the input already has a column `{m.column}`; "
                    "choose another name"
                )
    return run_map(
        step,
        ds,
        output,
        workers=workers,
        executor=executor,
        overwrite=overwrite,
        console=console,
    )


def _owned_columns(ds: Dataset) -> set[str]:
    """Columns an earlier `curate score` added (re-scoring may replace them)."""
    owned: set[str] = set()
    for entry in ds.lineage:
        if entry.get("step") == "score":
            for m in entry.get("params", {}).get("models", []):
                owned.add(m.get("column", ""))
    return owned


def resolve_models(
    models: list[str | Path], labels: list[str], columns: list[str], *, signals: bool
) -> list[ModelColumn]:
    """Pair `--model/--label/--column` by position and check each against its model."""
    from curate.score.fasttext import read_header, resolve_label

    if not models and not signals:
        raise CurateError("--no-signals leaves nothing to score; add --model PATH --column NAME")
    if len(columns) != len(models):
        raise CurateError(
            f"got {len(models)} --model and {len(columns)} --column options; "
            "give one --column NAME for each --model PATH (they pair by position)"
        )
    if labels and len(labels) != len(models):
        raise CurateError(
            f"got {len(models)} --model and {len(labels)} --label options; give one --label "
            "per --model, or none to use each model's MODEL.json `positive_label`"
        )
    seen: set[str] = set()
    specs: list[ModelColumn] = []
    for i, (path, column) in enumerate(zip(models, columns, strict=True)):
        _check_column(column, seen)
        header = read_header(path)  # labels only: each worker loads the model itself
        label = labels[i] if labels else _card_label(Path(path))
        full = resolve_label(header, label)
        resolved = str(Path(path).resolve())
        specs.append(ModelColumn(resolved, full, column, model_fingerprint(Path(path))))
    return specs


_CORE = ("id", "text", "source", "url", "created")


def _check_column(column: str, seen: set[str]) -> None:
    import re

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", column):
        raise CurateError(
            f"--column {column!r}: not a valid column name; use letters, digits and _ "
            "(for example quality)"
        )
    if column in _CORE or column.startswith("q_"):
        raise CurateError(
            f"--column {column}: that name belongs to curate ({', '.join(_CORE)} and q_*); "
            "choose another name"
        )
    if column in seen:
        raise CurateError(f"--column {column}: given twice; each model score needs its own name")
    seen.add(column)


def _card_label(model: Path) -> str:
    card = model.with_suffix(".json")
    hint = "pass --label LABEL"
    if not card.exists():
        raise CurateError(f"{model}: no --label and no {card.name} beside the model; {hint}")
    try:
        label = json.loads(card.read_text(encoding="utf-8")).get("positive_label")
    except (OSError, ValueError, AttributeError):
        raise CurateError(f"{card}: not a readable model card (JSON); {hint}") from None
    if not isinstance(label, str) or not label:
        raise CurateError(f"{card}: has no `positive_label`; {hint}")
    return label


_EDGE_BYTES = 16 << 20


_CHECKED: set[tuple[int, str]] = set()  # (id of a loaded model, fingerprint), per process


def _check_unchanged(model: Any, fingerprint: str) -> None:
    """The model a worker mapped is the one the run started with (checked once a process).

    The matrices are read from the file as batches need them, so a model replaced
    mid-run would score part of the dataset with another model; one overwritten in
    place (truncated, then written) could even stop the worker. Replace a model file
    with `mv`, never by writing over it, while a run uses it.
    """
    key = (id(model), fingerprint)
    if not fingerprint or key in _CHECKED:
        return
    if model_fingerprint(Path(model.path)) != fingerprint:
        raise CurateError(
            f"{model.path}: the model file changed during the run; "
            "replace a model with a new file (mv), not by writing over it, and run again"
        )
    _CHECKED.add(key)


def model_fingerprint(path: Path) -> str:
    """SHA-256 of the model's size, first 16 MiB and last 16 MiB (a model changes there).

    Hashing all of a multi-gigabyte model would cost seconds on every run; the header
    and dictionary (start) and the output matrix (end) change whenever the model does.
    `curate train-classifier` records the full SHA-256 in MODEL.json.
    """
    size = path.stat().st_size
    h = hashlib.sha256(f"{size}:".encode())
    with path.open("rb") as fh:
        if size <= 2 * _EDGE_BYTES:
            h.update(fh.read())
        else:
            h.update(fh.read(_EDGE_BYTES))
            fh.seek(size - _EDGE_BYTES)
            h.update(fh.read(_EDGE_BYTES))
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    """The SHA-256 of a whole file (for the model card)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
