"""Install and doctor carried out for real into a temporary home (macOS layout,
whose paths are POSIX paths on this machine), and the Windows plan checked."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import xlwings

from envplan.excel import addin_install
from envplan.excel.addin_build import addin_versions


def test_windows_plan_uses_xlstart_and_the_ansi_settings_file() -> None:
    plan = addin_install.plan_install("windows", home=r"C:\Users\山田", interpreter=r"C:\envplan\.venv\Scripts\python.exe")
    assert str(plan.addin_path) == r"C:\Users\山田\AppData\Roaming\Microsoft\Excel\XLSTART\envplan.xlam"
    assert str(plan.config_path) == r"C:\Users\山田\.envplan\envplan.conf"
    assert plan.config_encoding == "cp932"
    assert plan.config_text().splitlines()[0] == r'"INTERPRETER_WIN","C:\envplan\.venv\Scripts\python.exe"'


def test_install_then_doctor_on_this_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addin_install, "current_os", lambda: "macos")
    plan = addin_install.plan_install(home=str(tmp_path))
    assert plan.local and plan.settings["INTERPRETER_MAC"] == sys.executable
    done = addin_install.install(plan)
    addin = Path(plan.addin_path)
    assert addin.is_file() and addin_versions(addin)["xlwings"] == xlwings.__version__
    assert addin_install.read_config(Path(plan.config_path), "utf-8")["INTERPRETER_MAC"] == sys.executable
    assert any("xlwings runpython install" in line for line in done)
    report = addin_install.doctor(home=str(tmp_path))
    assert report.ok, [c for c in report.checks if c.ok is False]
    # A broken interpreter path is found and the fix is said.
    Path(plan.config_path).write_text('"INTERPRETER_MAC","/nowhere/python"\n', encoding="utf-8")
    addin.unlink()
    report = addin_install.doctor(home=str(tmp_path))
    failed = {c.label: c for c in report.checks if c.ok is False}
    assert not report.ok
    assert "envplan addin install" in failed["アドイン（XLSTART）"].fix
    assert "/nowhere/python" in failed["Python の場所（INTERPRETER_MAC）"].detail
    # Installing again keeps the previous settings file as a backup.
    addin_install.install(plan)
    assert Path(str(plan.config_path) + ".bak").read_text(encoding="utf-8").startswith('"INTERPRETER_MAC","/nowhere')


def test_install_refuses_another_os() -> None:
    plan = addin_install.plan_install("windows" if sys.platform != "win32" else "macos")
    with pytest.raises(addin_install.InstallError, match="--dry-run"):
        addin_install.install(plan)
