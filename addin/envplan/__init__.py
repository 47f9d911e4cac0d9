"""envplan: progress management of a municipal environmental plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from envplan.rules.opensdg import opensdg_status  # noqa: E402  (public: the Open SDG progress method)

if TYPE_CHECKING:
    from envplan.report.analysis import MasterData, read_master

__all__ = ["opensdg_status", "read_master", "MasterData", "__version__"]


def __getattr__(name: str) -> Any:
    # read_master brings pandas and the report layer: loaded when first asked for, so that
    # `import envplan` (every CLI command, the Excel door) stays as quick as it was.
    if name in ("read_master", "MasterData"):
        from envplan.report import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'envplan' has no attribute {name!r}")
