"""HTML and JavaScript the platform serves: embed markup, t.co interstitials, the x.com
login wall, the embed card application (Tweet.html) and widgets.js.

The two scripts talk to each other the way the real ones do in spirit (iframe +
postMessage) but their message names are this fake's own: the archiver must not depend
on them, only on the DOM they leave (field guide §4).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from urllib.parse import quote

from .world import Post

WIDGETS_SCRIPT = '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
WIDGETS_SCRIPT_2011 = '<script src="//platform.twitter.com/widgets.js" charset="utf-8"></script>'

_TOKEN_RE = re.compile(r"https://t\.co/(\w+)|#(\w+)|@(\w+)")


def post_date_text(ts: dt.datetime) -> str:
    """The date link's text in embeds: "January 9, 2023" (UTC)."""
    ts = ts.astimezone(dt.timezone.utc)
    return f"{ts:%B} {ts.day}, {ts.year}"


def text_html(post: Post, text: str, short: dict[str, str], site: str, pic_host: str, ref: bool) -> str:
    """A post's text as the publisher tool writes it: t.co links shown by display text."""
    tail = "?ref_src=twsrc%5Etfw" if ref else ""
    parts: list[str] = []
    pos = 0
    for m in _TOKEN_RE.finditer(text):
        parts.append(html.escape(text[pos : m.start()], quote=False))
        pos = m.end()
        if m.group(1):
            code = m.group(1)
            if code == post.media_code:
                shown = f"{pic_host}/{code}"
            else:
                target = short.get(code, m.group(0))
                shown = re.sub(r"^https?://(www\.)?", "", target)
                shown = shown if len(shown) <= 26 else shown[:25] + "…"
            parts.append(f'<a href="https://t.co/{code}">{html.escape(shown)}</a>')
        elif m.group(2):
            amp = "&amp;" if ref else ""
            href = f"https://{site}/hashtag/{m.group(2)}?src=hash{amp}{'ref_src=twsrc%5Etfw' if ref else ''}"
            parts.append(f'<a href="{href}">#{m.group(2)}</a>')
        else:
            parts.append(f'<a href="https://{site}/{m.group(3)}{tail}">@{m.group(3)}</a>')
    parts.append(html.escape(text[pos:], quote=False))
    return "".join(parts).replace("\n", "<br>")


def blockquote(
    post: Post,
    text: str,
    short: dict[str, str],
    *,
    variant: str = "standard",
    klass: str = "twitter-tweet",
    attrs: dict[str, str] | None = None,
    script: bool = True,
) -> str:
    """Embed markup as pasted from the publisher tool, in one of the guide's eras.

    ``standard`` (2014–2023), ``2011`` (2011–2016: ``/statuses/``, ``data-datetime``, no
    lang/dir, protocol-relative widgets.js, no ref_src) or ``x`` (2024+: pic.x.com, x.com).
    """
    extra = "".join(f' {k}="{html.escape(v)}"' for k, v in (attrs or {}).items())
    who = f"{html.escape(post.user.name)} (@{post.user.screen_name})"
    date = post_date_text(post.created_at)
    handle = post.user.screen_name
    if variant == "2011":
        body = text_html(post, text, short, "twitter.com", "pic.twitter.com", ref=False)
        stamp = post.created_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        link = f'<a href="https://twitter.com/{handle}/statuses/{post.id}" data-datetime="{stamp}">{date}</a>'
        out = f'<blockquote class="{klass}"{extra}><p>{body}</p>&mdash; {who} {link}</blockquote>'
        return out + ("\n" + WIDGETS_SCRIPT_2011 if script else "")
    site, pic = ("x.com", "pic.x.com") if variant == "x" else ("twitter.com", "pic.twitter.com")
    body = text_html(post, text, short, site, pic, ref=True)
    link = f'<a href="https://{site}/{handle}/status/{post.id}?ref_src=twsrc%5Etfw">{date}</a>'
    p = f'<p lang="{post.lang}" dir="ltr">{body}</p>'
    out = f'<blockquote class="{klass}"{extra}>{p}&mdash; {who} {link}</blockquote>'
    return out + ("\n" + WIDGETS_SCRIPT if script else "")


def rendered_iframe_src(post_id: int, n: int = 0, origin: str = "https://www.example-news.com/") -> str:
    return (
        "https://platform.twitter.com/embed/Tweet.html?dnt=false&embedId=twitter-widget-"
        f"{n}&frame=false&hideCard=false&hideThread=false&id={post_id}&lang=en"
        f"&origin={quote(origin, safe='')}&theme=light&widgetsVersion=2615f7e52b7e0%3A1702314776716&width=550px"
    )


def rendered_iframe(post_id: int, n: int = 0, origin: str = "https://www.example-news.com/") -> str:
    """What widgets.js leaves in a saved page instead of the blockquote."""
    src = html.escape(rendered_iframe_src(post_id, n, origin))
    style = "position: static; visibility: visible; width: 550px; height: 640px; display: block; flex-grow: 1;"
    return (
        '<div class="twitter-tweet twitter-tweet-rendered" style="display: flex; max-width: 550px; width: 100%; '
        f'margin-top: 10px; margin-bottom: 10px;"><iframe id="twitter-widget-{n}" scrolling="no" frameborder="0" '
        f'allowtransparency="true" allowfullscreen="true" class="" style="{style}" title="X Post" src="{src}" '
        f'data-tweet-id="{post_id}"></iframe></div>'
    )


def article_page(title: str, blocks: list[str], lang: str = "en", charset: str = "utf-8", head: str = "") -> str:
    """A plain news-article page; ``blocks`` are HTML fragments (paragraphs, embeds)."""
    body = "\n".join(blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="{charset}">\n{head}'
        f"<title>{html.escape(title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<style>body{font-family:Georgia,serif;max-width:720px;margin:2em auto;padding:0 1em}</style>\n"
        f"</head>\n<body>\n<article>\n<h1>{html.escape(title)}</h1>\n{body}\n</article>\n</body>\n</html>\n"
    )


def para(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


# --------------------------------------------------------------------------- t.co & x.com


def tco_interstitial(target: str) -> str:
    """t.co's answer to a browser: title = target, meta refresh in noscript, JS replace."""
    js_target = json.dumps(target).replace("/", "\\/")
    return (
        f'<head><noscript><META http-equiv="refresh" content="0;URL={html.escape(target)}"></noscript>'
        f"<title>{html.escape(target)}</title></head>"
        f"<script>window.opener = null; location.replace({js_target})</script>"
    )


def unsafe_link_warning(target: str) -> str:
    t = html.escape(target)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Twitter / Warning</title></head><body>'
        '<div class="warning"><h1>Warning: this link may be unsafe</h1>'
        "<p>The link you are trying to access has been identified by Twitter or our partners as being "
        "potentially spammy or unsafe, in accordance with Twitter's URL policy.</p>"
        f'<p><a id="continue" href="{t}">Ignore this warning and continue</a></p>'
        f'<p class="url">{t}</p></div></body></html>'
    )


LOGIN_WALL = """<!DOCTYPE html>
<html dir="ltr" lang="en"><head><meta charset="utf-8"><title>X</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:sans-serif;margin:0;background:#fff;color:#0f1419}
.wall{max-width:600px;margin:80px auto;text-align:center}
.btn{display:inline-block;margin:8px;padding:10px 24px;border-radius:999px;background:#0f1419;color:#fff}</style>
</head><body>
<div class="wall" id="react-root">
<div class="errorContainer"><h1>JavaScript is not available.</h1>
<p>We’ve detected that JavaScript is disabled in this browser. Please enable JavaScript or switch to a
supported browser to continue using x.com. You can see a list of supported browsers in our Help Center.</p></div>
<p>Something went wrong, but don’t fret — let’s give it another shot.</p>
<p><a class="btn" href="https://x.com/i/flow/login">Log in</a><a class="btn" href="https://x.com/i/flow/signup">Sign up</a></p>
</div></body></html>
"""


# --------------------------------------------------------------------------- Tweet.html

_EMBED_CSS = """
html,body{margin:0;padding:0;background:transparent}
body{font:15px/20px -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#0f1419}
html[data-theme=dark] body{color:#e7e9ea}
article{box-sizing:border-box;width:100%;max-width:550px;border:1px solid #cfd9de;border-radius:12px;
  padding:12px 16px;background:#fff;overflow:hidden}
html[data-theme=dark] article{background:#000;border-color:#2f3336}
header{display:flex;align-items:center;gap:8px}
.avatar{width:48px;height:48px;border-radius:50%}
.names{display:flex;flex-direction:column;flex:1}
.name{font-weight:700}.handle{color:#536471}
.logo{font-size:22px;text-decoration:none;color:inherit}
.text{font-size:17px;line-height:24px;margin:10px 0;white-space:pre-wrap;word-wrap:break-word}
.media{display:grid;gap:2px;border-radius:12px;overflow:hidden;margin:8px 0}
.media.n2,.media.n3,.media.n4{grid-template-columns:1fr 1fr}
.media img{width:100%;display:block;object-fit:cover}
.media.n2 img,.media.n3 img,.media.n4 img{height:160px}
.video{position:relative}.play{position:absolute;left:50%;top:50%;transform:translate(-50%,-50%);
  width:60px;height:60px;border-radius:50%;background:#1d9bf0;color:#fff;font-size:30px;text-align:center;line-height:60px}
.gif{position:absolute;left:8px;bottom:8px;background:#000;color:#fff;font-size:12px;padding:0 4px;border-radius:4px}
.quoted{border:1px solid #cfd9de;border-radius:12px;padding:8px 12px;margin:8px 0}
.quoted .avatar{width:20px;height:20px}.quoted .text{font-size:15px}
footer{color:#536471;margin-top:8px}footer a{color:inherit;text-decoration:none}
.actions{color:#536471;border-top:1px solid #cfd9de;margin-top:8px;padding-top:8px}
article[data-state=unavailable]{background:#f7f9f9;color:#536471;padding:16px}
"""

_EMBED_JS = r"""
(function () {
  "use strict";
  var q = new URLSearchParams(location.search);
  var id = q.get("id") || "";
  var embedId = q.get("embedId") || "";
  var hideCard = q.get("hideCard") === "true";
  if (q.get("theme") === "dark") document.documentElement.setAttribute("data-theme", "dark");
  var MONTHS = ["Jan","Feb","Mar","Apr","May","Jun","Jul","Aug","Sep","Oct","Nov","Dec"];

  function token(id) {
    return ((Number(id) / 1e15) * Math.PI).toString(6 ** 2).replace(/(0+|\.)/g, "");
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
    });
  }
  function tell(method, params) {
    if (window.parent !== window) {
      window.parent.postMessage({"twttr.embed": {id: embedId, method: method, params: params}}, "*");
    }
  }
  function when(iso) {
    var d = new Date(iso), h = d.getUTCHours(), m = d.getUTCMinutes();
    var ampm = h < 12 ? "AM" : "PM";
    h = h % 12 || 12;
    return h + ":" + (m < 10 ? "0" : "") + m + " " + ampm + " \u00b7 " +
      MONTHS[d.getUTCMonth()] + " " + d.getUTCDate() + ", " + d.getUTCFullYear();
  }
  function textHtml(t) {
    var r = t.display_text_range || [0, t.text.length];
    var s = esc(Array.from(t.text).slice(r[0], r[1]).join(""));
    ((t.entities && t.entities.urls) || []).forEach(function (u) {
      s = s.split(esc(u.url)).join('<a href="' + esc(u.expanded_url) + '">' + esc(u.display_url) + "</a>");
    });
    return s;
  }
  function photoSrc(url, name) {
    return url.replace(/\.(jpg|png)$/, "") + "?format=jpg&name=" + name;
  }
  function mediaHtml(list) {
    if (!list || !list.length || hideCard) return "";
    var items = list.map(function (m) {
      if (m.type === "photo") {
        return '<img src="' + esc(photoSrc(m.media_url_https, "small")) + '" alt="' + esc(m.ext_alt_text || "Image") + '">';
      }
      return '<div class="video"><img src="' + esc(m.media_url_https) + '" alt="Embedded video">' +
        (m.type === "animated_gif" ? '<span class="gif">GIF</span>' : '<div class="play">\u25b6</div>') + "</div>";
    });
    return '<div class="media n' + items.length + '">' + items.join("") + "</div>";
  }
  function userHtml(u) {
    return '<header><img class="avatar" src="' + esc(u.profile_image_url_https) + '" alt="">' +
      '<div class="names"><span class="name">' + esc(u.name) + '</span><span class="handle">@' +
      esc(u.screen_name) + '</span></div><a class="logo" href="https://x.com/' + esc(u.screen_name) +
      '">\ud835\udd4f</a></header>';
  }
  function quotedHtml(t) {
    if (!t) return "";
    return '<div class="quoted" data-tweet-id="' + esc(t.id_str) + '">' + userHtml(t.user) +
      '<p class="text" lang="' + esc(t.lang) + '">' + textHtml(t) + "</p>" + mediaHtml(t.mediaDetails) + "</div>";
  }
  function settle(article) {
    // Report the height only once every image has loaded or failed, as the real card's
    // resize arrives after its media.
    var imgs = Array.prototype.slice.call(article.querySelectorAll("img"));
    Promise.all(imgs.map(function (img) {
      return img.complete ? null : new Promise(function (ok) { img.onload = img.onerror = ok; });
    })).then(function () {
      tell("twttr.private.resize", [{height: Math.ceil(document.body.scrollHeight), width: 550}]);
    });
  }
  function renderLive(t) {
    var url = "https://twitter.com/" + t.user.screen_name + "/status/" + t.id_str;
    var html = userHtml(t.user) +
      '<p class="text" lang="' + esc(t.lang) + '" dir="auto">' + textHtml(t) + "</p>" +
      mediaHtml(t.mediaDetails) + quotedHtml(t.quoted_tweet) +
      '<footer><a class="date" href="' + esc(url) + '"><time datetime="' + esc(t.created_at) + '">' +
      when(t.created_at) + "</time></a></footer>" +
      '<div class="actions">\u2665 ' + (t.favorite_count || 0) + " \u00b7 Reply \u00b7 Copy link</div>";
    var article = document.createElement("article");
    article.setAttribute("data-state", "live");
    article.setAttribute("data-tweet-id", t.id_str);
    article.innerHTML = html;
    document.getElementById("app").appendChild(article);
    settle(article);
  }
  function renderUnavailable(res) {
    var article = document.createElement("article");
    article.setAttribute("data-state", res.reason === "error" ? "error" : "unavailable");
    article.setAttribute("data-reason", res.reason);
    article.setAttribute("data-tweet-id", id);
    article.innerHTML = "<p>" + esc(res.reason === "error" ? "Something went wrong. Try reloading."
      : (res.text || "This Post is unavailable.")) + "</p>";
    document.getElementById("app").appendChild(article);
    tell("twttr.private.unavailable", [{reason: res.reason}]);
  }
  window.addEventListener("load", function () {
    var url = "https://cdn.syndication.twimg.com/tweet-result?id=" + encodeURIComponent(id) +
      "&lang=en&token=" + token(id);
    fetch(url).then(function (r) {
      if (r.status === 404) return {reason: "deleted"};
      if (!r.ok) return {reason: "error", status: r.status};
      return r.json().then(function (d) {
        if (d && d.__typename === "Tweet") return {tweet: d};
        if (d && d.__typename === "TweetTombstone") return {reason: "tombstone", text: d.tombstone.text.text};
        return {reason: "not-found"};
      });
    }, function () { return {reason: "error"}; }).then(function (res) {
      // The real app renders a while after load; clients must wait for the <article>.
      var delay = 150 + (Number(id.slice(-3)) || 0) % 150;
      setTimeout(function () { res.tweet ? renderLive(res.tweet) : renderUnavailable(res); }, delay);
    });
  });
})();
"""

EMBED_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>X Post</title>'
    '<meta name="viewport" content="width=device-width,initial-scale=1">'
    f"<style>{_EMBED_CSS}</style></head><body><div id=\"app\"></div><script>{_EMBED_JS}</script></body></html>"
)


# --------------------------------------------------------------------------- widgets.js

WIDGETS_JS = r"""
(function () {
  "use strict";
  // Pages often include widgets.js once per embed; only the first copy installs.
  if (window.twttr && window.twttr.__fake) return;
  var counter = 0, frames = {};

  function statusId(bq) {
    // The id comes from the LAST link of the blockquote (the date link).
    var links = bq.querySelectorAll("a[href]");
    if (!links.length) return null;
    var m = /\/status(?:es)?\/(\d+)/.exec(links[links.length - 1].href);
    return m ? m[1] : null;
  }
  function flag(bq, name, fallback) {
    var v = bq.getAttribute("data-" + name);
    return v === null ? fallback : v;
  }
  function render(bq) {
    var id = statusId(bq);
    if (!id) return;
    var n = counter++, embedId = "twitter-widget-" + n;
    bq.setAttribute("data-twitter-extracted-i" + n, "true");
    var width = Math.max(250, Math.min(550, parseInt(flag(bq, "width", "550"), 10) || 550));
    var params = new URLSearchParams({
      dnt: flag(bq, "dnt", "false"), embedId: embedId, frame: "false",
      hideCard: String(flag(bq, "cards", "") === "hidden"),
      hideThread: String(flag(bq, "conversation", "") === "none"),
      id: id, lang: flag(bq, "lang", "en"), origin: location.href,
      theme: flag(bq, "theme", "light"), widgetsVersion: "2615f7e52b7e0:1702314776716",
      width: width + "px"
    });
    var div = document.createElement("div");
    div.className = "twitter-tweet twitter-tweet-rendered";
    var align = flag(bq, "align", "");
    var margin = align === "center" ? "margin: 10px auto;" : "margin-top: 10px; margin-bottom: 10px;";
    div.style.cssText = "display: flex; max-width: " + width + "px; width: 100%; " + margin;
    var iframe = document.createElement("iframe");
    iframe.id = embedId;
    iframe.setAttribute("scrolling", "no");
    iframe.setAttribute("frameborder", "0");
    iframe.setAttribute("allowtransparency", "true");
    iframe.setAttribute("allowfullscreen", "true");
    iframe.title = "X Post";
    iframe.style.cssText = "position: absolute; visibility: hidden; width: " + width +
      "px; height: 0px; display: block; flex-grow: 1;";
    iframe.setAttribute("data-tweet-id", id);
    iframe.src = "https://platform.twitter.com/embed/Tweet.html?" + params.toString();
    div.appendChild(iframe);
    bq.parentNode.insertBefore(div, bq);
    frames[embedId] = {div: div, iframe: iframe, bq: bq, width: width};
  }
  window.addEventListener("message", function (e) {
    var d = e.data;
    if (typeof d === "string") { try { d = JSON.parse(d); } catch (x) { return; } }
    var msg = d && d["twttr.embed"];
    var f = msg && frames[msg.id];
    if (!f || e.source !== f.iframe.contentWindow) return;
    if (msg.method === "twttr.private.resize") {
      var h = msg.params && msg.params[0] && msg.params[0].height;
      f.iframe.style.cssText = "position: static; visibility: visible; width: " + f.width +
        "px; height: " + h + "px; display: block; flex-grow: 1;";
      if (f.bq.parentNode) f.bq.parentNode.removeChild(f.bq);
    } else if (msg.method === "twttr.private.unavailable") {
      // A post that failed to load keeps its blockquote, marked (field guide §1).
      if (f.div.parentNode) f.div.parentNode.removeChild(f.div);
      f.bq.classList.add("twitter-tweet-error");
    }
  });
  function load(root) {
    var list = (root || document).querySelectorAll("blockquote.twitter-tweet, blockquote.twitter-video");
    Array.prototype.forEach.call(list, function (bq) {
      var done = Array.prototype.some.call(bq.attributes, function (a) {
        return a.name.indexOf("data-twitter-extracted-") === 0;
      });
      if (!done) render(bq);
    });
  }
  var readyFns = [], started = false;
  window.twttr = {
    __fake: true,
    widgets: {load: function (el) { load(el); return Promise.resolve(); }},
    ready: function (fn) { if (started) fn(window.twttr); else readyFns.push(fn); },
    _e: []
  };
  function start() {
    started = true;
    load(document);
    readyFns.forEach(function (fn) { try { fn(window.twttr); } catch (x) {} });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
"""
