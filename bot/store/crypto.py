"""Encryption at rest for auth codes and PINs: Fernet keys, the first encrypts, all decrypt."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SETTING = "LENSPIN_ENCRYPTION_KEY"


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

    @classmethod
    def from_setting(cls, value: str) -> Keyring:
        """Read LENSPIN_ENCRYPTION_KEY: comma-separated keys, the newest first."""
        return cls([part.strip() for part in value.split(",") if part.strip()])

    def __repr__(self) -> str:
        return f"Keyring({self._count} key{'s' if self._count != 1 else ''})"

    def encrypt(self, text: str) -> str:
        """Encrypt text with the first key; the token is ASCII, safe for any text column."""
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made with any of the keys; raise ValueError if none can."""
        try:
            return self._fernet.decrypt(token).decode()
        except (InvalidToken, ValueError, TypeError):
            raise ValueError(
                f"a stored value cannot be decrypted with any key in {SETTING}; "
                "was the key it was written with removed?"
            ) from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a token with the first key, keeping its original timestamp."""
        try:
            return self._fernet.rotate(token).decode("ascii")
        except (InvalidToken, ValueError, TypeError):
            raise ValueError(
                f"a stored value cannot be decrypted with any key in {SETTING}, so it "
                "cannot be rotated"
            ) from None


def generate_key() -> str:
    """A new random Fernet key, for `python -m bot keygen`."""
    return Fernet.generate_key().decode("ascii")
