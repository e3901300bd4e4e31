"""Where each cited embed sits in an article's page screenshot: a box per citation.

A post deleted before it was captured has no card of its own; the article's screenshot
still shows what the page held where it was embedded (the newsroom's blockquote, a
consent placeholder, a link). This module finds that place, generically:

1. At render time, once the page is shot, the page is asked for the elements that name
   one of the article's embeds (an attribute, a resolved ``href``/``src``, or text that
   holds its link or post id: the *needles*, from the finder's reading of the fetched
   page), and for a few of their ancestors: each with its box in the screenshot's
   pixels and its markup (bounded). Card frames a platform recognises
   (``card_in_frame``) are measured too.
2. Once the article's citations are known (its links resolved to posts), the finder
   itself reads each element's markup, in a reader process (untrusted markup, bounded in
   time and memory): an element *holds* a citation when the finder finds in it that
   citation's link (or its post) and no other post. The innermost element that holds
   it in the citation's own form wins (the blockquote, not the date link inside it);
   else the post's rendered card frame (a blockquote a platform's script replaced with
   its card); else the innermost element that holds it in any form.

Nothing here names a platform: the finder and ``card_in_frame`` know them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..platforms.base import FoundEmbed, PostRef

MAX_HITS = 400
"""Elements naming an embed that are looked at, per page."""
MAX_ELEMENTS = 1200
"""Elements (hits and their ancestors) sent back, per page."""
MAX_MARKUP = 64 * 1024
"""Characters of an element's markup: a larger element holds more than one embed."""
MAX_TOTAL_MARKUP = 4 * 1024 * 1024
"""Characters of markup read back from one page, in all."""
LEVELS = 6
"""How far up from an element that names an embed its ancestors are offered."""
MIN_NEEDLE = 5
"""Shorter strings (an id of a few digits) would name half the page."""

# Run in the page once it is shot. Boxes are in the page's coordinates (the screenshot's
# pixels: the viewport is as tall as the page, device scale 1). The page's world is the
# page's: what comes back is checked again in Python (``placed_from``).
COLLECT = f"""(needles) => {{
    const low = needles.map(n => String(n).toLowerCase());
    const names = s => {{
        if (!s) return false;
        const v = String(s).toLowerCase();
        return low.some(n => v.includes(n));
    }};
    const body = document.body;
    if (!body || !low.length) return [];
    const hits = [];
    for (const el of body.querySelectorAll('*')) {{
        if (hits.length >= {MAX_HITS}) break;
        let named = false;
        for (const a of el.attributes) {{ if (names(a.value)) {{ named = true; break; }} }}
        if (!named && typeof el.href === 'string' && names(el.href)) named = true;
        if (!named && typeof el.src === 'string' && names(el.src)) named = true;
        if (named) hits.push(el);
    }}
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n && hits.length < {MAX_HITS}; n = walker.nextNode()) {{
        if (n.parentElement && names(n.data)) hits.push(n.parentElement);
    }}
    const seen = new Set();
    const out = [];
    let total = 0;
    for (const hit of hits) {{
        let el = hit;
        for (let level = 0; level < {LEVELS} && el && el !== body && el !== document.documentElement;
             level++, el = el.parentElement) {{
            if (seen.has(el)) continue;
            seen.add(el);
            const html = el.outerHTML;
            if (html.length > {MAX_MARKUP} || out.length >= {MAX_ELEMENTS} || total + html.length > {MAX_TOTAL_MARKUP}) break;
            const box = el.getBoundingClientRect();
            const style = getComputedStyle(el);
            if (box.width < 1 || box.height < 1 || style.visibility === 'hidden' || style.display === 'none') continue;
            total += html.length;
            out.push({{tag: el.tagName.toLowerCase(), html, x: box.left + window.scrollX, y: box.top + window.scrollY,
                       width: box.width, height: box.height}});
        }}
    }}
    return out;
}}"""


@dataclass(frozen=True)
class Box:
    """A rectangle in the screenshot's pixels."""

    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height

    def within(self, width: int, height: int) -> Box | None:
        """This box cut to a screenshot of ``width`` x ``height``; None if nothing of it is in."""
        left, top = max(0, self.x), max(0, self.y)
        right, bottom = min(width, self.x + self.width), min(height, self.y + self.height)
        if right - left < 1 or bottom - top < 1:
            return None
        return Box(left, top, right - left, bottom - top)

    @classmethod
    def of(cls, x: object, y: object, width: object, height: object) -> Box | None:
        """A box from a page's numbers (any of which may be junk): None unless all are finite."""
        values = []
        for v in (x, y, width, height):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or abs(v) > 1e7:
                return None
            values.append(v)
        left, top = round(values[0]), round(values[1])
        right, bottom = round(values[0] + values[2]), round(values[1] + values[3])
        if right - left < 1 or bottom - top < 1:
            return None
        return cls(left, top, right - left, bottom - top)


@dataclass(frozen=True)
class Placed:
    """An element of the rendered page that names an embed (or holds one that does)."""

    tag: str
    html: str
    box: Box


@dataclass(frozen=True)
class Framed:
    """A card frame a platform recognises, and where it is on the page."""

    ref: PostRef
    box: Box


@dataclass(frozen=True)
class Cited:
    """A citation of the article, as the region is looked for: its post, link and form."""

    post_id: int
    ref: PostRef
    link: str
    form: str


@dataclass(frozen=True)
class Region:
    """Where a citation sits in a page screenshot, and what is there."""

    post_id: int
    link: str
    box: Box
    element: str
    """What the box is of: ``card`` (the post's rendered card frame) or the element's tag name."""


def needles(embeds: Iterable[FoundEmbed]) -> list[str]:
    """What the page is searched for: each embed's link (with and without its scheme) and post id."""
    found: dict[str, None] = {}
    for embed in embeds:
        link = embed.link.strip()
        for value in (link, link.split("://", 1)[-1], embed.native_id or ""):
            if len(value) >= MIN_NEEDLE:
                found[value] = None
    return list(found)


def placed_from(answer: object) -> list[Placed]:
    """The page's answer to ``COLLECT``, as far as it has the expected shape and bounds."""
    placed: list[Placed] = []
    total = 0
    if not isinstance(answer, list):
        return placed
    for item in answer[:MAX_ELEMENTS]:
        if not isinstance(item, dict):
            continue
        tag, html = item.get("tag"), item.get("html")
        if not isinstance(tag, str) or not isinstance(html, str) or len(html) > MAX_MARKUP:
            continue
        box = Box.of(item.get("x"), item.get("y"), item.get("width"), item.get("height"))
        total += len(html)
        if box is None or total > MAX_TOTAL_MARKUP:
            continue
        placed.append(Placed(tag[:40], html, box))
    return placed


def _holds(found: Sequence[FoundEmbed], cited: Cited) -> tuple[bool, bool]:
    """(whether ``found`` holds ``cited`` and no other post, whether in its form)."""
    mine = [
        e for e in found
        if e.platform == cited.ref.platform and (e.link == cited.link or e.native_id == cited.ref.native_id)
    ]
    if not mine:
        return False, False
    others = [e for e in found if e not in mine and e.native_id is not None and e.native_id != cited.ref.native_id]
    if others or any(e.native_id is None and e.link != cited.link for e in found if e not in mine):
        return False, False
    return True, any(e.form == cited.form for e in mine)


def match(
    citations: Sequence[Cited],
    placed: Sequence[Placed],
    found: Sequence[Sequence[FoundEmbed]],
    frames: Sequence[Framed],
    width: int,
    height: int,
) -> list[Region]:
    """Each citation's region in a screenshot of ``width`` x ``height``, where one is found.

    ``found[i]`` is what the finder found in ``placed[i]``'s markup.
    """
    regions: list[Region] = []
    for cited in citations:
        in_form: list[Placed] = []
        any_form: list[Placed] = []
        for element, embeds in zip(placed, found, strict=True):
            holds, same_form = _holds(embeds, cited)
            if holds:
                (in_form if same_form else any_form).append(element)
        card = next((f for f in frames if f.ref == cited.ref), None)
        chosen: tuple[Box, str] | None = None
        if in_form:
            best = min(in_form, key=lambda p: p.box.area)
            chosen = (best.box, best.tag)
        elif card is not None:
            chosen = (card.box, "card")
        elif any_form:
            best = min(any_form, key=lambda p: p.box.area)
            chosen = (best.box, best.tag)
        if chosen is None:
            continue
        box = chosen[0].within(width, height)
        if box is not None:
            regions.append(Region(cited.post_id, cited.link, box, chosen[1]))
    return regions


def fragments_of(body: bytes) -> list[str]:
    fragments = json.loads(body.decode("utf-8"))
    if not isinstance(fragments, list) or not all(isinstance(f, str) for f in fragments):
        raise ValueError("not a list of fragments")
    return fragments


def found_from(reply: Mapping[str, object], count: int) -> list[list[FoundEmbed]]:
    """A reader's answer: per fragment, the embeds the finder found in it."""
    lists = reply.get("found")
    if not isinstance(lists, list) or len(lists) != count:
        raise ValueError("not an answer for these fragments")
    return [[FoundEmbed(**e) for e in embeds] for embeds in lists]
