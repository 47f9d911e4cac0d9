"""`envplan serve`: the real server (uvicorn on 127.0.0.1, started by the CLI from a
config file), the department upload page and the section pages, over HTTP with
httpx and in headless Chromium; real issued templates and real returns."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pytest

from envplan.survey.consolidate import consolidate
from envplan.survey.template_layout import FEEDBACK_SHEET
from returns_kit import copy_master as _copy_master
from returns_kit import fill, issue, set_identity
from server_kit import Client, Server


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
    master = folder / "master.xlsx"
    master.write_bytes(sample_masters["all"].read_bytes())
    templates = issue(master, folder / "templates")
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
    forged = dict(client.cookies, envplan_session=client.cookies["envplan_session"][:-1] + "0")
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
    lines = [json.loads(line) for line in server.log_lines()]
    uploads = [e for e in lines if e["path"] == "/upload" and e["method"] == "POST" and e.get("verdict")]
    assert uploads and all(e["client"] == "127.0.0.1" and e["status"] and e.get("sha256") for e in uploads)
    assert any(e.get("user") == "login-failed" and e["status"] == 401 for e in lines)
    text = "\n".join(server.log_lines())
    assert "wrong" not in text and "たくさん" not in text and "PK" not in text
