"""The options every reader sees (the ingest command's field mapping and choices)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadOptions:
    """How to turn a record into a document.

    The `*_field` defaults are the names most dumps use (Dolma, RedPajama, HF
    datasets); a field that a record lacks simply leaves its column null, except
    the text field, whose absence skips the record as `missing_text`.
    """

    source: str
    text_field: str = "text"
    id_field: str = "id"
    url_field: str = "url"
    created_field: str = "created"
    per_line: bool = False
    extractor: str = "curate"
