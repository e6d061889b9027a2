"""The built-in drivers pass the conformance kit (procmod.core.drivers.conformance) against their emulators,
as a plugin's driver would against its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from procmod.core.drivers import CallLog, DriverConfig, RemoteStatus, ServiceSpec
from procmod.core.drivers.conformance import ConformanceTarget, DriverConformance, Fault
from procmod.demo.emulators import EmulatorHandle, FaultKind, closed_port, start_cpanel, start_namecheap
from procmod.demo.emulators import start_dcimanager, start_proxmox, start_vmmanager
from procmod.demo.emulators.base import Request
from tests.drivers.conftest import FAST, Sleeps, cp_config, dci_config, nc_config, pve_config, vm_config

EMULATOR_FAULTS = {
    Fault.ERROR_500: (FaultKind.ERROR_500, 0.0),
    Fault.ERROR_503: (FaultKind.ERROR_503, 0.0),
    Fault.ERROR_429: (FaultKind.ERROR_429, 0.0),
    Fault.GARBAGE: (FaultKind.MALFORMED, 0.0),
    Fault.NO_REPLY: (FaultKind.LATENCY, FAST["read_timeout"] * 3),
}


class EmulatorTarget(ConformanceTarget):
    """What the three built-in emulators share; each subclass knows its configs and its state."""

    def __init__(self, handle: EmulatorHandle) -> None:
        self.handle = handle

    def make(self, url: str, recorder: CallLog, **changes: Any) -> DriverConfig:
        raise NotImplementedError

    def config(self, recorder: CallLog, **changes: Any) -> DriverConfig:
        settings = changes.pop("settings", None)
        config = self.make(self.handle.base_url, recorder, ca_bundle=self.handle.ca_file, **changes)
        return config.with_changes(settings={**config.settings, **settings}) if settings else config

    def config_without_trust(self, recorder: CallLog) -> DriverConfig:
        return self.make(self.handle.base_url, recorder, verify_tls=True, ca_bundle=None)

    def config_to_closed_port(self, recorder: CallLog) -> DriverConfig:
        return self.make(f"https://127.0.0.1:{closed_port()}", recorder)

    def fail(self, fault: Fault, times: int | None = None) -> None:
        kind, delay = EMULATOR_FAULTS[fault]
        self.handle.set_fault(kind, times=times, delay=delay)

    def clear_faults(self) -> None:
        self.handle.clear_faults()

    def fail_page(self, page: int) -> None:
        self.handle.fail_page(page)

    def list_twice(self, remote_id: str) -> None:
        self.handle.state.listed_twice.add(remote_id)

    def list_without_key(self, remote_id: str) -> None:
        self.handle.state.without_key.add(remote_id)

    def creates(self, request: Request) -> bool:
        raise NotImplementedError

    def lose_the_next_open_reply(self) -> None:
        self.handle.set_fault(FaultKind.LOST_REPLY, times=1, delay=FAST["read_timeout"] * 3, when=self.creates)


class VmmanagerTarget(EmulatorTarget):
    module_type = "vmmanager6"

    def make(self, url: str, recorder: CallLog, **changes: Any) -> DriverConfig:
        return vm_config(url, recorder, Sleeps(), **changes)

    def config_with_bad_credentials(self, recorder: CallLog) -> DriverConfig:
        return vm_config(self.handle.base_url, recorder, Sleeps(), password="wrong-secret-value-4711",
                         ca_bundle=self.handle.ca_file)

    def creates(self, request: Request) -> bool:
        return request.method == "POST" and request.path == "/vm/v3/host"

    def new_service(self, index: int) -> ServiceSpec:
        return ServiceSpec(f"vps{index}.conformance.example", plan="1")

    def remote_status(self, remote_id: str) -> RemoteStatus | None:
        host = self.handle.state.hosts.get(int(remote_id))
        if host is None or host.get("state") == "deleting":
            return None
        return {"active": RemoteStatus.ACTIVE, "stopped": RemoteStatus.SUSPENDED}.get(host["state"],
                                                                                    RemoteStatus.PENDING)

    def remote_count(self) -> int:
        return sum(1 for host in self.handle.state.hosts.values() if host.get("state") != "deleting")


class CpanelTarget(EmulatorTarget):
    module_type = "cpanel"

    def make(self, url: str, recorder: CallLog, **changes: Any) -> DriverConfig:
        return cp_config(url, recorder, Sleeps(), **changes)

    def config_with_bad_credentials(self, recorder: CallLog) -> DriverConfig:
        return cp_config(self.handle.base_url, recorder, Sleeps(), token="wrong-secret-value-4711",
                         ca_bundle=self.handle.ca_file)

    def creates(self, request: Request) -> bool:
        return request.path.endswith("/createacct")

    def new_service(self, index: int) -> ServiceSpec:
        return ServiceSpec(f"site{index}.conformance.example", plan="starter",
                           options={"username": f"conf{index}", "password": "Acct-Pass-9zq",
                                    "contactemail": f"owner{index}@conformance.example"})

    @property
    def secrets(self) -> tuple[str, ...]:
        return (*super().secrets, "Acct-Pass-9zq")

    def remote_status(self, remote_id: str) -> RemoteStatus | None:
        account = self.handle.state.accounts.get(remote_id)
        if account is None:
            return None
        return RemoteStatus.SUSPENDED if int(account["suspended"]) else RemoteStatus.ACTIVE

    def remote_count(self) -> int:
        return len(self.handle.state.accounts)


class NamecheapTarget(EmulatorTarget):
    module_type = "namecheap"

    def make(self, url: str, recorder: CallLog, **changes: Any) -> DriverConfig:
        return nc_config(url, recorder, Sleeps(), **changes)

    def config_with_bad_credentials(self, recorder: CallLog) -> DriverConfig:
        return nc_config(self.handle.base_url, recorder, Sleeps(), key="wrong-secret-value-4711",
                         ca_bundle=self.handle.ca_file)

    def creates(self, request: Request) -> bool:
        return request.query.get("Command") == "namecheap.domains.create"

    def new_service(self, index: int) -> ServiceSpec:
        return ServiceSpec(f"conformance{index}.example", plan="1")

    def remote_status(self, remote_id: str) -> RemoteStatus | None:
        return RemoteStatus.ACTIVE if remote_id in self.handle.state.domains else None

    def remote_count(self) -> int:
        return len(self.handle.state.domains)


class ProxmoxTarget(EmulatorTarget):
    module_type = "proxmox"

    def make(self, url: str, recorder: CallLog, **changes: Any) -> DriverConfig:
        return pve_config(url, recorder, Sleeps(), **changes)

    def config_with_bad_credentials(self, recorder: CallLog) -> DriverConfig:
        return pve_config(self.handle.base_url, recorder, Sleeps(), secret="wrong-secret-value-4711",
                          ca_bundle=self.handle.ca_file)

    def creates(self, request: Request) -> bool:
        return request.method == "POST" and request.path.endswith(("/clone", "/qemu"))

    def new_service(self, index: int) -> ServiceSpec:
        return ServiceSpec(f"vps{index}.conformance.example", plan="9000")

    def remote_status(self, remote_id: str) -> RemoteStatus | None:
        vm = self.handle.state.vms.get(int(remote_id))
        if vm is None or vm.get("lock") == "destroyed":
            return None
        if vm.get("lock"):
            return RemoteStatus.PENDING
        return RemoteStatus.ACTIVE if vm["qmpstatus"] == "running" else RemoteStatus.SUSPENDED

    def remote_count(self) -> int:
        return sum(1 for vm in self.handle.state.vms.values() if not vm["template"] and vm.get("lock") != "destroyed")


class DcimanagerTarget(EmulatorTarget):
    module_type = "dcimanager6"

    def make(self, url: str, recorder: CallLog, **changes: Any) -> DriverConfig:
        return dci_config(url, recorder, Sleeps(), **changes)

    def config_with_bad_credentials(self, recorder: CallLog) -> DriverConfig:
        return dci_config(self.handle.base_url, recorder, Sleeps(), password="wrong-secret-value-4711",
                          ca_bundle=self.handle.ca_file)

    def creates(self, request: Request) -> bool:  # naming a free server is what takes it
        return request.method == "POST" and request.path.rstrip("0123456789").endswith("/dci/v3/server/")

    def new_service(self, index: int) -> ServiceSpec:
        return ServiceSpec(f"dedic{index}.conformance.example", plan="E-2388G-32Gb-2x960SSD")

    def remote_status(self, remote_id: str) -> RemoteStatus | None:
        server = self.handle.state.servers.get(int(remote_id))
        if server is None or server["owner"] is None:
            return None
        if server["operation"]["status"] == "running":
            return RemoteStatus.PENDING
        return RemoteStatus.ACTIVE if server["power_status"] == "on" else RemoteStatus.SUSPENDED

    def remote_count(self) -> int:
        return sum(1 for server in self.handle.state.servers.values() if server["owner"] is not None)


class TestVmmanager6(DriverConformance):
    @pytest.fixture()
    def conformance_target(self) -> Iterator[ConformanceTarget]:
        with start_vmmanager(https=True) as handle:
            yield VmmanagerTarget(handle)


class TestCpanel(DriverConformance):
    @pytest.fixture()
    def conformance_target(self) -> Iterator[ConformanceTarget]:
        with start_cpanel(https=True) as handle:
            yield CpanelTarget(handle)


class TestNamecheap(DriverConformance):
    @pytest.fixture()
    def conformance_target(self) -> Iterator[ConformanceTarget]:
        with start_namecheap(https=True) as handle:
            yield NamecheapTarget(handle)


class TestProxmox(DriverConformance):
    @pytest.fixture()
    def conformance_target(self) -> Iterator[ConformanceTarget]:
        with start_proxmox(https=True) as handle:
            yield ProxmoxTarget(handle)


class TestDcimanager6(DriverConformance):
    @pytest.fixture()
    def conformance_target(self) -> Iterator[ConformanceTarget]:
        with start_dcimanager(https=True) as handle:
            yield DcimanagerTarget(handle)
