"""The generic finder: what wraps embeds of every platform is unwrapped once, before any
platform reads the page (archiver/steps/find.py); what only looks like a wrapper is not."""

from __future__ import annotations

import base64
import html
import json

from archiver.platforms.base import FoundEmbed
from archiver.steps.find import find_embeds, redirect_target, unwrap

BASE = "https://news.example.com/2023/01/10/juliaca.html"
ID = "1612558357623734272"
STATUS = f"https://twitter.com/KawsachunNews/status/{ID}"
SNIPPET = (
    '<blockquote class="twitter-tweet"><p lang="es" dir="ltr">Protesters arrive at the hospital.</p>'
    f'&mdash; Kawsachun News (@KawsachunNews) <a href="{STATUS}?ref_src=twsrc%5Etfw">January 9, 2023</a></blockquote>'
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
)


def page(*blocks: str) -> str:
    return "<!DOCTYPE html><html><head><title>t</title></head><body><article>" + "".join(blocks) + "</article></body></html>"


def found(markup: str) -> list[tuple[str, str, str | None]]:
    return [(e.platform, e.form, e.native_id) for e in find_embeds(markup, "text/html", BASE)]


def embeds(markup: str) -> list[FoundEmbed]:
    return find_embeds(markup, "text/html", BASE)


# --------------------------------------------------------------------------- consent wrappers


def test_blockquote_in_a_hidden_textarea_of_a_consent_tool() -> None:
    # amnesty.de: Drupal's third-party-services module keeps the snippet in a hidden textarea.
    wrapped = f'<div class="third-party-services"><textarea class="third-party-services--original-content" hidden>{SNIPPET}</textarea><h2>Twitter freischalten</h2></div>'
    assert found(page(wrapped)) == [("twitter", "blockquote", ID)]
    assert embeds(page(wrapped))[0].embed_text is not None


def test_a_comment_form_textarea_is_not_a_wrapper() -> None:
    # A reader's draft in a visible comment box is not the article's embed.
    assert found(page(f'<form><textarea name="comment">{html.escape(SNIPPET)}</textarea></form>')) == []


def test_template_and_base64_script_template_of_a_consent_tool() -> None:
    template = f'<div class="cmplz-placeholder cookie-blocked"><template>{SNIPPET}</template></div>'
    assert found(page(template)) == [("twitter", "blockquote", ID)]
    encoded = base64.b64encode(SNIPPET.encode()).decode()
    borlabs = (
        '<div class="BorlabsCookie _brlbs-cb-twitter"><div class="_brlbs-content-blocker"><p>Load tweet</p></div>'
        f'<div class="borlabs-hide" data-borlabs-cookie-type="content-blocker"><script type="text/template">{encoded}</script></div></div>'
    )
    assert found(page(borlabs)) == [("twitter", "blockquote", ID)]


def test_a_template_holding_another_article_stays_ignored() -> None:
    # rawstory.com: the next article waits in a <template> to be shown on scroll.
    other = page("<p>This story.</p>", f'<div class="js-appear-on-expand"><template><p>Next story</p>{SNIPPET}</template></div>')
    assert found(other) == []


def test_markup_in_a_consent_data_attribute_and_a_src_waiting_for_consent() -> None:
    attribute = f'<div class="consent-placeholder" data-consent-original="{html.escape(SNIPPET)}"><button>Accept</button></div>'
    assert found(page(attribute)) == [("twitter", "blockquote", ID)]
    iframe = (
        '<div class="cookieconsent-optout-marketing"><iframe data-cookieconsent="marketing" '
        f'data-cookieblock-src="https://platform.twitter.com/embed/Tweet.html?id={ID}"></iframe></div>'
    )
    assert found(page(iframe)) == [("twitter", "iframe", ID)]


def test_other_articles_html_in_a_data_attribute_stays_ignored() -> None:
    # thedailybeast.com: escaped HTML of other articles in a hidden rail's data attribute.
    rail = f'<div id="initialPageRailList" style="display:none" data-pageraillist="{html.escape(SNIPPET)}"></div>'
    assert found(page("<p>The article.</p>", rail)) == []


# --------------------------------------------------------------------------- CMS wrappers


def test_wordpress_embed_block_before_and_after_rendering() -> None:
    bare = (
        '<figure class="wp-block-embed is-type-rich is-provider-twitter wp-block-embed-twitter">'
        f'<div class="wp-block-embed__wrapper">\n{STATUS}\n</div></figure>'
    )
    assert found(page(bare)) == [("twitter", "cms_wrapper", ID)]
    rendered = (
        '<figure class="wp-block-embed is-type-rich is-provider-twitter wp-block-embed-twitter">'
        f'<div class="wp-block-embed__wrapper">{SNIPPET}</div></figure>'
    )
    assert found(page(rendered)) == [("twitter", "blockquote", ID)]


def test_iframely_and_embedly() -> None:
    vice = (
        f'<div style="max-width:550px;" data-iframely-id="AL6KIQt" data-embedded-url="{STATUS}" '
        'class="article__embed article__embed--iframely"><div data-iframely-smart-iframe="true">'
        '<iframe data-iframely-url="//oembed.vice.com/AL6KIQt?app=1"></iframe></div></div>'
    )
    assert found(page(vice)) == [("twitter", "cms_wrapper", ID)]
    anchor = f'<div class="iframely-embed"><div class="iframely-responsive"><a href="{STATUS}" data-iframely-url="//cdn.iframe.ly/abc"></a></div></div>'
    assert found(page(anchor)) == [("twitter", "cms_wrapper", ID)]
    by_query = f'<div><div><a href="#" data-iframely-url="https://cdn.iframe.ly/api/iframe?url={STATUS.replace(":", "%3A").replace("/", "%2F")}&amp;key=k"></a></div></div>'
    assert found(page(by_query)) == [("twitter", "cms_wrapper", ID)]
    embedly = (
        '<iframe class="embedly-embed" src="//cdn.embedly.com/widgets/media.html?src=https%3A%2F%2Fexample.com%2Fplayer'
        f'&amp;url={STATUS.replace(":", "%3A").replace("/", "%2F")}&amp;type=text%2Fhtml&amp;schema=twitter"></iframe>'
    )
    assert found(page(embedly)) == [("twitter", "cms_wrapper", ID)]
    card = f'<blockquote class="embedly-card"><h4><a href="{STATUS}">A post</a></h4></blockquote>'
    assert found(page(card)) == [("twitter", "cms_wrapper", ID)]


def test_a_wrapper_of_a_url_no_platform_knows_is_left_alone() -> None:
    other = '<div data-embedded-url="https://www.example.org/a-video"><iframe src="https://www.example.org/embed"></iframe></div>'
    markup = page(other)
    assert unwrap(markup, BASE) == (markup, [])


# --------------------------------------------------------------------------- redirectors


def test_links_through_known_redirectors_are_read_as_their_targets() -> None:
    google = f'<p>See <a href="https://www.google.com/url?q={STATUS}&amp;sa=D">this post</a>.</p>'
    assert [(e.form, e.link, e.native_id) for e in embeds(page(google))] == [("status_link", STATUS, ID)]
    facebook = f'<p><a href="https://l.facebook.com/l.php?u={STATUS.replace(":", "%3A").replace("/", "%2F")}&amp;h=x">x</a></p>'
    assert found(page(facebook)) == [("twitter", "status_link", ID)]
    assert redirect_target(f"https://href.li/?{STATUS}") == STATUS
    assert redirect_target("https://www.google.com/search?q=https://twitter.com/a/status/1") is None
    assert redirect_target("https://www.youtube.com/watch?v=x&q=https://t.co/x") is None


def test_share_buttons_and_page_json_stay_ignored() -> None:
    share = (
        '<a class="twitter-tweet" href="https://twitter.com/intent/tweet?url=https%3A%2F%2Fnews.example.com">Tweet</a>'
        '<a href="https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fnews.example.com">Share</a>'
    )
    body = json.dumps({"body": SNIPPET, "url": STATUS}).replace("</", "<\\/")
    data = f'<script type="application/json">{body}</script>'
    assert found(page(share, data)) == []


def test_a_page_without_wrappers_is_handed_on_unparsed() -> None:
    markup = page(SNIPPET)
    unwrapped, extra = unwrap(markup, BASE)
    assert unwrapped is markup and extra == []
    assert found(markup) == [("twitter", "blockquote", ID)]
