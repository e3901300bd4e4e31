"""The platform interface: everything archiver knows about a platform comes through it.

A platform is an object satisfying :class:`Platform`, found through the entry-point group
``archiver.platforms`` (see :mod:`archiver.platforms`). The built-in Twitter/X registers
there like any other, so a newsroom can ship a platform as a package of its own and
nothing outside that package changes. Generic code (the pipeline, sweeps, rendering,
evidence, browsing) never names a platform: it holds posts as :class:`PostRef`
``(platform, native_id)`` and asks the post's platform.

Writing a platform package
--------------------------

1. A module exposing one object, e.g. ``PLATFORM = MyPlatform()``, and in the package's
   ``pyproject.toml``::

       [project.entry-points."archiver.platforms"]
       myplatform = "my_package:PLATFORM"

   The entry-point name is the platform's ``name``: the value of ``posts.platform``.
   Import what is heavy (HTML parsers, JSON schemas) inside the methods that need it, not
   at module level: platforms are loaded whenever one is needed.

2. Recognise its URLs. ``post_id_from_url`` turns a post URL into the platform's own id,
   a string unique within the platform (Mastodon: ``"host/@user/id"`` on the post's
   origin instance — posts live on any host, and its embed page and account need the
   user; Bluesky: ``"did:plc:…/rkey"``; Telegram: ``"channel/130"``). ``resolvable_link``
   says which links lead to a post only once followed (short links, media links), and
   ``next_hop`` follows the platform's own interstitial pages while resolving.
   ``handle_from_url`` gives the author a URL names, for the canonical URL.

3. Find its embeds: ``find_in_html`` and ``find_in_text`` return :class:`FoundEmbed`s in
   document order. The generic finder (:mod:`archiver.steps.find`) has already unwrapped
   what every platform's embeds hide in (consent and cookie wrappers, WordPress embed
   blocks, iframely, Embedly, redirectors), so a platform only reads its own markup.
   ``form`` is an open vocabulary (:data:`FORMS` lists the common values); a platform
   may use its own word without any schema change. ``placement`` is left as it is: the
   generic finder hands each platform the article's body and the page around it
   separately and places what each returns.

4. Fetch a post: ``fetch_post`` returns a :class:`PostFetch`: the data, a status verdict
   (``live``/``deleted``/``unavailable``/``unknown``, never ``deleted`` on a timeout, a
   429, a 5xx, a login wall or a captcha), and the answers it rests on, one
   :class:`SourceAnswer` per source asked (each kept as a ``data`` capture and its
   verdict in ``status_checks.signals``). How the sources combine into a verdict is the
   platform's own rule. ``PostFetch.complete`` says whether ``data`` is the platform's
   full record, which a sweep compares with the last capture to notice an edit.
   Endpoints are named URLs with defaults in ``endpoints``; a user overrides them with
   ``Settings.endpoints`` (``ARCHIVER_ENDPOINTS``), and ``fetch_post`` receives them merged.

5. Its card: ``card_url`` is the post's own embed page (None when the platform has none
   that renders alone: its card is then only cut from article pages that show it);
   ``card`` (:class:`CardSpec`) says which element is the card, how to tell it has
   finished rendering, and which embeds in an article are still waiting for the
   platform's script; ``card_in_frame`` recognises the post a frame of an article page
   shows as a card.

6. Its media: ``PostData.media`` lists what to copy (:class:`MediaItem`), at the best
   quality the platform serves; ``PostData.media_page`` names a page whose video yt-dlp
   copies, for platforms whose media are not plain files. Its canonical URL: ``canonical_url``. The time a post was
   made, when its id tells (Twitter's snowflakes): ``created_at_from_id``, else None.

7. Evidence: ``names_post`` says whether a request's URL asks about a post (its API
   answers, its embed page), so ``archiver provenance`` links exchanges to posts exactly.

8. Words for people browsing the archive: ``sources`` names each source as a reader would
   call it, ``unavailable_reason`` says why a post is unavailable when its signals tell.

Optional, for platforms that need them (read with ``getattr``: a platform without them
works as before):

9. ``async identify(fetcher, url, endpoints) -> str | None``: the id of a link that names
   a post only through a lookup (a Bluesky handle, to be resolved to its DID; a Mastodon
   post seen through another instance) or that may not be a post at all (a bare link on
   any host, confirmed through the host's API). Asked, instead of following the link, for
   any link the platform's ``resolvable_link`` claims. None: not a post of this platform;
   an :class:`~archiver.errors.ItemError` when it cannot tell (the host did not answer).
   An embed found that only looks like a post is :attr:`FoundEmbed.tentative`.
10. ``confirm_loss_after`` (seconds): the platform's answers lag (caches), so a post seen
   gone after being live keeps its status until a second check at least this long after
   the first confirms it; meanwhile its history shows the change as pending
   (``Settings.confirm_loss`` overrides it for every platform).
11. ``url_marker(native_id) -> str``: a string every URL that names the post contains
   (default: the native id), for ``provenance`` to narrow the exchanges it asks
   ``names_post`` about, when the id is not written whole in URLs (``did/rkey``).
12. ``budgets``: endpoint name → :class:`~archiver.plumbing.hostlimits.Budget`, the
   most requests an endpoint allows in a window where the platform documents a limit it
   does not announce in its answers (Meta's oEmbed: ``Budget(1000, 3600)``). Every run's
   requests to the endpoint are counted in the data directory; beyond the budget none is
   sent, and the check is ``unknown`` (``Settings.budgets`` lets a user set another).
13. ``hosts: tuple[str, ...]``: the domain suffixes of the platform's own hosts
   (``("tiktok.com", "tiktokcdn.com")``). A user may give archiver their own cookies for
   the platform (``archive --cookies NAME=cookies.txt``): only a platform with ``hosts``
   takes them, every cookie must belong to one of them, and they are sent to those hosts
   only (:mod:`archiver.plumbing.cookies`). :data:`ANY_HOST` alone, for a platform whose
   posts live on any host (Mastodon): a cookies file then names one host, the user's
   instance, and goes there only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from ..plumbing.net import Fetcher, Response

Status = Literal["live", "deleted", "unavailable", "unknown"]

ANY_HOST = "*"
"""``Platform.hosts`` of a platform whose posts live on any host (see the module docstring, 12)."""

Form = str
"""How an article cites a post (``article_posts.form``): an open vocabulary, see FORMS."""

Placement = Literal["body", "page"]
"""Where in the page an embed sits: ``body``, the article's own content (archived), or
``page``, the page around it (navigation, sidebars, footers, comments, widgets,
webmentions, teasers of other articles: recorded as seen, archived only on request)."""
BODY: Placement = "body"
PAGE: Placement = "page"

BLOCKQUOTE = "blockquote"
IFRAME = "iframe"
AMP = "amp"
POST_LINK = "status_link"
MEDIA_LINK = "pic_link"
SHORT_LINK = "short_link"
SCRIPT_WIDGET = "script_widget"
CMS_WRAPPER = "cms_wrapper"
PLACEHOLDER = "placeholder"
REDIRECT_LINK = "redirect_link"

FORMS: Mapping[str, str] = {
    BLOCKQUOTE: "the platform's embed snippet: a blockquote its script turns into a card",
    IFRAME: "a card already rendered, or pasted, as an iframe of the platform's embed page",
    AMP: "an AMP component (amp-twitter, amp-instagram…)",
    POST_LINK: "a link to the post, or its URL pasted in the text",
    MEDIA_LINK: "a link to the post's media that leads to the post (pic.twitter.com)",
    SHORT_LINK: "a short link that may lead to a post (t.co), resolved to tell",
    SCRIPT_WIDGET: "a script element naming the post (Telegram's widget)",
    CMS_WRAPPER: "a CMS or embed service holding only the post's URL (WordPress embed block, iframely, Embedly)",
    PLACEHOLDER: "an element a script fills, naming the post in an attribute (data-url, data-tweet-id)",
    REDIRECT_LINK: "a link through a click tracker (a newsletter's substack.com/redirect/…), followed to tell",
}
"""The common forms. A platform may record others of its own: no schema change needed."""


class PostRef(NamedTuple):
    """A post, wherever archiver holds one: its platform's name and the platform's own id."""

    platform: str
    native_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.native_id}"


@dataclass
class FoundEmbed:
    """One place in an article that cites a post."""

    platform: str
    link: str
    """The URL as it appears in the article (absolute)."""
    form: Form
    native_id: str | None = None
    """The platform's own post id when the link names it; None until resolved."""
    embed_text: str | None = None
    """For a blockquote: the newsroom's copy of the post, as plain text."""
    inner_links: list[str] = field(default_factory=list)
    """Short links inside a blockquote: evidence of the embed, not embeds themselves."""
    placement: Placement = BODY
    """``body`` or ``page``. A platform leaves the default: the generic finder
    (:mod:`archiver.steps.find`) places every embed by where in the page it sits."""
    tentative: bool = False
    """The link only looks like a post of the platform (a bare link on any host): the
    platform's ``identify`` confirms it, and one it does not confirm is no embed, not an error."""


@dataclass
class MediaItem:
    kind: Literal["photo", "video", "poster", "audio", "captions"]
    url: str
    """The URL to copy: a photo at full size, the best video variant, an audio or caption file."""
    width: int | None = None
    height: int | None = None
    content_type: str | None = None
    bitrate: int | None = None
    alt_text: str | None = None
    fallback_url: str | None = None
    """A lesser copy (a CDN's re-encoding) to keep only when ``url`` cannot be had: the
    capture then says so (``checked_as.substitute``)."""
    fallback_content_type: str | None = None
    sha256: str | None = None
    """The SHA-256 (hex) the platform says ``url``'s bytes have (a Bluesky blob's CID):
    bytes that differ are refused as the original, a per-post media error."""


@dataclass
class PostData:
    native_id: str
    author_handle: str | None
    author_name: str | None
    text: str | None
    created_at: str | None
    """ISO 8601 UTC, e.g. 2023-01-09T21:14:07Z."""
    lang: str | None = None
    media: list[MediaItem] = field(default_factory=list)
    quoted_id: str | None = None
    """The native id of a post this one quotes, on the same platform."""
    quoted: PostData | None = None
    """The quoted post's data when the response embeds it."""
    reply_to_id: str | None = None
    """The native id of the post this one replies to, on the same platform: archived
    too, like a quoted post (a reply read without what it answers can mislead)."""
    requested_id: str | None = None
    """The id asked for, when the platform answered with another (a repost)."""
    media_page: str | None = None
    """A page whose media the media extractor (yt-dlp, :mod:`archiver.steps.extract`)
    copies, for a platform whose videos are not plain files (YouTube, TikTok): its
    streams as served, a merged MP4, its info JSON. ``media`` still lists what archiver
    copies itself (posters, photos)."""


@dataclass
class SourceAnswer:
    """One source's answer about a post: kept as a ``data`` capture, summed up in signals."""

    source: str
    """The source's name, e.g. 'syndication', 'oembed', 'api'; ``captures.source``."""
    url: str
    response: Response | None
    error: str | None = None
    """Why there is no response (timeout, reset, cap)."""
    says: str = "no-answer"
    """This source's own verdict, in the platform's words (live, gone, unavailable, no-answer…)."""
    _parsed: object = field(default=None, init=False, repr=False, compare=False)
    _was_parsed: bool = field(default=False, init=False, repr=False, compare=False)

    @property
    def status(self) -> int | None:
        return self.response.status if self.response else None

    def json(self) -> dict[str, object] | None:
        """The body as a JSON object (None if it is not one), parsed once."""
        if not self._was_parsed:
            self._parsed, self._was_parsed = self._parse(), True
        return self._parsed if isinstance(self._parsed, dict) else None

    def _parse(self) -> object:
        if self.response is None or not self.response.body:
            return None
        try:
            return json.loads(self.response.body)
        except ValueError:
            return None


@dataclass
class PostFetch:
    """What fetching a post found: a verdict, the data, and the answers behind them."""

    platform: str
    native_id: str
    status: Status
    data: PostData | None
    answers: list[SourceAnswer] = field(default_factory=list)
    complete: bool = False
    """Whether ``data`` is the platform's full record (not a sketch from a fallback source):
    only then does a sweep compare it with the last capture to notice an edit."""
    deleted_if_seen_live: bool = False
    """For ``deleted``: the answers cannot tell a removed post from one hidden from
    anonymous readers, unless it was once seen public (Mastodon cannot make a public post
    private later). A post never archived live is then ``unavailable``."""

    def as_seen(self, was_live: bool) -> PostFetch:
        """This fetch, its verdict read against whether the post was ever archived live."""
        if self.status == "deleted" and self.deleted_if_seen_live and not was_live:
            return replace(self, status="unavailable")
        return self

    @property
    def ref(self) -> PostRef:
        return PostRef(self.platform, self.native_id)

    @property
    def logged_in(self) -> str | None:
        """The platforms whose cookies, given by the user, went with the answers' requests
        (``archive --cookies``); None when none did."""
        names = {n for a in self.answers if a.response is not None and a.response.logged_in
                 for n in a.response.logged_in.split(",")}
        return ",".join(sorted(names)) or None

    @property
    def signals(self) -> dict[str, object]:
        """Each source's HTTP status (None: no answer, with the error) and what it says."""
        return {
            a.source: {"status": a.status, "says": a.says, **({"error": a.error} if a.error else {})}
            for a in self.answers
        }


@dataclass(frozen=True)
class CardSpec:
    """Where a platform's rendered card is, and how to tell it has finished rendering.

    Strings, not code: the renderer runs them in the page (JavaScript and CSS selectors),
    so rendering stays generic.
    """

    selector: str = "article"
    """CSS selector of the card's element, in its embed page or a card frame: cropped to."""
    ready: str | None = None
    """JavaScript function of no arguments, true once the card has rendered, beyond its
    element being visible and its images loaded (which are always waited for)."""
    pending: str | None = None
    """CSS selector of the platform's embeds in an article page that its script has not
    yet turned into cards; the page shot waits (a while) until none is left."""
    wall: str | None = None
    """JavaScript function of no arguments, run in the embed page: a short description
    (e.g. "a cookie consent page") when the page shows an interstitial instead of the
    post (consent, login, bot check), else an empty string. The card is then a per-post
    error naming it, never a picture of the wall."""


def names_post_by(
    url: str, native_id: str, id_of: Callable[[str], str | None], params: Sequence[str] = ("url",)
) -> bool:
    """Whether ``url`` asks about the post ``native_id``: it names the post itself (``id_of``
    reads a post URL's id), or a query parameter holds the post's URL (an oEmbed's ``?url=``,
    a plugin page's ``?href=``). A helper for a platform's ``names_post``."""
    if id_of(url) == native_id:
        return True
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError:
        return False
    return any(id_of(u) == native_id for name in params for u in query.get(name, []))


def reason_for(signals: Mapping[str, Mapping[str, object]], reasons: Mapping[str, str]) -> str | None:
    """The first of ``reasons`` (a source's ``says`` → words for a reader) that a source said:
    for a platform's ``unavailable_reason`` when its sources name the cause."""
    said = {str(s.get("says")) for s in signals.values()}
    return next((reason for says, reason in reasons.items() if says in said), None)


class Platform(Protocol):
    """What a platform provides; see the module docstring for how to write one."""

    name: str
    """The platform's name: ``posts.platform``, the entry-point name, Settings.endpoints' key."""
    endpoints: Mapping[str, str]
    """Default endpoints by name; a user's Settings.endpoints[name] overrides them."""
    card: CardSpec

    # recognising its URLs
    def post_id_from_url(self, url: str) -> str | None: ...

    def handle_from_url(self, url: str) -> str | None: ...

    def resolvable_link(self, url: str) -> str | None:
        """An absolute URL when ``url`` is a link of this platform that leads to a post
        only once followed (t.co, pic.twitter.com; written with or without a scheme)."""
        ...

    def next_hop(self, response: Response) -> str | None:
        """Where a 200 answer met while resolving points on, when it is one of the
        platform's interstitial pages (a redirect by markup, an unsafe-link warning)."""
        ...

    # finding its embeds
    def find_in_html(self, html: str, base_url: str) -> list[FoundEmbed]: ...

    def find_in_text(self, text: str) -> list[FoundEmbed]: ...

    # fetching a post
    async def fetch_post(self, fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch: ...

    def canonical_url(self, native_id: str, handle: str | None) -> str: ...

    def created_at_from_id(self, native_id: str) -> str | None: ...

    # its card
    def card_url(self, native_id: str, endpoints: Mapping[str, str]) -> str | None: ...

    def card_in_frame(self, url: str) -> str | None:
        """The native id of the post a frame at ``url`` shows as this platform's card."""
        ...

    # in words, for people browsing the archive
    sources: Mapping[str, str]
    """Each source ``fetch_post`` asks (``SourceAnswer.source``), as a reader would call it."""

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        """Why a post is unavailable, in words, as far as its signals (``PostFetch.signals``)
        tell; None when they do not say."""
        ...

    # evidence
    def names_post(self, url: str, native_id: str) -> bool:
        """Whether a request to ``url`` asked about this post (its API answer, its card)."""
        ...
