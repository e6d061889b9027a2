"""Each driver against its emulator, for every operation of the interface."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from procmod.core.drivers import (
    Balance,
    CallLog,
    CpanelDriver,
    DriverConfig,
    NamecheapDriver,
    RemoteStatus,
    ServiceSpec,
    Stage,
    StageOutcome,
    Unsupported,
    VmmanagerDriver,
    driver_class,
    driver_for,
)
from procmod.demo.emulators import EmulatorHandle
from procmod.core.moduletypes import MODULE_TYPES
from tests.drivers.conftest import (
    ACCOUNT_PASSWORD,
    NC_KEY,
    Sleeps,
    assert_no_secrets,
    cp_config,
    nc_config,
    vm_config,
)


from procmod.core.drivers.dcimanager6 import DcimanagerDriver  # noqa: E402
from procmod.core.drivers.proxmox import ProxmoxDriver  # noqa: E402


def test_registry_covers_every_module_type() -> None:
    assert {key: driver_class(key) for key in MODULE_TYPES} == {
        "vmmanager6": VmmanagerDriver, "proxmox": ProxmoxDriver, "cpanel": CpanelDriver,
        "dcimanager6": DcimanagerDriver, "namecheap": NamecheapDriver}
    assert isinstance(driver_for(DriverConfig("cpanel", settings={"host": "h"})), CpanelDriver)
    with pytest.raises(KeyError):
        driver_for(DriverConfig("plesk"))


def test_default_addresses_come_from_the_settings() -> None:
    cpanel = driver_for(DriverConfig("cpanel", settings={"host": "whm.example.net", "port": 2087}))
    assert cpanel.http.base_url == "https://whm.example.net:2087"  # type: ignore[attr-defined]
    sandbox = driver_for(DriverConfig("namecheap", settings={"sandbox": True}))
    assert sandbox.http.base_url == "https://api.sandbox.namecheap.com"  # type: ignore[attr-defined]
    production = driver_for(DriverConfig("namecheap", settings={"sandbox": False}))
    assert production.http.base_url == "https://api.namecheap.com"  # type: ignore[attr-defined]


def test_the_config_repr_hides_secrets() -> None:
    assert "hunter22" not in repr(DriverConfig("cpanel", secrets={"api_token": "hunter22"}))


# --- VMmanager 6 ------------------------------------------------------------------------------------


def test_vmmanager_check_connection_reports_every_stage(vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    report = driver_for(vm_config(vm.base_url, call_log, sleeps)).check_connection()
    assert report.ok, report.summary
    assert [s.stage for s in report.stages] == list(Stage)
    assert [s.outcome for s in report.stages] == [StageOutcome.OK, StageOutcome.OK, StageOutcome.SKIPPED,
                                                  StageOutcome.OK, StageOutcome.OK]
    assert all(s.latency_ms >= 0 for s in report.stages)
    assert "vm/v3" in (report.api_version or "")
    assert_no_secrets(call_log)


def test_vmmanager_update_configuration_is_idempotent(vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    config = vm_config(vm.base_url, call_log, sleeps, settings={"cluster": "9"})
    plan = driver_for(config).update_configuration()
    keys = {change.key for change in plan.changes}
    assert keys == {"cluster_choices", "os_templates", "cluster"}
    assert plan.catalog["cluster"] == (("1", "Frankfurt KVM"), ("2", "Amsterdam KVM"))
    assert ("2", "Debian 12") in plan.catalog["os_template"]
    applied = plan.apply(config.settings)
    assert applied["cluster"] == "1"
    assert plan.apply(applied) == applied
    again = driver_for(config.with_changes(settings=applied)).update_configuration()
    assert again.is_empty


def test_vmmanager_service_lifecycle_waits_for_tasks(vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    vm.state.add_host("old.example.net", "stopped")
    driver = VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps))
    assert driver.read_balance() is None
    assert [(s.name, s.status) for s in driver.list_remote_services()] == [("old.example.net", RemoteStatus.SUSPENDED)]

    opened = driver.open_service(ServiceSpec("vps1.example.net", plan="2", options={"password": ACCOUNT_PASSWORD}))
    assert opened.status is RemoteStatus.ACTIVE and not opened.already_existed
    assert vm.state.hosts[int(opened.remote_id)]["state"] == "active"
    task_polls = [c for c in call_log.calls if c.operation == "list task"]
    assert len(task_polls) == vm.state.task_polls + 1  # running, running, complete
    assert sleeps and all(pause == pytest.approx(0.01) for pause in sleeps)

    again = driver.open_service(ServiceSpec("vps1.example.net", plan="2"))
    assert again.already_existed and again.remote_id == opened.remote_id
    assert sum(1 for r in vm.requests if r.method == "POST" and r.path == "/vm/v3/host") == 1

    assert driver.suspend_service(opened.remote_id).status is RemoteStatus.SUSPENDED
    assert vm.state.hosts[int(opened.remote_id)]["state"] == "stopped"
    assert driver.resume_service(opened.remote_id).status is RemoteStatus.ACTIVE
    assert vm.state.hosts[int(opened.remote_id)]["state"] == "active"
    assert driver.close_service(opened.remote_id).status is RemoteStatus.DELETED
    assert int(opened.remote_id) not in vm.state.hosts
    assert driver.close_service(opened.remote_id).status is RemoteStatus.DELETED  # already gone: still fine
    assert_no_secrets(call_log)


def test_vmmanager_logs_in_again_when_the_session_expires(vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    driver = VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps))
    driver.list_remote_services()
    vm.state.tokens.clear()
    assert driver.list_remote_services() == []
    assert call_log.operations().count("authenticate") == 2


def test_vmmanager_sends_the_token_header(vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps)).list_remote_services()
    listed = [r for r in vm.requests if r.path == "/vm/v3/host"][0]
    assert listed.headers["x-xsrf-token"] in vm.state.tokens
    recorded = [c for c in call_log.calls if c.operation == "list host"][0]
    assert recorded.request_headers["x-xsrf-token"] == "••••••"


# --- cPanel / WHM -----------------------------------------------------------------------------------


def test_cpanel_check_connection(cp: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    report = driver_for(cp_config(cp.base_url, call_log, sleeps)).check_connection()
    assert report.ok, report.summary
    assert report.api_version == "WHM 11.118.0.13, API 1"
    assert cp.requests[0].headers["authorization"].startswith("whm root:")
    assert_no_secrets(call_log)


def test_cpanel_update_configuration(cp: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    config = cp_config(cp.base_url, call_log, sleeps, settings={"default_package": "gone"})
    plan = driver_for(config).update_configuration()
    assert {c.key: c.after for c in plan.changes} == {
        "package_choices": [["starter", "starter"], ["business", "business"], ["pro", "pro"]],
        "default_package": "starter",
    }
    applied = plan.apply(config.settings)
    assert plan.apply(applied) == applied
    assert driver_for(config.with_changes(settings=applied)).update_configuration().is_empty


def test_cpanel_lists_accounts_in_chunks(cp: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    for index in range(5):
        cp.state.add_account(f"user{index}", f"site{index}.example", suspended=index == 3)
    services = CpanelDriver(cp_config(cp.base_url, call_log, sleeps)).list_remote_services()
    assert [s.remote_id for s in services] == [f"user{i}" for i in range(5)]
    assert services[3].status is RemoteStatus.SUSPENDED and services[0].status is RemoteStatus.ACTIVE
    assert call_log.operations().count("list accounts") == 3  # page size 2


def test_cpanel_service_lifecycle(cp: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    driver = CpanelDriver(cp_config(cp.base_url, call_log, sleeps))
    spec = ServiceSpec("shop.example", plan="business",
                       options={"username": "shop", "password": ACCOUNT_PASSWORD, "contactemail": "o@shop.example"})
    opened = driver.open_service(spec)
    assert opened.remote_id == "shop" and opened.status is RemoteStatus.ACTIVE
    assert cp.state.accounts["shop"]["plan"] == "business"
    assert driver.open_service(spec).already_existed
    assert driver.suspend_service("shop").status is RemoteStatus.SUSPENDED
    assert cp.state.accounts["shop"]["suspended"] == 1
    assert driver.resume_service("shop").status is RemoteStatus.ACTIVE
    assert cp.state.accounts["shop"]["suspended"] == 0
    assert driver.close_service("shop").status is RemoteStatus.DELETED
    assert "shop" not in cp.state.accounts
    assert driver.close_service("shop").status is RemoteStatus.DELETED
    assert driver.read_balance() is None
    # the account's password travelled in a POST body (delivered), never in a URL or the call log
    created = [c for c in call_log.calls if c.operation == "create account"][0]
    assert created.method == "POST" and "password" not in created.url
    assert cp.state.passwords == {}  # removed with the account
    assert all(ACCOUNT_PASSWORD not in r.url for r in cp.requests)
    assert_no_secrets(call_log)


# --- Namecheap --------------------------------------------------------------------------------------


def test_namecheap_check_connection_and_balance(nc: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    driver = driver_for(nc_config(nc.base_url, call_log, sleeps))
    report = driver.check_connection()
    assert report.ok, report.summary
    assert "EMULATOR01" in (report.api_version or "")
    assert driver.read_balance() == Balance(Decimal("1250.40"), "USD")
    assert driver.update_configuration().is_empty
    # the API key travels in a POST body: in no URL the API saw, nor in the call log
    assert all(call.method == "POST" and "ApiKey" not in call.url for call in call_log.calls)
    assert all(NC_KEY not in r.url and r.form()["ApiKey"] == NC_KEY for r in nc.requests)
    assert_no_secrets(call_log)


def test_namecheap_lists_domains_across_pages(nc: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    for index in range(23):
        nc.state.add_domain(f"d{index:02}.com", date(2027, 1, 1), auto_renew=index % 2 == 0)
    nc.state.add_domain("old.net", date(2020, 5, 1))
    services = NamecheapDriver(nc_config(nc.base_url, call_log, sleeps)).list_remote_services()
    assert len(services) == 24
    assert call_log.operations().count("list domains") == 3  # PageSize is at least 10
    by_name = {s.name: s for s in services}
    assert by_name["old.net"].status is RemoteStatus.EXPIRED
    assert by_name["d00.com"].expires == date(2027, 1, 1) and by_name["d00.com"].details["auto_renew"] is True
    assert by_name["d01.com"].details["auto_renew"] is False


def test_namecheap_registers_once_and_refuses_what_it_cannot_do(nc: EmulatorHandle, call_log: CallLog,
                                                                sleeps: Sleeps) -> None:
    driver = NamecheapDriver(nc_config(nc.base_url, call_log, sleeps))
    opened = driver.open_service(ServiceSpec("brand-new.com", plan="2"))
    assert opened.status is RemoteStatus.ACTIVE and "21.96" in opened.message
    assert nc.state.balance == Decimal("1250.40") - Decimal("21.96")
    assert driver.open_service(ServiceSpec("brand-new.com", plan="2")).already_existed
    assert nc.state.balance == Decimal("1250.40") - Decimal("21.96")  # no second charge
    for operation in (driver.suspend_service, driver.resume_service, driver.close_service):
        with pytest.raises(Unsupported, match="no API"):
            operation("brand-new.com")
