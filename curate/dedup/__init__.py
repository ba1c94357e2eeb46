"""Exact and MinHash-LSH near-duplicate removal (`curate dedup`).

`dedup(source, output, options=make_options(...))` is the library entry point the CLI
calls; see `curate.dedup.run` for the stages.
"""

from __future__ import annotations

from curate.dedup.run import DedupOptions, DedupResult, dedup, make_options

__all__ = ["DedupOptions", "DedupResult", "dedup", "make_options"]
