"""`envplan serve`: the real server (uvicorn on 127.0.0.1, started by the CLI from a
config file), the department upload page and the section pages, over HTTP with
httpx and in headless Chromium; real issued templates and real returns."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from pathlib import Path

import httpx
import openpyxl
import pytest
import yaml

from envplan.survey.consolidate import consolidate
from envplan.survey.template_fill import input_cells
from envplan.survey.template_layout import FEEDBACK_SHEET
from returns_kit import copy_master as _copy_master
from returns_kit import fill, issued_master, set_identity
from server_kit import API_KEY, Client, Server


def copy_master(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return _copy_master(src, folder)

ENV = "環境課"
S01_2021 = ("value", "S01", 2021, "actual")
ANSWERS = {
    S01_2021: 1390,
    ("value", "S01", 2021, "note"): "速報値",
    ("project", "P1", 2022, "status"): "予定どおり",
    ("project", "P1", 2022, "comment"): "民間事業者2社と協定を締結",
    ("department", ENV, "contact"): "環境 太郎",
}


@pytest.fixture(scope="module")
def base(sample_masters, tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve-base")
    master, templates = issued_master(sample_masters["all"], folder)
    (folder / "empty").mkdir()
    consolidate(master, folder / "empty")  # every department recorded as 未提出
    returns = folder / "returns"
    good = fill(templates[ENV], ANSWERS, returns / "環境課_提出.xlsx")
    bad = fill(templates[ENV], {**ANSWERS, S01_2021: "たくさん"}, returns / "bad.xlsx")
    forged = set_identity(good, "department", "地球環境推進室", returns / "forged.xlsx")
    return master, templates, {"good": good, "bad": bad, "forged": forged}


def _site(folder: Path) -> Path:
    site = folder / "site"
    site.mkdir()
    (site / "index.html").write_text('<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>公開サイト</title></head><body><main><h1>公開サイト</h1></main></body></html>', encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def served(base, tmp_path_factory):
    """One server for the tests that need no special limits."""
    folder = tmp_path_factory.mktemp("serve")
    master = copy_master(base[0], folder / "master")
    inbox = folder / "inbox"
    inbox.mkdir()
    server = Server(folder, master, inbox, site=str(_site(folder)), limits={"uploads_per_minute": 1000}).start()
    yield server, master, inbox
    server.stop()


@pytest.fixture
def client(served):
    c = Client(served[0].url)
    yield c
    c.close()


def _inbox_files(inbox: Path) -> list[Path]:
    return sorted(p for p in inbox.iterdir() if p.is_file())


def _clear(inbox: Path) -> None:
    for p in _inbox_files(inbox):
        p.unlink()


# --- 1. the upload page --------------------------------------------------------------


def test_accepted_return_is_filed_once_in_the_inbox_with_its_sha256(served, base, client):
    server, _, inbox = served
    _clear(inbox)
    good = base[2]["good"]
    digest = hashlib.sha256(good.read_bytes()).hexdigest()
    page = client.upload(good, as_json=False)
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"] and page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "受け付けました" in page.text and digest in page.text and "環境課" in page.text
    (filed,) = _inbox_files(inbox)
    assert filed.read_bytes() == good.read_bytes()
    assert filed.name.startswith(f"{ENV}_") and digest[:16] in filed.name and filed.suffix == ".xlsx"
    again = client.upload(good).json()  # the same file again: nothing written twice
    assert again["status"] == "duplicate" and again["stored_as"] == filed.name
    assert _inbox_files(inbox) == [filed]
    assert not list((inbox / ".envplan-uploading").iterdir())


def test_rejected_return_shows_cells_and_a_feedback_copy(served, base, client):
    _, _, inbox = served
    _clear(inbox)
    page = client.upload(base[2]["bad"], as_json=False)
    assert page.status_code == 200 and "差し戻し" in page.text and "受け付けました" not in page.text
    verdict = client.upload(base[2]["bad"]).json()
    assert verdict["status"] == "rejected"
    (err,) = [e for e in verdict["errors"] if e["code"] == "NUMBER_INVALID"]
    assert err["cell"] and err["cell"] in page.text and err["sheet"] in page.text
    assert _inbox_files(inbox) == []  # a rejected return is not filed
    copy = client.get(f"/feedback/{verdict['feedback']}")
    assert copy.status_code == 200 and "attachment" in copy.headers["content-disposition"]
    path = served[0].folder / "fb.xlsx"
    path.write_bytes(copy.content)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == FEEDBACK_SHEET
    assert wb[err["sheet"]][err["cell"]].comment is not None


def test_the_signed_identity_names_the_department_not_the_file_name(served, base, client):
    _, _, inbox = served
    _clear(inbox)
    verdict = client.upload(base[2]["good"], name="地球環境推進室.xlsx").json()
    assert verdict["status"] == "accepted" and verdict["department"] == ENV
    forged = client.upload(base[2]["forged"]).json()  # the identity rewritten without the key
    assert forged["status"] == "rejected" and {e["code"] for e in forged["errors"]} == {"RETURN_SIGNATURE_INVALID"}
    assert forged["department"] == ""
    assert len(_inbox_files(inbox)) == 1


def test_verdicts_are_those_of_consolidate(served, base, tmp_path):
    """Hostile and ordinary returns: the upload's verdict (status, codes, cells) is what consolidate says of the same file alone in an inbox."""
    from hostile_corpus import build_corpus

    server, master, inbox = served
    corpus = build_corpus(base[1], tmp_path / "gen", big_rows=6000)
    picked = {"truncated_zip", "encrypted", "zip_bomb", "billion_laughs", "rows_100000", "signature_copied", "sheet_renamed", "macros_xlsm", "date_in_number", "negative_indicator", "html", "xls_renamed"}
    cases = [c for c in corpus.cases if c.name in picked]
    assert len(cases) == len(picked)
    client = Client(server.url)
    for case in cases:
        _clear(inbox)
        got = client.upload(content=case.data, name=case.file_name).json()
        alone = tmp_path / "alone" / case.name
        case.write(alone)
        expected = consolidate(copy_master(master, tmp_path / "m" / case.name), alone, feedback_dir=tmp_path / "fb" / case.name).files[0]
        status = "accepted" if got["status"] == "duplicate" else got["status"]
        assert status == expected.status == case.expect, case.name
        assert sorted((e["code"], e["sheet"], e["cell"]) for e in got["errors"]) == sorted((e["code"], e["sheet"], e["cell"]) for e in expected.errors), case.name
        assert sorted((e["code"], e["cell"]) for e in got["warnings"]) == sorted((e["code"], e["cell"]) for e in expected.warnings), case.name
        assert len(_inbox_files(inbox)) == (1 if case.expect == "accepted" else 0), case.name
    client.close()


def test_a_blank_template_is_received_but_tracked_as_not_filled_in(served, base, client):
    server, _, inbox = served
    _clear(inbox)
    page = client.upload(base[1]["清掃事務所"], as_json=False)
    assert "受け付けました" in page.text and "未記入" in page.text
    section = Client(server.url)
    section.login()
    row = next(r for r in section.get("/status").text.split("<tr>") if "清掃事務所</th>" in r)
    assert "<td>未記入</td>" in row
    section.close()


def test_one_file_per_upload(served, base, client):
    _, _, inbox = served
    _clear(inbox)
    client.get("/upload")
    two = [("file", ("a.xlsx", base[2]["good"].read_bytes())), ("file", ("b.xlsx", base[2]["good"].read_bytes()))]
    r = client.post("/upload", files=two)
    assert r.status_code == 400 and "ファイルは1つ" in r.text and _inbox_files(inbox) == []
    assert "見つかりません" in client.get("/no-such-page").text


def test_upload_without_a_file_asks_for_one(client):
    client.get("/upload")
    r = client.post("/upload", files={"other": ("x.txt", b"x")})
    assert r.status_code == 400 and "ファイルが選ばれていません" in r.text


# --- 2. security and limits ----------------------------------------------------------


def test_forms_need_their_csrf_token(served, base, client):
    _, _, inbox = served
    _clear(inbox)
    client.get("/upload")
    r = client.upload(base[2]["good"], csrf=False)
    assert r.status_code == 403 and _inbox_files(inbox) == []
    stranger = Client(served[0].url)  # a token of another browser does not pass either
    stranger.csrf = client.csrf
    stranger.cookies = {}
    assert stranger.upload(base[2]["good"]).status_code == 403
    stranger.close()
    assert _inbox_files(inbox) == []


def test_section_pages_need_the_password(served, client):
    r = client.get("/status")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.post("/status/consolidate").status_code == 303
    assert client.login("wrong").status_code == 401
    assert "envplan_session" not in client.cookies
    client.get("/login")
    assert client.post("/login", data={"password": "section-password-for-tests"}, csrf=False).status_code == 403
    ok = client.login()
    assert ok.status_code == 303 and ok.headers["location"] == "/status"
    cookie = next(h for h in ok.headers.get_list("set-cookie") if h.startswith("envplan_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=strict"} <= flags
    page = client.get("/status")
    assert page.status_code == 200 and "提出状況" in page.text
    session = client.cookies["envplan_session"]
    forged = dict(client.cookies, envplan_session=session[:-1] + ("1" if session.endswith("0") else "0"))  # one hex digit of the signature changed
    assert client.get("/status", cookies=forged).status_code == 303


def test_nothing_is_served_from_the_inbox_or_the_masters_folder(served, base, client):
    server, master, inbox = served
    client.upload(base[2]["good"])
    names = [p.name for p in _inbox_files(inbox)] + [master.name, f"{master.stem}.envplan-key"]
    for name in names:
        for path in (f"/{name}", f"/site/{name}", f"/site/../{name}", f"/site/..%2f{name}", f"/feedback/{name}", f"/feedback/..%2f..%2f{name}", f"/inbox/{name}"):
            r = client.get(path)
            assert r.status_code in (404, 405), (path, r.status_code)
            assert not r.content.startswith(b"PK"), path
    assert client.get("/site/").status_code == 200  # the published site itself is served


def test_oversize_upload_is_refused_before_it_is_read(base, tmp_path):
    master = copy_master(base[0], tmp_path / "master")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    server = Server(tmp_path, master, inbox, limits={"max_upload_bytes": 200_000}).start()
    try:
        client = Client(server.url)
        big = base[2]["good"].read_bytes() + b"\0" * 300_000
        assert client.upload(content=big, name="big.xlsx").status_code == 413

        client.get("/upload")

        def chunks():  # no Content-Length: counted as it streams
            yield f'--zz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{client.csrf}\r\n'.encode()
            yield b'--zz\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n'
            for _ in range(10):
                yield b"x" * 50_000
            yield b"\r\n--zz--\r\n"

        r = client.http.post("/upload", content=chunks(), headers={"content-type": "multipart/form-data; boundary=zz", **client.cookie_header()})
        assert r.status_code == 413
        assert client.upload(base[2]["good"]).json()["status"] == "accepted"  # a normal return still passes
        assert len(_inbox_files(inbox)) == 1
        client.close()
    finally:
        server.stop()


def test_each_client_is_rate_limited(base, tmp_path):
    master = copy_master(base[0], tmp_path / "master")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    server = Server(tmp_path, master, inbox, limits={"uploads_per_minute": 3}).start()
    try:
        client = Client(server.url)
        codes = [client.upload(base[2]["bad"]).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = client.upload(base[2]["good"])
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert _inbox_files(inbox) == []
        assert client.get("/upload").status_code == 200  # pages still open; only posts are counted
        client.close()
    finally:
        server.stop()


def test_request_log_says_who_what_outcome_without_contents(served, base, client):
    server, _, _ = served
    client.upload(base[2]["bad"])
    client.login("wrong")
    lines = [json.loads(line) for line in server.log_lines_when(lambda ls: any('"login-failed"' in x for x in ls) and any('"verdict"' in x for x in ls))]
    uploads = [e for e in lines if e["path"] == "/upload" and e["method"] == "POST" and e.get("verdict")]
    assert uploads and all(e["client"] == "127.0.0.1" and e["status"] and e.get("sha256") for e in uploads)
    assert any(e.get("user") == "login-failed" and e["status"] == 401 for e in lines)
    text = "\n".join(server.log_lines())
    assert "wrong" not in text and "たくさん" not in text and "PK" not in text


# --- in a real browser: a form post without JavaScript of ours, and axe-core -----------


def _submit(browser, selector: str) -> None:
    page = browser.page
    browser.events = [e for e in browser.events if e.get("sessionId") != page.session]
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
    browser.wait_event("Page.loadEventFired", page.session)


def _choose_file(browser, path: Path) -> None:
    root = browser.page.call("DOM.getDocument")["root"]["nodeId"]
    node = browser.page.call("DOM.querySelector", nodeId=root, selector="#file")["nodeId"]
    browser.page.call("DOM.setFileInputFiles", nodeId=node, files=[str(path)])


@pytest.mark.browser
def test_upload_and_section_pages_in_chromium_are_accessible(served, base):
    from conftest import require
    from envplan.report.chromium import Browser
    from test_publish_a11y import WCAG_TAGS, axe_source

    server, _, inbox = served
    _clear(inbox)
    chromium = require("chromium")
    source = axe_source()
    options = json.dumps({"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    script = f"axe.run(document, {options}).then(r => r.violations.map(v => ({{id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}})))"
    problems: dict[str, list] = {}

    def check(name: str) -> None:
        browser.evaluate(source)
        found = browser.evaluate(script, await_promise=True)
        if found:
            problems[name] = found

    with Browser(chromium, width=1280, height=900) as browser:
        browser.goto(f"{server.url}/upload")
        check("upload")
        _choose_file(browser, base[2]["bad"])
        _submit(browser, "button[type=submit]")
        assert "差し戻し" in browser.evaluate("document.querySelector('h1').textContent")
        assert browser.evaluate("document.querySelectorAll('tbody tr').length") >= 1
        check("rejected")
        _choose_file(browser, base[2]["forged"])  # a forged identity: refused, nothing filed
        _submit(browser, "button[type=submit]")
        assert "差し戻し" in browser.evaluate("document.querySelector('h1').textContent")
        assert _inbox_files(inbox) == []
        _choose_file(browser, base[2]["good"])
        _submit(browser, "button[type=submit]")
        assert browser.evaluate("document.querySelector('h1').textContent") == "受け付けました"
        check("accepted")
        assert len(_inbox_files(inbox)) == 1
        browser.goto(f"{server.url}/status")  # redirected to the login page
        assert browser.evaluate("location.pathname") == "/login"
        check("login")
        browser.evaluate("document.querySelector('#password').value = 'section-password-for-tests'")
        _submit(browser, "button[type=submit]")
        assert browser.evaluate("location.pathname") == "/status"
        check("status")
        browser.page.set_viewport(375, 800)  # a phone: no sideways scrolling of the page itself
        browser.goto(f"{server.url}/upload")
        check("upload-phone")
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


# --- 2. killed mid-upload, slow clients, concurrency -------------------------------------


def _multipart(csrf: str, data: bytes, name: str = "r.xlsx") -> bytes:
    return (
        f'--zz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
        f'--zz\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode() + data + b"\r\n--zz--\r\n"


def _raw_post(port: int, client: Client, body: bytes, send: int) -> socket.socket:
    """A POST whose body stops after `send` bytes (the connection left open)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=zz\r\nContent-Length: {len(body)}\r\n"
        f"Cookie: {client.cookie_header()['cookie']}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    s.sendall(head + body[:send])
    return s


def test_a_server_killed_mid_upload_leaves_no_partial_file(base, tmp_path):
    master = copy_master(base[0], tmp_path / "master")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    server = Server(tmp_path, master, inbox).start()
    client = Client(server.url)
    client.get("/upload")
    body = _multipart(client.csrf, base[2]["good"].read_bytes())
    s = _raw_post(server.port, client, body, len(body) // 2)
    time.sleep(0.5)
    server.kill()
    s.close()
    client.close()
    assert [p for p in inbox.rglob("*") if p.is_file()] == []
    # Killed between writing the staged copy and its rename: the next start removes what was left.
    leftover = inbox / ".envplan-uploading" / "0123456789abcdef0123456789abcdef.xlsx"
    leftover.write_bytes(base[2]["good"].read_bytes()[:1000])
    server.start()
    try:
        assert not leftover.exists() and _inbox_files(inbox) == []
        client = Client(server.url)
        assert client.upload(base[2]["good"]).json()["status"] == "accepted"
        assert [p.read_bytes() for p in _inbox_files(inbox)] == [base[2]["good"].read_bytes()]
        client.close()
    finally:
        server.stop()


def test_a_client_that_stalls_is_cut_off_by_the_request_timeout(base, tmp_path):
    master = copy_master(base[0], tmp_path / "master")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # A ribbon button has its own, longer time (公表 with its PDF): a stalled one is cut off later.
    server = Server(tmp_path, master, inbox, limits={"request_timeout_seconds": 1.5, "ribbon_timeout_seconds": 3.5}).start()
    try:
        client = Client(server.url)
        client.get("/upload")
        body = _multipart(client.csrf, base[2]["good"].read_bytes())
        started = time.monotonic()
        ribbon = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        ribbon.sendall(f"POST /xlwings/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{".encode())
        s = _raw_post(server.port, client, body, 200)
        answer = s.recv(4096).decode("latin-1")
        s.close()
        assert answer.startswith("HTTP/1.1 503"), answer[:100]
        assert time.monotonic() - started < 6
        ribbon.settimeout(0.5)
        with pytest.raises(socket.timeout):  # the upload's time is up, the button's not yet
            ribbon.recv(4096)
        ribbon.settimeout(10)
        assert ribbon.recv(4096).decode("latin-1").startswith("HTTP/1.1 503") and time.monotonic() - started >= 3.4
        ribbon.close()
        assert _inbox_files(inbox) == []
        assert client.upload(base[2]["good"]).json()["status"] == "accepted"  # the server still serves others
        client.close()
    finally:
        server.stop()


def _sheet_rows(master: Path, sheet: str, header_row: int) -> list[dict]:
    ws = openpyxl.load_workbook(master)[sheet]
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:] if any(v is not None for v in r)]


_ANSWERS = {"text": "記入しました", "choice:project_statuses": "予定どおり", "choice:ratings": "B", "amount": 100}


def _one_answer(template: Path) -> dict:
    """One answer in the first input of the template that takes a text, a choice or an amount."""
    spec = next(s for s in input_cells(template).values() if s.key[0] != "department" and s.kind in _ANSWERS)
    return {spec.key: _ANSWERS[spec.kind]}


def test_concurrent_uploads_while_consolidating_lose_nothing_and_write_nothing_twice(base, tmp_path):
    master = copy_master(base[0], tmp_path / "master")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    templates = base[1]
    # Each department answers something besides its contact (a return with only the contact is 未記入).
    returns = {
        code: fill(tpl, {("department", code, "contact"): f"担当 {i}号", **_one_answer(tpl)}, tmp_path / "returns" / f"{i}.xlsx")
        for i, (code, tpl) in enumerate(sorted(templates.items()))
    }
    server = Server(tmp_path, master, inbox, limits={"uploads_per_minute": 1000, "max_concurrent_uploads": 4}).start()
    try:
        section = Client(server.url)
        assert section.login().status_code == 303
        section.get("/status")
        verdicts: dict[str, dict] = {}
        runs: list[int] = []

        def upload(code: str) -> None:
            c = Client(server.url)
            verdicts[code] = c.upload(returns[code]).json()
            c.close()

        def consolidate_repeatedly() -> None:
            for _ in range(3):
                runs.append(section.post("/status/consolidate").status_code)

        threads = [threading.Thread(target=upload, args=(code,)) for code in returns] + [threading.Thread(target=consolidate_repeatedly)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert runs == [200, 200, 200]
        assert {code: v["status"] for code, v in verdicts.items()} == dict.fromkeys(returns, "accepted")
        final = section.post("/status/consolidate")  # whatever arrived after the last run
        assert final.status_code == 200
        section.close()
    finally:
        server.stop()
    filed = {hashlib.sha256(p.read_bytes()).hexdigest() for p in _inbox_files(inbox)}
    assert filed == {v["sha256"] for v in verdicts.values()} and len(_inbox_files(inbox)) == len(returns)
    subs = {r["所管課コード"] if "所管課コード" in r else r[list(r)[1]]: r for r in _sheet_rows(master, "提出状況", 3)}
    for code, v in verdicts.items():
        row = subs[code]
        assert "受理" in row.values() and v["sha256"] in row.values(), (code, row)
    log = _sheet_rows(master, "変更履歴", 3)
    contacts = [tuple(r.values()) for r in log if any(isinstance(x, str) and x.startswith("担当 ") and x.endswith("号") for x in r.values())]
    assert len(contacts) == len(returns) == len(set(contacts))


# --- 3. the section's status page ---------------------------------------------------------


def test_status_tracks_uploads_and_consolidates_under_the_lock(base, tmp_path):
    from envplan.workbook.store import MasterLock

    master = copy_master(base[0], tmp_path / "master")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # A small request log (rotated at 1500 bytes, 2 older files kept): this test's requests rotate it.
    server = Server(tmp_path, master, inbox, site=str(_site(tmp_path)), log_max_bytes=1500, log_backups=2).start()
    try:
        dept = Client(server.url)
        dept.upload(base[2]["bad"])
        section = Client(server.url)
        section.login()
        page = section.get("/status").text
        env_row = next(r for r in page.split("<tr>") if "<th scope=\"row\">環境部環境課</th>" in r)
        assert "差戻し" in env_row and "/feedback/" in env_row
        assert "未提出" in page and 'href="/site/"' in page
        dept.upload(base[2]["good"])
        env_row = next(r for r in section.get("/status").text.split("<tr>") if "<th scope=\"row\">環境部環境課</th>" in r)
        assert "受付済み（取込待ち）" in env_row
        with MasterLock(master):  # another run holds the master: said, nothing written
            busy = section.post("/status/consolidate")
        assert busy.status_code == 409 and "取り込めませんでした" in busy.text
        done = section.post("/status/consolidate")
        assert done.status_code == 200 and "取込の結果" in done.text and "マスターを更新しました" in done.text
        env_row = next(r for r in done.text.split("<tr>") if "<th scope=\"row\">環境部環境課</th>" in r)
        assert "<td>受理</td>" in env_row
        assert _sheet_rows(master, "提出状況", 3)
        for _ in range(20):
            assert dept.get("/upload").status_code == 200
        dept.close()
        section.close()
    finally:
        server.stop()
    logs = sorted(p.name for p in server.work.glob("requests.log*"))
    assert logs == ["requests.log", "requests.log.1", "requests.log.2"], logs  # rotated, and only 2 older files kept
    for name in logs:
        lines = (server.work / name).read_text(encoding="utf-8").splitlines()
        assert lines and all(json.loads(line)["path"] for line in lines)  # whole lines: none cut by the rotation
        assert (server.work / name).stat().st_size <= 1500
    newest = [json.loads(line) for line in (server.work / "requests.log").read_text(encoding="utf-8").splitlines()]
    assert newest[-1]["path"] == "/upload" and newest[-1]["method"] == "GET"


# --- the configuration ----------------------------------------------------------------------


def test_config_in_toml_with_relative_folders(base, tmp_path, monkeypatch):
    from envplan.server.config import load_config

    copy_master(base[0], tmp_path / "進行管理")
    (tmp_path / "進行管理" / "受付").mkdir()
    (tmp_path / "envplan-server.toml").write_text('master = "進行管理/master.xlsx"\ninbox = "進行管理/受付"\nwork = "作業"\nport = 9000\n[limits]\nuploads_per_minute = 5\n', encoding="utf-8")
    monkeypatch.setenv("ENVPLAN_SERVER_PASSWORD", "x")
    config = load_config(tmp_path / "envplan-server.toml")
    assert config.master == (tmp_path / "進行管理" / "master.xlsx").resolve() and config.port == 9000 and config.limits.uploads_per_minute == 5


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"inbox": "master"}, "マスターと同じフォルダ"),
        ({"site": "inbox"}, "受付フォルダと重ならない"),
        ({"limits": {"max_upload_bytes": 0}}, "limits.max_upload_bytes"),
        ({"listen": "x"}, "listen"),
        ({"password_env": "ENVPLAN_NO_SUCH_VARIABLE"}, "ENVPLAN_NO_SUCH_VARIABLE"),
    ],
)
def test_serve_refuses_a_config_it_cannot_use(base, tmp_path, settings, message):
    from conftest import run_cli

    copy_master(base[0], tmp_path / "master")
    (tmp_path / "inbox").mkdir()
    config = {"master": "master/master.xlsx", "inbox": "inbox", "work": "work", **settings}
    path = tmp_path / "server.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    r = run_cli("serve", "--config", str(path), env={"ENVPLAN_SERVER_PASSWORD": "x"})
    assert r.returncode == 2 and message in r.stdout + r.stderr, r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_the_readme_config_example_loads(base, tmp_path, monkeypatch):
    """The README's example configuration, as written there, with its folders in place."""
    from conftest import ROOT
    from envplan.server.config import load_config

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# envplan-server\.yaml\n.*?)```", readme, re.S)[1]
    copy_master(base[0], tmp_path / "進行管理")
    (tmp_path / "進行管理" / "受付").mkdir()
    (tmp_path / "公開" / "site").mkdir(parents=True)
    (tmp_path / "envplan-server.yaml").write_text(block, encoding="utf-8")
    monkeypatch.setenv("ENVPLAN_SERVER_PASSWORD", "x")
    config = load_config(tmp_path / "envplan-server.yaml")
    assert config.inbox == (tmp_path / "進行管理" / "受付").resolve() and config.site == (tmp_path / "公開" / "site").resolve()
    assert config.limits.max_upload_bytes == 10 * 1024 * 1024 and config.host == "0.0.0.0"


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"templates_dir": "master/templates"}, "照会様式の出力先（templates_dir）（"),
        ({"site": "out", "templates_dir": "out/templates"}, "照会様式の出力先（templates_dir）と重ならない"),
        ({"templates_dir": "work"}, "作業フォルダと重ならない"),
    ],
)
def test_output_folders_overlap_nothing_private_nor_each_other(base, tmp_path, monkeypatch, settings, message):
    """What 様式発行 and 公表 write through the server is served: its folders must hold nothing else."""
    from envplan.server.config import ConfigError, load_config

    copy_master(base[0], tmp_path / "master")
    (tmp_path / "inbox").mkdir()
    path = tmp_path / "server.yaml"
    path.write_text(yaml.safe_dump({"master": "master/master.xlsx", "inbox": "inbox", "work": "work", **settings}), encoding="utf-8")
    monkeypatch.setenv("ENVPLAN_SERVER_PASSWORD", "x")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)


# --- one server per work folder; several worker processes share its state -----------------------


def test_a_second_server_on_the_same_work_folder_is_refused(served, monkeypatch, capsys):
    """A second, separate server on the same folders would clear the staging folder under the first
    one's uploads: it refuses to start (the workers of one server are started by `--workers N`)."""
    import uvicorn

    from envplan.cli.main import run
    from server_kit import PASSWORD, free_port

    def started(*args, **kw):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a second server was started")

    # This test's process is the second one: `envplan serve` run in it must stop before serving.
    monkeypatch.setattr(uvicorn, "run", started)
    monkeypatch.setenv("ENVPLAN_SERVER_PASSWORD", PASSWORD)
    server = served[0]
    for args in ([], ["--workers", "2"]):
        code = run(["serve", "--config", str(server.config_path), "--port", str(free_port()), *args])
        output = "".join(capsys.readouterr())
        assert code == 2 and "別の envplan serve" in output and "--workers N" in output, output
    assert httpx.get(f"{server.url}/upload", timeout=30).status_code == 200  # the running server is untouched
    code = run(["serve", "--config", str(server.config_path), "--workers", "0"])
    output = "".join(capsys.readouterr())
    assert code == 2 and "ワーカーの数は1以上" in output, output


def test_two_workers_share_logins_rate_limits_and_the_log(base, tmp_path):
    """`envplan serve --workers 2`: a login made on one worker holds on the other, the rate limit counts
    both workers' requests, and the request log, rotated by size, holds every request once, whole."""
    master = copy_master(base[0], tmp_path / "master")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    limit = 30  # requests per client and minute, over both workers
    server = Server(tmp_path, master, inbox, limits={"requests_per_minute": limit}, log_max_bytes=1500, log_backups=50).start(args=("--workers", "2"))
    answers: list[int] = []
    try:
        section = Client(server.url)
        section.http.event_hooks["response"].append(lambda r: answers.append(r.status_code))
        assert section.login().status_code == 303 and "envplan_session" in section.cookies
        # A new connection each time, which the kernel hands to either worker, until the limit answers.
        fresh = {**section.cookie_header(), "connection": "close"}
        while 429 not in answers and len(answers) < 2 * limit:
            answers.append(httpx.get(f"{server.url}/status", headers=fresh, timeout=30).status_code)
        section.close()
    finally:
        server.stop()
    assert len([a for a in answers if a != 429]) == limit and answers[-1] == 429, answers  # one count over both workers, not 30 each
    logs = sorted(server.work.glob("requests.log*"))
    assert len(logs) >= 3  # rotated
    entries = []
    for path in logs:
        entries += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]  # whole lines: none cut by a rotation or the other worker
        assert path.stat().st_size <= 1500 + 300  # the limit counts characters: a line may end just past it
    assert len(entries) == len(answers)  # every request of both workers, once
    shown = [e for e in entries if e["path"] == "/status"]
    assert {e["status"] for e in shown} == {200, 429}  # never sent back to /login: the login holds on either worker
    assert len({e["pid"] for e in shown if e["status"] == 200}) == 2
