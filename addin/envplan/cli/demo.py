"""`envplan demo`."""

from __future__ import annotations

from pathlib import Path

from envplan.cli.app import app, console, escape, fail, os_error_text
from envplan.cli.commands import Option


@app.command()
def demo(out: Path = Option(Path("demo-output"), "--out", help="出力先フォルダ")) -> None:
    """サンプル計画で1年間の進行管理の流れを実行する。"""
    from envplan.demo.run import STEPS, run_demo

    if out.exists() and not out.is_dir():
        fail(f"--out にはフォルダを指定してください（{out} はファイルです）", f"--out must be a folder: {out}")
    try:
        with console.status("デモを実行しています…") as status:
            done = 0

            def progress(title: str) -> None:
                nonlocal done
                done += 1
                status.update(f"[{done}/{len(STEPS)}] {title}…")
                console.print(f"[{done}/{len(STEPS)}] {title}")

            ctx = run_demo(out, progress)
    except OSError as e:  # a read-only or full output folder
        fail(f"デモの出力先 {out} に書き込めません（{os_error_text(e)}）", f"cannot write to {out}: {e}")
    console.print("\n[bold green]デモが完了しました。[/] 出力:")
    for line in ctx.lines:
        console.print(f"  ・{escape(line)}", soft_wrap=True)
