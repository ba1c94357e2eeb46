"""`curate decontaminate` as a map step: benchmark n-grams found in a document.

`drop` moves a contaminated document to `--rejected`; `annotate` keeps every document
and adds the columns; `excise` cuts each matched span and a window around it (GPT-3's
filtering: 200 characters each side) and drops what is left when it is too short.

The index (`curate.decont.index`) is built once in the driver; the step carries it to
the workers. An n-gram common in the corpus itself (a licence, boilerplate) can be
taken out of the index first with `ignore_common`: one counting pass over the corpus
finds the benchmark n-grams present in more than that many documents.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from curate.decont.index import BenchmarkIndex, build_index
from curate.decont.ngrams import batch_ngrams, words_cache
from curate.errors import CurateError
from curate.step import BatchOutput, MapResult, run_map

MODES = ("drop", "annotate", "excise")
NO_TEXT = "documents without text"
CONTAMINATED = "contaminated"
_RUN = re.compile(r"\S+")


def _added_fields() -> list[pa.Field]:
    return [
        pa.field("contaminated_by", pa.list_(pa.string())),
        pa.field("contamination_ngrams", pa.int64()),
    ]


@dataclass
class DocMatches:
    """The benchmark n-grams one document holds."""

    tasks: list[str]
    distinct: int
    starts: np.ndarray  # word positions where a matched n-gram starts


@dataclass(frozen=True)
class DecontaminateStep:
    """Finds the index's n-grams in each document and drops, annotates or excises them."""

    index: BenchmarkIndex
    mode: str = "drop"
    window: int = 200
    min_chars: int = 200
    # `--ignore-common N`: the n-grams found in more than N corpus documents are taken
    # out of `index` before the run (`without_common`); the output is identified by the
    # whole index and N, so a rerun knows it is up to date without counting again
    ignore_common: int | None = None
    whole_index_digest: str | None = None
    name: str = field(default="decontaminate", init=False)

    def params(self) -> dict[str, Any]:
        params = {
            "mode": self.mode,
            "ngram": self.index.n,
            "index": self.whole_index_digest or self.index.digest(),
            "benchmarks": list(self.index.names),
            "window": self.window if self.mode == "excise" else None,
            "min_chars": self.min_chars if self.mode == "excise" else None,
        }
        if self.ignore_common is not None:
            params["ignore_common"] = self.ignore_common
        return params

    def without_common(self, common: np.ndarray) -> DecontaminateStep:
        """The step to run once the corpus's common n-grams are known (same params)."""
        return replace(self, index=self.index.without(common))

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        if self.mode == "annotate":
            added = _added_fields()
        elif self.mode == "excise":
            added = [pa.field("decont_chars_removed", pa.int64())]
        else:
            return schema
        names = {f.name for f in added}
        return pa.schema([f for f in schema if f.name not in names] + added)

    def rejected_schema(self, schema: pa.Schema) -> pa.Schema | None:
        if self.mode == "annotate":
            return None
        added = _added_fields()
        names = {f.name for f in added}
        return pa.schema([f for f in schema if f.name not in names] + added)

    def matches(self, texts: list[str | None]) -> dict[int, DocMatches]:
        """Row -> what it matched, for the rows of `texts` that hold any benchmark n-gram."""
        grams = batch_ngrams(texts, self.index.n)
        pos = self.index.lookup(grams.hashes)
        hit = pos >= 0
        out: dict[int, DocMatches] = {}
        if not hit.any():
            return out
        docs, pos_hit, starts, hashes = (
            grams.doc[hit],
            pos[hit],
            grams.start[hit],
            grams.hashes[hit],
        )
        bounds = np.flatnonzero(np.diff(docs)) + 1
        for d, p, s, h in zip(
            np.split(docs, bounds),
            np.split(pos_hit, bounds),
            np.split(starts, bounds),
            np.split(hashes, bounds),
            strict=True,
        ):
            out[int(d[0])] = DocMatches(self.index.task_names(p), len(np.unique(h)), s)
        return out

    def process(self, table: pa.Table) -> BatchOutput:
        text_col = table["text"]
        is_text = pa.types.is_string(text_col.type) or pa.types.is_large_string(text_col.type)
        texts: list[str | None] = text_col.to_pylist() if is_text else [None] * table.num_rows
        found = self.matches(texts)
        totals: Counter[str] = Counter()
        totals[NO_TEXT] = sum(1 for t in texts if not isinstance(t, str))
        for m in found.values():
            for t in m.tasks:
                totals[f"contaminated by {t}"] += 1
        by = [found[i].tasks if i in found else [] for i in range(table.num_rows)]
        ngrams = [found[i].distinct if i in found else 0 for i in range(table.num_rows)]
        annotated = _with_columns(
            table,
            {
                "contaminated_by": pa.array(by, pa.list_(pa.string())),
                "contamination_ngrams": pa.array(ngrams, pa.int64()),
            },
        )
        if self.mode == "annotate":
            return BatchOutput(annotated, None, {}, dict(totals))
        if self.mode == "drop":
            dirty = np.zeros(table.num_rows, bool)
            dirty[list(found)] = True
            kept = table.filter(pa.array(~dirty))
            rejected = annotated.filter(pa.array(dirty))
            removed = {CONTAMINATED: int(dirty.sum())} if dirty.any() else {}
            return BatchOutput(kept, rejected, removed, dict(totals))
        return self._excise(table, annotated, texts, found, totals)

    def _excise(
        self,
        table: pa.Table,
        annotated: pa.Table,
        texts: list[str | None],
        found: dict[int, DocMatches],
        totals: Counter[str],
    ) -> BatchOutput:
        new_text = list(texts)
        removed_chars = [0] * table.num_rows
        too_short = np.zeros(table.num_rows, bool)
        for i, m in found.items():
            text = texts[i]
            assert isinstance(text, str)
            cut = excise(text, m.starts, self.index.n, self.window)
            removed_chars[i] = len(text) - len(cut)
            if len(cut.strip()) < self.min_chars:
                too_short[i] = True
            new_text[i] = cut
        kept_cut = [i for i in found if not too_short[i]]
        totals["characters excised"] += sum(removed_chars[i] for i in kept_cut)
        totals["documents excised"] += len(kept_cut)
        text_type = table.schema.field("text").type
        if not (pa.types.is_string(text_type) or pa.types.is_large_string(text_type)):
            text_type = pa.large_string()
        out = _with_columns(
            table.set_column(
                table.schema.get_field_index("text"),
                table.schema.field("text").with_type(text_type),
                pa.array(new_text, text_type),
            ),
            {"decont_chars_removed": pa.array(removed_chars, pa.int64())},
        )
        kept = out.filter(pa.array(~too_short))
        rejected = annotated.filter(pa.array(too_short))
        removed = {"too_short_after_excise": int(too_short.sum())} if too_short.any() else {}
        return BatchOutput(kept, rejected, removed, dict(totals))


def excise(text: str, starts: np.ndarray, n: int, window: int) -> str:
    """`text` less every matched n-gram and `window` characters on each side of it.

    Cuts never split a word: a cut grows to whole whitespace runs at both ends. The
    pieces left are joined by a newline, so no two of them run into one word.
    """
    runs = text.split()
    counts = np.array(words_cache().run_word_counts(runs), np.int64)
    first_word = np.cumsum(counts) - counts  # word index where each run starts
    spans = [(m.start(), m.end()) for m in _RUN.finditer(text)]
    # the run holding a word: the last run whose first word is at or before it (runs
    # without words never hold one)
    has = counts > 0
    run_ids = np.flatnonzero(has)
    first = first_word[has]
    run_starts = np.array([a for a, _ in spans], np.int64)
    run_ends = np.array([b for _, b in spans], np.int64)

    def widen(a: int, b: int) -> tuple[int, int]:
        """[a, b) grown to whole runs, so no word is cut in two."""
        i = int(np.searchsorted(run_starts, a, side="right")) - 1
        if i >= 0 and run_ends[i] > a:
            a = int(run_starts[i])
        j = int(np.searchsorted(run_starts, b, side="left")) - 1
        if j >= 0 and run_ends[j] > b:
            b = int(run_ends[j])
        return a, b

    cuts: list[tuple[int, int]] = []
    for s in np.unique(starts).tolist():
        a = run_ids[np.searchsorted(first, s, side="right") - 1]
        b = run_ids[np.searchsorted(first, s + n - 1, side="right") - 1]
        cuts.append(widen(max(0, spans[a][0] - window), min(len(text), spans[b][1] + window)))
    cuts.sort()
    pieces: list[str] = []
    at = 0
    for a, b in cuts:
        if a > at:
            pieces.append(text[at:a])
        at = max(at, b)
    if at < len(text):
        pieces.append(text[at:])
    return "\n".join(p.strip() for p in pieces if p.strip())


def _with_columns(table: pa.Table, columns: dict[str, pa.Array]) -> pa.Table:
    out = table.drop_columns([c for c in columns if c in table.column_names])
    for name, values in columns.items():
        out = out.append_column(name, values)
    return out


def _common_counts(job: tuple[Any, BenchmarkIndex]) -> np.ndarray:
    """Documents of one shard holding each index n-gram (runs in a worker)."""
    from curate.dataset import Dataset
    from curate.executor import report

    (shard, schema), index = job
    counts = np.zeros(len(index.hashes), np.int64)
    ds = Dataset(shard.folder, [shard], schema)
    for batch in ds.shard_batches(shard, batch_size=10_000, columns=["text"]):
        col = batch.column(0)
        texts = (
            col.to_pylist()
            if pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
            else [None] * batch.num_rows
        )
        grams = batch_ngrams(texts, index.n)
        pos = index.lookup(grams.hashes)
        hit = pos >= 0
        pairs = np.unique(np.stack([grams.doc[hit], pos[hit]]), axis=1)
        np.add.at(counts, pairs[1], 1)
        report(docs=batch.num_rows)
    return counts


def common_ngrams(
    source: str | Path, index: BenchmarkIndex, more_than: int, executor: Any, console: Any
) -> np.ndarray:
    """Index positions of the n-grams present in more than `more_than` corpus documents."""
    from curate.dataset import open_dataset
    from curate.executor import make_executor, run_units
    from curate.progress import StepProgress

    ds = open_dataset(source)
    total = np.zeros(len(index.hashes), np.int64)
    jobs = [((s, ds.schema), index) for s in ds.shards]

    def add(_job: Any, counts: np.ndarray) -> None:
        total[:] += counts

    if console is None:
        from rich.console import Console

        console = Console(stderr=True, quiet=True)
    progress = StepProgress(
        console, label="decontaminate: common n-grams", units=len(jobs), unit_name="shards"
    )
    run_units(
        executor or make_executor(None), _common_counts, jobs, progress=progress, on_result=add
    )
    return np.flatnonzero(total > more_than)


def decontaminate(
    source: str | Path,
    output: str | Path,
    *,
    against: list[str],
    fields: list[str] | None = None,
    task_field: str | None = None,
    ngram: int = 13,
    mode: str = "drop",
    rejected: str | Path | None = None,
    ignore_common: int | None = None,
    window: int = 200,
    min_chars: int = 200,
    workers: int | None = None,
    executor: Any = None,
    overwrite: bool = False,
    console: Any = None,
) -> MapResult:
    """Find benchmark items of `against` in `source`, writing `output` (docs/decontaminate.md)."""
    if mode not in MODES:
        raise CurateError(f"--mode {mode}: unknown; use one of {', '.join(MODES)}")
    if not against:
        raise CurateError("--against: give at least one benchmark file or dataset")
    if mode == "annotate" and rejected is not None:
        raise CurateError("--rejected needs --mode drop or excise (annotate removes nothing)")
    if window < 0 or min_chars < 0:
        raise CurateError("--window and --min-chars must be 0 or more")
    if ignore_common is not None and ignore_common < 1:
        raise CurateError(f"--ignore-common {ignore_common}: must be at least 1")
    fields = fields or ["text"]
    index = build_index(list(against), fields, task_field, ngram)
    if console is not None:
        _warn_short(console, index)
    step = DecontaminateStep(index, mode, window, min_chars)
    extra: dict[str, Any] = {
        "benchmarks": _benchmarks(index),
        "against": [str(p) for p in against],
    }
    prepare = None
    if ignore_common is not None:
        from curate.executor import make_executor

        executor = executor or make_executor(workers)
        step = replace(step, ignore_common=ignore_common, whole_index_digest=index.digest())
        extra["ignore_common"] = {"more_than_documents": ignore_common, "ngrams_ignored": 0}

        def prepare(step: DecontaminateStep) -> DecontaminateStep:
            """Count the corpus's common n-grams: only when the output is not up to date."""
            if not len(index.hashes):
                return step
            common = common_ngrams(source, index, ignore_common, executor, console)
            prepared = step.without_common(common)
            extra["benchmarks"] = _benchmarks(prepared.index)  # read at the commit
            extra["ignore_common"]["ngrams_ignored"] = len(common)
            return prepared

    return run_map(
        step,
        source,
        output,
        rejected=rejected,
        workers=workers,
        executor=executor,
        overwrite=overwrite,
        console=console,
        extra_lineage=extra,
        extra_inputs=[("--against", str(p)) for p in against],
        prepare=prepare,
    )


def _benchmarks(index: BenchmarkIndex) -> dict[str, dict[str, int]]:
    """What the lineage records of each benchmark: its items and n-grams in the index."""
    return {
        name: {
            "items": index.items.get(name, 0),
            "items_shorter_than_ngram": index.short_items.get(name, 0),
            "ngrams": int(np.count_nonzero(index.tasks == i)),
        }
        for i, name in enumerate(index.names)
    }


def _warn_short(console: Any, index: BenchmarkIndex) -> None:
    from curate.progress import warn

    for name, k in sorted(index.short_items.items()):
        warn(
            console,
            f"{name}: {k:,} of {index.items[name]:,} items have fewer than {index.n} words "
            "and cannot match (lower --ngram to catch them)",
        )
