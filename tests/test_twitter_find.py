"""Finding cited posts in articles: every embed form of the field guide, §1."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from archiver.platforms import platforms
from archiver.steps.find import find_embeds
from archiver.platforms.base import FoundEmbed
from archiver.platforms.twitter import PLATFORM, find_in_html, find_in_text

BASE = "https://news.example.com/2023/01/10/juliaca.html"
DATA = Path(__file__).parent / "data"

STANDARD = (
    '<blockquote class="twitter-tweet"><p lang="es" dir="ltr">Peru: Protesters are arriving at the '
    "Carlos Monge hospital following the massacre carried out by the coup regime in the town of "
    'Juliaca. 9 dead and 20 injured so far. <a href="https://t.co/G0EWr9QwxH">pic.twitter.com/G0EWr9QwxH</a>'
    "</p>&mdash; Kawsachun News (@KawsachunNews) "
    '<a href="https://twitter.com/KawsachunNews/status/1612558357623734272?ref_src=twsrc%5Etfw">'
    "January 9, 2023</a></blockquote>\n"
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
)
STANDARD_LINK = "https://twitter.com/KawsachunNews/status/1612558357623734272?ref_src=twsrc%5Etfw"

OLD_2012 = (
    '<blockquote class="twitter-tweet"><p>Four more years. '
    '<a href="http://t.co/bAJE6Vom" title="http://twitter.com/BarackObama/status/266031293945503744/photo/1">'
    "twitter.com/BarackObama/st\u2026</a></p>&mdash; Barack Obama (@BarackObama) "
    '<a href="https://twitter.com/BarackObama/statuses/266031293945503744" '
    'data-datetime="2012-11-07T04:16:18+00:00">November 7, 2012</a></blockquote>\n'
    '<script src="//platform.twitter.com/widgets.js" charset="utf-8"></script>'
)

X_2024 = (
    '<blockquote class="twitter-tweet" data-media-max-width="560"><p lang="en" dir="ltr">'
    'Launch day <a href="https://t.co/Rk3nS0Kx9Q">pic.x.com/Rk3nS0Kx9Q</a></p>&mdash; Some Agency '
    '(@someagency) <a href="https://x.com/someagency/status/1811428389283594240?ref_src=twsrc%5Etfw">'
    'July 11, 2024</a></blockquote> <script async src="https://platform.x.com/widgets.js" charset="utf-8"></script>'
)

WITH_ATTRIBUTES = (
    '<blockquote class="twitter-tweet" data-lang="en" data-theme="dark" data-dnt="true" data-width="400" '
    'data-cards="hidden" data-conversation="none" data-align="center"><p lang="en" dir="ltr">Line one<br>'
    'line two <a href="https://t.co/AAAA1111">https://t.co/AAAA1111</a></p>&mdash; Reporter (@reporter) '
    '<a href="https://twitter.com/reporter/status/1591514428093440000">November 12, 2022</a></blockquote>'
)

VIDEO = (
    '<blockquote class="twitter-video" data-lang="en"><p lang="en" dir="ltr">Watch this '
    '<a href="https://t.co/VVVV2222">pic.twitter.com/VVVV2222</a></p>&mdash; Channel (@channel) '
    '<a href="https://twitter.com/channel/status/1612555453412143104?ref_src=twsrc%5Etfw">January 9, 2023</a>'
    "</blockquote>"
)

AMP = '<amp-twitter width="375" height="472" layout="responsive" data-tweetid="885634330868850689"></amp-twitter>'

AMP_WITH_PLACEHOLDER = (
    '<amp-twitter width="375" height="472" layout="responsive" data-tweetid="885634330868850689">'
    '<blockquote placeholder class="twitter-tweet" data-lang="en"><p lang="en" dir="ltr">Placeholder text '
    '<a href="https://t.co/PPPP3333">pic.twitter.com/PPPP3333</a></p>&mdash; AMP (@ampproject) '
    '<a href="https://twitter.com/ampproject/status/885634330868850689">July 13, 2017</a></blockquote>'
    "</amp-twitter>"
)

RENDERED = (
    '<div class="twitter-tweet twitter-tweet-rendered" style="display: flex; max-width: 550px;">'
    '<iframe id="twitter-widget-0" scrolling="no" frameborder="0" allowtransparency="true" '
    'allowfullscreen="true" class="" style="position: static; width: 550px; height: 700px;" '
    'title="X Post" src="https://platform.twitter.com/embed/Tweet.html?dnt=false&amp;embedId=twitter-widget-0'
    "&amp;frame=false&amp;hideCard=false&amp;hideThread=false&amp;id=1612558357623734272&amp;lang=en"
    '&amp;theme=light&amp;width=550px" data-tweet-id="1612558357623734272"></iframe></div>'
)

ERROR = (
    '<blockquote class="twitter-tweet twitter-tweet-error" data-lang="en" data-twitter-extracted-i1="true">'
    '<p lang="en" dir="ltr">This post was deleted later.</p>&mdash; Gone (@gone_account) '
    '<a href="https://twitter.com/gone_account/status/1600000000000000000">December 6, 2022</a></blockquote>'
)


def forms(found: list[FoundEmbed]) -> list[tuple[str, str | None]]:
    return [(f.form, f.native_id) for f in found]


def page(*parts: str) -> str:
    body = "\n<p>Article text between embeds.</p>\n".join(parts)
    return f"<!doctype html><html><head><title>News</title></head><body><article>{body}</article></body></html>"


# --- blockquotes -----------------------------------------------------------


def test_standard_blockquote() -> None:
    [embed] = find_in_html(page(STANDARD), BASE)
    assert embed.platform == "twitter"
    assert embed.form == "blockquote"
    assert embed.native_id == "1612558357623734272"
    assert embed.link == STANDARD_LINK
    assert embed.inner_links == ["https://t.co/G0EWr9QwxH"]
    assert embed.embed_text == (
        "Peru: Protesters are arriving at the Carlos Monge hospital following the massacre carried out "
        "by the coup regime in the town of Juliaca. 9 dead and 20 injured so far. pic.twitter.com/G0EWr9QwxH\n"
        "\u2014 Kawsachun News (@KawsachunNews) January 9, 2023"
    )


def test_old_blockquote_2012() -> None:
    [embed] = find_in_html(page(OLD_2012), BASE)
    assert embed.form == "blockquote"
    # From the date link (/statuses/), not from the photo link in the title attribute.
    assert embed.native_id == "266031293945503744"
    assert embed.link == "https://twitter.com/BarackObama/statuses/266031293945503744"
    assert embed.inner_links == ["http://t.co/bAJE6Vom"]
    assert embed.embed_text is not None
    assert embed.embed_text.endswith("\u2014 Barack Obama (@BarackObama) November 7, 2012")


def test_x_com_blockquote_2024() -> None:
    [embed] = find_in_html(page(X_2024), BASE)
    assert (embed.form, embed.native_id) == ("blockquote", "1811428389283594240")
    assert embed.link.startswith("https://x.com/someagency/status/1811428389283594240")
    assert embed.inner_links == ["https://t.co/Rk3nS0Kx9Q"]
    assert embed.embed_text is not None and "pic.x.com/Rk3nS0Kx9Q" in embed.embed_text


def test_blockquote_with_attributes_keeps_line_breaks() -> None:
    [embed] = find_in_html(page(WITH_ATTRIBUTES), BASE)
    assert (embed.form, embed.native_id) == ("blockquote", "1591514428093440000")
    assert embed.embed_text == (
        "Line one\nline two https://t.co/AAAA1111\n\u2014 Reporter (@reporter) November 12, 2022"
    )
    assert embed.inner_links == ["https://t.co/AAAA1111"]


def test_video_blockquote() -> None:
    [embed] = find_in_html(page(VIDEO), BASE)
    assert (embed.form, embed.native_id) == ("blockquote", "1612555453412143104")
    assert embed.inner_links == ["https://t.co/VVVV2222"]


def test_error_blockquote_is_still_an_embed() -> None:
    [embed] = find_in_html(page(ERROR), BASE)
    assert (embed.form, embed.native_id) == ("blockquote", "1600000000000000000")
    assert embed.embed_text == (
        "This post was deleted later.\n\u2014 Gone (@gone_account) December 6, 2022"
    )


def test_id_comes_from_the_last_status_link() -> None:
    html = (
        '<blockquote class="twitter-tweet"><p>Quoting '
        '<a href="https://twitter.com/other/status/111111111111111111">this</a> and '
        '<a href="https://twitter.com/someone">@someone</a></p>&mdash; A (@a) '
        '<a href="https://twitter.com/a/status/222222222222222222">May 1, 2022</a></blockquote>'
    )
    [embed] = find_in_html(html, BASE)
    assert embed.native_id == "222222222222222222"
    assert embed.inner_links == []


def test_blockquote_without_status_link_uses_the_pic_link() -> None:
    html = (
        '<blockquote class="twitter-tweet"><p>Lost date link '
        '<a href="https://t.co/Kb12Xy">pic.twitter.com/Kb12Xy</a> and pic.twitter.com/Zz9 '
        "</p>&mdash; A (@a) May 1, 2022</blockquote>"
    )
    [embed] = find_in_html(html, BASE)
    assert embed.form == "blockquote"
    assert embed.native_id is None
    assert embed.link == "https://pic.twitter.com/Zz9"
    assert embed.inner_links == ["https://t.co/Kb12Xy", "https://pic.twitter.com/Zz9"]


def test_blockquote_with_only_a_short_link() -> None:
    html = '<blockquote class="twitter-tweet"><p>Text <a href="https://t.co/Only1">link</a></p></blockquote>'
    [embed] = find_in_html(html, BASE)
    assert (embed.form, embed.native_id, embed.link) == ("blockquote", None, "https://t.co/Only1")


def test_blockquote_without_any_link_is_skipped() -> None:
    html = '<blockquote class="twitter-tweet"><p>Nothing to resolve it by</p>&mdash; A (@a)</blockquote>'
    assert find_in_html(html, BASE) == []


def test_other_blockquotes_are_not_embeds() -> None:
    html = '<blockquote class="pullquote"><p>Quote <a href="https://t.co/Ab1">https://t.co/Ab1</a></p></blockquote>'
    assert forms(find_in_html(html, BASE)) == [("short_link", None)]


# --- amp and iframes -------------------------------------------------------


def test_amp() -> None:
    [embed] = find_in_html(page(AMP), BASE)
    assert (embed.form, embed.native_id) == ("amp", "885634330868850689")
    assert embed.link == "https://x.com/i/status/885634330868850689"


def test_amp_with_placeholder_is_one_embed() -> None:
    [embed] = find_in_html(page(AMP_WITH_PLACEHOLDER), BASE)
    assert (embed.form, embed.native_id) == ("amp", "885634330868850689")
    assert embed.link == "https://x.com/ampproject/status/885634330868850689"
    assert embed.embed_text is not None and embed.embed_text.startswith("Placeholder text")
    assert embed.inner_links == ["https://t.co/PPPP3333"]


def test_rendered_iframe() -> None:
    [embed] = find_in_html(page(RENDERED), BASE)
    assert (embed.form, embed.native_id) == ("iframe", "1612558357623734272")
    assert embed.link.startswith("https://platform.twitter.com/embed/Tweet.html?")
    assert "id=1612558357623734272" in embed.link


def test_iframe_by_src_only_and_by_attribute_only() -> None:
    html = (
        '<iframe src="//platform.twitter.com/embed/Tweet.html?id=1591514428093440000&theme=dark"></iframe>'
        '<iframe id="twitter-widget-3" data-tweet-id="1612555453412143104"></iframe>'
        '<iframe data-src="https://platform.twitter.com/embed/Tweet.html?id=1811428389283594240"></iframe>'
        '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>'
        '<iframe src="https://platform.twitter.com/embed/Tweet.html?id=notanid"></iframe>'
    )
    found = find_in_html(html, BASE)
    assert forms(found) == [
        ("iframe", "1591514428093440000"),
        ("iframe", "1612555453412143104"),
        ("iframe", "1811428389283594240"),
    ]
    assert found[0].link == "https://platform.twitter.com/embed/Tweet.html?id=1591514428093440000&theme=dark"
    assert found[1].link == "https://x.com/i/status/1612555453412143104"


# --- links and pasted text -------------------------------------------------


def test_bare_links() -> None:
    html = page(
        '<p>As <a href="https://twitter.com/KawsachunNews/status/1612558357623734272">reported</a>, '
        '<a href="https://t.co/G0EWr9QwxH">a photo</a> and '
        '<a href="https://pic.twitter.com/EdWNhRQl11">another</a>.</p>'
    )
    found = find_in_html(html, BASE)
    assert forms(found) == [
        ("status_link", "1612558357623734272"),
        ("short_link", None),
        ("pic_link", None),
    ]
    assert [f.link for f in found] == [
        "https://twitter.com/KawsachunNews/status/1612558357623734272",
        "https://t.co/G0EWr9QwxH",
        "https://pic.twitter.com/EdWNhRQl11",
    ]


def test_pasted_pic_text_with_attribution() -> None:
    html = page(
        "<p>Peru: Protesters are arriving at the hospital. pic.twitter.com/G0EWr9QwxH "
        "&mdash; Kawsachun News (@KawsachunNews) January 9, 2023</p>"
    )
    [embed] = find_in_html(html, BASE)
    assert (embed.form, embed.link) == ("pic_link", "https://pic.twitter.com/G0EWr9QwxH")
    assert embed.embed_text == (
        "Peru: Protesters are arriving at the hospital. pic.twitter.com/G0EWr9QwxH "
        "\u2014 Kawsachun News (@KawsachunNews) January 9, 2023"
    )


def test_pasted_status_url_and_short_link_text() -> None:
    html = page(
        "<p>Source: https://x.com/someagency/status/1811428389283594240?s=20. "
        "Also twitter.com/reporter/status/1591514428093440000 and https://t.co/Rk3nS0Kx9Q.</p>"
    )
    found = find_in_html(html, BASE)
    assert forms(found) == [
        ("status_link", "1811428389283594240"),
        ("status_link", "1591514428093440000"),
        ("short_link", None),
    ]
    assert [f.link for f in found] == [
        "https://x.com/someagency/status/1811428389283594240?s=20",
        "https://twitter.com/reporter/status/1591514428093440000",
        "https://t.co/Rk3nS0Kx9Q",
    ]


def test_anchor_text_repeating_the_href_counts_once() -> None:
    url = "https://twitter.com/KawsachunNews/status/1612558357623734272"
    html = f'<p><a href="{url}">{url}</a> and <a href="https://t.co/G0EWr9QwxH">pic.twitter.com/G0EWr9QwxH</a></p>'
    assert forms(find_in_html(html, BASE)) == [("status_link", "1612558357623734272"), ("short_link", None)]


def test_url_text_inside_an_unrelated_anchor_is_found() -> None:
    html = '<p><a href="/gallery">pic.twitter.com/G0EWr9QwxH</a></p>'
    assert forms(find_in_html(html, BASE)) == [("pic_link", None)]


def test_relative_and_protocol_relative_hrefs() -> None:
    html = '<a href="//twitter.com/a/status/123456789012345678">x</a><a href="//t.co/Rel1">y</a>'
    found = find_in_html(html, BASE)
    assert [f.link for f in found] == ["https://twitter.com/a/status/123456789012345678", "https://t.co/Rel1"]
    # On a mirror's own page a relative link is a status link of that mirror.
    found = find_in_html('<a href="/a/status/123456789012345678#m">x</a>', "https://nitter.net/a")
    assert [(f.link, f.native_id) for f in found] == [("https://nitter.net/a/status/123456789012345678#m", "123456789012345678")]
    # A scheme-less href written as a full address is meant as one.
    found = find_in_html('<a href="pic.twitter.com/NoScheme1">x</a>', BASE)
    assert [f.link for f in found] == ["https://pic.twitter.com/NoScheme1"]


def test_base_element_sets_the_base_url() -> None:
    html = '<html><head><base href="https://nitter.net/"></head><body><a href="a/status/123456789012345678">x</a></body></html>'
    [embed] = find_in_html(html, BASE)
    assert (embed.link, embed.native_id) == ("https://nitter.net/a/status/123456789012345678", "123456789012345678")


def test_not_posts_are_ignored() -> None:
    html = page(
        '<a href="https://twitter.com/KawsachunNews">profile</a>'
        '<a href="https://twitter.com/hashtag/Peru?src=hash">#Peru</a>'
        '<a href="https://twitter.com/search?q=juliaca">search</a>'
        '<a href="https://twitter.com/intent/tweet?url=https%3A%2F%2Fnews.example.com">share</a>'
        '<a href="https://x.com/i/lists/123">list</a>'
        "<p>Follow us on twitter.com/KawsachunNews or x.com/home</p>"
    )
    assert find_in_html(html, BASE) == []


def test_script_and_style_are_ignored() -> None:
    html = (
        '<script>var u = "https://twitter.com/a/status/123456789012345678"; // pic.twitter.com/Abc</script>'
        "<style>.x{background:url(https://t.co/Sty1)}</style>"
        '<script type="application/ld+json">{"url": "https://t.co/Ld1"}</script>'
        "<p>nothing here</p>"
    )
    assert find_in_html(html, BASE) == []


# --- order and duplicates --------------------------------------------------


def test_document_order_across_forms() -> None:
    html = page(
        "<p>First https://t.co/First1</p>",
        STANDARD,
        AMP,
        '<p><a href="https://x.com/a/status/333333333333333333">later</a></p>',
        RENDERED,
        "<p>pic.x.com/Last1</p>",
    )
    assert forms(find_in_html(html, BASE)) == [
        ("short_link", None),
        ("blockquote", "1612558357623734272"),
        ("amp", "885634330868850689"),
        ("status_link", "333333333333333333"),
        ("iframe", "1612558357623734272"),
        ("pic_link", None),
    ]


def test_one_post_embedded_twice() -> None:
    # The same blockquote twice: one link in one form counts once.
    assert forms(find_in_html(page(STANDARD, STANDARD), BASE)) == [("blockquote", "1612558357623734272")]
    # The same post in other forms or through other links: each is kept.
    html = page(
        STANDARD,
        '<a href="https://x.com/KawsachunNews/status/1612558357623734272">again</a>',
        '<a href="https://twitter.com/KawsachunNews/status/1612558357623734272">and again</a>',
        '<a href="https://x.com/KawsachunNews/status/1612558357623734272">same link, same form</a>',
        RENDERED,
    )
    found = find_in_html(html, BASE)
    assert forms(found) == [
        ("blockquote", "1612558357623734272"),
        ("status_link", "1612558357623734272"),
        ("status_link", "1612558357623734272"),
        ("iframe", "1612558357623734272"),
    ]


def test_every_form_on_one_page() -> None:
    html = page(STANDARD, OLD_2012, X_2024, WITH_ATTRIBUTES, VIDEO, AMP, RENDERED, ERROR)
    assert forms(find_in_html(html, BASE)) == [
        ("blockquote", "1612558357623734272"),
        ("blockquote", "266031293945503744"),
        ("blockquote", "1811428389283594240"),
        ("blockquote", "1591514428093440000"),
        ("blockquote", "1612555453412143104"),
        ("amp", "885634330868850689"),
        ("iframe", "1612558357623734272"),
        ("blockquote", "1600000000000000000"),
    ]


# --- plain text and the juliaca seed ---------------------------------------


def test_juliaca_seed() -> None:
    text = (DATA / "juliaca-article.txt").read_text(encoding="utf-8")
    found = find_in_text(text)
    assert [(f.form, f.link) for f in found] == [
        ("pic_link", "https://pic.twitter.com/G0EWr9QwxH"),
        ("pic_link", "https://pic.twitter.com/EdWNhRQl11"),
        ("pic_link", "https://pic.twitter.com/keN3mt95tk"),
        ("pic_link", "https://pic.twitter.com/H55uEEVS3g"),
    ]
    assert all(f.native_id is None and f.platform == "twitter" for f in found)
    assert found[0].embed_text == (
        "Peru: Protesters are arriving at the Carlos Monge hospital following the massacre carried out by "
        "the coup regime in the town of Juliaca. 9 dead and 20 injured so far. pic.twitter.com/G0EWr9QwxH "
        "\u2014 Kawsachun News (@KawsachunNews) January 9, 2023"
    )
    assert found[1].embed_text == (
        "All of the protesters killed today in Juliaca, Peru, died of bullet wounds, says Dr. Enrique "
        "Sotomayor at the Carlos Monge Hospital pic.twitter.com/EdWNhRQl11 "
        "\u2014 Kawsachun News (@KawsachunNews) January 10, 2023"
    )
    for embed in found:
        assert embed.embed_text is not None
        assert embed.embed_text.endswith(("January 9, 2023", "January 10, 2023"))
        assert "\n" not in embed.embed_text
    # Through the dispatcher, as plain text and as the same text in HTML paragraphs.
    assert [f.link for f in find_embeds(text, "text/plain; charset=utf-8", None)] == [f.link for f in found]
    html = "".join(f"<p>{para}</p>\n" for para in text.split("\n\n"))
    from_html = find_embeds(html, "text/html", BASE)
    assert [(f.link, f.embed_text) for f in from_html] == [(f.link, f.embed_text) for f in found]


def test_text_forms_and_normalisation() -> None:
    text = (
        "Read http://PIC.TWITTER.COM/AbC123 and pic.x.com/XyZ9, the thread at "
        "https://mobile.twitter.com/a/status/123456789012345678/photo/1 (via t.co/Tco1).\n"
        "Truncated: twitter.com/a/status/12345\u2026 and a profile twitter.com/someone."
    )
    found = find_in_text(text)
    assert [(f.form, f.link, f.native_id) for f in found] == [
        ("pic_link", "https://pic.twitter.com/AbC123", None),
        ("pic_link", "https://pic.x.com/XyZ9", None),
        ("status_link", "https://mobile.twitter.com/a/status/123456789012345678/photo/1", "123456789012345678"),
        ("short_link", "https://t.co/Tco1", None),
    ]
    assert PLATFORM.find_in_text(text) == found


def test_text_attribution_on_its_own_line_and_run_on_text() -> None:
    text = (
        "Earlier paragraph.\n\nFirst line of the post\nsecond line pic.twitter.com/Line1\n"
        "\u2014 Name (Official) (@handle_1) 9 de enero de 2023\n\nNext paragraph."
    )
    [embed] = find_in_text(text)
    assert embed.embed_text == (
        "First line of the post\nsecond line pic.twitter.com/Line1\n"
        "\u2014 Name (Official) (@handle_1) 9 de enero de 2023"
    )
    # Copied without line breaks: the attribution ends with the date's year.
    run_on = (
        "Post one pic.twitter.com/One1 \u2014 A (@a) January 9, 2023 and the article goes on and on about "
        "things for a while. Post two pic.twitter.com/Two2 -- B (@b) 2023\u5e741\u670810\u65e5 more text"
    )
    one, two = find_in_text(run_on)
    assert one.embed_text == "Post one pic.twitter.com/One1 \u2014 A (@a) January 9, 2023"
    assert two.embed_text == (
        "and the article goes on and on about things for a while. Post two pic.twitter.com/Two2 "
        "-- B (@b) 2023\u5e741\u670810\u65e5"
    )


def test_duplicate_keeps_the_text_of_a_later_copy() -> None:
    text = "Photo: pic.twitter.com/Twice1\n\nThe post again pic.twitter.com/Twice1 \u2014 A (@a) May 1, 2022"
    [embed] = find_in_text(text)
    assert embed.embed_text == "The post again pic.twitter.com/Twice1 \u2014 A (@a) May 1, 2022"


def test_pic_link_without_attribution_has_no_text() -> None:
    [embed] = find_in_text("A photo: pic.twitter.com/NoAttr1 and nothing more.")
    assert embed.embed_text is None


def test_duplicate_links_in_text_count_once() -> None:
    found = find_in_text("pic.twitter.com/Dup1 then again pic.twitter.com/Dup1 and https://pic.twitter.com/Dup1")
    assert [f.link for f in found] == ["https://pic.twitter.com/Dup1"]


# --- robustness ------------------------------------------------------------

MALFORMED = [
    "",
    "<",
    "<blockquote class=twitter-tweet",
    '<blockquote class="twitter-tweet"><p>cut <a href="https://twitter.com/a/status/1612558357623734272',
    '<blockquote class="twitter-tweet"><p>cut <a href="https://t.co/X1">pic.twitter.com/X1</a></p>&mdash; A (@a) <a hr',
    "<div><p><b><i>t.co/Abc</div></b></p></i></span></blockquote>",
    "<a href='https://twitter.com/a/status/5'><a href='https://t.co/x'>nested</a></a>",
    "\x00<a href='\udcff\udcfe'>\ud800</a> pic.twitter.com/Sur1 \udcff",
    "<table><tr><blockquote class='twitter-tweet'><a href='https://x.com/a/status/77'>d</a></blockquote></table>",
    "<svg><a href='https://twitter.com/a/status/78'>in svg</a></svg><math><mi>t.co/Mth1</mi></math>",
    "<html><head><a href='https://twitter.com/a/status/79'>in head</a></head></html>",
    '<amp-twitter data-tweetid="not-an-id"></amp-twitter><amp-twitter data-tweetid></amp-twitter>',
    '<iframe data-tweet-id="12x"></iframe><iframe src="https://platform.twitter.com/embed/Tweet.html?id="></iframe>',
    "<a href='http://[::1'>bad</a><a href='https://t.co/Ok1'>ok</a><a href=''>empty</a><a href>none</a>",
    "&lt;blockquote class=&quot;twitter-tweet&quot;&gt; https://twitter.com/a/status/80",
    "<!-- <a href='https://twitter.com/a/status/81'>commented out</a> -->",
]


@pytest.mark.parametrize("html", MALFORMED)
def test_malformed_html_never_raises(html: str) -> None:
    found = find_in_html(html, BASE)
    assert all(isinstance(f, FoundEmbed) and f.link for f in found)


def test_malformed_html_findings() -> None:
    # An attribute cut by the end of the file drops its whole tag (HTML parsing
    # rules): the blockquote is left with no link to resolve it by.
    assert find_in_html(MALFORMED[3], BASE) == []
    cut = find_in_html(MALFORMED[4], BASE)
    assert forms(cut) == [("blockquote", None)]
    assert find_in_html(MALFORMED[-1], BASE) == []  # comments are not content
    assert [f.link for f in find_in_html(MALFORMED[7], BASE)] == ["https://pic.twitter.com/Sur1"]


def test_unclosed_blockquote_does_not_hide_the_next_embed() -> None:
    first = STANDARD.replace("</blockquote>", "")
    found = find_in_html(first + X_2024 + AMP, BASE)
    assert forms(found) == [
        ("blockquote", "1612558357623734272"),
        ("blockquote", "1811428389283594240"),
        ("amp", "885634330868850689"),
    ]
    assert "Launch day" not in (found[0].embed_text or "")


def test_unclosed_title_or_iframe_does_not_hide_the_page() -> None:
    # Parsing rules make the rest of the page the element's text; the
    # citations in it are still citations.
    title = f"<html><head><title>Broken page<body><div class=content><p>Unclosed <b>bold\n<table><tr><td>{STANDARD}"
    found = find_in_html(title, BASE)
    assert forms(found) == [("blockquote", "1612558357623734272")]
    assert found[0].embed_text is not None and found[0].embed_text.startswith("Peru: Protesters")
    iframe = f'<p>Video:</p><iframe src="https://www.youtube.com/embed/abc">{X_2024}<p>https://t.co/After1</p>'
    assert forms(find_in_html(iframe, BASE)) == [("blockquote", "1811428389283594240"), ("short_link", None)]
    # A title that is only a title is not page text.
    assert find_in_html("<title>Our pic.twitter.com/Title1 story</title><p>text</p>", BASE) == []


def test_bytes_and_random_garbage() -> None:
    rng = random.Random(5)
    alphabet = '<>/="\' abc&;#!-twitter.comstatus/123pic.x.co\n\x00\u2014'
    for _ in range(200):
        junk = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 400)))
        find_in_html(junk, BASE)
        find_in_text(junk)
    assert forms(find_in_html(STANDARD.encode("utf-8"), BASE)) == [  # type: ignore[arg-type]
        ("blockquote", "1612558357623734272")
    ]


def test_large_page_is_read_whole() -> None:
    """A large page is read to its end (its speed is measured in bench/, not asserted here)."""
    block = (
        "<div><p>Paragraph about twitter with <a href='/tag/x'>a tag</a> and "
        "<a href='https://example.com/y'>a link</a>.</p></div>\n"
    )
    large = page(block * 10000, STANDARD)
    assert forms(find_in_html(large, BASE)) == [("blockquote", "1612558357623734272")]
    text = ("word " * 200 + "pic.twitter.com/Big1 \u2014 A (@a) January 9, 2023\n\n") * 2000
    assert len(find_in_text(text)) == 1


def test_page_without_markers_is_skipped_quickly() -> None:
    assert find_in_html("<p>" + "nothing " * 100000 + "</p>", BASE) == []


def test_registry() -> None:
    assert PLATFORM in platforms()
    assert PLATFORM.name == "twitter"
    assert forms(find_embeds(STANDARD, "text/html; charset=utf-8", BASE)) == [("blockquote", "1612558357623734272")]
    assert forms(find_embeds(STANDARD, None, BASE)) == [("blockquote", "1612558357623734272")]
    assert forms(find_embeds("see pic.twitter.com/Reg1", "", None)) == [("pic_link", None)]
