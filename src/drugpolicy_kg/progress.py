"""What a long command is doing, on one line of a terminal: its stages side by side, redrawn as they move on.

Only where standard error is a terminal: a pipe, a file or a test sees nothing of it. Stages may be reported from
several threads (validate checks statements in one while the shapes run in another).
"""

from __future__ import annotations

import sys
import threading
import time


class Progress:
    """``Progress("validate")``; ``.stage("shapes", "37/150")`` from any thread; ``.close()`` clears the line.

    >>> import io
    >>> p = Progress("validate", io.StringIO())  # not a terminal: nothing drawn
    >>> p.stage("shapes", "1/2"); p.close(); p.stream.getvalue()
    ''
    >>> p = Progress("validate", io.StringIO(), enabled=True, every=0)
    >>> p.stage("shapes", "1/2"); p.stage("quotes", "…"); p.close(); p.stream.getvalue().split("\\r")[2].rstrip()
    'validate: shapes 1/2 · quotes …'
    """

    def __init__(self, what: str, stream=None, enabled: bool | None = None, every: float = 0.25):
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            try:
                enabled = self.stream.isatty()
            except (AttributeError, ValueError):  # (a closed or odd stream: no terminal)
                enabled = False
        self.enabled = enabled
        self.every = every
        self.stages: dict[str, str] = {}
        self._lock = threading.Lock()
        self._drawn = 0.0
        self._width = 0

    def stage(self, name: str, state: str, force: bool = False) -> None:
        """Say where the stage ``name`` is (``"37/150"``, ``"done"``): drawn as a stage starts and ends, and in
        between at most every ``every`` seconds."""
        if not self.enabled:
            return
        with self._lock:
            new = name not in self.stages
            self.stages[name] = state
            now = time.monotonic()
            if force or new or state == "done" or now - self._drawn >= self.every:  # (a stage is shown as it starts)
                self._drawn = now
                self._draw(f"{self.what}: " + " · ".join(f"{k} {v}" for k, v in self.stages.items()))

    def _draw(self, line: str) -> None:
        line = line[:max(20, _columns() - 1)]
        try:
            self.stream.write("\r" + line + " " * max(0, self._width - len(line)))
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: the command goes on without it
            self.enabled = False
        self._width = len(line)

    def close(self) -> None:
        """Clear the line, so that what the command prints next starts clean."""
        if not self.enabled:
            return
        with self._lock:
            self._draw("")
            try:
                self.stream.write("\r")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self.enabled = False


def _columns() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns
