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
from bot.env import KEY_SETTING, key_problem, split_keys

SETTING = KEY_SETTING

# HKDF's label for the pacing key: a key of its own, never the one that encrypts.
_PACING_LABEL = b"lenspin pacing keys v1"


class Keyring:
    """Encrypts with the newest key and decrypts with any, so keys can be rotated."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        texts = [k.decode("ascii", "replace") if isinstance(k, bytes) else k for k in keys]
        problem = key_problem(texts)
        if problem is not None:
            # `from None`: nothing chained to the error (or a debugger's view of it) carries a key.
            raise ValueError(problem) from None
        # key_problem applies Fernet's own test of a key, so each of these builds.
        fernets = [Fernet(key) for key in keys]
        self._count = len(fernets)
        self._fernet = MultiFernet(fernets)
        self._pacing_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_PACING_LABEL
        ).derive(base64.urlsafe_b64decode(keys[0]))

    @classmethod
    def from_setting(cls, value: str) -> Keyring:
        """Read LENSPIN_ENCRYPTION_KEY: comma-separated keys, the newest first."""
        return cls(split_keys(value))

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
