"""Mails to departments: built with the standard library, written as .eml drafts or sent by SMTP.

A draft carries `X-Unsent: 1` so that Outlook opens it as a message to send (Thunderbird opens
any .eml and offers 「編集して新規作成」); it has no From unless one is given, so it goes out from
whoever sends it, through the department's own mail system. Subjects, display names and attachment
names are Japanese: the `email` package encodes them (RFC 2047 headers, RFC 2231 file names), and
the body is base64 UTF-8 so that no server needs 8BITMIME.
"""

from __future__ import annotations

import mimetypes
import os
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import cast

from envplan.survey.template_layout import safe_file_part

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Names Windows refuses for a file whatever the extension.
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
ENV_USER, ENV_PASSWORD, ENV_FROM = "ENVPLAN_SMTP_USER", "ENVPLAN_SMTP_PASSWORD", "ENVPLAN_SMTP_FROM"


@dataclass
class Mail:
    department: str
    department_name: str
    to: str  # the address, "" when the department has none
    to_name: str
    subject: str
    body: str
    attachments: list[Path] = field(default_factory=list)

    def unmailable(self) -> tuple[str, str] | None:
        """Why no mail can go to `to` (Japanese, English), or None: no address, or one that is not
        an address (「doboku at example」, two run together). Never sent somewhere else instead."""
        good, bad = split_addresses(self.to)
        if bad:
            shown = self.to.strip()
            return (
                f"メールアドレス「{shown}」を読めません（例: kankyo@city.example.jp。宛先が複数のときは「;」で区切ります）",
                f"cannot read {', '.join(bad)!r} as an email address",
            )
        if not good:
            return "所管課シートにメールアドレスがありません", "no email in the departments sheet"
        return None

    def message(self, sender: str = "", *, draft: bool) -> EmailMessage:
        msg = EmailMessage(policy=MAIL_POLICY)
        if sender:
            msg["From"] = sender
        good, _ = split_addresses(self.to)
        msg["To"] = ", ".join(formataddr((self.to_name, a)) if i == 0 and self.to_name else a for i, a in enumerate(good))
        msg["Subject"] = self.subject
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
        if draft:
            msg["X-Unsent"] = "1"
        msg.set_content(self.body, cte="base64")
        for path in self.attachments:
            kind = XLSX_TYPE if path.suffix.lower() == ".xlsx" else mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            maintype, subtype = kind.split("/", 1)
            msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
            parts = msg.get_payload()
            assert isinstance(parts, list)  # add_attachment made the message multipart
            _name_for_outlook(cast(EmailMessage, parts[-1]), kind, path.name)
        return msg


# An address as a mail system takes it: local@domain.tld, nothing around it. (The email package
# parses far more, display names and comments, and keeps a bare 「doboku」 as a local address.)
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]+")
_SEPARATORS = re.compile(r"[,;、，；\n]+")
_NAMED = re.compile(r"(?P<name>.*)<(?P<address>[^<>]*)>")  # 「環境 太郎 <kankyo@example.jp>」


def split_addresses(text: str) -> tuple[list[str], list[str]]:
    """The addresses in a cell (several separated by ; , 、 or spaces; each may be written
    「名前 <address>」): (readable, unreadable)."""
    import unicodedata

    good: list[str] = []
    bad: list[str] = []
    for chunk in _SEPARATORS.split(unicodedata.normalize("NFKC", text or "")):
        chunk = chunk.strip()
        named = _NAMED.fullmatch(chunk)
        for part in [named["address"].strip()] if named else chunk.split():
            (good if _ADDRESS.fullmatch(part) else bad).append(part)
    return good, bad


# Headers the program sets are folded as usual; the one written below as text stays as written.
MAIL_POLICY = policy.SMTP.clone(refold_source="none")


def _name_for_outlook(part: EmailMessage, kind: str, name: str) -> None:
    """The attachment's name also as an RFC 2047 encoded word in Content-Type's name=, beside the
    RFC 2231 filename* of Content-Disposition: Outlook shows the encoded word, not RFC 2231."""
    words = Header(name, "utf-8").encode(maxlinelen=68).split()  # short encoded words: every line within 78 characters
    value = f"{kind};\r\n name=\"" + "\r\n ".join(words) + "\""
    # The email package would re-encode a parameter set through its API as RFC 2231 (and it
    # refuses folded text through __setitem__); the part's header list takes it as written.
    part._headers = [(k, value) if k.lower() == "content-type" else (k, v) for k, v in part._headers]  # type: ignore[attr-defined]


class MailError(Exception):
    """A mail that could not be sent, in Japanese, with an English line for --json."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message)
        self.message_en = message_en


def draft_file_name(prefix: str, department_name: str) -> str:
    """A .eml name Windows accepts: no forbidden characters, no trailing dot or space, no CON/NUL…"""
    name = safe_file_part(f"{prefix}_{department_name}").rstrip(". ")
    if name.split(".", 1)[0].upper() in WINDOWS_RESERVED:
        name = f"_{name}"
    return f"{name[:120]}.eml"


class DraftWriteError(OSError):
    """A draft that could not be written (`path`: the draft's own name); none of the run's was."""

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(error.errno, error.strerror or str(error))
        self.path, self.error = path, error


def write_drafts(mails: list[Mail], folder: Path, prefix: str, sender: str = "") -> list[Path]:
    """Every draft, or none: each is written under a temporary name first, and only when all are
    there do they take their names (a draft that cannot be written leaves the folder as it was)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / draft_file_name(prefix, m.department_name) for m in mails]
    temps: list[Path] = []
    try:
        for mail, path in zip(mails, paths, strict=True):
            if path.is_dir():
                raise DraftWriteError(path, IsADirectoryError(21, "同じ名前のフォルダがあります"))
            tmp = path.with_name(f".{path.stem}.tmp")
            try:
                tmp.write_bytes(mail.message(sender, draft=True).as_bytes())
            except OSError as e:
                raise DraftWriteError(path, e) from e
            temps.append(tmp)
        for tmp, path in zip(temps, paths, strict=True):
            os.replace(tmp, path)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return paths


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    require_tls: bool = False
    user: str = ""
    password: str = ""
    timeout: float = 30.0


def parse_server(text: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 address in brackets: [::1]:25); the port defaults to 25."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or host.endswith(":"):  # no port, or an IPv6 address without brackets
        host, port = text.strip(), "25"
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(text)
    return host, int(port)


def settings_from_env(host: str, port: int, sender: str | None, require_tls: bool) -> SmtpSettings:
    """Credentials only from the environment: never from the workbook or the command line."""
    return SmtpSettings(
        host=host,
        port=port,
        sender=(sender or os.environ.get(ENV_FROM, "")).strip(),
        require_tls=require_tls,
        user=os.environ.get(ENV_USER, ""),
        password=os.environ.get(ENV_PASSWORD, ""),
    )


class MailSender:
    """One SMTP session for all the mails of a run; connect() raises MailError in Japanese."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> MailSender:
        s = self.settings
        where = f"{s.host}:{s.port}"
        if not (s.user + s.password).isascii():  # SMTP's AUTH carries ASCII only (smtplib would fail mid-session)
            raise MailError(
                f"{ENV_USER} / {ENV_PASSWORD} に半角の英数字・記号以外の文字があります。メールサーバーのログインには使えません。送信していません",
                f"{ENV_USER} / {ENV_PASSWORD} hold characters other than ASCII, which SMTP login cannot carry; nothing was sent",
            )
        try:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        except (OSError, smtplib.SMTPException) as e:
            raise MailError(f"メールサーバー {where} に接続できません（{_reason(e)}）", f"cannot connect to the mail server {where}: {e}") from e
        self.smtp = smtp
        try:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                # The system's CAs; an office's own CA through SSL_CERT_FILE (OpenSSL reads it).
                context = ssl.create_default_context()
                smtp.starttls(context=context)
                smtp.ehlo()
            elif s.require_tls:
                raise MailError(f"メールサーバー {where} は STARTTLS に対応していません（--starttls を指定しています）。送信していません", f"{where} does not offer STARTTLS; nothing was sent")
            if s.user:
                if not getattr(smtp, "sock", None) or not isinstance(smtp.sock, ssl.SSLSocket):
                    # The password would cross the network as it is (AUTH PLAIN is base64, not a cipher).
                    raise MailError(
                        f"メールサーバー {where} は STARTTLS に対応していないため、ログインのパスワードが暗号化されずに送られます。送信していません"
                        f"（STARTTLS に対応したサーバーを指定するか、ログインが不要なサーバーなら {ENV_USER} を設定せずに実行してください）",
                        f"{where} offers no STARTTLS: the login would cross the network unencrypted; nothing was sent",
                    )
                if not smtp.has_extn("auth"):
                    raise MailError(f"メールサーバー {where} はログイン（AUTH）に対応していません。送信していません", f"{where} does not offer AUTH; nothing was sent")
                smtp.login(s.user, s.password)
        except MailError:
            self.close()
            raise
        except smtplib.SMTPAuthenticationError as e:
            self.close()
            raise MailError(
                f"メールサーバー {where} にログインできません（{ENV_USER} / {ENV_PASSWORD} を確認してください）。送信していません", f"login to {where} failed: {e}"
            ) from e
        except (OSError, ssl.SSLError, smtplib.SMTPException) as e:
            self.close()
            raise MailError(f"メールサーバー {where} との接続に失敗しました（{_reason(e)}）。送信していません", f"the session with {where} failed: {e}") from e
        return self

    def send(self, mail: Mail) -> None:
        assert self.smtp is not None
        try:
            refused = self.smtp.send_message(mail.message(self.settings.sender, draft=False))
        except smtplib.SMTPRecipientsRefused as e:
            raise MailError(f"{mail.department_name} 宛て（{mail.to}）はメールサーバーに受け付けられませんでした（{_reason(e)}）", f"the server refused {mail.to}: {e}") from e
        except smtplib.SMTPSenderRefused as e:
            if e.smtp_code == 530 and not self.settings.user:  # 530: authentication required
                raise MailError(
                    f"メールサーバーがログインを求めています（{_reason(e)}）。環境変数 {ENV_USER}・{ENV_PASSWORD} を設定して実行し直してください",
                    f"the server requires a login: set {ENV_USER} and {ENV_PASSWORD}",
                ) from e
            raise MailError(f"差出人 {self.settings.sender} がメールサーバーに受け付けられませんでした（{_reason(e)}）", f"the server refused the sender: {e}") from e
        except (OSError, smtplib.SMTPException) as e:
            raise MailError(f"{mail.department_name} 宛ての送信に失敗しました（{_reason(e)}）", f"sending to {mail.to} failed: {e}") from e
        if refused:
            raise MailError(f"{mail.department_name} 宛て（{mail.to}）はメールサーバーに受け付けられませんでした", f"the server refused {mail.to}")

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason(e: BaseException) -> str:
    if isinstance(e, socket.timeout | TimeoutError):
        return "応答がありません"
    if isinstance(e, ConnectionRefusedError):
        return "接続を拒否されました"
    if isinstance(e, socket.gaierror):
        return "サーバー名が見つかりません"
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"サーバーの証明書を確認できません: {e.verify_message}"
    if isinstance(e, smtplib.SMTPResponseException):
        return f"{e.smtp_code} {e.smtp_error.decode('utf-8', 'replace') if isinstance(e.smtp_error, bytes) else e.smtp_error}"
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{addr}: {code}" for addr, (code, _msg) in e.recipients.items())
    return f"{type(e).__name__}: {e}"
