"""`envplan year open|revise|correct`: the yearly cycle on the master."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from envplan.cli.app import EXIT_INVALID, app, console, emit_json, escape, existing_file, fail, fy_option, os_error_text
from envplan.cli.commands import REQUIRED, Argument, Exit, Option

year_app = app.group("year", help="年度更新・目標の見直し・確定済みの年度の修正")


def _run(master: Path, as_json: bool, make: Callable[[Any], Any], tolerate: tuple[str, ...] = ()) -> tuple[Any, Path | None]:
    from envplan.cli.master import print_diagnostics
    from envplan.survey.yearly import YearCycleError, run_on_master
    from envplan.workbook.changes import MasterStateError
    from envplan.workbook.store import MasterBusyError, MasterWriteError

    existing_file(master, as_json)
    try:
        return run_on_master(master, make, tolerate=tolerate)
    except YearCycleError as e:
        if as_json:
            emit_json({"ok": False, "error": {"code": e.code, "message": str(e), "message_en": e.message_en}})
        console.print(f"[bold red]エラー:[/] {escape(str(e))}")  # a typed value like [/b] is text, not markup
        raise Exit(EXIT_INVALID) from None
    except MasterStateError as e:
        if not as_json:
            print_diagnostics(e.diagnostics)
        fail(str(e), "the master has errors; run envplan validate", as_json=as_json, code=EXIT_INVALID)
    except (MasterBusyError, MasterWriteError) as e:
        fail(str(e), "the master is in use or cannot be written", as_json=as_json)
    except Exception as e:  # the reader's own errors: not a workbook, encrypted, broken zip
        fail(f"{master.name} を読み書きできません（{type(e).__name__}: {e}）", f"cannot read or write {master.name}: {e}", as_json=as_json)


def _report(yplan: Any, backup: Path | None, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    data = {"ok": True, **yplan.summary, "changes": len(yplan.changes), "backup": str(backup) if backup else "", **(extra or {})}
    if as_json:
        emit_json(data)
        return
    for ch in yplan.changes:
        console.print(f"  {ch.label}: {_show(ch.old)} → {_show(ch.new)}")
    if backup:
        console.print(f"前のマスターのバックアップ: {backup}")


def _show(value: Any) -> str:
    from envplan.workbook.changes import display

    return str(display(value))


@year_app.command("open")
def open_year(
    master: Path = Argument(help="マスターワークブック"),
    issue: Path | None = Option(None, "--issue", help="新しい年度の照会様式をこのフォルダに発行する"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """次の年度を開く。

    終わった年度の値を確定し、対象年度を1年進めます。
    """
    from envplan.survey.yearly import open_year_changes

    yplan, backup = _run(master, as_json, open_year_changes)
    templates: list[str] = []
    if issue is not None:
        from envplan.survey.template_issue import TemplateIssueError, issue_templates

        try:
            templates = [str(p) for p in issue_templates(master, issue)]
        except OSError as e:
            fail(f"年度は開きましたが、様式を発行できません: {os_error_text(e)}", f"the year was opened but templates could not be written: {e}", as_json=as_json)
        except TemplateIssueError as e:
            fail(f"年度は開きましたが、様式を発行できません: {e}", f"the year was opened but templates could not be issued: {e}", as_json=as_json, code=EXIT_INVALID)
    _report(yplan, backup, as_json, {"templates": templates})
    if not as_json:
        s = yplan.summary
        console.print(f"[green]{s['fy']}年度を開きました。[/]{s['frozen_through_fy']}年度までの値は確定済みです（データの遅れがある指標は、その値が届く年度まで入力できます）。")
        if templates:
            console.print(f"{s['fy']}年度の照会様式を {len(templates)} 件発行しました: {issue}")


@year_app.command("revise")
def revise(
    master: Path = Argument(help="マスターワークブック"),
    indicator: str = Option(REQUIRED, "--indicator", help="見直す指標のID"),
    wording: str = Option(REQUIRED, "--wording", help="新しい目標の文言（例: 令和4年度までに1,200千t-CO2）"),
    kind: str | None = Option(None, "--kind", help="目標種別（文言を読み取れないときに指定。例: 年度までの水準）"),
    year: str | None = Option(None, "--year", help="目標年度"),
    value: float | None = Option(None, "--value", help="目標値"),
    note: str | None = Option(None, "--note", help="目標の補足"),
    fy: str | None = Option(None, "--fy", help="見直した年度（既定は対象年度）。 旧目標はこの前年度まで適用"),
    reason: str = Option("", "--reason", help="見直しの理由"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """目標を見直す。

    旧目標は適用期間とともに「目標見直し」シートに残ります。
    """
    from envplan.cli.issue import parse_fy_option
    from envplan.survey.yearly import revision_changes

    target_fy = parse_fy_option(year, as_json, option="--year")
    revised = parse_fy_option(fy, as_json)
    yplan, backup = _run(
        master,
        as_json,
        lambda state: revision_changes(state, indicator, wording, kind=kind, year=target_fy, value=value, note=note, revised_fy=revised, reason=reason),
    )
    _report(yplan, backup, as_json)
    if not as_json:
        s = yplan.summary
        console.print(f"[green]目標を見直しました:[/] {s['indicator']}「{s['old_wording']}」（{s['old_valid'][0]}～{s['old_valid'][1]}年度）→「{s['new_wording']}」")


@year_app.command("correct")
def correct(
    master: Path = Argument(help="マスターワークブック"),
    indicator: str = Option(REQUIRED, "--indicator", help="指標のID"),
    fy: str = Option(REQUIRED, "--fy", help="年度"),
    actual: str | None = Option(None, "--actual", help="実績値"),
    plan_value: str | None = Option(None, "--plan", help="計画値"),
    note: str | None = Option(None, "--note", help="備考"),
    provisional: bool = Option(False, "--provisional", help="実績値を速報値とする （速報・確定の欄を「速報」に）"),
    final: bool = Option(False, "--final", help="実績値を確定値とする （速報値を確定値に改めるとき）"),
    allow_frozen: bool = Option(False, "--allow-frozen", help="確定済みの年度でも変更する （変更履歴に「確定年度の修正」と記録）"),
    reason: str = Option("", "--reason", help="修正の理由（変更履歴に記録）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """指標の値を1つ修正する。

    確定済みの年度の値は --allow-frozen を付けたときだけ修正します。ただし速報値は
    確定済みの年度でも確定値に改められます（--actual 新しい値 --final）。
    """
    from envplan.cli.issue import parse_fy_option
    from envplan.survey.yearly import correction_changes

    if provisional and final:
        fail("--provisional と --final は同時に指定できません", "give --provisional or --final, not both", as_json=as_json)
    mark = "速報" if provisional else "確定" if final else None
    given = [(k, v) for k, v in (("actual", actual), ("plan", plan_value), ("note", note)) if v is not None]
    if len(given) > 1 or (not given and mark is None):
        fail("--actual・--plan・--note のどれか1つ（または --provisional・--final だけ）を指定してください", "give exactly one of --actual, --plan, --note (or only --provisional / --final)", as_json=as_json)
    what, text = given[0] if given else (None, "")
    year = parse_fy_option(fy, as_json)
    assert year is not None
    yplan, backup = _run(master, as_json, lambda state: correction_changes(state, indicator, year, what, text, mark=mark, allow_frozen=allow_frozen, reason=reason))
    _report(yplan, backup, as_json)
    if not as_json:
        console.print("[green]修正しました。[/]" if yplan.changes else "値は同じため、変更しませんでした。")


def _frozen_edits(master: Path, as_json: bool, restore: bool, reason: str, cells: list[str]) -> None:
    from envplan.survey.yearly import FROZEN_EDITED, frozen_edit_changes
    from envplan.workbook.frozen_record import show

    yplan, backup = _run(master, as_json, lambda state: frozen_edit_changes(state, restore=restore, reason=reason, cells=cells), (FROZEN_EDITED,))
    if as_json:
        _report(yplan, backup, as_json)
        return
    edits = yplan.summary["edits"]
    if not edits:
        console.print("確定済みの値の、envplan を通さない変更はありません。")
        return
    for e in edits:
        before, after = (e["current"], e["recorded"]) if restore else (e["recorded"], e["current"])
        shown = show if e["fy"] is not None else (lambda v: "（空欄）" if v is None else f"{int(v)}年度" if isinstance(v, (int, float)) else str(v))  # the 確定済みの年度 setting
        console.print(escape(f"  {e['sheet']}!{e['cell']} {e['label']}: {shown(before)} → {shown(after)}"))
    if restore:
        console.print(f"[green]{len(edits)} 件を記録の値に戻しました。[/]変更履歴に「確定値の復元」として残しました。")
    else:
        console.print(f"[green]{len(edits)} 件の変更を確定年度の修正として認めました。[/]変更履歴に残し、確定値の記録を更新しました。")
    if backup:
        console.print(f"前のマスターのバックアップ: {backup}")


@year_app.command("accept-frozen-edits")
def accept_frozen_edits(
    master: Path = Argument(help="マスターワークブック"),
    reason: str = Option("", "--reason", help="修正の理由（必須。変更履歴に記録）"),
    cell: list[str] = Option([], "--cell", help="このセルの変更だけを認める（例: 指標実績!F8。複数指定可）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """確定年度の直接の変更を認める。

    確定済みの年度の値を Excel などで直接変えたのを、確定年度の修正として認め、変更履歴に記録します。
    """
    if not reason.strip():
        fail("修正の理由を --reason で入力してください（変更履歴に残します）", "give the reason for the edit with --reason", as_json=as_json)
    _frozen_edits(master, as_json, False, reason, cell)


@year_app.command("restore-frozen")
def restore_frozen(
    master: Path = Argument(help="マスターワークブック"),
    cell: list[str] = Option([], "--cell", help="このセルだけを戻す（例: 指標実績!F8。複数指定可）"),
    reason: str = Option("", "--reason", help="戻す理由（変更履歴に記録）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """確定年度の直接の変更を元に戻す。

    確定済みの年度の値を Excel などで直接変えたのを記録の値に戻し、変更履歴に記録します。
    """
    _frozen_edits(master, as_json, True, reason, cell)


@app.command("period")
def period(
    master: Path = Argument(help="マスターワークブック"),
    start: str = Option(REQUIRED, "--start", help="計画期間の開始年度（例: 2021、令和3年度）"),
    end: str = Option(REQUIRED, "--end", help="計画期間の終了年度"),
    current: str | None = Option(None, "--current", help="対象年度（既定: 今の対象年度か期間の端）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """計画期間を変更する。

    「設定」の計画期間と対象年度を書き換え、指標実績・工程表・関連計画に新しい期間の年度の列を作ります。
    値のある列は削除しません（値が期間の外になるときは中止します）。
    """
    from envplan.survey.yearly import period_changes

    s, e = fy_option(start, "開始年度", as_json), fy_option(end, "終了年度", as_json)
    c = fy_option(current, "対象年度", as_json)
    assert s is not None and e is not None
    yplan, backup = _run(master, as_json, lambda state: period_changes(state, s, e, c), tolerate=("YEAR_COLUMNS_MISSING",))
    if not as_json:
        added, removed = yplan.summary["added_years"], yplan.summary["removed_years"]
        console.print(f"[green]計画期間を {s}～{e}年度 にしました[/]（対象年度 {yplan.summary['fy']}年度）")
        if added:
            console.print(f"  年度の列を追加: {'、'.join(f'{fy}年度' for fy in added)}")
        if removed:
            console.print(f"  空の列を削除: {'、'.join(f'{fy}年度' for fy in removed)}")
        if yplan.summary.get("kept_years"):
            console.print(f"  コメントなどが入っているため残した列: {'、'.join(f'{fy}年度' for fy in yplan.summary['kept_years'])}")
        if not yplan.changes and not added and not removed:
            console.print("  変更はありません")
    _report(yplan, backup, as_json)
