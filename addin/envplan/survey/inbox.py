"""Which entries of an inbox folder are returns to read, by their names alone.

Apart from the reader (`return_files`) so that a command can count an inbox's returns before
it imports anything heavy (cli/startup.py starts the reading workers on that count).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

RETURN_SUFFIXES = (".xlsx", ".xlsm")

# What departments attach beside their return (a cover letter, a scan, a mail): listed to the
# section as "not a return", never judged as the department's 差戻し.
NOT_RETURN_SUFFIXES = (".docx", ".doc", ".docm", ".pdf", ".txt", ".rtf", ".odt", ".msg", ".eml", ".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".pptx", ".ppt", ".zip")


def is_not_a_return(path: Path) -> bool:
    """A file of a kind that is never a return (by its extension)."""
    return _not_a_return(path.name, path.is_file)


def is_ignored(path: Path) -> bool:
    """Not a return: office lock files, hidden files, folders."""
    return _ignored(path.name, path.is_dir, path.is_file)


def _not_a_return(name: str, is_file: Callable[[], bool]) -> bool:
    return os.path.splitext(name)[1].lower() in NOT_RETURN_SUFFIXES and is_file()


def _ignored(name: str, is_dir: Callable[[], bool], is_file: Callable[[], bool]) -> bool:
    """The rule of `is_ignored`, asking for the entry's kind only when the name does not settle it."""
    return is_dir() or name.startswith(("~$", ".~lock.", ".")) or name.lower() in ("thumbs.db", "desktop.ini") or _not_a_return(name, is_file)


def list_inbox(inbox: Path) -> tuple[list[Path], list[Path]]:
    """(files to read, ignored entries), sorted by name."""
    files: list[Path] = []
    ignored: list[Path] = []
    # os.scandir: each entry's type comes with the listing, where Path.is_dir and is_file took two
    # stats a file (two thirds of listing 1,000 returns, which a consolidation does more than once).
    with os.scandir(inbox) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        (ignored if _ignored(entry.name, entry.is_dir, entry.is_file) else files).append(Path(inbox) / entry.name)
    return files, ignored


__all__ = ["NOT_RETURN_SUFFIXES", "RETURN_SUFFIXES", "is_ignored", "is_not_a_return", "list_inbox"]
