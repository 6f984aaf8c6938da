"""Progress of long commands (imports, exports): rows done, rate and time left, on a terminal.

Shown on standard error only when it is a terminal, so pipes, redirected output, logs, scripts
and tests see exactly what they saw before. The work reports in chunks (a batch of rows), and the
bar redraws at most a few times a second, so showing it never slows the work down.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any, TextIO

from tqdm import tqdm

REDRAW_S = 0.25  # at most four redraws a second


class Progress:
    """What long work tells about itself; this one shows nothing (not a terminal, library use)."""

    def stage(self, label: str, total: int | None = None) -> None:
        """A new step ("Checking rows", 10,000 of them; None when the count is not known)."""

    def advance(self, count: int = 1) -> None:
        """`count` more done in the current stage."""

    def close(self) -> None:
        """The work is over: clear the line."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


NO_PROGRESS = Progress()


class TerminalProgress(Progress):
    """A tqdm bar per stage, drawn on `stream` and cleared when the stage or the work ends."""

    def __init__(self, stream: TextIO, unit: str = "rows") -> None:
        self.stream = stream
        self.unit = unit
        self._bar: tqdm[Any] | None = None

    def stage(self, label: str, total: int | None = None) -> None:
        """Close the previous stage's bar and start one for this stage."""
        self.close()
        self._bar = tqdm(
            total=total,
            desc=label,
            unit=f" {self.unit}",
            file=self.stream,
            mininterval=REDRAW_S,
            leave=False,
            dynamic_ncols=True,
        )

    def advance(self, count: int = 1) -> None:
        """Move the bar; tqdm redraws only when REDRAW_S has passed."""
        if self._bar is not None:
            self._bar.update(count)

    def close(self) -> None:
        """Clear the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def shows_progress(stream: TextIO, env: dict[str, str] | None = None) -> bool:
    """Only a terminal gets a progress bar: not a pipe, a file, a captured stream or TERM=dumb."""
    env = dict(os.environ) if env is None else env
    try:
        interactive = not stream.closed and stream.isatty()
    except (AttributeError, ValueError):  # not a stream, or already closed
        return False
    return interactive and env.get("TERM", "") != "dumb"


def progress_on(stream: TextIO | None = None, *, unit: str = "rows") -> Progress:
    """A progress display on `stream` (standard error by default) if it is a terminal, else none."""
    stream = sys.stderr if stream is None else stream
    return TerminalProgress(stream, unit) if shows_progress(stream) else NO_PROGRESS
