"""Write every output of `curate report -o DIR` from one report document.

All files come from the same in-memory report (PROVENANCE.md §6.3). They appear
together or not at all: every file is rendered, then written and synced under a
temporary name in DIR, and only when all eight are on disk is each renamed into
place. A full disk, a read-only folder or Ctrl-C while writing removes the
temporaries and leaves an earlier report exactly as it was, so a partial set never
looks like a report. A folder holding only these files, with a report.json that a curate
report wrote, is our own earlier output and is replaced; anything else is refused unless
`overwrite`.
"""

from __future__ import annotations

import errno
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from curate.dataset import LEGACY_TMP_PREFIX, TMP_PREFIX
from curate.errors import CurateError, system_reason
from curate.locations import check_locations, dataset_inputs
from curate.provenance.card import render_card
from curate.provenance.croissant import build_croissant
from curate.provenance.eu import build_eu_summary, render_eu_markdown, top_domains_csv
from curate.provenance.render_html import render_html
from curate.provenance.render_md import render_markdown
from curate.provenance.report import SCHEMA_VERSION, Report

OUTPUTS = (
    "report.md",
    "report.html",
    "report.json",
    "croissant.json",
    "README.md",
    "eu_summary.md",
    "eu_summary.json",
    "eu_top_domains.csv",
)
_TEMPORARY = re.compile(r"^(?:\.curate-tmp-|\.tmp-)(\d+)-(.+)$")
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


def report_schema() -> dict[str, Any]:
    """The JSON Schema of report.json shipped in the package (`curate.report/1`)."""
    text = resources.files("curate.provenance").joinpath("report.schema.json").read_text("utf-8")
    return json.loads(text)


def render_all(report: Report) -> dict[str, str]:
    """Every output file's text, by name."""
    doc = report.doc
    crawled = [
        s for s, d in (doc.get("declared_sources") or {}).items() if d.get("kind") == "crawled"
    ]
    crawled_domains = report.domains_of(crawled)
    eu = build_eu_summary(doc, crawled_domains)
    sme = bool(((doc.get("system") or {}).get("eu") or {}).get("sme"))
    return {
        "report.md": render_markdown(doc),
        "report.html": render_html(doc),
        "report.json": _json(doc),
        "croissant.json": _json(build_croissant(doc)),
        "README.md": render_card(doc),
        "eu_summary.md": render_eu_markdown(eu),
        "eu_summary.json": _json(eu),
        "eu_top_domains.csv": top_domains_csv(crawled_domains, sme=sme),
    }


def write_outputs(report: Report, out: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write the eight report files into `out`, all of them or none (see the module doc)."""
    folder = Path(out)
    ds = report.dataset
    check_locations({"-o": folder}, dataset_inputs(ds.location, [s.path for s in ds.shards]))
    try:
        if folder.exists() and not folder.is_dir():
            raise CurateError(f"{folder}: exists and is not a folder; choose another -o")
        if folder.exists():
            _refuse_foreign(folder, overwrite)
    except OSError as exc:
        raise CurateError(f"{folder}: cannot read the report folder ({_why(exc)})") from exc
    texts = render_all(report)  # before the first write: a rendering error leaves no trace
    try:
        created = _make_folders(folder)
    except OSError as exc:
        raise CurateError(
            f"{folder}: cannot create the report folder ({_why(exc)}); choose another -o"
        ) from exc
    staged: dict[Path, Path] = {}
    try:
        for name, text in texts.items():
            tmp = folder / f"{TMP_PREFIX}{os.getpid()}-{name}"
            staged[tmp] = folder / name  # before writing: a half-written temporary is removed too
            _write_synced(tmp, text.encode("utf-8"))
    except BaseException as exc:
        _discard(staged, created)
        if isinstance(exc, OSError):
            raise CurateError(
                f"{folder}: cannot write the report ({_why(exc)}); no report file was changed; "
                + _fix(exc)
            ) from exc
        raise
    try:
        for tmp, path in staged.items():
            os.replace(tmp, path)
    except BaseException as exc:  # a rename in one folder needs no space: not seen in practice
        _discard(staged, [])
        if isinstance(exc, OSError):
            raise CurateError(
                f"{folder}: cannot move the new report files into place ({_why(exc)}); the "
                "folder may mix this run's files with an earlier report's: fix this and re-run"
            ) from exc
        raise
    _sync_folder(folder)
    _remove_stale_temporaries(folder)
    return list(staged.values())


def _refuse_foreign(folder: Path, overwrite: bool) -> None:
    """Refuse a folder that is not our own earlier report, unless `overwrite`: one holding
    other files, or files named like ours (a user's README.md) without the report.json
    that says a curate report wrote them."""
    if overwrite:
        return
    names = sorted(p.name for p in folder.iterdir())
    foreign = [
        n for n in names if n not in OUTPUTS and not n.startswith((TMP_PREFIX, LEGACY_TMP_PREFIX))
    ]
    if foreign:
        raise CurateError(
            f"{folder}: not empty and not a report folder (holds {foreign[0]}); "
            "choose another -o or pass --overwrite"
        )
    ours = [n for n in names if n in OUTPUTS]
    if ours and not _is_report_json(folder / "report.json"):
        raise CurateError(
            f"{folder}: holds {ours[0]} but no report.json of a curate report, so those "
            "files are not an earlier report; choose another -o or pass --overwrite"
        )


def _is_report_json(path: Path) -> bool:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    family = SCHEMA_VERSION.rsplit("/", 1)[0] + "/"  # any version of curate's report
    return isinstance(doc, dict) and str(doc.get("schema_version", "")).startswith(family)


def _make_folders(folder: Path) -> list[Path]:
    """Create `folder` and any missing parents; returns those created, deepest first."""
    missing = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _write_synced(path: Path, data: bytes) -> None:
    """Write and fsync: a file renamed into place must hold its bytes after a power cut."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _discard(staged: dict[Path, Path], created: list[Path]) -> None:
    """Remove this run's temporaries, then the folders it created if they are empty."""
    for tmp in staged:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
    for d in created:
        try:
            d.rmdir()
        except OSError:
            break


def _sync_folder(folder: Path) -> None:
    """Sync the folder so the renames survive a power cut (best effort: not every FS can)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporaries of report files left by a run that was killed (its process is gone)."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for p in entries:
        m = _TEMPORARY.match(p.name)
        if m is None or m.group(2) not in OUTPUTS or _running(int(m.group(1))):
            continue
        try:
            p.unlink()
        except OSError:
            pass


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process, or cannot tell: leave its files alone
    return True


def _why(exc: OSError) -> str:
    return system_reason(exc)


def _fix(exc: OSError) -> str:
    if exc.errno in _NO_SPACE:
        return "free some space or choose another -o"
    if exc.errno in _NOT_WRITABLE:
        return "choose a folder you can write to with -o"
    return "fix this or choose another -o"


def _json(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n"
