"""Fake Mastodon instances, from the field guide (PLATFORMS_OTHER.md §2 and §11).

Every instance host (``MastodonState.instances``) answers:

- ``/api/v1/statuses/<id>``: 200 Status JSON; 404 ``{"error":"Record not found"}`` for
  a deleted, private or direct status or one whose author is suspended or gone; 401
  ``{"error":"This API requires an authenticated user"}`` when the instance demands
  login; 429 ``{"error":"Too many requests"}`` with ``X-RateLimit-*`` (reset in ISO
  8601) when rate limited; 503 ``{"error":"Remote data could not be fetched"}`` when
  failing. A viewing instance answers for its copies (``MastoInstance.copies``) under
  its own ids, ``uri``/``url`` naming the origin, media cached under its own host.
- ``/api/v1/accounts/lookup?acct=``: 200 Account (``suspended: true`` when suspended),
  404 when gone.
- ``/@user``: 200, 410 (suspended for good), 403 (suspended for now), 404 (gone).
- ``/@user/<id>``: the status page; ``/users/<user>/statuses/<id>``: 302 there.
- ``/@user/<id>/embed``: 404 for a private, direct, deleted status or a reblog; 410/403
  for a suspended author; else 200 with ``Cache-Control: public, max-age=180``: the 4.3+
  page (``#mastodon-status[data-props]``, rendered by script from the instance's API) or,
  for instances older than 4.3, the server-rendered ``.activity-stream .entry``.
- ``/api/oembed?url=``: the 4.3 blockquote, or the legacy iframe before 4.3.
- ``/embed.js``: turns ``blockquote.mastodon-embed`` (when its URL starts with one of the
  script's ``data-allowed-prefixes``) and ``iframe.mastodon-embed`` into sized frames.
- ``/system/media_attachments/files/<id>/{original,small}/<name>``: media bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, urlsplit

from . import media as media_gen

if TYPE_CHECKING:
    from .handlers import Response
    from .world import World

AccountStatus = Literal["live", "suspended", "suspended-for-now", "gone"]
Visibility = Literal["public", "unlisted", "private", "direct"]


@dataclass
class MastoAccount:
    host: str
    username: str
    display_name: str
    id: str = "1"
    status: AccountStatus = "live"


@dataclass
class MastoMedia:
    kind: Literal["image", "video", "gifv", "audio"]
    id: str
    label: str
    width: int = 1200
    height: int = 800
    description: str = ""

    @property
    def name(self) -> str:
        return f"{self.id}.{ 'jpg' if self.kind == 'image' else 'mp3' if self.kind == 'audio' else 'mp4'}"

    def path(self, size: str = "original") -> str:
        name = self.name if size == "original" else f"{self.id}.jpg"
        return f"/system/media_attachments/files/{self.id}/{size}/{name}"

    def original(self) -> tuple[bytes, str]:
        if self.kind == "image":
            return media_gen.jpeg(self.label, self.width, self.height, int(self.id) % 1000, False, "orig"), "image/jpeg"
        if self.kind == "audio":
            return media_gen.m4a(self.label), "audio/mp4"
        return media_gen.mp4(self.label, self.width, self.height, audio=self.kind == "video"), "video/mp4"

    def preview(self) -> bytes:
        return media_gen.jpeg(self.label, self.width, self.height, int(self.id) % 1000, False, "small")


@dataclass
class MastoStatus:
    host: str
    id: str
    username: str
    content: str
    """The status's HTML, as Mastodon serves it (``<p>…</p>``)."""
    created_at: str
    language: str = "en"
    visibility: Visibility = "public"
    deleted: bool = False
    media: list[MastoMedia] = field(default_factory=list)
    quote_of: tuple[str, str] | None = None
    """(host, id) of a status this one quotes (Mastodon 4.5 quotes)."""
    reply_to: tuple[str, str] | None = None
    """(host, id) of the status this one replies to: ``in_reply_to_id`` is the viewing
    instance's id of it (for a remote one, its copy's id in ``MastoInstance.copies``)."""
    spoiler_text: str = ""

    @property
    def url(self) -> str:
        return f"https://{self.host}/@{self.username}/{self.id}"

    @property
    def uri(self) -> str:
        return f"https://{self.host}/users/{self.username}/statuses/{self.id}"


@dataclass
class MastoInstance:
    host: str
    version: str = "4.3.2"
    auth_required: bool = False
    rate_limited: bool = False
    failing: bool = False
    copies: dict[str, tuple[str, str]] = field(default_factory=dict)
    """This instance's id of a remote status → (origin host, origin id)."""
    software: Literal["mastodon", "pleroma"] = "mastodon"
    """``pleroma``: Pleroma/Akkoma (field guide §2.2): the same API, statuses at
    ``/notice/<id>`` (flake ids), ActivityPub ids ``/objects/<uuid>`` that redirect there,
    no ``/@user/<id>/embed`` page."""

    @property
    def blockquote_embeds(self) -> bool:
        major, minor = (int(x) for x in self.version.split(".")[:2])
        return (major, minor) >= (4, 3)


@dataclass
class MastodonState:
    instances: dict[str, MastoInstance] = field(default_factory=dict)
    accounts: dict[tuple[str, str], MastoAccount] = field(default_factory=dict)
    statuses: dict[tuple[str, str], MastoStatus] = field(default_factory=dict)

    def add_instance(self, instance: MastoInstance) -> MastoInstance:
        self.instances[instance.host] = instance
        return instance

    def add_account(self, account: MastoAccount) -> MastoAccount:
        self.instances.setdefault(account.host, MastoInstance(account.host))
        self.accounts[(account.host, account.username.lower())] = account
        return account

    def add_status(self, status: MastoStatus) -> MastoStatus:
        self.statuses[(status.host, status.id)] = status
        return status

    def hosts(self) -> set[str]:
        return set(self.instances)

    def account(self, host: str, username: str) -> MastoAccount | None:
        return self.accounts.get((host, username.lower()))

    def shown(self, status: MastoStatus | None) -> bool:
        """Whether anonymous readers are shown it (API, page, embed)."""
        if status is None or status.deleted or status.visibility not in ("public", "unlisted"):
            return False
        account = self.account(status.host, status.username)
        return account is not None and account.status == "live"


# --------------------------------------------------------------------------- entities


def public_urls(state: MastodonState, status: MastoStatus) -> tuple[str, str]:
    """A status's ``url`` and ActivityPub ``uri``, as its own server makes them."""
    instance = state.instances.get(status.host)
    if instance is not None and instance.software == "pleroma":
        return f"https://{status.host}/notice/{status.id}", f"https://{status.host}/objects/{object_uuid(status)}"
    return status.url, status.uri


def object_uuid(status: MastoStatus) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{status.host}/{status.id}"))


def account_json(account: MastoAccount, viewer: str) -> dict[str, object]:
    acct = account.username if viewer == account.host else f"{account.username}@{account.host}"
    out: dict[str, object] = {
        "id": account.id, "username": account.username, "acct": acct, "display_name": account.display_name,
        "locked": False, "bot": False, "created_at": "2022-11-01T00:00:00.000Z", "note": "<p></p>",
        "url": f"https://{account.host}/@{account.username}",
        "avatar": f"https://{account.host}/avatars/original/missing.png", "followers_count": 10,
        "following_count": 3, "statuses_count": 20, "emojis": [], "fields": [],
    }
    if account.status in ("suspended", "suspended-for-now"):
        out["suspended"] = True
    return out


def status_json(state: MastodonState, status: MastoStatus, viewer: str, local_id: str | None = None) -> dict[str, object]:
    account = state.account(status.host, status.username)
    assert account is not None
    remote = viewer != status.host
    attachments = []
    for m in status.media:
        origin_url = f"https://{status.host}{m.path()}"
        cached = f"https://{viewer}/system/cache{m.path()}" if remote else origin_url
        attachments.append({
            "id": m.id, "type": m.kind, "url": cached, "remote_url": origin_url if remote else None,
            "preview_url": f"https://{viewer}{m.path('small')}" if not remote else f"https://{viewer}/system/cache{m.path('small')}",
            "meta": {"original": {"width": m.width, "height": m.height}}, "description": m.description or None,
            "blurhash": "UFBWY[00?bRj00?b",
        })
    in_reply_to_id = in_reply_to_account_id = None
    mentions: list[dict[str, object]] = []
    parent = state.statuses.get(status.reply_to) if status.reply_to is not None else None
    if parent is not None:
        in_reply_to_id = parent.id if parent.host == viewer else next(
            (mine for mine, origin in state.instances[viewer].copies.items() if origin == (parent.host, parent.id)), None
        )
        parent_account = state.account(parent.host, parent.username)
        if parent_account is not None and in_reply_to_id is not None:
            known = account_json(parent_account, viewer)
            # A remote account has an id of the viewer's own.
            in_reply_to_account_id = parent_account.id if parent.host == viewer else f"9{parent_account.id}"
            if parent_account is not account:
                mentions.append({"id": in_reply_to_account_id, "username": parent_account.username,
                                 "acct": known["acct"], "url": known["url"]})
    out: dict[str, object] = {
        "id": local_id or status.id, "created_at": status.created_at, "in_reply_to_id": in_reply_to_id,
        "in_reply_to_account_id": in_reply_to_account_id, "sensitive": bool(status.spoiler_text), "spoiler_text": status.spoiler_text,
        "visibility": status.visibility, "language": status.language, "uri": public_urls(state, status)[1],
        "url": public_urls(state, status)[0],
        "replies_count": 0, "reblogs_count": 0, "favourites_count": 2, "edited_at": None,
        "content": status.content, "reblog": None, "account": account_json(account, viewer),
        "media_attachments": attachments, "mentions": mentions, "tags": [], "emojis": [], "card": None, "poll": None,
    }
    if status.quote_of is not None:
        quoted = state.statuses.get(status.quote_of)
        out["quote"] = {"state": "accepted",
                        "quoted_status": status_json(state, quoted, viewer) if state.shown(quoted) and quoted else None}
    return out


# --------------------------------------------------------------------------- answers


def _json(status: int, data: object, **headers: str) -> Response:
    from .handlers import Response

    return Response(status, {"Content-Type": "application/json; charset=utf-8", **headers},
                    json.dumps(data, ensure_ascii=False).encode())


def _not_found_json() -> Response:
    return _json(404, {"error": "Record not found"})


def _page(status: int, title: str, body: str, **headers: str) -> Response:
    from .handlers import Response

    text = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>{body}</body></html>"
    return Response(status, {"Content-Type": "text/html; charset=utf-8", **headers}, text.encode())


def _account_page_answer(account: MastoAccount | None) -> Response | None:
    """AccountOwnedConcern: 410 suspended for good, 403 for now, 404 gone; None: live."""
    if account is None or account.status == "gone":
        return _page(404, "The page you are looking for isn't here.", "<h1>404</h1>")
    if account.status == "suspended":
        return _page(410, "Gone", "<h1>This account has been suspended</h1>")
    if account.status == "suspended-for-now":
        return _page(403, "Forbidden", "<h1>This account is temporarily suspended</h1>")
    return None


def _resolve(state: MastodonState, host: str, status_id: str) -> tuple[MastoStatus | None, str | None]:
    """The status an instance shows under ``status_id``: its own, or a copy (and the local id)."""
    instance = state.instances[host]
    if status_id in instance.copies:
        return state.statuses.get(instance.copies[status_id]), status_id
    return state.statuses.get((host, status_id)), None


def _api(state: MastodonState, instance: MastoInstance, path: str, query: dict[str, list[str]]) -> Response | None:
    host = instance.host
    if instance.rate_limited:
        reset = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return _json(429, {"error": "Too many requests"}, **{"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                                                            "X-RateLimit-Reset": reset})
    if instance.failing:
        return _json(503, {"error": "Remote data could not be fetched"})
    if instance.auth_required:
        return _json(401, {"error": "This API requires an authenticated user"})
    if path.startswith("/api/v1/statuses/"):
        status_id = path.rsplit("/", 1)[1]
        status, local_id = _resolve(state, host, status_id)
        if not state.shown(status):
            return _not_found_json()
        assert status is not None
        return _json(200, status_json(state, status, host, local_id))
    if path == "/api/v1/accounts/lookup":
        acct = query.get("acct", [""])[0]
        user, _, domain = acct.partition("@")
        account = state.account(domain or host, user)
        if account is None or account.status == "gone":
            return _not_found_json()
        return _json(200, account_json(account, host))
    if path == "/api/oembed":
        return _oembed(state, instance, query)
    return None


def _oembed(state: MastodonState, instance: MastoInstance, query: dict[str, list[str]]) -> Response:
    url = query.get("url", [""])[0]
    parts = urlsplit(url)
    segments = parts.path.strip("/").split("/")
    if parts.hostname != instance.host or len(segments) != 2 or not segments[0].startswith("@"):
        return _not_found_json()
    status = state.statuses.get((instance.host, segments[1]))
    if not state.shown(status) or status is None:
        return _not_found_json()
    return _json(200, {
        "type": "rich", "version": "1.0", "author_name": status.username,
        "author_url": f"https://{instance.host}/@{status.username}", "provider_name": instance.host,
        "provider_url": f"https://{instance.host}/", "cache_age": 86400, "html": embed_snippet(instance, status),
        "width": 400, "height": None,
    })


def embed_snippet(instance: MastoInstance, status: MastoStatus) -> str:
    """What the instance's oEmbed gives a newsroom: the 4.3+ blockquote, or the old iframe."""
    embed = f"{status.url}/embed"
    if not instance.blockquote_embeds:
        return (f'<iframe src="{embed}" class="mastodon-embed" style="max-width: 100%; border: 0" width="400" '
                f'allowfullscreen="allowfullscreen"></iframe>'
                f'<script src="https://{instance.host}/embed.js" async="async"></script>')
    return (
        f'<blockquote class="mastodon-embed" data-embed-url="{embed}" style="background: #FCF8FF; border-radius: 8px; '
        f'border: 1px solid #C9C4DA; margin: 0; max-width: 540px; min-width: 270px; overflow: hidden; padding: 0;">'
        f'<a href="{status.url}" target="_blank" style="align-items: center; color: #1C1A25; display: flex; '
        f'flex-direction: column; padding: 24px; text-decoration: none;">'
        f'<div style="margin-top: 16px; color: #787588;">Post by @{status.username}@{instance.host}</div>'
        f'<div style="font-weight: 500;">View on Mastodon</div></a></blockquote>'
        f'<script data-allowed-prefixes="https://{instance.host}/" async src="https://{instance.host}/embed.js"></script>'
    )


EMBED_JS = r"""
(function () {
  var n = 0;
  function frame(src) {
    var f = document.createElement('iframe');
    f.src = src; f.className = 'mastodon-embed';
    f.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-popups');
    f.style.cssText = 'max-width:100%;border:0;overflow:hidden;width:400px;height:0';
    f.id = 'mastodon-embed-' + (n++);
    return f;
  }
  window.addEventListener('message', function (e) {
    var d = e.data || {};
    if (d.type !== 'setHeight') return;
    var f = document.getElementById(d.id);
    if (!f) return;
    f.style.height = d.height + 'px';
    var holder = f.closest('blockquote.mastodon-embed');
    if (holder) { var a = holder.querySelector(':scope > a'); if (a) a.remove(); }
  });
  function ask(f) { f.addEventListener('load', function () { f.contentWindow.postMessage({type: 'setHeight', id: f.id}, '*'); }); }
  var prefixes = [];
  document.querySelectorAll('script[data-allowed-prefixes]').forEach(function (s) {
    prefixes = prefixes.concat((s.getAttribute('data-allowed-prefixes') || '').split(' '));
  });
  document.querySelectorAll('iframe.mastodon-embed').forEach(function (f) {
    if (!f.id) f.id = 'mastodon-embed-' + (n++);
    f.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-popups'); ask(f);
    f.src = f.src;
  });
  document.querySelectorAll('blockquote.mastodon-embed').forEach(function (b) {
    var url = b.getAttribute('data-embed-url') || '';
    if (!/^https?:\/\//.test(url) || !prefixes.some(function (p) { return p && url.indexOf(p) === 0; })) return;
    var f = frame(url); ask(f); b.appendChild(f);
  });
})();
"""

_EMBED_STYLE = ("<style>body{margin:0;font-family:sans-serif;background:#fff}"
                ".detailed-status,.entry{border:1px solid #c9c4da;border-radius:8px;padding:14px;max-width:380px}"
                ".display-name{font-weight:bold}.acct{color:#787588}.status__content{margin:10px 0}"
                ".media img{max-width:100%;display:block}</style>")

_HEIGHT_JS = ("<script>(function(){var asked=null;function tell(){if(asked!==null)"
              "parent.postMessage({type:'setHeight',id:asked,height:document.body.scrollHeight},'*');}"
              "window.addEventListener('message',function(e){var d=e.data||{};if(d.type==='setHeight'){asked=d.id;tell();}});"
              "new ResizeObserver(tell).observe(document.body);})();</script>")


def _rendered(state: MastodonState, status: MastoStatus, host: str) -> str:
    account = state.account(status.host, status.username)
    assert account is not None
    images = "".join(f'<img src="https://{host}{m.path("small")}" alt="{html.escape(m.description)}">' for m in status.media)
    return (f'<div class="display-name">{html.escape(account.display_name)}</div>'
            f'<div class="acct">@{status.username}@{status.host}</div>'
            f'<div class="status__content">{status.content}</div><div class="media">{images}</div>'
            f'<a class="detailed-status__datetime" href="{status.url}">{status.created_at[:10]}</a>')


def _embed_page(state: MastodonState, instance: MastoInstance, status: MastoStatus) -> Response:
    cache = {"Cache-Control": "public, max-age=180"}
    if not instance.blockquote_embeds:
        body = f'<div class="activity-stream activity-stream--headless"><div class="entry">{_rendered(state, status, instance.host)}</div></div>'
        return _page(200, "Mastodon", _EMBED_STYLE + body + _HEIGHT_JS, **cache)
    props = html.escape(json.dumps({"id": status.id, "locale": "en"}))
    script = (
        "<script>(function(){var root=document.getElementById('mastodon-status');"
        "var id=JSON.parse(root.getAttribute('data-props')).id;"
        "fetch('/api/v1/statuses/'+id).then(function(r){if(!r.ok)throw new Error(r.status);return r.json();})"
        ".then(function(s){setTimeout(function(){var d=document.createElement('div');d.className='detailed-status';"
        "var e=function(t){var x=document.createElement('div');x.textContent=t;return x.innerHTML;};"
        "d.innerHTML='<div class=\"display-name\">'+e(s.account.display_name)+'</div><div class=\"acct\">@'+e(s.account.acct)+'</div>'"
        "+'<div class=\"status__content\">'+s.content+'</div><div class=\"media\">'"
        "+s.media_attachments.map(function(m){return '<img src=\"'+m.preview_url+'\" alt=\"\">';}).join('')+'</div>'"
        "+'<a class=\"detailed-status__datetime\" href=\"'+s.url+'\">'+s.created_at.slice(0,10)+'</a>';"
        "root.appendChild(d);},80);}).catch(function(){root.textContent='';});})();</script>"
    )
    body = f'<div id="mastodon-status" data-props="{props}"></div>{script}'
    return _page(200, "Mastodon", _EMBED_STYLE + body + _HEIGHT_JS, **cache)


def respond(world: World, host: str, path_qs: str) -> Response | None:
    """An instance's answer, or None when ``host`` is not one of the world's instances."""
    from .handlers import Response, _not_found, _redirect

    state = world.mastodon
    instance = state.instances.get(host)
    if instance is None:
        return None
    split = urlsplit(path_qs)
    path, query = split.path or "/", parse_qs(split.query)
    if path.startswith("/api/"):
        answer = _api(state, instance, path, query)
        return answer if answer is not None else _not_found_json()
    if path == "/embed.js":
        return Response(200, {"Content-Type": "application/javascript; charset=utf-8"}, EMBED_JS.encode())
    if path.startswith(("/system/media_attachments/", "/system/cache/")):
        return _media(state, host, path)
    segments = path.strip("/").split("/")
    if instance.software == "pleroma" and len(segments) == 2 and segments[0] in ("notice", "objects"):
        return _pleroma_page(state, host, segments[0], segments[1])
    if segments[0] == "users" and len(segments) >= 4 and segments[2] == "statuses":
        return _redirect(f"https://{host}/@{segments[1]}/{segments[3]}" + ("/embed" if segments[-1] == "embed" else ""), 302)
    if not segments[0].startswith("@"):
        return _not_found()
    username = segments[0][1:]
    if "@" in username:  # a remote account's copy shown here
        if len(segments) >= 2:
            status, local = _resolve(state, host, segments[1])
            if local is not None and state.shown(status) and status is not None:
                return _page(200, status.username, _rendered(state, status, host))
        return _page(404, "Not found", "<h1>404</h1>")
    account = state.account(host, username)
    refused = _account_page_answer(account)
    if refused is not None:
        return refused
    assert account is not None
    if len(segments) == 1:
        return _page(200, account.display_name, f"<h1>{html.escape(account.display_name)}</h1>")
    status = state.statuses.get((host, segments[1]))
    if status is None or status.username.lower() != username.lower() or not state.shown(status):
        return _page(404, "Not found", "<h1>404</h1>")
    if len(segments) == 3 and segments[2] == "embed" and instance.software == "mastodon":
        return _embed_page(state, instance, status)
    if len(segments) == 2:
        return _page(200, f"{account.display_name}: {status.id}", _rendered(state, status, host))
    return _not_found()


def _pleroma_page(state: MastodonState, host: str, kind: str, key: str) -> Response:
    """Pleroma's ``/notice/<id>`` page, and ``/objects/<uuid>`` redirecting to it."""
    from .handlers import _redirect

    for status in state.statuses.values():
        if status.host != host or not state.shown(status):
            continue
        if kind == "notice" and status.id == key:
            return _page(200, status.username, _rendered(state, status, host))
        if kind == "objects" and object_uuid(status) == key:
            return _redirect(f"https://{host}/notice/{status.id}", 302)
    return _page(404, "Not found", "<h1>404</h1>")


def _media(state: MastodonState, host: str, path: str) -> Response:
    from .handlers import Response, _not_found

    cached = path.startswith("/system/cache/")
    real = path.replace("/system/cache", "", 1)
    for status in state.statuses.values():
        if status.host != host and not cached:
            continue
        for m in status.media:
            if real == m.path():
                data, mime = m.original()
                return Response(200, {"Content-Type": mime, "Cache-Control": "public, max-age=31536000"}, data)
            if real == m.path("small"):
                return Response(200, {"Content-Type": "image/jpeg"}, m.preview())
    return _not_found()


__all__ = [
    "MastoAccount", "MastoInstance", "MastoMedia", "MastoStatus", "MastodonState", "embed_snippet", "object_uuid",
    "public_urls", "respond", "status_json",
]
