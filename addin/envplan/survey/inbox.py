"""Which entries of an inbox folder are returns to read, by their names alone.

Apart from the reader (`return_files`) so that a command can count an inbox's returns before
it imports anything heavy (cli/startup.py starts the reading workers on that count).
"""

from __future__ import annotations

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
    return path.is_dir() or name.startswith(("~$", ".~lock.", ".")) or name.lower() in ("thumbs.db", "desktop.ini") or is_not_a_return(path)


def list_inbox(inbox: Path) -> tuple[list[Path], list[Path]]:
    """(files to read, ignored entries), sorted by name."""
    files: list[Path] = []
    ignored: list[Path] = []
    for entry in sorted(Path(inbox).iterdir(), key=lambda p: p.name):
        (ignored if is_ignored(entry) else files).append(entry)  # each entry looked at once (two stats)
    return files, ignored


__all__ = ["NOT_RETURN_SUFFIXES", "RETURN_SUFFIXES", "is_ignored", "is_not_a_return", "list_inbox"]
