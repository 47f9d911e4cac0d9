"""The benchmarks measure envplan as installed: from its compiled bytecode."""

from __future__ import annotations

import compileall
from pathlib import Path


def precompile() -> None:
    """An installed package has its .pyc files; with PYTHONDONTWRITEBYTECODE set (as in some shells and
    CI), every measured process would compile envplan's sources again (about 0.2 s) and count that."""
    import envplan

    compileall.compile_dir(str(Path(envplan.__file__).parent), quiet=1)
