"""A fake Bluesky, from the field guide (PLATFORMS_OTHER.md §1 and §11).

Hosts:

- ``public.api.bsky.app``: ``app.bsky.feed.getPostThread`` (200 threadViewPost; 400
  ``NotFound`` "Post not found: <uri>" for a deleted or taken-down post, an account that
  is not live, or a handle that does not resolve), ``app.bsky.feed.getPosts`` (missing
  posts silently left out), ``app.bsky.actor.getProfile`` (400 ``AccountTakedown`` /
  ``AccountDeactivated`` / ``InvalidRequest`` "Profile not found"),
  ``com.atproto.identity.resolveHandle`` (400 "Unable to resolve handle"). CORS open,
  as the embed page needs. ``BlueskyState.rate_limited``: 429 ``RateLimitExceeded`` with
  ``RateLimit-*`` headers.
- ``plc.directory/<did>``: the DID document naming the account's PDS.
- PDS hosts (``BskyAccount.pds``): ``com.atproto.sync.getBlob`` → the bytes as uploaded
  (400 ``BlobNotFound``, ``RepoNotFound``, ``RepoTakendown``, ``RepoDeactivated``).
- ``cdn.bsky.app/img/feed_{fullsize,thumbnail}/plain/<did>/<cid>@jpeg``: re-encoded
  copies (smaller, so a test can tell them from the originals).
- ``video.bsky.app/watch/<did>/<cid>/{playlist.m3u8, <h>p/video.m3u8, <h>p/seg<n>.ts,
  thumbnail.jpg}``: a real HLS stream of the video, cut by ffmpeg, in two variants (the
  full size and half of it, the lesser listed first); ``BskyVideo.hls_files`` replaces
  any of its files (hostile playlists).
- ``embed.bsky.app``: ``/static/embed.js`` (each ``[data-bluesky-uri]`` becomes an
  iframe of the embed page), ``/embed/<did>/app.bsky.feed.post/<rkey>`` (400 "Invalid
  DID" for a handle, else a page that asks getPostThread and renders the card into
  ``#app``, or "Post not found, it may have been deleted.", or the opt-out text), and
  ``/oembed`` (with the quirky ``provider_url`` key; 404 text "post not found").
- ``bsky.app``: the web app's shell for any path.

Blob CIDs are real: CIDv1, raw codec, the SHA-256 of the bytes as uploaded
(:func:`blob_cid`), so a copy can be checked against the record.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

from . import media as media_gen

if TYPE_CHECKING:
    from .handlers import Response
    from .world import World

API = "public.api.bsky.app"
PLC = "plc.directory"
CDN = "cdn.bsky.app"
VIDEO = "video.bsky.app"
EMBED = "embed.bsky.app"
WEB = "bsky.app"
DEFAULT_PDS = "bsky.social"
FIXED_HOSTS = frozenset({API, PLC, CDN, VIDEO, EMBED, WEB, DEFAULT_PDS})
COLLECTION = "app.bsky.feed.post"
_B32 = "abcdefghijklmnopqrstuvwxyz234567"

AccountStatus = Literal["live", "taken-down", "deactivated", "deleted"]
PostStatus = Literal["live", "deleted", "taken-down"]


def fake_cid(*parts: object) -> str:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    bits = int.from_bytes(digest, "big")
    return "bafkrei" + "".join(_B32[(bits >> (5 * i)) & 31] for i in range(52))


def blob_cid(data: bytes) -> str:
    """A blob's real CID: CIDv1, raw codec (0x55), SHA2-256 multihash, base32 with a 'b'."""
    raw = bytes([1, 0x55, 0x12, 32]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def did_plc(name: str) -> str:
    """A did:plc of 24 base32 characters, stable for ``name``."""
    return "did:plc:" + fake_cid("did", name)[7:31]


@dataclass
class BskyAccount:
    did: str
    handle: str
    display_name: str
    pds: str = "morel.us-east.host.bsky.network"
    status: AccountStatus = "live"
    opted_out: bool = False
    """Carries the ``!no-unauthenticated`` self-label."""


@dataclass
class BskyImage:
    label: str
    width: int
    height: int
    alt: str = ""
    seed: int = 0

    served_wrong: bool = False
    """The PDS serves other bytes than the record's CID names (a corrupt or lying PDS)."""

    @property
    def cid(self) -> str:
        return blob_cid(self.original())

    def original(self) -> bytes:
        return media_gen.jpeg(self.label, self.width, self.height, self.seed, False, "orig")

    def served(self) -> bytes:
        """What the PDS's getBlob answers with."""
        if self.served_wrong:
            return media_gen.jpeg(self.label, self.width, self.height, self.seed + 1000, False, "orig")
        return self.original()

    def cdn_copy(self, preset: str) -> bytes:
        # feed_fullsize fits in 1000x1000 (the CDN's preset); thumbnails are smaller still
        variant = "900x900" if preset == "feed_fullsize" else "small"
        return media_gen.jpeg(self.label, self.width, self.height, self.seed, False, variant)


@dataclass
class BskyVideo:
    seed: str
    width: int
    height: int
    alt: str = ""
    blob_gone: bool = False
    """The PDS no longer serves the original (``BlobNotFound``): only the HLS stream is left."""
    hls_files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    """Files of the HLS stream served instead of the real ones, by path under
    ``watch/<did>/<cid>/`` (``playlist.m3u8``, ``360p/video.m3u8``…): content type, bytes."""

    def renditions(self) -> dict[str, tuple[int, int]]:
        """The stream's variants, by directory: the full size, and half of it."""
        return {f"{self.height}p": (self.width, self.height), f"{self.height // 2}p": (self.width // 2, self.height // 2)}

    def master_playlist(self) -> bytes:
        lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
        # The lesser variant first, as video.bsky.app lists them: the best is not the first.
        for name, (w, h) in sorted(self.renditions().items(), key=lambda r: r[1][1]):
            lines += [f"#EXT-X-STREAM-INF:BANDWIDTH={w * h * 3},RESOLUTION={w}x{h},CODECS=\"avc1.64001e,mp4a.40.2\"",
                      f"{name}/video.m3u8"]
        return ("\n".join(lines) + "\n").encode()

    def hls_file(self, path: str) -> tuple[str, bytes] | None:
        """The stream's file at ``path``: the master playlist, a variant's playlist or segment."""
        if path in self.hls_files:
            return self.hls_files[path]
        playlist = "application/vnd.apple.mpegurl"
        if path == "playlist.m3u8":
            return playlist, self.master_playlist()
        name, _, file = path.partition("/")
        if name not in self.renditions():
            return None
        files = media_gen.hls_rendition(self.seed, *self.renditions()[name])
        if file not in files:
            return None
        return (playlist if file.endswith(".m3u8") else "video/mp2t"), files[file]

    @property
    def cid(self) -> str:
        return blob_cid(self.original())

    def original(self) -> bytes:
        return media_gen.mp4(self.seed, self.width, self.height)


@dataclass
class BskyPost:
    did: str
    rkey: str
    text: str
    created_at: str
    lang: str = "en"
    status: PostStatus = "live"
    images: list[BskyImage] = field(default_factory=list)
    video: BskyVideo | None = None
    quote: tuple[str, str] | None = None
    """(did, rkey) of a post this one quotes."""
    reply_to: tuple[str, str] | None = None
    """(did, rkey) of the post this one replies to (``record.reply.parent``)."""
    reply_root: tuple[str, str] | None = None
    """(did, rkey) of its thread's first post (``record.reply.root``; default: the parent)."""
    links: list[tuple[str, str]] = field(default_factory=list)
    """(text in ``text``, URL): link facets."""
    like_count: int = 0

    @property
    def uri(self) -> str:
        return f"at://{self.did}/{COLLECTION}/{self.rkey}"


@dataclass
class BlueskyState:
    accounts: dict[str, BskyAccount] = field(default_factory=dict)
    """By DID."""
    posts: dict[tuple[str, str], BskyPost] = field(default_factory=dict)
    rate_limited: bool = False

    def add_account(self, account: BskyAccount) -> BskyAccount:
        self.accounts[account.did] = account
        return account

    def add_post(self, post: BskyPost) -> BskyPost:
        self.posts[(post.did, post.rkey)] = post
        return post

    def hosts(self) -> set[str]:
        return set(FIXED_HOSTS) | {a.pds for a in self.accounts.values()}

    def account(self, actor: str) -> BskyAccount | None:
        actor = actor.lower() if not actor.startswith("did:") else actor
        if actor in self.accounts:
            return self.accounts[actor]
        return next((a for a in self.accounts.values() if a.handle.lower() == actor), None)

    def post(self, did: str, rkey: str) -> BskyPost | None:
        return self.posts.get((did, rkey))

    def blob(self, did: str, cid: str) -> tuple[bytes, str] | None:
        for post in self.posts.values():
            if post.did != did:
                continue
            for image in post.images:
                if image.cid == cid:
                    return image.served(), "image/jpeg"
            if post.video is not None and post.video.cid == cid and not post.video.blob_gone:
                return post.video.original(), "video/mp4"
        return None

    def media(self, did: str, cid: str) -> BskyImage | BskyVideo | None:
        for post in self.posts.values():
            if post.did == did:
                for image in post.images:
                    if image.cid == cid:
                        return image
                if post.video is not None and post.video.cid == cid:
                    return post.video
        return None


# --------------------------------------------------------------------------- views


def web_url(post: BskyPost) -> str:
    return f"https://{WEB}/profile/{post.did}/post/{post.rkey}"


def _author(account: BskyAccount) -> dict[str, object]:
    labels = [{"src": account.did, "uri": f"at://{account.did}/app.bsky.actor.profile/self",
               "val": "!no-unauthenticated", "cts": "2024-01-01T00:00:00.000Z"}] if account.opted_out else []
    return {
        "did": account.did, "handle": account.handle, "displayName": account.display_name,
        "avatar": f"https://{CDN}/img/avatar/plain/{account.did}/{fake_cid('avatar', account.did)}@jpeg",
        "labels": labels, "createdAt": "2023-04-01T00:00:00.000Z",
    }


def _facets(post: BskyPost) -> list[dict[str, object]]:
    facets = []
    encoded = post.text.encode()
    for shown, url in post.links:
        start = encoded.find(shown.encode())
        if start >= 0:
            facets.append({"index": {"byteStart": start, "byteEnd": start + len(shown.encode())},
                           "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}]})
    return facets


def _media_record(post: BskyPost) -> dict[str, object] | None:
    if post.images:
        return {"$type": "app.bsky.embed.images", "images": [
            {"alt": i.alt, "aspectRatio": {"width": i.width, "height": i.height},
             "image": {"$type": "blob", "ref": {"$link": i.cid}, "mimeType": "image/jpeg", "size": len(i.original())}}
            for i in post.images
        ]}
    if post.video is not None:
        v = post.video
        return {"$type": "app.bsky.embed.video", "alt": v.alt, "aspectRatio": {"width": v.width, "height": v.height},
                "video": {"$type": "blob", "ref": {"$link": v.cid}, "mimeType": "video/mp4", "size": len(v.original())}}
    return None


def _media_view(post: BskyPost) -> dict[str, object] | None:
    if post.images:
        return {"$type": "app.bsky.embed.images#view", "images": [
            {"thumb": f"https://{CDN}/img/feed_thumbnail/plain/{post.did}/{i.cid}@jpeg",
             "fullsize": f"https://{CDN}/img/feed_fullsize/plain/{post.did}/{i.cid}@jpeg",
             "alt": i.alt, "aspectRatio": {"width": i.width, "height": i.height}}
            for i in post.images
        ]}
    if post.video is not None:
        v = post.video
        base = f"https://{VIDEO}/watch/{quote(post.did, safe='')}/{v.cid}"
        return {"$type": "app.bsky.embed.video#view", "cid": v.cid, "playlist": f"{base}/playlist.m3u8",
                "thumbnail": f"{base}/thumbnail.jpg", "alt": v.alt,
                "aspectRatio": {"width": v.width, "height": v.height}}
    return None


def _visible(state: BlueskyState, post: BskyPost | None) -> bool:
    if post is None or post.status != "live":
        return False
    account = state.accounts.get(post.did)
    return account is not None and account.status == "live"


def post_view(state: BlueskyState, post: BskyPost) -> dict[str, object]:
    account = state.accounts[post.did]
    record: dict[str, object] = {"$type": COLLECTION, "text": post.text, "createdAt": post.created_at,
                                 "langs": [post.lang]}
    facets = _facets(post)
    if facets:
        record["facets"] = facets
    if post.reply_to is not None:
        root = post.reply_root or post.reply_to
        record["reply"] = {
            "root": {"uri": f"at://{root[0]}/{COLLECTION}/{root[1]}", "cid": fake_cid("record", *root)},
            "parent": {"uri": f"at://{post.reply_to[0]}/{COLLECTION}/{post.reply_to[1]}",
                       "cid": fake_cid("record", *post.reply_to)},
        }
    media_record, media_view = _media_record(post), _media_view(post)
    view: dict[str, object] | None = media_view
    if post.quote is not None:
        quoted = state.post(*post.quote)
        quoted_uri = f"at://{post.quote[0]}/{COLLECTION}/{post.quote[1]}"
        strong = {"uri": quoted_uri, "cid": fake_cid("record", *post.quote)}
        if _visible(state, quoted):
            assert quoted is not None
            inner: dict[str, object] = {
                "$type": "app.bsky.embed.record#viewRecord", "uri": quoted_uri, "cid": strong["cid"],
                "author": _author(state.accounts[quoted.did]),
                "value": {"$type": COLLECTION, "text": quoted.text, "createdAt": quoted.created_at},
                "indexedAt": quoted.created_at,
            }
        else:
            inner = {"$type": "app.bsky.embed.record#viewNotFound", "uri": quoted_uri, "notFound": True}
        record_view = {"$type": "app.bsky.embed.record#view", "record": inner}
        if media_record is not None:
            record["embed"] = {"$type": "app.bsky.embed.recordWithMedia", "media": media_record,
                               "record": {"$type": "app.bsky.embed.record", "record": strong}}
            view = {"$type": "app.bsky.embed.recordWithMedia#view", "media": media_view, "record": record_view}
        else:
            record["embed"] = {"$type": "app.bsky.embed.record", "record": strong}
            view = record_view
    elif media_record is not None:
        record["embed"] = media_record
    out: dict[str, object] = {
        "uri": post.uri, "cid": fake_cid("record", post.did, post.rkey), "author": _author(account),
        "record": record, "replyCount": 0, "repostCount": 0, "likeCount": post.like_count, "quoteCount": 0,
        "indexedAt": post.created_at, "labels": [],
    }
    if view is not None:
        out["embed"] = view
    return out


# --------------------------------------------------------------------------- answers


def _json(status: int, data: object, **headers: str) -> Response:
    from .handlers import Response

    body = json.dumps(data, ensure_ascii=False).encode()
    return Response(status, {"Content-Type": "application/json; charset=utf-8", "Access-Control-Allow-Origin": "*",
                             **headers}, body)


def _error(name: str, message: str, status: int = 400) -> Response:
    return _json(status, {"error": name, "message": message})


def _text(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    from .handlers import Response

    return Response(status, {"Content-Type": content_type}, text.encode())


def _parse_uri(uri: str) -> tuple[str, str] | None:
    if not uri.startswith("at://"):
        return None
    parts = uri[5:].split("/")
    if len(parts) != 3 or parts[1] != COLLECTION:
        return None
    return parts[0], parts[2]


def _api(state: BlueskyState, path: str, query: dict[str, list[str]]) -> Response:
    if state.rate_limited:
        reset = str(int(time.time()) + 300)
        return _json(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                     **{"RateLimit-Limit": "3000", "RateLimit-Remaining": "0", "RateLimit-Reset": reset,
                        "RateLimit-Policy": "3000;w=300"})
    method = path.removeprefix("/xrpc/")
    if method == "app.bsky.feed.getPostThread":
        uri = query.get("uri", [""])[0]
        named = _parse_uri(uri)
        if named is None:
            return _error("InvalidRequest", f"Invalid at-uri: {uri}")
        account = state.account(named[0])
        post = state.post(account.did, named[1]) if account is not None else None
        if account is None or not _visible(state, post):
            return _error("NotFound", f"Post not found: {uri}")
        assert post is not None
        return _json(200, {"thread": {"$type": "app.bsky.feed.defs#threadViewPost", "post": post_view(state, post),
                                      "replies": []}})
    if method == "app.bsky.feed.getPosts":
        posts = []
        for uri in query.get("uris", [])[:25]:
            named = _parse_uri(uri)
            post = state.post(*named) if named else None
            if _visible(state, post):
                assert post is not None
                posts.append(post_view(state, post))
        return _json(200, {"posts": posts})
    if method == "app.bsky.actor.getProfile":
        account = state.account(query.get("actor", [""])[0])
        if account is None or account.status == "deleted":
            return _error("InvalidRequest", "Profile not found")
        if account.status == "taken-down":
            return _error("AccountTakedown", "Account has been suspended")
        if account.status == "deactivated":
            return _error("AccountDeactivated", "Account is deactivated")
        return _json(200, {**_author(account), "followersCount": 10, "followsCount": 5, "postsCount": 3})
    if method == "com.atproto.identity.resolveHandle":
        account = state.account(query.get("handle", [""])[0])
        if account is None or account.did.startswith("did:") is False or account.status == "deleted":
            return _error("InvalidRequest", "Unable to resolve handle")
        return _json(200, {"did": account.did})
    return _error("MethodNotImplemented", "Method Not Implemented", 501)


def _did_document(state: BlueskyState, did: str) -> Response:
    account = state.accounts.get(did)
    if account is None:
        return _text(404, f"DID not registered: {did}")
    return _json(200, {
        "@context": ["https://www.w3.org/ns/did/v1"], "id": did, "alsoKnownAs": [f"at://{account.handle}"],
        "verificationMethod": [],
        "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                     "serviceEndpoint": f"https://{account.pds}"}],
    })


def _get_blob(state: BlueskyState, host: str, query: dict[str, list[str]]) -> Response:
    from .handlers import Response

    did, cid = query.get("did", [""])[0], query.get("cid", [""])[0]
    account = state.accounts.get(did)
    if account is None or account.pds != host and host != DEFAULT_PDS:
        return _error("RepoNotFound", f"Could not find repo for DID: {did}")
    if account.status == "taken-down":
        return _error("RepoTakendown", f"Repo has been takendown: {did}")
    if account.status == "deactivated":
        return _error("RepoDeactivated", f"Repo has been deactivated: {did}")
    found = state.blob(did, cid)
    if found is None:
        return _error("BlobNotFound", "Blob not found")
    data, mime = found
    return Response(200, {"Content-Type": mime, "Content-Security-Policy": "default-src 'none'; sandbox",
                          "Cache-Control": "private"}, data)


def _cdn(state: BlueskyState, path: str) -> Response:
    from .handlers import Response, _not_found

    parts = path.strip("/").split("/")
    # img/<preset>/plain/<did>/<cid>@jpeg
    if len(parts) != 5 or parts[0] != "img" or parts[2] != "plain":
        return _not_found()
    preset, did, cid = parts[1], unquote(parts[3]), parts[4].split("@", 1)[0]
    item = state.media(did, cid)
    if not isinstance(item, BskyImage) or preset not in ("feed_fullsize", "feed_thumbnail"):
        return _not_found()
    return Response(200, {"Content-Type": "image/jpeg", "Cache-Control": "public, max-age=604800"}, item.cdn_copy(preset))


def _video(state: BlueskyState, path: str) -> Response:
    from .handlers import Response, _not_found

    parts = path.strip("/").split("/")
    if len(parts) < 4 or parts[0] != "watch":
        return _not_found()
    did, cid, rest = unquote(parts[1]), parts[2], "/".join(parts[3:])
    item = state.media(did, cid)
    if not isinstance(item, BskyVideo):
        return _not_found()
    if rest == "thumbnail.jpg":
        return Response(200, {"Content-Type": "image/jpeg"},
                        media_gen.jpeg(item.seed, item.width, item.height, 0, False, "small"))
    found = item.hls_file(rest)
    if found is None:
        return _not_found()
    return Response(200, {"Content-Type": found[0], "Access-Control-Allow-Origin": "*"}, found[1])


EMBED_JS = r"""
(function () {
  var n = 0;
  function scan(root) {
    (root || document).querySelectorAll('[data-bluesky-uri]').forEach(function (node) {
      var uri = node.getAttribute('data-bluesky-uri') || '';
      if (uri.indexOf('at://') !== 0) return;
      var id = String(Date.now()) + String(n++);
      var div = document.createElement('div');
      div.className = 'bluesky-embed';
      div.style.cssText = 'max-width:600px;width:100%;margin-top:10px;margin-bottom:10px;display:flex';
      var frame = document.createElement('iframe');
      frame.setAttribute('data-bluesky-id', id);
      frame.src = 'https://embed.bsky.app/embed/' + uri.slice(5) + '?id=' + id +
        '&ref_url=' + encodeURIComponent(location.href) + '&colorMode=' + (node.getAttribute('data-bluesky-embed-color-mode') || 'system');
      frame.width = '100%'; frame.frameBorder = '0'; frame.scrolling = 'no';
      frame.style.cssText = 'border:none;display:block;flex-grow:1;height:200px';
      div.appendChild(frame);
      node.replaceWith(div);
    });
  }
  window.addEventListener('message', function (e) {
    if (e.origin !== 'https://embed.bsky.app' || !e.data || !e.data.id) return;
    var frame = document.querySelector('[data-bluesky-id="' + e.data.id + '"]');
    if (frame) frame.style.height = e.data.height + 'px';
  });
  window.bluesky = {scan: scan};
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { scan(); });
  else scan();
})();
"""

_EMBED_PAGE = r"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bluesky Embed</title>
<style>body{margin:0;font-family:sans-serif;background:#fff}
.card{border:1px solid #d4dbe2;border-radius:8px;padding:14px 16px;margin:0;max-width:560px;background:#fff}
.author{display:flex;gap:10px;align-items:center}.author img{width:40px;height:40px;border-radius:50%;background:#0a7aff}
.name{font-weight:bold}.handle{color:#66788a}.text{white-space:pre-wrap;margin:10px 0;font-size:16px}
.media img{max-width:100%;display:block;border-radius:6px;margin-top:6px}.quote{border:1px solid #d4dbe2;border-radius:6px;padding:8px;margin-top:6px}
.date{color:#66788a;font-size:13px}.error{padding:16px;color:#42576c}</style></head>
<body><div id="app"></div><script>
(function () {
  var app = document.getElementById('app');
  var uri = 'at://' + decodeURIComponent(location.pathname.slice('/embed/'.length));
  var id = new URLSearchParams(location.search).get('id');
  function tell() { if (parent !== window) parent.postMessage({id: id, height: document.body.scrollHeight}, '*'); }
  function esc(s) { var d = document.createElement('div'); d.textContent = s == null ? '' : String(s); return d.innerHTML; }
  function done(state, html) {
    var box = document.createElement('div');
    box.className = 'card'; box.setAttribute('data-state', state); box.innerHTML = html;
    app.appendChild(box);
    var imgs = [].slice.call(box.querySelectorAll('img'));
    Promise.all(imgs.map(function (i) { return i.complete ? 0 : new Promise(function (r) { i.onload = i.onerror = r; }); }))
      .then(tell);
  }
  fetch('https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread?uri=' + encodeURIComponent(uri) + '&depth=0&parentHeight=0')
    .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
    .then(function (body) {
      var post = body.thread && body.thread.post;
      if (!post) throw new Error('no post');
      var labels = (post.author.labels || []).map(function (l) { return l.val; });
      if (labels.indexOf('!no-unauthenticated') >= 0) {
        done('opted-out', '<p class="error">The author of this post has requested their posts not be displayed on external sites.</p><a href="https://bsky.app/profile/' + esc(post.author.did) + '/post/' + esc(uri.split('/').pop()) + '">View on Bluesky</a>');
        return;
      }
      var html = '<div class="author"><img src="' + esc(post.author.avatar) + '" alt=""><div><div class="name">' +
        esc(post.author.displayName) + '</div><div class="handle">@' + esc(post.author.handle) + '</div></div></div>' +
        '<p class="text">' + esc(post.record.text) + '</p>';
      var embed = post.embed || {};
      var media = embed.media || embed;
      if (media.images) html += '<div class="media">' + media.images.map(function (i) { return '<img src="' + esc(i.thumb) + '" alt="' + esc(i.alt) + '">'; }).join('') + '</div>';
      if (media.thumbnail) html += '<div class="media"><img src="' + esc(media.thumbnail) + '" alt="video"></div>';
      var rec = embed.record && (embed.record.record || embed.record);
      if (rec && rec.value) html += '<div class="quote"><b>' + esc(rec.author.displayName) + '</b> ' + esc(rec.value.text) + '</div>';
      html += '<a class="date" href="https://bsky.app/profile/' + esc(post.author.did) + '/post/' + esc(uri.split('/').pop()) + '">' +
        esc(new Date(post.record.createdAt).toUTCString()) + '</a>';
      setTimeout(function () { done('live', html); }, 100);
    })
    .catch(function () { done('not-found', '<p class="error">Post not found, it may have been deleted.</p>'); });
})();
</script></body></html>"""


def _embed_host(state: BlueskyState, path: str, query: dict[str, list[str]]) -> Response:
    from .handlers import Response, _html, _not_found

    if path in ("/static/embed.js", "/embed.js"):
        return Response(200, {"Content-Type": "application/javascript; charset=utf-8"}, EMBED_JS.encode())
    if path.startswith("/embed/"):
        parts = unquote(path[len("/embed/"):]).split("/")
        if len(parts) != 3 or parts[1] != COLLECTION:
            return _text(400, "Invalid path")
        if not parts[0].startswith("did:"):
            return _text(400, f"Invalid DID: {parts[0]}")
        return _html(200, _EMBED_PAGE)
    if path == "/oembed":
        return _oembed(state, query)
    return _not_found()


def _oembed(state: BlueskyState, query: dict[str, list[str]]) -> Response:
    if query.get("format", ["json"])[0] != "json":
        return _text(501, f"Unsupported oEmbed format: {query['format'][0]}")
    url = query.get("url", [""])[0]
    if url.startswith("at://"):
        named = _parse_uri(url)
    else:
        parts = urlsplit(url).path.strip("/").split("/")
        named = (parts[1], parts[3]) if urlsplit(url).hostname == WEB and len(parts) == 4 and parts[2] == "post" else None
    if named is None:
        return _text(400, f"Expected 'url' to be bsky.app URL or AT-URI: {url}")
    account = state.account(named[0])
    post = state.post(account.did, named[1]) if account else None
    if account is None or not _visible(state, post):
        return _text(404, "post not found")
    assert post is not None
    if account.opted_out:
        return _text(403, "post is not publicly accessible")
    snippet = (
        f'<blockquote class="bluesky-embed" data-bluesky-uri="{post.uri}" data-bluesky-cid="{fake_cid("record", post.did, post.rkey)}">'
        f'<p lang="{post.lang}">{html.escape(post.text)}</p>&mdash; '
        f'<a href="https://bsky.app/profile/{post.did}?ref_src=embed">{html.escape(account.display_name)} (@{account.handle})</a> '
        f'<a href="{web_url(post)}?ref_src=embed">{post.created_at}</a></blockquote>'
        '<script async src="https://embed.bsky.app/static/embed.js" charset="utf-8"></script>'
    )
    return _json(200, {"type": "rich", "version": "1.0", "author_name": f"{account.display_name} (@{account.handle})",
                       "author_url": f"https://bsky.app/profile/{account.handle}", "provider_url": "Bluesky Social",
                       "cache_age": 86400, "width": 600, "height": None, "html": snippet})


def respond(world: World, host: str, path_qs: str) -> Response | None:
    """Bluesky's answer, or None when ``host`` is none of Bluesky's."""
    from .handlers import _html

    state = world.bluesky
    if host not in state.hosts():
        return None
    split = urlsplit(path_qs)
    path, query = split.path or "/", parse_qs(split.query)
    if host == API:
        return _api(state, path, query)
    if host == PLC:
        return _did_document(state, unquote(path.strip("/")))
    if host == CDN:
        return _cdn(state, path)
    if host == VIDEO:
        return _video(state, path)
    if host == EMBED:
        return _embed_host(state, path, query)
    if host == WEB:
        return _html(200, "<!DOCTYPE html><title>Bluesky</title><noscript>This is a heavily interactive web "
                          "application, and JavaScript is required.</noscript>")
    if path == "/xrpc/com.atproto.sync.getBlob":
        return _get_blob(state, host, query)
    return _error("MethodNotImplemented", "Method Not Implemented", 501)


def snippet(state: BlueskyState, post: BskyPost, *, script: bool = True) -> str:
    """The official embed snippet a newsroom pastes (field guide §1.1)."""
    account = state.accounts[post.did]
    image = "<br><br>" + f'<a href="{web_url(post)}?ref_src=embed">[image or embed]</a>' if post.images or post.video else ""
    out = (
        f'<blockquote class="bluesky-embed" data-bluesky-uri="{post.uri}" '
        f'data-bluesky-cid="{fake_cid("record", post.did, post.rkey)}" data-bluesky-embed-color-mode="system">'
        f'<p lang="{post.lang}">{html.escape(post.text)}{image}</p>&mdash; {html.escape(account.display_name)} '
        f'(<a href="https://bsky.app/profile/{post.did}?ref_src=embed">@{account.handle}</a>) '
        f'<a href="{web_url(post)}?ref_src=embed">{post.created_at[:10]}</a></blockquote>'
    )
    return out + ('\n<script async src="https://embed.bsky.app/static/embed.js" charset="utf-8"></script>' if script else "")


__all__ = [
    "BlueskyState", "BskyAccount", "BskyImage", "BskyPost", "BskyVideo", "blob_cid", "did_plc", "fake_cid", "respond",
    "snippet", "web_url",
]


def tid(name: str) -> str:
    """A valid post record key (a TID) stable for ``name``."""
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    sortable = "234567abcdefghijklmnopqrstuvwxyz"
    rest = "".join(sortable[(digest >> (5 * i)) & 31] for i in range(11))
    return "3l" + rest
