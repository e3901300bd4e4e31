"""Reading an article's HTML in document order, for platforms' finders.

A platform's finder says what an element is to it (an embed, which hides its own links
from the walk, or a link) and what running text holds; :func:`walk` visits the document
once, in order, so the embeds come back in the article's order. Script, style, template
and textarea contents are never page text (the generic finder has already unwrapped what
consent tools hide in them).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .base import FoundEmbed

SKIP_TAGS = frozenset({"script", "style", "template", "textarea", "noscript", "head", "title"})

Element = Callable[[LexborNode], "list[FoundEmbed] | None"]
"""An element's embeds; None: not an embed, walk into it. A list (even empty): the
element was read whole, its descendants are not visited."""
Text = Callable[[str], "list[FoundEmbed]"]


def parse(html: str) -> LexborHTMLParser | None:
    tree = LexborHTMLParser(html)
    return tree if tree.root is not None else None


def document_base(tree: LexborHTMLParser, base_url: str) -> str:
    """The page's ``<base href>`` joined to its URL, else its URL."""
    node = tree.css_first("base[href]")
    href = (node.attributes.get("href") or "").strip() if node is not None else ""
    if not href:
        return base_url
    try:
        return urljoin(base_url, href)
    except ValueError:
        return base_url


def absolute(href: str | None, base_url: str) -> str | None:
    """``href`` as an absolute http(s) URL, or None."""
    if not href:
        return None
    href = href.strip()
    if href.startswith("//"):
        href = "https:" + href
    elif not href.lower().startswith(("http://", "https://")):
        try:
            href = urljoin(base_url, href)
        except ValueError:
            return None
    return href if href.lower().startswith(("http://", "https://")) else None


def walk(root: LexborNode, element: Element, text: Text, skip: frozenset[str] = SKIP_TAGS) -> list[FoundEmbed]:
    """Every embed ``element`` and ``text`` find under ``root``, in document order.

    Elements named in ``skip`` are passed over whole; a platform whose embed is a script
    (Telegram's widget) leaves ``script`` out of it and reads each script whole itself."""
    found: list[FoundEmbed] = []
    stack: list[LexborNode | None] = []
    node: LexborNode | None = root.child
    while node is not None or stack:
        if node is None:
            node = stack.pop()
            continue
        descend = False
        tag = node.tag or ""
        if tag == "-text":
            content = node.text_content
            if content and content.strip():
                found.extend(text(content))
        elif tag and not tag.startswith(("-", "#")) and tag not in skip:
            embeds = element(node)
            if embeds is None:
                descend = True
            else:
                found.extend(embeds)
        if descend and node.child is not None:
            stack.append(node.next)
            node = node.child
        else:
            node = node.next
    return found


def text_of(node: LexborNode, limit: int = 5000) -> str | None:
    """An element's text, spaces collapsed, at most ``limit`` characters; None if empty."""
    raw = node.text(deep=True, separator=" ") or ""
    collapsed = " ".join(raw.split())[:limit]
    return collapsed or None


__all__ = ["SKIP_TAGS", "absolute", "document_base", "parse", "text_of", "walk"]
