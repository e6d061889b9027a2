"""The conformance kit: one pytest suite every module type's driver passes against its own emulator.

A driver package (built-in or a plugin, see docs/module-types.md) subclasses `DriverConformance` in a test
module and gives it a `conformance_target` fixture returning a `ConformanceTarget`: how to build a driver
config for its emulator, how to make the emulator fail, and how to read what the emulator holds. The suite
then checks, for that type:

- the connection check reports each stage, and names the failing one (bad credentials, closed port, TLS);
- Update configuration is idempotent (planning twice reads the same plan and changes nothing);
- remote services are listed completely across pages, and reading them a page at a time
  (`iter_remote_services`) gives the same objects as `list_remote_services`, each with its key (the type's
  natural key where it declares one); a page that fails raises its typed error after the pages before it
  were given; an object listed twice is passed on twice and one without its key field is passed on with an
  empty natural key (reconciliation reports both; the driver drops nothing);
- open / suspend / resume / close do what they say on the panel (a type that cannot suspend or close raises
  `Unsupported`), and repeating each is safe, including
  after a timeout that lost the panel's reply (the retry finds what the first try did);
- the balance is read where the type declares one;
- the fault matrix (500, 503, 429 with Retry-After, a reply that never comes, garbage, bad credentials,
  TLS) ends in the typed error, within the call's deadline;
- no secret appears in any recorded call or error.

It imports pytest, so only test suites import it (`pytest_plugins` is not needed: subclassing is enough).
"""

from __future__ import annotations

import enum
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import pytest

from procmod.core.drivers import (
    BadCredentials,
    Balance,
    CallLog,
    Driver,
    DriverConfig,
    DriverError,
    PanelUnavailable,
    RemoteService,
    RemoteStatus,
    ServiceSpec,
    Stage,
    Timeout,
    TlsError,
    UnexpectedAnswer,
    Unreachable,
    Unsupported,
    driver_for,
)
from procmod.core.moduletypes import ModuleType, module_type

#: Slack over a config's deadline for "the typed error came within the deadline" (a busy CI machine).
DEADLINE_SLACK = 1.5


class Fault(enum.StrEnum):
    """What a target's emulator must be able to do to the next request(s)."""

    ERROR_500 = "500"
    ERROR_503 = "503"
    ERROR_429 = "429"  # with a Retry-After header
    GARBAGE = "garbage"  # a 200 whose body does not parse
    NO_REPLY = "no_reply"  # accept the request, never answer within the read timeout


class ConformanceTarget(ABC):
    """A driver's emulator, as the kit drives it. Configs use short timeouts and a recorder the kit reads."""

    #: The module type's key (its entry point name).
    module_type: str

    @abstractmethod
    def config(self, recorder: CallLog, **changes: Any) -> DriverConfig:
        """A config that reaches the healthy emulator with the right credentials."""

    @abstractmethod
    def config_with_bad_credentials(self, recorder: CallLog) -> DriverConfig:
        """The same, with a wrong password / token / key."""

    @abstractmethod
    def config_without_trust(self, recorder: CallLog) -> DriverConfig:
        """The same, verifying TLS without the emulator's CA: the handshake must fail."""

    @abstractmethod
    def config_to_closed_port(self, recorder: CallLog) -> DriverConfig:
        """The same, pointed at a loopback port nothing listens on."""

    @abstractmethod
    def fail(self, fault: Fault, times: int | None = None) -> None:
        """Make the next `times` requests (every request when None) meet `fault`."""

    @abstractmethod
    def lose_the_next_open_reply(self) -> None:
        """The next request that creates a service is carried out on the panel, but its reply comes only
        after the read timeout (the driver sees a timeout; the service exists)."""

    @abstractmethod
    def clear_faults(self) -> None: ...

    # Optional: a target that cannot do these has the tests that need them skipped, saying so.

    def fail_page(self, page: int) -> None:
        """Make every read of page `page` (1-based) of the service list fail with HTTP 500."""
        raise NotImplementedError

    def list_twice(self, remote_id: str) -> None:
        """From now on the panel's service list shows this object twice (a list changing while it is read)."""
        raise NotImplementedError

    def list_without_key(self, remote_id: str) -> None:
        """From now on the panel's service list shows this object without its natural key's field."""
        raise NotImplementedError

    @abstractmethod
    def new_service(self, index: int) -> ServiceSpec:
        """A service to open, distinct for each index (a host name, an account, a domain)."""

    @abstractmethod
    def remote_status(self, remote_id: str) -> RemoteStatus | None:
        """What the emulator holds for a remote id: ACTIVE, SUSPENDED, or None when it has nothing."""

    @abstractmethod
    def remote_count(self) -> int:
        """How many services the emulator holds (a retry must not have made a second one)."""

    @property
    def secrets(self) -> tuple[str, ...]:
        """Secret values that must never appear in a recorded call or an error (the config's by default)."""
        return self.config(CallLog()).secret_values


class DriverConformance:
    """The suite. Subclass it in a test module and provide a `conformance_target` fixture."""

    # ------------------------------------------------------------------ helpers

    @pytest.fixture()
    def calls(self) -> CallLog:
        return CallLog()

    @pytest.fixture()
    def target(self, conformance_target: ConformanceTarget, calls: CallLog) -> Iterator[ConformanceTarget]:
        yield conformance_target
        conformance_target.clear_faults()
        for record in calls.calls:  # every test: nothing secret in what was recorded
            text = repr(record)
            for secret in conformance_target.secrets:
                assert secret not in text, f"a secret reached the call log: {text}"

    @staticmethod
    def driver(target: ConformanceTarget, calls: CallLog, **changes: Any) -> Driver:
        return driver_for(target.config(calls, **changes))

    @staticmethod
    def description(target: ConformanceTarget) -> ModuleType:
        return module_type(target.module_type)

    @staticmethod
    def assert_secret_free(target: ConformanceTarget, error: BaseException) -> None:
        for text in (str(error), repr(error), str(getattr(error, "hint", ""))):
            for secret in target.secrets:
                assert secret not in text, f"a secret reached an error: {text}"

    # ------------------------------------------------------------------ check connection

    def test_check_connection_passes_every_stage(self, target: ConformanceTarget, calls: CallLog) -> None:
        with self.driver(target, calls) as driver:
            report = driver.check_connection()
        assert report.ok, report.summary
        assert report.stages and all(stage.ok for stage in report.stages if stage.outcome.value != "skipped")

    def test_check_connection_names_bad_credentials(self, target: ConformanceTarget, calls: CallLog) -> None:
        with driver_for(target.config_with_bad_credentials(calls)) as driver:
            report = driver.check_connection()
        assert not report.ok and report.failed_stage is not None
        assert report.failed_stage.stage is Stage.AUTHENTICATE, report.summary
        assert isinstance(report.error, BadCredentials)
        self.assert_secret_free(target, report.error)

    def test_check_connection_names_a_closed_port(self, target: ConformanceTarget, calls: CallLog) -> None:
        with driver_for(target.config_to_closed_port(calls)) as driver:
            report = driver.check_connection()
        assert not report.ok and report.failed_stage is not None
        assert report.failed_stage.stage is Stage.CONNECT, report.summary
        assert isinstance(report.error, Unreachable)

    def test_check_connection_names_an_untrusted_certificate(self, target: ConformanceTarget,
                                                             calls: CallLog) -> None:
        with driver_for(target.config_without_trust(calls)) as driver:
            report = driver.check_connection()
        assert not report.ok and report.failed_stage is not None
        assert report.failed_stage.stage is Stage.TLS, report.summary
        assert isinstance(report.error, TlsError)

    # ------------------------------------------------------------------ configuration, listing, balance

    def test_update_configuration_is_idempotent(self, target: ConformanceTarget, calls: CallLog) -> None:
        with self.driver(target, calls) as driver:
            first = driver.update_configuration()
            second = driver.update_configuration()
        assert first == second
        settings = first.apply(dict(target.config(CallLog()).settings))
        assert first.apply(settings) == settings  # applying twice is applying once
        with self.driver(target, calls, settings=settings) as driver:
            assert driver.update_configuration().is_empty  # re-planning after it finds nothing

    def test_remote_services_are_listed_across_pages(self, target: ConformanceTarget, calls: CallLog) -> None:
        with self.driver(target, calls, page_size=2) as driver:
            opened = {driver.open_service(target.new_service(i)).remote_id for i in range(5)}
            listed = driver.list_remote_services()
        ids = [service.remote_id for service in listed]
        assert len(ids) == len(set(ids)), "a service was listed twice"
        assert opened <= set(ids) and len(ids) == target.remote_count()

    @staticmethod
    def open_some(target: ConformanceTarget, driver: Driver, count: int = 5, first: int = 300) -> set[str]:
        return {driver.open_service(target.new_service(first + i)).remote_id for i in range(count)}

    @staticmethod
    def read_pages(driver: Driver, page_size: int = 2) -> tuple[list[list[RemoteService]], DriverError | None]:
        """The pages read before the iteration ended, and the error that ended it (None: it ended well)."""
        pages: list[list[RemoteService]] = []
        try:
            for page in driver.iter_remote_services(page_size):
                pages.append(list(page))
        except DriverError as error:
            return pages, error
        return pages, None

    def test_paged_reading_gives_what_the_list_gives(self, target: ConformanceTarget, calls: CallLog) -> None:
        with self.driver(target, calls, page_size=2) as driver:
            opened = self.open_some(target, driver)
            listed = driver.list_remote_services()
            pages, error = self.read_pages(driver)
        assert error is None, error
        paged = [service for page in pages for service in page]
        assert sorted(paged, key=repr) == sorted(listed, key=repr)
        assert opened <= {service.remote_id for service in paged}

    def test_each_object_is_named_by_its_natural_key(self, target: ConformanceTarget, calls: CallLog) -> None:
        declares_one = self.description(target).natural_key != "remote id"
        with self.driver(target, calls, page_size=2) as driver:
            opened = self.open_some(target, driver)
            listed = [service for service in driver.list_remote_services() if service.remote_id in opened]
        assert len(listed) == len(opened)
        for service in listed:
            assert service.key, f"{service} has no key"
            if declares_one:
                assert service.natural_key, f"{service} has no {self.description(target).natural_key}"

    def test_a_failing_page_raises_after_the_pages_before_it(self, target: ConformanceTarget,
                                                             calls: CallLog) -> None:
        with self.driver(target, calls, page_size=2) as driver:
            self.open_some(target, driver)
            healthy, _ = self.read_pages(driver)
            failing = 2 if len(healthy) >= 2 else 1  # a type whose list is one page fails on that page
            try:
                target.fail_page(failing)
            except NotImplementedError:
                pytest.skip("the target cannot fail one page of the list (ConformanceTarget.fail_page)")
            pages, error = self.read_pages(driver)
        assert isinstance(error, PanelUnavailable), error
        assert pages == healthy[: failing - 1], "the pages before the failing one were not given first"
        self.assert_secret_free(target, error)

    def test_an_object_listed_twice_is_passed_on_twice(self, target: ConformanceTarget, calls: CallLog) -> None:
        with self.driver(target, calls, page_size=2) as driver:
            opened = sorted(self.open_some(target, driver, count=3))
            try:
                target.list_twice(opened[0])
            except NotImplementedError:
                pytest.skip("the target cannot list an object twice (ConformanceTarget.list_twice)")
            pages, error = self.read_pages(driver)
        assert error is None, error
        ids = [service.remote_id for page in pages for service in page]
        assert ids.count(opened[0]) == 2 and all(ids.count(other) == 1 for other in opened[1:])

    def test_an_object_without_its_key_is_passed_on(self, target: ConformanceTarget, calls: CallLog) -> None:
        with self.driver(target, calls, page_size=2) as driver:
            opened = sorted(self.open_some(target, driver, count=3))
            try:
                target.list_without_key(opened[0])
            except NotImplementedError:
                pytest.skip("the target cannot list an object without its key (ConformanceTarget.list_without_key)")
            pages, error = self.read_pages(driver)
        assert error is None, error
        listed = [service for page in pages for service in page]
        assert len(listed) == target.remote_count(), "an object without its key was dropped"
        assert sum(1 for service in listed if not service.natural_key) >= 1
        assert {service.natural_key for service in listed if service.remote_id in opened[1:]} != {""}

    def test_balance_is_read_where_the_type_reports_one(self, target: ConformanceTarget, calls: CallLog) -> None:
        with self.driver(target, calls) as driver:
            if self.description(target).reports_balance:
                balance = driver.read_balance()
                assert isinstance(balance, Balance) and balance.currency
            else:
                try:
                    assert driver.read_balance() is None
                except Unsupported:
                    pass

    # ------------------------------------------------------------------ service operations

    def test_open_suspend_resume_close_and_each_again(self, target: ConformanceTarget, calls: CallLog) -> None:
        spec = target.new_service(100)
        with self.driver(target, calls) as driver:
            opened = driver.open_service(spec)
            assert target.remote_status(opened.remote_id) is RemoteStatus.ACTIVE
            again = driver.open_service(spec)
            assert again.already_existed and again.remote_id == opened.remote_id
            assert target.remote_count() == 1
            if self.description(target).suspends_services:
                driver.suspend_service(opened.remote_id)
                driver.suspend_service(opened.remote_id)
                assert target.remote_status(opened.remote_id) is RemoteStatus.SUSPENDED
                driver.resume_service(opened.remote_id)
                driver.resume_service(opened.remote_id)
                assert target.remote_status(opened.remote_id) is RemoteStatus.ACTIVE
            else:
                with pytest.raises(Unsupported):
                    driver.suspend_service(opened.remote_id)
            try:
                driver.close_service(opened.remote_id)
            except Unsupported:  # e.g. a registrar: a registration cannot be deleted, only left to expire
                return
            assert target.remote_status(opened.remote_id) is None
            driver.close_service(opened.remote_id)  # already gone: still done
        assert target.remote_count() == 0

    def test_an_open_retried_after_a_lost_reply_finds_the_first(self, target: ConformanceTarget,
                                                               calls: CallLog) -> None:
        spec = target.new_service(200)
        with self.driver(target, calls, max_attempts=1) as driver:
            target.lose_the_next_open_reply()
            with pytest.raises(DriverError):
                driver.open_service(spec)
            target.clear_faults()
            retried = driver.open_service(spec)
        assert retried.already_existed, "the retry did the work again"
        assert target.remote_count() == 1
        # The first try's object: ready, or still being made by the panel's own task.
        assert target.remote_status(retried.remote_id) in (RemoteStatus.ACTIVE, RemoteStatus.PENDING)
        assert retried.status in (RemoteStatus.ACTIVE, RemoteStatus.PENDING)

    # ------------------------------------------------------------------ the fault matrix

    @pytest.mark.parametrize("fault, expected", [
        (Fault.ERROR_500, PanelUnavailable),
        (Fault.ERROR_503, PanelUnavailable),
        (Fault.ERROR_429, PanelUnavailable),
        (Fault.NO_REPLY, Timeout),
        (Fault.GARBAGE, UnexpectedAnswer),
    ])
    def test_a_failing_panel_gives_the_typed_error_within_the_deadline(
            self, target: ConformanceTarget, calls: CallLog, fault: Fault, expected: type[DriverError]) -> None:
        config = target.config(calls)
        target.fail(fault)
        started = time.monotonic()
        with driver_for(config) as driver, pytest.raises(expected) as raised:
            driver.list_remote_services()
        assert time.monotonic() - started <= config.deadline + DEADLINE_SLACK
        self.assert_secret_free(target, raised.value)

    @pytest.mark.parametrize("fault", [Fault.ERROR_503, Fault.ERROR_429])
    def test_a_passing_failure_is_retried(self, target: ConformanceTarget, calls: CallLog, fault: Fault) -> None:
        with self.driver(target, calls) as driver:
            target.fail(fault, times=1)
            driver.list_remote_services()
        assert any(record.attempt > 1 for record in calls.calls), "the failed call was not retried"

    def test_bad_credentials_give_the_typed_error(self, target: ConformanceTarget, calls: CallLog) -> None:
        with driver_for(target.config_with_bad_credentials(calls)) as driver, \
                pytest.raises(BadCredentials) as raised:
            driver.list_remote_services()
        self.assert_secret_free(target, raised.value)
