"""The parsed copies of the YAML read at every start (yaml_cache): the same document as PyYAML
reads, never an older one, and nothing lost when the cache cannot be used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from envplan.paths import WORKBOOK_DIR
from envplan.yaml_cache import load_yaml


def _parsed(path: Path):  # type: ignore[no-untyped-def]
    return yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)


def test_the_layout_read_from_its_cached_copy_is_the_layout(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVPLAN_CACHE_DIR", str(tmp_path / "cache"))
    source = WORKBOOK_DIR / "layout.yaml"
    first = load_yaml(source)  # parsed, and cached
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".json"]
    assert load_yaml(source) == first == _parsed(source)


def test_an_edited_file_is_read_again_not_taken_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVPLAN_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "layout.yaml"
    path.write_text("sheets:\n  guide: {name: 使い方}\n", encoding="utf-8")
    assert load_yaml(path) == {"sheets": {"guide": {"name": "使い方"}}}
    path.write_text("sheets:\n  guide: {name: はじめに}\n", encoding="utf-8")  # a city renames a sheet
    assert load_yaml(path) == {"sheets": {"guide": {"name": "はじめに"}}}
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_a_damaged_cached_copy_is_parsed_again_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVPLAN_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "layout.yaml"
    path.write_text("a: [1, 2, 三]\n", encoding="utf-8")
    load_yaml(path)
    (cached,) = (tmp_path / "cache").iterdir()
    cached.write_text('{"a": [1, 2', encoding="utf-8")  # cut short (a full disk, a kill)
    assert load_yaml(path) == {"a": [1, 2, "三"]}
    assert json.loads(cached.read_text(encoding="utf-8")) == {"a": [1, 2, "三"]}


def test_without_a_writable_cache_the_file_is_parsed_as_before(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("ENVPLAN_CACHE_DIR", str(blocker / "cache"))
    path = tmp_path / "layout.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert load_yaml(path) == load_yaml(path) == {"a": 1}


def test_what_json_would_change_is_not_cached(tmp_path, monkeypatch):
    """A date, or a number used as a key, comes back from JSON different: such a file is parsed each time."""
    monkeypatch.setenv("ENVPLAN_CACHE_DIR", str(tmp_path / "cache"))
    for i, text in enumerate(("2022: 令和4年度\n", "issued: 2022-04-01\n")):
        path = tmp_path / f"other{i}.yaml"
        path.write_text(text, encoding="utf-8")
        assert load_yaml(path) == _parsed(path)
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_a_start_with_the_layout_cached_does_not_import_yaml(tmp_path):
    code = "import sys\nfrom envplan.workbook.layout import layout\nlayout()\nprint('yaml' in sys.modules)\n"
    env = {"ENVPLAN_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": ":".join(sys.path)}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, check=True).stdout.strip() for _ in range(2)]
    assert runs == ["True", "False"]  # parsed once, then read from its copy
