"""Proxmox VE specifics: UPID tasks polled to the end, a failed task's own reason, "does not exist" as
already gone, pausing instead of stopping, and the token header (masked in the call log)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from procmod.core.drivers import CallLog, PanelRefused, RemoteStatus, ServiceSpec, Timeout, driver_for
from procmod.demo.emulators import EmulatorHandle, start_proxmox
from tests.drivers.conftest import PVE_SECRET, Sleeps, assert_no_secrets, pve_config


@pytest.fixture
def pve() -> Iterator[EmulatorHandle]:
    with start_proxmox() as handle:
        yield handle


def task_polls(handle: EmulatorHandle) -> list[str]:
    return [r.path for r in handle.requests if "/tasks/" in r.path]


def test_a_clone_is_polled_by_its_upid_until_it_stops(pve: EmulatorHandle, call_log: CallLog,
                                                      sleeps: Sleeps) -> None:
    pve.state.task_polls = 3
    with driver_for(pve_config(pve.base_url, call_log, sleeps)) as driver:
        result = driver.open_service(ServiceSpec("web1.example.net", plan="9001"))
    vm = pve.state.vms[int(result.remote_id)]
    assert (vm["name"], vm["status"], vm.get("lock")) == ("web1.example.net", "running", None)
    clone = next(r for r in pve.requests if r.path.endswith("/qemu/9001/clone"))
    assert clone.query == {"newid": result.remote_id, "name": "web1.example.net", "full": "1"} and not clone.body
    # Clone, then start: each task polled (3 x running, then stopped), by the UPID the POST answered.
    polls = task_polls(pve)
    assert len(polls) == 8 and all("UPID%3Apve1%3A" in path for path in polls)
    assert sleeps == [0.01] * 6
    assert pve.requests[-1].path.endswith("/status")


def test_a_failed_task_raises_the_panels_own_reason(pve: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    pve.state.fail_tasks = True
    with driver_for(pve_config(pve.base_url, call_log, sleeps)) as driver, \
            pytest.raises(PanelRefused) as raised:
        driver.open_service(ServiceSpec("web2.example.net"))
    assert "storage 'local-lvm' has not enough free space" in str(raised.value)
    assert raised.value.operation == "clone VM" and "task clone VM on pve1 failed" in str(raised.value)
    assert [vm for vm in pve.state.vms.values() if not vm["template"]] == []  # nothing half-made left


def test_a_task_still_running_at_the_timeout_is_a_timeout(pve: EmulatorHandle, call_log: CallLog,
                                                         sleeps: Sleeps) -> None:
    pve.state.task_polls = 10_000
    config = pve_config(pve.base_url, call_log, sleeps, task_timeout=0.05)
    with driver_for(config) as driver, pytest.raises(Timeout) as raised:
        driver.open_service(ServiceSpec("web3.example.net"))
    assert "still running" in str(raised.value) and "task log" in str(raised.value)


def test_delete_of_a_vm_already_gone_is_done(pve: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    with driver_for(pve_config(pve.base_url, call_log, sleeps)) as driver:
        result = driver.close_service("4242")
    assert result.status is RemoteStatus.DELETED and "already deleted" in result.message


def test_delete_answered_does_not_exist_is_already_gone(pve: EmulatorHandle, call_log: CallLog,
                                                       sleeps: Sleeps) -> None:
    vmid = pve.state.add_vm("moving.example.net", node="pve2", status="stopped")
    with driver_for(pve_config(pve.base_url, call_log, sleeps)) as driver:
        # The cluster list and the status lag a migration: the DELETE goes to the old node, which answers
        # 500 "Configuration file ... does not exist".
        driver._find = lambda _vmid: {"vmid": vmid, "node": "pve1"}  # type: ignore[method-assign]
        driver._current = lambda _node, _vmid: {"status": "stopped"}  # type: ignore[method-assign]
        result = driver.close_service(str(vmid))
    delete = next(r for r in pve.requests if r.method == "DELETE")
    assert delete.path.endswith(f"/nodes/pve1/qemu/{vmid}")
    assert result.status is RemoteStatus.DELETED and "already deleted" in result.message


def test_close_stops_a_running_vm_first_and_purges(pve: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    vmid = pve.state.add_vm("old.example.net", node="pve2")
    with driver_for(pve_config(pve.base_url, call_log, sleeps)) as driver:
        driver.close_service(str(vmid))
    writes = [(r.method, r.path.rsplit("/", 2)[-2:], r.query) for r in pve.requests if r.method != "GET"]
    assert writes == [("POST", ["status", "stop"], {}),
                      ("DELETE", ["qemu", str(vmid)], {"purge": "1", "destroy-unreferenced-disks": "1"})]
    assert vmid not in pve.state.vms


def test_suspend_by_pausing_keeps_memory_and_resume_resumes(pve: EmulatorHandle, call_log: CallLog,
                                                           sleeps: Sleeps) -> None:
    vmid = pve.state.add_vm("paused.example.net")
    config = pve_config(pve.base_url, call_log, sleeps, settings={"suspend_action": "suspend"})
    with driver_for(config) as driver:
        driver.suspend_service(str(vmid))
        assert (pve.state.vms[vmid]["status"], pve.state.vms[vmid]["qmpstatus"]) == ("running", "paused")
        driver.suspend_service(str(vmid))  # already paused: nothing sent
        driver.resume_service(str(vmid))
    actions = [r.path.rsplit("/", 1)[-1] for r in pve.requests if r.method == "POST"]
    assert actions == ["suspend", "resume"]
    assert pve.state.vms[vmid]["qmpstatus"] == "running"


def test_parameter_errors_name_each_parameter(pve: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    with driver_for(pve_config(pve.base_url, call_log, sleeps)) as driver, pytest.raises(PanelRefused) as raised:
        driver.open_service(ServiceSpec("not a dns name"))
    assert "Parameter verification failed: name: invalid format" in str(raised.value)


def test_without_a_template_the_vm_is_created_on_the_node(pve: EmulatorHandle, call_log: CallLog,
                                                          sleeps: Sleeps) -> None:
    config = pve_config(pve.base_url, call_log, sleeps, settings={"template": "", "node": "pve2"})
    with driver_for(config) as driver:
        result = driver.open_service(ServiceSpec("bare.example.net", options={"memory": 2048, "cores": 2}))
    create = next(r for r in pve.requests if r.method == "POST" and r.path.endswith("/nodes/pve2/qemu"))
    assert create.query == {"vmid": result.remote_id, "name": "bare.example.net", "memory": "2048", "cores": "2"}
    assert pve.state.vms[int(result.remote_id)]["status"] == "running"


def test_the_token_goes_in_the_header_and_never_into_the_call_log(pve: EmulatorHandle, call_log: CallLog,
                                                                  sleeps: Sleeps) -> None:
    with driver_for(pve_config(pve.base_url + "/api2/json", call_log, sleeps)) as driver:
        report = driver.check_connection()
    assert report.ok and report.api_version == "PVE 8.2.4", report.summary
    assert pve.requests[0].headers["authorization"] == f"PVEAPIToken=billing@pve!procmod={PVE_SECRET}"
    assert {call.request_headers.get("Authorization") for call in call_log.calls} == {"••••••"}
    assert_no_secrets(call_log, report.error)


def test_update_configuration_reads_nodes_and_templates(pve: EmulatorHandle, call_log: CallLog,
                                                        sleeps: Sleeps) -> None:
    pve.state.nodes["pve1"] = "offline"
    config = pve_config(pve.base_url, call_log, sleeps, settings={"node": "", "template": "777"})
    with driver_for(config) as driver:
        plan = driver.update_configuration()
    after = {change.key: change.after for change in plan.changes}
    assert after["node"] == "pve2"  # the only online node
    assert after["template"] == "9000" and after["template_choices"][1] == ["9001", "debian-12-cloud on pve1"]
    assert "1 of 2 node(s) online; 2 VM template(s)." in plan.notes
