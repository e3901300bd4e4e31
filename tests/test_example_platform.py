"""A platform shipped as a package of its own (tests/example_platform: Example Social).

Installed with pip into a directory of its own and put on the ``PYTHONPATH`` of real
``archiver`` processes, it is archived, swept, browsed and exported like Twitter: nothing
outside its package knows it. The fake platform serves it (fakeplatform/example_social.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from archiver.platforms import platforms
from archiver.steps.find import find_embeds
from tests.fakeplatform import FakePlatform, Page, World
from tests.fakeplatform.example_social import ExamplePost, embed_markup
from tests.fakeplatform.pages import article_page, para

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tests" / "example_platform"
ARTICLE = "https://www.example-news.com/2026/03/01/river-road.html"
FLOOD = ExamplePost("130", "ana", "Ana Example", "Flooding on the river road this morning", "2026-03-01T08:00:00Z")
BRIDGE = ExamplePost("1300", "ben", "Ben Example", "The old bridge is closed too", "2026-03-01T09:00:00Z", photo=False)
"""Its id contains FLOOD's: provenance must not mistake one post's requests for the other's."""


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example package installed by pip into a directory of its own (not this venv)."""
    where = tmp_path_factory.mktemp("plugin")
    source = where / "source"
    shutil.copytree(PACKAGE, source)  # setuptools writes its build files beside the source
    target = where / "site"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
    if importlib.util.find_spec("setuptools") and importlib.util.find_spec("wheel"):
        command.append("--no-build-isolation")  # offline: the backend is already here
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    result = subprocess.run([*command, str(source)], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(target.glob("archiver_example_platform-*.dist-info"))
    return target


@dataclass
class Archived:
    data: Path
    env: dict[str, str]
    world: World


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archiver.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def rows(data: Path, sql: str, *params: object) -> list[dict[str, object]]:
    conn = sqlite3.connect(data / "archive.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def river_road_world() -> World:
    world = World.sample()
    for post in (FLOOD, BRIDGE):
        world.example_posts[post.id] = post
    page = article_page(
        "River road closed",
        [para("The river rose overnight."), embed_markup(FLOOD), f'<p>Also: <a href="{BRIDGE.url}">the bridge</a>.</p>'],
    )
    world.add_page(ARTICLE, Page.html(page))
    return world


@pytest.fixture(scope="module")
def archived(
    fake_platform: FakePlatform, chromium_home: Path, plugin_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Archived]:
    world = fake_platform.world = river_road_world()
    data = tmp_path_factory.mktemp("example") / "captures"
    env = {**fake_platform.env(home=chromium_home), "PYTHONPATH": str(plugin_path)}
    result = cli(["--data", str(data), "archive", ARTICLE], env)
    assert result.returncode == 0, result.stderr
    yield Archived(data, env, world)


def test_without_the_package_archiver_knows_no_such_platform() -> None:
    assert "example" not in [p.name for p in platforms()]
    page = article_page("River road closed", [embed_markup(FLOOD)])
    assert [e for e in find_embeds(page, "text/html", ARTICLE) if e.platform == "example"] == []


def test_an_article_embedding_its_post_is_archived(archived: Archived) -> None:
    posts = {r["native_id"]: r for r in rows(archived.data, "SELECT * FROM posts")}
    assert set(posts) == {"130", "1300"}
    flood = posts["130"]
    assert (flood["platform"], flood["status"], flood["capture_complete"]) == ("example", "live", 1)
    assert (flood["url"], flood["author_handle"], flood["text"]) == (FLOOD.url, "ana", FLOOD.text)
    # The platform's own form: recorded without any change to the schema.
    forms = {r["native_id"]: r["form"] for r in rows(
        archived.data, "SELECT p.native_id, ap.form FROM article_posts ap JOIN posts p ON p.id = ap.post_id"
    )}
    assert forms == {"130": "exs_widget", "1300": "status_link"}
    kinds = sorted(r["kind"] for r in rows(archived.data, "SELECT kind FROM captures WHERE post_id = ?", flood["id"]))
    assert kinds == ["data", "photo", "screenshot"]
    shot = rows(archived.data, "SELECT * FROM captures WHERE post_id = ? AND kind = 'screenshot'", flood["id"])[0]
    assert shot["source_url"] == "https://example-social.net/embed/130"
    assert int(shot["width"]) >= 400  # the card (.exs-card), cropped


def test_provenance_names_only_the_requests_about_the_post(archived: Archived) -> None:
    result = cli(["--data", str(archived.data), "provenance", "--json", FLOOD.url], archived.env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["post"]["platform"] == "example" and document["post"]["native_id"] == "130"
    urls = {r["url"] for c in document["captures"] for r in c["requests"]}
    assert "https://api.example-social.net/v1/posts/130" in urls
    # Requests about post 1300 contain "130" too: they are not this post's.
    assert not [u for u in urls if "1300" in u]


def test_a_sweep_checks_it_with_its_own_verdict(archived: Archived) -> None:
    archived.world.example_posts["130"].status = "deleted"
    try:
        result = cli(["--data", str(archived.data), "sweep", "--all"], archived.env)
    finally:
        archived.world.example_posts["130"].status = "live"
    assert result.returncode == 0, result.stderr
    post = rows(archived.data, "SELECT * FROM posts WHERE native_id = '130'")[0]
    assert post["status"] == "deleted"
    events = rows(archived.data, "SELECT kind FROM events WHERE post_id = ?", post["id"])
    assert [e["kind"] for e in events] == ["deleted"]
    history = cli(["--data", str(archived.data), "history", "example:130"], archived.env)
    assert history.returncode == 0 and "check: deleted" in history.stdout


def test_without_the_package_a_sweep_leaves_its_posts_and_citations_alone(archived: Archived) -> None:
    env = {k: v for k, v in archived.env.items() if k != "PYTHONPATH"}
    before = rows(archived.data, "SELECT * FROM article_posts ORDER BY link")
    result = cli(["--data", str(archived.data), "sweep", "--all", "--json"], env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = json.loads(result.stdout)["errors"]
    assert sorted(errors) == sorted(f"{p.url}: platform 'example' is not installed" for p in (FLOOD, BRIDGE))
    after = rows(archived.data, "SELECT * FROM article_posts ORDER BY link")
    assert [r["removed_at"] for r in after] == [r["removed_at"] for r in before] == [None, None]


def test_its_post_is_exported_with_its_card(archived: Archived, tmp_path: Path) -> None:
    out = tmp_path / "river.wacz"
    result = cli(["--data", str(archived.data), "export", "--wacz", str(out), "--post", FLOOD.url], archived.env)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as wacz:
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode().splitlines()[1:]]
    cards = [p["url"] for p in pages if p["title"] == "embed card"]
    assert "https://example-social.net/embed/130" in cards


def test_its_post_has_a_page_in_archiver_serve(archived: Archived) -> None:
    post_id = rows(archived.data, "SELECT id FROM posts WHERE native_id = '130'")[0]["id"]
    port = free_port()
    env = {k: v for k, v in archived.env.items() if not k.upper().endswith("_PROXY")}
    server = subprocess.Popen(
        [sys.executable, "-m", "archiver.cli", "--data", str(archived.data), "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(trust_env=False, timeout=20) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    response = client.get(f"{base}/archive/posts/{post_id}")
                    if response.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, "archiver serve did not start"
                time.sleep(0.1)
        page = response.text
        assert FLOOD.text in page and "exs widget" in page and "example" in page  # its own form, as stored
        assert "Example Social" in page  # its source, in its own words
        assert "/-/archiver/blobs/" in page  # its screenshot and photo
    finally:
        server.terminate()
        server.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
