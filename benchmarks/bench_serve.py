"""Figures for `envplan serve`: the time from posting a department's return to the
verdict page (a normal filled return, accepted; and one with an error, rejected
with its feedback copy), over HTTP against the real server on 127.0.0.1
started by the CLI. Target: under 2 s for a normal return.

Usage: python benchmarks/bench_serve.py [N]   (N uploads of each kind; default 10)
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    from envplan.plan.illustrative import add_illustrative_actuals
    from envplan.plan.samples import load_sample
    from envplan.survey.template_fill import fill_template
    from envplan.survey.template_issue import issue_templates
    from envplan.workbook.writer import save_master

    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 10
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        master = folder / "master" / "master.xlsx"
        master.parent.mkdir()
        save_master(add_illustrative_actuals(load_sample("all")), master)
        templates = issue_templates(master, folder / "templates")
        env_tpl = next(p for p in templates if "環境課" in p.name)
        answers = {("value", "S01", 2021, "actual"): 1390, ("project", "P1", 2022, "status"): "予定どおり", ("project", "P1", 2022, "comment"): "協定を締結", ("department", "環境課", "contact"): "環境 太郎"}
        good = fill_template(env_tpl, answers, folder / "good.xlsx")
        size_kb = good.stat().st_size // 1024
        bad = fill_template(env_tpl, {**answers, ("value", "S01", 2021, "actual"): "たくさん"}, folder / "bad.xlsx")
        inbox = folder / "inbox"
        inbox.mkdir()
        port = _port()
        config = folder / "server.yaml"
        config.write_text(yaml.safe_dump({"master": str(master), "inbox": str(inbox), "work": str(folder / "work"), "port": port, "limits": {"uploads_per_minute": 10_000}}), encoding="utf-8")
        env = dict(os.environ, ENVPLAN_SERVER_PASSWORD="bench")
        exe = Path(sys.executable).with_name("envplan")
        proc = subprocess.Popen([str(exe), "serve", "--config", str(config)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                t0 = time.perf_counter()
                first = client.get("/upload")  # the first page reads the master (then kept until it changes)
                page_cold = time.perf_counter() - t0
                csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', first.text)[1]  # type: ignore[index]
                cookie = {"cookie": "envplan_csrf=" + first.headers["set-cookie"].split("envplan_csrf=")[1].split(";")[0]}

                def post(path: Path) -> tuple[float, str]:
                    t = time.perf_counter()
                    r = client.post("/upload", data={"csrf": csrf}, files={"file": (path.name, path.read_bytes())}, headers=cookie)
                    elapsed = time.perf_counter() - t
                    assert r.status_code == 200, r.status_code
                    return elapsed, "受け付けました" if "受け付けました" in r.text else "差し戻し"

                cold, verdict = post(good)
                assert verdict == "受け付けました"
                times = {"受理（正常な提出）": [], "差戻し（誤りあり、確認用ファイル付き）": []}
                for _ in range(n):
                    for f in inbox.glob("*.xlsx"):
                        f.unlink()  # else the same file is "already received" (still judged in full)
                    times["受理（正常な提出）"].append(post(good)[0])
                    times["差戻し（誤りあり、確認用ファイル付き）"].append(post(bad)[0])
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(10)
    print(f"提出から判定まで（{n}回ずつ、HTTP 往復込み、{size_kb} KB の様式）")
    print(f"  起動後最初のページ（マスターの読込を含む）: {page_cold:.2f} s、最初の提出: {cold:.2f} s")
    for label, ts in times.items():
        print(f"  {label}: 中央値 {statistics.median(ts):.2f} s、最大 {max(ts):.2f} s")
    worst = max(max(ts) for ts in times.values())
    print(f"  目標 2 s 未満: {'達成' if max(page_cold + cold, worst) < 2 else '未達'}")


if __name__ == "__main__":
    main()
