"""Where the Chromium-family browser that prints the PDF is.

Windows PCs have Microsoft Edge (Chromium-based, part of Windows 10/11) in
Program Files, rarely on PATH; Chrome may be there too, per machine or per
user. Linux has chromium on PATH; macOS has the browsers as apps. The
environment variable ENVPLAN_BROWSER names the program explicitly.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

BROWSER_ENV = "ENVPLAN_BROWSER"
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "microsoft-edge", "msedge")

# (environment variable of the base folder, path below it), in order of preference:
# Edge first, since every supported Windows has it and it is kept up to date by Windows Update.
WINDOWS_INSTALLS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ProgramFiles(x86)", ("Microsoft", "Edge", "Application", "msedge.exe")),
    ("ProgramFiles", ("Microsoft", "Edge", "Application", "msedge.exe")),
    ("ProgramW6432", ("Microsoft", "Edge", "Application", "msedge.exe")),
    ("LOCALAPPDATA", ("Microsoft", "Edge", "Application", "msedge.exe")),
    ("ProgramFiles", ("Google", "Chrome", "Application", "chrome.exe")),
    ("ProgramFiles(x86)", ("Google", "Chrome", "Application", "chrome.exe")),
    ("ProgramW6432", ("Google", "Chrome", "Application", "chrome.exe")),
    ("LOCALAPPDATA", ("Google", "Chrome", "Application", "chrome.exe")),
    ("LOCALAPPDATA", ("Chromium", "Application", "chrome.exe")),
)
MAC_APPS = (
    "Google Chrome.app/Contents/MacOS/Google Chrome",
    "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    "Chromium.app/Contents/MacOS/Chromium",
)


def windows_candidates(environ: Mapping[str, str]) -> list[Path]:
    """The usual install paths of Edge and Chrome, most preferred first."""
    out: list[Path] = []
    for var, parts in WINDOWS_INSTALLS:
        base = environ.get(var) or environ.get(var.upper())
        if base:
            path = Path(base).joinpath(*parts)
            if path not in out:
                out.append(path)
    return out


def mac_candidates(environ: Mapping[str, str]) -> list[Path]:
    roots = [Path("/Applications")]
    if environ.get("HOME"):
        roots.append(Path(environ["HOME"]) / "Applications")
    return [root / app for root in roots for app in MAC_APPS]


def find_browser(*, platform: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The browser to use: $ENVPLAN_BROWSER (None when it names nothing that
    exists), else the install paths of the platform, else a program on PATH."""
    platform = platform or sys.platform
    environ = os.environ if environ is None else environ
    explicit = environ.get(BROWSER_ENV)
    if explicit:
        return explicit if Path(explicit).is_file() else shutil.which(explicit, path=environ.get("PATH"))
    fixed = windows_candidates(environ) if platform == "win32" else mac_candidates(environ) if platform == "darwin" else []
    for path in fixed:
        if path.is_file():
            return str(path)
    for name in PATH_NAMES:
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return found
    return None


def missing_browser_message(*, platform: str | None = None, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(Japanese, English) explanation of why no browser was found and what to install."""
    platform = platform or sys.platform
    environ = os.environ if environ is None else environ
    explicit = environ.get(BROWSER_ENV)
    if explicit:
        return (
            f"環境変数 {BROWSER_ENV} に指定されたブラウザー「{explicit}」が見つかりません。"
            f"Microsoft Edge（msedge.exe）・Google Chrome・Chromium の実行ファイルの場所を指定し直すか、{BROWSER_ENV} を消してください",
            f"the browser named by {BROWSER_ENV} ({explicit}) does not exist; point it at msedge.exe, chrome.exe or chromium, or unset it",
        )
    if platform == "win32":
        return (
            "PDF の作成には Microsoft Edge（Windows 10/11 には標準で入っています）または Google Chrome が必要ですが、見つかりませんでした。"
            "Microsoft Edge を入れ直す（情報システム担当に依頼してください）か、"
            f"環境変数 {BROWSER_ENV} に msedge.exe または chrome.exe の場所を指定してください",
            f"the PDF needs Microsoft Edge (part of Windows 10/11) or Google Chrome, and neither was found; install Edge or set {BROWSER_ENV} to msedge.exe or chrome.exe",
        )
    if platform == "darwin":
        return (
            f"PDF の作成には Google Chrome・Microsoft Edge・Chromium のいずれかが必要ですが、見つかりませんでした。どれかを入れるか、環境変数 {BROWSER_ENV} に実行ファイルを指定してください",
            f"the PDF needs Google Chrome, Microsoft Edge or Chromium, and none was found; install one or set {BROWSER_ENV}",
        )
    return (
        "PDF の作成には Chromium（または Google Chrome / Microsoft Edge）が必要ですが、見つかりませんでした。"
        f"`make system-deps`（Debian では chromium パッケージ）で入れるか、環境変数 {BROWSER_ENV} に実行ファイルを指定してください",
        f"the PDF needs Chromium (or Google Chrome / Microsoft Edge), and none was found; install it (Debian: the chromium package, or `make system-deps`) or set {BROWSER_ENV}",
    )
