"""Findings: what the report calls out (missing, contradicted, undeclared…) and waivers.

A finding is a fact about the report, not a legal conclusion: "declared no personal
information, 12 documents hold an e-mail address". `--strict` turns unwaived findings
at or above a severity into exit 1 (PROVENANCE.md §6.4). A waiver acknowledges a
finding with a reason, an owner and an expiry; an expired waiver waives nothing and
is itself an error, so acknowledgements cannot silently outlive their review.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from curate.provenance.manifest import parse_date

RANK = {"info": 0, "warning": 1, "error": 2}

# Codes, in the order the report lists them (contradictions first).
CODES = (
    "CONTRADICTED",
    "UNDECLARED_SOURCE",
    "MISSING",
    "NO_LINEAGE",
    "WAIVER_EXPIRED",
    "UNKNOWN",
    "UNRECOGNISED_VALUE",
    "EMPTY_SOURCE",
    "NOT_MEASURED",
    "WAIVER_UNUSED",
    "EXEMPT",
)


@dataclass
class Finding:
    code: str
    severity: str
    item: int | None
    source: str | None
    message: str
    declared: Any = None
    measured: Any = None
    waived: bool = False
    waiver: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def sort_key(f: Finding) -> tuple[int, int, int, str]:
    return (-RANK[f.severity], CODES.index(f.code), f.item or 0, f.source or "")


def apply_waivers(
    findings: list[Finding], waivers: dict[str, dict[str, Any]], today: dt.date
) -> list[Finding]:
    """Mark waived findings; add an error per expired waiver and an info per unused one."""
    extra: list[Finding] = []
    used: set[str] = set()
    expired: set[str] = set()
    for key, w in waivers.items():
        until = parse_date(w.get("until"))
        if until is not None and until < today:
            expired.add(key)
    for f in findings:
        if f.item is None:
            continue
        for key in (f"{f.item}:{f.source}", f"{f.item}:*"):
            if key in waivers and f.code not in ("WAIVER_EXPIRED", "EXEMPT"):
                used.add(key)
                if key not in expired:
                    f.waived = True
                    f.waiver = {"key": key, **waivers[key]}
                break
    for key in sorted(waivers):
        item, _, source = key.partition(":")
        w = waivers[key]
        if key in expired:
            extra.append(
                Finding(
                    "WAIVER_EXPIRED",
                    "error",
                    int(item),
                    None if source == "*" else source,
                    f'waiver "{key}" ({w.get("by")}) expired on {w.get("until")}; renew it '
                    "after review or fix the finding",
                )
            )
        elif key not in used:
            extra.append(
                Finding(
                    "WAIVER_UNUSED",
                    "info",
                    int(item),
                    None if source == "*" else source,
                    f'waiver "{key}" matches no finding; remove it from [waivers]',
                )
            )
    return sorted(findings + extra, key=sort_key)


def failing(findings: list[Finding], fail_on: str = "error") -> list[Finding]:
    """The unwaived findings at or above `fail_on` (what makes `--strict` exit 1)."""
    return [f for f in findings if not f.waived and RANK[f.severity] >= RANK[fail_on]]
