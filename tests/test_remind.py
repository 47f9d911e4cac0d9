"""Issue 13 §3: reminders (督促) and the 照会 mail, through the real CLI.

A master from the combined sample is consolidated with a mix of returns (公園課 accepted,
清掃事務所 rejected, 環境課 blank, the rest not submitted); `envplan remind` then writes .eml
drafts, parsed back here with the standard library, or sends them to a real SMTP server
(aiosmtpd, STARTTLS and AUTH, a self-signed certificate made in the test) on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import ssl
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import openpyxl
import pytest

from conftest import cli_json, run_cli
from returns_kit import copy_master, fill, issue, set_setting

EMAILS = {"環境課": "kankyo@example.jp", "清掃事務所": "seiso@example.jp", "公園課": "koen@example.jp", "河川下水道課": "kasen@example.jp"}
CONTACTS = {"清掃事務所": "清掃 花子"}
NO_EMAIL = "経理課"  # 未提出, but no address in 所管課: reported, not mailed


def _set_departments(master: Path) -> None:
    """Staff type the addresses into 所管課, as they would in Excel."""
    wb = openpyxl.load_workbook(master)
    ws = wb["所管課"]
    header = [c.value for c in ws[3]]
    col_code, col_email, col_contact = header.index("コード"), header.index("メール"), header.index("担当者")
    for row in ws.iter_rows(min_row=4):
        code = row[col_code].value
        if code in EMAILS:
            row[col_email].value = EMAILS[code]
        if code in CONTACTS:
            row[col_contact].value = CONTACTS[code]
    wb.save(master)


@pytest.fixture(scope="module")
def round_(sample_masters, tmp_path_factory):
    """The master after one consolidation of the mix; its inbox and templates."""
    folder = tmp_path_factory.mktemp("remind")
    master = folder / "master.xlsx"
    master.write_bytes(sample_masters["all"].read_bytes())
    _set_departments(master)
    templates = issue(master, folder / "templates")
    inbox = folder / "inbox"
    fill(templates["公園課"], {("value", "S11", 2022, "actual"): 22.0, ("department", "公園課", "contact"): "公園 次郎"}, inbox / "公園課.xlsx")
    # The rejected return names who handles it now (its 担当者 sheet): the reminder goes to that person.
    answers = {("value", "S05", 2022, "actual"): "たくさん", ("department", "清掃事務所", "contact"): "清掃 一郎", ("department", "清掃事務所", "email"): "ichiro@example.jp"}
    fill(templates["清掃事務所"], answers, inbox / "清掃事務所の回答.xlsx")
    fill(templates["環境課"], {("department", "環境課", "contact"): "環境 太郎"}, inbox / "環境課.xlsx")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 1 and (data["accepted"], data["rejected"], data["blank"]) == (1, 1, 1), data
    return master, inbox, folder / "templates"


@pytest.fixture
def master(round_, tmp_path):
    return copy_master(round_[0], tmp_path)


def _parse(path: Path) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(msg, EmailMessage)
    return msg


def _attachments(msg: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


def test_remind_writes_one_draft_per_department_still_to_chase(master, round_, tmp_path):
    _, inbox, templates = round_
    out = tmp_path / "drafts"
    rc, data = cli_json("remind", str(master), "--inbox", str(inbox), "--templates", str(templates), "--out", str(out), "--deadline", "2026-12-15", "--json")
    assert rc == 0 and data["ok"] and data["fy"] == 2022, data
    mails = {m["department"]: m for m in data["mails"]}
    assert set(mails) == {"清掃事務所", "環境課", "河川下水道課"}  # 公園課 was accepted; the others have no address
    assert {m["status"] for m in mails.values()} == {"差戻し", "未記入", "未提出"}
    assert mails["清掃事務所"]["status"] == "差戻し" and mails["環境課"]["status"] == "未記入" and mails["河川下水道課"]["status"] == "未提出"
    not_mailed = {n["department"]: n for n in data["not_mailed"]}
    assert NO_EMAIL in not_mailed and "公園課" not in not_mailed and not_mailed[NO_EMAIL]["status"] == "未提出"
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(m["file"]).name for m in mails.values())

    rejected = _parse(Path(mails["清掃事務所"]["file"]))
    assert rejected["X-Unsent"] == "1" and rejected["From"] is None  # Outlook opens it as a draft to send
    assert rejected["To"].addresses[0].addr_spec == "ichiro@example.jp" and rejected["To"].addresses[0].display_name == "清掃 一郎"
    assert mails["清掃事務所"]["to_from"] == "回答の担当者シート" and mails["河川下水道課"]["to_from"] == "所管課"
    assert rejected["Subject"].startswith("【修正のお願い】") and "2022年度" in rejected["Subject"] and "12月15日" in rejected["Subject"]
    assert "=?utf-8?" in Path(mails["清掃事務所"]["file"]).read_text("ascii").lower()  # encoded, not raw 8-bit
    body = rejected.get_body(("plain",)).get_content()
    assert "品川区 環境計画の担当です。" in body  # no 発行者 set: the master's municipality
    assert "清掃 一郎 様" in body and "エラー）が1件" in body and "たくさん" in body and "2026年12月15日（火）" in body
    files = _attachments(rejected)
    assert list(files) == ["清掃事務所の回答_要修正.xlsx"]  # the Japanese name, RFC 2231, decoded back
    assert files["清掃事務所の回答_要修正.xlsx"] == (inbox / "フィードバック" / "清掃事務所の回答_要修正.xlsx").read_bytes()
    assert "filename*0*=utf-8''" in Path(mails["清掃事務所"]["file"]).read_text("ascii")
    # Outlook reads the name= of Content-Type as an RFC 2047 encoded word: given too, decoded back the same.
    raw = Path(mails["清掃事務所"]["file"]).read_text("ascii")
    assert re.search(r'name="=\?utf-8\?b\?[A-Za-z0-9+/=]+\?=', raw), raw[raw.index("Content-Type: application/vnd"):][:300]
    (part,) = rejected.iter_attachments()
    assert str(make_header(decode_header(part.get_param("name")))) == "清掃事務所の回答_要修正.xlsx"
    assert all(len(line) <= 80 for line in raw.splitlines())

    blank = _parse(Path(mails["環境課"]["file"]))
    body = blank.get_body(("plain",)).get_content()
    assert blank["Subject"].startswith("【ご記入のお願い】") and "入力欄がすべて空欄です" in body and "「環境課.xlsx」" in body
    assert list(_attachments(blank)) == ["環境課_確認.xlsx"]

    waiting = _parse(Path(mails["河川下水道課"]["file"]))
    body = waiting.get_body(("plain",)).get_content()
    assert waiting["Subject"].startswith("【ご提出のお願い】") and "まだ届いていません" in body and "ご担当者 様" in body
    assert list(_attachments(waiting)) == ["進行管理照会_2022年度_防災まちづくり部河川下水道課.xlsx"]
    # Nothing of the sample's city is written into the text by the program: the words come from the master.
    assert "区民" not in body and "市民" not in body


def test_remind_without_inbox_says_the_feedback_copy_is_missing(master, tmp_path):
    out = tmp_path / "drafts"
    proc = run_cli("remind", str(master), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout + proc.stderr
    assert "清掃事務所の回答_要修正.xlsx が見つかりません" in text and "提出期限を書いていません" in text
    assert "下書きを 3 通作りました" in text and "今日より前" not in text
    assert "メールを作らなかった所管課" in text and "総務部経理課" in text and "所管課シートにメールアドレスがありません" in text
    assert len(list(out.glob("*.eml"))) == 3
    # Without the inbox, the address and the name are those of 所管課.
    msg = _parse(out / "督促_2022年度_環境部品川区清掃事務所.eml")
    assert msg["To"].addresses[0].addr_spec == "seiso@example.jp" and msg["To"].addresses[0].display_name == "清掃 花子"
    assert list(_attachments(msg)) == [] and "確認事項の一覧は" in msg.get_body(("plain",)).get_content()


def test_the_deadline_comes_from_settings_and_validate_checks_it(master, tmp_path):
    """回答期限 in 設定 is the reminders' deadline unless --deadline is given; a date that cannot be
    read is an error of validate naming the cell."""
    cell = set_setting(master, "response_deadline", "2026/12/15")
    proc = run_cli("remind", str(master), "--out", str(tmp_path / "d"), "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["deadline"] == "2026-12-15", proc.stdout
    set_setting(master, "response_deadline", "12月中旬")
    rc, data = cli_json("validate", str(master), "--json")
    assert rc == 1 and any(e["code"] == "DATE_INVALID" and e["cell"] == cell and "回答期限" in e["message"] for e in data["errors"]), data


def test_remind_says_when_the_deadline_has_passed(master, tmp_path):
    proc = run_cli("remind", str(master), "--out", str(tmp_path / "d"), "--deadline", "2020-01-31")
    assert proc.returncode == 0 and "提出期限 2020-01-31 は今日より前です" in proc.stdout + proc.stderr
    proc = run_cli("issue", str(master), "--out", str(tmp_path / "t"), "--mail-drafts", "--deadline", "2020-01-31")
    assert proc.returncode == 0 and "提出期限 2020-01-31 は今日より前です" in proc.stdout + proc.stderr  # the first 照会 too


def test_remind_bad_options_are_japanese_errors(master, tmp_path):
    proc = run_cli("remind", str(master), "--deadline", "来週", "--json")
    assert proc.returncode == 2 and "--deadline「来週」を日付として読めません" in json.loads(proc.stdout)["error"]["message"]
    proc = run_cli("remind", str(master), "--smtp", "127.0.0.1:1", "--json", env={"ENVPLAN_SMTP_FROM": ""})
    assert proc.returncode == 2 and "差出人" in json.loads(proc.stdout)["error"]["message"]
    # A port where nothing listens: unreachable, said in Japanese, nothing reported as sent.
    proc = run_cli("remind", str(master), "--smtp", f"127.0.0.1:{_free_port()}", "--from", "kankyo-sec@example.jp", "--json")
    data = json.loads(proc.stdout)
    assert proc.returncode == 2 and not data["ok"] and data["mails"] == [] and "接続できません" in data["error"]["message"], data


# --- a real SMTP server on 127.0.0.1 -----------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(folder: Path) -> tuple[Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


class _Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = _Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"kankyo", b"s3cret")
        if ok:
            handler.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    port = _free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True, auth_require_tls=True, authenticator=authenticate, auth_required=True
    )
    controller.start()
    try:
        yield handler, port, cert
    finally:
        controller.stop()


def test_remind_sends_through_smtp_with_starttls_and_login(master, round_, smtp_server):
    handler, port, cert = smtp_server
    _, inbox, _ = round_
    env = {"ENVPLAN_SMTP_USER": "kankyo", "ENVPLAN_SMTP_PASSWORD": "s3cret", "ENVPLAN_SMTP_FROM": "kankyo-sec@example.jp", "SSL_CERT_FILE": str(cert)}
    proc = run_cli("remind", str(master), "--inbox", str(inbox), "--smtp", f"127.0.0.1:{port}", "--starttls", "--deadline", "2026年12月15日", "--json", env=env)
    data = json.loads(proc.stdout)
    assert proc.returncode == 0 and data["ok"], proc.stderr
    assert handler.logins == ["kankyo"]
    assert {m["department"] for m in data["mails"]} == {"清掃事務所", "環境課", "河川下水道課"} and all(m["sent"] for m in data["mails"])
    by_rcpt = {rcpts[0]: BytesParser(policy=policy.default).parsebytes(raw) for _from, rcpts, raw in handler.received}
    assert set(by_rcpt) == {"ichiro@example.jp", "kankyo@example.jp", "kasen@example.jp"}
    assert all(frm == "kankyo-sec@example.jp" for frm, _r, _raw in handler.received)
    sent = by_rcpt["ichiro@example.jp"]
    assert sent["X-Unsent"] is None and sent["Subject"].startswith("【修正のお願い】")
    assert list(_attachments(sent)) == ["清掃事務所の回答_要修正.xlsx"]


def test_remind_wrong_password_is_refused_and_nothing_is_sent(master, smtp_server):
    handler, port, cert = smtp_server
    env = {"ENVPLAN_SMTP_USER": "kankyo", "ENVPLAN_SMTP_PASSWORD": "wrong", "SSL_CERT_FILE": str(cert)}
    proc = run_cli("remind", str(master), "--smtp", f"127.0.0.1:{port}", "--from", "kankyo-sec@example.jp", "--json", env=env)
    data = json.loads(proc.stdout)
    assert proc.returncode == 2 and not data["ok"] and data["mails"] == []
    assert "ログインできません" in data["error"]["message"] and "1通も送信していません" in data["error"]["message"]
    assert handler.received == []
    # A certificate nobody vouches for (here: no CA trusted at all) is refused before any login.
    env = {"ENVPLAN_SMTP_USER": "kankyo", "ENVPLAN_SMTP_PASSWORD": "s3cret", "SSL_CERT_FILE": str(cert.parent / "none.pem")}
    proc = run_cli("remind", str(master), "--smtp", f"127.0.0.1:{port}", "--from", "kankyo-sec@example.jp", "--json", env=env)
    data = json.loads(proc.stdout)
    assert proc.returncode == 2 and "証明書を確認できません" in data["error"]["message"] and data["mails"] == []
    assert handler.received == [] and handler.logins == []


def test_issue_mail_drafts_attach_each_template(sample_masters, tmp_path):
    master = tmp_path / "master.xlsx"
    master.write_bytes(sample_masters["all"].read_bytes())
    _set_departments(master)
    set_setting(master, "publisher", "架空町 環境部 環境政策課")  # the sender's words come from the master
    set_setting(master, "contact", "環境政策課 電話 000-000-0000")
    set_setting(master, "response_deadline", "令和8年11月30日")  # 回答期限 in 設定, an era date: used without --deadline
    assert cli_json("validate", str(master), "--json")[0] == 0
    out = tmp_path / "照会"
    rc, data = cli_json("issue", str(master), "--out", str(out), "--mail-drafts", "--json")
    assert rc == 0 and data["ok"], data
    assert {m["department"] for m in data["mails"]} == set(EMAILS)
    assert NO_EMAIL in {n["department"] for n in data["not_mailed"]}
    for m in data["mails"]:
        draft = Path(m["file"])
        assert draft.parent == out and draft.suffix == ".eml"
        msg = _parse(draft)
        (name, content), = _attachments(msg).items()
        assert name == m["attachments"][0] and content == (out / name).read_bytes()
        assert msg["To"].addresses[0].addr_spec == EMAILS[m["department"]] and msg["X-Unsent"] == "1"
        assert msg["Subject"].startswith("【照会】") and "2022年度" in msg["Subject"]
        body = msg.get_body(("plain",)).get_content()
        assert "2026年11月30日（月）" in body and "架空町 環境部 環境政策課です。" in body and body.rstrip().endswith("環境政策課 電話 000-000-0000")


class _Refusing(_Inbox):
    """A server that refuses one address (a mailbox that no longer exists)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address == "kasen@example.jp":
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_plain_smtp_server_starttls_required_and_a_refused_address(master):
    """A server without TLS or AUTH: --starttls refuses to send; without it the mails go out in
    order, and an address the server refuses stops the run with only the mails before it reported sent."""
    from aiosmtpd.controller import Controller

    handler = _Refusing()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        server = f"127.0.0.1:{port}"
        proc = run_cli("remind", str(master), "--smtp", server, "--from", "kankyo-sec@example.jp", "--starttls", "--json")
        data = json.loads(proc.stdout)
        assert proc.returncode == 2 and "STARTTLS に対応していません" in data["error"]["message"] and data["mails"] == [] and handler.received == []
        proc = run_cli("remind", str(master), "--smtp", server, "--from", "kankyo-sec@example.jp", "--json")
        data = json.loads(proc.stdout)
        assert proc.returncode == 2 and not data["ok"], proc.stderr
        sent = [m["department"] for m in data["mails"]]
        assert sent == ["環境課", "清掃事務所"] and all(m["sent"] for m in data["mails"])  # the master's order, up to the refusal
        assert "防災まちづくり部河川下水道課 宛て（kasen@example.jp）" in data["error"]["message"] and "残りは送信していません" in data["error"]["message"]
        assert sorted(r[1][0] for r in handler.received) == ["kankyo@example.jp", "seiso@example.jp"]
    finally:
        controller.stop()


def test_draft_file_names_are_safe_for_windows():
    from envplan.survey.mail_drafts import draft_file_name

    assert draft_file_name("督促_2022年度", '環境/計画:課*?"<>|') == "督促_2022年度_環境＿計画＿課＿＿＿＿＿＿.eml"
    assert draft_file_name("CON", "x") == "CON_x.eml"  # not the device name itself
    assert draft_file_name("NUL", "") == "NUL_.eml"
    assert draft_file_name("督促", "課. ") == "督促_課.eml"  # Windows drops a trailing dot or space
    assert len(draft_file_name("督促", "長" * 400)) <= 124


def test_a_third_city_mails_carry_nothing_of_the_samples(tmp_path):
    """The mails of another city (issue 11's third plan): its own names, nothing of the bundled samples."""
    from envplan.workbook.writer import save_master
    from test_third_city import SAMPLE_WORDS, third_plan

    plan = third_plan()
    plan = plan.model_copy(update={"departments": [d.model_copy(update={"email": f"{d.code.lower()}@example.jp"}) for d in plan.departments]})
    master = tmp_path / "緑川市.xlsx"
    save_master(plan, master)
    rc, issued = cli_json("issue", str(master), "--out", str(tmp_path / "照会"), "--mail-drafts", "--json")
    assert rc == 0 and issued["mails"], issued
    rc, reminded = cli_json("remind", str(master), "--templates", str(tmp_path / "照会"), "--out", str(tmp_path / "督促"), "--json")
    assert rc == 0 and reminded["mails"], reminded
    for m in issued["mails"] + reminded["mails"]:
        msg = _parse(Path(m["file"]))
        text = " ".join([str(msg["Subject"]), str(msg["To"]), msg.get_body(("plain",)).get_content(), *_attachments(msg)])
        assert "緑川市環境基本計画" in text and "緑川市 環境計画の担当です。" in text
        assert not [w for w in SAMPLE_WORDS if w in text], text


def _set_emails(master: Path, emails: dict[str, str]) -> None:
    wb = openpyxl.load_workbook(master)
    ws = wb["所管課"]
    header = [c.value for c in ws[3]]
    col_code, col_email = header.index("コード"), header.index("メール")
    for row in ws.iter_rows(min_row=4):
        if row[col_code].value in emails:
            row[col_email].value = emails[row[col_code].value]
    wb.save(master)


def test_several_addresses_go_to_each_and_an_unreadable_one_to_no_one(master, tmp_path):
    """「a; b」 in the メール cell is two recipients (smtplib took only the first); 「doboku at
    example」 is no address (smtplib sent it to the bare local name 「doboku」): not mailed, said why."""
    from aiosmtpd.controller import Controller

    _set_emails(master, {"河川下水道課": "kasen@example.jp; kasen2@example.jp", NO_EMAIL: "doboku at example"})
    rc, data = cli_json("remind", str(master), "--out", str(tmp_path / "drafts"), "--json")
    assert rc == 0, data
    mails = {m["department"]: m for m in data["mails"]}
    draft = _parse(Path(mails["河川下水道課"]["file"]))
    assert [a.addr_spec for a in draft["To"].addresses] == ["kasen@example.jp", "kasen2@example.jp"] and not draft["To"].defects
    [bad] = [n for n in data["not_mailed"] if n["department"] == NO_EMAIL]
    assert "「doboku at example」を読めません" in bad["reason"] and bad["reason_en"], bad
    assert NO_EMAIL not in mails
    proc = run_cli("remind", str(master), "--out", str(tmp_path / "d2"))
    assert "doboku at example" in proc.stdout + proc.stderr  # said on the console too

    handler = _Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        rc, data = cli_json("remind", str(master), "--smtp", f"127.0.0.1:{port}", "--from", "kankyo-sec@example.jp", "--json")
    finally:
        controller.stop()
    assert rc == 0 and data["ok"], data
    rcpts = sorted(r for _frm, to, _raw in handler.received for r in to)
    assert "kasen2@example.jp" in rcpts and "kasen@example.jp" in rcpts and not [r for r in rcpts if "doboku" in r], rcpts


def test_a_password_smtp_cannot_carry_is_refused_before_connecting(master, smtp_server):
    handler, port, cert = smtp_server
    env = {"ENVPLAN_SMTP_USER": "kankyo", "ENVPLAN_SMTP_PASSWORD": "pässwörd秘密", "SSL_CERT_FILE": str(cert)}
    proc = run_cli("remind", str(master), "--smtp", f"127.0.0.1:{port}", "--from", "kankyo-sec@example.jp", "--json", env=env)
    data = json.loads(proc.stdout)
    assert proc.returncode == 2 and not data["ok"] and "半角の英数字・記号以外" in data["error"]["message"] and data["error"]["message_en"], data
    assert handler.received == [] and handler.logins == []


def test_no_login_over_a_connection_without_tls(master):
    """A server without STARTTLS and a login set: the password would cross the network as it is."""
    from aiosmtpd.controller import Controller

    handler = _Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, auth_require_tls=False)
    controller.start()
    try:
        env = {"ENVPLAN_SMTP_USER": "kankyo", "ENVPLAN_SMTP_PASSWORD": "s3cret"}
        proc = run_cli("remind", str(master), "--smtp", f"127.0.0.1:{port}", "--from", "kankyo-sec@example.jp", "--json", env=env)
    finally:
        controller.stop()
    data = json.loads(proc.stdout)
    assert proc.returncode == 2 and "暗号化されずに" in data["error"]["message"] and data["mails"] == [], data
    assert handler.received == []


def test_drafts_are_written_all_or_none(master, tmp_path):
    """A folder in the way of one draft: the run stops naming that draft, and no other is left behind."""
    out = tmp_path / "drafts"
    blocked = out / "督促_2022年度_防災まちづくり部河川下水道課.eml"
    blocked.mkdir(parents=True)
    rc, data = cli_json("remind", str(master), "--out", str(out), "--json")
    assert rc == 2 and not data["ok"], data
    assert "督促_2022年度_防災まちづくり部河川下水道課.eml" in data["error"]["message"] and ".tmp" not in data["error"]["message"]
    assert "1通も作っていません" in data["error"]["message"]
    assert sorted(p.name for p in out.iterdir()) == [blocked.name]  # no draft, no temporary file


def test_a_server_that_wants_a_login_says_so(master, smtp_server):
    handler, port, cert = smtp_server
    proc = run_cli("remind", str(master), "--smtp", f"127.0.0.1:{port}", "--from", "kankyo-sec@example.jp", "--json", env={"SSL_CERT_FILE": str(cert)})
    data = json.loads(proc.stdout)
    assert proc.returncode == 2 and "ログインを求めています" in data["error"]["message"] and "ENVPLAN_SMTP_USER" in data["error"]["message"], data
    assert handler.received == []


@pytest.mark.parametrize(
    ("cell", "readable", "unreadable"),
    [
        ("kasen@example.jp; kasen2@example.jp", ["kasen@example.jp", "kasen2@example.jp"], []),
        ("kasen@example.jp、河川 二郎 <kasen2@example.jp>", ["kasen@example.jp", "kasen2@example.jp"], []),  # a name as Outlook copies it
        ("河川 太郎 <kasen@example.jp>", ["kasen@example.jp"], []),
        ("ｋａｓｅｎ＠ｅｘａｍｐｌｅ．ｊｐ", ["kasen@example.jp"], []),  # typed in full width
        ("doboku at example", [], ["doboku", "at", "example"]),
        ("doboku@example", [], ["doboku@example"]),  # no domain a mail system would take
        ("", [], []),
    ],
)
def test_the_addresses_of_a_mail_cell(cell, readable, unreadable):
    from envplan.survey.mail_drafts import split_addresses

    assert split_addresses(cell) == (readable, unreadable)
