"""Encryption at rest for auth codes and PINs: Fernet keys, the first encrypts, all decrypt."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.domain import SecretUnreadable

SETTING = "LENSPIN_ENCRYPTION_KEY"

# HKDF's label for the pacing key: a key of its own, never the one that encrypts.
_PACING_LABEL = b"lenspin pacing keys v1"


class Keyring:
    """Encrypts with the newest key and decrypts with any, so keys can be rotated."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ValueError(f"{SETTING}: no key given; make one with `python -m bot keygen`")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                # `from None`: the cause's message or a debugger's locals must not carry the key.
                raise ValueError(
                    f"{SETTING}: key {position} of {len(keys)} is not a Fernet key "
                    "(44 characters of URL-safe base64); make one with `python -m bot keygen`"
                ) from None
        self._count = len(fernets)
        self._fernet = MultiFernet(fernets)
        self._pacing_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_PACING_LABEL
        ).derive(base64.urlsafe_b64decode(keys[0]))

    @classmethod
    def from_setting(cls, value: str) -> Keyring:
        """Read LENSPIN_ENCRYPTION_KEY: comma-separated keys, the newest first."""
        return cls([part.strip() for part in value.split(",") if part.strip()])

    def __repr__(self) -> str:
        return f"Keyring({self._count} key{'s' if self._count != 1 else ''})"

    def pacing_name(self, key: str) -> str:
        """An HMAC of key under a key derived from the first: names a pacing row, hides key."""
        return hmac.new(self._pacing_key, key.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, text: str) -> str:
        """Encrypt text with the first key; the token is ASCII, safe for any text column."""
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made with any of the keys; raise SecretUnreadable if none can."""
        try:
            return self._fernet.decrypt(token).decode()
        except (InvalidToken, ValueError, TypeError):
            raise SecretUnreadable(
                f"a stored value cannot be decrypted with any key in {SETTING}; "
                "was the key it was written with removed?"
            ) from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a token with the first key, keeping its original timestamp."""
        try:
            return self._fernet.rotate(token).decode("ascii")
        except (InvalidToken, ValueError, TypeError):
            raise SecretUnreadable(
                f"a stored value cannot be decrypted with any key in {SETTING}, so it "
                "cannot be rotated"
            ) from None


def generate_key() -> str:
    """A new random Fernet key, for `python -m bot keygen`."""
    return Fernet.generate_key().decode("ascii")
