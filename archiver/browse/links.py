"""URLs of the browsing pages and files, on whatever base path Datasette is served."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from archiver.browse.metadata import DATABASE

ROUTE = "/-/archiver/"
"""Files are served under /-/archiver/blobs/…; evidence bundles under /-/archiver/evidence/…;
regions of page screenshots under /-/archiver/region/…"""


@dataclass(frozen=True)
class Links:
    datasette: Any

    def file(self, path: str, name: str | None = None) -> str:
        url: str = self.datasette.urls.path(ROUTE + path)
        return f"{url}?{urlencode({'name': name})}" if name else url

    def row(self, table: str, pk: object) -> str:
        url: str = self.datasette.urls.row(DATABASE, table, quote(str(pk), safe=""))
        return url

    def post(self, post_id: object) -> str:
        return self.row("posts", post_id)

    def article(self, article_id: object) -> str:
        return self.row("articles", article_id)

    def table(self, table: str, **args: object) -> str:
        url: str = self.datasette.urls.table(DATABASE, table)
        return f"{url}?{urlencode(args)}" if args else url

    def query(self, name: str, **args: object) -> str:
        url: str = self.datasette.urls.query(DATABASE, name)
        return f"{url}?{urlencode(args)}" if args else url

    def region(self, region_id: object) -> str:
        """The crop of an article's page screenshot where a citation sits (an ``embed_regions`` row)."""
        url: str = self.datasette.urls.path(f"{ROUTE}region/{region_id}.png")
        return url

    def evidence(self, owner: str, owner_id: object) -> str:
        url: str = self.datasette.urls.path(f"{ROUTE}evidence/{owner}/{owner_id}.wacz")
        return url
