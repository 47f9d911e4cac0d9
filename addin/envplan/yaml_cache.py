"""YAML files the program reads at every start (the master's layout), kept parsed as JSON.

Importing PyYAML and parsing `layout.yaml` took a hundredth of a second of every command's
start, the same file each time; JSON is read at C speed with a module every command has
imported already. The cached form is named after the SHA-256 of the YAML's bytes, so an
edited file is parsed again (and cached anew), never taken from an older cache. The cache is
only a copy: when its folder cannot be written, or a cached file is damaged, the YAML is
parsed as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from envplan.paths import cache_dir


def load_yaml(path: Path) -> Any:
    """The YAML document in `path` (a mapping, lists, text, numbers, booleans), as PyYAML's
    safe loader reads it."""
    data = path.read_bytes()
    cached = cache_dir() / f"{path.stem}-{hashlib.sha256(data).hexdigest()[:32]}.json"
    try:
        with open(cached, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        pass
    import yaml  # only when the cache cannot serve: the reading workers and most starts never import it

    raw = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml's parser when present: several times faster
    try:
        text = json.dumps(raw, ensure_ascii=False)
    except (TypeError, ValueError):  # a date, say: JSON has no such value
        return raw
    if json.loads(text) == raw:  # only what JSON gives back the same (not number keys)
        _write_quietly(cached, text)
    return raw


def _write_quietly(path: Path, text: str) -> None:
    """Write the cached copy in one step (a parallel start reads it whole or not at all); a
    folder that cannot be written only means no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


__all__ = ["load_yaml"]
