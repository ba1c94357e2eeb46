"""`curate check`: declarative data checks a CI job runs against a dataset.

`checks.toml` is a list of `[[check]]` tables (CLI.md): a `metric`, its parameters
(`column`, `q`, `value`, `values`, `query`, `path`…) and bounds (`min`, `max`,
`equals`). Rules are validated against the dataset's schema before any data is
read, so a typo is an exit 2 naming the valid choices, not a check that "fails".
All column metrics are computed in one pass over the columns they need; memory is
bounded by the batch except for `distinct_fraction` and `duplicate_fraction` (8 bytes
per distinct value) and `quantile` (8 bytes per row of that column). `sql` runs a
Polars SQL query over the table `data` with Polars' streaming engine.
"""

from __future__ import annotations

import json
import math
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from curate.dataset import Dataset, open_dataset
from curate.errors import CurateError

SEVERITIES = ("error", "warning")
BOUNDS = ("min", "max", "equals")
COMMON = ("name", "metric", "severity", "description", *BOUNDS)

# metric -> (required keys, optional keys); `column` metrics read one column.
METRICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "documents": ((), ()),
    "bytes": ((), ()),
    "shards": ((), ()),
    "columns": (("require",), ()),
    "null_fraction": (("column",), ()),
    "empty_fraction": (("column",), ()),
    "distinct_fraction": (("column",), ()),
    "mean": (("column",), ()),
    "min": (("column",), ()),
    "max": (("column",), ()),
    "quantile": (("column", "q"), ()),
    "share": (("column", "value"), ()),
    "max_share": (("column",), ()),
    "outside_fraction": (("column", "values"), ()),
    "duplicate_fraction": ((), ()),
    "sql": (("query",), ()),
    "report_findings": (("path",), ("severity_at_least",)),
}
NUMERIC_METRICS = {"mean", "min", "max", "quantile"}
# Metrics whose value is a fraction: a bound outside 0–1 can never fail (or never pass),
# and is most often a percentage written as a number (`max = 5` for 5 %).
FRACTION_METRICS = {
    "null_fraction",
    "empty_fraction",
    "distinct_fraction",
    "share",
    "max_share",
    "outside_fraction",
    "duplicate_fraction",
}
COLUMN_METRICS = {m for m, (req, _) in METRICS.items() if "column" in req}


@dataclass
class Check:
    """One `[[check]]` table, validated."""

    index: int
    metric: str
    name: str
    severity: str = "error"
    min: float | None = None
    max: float | None = None
    equals: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def column(self) -> str | None:
        return self.params.get("column")

    def expected(self) -> str:
        if self.metric == "columns":
            return "has " + ", ".join(self.params["require"])
        if self.equals is not None:
            return f"= {_fmt(self.equals)}"
        if self.min is not None and self.max is not None:
            return f"{_fmt(self.min)} ≤ x ≤ {_fmt(self.max)}"
        if self.min is not None:
            return f"≥ {_fmt(self.min)}"
        return f"≤ {_fmt(self.max)}"

    def accepts(self, value: float) -> bool:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        if self.equals is not None and not math.isclose(value, self.equals, abs_tol=1e-12):
            return False
        if self.min is not None and value < self.min:
            return False
        return not (self.max is not None and value > self.max)


@dataclass
class Result:
    name: str
    metric: str
    column: str | None
    severity: str
    expected: str
    actual: Any
    passed: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        """As a dict for `--json`: a NaN or infinite `actual` becomes null (JSON has no
        number for them; `jq` and most parsers reject Python's `NaN`), and `message` says why.
        """
        out = asdict(self)
        if isinstance(self.actual, float) and not math.isfinite(self.actual):
            out["actual"] = None
        return out


@dataclass
class CheckRun:
    dataset: str
    results: list[Result]

    @property
    def failed(self) -> list[Result]:
        """Failing checks of severity `error`: these make the run exit 1."""
        return [r for r in self.results if not r.passed and r.severity == "error"]

    @property
    def warned(self) -> list[Result]:
        return [r for r in self.results if not r.passed and r.severity == "warning"]

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "passed": not self.failed,
            "counts": {
                "checks": len(self.results),
                "passed": sum(r.passed for r in self.results),
                "failed": len(self.failed),
                "warnings": len(self.warned),
            },
            "checks": [r.to_json() for r in self.results],
        }


# --------------------------------------------------------------------------- rules


def load_rules(path: str | Path) -> list[Check]:
    """Parse and validate `checks.toml` (exit 2 on anything a user must fix)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CurateError(f"{p}: no such rules file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CurateError(f"{p}: cannot read the rules file ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CurateError(f"{p}: not valid TOML ({exc})") from exc
    extra = sorted(set(data) - {"check"})
    if extra:
        raise CurateError(f"{p}: unknown top-level key `{extra[0]}`; checks are [[check]] tables")
    tables = data.get("check")
    if not isinstance(tables, list) or not tables:
        raise CurateError(f"{p}: no [[check]] tables; add at least one check")
    return [_parse_check(p, i, t) for i, t in enumerate(tables, 1)]


def _parse_check(p: Path, i: int, t: Any) -> Check:
    where = f"{p}: check {i}"
    if not isinstance(t, dict):
        raise CurateError(f"{where}: expected a [[check]] table")
    metric = t.get("metric")
    if metric not in METRICS:
        raise CurateError(
            f"{where}: unknown metric {metric!r}; valid metrics: {', '.join(METRICS)}"
            if metric is not None
            else f"{where}: no `metric`; valid metrics: {', '.join(METRICS)}"
        )
    required, optional = METRICS[metric]
    allowed = (*COMMON, *required, *optional)
    for key in t:
        if key not in allowed:
            raise CurateError(
                f"{where} ({metric}): unknown key `{key}`; valid keys: {', '.join(allowed)}"
            )
    for key in required:
        if key not in t:
            raise CurateError(f"{where} ({metric}): `{key}` is required")
    severity = t.get("severity", "error")
    if severity not in SEVERITIES:
        raise CurateError(f"{where}: severity {severity!r}; use error or warning")
    bounds = _parse_bounds(where, metric, t)
    params = {k: t[k] for k in (*required, *optional) if k in t}
    _check_params(where, metric, params)
    default = f"{metric} {params['column']}" if "column" in params else metric
    name = t.get("name", default)
    if not isinstance(name, str):
        raise CurateError(f"{where}: `name` must be a string")
    if not isinstance(t.get("description", ""), str):
        raise CurateError(f"{where}: `description` must be a string")
    return Check(i, metric, name, severity, params=params, **bounds)


def _parse_bounds(where: str, metric: str, t: dict[str, Any]) -> dict[str, float | None]:
    """`min`, `max`, `equals` as floats, refusing any bound that could not do its job.

    TOML has `nan` and `inf` literals: `min = nan` compares false with everything, so the
    check could never fail; `max = inf` is no bound at all. A range no value fits
    (`min` above `max`) or a fraction bound outside 0–1 is a mistake in the rules, not a
    property of the data, so it is exit 2 rather than a check that always fails or passes.
    """
    bounds: dict[str, float | None] = {}
    for b in BOUNDS:
        v = t.get(b)
        if v is None:
            bounds[b] = None
            continue
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise CurateError(f"{where}: `{b}` must be a number, got {v!r}")
        if not math.isfinite(v):
            raise CurateError(
                f"{where} ({metric}): `{b}` is {v}, not a finite number; "
                f"give a number or leave `{b}` out"
            )
        if metric in FRACTION_METRICS and not 0 <= v <= 1:
            raise CurateError(
                f"{where} ({metric}): `{b}` {_fmt(v)} is outside 0–1; {metric} is a fraction "
                "(write 5 % as 0.05)"
            )
        bounds[b] = float(v)
    if metric != "columns" and all(v is None for v in bounds.values()):
        raise CurateError(f"{where} ({metric}): give a bound: min, max or equals")
    lo, hi, eq = bounds["min"], bounds["max"], bounds["equals"]
    clash = None
    if lo is not None and hi is not None and lo > hi:
        clash = f"`min` {_fmt(lo)} is above `max` {_fmt(hi)}"
    elif eq is not None and lo is not None and eq < lo:
        clash = f"`equals` {_fmt(eq)} is below `min` {_fmt(lo)}"
    elif eq is not None and hi is not None and eq > hi:
        clash = f"`equals` {_fmt(eq)} is above `max` {_fmt(hi)}"
    if clash:
        raise CurateError(f"{where} ({metric}): {clash}; no value can pass, fix the bounds")
    return bounds


def _check_params(where: str, metric: str, params: dict[str, Any]) -> None:
    if "column" in params and not isinstance(params["column"], str):
        raise CurateError(f"{where}: `column` must be a column name (a string)")
    if "require" in params and not (
        isinstance(params["require"], list) and all(isinstance(c, str) for c in params["require"])
    ):
        raise CurateError(f'{where}: `require` must be a list of column names, e.g. ["id", "text"]')
    if "require" in params and not params["require"]:
        raise CurateError(f'{where}: `require` must list at least one column, e.g. ["id", "text"]')
    if "q" in params:
        q = params["q"]
        if isinstance(q, bool) or not isinstance(q, int | float) or not 0 <= q <= 1:
            raise CurateError(f"{where}: `q` must be a number between 0 and 1, got {q!r}")
    if "values" in params and not isinstance(params["values"], list):
        raise CurateError(f'{where}: `values` must be a list, e.g. ["en", "de"]')
    # `value = nan` equals nothing, so a `share` of it is always 0 and `max` always passes
    if isinstance(params.get("value"), float) and not math.isfinite(params["value"]):
        raise CurateError(f"{where}: `value` is {params['value']}, not a finite number")
    for v in params.get("values", []):
        if isinstance(v, float) and not math.isfinite(v):
            raise CurateError(f"{where}: a `values` entry is {v}, not a finite number")
    if "query" in params and not isinstance(params["query"], str):
        raise CurateError(f"{where}: `query` must be a string of SQL over the table `data`")
    if "path" in params and not isinstance(params["path"], str):
        raise CurateError(f"{where}: `path` must be the path of a report.json")
    sev = params.get("severity_at_least", "error")
    if sev not in ("info", "warning", "error"):
        raise CurateError(f"{where}: severity_at_least {sev!r}; use info, warning or error")


# --------------------------------------------------------------------------- measuring


class _Acc:
    """Accumulates one column metric over batches."""

    def __init__(self, check: Check, dtype: pa.DataType) -> None:
        self.check = check
        self.metric = check.metric
        self.is_list = pa.types.is_list(dtype) or pa.types.is_large_list(dtype)
        self.rows = 0
        self.hits = 0
        self.total = 0.0
        self.count = 0
        self.lo: float | None = None
        self.hi: float | None = None
        self.values: list[np.ndarray] = []
        self.hashes: list[np.ndarray] = []
        self.counter: Counter[Any] = Counter()
        self.seen = 0  # non-null values of a numeric metric
        self.nans = 0  # NaN among them: mean, min, max and quantile are then undefined

    def update(self, s: pl.Series) -> None:
        n = len(s)
        self.rows += n
        m = self.metric
        if m == "null_fraction":
            self.hits += s.null_count()
        elif m == "empty_fraction":
            if s.dtype == pl.String:
                empty = s.str.strip_chars().str.len_bytes() == 0
            elif self.is_list:
                empty = s.list.len() == 0
            else:
                empty = pl.Series([False] * n)
            self.hits += int(empty.fill_null(True).sum())
        elif m in NUMERIC_METRICS:
            v = s.drop_nulls().cast(pl.Float64)
            self.seen += len(v)
            self.nans += int(v.is_nan().sum())
            if m == "mean":
                self.total += float(v.sum() or 0.0)
                self.count += len(v)
            elif m in ("min", "max") and len(v):
                lo, hi = float(v.min()), float(v.max())  # type: ignore[arg-type]
                self.lo = lo if self.lo is None else min(self.lo, lo)
                self.hi = hi if self.hi is None else max(self.hi, hi)
            elif m == "quantile":
                self.values.append(v.to_numpy())
        elif m == "distinct_fraction":
            v = s.drop_nulls()
            if self.is_list:
                v = v.cast(pl.List(pl.String)).list.sort().list.join("\x1f")
            self.hashes.append(np.unique(v.hash(seed=0).to_numpy()))
            self.count += len(v)
        elif m == "share":
            want = self.check.params["value"]
            if self.is_list:
                hit = s.list.contains(want)
            else:
                hit = s == want
            self.hits += int(hit.fill_null(False).sum())
        elif m == "max_share":
            if self.is_list:  # a document counts once per value it holds
                frame = pl.DataFrame({"v": s}).with_row_index("r").explode("v")
                v = frame.drop_nulls("v").unique().get_column("v")
            else:
                v = s.drop_nulls()
            for value, k in v.value_counts().iter_rows():
                self.counter[value] += int(k)
        elif m == "outside_fraction":
            allowed = self.check.params["values"]
            if self.is_list:
                inside = s.list.eval(pl.element().is_in(allowed)).list.all()
                out = ~inside.fill_null(False)
            else:
                out = ~(s.is_in(allowed).fill_null(False))
            self.hits += int(out.sum())

    def undefined(self) -> str | None:
        """Why the metric has no value, or None: a NaN must fail its check, never pass it.

        Polars' min and max skip NaN while the mean and quantiles propagate it; a column
        holding NaN makes all four undefined alike, so `max quality ≤ 1` cannot pass a
        column where some scores are not numbers.
        """
        if self.metric not in NUMERIC_METRICS:
            return None
        if self.nans:
            return f"column `{self.check.column}` holds {self.nans:,} NaN value(s)"
        if not self.seen:
            return f"column `{self.check.column}` has no non-null values"
        return None

    def result(self) -> float:
        m = self.metric
        rows = max(self.rows, 1)
        if m in ("null_fraction", "empty_fraction", "share", "outside_fraction"):
            return self.hits / rows if self.rows else 0.0
        if m == "mean":
            return self.total / self.count if self.count else math.nan
        if m == "min":
            return self.lo if self.lo is not None else math.nan
        if m == "max":
            return self.hi if self.hi is not None else math.nan
        if m == "quantile":
            arr = np.concatenate(self.values) if self.values else np.empty(0)
            return float(np.quantile(arr, float(self.check.params["q"]))) if arr.size else math.nan
        if m == "distinct_fraction":
            if not self.count:
                return 0.0
            return len(np.unique(np.concatenate(self.hashes))) / self.count
        if m == "max_share":
            return max(self.counter.values()) / rows if self.counter else 0.0
        raise AssertionError(m)  # pragma: no cover


def _normalise(text: pl.Series) -> pl.Series:
    """`dedup --exact`'s default normalisation: fold case, collapse whitespace, keep punctuation."""
    return text.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def run_checks(spec: str | Path, rules: str | Path) -> CheckRun:
    """Every check of `rules` against the dataset at `spec` (library form of `curate check`)."""
    checks = load_rules(rules)
    ds = open_dataset(spec)
    names = ds.column_names()
    for c in checks:
        _validate_against_schema(c, ds, rules)
    accs: dict[int, _Acc] = {}
    need: set[str] = set()
    for c in checks:
        if c.metric in COLUMN_METRICS and c.column in names:
            accs[c.index] = _Acc(c, ds.schema.field(c.column).type)
            need.add(c.column)
    dup = [c for c in checks if c.metric == "duplicate_fraction"]
    if dup and "text" in names:
        need.add("text")
    dup_hashes: list[np.ndarray] = []
    dup_rows = 0
    if need:
        for batch in ds.iter_batches(columns=[n for n in names if n in need]):
            df = pl.from_arrow(pa.Table.from_batches([batch]))
            assert isinstance(df, pl.DataFrame)
            for acc in accs.values():
                try:
                    acc.update(df.get_column(acc.check.column))  # type: ignore[arg-type]
                except (pl.exceptions.PolarsError, NotImplementedError, TypeError) as exc:
                    raise CurateError(
                        f"{rules}: check {acc.check.index} ({acc.check.metric}): cannot be "
                        f"computed on column `{acc.check.column}` ({' '.join(str(exc).split())})"
                    ) from exc
            if dup and "text" in names:
                t = df.get_column("text").drop_nulls()
                dup_rows += len(t)
                dup_hashes.append(np.unique(_normalise(t).hash(seed=0).to_numpy()))
    results = []
    for c in checks:
        if c.index in accs:
            acc = accs[c.index]
            results.append(_judge(c, acc.result(), undefined=acc.undefined()))
        elif c.metric in COLUMN_METRICS:
            results.append(
                Result(
                    c.name,
                    c.metric,
                    c.column,
                    c.severity,
                    c.expected(),
                    None,
                    False,
                    f"column `{c.column}` is not in the dataset (columns: {', '.join(names)})",
                )
            )
        elif c.metric == "duplicate_fraction":
            if "text" not in names:
                results.append(
                    Result(c.name, c.metric, None, c.severity, c.expected(), None, False,
                           "column `text` is not in the dataset")
                )  # fmt: skip
                continue
            distinct = len(np.unique(np.concatenate(dup_hashes))) if dup_hashes else 0
            results.append(_judge(c, (dup_rows - distinct) / dup_rows if dup_rows else 0.0))
        else:
            results.append(_dataset_metric(c, ds, rules))
    return CheckRun(ds.location, results)


def _value_kind(t: pa.DataType) -> str | None:
    """What Python type a `value`/`values` entry must have to compare with a column."""
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        t = t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_boolean(t):
        return "true or false"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "number"
    return None


def _value_fits(kind: str, v: Any) -> bool:
    if kind == "string":
        return isinstance(v, str)
    if kind == "true or false":
        return isinstance(v, bool)
    if kind == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    return isinstance(v, int | float) and not isinstance(v, bool)


def _validate_against_schema(c: Check, ds: Dataset, rules: str | Path) -> None:
    where = f"{rules}: check {c.index} ({c.metric})"
    if c.metric in ("share", "outside_fraction") and c.column in ds.column_names():
        t = ds.schema.field(c.column).type
        kind = _value_kind(t)
        if kind is None:
            raise CurateError(
                f"{where}: column `{c.column}` is {t}; compare it with a `sql` check instead"
            )
        values = [c.params["value"]] if c.metric == "share" else c.params["values"]
        bad = [v for v in values if not _value_fits(kind, v)]
        if bad:
            raise CurateError(
                f"{where}: column `{c.column}` is {t}, so values must be of type {kind}; "
                f"got {bad[0]!r}"
            )
    if c.metric in NUMERIC_METRICS and c.column in ds.column_names():
        t = ds.schema.field(c.column).type
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)):
            raise CurateError(
                f"{rules}: check {c.index} ({c.metric}): column `{c.column}` is {t}; "
                f"{c.metric} needs a numeric column"
            )


def _judge(c: Check, value: float, *, undefined: str | None = None) -> Result:
    """Compare a measured value with the check's bounds; an undefined value always fails."""
    if undefined is None and isinstance(value, float) and math.isnan(value):
        undefined = "the value is NaN"
    if undefined is not None:
        return Result(
            c.name,
            c.metric,
            c.column,
            c.severity,
            c.expected(),
            math.nan,
            False,
            f"undefined: {undefined}; expected {c.expected()}",
        )
    ok = c.accepts(value)
    return Result(
        c.name,
        c.metric,
        c.column,
        c.severity,
        c.expected(),
        value,
        ok,
        "" if ok else f"got {_fmt(value)}, expected {c.expected()}",
    )


def _dataset_metric(c: Check, ds: Dataset, rules: str | Path) -> Result:
    m = c.metric
    if m == "documents":
        return _judge(c, float(ds.rows))
    if m == "bytes":
        return _judge(c, float(ds.bytes))
    if m == "shards":
        return _judge(c, float(len(ds.shards)))
    if m == "columns":
        absent = [x for x in c.params["require"] if x not in ds.column_names()]
        return Result(
            c.name,
            m,
            None,
            c.severity,
            c.expected(),
            "missing: " + ", ".join(absent) if absent else "all present",
            not absent,
            f"missing column(s): {', '.join(absent)}" if absent else "",
        )
    if m == "sql":
        value, undefined = _sql(c, ds, rules)
        return _judge(c, value, undefined=undefined)
    if m == "report_findings":
        return _judge(c, _report_findings(c, rules))
    raise AssertionError(m)  # pragma: no cover


def _sql(c: Check, ds: Dataset, rules: str | Path) -> tuple[float, str | None]:
    """The query's one number, and why it is undefined when it is NULL or NaN."""
    frames = [pl.scan_parquet(s.path) for s in ds.shards]
    if frames:  # diagonal: a shard of an appended source may lack a column
        data = pl.concat(frames, how="diagonal_relaxed")
    else:
        empty = pl.from_arrow(ds.schema.empty_table())
        assert isinstance(empty, pl.DataFrame)
        data = empty.lazy()
    where = f"{rules}: check {c.index} (sql)"
    try:
        out = pl.SQLContext(data=data).execute(c.params["query"]).collect(engine="streaming")
    except Exception as exc:  # Polars raises many error types for a bad query
        raise CurateError(f"{where}: query failed ({' '.join(str(exc).split())[:300]})") from exc
    if out.shape != (1, 1):
        raise CurateError(
            f"{where}: the query must return one number; it returned {out.height} row(s) × "
            f"{out.width} column(s)"
        )
    value = out.item()
    if value is None:
        return math.nan, "the query returned NULL"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CurateError(f"{where}: the query returned {value!r}, not a number")
    if math.isnan(value):
        return math.nan, "the query returned NaN"
    return float(value), None


def _report_findings(c: Check, rules: str | Path) -> float:
    path = Path(c.params["path"])
    if not path.is_absolute() and not path.exists():
        path = Path(rules).parent / path
    where = f"{rules}: check {c.index} (report_findings)"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CurateError(f"{where}: {path}: no such report.json; run `curate report -o`") from exc
    except (OSError, ValueError) as exc:
        raise CurateError(f"{where}: {path}: not a readable report.json ({exc})") from exc
    if not isinstance(doc, dict) or not str(doc.get("schema_version", "")).startswith(
        "curate.report/"
    ):
        raise CurateError(f"{where}: {path}: not a curate report.json (no schema_version)")
    rank = {"info": 0, "warning": 1, "error": 2}
    least = rank[c.params.get("severity_at_least", "error")]
    return float(
        sum(
            1
            for f in doc.get("findings", [])
            if not f.get("waived") and rank.get(f.get("severity"), 0) >= least
        )
    )


# --------------------------------------------------------------------------- output


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if math.isnan(v):
            return "undefined"
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:.4g}"
    return str(v)


def format_actual(v: Any) -> str:
    return _fmt(v)


JUNIT_MARKER = 'name="curate check '  # the suite's name: how a re-run knows its own file


def junit_xml(run: CheckRun) -> str:
    """JUnit XML: one testcase per check; a failing warning is `<skipped>` (never red)."""
    suite = ET.Element(
        "testsuite",
        {
            "name": f"curate check {run.dataset}",
            "tests": str(len(run.results)),
            "failures": str(len(run.failed)),
            "errors": "0",
            "skipped": str(len(run.warned)),
        },
    )
    for r in run.results:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": f"curate.check.{r.metric}", "name": r.name, "time": "0"},
        )
        text = f"expected {r.expected}, actual {_fmt(r.actual)}"
        if not r.passed and r.severity == "error":
            ET.SubElement(
                case, "failure", {"message": r.message or text, "type": r.metric}
            ).text = text
        elif not r.passed:
            ET.SubElement(case, "skipped", {"message": f"warning: {r.message or text}"})
        ET.SubElement(case, "system-out").text = text
    root = ET.Element(
        "testsuites",
        {
            "name": "curate check",
            "tests": str(len(run.results)),
            "failures": str(len(run.failed)),
            "skipped": str(len(run.warned)),
        },
    )
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
