"""Ed25519 signing keys for the log.

The private key lives outside the data directory — in the user's config directory
(``$XDG_CONFIG_HOME/archiver/signing-key.pem``, else ``~/.config/archiver/``) or a path
given — so that whoever holds a copy of the archive can check signatures but not make
them. ``ARCHIVER_SIGNING_KEY`` names another key file. The public key is stored in the
archive (``signing_keys``); ``verify`` needs nothing else.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..plumbing.db import utcnow
from ..errors import ConfigError

KEY_ENV = "ARCHIVER_SIGNING_KEY"
KEY_NAME = "signing-key.pem"


def default_key_path(env: Mapping[str, str] | None = None) -> Path:
    # Called whenever log entries are written: read os.environ in place, do not copy it.
    env = os.environ if env is None else env
    if env.get(KEY_ENV):
        return Path(env[KEY_ENV]).expanduser()
    config = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path(env.get("HOME", "~")) / ".config"
    return (config / "archiver" / KEY_NAME).expanduser()


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


@dataclass(frozen=True)
class Signer:
    key_id: str
    public_hex: str
    _private: Any

    def sign(self, message: bytes) -> str:
        return bytes(self._private.sign(message)).hex()


def _public_raw(private: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(
        private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def keygen(data_dir: Path, path: Path | None = None) -> tuple[Path, str]:
    """Make a key pair: the private key at ``path`` (mode 0600), never inside ``data_dir``.

    Returns the path and the key id. An existing key file is never overwritten.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = (path or default_key_path()).expanduser().absolute()
    data = data_dir.expanduser().absolute()
    if path.resolve().is_relative_to(data.resolve()):
        raise ConfigError(f"{path}: the private key must not live inside the data directory {data}")
    if path.exists():
        raise ConfigError(f"{path} exists: archiver never overwrites a key (move it away first)")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_EXCL with mode 0600 from the start: the key is never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return path, key_id(_public_raw(private))


_cache: dict[tuple[str, float], Signer | None] = {}


def current_signer() -> Signer | None:
    """The signer of new log entries: the key at ``ARCHIVER_SIGNING_KEY`` or the default
    location, if there is one. Loaded once per file version."""
    path = default_key_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    cache_key = (str(path), mtime)
    if cache_key not in _cache:
        _cache[cache_key] = load_signer(path)
    return _cache[cache_key]


def load_signer(path: Path) -> Signer:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as e:
        raise ConfigError(f"cannot read signing key {path}: {e}") from e
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(f"{path} is not an Ed25519 private key")
    raw = _public_raw(private)
    return Signer(key_id(raw), raw.hex(), private)


def register(conn: sqlite3.Connection, signer: Signer, first_seq: int | None = None) -> None:
    """Store the public key in the archive, once."""
    conn.execute(
        "INSERT OR IGNORE INTO signing_keys (key_id, algorithm, public_key, added_at, first_seq) VALUES (?, 'ed25519', ?, ?, ?)",
        (signer.key_id, signer.public_hex, utcnow(), first_seq),
    )


def check_signature(public_hex: str, message: bytes, signature_hex: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True
