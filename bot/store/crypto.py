"""Encryption at rest for everything personal: AES-GCM, the person and field as associated data; and keyed
tags (HMAC-SHA256 under a subkey derived with HKDF) for names that must stay comparable, such as the weekly
figures' flow and category names."""

from __future__ import annotations

import base64
import hashlib
import hmac as std_hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TAG_INFO = b"fulcrum tags v1"
TAG_HEX = 16  # 64 bits: names are few, and a tag only has to differ from the other names' tags
TAGS_KEPT = 4096  # tags remembered (names are flows, metrics and categories: a few hundred)


class KeyError_(ValueError):
    pass


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def _decode_key(key: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(key.strip() + "=" * (-len(key.strip()) % 4))
    except (ValueError, TypeError):
        raise KeyError_("FULCRUM_DATA_KEY is not a key made by `fulcrum keygen`") from None
    if len(raw) != 32:
        raise KeyError_("FULCRUM_DATA_KEY is not a key made by `fulcrum keygen` (must be 32 bytes)")
    return raw


def key_id(key: str) -> str:
    return hashlib.sha256(_decode_key(key)).hexdigest()[:8]


class Cipher:
    """Encrypts with the current key; decrypts with any key it was given."""

    def __init__(self, *keys: str):
        self._keys = {key_id(k): AESGCM(_decode_key(k)) for k in keys if k}
        self.current = key_id(keys[0]) if keys and keys[0] else None
        self._tag_key = _subkey(_decode_key(keys[0]), TAG_INFO) if self.current else None
        self._tags: dict[str, str] = {}  # name → tag: every turn's figures tag the same few names

    @property
    def enabled(self) -> bool:
        return self.current is not None

    def has_key(self, kid: str) -> bool:
        return kid in self._keys

    def tag(self, name: str) -> str:
        """A short keyed tag of `name` (the same name, the same tag), or the name itself without a key."""
        if self._tag_key is None:
            return name
        tag = self._tags.get(name)
        if tag is None:
            tag = std_hmac.new(self._tag_key, name.encode("utf-8"), hashlib.sha256).hexdigest()[:TAG_HEX]
            if len(self._tags) < TAGS_KEPT:
                self._tags[name] = tag
        return tag

    def encrypt(self, text: str, person: str, field: str) -> tuple[str, str | None]:
        if self.current is None:
            return text, None
        nonce = os.urandom(12)
        blob = self._keys[self.current].encrypt(nonce, text.encode("utf-8"), f"{person}|{field}".encode())
        return base64.b64encode(nonce + blob).decode("ascii"), self.current

    def decrypt(self, value: str, kid: str | None, person: str, field: str) -> str:
        if kid is None:
            return value
        aes = self._keys.get(kid)
        if aes is None:
            raise KeyError_(f"text was encrypted with key {kid}, which is not configured")
        raw = base64.b64decode(value)
        try:
            return aes.decrypt(raw[:12], raw[12:], f"{person}|{field}".encode()).decode("utf-8")
        except InvalidTag:
            raise KeyError_(f"text could not be decrypted with key {kid}") from None


def _subkey(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)
