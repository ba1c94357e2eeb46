"""The docs keep up with the CLI: a page per command naming every option."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from curate.cli import app

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]


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
def test_every_help_has_an_example(name):
    assert "Example" in (COMMANDS[name].help or ""), f"`curate {name} --help` has no example"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    blocks = re.findall(r"```\n(.*?)\n```", readme, re.S)
    test_cmd = next(b.strip() for b in blocks if "pytest" in b)
    assert test_cmd in ci
