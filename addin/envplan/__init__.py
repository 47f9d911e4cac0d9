"""envplan: progress management of a municipal environmental plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from envplan.report.analysis import MasterData, read_master
    from envplan.rules.opensdg import opensdg_status  # public: the Open SDG progress method

__all__ = ["opensdg_status", "read_master", "MasterData", "__version__"]


def __getattr__(name: str) -> Any:
    # Loaded when first asked for, so that `import envplan` (every CLI command, each reading
    # worker, the Excel door) stays quick: read_master brings pandas and the report layer.
    if name in ("read_master", "MasterData"):
        from envplan.report import analysis

        return getattr(analysis, name)
    if name == "opensdg_status":
        from envplan.rules.opensdg import opensdg_status

        return opensdg_status
    raise AttributeError(f"module 'envplan' has no attribute {name!r}")
