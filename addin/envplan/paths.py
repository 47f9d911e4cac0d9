"""Where the project's data folders are (the package is installed editable
from the repository, so they sit beside `addin/`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = Path(os.environ.get("ENVPLAN_HOME", PACKAGE_DIR.parents[1]))
WORKBOOK_DIR = PROJECT_ROOT / "workbook"
SAMPLES_DIR = WORKBOOK_DIR / "samples"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
MACROS_DIR = PROJECT_ROOT / "macros"


def _user_dir(name: str) -> Path:
    base = os.environ.get("LOCALAPPDATA") if sys.platform == "win32" else None
    return Path(base) / "envplan" / name if base else Path.home() / ".envplan" / name


def log_dir() -> Path:
    """Where unexpected failures are logged (the CLI and the ribbon share it)."""
    return _user_dir("logs")


def cache_dir() -> Path:
    """Where files read at every start are kept parsed (`yaml_cache`); ENVPLAN_CACHE_DIR to choose."""
    chosen = os.environ.get("ENVPLAN_CACHE_DIR")
    return Path(chosen) if chosen else _user_dir("cache")
