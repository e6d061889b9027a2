"""Fixtures for the driver tests: loopback emulators and configs with tiny timeouts and no real sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.core.drivers import CallLog, DriverConfig, DriverError
from procmod.demo.emulators import EmulatorHandle, start_cpanel, start_namecheap, start_vmmanager

VM_PASSWORD = "vm-secret-pass"
CP_TOKEN = "WHMTOKEN0123456789ABCDEF"
NC_KEY = "0123456789abcdef0123456789abcdef"
WRONG_SECRET = "wrong-secret-value-4711"
ACCOUNT_PASSWORD = "Acct-Pass-9zq"
PVE_SECRET = "5f0c2a9e-7d1b-4c3a-9e8f-0a1b2c3d4e5f"
DCI_PASSWORD = "dci-secret-pass"
ALL_SECRETS = (VM_PASSWORD, CP_TOKEN, NC_KEY, WRONG_SECRET, ACCOUNT_PASSWORD, PVE_SECRET, DCI_PASSWORD)

#: Small enough that the whole suite stays fast, large enough for loopback on a busy CI box.
FAST: dict[str, Any] = {
    "connect_timeout": 1.0,
    "read_timeout": 0.6,
    "deadline": 1.5,
    "backoff": 0.001,
    "max_backoff": 0.01,
    "task_poll_interval": 0.01,
    "task_timeout": 0.5,
    "page_size": 2,
}


class Sleeps(list[float]):
    """An injected sleeper that remembers the pauses and does not sleep."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def call_log() -> CallLog:
    return CallLog()


@pytest.fixture
def vm() -> Iterator[EmulatorHandle]:
    with start_vmmanager() as handle:
        yield handle


@pytest.fixture
def cp() -> Iterator[EmulatorHandle]:
    with start_cpanel() as handle:
        yield handle


@pytest.fixture
def nc() -> Iterator[EmulatorHandle]:
    with start_namecheap() as handle:
        yield handle


def base(call_log: CallLog, sleeps: Sleeps, overrides: dict[str, Any]) -> dict[str, Any]:
    values = {**FAST, "recorder": call_log, "sleeper": sleeps, "clock": FixedClock(DEMO_NOW)}
    values.update(overrides)
    return values


def vm_config(url: str, call_log: CallLog, sleeps: Sleeps, *, password: str = VM_PASSWORD,
              settings: dict[str, Any] | None = None, **overrides: Any) -> DriverConfig:
    plain = {"url": url, "email": "admin@example.com", "cluster": "1", "verify_tls": True, **(settings or {})}
    return DriverConfig("vmmanager6", settings=plain, secrets={"password": password},
                        **base(call_log, sleeps, overrides))


def cp_config(url: str, call_log: CallLog, sleeps: Sleeps, *, token: str = CP_TOKEN,
              settings: dict[str, Any] | None = None, **overrides: Any) -> DriverConfig:
    plain = {"host": "whm.example.net", "port": 2087, "whm_user": "root", "default_package": "starter",
             **(settings or {})}
    return DriverConfig("cpanel", settings=plain, secrets={"api_token": token}, base_url=url,
                        **base(call_log, sleeps, overrides))


def nc_config(url: str, call_log: CallLog, sleeps: Sleeps, *, key: str = NC_KEY,
              settings: dict[str, Any] | None = None, **overrides: Any) -> DriverConfig:
    plain = {"api_user": "procmod", "user_name": "procmod", "client_ip": "127.0.0.1", "sandbox": True,
             **(settings or {})}
    return DriverConfig("namecheap", settings=plain, secrets={"api_key": key}, base_url=url,
                        **base(call_log, sleeps, overrides))


def pve_config(url: str, call_log: CallLog, sleeps: Sleeps, *, secret: str = PVE_SECRET,
               settings: dict[str, Any] | None = None, **overrides: Any) -> DriverConfig:
    plain = {"url": url, "token_id": "billing@pve!procmod", "node": "pve1", "template": "9000",
             "full_clone": True, "suspend_action": "stop", "verify_tls": True, **(settings or {})}
    return DriverConfig("proxmox", settings=plain, secrets={"token_secret": secret},
                        **base(call_log, sleeps, overrides))


def dci_config(url: str, call_log: CallLog, sleeps: Sleeps, *, password: str = DCI_PASSWORD,
               settings: dict[str, Any] | None = None, **overrides: Any) -> DriverConfig:
    plain = {"url": url, "email": "admin@example.com", "location": "1", "os_template": "1",
             "owner_email": "clients@hostco.example", "verify_tls": True, **(settings or {})}
    return DriverConfig("dcimanager6", settings=plain, secrets={"password": password},
                        **base(call_log, sleeps, overrides))


def assert_no_secrets(call_log: CallLog, *errors: DriverError | str | None) -> None:
    """No secret value in any recorded call (any field) nor in any error's text or repr."""
    texts = [repr(call) for call in call_log.calls]
    for error in errors:
        if error is not None:
            texts += [str(error), repr(error), getattr(error, "hint", ""), getattr(error, "reason", "")]
    for text in texts:
        for secret in ALL_SECRETS:
            assert secret not in text, f"secret leaked into: {text}"
