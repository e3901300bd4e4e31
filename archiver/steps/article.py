"""An article as fetched: its text in the right charset, its title and the embeds it cites.

Reading a page is work on untrusted input: :func:`read_article` does all of it (decoding,
flattening deep nesting, title, finding embeds) and runs in a reader process
(``archiver.steps.reader``), bounded in time and memory, never on the event loop.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import asdict, dataclass, field

from .find import find_embeds
from ..platforms.base import FoundEmbed
from .nesting import cap_depth

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Labels browsers read as another, wider encoding (WHATWG Encoding), where Python's codec
# of the same name is narrower: a page labelled ISO-8859-1 is decoded as windows-1252.
_LABEL_AS = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "ascii": "cp1252", "us-ascii": "cp1252", "iso-8859-9": "cp1254", "latin5": "cp1254",
    "shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "ms_kanji": "cp932", "windows-31j": "cp932",
    "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "gb2312": "gb18030", "gbk": "gb18030",
    "big5": "big5hkscs", "tis-620": "cp874", "iso-8859-11": "cp874", "x-user-defined": "cp1252",
    # A meta can only be read if the page is ASCII-compatible: UTF-16 there means UTF-8.
    "utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8",
}
_TITLE_END = re.compile(r"</title", re.I)
_MAX_TITLE = 300


def _codec(label: str) -> str:
    return _LABEL_AS.get(label.lower(), label)


def decode(body: bytes, content_type: str | None) -> str:
    """Text of a page, in the HTML standard's order: a byte-order mark, else the charset the
    header declares, else the one a ``<meta>`` declares; else UTF-8.

    A declared charset the bytes contradict (a Shift_JIS page saying ``<meta charset=utf-8>``)
    is not believed: a detector (charset-normalizer) guesses from the bytes, preferring
    windows-1252, what browsers assume, when that reads them as well.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, "replace")
    declared: list[str] = []
    header = _HEADER_CHARSET.search(content_type or "")
    if header:
        declared.append(_codec(header.group(1)))
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        declared.append(_codec(meta.group(1).decode("ascii", "replace")))
    for charset in [*declared, "utf-8"]:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    guess = _detect(body)
    for charset in ([guess] if guess else []) + declared:
        try:
            return body.decode(charset, "replace")
        except LookupError:
            continue
    return body.decode("cp1252", "replace")


def _detect(body: bytes) -> str | None:
    from charset_normalizer import from_bytes

    matches = from_bytes(body)
    best = matches.best()
    if best is None:
        return None
    # Single-byte Latin encodings differ in a few letters the detector can only guess at
    # (it reads "niños" as cp1250 as readily as cp1252): then the browsers' default wins.
    if "cp1252" in best.could_be_from_charset or any(
        m.encoding == "cp1252" and m.chaos <= best.chaos for m in matches
    ):
        return "cp1252"
    return str(best.encoding)


def title_of(text: str, is_html: bool) -> str | None:
    """The page's title: its first ``<title>`` (or first line of text), spaces collapsed, at most 300 characters."""
    if is_html:
        from selectolax.lexbor import LexborHTMLParser

        # The first </title> ends the first title in any page that has one: parse only that far.
        end = _TITLE_END.search(text)
        node = LexborHTMLParser(text[: end.end() + 1]).css_first("title") if end else None
        if node is None:  # no </title>, or the first was not one (inside a script, say)
            node = LexborHTMLParser(text).css_first("title")
        title = node.text(strip=False) if node else ""
        return " ".join(title.split())[:_MAX_TITLE] or None
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())[:_MAX_TITLE]
    return None


@dataclass
class ArticleText:
    """What reading a page gives: its title and the embeds it cites, in order."""

    title: str | None
    embeds: list[FoundEmbed] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"title": self.title, "embeds": [asdict(e) for e in self.embeds]}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ArticleText:
        title = data.get("title")
        embeds = data.get("embeds")
        if not (title is None or isinstance(title, str)) or not isinstance(embeds, list):
            raise ValueError("not an ArticleText")
        return cls(title, [FoundEmbed(**e) for e in embeds])


def read_article(body: bytes, content_type: str, url: str, max_depth: int) -> ArticleText:
    """Decode a page, flatten nesting deeper than ``max_depth``, find its title and embeds."""
    text = decode(body, content_type)
    is_html = content_type.split(";", 1)[0].strip().lower() in ("text/html", "application/xhtml+xml")
    if is_html:
        text = cap_depth(text, max_depth)
    return ArticleText(title_of(text, is_html), find_embeds(text, content_type, url))
