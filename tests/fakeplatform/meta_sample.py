"""Instagram and Facebook in the sample world: posts in every state, and the snippets a
newsroom pastes to cite them. ``add_to(world)`` puts the posts in (``World.sample()``
does); an article citing them is a test's to build with the snippet helpers. All
accounts are fictional.
"""

from __future__ import annotations

import html

from .facebook import FbPost
from .instagram import IgPost
from .world import World

# --------------------------------------------------------------------------- Instagram

IG_PHOTO = IgPost("CxPhoto0001", "river.watch", "River Watch", "The river at dawn #flood", share_code="ShPh0to01")
IG_VIDEO = IgPost("CxVideo0002", "river.watch", "River Watch", "Water over the weir", kind="video")
IG_CAROUSEL = IgPost("CxAlbum0003", "mill.town", "Mill Town", "Three views of the mill", kind="carousel")
IG_PRIVATE = IgPost("CxPrivat004", "mill.town", "Mill Town", "Friends only", state="private")
IG_DELETED = IgPost("CxDelete005", "mill.town", "Mill Town", "Deleted later", state="deleted")
IG_DISABLED = IgPost("CxNoEmbd006", "mill.town", "Mill Town", "Not embeddable", state="embed_disabled")
IG_RESTRICTED = IgPost("CxRestri007", "mill.town", "Mill Town", "Adults only", kind="video", state="restricted")
IG_LOGIN = IgPost("CxLogin0008", "river.watch", "River Watch", "Behind the login wall", state="login")
IG_POSTS = (IG_PHOTO, IG_VIDEO, IG_CAROUSEL, IG_PRIVATE, IG_DELETED, IG_DISABLED, IG_RESTRICTED, IG_LOGIN)

# --------------------------------------------------------------------------- Facebook

FB_POST = FbPost("10150000000000001", "RiverCouncil", "River Council", "Road closures tonight on the river road.",
                 photos=2, share_code="1AbCdEfGh")
FB_VIDEO = FbPost("10150000000000002", "RiverCouncil", "River Council", "Drone footage of the flood",
                  kind="video", short_code="fbWatch01", share_code="2VidShare")
FB_PHOTO = FbPost("10150000000000003", "MillTownNews", "Mill Town News", "The mill at noon", kind="photo")
FB_DELETED = FbPost("10150000000000004", "MillTownNews", "Mill Town News", "Deleted later", state="deleted")
FB_PRIVATE = FbPost("10150000000000005", "MillTownNews", "Mill Town News", "Friends only", state="private")
FB_NOTICE = FbPost("10150000000000006", "RiverCouncil", "River Council", "Public, but logged out readers are told "
                   "otherwise", state="logged_out")
FB_LOGIN = FbPost("10150000000000007", "RiverCouncil", "River Council", "Behind the login wall", state="login")
FB_POSTS = (FB_POST, FB_VIDEO, FB_PHOTO, FB_DELETED, FB_PRIVATE, FB_NOTICE, FB_LOGIN)


def add_to(world: World) -> None:
    """Every sample Instagram and Facebook post, as fresh copies."""
    for post in IG_POSTS:
        world.instagram.add(IgPost(**vars(post)))
    for fb in FB_POSTS:
        world.facebook.add(FbPost(**vars(fb)))


def instagram_blockquote(post: IgPost, *, script: bool = True, version: int = 14) -> str:
    """Instagram's official snippet (field guide §4.1)."""
    permalink = f"https://www.instagram.com/p/{post.code}/?utm_source=ig_embed&amp;utm_campaign=loading"
    return (
        f'<blockquote class="instagram-media" data-instgrm-captioned data-instgrm-permalink="{permalink}" '
        f'data-instgrm-version="{version}" style="background:#FFF; border:0; margin:1px; max-width:540px; '
        f'min-width:326px; padding:0;"><div style="padding:16px;"><a href="{permalink}" target="_blank">'
        f"View this post on Instagram</a><p>{html.escape(post.caption)}</p>"
        f'<p><a href="{permalink}">A post shared by {html.escape(post.full_name)} (@{post.user})</a></p></div></blockquote>'
        + ('<script async src="//www.instagram.com/embed.js"></script>' if script else "")
    )


def facebook_snippet(post: FbPost, *, script: bool = True) -> str:
    """Facebook's XFBML snippet (field guide §6.1): ``div.fb-post`` (``fb-video``) and its blockquote."""
    cls = "fb-video" if post.kind == "video" else "fb-post"
    sdk = ('<div id="fb-root"></div><script async defer crossorigin="anonymous" '
           'src="https://connect.facebook.net/en_US/sdk.js#xfbml=1&version=v24.0"></script>') if script else ""
    return (
        f'{sdk}<div class="{cls}" data-href="{html.escape(post.url)}" data-width="500" data-show-text="true">'
        f'<blockquote cite="{html.escape(post.url)}" class="fb-xfbml-parse-ignore"><p>{html.escape(post.text)}</p>'
        f'Posted by <a href="https://www.facebook.com/{post.owner}">{html.escape(post.page_name)}</a></blockquote></div>'
    )


__all__ = [
    "FB_DELETED", "FB_LOGIN", "FB_NOTICE", "FB_PHOTO", "FB_POST", "FB_POSTS", "FB_PRIVATE", "FB_VIDEO", "IG_CAROUSEL",
    "IG_DELETED", "IG_DISABLED", "IG_LOGIN", "IG_PHOTO", "IG_POSTS", "IG_PRIVATE", "IG_RESTRICTED", "IG_VIDEO",
    "add_to", "facebook_snippet", "instagram_blockquote",
]
