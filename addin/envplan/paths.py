"""Where the project's data folders are (the package is installed editable
from the repository, so they sit beside `addin/`)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = Path(os.environ.get("ENVPLAN_HOME", PACKAGE_DIR.parents[1]))
WORKBOOK_DIR = PROJECT_ROOT / "workbook"
SAMPLES_DIR = WORKBOOK_DIR / "samples"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
MACROS_DIR = PROJECT_ROOT / "macros"
