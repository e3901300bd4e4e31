"""Placement end to end: `archive` takes the article's own embeds, records the page's as seen
(archived only with --page-embeds), a rotating sidebar fires no embed events, the seen
embeds are chained in the log; `archiver find` lists all of it without capturing anything.
Against the fake platform, real Chromium, real SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver import find, sweep, verify
from archiver.cli import cli
from archiver.config import Settings
from archiver.pipeline import archive
from tests.conftest import open_archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.fakeplatform.pages import para
from tests.fakeplatform.world import Page

URL = f"{S.NEWS}/2023/01/juliaca-with-sidebar"
BODY_IDS = [S.JULIACA_HOSPITAL_ID, S.JULIACA_DOCTOR_ID]
PROSE = [
    "Protesters gathered outside the hospital in Juliaca on Monday night as the wounded were brought in.",
    "Doctors said most of the injured had been hit by bullets, a claim the police have not answered yet.",
    "The regional government declared three days of mourning and asked for an independent investigation.",
    "Witnesses described a crowd of several thousand people walking from the airport towards the centre.",
]


def page(world: World, sidebar_ids: list[int]) -> str:
    """An article embedding BODY_IDS, beside a "latest tweets" widget linking ``sidebar_ids``."""
    article = [para(PROSE[0]), S._embed(world, BODY_IDS[0]), para(PROSE[1]), para(PROSE[2]),
               S._embed(world, BODY_IDS[1]), para(PROSE[3])]
    widget = "".join(f'<li>News from the desk <a href="{world.posts[i].status_url}">2 hours ago</a></li>' for i in sidebar_ids)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Juliaca, with a sidebar</title></head><body>"
        "<div id='page' class='site'><main id='main'><article><h1>Juliaca</h1><div class='entry-content'>"
        + "\n".join(article)
        + "</div></article></main>"
        "<div id='secondary' class='widget-area' role='complementary'><aside class='widget widget_twitter'>"
        f"<h2 class='widget-title'>Latest tweets</h2><ul class='tweets'>{widget}</ul></aside></div>"
        "</div></body></html>"
    )


def rows(settings: Settings, sql: str, *params: object) -> list[dict[str, object]]:
    conn = open_archive(settings)
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def archived_ids(settings: Settings) -> set[int]:
    return {int(str(r["native_id"])) for r in rows(settings, "SELECT native_id FROM posts")}


def cited_ids(settings: Settings) -> set[int]:
    sql = "SELECT p.native_id FROM article_posts ap JOIN posts p ON p.id = ap.post_id WHERE ap.removed_at IS NULL"
    return {int(str(r["native_id"])) for r in rows(settings, sql)}


def seen(settings: Settings) -> dict[tuple[int, str], dict[str, object]]:
    return {(int(str(r["native_id"])), str(r["placement"])): r for r in rows(settings, "SELECT * FROM seen_embeds")}


@pytest.fixture
def sidebar_page(fake_world: World) -> list[int]:
    sidebar = [S.GALLERY_ID, S.GIF_ID]
    fake_world.add_page(URL, Page.html(page(fake_world, sidebar)))
    return sidebar


def test_the_articles_embeds_are_archived_the_pages_recorded_and_a_rotating_sidebar_is_no_event(
    settings: Settings, fake_world: World, sidebar_page: list[int]
) -> None:
    summary = archive([URL], settings)
    assert summary.ok, summary.errors
    assert archived_ids(settings) == set(BODY_IDS) == cited_ids(settings)
    first = seen(settings)
    assert set(first) == {(i, "body") for i in BODY_IDS} | {(i, "page") for i in sidebar_page}
    widget_row = first[(sidebar_page[0], "page")]
    assert (widget_row["platform"], widget_row["form"]) == ("twitter", "status_link")
    assert widget_row["link"] == fake_world.posts[sidebar_page[0]].status_url

    # The sidebar rotates: other posts there, none of them the article's.
    rotated = [S.VIDEO_ID]
    fake_world.pages[URL] = Page.html(page(fake_world, rotated))
    result = sweep(settings, everything=True)
    assert result.ok, result.errors
    assert not [e for e in result.events if str(e["kind"]).startswith("embed_")], result.events
    assert cited_ids(settings) == set(BODY_IDS)
    assert archived_ids(settings) == set(BODY_IDS)
    now = seen(settings)
    assert (S.VIDEO_ID, "page") in now and set(first) <= set(now)
    assert now[(sidebar_page[0], "page")]["last_seen_at"] == first[(sidebar_page[0], "page")]["last_seen_at"]
    assert str(now[(BODY_IDS[0], "body")]["last_seen_at"]) > str(first[(BODY_IDS[0], "body")]["last_seen_at"])

    # Seen embeds are chained like every fact: verify holds, and notices one changed.
    report = verify(settings)
    assert report.ok, [p.line() for p in report.problems]
    conn = open_archive(settings)
    with conn:
        conn.execute("UPDATE seen_embeds SET placement = 'body' WHERE native_id = ?", (str(S.VIDEO_ID),))
    conn.close()
    problems = [(p.kind, p.where) for p in verify(settings).problems]
    assert any(kind == "row_changed" and "seen_embeds row" in where for kind, where in problems), problems


def test_page_embeds_are_archived_when_asked_but_not_cited(settings: Settings, sidebar_page: list[int]) -> None:
    summary = archive([URL], settings, page_embeds=True)
    assert summary.ok, summary.errors
    assert archived_ids(settings) == set(BODY_IDS) | set(sidebar_page)
    assert cited_ids(settings) == set(BODY_IDS), "the article does not cite its sidebar"
    assert {k[1] for k in seen(settings)} == {"body", "page"}


def test_find_lists_what_archive_would_take_and_captures_nothing(
    settings: Settings, fake_world: World, fake_platform: FakePlatform, sidebar_page: list[int], tmp_path: Path
) -> None:
    found = find(settings, URL)
    assert found.ok and found.title == "Juliaca, with a sidebar"
    assert [(e.native_id, e.placement) for e in found.embeds] == [
        (str(BODY_IDS[0]), "body"), (str(BODY_IDS[1]), "body"),
        (str(sidebar_page[0]), "page"), (str(sidebar_page[1]), "page"),
    ]
    assert found.embeds[0].form == "blockquote" and found.embeds[0].embed_text
    assert not settings.db_path.exists(), "find captures nothing"

    # A saved copy, offline: relative links resolve against --base-url; a t.co link stays
    # unresolved until --resolve follows it.
    saved = tmp_path / "saved.html"
    tco = f"https://t.co/{S.TCO_ONLY_CODE}"
    saved.write_text(
        page(fake_world, sidebar_page).replace(
            "</div></article>", f'<p>Also <a href="{tco}">this</a>.</p></div></article>'
        ),
        encoding="utf-8",
    )
    fake_platform.clear_requests()
    runner = CliRunner()
    env = {"ARCHIVER_DATA": str(settings.data_dir)}
    result = runner.invoke(cli, ["find", str(saved), "--base-url", URL, "--json"], env=env)
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert listed["url"] == URL
    short = [e for e in listed["embeds"] if e["form"] == "short_link"]
    assert [(e["link"], e["post"], e["placement"]) for e in short] == [(tco, None, "body")]
    assert fake_platform.requests == [], "offline unless --resolve"

    text = runner.invoke(cli, ["find", str(saved), "--base-url", URL], env=env)
    assert text.exit_code == 0 and "2 around it" in text.output and f"twitter:{BODY_IDS[0]}" in text.output

    resolved = find(settings, str(saved), base_url=URL, resolve=True)
    assert resolved.ok, resolved.errors
    assert resolved.resolved == {tco: f"twitter:{S.TCO_ONLY_ID}"}
    assert not settings.db_path.exists()


def test_find_names_a_bad_source_in_one_line(settings: Settings, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["find", str(tmp_path / "missing.html")], env={"ARCHIVER_DATA": str(settings.data_dir)})
    assert result.exit_code == 1
    assert "missing.html" in result.output and "Traceback" not in result.output
