"""The ribbon through the server (xlwings Server): the payloads Excel sends, built
from a real master (tests/xlwings_remote.py), posted over HTTP to the real
`envplan serve` at /xlwings/<action> with the add-in's API key; the actions it
answers equal those of the desktop door (the same ribbon function on the same
book in this process), and applied they change the book as expected."""

from __future__ import annotations

import copy
import json
import re
import shutil

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
    server = Server(folder, master, inbox, limits={"uploads_per_minute": 1000}).start()
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
    assert "サーバー方式で使えるボタン: 検証・集計・取込・確定値・診断" in alert["prompt"]
    assert "ワークシート関数" in alert["prompt"] and "様式発行・公表" in alert["prompt"]
    for action in ("issue_templates", "publish"):
        (alert,) = apply_actions(payload, _post(server, action, payload).json()["actions"]).alerts
        assert "サーバー方式のアドインでは使えません" in alert["prompt"]


def test_ribbon_endpoints_need_the_api_key(setup):
    server, master, _ = setup
    payload = book_payload(master, name=str(master))
    assert _post(server, "validate", payload, key=None).status_code == 401
    assert _post(server, "validate", payload, key="wrong").status_code == 401
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
    built = build_addin(tmp_path, server=ServerTarget(server.url, API_KEY))
    parser = VBA_Parser(str(built.path))
    ribbon = next(code for _, _, name, code in parser.extract_macros() if name.startswith("EnvplanRibbon"))
    parser.close()
    ribbon = ribbon.decode("cp932") if isinstance(ribbon, bytes) else ribbon
    base = re.search(r'ENVPLAN_SERVER As String = "([^"]+)"', ribbon)[1]
    key = re.search(r'ENVPLAN_API_KEY As String = "([^"]+)"', ribbon)[1]
    assert base == server.url and key == API_KEY
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
