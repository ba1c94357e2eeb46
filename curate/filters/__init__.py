"""Quality filters: the Gopher, C4 and FineWeb families, length, URL lists, language ID.

Library entry points (the CLI is a thin layer over these):

    from curate.filters import build_chain, filter_dataset
    chain = build_chain(preset="fineweb", lang=["en"])
    filter_dataset("raw/", "filtered/", chain, rejected="rejected/")
"""

from __future__ import annotations

from curate.filters.registry import FAMILIES, PRESETS, build_chain, load_config, make_family
from curate.filters.step import FilterStep, decide, filter_dataset

__all__ = [
    "FAMILIES",
    "PRESETS",
    "FilterStep",
    "build_chain",
    "decide",
    "filter_dataset",
    "load_config",
    "make_family",
]
