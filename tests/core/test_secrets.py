"""Secrets are encrypted at rest, masked on the card, and a foreign key degrades gracefully."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from procmod.core.backend import Backend, open_backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.demo.seed import seed_demo
from procmod.core.dto import ModuleFilter
from procmod.core.secrets import ENV_SECRET_KEY, SecretBox, SecretsUnavailable, load_or_create_key


def test_secret_values_never_reach_the_database_file_in_plaintext(tmp_path: Path) -> None:
    db_file = tmp_path / "secret.db"
    backend = open_backend(f"sqlite:///{db_file}", clock=FixedClock(DEMO_NOW), secrets=SecretBox.generate(),
                           operator="t")
    seed_demo(backend)
    backend.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("secret.db"))
    assert b"vm-fra1.hostco.example" in raw  # plain settings are there...
    for plaintext in (b"demo-vm-fra1.hostco.example-pw", b"DEMOWEB01TOKEN", b"demohostcoapikey"):
        assert plaintext not in raw  # ...secrets are not


def test_another_key_shows_secrets_unavailable_and_keeps_working(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    first = open_backend(url, clock=FixedClock(DEMO_NOW), secrets=SecretBox.generate(), operator="t")
    seed_demo(first)
    first.close()
    second: Backend = open_backend(url, clock=FixedClock(DEMO_NOW), secrets=SecretBox.generate(), operator="t")
    module = second.modules.list(ModuleFilter(text="VM Frankfurt 1")).rows[0]
    card = second.modules.card(module.id)
    values = {v.key: v.display for g in card.settings for v in g.values}
    assert values["password"].startswith("unavailable")
    assert values["url"] == "https://vm-fra1.hostco.example"


def test_box_round_trip_and_wrong_key() -> None:
    box = SecretBox.generate()
    token = box.seal({"password": "s3cr3t", "empty": ""})
    assert "s3cr3t" not in token and box.open(token) == {"password": "s3cr3t"}
    assert box.seal({"x": None}) is None and box.open(None) == {}
    with pytest.raises(SecretsUnavailable, match="another key"):
        SecretBox.generate().open(token)
    assert "key" in repr(box) and token not in repr(box)


def test_key_file_is_created_private_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SECRET_KEY, raising=False)
    key_file = tmp_path / "conf" / "secret.key"
    key = load_or_create_key(key_file)
    Fernet(key)  # made without cryptography (it loads late), a key Fernet takes
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert load_or_create_key(key_file) == key
    other = Fernet.generate_key()
    monkeypatch.setenv(ENV_SECRET_KEY, other.decode())
    assert load_or_create_key(key_file) == other  # the environment wins over the file


def test_a_malformed_key_is_refused_at_once_and_a_new_key_is_a_fernet_key() -> None:
    """The box makes its Fernet on first use (cryptography loads late), but checks the key as Fernet would."""
    for bad in (b"", b"short", b"x" * 44):
        with pytest.raises(ValueError, match="32 url-safe base64-encoded bytes"):
            SecretBox(bad)
    generated = SecretBox.generate()
    assert generated.open(generated.seal({"token": "t"})) == {"token": "t"}
