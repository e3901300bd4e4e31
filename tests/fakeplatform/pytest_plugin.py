"""Pytest fixtures for the fake platform. Import them into a conftest.py:

    from tests.fakeplatform.pytest_plugin import chromium_home, fake_http, fake_platform, fake_world  # noqa: F401

- ``fake_platform`` (session): one running FakePlatform for the whole run.
- ``fake_world`` (function): a fresh ``World.sample()`` installed on it, request log
  cleared and latency reset, so each test may mutate its world freely.
- ``chromium_home`` (session): a HOME whose NSS db trusts the test CA.
- ``fake_http``: an httpx.Client going through the proxy, trusting the CA.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .server import FakePlatform
from .world import World


@pytest.fixture(scope="session")
def fake_platform() -> Iterator[FakePlatform]:
    with FakePlatform(World.sample()) as fp:
        yield fp


@pytest.fixture
def fake_world(fake_platform: FakePlatform) -> World:
    world = World.sample()
    fake_platform.world = world
    fake_platform.latency = 0.0
    fake_platform.clear_requests()
    return world


@pytest.fixture(scope="session")
def chromium_home(fake_platform: FakePlatform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("chromium-home")
    fake_platform.write_nssdb(home)
    return home


@pytest.fixture
def fake_http(fake_platform: FakePlatform, fake_world: World) -> Iterator[httpx.Client]:
    with httpx.Client(
        proxy=fake_platform.proxy_url,
        verify=fake_platform.ssl_context(),
        headers={"User-Agent": "archiver-tests/1.0"},
        timeout=10,
    ) as client:
        yield client
