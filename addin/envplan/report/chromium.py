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

    def __init__(self, executable: str | None = None, *, width: int = 1280, height: int = 900, timeout: float = 120, flags: tuple[str, ...] = ()) -> None:
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
                [exe, *FLAGS, *flags, f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
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
            self.page = self.new_page(width, height)
            self.session = self.page.session
        except BaseException:
            self.close()
            raise

    def new_page(self, width: int = 1280, height: int = 900) -> "Page":
        """Another tab: it has its own renderer, so two pages can print at once."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.set_viewport(width, height)
        return page

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

    def send(self, method: str, session: str | None = None, **params: Any) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def wait(self, ids: list[int], timeout: float | None = None) -> list[dict[str, Any]]:
        """The replies to the commands `ids`, in that order (events are kept for wait_event)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        replies: dict[int, dict[str, Any]] = {}
        while len(replies) < len(ids):
            msg = self._read_message(deadline)
            if msg.get("id") in ids:
                replies[msg["id"]] = msg
            else:
                self.events.append(msg)
        out = []
        for i in ids:
            if "error" in replies[i]:
                raise BrowserError(f"DevTools: {replies[i]['error']}")
            out.append(replies[i].get("result", {}))
        return out

    def call(self, method: str, *, session: bool | str = False, timeout: float | None = None, **params: Any) -> dict[str, Any]:
        sid = self.session if session is True else (session or None)
        return self.wait([self.send(method, sid, **params)], timeout)[0]

    def wait_event(self, method: str, session: str | None = None) -> dict[str, Any]:
        def match(ev: dict[str, Any]) -> bool:
            return ev.get("method") == method and (session is None or ev.get("sessionId") == session)

        for i, ev in enumerate(self.events):
            if match(ev):
                return self.events.pop(i)
        deadline = time.monotonic() + self.timeout
        while True:
            ev = self._read_message(deadline)
            if match(ev):
                return ev
            self.events.append(ev)

    def load_together(self, pages: list[tuple["Page", Path]]) -> None:
        """Open a file in each page and wait until all have loaded."""
        for page, _ in pages:
            self.events = [e for e in self.events if e.get("sessionId") != page.session]
        self.wait([self.send("Page.navigate", page.session, url=path.as_uri()) for page, path in pages])
        for page, _ in pages:
            self.wait_event("Page.loadEventFired", page.session)

    # --- the first page, for callers that need only one -----------------------

    def set_viewport(self, width: int, height: int) -> None:
        self.page.set_viewport(width, height)

    def emulate_media(self, media: str) -> None:
        self.page.emulate_media(media)

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        return self.page.evaluate(expression, await_promise=await_promise)

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        return self.page.screenshot(path, full_page=full_page)

    def print_pdf(self, path: Path, *, tagged: bool = True, outline: bool = True) -> Path:
        return self.page.print_pdf(path, tagged=tagged, outline=outline)


class Page:
    """One tab of a Browser."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.call(method, session=self.session, **params)

    def set_viewport(self, width: int, height: int) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def emulate_media(self, media: str) -> None:
        self.call("Emulation.setEmulatedMedia", media=media)

    def goto(self, url: str) -> None:
        self.browser.events = [e for e in self.browser.events if e.get("sessionId") != self.session]
        self.call("Page.navigate", url=url)
        self.browser.wait_event("Page.loadEventFired", self.session)

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=await_promise, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"script error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 16000), "scale": 1}
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", **params)["data"]))
        return path

    def start_print(self, *, tagged: bool = True, outline: bool = True) -> int:
        """Start printing the loaded page (size and margins from its CSS @page); finish with `finish_print`."""
        return self.browser.send(
            "Page.printToPDF",
            self.session,
            preferCSSPageSize=True,
            printBackground=True,
            displayHeaderFooter=False,
            generateTaggedPDF=tagged,
            generateDocumentOutline=outline,
            transferMode="ReturnAsStream",
        )

    def finish_print(self, result: dict[str, Any], path: Path) -> Path:
        handle = result["stream"]
        with open(path, "wb") as f:
            while True:
                chunk = self.call("IO.read", handle=handle, size=1 << 22)
                data = chunk.get("data", "")
                f.write(base64.b64decode(data) if chunk.get("base64Encoded") else data.encode("latin-1"))
                if chunk.get("eof"):
                    break
        self.call("IO.close", handle=handle)
        return path

    def print_pdf(self, path: Path, *, tagged: bool = True, outline: bool = True) -> Path:
        result = self.browser.wait([self.start_print(tagged=tagged, outline=outline)])[0]
        return self.finish_print(result, path)


def print_together(jobs: list[tuple[Page, Path, bool, bool]]) -> list[Path]:
    """Print several pages at once (each tab renders in its own process): (page, path, tagged, outline)."""
    if not jobs:
        return []
    browser = jobs[0][0].browser
    ids = [page.start_print(tagged=tagged, outline=outline) for page, _, tagged, outline in jobs]
    results = browser.wait(ids)
    return [page.finish_print(res, path) for (page, path, _, _), res in zip(jobs, results)]
