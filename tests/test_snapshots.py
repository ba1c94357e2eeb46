"""What a user sees, exactly: each command's exit code, stdout and stderr, as snapshots.

Every case runs the real `curate` process on a small corpus this module writes, and
compares what it printed with `tests/snapshots/<case>.txt`, after replacing what
changes from run to run (times, rates, sizes, the temporary folder, the version) with
placeholders and evening out the padding of rich's tables. A change to a summary table
or an error message then shows in the diff of a snapshot, and is deliberate.

To accept new output: `CURATE_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_snapshots.py`,
then read the diff of `tests/snapshots/` before committing it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from curate import __version__

SNAPSHOTS = Path(__file__).with_name("snapshots")
UPDATE = os.environ.get("CURATE_UPDATE_SNAPSHOTS") == "1"
_SCRIPT = Path(sys.executable).with_name("curate")
CURATE = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "curate"]
# a fixed terminal-less console: no colour, no progress bars, a known width
ENV = {
    **{k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")},
    "COLUMNS": "100",
    "NO_COLOR": "1",
    "TERM": "dumb",
}

SENTENCES = [
    "The old miller walked to the quiet harbour in the morning.",
    "A young teacher painted a field of barley before the rain came.",
    "Our neighbour keeps bees behind the school and sells the honey in autumn.",
    "The river guide told us that the water was higher than last year.",
    "We bought bread from the baker, who has worked on this street for thirty years.",
    "After lunch the children ran down to the stone bridge to watch the boats.",
    "It was cold, so she wore the green coat her sister had given her.",
    "The library opens at nine and closes early on Saturdays during the summer.",
    "He wrote a long letter to his brother about the new job in the city.",
    "Most of the market was empty because the farmers had gone to the fair.",
    "They planted apple trees along the path where the old fence used to be.",
    "The train was late again, and nobody at the station seemed surprised.",
    "My grandmother taught me how to bake a simple cake with very little sugar.",
    "When the storm passed, the whole village came out to clear the roads.",
    "The museum has a small room of maps drawn by sailors long ago.",
    "She read the instructions twice before she started to build the shelf.",
]


def _prose(seed: int) -> str:
    """Plain varied English prose that every default filter keeps."""
    import random

    return " ".join(random.Random(seed).sample(SENTENCES, 10))


def _corpus(folder: Path) -> None:
    """40 documents: kept prose, too-short notes, exact copies and a repeated phrase."""
    rows = []
    for i in range(40):
        if i % 4 == 0:
            text = f"short note {i}"
        elif i % 4 == 1:
            text = _prose(1)  # the same document ten times: exact duplicates
        elif i % 4 == 2:
            text = " ".join(["buy cheap pills now"] * 30)
        else:
            text = _prose(i)
        rows.append({"id": f"d{i:02d}", "text": text, "url": f"https://site{i % 3}.org/p{i}"})
    lines = [json.dumps(r) for r in rows]
    lines.insert(7, '{"id": "broken", "text": ')  # a broken JSON line: counted, skipped
    (folder / "docs.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "checks.toml").write_text(
        '[[check]]\nname = "enough documents"\nmetric = "documents"\nmin = 1000\n'
    )


_TIME = re.compile(r"\b\d+(\.\d+)? ?(s|ms|min)\b")
_RATE = re.compile(r"\b[\d,.]+ (docs|documents|MB|records)/s\b")
_SIZE = re.compile(r"\b\d+(\.\d+)? ?(B|KB|MB|GB|KiB|MiB|GiB)\b")


def normalise(text: str, tmp: Path) -> str:
    """Placeholders for what varies between runs; table padding evened out."""
    text = text.replace(str(tmp), "<tmp>").replace(__version__, "<version>")
    text = _RATE.sub(r"<rate> \1/s", text)
    text = _TIME.sub("<time>", text)
    text = _SIZE.sub("<size>", text)
    out = []
    for line in text.splitlines():
        line = re.sub(r"([─━])\1+", r"\1", line)  # rule widths follow the widest cell
        line = re.sub(r" {2,}", " ", line).rstrip()
        out.append(line)
    return "\n".join(out) + ("\n" if out else "")


def run(args: list[str], cwd: Path) -> str:
    r = subprocess.run(
        [*CURATE, *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=300
    )
    shown = " ".join(args)
    return (
        f"$ curate {shown}\nexit: {r.returncode}\n--- stdout\n{normalise(r.stdout, cwd)}"
        f"--- stderr\n{normalise(r.stderr, cwd)}"
    )


# case -> commands run first (not shown), then the command whose output is the snapshot
CASES: dict[str, tuple[list[list[str]], list[str]]] = {
    "ingest": ([], ["ingest", "docs.jsonl", "-o", "raw", "--source", "forum"]),
    "ingest-up-to-date": (
        [["ingest", "docs.jsonl", "-o", "raw", "--source", "forum"]],
        ["ingest", "docs.jsonl", "-o", "raw", "--source", "forum"],
    ),
    "filter": (
        [["ingest", "docs.jsonl", "-o", "raw", "--source", "forum"]],
        ["filter", "raw", "-o", "filtered", "--preset", "gopher", "--rejected", "removed"],
    ),
    "dedup": (
        [["ingest", "docs.jsonl", "-o", "raw", "--source", "forum"]],
        ["dedup", "raw", "-o", "deduped"],
    ),
    "stats": (
        [
            ["ingest", "docs.jsonl", "-o", "raw", "--source", "forum"],
            ["filter", "raw", "-o", "filtered", "--preset", "gopher"],
        ],
        ["stats", "filtered"],
    ),
    "check-fails": (
        [["ingest", "docs.jsonl", "-o", "raw", "--source", "forum"]],
        ["check", "raw", "--rules", "checks.toml"],
    ),
    "error-missing-input": ([], ["filter", "nowhere", "-o", "out", "--preset", "gopher"]),
    "error-output-inside-input": (
        [["ingest", "docs.jsonl", "-o", "raw", "--source", "forum"]],
        ["filter", "raw", "-o", "raw/inner", "--preset", "gopher"],
    ),
    "error-unknown-preset": (
        [["ingest", "docs.jsonl", "-o", "raw", "--source", "forum"]],
        ["filter", "raw", "-o", "out", "--preset", "gopherish"],
    ),
    "error-overwrite-foreign-folder": (
        [["ingest", "docs.jsonl", "-o", "raw", "--source", "forum"]],
        ["filter", "raw", "-o", ".", "--preset", "gopher", "--overwrite"],
    ),
    "error-unknown-command": ([], ["dedupe", "raw"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_what_the_user_sees(case, tmp_path):
    _corpus(tmp_path)
    before, command = CASES[case]
    for args in before:
        r = subprocess.run([*CURATE, *args, "-q"], cwd=tmp_path, env=ENV, capture_output=True)
        assert r.returncode == 0, (args, r.stderr)
    got = run(command, tmp_path)
    path = SNAPSHOTS / f"{case}.txt"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(got)
    assert path.is_file(), f"no snapshot {path.name}: run with CURATE_UPDATE_SNAPSHOTS=1"
    assert got == path.read_text()
