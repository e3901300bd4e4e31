"""Finding the places in an article that cite a Mastodon post (field guide §2.1–2.2, §0.2).

Markup decides where there is markup:

- the 4.3+ snippet ``blockquote.mastodon-embed[data-embed-url]`` (it holds no post text,
  only "Post by @user@domain"), with its link to the post as a fallback;
- the older ``iframe.mastodon-embed`` (also what WordPress keeps of an oEmbed), and the
  iframe ``embed.js`` puts into a 4.3 blockquote: the post is named by the ``src``.

An iframe to a Mastodon-shaped ``…/embed`` path without the class, a link, and a URL
pasted in the text only look like posts — any host may serve such paths — so they are
found ``tentative``: the host's API confirms them (``api.identify``) before they count.
Links another installed platform recognises as its own posts are left to it.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from .. import post_ref
from ..base import BLOCKQUOTE, IFRAME, POST_LINK, FoundEmbed, Form
from ..walk import absolute, document_base, parse, walk
from . import ids

PLATFORM_NAME = "mastodon"


def _embed(link: str, form: Form, *, markup: bool) -> FoundEmbed | None:
    status = ids.parse(link)
    if status is None or (not markup and post_ref(link) is not None):
        return None
    if markup:
        # The platform's own snippet: a post, named by its link (a copy's needs the API).
        return FoundEmbed(PLATFORM_NAME, link, form, status.native_id)
    return FoundEmbed(PLATFORM_NAME, link, form, None, tentative=True)


def find_in_text(text: str) -> list[FoundEmbed]:
    """Mastodon-shaped post URLs written in plain text, in order (all tentative)."""
    if not ids.MAY_CITE.search(text):
        return []
    found = []
    for m in ids.URL_IN_TEXT.finditer(text):
        embed = _embed(m.group(0), POST_LINK, markup=False)
        if embed is not None:
            found.append(embed)
    return found


def _blockquote(node: LexborNode, base_url: str) -> list[FoundEmbed]:
    candidates = [node.attributes.get("data-embed-url")]
    candidates += [a.attributes.get("href") for a in node.css("a[href]")]
    for candidate in candidates:
        url = absolute(candidate, base_url)
        if url and ids.parse(url) is not None:
            embed = _embed(url, BLOCKQUOTE, markup=True)
            return [embed] if embed is not None else []
    return []


def find_in_html(html: str, base_url: str) -> list[FoundEmbed]:
    if not ids.MAY_CITE.search(html):
        return []
    tree = parse(html)
    if tree is None or tree.root is None:
        return []
    base = document_base(tree, base_url)

    def element(node: LexborNode) -> list[FoundEmbed] | None:
        tag = node.tag
        attributes = node.attributes
        classes = (attributes.get("class") or "").split()
        if tag == "blockquote" and "mastodon-embed" in classes:
            iframe = node.css_first("iframe[src]")
            if iframe is not None:
                # embed.js has run: the frame it added names the post.
                src = absolute(iframe.attributes.get("src"), base)
                embed = _embed(src, IFRAME, markup=True) if src else None
                if embed is not None:
                    return [embed]
            return _blockquote(node, base)
        if tag == "iframe":
            src = absolute(attributes.get("src") or attributes.get("data-src"), base)
            status = ids.parse(src) if src else None
            if src is None or status is None or not status.embed:
                return []
            embed = _embed(src, IFRAME, markup="mastodon-embed" in classes)
            return [embed] if embed is not None else []
        if tag == "a":
            url = absolute(attributes.get("href"), base)
            embed = _embed(url, POST_LINK, markup=False) if url else None
            if embed is not None:
                return [embed]
        return None

    return walk(tree.root, element, find_in_text)


__all__ = ["find_in_html", "find_in_text"]
