"""Facebook's URLs and embeds (field guide PLATFORMS_OTHER.md §6.1, §6.2).

A post's native id says what it is and keeps what Facebook needs to be asked about it
(its oEmbed and plugin pages take a URL, not an id):

- ``<owner>/posts/<id>``: a page's or person's post (``/<owner>/posts/<id>``,
  ``permalink.php?story_fbid=<id>&id=<owner>``, ``story.php?…``); the id is a number
  or a ``pfbid…``; the owner a page name (lower-cased) or a number;
- ``videos/<id>``: a video or reel (``/<owner>/videos/[<slug>/]<id>``, ``video.php?v=``,
  ``watch/?v=``, ``/reel/<id>``, ``video/embed?video_id=``);
- ``photos/<id>``: a photo (``photo.php?fbid=``, ``photo/?fbid=``, ``/<owner>/photos/…/<id>``);
- ``groups/<group>/posts/<id>``: a group post (``/groups/<g>/posts|permalink/<id>``).

Hosts: ``facebook.com`` with ``www.``, ``m.``, ``mbasic.``, ``web.``, ``touch.`` and
language subdomains (``de-de.``), ``fb.com``. ``plugins/post.php?href=`` and
``plugins/video.php?href=`` name the post in ``href``. ``fb.watch/<code>`` and
``/share/{p,v,r}/<code>`` lead to a post only once followed (anonymously they may land on
a login page). Share buttons (``sharer.php``), like buttons, page plugins and profiles name
no post.

Found in an article: the XFBML snippet (``div.fb-post`` / ``div.fb-video`` with
``data-href``, with or without its ``blockquote.fb-xfbml-parse-ignore``; a lone such
blockquote by its ``cite``), plugin iframes, ``amp-facebook`` (``data-href``), links and
pasted URLs.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborNode

from ..links import links_in_text
from ..base import AMP, BLOCKQUOTE, IFRAME, POST_LINK, SHORT_LINK, FoundEmbed
from ..walk import absolute, document_base, parse, text_of, walk

NAME = "facebook"
HOSTS: tuple[str, ...] = ("facebook.com", "fbcdn.net", "fb.watch", "fb.com", "facebook.net", "fbsbx.com")
"""Domain suffixes of Facebook's own hosts (its web, CDN, short and SDK hosts)."""
_ID = r"(pfbid[A-Za-z0-9]{8,80}|\d{5,25})"
_OWNER = r"([A-Za-z0-9.\-]{1,80})"
_PATHS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"^/groups/{_OWNER}/(?:permalink|posts)/{_ID}/?"), "groups/{0}/posts/{1}"),
    (re.compile(rf"^/{_OWNER}/posts/{_ID}/?"), "{0}/posts/{1}"),
    (re.compile(rf"^/{_OWNER}/videos/(?:[^/]+/)?{_ID}/?"), "videos/{1}"),
    (re.compile(rf"^/reel/{_ID}/?"), "videos/{0}"),
    (re.compile(rf"^/{_OWNER}/photos/(?:[^/]+/)?{_ID}/?"), "photos/{1}"),
)
_NOT_OWNERS = frozenset({"groups", "watch", "share", "plugins", "sharer", "dialog", "events", "photo", "video", "reel"})
_QUERY_PATHS = {
    "/permalink.php": "post", "/story.php": "post",
    "/video.php": "video", "/video/video.php": "video", "/watch": "video", "/watch/live": "video",
    "/video/embed": "video", "/photo.php": "photo", "/photo": "photo",
}
_SHARE_PATH = re.compile(r"^/share/(?:[pvr]/)?[A-Za-z0-9_-]{4,40}/?$")
_FB_WATCH_PATH = re.compile(r"^/[A-Za-z0-9_-]{4,40}/?$")
URL_IN_TEXT = re.compile(
    r"(?:https?:)?//(?:[a-z0-9-]+\.)?(?:facebook\.com|fb\.com|fb\.watch)/[^\s\"'<>\\)\]]+|"
    r"\b(?:(?:www|m)\.)?facebook\.com/[^\s\"'<>\\)\]]*/(?:posts|videos)/[^\s\"'<>\\)\]]+",
    re.IGNORECASE,
)
_MARKERS = ("facebook", "fb.watch", "fb.com")
_HTML_MARKERS = re.compile(
    r"fb-post|fb-video|fb-xfbml|amp-facebook|fb\.watch/|(?:facebook|fb)\.com(?:/|%2f)[^\s\"'<>]{0,200}?"
    r"(?:posts|videos|photos|permalink|story\.php|photo|video|watch|reel|share|groups)",
    re.IGNORECASE,
)
"""Something a page citing a post holds (share buttons and page links alone do not): a page
without it is not parsed."""


def _parts(url: str) -> tuple[str, str, str] | None:
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    elif "://" not in url and url.lower().startswith(("facebook.com/", "www.facebook.com/", "m.facebook.com/", "fb.watch/")):
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return (parts.hostname or "").lower(), parts.path, parts.query


def _web_host(host: str) -> bool:
    return host in ("facebook.com", "fb.com", "www.fb.com") or (
        host.endswith(".facebook.com") and host.count(".") == 2 and host != "graph.facebook.com"
        and not host.startswith(("l.", "lm.", "connect.", "developers.", "business.", "graph."))
    )


def post_id(url: str, _depth: int = 0) -> str | None:
    """The native id of the post a URL names, or None."""
    parts = _parts(url)
    if parts is None or not _web_host(parts[0]):
        return None
    _, path, query = parts
    values = parse_qs(query)

    def first(*names: str) -> str | None:
        for name in names:
            for value in values.get(name, []):
                if re.fullmatch(_ID, value.strip()):
                    return value.strip()
        return None

    bare = path.rstrip("/") or "/"
    if bare in ("/plugins/post.php", "/plugins/video.php") and _depth == 0:
        href = next(iter(values.get("href", [])), "")
        return post_id(href, 1) if href else None
    kind = _QUERY_PATHS.get(bare)
    if kind == "post":
        story, owner = first("story_fbid"), first("id")
        return f"{owner}/posts/{story}" if story and owner else None
    if kind == "video":
        video = first("v", "video_id", "id")
        return f"videos/{video}" if video else None
    if kind == "photo":
        photo = first("fbid")
        return f"photos/{photo}" if photo else None
    for pattern, template in _PATHS:
        m = pattern.match(path)
        if m is None:
            continue
        groups = m.groups()
        if template.startswith("{0}") and groups[0].lower() in _NOT_OWNERS:
            return None
        if template.startswith("{0}"):
            return template.format(groups[0].lower(), groups[1])
        return template.format(*groups)
    return None


def handle_from_url(url: str) -> str | None:
    parts = _parts(url)
    if parts is None or not _web_host(parts[0]):
        return None
    m = re.match(rf"^/{_OWNER}/(?:posts|videos|photos)/", parts[1])
    return m.group(1) if m and m.group(1).lower() not in _NOT_OWNERS else None


def owner_from_url(url: str) -> str | None:
    """The page or person a profile link names (``/<name>/``, ``profile.php?id=``), or None."""
    parts = _parts(url)
    if parts is None or not _web_host(parts[0]):
        return None
    if parts[1].rstrip("/") == "/profile.php":
        values = parse_qs(parts[2]).get("id", [])
        return values[0] if values and values[0].isdigit() else None
    segment = parts[1].strip("/").split("/", 1)[0]
    if not segment or segment.lower() in _NOT_OWNERS or segment.endswith(".php"):
        return None
    return segment if re.fullmatch(_OWNER, segment) else None


def short_link(url: str) -> str | None:
    """``url`` as an absolute URL when it is a link that leads to a post only once followed:
    ``fb.watch/<code>``, ``facebook.com/share/…``."""
    parts = _parts(url)
    if parts is None:
        return None
    host, path, _ = parts
    if host in ("fb.watch", "www.fb.watch") and _FB_WATCH_PATH.match(path):
        pass
    elif _web_host(host) and _SHARE_PATH.match(path):
        pass
    else:
        return None
    url = url.strip()
    return "https:" + url if url.startswith("//") else (url if "://" in url else "https://" + url)


def kind(native_id: str) -> str:
    """``post``, ``video``, ``photo`` or ``group``: what the native id names."""
    head = native_id.split("/", 1)[0]
    return {"videos": "video", "photos": "photo", "groups": "group"}.get(head, "post")


def number(native_id: str) -> str:
    """The post's own id (a number or ``pfbid…``), the last part of its native id."""
    return native_id.rsplit("/", 1)[-1]


def canonical_url(native_id: str) -> str:
    head, _, rest = native_id.partition("/")
    if head == "videos":
        return f"https://www.facebook.com/video.php?v={rest}"
    if head == "photos":
        return f"https://www.facebook.com/photo.php?fbid={rest}"
    if head == "groups":
        return f"https://www.facebook.com/{native_id}/"
    return f"https://www.facebook.com/{native_id}"


def plugin_id(url: str) -> str | None:
    """The post a plugin page (``plugins/post.php|video.php?href=``) shows."""
    parts = _parts(url)
    if parts is None or not _web_host(parts[0]) or parts[1].rstrip("/") not in ("/plugins/post.php", "/plugins/video.php"):
        return None
    return post_id(url)


def _embed(link: str | None, form: str, embed_text: str | None = None) -> FoundEmbed | None:
    if not link:
        return None
    native_id = post_id(link)
    if native_id is not None:
        return FoundEmbed(NAME, link, form, native_id, embed_text)
    short = short_link(link)
    if short is not None:
        return FoundEmbed(NAME, short, SHORT_LINK if form == POST_LINK else form, None, embed_text)
    return None


def find_in_text(text: str) -> list[FoundEmbed]:
    """Post URLs and short links written in plain text, in order."""
    embeds = (_embed(link, POST_LINK) for link in links_in_text(text, URL_IN_TEXT, _MARKERS))
    return [e for e in embeds if e is not None]


def _snippet(node: LexborNode, base: str) -> list[FoundEmbed]:
    """``div.fb-post`` / ``div.fb-video`` (``data-href``) or a lone ``blockquote.fb-xfbml-parse-ignore`` (``cite``)."""
    quote = node if node.tag == "blockquote" else node.css_first("blockquote")
    paragraph = quote.css_first("p") if quote is not None else None
    embed_text = text_of(paragraph) if paragraph is not None else None
    candidates = [node.attributes.get("data-href"), node.attributes.get("cite")]
    if quote is not None:
        candidates.append(quote.attributes.get("cite"))
        candidates.extend(a.attributes.get("href") for a in quote.css("a[href]"))
    for candidate in candidates:
        embed = _embed(absolute(candidate, base), BLOCKQUOTE, embed_text)
        if embed is not None:
            return [embed]
    return []


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
        classes = (attributes.get("class") or "").split()
        if ("fb-post" in classes or "fb-video" in classes) and attributes.get("data-href"):
            return _snippet(node, base)
        if tag == "blockquote" and "fb-xfbml-parse-ignore" in classes:
            return _snippet(node, base)
        if tag == "amp-facebook":
            if (attributes.get("data-embed-as") or "post").strip().lower() == "comment":
                return []
            embed = _embed(absolute(attributes.get("data-href"), base), AMP)
            return [embed] if embed is not None else []
        if tag == "iframe":
            src = absolute(attributes.get("src") or attributes.get("data-src"), base)
            native_id = plugin_id(src) or _video_embed(src) if src else None
            return [FoundEmbed(NAME, src, IFRAME, native_id)] if src and native_id else []
        if tag == "a":
            embed = _embed(absolute(attributes.get("href"), base), POST_LINK)
            if embed is not None:
                return [embed]
        return None

    return walk(tree.root, element, find_in_text)


def _video_embed(url: str) -> str | None:
    parts = _parts(url)
    if parts is None or parts[1].rstrip("/") != "/video/embed":
        return None
    return post_id(url)


__all__ = [
    "HOSTS", "NAME", "canonical_url", "find_in_html", "find_in_text", "handle_from_url", "kind", "number", "owner_from_url",
    "plugin_id", "post_id", "short_link",
]
