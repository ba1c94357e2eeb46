"""Progress and summaries on stderr: a rich bar on a terminal, plain lines in CI logs.

stdout is reserved for what a command exists to print (`stats`, any `--json`), so
everything here writes to stderr. A bar is drawn only when stderr is a terminal and
`--quiet` is not set; otherwise a plain log line every few seconds, never animation
in a CI log.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

LOG_EVERY_S = 10.0


def stderr_console(quiet: bool = False) -> Console:
    return Console(stderr=True, quiet=quiet, highlight=False, soft_wrap=True)


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


class StepProgress:
    """Counts units (files, shards), documents and bytes; draws or logs them."""

    def __init__(
        self,
        console: Console,
        *,
        label: str,
        units: int,
        unit_name: str = "files",
    ) -> None:
        self.console = console
        self.label = label
        self.units_total = units
        self.unit_name = unit_name
        self.units = 0
        self.docs = 0
        self.bytes = 0
        self.start = time.monotonic()
        self._last_log = self.start
        self._bar: Progress | None = None
        self._task = None
        if console.is_terminal and not console.quiet:
            self._bar = Progress(
                TextColumn(f"[bold]{label}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self._task = self._bar.add_task(label, total=units, detail="")

    def __enter__(self) -> StepProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def tick(self, counts: dict[str, int]) -> None:
        """Add what a worker reported (`docs`, `bytes`)."""
        self.docs += counts.get("docs", 0)
        self.bytes += counts.get("bytes", 0)
        self._refresh()

    def unit_done(self) -> None:
        self.units += 1
        self._refresh(force_log=self.units == self.units_total)

    def _detail(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-6)
        done = f"{self.units}/{self.units_total} {self.unit_name}"
        if not self.docs:  # a stage whose units are not documents (dedup's bands)
            return done
        read = f"{human_bytes(self.bytes)} · " if self.bytes else ""  # steps that count bytes
        return f"{done} · {self.docs:,} docs · {read}{self.docs / elapsed:,.0f} docs/s"

    def _refresh(self, force_log: bool = False) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.units, detail=self._detail())
            return
        now = time.monotonic()
        if force_log or now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            self.console.print(f"{self.label}: {self._detail()}")


def summary_table(title: str, rows: Iterable[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    for k, v in rows:
        table.add_row(k, v)
    return table


def warn(console: Console, message: str) -> None:
    console.print(f"[yellow]warning:[/yellow] {message}")
