"""The section's server: the departments' upload page and the section's pages.

Every route is named here; nothing else is served. The inbox, the master's
folder and the work folder are never mounted: a feedback copy is fetched by its
random token, the published site (if configured) from its own folder only.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import threading
import urllib.parse
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from envplan.paths import TEMPLATES_DIR
from envplan.server.config import ServerConfig
from envplan.server.ribbon import ISSUED, TEMPLATES_ZIP, RibbonRefused, issued_zip, run_action
from envplan.server.security import CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS, BodyTooLarge, Guard, Signer, password_ok
from envplan.server.shared_state import configure_request_log, session_key
from envplan.server.single_process import take_work_folder
from envplan.server.tracker import consolidate_now, tracker_rows
from envplan.server.uploads import MasterSnapshot, MasterUnavailable, UploadDesk, clear_staging

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


def size_text(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def create_app(config: ServerConfig, *, signer: Signer | None = None, worker: bool = False) -> Guard:
    """The application. Alone (`worker` False) it first takes the work folder (one server per work
    folder) and clears what a killed server left; a worker of `envplan serve --workers N` finds
    both done by the process that started it."""
    work_lock = None if worker else take_work_folder(config.work)
    if not worker:
        clear_staging(config)
    snapshot = MasterSnapshot(config.master)
    desk = UploadDesk(config, snapshot)
    signer = signer or Signer(session_key(config.work))
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR / "server")), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    uploading = threading.BoundedSemaphore(config.limits.max_concurrent_uploads)
    consolidating = threading.Lock()

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        csrf_cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_hex(16)
        try:
            plan = snapshot.plan
            context.setdefault("plan_name", plan.name)
            context.setdefault("municipality", plan.municipality)
        except MasterUnavailable:
            context.setdefault("plan_name", "")
            context.setdefault("municipality", "")
        html = env.get_template(template).render(
            csrf=signer.csrf_token(csrf_cookie), logged_in=logged_in(request), site=_published(config), templates=_issued(config), **context
        )
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(CSRF_COOKIE, csrf_cookie, httponly=True, samesite="strict", secure=config.secure_cookies, path="/")
        return response

    def logged_in(request: Request) -> bool:
        return signer.session_ok(request.cookies.get(SESSION_COOKIE))

    async def form_checked(request: Request) -> Any:
        """The form, or None when its CSRF token is not the one this browser was given."""
        form = await request.form(max_files=1, max_fields=10)
        token = form.get("csrf")
        return form if signer.csrf_ok(request.cookies.get(CSRF_COOKIE), token if isinstance(token, str) else None) else None

    def refused(request: Request) -> HTMLResponse:
        return page(request, "message.html", 403, title="送信できませんでした", message="このページを開き直してから、もう一度送信してください（フォームの確認用の値が一致しません）。")

    async def home(request: Request) -> Response:
        return RedirectResponse("/upload", status_code=303)

    async def upload_form(request: Request) -> Response:
        return page(request, "upload.html", verdict=None, max_size=size_text(config.limits.max_upload_bytes))

    async def upload(request: Request) -> Response:
        form = await form_checked(request)
        if form is None:
            return refused(request)
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            return page(request, "upload.html", 400, verdict=None, missing=True, max_size=size_text(config.limits.max_upload_bytes))
        data = await file.read(config.limits.max_upload_bytes + 1)
        if len(data) > config.limits.max_upload_bytes:
            return page(request, "message.html", 413, title="ファイルが大きすぎます", message=f"上限は {size_text(config.limits.max_upload_bytes)} です。お送りした様式に入力したファイルを送ってください。")

        abandoned = threading.Event()

        def judged() -> Any:
            with uploading:
                return desk.judge(data, file.filename, abandoned)

        try:
            verdict = await run_in_threadpool(judged)
        except asyncio.CancelledError:  # the request's time is up: the judging thread must not file it after the 503
            abandoned.set()
            raise
        except MasterUnavailable as e:
            return page(request, "message.html", 503, title="いまは受け付けられません", message=f"マスターを読めないため、判定できません。計画の担当課にお知らせください（{e}）。")
        request.scope["state"].update(department=verdict.department, verdict=verdict.status, sha256=verdict.sha256, size=verdict.size, stored_as=verdict.stored_as)
        if "application/json" in request.headers.get("accept", ""):  # scripts and tests: the same verdict as data
            return JSONResponse(verdict.to_json(), headers=SECURITY_HEADERS)
        return page(request, "upload.html", verdict=verdict, max_size=size_text(config.limits.max_upload_bytes))

    async def feedback(request: Request) -> Response:
        path = desk.feedback_file(request.path_params["token"])
        if path is None:
            return page(request, "message.html", 404, title="見つかりません", message="このファイルはありません。もう一度提出して、新しい確認用ファイルを受け取ってください。")
        quoted = urllib.parse.quote(path.name)
        headers = dict(SECURITY_HEADERS, **{"content-disposition": f"attachment; filename=\"feedback{path.suffix}\"; filename*=UTF-8''{quoted}"})
        return FileResponse(path, headers=headers, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    async def login_form(request: Request) -> Response:
        return page(request, "login.html", failed=False)

    async def login(request: Request) -> Response:
        form = await form_checked(request)
        if form is None:
            return refused(request)
        given = form.get("password")
        if not isinstance(given, str) or not password_ok(given, config.password):
            request.scope["state"]["user"] = "login-failed"
            return page(request, "login.html", 401, failed=True)
        request.scope["state"]["user"] = "section"
        response = RedirectResponse("/status", status_code=303)
        response.set_cookie(SESSION_COOKIE, signer.session(), max_age=SESSION_SECONDS, httponly=True, samesite="strict", secure=config.secure_cookies, path="/")
        return response

    async def logout(request: Request) -> Response:
        form = await form_checked(request)
        if form is None:
            return refused(request)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def status(request: Request) -> Response:
        if not logged_in(request):
            return RedirectResponse("/login", status_code=303)
        request.scope["state"]["user"] = "section"
        try:
            rows = tracker_rows(snapshot.plan, snapshot.get()[0].submissions, desk.uploads(), desk.config.inbox)
        except MasterUnavailable as e:
            return page(request, "message.html", 503, title="マスターを読めません", message=str(e))
        return page(request, "status.html", rows=rows, result=None)

    async def consolidate(request: Request) -> Response:
        if not logged_in(request):
            return RedirectResponse("/login", status_code=303)
        form = await form_checked(request)
        if form is None:
            return refused(request)
        request.scope["state"]["user"] = "section"

        def run() -> Any:
            with consolidating:
                return consolidate_now(config)

        result, error = await run_in_threadpool(run)
        rows = tracker_rows(snapshot.plan, snapshot.get()[0].submissions, desk.uploads(), desk.config.inbox) if error is None else []
        return page(request, "status.html", 200 if error is None else 409, rows=rows, result=result, error=error)

    async def ribbon(request: Request) -> Response:
        """A ribbon button of the server-mode add-in: the API key in Authorization (RunRemotePython's auth)."""
        given = request.headers.get("authorization", "")
        if not config.api_key:
            return PlainTextResponse("サーバーにアドイン用の API キーが設定されていません", status_code=503)
        if not password_ok(given.removeprefix("Bearer ").strip(), config.api_key):
            request.scope["state"]["user"] = "ribbon-refused"
            return PlainTextResponse(
                "アドインの API キーが正しくありません。入力し直すには、この PC の %APPDATA%\\envplan\\server-key.txt（macOS は ~/.envplan/server-key.txt）を削除してから"
                "もう一度ボタンを押し、計画の担当課から受け取ったキーを入力してください",
                status_code=401,
            )
        request.scope["state"]["user"] = "ribbon"
        action = request.path_params["action"]
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("ブックの内容（JSON）を読み取れません", status_code=400)

        def run() -> dict[str, Any]:
            return run_action(config, action, payload, dict(request.query_params), str(request.base_url))

        try:
            answer = await run_in_threadpool(run)
        except RibbonRefused as e:
            return PlainTextResponse(str(e), status_code=e.status)
        request.scope["state"]["verdict"] = action
        return JSONResponse(answer)

    async def templates_zip(request: Request) -> Response:
        """The templates last issued through the server (様式発行), as one zip, for the section."""
        if not logged_in(request):
            return RedirectResponse("/login", status_code=303)
        request.scope["state"]["user"] = "section"
        data = await run_in_threadpool(issued_zip, config.templates_dir) if config.templates_dir else None
        if data is None:
            return page(request, "message.html", 404, title="照会様式はまだありません", message="リボンの「様式発行」（サーバー方式）で作成すると、ここからまとめてダウンロードできます。")
        headers = dict(SECURITY_HEADERS, **{"content-disposition": "attachment; filename=\"templates.zip\"; filename*=UTF-8''" + urllib.parse.quote("照会様式.zip")})
        return Response(data, media_type="application/zip", headers=headers)

    routes: list[BaseRoute] = [
        Route("/xlwings/{action}", ribbon, methods=["POST"]),
        Route(TEMPLATES_ZIP, templates_zip, methods=["GET"]),
        Route("/", home),
        Route("/upload", upload_form, methods=["GET"]),
        Route("/upload", upload, methods=["POST"]),
        Route("/feedback/{token}", feedback),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/status", status, methods=["GET"]),
        Route("/status/consolidate", consolidate, methods=["POST"]),
    ]
    if config.site is not None:
        config.site.mkdir(parents=True, exist_ok=True)  # 公表 through the server fills it; served from the start
        routes.append(Mount("/site", app=StaticFiles(directory=str(config.site), html=True, follow_symlink=False), name="site"))
    async def too_large(request: Request, exc: Exception) -> Response:
        request.scope["state"]["verdict"] = "too-large"
        return page(request, "message.html", 413, title="ファイルが大きすぎます", message=f"上限は {size_text(config.limits.max_upload_bytes)} です。お送りした様式に入力したファイルを送ってください。")

    async def http_error(request: Request, exc: Exception) -> Response:
        """Starlette's own refusals (a malformed form, more than one file, an unknown page), in Japanese."""
        status = getattr(exc, "status_code", 500)
        texts = {
            400: ("送信の内容を読み取れませんでした", "1回に送れるファイルは1つです。提出のページを開き直して、ファイルを1つ選んで送ってください。"),
            404: ("ページが見つかりません", "アドレスを確かめてください。"),
            405: ("このページはこの方法では開けません", "提出のページから操作してください。"),
        }
        title, message = texts.get(status, ("処理できませんでした", "しばらく待ってからやり直してください。"))
        return page(request, "message.html", status, title=title, message=message)

    # The guard's size limit interrupts the form parser: answered here, before any handler sees a byte more.
    app = Starlette(routes=routes, exception_handlers={BodyTooLarge: too_large, HTTPException: http_error})
    app.state.desk = desk
    app.state.work_lock = work_lock  # held as long as the application lives
    return Guard(app, config)


def _published(config: ServerConfig) -> bool:
    """A site to link to: configured and published (the folder is empty until the first 公表)."""
    return config.site is not None and (config.site / "index.html").is_file()


def _issued(config: ServerConfig) -> bool:
    return config.templates_dir is not None and (config.templates_dir / ISSUED).is_file()


CONFIG_ENV = "ENVPLAN_SERVE_CONFIG"  # the config file, for the worker processes of `envplan serve --workers N`


def worker_app() -> Guard:
    """The application in one worker process of `envplan serve --workers N` (uvicorn's factory)."""
    from envplan.server.config import load_config

    config = load_config(Path(os.environ[CONFIG_ENV]))
    configure_request_log(config)
    return create_app(config, worker=True)
