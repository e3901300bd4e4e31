"""Finding the places in an article that cite a Threads post (field guide §7.1, §0.2).

- the official snippet: ``blockquote.text-post-media[data-text-post-permalink]`` (any
  element with that attribute: what ``embed.js`` reads), on threads.com or threads.net;
  a stripped snippet is read from its ``id="ig-tp-<code>"`` or its post link;
- the iframe ``embed.js`` leaves: ``<permalink>/embed``;
- links and pasted text: ``threads.com/@<user>/post/<code>``, ``threads.com/t/<code>``
  and their ``threads.net`` forms.

iframely (the Vox-style ``a[data-iframely-url]``), Embedly and WordPress embed blocks are
unwrapped by the generic finder.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from ..base import BLOCKQUOTE, IFRAME, POST_LINK, FoundEmbed
from ..links import links_in_text
from ..walk import absolute, document_base, parse, text_of, walk
from . import ids

_MARKERS = ("threads.net", "threads.com", "text-post-media", "data-text-post-permalink")


def find_in_text(text: str) -> list[FoundEmbed]:
    """Post URLs written in plain text, in order."""
    found: list[FoundEmbed] = []
    for link in links_in_text(text, ids.URL_IN_TEXT, ("threads.net/", "threads.com/")):
        native_id = ids.post_id(link)
        if native_id is not None:
            found.append(FoundEmbed(ids.NAME, link, IFRAME if ids.is_embed_page(link) else POST_LINK, native_id))
    return found


def _snippet(node: LexborNode, base_url: str) -> list[FoundEmbed]:
    permalink = absolute(node.attributes.get("data-text-post-permalink"), base_url)
    links: list[str | None] = [permalink]
    links += [absolute(a.attributes.get("href"), base_url) for a in node.css("a[href]")]
    embed_text = text_of(node)
    for link in links:
        native_id = ids.post_id(link) if link else None
        if link and native_id:
            return [FoundEmbed(ids.NAME, link, BLOCKQUOTE, native_id, embed_text)]
    element_id = (node.attributes.get("id") or "").strip()
    if element_id.startswith("ig-tp-") and ids.post_id(f"https://www.threads.com/t/{element_id[6:]}"):
        code = element_id[6:]
        return [FoundEmbed(ids.NAME, ids.canonical_url(code, None), BLOCKQUOTE, code, embed_text)]
    return []


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
        if "data-text-post-permalink" in attributes or (tag == "blockquote" and "text-post-media" in classes):
            return _snippet(node, base)
        if tag == "iframe":
            src = absolute(attributes.get("src") or attributes.get("data-src"), base)
            native_id = ids.post_id(src) if src else None
            return [FoundEmbed(ids.NAME, src, IFRAME, native_id)] if src and native_id else []
        if tag == "a":
            url = absolute(attributes.get("href"), base)
            native_id = ids.post_id(url) if url else None
            if url and native_id:
                return [FoundEmbed(ids.NAME, url, POST_LINK, native_id)]
        return None

    return walk(tree.root, element, find_in_text)


__all__ = ["find_in_html", "find_in_text"]
