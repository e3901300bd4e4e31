"""Instagram's URLs and embeds (field guide PLATFORMS_OTHER.md §4.1, §4.2).

A post is named by its shortcode (``[A-Za-z0-9_-]``; a private post's is 28 characters
longer), in ``/p/<code>/``, ``/reel/<code>/``, ``/reels/<code>/`` and ``/tv/<code>/`` on
``instagram.com`` (with or without ``www.``, ``m.``, a ``/<username>`` prefix) and the
short host ``instagr.am``; its embed page is ``/p/<code>/embed/`` (``/embed/captioned/``).
``/share/…`` links lead to a post only once followed. Profiles, stories, tags, reel audio
and the explore pages name no post.

Found in an article: the official blockquote of every vintage
(``blockquote.instagram-media``, its permalink in ``data-instgrm-permalink`` or, stripped
or older, in its first post link), the iframe ``embed.js`` leaves
(``iframe.instagram-media-rendered``) and pasted embed iframes, ``amp-instagram``
(``data-shortcode``, older ``shortcode``), links and pasted URLs. WordPress, iframely and
Embedly wrappers are unwrapped by the generic finder.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from selectolax.lexbor import LexborNode

from ..links import links_in_text
from ..base import AMP, BLOCKQUOTE, IFRAME, POST_LINK, SHORT_LINK, FoundEmbed
from ..walk import absolute, document_base, parse, text_of, walk

NAME = "instagram"
HOSTS: tuple[str, ...] = ("instagram.com", "cdninstagram.com", "instagr.am")
"""Domain suffixes of Instagram's own hosts (its web, CDN and short hosts)."""
_WEB_HOSTS = frozenset({"instagram.com", "www.instagram.com", "m.instagram.com", "instagr.am", "www.instagr.am"})
SHORTCODE = re.compile(r"^[A-Za-z0-9_-]{4,80}$")
_POST_PATH = re.compile(
    r"^/(?:([A-Za-z0-9._]{1,30})/)?(?:p|tv|reels?)/([A-Za-z0-9_-]{4,80})(?:/(embed(?:/captioned)?/?)?.*)?$"
)
_NOT_USERS = frozenset({"p", "tv", "reel", "reels", "explore", "accounts", "stories", "share", "about", "developer"})
_SHARE_PATH = re.compile(r"^/share/(?:(?:p|reel|v|r)/)?[A-Za-z0-9_-]{4,40}/?$")
URL_IN_TEXT = re.compile(
    r"(?:https?:)?//(?:(?:www|m)\.)?(?:instagram\.com|instagr\.am)/[^\s\"'<>\\)\]]+|"
    r"\b(?:www\.)?(?:instagram\.com|instagr\.am)/(?:p|tv|reels?)/[A-Za-z0-9_-]{4,80}/?",
    re.IGNORECASE,
)
_MARKERS = ("instagram", "instagr.am")
_HTML_MARKERS = re.compile(
    r"instagram-media|amp-instagram|instagr\.am/|instagram\.com(?:/|%2f)(?:[\w.]+(?:/|%2f))?(?:p|tv|reels?|share)(?:/|%2f)",
    re.IGNORECASE,
)
"""Something a page citing a post holds (profile links alone do not): a page without it is not parsed."""


def _parts(url: str) -> tuple[str, str] | None:
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    elif "://" not in url and url.lower().startswith(("instagram.com/", "www.instagram.com/", "instagr.am/")):
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return (parts.hostname or "").lower(), parts.path


def _match(url: str) -> re.Match[str] | None:
    parts = _parts(url)
    if parts is None or parts[0] not in _WEB_HOSTS:
        return None
    m = _POST_PATH.match(parts[1])
    if m is None or (m.group(1) or "").lower() in _NOT_USERS:
        return None
    if parts[1].startswith("/reels/audio/"):
        return None
    return m


def shortcode(url: str) -> str | None:
    """The post a URL names (its shortcode), or None."""
    m = _match(url)
    return m.group(2) if m else None


def handle_from_url(url: str) -> str | None:
    m = _match(url)
    return m.group(1) if m and m.group(1) else None


def embed_code(url: str) -> str | None:
    """The post an embed page (``/p/<code>/embed/…``) shows."""
    m = _match(url)
    return m.group(2) if m and m.group(3) else None


def share_link(url: str) -> str | None:
    """``url`` as an absolute URL when it is a share link, which leads to a post once followed."""
    parts = _parts(url)
    if parts is None or parts[0] not in _WEB_HOSTS or not _SHARE_PATH.match(parts[1]):
        return None
    url = url.strip()
    return "https:" + url if url.startswith("//") else (url if "://" in url else "https://" + url)


def canonical_url(code: str) -> str:
    return f"https://www.instagram.com/p/{code}/"


def _embed(link: str | None, form: str, embed_text: str | None = None) -> FoundEmbed | None:
    if not link:
        return None
    code = shortcode(link)
    if code is not None:
        return FoundEmbed(NAME, link, form, code, embed_text)
    shared = share_link(link)
    if shared is not None:
        return FoundEmbed(NAME, shared, SHORT_LINK if form == POST_LINK else form, None, embed_text)
    return None


def find_in_text(text: str) -> list[FoundEmbed]:
    """Post URLs and share links written in plain text, in order."""
    embeds = (_embed(link, POST_LINK) for link in links_in_text(text, URL_IN_TEXT, _MARKERS))
    return [e for e in embeds if e is not None]


def _blockquote(node: LexborNode, base: str) -> list[FoundEmbed]:
    permalink = absolute(node.attributes.get("data-instgrm-permalink"), base)
    caption = node.css_first("p")
    embed_text = text_of(caption) if caption is not None else None
    embed = _embed(permalink, BLOCKQUOTE, embed_text)
    if embed is None:
        for a in node.css("a[href]"):
            embed = _embed(absolute(a.attributes.get("href"), base), BLOCKQUOTE, embed_text)
            if embed is not None:
                break
    return [embed] if embed is not None else []


def find_in_html(html: str, base_url: str) -> list[FoundEmbed]:
    if _HTML_MARKERS.search(html) is None:
        return []
    tree = parse(html)
    if tree is None or tree.root is None:
        return []
    base = document_base(tree, base_url)

    def element(node: LexborNode) -> list[FoundEmbed] | None:
        tag = node.tag or ""
        attributes = node.attributes
        if tag == "blockquote" and "instagram-media" in (attributes.get("class") or "").split():
            return _blockquote(node, base)
        if tag == "amp-instagram":
            value = (attributes.get("data-shortcode") or attributes.get("shortcode") or "").strip()
            if SHORTCODE.match(value):
                return [FoundEmbed(NAME, canonical_url(value), AMP, value)]
            return []
        if tag == "iframe":
            src = absolute(attributes.get("src") or attributes.get("data-src"), base)
            framed = embed_code(src) if src else None
            return [FoundEmbed(NAME, src, IFRAME, framed)] if src and framed else []
        if tag == "a":
            embed = _embed(absolute(attributes.get("href"), base), POST_LINK)
            if embed is not None:
                return [embed]
        return None

    return walk(tree.root, element, find_in_text)


__all__ = [
    "HOSTS", "NAME", "URL_IN_TEXT", "canonical_url", "embed_code", "find_in_html", "find_in_text", "handle_from_url",
    "share_link", "shortcode",
]
