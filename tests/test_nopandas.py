"""The `curate` command keeps pandas out of its processes (curate.nopandas).

pyarrow would import pandas in every worker only to ask whether values are pandas
objects; the block must never break a command, so the pipeline runs here as a user
runs it: the real console entry point in a fresh process, with worker processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# the console script a user runs (its workers skip re-running it), else `python -m curate`
_SCRIPT = Path(sys.executable).with_name("curate")
CURATE = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "curate"]
PROBE = (
    "import sys; from curate.nopandas import block_pandas; block_pandas(); "
    "import pyarrow as pa; pa.array(['x', None]).to_numpy(zero_copy_only=False); "
    "print('pandas' in sys.modules)"
)


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}
    )


def test_pyarrow_conversions_work_without_importing_pandas():
    r = _python(PROBE, CURATE_NO_PANDAS="")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def pandas_loaded_after_conversions(_unit: int) -> bool:
    """Run in a worker process: what pyarrow imported while converting values."""
    import pyarrow as pa

    pa.array(["x", None]).to_numpy(zero_copy_only=False)
    return "pandas" in sys.modules


def test_worker_processes_inherit_the_block():
    pytest.importorskip("pandas")  # without pandas installed there is nothing to block
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "from curate.nopandas import block_pandas; block_pandas(); "
        "from curate.executor import LocalExecutor; import test_nopandas as t; "
        "runs = LocalExecutor(2).map_unordered(t.pandas_loaded_after_conversions, [1, 2, 3]); "
        "print(sorted({loaded for _, loaded in runs}))"
    )
    r = _python(code, CURATE_NO_PANDAS="")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[False]"


def test_curate_no_pandas_0_lets_pandas_in():
    pytest.importorskip("pandas")
    r = _python(PROBE, CURATE_NO_PANDAS="0")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"


def test_the_pipeline_runs_in_fresh_processes_with_the_block(tmp_path):
    words = "river mill bread flour water stone bridge market harvest village".split()
    lines = []
    for i in range(40):
        body = " ".join(words[(i + k) % len(words)] for k in range(60))
        text = f"Contact me at person{i}@example.org today. " + (body + ". ") * 3
        lines.append(json.dumps({"id": f"d{i}", "text": text.strip()}))
    src = tmp_path / "docs.jsonl"
    src.write_text("\n".join(lines) + "\n")
    steps = [
        ["ingest", src, "-o", tmp_path / "raw", "--source", "t"],
        ["filter", tmp_path / "raw", "-o", tmp_path / "f", "--filters", "length,gopher_quality"],
        ["dedup", tmp_path / "f", "-o", tmp_path / "d"],
        ["score", tmp_path / "d", "-o", tmp_path / "s"],
        ["pii", tmp_path / "s", "-o", tmp_path / "p", "--redact", "email"],
        ["report", tmp_path / "p", "-o", tmp_path / "r"],
    ]
    env = {**os.environ, "CURATE_NO_PANDAS": ""}
    for args in steps:
        cmd = [*CURATE, *map(str, args), "--workers", "2", "-q"]
        if args[0] == "report":
            cmd.remove("--workers")
            cmd.remove("2")
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        assert r.returncode == 0, (args[0], r.stderr)
    assert (tmp_path / "r" / "report.md").is_file()
