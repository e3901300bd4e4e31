"""A fake Misskey instance, from what the field guide says of it (PLATFORMS_OTHER.md §2.2:
notes at ``/notes/<id>``, read with ``POST /api/notes/show`` and ``{"noteId": "<id>"}``).

The guide says nothing more, so the rest is Misskey's documented API shape, kept small:

- ``POST /api/notes/show``: 200 the Note (``id``, ``createdAt``, ``text``, ``cw``,
  ``user`` {``id``, ``username``, ``host`` (null when local), ``name``}, ``files``
  [{``type``, ``url``, ``properties`` {width, height}, ``comment``}], ``replyId``,
  ``renoteId``, ``uri`` and ``url`` for a note from elsewhere); 400 ``{"error":
  {"code": "NO_SUCH_NOTE", …}}`` for a note that is gone or hidden. Only POST answers.
- ``/notes/<id>``: the web client's page; ``/files/<name>``: the files.

Hosts answer only when the request's method and body reach them: the proxy hands them
both (:func:`respond`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import media as media_gen

if TYPE_CHECKING:
    from .handlers import Response
    from .world import World


@dataclass
class MkNote:
    host: str
    id: str
    username: str
    text: str
    created_at: str
    user_host: str | None = None
    """The author's instance when the note is a copy of a post from elsewhere (None: local)."""
    uri: str | None = None
    """The original's ActivityPub id, for a copy."""
    deleted: bool = False
    images: list[tuple[str, int, int]] = field(default_factory=list)
    """(label, width, height) of attached JPEGs."""
    reply_id: str | None = None
    renote_id: str | None = None

    @property
    def url(self) -> str:
        return f"https://{self.host}/notes/{self.id}"

    def file_name(self, n: int) -> str:
        return f"{self.id}-{n}.jpg"

    def image(self, n: int) -> bytes:
        label, width, height = self.images[n]
        return media_gen.jpeg(label, width, height, n, False, "orig")


@dataclass
class MisskeyState:
    hosts_: set[str] = field(default_factory=set)
    notes: dict[tuple[str, str], MkNote] = field(default_factory=dict)

    def add_note(self, note: MkNote) -> MkNote:
        self.hosts_.add(note.host)
        self.notes[(note.host, note.id)] = note
        return note

    def hosts(self) -> set[str]:
        return set(self.hosts_)


def note_json(note: MkNote) -> dict[str, object]:
    out: dict[str, object] = {
        "id": note.id, "createdAt": note.created_at, "userId": f"u-{note.username}",
        "user": {"id": f"u-{note.username}", "username": note.username, "host": note.user_host,
                 "name": note.username.title(), "avatarUrl": None},
        "text": note.text, "cw": None, "visibility": "public", "renoteCount": 0, "repliesCount": 0,
        "reactions": {}, "fileIds": [f"f{n}" for n in range(len(note.images))],
        "files": [{"id": f"f{n}", "type": "image/jpeg", "name": note.file_name(n),
                   "url": f"https://{note.host}/files/{note.file_name(n)}",
                   "properties": {"width": w, "height": h}, "comment": label, "isSensitive": False}
                  for n, (label, w, h) in enumerate(note.images)],
        "replyId": note.reply_id, "renoteId": note.renote_id,
    }
    if note.uri is not None:
        out["uri"] = note.uri
        out["url"] = note.uri
    return out


def _json(status: int, data: object) -> Response:
    from .handlers import Response

    return Response(status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(data).encode())


def respond(world: World, host: str, method: str, path: str, body: bytes) -> Response | None:
    """The instance's answer, or None when ``host`` is no Misskey of the world."""
    from .handlers import Response, _html, _not_found

    state = world.misskey
    if host not in state.hosts():
        return None
    path = path.split("?", 1)[0]
    if path == "/api/notes/show":
        if method != "POST":
            return _json(405, {"error": {"message": "Method not allowed", "code": "METHOD_NOT_ALLOWED"}})
        try:
            note_id = json.loads(body or b"{}").get("noteId")
        except (ValueError, AttributeError):
            note_id = None
        note = state.notes.get((host, str(note_id)))
        if note is None or note.deleted:
            return _json(400, {"error": {"message": "No such note.", "code": "NO_SUCH_NOTE",
                                         "id": "24fcbfc6-2e37-42b6-8388-c29b3861a08d", "kind": "client"}})
        return _json(200, note_json(note))
    if path.startswith("/notes/"):
        return _html(200, "<!DOCTYPE html><title>Misskey</title><noscript>JavaScript is required</noscript>")
    if path.startswith("/files/"):
        name = path.rsplit("/", 1)[1]
        for note in state.notes.values():
            for n in range(len(note.images)):
                if note.host == host and note.file_name(n) == name:
                    return Response(200, {"Content-Type": "image/jpeg"}, note.image(n))
    return _not_found()


__all__ = ["MisskeyState", "MkNote", "note_json", "respond"]
