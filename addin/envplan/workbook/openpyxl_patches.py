"""Methods of openpyxl replaced, for a while, by equivalents that are faster (xlsx_load, xlsx_save).

openpyxl has no hook for these steps; its classes' methods are replaced while at least one
`active()` context is open anywhere in the process, and restored when the last one closes.
A replacement gives the same result as the original (the tests compare whole workbooks), so
threads may overlap and contexts may nest; a lock would make concurrent loads in a server wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class MethodPatch:
    """`replacements`: (class, method name, the equivalent function)."""

    def __init__(self, *replacements: tuple[type, str, Callable[..., Any]]) -> None:
        self._replacements = replacements
        self._originals = [(cls, name, cls.__dict__[name]) for cls, name, _ in replacements]
        self._lock = threading.Lock()
        self._active = 0

    @contextmanager
    def active(self) -> Iterator[None]:
        with self._lock:
            if not self._active:
                for cls, name, function in self._replacements:
                    setattr(cls, name, function)
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if not self._active:
                    for cls, name, function in self._originals:
                        setattr(cls, name, function)


__all__ = ["MethodPatch"]
