"""`envplan serve [--config FILE]`: the section's server on the internal network."""

from __future__ import annotations

from pathlib import Path

from envplan.cli.app import app, console, fail
from envplan.cli.commands import Option


@app.command()
def serve(
    config: Path = Option(Path("envplan-server.yaml"), "--config", help="設定ファイル（YAML または TOML）"),
    host: str | None = Option(None, "--host", help="待ち受けるアドレス（設定ファイルの host より優先）"),
    port: int | None = Option(None, "--port", help="待ち受けるポート（設定ファイルの port より優先）"),
    workers: int = Option(1, "--workers", help="ワーカーのプロセス数（既定 1。Linux・macOS のみ 2 以上可）"),
) -> None:
    """提出ページと提出状況のページのサーバーを起動する（Ctrl-C で停止）。"""
    import os

    import uvicorn

    from envplan.server.app import CONFIG_ENV, create_app
    from envplan.server.config import ConfigError, load_config
    from envplan.server.shared_state import configure_request_log, session_key
    from envplan.server.single_process import take_work_folder, worker_count
    from envplan.server.uploads import clear_staging

    try:
        n = worker_count(workers, os.environ.get("WEB_CONCURRENCY"))
        settings = load_config(config)
        if host:
            settings.host = host
        if port:
            settings.port = port
        if n == 1:
            application: object = create_app(settings)  # first takes the work folder: a second server on it is refused here
        else:  # the workers share the work folder's state; this process holds it and readies it before they start
            work_lock = take_work_folder(settings.work)
            clear_staging(settings)
            session_key(settings.work)
            os.environ[CONFIG_ENV] = str(config.resolve())
            application = "envplan.server.app:worker_app"
    except ConfigError as e:
        fail(str(e), e.message_en)
    if n == 1:
        configure_request_log(settings)
    console.print(
        f"envplan サーバー: http://{settings.host}:{settings.port}/upload （提出）  /status （担当課）  ログ: {settings.log_file}" + (f"  ワーカー {n}" if n > 1 else "")
    )
    uvicorn.run(
        application,  # type: ignore[arg-type]
        factory=n > 1,
        workers=n,  # explicit, so that WEB_CONCURRENCY is read only above
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,  # our own request log replaces uvicorn's
        timeout_keep_alive=5,
        limit_concurrency=64,
        proxy_headers=False,  # X-Forwarded-For is believed only from trusted_proxy (security.client_address)
        server_header=False,
    )
    if n > 1:
        work_lock.__exit__(None, None, None)
