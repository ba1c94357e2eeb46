"""Benchmark: WARC -> Parquet with curate vs datatrove, on real WARC files.

Inputs are the ``.warc.gz`` files under ``<evaldata>/warc/commoncrawl/`` and
``<evaldata>/warc/webarchives/`` (recursively; WET/WAT files are skipped), or
``sample_data/crawl.warc.gz`` when the evaldata folder is absent. They are small, so the list
is copied ``--repeat`` times (distinct names) into a temp folder to make the timed runs last;
the copies get fresh WARC record ids (curate drops records whose id it already wrote, datatrove
does not, so identical copies would not be the same work for both; ``--same-ids`` keeps them).
Files whose gzip stream is truncated are left out of the timed runs (datatrove's pipeline
aborts on them) and fed to each tool separately afterwards, as a robustness check.

Tools, run one after another in this one invocation with the same number of workers:

* ``curate ingest FILES -o OUT --source bench --workers W --quiet`` (curate's venv), with the
  default extractor and with ``--extractor resiliparse``;
* datatrove (peer venv, see ``make_peer_env.sh``): ``WarcReader -> Trafilatura() ->
  ParquetWriter`` under ``LocalPipelineExecutor(tasks=<number of files>, workers=W)``, all
  with their default settings.

Printed: rows written (read back with pyarrow), pages/s, input MB/s, peak memory of the process
tree (RSS summed over processes, and PSS, which splits pages shared by forked workers), CPU
seconds, the ratios to datatrove, and the URL overlap of the outputs. Then the extraction quality
table of ``extract_quality.py`` (when present), the versions measured and the core count.

Run it with curate's venv: ``.venv/bin/python benchmarks/ingest.py [--quick] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_EVALDATA,
    MB,
    REPO,
    RunResult,
    core_count,
    curate_bin,
    fmt_mb,
    package_versions,
    peer_python,
    print_machine,
    print_table,
    ratio,
    run_measured,
    shell_quote,
)

WARC_DIRS = ("warc/commoncrawl", "warc/webarchives")
# --quick: only these (small) folders' top-level files
QUICK_GLOBS = ("warc/commoncrawl/*.warc.gz", "warc/webarchives/*.warc.gz")
SAMPLE_WARC = REPO / "sample_data" / "crawl.warc.gz"

# The datatrove side, run by the peer venv's python. Everything at its defaults except the
# paths, the task count (one task per input file) and the worker count.
DATATROVE_SCRIPT = """\
import sys

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.writers import ParquetWriter

if __name__ == "__main__":  # required: the executor starts workers with forkserver
    input_dir, output_dir, logging_dir, tasks, workers = sys.argv[1:6]
    LocalPipelineExecutor(
        pipeline=[
            WarcReader(input_dir, glob_pattern="*.warc.gz"),
            Trafilatura(),
            ParquetWriter(output_dir),
        ],
        tasks=int(tasks),
        workers=int(workers),
        logging_dir=logging_dir,
    ).run()
"""

PEER_ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "TQDM_DISABLE": "1"}


@dataclass
class ToolRun:
    """One measured run of one tool and what it wrote."""

    tool: str
    result: RunResult
    rows: int
    urls: set[str]
    notes: str = ""


# --------------------------------------------------------------------------- inputs


def find_inputs(evaldata: Path, quick: bool) -> list[Path]:
    """The benchmark's WARC files (sorted), or the sample crawl when evaldata is absent."""
    if evaldata.is_dir():
        if quick:
            files = [p for g in QUICK_GLOBS for p in evaldata.glob(g)]
        else:
            files = [
                p
                for d in WARC_DIRS
                if (evaldata / d).is_dir()
                for p in (evaldata / d).rglob("*.warc.gz")
            ]
        files = [p for p in files if ".wet" not in p.name and ".wat" not in p.name]
        if files:
            return sorted(files)
        print(f"note: no .warc.gz under {evaldata}/{{{','.join(WARC_DIRS)}}}")
    if SAMPLE_WARC.exists():
        print(f"note: {evaldata} absent, using {SAMPLE_WARC.relative_to(REPO)}")
        return [SAMPLE_WARC]
    raise SystemExit(f"no input: neither {evaldata} nor {SAMPLE_WARC} exists")


def gzip_error(path: Path) -> str | None:
    """None if the whole gzip stream decompresses, else the error."""
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except (OSError, EOFError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


# "WARC-Record-ID: <urn:uuid:", "WARC-Concurrent-To: <urn:uuid:", ... then the first 2 hex digits
_UUID_REF = re.compile(rb"(?im)^(WARC-[a-z-]+:[ \t]*<?urn:uuid:)([0-9a-f]{2})")


def _new_ids(data: bytes, copy: int) -> bytes | None:
    """The per-record-gzip WARC ``data`` with every record id made unique to ``copy``.

    Each gzip member is decompressed, the first byte of every ``urn:uuid:`` in its WARC
    header lines (ids and references to ids alike, so links between records survive) is
    XORed with ``copy``, and the member is compressed again. None if ``data`` is not a
    complete gzip file.
    """

    def flip(m: re.Match[bytes]) -> bytes:
        fmt = b"%02X" if m.group(2).isupper() else b"%02x"
        return m.group(1) + fmt % (int(m.group(2), 16) ^ (copy & 0xFF))

    out, pos = [], 0
    while pos < len(data):
        d = zlib.decompressobj(wbits=31)
        try:
            member = d.decompress(data[pos:])
        except zlib.error:
            return None
        if not d.eof:
            return None
        out.append(gzip.compress(_UUID_REF.sub(flip, member), compresslevel=6, mtime=0))
        pos = len(data) - len(d.unused_data)
    return b"".join(out)


def stage(files: list[Path], repeat: int, dest: Path, same_ids: bool = False) -> list[Path]:
    """Copy the files ``repeat`` times into ``dest`` with distinct names; the copies' paths.

    The first copy is byte for byte the original. Later copies get new record ids (see
    :func:`_new_ids`) unless ``same_ids``: curate drops records whose id it has already
    written, so byte-identical copies would be read but not written again.
    """
    dest.mkdir(parents=True)
    out = []
    for r in range(repeat):
        for i, src in enumerate(files):
            dst = dest / f"r{r:02d}_{i:03d}_{src.name}"
            data = None if r == 0 or same_ids else _new_ids(src.read_bytes(), r)
            if data is None:
                shutil.copyfile(src, dst)
            else:
                dst.write_bytes(data)
            out.append(dst)
    return out


# --------------------------------------------------------------------------- outputs


def _norm_url(url: str) -> str:
    # wget writes WARC-Target-URI as "<http://...>"; tools may or may not strip the brackets
    return url.strip().strip("<>").strip()


def read_output(folder: Path) -> tuple[int, set[str]]:
    """(rows, set of normalized URLs) of every Parquet file under ``folder``."""
    import pyarrow.parquet as pq

    rows, urls = 0, set()
    for path in sorted(folder.rglob("*.parquet")):
        pf = pq.ParquetFile(path)
        rows += pf.metadata.num_rows
        names = pf.schema_arrow.names
        if "url" in names:
            col = pf.read(columns=["url"]).column("url")
        elif "metadata" in names:
            col = pf.read(columns=["metadata"]).column("metadata").combine_chunks().field("url")
        else:
            continue
        urls.update(_norm_url(u) for u in col.to_pylist() if u)
    return rows, urls


def _error_line(run: RunResult) -> str:
    """The last 'SomethingError: ...' line of a failed run's log, for the report."""
    pattern = re.compile(r"^(\w+\.)*\w*(Error|Exception)\b.*")
    for line in reversed(run.tail(200).splitlines()):
        if pattern.match(line.strip()):
            return line.strip()[:160]
    return f"exit code {run.returncode}"


def curate_stats(dataset: Path) -> str:
    """Records read and why the others were not written, from the dataset's lineage."""
    try:
        meta = json.loads((dataset / "_curate.json").read_text())
        step = next(st for st in reversed(meta.get("lineage", [])) if st.get("step") == "ingest")
    except (OSError, ValueError, StopIteration, AttributeError):
        return ""
    removed = ", ".join(f"{k} {v}" for k, v in sorted(step.get("removed", {}).items()))
    return f"read {step.get('rows_in', '?')} records, wrote {step.get('rows_out', '?')}; " + (
        f"not written: {removed}" if removed else "none dropped"
    )


def datatrove_stats(logging_dir: Path) -> str:
    """A one-line summary of datatrove's own counters (documents read, timeouts, drops)."""
    try:
        stats = json.loads((logging_dir / "stats.json").read_text())
    except (OSError, ValueError):
        return ""

    def count(value: object) -> int:
        # counters are plain ints, or {"total": n, "mean": ...} when averaged per file
        return int(value.get("total", 0) if isinstance(value, dict) else value or 0)

    parts = []
    for step in stats:
        name, counts = step.get("name", ""), step.get("stats", {})
        if "Warc" in name:
            parts.append(f"read {count(counts.get('documents', 0))} html records")
        elif "Trafilatura" in name:
            parts.append(
                f"extractor kept {count(counts.get('forwarded', 0))}, dropped "
                f"{count(counts.get('dropped', 0))} empty, "
                f"{count(counts.get('timeout', 0))} timed out (default 1 s limit per page)"
            )
    return "; ".join(parts)


# --------------------------------------------------------------------------- tools


def run_curate(
    files: list[Path], work: Path, tag: str, workers: int, extractor: str | None
) -> ToolRun:
    out = work / f"out_{tag}"
    cmd = [
        curate_bin(),
        "ingest",
        *files,
        "-o",
        out,
        "--source",
        "bench",
        "--workers",
        str(workers),
        "--quiet",
    ]
    if extractor:
        cmd += ["--extractor", extractor]
    res = run_measured(cmd, name=tag, log=work / f"{tag}.log")
    rows, urls = read_output(out) if out.exists() else (0, set())
    notes = curate_stats(out) if res.ok else f"FAILED: {_error_line(res)}"
    shutil.rmtree(out, ignore_errors=True)
    return ToolRun(tag, res, rows, urls, notes)


def run_datatrove(input_dir: Path, n_files: int, work: Path, tag: str, workers: int) -> ToolRun:
    script = work / "datatrove_ingest.py"
    if not script.exists():
        script.write_text(DATATROVE_SCRIPT)
    out, logs = work / f"out_{tag}", work / f"logs_{tag}"
    cmd = [peer_python(), script, input_dir, out, logs, str(n_files), str(workers)]
    res = run_measured(cmd, name=tag, log=work / f"{tag}.log", cwd=work, env=PEER_ENV)
    rows, urls = read_output(out) if out.exists() else (0, set())
    notes = datatrove_stats(logs) if res.ok else f"FAILED: {_error_line(res)}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(logs, ignore_errors=True)
    return ToolRun(tag, res, rows, urls, notes)


# --------------------------------------------------------------------------- report


def print_speed_table(runs: dict[str, list[ToolRun]], input_bytes: int, n_files: int) -> None:
    base = runs.get("datatrove")
    base_run = _median_run(base) if base else None
    headers = [
        "tool",
        "rows",
        "wall s",
        "pages/s",
        "MB/s",
        "peak RSS MB",
        "peak PSS MB",
        "CPU s",
        "procs",
        "speed vs dt",
        "CPU vs dt",
        "RSS vs dt",
    ]
    table = []
    for tool, tool_runs in runs.items():
        run = _median_run(tool_runs)
        res = run.result
        walls = [r.result.wall_s for r in tool_runs]
        wall = f"{res.wall_s:.1f}" + (
            f" ({min(walls):.1f}-{max(walls):.1f})" if len(walls) > 1 else ""
        )
        speed = ratio(base_run.result.wall_s, res.wall_s) if base_run and res.ok else "n/a"
        cpu = ratio(base_run.result.cpu_s, res.cpu_s) if base_run and res.ok else "n/a"
        mem = ratio(res.peak_rss, base_run.result.peak_rss) if base_run and res.ok else "n/a"
        table.append(
            [
                tool if res.ok else f"{tool} (FAILED)",
                run.rows,
                wall,
                f"{run.rows / res.wall_s:.1f}",
                f"{input_bytes / MB / res.wall_s:.2f}",
                fmt_mb(res.peak_rss),
                fmt_mb(res.peak_pss),
                f"{res.cpu_s:.1f}",
                res.max_procs,
                speed,
                cpu,
                mem,
            ]
        )
    rounds = max(len(r) for r in runs.values())
    title = f"WARC -> Parquet: {n_files} files, {input_bytes / MB:.1f} MB" + (
        f", median of {rounds} rounds (lower middle if even; min-max in brackets)"
        if rounds > 1
        else ""
    )
    print_table(headers, table, title)
    print(
        "speed vs dt = datatrove wall time / tool wall time on the same input (>1: faster than\n"
        "datatrove); CPU vs dt = datatrove CPU s / tool CPU s (>1: less CPU; less sensitive to\n"
        "other load on the machine than wall time); RSS vs dt = peak tree RSS / datatrove's\n"
        "(<1: less memory). pages/s counts the rows each tool wrote, so it also reflects how many\n"
        "pages each one keeps.\n"
    )
    for tool, tool_runs in runs.items():
        run = _median_run(tool_runs)
        if run.notes:
            print(f"  {tool}: {run.notes}")
    print()


def _median_run(tool_runs: list[ToolRun]) -> ToolRun:
    ok = [r for r in tool_runs if r.result.ok] or tool_runs
    walls = sorted(r.result.wall_s for r in ok)
    med = statistics.median_low(walls)
    return next(r for r in ok if r.result.wall_s == med)


def print_overlap(runs: dict[str, list[ToolRun]]) -> None:
    last = {tool: _median_run(r) for tool, r in runs.items()}
    if "datatrove" not in last:
        return
    dt = last["datatrove"]
    headers = [
        "tool",
        "rows",
        "unique URLs",
        "shared w/ dt",
        "only this tool",
        "only dt",
        "Jaccard",
    ]
    table = []
    for tool, run in last.items():
        common = run.urls & dt.urls
        union = run.urls | dt.urls
        table.append(
            [
                tool,
                run.rows,
                len(run.urls),
                len(common),
                len(run.urls - dt.urls),
                len(dt.urls - run.urls),
                f"{len(common) / len(union):.3f}" if union else "n/a",
            ]
        )
    print_table(headers, table, "Same pages? URL overlap of the outputs with datatrove's")
    for tool, run in last.items():
        if tool == "datatrove":
            continue
        only = [_short(u) for u in sorted(run.urls - dt.urls)[:3]]
        only_dt = [_short(u) for u in sorted(dt.urls - run.urls)[:3]]
        if only or only_dt:
            print(f"  e.g. only {tool}: {only}")
            print(f"       only datatrove: {only_dt}")
    print()


def _short(url: str, width: int = 70) -> str:
    return url if len(url) <= width else url[: width - 3] + "..."


def robustness(bad: dict[Path, str], work: Path, workers: int, tools: list[str]) -> None:
    """Feed the files left out of the timed runs (broken gzip) to each tool on its own."""
    if not bad:
        return
    print("Left out of the timed runs (broken gzip), fed to each tool on their own:")
    for path, err in bad.items():
        print(f"  {path.name}: {err}")
    rdir = work / "robustness_input"
    files = stage(list(bad), 1, rdir)
    table = []
    for tool in tools:
        if tool == "datatrove":
            run = run_datatrove(rdir, len(files), work, "robust_datatrove", workers)
        else:
            run = run_curate(files, work, f"robust_{tool}", workers, _extractor(tool))
        status = "ok" if run.result.ok else f"failed: {_error_line(run.result)}"
        table.append([tool, run.rows, status])
    print()
    print_table(["tool", "rows", "outcome"], table)


def _extractor(tool: str) -> str | None:
    return {"curate": None, "curate-resiliparse": "resiliparse"}[tool]


def print_quality(evaldata: Path, quick: bool) -> None:
    path = Path(__file__).with_name("extract_quality.py")
    print("Extraction quality (benchmarks/extract_quality.py):")
    if not path.exists():
        print("  extract_quality.py is missing: no quality table yet\n")
        return
    if not evaldata.is_dir():
        print(f"  skipped: {evaldata} is absent\n")
        return
    import importlib

    try:
        mod = importlib.import_module("extract_quality")
        results = mod.run(evaldata, quick=quick)
    except Exception as exc:  # noqa: BLE001 - report, do not lose the speed table
        print(f"  failed: {type(exc).__name__}: {exc}\n")
        return
    if hasattr(mod, "format_table"):
        print(mod.format_table(results))
    else:
        for name, row in results.items():
            print(f"  {name}: {row}")
    print()


def print_versions(workers: int) -> None:
    cur = package_versions(sys.executable, ["curate", "resiliparse", "trafilatura", "pyarrow"])
    py = peer_python(required=False)
    peer = package_versions(py, ["datatrove", "trafilatura", "warcio", "pyarrow"]) if py else {}
    total, usable = core_count()
    print("Versions measured:")
    print(
        f"  curate {cur['curate']} (resiliparse {cur['resiliparse']}, trafilatura "
        f"{cur['trafilatura']} for --extractor trafilatura / extract_quality, pyarrow "
        f"{cur['pyarrow']})"
    )
    if peer:
        print(
            f"  datatrove {peer['datatrove']} (trafilatura {peer['trafilatura']} - "
            f"datatrove[processing] pins trafilatura<1.12 -, warcio {peer['warcio']}, "
            f"pyarrow {peer['pyarrow']})"
        )
    print(f"  cores: {total} ({usable} usable), workers per tool: {workers}")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="WARC -> Parquet throughput: curate vs datatrove (+ extraction quality)."
    )
    parser.add_argument(
        "--evaldata",
        type=Path,
        default=DEFAULT_EVALDATA,
        help="evaldata folder (default: <repo>/../shared/evaldata)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="copies of the input list (default: 10, 1 with --quick)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every tool this many times, interleaved; report the median (default: 1)",
    )
    parser.add_argument("--workers", type=int, default=2, help="workers per tool (default: 2)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small first look: top-level files only, repeat 1, quick quality",
    )
    parser.add_argument(
        "--tools",
        default="curate,curate-resiliparse,datatrove",
        help="comma list of curate, curate-resiliparse, datatrove",
    )
    parser.add_argument("--no-quality", action="store_true", help="skip extract_quality")
    parser.add_argument(
        "--no-robustness",
        action="store_true",
        help="do not run the tools on the broken files left out",
    )
    parser.add_argument(
        "--same-ids",
        action="store_true",
        help="make the repeated copies byte-identical (curate then drops them as repeated ids)",
    )
    parser.add_argument("--tmpdir", type=Path, default=None, help="where to stage files")
    parser.add_argument("--keep", action="store_true", help="keep the staged files and logs")
    args = parser.parse_args(argv)

    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for tool in tools:
        if tool not in ("curate", "curate-resiliparse", "datatrove"):
            parser.error(f"unknown tool {tool!r}")
    repeat = args.repeat or (1 if args.quick else 10)
    evaldata = args.evaldata.resolve()
    if "datatrove" in tools:
        peer_python()  # fail early with the hint to build the peer venv

    print_machine()
    files = find_inputs(evaldata, args.quick)
    bad = {p: err for p in files if (err := gzip_error(p))}
    good = [p for p in files if p not in bad]
    if not good:
        raise SystemExit("every input file is broken")
    work = Path(tempfile.mkdtemp(prefix="curate-bench-ingest-", dir=args.tmpdir))
    try:
        staged = stage(good, repeat, work / "input", args.same_ids)
        input_bytes = sum(p.stat().st_size for p in staged)
        print(
            f"input: {len(good)} files x {repeat} = {len(staged)} files, "
            f"{input_bytes / MB:.1f} MB, staged in {work}"
        )
        print(f"workers: {args.workers}; rounds: {args.rounds}\n")

        runs: dict[str, list[ToolRun]] = {t: [] for t in tools}
        for rnd in range(args.rounds):
            order = tools if rnd % 2 == 0 else list(reversed(tools))
            for tool in order:
                tag = f"{tool}_{rnd}"
                t0 = time.strftime("%H:%M:%S")
                if tool == "datatrove":
                    run = run_datatrove(work / "input", len(staged), work, tag, args.workers)
                else:
                    run = run_curate(staged, work, tag, args.workers, _extractor(tool))
                runs[tool].append(run)
                state = "ok" if run.result.ok else "FAILED"
                print(
                    f"[{t0}] {tool:18s} round {rnd + 1}: {run.result.wall_s:7.1f} s, "
                    f"{run.rows} rows, {state}",
                    flush=True,
                )
                if not run.result.ok:
                    print(f"    command: {shell_quote(run.result.cmd[:4])} ...")
                    print("    " + run.result.tail(8).replace("\n", "\n    "))
        print()
        print_speed_table(runs, input_bytes, len(staged))
        print_overlap(runs)
        if not args.no_robustness:
            robustness(bad, work, args.workers, tools)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    if not args.no_quality:
        print_quality(evaldata, args.quick)
    print_versions(args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
