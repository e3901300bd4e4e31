"""WACZ replay by an independent replayer: pywb serves the archived embed page back."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import cli
from archiver.config import Settings
from archiver.pipeline import archive
from tests.fakeplatform import sample as S
from tests.test_evidence_wacz import ARTICLE, rows

pytestmark = pytest.mark.usefixtures("fake_world")

COLL = "evidence"
NEVER_ARCHIVED = "https://never-archived.example.org/nothing.html"


PYWB_PYTHON = Path(__file__).resolve().parent.parent / ".venv-pywb" / "bin" / "python"
"""pywb lives in a virtual environment of its own (setup.sh makes it): it pins redis-py 2.10
and fakeredis < 1, which cannot share one with Celery's Redis client."""


def pywb(tool: str, *args: str) -> list[str]:
    target = {"wb-manager": "pywb.manager.manager:main", "wayback": "pywb.apps.cli:wayback"}[tool]
    module, func = target.split(":")
    assert PYWB_PYTHON.exists(), f"no pywb at {PYWB_PYTHON}: run ./setup.sh"
    return [str(PYWB_PYTHON), "-c", f"import sys; from {module} import {func}; sys.exit({func}())", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_pywb_replays_the_embed_page_from_the_wacz(settings: Settings, tmp_path: Path) -> None:
    summary = archive([ARTICLE], settings)
    assert summary.ok, summary.errors
    out = tmp_path / "juliaca.wacz"
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "export", "--wacz", str(out), "--article", ARTICLE])
    assert result.exit_code == 0, result.output

    card = rows(settings, "SELECT e.*, b.path FROM exchanges e JOIN blobs b ON b.sha256 = e.sha256 WHERE e.client = 'browser' AND e.url LIKE ? AND e.status = 200",
                f"https://platform.twitter.com/embed/Tweet.html?%id={S.JULIACA_HOSPITAL_ID}%")[0]
    archived = (settings.data_dir / card["path"]).read_bytes()
    with zipfile.ZipFile(out) as z:
        indexed = {json.loads(line.split(" ", 2)[2])["url"] for line in z.read("indexes/index.cdx").decode().splitlines() if line}
    assert card["url"] in indexed and NEVER_ARCHIVED not in indexed

    root = tmp_path / "pywb"
    root.mkdir()
    env = {k: v for k, v in os.environ.items() if k.lower() not in {"http_proxy", "https_proxy", "all_proxy"}}
    # pywb 2.10 adds a WACZ only unpacked: its WARCs copied in, served through the WACZ's own CDXJ index.
    for args in (("init", COLL), ("add", "--unpack-wacz", COLL, str(out))):
        done = subprocess.run(pywb("wb-manager", *args), cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    port = free_port()
    log = (root / "wayback.log").open("w+")
    server = subprocess.Popen(pywb("wayback", "-b", "127.0.0.1", "-p", str(port)), cwd=root, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "wayback exited: " + (root / "wayback.log").read_text()
            try:
                status, _ = get(f"{base}/{COLL}/")
                break
            except OSError:
                assert time.monotonic() < deadline, "wayback never answered: " + (root / "wayback.log").read_text()
                time.sleep(0.25)

        status, body = get(f"{base}/{COLL}/id_/{card['url']}")
        assert status == 200, body[:500]
        assert body == archived

        status, _ = get(f"{base}/{COLL}/id_/{NEVER_ARCHIVED}")
        assert status == 404
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
        log.close()
