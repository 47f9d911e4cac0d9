"""The console the CLI writes its messages, tables and progress to (stderr, so that --json leaves
stdout to one JSON object), made with rich on first use: a command whose output is JSON alone
(a server's, a script's) never draws with it, and rich takes a fortieth of a second to import.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rich.console import Console


class Status(Protocol):
    def update(self, status: str) -> None: ...


class _NoStatus:
    """Progress where no one watches it: rich draws none either on a console that is not a
    terminal (a pipe, a log file, a server)."""

    def update(self, status: str) -> None:
        pass


class LazyConsole:
    def __init__(self) -> None:
        self._console: Console | None = None

    @property
    def rich(self) -> Console:
        if self._console is None:
            from rich.console import Console

            # soft_wrap: a message (a path above all) stays on one line in a server's log, copyable.
            self._console = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._console

    def print(self, *objects: Any, **options: Any) -> None:
        self.rich.print(*objects, **options)

    @contextmanager
    def status(self, message: str) -> Iterator[Status]:
        if self._console is None and not _stderr_is_terminal():
            yield _NoStatus()
            return
        with self.rich.status(message) as status:
            yield status


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


def escape(text: str) -> str:
    """`text` (a file name like [draft].xlsx, a department's words) shown as it is, not as rich markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


console = LazyConsole()

__all__ = ["LazyConsole", "Status", "console", "escape"]
