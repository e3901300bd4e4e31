"""Datasette metadata for an archive: what each table and column means, how to sort,
label and facet them, full-text search, and the canned queries people ask most.

``archiver serve`` builds it on the fly, so it always matches the archiver installed;
``python -m archiver.browse metadata`` prints it for the plain ``datasette`` form.
"""

from __future__ import annotations

from typing import Any

DATABASE = "archive"
"""Datasette names a database after its file: archive.db."""

TABLES: dict[str, dict[str, Any]] = {
    "posts": {
        "description": "One row per archived post. status is the latest verdict; what the post showed while live is kept even after it is gone.",
        "sort_desc": "first_archived_at",
        "label_column": "label",
        "facets": ["status", "platform", "author_handle"],
        "fts_table": "posts_fts",
        "fts_pk": "id",
        "columns": {
            "id": "archiver's id for the post",
            "platform": "the platform it was posted on (twitter, bluesky, mastodon, or any platform installed)",
            "native_id": (
                "the platform's own id (twitter: the tweet id; bluesky: DID/rkey; mastodon: host/@user/id on the "
                "origin instance); with platform, it names the post"
            ),
            "url": "canonical URL of the post; the thumbnail is its embed card as screenshot, linking to the full PNG",
            "author_handle": "the author's @handle",
            "author_name": "the author's display name",
            "text": "the post's text, as last captured",
            "lang": "language the platform gave the post",
            "created_at": "when it was posted (from the platform, else from its id)",
            "status": "latest verdict: live, deleted, unavailable (protected, suspended, withheld) or unknown",
            "quoted_post_id": "the post this one quotes",
            "reply_to_post_id": "the post this one replies to (archived too)",
            "capture_complete": "1 once every capture its status calls for is stored",
            "first_archived_at": "when archiver first archived it",
            "last_checked_at": "when it was last checked",
            "next_check_at": "when a sweep checks it next",
            "content_fingerprint": "SHA-256 of the text and media last captured, to notice edits",
        },
    },
    "articles": {
        "description": "One row per article URL given to archiver. Its captures are the HTML as fetched and a full-page screenshot.",
        "sort_desc": "first_archived_at",
        "label_column": "title",
        "columns": {
            "id": "archiver's id for the article",
            "url": "the URL as given",
            "final_url": "the URL after redirects",
            "title": "the page's title",
            "http_status": "HTTP status of the last fetch",
            "content_type": "content type of the last fetch",
            "first_archived_at": "when archiver first fetched it",
            "last_fetched_at": "when it was last fetched",
            "watched": "1 while sweeps re-fetch it; 0 after archiver unwatch",
            "next_check_at": "when a sweep fetches it next",
            "citations_at": "when the posts it cites were last brought up to date (empty: never yet)",
        },
    },
    "article_posts": {
        "description": "Where an article cites a post: one row per distinct link, with the newsroom's copy of the post.",
        "sort_desc": "first_seen_at",
        "facets": ["article_id", "form"],
        "columns": {
            "article_id": "the citing article",
            "post_id": "the cited post",
            "link": "the link as found in the article",
            "form": "how it was cited: blockquote, iframe, amp, status_link, pic_link or short_link",
            "embed_text": "the post's text as the newsroom's embed holds it",
            "first_seen_at": "when archiver first saw this link in the article",
            "last_seen_at": "when archiver last saw it there",
            "removed_at": "when the article was first seen without it; empty while present",
        },
    },
    "seen_embeds": {
        "description": (
            "Every embed archiver saw in an article, with where it sits: 'body' (the article's own, archived and "
            "cited in article_posts) or 'page' (sidebars, widgets, comments around it: only recorded)."
        ),
        "sort_desc": "last_seen_at",
        "facets": ["placement", "platform", "form"],
        "columns": {
            "id": "archiver's id for the sighting",
            "article_id": "the article whose page showed it",
            "link": "the link as found in the page",
            "platform": "the post's platform",
            "native_id": "the post's id on its platform, once known (a short link not followed has none)",
            "form": "how it was shown: blockquote, iframe, status_link, placeholder, redirect_link…",
            "placement": "body: the article's own content; page: the page around it",
            "first_seen_at": "when archiver first saw it there",
            "last_seen_at": "when archiver last saw it there",
        },
    },
    "embed_regions": {
        "description": (
            "Where each citation sits in an article's page screenshot, measured when the page was shot: for a post "
            "with no card of its own (deleted before capture), the picture of it the article's page gave."
        ),
        "sort_desc": "id",
        "facets": ["element"],
        "columns": {
            "id": "archiver's id for the region",
            "capture_id": "the article's page screenshot (a captures row) the box is in",
            "article_id": "the citing article",
            "post_id": "the cited post",
            "link": "the citation's link, as found in the article (with article_id and post_id: an article_posts row)",
            "x": "the box's left edge, in the screenshot's pixels",
            "y": "the box's top edge, in the screenshot's pixels",
            "width": "the box's width, in pixels",
            "height": "the box's height, in pixels",
            "element": "what the box is of: card (the post's rendered card) or the page element's tag (blockquote, a, p…)",
            "recorded_at": "when the box was measured (as the page was shot)",
        },
    },
    "captures": {
        "description": "Every file captured, what it shows and when. Re-captures add rows; nothing is replaced.",
        "sort_desc": "id",
        "label_column": "kind",
        "facets": ["kind"],
        "columns": {
            "id": "archiver's id for the capture",
            "run_id": "the run that captured it",
            "post_id": "the post it shows, if any",
            "article_id": "the article it shows, if any",
            "kind": "html, page_screenshot, data, screenshot, photo, video, poster, audio, captions, or stream (a part of "
                    "a video served as HLS: a variant playlist or a segment, as served)",
            "captured_at": "when it was captured",
            "sha256": "SHA-256 of the file",
            "path": "the file, relative to the data directory (shown as a thumbnail or a link)",
            "mime": "its content type",
            "bytes": "its size",
            "width": "width in pixels (images and videos)",
            "height": "height in pixels",
            "source_url": "where it came from",
            "source": (
                "for data: the source the platform asked (twitter: syndication or oembed; bluesky: thread, "
                "profile or did; mastodon: status, account or profile); for media: yt-dlp or merged (video "
                "platforms), hls (a part of a video served as HLS) or remux (the MP4 made from those parts)"
            ),
            "duration": "length in seconds (videos and audio, as ffprobe read the stored file)",
            "checked_as": "JSON, for media: how the file was checked and what it was found to be (tool, container, codecs)",
            "logged_in": (
                "made logged in: the platforms whose cookies, given by the user, went with the requests it came from "
                "(it shows what that account saw); empty: made without them"
            ),
        },
    },
    "thumbnails": {
        "description": "A small JPEG of each image capture, made at capture time, for browsing.",
        "sort_desc": "capture_id",
        "columns": {
            "capture_id": "the capture it shrinks",
            "sha256": "SHA-256 of the thumbnail file",
            "path": "the thumbnail file, relative to the data directory",
            "width": "width in pixels",
            "height": "height in pixels",
            "mime": "its content type",
            "created_at": "when it was made",
        },
    },
    "status_checks": {
        "description": "Every check of a post's status, by archive or sweep. A post is deleted only when both sources say so.",
        "sort_desc": "id",
        "facets": ["status"],
        "columns": {
            "id": "archiver's id for the check",
            "post_id": "the post checked",
            "run_id": "the run that checked it",
            "checked_at": "when",
            "status": "the verdict: live, deleted, unavailable or unknown",
            "signals": "JSON: each source's HTTP status (or error) and what it says",
            "logged_in": "checked logged in: the platforms whose cookies, given by the user, the sources were asked with",
        },
    },
    "events": {
        "description": "Changes sweeps noticed: posts gone or back, edited, media changed; embeds added, removed or returned.",
        "sort_desc": "id",
        "facets": ["kind"],
        "columns": {
            "id": "archiver's id for the event",
            "run_id": "the run that noticed it",
            "detected_at": "when it was noticed",
            "kind": "deleted, unavailable, restored, edited, media_changed, embed_added, embed_removed or embed_returned",
            "post_id": "the post concerned",
            "article_id": "the article concerned",
            "detail": "JSON: what it was and what it became",
        },
    },
    "log": {
        "description": "The tamper-evident log: every capture, status check, event and blob, and every post, article and citation as inserted and after each change, hash-chained (and signed, after `archiver keygen`). `archiver verify` checks it.",
        "sort_desc": "seq",
        "facets": ["kind"],
        "columns": {
            "seq": "position in the chain",
            "kind": "capture (capture_v2 from schema version 6: with duration and checked_as; capture_v3 from 16: "
                    "with logged_in), status_check (status_check_v2 from 16: with logged_in), post (post_v2 from 14: "
                    "with reply_to_post_id), article, citation, event, blob, timestamp, wayback, seen_embed or "
                    "embed_region",
            "ref_table": "the table of the logged row",
            "ref_id": "the logged row's id (empty for blobs and article_posts)",
            "ref_key": "blobs: the SHA-256; article_posts: JSON [article_id, post_id, link]",
            "logged_at": "when it was logged",
            "late": "1 when the row predates the log and was chained when the archive was upgraded",
            "content_sha256": "SHA-256 of the row's canonical JSON, as it was when logged",
            "prev_sha256": "the previous entry's entry_sha256 (64 zeros for the first)",
            "entry_sha256": "SHA-256 of this entry, signature excluded",
            "key_id": "the signing key, if the entry is signed",
            "signature": "Ed25519 signature over entry_sha256, hex",
        },
    },
    "log_late": {
        "description": "Rows older than the log, per table: chained once, marked late.",
        "columns": {
            "ref_table": "the table",
            "up_to_id": "rows up to this rowid predate the log",
            "chained_at": "when they were chained",
        },
    },
    "signing_keys": {
        "description": "Public keys that sign the log. Private keys never live in the archive.",
        "columns": {
            "key_id": "SHA-256 of the raw public key",
            "algorithm": "ed25519",
            "public_key": "the raw public key, hex",
            "added_at": "when it was added",
            "first_seq": "the first log entry it signed",
        },
    },
    "image_hashes": {
        "description": "Perceptual hashes of stored images, to find re-uploads and visual changes (`archiver similar`).",
        "columns": {
            "sha256": "the image file",
            "algorithm": "dhash64: a 64-bit difference hash",
            "hash": "the hash, hex",
        },
    },
    # Trusted time and independent copies (issue 16).
    "timestamps": {
        "description": "RFC 3161 timestamps of the log: a Time-Stamp Authority saw the head entry's hash at "
                       "stated_at, so it and every entry before it existed by then. `archiver verify` checks each token.",
        "sort_desc": "id",
        "facets": ["tsa"],
        "columns": {
            "id": "archiver's id for the stamp",
            "tsa": "the TSA's name, as configured (ARCHIVER_TSA)",
            "url": "where it was asked",
            "head_seq": "the log entry stamped: it and every entry before it",
            "head_sha256": "that entry's entry_sha256: the token's message imprint",
            "stated_at": "the time the TSA signed (its genTime), UTC",
            "nonce": "the request's nonce, echoed in the token",
            "requested_at": "archiver's own clock when it asked",
            "response_sha256": "the TSA's answer (DER), a stored file: openssl ts -verify -in it",
            "certs_sha256": "PEM file: the certificates the token carried, then the roots it was checked against",
            "run_id": "the run that stamped",
        },
    },
    "wayback": {
        "description": "Wayback Machine copies of posts (opt-in): saved by Save Page Now when archived, or the "
                       "nearest existing copy of a post already gone.",
        "sort_desc": "id",
        "facets": ["kind"],
        "columns": {
            "id": "archiver's id for the record",
            "post_id": "the post",
            "run_id": "the run that asked",
            "kind": "saved (Save Page Now) or nearest (an existing copy)",
            "url": "the Wayback Machine's snapshot",
            "snapshot_at": "when the Wayback Machine captured it, UTC",
            "recorded_at": "when archiver recorded it",
            "detail": "JSON: the Save Page Now job, or the status of the copy",
        },
    },
    "links": {
        "description": "How each short or media link was resolved, hop by hop.",
        "sort_desc": "resolved_at",
        "columns": {
            "url": "the link",
            "final_url": "where it led",
            "hops": "JSON list of every hop: url and HTTP status",
            "resolved_at": "when it was resolved",
            "error": "why it could not be resolved, if it could not",
        },
    },
    "runs": {
        "description": "One row per invocation of archiver that captured anything, with the versions and user agents it used.",
        "sort_desc": "id",
        "label_column": "started_at",
        "facets": ["command"],
        "columns": {
            "id": "archiver's id for the run",
            "command": "archive or sweep",
            "started_at": "when it started",
            "finished_at": "when it finished; empty if it was killed",
            "archiver_version": "archiver's version",
            "python_version": "Python's version",
            "os": "the operating system",
            "user_agent": "what archiver's own HTTP client sent",
            "proxy_host": "host of the proxy used (never its credentials)",
            "browser_version": "Chromium's version, when the run rendered anything",
            "browser_user_agent": "Chromium's user agent",
            "tools": "Outside tools the run used, by name, with their versions (JSON), e.g. yt-dlp",
        },
    },
    "exchanges": {
        "description": "Every HTTP response received, by archiver's client or the browser, with its body's SHA-256.",
        "sort_desc": "id",
        "facets": ["client", "status"],
        "columns": {
            "id": "archiver's id for the exchange",
            "run_id": "the run that made it",
            "client": "http (archiver's client) or browser (Chromium)",
            "url": "the URL requested",
            "method": "the HTTP method",
            "status": "the HTTP status",
            "headers": "JSON list of the response headers",
            "started_at": "when the request was sent",
            "sha256": "SHA-256 of the body, when it was kept",
            "bytes": "size of the body",
            "logged_in": "the platforms whose cookies, given by the user, went with the request (their values are never kept)",
        },
    },
    "blobs": {
        "description": "Every stored file, once, named by its SHA-256 and never changed.",
        "sort_desc": "created_at",
        "label_column": "path",
        "facets": ["mime"],
        "columns": {
            "sha256": "SHA-256 of the file",
            "path": "the file, relative to the data directory",
            "bytes": "its size",
            "mime": "its content type",
            "created_at": "when it was stored",
        },
    },
    "schema_migrations": {
        "description": "The schema versions applied to this archive, and when.",
        "sort_desc": "version",
        "columns": {"version": "schema version", "name": "what it changed", "applied_at": "when it was applied"},
    },
    "queue_runs": {
        "description": "Runs whose work queue workers did (archiver.distributed): the dispatcher's key, the tasks handed out.",
        "hidden": True,
        "columns": {"key": "the dispatcher's key", "run_id": "the run", "tasks": "tasks handed out", "created_at": "when the writer first heard of it"},
    },
    "queue_results": {
        "description": "Each queued task's result, written once by the catalogue writer (a result delivered again is skipped).",
        "hidden": True,
        "columns": {"task": "the task's id", "run_key": "its run's key", "worker": "the worker that did it", "ingested_at": "when it was written", "outcome": "JSON: counts, errors, progress lines"},
    },
    "posts_fts": {
        "description": "Full-text index of posts: text, embed text and author (kept in sync by triggers).",
        "hidden": True,
        "columns": {"text": "the post's text", "embed_text": "the newsroom's copies", "author": "handle and name"},
    },
}

QUERIES: dict[str, dict[str, Any]] = {
    "recently_deleted": {
        "title": "Recently deleted or unavailable posts",
        "description": "Posts found gone, newest first: those that turned while watched, and those already gone when first archived. cited_by lists each citing article once (JSON in CSV and JSON exports).",
        "hide_sql": True,
        "sql": """with found as (
    select e.post_id, e.detected_at, e.kind from events e
    where e.kind in ('deleted', 'unavailable')
    union all
    select p.id, p.first_archived_at, p.status from posts p
    where p.status in ('deleted', 'unavailable')
      and not exists (select 1 from events e where e.post_id = p.id and e.kind = p.status)
)
select f.detected_at, f.kind, p.id as post_id, p.status as status_now, p.url, p.author_handle, p.text,
       (select json_group_array(json_object('id', x.id, 'title', x.title)) from (
            select distinct a.id, coalesce(a.title, a.url) as title from article_posts ap
            join articles a on a.id = ap.article_id where ap.post_id = p.id) x) as cited_by
from found f join posts p on p.id = f.post_id
order by f.detected_at desc
limit 1000""",
    },
    "articles_that_lost_embeds": {
        "title": "Articles that lost embeds",
        "hide_sql": True,
        "description": "Citations no longer on the article's page, most recently removed first.",
        "sql": """select ap.removed_at, a.id as article_id, a.title, a.url as article_url, ap.link, ap.form,
       p.id as post_id, p.url as post_url, p.status, ap.embed_text
from article_posts ap join articles a on a.id = ap.article_id join posts p on p.id = ap.post_id
where ap.removed_at is not null
order by ap.removed_at desc
limit 1000""",
    },
    "edited_posts": {
        "title": "Posts edited since capture",
        "hide_sql": True,
        "description": "Posts whose text changed after archiver first captured them; each change was captured again.",
        "sql": """select e.detected_at, p.id as post_id, p.url, p.author_handle,
       json_extract(e.detail, '$.before') as before, json_extract(e.detail, '$.after') as after
from events e join posts p on p.id = e.post_id
where e.kind = 'edited'
order by e.detected_at desc
limit 1000""",
    },
    "author_posts": {
        "title": "An author's posts",
        "hide_sql": True,
        "description": "Every archived post by one author: give the handle, with or without @.",
        "sql": """select p.id as post_id, p.created_at, p.status, p.url, p.text, p.first_archived_at
from posts p
where p.author_handle = ltrim(trim(:handle), '@') collate nocase
order by p.created_at desc
limit 1000""",
    },
    "article_captures": {
        "title": "Everything captured for one article",
        "hide_sql": True,
        "description": "The article's own captures (HTML, page screenshot) and those of every post it cites. Pick the article, or give its URL or id.",
        "sql": """with article as (
    select id from articles where url = trim(:article) or final_url = trim(:article) or cast(id as text) = trim(:article)
)
select c.id as capture_id, 'article' as of, null as post_url, c.kind, c.captured_at, c.path, c.mime, c.bytes,
       c.width, c.height, c.sha256, c.source_url
from captures c where c.article_id in (select id from article)
union all
select c.id, 'post', p.url, c.kind, c.captured_at, c.path, c.mime, c.bytes, c.width, c.height, c.sha256, c.source_url
from captures c join posts p on p.id = c.post_id
where c.post_id in (select post_id from article_posts where article_id in (select id from article))
order by 1""",
    },
}


def metadata() -> dict[str, Any]:
    """The metadata Datasette reads (``--metadata``): as a dict, ready for JSON."""
    return {
        "title": "archiver: posts cited by news articles",
        "description": (
            "The social-media posts that news articles embedded, archived with screenshots, media and "
            "hashes, and re-checked by sweeps: which are still there, which were deleted or edited. "
            "Start with articles (what happened to the posts each one cites), posts (search them) or recently deleted."
        ),
        "about": "archiver",
        "databases": {
            DATABASE: {
                "description": "The archive: articles, the posts they cite, every file captured and every check since.",
                "tables": TABLES,
                "queries": QUERIES,
            }
        },
    }
