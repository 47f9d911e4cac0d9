"""A headless Chromium (or Chrome / Edge) driven over the DevTools protocol:
the PDF engine of the report, and the browser of the accessibility tests.

Chromium talks CDP over a pair of pipes (--remote-debugging-pipe: it reads
commands on fd 3 and writes replies on fd 4, NUL-terminated JSON), so no port
is opened and no extra package is needed. The pipe transport is POSIX-only.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BROWSER_ENV = "ENVPLAN_BROWSER"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "microsoft-edge", "msedge")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)
INSTALL_HINT = (
    "PDF の作成には Chromium（または Google Chrome / Microsoft Edge）が必要です。"
    "`make system-deps`（Debian では chromium パッケージ）で入れるか、環境変数 ENVPLAN_BROWSER に実行ファイルを指定してください。"
    "--no-pdf を付けると PDF なしで公表できます"
)


class BrowserError(RuntimeError):
    pass


def find_browser() -> str | None:
    """The browser to use: $ENVPLAN_BROWSER, else the first Chromium-family program on PATH."""
    env = os.environ.get(BROWSER_ENV)
    if env:
        return env if Path(env).exists() or shutil.which(env) else None
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless browser with one page; use as a context manager."""

    def __init__(self, executable: str | None = None, *, width: int = 1280, height: int = 900, timeout: float = 120) -> None:
        if sys.platform == "win32":  # pragma: no cover - the pipe transport needs POSIX file descriptors
            raise BrowserError("ブラウザーとの接続（パイプ）はこの OS では使えません。--no-pdf で公表してください")
        exe = executable or find_browser()
        if not exe:
            raise BrowserError(INSTALL_HINT)
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="envplan-browser-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def child_fds() -> None:
            # Move both ends out of the way first: either may already be fd 3 or 4.
            high_r, high_w = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        try:
            self.proc = subprocess.Popen(
                [exe, *FLAGS, f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=child_fds,
                pass_fds=(3, 4),  # kept open after preexec_fn has put the pipes there
            )
        except OSError as e:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise BrowserError(f"ブラウザー {exe} を起動できません（{e}）") from e
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            self.call("Page.enable", session=True)
            self.call("Runtime.enable", session=True)
            self.set_viewport(width, height)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    # --- protocol -------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise BrowserError("ブラウザーが時間内に応答しませんでした")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError("ブラウザーが予期せず終了しました")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, *, session: bool = False, timeout: float | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str) -> dict[str, Any]:
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + self.timeout
        while True:
            ev = self._read_message(deadline)
            if ev.get("method") == method:
                return ev
            self.events.append(ev)

    # --- page -----------------------------------------------------------------

    def set_viewport(self, width: int, height: int) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False, session=True)

    def emulate_media(self, media: str) -> None:
        self.call("Emulation.setEmulatedMedia", media=media, session=True)

    def goto(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url, session=True)
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=await_promise, returnByValue=True, session=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"script error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 16000), "scale": 1}
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", session=True, **params)["data"]))
        return path

    def print_pdf(self, path: Path, *, tagged: bool = True, outline: bool = True) -> Path:
        """Print the loaded page to `path`, page size and margins from its CSS @page."""
        res = self.call(
            "Page.printToPDF",
            session=True,
            preferCSSPageSize=True,
            printBackground=True,
            displayHeaderFooter=False,
            generateTaggedPDF=tagged,
            generateDocumentOutline=outline,
            transferMode="ReturnAsStream",
        )
        handle = res["stream"]
        with open(path, "wb") as f:
            while True:
                chunk = self.call("IO.read", session=True, handle=handle, size=1 << 22)
                data = chunk.get("data", "")
                f.write(base64.b64decode(data) if chunk.get("base64Encoded") else data.encode("latin-1"))
                if chunk.get("eof"):
                    break
        self.call("IO.close", session=True, handle=handle)
        return path
