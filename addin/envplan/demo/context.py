"""What the demo's steps share: the output folder, the masters made so far,
the lines that tell the user where to look, and which sample the survey runs on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEMO_SAMPLE = "shinagawa"  # the sample whose departments are surveyed in the demo


@dataclass
class DemoContext:
    out: Path
    masters: dict[str, Path] = field(default_factory=dict)  # sample name → master path
    lines: list[str] = field(default_factory=list)


Step = Callable[[DemoContext], None]
