"""The ribbon through the server (xlwings Server): the payloads Excel sends, built
from a real master (tests/xlwings_remote.py), posted over HTTP to the real
`envplan serve` at /xlwings/<action> with the add-in's API key; the actions it
answers equal those of the desktop door (the same ribbon function on the same
book in this process), and applied they change the book as expected."""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
import zipfile

import httpx
import pytest
import xlwings as xw

from envplan.excel import actions as excel_actions
from returns_kit import copy_master, fill, issue
from server_kit import API_KEY, Server
from xlwings_remote import apply_actions, book_payload

ENV = "環境課"
ANSWERS = {
    ("value", "S01", 2021, "actual"): 1390,
    ("project", "P1", 2022, "status"): "予定どおり",
    ("project", "P1", 2022, "comment"): "民間事業者2社と協定を締結",
    ("department", ENV, "contact"): "環境 太郎",
}
NO_BROWSER = "/nonexistent/chromium"
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?")


@pytest.fixture(scope="module")
def setup(sample_masters, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ribbon")
    source = folder / "src" / "master.xlsx"
    source.parent.mkdir()
    source.write_bytes(sample_masters["all"].read_bytes())
    templates = issue(source, folder / "templates")
    (folder / "m").mkdir()
    master = copy_master(source, folder / "m")
    inbox = master.parent / excel_actions.INBOX_DIR  # where the desktop 取込 looks: the same inbox for both doors
    fill(templates[ENV], ANSWERS, inbox / "環境課.xlsx")
    fill(templates["清掃事務所"], {("value", "S05", 2022, "actual"): "たくさん"}, inbox / "清掃事務所_誤り.xlsx")
    # 様式発行 and 公表 write into the server's own output folders; no browser for the PDF on either
    # door (both then publish the site and open data and say why not: publish's own tests make the PDF).
    outputs = {"templates_dir": str(folder / "out" / "templates"), "site": str(folder / "out" / "site")}
    server = Server(folder, master, inbox, limits={"uploads_per_minute": 1000}, **outputs).start(ENVPLAN_BROWSER=NO_BROWSER)
    yield server, master, inbox
    server.stop()


def _post(server: Server, action: str, payload: dict, key: str | None = API_KEY, query: str = "") -> httpx.Response:
    headers = {"authorization": key} if key is not None else {}
    return httpx.post(f"{server.url}/xlwings/{action}{query}", content=json.dumps(payload), headers={"content-type": "application/json", **headers}, timeout=120)


def _desktop(action: str, payload: dict, **kw) -> list[dict]:
    book = xw.Book(json=copy.deepcopy(payload))  # the remote engine changes the payload it is given
    excel_actions.ACTIONS[action](book, **kw)
    return book.json()["actions"]


def _normal(actions: list[dict]) -> str:
    return TIME.sub("<time>", json.dumps(actions, ensure_ascii=False, sort_keys=True))


@pytest.mark.parametrize("action", ["validate", "compute", "consolidate", "frozen_edits"])
def test_each_button_gives_the_same_actions_as_the_desktop_door(setup, action):
    server, master, _ = setup
    payload = book_payload(master, name=str(master))
    desktop = _desktop(action, payload)
    r = _post(server, action, payload)
    assert r.status_code == 200, r.text
    remote = r.json()["actions"]
    assert [a["args"] for a in remote if a["func"] == "alert"] == [a["args"] for a in desktop if a["func"] == "alert"]
    assert _normal(remote) == _normal(desktop)
    applied = apply_actions(payload, remote)
    assert applied.alerts and applied.alerts[-1]["title"].startswith("環境計画")
    if action == "consolidate":
        assert "受理 1 件、差戻し 1 件" in applied.alerts[-1]["prompt"]
        cells = [v for row in applied.values["指標実績"] for v in row]
        assert 1390 in cells or 1390.0 in cells
    if action == "compute":
        assert "達成状況" in applied.values


def _cells(path) -> dict[str, list[tuple]]:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}


def test_issue_and_publish_give_the_desktop_results_into_the_servers_folders(setup, monkeypatch):
    """様式発行 and 公表 through the server: the same templates and the same site as the desktop buttons on
    the same book, written into the server's configured folders (never beside the master, never a path
    from the request), the message saying where; the section downloads them from /status."""
    from envplan.survey.return_files import inspect_return
    from envplan.survey.template_identity import key_id, load_key
    from envplan.survey.template_layout import IDENTITY_SHEET
    from server_kit import Client

    server, master, _ = setup
    monkeypatch.setenv("ENVPLAN_BROWSER", NO_BROWSER)
    payload = book_payload(master, name=str(master))
    served = server.folder / "out"

    c = Client(server.url)
    c.login()
    before = c.get("/status").text
    assert "/status/templates.zip" not in before and 'href="/site/"' not in before  # nothing issued or published yet
    desktop = _desktop("issue_templates", payload)
    r = _post(server, "issue_templates", payload, query="?out=/tmp/evil")  # a query names nothing
    assert r.status_code == 200, r.text
    (alert,) = [a["args"][0] for a in r.json()["actions"] if a["func"] == "alert"]
    (desk_alert,) = [a["args"][0] for a in desktop if a["func"] == "alert"]
    made = sorted((served / "templates").glob("*.xlsx"))
    desk = sorted((master.parent / excel_actions.ISSUE_DIR).glob("*.xlsx"))
    assert made and [p.name for p in made] == [p.name for p in desk]
    assert alert.splitlines()[0].startswith(desk_alert.splitlines()[0].removesuffix("。"))
    assert f"{server.url}/status/templates.zip" in alert and f"{server.url}/upload" in alert and str(master.parent) not in alert
    listed = [line[1:] for line in alert.splitlines() if line.startswith("・")]
    assert listed == [line[1:] for line in desk_alert.splitlines() if line.startswith("・")] and set(listed) <= {p.name for p in made}
    key = load_key(master)
    for mine, theirs in zip(made, desk):
        a, b = _cells(mine), _cells(theirs)
        assert a.keys() == b.keys()
        differing = {name for name in a if a[name] != b[name]}
        assert differing <= {IDENTITY_SHEET}, differing  # only the signed identity (issue time, template id, signature)
        diff = [(x, y) for x, y in zip(a[IDENTITY_SHEET], b[IDENTITY_SHEET]) if x != y]
        assert {x[0] for x, _ in diff} <= {"template_id", "issued_at", "signature"}, diff
        rf = inspect_return(mine, key, key_id(key))  # signed with the server master's key: the upload page takes it
        assert rf.attributable, rf.problems

    desktop = _desktop("publish", payload)
    r = _post(server, "publish", payload)
    assert r.status_code == 200, r.text
    (alert,) = [a["args"][0] for a in r.json()["actions"] if a["func"] == "alert"]
    (desk_alert,) = [a["args"][0] for a in desktop if a["func"] == "alert"]
    assert alert.splitlines()[0] == desk_alert.splitlines()[0]
    assert f"ホームページ: {server.url}/site/" in alert and "PDF（年次報告書・評価票）は作成しませんでした" in alert
    site, desk_site = served / "site", master.parent / excel_actions.PUBLISH_DIR
    files = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file() and p.name != ".envplan-publish.json")
    assert len(files) > 10 and files == sorted(p.relative_to(desk_site) for p in desk_site.rglob("*") if p.is_file() and p.name != ".envplan-publish.json")
    assert [f for f in files if (site / f).read_bytes() != (desk_site / f).read_bytes()] == []

    before = sorted(p.name for p in (served / "templates").iterdir())
    (unsaved,) = apply_actions(payload, _post(server, "publish", book_payload(master, name=str(master), saved=False)).json()["actions"]).alerts
    assert "保存されていない変更" in unsaved["prompt"] and unsaved["mode"] == "critical"
    assert sorted(p.name for p in (served / "templates").iterdir()) == before

    c.close()
    c = Client(server.url)
    try:
        assert c.get("/status/templates.zip").status_code == 303  # the section's, behind the login
        assert c.login().status_code == 303
        status = c.get("/status").text
        assert 'href="/status/templates.zip"' in status and 'href="/site/"' in status
        z = c.get("/status/templates.zip")
        assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(z.content)) as archive:
            assert sorted(archive.namelist()) == [p.name for p in made]
            assert archive.read(made[0].name) == made[0].read_bytes()
        index = c.get("/site/")
        assert index.status_code == 200 and index.content == (site / "index.html").read_bytes()
        assert c.get("/site/data/indicators.csv").content == (site / "data" / "indicators.csv").read_bytes()
    finally:
        c.close()


def test_frozen_edits_reason_reaches_the_server_intact(setup):
    server, master, _ = setup
    payload = book_payload(master, name=str(master))
    reason = 'a"b\n理由'.encode("utf-16-be").hex().upper()
    r = _post(server, "frozen_edits", payload, query=f"?reason_hex={reason}")
    assert r.status_code == 200 and _normal(r.json()["actions"]) == _normal(_desktop("frozen_edits", payload, reason_hex=reason))
    assert _post(server, "frozen_edits", payload, query="?reason_hex=xyz").status_code == 400


def test_server_diagnosis_says_which_buttons_work(setup):
    server, master, _ = setup
    payload = book_payload(master, name=str(master))
    (alert,) = apply_actions(payload, _post(server, "about", payload).json()["actions"]).alerts
    assert "サーバー方式で使えるボタン: 検証・集計・様式発行・取込・公表・確定値・診断" in alert["prompt"]
    assert "ワークシート関数" in alert["prompt"]
    assert "様式発行の出力先（サーバー）" in alert["prompt"] and "公表の出力先（サーバー）" in alert["prompt"]


def test_ribbon_endpoints_need_the_api_key(setup):
    server, master, _ = setup
    payload = book_payload(master, name=str(master))
    assert _post(server, "validate", payload, key=None).status_code == 401
    wrong = _post(server, "validate", payload, key="wrong")
    assert wrong.status_code == 401 and "server-key.txt" in wrong.text  # how to enter the key again
    assert _post(server, "validate", payload, key=f"Bearer {API_KEY}").status_code == 200
    assert _post(server, "no_such_button", payload).status_code == 404
    assert _post(server, "..%2fupload", payload).status_code == 404
    bad = httpx.post(f"{server.url}/xlwings/validate", content=b"{not json", headers={"authorization": API_KEY}, timeout=30)
    assert bad.status_code == 400


def test_without_a_licence_key_the_server_says_so(setup, tmp_path, monkeypatch):
    _, master, inbox = setup
    monkeypatch.delenv("XLWINGS_LICENSE_KEY", raising=False)
    other = Server(tmp_path, master, inbox)
    other.start()
    try:
        r = _post(other, "validate", book_payload(master, name=str(master)))
        assert r.status_code == 503 and "XLWINGS_LICENSE_KEY" in r.text
    finally:
        other.stop()


def test_a_copy_of_the_master_elsewhere_needs_nothing_on_the_pc(setup, tmp_path):
    """The book's name is a path on the staff PC the server cannot see: validate still works, on the JSON alone."""
    server, master, _ = setup
    elsewhere = tmp_path / "x" / "master.xlsx"
    elsewhere.parent.mkdir()
    shutil.copy2(master, elsewhere)
    payload = book_payload(elsewhere, name=r"C:\Users\staff\Documents\master.xlsx")
    r = _post(server, "validate", payload)
    assert r.status_code == 200
    assert apply_actions(payload, r.json()["actions"]).alerts


def test_the_built_server_addin_reaches_every_button_on_the_server(setup, tmp_path):
    """`envplan addin build --server URL`: every URL and the key its VBA sends are answered by the server."""
    from oletools.olevba import VBA_Parser

    from envplan.excel.addin_build import ServerTarget, build_addin

    server, master, _ = setup
    built = build_addin(tmp_path, server=ServerTarget(server.url))
    parser = VBA_Parser(str(built.path))
    ribbon = next(code for _, _, name, code in parser.extract_macros() if name.startswith("EnvplanRibbon"))
    parser.close()
    ribbon = ribbon.decode("cp932") if isinstance(ribbon, bytes) else ribbon
    base = re.search(r'ENVPLAN_SERVER As String = "([^"]+)"', ribbon)[1]
    assert base == server.url and API_KEY not in ribbon  # the key is the user's, typed once into their profile's file
    key = API_KEY
    calls = re.findall(r'RunRemotePython ENVPLAN_SERVER & "(/xlwings/\w+\??[^"]*)"', ribbon)
    assert len(calls) == len(excel_actions.ACTIONS) + 1  # 確定値's answer calls again
    payload = book_payload(master, name=str(master))
    for path in calls:
        action, _, query = path.removeprefix("/xlwings/").partition("?")
        r = _post(server, action, payload, key=key, query=f"?{query}0041" if query else "")
        assert r.status_code == 200, (path, r.text)
        assert apply_actions(copy.deepcopy(payload), r.json()["actions"]).alerts, path


def test_frozen_edits_question_is_answered_through_the_callback(sample_masters, tmp_path, monkeypatch):
    """確定値 with closed values typed over: the server asks with a callback; the second call with the
    button pressed ("yes") does exactly what the desktop button does when "yes" is pressed."""
    from xlwings.pro import _xlremote

    from conftest import cli_json
    from envplan.server.ribbon import FROZEN_CALLBACK
    from envplan.survey.template_identity import load_or_create_key
    from test_frozen_record import S03_2021, edit

    master = tmp_path / "m" / "master.xlsx"
    master.parent.mkdir()
    shutil.copy2(sample_masters["all"], master)
    code, data = cli_json("year", "open", str(master), "--json")
    assert code == 0, data
    load_or_create_key(master)
    edit(master, {S03_2021: 99.5})
    inbox = master.parent / "受付"
    inbox.mkdir()
    server = Server(tmp_path, master, inbox).start()
    try:
        payload = book_payload(master, name=str(master))
        reason = "誤記の訂正".encode("utf-16-be").hex().upper()
        first = _post(server, "frozen_edits", payload, query=f"?reason_hex={reason}").json()["actions"]
        (question,) = [a for a in first if a["func"] == "alert"]
        assert question["args"][2] == "yes_no_cancel" and question["args"][4] == FROZEN_CALLBACK
        assert "99.5" in question["args"][0]
        second = _post(server, "frozen_edits", payload, query=f"?reason_hex={reason}&answer=yes").json()["actions"]
        for action, key in (("issue_templates", "templates_dir"), ("publish", "site")):  # a server without output folders says so
            (alert,) = apply_actions(payload, _post(server, action, payload).json()["actions"]).alerts
            assert f"出力先（{key}）がない" in alert["prompt"], alert
        assert _post(server, "frozen_edits", payload, query="?answer=maybe").json()["actions"][-1]["args"][0].startswith("答えを読み取れません")
    finally:
        server.stop()
    real = _xlremote.App.alert

    def pressing_yes(self, prompt, title, buttons, mode, callback):  # noqa: ANN001, ANN202
        real(self, prompt, title, buttons, mode, callback)
        return "yes" if buttons == "yes_no_cancel" else None

    monkeypatch.setattr(_xlremote.App, "alert", pressing_yes)
    desktop = _desktop("frozen_edits", payload, reason_hex=reason)
    asked = [a for a in desktop if a["func"] == "alert" and a["args"][2] == "yes_no_cancel"]
    assert len(asked) == 1
    assert _normal(second) == _normal([a for a in desktop if a is not asked[0]])
    final = apply_actions(copy.deepcopy(payload), second).alerts[-1]["prompt"]
    assert "確定年度の修正として認めました" in final
