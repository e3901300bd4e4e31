"""Finding the places in an article that cite a Twitter/X post.

``find_in_html`` walks the parsed document once, in document order, so the
result keeps the order of the article. Embeds (blockquote, amp, iframe) are
read as a whole; links and pasted URLs are only collected outside them, since
the links inside a blockquote are evidence of that embed, not citations of
their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..base import FoundEmbed, Form
from .patterns import (
    PIC_LINK_IN_TEXT,
    SHORT_LINK_IN_TEXT,
    STATUS_URL_IN_TEXT,
    canonical_url,
    handle_from_url,
    is_pic_link,
    is_short_link,
    normalise_pic_link,
    post_id_from_url,
    strip_trailing_punctuation,
)

PLATFORM_NAME = "twitter"

# A page that mentions none of these cannot cite a post; skipping the parse
# keeps a sweep over thousands of unrelated pages cheap.
_MARKERS = ("twitter", "x.com", "t.co", "nitter", "xcancel")

_SKIP_TAGS = frozenset({"script", "style", "template", "textarea"})
# Raw-text elements whose content is never page text, unless they were left
# unclosed and swallowed the page (see _walk).
_SWALLOWING_TAGS = frozenset({"title", "iframe", "noembed", "noframes", "xmp", "plaintext"})
_MAX_REPARSE_DEPTH = 2
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "li", "ul", "ol", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
        "section", "article", "header", "footer", "figure", "figcaption", "table", "tr",
        "pre", "hr", "dl", "dt", "dd", "aside",
    }
)
_EMBED_CLASSES = frozenset({"twitter-tweet", "twitter-video"})
_HTML_SPACE = re.compile(r"[ \t\n\r\f\u00a0]+")
_LINE_SPACE = re.compile(r"[ \t\f\v\u00a0]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_DIGITS = re.compile(r"[0-9]{1,20}")
# Hosts that put a post into an iframe by id.
_IFRAME_HOSTS = frozenset({"platform.twitter.com", "platform.x.com"})
_IFRAME_PATHS = frozenset({"/embed/tweet.html", "/embed/index.html"})

# "— Name (@handle) Date" after a pic link in copied text. Name is bounded so
# a stray "(@x)" far away cannot pull in a whole article.
_ATTRIBUTION = re.compile(
    r"[ \t\r\n\u00a0]*[\u2014\u2013\u2015-]{1,2}[ \t\u00a0]*[^\n]{0,100}?\(@[A-Za-z0-9_]{1,20}\)(?P<date>[^\n]*)"
)
_YEAR = re.compile(
    r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])"
    r"(?:\s*(?:年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日|년\s*[0-9]{1,2}\s*월\s*[0-9]{1,2}\s*일|г\.))?"
)
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v\u00a0]*\n")
_PARAGRAPH_WINDOW = 3000
_MAX_DATE_CHARS = 40


@dataclass
class _Hit:
    """A link found in running text, with where it sits in that text."""

    start: int
    end: int
    form: Form
    link: str
    native_id: str | None = None
    embed_text: str | None = None


# ---------------------------------------------------------------------------
# Plain text
# ---------------------------------------------------------------------------


def _with_scheme(url: str) -> str:
    return url if "://" in url[:10] else "https://" + url


def _attribution_end(text: str, pos: int) -> int | None:
    """End of a "— Name (@handle) Date" attribution starting at ``pos``, if any."""
    m = _ATTRIBUTION.match(text, pos)
    if m is None:
        return None
    date = m.group("date")
    # Every language's date format carries the year, mostly last; cutting
    # there stops at the date when the text runs on without a line break.
    year = _YEAR.search(date, 0, _MAX_DATE_CHARS)
    if year is not None:
        return m.start("date") + year.end()
    if len(date.strip()) <= _MAX_DATE_CHARS:
        return m.start("date") + len(date.rstrip())
    return m.start("date")


def _paragraph_start(text: str, pos: int, floor: int) -> int:
    """Start of the paragraph holding ``pos``: after the last blank line, bounded."""
    lo = max(floor, pos - _PARAGRAPH_WINDOW)
    last: int | None = None
    for m in _BLANK_LINE.finditer(text, lo, pos):
        last = m.end()
    if last is not None:
        return last
    # No blank line nearby: the text uses single newlines between paragraphs.
    newline = text.rfind("\n", lo, pos)
    return newline + 1 if newline >= 0 else lo


def normalise_text(text: str) -> str:
    """Collapse runs of spaces on each line, keep line breaks, at most one blank line."""
    lines = [_LINE_SPACE.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


_MAY_CITE = re.compile("|".join(re.escape(m) for m in _MARKERS), re.IGNORECASE)


# A page may also name a post only in a placeholder's data-tweet-id, or copy one in a
# static card (class="tweet") whose only link is a click tracker.
_MAY_HOLD = re.compile("tweet", re.IGNORECASE)


def _may_cite(text: str) -> bool:
    return _MAY_CITE.search(text) is not None


def _scan_text(text: str, *, with_attribution: bool) -> list[_Hit]:
    """Status URLs, pic links and t.co links in running text, in order."""
    hits: list[_Hit] = []
    if not _may_cite(text):
        return hits
    for m in STATUS_URL_IN_TEXT.finditer(text):
        raw = strip_trailing_punctuation(m.group("url"))
        native_id = post_id_from_url(raw)
        if native_id is None:
            continue  # a reserved path such as /hashtag/...
        hits.append(_Hit(m.start("url"), m.start("url") + len(raw), "status_link", _with_scheme(raw), native_id))
    for m in PIC_LINK_IN_TEXT.finditer(text):
        link = normalise_pic_link(m.group("url"))
        if link is not None:
            hits.append(_Hit(m.start("url"), m.end("url"), "pic_link", link))
    for m in SHORT_LINK_IN_TEXT.finditer(text):
        hits.append(_Hit(m.start("url"), m.end("url"), "short_link", _with_scheme(m.group("url"))))
    hits.sort(key=lambda h: h.start)

    if with_attribution:
        floor = 0
        for hit in hits:
            if hit.form != "pic_link":
                continue
            end = _attribution_end(text, hit.end)
            if end is None:
                continue
            start = _paragraph_start(text, hit.start, floor)
            hit.embed_text = normalise_text(text[start:end]) or None
            floor = end
    return hits


class _Collector:
    """Keeps FoundEmbeds in order, one per (form, link)."""

    def __init__(self) -> None:
        self.found: list[FoundEmbed] = []
        self._seen: dict[tuple[str, str], FoundEmbed] = {}

    def add(self, embed: FoundEmbed) -> None:
        key = (embed.form, embed.link)
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = embed
            self.found.append(embed)
        elif first.embed_text is None and embed.embed_text is not None:
            # A later copy may carry the text the first one lacked.
            first.embed_text = embed.embed_text

    def add_hits(self, hits: list[_Hit]) -> None:
        for hit in hits:
            self.add(
                FoundEmbed(
                    platform=PLATFORM_NAME,
                    link=hit.link,
                    form=hit.form,
                    native_id=hit.native_id,
                    embed_text=hit.embed_text,
                )
            )


def find_in_text(text: str) -> list[FoundEmbed]:
    """Posts cited in plain text (feeds, copied articles), in order of appearance.

    A pic link followed by "— Name (@handle) Date" carries the post's text
    (its paragraph up to the end of the attribution) as ``embed_text``.
    """
    if not isinstance(text, str):
        text = _decode(text)
    collector = _Collector()
    collector.add_hits(_scan_text(_clean_surrogates(text), with_attribution=True))
    return collector.found


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------


def _decode(data: object) -> str:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data).decode("utf-8", errors="replace")
    return str(data)


def _clean_surrogates(text: str) -> str:
    # Text decoded with surrogateescape (or sliced UTF-16) holds lone
    # surrogates that cannot be encoded for the parser or written to JSON.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace").decode("utf-8")
    return text


def _classes(node: LexborNode) -> set[str]:
    value = node.attributes.get("class")
    return set(value.lower().split()) if value else set()


def _attr(node: LexborNode, name: str) -> str | None:
    value = node.attributes.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _iframe_post_id(node: LexborNode, base_url: str) -> tuple[str | None, str | None]:
    """(post id, absolute src) of an iframe that shows a post; (None, src) otherwise."""
    src = _attr(node, "src") or _attr(node, "data-src")
    src_abs = _resolve(src, base_url) if src else None
    from_src: str | None = None
    if src_abs:
        try:
            parts = urlsplit(src_abs)
            host = (parts.hostname or "").lower()
        except ValueError:
            host, parts = "", None
        if parts is not None and host in _IFRAME_HOSTS and parts.path.lower() in _IFRAME_PATHS:
            for value in parse_qs(parts.query).get("id", []):
                if _DIGITS.fullmatch(value):
                    from_src = value
                    break
    data_id = _attr(node, "data-tweet-id")
    if data_id and _DIGITS.fullmatch(data_id):
        return data_id, src_abs if from_src == data_id else None
    return from_src, src_abs if from_src else None


def _resolve(href: str, base_url: str) -> str:
    href = href.strip()
    if href.startswith(("https://", "http://")):
        return href  # already absolute: the common case, and urljoin is slow
    # A scheme-less "pic.twitter.com/X" or "twitter.com/u/status/1" in an href is
    # meant as absolute; resolving it against the page would bury it in a path.
    if not href.startswith(("/", "#", "?", ".")) and "://" not in href[:12]:
        if is_pic_link(href) or is_short_link(href) or post_id_from_url(href) is not None:
            return "https://" + href
    try:
        return urljoin(base_url or "", href)
    except ValueError:
        return href


def _classify_link(url: str) -> tuple[Form, str, str | None] | None:
    """(form, link, id) for a Twitter link, None for anything else."""
    if not _may_cite(url):
        return None
    native_id = post_id_from_url(url)
    if native_id is not None:
        return "status_link", url, native_id
    if is_pic_link(url):
        return "pic_link", url, None
    if is_short_link(url):
        return "short_link", url, None
    return None


def _classify_href(href: str, base_url: str) -> tuple[Form, str, str | None] | None:
    # A relative href can only name a post when the page itself is on a Twitter host.
    if not _may_cite(href) and not _may_cite(base_url or ""):
        return None
    return _classify_link(_resolve(href, base_url))


def _embed_kind(node: LexborNode) -> str | None:
    tag = node.tag
    if tag == "blockquote":
        return "blockquote" if _classes(node) & _EMBED_CLASSES else None
    if tag == "amp-twitter":
        return "amp"
    if tag == "iframe":
        return "iframe"
    return None


def _children(node: LexborNode) -> list[LexborNode]:
    return list(node.iter(include_text=True))


@dataclass
class _EmbedContent:
    text: str
    status_links: list[tuple[str, str]]
    """(absolute URL, id) of every status link, in order."""
    short_links: list[str]
    pic_links: list[str]


def _read_embed(root: LexborNode, base_url: str) -> _EmbedContent:
    """Text and links of an embed, leaving out any embed nested inside it."""
    pieces: list[str] = []
    status_links: list[tuple[str, str]] = []
    short_links: list[str] = []
    pic_links: list[str] = []
    # Items are nodes to visit (with "inside a Twitter link" flag) or a newline
    # marker standing for the end of a block element.
    stack: list[tuple[LexborNode, bool] | None] = [(child, False) for child in reversed(_children(root))]
    while stack:
        item = stack.pop()
        if item is None:
            pieces.append("\n")
            continue
        node, in_link = item
        tag = node.tag
        if tag == "-text":
            raw = node.text_content or ""
            pieces.append(_HTML_SPACE.sub(" ", raw))
            if not in_link:
                for hit in _scan_text(raw, with_attribution=False):
                    if hit.form == "pic_link":
                        pic_links.append(hit.link)
                    elif hit.form == "short_link":
                        short_links.append(hit.link)
            continue
        if not node.is_element_node or tag in _SKIP_TAGS or tag in _SWALLOWING_TAGS or tag is None:
            continue
        if _embed_kind(node) is not None:
            continue
        if tag == "br":
            pieces.append("\n")
            continue
        if tag == "a":
            href = _attr(node, "href")
            if href:
                kind = _classify_href(href, base_url)
                if kind is not None:
                    in_link = True
                    form, link, native_id = kind
                    if form == "status_link" and native_id is not None:
                        status_links.append((link, native_id))
                    elif form == "pic_link":
                        pic_links.append(link)
                    else:
                        short_links.append(link)
        block = tag in _BLOCK_TAGS
        if block:
            pieces.append("\n")
            stack.append(None)
        stack.extend((child, in_link) for child in reversed(_children(node)))
    return _EmbedContent(normalise_text("".join(pieces)), status_links, short_links, pic_links)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _blockquote_embed(node: LexborNode, base_url: str) -> FoundEmbed | None:
    content = _read_embed(node, base_url)
    inner = _unique(content.short_links + content.pic_links)
    if content.status_links:
        # The date link closes the blockquote; links earlier on are the post's own.
        link, native_id = content.status_links[-1]
    elif content.pic_links:
        # The pic link resolves to the post itself; a t.co in the text may not.
        link, native_id = content.pic_links[-1], None
    elif content.short_links:
        link, native_id = content.short_links[-1], None
    else:
        return None  # nothing to resolve it by
    return FoundEmbed(
        platform=PLATFORM_NAME,
        link=link,
        form="blockquote",
        native_id=native_id,
        embed_text=content.text or None,
        inner_links=inner,
    )


def _amp_placeholder(node: LexborNode) -> LexborNode | None:
    """The blockquote an amp-twitter shows until it loads: the newsroom's copy of the post."""
    return next((c for c in _children(node) if _embed_kind(c) == "blockquote"), None)


def _amp_embed(node: LexborNode, base_url: str) -> FoundEmbed | None:
    value = _attr(node, "data-tweetid")
    if value is None:
        return None
    native_id = value if _DIGITS.fullmatch(value) else post_id_from_url(value)
    if native_id is None:
        return None
    handle: str | None = None
    text: str | None = None
    inner: list[str] = []
    placeholder = _amp_placeholder(node)
    if placeholder is not None:
        content = _read_embed(placeholder, base_url)
        text = content.text or None
        inner = _unique(content.short_links + content.pic_links)
        for url, status_id in content.status_links:
            if status_id == native_id:
                handle = handle_from_url(url)
    return FoundEmbed(
        platform=PLATFORM_NAME,
        link=canonical_url(native_id, handle),
        form="amp",
        native_id=native_id,
        embed_text=text,
        inner_links=inner,
    )


def _iframe_embed(node: LexborNode, base_url: str) -> FoundEmbed | None:
    native_id, src = _iframe_post_id(node, base_url)
    if native_id is None:
        return None
    return FoundEmbed(
        platform=PLATFORM_NAME,
        link=src or canonical_url(native_id, None),
        form="iframe",
        native_id=native_id,
    )


def _document_base(tree: LexborHTMLParser, base_url: str) -> str:
    """The page's ``<base href>``, which relative links resolve against, if it has one."""
    base = tree.css_first("base[href]")
    href = _attr(base, "href") if base is not None else None
    if not href:
        return base_url
    try:
        return urljoin(base_url, href)
    except ValueError:
        return base_url


def find_in_html(html: str, base_url: str) -> list[FoundEmbed]:
    """Every citation of a post in an HTML page, in document order.

    Never raises on malformed markup; time is linear in the size of the page.
    """
    if not isinstance(html, str):
        html = _decode(html)
    if not _may_cite(html) and not _may_cite(base_url or "") and _MAY_HOLD.search(html) is None:
        return []
    html = _clean_surrogates(html).replace("\x00", "")
    tree = LexborHTMLParser(html)
    if tree.root is None:
        return []
    collector = _Collector()
    _walk(tree.root, _document_base(tree, base_url or ""), collector, 0)
    return collector.found


_PLACEHOLDER_ATTRIBUTES = ("data-tweet-id", "data-tweetid")
# A newsletter's static copy of a tweet: <div class="tweet static"><a href="(click tracker)">…@handle…
_CARD_CLASSES = frozenset({"tweet", "static-tweet", "tweet-static", "tweet-card", "embedded-tweet"})
_HANDLE_IN_TEXT = re.compile(r"@[A-Za-z0-9_]{1,20}")


@dataclass
class _Special:
    """Elements of a tree the walk reads beyond anchors and embeds, by ``mem_id``."""

    hrefs: set[int]
    """Elements other than ``<a>`` carrying an ``href`` (``<span href="…/status/1/likes">``)."""
    placeholders: set[int]
    """Elements naming a post in ``data-tweet-id`` that a script fills."""
    cards: set[int]
    """Static copies of a tweet whose links only go through a click tracker."""


def _special(root: LexborNode) -> _Special:
    hrefs = {n.mem_id for n in root.css("[href]") if n.tag not in ("a", "link", "base", "area")}
    placeholders = {
        n.mem_id
        for n in root.css(", ".join(f"[{name}]" for name in _PLACEHOLDER_ATTRIBUTES))
        if n.tag not in ("iframe", "amp-twitter") and n.css_first("blockquote, iframe, amp-twitter") is None
    }
    cards = {
        n.mem_id
        for n in root.css(", ".join(f".{name}" for name in sorted(_CARD_CLASSES)))
        if n.tag != "a" and _HANDLE_IN_TEXT.search(n.text(deep=True) or "") is not None
    }
    return _Special(hrefs, placeholders, cards)


def _placeholder_embed(node: LexborNode) -> FoundEmbed | None:
    for name in _PLACEHOLDER_ATTRIBUTES:
        value = _attr(node, name)
        if value and _DIGITS.fullmatch(value):
            native_id = value.lstrip("0") or "0"
            return FoundEmbed(
                platform=PLATFORM_NAME, link=canonical_url(native_id, None), form="placeholder", native_id=native_id
            )
    return None


def _card_embed(node: LexborNode, base_url: str) -> FoundEmbed | None:
    """The click-tracker link of a static tweet that names its post nowhere else."""
    from ..links import click_tracker

    tracker: str | None = None
    for inner in node.css("[href]"):
        href = _attr(inner, "href")
        if not href:
            continue
        if _classify_href(href, base_url) is not None:
            return None  # a link of its own names the post: the walk finds it
        url = _resolve(href, base_url)
        if tracker is None and inner.tag == "a" and click_tracker(url):
            tracker = url
    if tracker is None:
        return None
    text = " ".join((node.text(deep=True, separator=" ") or "").split()) or None
    return FoundEmbed(platform=PLATFORM_NAME, link=tracker, form="redirect_link", embed_text=text)


def _swallowed_markup(node: LexborNode) -> str | None:
    """Markup an unclosed raw-text element (``<title>``, ``<iframe>``…) took in as text."""
    text = "".join(child.text_content or "" for child in _children(node) if child.tag == "-text")
    if "<" in text and _may_cite(text):
        return text
    return None


def _walk(root: LexborNode, base_url: str, collector: _Collector, depth: int) -> None:
    # (node, inside_embed): inside an embed only nested embeds count — an
    # unclosed blockquote swallows the next one, which must still be found.
    special = _special(root)
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, inside_embed = stack.pop()
        tag = node.tag
        if tag == "-text":
            if not inside_embed:
                collector.add_hits(_scan_text(node.text_content or "", with_attribution=True))
            continue
        if tag is None or not (node.is_element_node or node.is_document_node):
            continue
        if tag in _SWALLOWING_TAGS:
            if tag == "iframe":
                embed = _iframe_embed(node, base_url)
                if embed is not None:
                    collector.add(embed)
            # An unclosed <title> or <iframe> turns the rest of the page into
            # its text: a browser shows nothing, but the citations are there.
            # Parse that text as the page it was meant to be, once.
            markup = _swallowed_markup(node) if depth < _MAX_REPARSE_DEPTH else None
            if markup is not None:
                inner = LexborHTMLParser(markup).root
                if inner is not None:
                    _walk(inner, base_url, collector, depth + 1)
            continue
        if tag in _SKIP_TAGS:
            continue
        kind = _embed_kind(node)
        if kind is not None:
            embed = _blockquote_embed(node, base_url) if kind == "blockquote" else _amp_embed(node, base_url)
            if embed is not None:
                collector.add(embed)
            inside_embed = True
            if kind == "amp":
                # The placeholder was read as part of the amp embed; an
                # unclosed amp-twitter may still swallow later embeds.
                placeholder = _amp_placeholder(node)
                skip = placeholder.mem_id if placeholder is not None and embed is not None else None
                stack.extend(
                    (child, True) for child in reversed(_children(node)) if child.mem_id != skip
                )
                continue
        elif inside_embed:
            pass
        elif node.mem_id in special.placeholders:
            embed = _placeholder_embed(node)
            if embed is not None:
                collector.add(embed)
        elif node.mem_id in special.cards:
            embed = _card_embed(node, base_url)
            if embed is not None:
                collector.add(embed)
        elif tag == "a" or node.mem_id in special.hrefs:
            href = _attr(node, "href")
            if href:
                found = _classify_href(href, base_url)
                if found is not None:
                    form, link, native_id = found
                    collector.add(FoundEmbed(platform=PLATFORM_NAME, link=link, form=form, native_id=native_id))
                    # The anchor's text only displays this same link.
                    inside_embed = True
        stack.extend((child, inside_embed) for child in reversed(_children(node)))
