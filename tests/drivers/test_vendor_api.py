"""The drivers as the vendors' APIs really behave (issue 14, items 1-5): VMmanager's tasks found by their
consul id, a body's kind decided by the body and not its Content-Type, a missing host on delete, cPanel
secrets in POST bodies, Namecheap XML parsed by defusedxml in any encoding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from procmod.core.drivers import (
    CallLog,
    CpanelDriver,
    NamecheapDriver,
    PanelRefused,
    RemoteStatus,
    ServiceSpec,
    UnexpectedAnswer,
    VmmanagerDriver,
)
from procmod.core.drivers.namecheap import parse_xml
from procmod.demo.emulators import EmulatorHandle, FaultKind
from tests.drivers.conftest import (
    ACCOUNT_PASSWORD,
    CP_TOKEN,
    Sleeps,
    assert_no_secrets,
    cp_config,
    nc_config,
    vm_config,
)

# --- 1. VMmanager 6: tasks by consul id -------------------------------------------------------------


def _task_queries(vm: EmulatorHandle) -> list[str]:
    return [r.query.get("where", "") for r in vm.requests if r.path == "/vm/v3/task"]


def test_vm_actions_are_polled_by_consul_id_and_task_name(
    vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps
) -> None:
    driver = VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps))
    opened = driver.open_service(ServiceSpec("vps1.example.net", plan="2"))
    assert opened.status is RemoteStatus.ACTIVE
    task = next(t for t in vm.state.tasks.values() if t["name"] == "host_create")
    assert task["id"] != task["consul_id"] and task["status"] == "complete"
    queries = _task_queries(vm)
    assert queries == [f"((consul_id EQ '{task['consul_id']}') AND (name EQ 'host_create'))"] * (vm.state.task_polls + 1)

    driver.suspend_service(opened.remote_id)
    driver.resume_service(opened.remote_id)
    driver.close_service(opened.remote_id)
    names = [t["name"] for t in vm.state.tasks.values()]
    assert names == ["host_create", "host_stop", "host_start", "host_delete"]
    assert all(t["status"] == "complete" for t in vm.state.tasks.values())
    for task in vm.state.tasks.values():
        assert any(f"consul_id EQ '{task['consul_id']}'" in q and f"name EQ '{task['name']}'" in q
                   for q in _task_queries(vm))
    assert int(opened.remote_id) not in vm.state.hosts
    # every action waited exactly until its task completed: 3 polls each, not the 0.5 s timeout's 50
    assert len(_task_queries(vm)) == 4 * (vm.state.task_polls + 1)


@pytest.mark.parametrize("action", ["open", "suspend", "close"])
def test_a_failed_task_is_the_panels_failure_with_its_message(
    action: str, vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps
) -> None:
    host_id = vm.state.add_host("old.example.net")
    vm.state.fail_tasks = True
    vm.state.fail_reason = "Node fra-node-1 is in maintenance"
    driver = VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps))
    calls = {
        "open": lambda: driver.open_service(ServiceSpec("vps2.example.net", plan="1")),
        "suspend": lambda: driver.suspend_service(str(host_id)),
        "close": lambda: driver.close_service(str(host_id)),
    }
    with pytest.raises(PanelRefused) as caught:
        calls[action]()
    error = caught.value
    assert type(error) is PanelRefused  # not a Timeout, not "still running"
    assert "failed: Node fra-node-1 is in maintenance" in str(error)
    assert "consul id" in str(error)
    assert len(_task_queries(vm)) == vm.state.task_polls + 1
    assert_no_secrets(call_log, error)


def test_a_task_the_panel_never_lists_is_an_unexpected_answer_not_a_long_wait(
    vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps
) -> None:
    host_id = vm.state.add_host("old.example.net")
    driver = VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps, task_timeout=600.0))
    original = vm.app._task

    def unlisted(*args: object) -> int:
        consul_id = original(*args)
        vm.state.tasks.clear()  # the action answered a consul id the task list never shows
        return consul_id

    vm.app._task = unlisted  # type: ignore[method-assign]
    with pytest.raises(UnexpectedAnswer, match="lists no task host_stop with consul id"):
        driver.suspend_service(str(host_id))
    assert len(_task_queries(vm)) == 5  # a short grace for a lagging list, not 300 polls


def test_the_emulator_filters_tasks_the_real_way(vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    host_id = vm.state.add_host("a.example.net")
    driver = VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps))
    driver.suspend_service(str(host_id))
    task = next(iter(vm.state.tasks.values()))
    by_id = driver._list("task", f"(id EQ {task['consul_id']})")  # the old, wrong lookup finds nothing
    assert by_id == []
    wrong_name = driver._list("task", f"((consul_id EQ '{task['consul_id']}') AND (name EQ 'host_create'))")
    assert wrong_name == []
    either = driver._list("task", f"((id EQ '{task['id']}') OR (name EQ 'nothing'))")
    assert [t["consul_id"] for t in either] == [task["consul_id"]]


# --- 2. Content-Type does not outrank the body ------------------------------------------------------


def test_vmmanager_accepts_json_labelled_text_html(vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    vm.set_fault(FaultKind.MISLABELLED)
    driver = VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps))
    opened = driver.open_service(ServiceSpec("vps3.example.net", plan="1"))
    assert opened.status is RemoteStatus.ACTIVE
    assert vm.state.hosts[int(opened.remote_id)]["state"] == "active"
    assert [s.name for s in driver.list_remote_services()] == ["vps3.example.net"]
    assert all(c.error is None for c in call_log.calls)


def test_cpanel_accepts_json_labelled_text_html(cp: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    cp.set_fault(FaultKind.MISLABELLED)
    driver = CpanelDriver(cp_config(cp.base_url, call_log, sleeps))
    opened = driver.open_service(ServiceSpec("shop.example", options={"username": "shop",
                                                                        "password": ACCOUNT_PASSWORD}))
    assert opened.status is RemoteStatus.ACTIVE and "shop" in cp.state.accounts
    assert driver.check_connection().ok


def test_namecheap_accepts_xml_labelled_text_html(nc: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    nc.set_fault(FaultKind.MISLABELLED)
    assert NamecheapDriver(nc_config(nc.base_url, call_log, sleeps)).read_balance().amount == Decimal("1250.40")


@pytest.mark.parametrize("system", ["vm", "cp"])
def test_a_real_html_page_is_still_refused_readably(
    system: str, vm: EmulatorHandle, cp: EmulatorHandle, call_log: CallLog, sleeps: Sleeps
) -> None:
    handle = vm if system == "vm" else cp
    handle.set_fault(FaultKind.HTML)
    config = vm_config(handle.base_url, call_log, sleeps) if system == "vm" else cp_config(handle.base_url, call_log,
                                                                                            sleeps)
    driver = VmmanagerDriver(config) if system == "vm" else CpanelDriver(config)
    with pytest.raises(UnexpectedAnswer, match="answered with an HTML page"):
        driver.list_remote_services()


# --- 3. VMmanager delete: a missing host is already deleted -----------------------------------------


@pytest.mark.parametrize(("status", "code"), [(404, None), (404, 1), (404, 4004), (400, 4004)],
                         ids=["404-without-code", "404-other-code", "404-code-4004", "400-code-4004"])
def test_deleting_a_missing_host_is_already_deleted(
    status: int, code: int | None, vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps
) -> None:
    vm.state.missing_host_status, vm.state.missing_host_code = status, code
    driver = VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps))
    result = driver.close_service("4242")
    assert result.status is RemoteStatus.DELETED and "already deleted" in result.message
    assert [r.method for r in vm.requests if r.path == "/vm/v3/host/4242"] == ["DELETE"]


def test_a_404_for_a_host_that_is_still_listed_is_not_a_deletion(
    vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps
) -> None:
    host_id = vm.state.add_host("kept.example.net")
    vm.app.handle = _delete_answers(vm.app.handle, 404, b'{"error": {"code": 1001, "msg": "Unknown method"}}',
                                    "application/json")  # type: ignore[method-assign]
    with pytest.raises(PanelRefused, match="Unknown method"):
        VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps)).close_service(str(host_id))
    assert host_id in vm.state.hosts
    assert any(r.path == "/vm/v3/host" and r.query.get("where") == f"(id EQ {host_id})" for r in vm.requests)


def test_a_missing_host_is_still_an_error_for_stop(vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    driver = VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps))
    with pytest.raises(PanelRefused, match="Host 4242 not found"):
        driver.suspend_service("4242")


def test_a_404_html_page_on_delete_is_not_taken_for_a_deleted_host(
    vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps
) -> None:
    host_id = vm.state.add_host("kept.example.net")
    vm.app.handle = _delete_answers(vm.app.handle, 404, b"<html><head><title>404 Not Found</title></head>"
                                    b"<body>nginx</body></html>", "text/html")  # type: ignore[method-assign]
    with pytest.raises(UnexpectedAnswer, match="HTML page"):
        VmmanagerDriver(vm_config(vm.base_url, call_log, sleeps)).close_service(str(host_id))
    assert host_id in vm.state.hosts


def _delete_answers(handle, status: int, body: bytes, content_type: str):  # type: ignore[no-untyped-def]
    """The emulator's handler, except that every DELETE gets this answer (a proxy, an unknown route)."""
    from procmod.demo.emulators.base import Reply

    def wrapped(request):  # type: ignore[no-untyped-def]
        if request.method == "DELETE":
            return Reply(status, body, content_type)
        return handle(request)

    return wrapped


# --- 4. cPanel: secrets in POST bodies --------------------------------------------------------------


def test_cpanel_createacct_sends_the_password_in_a_post_body(
    cp: EmulatorHandle, call_log: CallLog, sleeps: Sleeps
) -> None:
    driver = CpanelDriver(cp_config(cp.base_url, call_log, sleeps))
    spec = ServiceSpec("shop.example", plan="business",
                       options={"username": "shop", "password": ACCOUNT_PASSWORD, "contactemail": "o@shop.example"})
    assert driver.open_service(spec).status is RemoteStatus.ACTIVE
    assert cp.state.passwords == {"shop": ACCOUNT_PASSWORD}  # delivered
    create = [r for r in cp.requests if r.path == "/json-api/createacct"]
    assert len(create) == 1 and create[0].method == "POST"
    assert create[0].headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert create[0].form()["password"] == ACCOUNT_PASSWORD and create[0].query == {"api.version": "1"}
    for request in cp.requests:  # no secret in any URL the panel (or a proxy) saw
        assert ACCOUNT_PASSWORD not in request.url and CP_TOKEN not in request.url
    recorded = [c for c in call_log.calls if c.operation == "create account"]
    assert recorded[0].method == "POST" and recorded[0].url.endswith("/json-api/createacct?api.version=1")
    assert_no_secrets(call_log)


def test_cpanel_calls_without_secrets_stay_get(cp: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    cp.state.add_account("shop", "shop.example")
    driver = CpanelDriver(cp_config(cp.base_url, call_log, sleeps))
    driver.suspend_service("shop")
    assert {r.method for r in cp.requests} == {"GET"}
    assert cp.state.accounts["shop"]["suspended"] == 1


def test_cpanel_refusal_of_a_posted_call_carries_no_secret(
    cp: EmulatorHandle, call_log: CallLog, sleeps: Sleeps
) -> None:
    cp.state.packages = ["starter"]
    driver = CpanelDriver(cp_config(cp.base_url, call_log, sleeps))
    with pytest.raises(PanelRefused, match="does not exist") as caught:
        driver.open_service(ServiceSpec("shop.example", plan="gold",
                                        options={"username": "shop", "password": ACCOUNT_PASSWORD}))
    assert_no_secrets(call_log, caught.value)


# --- 5. Namecheap XML through defusedxml ------------------------------------------------------------


def test_a_utf16_entity_is_refused_not_expanded(nc: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    nc.set_fault(FaultKind.DOCTYPE_UTF16)
    driver = NamecheapDriver(nc_config(nc.base_url, call_log, sleeps))
    with pytest.raises(UnexpectedAnswer) as caught:
        driver.read_balance()  # expanded, the entity would forge a balance of 999999.00
    error = caught.value
    assert "DTD or entity declarations" in str(error) and "refused without expanding" in str(error)
    assert error.hint and error.__cause__ is None
    assert call_log.calls[-1].error and "unexpected_answer" in call_log.calls[-1].error


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "iso-8859-1"])
@pytest.mark.parametrize("declaration", [
    '<!DOCTYPE r [<!ENTITY e "expanded">]>',
    '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE r SYSTEM "http://203.0.113.9/evil.dtd">',
], ids=["internal-entity", "external-entity", "external-dtd"])
def test_parse_xml_refuses_dtds_in_any_encoding(encoding: str, declaration: str) -> None:
    prolog = f'<?xml version="1.0" encoding="{encoding.upper()}"?>'
    body = f"{prolog}{declaration}<r>&e;</r>" if "ENTITY" in declaration else f"{prolog}{declaration}<r/>"
    with pytest.raises(UnexpectedAnswer, match="DTD or entity"):
        parse_xml(body.encode(encoding), "Namecheap", "api.example")


@pytest.mark.parametrize(("encoding", "label"), [("utf-32", "UTF-32"), ("utf-16-le", "UTF-16-LE")])
def test_parse_xml_refuses_an_encoding_the_parser_cannot_read(encoding: str, label: str) -> None:
    body = f'<?xml version="1.0" encoding="{label}"?><!DOCTYPE r [<!ENTITY e "expanded">]><r>&e;</r>'
    with pytest.raises(UnexpectedAnswer, match="malformed XML|cannot read"):  # refused unread, never expanded
        parse_xml(body.encode(encoding), "Namecheap", "api.example")


def test_parse_xml_reads_utf16_without_a_dtd() -> None:
    body = '<?xml version="1.0" encoding="UTF-16"?><ApiResponse Status="OK"><Server>X</Server></ApiResponse>'
    assert parse_xml(body.encode("utf-16"), "Namecheap", "h").findtext("Server") == "X"
