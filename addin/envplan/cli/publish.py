"""`envplan publish`."""

from __future__ import annotations

from pathlib import Path

from envplan.cli.app import EXIT_ENVIRONMENT, EXIT_INVALID, EXIT_OK, app, console, emit_json, escape, existing_file, fail, os_error_text, parse_fy_option
from envplan.cli.commands import REQUIRED, Argument, Exit, Option


@app.command()
def publish(
    master: Path = Argument(help="マスターワークブック"),
    out: Path = Option(REQUIRED, "--out", help="出力先フォルダ （空か、以前に公表したフォルダ）"),
    pdf: bool = Option(True, "--pdf/--no-pdf", help="PDF（年次報告書・評価票）も作る"),
    fy: str | None = Option(None, "--fy", help="公表する年度（2021、令和3年度、R3 など。既定は設定シートの対象年度）"),
    a11y_check: bool = Option(False, "--a11y-check", help="全ページを axe-core で検査し、結果を公開する"),
    a11y_results: Path | None = Option(None, "--a11y-results", help="別の検査の結果ファイルを公開する"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """公表用の Web サイト・PDF 報告書・評価票・オープンデータを作る。"""
    from envplan.cli.master import print_diagnostics
    from envplan.report.publish import PublishError
    from envplan.report.publish import publish as run_publish

    existing_file(master, as_json)
    year = parse_fy_option(fy, as_json)
    try:
        with console.status("公表用の資料を作成しています…"):
            result = run_publish(master, out, pdf=pdf, fy=year, a11y_check=a11y_check, a11y_results=a11y_results)
    except OSError as e:  # the output folder cannot be written (nothing is left half-made there)
        fail(f"公表用の資料を {out} に書き出せません（{os_error_text(e)}）", f"cannot write to {out}: {e}", as_json=as_json)
    except PublishError as e:
        code = EXIT_INVALID if e.invalid_input else EXIT_ENVIRONMENT
        if as_json:
            emit_json({"ok": False, "error": {"message": str(e), "message_en": e.message_en}, "errors": [d.to_json() for d in e.diagnostics]})
        print_diagnostics(e.diagnostics)
        console.print(f"[bold red]エラー:[/] {escape(str(e))}")
        if e.pdf_unavailable:
            console.print("--no-pdf を付けると、PDF なしで Web サイトとオープンデータを公表できます")
        raise Exit(code) from None
    if as_json:
        emit_json(result.to_json())
    for w in result.warnings:
        console.print(f"[yellow]警告:[/] {escape(w)}")
    console.print(f"[green]公表用の資料を作成しました[/]（{escape(result.plan_name)}、{result.fy}年度、指標 {result.indicators}、施策 {result.policies}、{result.seconds.get('total', 0):.1f} 秒）")
    console.print(f"  Web サイト: {escape(result.site_index)}（{len(result.pages)} ページ）")
    if result.a11y_results:
        problems = f"、問題のあったページ {len(result.a11y_problem_pages)}" if result.a11y_problem_pages else "、問題なし"
        console.print(f"  アクセシビリティ試験結果: {escape(result.a11y_results)}（{result.a11y_pages} ページ{problems}）")
    if result.report_pdf:
        console.print(f"  年次報告書 PDF: {escape(result.report_pdf)}（{result.report_pdf_pages} ページ）")
    if result.evaluation_sheets:
        console.print(f"  評価票 PDF: {escape(result.evaluation_sheets)}（{result.evaluation_sheet_pages} ページ）")
    if result.open_data:
        files = [Path(p) for p in result.open_data.values()]
        console.print(f"  オープンデータ: {escape(str(files[0].parent))}（{escape('、'.join(f.name for f in files))}）")
    raise Exit(EXIT_OK)
