"""Which entries of an inbox folder are returns to read, by their names alone.

Apart from the reader (`return_files`) so that a command can count an inbox's returns before
it imports anything heavy (cli/startup.py starts the reading workers on that count).
"""

from __future__ import annotations

import os
from pathlib import Path

RETURN_SUFFIXES = (".xlsx", ".xlsm")

# What departments attach beside their return (a cover letter, a scan, a mail): listed to the
# section as "not a return", never judged as the department's 差戻し.
NOT_RETURN_SUFFIXES = (".docx", ".doc", ".docm", ".pdf", ".txt", ".rtf", ".odt", ".msg", ".eml", ".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".pptx", ".ppt", ".zip")


def is_not_a_return(path: Path) -> bool:
    """A file of a kind that is never a return (by its extension)."""
    return path.is_file() and path.suffix.lower() in NOT_RETURN_SUFFIXES


def is_ignored(path: Path) -> bool:
    """Not a return: office lock files, hidden files, folders."""
    name = path.name
    return path.is_dir() or _ignored_name(name) or is_not_a_return(path)


def _ignored_name(name: str) -> bool:
    return name.startswith(("~$", ".~lock.", ".")) or name.lower() in ("thumbs.db", "desktop.ini")


def list_inbox(inbox: Path) -> tuple[list[Path], list[Path]]:
    """(files to read, ignored entries), sorted by name."""
    files: list[Path] = []
    ignored: list[Path] = []
    # os.scandir: each entry's type comes with the listing, where Path.is_dir and is_file took two
    # stats a file (two thirds of listing 1,000 returns, which a consolidation does more than once).
    with os.scandir(inbox) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        name = entry.name
        skip = entry.is_dir() or _ignored_name(name) or (os.path.splitext(name)[1].lower() in NOT_RETURN_SUFFIXES and entry.is_file())
        (ignored if skip else files).append(Path(inbox) / name)
    return files, ignored


__all__ = ["NOT_RETURN_SUFFIXES", "RETURN_SUFFIXES", "is_ignored", "is_not_a_return", "list_inbox"]
