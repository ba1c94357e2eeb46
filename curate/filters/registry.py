"""Family names, presets and `filters.toml`: from user words to a checked filter chain.

Every name a user can type (family, threshold) is validated here, so a typo is one
`error:` line naming the valid choices (exit 2), never a silently ignored setting.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from curate.errors import CurateError
from curate.filters.base import Family
from curate.filters.c4 import C4
from curate.filters.fineweb_quality import FineWebQuality
from curate.filters.gopher_quality import GopherQuality
from curate.filters.gopher_repetition import GopherRepetition
from curate.filters.language import Language
from curate.filters.length import Length
from curate.filters.url import Url

FAMILIES: dict[str, type[Family]] = {
    f.name: f for f in (GopherQuality, GopherRepetition, C4, FineWebQuality, Language, Length, Url)
}

# name -> [(family, parameters)], in order. No language step (CLI.md): add `--lang`.
PRESETS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    # Gopher (Rae et al. 2021): quality filtering, then repetition removal.
    "gopher": [("gopher_quality", {}), ("gopher_repetition", {})],
    "c4": [("c4", {})],
    # datatrove's examples/fineweb.py after extraction (url needs lists: add it by config).
    "fineweb": [
        ("gopher_repetition", {}),
        ("gopher_quality", {}),
        ("c4", {"filter_no_terminal_punct": False}),
        ("fineweb_quality", {}),
    ],
}


def _choices(names: Any) -> str:
    return ", ".join(names)


def _coerce(value: Any, typ: str, where: str) -> Any:
    """Check a TOML value against a field's annotation (as a string) and convert it."""
    optional = typ.endswith("| None")
    base = typ.removesuffix(" | None")
    if value is None and optional:
        return None
    ok: Any
    if base == "bool":
        ok = isinstance(value, bool)
        want = "true or false"
    elif base == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        want = "an integer"
    elif base == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
        want = "a number"
    elif base == "str":
        ok = isinstance(value, str)
        want = "a string"
    elif base == "tuple[str, ...]":
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
        want = "a list of strings"
    elif base == "tuple[tuple[int, float], ...]":
        ok = isinstance(value, list) and all(
            isinstance(v, list)
            and len(v) == 2
            and isinstance(v[0], int)
            and not isinstance(v[0], bool)
            and v[0] >= 1
            and isinstance(v[1], int | float)
            for v in value
        )
        value = tuple((int(n), float(f)) for n, f in value) if ok else value
        want = "a list of [n, fraction] pairs, e.g. [[2, 0.2], [3, 0.18]]"
    else:  # pragma: no cover - a new field type needs a branch here
        raise AssertionError(f"no coercion for {typ}")
    if not ok:
        raise CurateError(f"{where}: expected {want}{' (or omit it)' if optional else ''}")
    return value


def make_family(name: str, params: dict[str, Any], where: str = "filter") -> Family:
    """One family with its thresholds checked by name and type."""
    cls = FAMILIES.get(name)
    if cls is None:
        raise CurateError(f"{where}: unknown filter `{name}`; choose one of: {_choices(FAMILIES)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs = {}
    for key, value in params.items():
        key = cls.aliases.get(key, key)
        if key not in fields:
            raise CurateError(
                f"{where}: `{key}` is not a parameter of filter `{name}`; valid: {_choices(fields)}"
            )
        kwargs[key] = _coerce(value, str(fields[key].type), f"{where}: `{name}.{key}`")
    return cls(**kwargs)


def load_config(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """`[[filter]]` tables of a filters.toml, in order: (family, parameters)."""
    import tomllib  # here, not at the top: every worker imports this module

    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CurateError(f"{path}: --config file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CurateError(f"{path}: not valid TOML ({exc})") from exc
    except OSError as exc:
        raise CurateError(f"{path}: cannot read --config ({exc.strerror})") from exc
    extra = sorted(set(data) - {"filter"})
    if extra:
        raise CurateError(
            f"{path}: unknown key `{extra[0]}`; a filters.toml holds [[filter]] tables"
        )
    tables = data.get("filter", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise CurateError(f"{path}: `filter` must be a list of [[filter]] tables")
    out = []
    for i, t in enumerate(tables, 1):
        family = t.get("family")
        if not isinstance(family, str):
            raise CurateError(
                f"{path}: [[filter]] #{i} has no `family`; choose one of: {_choices(FAMILIES)}"
            )
        if family not in FAMILIES:
            raise CurateError(
                f"{path}: [[filter]] #{i}: unknown filter `{family}`; "
                f"choose one of: {_choices(FAMILIES)}"
            )
        out.append((family, {k: v for k, v in t.items() if k != "family"}))
    return out


def build_chain(
    *,
    preset: str | None = None,
    filters: list[str] | None = None,
    config: str | Path | None = None,
    lang: list[str] | None = None,
    min_lang_score: float | None = None,
    lang_model: str | None = None,
) -> list[Family]:
    """The ordered chain: `--preset`, overridden by `--config`, overridden by flags.

    - `--filters` names the families to run (in order); `--config` tables for those
      families set their parameters; without `--filters` the chain is the preset's,
      with config tables for families the preset holds applied in place and the other
      config tables added before the preset's families (in config order).
    - `--lang`, `--min-lang-score`, `--lang-model` set the `language` step's
      parameters, adding it first in the chain when it is not there.
    """
    if preset is not None and preset not in PRESETS:
        raise CurateError(
            f"--preset: unknown preset `{preset}`; choose one of: {_choices(PRESETS)}"
        )
    chain: list[tuple[str, dict[str, Any], str]] = [
        (n, dict(p), f"--preset {preset}") for n, p in PRESETS.get(preset or "", [])
    ]
    tables = load_config(config) if config is not None else []
    if filters:
        for name in filters:
            if name not in FAMILIES:
                raise CurateError(
                    f"--filters: unknown filter `{name}`; choose one of: {_choices(FAMILIES)}"
                )
        if len(set(filters)) != len(filters):
            raise CurateError("--filters: a filter is named twice; name each family once")
        base = {n: p for n, p, _ in chain}
        chain = [(n, dict(base.get(n, {})), "--filters") for n in filters]
    where_cfg = str(config)
    added: list[tuple[str, dict[str, Any], str]] = []
    for family, params in tables:
        hit = [c for c in chain if c[0] == family]
        if hit:
            hit[0][1].update(params)
        elif not filters:
            if any(a[0] == family for a in added):
                raise CurateError(f"{where_cfg}: filter `{family}` appears twice; merge its tables")
            added.append((family, dict(params), where_cfg))
    chain = added + chain
    if lang is not None or min_lang_score is not None or lang_model is not None:
        hit = [c for c in chain if c[0] == "language"]
        entry = hit[0] if hit else ("language", {}, "--lang")
        if not hit:
            chain.insert(0, entry)
        if lang is not None:
            entry[1]["languages"] = lang
        if min_lang_score is not None:
            entry[1]["min_lang_score"] = min_lang_score
        if lang_model is not None:
            entry[1]["model"] = lang_model
    if not chain:
        raise CurateError(
            "nothing to run: give --preset, --filters, --config or --lang",
            hint=f"e.g. --preset fineweb; presets: {_choices(PRESETS)}; "
            f"filters: {_choices(FAMILIES)}",
        )
    return [make_family(n, p, where) for n, p, where in chain]
