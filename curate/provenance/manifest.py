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


# --------------------------------------------------------------------------- report tables
#
# `curate ingest` needs only a source's declaration; the report also reads the system,
# the processing purposes, the waivers and the tolerances. They are validated here, with
# the same one-line errors, when the report (or anything else) loads the whole manifest.

_INT = "a whole number"
_NUMBER = "a number between 0 and 1"
_TABLE = "a table"

EXEMPTIONS = ("none", "security-integrity", "aircraft", "national-security")
PERSONAL_INFORMATION = ("none", "possible", "present", "present-redacted")
CREATED_MEANS = ("collected", "published")

# Fields of a source the report reads beyond SOURCE_FIELDS (PROVENANCE.md §6.1, §6.2).
EXTRA_SOURCE_FIELDS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "data_points_estimate": (_INT, None),
    "agreement_ref": (_STR, None),
    "crawler": (_TABLE, None),
}

SYSTEM_FIELDS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "developer": (_STR, None),
    "name": (_STR, None),
    "version": (_STR, None),
    "release_date": (_DATE, None),
    "substantial_modification_of": (_STR, None),
    "intended_purpose": (_STR, None),
    "exemption": (_STR, EXEMPTIONS),
    "disclosure_url": (_STR, None),
    "eu": (_TABLE, None),
}

EU_FIELDS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "provider_contact": (_STR, None),
    "authorised_representative": (_STR, None),
    "model_dependencies": (_STR, None),
    "placed_on_market": (_DATE, None),
    "continuous_training": (_BOOL, None),
    "code_of_practice_signatory": (_BOOL, None),
    "tdm_optout_measures": (_STR, None),
    "illegal_content_measures": (_STR, None),
    "user_data": (_STR, None),
    "other_sources": (_STR, None),
    "summary_version": (_STR, None),
    "sme": (_BOOL, None),
}

# Defaults of PROVENANCE.md §6.1; a [tolerances] table overrides them.
TOLERANCES: dict[str, float] = {
    "pii_tolerance": 0.0,  # share of documents with a PII detection a "none" declaration allows
    "date_tolerance": 0.001,  # share of documents dated outside the collection window
    "synthetic_tolerance": 0.05,  # detected-synthetic share a `synthetic = false` source allows
    "license_mismatch_tolerance": 0.01,  # share of other licence markers beside a declared SPDX id
}

WAIVER_FIELDS = ("reason", "by", "until")


def load_manifest(path: str | Path) -> dict[str, Any]:
    """The whole manifest as the report reads it: sources, system, processing, waivers.

    `load_sources` validates what ingest needs; this also validates the tables only
    the report reads, so a typo in `[waivers]` is an exit 2 before any work, not a
    report that silently ignores it. Unknown top-level tables travel untouched.
    """
    p = Path(path)
    data = load_sources(p)
    check_report_tables(data, where=str(p))
    return data


def check_report_tables(data: dict[str, Any], *, where: str) -> None:
    """Validate `[system]`, `[processing]`, `[waivers]`, `[tolerances]` and extra fields.

    Works on the JSON form (dates as ISO strings), so it also checks declarations
    carried in a dataset's `_curate.json`.
    """
    for name, decl in (data.get("sources") or {}).items():
        if not isinstance(decl, dict):
            raise CurateError(f"{where}: sources.{name}: expected a table of fields")
        for key, value in decl.items():
            spec = SOURCE_FIELDS.get(key) or EXTRA_SOURCE_FIELDS.get(key)
            if spec is not None:
                _check_json_value(f"{where}: sources.{name}.{key}", value, *spec)
    system = data.get("system")
    if system is not None:
        if not isinstance(system, dict):
            raise CurateError(f"{where}: system: expected a table ([system])")
        for key, value in system.items():
            if key in SYSTEM_FIELDS:
                _check_json_value(f"{where}: system.{key}", value, *SYSTEM_FIELDS[key])
        for key, value in (system.get("eu") or {}).items():
            if key in EU_FIELDS:
                _check_json_value(f"{where}: system.eu.{key}", value, *EU_FIELDS[key])
    processing = data.get("processing")
    if processing is not None:
        purposes = processing.get("purpose", {}) if isinstance(processing, dict) else None
        if not isinstance(purposes, dict):
            raise CurateError(f"{where}: processing.purpose: expected a table of step = text")
        for step, text in purposes.items():
            _check_json_value(f"{where}: processing.purpose.{step}", text, _STR, None)
    tolerances = data.get("tolerances")
    if tolerances is not None:
        if not isinstance(tolerances, dict):
            raise CurateError(f"{where}: tolerances: expected a table")
        for key, value in tolerances.items():
            if key not in TOLERANCES:
                raise CurateError(
                    f"{where}: tolerances.{key}: unknown tolerance; known: {', '.join(TOLERANCES)}"
                )
            _check_json_value(f"{where}: tolerances.{key}", value, _NUMBER, None)
    waivers = data.get("waivers")
    if waivers is not None:
        if not isinstance(waivers, dict):
            raise CurateError(f"{where}: waivers: expected a table")
        for key, waiver in waivers.items():
            check_waiver(key, waiver, where=where)


def check_waiver(key: str, waiver: Any, *, where: str) -> None:
    """A waiver is keyed `"ITEM:SOURCE"` (`"7:cc_web"`, `"7:*"`) and names reason, owner, expiry."""
    head, _, tail = str(key).partition(":")
    if not (head.isdigit() and 1 <= int(head) <= 12 and tail):
        raise CurateError(
            f'{where}: waivers."{key}": key must be "ITEM:SOURCE" with ITEM 1-12 '
            '(e.g. "7:cc_web", or "7:*" for every source)'
        )
    if not isinstance(waiver, dict):
        raise CurateError(f'{where}: waivers."{key}": expected a table {{ reason, by, until }}')
    missing = [f for f in WAIVER_FIELDS if f not in waiver]
    if missing:
        raise CurateError(
            f'{where}: waivers."{key}": a waiver must name {", ".join(WAIVER_FIELDS)}; '
            f"add {', '.join(missing)}"
        )
    _check_json_value(f'{where}: waivers."{key}".reason', waiver["reason"], _STR, None)
    _check_json_value(f'{where}: waivers."{key}".by', waiver["by"], _STR, None)
    _check_json_value(f'{where}: waivers."{key}".until', waiver["until"], _DATE, None)


def _check_json_value(where: str, value: Any, kind: str, allowed: tuple[str, ...] | None) -> None:
    """Type check on the JSON form: a date is an ISO string (or a TOML date before conversion)."""
    if kind == _DATE:
        ok = parse_date(value) is not None
    elif kind == _INT:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif kind == _NUMBER:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
    elif kind == _TABLE:
        ok = isinstance(value, dict)
    elif kind == _STR:
        ok = isinstance(value, str)
    elif kind == _BOOL:
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    if not ok:
        raise CurateError(f"{where}: expected {kind}, got {value!r}")
    if allowed is not None:
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise CurateError(f"{where}: {bad[0]!r} is not one of: {', '.join(allowed)}")


def parse_date(value: Any) -> dt.date | None:
    """A declared date (TOML date or its ISO string), or None when it is not one."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def manifest_from_dataset(ds_manifest: dict[str, Any] | None) -> dict[str, Any]:
    """The declarations a dataset carries (`_curate.json`), in the shape of `load_manifest`.

    Ingest stores each source's declaration and the `[system]` table; processing
    purposes, waivers and tolerances are not carried, so their defaults apply.
    """
    m = ds_manifest or {}
    return {
        "schema": SCHEMA,
        "system": dict(m.get("system") or {}),
        "sources": {k: dict(v) for k, v in (m.get("sources") or {}).items()},
    }
