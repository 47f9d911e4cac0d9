"""The PDF on Windows: DevTools over a websocket (tested here with Chromium,
forced by ENVPLAN_CDP_TRANSPORT), finding Edge/Chrome in a Windows layout,
fonts without fontconfig, and the Excel 公表 button when no browser is found."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import xlwings as xw

from conftest import cli_json, require, run_cli
from envplan.excel import actions as excel_actions
from envplan.plan.samples import load_sample
from envplan.report import fonts
from envplan.report.browser_discovery import BROWSER_ENV, find_browser, missing_browser_message
from envplan.report.chromium import Browser, BrowserError
from envplan.report.devtools_transport import TRANSPORT_ENV, choose_transport, read_active_port
from envplan.report.typeset import plain
from xlwings_remote import apply_actions, book_payload

WS_PATH = "/devtools/browser/6f1c2a3e-5b7d-4e0a-9c1b-2d3e4f5a6b7c"


# --- DevToolsActivePort --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"38127\n{WS_PATH}\n", (38127, WS_PATH)),
        (f"38127\r\n{WS_PATH}\r\n", (38127, WS_PATH)),  # written on Windows
        (f"1\n{WS_PATH}", (1, WS_PATH)),
        ("38127\n", None),  # the browser has written the port but not yet the path
        ("38127", None),
        ("", None),
        (f"0\n{WS_PATH}\n", None),
        (f"70000\n{WS_PATH}\n", None),
        (f"port\n{WS_PATH}\n", None),
        ("38127\n/devtools/page/abc\n", None),  # a page target, not the browser
        ("38127\n/devtools/browser/\n", None),
    ],
)
def test_active_port_file_is_parsed(tmp_path: Path, text: str, expected: tuple[int, str] | None) -> None:
    path = tmp_path / "DevToolsActivePort"
    path.write_bytes(text.encode("ascii"))
    assert read_active_port(path) == expected


def test_active_port_file_missing_or_not_text(tmp_path: Path) -> None:
    assert read_active_port(tmp_path / "DevToolsActivePort") is None
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    assert read_active_port(tmp_path / "bin") is None


# --- which transport -----------------------------------------------------------


def test_transport_defaults_by_platform_and_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRANSPORT_ENV, raising=False)
    assert choose_transport(platform="linux") == "pipe"
    assert choose_transport(platform="darwin") == "pipe"
    assert choose_transport(platform="win32") == "websocket"
    monkeypatch.setenv(TRANSPORT_ENV, "WebSocket")
    assert choose_transport(platform="linux") == "websocket"
    assert choose_transport("pipe", platform="linux") == "pipe"  # an explicit argument wins over the environment
    monkeypatch.setenv(TRANSPORT_ENV, "pipe")
    with pytest.raises(BrowserError, match="Windows では使えません") as e:
        choose_transport(platform="win32")
    assert "Windows" in e.value.message_en
    monkeypatch.setenv(TRANSPORT_ENV, "tcp")
    with pytest.raises(BrowserError, match="pipe か websocket") as e:
        choose_transport(platform="linux")
    assert TRANSPORT_ENV in e.value.message_en


# --- finding the browser -------------------------------------------------------


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def windows_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a Windows PC whose install folders are tmp dirs, with nothing on PATH."""
    env = {
        "ProgramFiles(x86)": str(tmp_path / "Program Files (x86)"),
        "ProgramFiles": str(tmp_path / "Program Files"),
        "ProgramW6432": str(tmp_path / "Program Files"),
        "LOCALAPPDATA": str(tmp_path / "Users" / "taro" / "AppData" / "Local"),
        "PATH": str(tmp_path / "empty-path"),
    }
    for value in env.values():
        Path(value).mkdir(parents=True, exist_ok=True)
    return env


def test_windows_without_a_browser_says_to_install_edge(windows_env: dict[str, str]) -> None:
    assert find_browser(platform="win32", environ=windows_env) is None
    ja, en = missing_browser_message(platform="win32", environ=windows_env)
    assert "Microsoft Edge" in ja and "Windows 10/11" in ja and BROWSER_ENV in ja and "msedge.exe" in ja
    assert "Edge" in en and BROWSER_ENV in en


def test_windows_finds_chrome_per_user_then_per_machine_then_edge(windows_env: dict[str, str]) -> None:
    local, pf, pf86 = Path(windows_env["LOCALAPPDATA"]), Path(windows_env["ProgramFiles"]), Path(windows_env["ProgramFiles(x86)"])
    user_chrome = _exe(local / "Google" / "Chrome" / "Application" / "chrome.exe")
    assert find_browser(platform="win32", environ=windows_env) == str(user_chrome)
    machine_chrome = _exe(pf / "Google" / "Chrome" / "Application" / "chrome.exe")
    assert find_browser(platform="win32", environ=windows_env) == str(machine_chrome)
    edge_64 = _exe(pf / "Microsoft" / "Edge" / "Application" / "msedge.exe")
    assert find_browser(platform="win32", environ=windows_env) == str(edge_64)
    edge_32 = _exe(pf86 / "Microsoft" / "Edge" / "Application" / "msedge.exe")  # where Edge really is on most PCs
    assert find_browser(platform="win32", environ=windows_env) == str(edge_32)
    # A folder named like the program is not the program.
    shutil.rmtree(edge_32.parent.parent)
    (pf86 / "Microsoft" / "Edge" / "Application" / "msedge.exe").mkdir(parents=True)
    assert find_browser(platform="win32", environ=windows_env) == str(edge_64)


def test_windows_environment_names_in_upper_case(windows_env: dict[str, str]) -> None:
    upper = {k.upper(): v for k, v in windows_env.items()}
    edge = _exe(Path(upper["PROGRAMFILES(X86)"]) / "Microsoft" / "Edge" / "Application" / "msedge.exe")
    assert find_browser(platform="win32", environ=upper) == str(edge)


def test_browser_named_in_the_environment(windows_env: dict[str, str], tmp_path: Path) -> None:
    _exe(Path(windows_env["ProgramFiles(x86)"]) / "Microsoft" / "Edge" / "Application" / "msedge.exe")
    portable = _exe(tmp_path / "tools" / "chrome-win" / "chrome.exe")
    assert find_browser(platform="win32", environ={**windows_env, BROWSER_ENV: str(portable)}) == str(portable)
    missing = str(tmp_path / "nowhere" / "msedge.exe")
    env = {**windows_env, BROWSER_ENV: missing}
    assert find_browser(platform="win32", environ=env) is None  # no silent fallback to another browser
    ja, en = missing_browser_message(platform="win32", environ=env)
    assert missing in ja and BROWSER_ENV in ja and missing in en


def test_linux_looks_on_path_and_macos_in_applications(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    chromium = _exe(bin_dir / "chromium")
    assert find_browser(platform="linux", environ={"PATH": str(bin_dir)}) == str(chromium)
    assert find_browser(platform="linux", environ={"PATH": str(tmp_path / "empty")}) is None
    ja, en = missing_browser_message(platform="linux", environ={})
    assert "chromium" in ja and "make system-deps" in ja and "chromium" in en
    home = tmp_path / "home"
    app = _exe(home / "Applications" / "Microsoft Edge.app" / "Contents" / "MacOS" / "Microsoft Edge")
    found = find_browser(platform="darwin", environ={"HOME": str(home), "PATH": str(tmp_path / "empty")})
    assert found is not None and (found == str(app) or found.startswith("/Applications/"))


# --- the websocket transport, for real -----------------------------------------


def test_websocket_transport_drives_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    chromium = require("chromium")
    monkeypatch.setenv(TRANSPORT_ENV, "websocket")
    with Browser(chromium, width=800, height=600) as browser:
        assert browser.transport_kind == "websocket"
        profile = Path(browser.profile)
        port, path = read_active_port(profile / "DevToolsActivePort") or (0, "")
        assert port > 0 and path.startswith("/devtools/browser/")
        assert browser.evaluate("[innerWidth, innerHeight]") == [800, 600]
        # Far more than websockets' default 1 MiB frame limit: a PDF comes in chunks of several MB.
        big = browser.evaluate("'環'.repeat(1500000)")
        assert len(big) == 1_500_000
        second = browser.new_page(400, 300)
        assert second.evaluate("innerWidth") == 400
        assert browser.evaluate("40 + 2") == 42
    assert browser.proc.poll() is not None, "the browser is stopped"
    assert not profile.exists(), "the temporary profile is removed"


def _fake_browser(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-browser"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize("transport", ["pipe", "websocket"])
def test_a_browser_that_dies_at_once_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str) -> None:
    exe = _fake_browser(tmp_path, "exit 3")
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where the browser's profile would be made
    with pytest.raises(BrowserError, match="終了") as e:
        Browser(exe, transport=transport, timeout=10)
    assert "exit" in e.value.message_en or "stopped" in e.value.message_en
    assert not list(temp.iterdir()), "the temporary profile is removed"


def test_a_browser_that_never_opens_its_port_times_out(tmp_path: Path) -> None:
    exe = _fake_browser(tmp_path, "exec sleep 30")
    with pytest.raises(BrowserError, match="時間内に起動しませんでした"):
        Browser(exe, transport="websocket", timeout=1)


def test_missing_browser_raises_the_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(BROWSER_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrowserError, match="見つかりませんでした") as e:
        Browser()
    assert "none was found" in e.value.message_en


# --- the publication through each transport --------------------------------------


def _pdftext(pdf: Path) -> str:
    return subprocess.run([require("pdftotext"), "-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _pdffonts(pdf: Path) -> list[list[str]]:
    out = subprocess.run([require("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return [line.split() for line in out if line.strip()]


@pytest.fixture(scope="module")
def published(sample_masters: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """The Kawasaki sample published through the CLI once per transport."""
    require("chromium")
    out: dict[str, tuple[Path, dict[str, Any]]] = {}
    folder = tmp_path_factory.mktemp("transports")
    for transport in ("pipe", "websocket"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(TRANSPORT_ENV, transport)
            site = folder / transport
            code, data = cli_json("publish", str(sample_masters["kawasaki"]), "--out", str(site), "--json")
        assert code == 0, data
        out[transport] = (site, data)
    return out


@pytest.mark.parametrize("transport", ["pipe", "websocket"])
def test_kawasaki_pdfs_through_each_transport(published: dict[str, tuple[Path, dict[str, Any]]], transport: str) -> None:
    site, data = published[transport]
    sheets, report = site / "evaluation-sheets.pdf", site / "annual-report.pdf"
    assert data["evaluation_sheets"] == str(sheets) and data["report_pdf"] == str(report)
    assert data["evaluation_sheet_pages"] == 2  # one sheet, at 9 pt: two A4 pages
    text = _pdftext(sheets)
    for word in ("施策進行管理・評価票(1)", "環境技術を活かした国際貢献", "基本情報", "成果の説明", "AⅡ", "事業費", "43,769", "国際環境施策推進事業"):
        assert word in text, word
    plan = load_sample("kawasaki")
    report_text = _pdftext(report)
    assert plan.name[:10] in report_text.replace("\n", "")
    for word in ("目次", "用語集", *(ind.name[:10] for ind in plan.indicators)):
        assert word in report_text, word
    for pdf in (sheets, report):
        fonts_used = _pdffonts(pdf)
        assert fonts_used and all(f[-5] == "yes" for f in fonts_used), fonts_used  # every font embedded
        assert "BIZUDPGothic" in " ".join(f[0] for f in fonts_used)
    assert not [w for w in data["warnings"] if "フォントにない文字" in w]


def test_both_transports_print_the_same_documents(published: dict[str, tuple[Path, dict[str, Any]]]) -> None:
    (pipe_site, pipe), (ws_site, ws) = published["pipe"], published["websocket"]
    assert pipe["report_pdf_pages"] == ws["report_pdf_pages"] >= 5
    for name in ("annual-report.pdf", "evaluation-sheets.pdf"):
        assert _pdftext(pipe_site / name) == _pdftext(ws_site / name), name


# --- fonts where there is no fontconfig (Windows) ----------------------------------


def test_fonts_are_found_in_a_windows_font_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    installed = fonts.font_file("BIZ UDPGothic")
    cjk = fonts.font_file("Noto Sans CJK JP")
    if installed is None:
        require("fc-match")
        pytest.skip("BIZ UDPGothic is not installed (make system-deps)")
    windir = tmp_path / "Windows"
    (windir / "Fonts").mkdir(parents=True)
    (windir / "Fonts" / "BIZ-UDPGothicR.ttf").symlink_to(installed[0])
    if cjk is not None:  # a font collection, as Windows' own Japanese fonts are
        (windir / "Fonts" / "NotoSansCJK.ttc").symlink_to(cjk[0])
    (windir / "Fonts" / "broken.ttf").write_bytes(b"not a font")
    monkeypatch.setattr(fonts.sys, "platform", "win32")
    monkeypatch.setenv("WINDIR", str(windir))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))  # no fc-match
    fonts.font_file.cache_clear()
    try:
        assert fonts.font_file("BIZ UDPGothic") == (str(windir / "Fonts" / "BIZ-UDPGothicR.ttf"), installed[1])
        assert fonts.font_file("BIZ UDPゴシック") == fonts.font_file("BIZ UDPGothic")  # the Japanese name too
        if cjk is not None and cjk[0].endswith((".ttc", ".otc")):
            assert fonts.font_file("Noto Sans CJK JP") == (str(windir / "Fonts" / "NotoSansCJK.ttc"), cjk[1])
        fonts.require_cjk_font()
        assert fonts.missing_glyphs("環境基本計画の進行管理 ①") == set()
        monkeypatch.setenv("WINDIR", str(tmp_path / "EmptyWindows"))
        fonts.font_file.cache_clear()
        with pytest.raises(fonts.FontError, match="Windows 10 以降に標準"):
            fonts.require_cjk_font()
    finally:
        fonts.font_file.cache_clear()


# --- no browser: the CLI fails, the Excel button publishes without the PDF ----------


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A PATH with the font tool but no browser, and no ENVPLAN_BROWSER."""
    bin_dir = tmp_path / "bin-without-browser"
    bin_dir.mkdir()
    (bin_dir / "fc-match").symlink_to(require("fc-match"))
    monkeypatch.delenv(BROWSER_ENV, raising=False)
    monkeypatch.setenv("PATH", str(bin_dir))


def test_cli_without_a_browser_fails_with_exit_2_unless_no_pdf(no_browser: None, sample_masters: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "site"
    code, data = cli_json("publish", str(sample_masters["kawasaki"]), "--out", str(out), "--json")
    assert code == 2 and data["ok"] is False
    assert "見つかりませんでした" in data["error"]["message"]
    assert "Chromium" in data["error"]["message_en"] and "none was found" in data["error"]["message_en"]
    assert not out.exists(), "nothing is published when the PDF was asked for and cannot be made"
    proc = run_cli("publish", str(sample_masters["kawasaki"]), "--out", str(out))
    assert proc.returncode == 2 and "--no-pdf" in proc.stderr
    proc = run_cli("publish", str(sample_masters["kawasaki"]), "--out", str(out), "--no-pdf")
    assert proc.returncode == 0, proc.stderr
    assert (out / "index.html").is_file()


def test_publish_button_without_a_browser_publishes_the_site_and_says_why(no_browser: None, master_copy) -> None:  # type: ignore[no-untyped-def]
    path = master_copy("kawasaki")
    payload = book_payload(path)
    book = xw.Book(json=payload)
    outcome = excel_actions.publish(book)
    applied = apply_actions(payload, book.json()["actions"])
    assert outcome.ok, outcome.message
    assert outcome.level == "warning"
    folder = path.parent / excel_actions.PUBLISH_DIR
    assert (folder / "index.html").is_file() and (folder / "data" / "indicators.csv").is_file()
    assert not list(folder.glob("*.pdf"))
    assert ".pdf" not in plain((folder / "index.html").read_text(encoding="utf-8")), "no link to a PDF that is not there"
    assert "見つかりませんでした" in outcome.details["pdf_skipped"]
    assert len(applied.alerts) == 1
    prompt = applied.alerts[0]["prompt"]
    assert "PDF（年次報告書・評価票）は作成しませんでした" in prompt and "Chromium" in prompt and "ホームページ" in prompt
    assert "年次報告書（PDF）" not in prompt
    assert any("ホームページとオープンデータだけ" in p for p in outcome.progress)


def test_publish_button_still_refuses_a_master_with_errors(no_browser: None, master_copy) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    path = master_copy("shinagawa")
    wb = openpyxl.load_workbook(path)
    wb["指標"]["F4"] = "平成九十九年"
    wb.save(path)
    outcome = excel_actions.publish(xw.Book(json=book_payload(path)))
    assert not outcome.ok and "公表資料を作成できません" in outcome.message
    assert "PDF" not in outcome.message
    assert not (path.parent / excel_actions.PUBLISH_DIR).exists()


# --- a browser that crashes midway ------------------------------------------------


def test_a_browser_that_crashes_while_printing_is_started_once_more(sample_masters: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash in the middle of printing (the pipe closes: seen once on a loaded machine) starts the
    browser again and prints the whole PDF once more, and the publication says so; a second crash
    in the same run is reported as before."""
    from envplan.report import pdf as report_pdf
    from envplan.report.devtools_transport import BrowserStopped
    from envplan.report.publish import PublishError, publish

    require("chromium")
    real = report_pdf._print_all
    crashes = {"left": 1}

    def crashing(browser, *args, **kwargs):  # type: ignore[no-untyped-def]
        if crashes["left"]:
            crashes["left"] -= 1
            browser.proc.kill()  # the browser really goes away: the next request finds its pipe closed
            browser.proc.wait()
            browser.page.call("Runtime.evaluate", expression="1")
        return real(browser, *args, **kwargs)

    monkeypatch.setattr(report_pdf, "_print_all", crashing)
    res = publish(sample_masters["kawasaki"], tmp_path / "site")
    assert res.report_pdf and Path(res.report_pdf).stat().st_size > 10_000 and res.report_pdf_pages > 1
    assert res.evaluation_sheets and res.evaluation_sheet_pages == 2
    assert any("ブラウザーを起動し直して" in w for w in res.warnings), res.warnings

    crashes["left"] = 2
    with pytest.raises(PublishError, match="予期せず終了") as e:
        publish(sample_masters["kawasaki"], tmp_path / "again")
    assert isinstance(e.value.__cause__, BrowserStopped)


ECHO_BROWSER = """import os
buffer = b""
while b"\\0" not in buffer:
    buffer += os.read(3, 65536)
os.write(4, b'{"id": 1, "result": {"heard": ' + str(len(buffer)).encode() + b'}}\\0')
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the pipe transport is POSIX only")
def test_the_pipe_transport_starts_whatever_descriptors_this_process_has_open(tmp_path: Path) -> None:
    """The browser gets the pipes as its fds 3 and 4 even when this process has nothing open at
    3 or 4 as it starts it (the PDF is printed in a thread while another opens and closes files:
    a start that needed them open failed now and then with EBADF)."""
    browser = tmp_path / "echo-browser"
    browser.write_text(f"#!{sys.executable}\n{ECHO_BROWSER}", encoding="utf-8")
    browser.chmod(0o755)
    code = f"""
import fcntl, json, os, time
real_pipe = os.pipe
def high_pipe():  # every pipe far from 3 and 4, which stay closed
    r, w = real_pipe()
    moved = fcntl.fcntl(r, fcntl.F_DUPFD_CLOEXEC, 200), fcntl.fcntl(w, fcntl.F_DUPFD_CLOEXEC, 200)
    os.close(r); os.close(w)
    return moved
for fd in (3, 4):
    try:
        os.close(fd)
    except OSError:
        pass
os.pipe = high_pipe
from envplan.report.devtools_transport import PipeTransport
t = PipeTransport({str(browser)!r}, [])
t.send({{"id": 1, "method": "Browser.getVersion"}})
print(json.dumps(t.receive(time.monotonic() + 30)))
t.proc.wait(timeout=30)
t.close()
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == {"id": 1, "result": {"heard": len(json.dumps({"id": 1, "method": "Browser.getVersion"})) + 1}}
