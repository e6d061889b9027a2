"""Reading a panel a page at a time (issue 17), per driver against its emulator: the vendor's own paging
parameters on the wire, every object once across three or more pages with its natural key and address, a
failing page raised after the pages before it, duplicates and objects without their key passed on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from procmod.core.drivers import CallLog, Driver, DriverConfig, DriverError, PanelUnavailable, RemoteService, driver_for
from procmod.demo.emulators import (
    EmulatorHandle,
    start_cpanel,
    start_dcimanager,
    start_namecheap,
    start_proxmox,
    start_vmmanager,
)
from procmod.demo.emulators.base import Request
from procmod.demo.emulators.dcimanager import DcimanagerState, server_address
from procmod.demo.emulators.vmmanager import host_address
from tests.drivers.conftest import Sleeps, cp_config, dci_config, nc_config, pve_config, vm_config

OBJECTS = 25  # three pages of 10 (the smallest page Namecheap allows), the last one short


@dataclass
class Panel:
    """One type's emulator, how to fill it, and how its list requests name their page."""

    type_key: str
    start: Callable[..., EmulatorHandle]
    config: Callable[..., DriverConfig]
    fill: Callable[[EmulatorHandle, int], list[tuple[str, str, str]]]  # → (remote id, natural key, address)
    lists: Callable[[Request], bool]  # is this request a read of the service list?
    page_parameters: Callable[[Request], Any]  # the paging parameters as sent
    expected_parameters: list[Any]  # for 25 objects in pages of 10
    pages: int = 3


def fill_cpanel(handle: EmulatorHandle, count: int) -> list[tuple[str, str, str]]:
    for n in range(count):
        handle.state.add_account(f"user{n:03d}", f"site{n:03d}.example", "starter")
    return [(f"user{n:03d}", f"user{n:03d}", f"site{n:03d}.example") for n in range(count)]


def fill_vmmanager(handle: EmulatorHandle, count: int) -> list[tuple[str, str, str]]:
    ids = [handle.state.add_host(f"vps{n:03d}.example") for n in range(count)]
    return [(str(host_id), f"vps{n:03d}.example", host_address(host_id)) for n, host_id in enumerate(ids)]


def fill_namecheap(handle: EmulatorHandle, count: int) -> list[tuple[str, str, str]]:
    for n in range(count):
        handle.state.add_domain(f"Domain{n:03d}.com", date(2027, 5, 1))
    return [(f"Domain{n:03d}.com", f"domain{n:03d}.com", f"domain{n:03d}.com") for n in range(count)]


def fill_proxmox(handle: EmulatorHandle, count: int) -> list[tuple[str, str, str]]:
    ids = [handle.state.add_vm(f"vm{n:03d}.example", node="pve2") for n in range(count)]
    return [(str(vmid), f"vm{n:03d}.example", "") for n, vmid in enumerate(ids)]


def fill_dcimanager(handle: EmulatorHandle, count: int) -> list[tuple[str, str, str]]:
    state: DcimanagerState = handle.state
    state.servers.clear()  # no free pool: every server listed is somebody's
    ids = [state.add_server("E-2388G-32Gb-2x960SSD", owner_email="clients@hostco.example",
                            domain=f"dedic{n:03d}.example", power_status="on") for n in range(count)]
    return [(str(server_id), f"dedic{n:03d}.example", server_address(server_id)) for n, server_id in enumerate(ids)]


def form(request: Request) -> dict[str, str]:
    return {**request.query, **request.form()}


PANELS = {
    "cpanel": Panel(
        "cpanel", start_cpanel, cp_config, fill_cpanel,
        lambda r: r.path.endswith("/listaccts"),
        lambda r: (form(r)["api.chunk.enable"], form(r)["api.chunk.verbose"], form(r)["api.chunk.start"],
                   form(r)["api.chunk.size"]),
        [("1", "1", "1", "10"), ("1", "1", "11", "10"), ("1", "1", "21", "10")]),
    "vmmanager6": Panel(
        "vmmanager6", start_vmmanager, vm_config, fill_vmmanager,
        lambda r: r.method == "GET" and r.path == "/vm/v3/host",
        lambda r: (r.query["limit"], r.query["orderby"]),
        [("0,10", "id asc"), ("10,10", "id asc"), ("20,10", "id asc")]),
    "namecheap": Panel(
        "namecheap", start_namecheap, nc_config, fill_namecheap,
        lambda r: form(r).get("Command") == "namecheap.domains.getList",
        lambda r: (form(r)["Page"], form(r)["PageSize"]),
        [("1", "10"), ("2", "10"), ("3", "10")]),
    "proxmox": Panel(
        "proxmox", start_proxmox, pve_config, fill_proxmox,
        lambda r: r.path.endswith("/cluster/resources"),
        lambda r: dict(r.query),
        [{"type": "vm"}], pages=1),  # the API has no paging: one answer holds the whole cluster
    "dcimanager6": Panel(
        "dcimanager6", start_dcimanager, dci_config, fill_dcimanager,
        lambda r: r.method == "GET" and r.path == "/api/dci/v3/server",
        lambda r: (r.query["limit"], r.query["orderby"], r.query["where"]),
        [("0,10", "id asc", "is_new EQ false"), ("10,10", "id asc", "is_new EQ false"),
         ("20,10", "id asc", "is_new EQ false")]),
}


@pytest.fixture(params=sorted(PANELS))
def panel(request: pytest.FixtureRequest) -> Iterator[tuple[Panel, EmulatorHandle]]:
    spec = PANELS[request.param]
    with spec.start() as handle:
        yield spec, handle


def driver(spec: Panel, handle: EmulatorHandle, calls: CallLog | None = None) -> Driver:
    return driver_for(spec.config(handle.base_url, calls or CallLog(), Sleeps(), page_size=10))


def read(drv: Driver, page_size: int = 10) -> tuple[list[list[RemoteService]], DriverError | None]:
    pages: list[list[RemoteService]] = []
    try:
        for page in drv.iter_remote_services(page_size):
            pages.append(page)
    except DriverError as error:
        return pages, error
    return pages, None


def test_every_object_is_read_once_across_the_vendors_pages(panel: tuple[Panel, EmulatorHandle]) -> None:
    spec, handle = panel
    expected = spec.fill(handle, OBJECTS)
    with driver(spec, handle) as drv:
        pages, error = read(drv)
        listed = drv.list_remote_services()
    assert error is None and len(pages) == spec.pages
    requests = [r for r in handle.requests if spec.lists(r)]
    assert [spec.page_parameters(r) for r in requests[: len(spec.expected_parameters)]] == spec.expected_parameters
    services = [service for page in pages for service in page]
    assert [(s.remote_id, s.natural_key, s.address) for s in services] == expected
    assert all(s.key == s.natural_key for s in services)
    assert services == listed  # the list is the pages, concatenated


def test_a_failing_page_raises_after_the_pages_before_it(panel: tuple[Panel, EmulatorHandle]) -> None:
    spec, handle = panel
    expected = spec.fill(handle, OBJECTS)
    failing = 2 if spec.pages > 1 else 1
    handle.fail_page(failing)
    calls = CallLog()
    with driver(spec, handle, calls) as drv:
        pages, error = read(drv)
        with pytest.raises(PanelUnavailable):
            drv.list_remote_services()
    assert isinstance(error, PanelUnavailable) and "HTTP 500" in str(error)
    assert len(pages) == failing - 1
    assert [s.remote_id for page in pages for s in page] == [remote for remote, _, _ in expected[: 10 * (failing - 1)]]
    handle.clear_faults()
    with driver(spec, handle) as drv:  # the panel answers again: everything is read
        assert len([s for page in read(drv)[0] for s in page]) == OBJECTS


def test_an_object_listed_twice_is_passed_on_twice(panel: tuple[Panel, EmulatorHandle]) -> None:
    spec, handle = panel
    expected = spec.fill(handle, OBJECTS)
    twice = expected[9][0]  # the last of page 1: its copy opens page 2
    handle.state.listed_twice.add(twice)
    with driver(spec, handle) as drv:
        pages, error = read(drv)
    assert error is None
    ids = [s.remote_id for page in pages for s in page]
    assert ids.count(twice) == 2 and len(ids) == OBJECTS + 1
    if spec.pages > 1:
        assert pages[0][-1].remote_id == pages[1][0].remote_id == twice


def test_an_object_without_its_key_is_passed_on_with_an_empty_key(panel: tuple[Panel, EmulatorHandle]) -> None:
    spec, handle = panel
    expected = spec.fill(handle, OBJECTS)
    keyless = expected[12][0]
    handle.state.without_key.add(keyless)
    with driver(spec, handle) as drv:
        pages, error = read(drv)
    assert error is None
    services = [s for page in pages for s in page]
    assert len(services) == OBJECTS
    empty = [s for s in services if not s.natural_key]
    assert len(empty) == 1
    assert [s.natural_key for s in services if s.natural_key] == [key for remote, key, _address in expected if remote != keyless]


def test_namecheap_pages_are_never_above_100(nc: EmulatorHandle) -> None:
    for n in range(120):
        nc.state.add_domain(f"bulk{n:03d}.net")
    with driver_for(nc_config(nc.base_url, CallLog(), Sleeps())) as drv:
        pages = list(drv.iter_remote_services(500))
    assert [len(page) for page in pages] == [100, 20]
    assert [form(r)["PageSize"] for r in nc.requests] == ["100", "100"]


def test_dcimanager_leaves_the_free_pool_out_page_by_page(call_log: CallLog) -> None:
    with start_dcimanager() as dci:  # 11 free servers, then 3 issued ones
        issued = [dci.state.add_server("E-2388G-32Gb-2x960SSD", owner_email="clients@hostco.example",
                                       domain=f"db{n}.example", power_status="off") for n in range(3)]
        with driver_for(dci_config(dci.base_url, call_log, Sleeps())) as drv:
            pages = list(drv.iter_remote_services(5))
    assert [len(page) for page in pages] == [0, 0, 3]  # an empty page still says how far the reading got
    assert [s.remote_id for s in pages[2]] == [str(i) for i in issued]
    assert {s.plan for s in pages[2]} == {"E-2388G-32Gb-2x960SSD"}


def test_cpanel_reads_the_chunk_metadata_whm_answers(cp: EmulatorHandle) -> None:
    fill_cpanel(cp, 7)
    with driver_for(cp_config(cp.base_url, CallLog(), Sleeps())) as drv:
        pages = list(drv.iter_remote_services(7))
    # Exactly 7 records in a chunk of 7: the metadata (records 7) ends the reading, with no empty chunk asked.
    assert [len(page) for page in pages] == [7] and len(cp.requests) == 1


@pytest.mark.parametrize("type_key", ["vmmanager6", "proxmox"])
def test_two_vms_of_one_name_are_both_passed_on(type_key: str) -> None:
    """VM names are not unique on a panel: both VMs come, with one key (reconciliation reports the pair)."""
    spec = PANELS[type_key]
    with spec.start() as handle:
        expected = spec.fill(handle, 3)
        if type_key == "vmmanager6":
            twin = handle.state.add_host("vps001.example")
        else:
            twin = handle.state.add_vm("vm001.example", node="pve1")
        with driver(spec, handle) as drv:
            listed = drv.list_remote_services()
    named = [s for s in listed if s.natural_key == expected[1][1]]
    assert sorted(s.remote_id for s in named) == sorted([expected[1][0], str(twin)])
