"""The two ways of talking the DevTools protocol (CDP) to a browser we start.

- pipe (POSIX): --remote-debugging-pipe; the browser reads commands on fd 3
  and writes replies on fd 4, NUL-terminated JSON. No port is opened.
- websocket (Windows, where a child cannot be handed fds 3 and 4):
  --remote-debugging-port=0 lets the browser pick a free port on 127.0.0.1
  and write it, with the browser target's path, to <profile>/DevToolsActivePort;
  we connect a websocket to that path. The path holds a random id, so only
  who can read our fresh profile folder can find it.

Both carry the same JSON messages; `Browser` (chromium.py) does not know
which one it has. ENVPLAN_CDP_TRANSPORT=pipe|websocket forces one.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Protocol

TRANSPORT_ENV = "ENVPLAN_CDP_TRANSPORT"
TRANSPORTS = ("pipe", "websocket")
ACTIVE_PORT_FILE = "DevToolsActivePort"


class BrowserError(RuntimeError):
    """The browser cannot be found, started or understood; `message_en` for --json."""

    def __init__(self, message: str, message_en: str | None = None) -> None:
        super().__init__(message)
        self.message_en = message_en or f"browser error: {message}"


class BrowserStopped(BrowserError):
    """The browser went away in the middle (it crashed): starting it again may well succeed."""


class Transport(Protocol):
    proc: subprocess.Popen[bytes]

    def send(self, message: dict[str, Any]) -> None: ...

    def receive(self, deadline: float) -> dict[str, Any]: ...

    def close(self) -> None: ...


def choose_transport(requested: str | None = None, *, platform: str | None = None) -> str:
    """`requested`, else $ENVPLAN_CDP_TRANSPORT, else pipe on POSIX and websocket on Windows."""
    platform = platform or sys.platform
    kind = (requested or os.environ.get(TRANSPORT_ENV) or "").strip().lower()
    if not kind:
        return "websocket" if platform == "win32" else "pipe"
    if kind not in TRANSPORTS:
        raise BrowserError(
            f"環境変数 {TRANSPORT_ENV} の値「{kind}」が正しくありません（pipe か websocket を指定してください）",
            f"{TRANSPORT_ENV} must be pipe or websocket, not {kind!r}",
        )
    if kind == "pipe" and platform == "win32":
        raise BrowserError(
            f"ブラウザーとのパイプ接続は Windows では使えません。環境変数 {TRANSPORT_ENV} を消すか websocket にしてください",
            f"the pipe transport does not work on Windows; unset {TRANSPORT_ENV} or set it to websocket",
        )
    return kind


def start(kind: str, exe: str, args: list[str], profile: Path, *, timeout: float) -> Transport:
    """Start `exe` with `args` (which name `profile` as its user data dir) and connect."""
    if kind == "pipe":
        return PipeTransport(exe, args)
    return WebSocketTransport(exe, args, profile, timeout=timeout)


def _spawn(exe: str, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    if sys.platform == "win32":  # no console window flashing up over Excel
        kwargs["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    try:
        return subprocess.Popen([exe, *argv], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    except OSError as e:
        raise BrowserError(f"ブラウザー {exe} を起動できません（{e}）", f"cannot start the browser {exe}: {e}") from e


def _stopped() -> BrowserError:
    return BrowserStopped("ブラウザーが予期せず終了しました", "the browser stopped unexpectedly")


def _too_slow() -> BrowserError:
    return BrowserError("ブラウザーが時間内に応答しませんでした", "the browser did not answer in time")


class PipeTransport:
    def __init__(self, exe: str, args: list[str]) -> None:
        if sys.platform == "win32":  # pragma: no cover - guarded by choose_transport
            raise BrowserError("ブラウザーとのパイプ接続は Windows では使えません", "the pipe transport does not work on Windows")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def child_fds() -> None:
            # Move both ends out of the way first: either may already be fd 3 or 4. dup2 leaves
            # 3 and 4 inheritable; every other descriptor Python opens is not (PEP 446), so
            # nothing else reaches the browser.
            high_r, high_w = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        try:
            # Not pass_fds=(3, 4): those must be open in this process when it forks, and the PDF is
            # printed in a thread while another writes the site, opening and closing files: a 3 or 4
            # closed at that moment failed the start with EBADF. Without close_fds, the child's
            # descriptors follow their inheritable flag (the two moved into place above).
            self.proc = _spawn(exe, ["--remote-debugging-pipe", *args], preexec_fn=child_fds, close_fds=False)
        except BaseException:
            os.close(self._to_browser)
            os.close(self._from_browser)
            raise
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        self._buffer = b""

    def send(self, message: dict[str, Any]) -> None:
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except OSError as e:  # EPIPE: the browser has gone
            raise _stopped() from e

    def receive(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from_browser], [], [], remaining)[0]:
                raise _too_slow()
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise _stopped()
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def close(self) -> None:
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass


def read_active_port(path: Path) -> tuple[int, str] | None:
    """(port, browser websocket path) from a DevToolsActivePort file; None while
    the file is missing or not yet completely written."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.splitlines()
    if len(lines) < 2 or not lines[0].strip().isdigit():
        return None
    port, ws_path = int(lines[0].strip()), lines[1].strip()
    if not 0 < port < 65536 or not ws_path.startswith("/devtools/browser/") or len(ws_path) <= len("/devtools/browser/"):
        return None
    return port, ws_path


class WebSocketTransport:
    def __init__(self, exe: str, args: list[str], profile: Path, *, timeout: float) -> None:
        from websockets.sync.client import connect

        self.proc = _spawn(exe, ["--remote-debugging-port=0", *args])
        self._connection = contextlib.ExitStack()  # newer websockets want connect() entered as a context
        try:
            port, ws_path = self._wait_for_port(profile / ACTIVE_PORT_FILE, time.monotonic() + timeout)
            # No proxy (a municipal PC's proxy settings must not catch 127.0.0.1), no size limit
            # (a PDF comes in chunks of several MB), no keep-alive pings (a long print is not a hang).
            self.ws = self._connection.enter_context(
                connect(
                    f"ws://127.0.0.1:{port}{ws_path}",
                    proxy=None,
                    max_size=None,
                    compression=None,
                    ping_interval=None,
                    open_timeout=timeout,
                    close_timeout=2,
                )
            )
        except BaseException as e:
            self._stop()
            if isinstance(e, (BrowserError, KeyboardInterrupt, SystemExit)):
                raise
            raise BrowserError(f"ブラウザーに接続できません（{type(e).__name__}: {e}）", f"cannot connect to the browser: {e}") from e

    def _wait_for_port(self, file: Path, deadline: float) -> tuple[int, str]:
        while True:
            found = read_active_port(file)
            if found:
                return found
            code = self.proc.poll()
            if code is not None:
                raise BrowserError(
                    f"ブラウザーが起動直後に終了しました（終了コード {code}）。ブラウザーを入れ直すか、環境変数 ENVPLAN_BROWSER で別のブラウザーを指定してください",
                    f"the browser exited right after starting (exit code {code})",
                )
            if time.monotonic() > deadline:
                raise BrowserError(
                    "ブラウザーが時間内に起動しませんでした（DevTools の接続先が書かれませんでした）。"
                    "組織のポリシーでブラウザーのリモートデバッグ（RemoteDebuggingAllowed）が禁止されていないか、情報システム担当に確認してください",
                    "the browser did not start in time (no DevToolsActivePort); check that policy allows remote debugging (RemoteDebuggingAllowed)",
                )
            time.sleep(0.05)

    def _stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def send(self, message: dict[str, Any]) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            self.ws.send(json.dumps(message))
        except ConnectionClosed as e:
            raise _stopped() from e

    def receive(self, deadline: float) -> dict[str, Any]:
        from websockets.exceptions import ConnectionClosed

        try:
            raw = self.ws.recv(timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError as e:
            raise _too_slow() from e
        except ConnectionClosed as e:
            raise _stopped() from e
        return json.loads(raw)

    def close(self) -> None:
        try:
            self._connection.close()
        except Exception:  # already closed by the browser's exit
            pass
