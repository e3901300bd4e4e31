"""Bluesky and Mastodon in the sample world: accounts, posts and articles in every state.

``add_to(world)`` puts them in; the constants name what tests assert about. All accounts
are fictional. Instances: ``mastodon.social`` (4.3, blockquote embeds), ``fosstodon.org``
(4.2, iframe embeds), ``hachyderm.io`` (a viewer showing a copy of a mastodon.social post
under its own id), ``locked.example`` (demands login for every read).
"""

from __future__ import annotations

import copy
import html

from .bluesky import BlueskyState, BskyAccount, BskyImage, BskyPost, BskyVideo, did_plc, snippet, tid, web_url
from .mastodon import MastoAccount, MastoInstance, MastoMedia, MastoStatus, embed_snippet
from .pages import article_page, para
from .world import Page, World

NEWS = "https://www.example-news.com"

# --------------------------------------------------------------------------- Bluesky

ANA = BskyAccount(did_plc("ana"), "ana.example.com", "Ana Riverside")
BEN = BskyAccount(did_plc("ben"), "ben.bsky.social", "Ben Harbour", pds="puffball.us-east.host.bsky.network")
TAKEN = BskyAccount(did_plc("taken"), "taken.bsky.social", "Taken Down", status="taken-down")
DEACT = BskyAccount(did_plc("deact"), "deact.bsky.social", "Deactivated Dan", status="deactivated")
SHY = BskyAccount(did_plc("shy"), "shy.bsky.social", "Shy Sam", opted_out=True)

BSKY_PHOTOS = BskyPost(ANA.did, tid("photos"), "The flood reached the old mill this morning.", "2026-03-01T08:15:00.000Z",
                       images=[BskyImage("Mill flood 1", 1600, 1200, "Water at the mill door", 11),
                               BskyImage("Mill flood 2", 900, 1400, "The mill race", 12)],
                       links=[("old mill", "https://www.example-news.com/mill")])
BSKY_VIDEO = BskyPost(BEN.did, tid("video"), "Video of the bridge closing", "2026-03-01T09:00:00.000Z",
                      video=BskyVideo("bsky-bridge", 640, 360, "The bridge"))
BSKY_QUOTE = BskyPost(BEN.did, tid("quote"), "Look at this", "2026-03-01T10:00:00.000Z",
                      quote=(ANA.did, BSKY_PHOTOS.rkey))
BSKY_TEXT = BskyPost(ANA.did, tid("text"), "Roads reopen at noon.", "2026-03-01T12:00:00.000Z", lang="en")
BSKY_DELETED = BskyPost(ANA.did, tid("deleted"), "A post that was deleted", "2026-03-01T07:00:00.000Z", status="deleted")
BSKY_TAKEN = BskyPost(TAKEN.did, tid("taken"), "From an account taken down", "2026-03-01T07:30:00.000Z")
BSKY_DEACT = BskyPost(DEACT.did, tid("deact"), "From a deactivated account", "2026-03-01T07:40:00.000Z")
BSKY_SHY = BskyPost(SHY.did, tid("shy"), "Only for logged-in readers", "2026-03-01T07:50:00.000Z")


def bsky_id(post: BskyPost) -> str:
    return f"{post.did}/{post.rkey}"


def handle_url(post: BskyPost, state: BlueskyState) -> str:
    return f"https://bsky.app/profile/{state.accounts[post.did].handle}/post/{post.rkey}"


# --------------------------------------------------------------------------- Mastodon

SOCIAL = MastoInstance("mastodon.social", "4.3.2")
FOSS = MastoInstance("fosstodon.org", "4.2.10")
HACHYDERM = MastoInstance("hachyderm.io", "4.3.2")
LOCKED = MastoInstance("locked.example", "4.3.2", auth_required=True)

CARLA = MastoAccount("mastodon.social", "Carla", "Carla Ferry", id="1001")
DEV = MastoAccount("fosstodon.org", "dev", "Dev Tinker", id="2001")
SUSP = MastoAccount("mastodon.social", "susp", "Suspended Sue", id="1002", status="suspended")
TEMP = MastoAccount("mastodon.social", "temp", "Paused Pat", id="1003", status="suspended-for-now")
GONE = MastoAccount("mastodon.social", "gone", "Gone Gus", id="1004", status="gone")
LOCKY = MastoAccount("locked.example", "locky", "Locky", id="3001")

M_PHOTO = MastoStatus("mastodon.social", "113000000000000001", "Carla", "<p>Ferry cancelled, <br>the river is too high.</p>",
                      "2026-03-01T08:30:00.000Z", media=[MastoMedia("image", "9001", "Ferry dock", 1280, 960, "The dock")])
M_VIDEO = MastoStatus("fosstodon.org", "113000000000000002", "dev", "<p>Timelapse of the water rising</p>",
                      "2026-03-01T09:30:00.000Z", media=[MastoMedia("video", "9002", "fosstodon-timelapse", 640, 360)])
M_TEXT = MastoStatus("mastodon.social", "113000000000000003", "Carla", "<p>Update: the ferry runs again.</p>",
                     "2026-03-01T15:00:00.000Z")
M_QUOTE = MastoStatus("fosstodon.org", "113000000000000004", "dev", "<p>Good news</p>", "2026-03-01T15:10:00.000Z",
                      quote_of=("mastodon.social", "113000000000000003"))
M_DELETED = MastoStatus("mastodon.social", "113000000000000005", "Carla", "<p>Deleted later</p>", "2026-03-01T06:00:00.000Z",
                        deleted=True)
M_PRIVATE = MastoStatus("mastodon.social", "113000000000000006", "Carla", "<p>Followers only</p>", "2026-03-01T06:10:00.000Z",
                        visibility="private")
M_SUSP = MastoStatus("mastodon.social", "113000000000000007", "susp", "<p>From a suspended account</p>", "2026-03-01T06:20:00.000Z")
M_TEMP = MastoStatus("mastodon.social", "113000000000000008", "temp", "<p>From a paused account</p>", "2026-03-01T06:30:00.000Z")
M_GONE = MastoStatus("mastodon.social", "113000000000000009", "gone", "<p>From a gone account</p>", "2026-03-01T06:40:00.000Z")
M_LOCKED = MastoStatus("locked.example", "113000000000000010", "locky", "<p>Behind a login</p>", "2026-03-01T06:50:00.000Z")
HACHYDERM_COPY_ID = "112999999999999999"
"""hachyderm.io's own id of its copy of :data:`M_PHOTO`."""


def masto_id(status: MastoStatus) -> str:
    return f"{status.host}/@{status.username.lower()}/{status.id}"


COPY_URL = f"https://hachyderm.io/@Carla@mastodon.social/{HACHYDERM_COPY_ID}"

# --------------------------------------------------------------------------- articles

MIXED_ARTICLE = f"{NEWS}/2026/03/flood-mixed"
"""Two tweets, two Bluesky posts (photos; video), two Mastodon posts on different instances."""
FORMS_ARTICLE = f"{NEWS}/2026/03/fediverse-forms"
STATES_ARTICLE = f"{NEWS}/2026/03/fediverse-states"
TEXT_ARTICLE = f"{NEWS}/2026/03/fediverse.txt"


def add_to(world: World) -> World:
    """Add the accounts, posts, instances and articles above to ``world`` (a sample world)."""
    from . import sample as S

    # Deep copies: a test may change a post's video or media in its world, and the next
    # world must not see it (the module-level samples are shared by every world).
    b = world.bluesky
    for account in (ANA, BEN, TAKEN, DEACT, SHY):
        b.add_account(copy.deepcopy(account))
    for post in (BSKY_PHOTOS, BSKY_VIDEO, BSKY_QUOTE, BSKY_TEXT, BSKY_DELETED, BSKY_TAKEN, BSKY_DEACT, BSKY_SHY):
        b.add_post(copy.deepcopy(post))
    m = world.mastodon
    for instance in (SOCIAL, FOSS, HACHYDERM, LOCKED):
        m.add_instance(copy.deepcopy(instance))
    m.instances["hachyderm.io"].copies[HACHYDERM_COPY_ID] = ("mastodon.social", M_PHOTO.id)
    for account in (CARLA, DEV, SUSP, TEMP, GONE, LOCKY):
        m.add_account(copy.deepcopy(account))
    for status in (M_PHOTO, M_VIDEO, M_TEXT, M_QUOTE, M_DELETED, M_PRIVATE, M_SUSP, M_TEMP, M_GONE, M_LOCKED):
        m.add_status(copy.deepcopy(status))

    tweets = [world.posts[S.JULIACA_DOCTOR_ID], world.posts[S.JULIACA_MARCH_ID]]
    blocks = [para("The river rose overnight across the valley.")]
    blocks += [S._embed(world, tweets[0].id)]
    blocks += [snippet(b, b.posts[(BSKY_PHOTOS.did, BSKY_PHOTOS.rkey)])]
    blocks += [para("Ferries stopped.")]
    blocks += [embed_snippet(m.instances["mastodon.social"], m.statuses[("mastodon.social", M_PHOTO.id)])]
    blocks += [S._embed(world, tweets[1].id)]
    blocks += [snippet(b, b.posts[(BSKY_VIDEO.did, BSKY_VIDEO.rkey)])]
    blocks += [embed_snippet(m.instances["fosstodon.org"], m.statuses[("fosstodon.org", M_VIDEO.id)])]
    world.add_page(MIXED_ARTICLE, Page.html(article_page("Flood: what people posted", blocks)))

    text_post = b.posts[(BSKY_TEXT.did, BSKY_TEXT.rkey)]
    forms = [
        para("Every form a newsroom uses."),
        # Bluesky: oEmbed's snippet (no colour mode), a handle link, an AT-URI in text,
        # an iframe left by embed.js, a WordPress block not yet rendered.
        f'<blockquote class="bluesky-embed" data-bluesky-uri="{BSKY_QUOTE_URI()}"><p lang="en">Look at this</p>&mdash; '
        f'<a href="https://bsky.app/profile/{BEN.did}?ref_src=embed">Ben Harbour (@ben.bsky.social)</a></blockquote>',
        f'<p>As <a href="{handle_url(text_post, b)}">Ana wrote</a>, and at://{ANA.handle}/app.bsky.feed.post/{BSKY_DELETED.rkey} too.</p>',
        f'<div class="bluesky-embed"><iframe src="https://embed.bsky.app/embed/{BSKY_PHOTOS.did}/app.bsky.feed.post/{BSKY_PHOTOS.rkey}?id=1" width="100%"></iframe></div>',
        '<!-- wp:embed {"url":"x","type":"rich","providerNameSlug":"bluesky"} -->'
        f'<figure class="wp-block-embed is-type-rich is-provider-bluesky wp-block-embed-bluesky"><div class="wp-block-embed__wrapper">\n'
        f'{web_url(b.posts[(BSKY_VIDEO.did, BSKY_VIDEO.rkey)])}\n</div></figure><!-- /wp:embed -->',
        # Mastodon: the legacy iframe, the 4.3 blockquote, a copy on a viewing instance,
        # a bare link to the quote post, and a link that only looks like a post.
        embed_snippet(m.instances["fosstodon.org"], m.statuses[("fosstodon.org", M_VIDEO.id)]),
        embed_snippet(m.instances["mastodon.social"], m.statuses[("mastodon.social", M_TEXT.id)]),
        f'<p>Seen on <a href="{COPY_URL}">hachyderm</a>; and <a href="https://fosstodon.org/@dev/{M_QUOTE.id}">this</a>.</p>',
        f'<p>Not a post: <a href="{NEWS}/@desk/2026">our desk</a>.</p>',
    ]
    world.add_page(FORMS_ARTICLE, Page.html(article_page("Fediverse forms", forms)))

    states = [para("Posts in every state.")]
    for post in (BSKY_DELETED, BSKY_TAKEN, BSKY_DEACT, BSKY_SHY):
        states.append(snippet(b, b.posts[(post.did, post.rkey)], script=False))
    for status in (M_DELETED, M_PRIVATE, M_SUSP, M_TEMP, M_GONE, M_LOCKED):
        states.append(f'<p><a href="{status.url}">{html.escape(status.username)}</a></p>')
    world.add_page(STATES_ARTICLE, Page.html(article_page("Fediverse states", states)))

    text = (f"Bluesky: {web_url(b.posts[(BSKY_TEXT.did, BSKY_TEXT.rkey)])}\n"
            f"Mastodon: {M_TEXT.url}\nNot a post: https://www.example-news.com/@desk/2026\n")
    world.add_page(TEXT_ARTICLE, Page(body=text.encode(), content_type="text/plain; charset=utf-8"))
    world.extra_hosts.add("www.example-news.com")
    return world


def BSKY_QUOTE_URI() -> str:  # noqa: N802 - reads as the constant it stands for
    return f"at://{BEN.did}/app.bsky.feed.post/{BSKY_QUOTE.rkey}"


def sample_world() -> World:
    world = World.sample()
    return add_to(world)


def add_mixed_bench_articles(world: World, articles: int = 10) -> dict[str, list[str]]:
    """``articles`` articles at ``/bench/article-N``, each embedding 2 tweets, 1 Bluesky and
    1 Mastodon post, one photo each (for bench/bench_archive.py's mixed workload). Returns
    url → the posts' refs (``platform:id``)."""
    from . import sample as S

    out: dict[str, list[str]] = {}
    b, m = world.bluesky, world.mastodon
    ana = b.add_account(BskyAccount(**vars(ANA)))
    social = m.add_instance(MastoInstance("mastodon.social", "4.3.2"))
    m.add_account(MastoAccount(**vars(CARLA)))
    tweets = S.add_bench_articles(world, articles, 2)
    for n, (url, ids) in enumerate(tweets.items()):
        post = b.add_post(BskyPost(ana.did, tid(f"bench-{n}"), f"Bluesky benchmark post {n + 1}",
                                   "2026-03-02T08:00:00.000Z", images=[BskyImage(f"Bsky bench {n + 1}", 1200, 900, seed=n)]))
        status = m.add_status(MastoStatus("mastodon.social", str(114000000000000000 + n), "Carla",
                                          f"<p>Mastodon benchmark post {n + 1}</p>", "2026-03-02T08:00:00.000Z",
                                          media=[MastoMedia("image", str(95000 + n), f"Masto bench {n + 1}", 1200, 900)]))
        page = world.pages[url]
        extra = snippet(b, post) + "\n" + embed_snippet(social, status)
        page.body = page.body.replace(b"</body>", extra.encode() + b"</body>")
        out[url] = [f"twitter:{i}" for i in ids] + [f"bluesky:{bsky_id(post)}", f"mastodon:{masto_id(status)}"]
    return out
