"""What the data itself shows, per source, in one pass over the dataset.

The report needs facts a person cannot be trusted to remember (how many documents,
which dates, how many e-mail addresses) and must get them cheaply on a big corpus:
one read of the columns it needs, batch by batch. Everything kept across batches is
bounded: counters keyed by a small domain (source, language, licence, month, host) and
a uniform random sample of at most `SAMPLE_ROWS` rows per source (bottom-k of random
keys) for length and quality percentiles and, when no `pii_*` columns exist, a sampled
PII scan with `curate pii`'s own detector. Anything computed from the sample says so,
with its size.

The pass runs shard by shard on an executor (`--executor local|ray`): each shard's
rows draw their sample keys from the one seeded stream at their own offset in it, and
the shards' measurements merge into what one sequential pass gives (the same counts,
the same bottom-k sample; sources and counter keys sorted by name), whatever ran them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any, cast

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from curate.dataset import Dataset, Shard
from curate.executor import Executor, make_executor, report, run_units
from curate.provenance.manifest import parse_date

PII_KINDS = ("email", "phone", "ip", "credit_card", "us_ssn", "iban")
SAMPLE_ROWS = 20_000  # rows per source for length/quality percentiles
SCAN_ROWS = 2_000  # rows per source for the sampled PII scan
SCAN_CHARS = 20_000  # characters of each sampled text the scan reads
NO_SOURCE = "(no source column)"
LABEL_COLUMN = re.compile(r"^(label|labels|category|class|target)$|_label$")

_HOST = r"^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^/?#@]*@)?(\[[^\]]+\]|[^/?#:]+)"
_TWO_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gob", "nic"}


@dataclass
class Sample:
    """A uniform sample of rows (bottom-k of random keys), bounded by `k`."""

    k: int
    keys: np.ndarray = field(default_factory=lambda: np.empty(0))
    cols: dict[str, list[Any]] = field(default_factory=dict)

    def offer(self, keys: np.ndarray, cols: dict[str, list[Any]]) -> None:
        if len(self.keys) >= self.k:
            cut = self.keys.max()
            take = np.flatnonzero(keys < cut)
            if take.size == 0:
                return
            keys = keys[take]
            cols = {c: [v[i] for i in take] for c, v in cols.items()}
        all_keys = np.concatenate([self.keys, keys])
        merged = {c: self.cols.get(c, []) + list(v) for c, v in cols.items()}
        if len(all_keys) > self.k:
            keep = np.argpartition(all_keys, self.k - 1)[: self.k]
            all_keys = all_keys[keep]
            merged = {c: [v[i] for i in keep] for c, v in merged.items()}
        self.keys = all_keys
        self.cols = merged

    @property
    def size(self) -> int:
        return len(self.keys)

    def in_key_order(self) -> None:
        """Rows sorted by key: one order for the same sample, however it was merged."""
        order = np.argsort(self.keys, kind="stable")
        self.keys = self.keys[order]
        self.cols = {c: [v[i] for i in order] for c, v in self.cols.items()}


@dataclass
class SourceMeasure:
    """Everything measured about the documents of one source."""

    name: str
    rows: int = 0
    text_bytes: int = 0
    words: int = 0
    tokens: int = 0  # sum of `n_tokens` (`curate tokens`), when the column exists
    null_text: int = 0
    empty_text: int = 0
    langs: Counter[str] = field(default_factory=Counter)
    licenses: Counter[str] = field(default_factory=Counter)
    no_license: int = 0
    created_min: dt.datetime | None = None
    created_max: dt.datetime | None = None
    created_null: int = 0
    months: Counter[str] = field(default_factory=Counter)
    after_end: int = 0
    before_start: int = 0
    pii_docs: Counter[str] = field(default_factory=Counter)
    pii_hits: Counter[str] = field(default_factory=Counter)
    pii_any_docs: int = 0
    pii_redacted: int = 0
    synthetic_true: int = 0
    synthetic_known: int = 0
    synthetic_by: Counter[str] = field(default_factory=Counter)
    synthetic_score_hist: list[int] = field(default_factory=lambda: [0] * 10)
    hosts: Counter[str] = field(default_factory=Counter)  # host -> text bytes
    host_docs: Counter[str] = field(default_factory=Counter)
    url_null: int = 0
    sample: Sample = field(default_factory=lambda: Sample(SAMPLE_ROWS))
    scan: Sample = field(default_factory=lambda: Sample(SCAN_ROWS))


@dataclass
class Measurements:
    """Per-source measurements plus which columns existed (what could be measured)."""

    per_source: dict[str, SourceMeasure]
    columns: list[dict[str, str]]
    present: set[str]
    pii_columns: list[str]
    label_columns: list[str]
    words_from: str  # "q_word_count" | "text"

    def has(self, column: str) -> bool:
        return column in self.present


@dataclass(frozen=True)
class MeasureUnit:
    """One shard of the measuring pass and what it needs to measure it alone."""

    index: int  # its shard's place in the dataset
    location: str
    shard: Shard
    schema: pa.Schema  # of the columns read
    offset: int  # documents before this shard: where its sample keys start in the stream
    seed: int
    pii_cols: tuple[str, ...]
    scan_text: bool
    bounds: dict[str, tuple[Any, Any]]
    sample_rows: int = SAMPLE_ROWS  # the sizes the driver merges to (tests make them small)
    scan_rows: int = SCAN_ROWS


def measure(
    ds: Dataset,
    windows: dict[str, tuple[dt.date | None, dt.date | None]],
    *,
    seed: int = 0,
    executor: Executor | None = None,
    progress: Any = None,
) -> Measurements:
    """One pass over `ds`, shard by shard on `executor`: counters and a bounded sample
    per source.

    `windows` maps a source to its declared (collection_start, collection_end), so the
    documents dated outside them are counted exactly, not estimated from a histogram.
    The default executor is local (threads for a small dataset, processes otherwise).
    """
    names = set(ds.column_names())
    pii_cols = [f"pii_{k}" for k in PII_KINDS if f"pii_{k}" in names]
    wanted = [
        "text",
        "source",
        "url",
        "created",
        "lang",
        "quality",
        "license",
        "synthetic",
        "synthetic_by",
        "synthetic_score",
        "q_word_count",
        "n_tokens",
        "pii_redacted",
        *pii_cols,
    ]
    read = [c for c in wanted if c in names]
    schema = pa.schema([ds.schema.field(c) for c in read])
    scan_text = not pii_cols or "pii_redacted" in names
    bounds = {s: _bounds(w) for s, w in windows.items()}
    units: list[MeasureUnit] = []
    offset = 0
    for i, shard in enumerate(ds.shards):
        units.append(
            MeasureUnit(
                i,
                ds.location,
                shard,
                schema,
                offset,
                seed,
                tuple(pii_cols),
                scan_text,
                bounds,
                SAMPLE_ROWS,
                SCAN_ROWS,
            )
        )
        offset += shard.rows
    executor = executor or make_executor().for_input(ds.rows, ds.bytes)
    merged = _Merge()
    run_units(
        executor,
        measure_shard,
        units,
        progress=progress,
        on_result=lambda _unit, part: merged.add(part),
        what="shard",
    )
    label_cols = sorted(n for n in names if LABEL_COLUMN.search(n))
    return Measurements(
        per_source=merged.result(),
        columns=[{"name": f.name, "type": str(f.type)} for f in ds.schema],
        present=names,
        pii_columns=pii_cols,
        label_columns=label_cols,
        words_from="q_word_count" if "q_word_count" in names else "text",
    )


def measure_shard(unit: MeasureUnit) -> dict[str, SourceMeasure]:
    """The measurements of one shard, per source in the order the sources appear."""
    rng = np.random.Generator(np.random.PCG64(unit.seed).advance(unit.offset))
    per: dict[str, SourceMeasure] = {}
    pii_cols = list(unit.pii_cols)
    ds = Dataset(unit.location, [unit.shard], unit.schema)
    for batch in ds.shard_batches(unit.shard, columns=unit.schema.names):
        df = pl.from_arrow(pa.Table.from_batches([batch]))
        assert isinstance(df, pl.DataFrame)
        if "text" in df.columns and "q_word_count" not in df.columns:
            df = df.with_columns(pl.Series("__words", word_counts(batch.column("text"))))
        if "source" not in df.columns:
            df = df.with_columns(pl.lit(NO_SOURCE).alias("source"))
        df = df.with_columns(pl.col("source").fill_null(NO_SOURCE))
        for (src,), part in df.partition_by("source", as_dict=True).items():
            m = per.get(str(src)) or per.setdefault(
                str(src),
                SourceMeasure(
                    str(src), sample=Sample(unit.sample_rows), scan=Sample(unit.scan_rows)
                ),
            )
            bounds = unit.bounds.get(str(src), (None, None))
            _update(m, part, rng, pii_cols, unit.scan_text, bounds)
        report(docs=batch.num_rows)
    return per


_COUNTERS: tuple[str, ...] = ("langs", "licenses", "months", "pii_docs", "pii_hits")
_COUNTERS += ("synthetic_by", "hosts", "host_docs")
# every count of a source adds up across shards (a new int field is summed by itself)
_SUMS = tuple(f.name for f in fields(SourceMeasure) if f.type == "int")


class _Merge:
    """Shards' measurements merged, in whatever order they arrive, into one result.

    Sums, minima, maxima and bottom-k samples do not depend on the order; what would is
    the order of the sources and of each counter's keys (ties in a top-N list keep it),
    so both are sorted by name at the end. (Polars' `value_counts` does not keep one
    order from run to run either: a report's ties were not stable before this.)
    """

    def __init__(self) -> None:
        self.per: dict[str, SourceMeasure] = {}

    def add(self, part: dict[str, SourceMeasure]) -> None:
        for name, m in part.items():
            acc = self.per.setdefault(name, SourceMeasure(name))
            for attr in _SUMS:
                setattr(acc, attr, getattr(acc, attr) + getattr(m, attr))
            for attr in _COUNTERS:
                getattr(acc, attr).update(getattr(m, attr))
            if m.created_min is not None:
                lo = acc.created_min
                acc.created_min = m.created_min if lo is None else min(lo, m.created_min)
            if m.created_max is not None:
                hi = acc.created_max
                acc.created_max = m.created_max if hi is None else max(hi, m.created_max)
            acc.synthetic_score_hist = [
                a + b for a, b in zip(acc.synthetic_score_hist, m.synthetic_score_hist, strict=True)
            ]
            for mine, theirs in ((acc.sample, m.sample), (acc.scan, m.scan)):
                if theirs.size:
                    mine.offer(theirs.keys, theirs.cols)

    def result(self) -> dict[str, SourceMeasure]:
        """The merged sources by name, each counter's keys sorted, samples by key."""
        out: dict[str, SourceMeasure] = {}
        for name in sorted(self.per):
            m = out[name] = self.per[name]
            for attr in _COUNTERS:
                c: Counter[str] = getattr(m, attr)
                setattr(m, attr, Counter({k: c[k] for k in sorted(c)}))
            m.sample.in_key_order()
            m.scan.in_key_order()
        return out


# UTF-8 encodings of the Unicode whitespace that is not ASCII (what `\\s` also matches).
_WIDE_SPACES = tuple(
    chr(c).encode()
    for c in (0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
)


_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 32]] = True


def word_counts(text: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Whitespace-separated words per document (the count of `\\S+` runs), vectorised.

    A regex count runs at about 50 MB/s; this works on the UTF-8 bytes with NumPy
    (word starts are non-space bytes after a space byte or a document start) and
    treats the Unicode spaces `\\s` matches as spaces, so it agrees with
    `str.count_matches(r"\\S+")` and `curate stats`. Null texts count 0 words.
    """
    arr = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    arr = arr.cast(pa.large_string())
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int64)[arr.offset : arr.offset + n + 1]
    if data_buf is None or offsets[-1] == offsets[0]:
        return np.zeros(n, dtype=np.int64)
    lo, hi = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(data_buf, dtype=np.uint8)[lo:hi]
    space = _ASCII_SPACE[data]
    if (data >= 0xC2).any():
        for seq in _WIDE_SPACES:
            k = len(seq)
            hit = data[: len(data) - k + 1] == seq[0]
            for j in range(1, k):
                hit &= data[j : len(data) - k + 1 + j] == seq[j]
            for start in np.flatnonzero(hit).tolist():
                space[start : start + k] = True
    starts = ~space
    starts[1:] &= space[:-1]
    rel = offsets - lo
    first = rel[:-1][rel[:-1] < len(data)]  # a document's first byte starts a word if not a space
    starts[first] = ~space[first]
    pos = np.flatnonzero(starts)
    return np.searchsorted(pos, rel[1:]) - np.searchsorted(pos, rel[:-1])


def _bounds(window: tuple[dt.date | None, dt.date | None]) -> tuple[Any, Any]:
    start, end = window
    lo = dt.datetime.combine(start, dt.time(), dt.UTC) if start else None
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC) if end else None
    return lo, hi


def _update(
    m: SourceMeasure,
    df: pl.DataFrame,
    rng: np.random.Generator,
    pii_cols: list[str],
    scan_text: bool,
    bounds: tuple[Any, Any],
) -> None:
    n = df.height
    m.rows += n
    cols = df.columns
    lengths = np.zeros(n, dtype=np.int64)
    if "text" in cols:
        text = df.get_column("text")
        m.null_text += int(text.null_count())
        blen = text.str.len_bytes().fill_null(0)
        m.text_bytes += int(blen.sum() or 0)
        m.empty_text += int((text.str.strip_chars().str.len_bytes() == 0).sum() or 0)
        lengths = text.str.len_chars().fill_null(0).to_numpy()
        if "__words" in cols:
            m.words += int(df.get_column("__words").sum() or 0)
    else:
        blen = pl.Series([0] * n)
    if "q_word_count" in cols:
        m.words += int(df.get_column("q_word_count").fill_null(0).sum() or 0)
    if "n_tokens" in cols:
        m.tokens += int(df.get_column("n_tokens").fill_null(0).sum() or 0)
    if "lang" in cols:
        for value, k in (
            df.get_column("lang").cast(pl.String).fill_null("(none)").value_counts().iter_rows()
        ):
            m.langs[str(value)] += int(k)
    if "license" in cols:
        lic = df.get_column("license")
        if lic.dtype == pl.List:
            m.no_license += int((lic.list.len().fill_null(0) == 0).sum() or 0)
            ids = lic.explode().drop_nulls()
        else:
            m.no_license += int(lic.is_null().sum() or 0)
            ids = lic.drop_nulls().cast(pl.String)
        for value, k in ids.value_counts().iter_rows():
            m.licenses[str(value)] += int(k)
    if "created" in cols:
        _update_created(m, df.get_column("created"), bounds)
    for c in pii_cols:
        col = df.get_column(c).fill_null(0)
        m.pii_hits[c[4:]] += int(col.sum() or 0)
        m.pii_docs[c[4:]] += int((col > 0).sum() or 0)
    if pii_cols:
        anyhit = df.select(pl.any_horizontal([pl.col(c).fill_null(0) > 0 for c in pii_cols]))
        m.pii_any_docs += int(anyhit.to_series().sum() or 0)
    if "pii_redacted" in cols:
        m.pii_redacted += int(df.get_column("pii_redacted").fill_null(0).sum() or 0)
    if "synthetic" in cols:
        syn = df.get_column("synthetic")
        m.synthetic_known += int(syn.is_not_null().sum() or 0)
        m.synthetic_true += int(syn.fill_null(False).sum() or 0)
        if "synthetic_by" in cols:
            by = df.filter(pl.col("synthetic").fill_null(False)).get_column("synthetic_by")
            for value, k in by.fill_null("(unknown)").value_counts().iter_rows():
                m.synthetic_by[str(value)] += int(k)
    if "synthetic_score" in cols:
        s = df.get_column("synthetic_score").drop_nulls().to_numpy()
        if s.size:
            hist, _ = np.histogram(np.clip(s, 0, 1), bins=10, range=(0, 1))
            m.synthetic_score_hist = [
                a + int(b) for a, b in zip(m.synthetic_score_hist, hist, strict=True)
            ]
    if "url" in cols:
        _update_hosts(m, df.get_column("url"), blen)
    keys = rng.random(n)
    sample_cols: dict[str, list[Any]] = {"length": lengths.tolist()}
    if "quality" in cols:
        sample_cols["quality"] = df.get_column("quality").cast(pl.Float64).to_list()
    m.sample.offer(keys, sample_cols)
    if scan_text and "text" in cols:
        texts = df.get_column("text").str.slice(0, SCAN_CHARS).fill_null("").to_list()
        m.scan.offer(keys, {"text": texts})


def _update_created(m: SourceMeasure, created: pl.Series, bounds: tuple[Any, Any]) -> None:
    m.created_null += int(created.null_count())
    c = created.drop_nulls()
    if c.is_empty():
        return
    if c.dtype != pl.Datetime("us", "UTC"):
        try:
            c = c.cast(pl.Datetime("us", "UTC"))
        except pl.exceptions.PolarsError:
            return
    lo, hi = cast(dt.datetime, c.min()), cast(dt.datetime, c.max())
    m.created_min = lo if m.created_min is None else min(m.created_min, lo)
    m.created_max = hi if m.created_max is None else max(m.created_max, hi)
    for value, k in c.dt.strftime("%Y-%m").value_counts().iter_rows():
        m.months[str(value)] += int(k)
    start, end = bounds
    if end is not None:
        m.after_end += int((c >= end).sum() or 0)
    if start is not None:
        m.before_start += int((c < start).sum() or 0)


def _update_hosts(m: SourceMeasure, url: pl.Series, blen: pl.Series) -> None:
    m.url_null += int(url.null_count())
    frame = pl.DataFrame(
        {"host": url.str.extract(_HOST, 1).str.to_lowercase(), "bytes": blen}
    ).drop_nulls("host")
    if frame.is_empty():
        return
    grouped = frame.group_by("host").agg(pl.col("bytes").sum(), pl.len().alias("docs"))
    for host, b, d in grouped.iter_rows():
        m.hosts[host] += int(b)
        m.host_docs[host] += int(d)


@functools.lru_cache(maxsize=1 << 20)
def registrable_domain(host: str) -> str:
    """`news.example.co.uk` → `example.co.uk` by a short heuristic (no public-suffix list).

    Good enough to rank domains for the EU summary; documented as approximate.
    """
    host = host.strip(".").removeprefix("www.")
    if host.startswith("[") or re.fullmatch(r"[\d.]+", host):
        return host
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _TWO_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def domains(hosts: Counter[str], host_docs: Counter[str]) -> list[tuple[str, int, int]]:
    """(registrable domain, text bytes, documents), largest first."""
    by_bytes: Counter[str] = Counter()
    by_docs: Counter[str] = Counter()
    for h, b in hosts.items():
        d = registrable_domain(h)
        by_bytes[d] += b
        by_docs[d] += host_docs[h]
    return [(d, b, by_docs[d]) for d, b in sorted(by_bytes.items(), key=lambda kv: (-kv[1], kv[0]))]


def percentiles(values: list[float], ps: tuple[int, ...] = (0, 5, 25, 50, 75, 95, 100)) -> dict:
    """Nearest-rank percentiles of the non-null values (an empty dict when there are none)."""
    arr = np.asarray([v for v in values if v is not None and v == v], dtype=float)
    if arr.size == 0:
        return {}
    return {f"p{p}": float(np.percentile(arr, p, method="nearest")) for p in ps}


def histogram(values: list[float], bins: int = 20) -> dict[str, list[float]]:
    arr = np.asarray([v for v in values if v is not None and v == v], dtype=float)
    if arr.size == 0:
        return {"edges": [], "counts": []}
    lo, hi = float(arr.min()), float(arr.max())
    if 0 <= lo and hi <= 1:
        lo, hi = 0.0, 1.0
    if hi == lo:
        hi = lo + 1
    counts, edges = np.histogram(arr, bins=bins, range=(lo, hi))
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def scan_pii(texts: list[str]) -> dict[str, int]:
    """Documents of the sample in which `curate pii`'s detector finds each kind: the same
    detector, defaults and batch path as the `pii` step, so the report cannot contradict
    `curate pii` on the same documents (it only reads fewer of them)."""
    from curate.pii import make_step

    if not texts:
        return {k: 0 for k in PII_KINDS}
    out = make_step().process(pa.table({"text": pa.array(texts, pa.large_string())})).kept
    return {k: int(pc.sum(pc.greater(out[f"pii_{k}"], 0)).as_py() or 0) for k in PII_KINDS}


def declared_window(decl: dict[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    return parse_date(decl.get("collection_start")), parse_date(decl.get("collection_end"))
