"""Where in a page an embed sits: the article's own content (``body``) or the page around it (``page``).

A page holds more than its article: navigation, sidebars ("latest tweets" widgets),
footers, comment sections, webmentions and referrer lists, teasers of other articles.
Posts there are not what the article says, so :func:`split` cuts a page in two — the
article with those parts taken out, and those parts alone — and the finder reads each.

Two things decide, together:

- **the main content**, located with trafilatura, a maintained main-content extractor:
  its text is matched back to the page's text nodes, and the main content is the deepest
  element holding nearly all of the matched text. When trafilatura finds nothing (a page
  of embeds and little prose), the page's own markup is asked: ``itemprop=articleBody``,
  a single ``<article>``, ``<main>``.
- **the markup of the parts around it**: a part is the page's when its tag, ARIA role,
  class or id says so (``<nav>``, ``<aside>``, ``<footer>``, ``role=complementary``,
  ``sidebar``, ``widget``, ``comments``, ``webmentions``, ``related``…) and it does not
  hold the main content (a wrapper named ``has-sidebar`` around the article is not a
  sidebar). Inside the main content only the marks of other people's content count
  (comments, webmentions, referrers, related articles): an ``<aside>`` or a widget of a
  page builder inside an article is the article's.

When unsure, a part stays in the article: a missed citation is worse than an extra one.
Nothing outside the main content is called ``page`` unless its markup says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

_SPACE = re.compile(r"\s+")
_WORD_SPLIT = re.compile(r"[-_\s:]+|(?<=[a-z])(?=[A-Z])")

_MIN_TEXT = 25
"""Shortest text node matched against the extracted main content: shorter ones ("Share",
"Read more") occur anywhere."""
_MIN_MATCHED = 200
"""Characters of matched text below which the extractor is not believed."""
_SHARE = 0.8
"""The main content is the deepest element holding this share of the matched text."""

# Marks of other people's content or of other articles: the page's even inside the main content.
_FOREIGN_WORDS = frozenset(
    {
        "comment", "comments", "commentlist", "commentlists", "disqus", "webmention", "webmentions",
        "mentions", "backlinks", "pingback", "pingbacks", "trackback", "trackbacks", "referer",
        "referers", "referrer", "referrers", "refererlist", "referrerlist", "related", "relatedposts",
        "recirc", "recirculation", "outbrain", "taboola", "recommended", "recommendations",
        "trending", "mostread", "mostpopular",
    }
)
# Marks of the page's furniture: the page's outside the main content.
_FURNITURE_WORDS = frozenset(
    {
        "sidebar", "sidebars", "widget", "widgets", "nav", "navbar", "navigation", "menu",
        "footer", "breadcrumb", "breadcrumbs", "masthead", "promo", "teaser", "teasers",
        "popular",
    }
)
_FURNITURE_TAGS = frozenset({"nav", "aside", "footer"})
_FURNITURE_ROLES = frozenset({"complementary", "navigation", "contentinfo", "banner"})
# Class names that name an embed, not a part of the page: "twitter-widget", "embed-related".
_EMBED_WORDS = frozenset(
    {"embed", "embedded", "tweet", "twitter", "instagram", "facebook", "youtube", "tiktok", "social", "oembed"}
)
_FOREIGN, _FURNITURE = 2, 1


@dataclass
class Split:
    """A page cut in two: the article (``body``) and the parts around it (``page``), as markup."""

    body: str
    page: str


def split(html: str) -> Split | None:
    """The page cut into its article and the parts around it; None when nothing is the page's."""
    tree = LexborHTMLParser(html)
    body = tree.body
    if body is None:
        return None
    main = main_content(tree, html)
    if main is None:
        return None
    regions = page_regions(body, main)
    if not regions:
        return None
    head = tree.head
    page = "".join(node.html or "" for node in regions)
    for node in regions:
        node.decompose()
    return Split(body=tree.html or html, page=f"<html>{head.html if head is not None else ''}<body>{page}</body></html>")


def main_content(tree: LexborHTMLParser, html: str) -> LexborNode | None:
    """The element holding the article's own content, or None when it cannot be told."""
    body = tree.body
    if body is None:
        return None
    return _extracted_main(body, html) or _marked_main(tree)


def _extracted_main(body: LexborNode, html: str) -> LexborNode | None:
    text = _extract(html)
    if not text or len(text) < _MIN_MATCHED:
        return None
    hay = _SPACE.sub(" ", text)
    weights: dict[int, int] = {}
    total = 0
    for node in body.traverse(include_text=True):
        if node.tag != "-text":
            continue
        value = _SPACE.sub(" ", node.text_content or "").strip()
        if len(value) < _MIN_TEXT or value not in hay:
            continue
        total += len(value)
        parent = node.parent
        while parent is not None:
            weights[parent.mem_id] = weights.get(parent.mem_id, 0) + len(value)
            parent = parent.parent
    if total < _MIN_MATCHED:
        return None
    node = body
    while True:
        child = next((c for c in node.iter() if weights.get(c.mem_id, 0) >= _SHARE * total), None)
        if child is None:
            return node
        node = child


def _extract(html: str) -> str | None:
    import trafilatura

    try:
        return trafilatura.extract(
            html, include_comments=False, include_tables=True, include_links=False, deduplicate=False
        )
    except Exception:  # noqa: BLE001 - a page the extractor cannot read is located by its markup
        return None


def _marked_main(tree: LexborHTMLParser) -> LexborNode | None:
    for selector in ("[itemprop=articleBody]", "article", "main, [role=main]"):
        nodes = tree.css(selector)
        if len(nodes) == 1:
            return nodes[0]
    return None


def _words(node: LexborNode) -> set[str]:
    attributes = node.attributes
    words: set[str] = set()
    for value in (attributes.get("class"), attributes.get("id")):
        for name in (value or "").split():
            if name.startswith("js-"):
                continue  # a script's hook, not a name for what the element is
            parts = {w.lower() for w in _WORD_SPLIT.split(name) if w}
            if parts & _EMBED_WORDS:
                continue
            words |= parts
    return words


def _mark(node: LexborNode) -> int:
    """_FOREIGN, _FURNITURE or 0: what the element's own markup says it is."""
    words = _words(node)
    if words & _FOREIGN_WORDS:
        return _FOREIGN
    if node.tag in _FURNITURE_TAGS or (node.attributes.get("role") or "").strip().lower() in _FURNITURE_ROLES:
        return _FURNITURE
    return _FURNITURE if words & _FURNITURE_WORDS else 0


def page_regions(body: LexborNode, main: LexborNode) -> list[LexborNode]:
    """The outermost elements that are the page's, in document order."""
    holds_main: set[int] = set()
    node: LexborNode | None = main
    while node is not None:
        holds_main.add(node.mem_id)
        node = node.parent
    regions: list[LexborNode] = []
    # A main content that is the whole body (the extractor could not narrow it down) holds everything.
    whole = body.mem_id == main.mem_id
    stack: list[tuple[LexborNode, bool]] = [(child, whole) for child in reversed(list(body.iter()))]
    while stack:
        node, inside_main = stack.pop()
        if node.mem_id in holds_main:
            inside_main = node.mem_id == main.mem_id
        else:
            mark = _mark(node)
            if mark == _FOREIGN or (mark == _FURNITURE and not inside_main):
                regions.append(node)
                continue
        stack.extend((child, inside_main) for child in reversed(list(node.iter())))
    return regions


__all__ = ["Split", "main_content", "page_regions", "split"]
