"""Finding the places in an article that cite a Bluesky post (field guide §1.1–1.2, §0.2).

- the official snippet of every vintage: ``blockquote.bluesky-embed[data-bluesky-uri]``
  (embed.bsky.app's own, and oEmbed's, which lacks the colour mode), and any element
  with ``data-bluesky-uri`` (what ``embed.js`` reads); a stripped snippet without the
  attribute is read from its post link;
- the card ``embed.js`` left in the page: ``iframe[src^="https://embed.bsky.app/embed/…"]``,
  and such iframes pasted by forum software;
- links and pasted text: ``bsky.app/profile/<handle or DID>/post/<rkey>``, ``at://`` URIs,
  embed-page URLs.

WordPress embed blocks not yet rendered are unwrapped by the generic finder; rendered,
they hold the blockquote read here. A link that names the author by handle has no id
until the handle is resolved (``api.identify``).
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from ..base import BLOCKQUOTE, IFRAME, POST_LINK, FoundEmbed, Form
from ..walk import absolute, document_base, parse, text_of, walk
from . import ids

PLATFORM_NAME = "bluesky"
_MARKERS = ("bsky", "at://")
_TEXT_PATTERNS = (ids.WEB_URL_IN_TEXT, ids.AT_URI_IN_TEXT, ids.EMBED_URL_IN_TEXT)


def _embed(link: str, form: Form, embed_text: str | None = None) -> FoundEmbed | None:
    name = ids.parse(link)
    if name is None:
        return None
    return FoundEmbed(PLATFORM_NAME, link, form, name.native_id, embed_text)


def find_in_text(text: str) -> list[FoundEmbed]:
    """Post URLs and AT-URIs written in plain text, in order."""
    if not any(marker in text.lower() for marker in _MARKERS):
        return []
    hits: list[tuple[int, str]] = []
    for pattern in _TEXT_PATTERNS:
        hits.extend((m.start(), m.group(0)) for m in pattern.finditer(text))
    found: list[FoundEmbed] = []
    for _, link in sorted(hits):
        if "://" not in link:
            link = "https://" + link
        embed = _embed(link, POST_LINK)
        if embed is not None:
            found.append(embed)
    return found


def _post_links(node: LexborNode, base_url: str) -> list[str]:
    links = []
    for a in node.css("a[href]"):
        url = absolute(a.attributes.get("href"), base_url)
        if url and ids.parse(url) is not None:
            links.append(url)
    return links


def _snippet(node: LexborNode, base_url: str) -> list[FoundEmbed]:
    uri = (node.attributes.get("data-bluesky-uri") or "").strip()
    paragraph = node.css_first("p")
    embed_text = text_of(paragraph) if paragraph is not None else None
    embed = _embed(uri, BLOCKQUOTE, embed_text) if uri else None
    if embed is None:
        # A stripped snippet: the post link (the date) is the last link to a post.
        links = _post_links(node, base_url)
        embed = _embed(links[-1], BLOCKQUOTE, embed_text) if links else None
    return [embed] if embed is not None else []


def find_in_html(html: str, base_url: str) -> list[FoundEmbed]:
    low = html.lower()
    if not any(marker in low for marker in _MARKERS):
        return []
    tree = parse(html)
    if tree is None or tree.root is None:
        return []
    base = document_base(tree, base_url)

    def element(node: LexborNode) -> list[FoundEmbed] | None:
        tag = node.tag
        attributes = node.attributes
        classes = (attributes.get("class") or "").split()
        if "data-bluesky-uri" in attributes or (tag == "blockquote" and "bluesky-embed" in classes):
            return _snippet(node, base)
        if tag == "iframe":
            src = absolute(attributes.get("src") or attributes.get("data-src"), base)
            embed = _embed(src, IFRAME) if src else None
            return [embed] if embed is not None else []
        if tag == "a":
            url = absolute(attributes.get("href"), base)
            embed = _embed(url, POST_LINK) if url else None
            if embed is not None:
                return [embed]
        return None

    return walk(tree.root, element, find_in_text)


__all__ = ["find_in_html", "find_in_text"]
