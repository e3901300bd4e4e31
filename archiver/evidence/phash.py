"""Perceptual hashes of stored images, to find re-uploads and visual changes.

A 64-bit difference hash (dHash) written here on Pillow, which archiver already
depends on, rather than PDQ: ``pdqhash`` ships no wheel for CPython 3.11 and builds
C++ with numpy and Cython from source, a heavy and fragile dependency for 64 bits of
signal. dHash is deterministic (greyscale, a fixed-size resize, a comparison of
neighbours), robust to re-encoding and rescaling, and cheap. PDQ is what platform
trust-and-safety teams exchange (ThreatExchange); ``image_hashes.algorithm`` leaves
room to add it beside dHash later.

The pipeline hashes each image when it captures it, from the pixels it decodes for the
thumbnail anyway (``thumbnails.derive``), and records the hash with the capture. The end
of each run hashes, outside any write transaction and off the event loop, whatever image
of the run still has none; ``hash_missing`` (run by ``archiver similar``) fills in the rest.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ImageNotFound
from ..plumbing.blobstores import BlobStorage

if TYPE_CHECKING:
    from PIL import Image

ALGORITHM = "dhash64"
IMAGE_KINDS = ("photo", "poster", "screenshot", "page_screenshot")
MAX_PIXELS = 200_000_000
"""Full-page screenshots may be tall; anything beyond this is not decoded."""


def dhash(path: Path) -> str:
    """64-bit difference hash of an image file, as 16 hex digits."""
    from PIL import Image

    with Image.open(path) as image:
        if image.width * image.height > MAX_PIXELS:
            raise ValueError(f"{path}: {image.width}x{image.height} is too large to hash")
        return dhash_of(image)


def dhash_of(image: Image.Image) -> str:
    """The same hash of an image already decoded (the pipeline hashes what it has in hand):
    1 where a pixel is brighter than its right neighbour."""
    from PIL import Image

    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()  # mode L: one byte per pixel, row by row
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return f"{bits:016x}"


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _try_hash(path: Path) -> str | None:
    try:
        return dhash(path)
    except Exception:  # noqa: BLE001 - a file Pillow cannot read has no perceptual hash; others go on
        return None


def missing(conn: sqlite3.Connection, run_id: int | None = None) -> list[tuple[str, str]]:
    """(sha256, path) of image captures with no hash yet, of one run or all."""
    sql = f"""SELECT DISTINCT c.sha256, c.path FROM captures c
              WHERE c.kind IN ({', '.join('?' * len(IMAGE_KINDS))})
                AND NOT EXISTS (SELECT 1 FROM image_hashes h WHERE h.sha256 = c.sha256 AND h.algorithm = ?)"""
    params: list[object] = [*IMAGE_KINDS, ALGORITHM]
    if run_id is not None:
        sql += " AND c.run_id = ?"
        params.append(run_id)
    return [(r[0], r[1]) for r in conn.execute(sql, params)]


def _try_hash_stored(storage: BlobStorage, key: str) -> str | None:
    try:
        path = storage.local_path(key)
    except OSError:
        return None
    return _try_hash(path)


def compute(storage: BlobStorage, todo: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(sha256, hash) for each readable image; Pillow releases the GIL while decoding."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        hashes = pool.map(lambda key: _try_hash_stored(storage, key), [path for _, path in todo])
        return [(sha, h) for (sha, _), h in zip(todo, hashes, strict=True) if h is not None]


def store(conn: sqlite3.Connection, hashes: list[tuple[str, str]]) -> None:
    if not hashes:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT OR IGNORE INTO image_hashes (sha256, algorithm, hash) VALUES (?, ?, ?)",
            [(sha, ALGORITHM, h) for sha, h in hashes],
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def record(conn: sqlite3.Connection, sha256: str, digest: str) -> None:
    """Record one image's hash, inside the caller's transaction."""
    conn.execute(
        "INSERT OR IGNORE INTO image_hashes (sha256, algorithm, hash) VALUES (?, ?, ?)", (sha256, ALGORITHM, digest)
    )


def hash_missing(conn: sqlite3.Connection, storage: BlobStorage, run_id: int | None = None) -> int:
    hashes = compute(storage, missing(conn, run_id))
    store(conn, hashes)
    return len(hashes)


@dataclass
class Match:
    capture_id: int
    kind: str
    sha256: str
    path: str
    hash: str
    distance: int
    post_url: str | None
    article_url: str | None
    captured_at: str

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def hash_of(conn: sqlite3.Connection, storage: BlobStorage, image: str) -> tuple[str, str | None]:
    """The hash of ``image``: a capture id, a file's SHA-256 (or a prefix of 8+ digits), or
    an image file's path. Returns (hash, sha256 of the stored file or None)."""
    image = image.strip()
    row = None
    if image.isdigit():
        row = conn.execute("SELECT sha256, path FROM captures WHERE id = ?", (int(image),)).fetchone()
    elif len(image) >= 8 and all(ch in "0123456789abcdef" for ch in image.lower()):
        row = conn.execute(
            "SELECT sha256, path FROM captures WHERE sha256 LIKE ? ORDER BY id LIMIT 1", (image.lower() + "%",)
        ).fetchone()
    if row is not None:
        known = conn.execute(
            "SELECT hash FROM image_hashes WHERE sha256 = ? AND algorithm = ?", (row["sha256"], ALGORITHM)
        ).fetchone()
        if known:
            return known[0], row["sha256"]
        return dhash(storage.local_path(row["path"])), row["sha256"]
    path = Path(image).expanduser()
    if path.is_file():
        return dhash(path), None
    raise ImageNotFound(f"{image}: neither a capture id, a stored file's SHA-256, nor an image file")


def near_duplicates(
    conn: sqlite3.Connection, storage: BlobStorage, image: str, max_distance: int = 10
) -> tuple[str, list[Match]]:
    """Image captures whose hash is within ``max_distance`` bits of ``image``'s, nearest first."""
    hash_missing(conn, storage)
    target, _ = hash_of(conn, storage, image)
    matches: list[Match] = []
    for r in conn.execute(
        """SELECT c.id, c.kind, c.sha256, c.path, c.captured_at, h.hash, p.url AS post_url, a.url AS article_url
           FROM captures c JOIN image_hashes h ON h.sha256 = c.sha256 AND h.algorithm = ?
           LEFT JOIN posts p ON p.id = c.post_id LEFT JOIN articles a ON a.id = c.article_id
           ORDER BY c.id""",
        (ALGORITHM,),
    ):
        d = distance(target, r["hash"])
        if d <= max_distance:
            matches.append(
                Match(int(r["id"]), r["kind"], r["sha256"], r["path"], r["hash"], d, r["post_url"], r["article_url"],
                      r["captured_at"])
            )
    matches.sort(key=lambda m: (m.distance, m.capture_id))
    return target, matches
