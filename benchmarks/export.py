"""`curate export` to stdout vs Polars writing the same rows as NDJSON, in one run.

Issue 20's goal: `curate export DS --format jsonl` at >= 80% of the speed of Polars
writing the same rows as NDJSON. Both run as processes of their own, start-up
included, writing to /dev/null; the rows are a generated dataset of web-sized
documents in several shards. Printed: wall seconds, MB/s of JSONL, peak memory, and
the ratio (Polars' time / curate's: 1.0 = as fast). The two outputs are compared
byte for byte once, outside the timing.

    python benchmarks/export.py --quick        # 200k rows
    python benchmarks/export.py --rows 2000000
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import curate_bin, fmt_mb, print_machine, print_table, ratio, run_measured  # noqa: E402

WORDS = np.array(
    "the of and to in a is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if "
    "river mill flour ledger village baker inn morning accounts bread sacks numbers".split()
)

POLARS_EAGER = (
    "import sys, polars as pl\n"
    "pl.read_parquet(sys.argv[1] + '/*.parquet').write_ndjson(sys.stdout.buffer)\n"
)
POLARS_SINK = (
    "import sys, polars as pl\n"
    "pl.scan_parquet(sys.argv[1] + '/*.parquet').sink_ndjson('/dev/stdout')\n"
)


def make_dataset(folder: Path, rows: int, shards: int = 8, seed: int = 0) -> int:
    """`rows` documents of 50-400 words in `shards` Parquet files; the bytes on disk."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    per = -(-rows // shards)
    for k in range(shards):
        n = min(per, rows - k * per)
        if n <= 0:
            break
        lengths = rng.integers(50, 400, n)
        words = WORDS[rng.integers(0, len(WORDS), int(lengths.sum()))]
        cuts = np.cumsum(lengths)[:-1]
        texts = [" ".join(w) for w in np.split(words, cuts)]
        start = k * per
        table = pa.table(
            {
                "id": [f"doc-{i:09d}" for i in range(start, start + n)],
                "text": pa.array(texts, type=pa.large_string()),
                "source": ["web"] * n,
                "url": [f"https://example.org/{i}" for i in range(start, start + n)],
                "q_word_count": lengths.astype("float64"),
            }
        )
        pq.write_table(table, folder / f"part-{k:05d}.parquet", compression="zstd")
    return sum(p.stat().st_size for p in folder.glob("*.parquet"))


def _digest(cmd: list[str]) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest()[:16], size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="200,000 rows")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each tool (best is shown)")
    args = ap.parse_args()
    rows = 200_000 if args.quick else args.rows
    print_machine()
    curate = str(curate_bin())
    with tempfile.TemporaryDirectory(prefix="curate-bench-export-") as tmp:
        ds = Path(tmp) / "ds"
        on_disk = make_dataset(ds, rows)
        print(f"\n{rows:,} documents, {fmt_mb(on_disk)} of Parquet in 8 shards\n")
        tools = {
            "curate export --format jsonl": [curate, "export", str(ds), "-q"],
            "polars read_parquet().write_ndjson()": [sys.executable, "-c", POLARS_EAGER, str(ds)],
            "polars scan_parquet().sink_ndjson()": [sys.executable, "-c", POLARS_SINK, str(ds)],
        }
        digests = {name: _digest(cmd) for name, cmd in tools.items()}
        best = {}
        for _ in range(args.repeat):
            for name, cmd in tools.items():
                res = run_measured(cmd, name=name)
                if res.returncode != 0:
                    raise SystemExit(f"{name} failed (exit {res.returncode})")
                if name not in best or res.wall_s < best[name].wall_s:
                    best[name] = res
        size = digests["curate export --format jsonl"][1]
        eager = best["polars read_parquet().write_ndjson()"].wall_s
        table = []
        for name, res in best.items():
            table.append(
                [
                    name,
                    f"{res.wall_s:.2f}",
                    f"{size / 1e6 / res.wall_s:.0f}",
                    fmt_mb(res.peak_rss),
                    ratio(eager, res.wall_s),
                    digests[name][0],
                ]
            )
        print_table(
            ["tool", "wall s", "MB/s JSONL", "peak memory", "speed vs polars eager", "sha256"],
            table,
        )
        same = len({d for d, _ in digests.values()}) == 1
        print(f"\nsame bytes from all three: {same} ({fmt_mb(size)} of JSONL)")
        speed = eager / best["curate export --format jsonl"].wall_s
        print(f"curate export / polars write_ndjson speed: {speed:.2f} (goal >= 0.80)")


if __name__ == "__main__":
    main()
