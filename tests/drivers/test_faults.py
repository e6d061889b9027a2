"""The fault matrix: every external failure becomes one specific typed error with a readable message,
no unhandled exception, and no secret in the message or in the call log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from procmod.core.drivers import (
    BadCredentials,
    CallLog,
    Driver,
    DriverConfig,
    DriverError,
    PanelRefused,
    PanelUnavailable,
    ServiceSpec,
    Stage,
    StageOutcome,
    Timeout,
    TlsError,
    UnexpectedAnswer,
    Unreachable,
    driver_for,
)
from procmod.demo.emulators import (
    EmulatorHandle,
    FaultKind,
    closed_port,
    start_cpanel,
    start_namecheap,
    start_vmmanager,
)
from tests.drivers.conftest import (
    ACCOUNT_PASSWORD,
    WRONG_SECRET,
    Sleeps,
    assert_no_secrets,
    cp_config,
    nc_config,
    vm_config,
)

STARTERS = {"vm": start_vmmanager, "cp": start_cpanel, "nc": start_namecheap}
CONFIGS = {"vm": vm_config, "cp": cp_config, "nc": nc_config}
SECRET_ARG = {"vm": "password", "cp": "token", "nc": "key"}


def list_services(driver: Driver) -> Any:
    return driver.list_remote_services()


def open_service(driver: Driver) -> Any:
    plan = "1" if driver.module_type == "vmmanager6" else ""  # an OS template id; the default package / years
    return driver.open_service(ServiceSpec("taken.example", plan=plan,
                                           options={"username": "newuser", "password": ACCOUNT_PASSWORD}))


@dataclass
class Case:
    id: str
    system: str
    expected: type[DriverError] | None
    fragment: str = ""
    fault: FaultKind | None = None
    times: int | None = None
    delay: float = 0.05
    chunked: bool = False
    path_prefix: str = ""
    https: bool = False
    secret: str | None = None  # a wrong secret instead of the right one
    url: str | None = None  # an address instead of the emulator's
    config: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[EmulatorHandle], None] | None = None
    operation: Callable[[Driver], Any] = list_services
    requests: int | None = None  # how many requests (login included) the emulator must have seen
    call_error: bool = True  # False when every HTTP call succeeded and the failure is the panel's task


def _vm_unauthorized(status: int) -> Callable[[EmulatorHandle], None]:
    def setup(handle: EmulatorHandle) -> None:
        handle.state.unauthorized_status = status
    return setup


def _cp_domain_taken(handle: EmulatorHandle) -> None:
    handle.state.add_account("someone", "taken.example")


def _nc_poor(handle: EmulatorHandle) -> None:
    from decimal import Decimal
    handle.state.balance = Decimal("1.00")


def _nc_ip_not_whitelisted(handle: EmulatorHandle) -> None:
    handle.state.client_ips = {"198.51.100.7"}


def _vm_failing_tasks(handle: EmulatorHandle) -> None:
    handle.state.fail_tasks = True


def _vm_endless_tasks(handle: EmulatorHandle) -> None:
    handle.state.task_polls = 10_000


CASES = [
    Case("latency-past-read-timeout", "vm", Timeout, "did not answer within", FaultKind.LATENCY, delay=2.0,
         path_prefix="/vm/v3/host"),
    Case("http-500", "cp", PanelUnavailable, "HTTP 500", FaultKind.ERROR_500),
    Case("http-500-namecheap", "nc", PanelUnavailable, "HTTP 500", FaultKind.ERROR_500),
    Case("503-retried-then-ok", "vm", None, "", FaultKind.ERROR_503, times=2, requests=4),
    Case("503-exhausted", "vm", PanelUnavailable, "unavailable (HTTP 503) after 3 attempts", FaultKind.ERROR_503,
         requests=3),
    Case("429-exhausted", "nc", PanelUnavailable, "rate-limiting", FaultKind.ERROR_429, requests=3),
    Case("429-retried-then-ok", "cp", None, "", FaultKind.ERROR_429, times=1, requests=2),
    Case("503-on-create-not-retried", "cp", PanelUnavailable, "HTTP 503", FaultKind.ERROR_503,
         path_prefix="/json-api/createacct", operation=open_service, requests=2),  # the exists-check, then one createacct
    Case("401-wrong-whm-token", "cp", BadCredentials, "refused the credentials (HTTP 401)", secret=WRONG_SECRET,
         requests=1),
    Case("403-vmmanager", "vm", BadCredentials, "HTTP 403", secret=WRONG_SECRET, setup=_vm_unauthorized(403)),
    Case("vmmanager-wrong-password-3001", "vm", BadCredentials, "refused", secret=WRONG_SECRET),
    Case("vmmanager-code-3001-on-http-400", "vm", BadCredentials, "error 3001", FaultKind.WRONG_CREDENTIALS,
         setup=_vm_unauthorized(400)),
    Case("cpanel-result-0", "cp", PanelRefused, "already owned by another user", setup=_cp_domain_taken,
         operation=open_service),
    Case("namecheap-error-bad-key", "nc", BadCredentials, "1011102", secret=WRONG_SECRET),
    Case("namecheap-error-ip-not-whitelisted", "nc", BadCredentials, "1011150", setup=_nc_ip_not_whitelisted),
    Case("namecheap-error-insufficient-funds", "nc", PanelRefused, "insufficient funds", setup=_nc_poor,
         operation=open_service),
    Case("html-instead-of-json-vm", "vm", UnexpectedAnswer, "HTML page", FaultKind.HTML),
    Case("html-instead-of-json-cp", "cp", UnexpectedAnswer, "HTML page", FaultKind.HTML),
    Case("html-instead-of-xml-nc", "nc", UnexpectedAnswer, "HTML page", FaultKind.HTML),
    Case("truncated-body-cp", "cp", UnexpectedAnswer, "truncated", FaultKind.TRUNCATED),
    Case("truncated-body-nc", "nc", UnexpectedAnswer, "truncated", FaultKind.TRUNCATED),
    Case("malformed-json-vm", "vm", UnexpectedAnswer, "not valid JSON", FaultKind.MALFORMED,
         path_prefix="/vm/v3/host"),
    Case("malformed-xml-nc", "nc", UnexpectedAnswer, "malformed XML", FaultKind.MALFORMED),
    Case("xml-with-dtd-refused", "nc", UnexpectedAnswer, "DTD", FaultKind.DOCTYPE),
    Case("xml-utf16-entity-refused", "nc", UnexpectedAnswer, "refused without expanding", FaultKind.DOCTYPE_UTF16),
    Case("json-labelled-html-vm", "vm", None, "", FaultKind.MISLABELLED, operation=open_service),
    Case("json-labelled-html-cp", "cp", None, "", FaultKind.MISLABELLED, operation=open_service),
    Case("xml-labelled-html-nc", "nc", None, "", FaultKind.MISLABELLED),
    Case("dns-failure", "vm", Unreachable, "does not resolve", url="http://nonexistent.invalid:8080"),
    Case("connection-refused", "cp", Unreachable, "connection refused", url="closed-port"),
    Case("tls-untrusted-self-signed", "cp", TlsError, "certificate", https=True, requests=0),
    Case("tls-ok-with-ca-bundle", "cp", None, "", https=True, config={"ca_bundle": "emulator-ca"}),
    Case("tls-verification-switched-off", "nc", None, "", https=True, config={"verify_tls": False}),
    Case("slow-body-past-deadline", "vm", Timeout, "deadline", FaultKind.SLOW_BODY, delay=0.05,
         path_prefix="/vm/v3/host", config={"deadline": 0.8, "read_timeout": 0.5}),
    Case("huge-body-announced", "cp", UnexpectedAnswer, "larger than 5 MB", FaultKind.HUGE_BODY),
    Case("huge-body-streamed", "vm", UnexpectedAnswer, "larger than 5 MB", FaultKind.HUGE_BODY, chunked=True,
         path_prefix="/vm/v3/host"),
    Case("redirect-not-followed", "cp", UnexpectedAnswer, "redirects are not followed", FaultKind.REDIRECT,
         requests=1),
    Case("vmmanager-task-fail", "vm", PanelRefused, "failed: Not enough free space", setup=_vm_failing_tasks,
         operation=open_service, call_error=False),
    Case("vmmanager-task-never-finishes", "vm", Timeout, "still running", setup=_vm_endless_tasks,
         operation=open_service, call_error=False),
]


def build(case: Case, handle: EmulatorHandle | None, call_log: CallLog, sleeps: Sleeps) -> DriverConfig:
    url = case.url or (handle.base_url if handle else "")
    if url == "closed-port":
        url = f"http://127.0.0.1:{closed_port()}"
    extra: dict[str, Any] = dict(case.config)
    if extra.get("ca_bundle") == "emulator-ca":
        assert handle is not None
        extra["ca_bundle"] = handle.ca_file
    if case.secret:
        extra[SECRET_ARG[case.system]] = case.secret
    return CONFIGS[case.system](url, call_log, sleeps, **extra)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_becomes_a_typed_error(case: Case, call_log: CallLog, sleeps: Sleeps) -> None:
    with STARTERS[case.system](https=case.https) as handle:
        if case.setup:
            case.setup(handle)
        if case.fault:
            handle.set_fault(case.fault, times=case.times, delay=case.delay, chunked=case.chunked,
                             path_prefix=case.path_prefix)
        driver = driver_for(build(case, handle, call_log, sleeps))
        error: DriverError | None = None
        try:
            case.operation(driver)
        except DriverError as failure:  # anything else fails the test as an unhandled exception
            error = failure
        finally:
            driver.close()
        if case.expected is None:
            assert error is None, f"unexpected {error!r}"
        else:
            assert type(error) is case.expected, f"expected {case.expected.__name__}, got {error!r}"
            assert case.fragment in str(error), str(error)
            assert error.hint, "every error tells the operator what to do or check"
            assert error.__cause__ is None and error.__suppress_context__, "no chained traceback"
        if case.requests is not None:
            assert len(handle.requests) == case.requests, handle.paths()
        assert_no_secrets(call_log, error)
        assert call_log.calls or case.url, "every call is recorded"
        if error is not None and call_log.calls and case.call_error:
            assert call_log.calls[-1].error and error.kind in call_log.calls[-1].error


def test_the_matrix_is_wide_enough() -> None:
    assert len([c for c in CASES if c.expected is not None]) >= 20


def test_retries_back_off_and_stop(vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    vm.set_fault(FaultKind.ERROR_503)
    driver = driver_for(vm_config(vm.base_url, call_log, sleeps, backoff=0.001, max_attempts=4))
    with pytest.raises(PanelUnavailable):
        driver.list_remote_services()
    assert sleeps == sorted(sleeps) and len(sleeps) == 3  # 3 pauses between 4 attempts, growing
    assert [c.attempt for c in call_log.calls] == [1, 2, 3, 4]
    assert all(c.status == 503 for c in call_log.calls)


def test_connection_refused_is_retried_for_reads_only(call_log: CallLog, sleeps: Sleeps) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    driver = driver_for(cp_config(url, call_log, sleeps))
    with pytest.raises(Unreachable):
        driver.list_remote_services()
    assert len(call_log.calls) == 3 and all(c.status is None for c in call_log.calls)


def test_dns_failure_is_not_retried(call_log: CallLog, sleeps: Sleeps) -> None:
    driver = driver_for(nc_config("https://nonexistent.invalid", call_log, sleeps))
    with pytest.raises(Unreachable, match="does not resolve"):
        driver.read_balance()
    assert len(call_log.calls) == 1


CHECKS = [
    ("dns", "vm", "http://nonexistent.invalid", {}, Stage.RESOLVE, Unreachable),
    ("refused", "cp", "closed-port", {}, Stage.CONNECT, Unreachable),
    ("tls", "cp", None, {"https": True}, Stage.TLS, TlsError),
    ("credentials", "nc", None, {"secret": WRONG_SECRET}, Stage.AUTHENTICATE, BadCredentials),
    ("html", "vm", None, {"fault": FaultKind.HTML, "path_prefix": "/vm/v3/cluster"}, Stage.API_VERSION,
     UnexpectedAnswer),
]


@pytest.mark.parametrize(("system", "url", "options", "stage", "expected"), [c[1:] for c in CHECKS],
                         ids=[c[0] for c in CHECKS])
def test_check_connection_never_raises_and_blames_one_stage(
    system: str, url: str | None, options: dict[str, Any], stage: Stage, expected: type[DriverError],
    call_log: CallLog, sleeps: Sleeps,
) -> None:
    with STARTERS[system](https=options.get("https", False)) as handle:
        if options.get("fault"):
            handle.set_fault(options["fault"], path_prefix=options.get("path_prefix", ""))
        case = Case("check", system, expected, url=url, secret=options.get("secret"))
        report = driver_for(build(case, handle, call_log, sleeps)).check_connection()
    assert not report.ok
    assert type(report.error) is expected
    failed = report.failed_stage
    assert failed is not None and failed.stage is stage
    after = [s for s in report.stages if list(Stage).index(s.stage) > list(Stage).index(stage)]
    assert all(s.outcome is StageOutcome.SKIPPED for s in after)
    assert failed.stage.value in report.summary
    assert_no_secrets(call_log, report.error, report.summary, *(s.message for s in report.stages))


def test_tls_check_with_ca_bundle_passes_the_tls_stage(call_log: CallLog, sleeps: Sleeps) -> None:
    with start_cpanel(https=True) as handle:
        report = driver_for(cp_config(handle.base_url, call_log, sleeps, ca_bundle=handle.ca_file)).check_connection()
    assert report.ok, report.summary
    tls = next(s for s in report.stages if s.stage is Stage.TLS)
    assert tls.outcome is StageOutcome.OK and "verified" in tls.message


def test_unreadable_ca_bundle_is_a_tls_error(cp: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    driver = driver_for(cp_config(cp.base_url, call_log, sleeps, ca_bundle="/nonexistent/ca.pem"))
    with pytest.raises(TlsError, match="CA bundle"):
        driver.list_remote_services()


def test_a_broken_recorder_does_not_break_the_call(cp: EmulatorHandle, sleeps: Sleeps) -> None:
    def explode(record: Any) -> None:
        raise RuntimeError("disk full")

    config = cp_config(cp.base_url, CallLog(), sleeps).with_changes(recorder=explode)
    assert driver_for(config).list_remote_services() == []


def test_an_answer_of_unforeseen_shape_is_a_typed_error(vm: EmulatorHandle, call_log: CallLog, sleeps: Sleeps) -> None:
    vm.state.clusters = [{"id": 1, "name": "x"}, "junk"]  # type: ignore[list-item]
    driver = driver_for(vm_config(vm.base_url, call_log, sleeps))
    assert [s.remote_id for s in driver.list_remote_services()] == []  # non-objects are skipped
    vm.state.os = "nonsense"  # type: ignore[assignment]
    with pytest.raises(UnexpectedAnswer):
        driver.update_configuration()
