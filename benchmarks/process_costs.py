"""Benchmark: what a change to curate's process start or exit costs at real sizes (issue 19).

Runs the same chain (ingest -> filter --preset fineweb -> dedup -> score, 2 workers each)
with two curate installations, A and B, on the same corpus, alternating which goes
first in each round, and prints wall and CPU seconds per step and in total, B/A, and
whether the two chains wrote byte-identical shards. A change that only saves start-up
time must show at least 5% on a chain of a minute or more to be worth its maintenance
(docs/developing.md, "Start-up").

An installation is a `curate` console script: for example the venv of a clean clone
of main (A) and of a worktree with the change (B):

    .venv/bin/python benchmarks/process_costs.py \\
        --a /path/to/main/.venv/bin/curate --b .venv/bin/curate --docs 30000

The corpus is the one `scale.py` builds from the real text of `<evaldata>` (nothing is
copied into the repository; everything is written to a temp folder).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_EVALDATA, print_machine, ratio, run_measured  # noqa: E402
from scale import base_docs, write_corpus  # noqa: E402

STEPS = ("ingest", "filter", "dedup", "score")


def chain(curate: str, corpus: list[Path], work: Path, workers: int) -> dict[str, tuple]:
    """Run the chain with one installation; (wall, cpu) per step."""
    out: dict[str, tuple] = {}
    prev: Path | None = None
    for step in STEPS:
        dest = work / step
        if step == "ingest":
            cmd = [curate, "ingest", *corpus, "-o", dest, "--source", "bench"]
        else:
            extra = ["--preset", "fineweb"] if step == "filter" else []
            cmd = [curate, step, prev, "-o", dest, *extra]
        r = run_measured([*cmd, "--workers", str(workers), "-q"], name=step)
        if r.returncode != 0:
            raise SystemExit(f"{curate} {step} failed with status {r.returncode}")
        out[step] = (r.wall_s, r.cpu_s)
        prev = dest
    return out


def same_shards(a: Path, b: Path) -> bool:
    """Every step's shard files byte-identical between the two chains."""
    for step in STEPS:
        names = sorted(p.name for p in (a / step).glob("*.parquet"))
        if names != sorted(p.name for p in (b / step).glob("*.parquet")):
            return False
        if any((a / step / n).read_bytes() != (b / step / n).read_bytes() for n in names):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", required=True, help="curate console script of installation A")
    ap.add_argument("--b", required=True, help="curate console script of installation B")
    ap.add_argument("--docs", type=int, default=30_000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA)
    args = ap.parse_args(argv)
    print_machine()
    with tempfile.TemporaryDirectory(prefix="curate-process-costs-") as tmp:
        root = Path(tmp)
        corpus = write_corpus(base_docs(args.evaldata), args.docs, root / "corpus", args.files)
        # warm-up, not timed: each installation compiles its bytecode and builds its caches
        tiny = write_corpus(base_docs(args.evaldata), 200, root / "tiny", 2)
        for who, curate in (("A", args.a), ("B", args.b)):
            chain(curate, tiny, root / f"warm-{who}", args.workers)
        totals = {"A": {s: [0.0, 0.0] for s in STEPS}, "B": {s: [0.0, 0.0] for s in STEPS}}
        identical = True
        for rnd in range(args.rounds):
            order = ["A", "B"] if rnd % 2 == 0 else ["B", "A"]
            for who in order:
                work = root / f"{who}-{rnd}"
                got = chain(args.a if who == "A" else args.b, corpus, work, args.workers)
                for step, (wall, cpu) in got.items():
                    totals[who][step][0] += wall
                    totals[who][step][1] += cpu
                print(f"round {rnd + 1} {who}: {sum(w for w, _ in got.values()):.1f} s", flush=True)
            identical &= same_shards(root / f"A-{rnd}", root / f"B-{rnd}")
        n = args.rounds
        print(f"\n{args.docs:,} documents, {args.workers} workers, mean of {n} rounds")
        head = ("step", "A wall", "B wall", "B/A", "A cpu", "B cpu", "B/A")
        print(f"{head[0]:8}" + "".join(f" {h:>8}" for h in head[1:]))
        rows = [*STEPS, "total"]
        for step in rows:
            if step == "total":
                aw, ac = (sum(totals["A"][s][i] for s in STEPS) / n for i in (0, 1))
                bw, bc = (sum(totals["B"][s][i] for s in STEPS) / n for i in (0, 1))
            else:
                aw, ac = (v / n for v in totals["A"][step])
                bw, bc = (v / n for v in totals["B"][step])
            print(
                f"{step:8} {aw:8.1f} {bw:8.1f} {ratio(bw, aw):>8} "
                f"{ac:8.1f} {bc:8.1f} {ratio(bc, ac):>8}"
            )
        print(f"byte-identical shards: {'yes' if identical else 'NO'}")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
