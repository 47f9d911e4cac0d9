"""What stands between the city network and the server's work: a guard around
every request (rate limit per client, body size limit, a whole-request
timeout, a log line without contents), signed session cookies for the section
pages, and CSRF tokens for every form.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from envplan.server.config import ServerConfig
from envplan.server.shared_state import RATES, SharedRateLimiter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "envplan_session"
CSRF_COOKIE = "envplan_csrf"
SESSION_SECONDS = 8 * 3600  # one working day

log = logging.getLogger("envplan.server.requests")


def client_address(scope: Scope, trusted_proxy: str | None) -> str:
    host = (scope.get("client") or ("?", 0))[0]
    if trusted_proxy and host == trusted_proxy:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                return value.decode("latin-1").split(",")[-1].strip() or host
    return host


class BodyTooLarge(Exception):
    pass


class Guard:
    """ASGI middleware around the whole application."""

    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        self.config = config
        rates = config.work / RATES  # counted over every worker process
        self.pages = SharedRateLimiter(rates, "pages", config.limits.requests_per_minute)
        self.posts = SharedRateLimiter(rates, "posts", config.limits.uploads_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits = self.config.limits
        client = client_address(scope, self.config.trusted_proxy)
        scope.setdefault("state", {})["client"] = client
        started = time.monotonic()
        sent: dict[str, Any] = {"status": 0, "started": False}
        outcome = scope["state"]

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"], sent["started"] = message["status"], True
            await send(message)

        try:
            wait = self.pages.allow(client) or (self.posts.allow(client) if scope["method"] == "POST" else 0.0)
            if wait:
                await _plain(send_logged, 429, "アクセスが多すぎます。しばらく待ってからやり直してください。", {"retry-after": str(int(wait) + 1)})
                return
            # A ribbon button sends the whole open master as JSON; an upload one filled template.
            ribbon = scope["path"].startswith("/xlwings/")
            allowed = limits.max_book_bytes if ribbon else limits.max_upload_bytes + 64 * 1024  # the form's own fields around the file
            timeout = limits.ribbon_timeout_seconds if ribbon else limits.request_timeout_seconds
            declared = _content_length(scope)
            if declared is not None and declared > allowed:
                await _plain(send_logged, 413, f"ファイルが大きすぎます（上限 {limits.max_upload_bytes:,} バイト）。お送りした様式に入力したファイルを送ってください。")
                return
            received = 0

            async def receive_limited() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > allowed:
                        raise BodyTooLarge
                return message

            try:
                await asyncio.wait_for(self.app(scope, receive_limited, send_logged), timeout=timeout)
            except BodyTooLarge:
                if not sent["started"]:
                    await _plain(send_logged, 413, f"ファイルが大きすぎます（上限 {limits.max_upload_bytes:,} バイト）。")
            except asyncio.TimeoutError:
                if not sent["started"]:
                    await _plain(send_logged, 503, "時間内に処理できませんでした。しばらく待ってからやり直してください。")
        finally:
            # Who, what, outcome: never the file's contents, nor a form's values.
            entry = {
                "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "client": client,
                "pid": os.getpid(),  # which worker process (envplan serve --workers N)
                "method": scope["method"],
                "path": scope["path"],
                "status": sent["status"],
                "ms": round((time.monotonic() - started) * 1000),
            }
            entry.update({k: v for k, v in outcome.items() if k in ("user", "department", "verdict", "sha256", "size", "stored_as")})
            log.info(json.dumps(entry, ensure_ascii=False))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _plain(send: Send, status: int, text: str, headers: dict[str, str] | None = None) -> None:
    body = (
        f'<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>{status}</title></head><body><main><h1>{status}</h1><p>{text}</p></main></body></html>'
    ).encode()
    raw = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class Signer:
    """Session cookies and CSRF tokens, signed with the work folder's key (shared_state.session_key):
    the same on every worker; stateless, so logging out is the cookie's removal, and a session ends at its time."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)

    def _mac(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def session(self, now: float | None = None) -> str:
        expires = int((now or time.time()) + SESSION_SECONDS)
        body = f"{expires}.{secrets.token_hex(8)}"
        return f"{body}.{self._mac('session:' + body)}"

    def session_ok(self, cookie: str | None, now: float | None = None) -> bool:
        if not cookie or cookie.count(".") != 2:
            return False
        body, mac = cookie.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac("session:" + body)):
            return False
        try:
            return int(body.split(".")[0]) > (now or time.time())
        except ValueError:
            return False

    def csrf_token(self, cookie: str) -> str:
        return self._mac("csrf:" + cookie)

    def csrf_ok(self, cookie: str | None, token: str | None) -> bool:
        return bool(cookie) and bool(token) and hmac.compare_digest(self.csrf_token(cookie or ""), token or "")


def password_ok(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
