"""archiver: keep the posts that news articles embed.

Everything the command line does is callable from here::

    from archiver import Settings, archive
    summary = archive(["https://example.com/article"], Settings(data_dir=Path("captures")))
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Settings
    from .pipeline import Summary, archive

__all__ = ["Settings", "Summary", "__version__", "archive"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `archiver --help` does not import httpx or Playwright.
    if name == "Settings":
        from .config import Settings

        return Settings
    if name in ("archive", "Summary"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
