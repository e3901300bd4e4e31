"""A fake Twitter/X (plus news sites) on loopback, reached through a TLS-intercepting proxy.

The archiver runs unmodified: the only seams are settings a real user also has, an HTTP
proxy (``HTTPS_PROXY``), a CA bundle (``SSL_CERT_FILE``) and Chromium's NSS database.
Behaviour follows /work/shared/PLATFORM_FACTS.md; see ``sample.py`` for the default world
and ``world.py`` for how to change it (posts, links, pages, media, faults).

    from tests.fakeplatform import FakePlatform, World
    with FakePlatform(World.sample()) as fp:
        ...  # fp.proxy_url, fp.ca_pem_path, fp.requests, fp.write_nssdb(home)
"""

from .server import FakePlatform
from .world import BombAsset, BytesAsset, ImageAsset, Media, Page, Post, User, VideoAsset, World, snowflake

__all__ = [
    "BombAsset",
    "BytesAsset",
    "FakePlatform",
    "ImageAsset",
    "Media",
    "Page",
    "Post",
    "User",
    "VideoAsset",
    "World",
    "snowflake",
]
