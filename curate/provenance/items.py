"""The twelve items of Cal. Civ. Code §3111(a) (AB 2013), numbered as in the statute.

The titles are our paraphrase (PROVENANCE.md §1), not the statute's words; the keys
are a public interface (`report.json`, `checks.toml` rules and users' scripts use them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    number: int
    key: str
    title: str

    @property
    def citation(self) -> str:
        return f"Cal. Civ. Code §3111(a)({self.number})"


ITEMS: tuple[Item, ...] = (
    Item(1, "sources_or_owners", "Sources or owners of the datasets"),
    Item(2, "purpose", "How the datasets further the intended purpose of the system"),
    Item(3, "data_points", "Number of data points in the datasets"),
    Item(4, "data_point_types", "Description of the types of data points"),
    Item(
        5, "ip_status", "Copyright, trademark or patent protected data, or entirely public domain"
    ),
    Item(6, "purchased_or_licensed", "Whether the datasets were purchased or licensed"),
    Item(7, "personal_information", "Whether the datasets include personal information"),
    Item(
        8, "aggregate_consumer_information", "Whether they include aggregate consumer information"
    ),
    Item(9, "processing", "Cleaning, processing or other modification, and its intended purpose"),
    Item(10, "collection_period", "Time period of collection, with notice if ongoing"),
    Item(11, "first_used", "Dates the datasets were first used during development"),
    Item(12, "synthetic_data", "Whether synthetic data generation was used"),
)
BY_NUMBER = {i.number: i for i in ITEMS}

STATUSES = ("declared", "measured", "consistent", "contradicted", "missing", "n/a")
SEVERITIES = ("info", "warning", "error")

# Built-in purpose texts of curate's steps (item 9); `[processing.purpose]` overrides them.
STEP_PURPOSES = {
    "ingest": "Read raw records into documents with ids, sources and dates; skip unreadable, "
    "empty and repeated records",
    "filter": "Remove low-quality, boilerplate and out-of-scope documents (quality heuristics, "
    "language)",
    "dedup": "Remove exact and near-duplicate documents to reduce memorisation and "
    "over-weighting of repeated text",
    "score": "Attach quality signals and classifier scores used to select training data",
    "train-classifier": "Train a quality classifier used to score documents",
    "tag-synthetic": "Mark machine-generated documents, declared or detected",
    "pii": "Detect (and where configured redact or drop) personal information such as e-mail "
    "addresses and phone numbers",
    "decontaminate": "Keep evaluation benchmarks out of the training data: find their items "
    "(word n-grams) in documents and drop, mark or cut them",
    "tokens": "Count each document's tokens with the model's tokenizer (training data size)",
    "mix": "Combine sources into a training mixture with chosen weights, sampling documents "
    "(dropping or repeating them) by a seed, shuffling, and holding out evaluation splits",
}


def overall_status(statuses: list[str]) -> str:
    """The worst status of an item's sources (CLI.md): contradicted, missing, then the rest.

    Among answered statuses the weakest wins: a single merely declared source keeps the
    whole from reading as "consistent".
    """
    if not statuses:
        return "missing"
    for worst in ("contradicted", "missing", "declared", "measured", "consistent"):
        if worst in statuses:
            return worst
    return "n/a"
