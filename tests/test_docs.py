"""The docs keep up with the CLI: a page per command, its option table rendered from the code."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import typer

from curate.cli import app

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]


def _load_cli_reference():
    """scripts/cli_reference.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "cli_reference", ROOT / "scripts" / "cli_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("cli_reference", module)
    spec.loader.exec_module(module)
    return module


cli_reference = _load_cli_reference()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_page_naming_its_options(name):
    page = ROOT / "docs" / f"{name}.md"
    assert page.exists(), f"docs/{name}.md is missing"
    text = page.read_text()
    for param in COMMANDS[name].params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert opt in text, f"docs/{name}.md does not mention {opt}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_page_has_the_option_table_the_code_renders(name):
    """The table between the markers is exactly what the script renders from `--help` now."""
    text = (ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8")
    fix = f"run `{cli_reference.COMMAND}` to regenerate docs/{name}.md's option table"
    assert cli_reference.BEGIN in text and cli_reference.END in text, (
        f"docs/{name}.md has no generated option table; put the markers under ## Options and {fix}"
    )
    assert cli_reference.render_page(text, COMMANDS[name]) == text, (
        f"docs/{name}.md's option table differs from the code; {fix}"
    )


def test_rendered_table_carries_names_metavar_help_and_default():
    """One row per parameter: names, metavar, help, and what --help adds (required, default)."""
    table = cli_reference.options_table(COMMANDS["dedup"])
    rows = table.splitlines()
    assert rows[:2] == ["| option | meaning |", "|---|---|"]
    assert len(rows) == 2 + len([p for p in COMMANDS["dedup"].params if not p.hidden])
    assert "| `DATASET` | Input dataset (folder, Parquet file or glob). |" in rows
    output = next(r for r in rows if "--output" in r)
    assert output.startswith("| `-o`, `--output DIR` |") and output.endswith("(required) |")
    keep = next(r for r in rows if "--keep" in r)
    assert keep.startswith("| `--keep first\\|longest\\|COLUMN\\|none` |")
    assert keep.endswith("(default `first`) |")
    assert "| `--exact` | Exact duplicates only" in table  # a flag: no metavar, no default
    assert "| `--quiet`, `-q` | No progress and no summary. |" in rows


def test_check_mode_shows_a_diff_and_fails_when_a_page_drifts(tmp_path, monkeypatch, capsys):
    page = (ROOT / "docs" / "stats.md").read_text(encoding="utf-8")
    drifted = page.replace("Processes counting shards", "Threads counting shards")
    assert drifted != page
    (tmp_path / "stats.md").write_text(drifted, encoding="utf-8")
    monkeypatch.setattr(cli_reference, "commands", lambda: {"stats": COMMANDS["stats"]})
    monkeypatch.setattr(cli_reference, "DOCS", tmp_path)
    assert cli_reference.main(["--check"]) == 1
    out = capsys.readouterr()
    assert "-| `--workers N` | Threads counting shards" in out.out
    assert "+| `--workers N` | Processes counting shards" in out.out
    assert cli_reference.COMMAND in out.err
    assert (tmp_path / "stats.md").read_text(encoding="utf-8") == drifted  # --check writes nothing
    assert cli_reference.main([]) == 0
    assert (tmp_path / "stats.md").read_text(encoding="utf-8") == page


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_help_has_an_example(name):
    assert "Example" in (COMMANDS[name].help or ""), f"`curate {name} --help` has no example"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    blocks = re.findall(r"```\n(.*?)\n```", readme, re.S)
    test_cmd = next(b.strip() for b in blocks if "pytest" in b)
    assert test_cmd in ci
