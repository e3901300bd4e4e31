"""Reddit's URLs and embeds (field guide PLATFORMS_OTHER.md §9.1, §9.2).

A post's id is base 36 (``t3_<id>`` is its fullname). A comment is a post of its own here,
named ``<post id>/<comment id>``: the comment's permalink, its JSON and its embed page all
need the post's id, and every URL that names a comment names its post too.

Named by ``/r/<sub>/comments/<id>[/<slug>[/<comment id>]]``, ``…/comments/<id>/comment/<cid>``
(the newer comment permalink), ``/user/<u>/comments/<id>`` and ``/u/<u>/…`` (posts on a
profile), ``/comments/<id>``, ``/gallery/<id>`` on any ``reddit.com`` host (``www``,
``old``, ``new``, ``np``, ``m``, ``sh``, ``embed``…) and ``redditmedia.com``, and by
``redd.it/<id>``, which is the post id itself. Share links (``/r/<sub>/s/<code>``,
``/u/<user>/s/<code>``) lead to a post only once followed, hop by hop.
"""

from __future__ import annotations

import html as html_module
import re
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborNode

from ..base import AMP, BLOCKQUOTE, IFRAME, POST_LINK, SHORT_LINK, FoundEmbed
from ..walk import absolute, document_base, parse, text_of, walk

NAME = "reddit"
HOSTS: tuple[str, ...] = ("reddit.com", "redd.it", "redditmedia.com", "redditstatic.com")
"""Domain suffixes of Reddit's own hosts (pages, API, embeds, scripts, media)."""
_ID = re.compile(r"^[0-9a-z]{1,13}$")
_SHORT_HOSTS = ("redd.it", "www.redd.it")
_NOT_POSTS = ("out.reddit.com",)  # Reddit's click redirector: its target is read by the generic finder
_SNIPPETS = ("reddit-embed-bq", "reddit-card", "reddit-embed")
URL_IN_TEXT = re.compile(
    r"(?<![\w.@/-])(?:(?:https?:)?//)?(?:[a-z0-9-]+\.)*(?:reddit\.com|redd\.it|redditmedia\.com)/[^\s\"'<>\\)\]]+",
    re.IGNORECASE,
)


def _parts(url: str) -> tuple[str, list[str], str] | None:
    """(host, path segments, query) of an http(s) URL, written with or without a scheme."""
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    elif "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return (parts.hostname or "").lower(), [s for s in parts.path.split("/") if s], parts.query


def _reddit_host(host: str) -> bool:
    if host in _NOT_POSTS:
        return False
    return host in ("reddit.com", "redditmedia.com") or host.endswith((".reddit.com", ".redditmedia.com"))


def _id(segment: str) -> str | None:
    segment = segment.lower().removesuffix(".json")
    return segment if _ID.match(segment) else None


def post_id(url: str) -> str | None:
    """The post (``<id>``) or comment (``<id>/<comment id>``) a URL names, or None."""
    parts = _parts(url)
    if parts is None:
        return None
    host, segments, _ = parts
    if host in _SHORT_HOSTS:
        return _id(segments[0]) if len(segments) == 1 else None
    if not _reddit_host(host):
        return None
    if len(segments) >= 2 and segments[0].lower() in ("r", "u", "user"):
        segments = segments[2:]
    if len(segments) >= 2 and segments[0].lower() == "gallery":
        return _id(segments[1])
    if len(segments) < 2 or segments[0].lower() != "comments":
        return None
    post = _id(segments[1])
    if post is None:
        return None
    rest = segments[2:]
    comment = None
    if len(rest) >= 2 and rest[0].lower() == "comment":
        comment = _id(rest[1])  # /comments/<id>/comment/<cid>/
    elif len(rest) >= 3 and rest[1].lower() == "comment":
        comment = _id(rest[2])  # /comments/<id>/<slug>/comment/<cid>/
    elif len(rest) >= 2 and rest[1].lower() != ".json":
        comment = _id(rest[1])  # /comments/<id>/<slug>/<cid>/
    return f"{post}/{comment}" if comment else post


def split_id(native_id: str) -> tuple[str, str | None]:
    """(post id, comment id or None) of a native id."""
    post, _, comment = native_id.partition("/")
    return post, comment or None


def share_link(url: str) -> str | None:
    """``url`` as an absolute URL when it is a share link (``/r/<sub>/s/<code>``), which
    leads to a post only once followed."""
    parts = _parts(url)
    if parts is None:
        return None
    host, segments, _ = parts
    if not _reddit_host(host) or len(segments) != 4:
        return None
    if segments[0].lower() not in ("r", "u", "user") or segments[2] != "s" or not segments[3].isalnum():
        return None
    url = url.strip()
    return "https:" + url if url.startswith("//") else (url if "://" in url else "https://" + url)


def handle_from_url(url: str) -> str | None:
    """The author a profile post's URL names (``/user/<u>/comments/…``)."""
    parts = _parts(url)
    if parts is None or not _reddit_host(parts[0]):
        return None
    segments = parts[1]
    if len(segments) >= 3 and segments[0].lower() in ("u", "user") and segments[2].lower() == "comments":
        return segments[1]
    return None


def canonical_url(native_id: str) -> str:
    post, comment = split_id(native_id)
    if comment:
        return f"https://www.reddit.com/comments/{post}/comment/{comment}/"
    return f"https://www.reddit.com/comments/{post}/"


def embed_id(url: str) -> str | None:
    """The post or comment an embed page (``embed.reddit.com``, ``redditmedia.com``) shows."""
    parts = _parts(url)
    if parts is None:
        return None
    host = parts[0]
    if host != "embed.reddit.com" and host not in ("redditmedia.com", "www.redditmedia.com"):
        return None
    return post_id(url)


def names_post(url: str, native_id: str) -> bool:
    if post_id(url) == native_id:
        return True
    parts = _parts(url)
    if parts is None:
        return False
    return any(post_id(u) == native_id for u in parse_qs(parts[2]).get("url", []))


# --------------------------------------------------------------------------- finding


def _link_embed(link: str, form: str) -> FoundEmbed | None:
    native_id = post_id(link)
    if native_id is not None:
        host = (_parts(link) or ("",))[0]
        return FoundEmbed(NAME, link, SHORT_LINK if host in _SHORT_HOSTS and form == POST_LINK else form, native_id)
    share = share_link(link)
    if share is not None:
        return FoundEmbed(NAME, share, SHORT_LINK)
    return None


def _classes(node: LexborNode) -> set[str]:
    return set((node.attributes.get("class") or "").split())


def _snippet(node: LexborNode, base: str) -> list[FoundEmbed]:
    """A snippet of any vintage: its first link that names a post or comment (a comment's
    snippet links the comment first, then the discussion it is in)."""
    for anchor in node.css("a[href]"):
        link = absolute(anchor.attributes.get("href"), base)
        embed = _link_embed(link, BLOCKQUOTE) if link else None
        if embed is not None:
            embed.form = BLOCKQUOTE
            embed.embed_text = text_of(node)
            return [embed]
    return []


def find_in_html(page: str, base_url: str) -> list[FoundEmbed]:
    """Snippets (``blockquote.reddit-embed-bq``, ``blockquote.reddit-card``,
    ``div.reddit-embed``), ``amp-reddit``, embed iframes (``embed.reddit.com``,
    ``redditmedia.com``), links and bare URLs (share links too, resolved later)."""
    low = page.lower()
    if "reddit" not in low and "redd.it" not in low:
        return []
    tree = parse(page)
    if tree is None or tree.body is None:
        return []
    base = document_base(tree, base_url)

    def element(node: LexborNode) -> list[FoundEmbed] | None:
        tag = node.tag or ""
        if tag in ("blockquote", "div") and _classes(node) & set(_SNIPPETS):
            if tag == "div" and "reddit-embed" not in _classes(node):
                return None
            return _snippet(node, base)
        if tag == "amp-reddit":
            link = absolute(node.attributes.get("data-src"), base)
            embed = _link_embed(link, AMP) if link else None
            return [embed] if embed else []
        if tag == "iframe":
            for name in ("src", "data-src", "data-lazy-src"):
                link = absolute(node.attributes.get(name), base)
                native_id = post_id(link) if link else None
                if link and native_id:
                    return [FoundEmbed(NAME, html_module.unescape(link), IFRAME, native_id)]
            return []
        if tag == "a":
            link = absolute(node.attributes.get("href"), base)
            embed = _link_embed(link, POST_LINK) if link else None
            return [embed] if embed else None
        return None

    return _unique(walk(tree.body, element, find_in_text))


def find_in_text(text: str) -> list[FoundEmbed]:
    found: list[FoundEmbed] = []
    for m in URL_IN_TEXT.finditer(text):
        link = html_module.unescape(m.group(0)).rstrip(".,;:!?")
        if link.startswith("//"):
            link = "https:" + link
        elif "://" not in link:
            link = "https://" + link
        embed = _link_embed(link, POST_LINK)
        if embed is not None:
            found.append(embed)
    return _unique(found)


def _unique(found: list[FoundEmbed]) -> list[FoundEmbed]:
    """One embed per post and form, and per unresolved link (a link and its text)."""
    seen: set[tuple[str, str]] = set()
    kept: list[FoundEmbed] = []
    for embed in found:
        key = (embed.form, embed.native_id or embed.link)
        if key not in seen:
            seen.add(key)
            kept.append(embed)
    return kept
