"""API keys of the scoring service: stored as salted hashes, checked in constant time.

Settings hold `id:salt:digest` entries (`GCRISK_SERVE_KEYS`, comma-separated), never a key: the
digest is SHA-256 of salt + key. A key is a 256-bit random token (`new_key`), so a fast hash is
enough (nothing to brute-force, unlike a password) and a request costs microseconds. Every
entry is compared with `hmac.compare_digest`, so the time taken says nothing about which entry
(or how much of one) matched. The id, never the key, names the caller in access logs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

#: Header that carries the key.
KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class KeyEntry:
    """One accepted key: its public id, its salt and the digest of salt + key."""

    key_id: str
    salt: str
    digest: str

    def entry(self) -> str:
        """The `id:salt:digest` text for GCRISK_SERVE_KEYS."""
        return f"{self.key_id}:{self.salt}:{self.digest}"


def _digest(salt: str, key: str) -> str:
    return hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()


def new_key() -> str:
    """A fresh random API key (URL-safe text, 256 bits)."""
    return secrets.token_urlsafe(32)


def hash_key(key_id: str, key: str) -> KeyEntry:
    """The settings entry for `key` under the public name `key_id` (a new salt each time)."""
    if not key_id or any(sign in key_id for sign in ":, ") or not key:
        raise ValueError("a key id is a non-empty name without ':', ',' or spaces")
    salt = secrets.token_hex(16)
    return KeyEntry(key_id, salt, _digest(salt, key))


def parse_keys(text: str) -> tuple[KeyEntry, ...]:
    """The entries of GCRISK_SERVE_KEYS (comma-separated `id:salt:digest`).

    Raises:
        ValueError: an entry is not three non-empty parts with a 64-hex-digit digest.
    """
    entries = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        fields = part.split(":")
        if len(fields) != 3 or not all(fields) or len(fields[2]) != 64:
            raise ValueError("GCRISK_SERVE_KEYS entries are id:salt:sha256 (see gcrisk serve-key)")
        entries.append(KeyEntry(*fields))
    return tuple(entries)


def key_id_for(presented: str | None, entries: tuple[KeyEntry, ...]) -> str | None:
    """The id of the entry `presented` matches, or None (no key, a wrong key, no entries)."""
    if not presented:
        return None
    found = None
    for entry in entries:  # every entry is checked, matched or not: constant time per entry
        if hmac.compare_digest(_digest(entry.salt, presented), entry.digest):
            found = entry.key_id
    return found
