"""Placement and the markup real pages use, on small pages written here (the real pages stay
in the shared corpus: bench/bench_find.py measures them).

Each embed is placed ``body`` (the article's own content) or ``page`` (what the page shows
around it: sidebars, widgets, comments, webmentions, referrer lists); unsure is ``body``.
"""

from __future__ import annotations

import html

from archiver.platforms import find_embeds as platforms_find_embeds
from archiver.platforms.base import FoundEmbed
from archiver.steps.find import find_embeds

BASE = "https://blog.example.org/2020/01/23/a-post/"
IDS = [str(1227198862898712576 + i) for i in range(12)]


def status(i: int, handle: str = "someone") -> str:
    return f"https://twitter.com/{handle}/status/{IDS[i]}"


def snippet(i: int) -> str:
    return (
        f'<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Post number {i} says something.</p>'
        f'&mdash; Someone (@someone) <a href="{status(i)}?ref_src=twsrc%5Etfw">January 23, 2020</a></blockquote>'
        '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
    )


PROSE = [
    "The council met on Tuesday evening to discuss the new tram line that will cross the old town from north to south.",
    "Residents of the eastern quarter had asked for a second stop near the market, which the planners turned down twice.",
    "A spokeswoman for the transport authority said the budget allowed for one more stop only if the bridge was widened.",
    "Shopkeepers along the route fear two years of building work and have started a petition that gathered many names.",
    "The mayor promised a decision before the summer and said that every objection would be answered in writing soon.",
    "Critics point out that the same promise was made three years ago, when the line was first announced to the press.",
]


def prose(start: int = 0, n: int = 3) -> str:
    return "".join(f"<p>{PROSE[(start + k) % len(PROSE)]}</p>" for k in range(n))


def blog(article: str, *, around: str = "", inside_after: str = "", body_class: str = "entry-content") -> str:
    """A blog page in the common layout: header and nav, the post, a sidebar, a footer."""
    return (
        "<!DOCTYPE html><html><head><title>A post</title></head><body>"
        '<div id="page" class="site has-sidebar">'
        '<header id="masthead"><nav class="main-navigation"><ul><li><a href="/">Home</a></li>'
        '<li><a href="/about">About</a></li></ul></nav></header>'
        '<div id="content" class="site-content">'
        '<div id="primary" class="content-area"><main id="main" class="site-main">'
        f'<article class="post"><h1 class="entry-title">A post about the tram</h1><div class="{body_class}">{article}</div>'
        f"{inside_after}</article></main></div>"
        f"{around}</div>"
        '<footer id="colophon"><p>Proudly powered by a CMS.</p></footer>'
        "</div></body></html>"
    )


def placed(page: str) -> list[tuple[str | None, str]]:
    return [(e.native_id, e.placement) for e in find_embeds(page, "text/html", BASE)]


def only(embeds: list[FoundEmbed]) -> FoundEmbed:
    assert len(embeds) == 1, embeds
    return embeds[0]


# --------------------------------------------------------------------------- placement


def test_a_latest_tweets_sidebar_widget_is_the_page() -> None:
    sidebar = (
        '<div id="secondary" class="widget-area" role="complementary">'
        '<aside id="twitter-3" class="widget widget_twitter"><h3 class="widget-title">Latest tweets</h3><ul class="tweets">'
        + "".join(f'<li>Something I said <a href="{status(k, "blogowner")}">{k} hours ago</a></li>' for k in (3, 4, 5))
        + "</ul></aside></div>"
    )
    page = blog(prose() + snippet(0) + prose(3), around=sidebar)
    assert placed(page) == [(IDS[0], "body"), (IDS[3], "page"), (IDS[4], "page"), (IDS[5], "page")]


def test_a_sidebar_named_only_by_its_classes_outside_the_article_is_the_page() -> None:
    # No <aside>, no role: a theme's own class names say it.
    sidebar = (
        '<div class="right-sidebar-wrapper"><div class="custom-sidebar">'
        f'<ul id="twitter_update_list"><li><a href="{status(6, "me")}">7 days ago</a></li></ul></div></div>'
    )
    page = blog(prose() + f'<p>As <a href="{status(1)}">she wrote</a>, the line is late.</p>' + prose(2), around=sidebar)
    assert placed(page) == [(IDS[1], "body"), (IDS[6], "page")]


def test_webmentions_and_comments_are_the_page_even_inside_the_article_element() -> None:
    mentions = (
        '<section class="webmentions"><h2>Mentions</h2>'
        f'<div class="reply"><a href="{status(7, "reader")}">Reader</a> liked this</div></section>'
    )
    comments = (
        '<div id="comments" class="comments-area"><ol class="comment-list"><li class="comment">'
        f'<p>Look at this: <a href="{status(8, "commenter")}">a post</a></p></li></ol></div>'
    )
    page = blog(prose() + snippet(2) + prose(1), inside_after=mentions + comments)
    assert placed(page) == [(IDS[2], "body"), (IDS[7], "page"), (IDS[8], "page")]


def test_a_referrer_list_at_the_bottom_is_the_page() -> None:
    referrers = (
        '<div class="refererlist"><h3>Links to this page</h3><ul>'
        f'<li><a href="{status(9, "linker")}">Twitter [linker]</a> x5</li></ul></div>'
    )
    page = blog(prose() + snippet(3) + prose(2), around=referrers)
    assert placed(page) == [(IDS[3], "body"), (IDS[9], "page")]


def test_a_footer_feed_of_the_sites_own_tweets_is_the_page() -> None:
    feed = (
        '<footer class="site-footer"><div class="widget CN_WidgetsTwitterFeed"><div class="twitter-widget">'
        f'<p class="tweet_content">New on the site <a href="{status(10, "site")}">link</a></p></div></div></footer>'
    )
    page = blog(prose() + snippet(4) + prose(4), around=feed)
    assert placed(page) == [(IDS[4], "body"), (IDS[10], "page")]


def test_a_wrapper_named_like_a_sidebar_that_holds_the_article_is_not_the_page() -> None:
    # "has-sidebar", "sidebar-included", "l-sidebar-fixed": layout classes on what holds the article.
    article = prose() + snippet(5) + prose(3) + f'<p><a href="{status(6)}">Another post</a> said so too.</p>'
    page = (
        "<!DOCTYPE html><html><head><title>t</title></head><body>"
        '<div class="content-wrapper sidebar-included right-sidebar"><div class="l-sidebar-fixed l-article-body">'
        f'<div class="widget post-partial"><div class="c-entry-content">{article}</div></div></div></div>'
        "</body></html>"
    )
    assert placed(page) == [(IDS[5], "body"), (IDS[6], "body")]


def test_page_builder_widgets_and_asides_inside_the_article_are_the_article() -> None:
    # Elementor and the like call every block of an article a widget; an aside inside it holds an embed.
    article = (
        f'<div class="elementor-widget elementor-widget-text-editor"><div class="elementor-widget-container">{prose(0, 4)}</div></div>'
        f'<div class="elementor-widget elementor-widget-html"><div class="elementor-widget-container">{snippet(0)}</div></div>'
        f'<aside class="pullquote">{snippet(1)}</aside>'
        f'<div class="elementor-widget elementor-widget-text-editor"><div class="elementor-widget-container">{prose(4, 2)}</div></div>'
    )
    assert placed(blog(article)) == [(IDS[0], "body"), (IDS[1], "body")]


def test_unsure_is_the_article() -> None:
    # Outside the main content but unmarked (a product page's testimonials section): archived.
    page = (
        "<!DOCTYPE html><html><head><title>t</title></head><body><main>"
        f'<section class="intro"><div class="text">{prose(0, 5)}</div></section>'
        f'<section class="section-tweets"><div class="row"><div class="col">{snippet(6)}</div></div></section>'
        "</main></body></html>"
    )
    assert placed(page) == [(IDS[6], "body")]
    # A page with no prose to tell its article by: everything is the article's.
    bare = f"<html><body><div class='sidebar'>{snippet(7)}</div></body></html>"
    assert placed(bare) == [(IDS[7], "body")]


def test_a_post_cited_in_the_article_and_in_the_sidebar_is_both() -> None:
    sidebar = f'<aside class="widget"><a href="{status(0)}">popular</a></aside>'
    page = blog(prose() + snippet(0) + prose(3), around=sidebar)
    assert placed(page) == [(IDS[0], "body"), (IDS[0], "page")]


def test_the_platforms_module_offers_the_same_finder() -> None:
    page = blog(prose() + snippet(0) + prose(3), around=f'<aside class="widget"><a href="{status(1)}">x</a></aside>')
    assert [(e.native_id, e.placement) for e in platforms_find_embeds(page, "text/html", BASE)] == placed(page)


def test_plain_text_is_all_the_article() -> None:
    embeds = find_embeds(f"See {status(0)} and {status(1)}.", "text/plain", None)
    assert [(e.native_id, e.placement) for e in embeds] == [(IDS[0], "body"), (IDS[1], "body")]


# --------------------------------------------------------------------------- the markup real pages use


def test_an_empty_placeholder_a_script_fills() -> None:
    # A live blog's <div class="tweet" data-url="…"> that its script turns into a card.
    page = blog(prose() + f'<h3>From the scene</h3><div class="tweet" data-mod="tweet" data-url="{status(0, "cafe")}"></div>' + prose(3))
    embed = only(find_embeds(page, "text/html", BASE))
    assert (embed.platform, embed.form, embed.native_id, embed.placement) == ("twitter", "placeholder", IDS[0], "body")
    assert embed.link == status(0, "cafe")


def test_a_placeholder_holding_a_static_copy_keeps_its_text() -> None:
    # A newsletter's <div class="quill-tweet" data-url=…> with the post copied inside, its link
    # through a click tracker: one embed, the copy as embed_text, the tracker not cited.
    copy = (
        '<a href="https://u1.ct.sendgrid.net/ls/click?upn=abc"><div class="tweet-header"><span>Paul</span>'
        "<span>@paul</span></div><p>AI should follow the rules against plagiarism.</p></a>"
    )
    page = blog(prose() + f'<div class="quill-tweet" data-url="{status(1, "paul")}" data-tweet="{{}}">{copy}</div>' + prose(3))
    embed = only(find_embeds(page, "text/html", BASE))
    assert (embed.form, embed.native_id) == ("placeholder", IDS[1])
    assert embed.embed_text is not None and "rules against plagiarism" in embed.embed_text


def test_data_url_of_a_share_button_or_an_image_is_no_placeholder() -> None:
    page = blog(
        prose()
        + f'<a class="share" data-url="{BASE}">Share</a><img data-src="https://pbs.twimg.com/media/x.jpg" alt="">'
        + '<div data-url="https://twitter.com/someone">profile</div>'
        + prose(3)
    )
    assert placed(page) == []


def test_a_placeholder_around_the_embed_itself_is_read_once() -> None:
    page = blog(prose() + f'<div class="embed" data-url="{status(2)}">{snippet(2)}</div>' + prose(3))
    assert [(e.form, e.native_id) for e in find_embeds(page, "text/html", BASE)] == [("blockquote", IDS[2])]


def test_data_tweet_id_placeholder() -> None:
    page = blog(prose() + f'<div class="embed-tweet" data-tweet-id="{IDS[3]}"></div>' + prose(3))
    embed = only(find_embeds(page, "text/html", BASE))
    assert (embed.form, embed.native_id, embed.link) == ("placeholder", IDS[3], f"https://x.com/i/status/{IDS[3]}")


def test_an_id_only_in_a_non_link_attribute() -> None:
    # A static copy whose only mention of the post is <span href=".../status/ID/likes">.
    card = (
        '<div class="tweet static"><a class="tweet-link-top" href="https://substack.com/redirect/1111-2222?r=9">'
        '<span class="tweet-author-handle">@someone</span><div class="tweet-text">Hello</div></a>'
        f'<div class="tweet-ufi"><span href="{status(4)}/likes" class="likes">19 Likes</span></div></div>'
    )
    page = blog(prose() + card + prose(3))
    assert [(e.form, e.native_id) for e in find_embeds(page, "text/html", BASE)] == [("status_link", IDS[4])]


def test_a_static_tweet_reached_only_through_a_click_tracker() -> None:
    tracker = "https://substack.com/redirect/91abf3a9-2ee3-448c-9967-d33f72d61463?r=2d1yw"
    card = (
        f'<div class="tweet static"><a class="tweet-link-top" href="{tracker}"><div class="tweet-header">'
        '<span class="tweet-author-name">Nick</span><span class="tweet-author-handle">@nick</span></div>'
        '<div class="tweet-text">Something worth quoting.</div></a>'
        f'<a class="tweet-link-bottom" href="{tracker}"><span class="tweet-date">6:46 PM · Oct 19, 2022</span></a></div>'
    )
    page = blog(prose() + card + prose(3))
    embed = only(find_embeds(page, "text/html", BASE))
    assert (embed.platform, embed.form, embed.native_id, embed.link) == ("twitter", "redirect_link", None, tracker)
    assert embed.embed_text is not None and "Something worth quoting." in embed.embed_text


def test_click_tracked_links_outside_a_tweet_card_are_not_embeds() -> None:
    # A newsletter sends every link through its tracker: only a tweet's copy makes one a citation.
    page = blog(
        prose()
        + '<p>Read <a href="https://substack.com/redirect/aaaa-bbbb?r=1">the report</a> and '
        + '<a href="https://u1.ct.sendgrid.net/ls/click?upn=xyz">the reply</a>.</p>'
        + '<div class="tweet-this"><a href="https://substack.com/redirect/cccc?r=1">Tweet this @us</a></div>'
        + prose(3)
    )
    assert placed(page) == []


def test_language_and_mobile_hosts_of_every_era() -> None:
    links = [
        f"https://de.twitter.com/tarzun/status/{IDS[0]}",
        f"https://pt-br.twitter.com/a/status/{IDS[1]}",
        f"https://mobile.twitter.com/a/status/{IDS[2]}",
        f"https://m.twitter.com/a/status/{IDS[3]}",
        f"https://twitter.com/#!/a/status/{IDS[4]}",
        f"http://twitter.com/a/statuses/{IDS[5]}",
        f"https://mobile.x.com/a/status/{IDS[6]}",
    ]
    page = blog(prose() + "<ul>" + "".join(f'<li><a href="{u}">@a</a> said so</li>' for u in links) + "</ul>" + prose(3))
    assert [e.native_id for e in find_embeds(page, "text/html", BASE)] == IDS[:7]
    assert placed(f"<p>{html.escape(links[0])}</p>") == [(IDS[0], "body")]


def test_consent_wrappers_noscript_and_not_another_article() -> None:
    wrapped = (
        f'<div class="cookie-consent-blocker"><noscript>{snippet(0)}</noscript><p>Load tweets?</p></div>'
        f'<div class="third-party-services"><textarea hidden>{snippet(1)}</textarea></div>'
        f'<template id="next-article"><article><h1>Another story</h1>{snippet(2)}</article></template>'
        f'<div class="teaser" data-html="{html.escape("<article>" + snippet(3) + "</article>")}"></div>'
    )
    page = blog(prose() + wrapped + prose(3))
    assert placed(page) == [(IDS[0], "body"), (IDS[1], "body")]


def test_iframely_embedly_and_wordpress_blocks_are_placed_too() -> None:
    article = (
        prose()
        + f'<div class="article__embed--iframely" data-embedded-url="{status(0)}"></div>'
        + f'<a class="embedly-card" href="{status(1)}">Embedded post</a>'
        + f'<figure class="wp-block-embed is-type-rich is-provider-twitter wp-block-embed-twitter"><div class="wp-block-embed__wrapper">{status(2)}</div></figure>'
        + prose(3)
    )
    sidebar = f'<aside class="widget"><div data-embedded-url="{status(3)}"></div></aside>'
    embeds = find_embeds(blog(article, around=sidebar), "text/html", BASE)
    assert [(e.form, e.native_id, e.placement) for e in embeds] == [
        ("cms_wrapper", IDS[0], "body"), ("cms_wrapper", IDS[1], "body"), ("cms_wrapper", IDS[2], "body"),
        ("cms_wrapper", IDS[3], "page"),
    ]


def test_when_the_main_content_is_the_whole_page_only_foreign_marks_count() -> None:
    # Prose in many unmarked blocks across the page: the extractor's text covers it all, so
    # the main content is the whole body; an aside there may be the article's.
    page = (
        "<!DOCTYPE html><html><head><title>t</title></head><body>"
        + "".join(f"<div class='block'>{prose(k, 1)}</div>" for k in range(6))
        + f"<aside>{snippet(0)}</aside>"
        + f"<div class='comments'><a href='{status(1, 'reader')}'>a reader's post</a></div>"
        + "</body></html>"
    )
    assert placed(page) == [(IDS[0], "body"), (IDS[1], "page")]
