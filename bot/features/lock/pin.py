"""A PIN, kept only as a slow salted hash (scrypt), itself encrypted with the data key.

The encryption is the pepper: a copied database alone holds no hash to try four-digit PINs against, and unlike
a key mixed into the hash it survives `fulcrum rekey` (the hash is re-encrypted; the PIN is never known).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass

from bot.store.crypto import Cipher

N, R, P = 2**13, 8, 1  # about 50 ms on the 2-vCPU machine the benchmarks ran on; stored, so it can change
MIN_DIGITS, MAX_DIGITS = 4, 8
FIELD = "lock_pin"  # also named in bot/features/privacy.py, which re-encrypts it on `fulcrum rekey`


def derive(pin: str, salt: bytes, n: int = N, r: int = R, p: int = P) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=64 * 1024 * 1024)


def as_pin(text: str) -> str | None:
    """'12 34' → '1234': 4 to 8 digits, spaces allowed between them; anything else is not a PIN."""
    digits = "".join(text.split())
    return digits if digits.isascii() and digits.isdigit() and MIN_DIGITS <= len(digits) <= MAX_DIGITS else None


def digits_only(text: str) -> bool:
    """Digits and spaces only ('123', '1234 5678 9'): meant as a PIN, whether or not its length is one."""
    digits = "".join(text.split())
    return bool(digits) and digits.isascii() and digits.isdigit()


@dataclass(frozen=True)
class Stored:
    """What the locks table holds for a PIN: the scrypt parameters and salt in the clear, the hash encrypted."""

    n: int
    r: int
    p: int
    salt: bytes
    digest: str  # the hash, base64, encrypted when the cipher has a key
    key_id: str | None

    @classmethod
    def new(cls, salt: bytes, derived: bytes, cipher: Cipher, pid: str) -> Stored:
        digest, kid = cipher.encrypt(base64.b64encode(derived).decode("ascii"), pid, FIELD)
        return cls(N, R, P, salt, digest, kid)

    def params(self) -> str:
        return json.dumps({"n": self.n, "r": self.r, "p": self.p, "salt": base64.b64encode(self.salt).decode("ascii")})

    @classmethod
    def from_columns(cls, params: str, digest: str, key_id: str | None) -> Stored:
        data = json.loads(params)
        return cls(int(data["n"]), int(data["r"]), int(data["p"]), base64.b64decode(data["salt"]), digest, key_id)

    def derive(self, pin: str) -> bytes:
        return derive(pin, self.salt, self.n, self.r, self.p)

    def matches(self, derived: bytes, cipher: Cipher, pid: str) -> bool:
        expected = base64.b64decode(cipher.decrypt(self.digest, self.key_id, pid, FIELD))
        return hmac.compare_digest(expected, derived)


def new_salt() -> bytes:
    return os.urandom(16)
