"""The real `envplan serve` on 127.0.0.1 for tests: started as a subprocess from a
config file, waited for, stopped (or killed); plus a small client that keeps the
server's cookies by hand (httpx's cookie jar, rightly, keeps Secure cookies off
plain http, and the servers under test set Secure cookies as in production)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from conftest import ROOT

PASSWORD = "section-password-for-tests"
API_KEY = "api-key-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, folder: Path, master: Path, inbox: Path, **settings: Any) -> None:
        self.folder = folder
        self.port = free_port()
        self.work = folder / "work"
        config = {"master": str(master), "inbox": str(inbox), "work": str(self.work), "host": "127.0.0.1", "port": self.port, **settings}
        self.config_path = folder / "server.yaml"
        self.config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 30, *, args: tuple[str, ...] = (), **extra_env: str) -> Server:
        env = dict(os.environ, ENVPLAN_SERVER_PASSWORD=PASSWORD, ENVPLAN_SERVER_API_KEY=API_KEY, PYTHONUNBUFFERED="1", **extra_env)
        exe = Path(sys.executable).with_name("envplan")
        self.proc = subprocess.Popen([str(exe), "serve", "--config", str(self.config_path), *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"envplan serve ended ({self.proc.returncode}): {self.proc.stdout.read() if self.proc.stdout else ''}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("envplan serve did not start listening")

    def stop(self) -> str:
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        out = self.proc.stdout.read() if self.proc.stdout else ""
        self.proc = None
        return out

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def log_lines(self) -> list[str]:
        path = self.work / "requests.log"
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    def log_lines_when(self, done: Callable[[list[str]], bool], timeout: float = 10.0) -> list[str]:
        """The log once `done` holds for it: the server writes a request's line after it has sent
        the response, so a client that has its answer may read the log a moment too early."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.log_lines()
            if done(lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)


class Client:
    """httpx with the cookies kept by hand, and the CSRF token of the last form."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def close(self) -> None:
        self.http.close()

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ('""', "") or "max-age=0" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', response.text) if response.headers.get("content-type", "").startswith("text/html") else None
        if m:
            self.csrf = m[1]
        return response

    def cookie_header(self, cookies: dict[str, str] | None = None) -> dict[str, str]:
        jar = self.cookies if cookies is None else cookies
        return {"cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}

    def get(self, path: str, *, cookies: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        return self._keep(self.http.get(path, headers=self.cookie_header(cookies), **kw))

    def post(self, path: str, *, data: dict[str, str] | None = None, csrf: bool = True, **kw: Any) -> httpx.Response:
        fields = dict(data or {})
        if csrf:
            fields["csrf"] = self.csrf
        headers = {**self.cookie_header(), **kw.pop("headers", {})}
        return self._keep(self.http.post(path, data=fields, headers=headers, **kw))

    def upload(self, path: Path | None = None, *, content: bytes | None = None, name: str | None = None, as_json: bool = True, csrf: bool = True) -> httpx.Response:
        if not self.csrf:
            self.get("/upload")
        body = content if content is not None else (path.read_bytes() if path else b"")
        files = {"file": (name or (path.name if path else "return.xlsx"), body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
        headers = {"accept": "application/json"} if as_json else {}
        return self.post("/upload", files=files, headers=headers, csrf=csrf)

    def login(self, password: str = PASSWORD) -> httpx.Response:
        self.get("/login")
        return self.post("/login", data={"password": password})
