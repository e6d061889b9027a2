"""Module types as plugins: the `procmod.module_types` entry point group, broken plugins kept out with their
reason, a third-party package really installed (pip, from a temporary directory) and found."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from procmod.core.builtin_types import CPANEL
from procmod.core.moduletypes import (
    MODULE_TYPES,
    ModuleTypeRegistry,
    ModuleTypeUnavailable,
    description_problems,
    module_type,
    module_type_or_placeholder,
    module_types_for,
)

ACME = replace(CPANEL, key="acme", title="Acme Certificates", product_types=("certificate",),
               driver="acme_procmod:AcmeDriver")


@dataclass
class FakeEntryPoint:
    """What importlib.metadata gives: a name, a value, and load()."""

    name: str
    value: str
    loaded: Any

    def load(self) -> Any:
        if isinstance(self.loaded, BaseException):
            raise self.loaded
        return self.loaded


def registry(*entries: FakeEntryPoint) -> ModuleTypeRegistry:
    return ModuleTypeRegistry(lambda: list(entries))


def test_the_built_in_types_register_through_the_entry_point_group() -> None:
    assert list(MODULE_TYPES) == ["proxmox", "vmmanager6", "cpanel", "dcimanager6", "namecheap"]
    assert MODULE_TYPES.unavailable == {}
    assert [t.key for t in module_types_for("vhost")] == ["cpanel"]


def test_a_valid_plugin_is_offered_for_its_product_type() -> None:
    found = registry(FakeEntryPoint("cpanel", "procmod.core.builtin_types:CPANEL", CPANEL),
                     FakeEntryPoint("acme", "acme_procmod:ACME", ACME))
    assert list(found) == ["cpanel", "acme"]  # in the menu's order of product types
    assert found.unavailable == {}


def test_broken_plugins_are_kept_out_with_their_reason_and_the_rest_keeps_working() -> None:
    found = registry(
        FakeEntryPoint("cpanel", "procmod.core.builtin_types:CPANEL", CPANEL),
        FakeEntryPoint("crash", "crash_procmod:TYPE", ImportError("No module named 'crash_procmod'")),
        FakeEntryPoint("notatype", "junk:TYPE", {"key": "notatype"}),
        FakeEntryPoint("bad", "bad:TYPE", replace(ACME, key="bad", product_types=("spaceships",), driver="nodriver")),
        FakeEntryPoint("cpanel", "evil:CPANEL", replace(CPANEL, title="Evil twin", driver="evil:Driver")),
    )
    assert list(found) == ["cpanel"] and found["cpanel"].title == "cPanel/WHM"  # a plugin cannot take a built-in
    reasons = found.unavailable
    assert "failed to import: ImportError: No module named 'crash_procmod'" in reasons["crash"]
    assert "not a procmod.core.moduletypes.ModuleType" in reasons["notatype"]
    assert "unknown product types ['spaceships']" in reasons["bad"] and "names no driver" in reasons["bad"]
    assert any("repeats the key 'cpanel'" in reason for reason in reasons.values())


def test_a_malformed_schema_is_described_field_by_field() -> None:
    from procmod.core.moduletypes import FieldKind, SettingField, SettingGroup, TaskTemplate

    broken = replace(ACME, fields=(
        SettingField("host", "Host", SettingGroup.CONNECTION),
        SettingField("host", "Host again", SettingGroup.CONNECTION),
        SettingField("plan", "Plan", SettingGroup.MODULE, FieldKind.SELECT),
    ), default_tasks=(TaskTemplate("mine_bitcoin", "Mine", "* * * * *"),
                      TaskTemplate("check_connection", "Check", "every minute")))
    problems = description_problems(broken, "acme")
    assert "has two settings named 'host'" in problems
    assert "select 'plan' has no choices" in problems
    assert any("'mine_bitcoin' is not one of" in p for p in problems)
    assert any("not five cron fields" in p for p in problems)
    assert description_problems(ACME, "other") == ["key 'acme' differs from its entry point name 'other'"]


def test_a_module_of_a_missing_type_is_shown_with_the_reason_and_refused_for_writing() -> None:
    with pytest.raises(ModuleTypeUnavailable, match="no installed plugin provides the module type 'gone'"):
        module_type("gone")
    shown = module_type_or_placeholder("gone")
    assert not shown.available and shown.fields == () and "gone" in shown.title


def test_the_driver_named_by_a_type_is_loaded_only_when_needed_and_checked() -> None:
    from procmod.core.drivers import CpanelDriver, driver_class

    assert driver_class("cpanel") is CpanelDriver
    saved = MODULE_TYPES
    try:
        MODULE_TYPES.reset(lambda: [FakeEntryPoint("acme", "acme_procmod:ACME", ACME)])
        with pytest.raises(ModuleTypeUnavailable, match="cannot be loaded: ModuleNotFoundError"):
            driver_class("acme")
    finally:
        saved.reset(_installed)


def _installed() -> list[Any]:
    from importlib.metadata import entry_points

    return list(entry_points(group="procmod.module_types"))


PLUGIN_PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-procmod"
version = "1.0.0"

[project.entry-points."procmod.module_types"]
acme = "acme_procmod:ACME"
broken = "acme_procmod.broken:TYPE"

[tool.setuptools]
packages = ["acme_procmod"]
"""

PLUGIN_INIT = """
from dataclasses import replace
from procmod.core.builtin_types import CPANEL

# A hosting panel that speaks WHM API 1 (so the test can use procmod's WHM emulator), sold as certificates.
ACME = replace(CPANEL, key="acme", title="Acme Certificates", product_types=("certificate",),
               driver="acme_procmod.driver:AcmeDriver")
"""

PLUGIN_DRIVER = """
from procmod.core.drivers.cpanel import CpanelDriver


class AcmeDriver(CpanelDriver):
    module_type = "acme"
"""

#: The plugin's own test module: the conformance kit against its emulator (procmod's WHM one, over HTTPS).
PLUGIN_CONFORMANCE = """
import pytest

from procmod.core.drivers import DriverConfig, RemoteStatus, ServiceSpec
from procmod.core.drivers.conformance import ConformanceTarget, DriverConformance, Fault
from procmod.demo.emulators import FaultKind, closed_port, start_cpanel

TOKEN = "WHMTOKEN0123456789ABCDEF"
FAST = dict(connect_timeout=1.0, read_timeout=0.6, deadline=1.5, backoff=0.001, max_backoff=0.01,
            sleeper=lambda seconds: None)
FAULTS = {Fault.ERROR_500: (FaultKind.ERROR_500, 0.0), Fault.ERROR_503: (FaultKind.ERROR_503, 0.0),
          Fault.ERROR_429: (FaultKind.ERROR_429, 0.0), Fault.GARBAGE: (FaultKind.MALFORMED, 0.0),
          Fault.NO_REPLY: (FaultKind.LATENCY, 2.0)}


class AcmeTarget(ConformanceTarget):
    module_type = "acme"

    def __init__(self, handle):
        self.handle = handle

    def _config(self, recorder, url, token=TOKEN, **changes):
        settings = {"host": "whm.acme.example", "port": 2087, "whm_user": "root", "default_package": "starter",
                    **changes.pop("settings", {})}
        return DriverConfig("acme", settings=settings, secrets={"api_token": token}, base_url=url,
                            recorder=recorder, **{**FAST, **changes})

    def config(self, recorder, **changes):
        return self._config(recorder, self.handle.base_url, ca_bundle=self.handle.ca_file, **changes)

    def config_with_bad_credentials(self, recorder):
        return self._config(recorder, self.handle.base_url, token="not-the-token", ca_bundle=self.handle.ca_file)

    def config_without_trust(self, recorder):
        return self._config(recorder, self.handle.base_url, verify_tls=True)

    def config_to_closed_port(self, recorder):
        return self._config(recorder, f"https://127.0.0.1:{closed_port()}")

    def fail(self, fault, times=None):
        kind, delay = FAULTS[fault]
        self.handle.set_fault(kind, times=times, delay=delay)

    def lose_the_next_open_reply(self):
        self.handle.set_fault(FaultKind.LOST_REPLY, times=1, delay=2.0,
                              when=lambda request: request.path.endswith("/createacct"))

    def clear_faults(self):
        self.handle.clear_faults()

    def new_service(self, index):
        return ServiceSpec(f"cert{index}.acme.example", plan="starter",
                           options={"username": f"acme{index}", "password": "Cert-Pass-77",
                                    "contactemail": "pki@acme.example"})

    def remote_status(self, remote_id):
        account = self.handle.state.accounts.get(remote_id)
        if account is None:
            return None
        return RemoteStatus.SUSPENDED if int(account["suspended"]) else RemoteStatus.ACTIVE

    def remote_count(self):
        return len(self.handle.state.accounts)


class TestAcme(DriverConformance):
    @pytest.fixture()
    def conformance_target(self):
        with start_cpanel(https=True) as handle:
            yield AcmeTarget(handle)
"""


def install_acme_plugin(directory: Path) -> tuple[Path, Path]:
    """Build the Acme plugin package from source in `directory` and pip-install it into a target directory
    (as into a site-packages); returns (its source, the directory it was installed into)."""
    source = directory / "acme-procmod"
    (source / "acme_procmod").mkdir(parents=True)
    (source / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    (source / "acme_procmod" / "__init__.py").write_text(textwrap.dedent(PLUGIN_INIT))
    (source / "acme_procmod" / "driver.py").write_text(textwrap.dedent(PLUGIN_DRIVER))
    (source / "acme_procmod" / "broken.py").write_text("raise RuntimeError('this plugin is broken on purpose')\n")
    (source / "tests").mkdir()
    (source / "tests" / "test_acme_conformance.py").write_text(textwrap.dedent(PLUGIN_CONFORMANCE))
    site = directory / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(source)], check=True, capture_output=True, timeout=300)
    return source, site


def test_a_third_party_package_installed_with_pip_is_found_and_a_broken_one_named(tmp_path: Path) -> None:
    source, site = install_acme_plugin(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    listed = subprocess.run([sys.executable, "-m", "procmod.tui.cli", "module-types", "--json"], env=env,
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {row["key"]: row for row in json.loads(listed.stdout)}
    assert rows["acme"]["available"] and rows["acme"]["product_types"] == ["certificate"]
    assert {"vmmanager6", "cpanel", "namecheap"} <= set(rows)
    assert not rows["broken"]["available"]
    assert "RuntimeError: this plugin is broken on purpose" in rows["broken"]["reason"]
    assert "acme-procmod" in rows["broken"]["reason"]
    table = subprocess.run([sys.executable, "-m", "procmod.tui.cli", "module-types"], env=env,
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "Acme Certificates" in table.stdout and "SSL certificates" in table.stdout
    assert "Unavailable:" in table.stdout and "broken" in table.stdout
    # The plugin's own suite: procmod's conformance kit, run on the installed package's driver.
    kit = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                          str(source / "tests")], env=env, capture_output=True, text=True, timeout=300,
                         cwd=source)
    assert kit.returncode == 0, kit.stdout[-3000:] + kit.stderr[-2000:]
    assert re.search(r"\b1[0-9] passed\b", kit.stdout), kit.stdout[-500:]
