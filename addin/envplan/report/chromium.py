"""A headless Chromium (or Chrome / Edge) driven over the DevTools protocol:
the PDF engine of the report, and the browser of the accessibility tests.

The messages go over a pipe on Linux/macOS and over a websocket on Windows
(devtools_transport.py); the browser is found by browser_discovery.py.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from envplan.report.browser_discovery import BROWSER_ENV, PATH_NAMES, find_browser, missing_browser_message
from envplan.report.devtools_transport import TRANSPORT_ENV, BrowserError, choose_transport, start

__all__ = ["BROWSER_ENV", "TRANSPORT_ENV", "Browser", "BrowserError", "Page", "find_browser", "locate_browser", "print_together"]

BROWSER_NAMES = PATH_NAMES
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
)
START_TIMEOUT = 60.0  # seconds for the browser to come up (a cold Edge on a busy PC is slow)


def locate_browser() -> str:
    """The browser's executable, or a BrowserError saying what to install."""
    exe = find_browser()
    if not exe:
        raise BrowserError(*missing_browser_message())
    return exe


class Browser:
    """One headless browser with one page; use as a context manager."""

    def __init__(
        self,
        executable: str | None = None,
        *,
        width: int = 1280,
        height: int = 900,
        timeout: float = 120,
        flags: tuple[str, ...] = (),
        transport: str | None = None,
    ) -> None:
        kind = choose_transport(transport)
        exe = executable or locate_browser()
        self.timeout = timeout
        self.transport_kind = kind
        self.profile = tempfile.mkdtemp(prefix="envplan-browser-")
        args = [*FLAGS, *flags, f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"]
        try:
            self.transport = start(kind, exe, args, Path(self.profile), timeout=min(timeout, START_TIMEOUT))
        except BaseException:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.proc = self.transport.proc
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        try:
            self.page = self.new_page(width, height)
            self.session = self.page.session
        except BaseException:
            self.close()
            raise

    def new_page(self, width: int = 1280, height: int = 900) -> Page:
        """Another tab: it has its own renderer, so two pages can print at once."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.set_viewport(width, height)
        return page

    def __enter__(self) -> Browser:
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
        self.transport.close()
        _remove_profile(Path(self.profile))

    # --- protocol -------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        return self.transport.receive(deadline)

    def send(self, method: str, session: str | None = None, **params: Any) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.transport.send(message)
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

    def load_together(self, pages: list[tuple[Page, Path]]) -> None:
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

    def bring_to_front(self) -> None:
        """Make this the active tab: a tab left behind another one prints markedly slower."""
        self.call("Page.bringToFront")

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


def _remove_profile(profile: Path) -> None:
    # On Windows the browser's helper processes may hold files of the profile
    # for a moment after the main process has exited.
    for _attempt in range(10 if sys.platform == "win32" else 1):
        shutil.rmtree(profile, ignore_errors=True)
        if not profile.exists():
            return
        time.sleep(0.2)


def print_together(jobs: list[tuple[Page, Path, bool, bool]]) -> list[Path]:
    """Print several pages at once (each tab renders in its own process): (page, path, tagged, outline)."""
    if not jobs:
        return []
    browser = jobs[0][0].browser
    ids = [page.start_print(tagged=tagged, outline=outline) for page, _, tagged, outline in jobs]
    results = browser.wait(ids)
    return [page.finish_print(res, path) for (page, path, _, _), res in zip(jobs, results)]
