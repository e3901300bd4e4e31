"""Finding the posts an article cites: wrappers unwrapped once, then every platform reads it.

What hides embeds of every platform is unwrapped here, before any platform sees the markup:

- **consent and cookie wrappers**: the original embed kept in a hidden ``<textarea>``, in
  a ``<template>`` or a ``<script type="text/template">`` (plain or base64), or in a data
  attribute, by a consent tool; and iframes whose ``src`` waits in a ``data-…src``
  attribute until consent. Only inside a consent tool's markup (its class, id or
  attribute names say so) and only when the markup is an embed (a blockquote, an
  iframe, an AMP component or a script): a ``<template>`` holding another article, or
  other articles' HTML in a data attribute, stays ignored.
- **URL-only CMS wrappers**: a WordPress embed block (``figure.wp-block-embed``) not yet
  rendered, iframely (``data-embedded-url``, ``data-iframely-url``) and Embedly
  (``embedly-card``, ``cdn.embedly.com/widgets/media.html?url=``). The URL they hold is
  offered to every platform; one that recognises it gets an embed of form
  ``cms_wrapper`` and the wrapper is taken out of the page.
- **known redirectors** in links (``google.com/url?q=``, ``l.facebook.com/l.php?u=``…):
  the link is read as its target.

A page without any of these is handed on as it came, unparsed here.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..platforms import platforms, post_ref
from ..platforms.base import CMS_WRAPPER, PAGE, PLACEHOLDER, FoundEmbed

_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_TEXT_TYPES = ("text/plain", "text/markdown", "text", "plain")

# A page none of these occur in (lower-cased) holds no wrapper: it is not parsed here at all.
_REDIRECT_MARKERS = (
    "/url?", "l.php?", "href.li/", "out.reddit.com", "t.umblr.com", "youtube.com/redirect", "l.instagram.com",
    "safelinks.protection", "duckduckgo.com/l/",
)
_MARKERS = (
    "<textarea", "<template", "text/template", "wp-block-embed", "iframely", "embedly", "&lt;blockquote",
    "&lt;iframe", "&#60;", "&#x3c;", "consent", "cookieblock", "cmplz", "borlabs", "usercentrics", "klaro",
    *_REDIRECT_MARKERS,
)
_CONSENT = re.compile(
    r"consent|cookie|cmplz|borlabs|brlbs|usercentrics|klaro|gdpr|dsgvo|third-?party|2-?click|two-?click|"
    r"content-?blocker|embed-?privacy|privacy-?(?:wrapper|embed|placeholder|blocker)|iubenda|onetrust|didomi",
    re.IGNORECASE,
)
_EMBED_MARKUP = re.compile(r"<(?:blockquote|iframe|amp-[a-z]|script)\b", re.IGNORECASE)
# An iframe or script whose src waits for consent: data-cookieblock-src="…", data-cmplz-src="…"
# (read in the lower-cased page: a literal start keeps the scan fast)
_SRC_ATTRIBUTE = re.compile(r"(data-[a-z0-9-]*src[a-z0-9-]*)\s*=")
# An embed's markup kept in an attribute: data-consent-html="&lt;blockquote…"
_MARKUP_ATTRIBUTE = re.compile(
    r"(data-[a-z0-9-]+)\s*=\s*[\"']?\s*(?:&lt;|&#0*60;|&#x0*3c;|<)(?:blockquote|iframe|script|amp-)"
)
# A lazy placeholder's URL: <div class="tweet" data-url="https://twitter.com/a/status/1">
_URL_ATTRIBUTE = re.compile(
    r"(data-[a-z0-9-]*(?:url|href|src|link|permalink)[a-z0-9-]*)\s*=\s*[\"']?\s*(?:https?:)?//"
)
_NOT_PLACEHOLDERS = frozenset(
    {"img", "source", "picture", "video", "audio", "track", "script", "link", "meta", "iframe", "embed", "object",
     "input", "form", "button", "template", "textarea", "blockquote"}
)
_TEMPLATE_TYPES = ("text/template", "text/html", "text/plain", "text/x-template")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")
_CONSENT_DEPTH = 5
"""How far up from a wrapper a consent tool's marks are looked for."""
_MAX_WRAPPED = 1_000_000
"""Characters of wrapped markup read from one wrapper; more is not an embed snippet."""

_REDIRECTORS: dict[str, tuple[str, ...]] = {
    # host (or suffix after a dot) → query parameters that hold the target
    "google.com": ("q", "url"),
    "l.facebook.com": ("u",),
    "lm.facebook.com": ("u",),
    "m.facebook.com": ("u",),
    "out.reddit.com": ("url",),
    "t.umblr.com": ("z",),
    "youtube.com": ("q",),
    "l.instagram.com": ("u",),
    "safelinks.protection.outlook.com": ("url",),
    "duckduckgo.com": ("uddg",),
}
_REDIRECT_PATHS = {"google.com": "/url", "youtube.com": "/redirect", "duckduckgo.com": "/l/"}


def is_html(content: str, content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in _HTML_TYPES or media_type.endswith(("+xml", "/xml")):
        # Feeds and XHTML: a markup parser still reads their text and links.
        return True
    if media_type in _TEXT_TYPES:
        return False
    # Unknown or missing type: look at the start of the content.
    head = content[:2048].lstrip().lower()
    return head.startswith("<") or "<html" in head or "<body" in head or "<p" in head


def find_embeds(content: str, content_type: str | None, base_url: str | None) -> list[FoundEmbed]:
    """Every installed platform's embeds in ``content``, each placed ``body`` or ``page``.

    The article's embeds come first, each platform's in document order, then the page's
    (see :mod:`archiver.steps.placement`). Plain text is all article.
    """
    if not is_html(content, content_type):
        found = []
        for platform in platforms():
            found.extend(platform.find_in_text(content))
        return found
    found = _find_in_html(content, base_url or "")
    if not found:
        return found  # most pages cite nothing: no need to tell their parts apart
    from .placement import split

    parts = split(_clean(content))
    if parts is None:
        return found
    body = _find_in_html(parts.body, base_url or "")
    page = _find_in_html(parts.page, base_url or "")
    for embed in page:
        embed.placement = PAGE
    # Whatever cutting the page lost (markup that read differently in one part) stays the article's.
    kept = {(e.platform, e.form, e.link) for e in body + page}
    lost = [e for e in found if (e.platform, e.form, e.link) not in kept]
    return body + lost + page


def find_in_fragment(html: str, base_url: str) -> list[FoundEmbed]:
    """Every installed platform's embeds in a piece of markup (an element of a rendered
    page), wrappers unwrapped, not placed: a fragment is not a page with parts."""
    return _find_in_html(_clean(html), base_url)


def _find_in_html(html: str, base_url: str) -> list[FoundEmbed]:
    page, found = unwrap(html, base_url)
    for platform in platforms():
        found.extend(platform.find_in_html(page, base_url))
    return found


def unwrap(html: str, base_url: str) -> tuple[str, list[FoundEmbed]]:
    """The page with every wrapper unwrapped, and the embeds URL-only wrappers held.

    The page comes back unchanged (the same string) when it holds no wrapper.
    """
    if not isinstance(html, str):
        return html, []
    low = html.lower()
    if not any(marker in low for marker in _MARKERS) and _URL_ATTRIBUTE.search(low) is None:
        return html, []
    cleaned = _clean(html)
    tree = LexborHTMLParser(cleaned)
    if tree.root is None:
        return html, []
    # First every decision, reading the tree; then the changes, outermost wrappers only,
    # so no node is touched once a change took it out of the tree.
    changes: list[_Change] = []
    changed = _consent(tree, low, changes)
    if any(marker in low for marker in _REDIRECT_MARKERS):
        changed |= _redirects(tree)
    _cms(tree, base_url, changes)
    _placeholders(tree, low, base_url, changes)
    if len(changes) > 1:  # in document order, whichever kind of wrapper each is
        order = {node.mem_id: i for i, node in enumerate(tree.root.traverse())}
        changes.sort(key=lambda change: order.get(change.node.mem_id, 0))
    ids = {change.node.mem_id for change in changes}
    seen: set[int] = set()
    found: list[FoundEmbed] = []
    for change in changes:
        node = change.node
        if node.mem_id in seen or _has_ancestor_in(node, ids):
            continue
        seen.add(node.mem_id)
        if change.embed is not None:
            found.append(change.embed)
        if change.markup is not None:
            holder = LexborHTMLParser(f"<div data-archiver-unwrapped>{change.markup}</div>").body
            child = holder.child if holder is not None else None
            if child is None:
                continue
            node.replace_with(child)
        else:
            node.decompose()
        changed = True
    return (tree.html or cleaned) if changed else html, found


@dataclass
class _Change:
    node: LexborNode
    markup: str | None = None
    """What takes the wrapper's place; None: the wrapper goes."""
    embed: FoundEmbed | None = None
    """The embed a URL-only wrapper held."""


# ---------------------------------------------------------------------------- helpers


def _has_ancestor_in(node: LexborNode, ids: set[int]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


def _clean(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", errors="replace").decode("utf-8")
    return text.replace("\x00", "") if "\x00" in text else text


def _marks(node: LexborNode) -> str:
    attributes = node.attributes
    return " ".join([*attributes.keys(), str(attributes.get("class") or ""), str(attributes.get("id") or "")])


def _in_consent_tool(node: LexborNode | None) -> bool:
    current = node
    for _ in range(_CONSENT_DEPTH):
        if current is None or current.tag in (None, "html", "body", "-undef"):
            return False
        if _CONSENT.search(_marks(current)):
            return True
        current = current.parent
    return False


def _as_markup(text: str | None) -> str | None:
    """``text`` when it is an embed snippet, plain or base64-encoded; None otherwise."""
    if not text:
        return None
    text = text.strip()[:_MAX_WRAPPED]
    if not text.startswith("<") and _BASE64.fullmatch(text):
        try:
            text = base64.b64decode("".join(text.split()), validate=True).decode("utf-8").strip()
        except (binascii.Error, ValueError):
            return None
    if text.startswith("<") and _EMBED_MARKUP.search(text):
        return text
    return None


def _template_markup(node: LexborNode) -> str:
    # A template's content is a fragment of its own: its markup is what it serialises to.
    return re.sub(r"^<template[^>]*>|</template>$", "", node.html or "", flags=re.IGNORECASE)


def _consent(tree: LexborHTMLParser, low: str, changes: list[_Change]) -> bool:
    """Wrappers of consent tools: their embeds into ``changes``; True when a ``src`` was restored."""
    changed = False
    for node in tree.css("textarea, template, script[type]"):
        tag = node.tag
        if tag == "script" and (node.attributes.get("type") or "").strip().lower() not in _TEMPLATE_TYPES:
            continue
        hidden_textarea = tag == "textarea" and (
            "hidden" in node.attributes or "display:none" in (node.attributes.get("style") or "").replace(" ", "")
        )
        if not hidden_textarea and not _in_consent_tool(node):
            continue
        markup = _as_markup(_template_markup(node) if tag == "template" else node.text(deep=True))
        if markup is not None:
            changes.append(_Change(node, markup))
    sources = {m.group(1) for m in _SRC_ATTRIBUTE.finditer(low)}
    markups = {m.group(1) for m in _MARKUP_ATTRIBUTE.finditer(low)}
    selectors = [f"{tag}[{name}]" for name in sorted(sources) for tag in ("iframe", "script")]
    selectors += [f"[{name}]" for name in sorted(markups)]
    if not selectors:
        return changed
    for node in tree.css(", ".join(selectors)):
        if not _CONSENT.search(_marks(node)) and not _in_consent_tool(node.parent):
            continue
        attributes = node.attributes
        for name, value in attributes.items():
            if not value:
                continue
            if name in sources and node.tag in ("iframe", "script") and not attributes.get("src"):
                if value.strip().startswith(("https://", "http://", "//")):
                    node.attrs["src"] = value.strip()
                    changed = True
                    break
            elif name in markups:
                markup = _as_markup(value)
                if markup is not None:
                    changes.append(_Change(node, markup))
                    break
    return changed


def _absolute(url: str | None, base_url: str) -> str | None:
    if not url:
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    elif not url.startswith(("https://", "http://")):
        try:
            url = urljoin(base_url, url)
        except ValueError:
            return None
    return url if url.startswith(("https://", "http://")) else None


def _query_value(url: str | None, names: tuple[str, ...]) -> str | None:
    try:
        query = parse_qs(urlsplit(url or "").query)
    except ValueError:
        return None
    for name in names:
        for value in query.get(name, []):
            if value.strip():
                return value.strip()
    return None


def _embed_of(url: str | None, form: str = CMS_WRAPPER) -> FoundEmbed | None:
    """An embed of the platform that recognises ``url``; None when none does."""
    if not url:
        return None
    ref = post_ref(url)
    if ref is not None:
        return FoundEmbed(ref.platform, url, form, ref.native_id)
    for platform in platforms():
        link = platform.resolvable_link(url)
        if link is not None:
            return FoundEmbed(platform.name, link, form)
    return None


def _first_embed(
    node: LexborNode, urls: list[str | None], base_url: str, changes: list[_Change], form: str = CMS_WRAPPER
) -> bool:
    for url in urls:
        embed = _embed_of(_absolute(url, base_url), form)
        if embed is not None:
            changes.append(_Change(node, None, embed))
            return True
    return False


def _placeholders(tree: LexborHTMLParser, low: str, base_url: str, changes: list[_Change]) -> None:
    """Lazy placeholders: an element a script fills, naming the post in a ``data-…url`` attribute.

    An element that already holds the platform's embed markup is left for the platform to
    read; an empty one, or one holding a static copy of the post (kept as ``embed_text``),
    becomes an embed of form ``placeholder`` and is taken out of the page.
    """
    names = sorted({m.group(1) for m in _URL_ATTRIBUTE.finditer(low)})
    if not names:
        return
    for node in tree.css(", ".join(f"[{name}]" for name in names)):
        tag = node.tag or ""
        if tag in _NOT_PLACEHOLDERS or tag.startswith("amp-") or _holds_embed(node) or _inside_embed(node):
            continue
        attributes = node.attributes
        urls = [attributes.get(name) for name in names if name in attributes]
        if _first_embed(node, urls, base_url, changes, PLACEHOLDER):
            text = " ".join((node.text(deep=True, separator=" ") or "").split())
            embed = changes[-1].embed
            if text and embed is not None:
                embed.embed_text = text


def _cms(tree: LexborHTMLParser, base_url: str, changes: list[_Change]) -> None:
    """URL-only wrappers of CMSs and embed services: each with its embed into ``changes``."""
    for node in tree.css("[class*='wp-block-embed']"):
        classes = (node.attributes.get("class") or "").split()
        if "wp-block-embed" not in classes or _holds_embed(node):
            continue  # rendered: the platform reads its own markup inside
        wrapper = node.css_first(".wp-block-embed__wrapper") or node
        text = (wrapper.text(deep=True) or "").strip()
        if text and not any(c.isspace() for c in text):
            _first_embed(node, [text], base_url, changes)
    for node in tree.css("[data-embedded-url]"):
        _first_embed(node, [node.attributes.get("data-embedded-url")], base_url, changes)
    for node in tree.css("[data-iframely-url]"):
        iframely = _absolute(node.attributes.get("data-iframely-url"), base_url)
        href = node.attributes.get("href") if node.tag == "a" else None
        _first_embed(node, [href, _query_value(iframely, ("url",))], base_url, changes)
    for node in tree.css(".embedly-card, iframe.embedly-embed, iframe[src*='embedly.com/widgets/media.html']"):
        if node.tag == "iframe":
            src = _absolute(node.attributes.get("src"), base_url)
            _first_embed(node, [_query_value(src, ("url",)), _query_value(src, ("src",))], base_url, changes)
        else:
            anchor = node if node.tag == "a" else node.css_first("a[href]")
            if anchor is not None:
                _first_embed(node, [anchor.attributes.get("href")], base_url, changes)


def _inside_embed(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in ("blockquote", "iframe") or (parent.tag or "").startswith("amp-"):
            return True
        parent = parent.parent
    return False


def _holds_embed(node: LexborNode) -> bool:
    return node.css_first("blockquote, iframe, script") is not None or any(
        (child.tag or "").startswith("amp-") for child in node.traverse()
    )


def redirect_target(url: str) -> str | None:
    """Where a known redirector's link leads (its target is in its own URL), else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host == "href.li":
        target = parts.query or None
        return target if target and target.startswith(("https://", "http://")) else None
    for known, names in _REDIRECTORS.items():
        if host == known or host.endswith("." + known) or (known == "google.com" and ".google." in f".{host}"):
            path = _REDIRECT_PATHS.get(known)
            if path is not None and not parts.path.startswith(path):
                return None
            target = _query_value(url, names)
            if target and "://" not in target and "%3a" in target.lower():
                target = unquote(target)
            return target if target and target.startswith(("https://", "http://")) else None
    return None


def _redirects(tree: LexborHTMLParser) -> bool:
    changed = False
    for node in tree.css("a[href]"):
        target = redirect_target((node.attributes.get("href") or "").strip())
        if target is not None:
            node.attrs["href"] = target
            changed = True
    return changed


__all__ = ["find_embeds", "find_in_fragment", "is_html", "redirect_target", "unwrap"]
