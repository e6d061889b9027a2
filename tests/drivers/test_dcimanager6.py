"""DCImanager 6 specifics: a free server of the tariff's configuration is named, assigned and installed; the
OS installation is polled on the server; a failed one raises the platform's reason; lists are read by
`limit=offset,count`; releasing an unassigned server is done; an expired session logs in again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from procmod.core.drivers import CallLog, PanelRefused, RemoteStatus, ServiceSpec, driver_for
from procmod.demo.emulators import EmulatorHandle, start_dcimanager
from tests.drivers.conftest import Sleeps, assert_no_secrets, dci_config

SMALL = "E-2388G-32Gb-2x960SSD"
BIG = "i9-9900K-64Gb-2x1024NVMe"


@pytest.fixture
def dci() -> Iterator[EmulatorHandle]:
    with start_dcimanager() as handle:
        yield handle


def writes(handle: EmulatorHandle) -> list[str]:
    return [f"{r.method} {r.path.removeprefix('/api/dci/v3')}" for r in handle.requests
            if r.method != "GET" and "/auth/" not in r.path]


def test_open_takes_a_free_server_names_assigns_installs_and_polls(dci: EmulatorHandle, call_log: CallLog,
                                                                  sleeps: Sleeps) -> None:
    dci.state.operation_polls = 3
    config = dci_config(dci.base_url, call_log, sleeps, settings={"location": "2", "os_template": "2"})
    with driver_for(config) as driver:
        result = driver.open_service(ServiceSpec("db1.example.net", plan=BIG))
    server = dci.state.servers[int(result.remote_id)]
    assert (server["location_id"], server["configuration"], server["domain"]) == (2, BIG, "db1.example.net")
    assert (server["owner_email"], server["power_status"], server["os_template"]) == (
        "clients@hostco.example", "on", {"id": 2})
    sid = result.remote_id
    assert writes(dci) == [f"POST /server/{sid}", f"POST /server/{sid}/owner", f"POST /server/{sid}/operation/install"]
    install = next(r for r in dci.requests if r.path.endswith("/operation/install"))
    assert install.json() == {"os_template": 2, "domain": "db1.example.net"}
    search = next(r for r in dci.requests if "owner_email IS null" in r.query.get("where", ""))
    assert search.query == {"limit": "0,1", "orderby": "id asc", "where": f"owner_email IS null AND is_new EQ false AND "
                                                     f"configuration EQ '{BIG}' AND location_id EQ 2"}
    assert sleeps == [0.01] * 3  # three reads while the installation ran
    assert all(r.headers.get("isp-box-instance") == "true" for r in dci.requests if "/dci/" in r.path)


def test_a_failed_installation_raises_the_platforms_reason(dci: EmulatorHandle, call_log: CallLog,
                                                          sleeps: Sleeps) -> None:
    dci.state.fail_operations = True
    with driver_for(dci_config(dci.base_url, call_log, sleeps)) as driver, pytest.raises(PanelRefused) as raised:
        driver.open_service(ServiceSpec("db2.example.net", plan=SMALL))
    assert "OS installation failed: no DHCP answer" in str(raised.value)
    assert raised.value.operation == "install the OS"


def test_no_free_server_says_so_and_takes_nothing(dci: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    config = dci_config(dci.base_url, call_log, sleeps, settings={"location": "1"})
    with driver_for(config) as driver, pytest.raises(PanelRefused) as raised:
        driver.open_service(ServiceSpec("db3.example.net", plan=BIG))  # BIG servers stand in location 2
    assert f"no free server of configuration {BIG}" in str(raised.value)
    assert writes(dci) == []


def test_lists_are_read_a_page_at_a_time(dci: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    for index in range(5):
        dci.state.add_server(SMALL, owner_email="clients@hostco.example", domain=f"old{index}.example",
                             power_status="on")
    with driver_for(dci_config(dci.base_url, call_log, sleeps, page_size=4)) as driver:
        services = driver.list_remote_services()
    assert sorted(s.name for s in services) == [f"old{i}.example" for i in range(5)]
    assert {s.status for s in services} == {RemoteStatus.ACTIVE}
    limits = [r.query["limit"] for r in dci.requests if r.path.endswith("/dci/v3/server")]
    assert limits == ["0,4", "4,4", "8,4", "12,4"]  # 16 servers, 4 a page


def test_closing_an_unassigned_server_is_already_done(dci: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    with driver_for(dci_config(dci.base_url, call_log, sleeps)) as driver:
        free = driver.close_service("3")
        missing = driver.close_service("999")
    assert free.status is missing.status is RemoteStatus.DELETED
    assert "already released" in free.message and writes(dci) == []


def test_close_powers_off_releases_and_unnames(dci: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    sid = dci.state.add_server(SMALL, owner_email="clients@hostco.example", domain="gone.example", power_status="on")
    with driver_for(dci_config(dci.base_url, call_log, sleeps)) as driver:
        driver.close_service(str(sid))
    assert writes(dci) == [f"POST /server/{sid}/power_off", f"DELETE /server/{sid}/owner", f"POST /server/{sid}"]
    server = dci.state.servers[sid]
    assert (server["owner_email"], server["domain"], server["power_status"]) == (None, "", "off")


def test_an_expired_session_logs_in_again_once(dci: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    with driver_for(dci_config(dci.base_url, call_log, sleeps)) as driver:
        driver.list_remote_services()
        dci.state.tokens.clear()  # the platform forgot the session
        driver.list_remote_services()
    logins = [r for r in dci.requests if r.path.endswith("/public/token")]
    assert len(logins) == 2
    assert_no_secrets(call_log)


def test_update_configuration_reads_locations_templates_and_free_counts(dci: EmulatorHandle, call_log: CallLog,
                                                                        sleeps: Sleeps) -> None:
    config = dci_config(dci.base_url, call_log, sleeps, settings={"location": "7", "os_template": ""})
    with driver_for(config) as driver:
        plan = driver.update_configuration()
    after = {change.key: change.after for change in plan.changes}
    assert after["location"] == "1" and after["os_template"] == "1"
    assert after["configuration_choices"] == [[SMALL, "8 free"], [BIG, "3 free"]]
    assert "2 location(s); 3 OS template(s); 11 free server(s)." in plan.notes
