"""Finding the places in an article that cite a Telegram post (field guide §8.1–8.2, §0.2).

- the widget snippet: ``<script src="https://telegram.org/js/telegram-widget.js?22"
  data-telegram-post="channel/130">`` (any version), form ``script_widget``; the widget
  puts an iframe before its script, so a script right after the iframe it made is that
  same embed, not a second one;
- the iframe the widget makes, or a newsroom pastes: ``t.me/<channel>/<id>?embed=1``;
- links and pasted text: ``t.me/<channel>/<id>``, ``t.me/s/<channel>/<id>``,
  ``telegram.me/…``, ``telesco.pe/…``.

WordPress embed blocks, iframely and Embedly wrappers are unwrapped by the generic finder.
A link to a channel (``t.me/<channel>``) cites no post and is not found.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from ..base import IFRAME, POST_LINK, SCRIPT_WIDGET, FoundEmbed
from ..links import links_in_text
from ..walk import SKIP_TAGS, absolute, document_base, parse, walk
from . import ids

_MARKERS = ("t.me/", "telegram.me/", "telesco.pe/", "data-telegram-post")
_SKIP = SKIP_TAGS - {"script"}
"""Scripts are read here (the widget is one), each whole: their code is never page text."""


def find_in_text(text: str) -> list[FoundEmbed]:
    """Post URLs written in plain text, in order."""
    found: list[FoundEmbed] = []
    for link in links_in_text(text, ids.URL_IN_TEXT, _MARKERS):
        native_id = ids.post_id(link)
        if native_id is not None:
            found.append(FoundEmbed(ids.NAME, link, POST_LINK, native_id))
    return found


def _widget(node: LexborNode) -> list[FoundEmbed]:
    value = (node.attributes.get("data-telegram-post") or "").strip()
    native_id = ids.post_id(f"https://t.me/{value}") if value else None
    if native_id is None:
        return []
    before = node.prev
    while before is not None and before.tag == "-text" and not (before.text_content or "").strip():
        before = before.prev
    if before is not None and before.tag == "iframe":
        src = before.attributes.get("src") or ""
        if ids.post_id(src) == native_id:
            return []  # the iframe the widget put before its script: already found
    return [FoundEmbed(ids.NAME, f"https://t.me/{value}", SCRIPT_WIDGET, native_id)]


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
        if tag == "script":
            return _widget(node) if "data-telegram-post" in attributes else []
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

    return walk(tree.root, element, find_in_text, _SKIP)


__all__ = ["find_in_html", "find_in_text"]
