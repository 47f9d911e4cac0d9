"""`envplan serve [--config FILE]`: the section's server on the internal network."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from envplan.cli.app import app, console, fail


@app.command()
def serve(
    config: Path = typer.Option(Path("envplan-server.yaml"), "--config", help="設定ファイル（YAML または TOML）"),
    host: str | None = typer.Option(None, "--host", help="待ち受けるアドレス（設定ファイルの host より優先）"),
    port: int | None = typer.Option(None, "--port", help="待ち受けるポート（設定ファイルの port より優先）"),
) -> None:
    """提出ページと提出状況のページのサーバーを起動する（Ctrl-C で停止）。"""
    import uvicorn

    from envplan.server.app import create_app
    from envplan.server.config import ConfigError, load_config

    try:
        settings = load_config(config)
    except ConfigError as e:
        fail(str(e), e.message_en)
    if host:
        settings.host = host
    if port:
        settings.port = port
    settings.work.mkdir(parents=True, exist_ok=True)
    # The request log: one JSON line per request (who, what, outcome), never a file's contents.
    handler = logging.FileHandler(settings.log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    requests_log = logging.getLogger("envplan.server.requests")
    requests_log.addHandler(handler)
    requests_log.setLevel(logging.INFO)
    application = create_app(settings)
    console.print(f"envplan サーバー: http://{settings.host}:{settings.port}/upload （提出）  /status （担当課）  ログ: {settings.log_file}")
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,  # our own request log replaces uvicorn's
        timeout_keep_alive=5,
        limit_concurrency=64,
        proxy_headers=False,  # X-Forwarded-For is believed only from trusted_proxy (security.client_address)
        server_header=False,
    )
