"""The quickstart demo (last step of setup.sh) archives the sample article and says where it went."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.fakeplatform import sample as S

ROOT = Path(__file__).resolve().parent.parent


def test_demo_archives_the_sample_article(tmp_path: Path) -> None:
    data = tmp_path / "demo-data"
    result = subprocess.run(
        [sys.executable, "-m", "tests.fakeplatform.demo", "--data", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output

    # It shows the real command, with the settings a user behind a proxy would give.
    assert "HTTPS_PROXY=http://127.0.0.1:" in result.stdout
    assert "SSL_CERT_FILE=" in result.stdout
    assert f"--data {data} archive {S.JULIACA_TXT_URL} {S.JULIACA_URL}" in result.stdout
    # And where the results are.
    assert f"data directory: {data}/" in result.stdout
    assert str(data / "archive.db") in result.stdout

    conn = sqlite3.connect(data / "archive.db")
    try:
        posts = dict(conn.execute("SELECT native_id, status FROM posts").fetchall())
        assert posts == {str(pid): "live" for pid in S.JULIACA_IDS}
        shots = conn.execute(
            "SELECT p.native_id, c.path FROM captures c JOIN posts p ON p.id = c.post_id WHERE c.kind = 'screenshot'"
        ).fetchall()
        articles = [row[0] for row in conn.execute("SELECT url FROM articles ORDER BY id")]
    finally:
        conn.close()
    assert sorted(articles) == sorted([S.JULIACA_TXT_URL, S.JULIACA_URL])
    assert sorted(native_id for native_id, _ in shots) == sorted(str(pid) for pid in S.JULIACA_IDS)
    for _, path in shots:
        screenshot = data / path
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert str(screenshot) in result.stdout  # the tour names each post's screenshot
