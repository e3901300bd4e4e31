"""Links of no platform that lead to a post only once followed: click trackers.

A newsletter sends every link through its mailer's click tracker
(``https://substack.com/redirect/<uuid>``, SendGrid's ``…ct.sendgrid.net/ls/click?upn=…``):
the target is not in the URL, so the link is followed hop by hop, as a t.co link is, with
the same safety rules, and each hop recorded. A platform's finder cites such a link only
where its markup shows it stands for a post (a newsletter's static copy of a tweet).
Redirectors that carry their target in the URL (``google.com/url?q=``) are read offline
by the generic finder instead (:func:`archiver.steps.find.redirect_target`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

# (host, or a suffix after a dot) → path prefixes of its click-tracking links
_TRACKERS: dict[str, tuple[str, ...]] = {
    "substack.com": ("/redirect/",),
    "ct.sendgrid.net": ("/ls/click",),
    "list-manage.com": ("/track/click",),
    "mailchi.mp": ("/track/click",),
    "convertkit-mail.com": ("/",),
    "convertkit-mail2.com": ("/",),
    "link.mail.beehiiv.com": ("/ss/c/",),
    "klclick.com": ("/ls/click", "/u/"),
    "rs6.net": ("/tn.jsp",),
    "clicks.aweber.com": ("/y/ct/",),
    "mlsend.com": ("/link/",),
    "ghost.io": ("/r/",),
}


def click_tracker(url: str) -> bool:
    """Whether ``url`` is a known mailer's click-tracking link (its target is not in it)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if parts.scheme not in ("http", "https"):
        return False
    host = (parts.hostname or "").lower()
    for known, paths in _TRACKERS.items():
        if (host == known or host.endswith("." + known)) and parts.path.startswith(paths):
            return True
    return False


def links_in_text(text: str, pattern: re.Pattern[str], markers: Iterable[str] = ()) -> Iterator[str]:
    """The URLs ``pattern`` finds in plain text, in order, made absolute (``//host/…`` and a
    bare ``host/…`` as https). Nothing when ``markers`` are given and the text, lower-cased,
    holds none of them: a cheap test before the pattern runs over a long page."""
    if markers:
        low = text.lower()
        if not any(marker in low for marker in markers):
            return
    for m in pattern.finditer(text):
        link = m.group(0)
        yield "https:" + link if link.startswith("//") else (link if "://" in link else "https://" + link)


__all__ = ["click_tracker", "links_in_text"]
