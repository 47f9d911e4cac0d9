"""`envplan addin build|install|doctor`: the Excel add-in."""

from __future__ import annotations

from pathlib import Path

from envplan.cli.app import EXIT_ENVIRONMENT, EXIT_INVALID, EXIT_OK, app, console, emit_json, escape, fail, os_error_text
from envplan.cli.commands import Exit, Option

addin_app = app.group("addin", help="Excel アドイン（envplan.xlam）の作成・インストール・診断")

_OS_HELP = "対象の OS: windows | macos （既定はこのPC。ほかの OS を指定すると手順の表示だけ）"


def _target(os_name: str | None, as_json: bool):
    if os_name is None:
        return None
    if os_name not in ("windows", "macos"):
        fail(f"--os は windows か macos です（指定: {os_name}）", f"--os must be windows or macos, got {os_name}", as_json=as_json)
    return os_name


@addin_app.command("build")
def build(
    out: Path = Option(Path("dist"), "--out", help="出力先（フォルダまたは .xlam のパス）"),
    refresh_udfs: bool = Option(False, "--refresh-udfs", help="macros/EnvplanUdfs.bas を udfs.py から作り直してから作成する"),
    server: str | None = Option(None, "--server", help="サーバー方式: ボタンが xlwings の RunRemotePython で呼ぶ envplan serve の URL（PC に Python は不要）"),
    key: str | None = Option(None, "--key", "--api-key", "--api-key-env", hidden=True, help="（使えません: API キーはアドインに書き込みません）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """macros/ のテキストから envplan.xlam を作る（どの OS でも）。"""
    from envplan.excel.addin_build import KEY_FILE_MAC, KEY_FILE_WINDOWS, AddinSourceError, ServerTarget, build_addin, refresh_udf_module
    from envplan.excel.vba_project import VbaSourceError

    if key is not None:  # a key in the add-in could be read by anyone who has the file (its VBA is not secret)
        fail(
            "API キーはアドインに書き込みません（アドインの VBA は誰でも読めるため）。--key などを付けずに作成してください。"
            f"キーは各ユーザーが最初にボタンを押したときに入力し、{KEY_FILE_WINDOWS}（macOS は {KEY_FILE_MAC}）に保存されます。"
            "配布するときは、このファイルを各ユーザーのプロファイルに置いてください",
            f"the API key is never built into the add-in (its VBA is readable); build without it: each user enters it once, saved in {KEY_FILE_WINDOWS} ({KEY_FILE_MAC} on macOS)",
            as_json=as_json,
        )
    target = None
    if server is not None:
        try:
            target = ServerTarget(server)
        except AddinSourceError as e:
            fail(str(e), f"invalid --server: {e}", as_json=as_json)
    try:
        if refresh_udfs:
            console.print(f"作り直しました: {escape(str(refresh_udf_module()))}")
        result = build_addin(out, server=target)
    except (AddinSourceError, VbaSourceError) as e:
        fail(f"アドインの元に問題があります: {e}", f"invalid add-in source: {e}", as_json=as_json, code=EXIT_INVALID)
    except OSError as e:
        fail(f"アドインを書き込めません（{os_error_text(e)}）", f"cannot write the add-in: {e}", as_json=as_json)
    if as_json:
        emit_json({"ok": True, **result.to_json()})
    else:
        console.print(f"[green]作成しました:[/] {escape(str(result.path))}")
        console.print(f"  モジュール: {', '.join(m.name for m in result.modules)}（xlwings {result.xlwings_version}）")
        console.print(f"  SHA-256: {result.sha256}")
        if target is not None:
            console.print(f"  API キーはアドインに入っていません。各ユーザーが最初にボタンを押したときに入力し、{escape(KEY_FILE_WINDOWS)}（macOS は {KEY_FILE_MAC}）に保存されます。")


@addin_app.command("install")
def install_cmd(
    dry_run: bool = Option(False, "--dry-run", help="何もせず、行う手順だけを表示する"),
    os_name: str | None = Option(None, "--os", help=_OS_HELP),
    interpreter: str | None = Option(None, "--interpreter", help="ボタンが使う Python（既定はこの envplan の Python）"),
    xlstart: str | None = Option(None, "--xlstart", help="アドインを置くフォルダ（既定は Excel のユーザー用 XLSTART）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """アドインを XLSTART に置き、xlwings の設定（Python の場所など）を書く。"""
    from envplan.excel.addin_install import InstallError, install, plan_install

    plan = plan_install(_target(os_name, as_json), interpreter=interpreter, xlstart=xlstart)
    if dry_run or not plan.local:
        not_here = f"このPCは {plan.target_os} ではないため、手順の表示だけを行いました。"
        if as_json:  # without --dry-run nothing was installed: not ok (exit 2)
            error = {} if dry_run else {"error": {"message": not_here, "message_en": f"this computer is not {plan.target_os}: nothing was installed"}}
            emit_json({"ok": dry_run, "dry_run": True, **plan.to_json(), **error})
        else:
            console.print(f"[bold]{plan.target_os} でのインストール手順[/]（--dry-run: 何も書き込みません）")
            for step in plan.steps():
                console.print(f"  {escape(step)}")
        if not dry_run:
            console.print(f"[yellow]{not_here}[/]")
            raise Exit(EXIT_ENVIRONMENT)
        raise Exit(EXIT_OK)
    try:
        done = install(plan)
    except InstallError as e:
        fail(str(e), "installation failed", as_json=as_json)
    except OSError as e:
        fail(f"アドインを組み込めません（{os_error_text(e)}）", f"installation failed: {e}", as_json=as_json)
    if as_json:
        emit_json({"ok": True, "dry_run": False, **plan.to_json(), "done": done})
    else:
        for line in done:
            console.print(f"[green]✓[/] {escape(line)}")
        console.print("Excel を起動し直すと「環境計画」タブが表示されます。")


@addin_app.command("doctor")
def doctor_cmd(
    os_name: str | None = Option(None, "--os", help=_OS_HELP),
    xlstart: str | None = Option(None, "--xlstart", help="アドインを探すフォルダ（既定は Excel のユーザー用 XLSTART）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """インストールを確認し、直し方を表示する（問題があれば終了コード1）。"""
    from envplan.excel.addin_install import doctor

    report = doctor(_target(os_name, as_json), xlstart=xlstart)
    if as_json:
        emit_json(report.to_json())
    else:
        for c in report.checks:
            mark = {True: "[green]○[/]", False: "[red]✕[/]", None: "[yellow]－[/]"}[c.ok]
            console.print(f"{mark} {escape(c.label)}: {escape(c.detail)}")
            if c.ok is False and c.fix:
                console.print(f"    → {escape(c.fix)}")
        console.print("[green]問題はありません。[/]" if report.ok else "[red]上の ✕ を直してください。[/]")
    raise Exit(EXIT_OK if report.ok else EXIT_INVALID)
