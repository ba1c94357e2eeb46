"""What every filter family is: typed thresholds, declared reasons, one `check` per document.

A family answers "keep" (None) or "drop, because <reason>" for one document; the first
failing rule is the reason, as in datatrove (FILTERS.md §0.5). The runner
(`curate.filters.step`) does batching, counting, `--annotate`, `--rejected` and lineage.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from curate.filters.text import Doc


class Family:
    """Base of the families: subclasses are frozen dataclasses whose fields are thresholds."""

    name: ClassVar[str]
    reasons: ClassVar[tuple[str, ...]]
    # Our reason -> datatrove's reason string, for comparing counts with datatrove.
    datatrove_reasons: ClassVar[dict[str, str]] = {}
    # Columns this family adds to every output row: name -> Arrow type name.
    columns: ClassVar[dict[str, str]] = {}
    # Former parameter names filters.toml still accepts -> the current name.
    aliases: ClassVar[dict[str, str]] = {}

    def check(self, doc: Doc, stats: Counter[str]) -> str | None:
        """The first failing rule's reason, or None to keep the document."""
        raise NotImplementedError

    def check_batch(self, docs: list[Doc], stats: Counter[str]) -> list[str | None]:
        """Decide a batch; families with a batched model (language ID) override this."""
        return [self.check(d, stats) for d in docs]

    def annotations(self, doc: Doc) -> dict[str, Any]:
        """Values of `columns` for one document (after `check`)."""
        return {}

    def params(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)  # type: ignore[call-overload]

    def prepare(self) -> None:
        """Load what the family needs (model, lists) once per process, before a batch."""
