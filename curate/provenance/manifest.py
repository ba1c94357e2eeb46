"""The sources manifest (`sources.toml`, schema `curate.sources/1`, PROVENANCE.md §6.2).

Only a person can declare who owns a source, its licence or when it was first used;
`curate ingest --sources` stores that declaration in `_curate.json`, and every later
step carries it, so the report at the end of a pipeline still knows it. A field left
out is not an error here (the report marks its item missing); a value of the wrong
type is, because it would otherwise surface as a wrong answer in a legal report.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from curate.errors import CurateError

SCHEMA = "curate.sources/1"

_STR = "a string"
_BOOL = "true or false"
_DATE = "a date like 2025-06-02"
_LIST = "a list of strings"

# field -> (expected kind, allowed values or None)
SOURCE_FIELDS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "owner": (_STR, None),
    "origin": (_STR, None),
    "kind": (
        _STR,
        (
            "public-dataset",
            "licensed",
            "private-third-party",
            "crawled",
            "user-data",
            "synthetic",
            "first-party",
            "other",
        ),
    ),
    "description": (_STR, None),
    "purpose": (_STR, None),
    "roles": (_LIST, ("pretraining", "fine-tuning", "validation", "testing")),
    "labels": (_LIST, None),
    "license": (_STR, None),
    "copyright": (_STR, ("yes", "no", "unknown")),
    "trademark": (_STR, ("yes", "no", "unknown")),
    "patent": (_STR, ("yes", "no", "unknown")),
    "public_domain": (_STR, ("entirely", "partly", "no")),
    "acquisition": (_STR, ("purchased", "licensed", "both", "none")),
    "licensor": (_STR, None),
    "personal_information": (_STR, None),
    "aggregate_consumer_information": (_BOOL, None),
    "collection_start": (_DATE, None),
    "collection_end": (_DATE, None),
    "collection_ongoing": (_BOOL, None),
    "created_means": (_STR, None),
    "first_used": (_DATE, None),
    "synthetic": (_BOOL, None),
    "generator": (_STR, None),
    "synthetic_purpose": (_STR, None),
}


def load_sources(path: str | Path) -> dict[str, Any]:
    """Parse and validate a sources manifest; dates become ISO strings (JSON-safe)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CurateError(f"{p}: no such sources manifest") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CurateError(f"{p}: cannot read the sources manifest ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CurateError(f"{p}: not valid TOML ({exc})") from exc
    schema = data.get("schema", SCHEMA)
    if schema != SCHEMA:
        raise CurateError(f"{p}: schema = {schema!r} is not supported; expected {SCHEMA!r}")
    sources = data.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise CurateError(f"{p}: declares no sources; add a [sources.NAME] table per source")
    for name, decl in sources.items():
        if not isinstance(decl, dict):
            raise CurateError(f"{p}: sources.{name}: expected a table of fields")
        for key, value in decl.items():
            _check_field(p, name, key, value)
    return _jsonable(data)


def _check_field(p: Path, source: str, key: str, value: Any) -> None:
    spec = SOURCE_FIELDS.get(key)
    if spec is None:
        return  # extra fields are the user's own notes; they travel untouched
    kind, allowed = spec
    where = f"{p}: sources.{source}.{key}"
    ok = {
        _STR: isinstance(value, str),
        _BOOL: isinstance(value, bool),
        _DATE: isinstance(value, dt.date) and not isinstance(value, dt.datetime),
        _LIST: isinstance(value, list) and all(isinstance(v, str) for v in value),
    }[kind]
    if not ok:
        raise CurateError(f"{where}: expected {kind}, got {value!r}")
    if allowed is not None:
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise CurateError(f"{where}: {bad[0]!r} is not one of: {', '.join(allowed)}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def declaration_for(manifest: dict[str, Any], source: str, *, path: str) -> dict[str, Any]:
    """The declaration of one source, or a clear error listing the declared ones."""
    sources = manifest.get("sources", {})
    if source not in sources:
        raise CurateError(
            f"{path}: has no [sources.{source}] table (declared: {', '.join(sorted(sources))}); "
            "add one or pass the matching --source"
        )
    return dict(sources[source])
