"""Secrets at rest: module passwords, tokens and API keys are Fernet-encrypted in the database.

The key comes from $PROCMOD_SECRET_KEY or from a key file created (mode 0600) in the user's config
directory. A database opened with another key still opens: its secrets read as unavailable.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

ENV_SECRET_KEY = "PROCMOD_SECRET_KEY"
MASK = "••••••"


class SecretsUnavailable(RuntimeError):
    """The stored secrets were encrypted with another key (or the key is missing)."""


def default_key_file() -> Path:
    from platformdirs import user_config_path

    return user_config_path("procmod", appauthor=False, ensure_exists=True) / "secret.key"


def load_or_create_key(key_file: Path | None = None) -> bytes:
    """$PROCMOD_SECRET_KEY, else the key file (created with mode 0600 when absent)."""
    env_key = os.environ.get(ENV_SECRET_KEY)
    if env_key:
        return env_key.encode()
    path = key_file or default_key_file()
    if path.exists():
        return path.read_bytes().strip()
    key = _new_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def _new_key() -> bytes:
    """A Fernet key, as `Fernet.generate_key()` makes it (32 random bytes, url-safe base64)."""
    return base64.urlsafe_b64encode(os.urandom(32))


def _check_key(key: bytes) -> None:
    """What Fernet checks of a key (32 url-safe base64 bytes), said at once, not at the first secret."""
    try:
        raw = base64.urlsafe_b64decode(key)
    except (binascii.Error, ValueError, TypeError):
        raw = b""
    if len(raw) != 32:
        raise ValueError("Fernet key must be 32 url-safe base64-encoded bytes.")


class SecretBox:
    """Encrypts a module's secret settings as one token; decrypts them for the drivers only."""

    def __init__(self, key: bytes) -> None:
        _check_key(key)
        self._key = key
        self._made: Fernet | None = None

    @property
    def _fernet(self) -> Fernet:
        """Made on first use: cryptography's import (~10 ms) is not paid by a console that lists modules
        before it opens a secret."""
        if self._made is None:
            from cryptography.fernet import Fernet

            self._made = Fernet(self._key)
        return self._made

    def __repr__(self) -> str:  # never show the key, even in a traceback
        return "SecretBox(<key hidden>)"

    @classmethod
    def generate(cls) -> SecretBox:
        return cls(_new_key())

    def seal(self, values: dict[str, Any]) -> str | None:
        clean = {k: v for k, v in values.items() if v not in (None, "")}
        if not clean:
            return None
        return self._fernet.encrypt(json.dumps(clean, sort_keys=True).encode()).decode()

    def open(self, token: str | None) -> dict[str, Any]:
        if not token:
            return {}
        from cryptography.fernet import InvalidToken

        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise SecretsUnavailable(
                "The secrets of this database were encrypted with another key: set PROCMOD_SECRET_KEY "
                "to the key used when they were saved, or enter them again."
            ) from None
