"""`curate mix` over many rows: memory bounded by the shuffle buffer, not the corpus.

Issue 20's goal: `mix` over 10M rows with memory bounded by its shuffle buffer. The
script generates three sources (web, code, books) of short documents, runs
`curate mix` with weights 0.7/0.2/0.1 (books up-sampled, web down-sampled), a val
split and a small `--buffer-size`, and prints: wall time, rows/s, the peak memory of
the whole process tree, the input's uncompressed size, and their ratios. As the peer
in one run, the same rows are shuffled the way one would in memory with Polars
(`scan_parquet(...).collect().sample(fraction=1, shuffle=True)`), whose peak grows
with the corpus. Then the realised shares are checked against the weights.

    python benchmarks/mix.py --quick          # 1M rows
    python benchmarks/mix.py --rows 10000000  # the goal's size
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import curate_bin, fmt_mb, print_machine, print_table, run_measured  # noqa: E402

WORDS = np.array("alpha beta gamma delta river mill flour bread code def return books page".split())
SHARES = {"web": 0.6, "code": 0.25, "books": 0.15}  # of the generated rows
WEIGHTS = {"web": 0.7, "code": 0.2, "books": 0.1}

POLARS_SHUFFLE = (
    "import sys, polars as pl\n"
    "df = pl.concat([pl.read_parquet(p + '/*.parquet') for p in sys.argv[1:]], how='diagonal')\n"
    "df.sample(fraction=1.0, shuffle=True, seed=0).write_parquet(sys.argv[1] + '.shuffled')\n"
)


def make_source(folder: Path, name: str, rows: int, shard_rows: int = 500_000) -> int:
    """`rows` documents of 20-120 words in shards of `shard_rows` (a bare Parquet folder
    is a dataset too); their uncompressed size."""
    rng = np.random.default_rng(len(name))
    folder.mkdir(parents=True, exist_ok=True)
    size = 0
    for start in range(0, rows, shard_rows):
        n = min(shard_rows, rows - start)
        lengths = rng.integers(20, 120, n)
        words = WORDS[rng.integers(0, len(WORDS), int(lengths.sum()))]
        texts = [" ".join(w) for w in np.split(words, np.cumsum(lengths)[:-1])]
        table = pa.table(
            {
                "id": [f"{name}-{i:09d}" for i in range(start, start + n)],
                "text": pa.array(texts, type=pa.large_string()),
                "source": [name] * n,
                "n_tokens": pa.array(lengths, type=pa.int64()),
            }
        )
        path = folder / f"part-{start // shard_rows:05d}.parquet"
        pq.write_table(table, path, compression="zstd")
        meta = pq.read_metadata(path)
        size += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--quick", action="store_true", help="1,000,000 rows")
    ap.add_argument("--buffer-size", default="64MiB")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-peer", action="store_true", help="skip the in-memory Polars shuffle")
    args = ap.parse_args()
    rows = 1_000_000 if args.quick else args.rows
    print_machine()
    curate = str(curate_bin())
    with tempfile.TemporaryDirectory(prefix="curate-bench-mix-") as tmp:
        root = Path(tmp)
        uncompressed = 0
        for name, share in SHARES.items():
            uncompressed += make_source(root / name, name, int(rows * share))
        print(f"\n{rows:,} documents in 3 sources, {fmt_mb(uncompressed)} uncompressed\n")
        out = root / "mixture"
        cmd = [
            curate, "mix", *(f"{n}={root / n}:{w}" for n, w in WEIGHTS.items()),
            "--documents", str(rows), "--seed", "0", "--split", "val=0.01",
            "--buffer-size", args.buffer_size, "--workers", str(args.workers), "-o", str(out), "-q",
        ]  # fmt: skip
        res = run_measured(cmd, name="curate mix")
        if res.returncode != 0:
            raise SystemExit(f"curate mix failed (exit {res.returncode})")
        table = [
            [
                f"curate mix --buffer-size {args.buffer_size}",
                f"{res.wall_s:.1f}",
                f"{rows / res.wall_s:,.0f}",
                fmt_mb(res.peak_rss),
                fmt_mb(res.peak_pss) if res.peak_pss else "-",
                f"{res.peak_rss / uncompressed:.2f}",
            ]
        ]
        if not args.no_peer:
            peer = run_measured(
                [sys.executable, "-c", POLARS_SHUFFLE, *(str(root / n) for n in WEIGHTS)],
                name="polars in memory",
            )
            if peer.returncode == 0:
                table.append(
                    [
                        "polars: collect, sample(shuffle), write",
                        f"{peer.wall_s:.1f}",
                        f"{rows / peer.wall_s:,.0f}",
                        fmt_mb(peer.peak_rss),
                        fmt_mb(peer.peak_pss) if peer.peak_pss else "-",
                        f"{peer.peak_rss / uncompressed:.2f}",
                    ]
                )
            else:
                table.append(["polars in memory", "failed", "", "", "", ""])
        print_table(
            ["run", "wall s", "input rows/s", "peak tree RSS", "peak tree PSS", "RSS / input"],
            table,
        )
        train = json.loads((out / "train" / "_curate.json").read_text())
        step = train["lineage"][-1]
        print(f"train: {train['rows']:,} rows in {len(train['shards'])} shards")
        for name, m in step["mixture"].items():
            print(
                f"  {name}: weight {m['weight']} -> share {m['share_out']:.4f} "
                f"(rate {m['rate']:.3f}, times {m['times']})"
            )


if __name__ == "__main__":
    main()
