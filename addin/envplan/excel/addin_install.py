"""`envplan addin install` and `envplan addin doctor`.

Install puts a freshly built envplan.xlam in the user's XLSTART folder (Excel
opens every file there at start-up, and the folder is a trusted location by
default) and writes the xlwings settings file the add-in reads: which Python
runs the buttons (INTERPRETER_WIN / INTERPRETER_MAC) and where envplan is
(PYTHONPATH). Doctor checks each of those and says exactly what to fix.

Both work for another operating system too (`target_os`), in which case
nothing is written: the plan is printed with that system's paths, which is
how they are exercised on a Linux build machine.
"""

from __future__ import annotations

import importlib
import locale
import os
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Literal

import xlwings

from envplan import __version__
from envplan.excel.addin_build import ADDIN_NAME, CONFIG_NAME, addin_versions, build_addin, build_addin_bytes, ribbon_actions, ribbon_xml
from envplan.paths import MACROS_DIR, PACKAGE_DIR

TargetOs = Literal["windows", "macos"]
# A settings file is read by VBA's `Input #`, i.e. in the ANSI code page of Windows.
WINDOWS_CONFIG_ENCODING = "cp932"
EXAMPLE_WINDOWS_PYTHON = r"C:\envplan\.venv\Scripts\python.exe"
MAC_XLSTART = "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel"
MAC_CONFIG = f"Library/Containers/com.microsoft.Excel/Data/{CONFIG_NAME}.conf"


class InstallError(RuntimeError):
    pass


def current_os() -> TargetOs | None:
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return None


@dataclass
class InstallPlan:
    target_os: TargetOs
    addin_path: PurePath
    config_path: PurePath
    settings: dict[str, str]
    config_encoding: str
    local: bool  # paths are on this machine (real install possible)
    notes: list[str] = field(default_factory=list)

    def config_text(self) -> str:
        # The format xlwings' own `xlwings config create` writes: "KEY","value" per line.
        return "".join(f'"{k}","{v}"\n' for k, v in self.settings.items())

    def steps(self) -> list[str]:
        steps = [
            f"アドインを作成して置く: {self.addin_path}",
            f"xlwings の設定ファイルを書く（{self.config_encoding}）: {self.config_path}",
        ]
        steps += [f"    {line}" for line in self.config_text().splitlines()]
        return steps + self.notes

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["addin_path"] = str(self.addin_path)
        data["config_path"] = str(self.config_path)
        data["steps"] = self.steps()
        return data


def plan_install(
    target_os: TargetOs | None = None, *, interpreter: str | None = None, xlstart: str | None = None, home: str | None = None
) -> InstallPlan:
    here = current_os()
    target = target_os or here or "windows"
    local = target == here
    python_path = interpreter or (sys.executable if local else None)
    if target == "windows":
        profile = PureWindowsPath(home or (os.environ.get("USERPROFILE", "") if local else "") or r"%USERPROFILE%")
        appdata = PureWindowsPath(os.environ["APPDATA"]) if local and os.environ.get("APPDATA") and not home else profile / "AppData" / "Roaming"
        folder = PureWindowsPath(xlstart) if xlstart else appdata / "Microsoft" / "Excel" / "XLSTART"
        settings = {
            "INTERPRETER_WIN": python_path or EXAMPLE_WINDOWS_PYTHON,
            "PYTHONPATH": str(PACKAGE_DIR.parent) if local else r"C:\envplan\addin",
            "ADD_WORKBOOK_TO_PYTHONPATH": "False",
        }
        encoding = (locale.getpreferredencoding(False) if local else WINDOWS_CONFIG_ENCODING) or WINDOWS_CONFIG_ENCODING
        plan = InstallPlan("windows", folder / ADDIN_NAME, profile / f".{CONFIG_NAME}" / f"{CONFIG_NAME}.conf", settings, encoding, local)
        if not local and not interpreter:
            plan.notes.append(f"（Python の場所は例です。実際のパスは Windows で envplan addin install を実行すると {EXAMPLE_WINDOWS_PYTHON} の代わりに書かれます）")
    else:
        base = PurePosixPath(home or (str(Path.home()) if local else "~"))
        folder = PurePosixPath(xlstart) if xlstart else base / MAC_XLSTART  # type: ignore[assignment]  # a PurePath either way
        settings = {
            "INTERPRETER_MAC": python_path or "/Users/<ユーザー>/envplan/.venv/bin/python",
            "PYTHONPATH": str(PACKAGE_DIR.parent) if local else "/Users/<ユーザー>/envplan/addin",
        }
        plan = InstallPlan("macos", folder / ADDIN_NAME, base / MAC_CONFIG, settings, "utf-8", local)
        plan.notes.append("macOS では一度だけ端末で `xlwings runpython install` を実行してください（RunPython が AppleScript を使うため）")
    return plan


def install(plan: InstallPlan) -> list[str]:
    """Carry out the plan on this machine; returns what was done."""
    if not plan.local:
        raise InstallError(f"このPCは {plan.target_os} ではないため、インストールはできません（--dry-run で手順を表示できます）")
    addin = Path(plan.addin_path)
    config = Path(plan.config_path)
    try:
        addin.parent.mkdir(parents=True, exist_ok=True)
        result = build_addin(addin)
    except PermissionError as e:
        raise InstallError(f"{addin} を書き込めません（{e.strerror}）。Excel を閉じてから実行してください") from e
    done = [f"アドインを置きました: {result.path}（xlwings {result.xlwings_version}）"]
    config.parent.mkdir(parents=True, exist_ok=True)
    if config.exists():
        backup = config.with_name(config.name + ".bak")
        backup.write_bytes(config.read_bytes())
        done.append(f"以前の設定を保存しました: {backup}")
    try:
        config.write_text(plan.config_text(), encoding=plan.config_encoding, newline="\r\n" if plan.target_os == "windows" else "\n")
    except UnicodeEncodeError as e:
        raise InstallError(f"設定ファイルに書けない文字があります（{e.object[e.start:e.end]}）。Python を英数字だけのフォルダに入れてください") from e
    done.append(f"設定を書きました: {config}")
    done += plan.notes
    return done


# --- doctor ---------------------------------------------------------------------


@dataclass
class Check:
    label: str
    ok: bool | None  # None: cannot be checked here
    detail: str
    fix: str = ""


@dataclass
class DoctorReport:
    target_os: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "target_os": self.target_os, "checks": [asdict(c) for c in self.checks]}


def read_config(path: Path, encoding: str) -> dict[str, str]:
    settings = {}
    for line in path.read_text(encoding=encoding, errors="replace").splitlines():
        m = re.match(r'^\s*"([^"]*)"\s*,\s*"([^"]*)"\s*$', line)
        if m:
            settings[m.group(1).upper()] = m.group(2)
    return settings


def ribbon_commands(macros: Path = MACROS_DIR) -> list[tuple[str, str, str]]:
    """(sub, module, function) for every RunPython call of the ribbon module
    (a call may pass keyword arguments: 確定値 passes the reason it asked for)."""
    text = (macros / "EnvplanRibbon.bas").read_text(encoding="utf-8")
    out = []
    for sub, body in re.findall(r"Public Sub (\w+)\(control As IRibbonControl\)(.*?)End Sub", text, re.S):
        for module, function in re.findall(r'RunPython "import ([\w.]+); \1\.(\w+)\(', body):
            out.append((sub, module, function))
    return out


def doctor(target_os: TargetOs | None = None, *, xlstart: str | None = None, home: str | None = None, in_excel: bool = False) -> DoctorReport:
    plan = plan_install(target_os, xlstart=xlstart, home=home)
    checks: list[Check] = []
    py = sys.version_info
    checks.append(
        Check("Python", py >= (3, 10), f"{sys.executable}（{py.major}.{py.minor}.{py.micro}）", "Python 3.10 以上を入れ、その Python に envplan を入れてください")
    )
    checks.append(Check("envplan", True, f"{__version__}（{PACKAGE_DIR}）"))
    checks.append(Check("xlwings（Python パッケージ）", True, xlwings.__version__))
    failed = []
    for sub, module, function in ribbon_commands():
        try:
            target = getattr(importlib.import_module(module), function)
            if not callable(target):
                raise TypeError("not callable")
        except Exception as e:  # noqa: BLE001 — reported as a failed check
            failed.append(f"{sub} → {module}.{function}: {type(e).__name__}: {e}")
    checks.append(
        Check(
            "ボタンが呼ぶ Python の関数",
            not failed,
            "すべて読み込めます" if not failed else "; ".join(failed),
            "envplan を入れ直してください（pip install --force-reinstall で同じ版を）",
        )
    )
    try:
        build_addin_bytes()
        actions = ribbon_actions(ribbon_xml())
        checks.append(Check("アドインの元（macros/）", True, f"ボタン {len(actions)} 個、VBA を組み立てられます"))
    except Exception as e:  # noqa: BLE001
        checks.append(Check("アドインの元（macros/）", False, f"{type(e).__name__}: {e}", "macros/ のファイルを元に戻してください（git checkout macros）"))
    if not plan.local:
        checks.append(Check("Excel のアドイン", None, f"このPCは {plan.target_os} ではないため確認できません。{plan.target_os} で envplan addin doctor を実行してください"))
        return DoctorReport(plan.target_os, checks)
    addin = Path(plan.addin_path)
    if addin.is_file():
        versions = addin_versions(addin)
        same = versions.get("xlwings") == xlwings.__version__ and versions.get("envplan") == __version__
        checks.append(
            Check(
                "アドイン（XLSTART）",
                same,
                f"{addin}（envplan {versions.get('envplan', '?')}、xlwings {versions.get('xlwings', '?')}）",
                "envplan addin install を実行して、この Python の版で作り直してください（Excel を閉じてから）",
            )
        )
    else:
        checks.append(Check("アドイン（XLSTART）", False, f"{addin} がありません", "envplan addin install を実行してください"))
    config = Path(plan.config_path)
    key = "INTERPRETER_WIN" if plan.target_os == "windows" else "INTERPRETER_MAC"
    if not config.is_file():
        checks.append(Check("xlwings の設定ファイル", False, f"{config} がありません", "envplan addin install を実行してください"))
    else:
        settings = read_config(config, plan.config_encoding)
        interpreter = settings.get(key, "")
        exists = bool(interpreter) and Path(interpreter).is_file()
        checks.append(
            Check(
                f"Python の場所（{key}）",
                exists,
                interpreter or "（設定なし）",
                f"{config} の {key} を、envplan を入れた python.exe のフルパスにしてください（envplan addin install で書き直せます）",
            )
        )
        if exists and Path(interpreter).resolve() != Path(sys.executable).resolve() and not in_excel:
            checks.append(Check("Python の一致", False, f"設定は {interpreter}、この envplan は {sys.executable}", "envplan addin install をこの Python で実行し直してください"))
    if plan.target_os == "windows":
        dll = f"xlwings{'64' if sys.maxsize > 2**32 else '32'}-{xlwings.__version__}.dll"
        here = Path(sys.executable).parent
        found = [p for p in (here / dll, here.parent / dll) if p.is_file()]
        checks.append(
            Check(
                "xlwings の DLL（ワークシート関数用）",
                bool(found),
                str(found[0]) if found else f"{dll} が {here} にも {here.parent} にもありません",
                f"pip install --force-reinstall xlwings=={xlwings.__version__} を実行してください",
            )
        )
        try:
            importlib.import_module("win32com.client")
            checks.append(Check("pywin32", True, "読み込めます"))
        except ImportError:
            checks.append(Check("pywin32", False, "読み込めません", "pip install pywin32 を実行してください（xlwings と一緒に入るはずです）"))
    return DoctorReport(plan.target_os, checks)
