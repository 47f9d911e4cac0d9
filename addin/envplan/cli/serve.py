"""`envplan serve [--config FILE]`: the section's server on the internal network."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import typer

from envplan.cli.app import app, console, fail


@app.command()
def serve(
    config: Path = typer.Option(Path("envplan-server.yaml"), "--config", help="設定ファイル（YAML または TOML）"),
    host: str | None = typer.Option(None, "--host", help="待ち受けるアドレス（設定ファイルの host より優先）"),
    port: int | None = typer.Option(None, "--port", help="待ち受けるポート（設定ファイルの port より優先）"),
    workers: int = typer.Option(1, "--workers", help="ワーカーのプロセス数（1 だけ。サーバーは1つのプロセスで動きます）"),
) -> None:
    """提出ページと提出状況のページのサーバーを起動する（Ctrl-C で停止）。"""
    import os

    import uvicorn

    from envplan.server.app import create_app
    from envplan.server.config import ConfigError, load_config
    from envplan.server.single_process import refuse_workers

    try:
        refuse_workers(workers, os.environ.get("WEB_CONCURRENCY"))
        settings = load_config(config)
        if host:
            settings.host = host
        if port:
            settings.port = port
        application = create_app(settings)  # first takes the work folder: a second server on it is refused here
    except ConfigError as e:
        fail(str(e), e.message_en)
    # The request log: one JSON line per request (who, what, outcome), never a file's contents; rotated by size.
    handler = logging.handlers.RotatingFileHandler(settings.log_file, maxBytes=settings.log_max_bytes, backupCount=settings.log_backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    requests_log = logging.getLogger("envplan.server.requests")
    requests_log.addHandler(handler)
    requests_log.setLevel(logging.INFO)
    console.print(f"envplan サーバー: http://{settings.host}:{settings.port}/upload （提出）  /status （担当課）  ログ: {settings.log_file}")
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        workers=1,  # explicit, so that WEB_CONCURRENCY is never taken (refused above)
        log_level="warning",
        access_log=False,  # our own request log replaces uvicorn's
        timeout_keep_alive=5,
        limit_concurrency=64,
        proxy_headers=False,  # X-Forwarded-For is believed only from trusted_proxy (security.client_address)
        server_header=False,
    )
