"""A Bluesky blob's CID, read for the SHA-256 of its bytes.

A blob (an image, a video, a caption file) is named by a CIDv1 with the ``raw`` codec
(0x55) and a SHA2-256 multihash (0x12, 32 bytes), written in base32 (multibase ``b``,
lower case, no padding): ``bafkrei…``. Its digest is the SHA-256 of the bytes as
uploaded, so a copy fetched from any PDS can be checked against the record that names
it. Records themselves are ``dag-cbor`` (0x71), whose hash is of their CBOR encoding,
not of anything archiver stores: only ``raw`` CIDs are read here.

Small and pure on purpose: the standard library decodes base32, and the rest is three
varints and a length (the CID spec, https://github.com/multiformats/cid).
"""

from __future__ import annotations

import base64

RAW = 0x55
SHA2_256 = 0x12
MAX_CID_CHARS = 200
"""Longer text is no blob CID (a raw SHA-256 CID is 59 characters)."""


class NotABlobCid(ValueError):
    """The string is not a CIDv1 of raw bytes hashed with SHA2-256."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """An unsigned LEB128 varint at ``at`` (at most 9 bytes, as multiformats allows): value, next offset."""
    value = shift = 0
    for i in range(at, min(at + 9, len(data))):
        byte = data[i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if byte == 0 and i > at:
                raise NotABlobCid("a varint with a needless trailing zero byte")
            return value, i + 1
        shift += 7
    raise NotABlobCid("a varint that does not end")


def sha256_of(cid: str) -> str:
    """The hex SHA-256 a blob CID names; NotABlobCid for anything else."""
    if not isinstance(cid, str) or not cid or len(cid) > MAX_CID_CHARS:
        raise NotABlobCid("not a CID")
    if cid[0] != "b":
        raise NotABlobCid(f"not a base32 CIDv1 (multibase {cid[0]!r})")
    text = cid[1:]
    if not text.isascii() or text != text.lower():
        raise NotABlobCid("not lower-case base32")
    try:
        data = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except ValueError:
        raise NotABlobCid("not base32") from None
    version, at = _varint(data, 0)
    if version != 1:
        raise NotABlobCid(f"CID version {version}, not 1")
    codec, at = _varint(data, at)
    if codec != RAW:
        raise NotABlobCid(f"codec 0x{codec:x}, not raw (0x55)")
    hash_code, at = _varint(data, at)
    if hash_code != SHA2_256:
        raise NotABlobCid(f"hash 0x{hash_code:x}, not sha2-256 (0x12)")
    length, at = _varint(data, at)
    digest = data[at:]
    if length != 32 or len(digest) != 32:
        raise NotABlobCid(f"a digest of {len(digest)} bytes, said to be {length}; sha2-256 has 32")
    return digest.hex()


__all__ = ["NotABlobCid", "sha256_of"]
