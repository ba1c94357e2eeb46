"""`curate dedup`: exact and MinHash-LSH near-duplicate removal, staged over files.

Stages (DESIGN.md §3), each a map over files through the executor:

1. **signatures** (per shard): normalised-text hash, shingle count and a K-value
   MinHash signature per document, vectorised over batches; cached in
   `<output>/_cache/signatures/` and reused by reruns and by `--against`.
2. **exact groups** (in the parent, 16 bytes a document): documents with equal
   normalised-text hashes; only the first of each group is banded.
3. **bands** (per shard): one hash per band, written band-major to the work folder.
4. **candidates** (per band): equal band hashes → candidate pairs.
5. **verify** (per shard holding candidates): the true Jaccard of the two shingle
   sets (or the signature estimate), so banding false positives remove nothing.
6. **components**: union-find over exact and verified near pairs; the keep policy
   picks one document per cluster.
7. **filter** (per shard, `curate.step.run_map`): output shard k from input shard k.

`dedup()` is a short driver over one function a stage: `signatures_stage`
(`signatures.py`), `exact_stage` (`index.py`, with the global document index the
later stages share), `bands_stage` and `candidates_stage` (`bands.py`),
`verify_stage` (`verify.py`), `components_stage` (`clusters.py`) and `filter_stage`
(`filter_pass.py`). Their files live in the work folder, `<output>/_cache/run/`, and
the signature cache in `<output>/_cache/signatures/`: on the output's own filesystem,
a local folder or the bucket of an `s3://`/`gs://` output, so that workers on any
host reach them (`workfiles`).

Stages 4-6 hold only candidate pairs and candidate documents in memory. Global
document order (manifest shard order, then row order) decides every tie, so the
result does not depend on worker count or on which shard finished first.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from curate.dataset import (
    Dataset,
    DatasetWriter,
    begin_all,
    open_dataset,
    write_table_dataset,
)
from curate.dedup import cache, workfiles
from curate.dedup.bands import bands_stage, candidates_stage
from curate.dedup.clusters import components_stage
from curate.dedup.filter_pass import DedupFilter, filter_stage
from curate.dedup.index import exact_stage, load_index
from curate.dedup.options import DedupOptions, make_options
from curate.dedup.signatures import signatures_stage
from curate.dedup.verify import verify_stage
from curate.errors import CurateError
from curate.executor import Executor, make_executor
from curate.locations import check_locations, dataset_inputs
from curate.progress import human_bytes, summary_table
from curate.schema import check_core
from curate.step import MapResult, run_map, step_params

__all__ = ["DedupOptions", "DedupResult", "dedup", "make_options", "print_summary"]

CLUSTERS_SHARD = "part-00000.parquet"  # the clusters dataset's one shard


# --------------------------------------------------------------------------- orchestration


@dataclass
class DedupResult:
    """What `dedup` did, for the summary table and the caller."""

    map: MapResult
    facts: dict[str, Any]
    stage_seconds: dict[str, float]

    @property
    def up_to_date(self) -> bool:
        return self.map.up_to_date

    def summary_rows(self) -> list[tuple[str, str]]:
        m = self.map
        rows = [("documents in", f"{m.rows_in:,}"), ("documents out", f"{m.rows_out:,}")]
        for reason, n in sorted(m.removed.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append((f"removed: {reason}", f"{n:,}"))
        f = self.facts
        for key in (
            "clusters",
            "documents_in_clusters",
            "exact_pairs",
            "candidate_pairs",
            "checked_pairs",
            "verified_pairs",
            "against_documents",
        ):
            if key in f:
                rows.append((key.replace("_", " "), f"{f[key]:,}"))
        if "bands" in f:
            rows.append(("bands x rows", f"{f['bands']} x {f['rows']} of {f['num_perm']}"))
        if f.get("null_text"):
            rows.append(("null text (kept)", f"{f['null_text']:,}"))
        if m.dataset is not None:
            rows.append(("bytes out", human_bytes(m.dataset.bytes)))
        for stage, s in self.stage_seconds.items():
            rows.append((f"time: {stage}", f"{s:.1f} s"))
        rows.append(("time", f"{m.seconds:.1f} s"))
        return rows


def dedup(
    source: str | Path,
    output: str | Path,
    *,
    options: DedupOptions,
    rejected: str | Path | None = None,
    clusters: str | Path | None = None,
    against: str | Path | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    overwrite: bool = False,
    console: Any = None,
) -> DedupResult:
    """Remove exact and near duplicates from the dataset at `source`, writing `output`.

    The stages of the module docstring, in order; each takes and returns explicit
    values, and their files live in the work folder (`<output>/_cache/run/`).
    """
    t0 = time.monotonic()
    ds = open_dataset(source)
    check_core(ds.schema, where=ds.location)
    out = str(output)
    against = str(against) if against is not None else None
    _check_outputs(ds, out, rejected, clusters, against)
    keep_col = _check_keep(options.keep, ds)
    # signatures and stage files: the output's `_cache/`, on the output's own filesystem
    # (a local folder, or its object store) where every worker on any host can read them
    cache_root = workfiles.child(out, cache.CACHE)
    work = workfiles.child(cache_root, "run")
    step = DedupFilter(options, str(workfiles.child(work, "removed.parquet")), against)
    params = step_params(step, ds, rejected)
    with contextlib.ExitStack() as held:  # the outputs' locks, released however it ends
        if _claim_outputs(held, ds, out, rejected, clusters, params, overwrite):
            # a run killed after its commit, before it removed its work folder, left it
            with contextlib.suppress(OSError):
                workfiles.delete(work)
            res = run_map(step, ds, out, rejected=rejected, workers=1, console=console)
            return DedupResult(res, {}, {})
        executor = _executor_for(ds, against, executor, workers)
        times: dict[str, float] = {}
        workfiles.delete(work)  # what a killed run left
        workfiles.make(work)

        with _timed(times, "signatures"):  # 1.
            sig_dir = workfiles.child(cache_root, cache.SIGNATURES)
            colls, computed = signatures_stage(
                ds, against, options, sig_dir, work, executor, console
            )
        with _timed(times, "exact"):  # 2. (and the global index)
            index = load_index(colls, has_against=against is not None)
            exact = exact_stage(index)
        facts: dict[str, Any] = {
            "exact_pairs": int(len(exact.pairs)),
            "signature_shards_computed": computed,
        }
        if against is not None:
            facts["against_signatures"] = "reused" if colls[0].reused else "computed"
        near = np.zeros((0, 2), np.int64)
        if not options.exact_only:
            facts.update(bands=options.bands, rows=options.rows, num_perm=options.num_perm)
            with _timed(times, "bands"):  # 3.
                band_dir = workfiles.child(work, "bands")
                bands = bands_stage(index, exact.is_rep, options, band_dir, executor, console)
            with _timed(times, "candidates"):  # 4.
                cand = candidates_stage(bands, options, index.n_against, executor, console)
                facts["candidate_pairs"] = int(len(cand))
            with _timed(times, "verify"):  # 5.
                near = verify_stage(cand, index, options, executor, console, facts)
                facts["verified_pairs"] = int(len(near))
        with _timed(times, "components"):  # 6. (and the keep policy)
            removed, clusters_tab, cfacts = components_stage(
                exact.pairs,
                near,
                index,
                options,
                keep_col,
                executor,
                workfiles.child(work, "components"),
            )
            facts.update(cfacts)
            facts["null_text"] = int(index.null[index.n_against :].sum())
            if against is not None:
                facts["against_documents"] = int(index.n_against)
            step.write_removed(removed)
        if clusters is not None:  # committed before the output: see `run_map`
            _write_clusters(clusters, clusters_tab, ds, params, facts)
        with _timed(times, "filter"):  # 7.
            stage_seconds = {k: round(v, 2) for k, v in times.items()}
            lineage = {"dedup": {**facts, "stage_seconds": stage_seconds}}
            res = filter_stage(step, ds, out, rejected, executor, console, lineage)
        with contextlib.suppress(OSError):  # the run is committed: a leftover is harmless
            workfiles.delete(work)
        res.seconds = time.monotonic() - t0
        return DedupResult(res, facts, times)


@contextlib.contextmanager
def _timed(times: dict[str, float], stage: str) -> Iterator[None]:
    """Record the seconds a stage took in `times` (for the summary and the lineage)."""
    t = time.monotonic()
    yield
    times[stage] = time.monotonic() - t


def _check_outputs(
    ds: Dataset,
    out: str,
    rejected: str | Path | None,
    clusters: str | Path | None,
    against: str | None,
) -> None:
    """No output may be, or overlap, the input or the `--against` dataset (exit 2)."""
    inputs = dataset_inputs(ds.location, [s.path for s in ds.shards])
    if against is not None:
        ads = open_dataset(against)
        inputs += [
            ("--against dataset", p)
            for _, p in dataset_inputs(ads.location, [s.path for s in ads.shards])
        ]
    check_locations({"-o": out, "--rejected": rejected, "--clusters": clusters}, inputs)


def _claim_outputs(
    held: contextlib.ExitStack,
    ds: Dataset,
    out: str,
    rejected: str | Path | None,
    clusters: str | Path | None,
    params: dict[str, Any],
    overwrite: bool,
) -> bool:
    """Lock and begin every output before the work (held until `held` closes), so a
    clash is reported before, not after, it (and a lock a killed run left in one of
    them is taken over, then released). True when the output is already up to date."""
    names = [s.name for s in ds.shards]
    main = DatasetWriter(
        out,
        step="dedup",
        params=params,
        overwrite=overwrite,
        owns=[cache.CACHE, *names],
        # the signature cache depends only on the input and the shingling, which its own
        # metadata checks: --overwrite keeps it
        preserve=[cache.CACHE],
    )
    others = [
        (
            DatasetWriter(
                folder, step=role, params=params, overwrite=overwrite, owns=owns, command="dedup"
            ),
            role,
            folder,
        )
        for folder, role, owns in (
            (rejected, "dedup-rejected", names),
            (clusters, "dedup-clusters", [CLUSTERS_SHARD]),
        )
        if folder is not None
    ]
    for writer in [main, *(w for w, _, _ in others)]:
        held.enter_context(writer)
    # marks the output ours before the stages write `_cache/` into it; all are checked
    # before any is claimed
    state, *claims = begin_all(main, *(w for w, _, _ in others))
    assert state is not None
    for claimed, (_, role, folder) in zip(claims, others, strict=True):
        assert claimed is not None
        if state.up_to_date and not claimed.up_to_date:
            raise CurateError(
                f"{out}: is complete but its {role.split('-')[1]} dataset {folder} is "
                "not; re-run with --overwrite to write both again"
            )
    return state.up_to_date


def _executor_for(
    ds: Dataset, against: str | None, executor: Executor | None, workers: int | None
) -> Executor:
    """The run's executor, sized by the input and `--against` together: small inputs
    run on threads of this process (their NumPy work releases the GIL), not worker
    processes whose imports would cost more than the parallelism saves."""
    docs, stored = ds.rows, ds.bytes
    if against is not None:
        more_docs, more_stored = _size_of(against)
        docs, stored = docs + more_docs, stored + more_stored
    return (executor or make_executor(workers)).for_input(docs, stored)


def _write_clusters(
    clusters: str | Path,
    table: pa.Table,
    ds: Dataset,
    params: dict[str, Any],
    facts: dict[str, Any],
) -> None:
    write_table_dataset(
        clusters,
        table,
        step="dedup-clusters",
        params=params,
        sources=ds.sources,
        lineage_step={"clusters": facts.get("clusters", 0), "rows_out": table.num_rows},
        command="dedup",
    )


def _size_of(spec: str | Path) -> tuple[int, int]:
    """(documents, stored bytes) of a dataset (zeros if it cannot be opened: reported later)."""
    try:
        ds = open_dataset(spec)
    except CurateError:
        return 0, 0
    return ds.rows, ds.bytes


def _check_keep(keep: str, ds: Dataset) -> str | None:
    if keep in ("first", "longest", "none"):
        return None
    if keep not in ds.schema.names:
        raise CurateError(
            f"--keep {keep}: no such column in {ds.location}; use first, longest, none or "
            f"a numeric column ({', '.join(_numeric_columns(ds.schema)) or 'there is none'})"
        )
    t = ds.schema.field(keep).type
    if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)):
        raise CurateError(
            f"--keep {keep}: column is {t}, not a number; keep needs a numeric column "
            "(the highest value survives), e.g. a quality score"
        )
    return keep


def _numeric_columns(schema: pa.Schema) -> list[str]:
    return [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)]


def print_summary(console: Any, result: DedupResult, output: str) -> None:
    if console.quiet:  # a quiet console still renders what it is given
        return
    if result.up_to_date:
        console.print(f"{output}: up to date (same input and options); nothing to do")
        return
    console.print(summary_table(f"curate dedup → {output}", result.summary_rows()))
