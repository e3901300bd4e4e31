"""Flatten markup nested deeper than a limit, before an HTML parser sees it.

An HTML5 tree builder checks, for most block start tags (``<div>``, ``<section>``,
``<ul>``…), whether a ``<p>`` is open "in button scope": a walk down the stack of open
elements. Nested N deep, a page costs N²/2 steps: 200,000 nested ``<div>``s (2.2 MB) take
lexbor minutes. Browsers stop nesting at a fixed depth (Chromium: 512) and attach deeper
elements to the element at that depth; :func:`cap_depth` does the equivalent on the markup,
in one pass: a start tag that would open an element deeper than ``max_depth`` is left out,
and so is its end tag. Text, links and the elements an embed finder reads by their own
markup (blockquotes, custom elements such as ``amp-twitter``, anchors, iframes) are kept.

The pass is a tokenizer's estimate of depth, not a tree builder: elements whose end tags
are implied (``<p>``, ``<li>``, ``<td>``…) and void elements are not counted. Within the
limit the page is returned unchanged, the same string object.
"""

from __future__ import annotations

import re

DEFAULT_MAX_DEPTH = 512

_TAG = re.compile(r"<(/?)([A-Za-z][^\s/<>]*)([^<>]*)>|<!--")
_VOID = frozenset(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta param source track wbr".split()
)
# Closed by the next of their kind or by their parent: they do not nest in practice.
_IMPLIED_END = frozenset(
    "a body caption colgroup dd dt head html li nobr optgroup option p rb rp rt rtc tbody td tfoot th thead tr".split()
)
_RAW_TEXT = frozenset("iframe noembed noframes script style textarea title xmp".split())
_FOREIGN = frozenset({"svg", "math"})
_KEEP = frozenset({"blockquote"})
"""Counted, but never left out (with ``amp-*`` elements): an embed is read from its own element."""

_raw_end_cache: dict[str, re.Pattern[str]] = {}


def _raw_end(name: str) -> re.Pattern[str]:
    pattern = _raw_end_cache.get(name)
    if pattern is None:
        pattern = _raw_end_cache[name] = re.compile(rf"</{name}[\s/>]", re.I)
    return pattern


def cap_depth(html: str, max_depth: int = DEFAULT_MAX_DEPTH) -> str:
    """``html`` with elements deeper than ``max_depth`` flattened into their ancestor. Linear."""
    if html.count("<") <= max_depth:
        return html  # cannot nest deeper than its tags
    stack: list[tuple[str, bool]] = []  # (name, left out)
    open_count: dict[str, int] = {}
    depth = 0  # elements on the stack that were kept
    foreign = 0
    cut: list[tuple[int, int]] = []  # spans of markup left out
    pos = 0
    search = _TAG.search
    while True:
        m = search(html, pos)
        if m is None:
            break
        pos = m.end()
        name = m.group(2)
        if name is None:  # a comment: "<!-->" and "<!--->" are empty ones
            if html.startswith(">", pos) or html.startswith("->", pos):
                continue
            end = html.find("-->", pos)
            if end < 0:
                break
            pos = end + 3
            continue
        name = name.lower()
        if m.group(1):  # an end tag
            if not open_count.get(name):
                continue  # stray, or of an element not counted
            while True:
                popped, left_out = stack.pop()
                open_count[popped] -= 1
                if not left_out:
                    depth -= 1
                if popped in _FOREIGN:
                    foreign -= 1
                if popped == name:
                    break
            if left_out:
                cut.append((m.start(), pos))
            continue
        if name in _RAW_TEXT:
            # Its content is text to the parser. Unclosed, it takes in the rest of the page,
            # which an embed finder parses again as markup: go on counting tags in it.
            end_tag = _raw_end(name).search(html, pos)
            if end_tag is not None:
                pos = end_tag.start()
            continue
        if name in _VOID or name in _IMPLIED_END:
            continue
        if foreign and m.group(3).endswith("/"):
            continue  # self-closing, in SVG or MathML only
        left_out = depth >= max_depth and name not in _KEEP and not name.startswith("amp-")
        if left_out:
            cut.append((m.start(), pos))
        else:
            depth += 1
        stack.append((name, left_out))
        open_count[name] = open_count.get(name, 0) + 1
        if name in _FOREIGN:
            foreign += 1
    if not cut:
        return html
    pieces: list[str] = []
    last = 0
    for start, end in cut:
        pieces.append(html[last:start])
        last = end
    pieces.append(html[last:])
    return "".join(pieces)
