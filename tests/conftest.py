"""Shared test helpers.

`require(tool)` skips a test when a system tool is missing, except in CI
(ENVPLAN_REQUIRE_SYSTEM=1, set by .ci/run) where a missing tool is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

# The remote xlwings engine used by the Excel-door tests is licensed for
# noncommercial use; the key is set here, for the tests only.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


# Hypothesis profiles. CI runs the fixed "ci" examples, so what passed here
# passes there and a landing is never decided by a random draw; the bugs are
# hunted locally with the default (random) profile or with `make test-deep`.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("ENVPLAN_REQUIRE_SYSTEM") else "default"))


def examples(n: int) -> int:
    """A property test's example count, scaled up for a deep local run."""
    return max(1, round(n * float(os.environ.get("ENVPLAN_EXAMPLES_SCALE", "1"))))


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path:
        return path
    message = f"system tool '{tool}' is not installed (run `make system-deps`)"
    if os.environ.get("ENVPLAN_REQUIRE_SYSTEM"):
        pytest.fail(message + " — required in CI")
    pytest.skip(message)


def run_cli(*args: str, cwd: Path | None = None, check: bool = False, timeout: float = 600, as_user: int | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `envplan` as a user would: a separate process, stdout and stderr captured.
    `as_user`: a uid to run as (root's tests use it to meet permissions as staff do)."""
    command = [sys.executable, "-m", "envplan", *map(str, args)]
    if as_user is not None:
        command = [require("setpriv"), f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups", *command]
    proc = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"envplan {' '.join(map(str, args))} → {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def cli_json(*args: str) -> tuple[int, dict]:
    proc = run_cli(*args)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"stdout is not one JSON object: {proc.stdout!r}\nstderr: {proc.stderr}") from e


@pytest.fixture(scope="session")
def sample_masters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Masters built once per session from each sample (the Shinagawa one with
    the demo's illustrative actuals). Tests must copy before changing them."""
    from envplan.plan.illustrative import add_illustrative_actuals
    from envplan.plan.samples import load_sample
    from envplan.workbook.writer import save_master

    folder = tmp_path_factory.mktemp("masters")
    out = {}
    for name in ("shinagawa", "kawasaki", "all"):
        plan = load_sample(name)
        if name != "kawasaki":
            plan = add_illustrative_actuals(plan)
        path = folder / f"{name}.xlsx"
        save_master(plan, path)
        out[name] = path
    return out


@pytest.fixture
def master_copy(sample_masters: dict[str, Path], tmp_path: Path):
    """master_copy('shinagawa') → a private copy of that sample master."""

    def make(name: str = "shinagawa") -> Path:
        target = tmp_path / f"{name}_master.xlsx"
        shutil.copy2(sample_masters[name], target)
        return target

    return make


def soffice_convert(src: Path, fmt: str, outdir: Path, timeout: float = 180) -> Path:
    """Convert with LibreOffice headless; returns the output file."""
    soffice = require("soffice")
    profile = outdir / "lo-profile"
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt, "--outdir", str(outdir), str(src)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    if proc.returncode != 0 or not out.exists():
        raise AssertionError(f"LibreOffice conversion failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}")
    return out
