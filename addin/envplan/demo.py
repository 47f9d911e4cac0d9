"""`envplan demo`: the yearly cycle on the bundled samples, step by step.

Each capability adds its step to `STEPS`; a step gets the output folder and
returns lines that tell the user where to look.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .illustrative import add_illustrative_actuals
from .master_writer import save_master
from .samples import load_sample


@dataclass
class DemoContext:
    out: Path
    masters: dict[str, Path] = field(default_factory=dict)  # sample name → master path
    lines: list[str] = field(default_factory=list)


Step = Callable[[DemoContext], None]


def step_init(ctx: DemoContext) -> None:
    for name in ("shinagawa", "kawasaki"):
        plan = load_sample(name)
        if name == "shinagawa":
            plan = add_illustrative_actuals(plan)
        path = ctx.out / f"{name}_master.xlsx"
        save_master(plan, path)
        ctx.masters[name] = path
        ctx.lines.append(f"マスターワークブック（{plan.name}）: {path}")


def step_validate(ctx: DemoContext) -> None:
    from .validation import validate_source, validation_table
    from .workbook_io import CalamineSource
    from .xlsx_results import update_master

    for name, path in ctx.masters.items():
        result = validate_source(CalamineSource(path))
        if not result.ok:
            raise RuntimeError(f"サンプル {name} の検証でエラー: {[d.message for d in result.diagnostics.errors][:5]}")
        with update_master(path) as sink:
            sink.write_table(validation_table(result.diagnostics.items, f"エラー 0 件、警告 {len(result.diagnostics.warnings)} 件"))
        ctx.lines.append(f"検証（{name}）: エラー 0 件、警告 {len(result.diagnostics.warnings)} 件 → 検証結果シート")


STEPS: list[tuple[str, Step]] = [
    ("マスターワークブックの作成", step_init),
    ("入力の検証", step_validate),
]


def run_demo(out: Path, progress: Callable[[str], None] = lambda s: None) -> DemoContext:
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out=out)
    for title, step in STEPS:
        progress(title)
        step(ctx)
    return ctx
