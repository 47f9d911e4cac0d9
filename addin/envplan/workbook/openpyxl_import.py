"""openpyxl imported without numpy.

openpyxl imports numpy (`openpyxl.compat.numbers`, a tenth of a second cold, a fifth of a
command's start) only so that numpy numbers may be cell values; envplan gives it Python
numbers. While openpyxl's package executes, `import numpy` raises ImportError (openpyxl then
does without); afterwards numpy is importable as ever (pandas, for the report).
"""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import importlib.machinery
    from collections.abc import Sequence
    from types import ModuleType


class _OpenpyxlWithoutNumpy:
    """A meta path finder (not derived from importlib.abc's, whose import costs a hundredth of a
    second): asked first for every import, it answers only for openpyxl itself, once, and then
    leaves `sys.meta_path`, so a process that never imports openpyxl pays one lookup per import."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "openpyxl":
            return None
        _remove_hook()
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_package = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            if "numpy" in sys.modules:  # imported meanwhile: openpyxl may as well use it
                exec_package(module)
                return
            sys.modules["numpy"] = None  # type: ignore[assignment]  # `import numpy` raises ImportError
            try:
                exec_package(module)
            finally:
                if sys.modules.get("numpy", ...) is None:
                    del sys.modules["numpy"]

        loader.exec_module = exec_module  # type: ignore[method-assign]  # this spec's loader only
        return spec


def _remove_hook() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _OpenpyxlWithoutNumpy)]


def keep_numpy_out_of_openpyxl() -> None:
    """From now on, the first `import openpyxl` (if any) leaves numpy out. Nothing happens where
    either is already imported."""
    if "openpyxl" in sys.modules or "numpy" in sys.modules:
        return
    if not any(isinstance(finder, _OpenpyxlWithoutNumpy) for finder in sys.meta_path):
        sys.meta_path.insert(0, _OpenpyxlWithoutNumpy())


def import_openpyxl_without_numpy() -> None:
    """Import openpyxl now (a command that will need it), without numpy."""
    keep_numpy_out_of_openpyxl()
    import openpyxl  # noqa: F401


__all__ = ["import_openpyxl_without_numpy", "keep_numpy_out_of_openpyxl"]
