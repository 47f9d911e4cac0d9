"""envplan: progress management of a municipal environmental plan."""

from __future__ import annotations

__version__ = "0.1.0"
