"""The server's configuration file (YAML or TOML): folders, address, keys, limits.

Secrets never sit in the file itself: it names the environment variables that
hold them (`password_env`, `api_key_env`), so the file can be shown or kept in
version control. Relative folders are taken from the file's own folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: YAML only
    tomllib = None


class ConfigError(ValueError):
    """A configuration that cannot be used (message in Japanese, `message_en` in English)."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message)
        self.message_en = message_en


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_upload_bytes: int = Field(10 * 1024 * 1024, gt=0)  # a filled template is tens of KB
    uploads_per_minute: int = Field(20, gt=0)  # per client address
    requests_per_minute: int = Field(300, gt=0)  # per client address, every page
    request_timeout_seconds: float = Field(60.0, gt=0)  # a whole request, from its first byte to its answer
    max_concurrent_uploads: int = Field(4, gt=0)  # judged at once; more wait their turn
    max_book_bytes: int = Field(50 * 1024 * 1024, gt=0)  # a ribbon button's request: the open master as JSON
    ribbon_timeout_seconds: float = Field(300.0, gt=0)  # a ribbon button's request (公表 with its PDF takes long); the add-in waits as long


class ServerConfig(BaseModel):
    """What `envplan serve --config FILE` reads."""

    model_config = ConfigDict(extra="forbid")

    master: Path
    inbox: Path
    work: Path  # the server's own folder: upload-time feedback copies, the request log, the state its workers share (shared_state)
    site: Path | None = None  # the published site: 公表 through the server writes it here; served at /site/, linked from /status
    templates_dir: Path | None = None  # 様式発行 through the server writes the templates here; /status/templates.zip
    public_url: str | None = Field(None, pattern=r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/[A-Za-z0-9._~\-/]*)?$")  # the address staff use (behind a reverse proxy), for the links the buttons show
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=1, le=65535)
    password_env: str = "ENVPLAN_SERVER_PASSWORD"  # the section pages' password
    api_key_env: str = "ENVPLAN_SERVER_API_KEY"  # the add-in's key (RunRemotePython's auth)
    secure_cookies: bool = True  # False only for a test on plain http
    trusted_proxy: str | None = None  # the reverse proxy's address: its X-Forwarded-For is believed
    limits: Limits = Limits()
    log_max_bytes: int = Field(10 * 1024 * 1024, gt=0)  # the request log is rotated at this size…
    log_backups: int = Field(10, ge=1)  # …keeping this many older files (requests.log.1 …)

    @property
    def password(self) -> str:
        return os.environ.get(self.password_env, "")

    @property
    def api_key(self) -> str:
        return os.environ.get(self.api_key_env, "")

    @property
    def feedback_dir(self) -> Path:
        return self.work / "feedback"

    @property
    def log_file(self) -> Path:
        return self.work / "requests.log"

    @property
    def staging_dir(self) -> Path:
        """Uploads are written here, then renamed into the inbox: same disk, so the move is atomic.
        A hidden folder of the inbox, which consolidate never reads."""
        return self.inbox / ".envplan-uploading"


def load_config(path: Path) -> ServerConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"設定ファイルを読めません: {path}（{e.strerror or e}）", f"cannot read the config file {path}") from e
    is_toml = path.suffix.lower() == ".toml"
    if is_toml and tomllib is None:
        raise ConfigError("TOML の設定ファイルには Python 3.11 以上が必要です。YAML（.yaml）で書いてください", "TOML config files need Python 3.11+; use YAML")
    try:
        data: Any = tomllib.loads(text) if is_toml else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:  # tomllib.TOMLDecodeError is a ValueError
        raise ConfigError(f"設定ファイル {path.name} の書き方に誤りがあります: {e}", f"the config file {path.name} does not parse: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"設定ファイル {path.name} には「master: …」のような項目を書いてください", f"the config file {path.name} must be a mapping")
    base = path.resolve().parent
    for key in ("master", "inbox", "work", "site", "templates_dir"):
        if isinstance(data.get(key), str):
            data[key] = str((base / os.path.expandvars(data[key])).resolve())
    try:
        config = ServerConfig.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"設定ファイル {path.name} の項目に誤りがあります（{problems}）", f"invalid settings in {path.name}: {problems}") from e
    check_config(config)
    return config


def check_config(config: ServerConfig) -> None:
    """Folders that exist and do not overlap: nothing of the master's folder or the inbox may be served."""
    if not config.master.is_file():
        raise ConfigError(f"マスターが見つかりません: {config.master}", f"master not found: {config.master}")
    if not config.inbox.is_dir():
        raise ConfigError(f"受付フォルダが見つかりません: {config.inbox}", f"inbox folder not found: {config.inbox}")
    master_dir = config.master.resolve().parent
    if config.inbox.resolve() == master_dir:
        raise ConfigError("受付フォルダに、マスターと同じフォルダは指定できません", "the inbox must not be the master's folder")
    # The output folders are served (the site at /site/, the templates as a zip): never a folder
    # holding what must not be, and never each other (publishing replaces the whole site folder).
    private = [(master_dir, "マスターのフォルダ", "master's folder"), (config.inbox.resolve(), "受付フォルダ", "inbox"), (config.work.resolve(), "作業フォルダ", "work folder")]
    outputs = [(config.site, "公開サイトのフォルダ（site）", "site folder"), (config.templates_dir, "照会様式の出力先（templates_dir）", "templates folder")]
    for i, (folder, label, label_en) in enumerate(outputs):
        if folder is None:
            continue
        out = folder.resolve()
        others = [(*p, "公開してはいけないファイルが見えてしまいます") for p in private]
        others += [(o.resolve(), lbl, en, "公表のたびに公開サイトのフォルダは丸ごと入れ替わります") for o, lbl, en in outputs[i + 1 :] if o is not None]
        for other, name, name_en, why in others:
            if out == other or other.is_relative_to(out) or out.is_relative_to(other):
                raise ConfigError(f"{label}（{out}）は{name}と重ならない場所にしてください（{why}）", f"the {label_en} overlaps the {name_en}")
    if not config.password:
        raise ConfigError(
            f"課のページのパスワードが設定されていません。環境変数 {config.password_env} に設定してから起動してください", f"set the section pages' password in the environment variable {config.password_env}"
        )
