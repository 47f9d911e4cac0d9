"""`envplan demo`."""

from __future__ import annotations

from pathlib import Path

import typer

from .cli_app import app, console


@app.command()
def demo(out: Path = typer.Option(Path("demo-output"), "--out", help="出力先フォルダ")) -> None:
    """サンプル計画で1年間の進行管理の流れを実行する。"""
    from .demo import STEPS, run_demo

    with console.status("デモを実行しています…") as status:
        done = 0

        def progress(title: str) -> None:
            nonlocal done
            done += 1
            status.update(f"[{done}/{len(STEPS)}] {title}…")
            console.print(f"[{done}/{len(STEPS)}] {title}")

        ctx = run_demo(out, progress)
    console.print("\n[bold green]デモが完了しました。[/] 出力:")
    for line in ctx.lines:
        console.print(f"  ・{line}", soft_wrap=True)
