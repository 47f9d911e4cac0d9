"""envplan: progress management of a municipal environmental plan."""

from __future__ import annotations

__version__ = "0.1.0"

from envplan.rules.opensdg import opensdg_status  # noqa: E402  (public: the Open SDG progress method)

__all__ = ["opensdg_status", "__version__"]
