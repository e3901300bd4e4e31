"""An article as fetched: its text in the right charset, and its title."""

from __future__ import annotations

import re

from ..plumbing.net import Response

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def decode_body(response: Response) -> str:
    """Text of an article in whatever charset it declares (header, then markup), else UTF-8."""
    body = response.body or b""
    candidates: list[str] = []
    header = response.headers.get("content-type", "")
    match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", header, re.I)
    if match:
        candidates.append(match.group(1))
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "replace"))
    if body.startswith(b"\xef\xbb\xbf"):
        candidates.insert(0, "utf-8-sig")
    for charset in [*candidates, "utf-8"]:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    # Undeclared and not UTF-8: windows-1252 is what browsers assume, and never fails.
    return body.decode("cp1252", "replace")


def title_of(text: str, is_html: bool) -> str | None:
    if is_html:
        from selectolax.lexbor import LexborHTMLParser

        node = LexborHTMLParser(text).css_first("title")
        title = node.text(strip=True) if node else ""
        return " ".join(title.split()) or None
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())[:300]
    return None
