"""The write side: add, edit (optimistic), enable/disable, guarded delete, tariff links, schedules, audit."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from procmod.core.backend import Backend
from procmod.core.dto import ModuleFilter, ModuleStatus, ServiceFilter, ServiceStatus, TariffFilter, TariffStatus
from procmod.core.lifecycle import (
    CheckOutcome,
    Conflict,
    ConnectionCheckFailed,
    DeleteBlocked,
    ModuleParams,
    ReadOnly,
    next_run_times,
    validate_cron,
)
from procmod.core.queries import NotFound
from procmod.core.validation import ValidationError
from procmod.storage.models import AuditEntry, BackgroundTask, ProcessingModule, TaskRun
from procmod.storage.enums import RunResult


def mid(backend: Backend, name: str) -> int:
    return next(r.id for r in backend.modules.list(ModuleFilter(text=name)).rows if r.name == name)


def audit(backend: Backend, action: str) -> list[AuditEntry]:
    with backend.db.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


CPANEL_PARAMS = ModuleParams(
    name="cPanel shared-04", department_id=2, sort_priority="15",
    settings={"host": "web04.hostco.example", "port": "2087", "whm_user": "root", "api_token": "TOKEN-SECRET-1",
              "verify_tls": True, "default_package": "hostco_standard", "nameserver1": "ns1.hostco.example"},
)


class TestCreate:
    def test_create_saves_module_tasks_and_masked_audit(self, backend: Backend) -> None:
        calls = []
        backend.commands.checker = lambda t, s, sec: calls.append((t, s, sec)) or CheckOutcome(True, "ok")
        new_id = backend.commands.create_module("vhost", "cpanel", CPANEL_PARAMS)
        card = backend.modules.card(new_id)
        assert card.name == "cPanel shared-04" and card.sort_priority == 15 and card.status is ModuleStatus.ENABLED
        assert {t.name for t in card.tasks} == {"Connection check", "Service sync"}
        assert calls[0][2] == {"api_token": "TOKEN-SECRET-1"} and calls[0][1]["port"] == 2087
        entry = audit(backend, "create")[-1]
        assert entry.actor == "tester" and entry.after["api_token"] == "••••••"
        assert "TOKEN-SECRET-1" not in repr(entry.after)

    def test_failed_check_saves_nothing(self, backend: Backend) -> None:
        backend.commands.checker = lambda *a: CheckOutcome(False, "WHM answered 403 Forbidden", "authenticate")
        before = backend.modules.list().total
        with pytest.raises(ConnectionCheckFailed, match="authenticate.*403.*Nothing was saved"):
            backend.commands.create_module("vhost", "cpanel", CPANEL_PARAMS)
        assert backend.modules.list().total == before

    def test_invalid_input_lists_every_field(self, backend: Backend) -> None:
        bad = ModuleParams(name=" ", department_id=None, sort_priority="-5",
                           settings={"host": "not a host", "port": "70000", "api_token": ""})
        with pytest.raises(ValidationError) as caught:
            backend.commands.create_module("vhost", "cpanel", bad)
        assert set(caught.value.errors) >= {"name", "department_id", "sort_priority", "host", "port", "api_token"}
        with pytest.raises(ValidationError, match="does not serve"):
            backend.commands.create_module("domain", "cpanel", CPANEL_PARAMS)

    def test_vmmanager_needs_a_datacenter(self, backend: Backend) -> None:
        params = ModuleParams(name="VM x", department_id=1, settings={
            "url": "https://vm.example.com", "email": "a@b.example", "password": "pw", "cluster": "c1"})
        with pytest.raises(ValidationError) as caught:
            backend.commands.create_module("vds", "vmmanager6", params)
        assert set(caught.value.errors) == {"datacenter_id"}


class TestEdit:
    def test_edit_keeps_blank_secret_and_bumps_version(self, backend: Backend) -> None:
        module_id = mid(backend, "cPanel shared-01")
        form = backend.commands.edit_form(module_id)
        assert form.secrets_set == {"api_token"} and "api_token" not in form.params.settings
        params = ModuleParams(**{**form.params.__dict__, "name": "cPanel shared-01 (EU)",
                                 "settings": {**form.params.settings, "api_token": ""}})
        version = backend.commands.update_module(module_id, form.version, params)
        assert version == form.version + 1
        card = backend.modules.card(module_id)
        assert card.name == "cPanel shared-01 (EU)" and card.updated_by == "tester"
        assert {v.key: v.display for g in card.settings for v in g.values}["api_token"] == "•••••• (set)"
        entry = audit(backend, "edit")[-1]
        assert entry.before == {"name": "cPanel shared-01"} and entry.after == {"name": "cPanel shared-01 (EU)"}

    def test_second_save_from_the_same_version_is_refused_with_who_and_when(self, backend: Backend) -> None:
        module_id = mid(backend, "cPanel shared-02")
        form = backend.commands.edit_form(module_id)
        first = ModuleParams(**{**form.params.__dict__, "name": "by first"})
        second = ModuleParams(**{**form.params.__dict__, "name": "by second"})
        backend.commands.update_module(module_id, form.version, first)
        with pytest.raises(Conflict, match=r"Changed by tester at 2026-11-26 09:30"):
            backend.commands.update_module(module_id, form.version, second)
        assert backend.modules.card(module_id).name == "by first"

    def test_invalid_edit_changes_nothing(self, backend: Backend) -> None:
        module_id = mid(backend, "Namecheap main")
        form = backend.commands.edit_form(module_id)
        bad = ModuleParams(**{**form.params.__dict__, "minimal_balance": "-1",
                              "settings": {**form.params.settings, "client_ip": "300.1.1.1"}})
        with pytest.raises(ValidationError) as caught:
            backend.commands.update_module(module_id, form.version, bad)
        assert set(caught.value.errors) == {"minimal_balance", "client_ip"}
        assert backend.commands.edit_form(module_id).version == form.version


class TestEnableDisableDelete:
    def test_disable_and_enable_are_audited(self, backend: Backend) -> None:
        module_id = mid(backend, "VM Frankfurt 2")
        backend.commands.set_module_enabled(module_id, False)
        assert backend.modules.card(module_id).status is ModuleStatus.DISABLED
        backend.commands.set_module_enabled(module_id, True)
        assert [e.action for e in audit(backend, "disable") + audit(backend, "enable")] == ["disable", "enable"]

    def test_delete_lists_every_blocker(self, backend: Backend) -> None:
        module_id = mid(backend, "VM Frankfurt 1")  # links, active services and a sync in progress
        kinds = {b.kind: b.count for b in backend.commands.delete_blockers(module_id)}
        assert set(kinds) == {"tariffs", "active_services", "other_services", "tasks_in_progress"}
        assert kinds["tasks_in_progress"] == 1
        with pytest.raises(DeleteBlocked):
            backend.commands.delete_module(module_id)
        assert backend.modules.card(module_id).name == "VM Frankfurt 1"

    def test_delete_succeeds_once_every_blocker_is_fixed(self, backend: Backend) -> None:
        module_id = mid(backend, "cPanel legacy")
        clear_blockers(backend, module_id)
        assert backend.commands.delete_blockers(module_id) == []
        backend.commands.delete_module(module_id)
        with pytest.raises(NotFound):
            backend.modules.card(module_id)
        assert audit(backend, "delete")[-1].summary == "Deleted cPanel legacy"

    def test_disabled_module_takes_no_new_services(self, backend: Backend) -> None:
        module_id = mid(backend, "cPanel legacy")
        service = backend.services.list(ServiceFilter(module_id=module_id, status=ServiceStatus.SUSPENDED)).rows[0]
        with pytest.raises(ValidationError, match="disabled"):
            backend.commands.activate_service(service.id)


def clear_blockers(backend: Backend, module_id: int) -> None:
    """What an operator does before deleting: re-link or disable tariffs, close services, finish tasks."""
    for tariff in backend.tariffs.list(TariffFilter(module_id=module_id)).rows:
        if tariff.status is TariffStatus.ACTIVE:
            backend.commands.set_tariff_status(tariff.id, TariffStatus.DISABLED)
        backend.commands.set_tariff_modules(tariff.id, [])
    with backend.db.write() as session:
        from procmod.storage.models import Service
        from sqlalchemy import update

        session.execute(update(Service).where(Service.module_id == module_id).values(status=ServiceStatus.DELETED))
        session.execute(update(TaskRun).where(TaskRun.result == RunResult.IN_PROGRESS, TaskRun.task_id.in_(
            select(BackgroundTask.id).where(BackgroundTask.module_id == module_id))).values(result=RunResult.SUCCESSFUL))


class TestTariffs:
    def test_relink_to_several_modules_of_the_same_product_type(self, backend: Backend) -> None:
        tariff = backend.tariffs.list(TariffFilter(text="Hosting Business")).rows[0]
        targets = [mid(backend, "cPanel shared-02"), mid(backend, "cPanel reseller")]
        backend.commands.set_tariff_modules(tariff.id, targets)
        assert sorted(backend.tariffs.list(TariffFilter(tariff_id=tariff.id)).rows[0].module_names) == [
            "cPanel reseller", "cPanel shared-02"]
        assert audit(backend, "relink")[-1].after == {"module_ids": sorted(targets)}

    def test_active_tariff_cannot_be_left_without_modules_nor_linked_across_types(self, backend: Backend) -> None:
        tariff = backend.tariffs.list(TariffFilter(text="Hosting Lite")).rows[0]
        with pytest.raises(ValidationError, match="at least one"):
            backend.commands.set_tariff_modules(tariff.id, [])
        with pytest.raises(ValidationError, match="does not serve|do\\(es\\) not serve"):
            backend.commands.set_tariff_modules(tariff.id, [mid(backend, "Namecheap main")])
        backend.commands.set_tariff_status(tariff.id, TariffStatus.DISABLED)
        backend.commands.set_tariff_modules(tariff.id, [])
        with pytest.raises(ValidationError, match="before enabling"):
            backend.commands.set_tariff_status(tariff.id, TariffStatus.ACTIVE)


class TestSchedules:
    def test_invalid_cron_is_refused_with_the_reason(self, backend: Backend) -> None:
        for bad, reason in [("*/15 * * *", "five fields"), ("61 * * * *", "Invalid cron"), ("", "required"),
                            ("* * * * * *", "five fields"), ("*/0 * * * *", "Invalid cron")]:
            with pytest.raises(ValidationError, match=reason):
                validate_cron(bad)

    def test_schedule_change_and_next_runs(self, backend: Backend) -> None:
        with backend.db.sessions() as session:
            task_id = session.scalar(select(func.min(BackgroundTask.id)))
        backend.commands.set_task_schedule(task_id, "  0   */2 * * * ", enabled=False)
        with backend.db.sessions() as session:
            task = session.get(BackgroundTask, task_id)
        assert (task.schedule, task.enabled) == ("0 */2 * * *", False)
        assert task.next_run_at == datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)  # recomputed from now
        assert backend.tasks.list().rows[0].schedule_in_words
        after = datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)
        assert [t.hour for t in next_run_times("0 */2 * * *", after)] == [10, 12, 14]

    def test_next_runs_across_a_dst_change_in_the_module_zone(self) -> None:
        after = datetime(2026, 3, 28, 12, 0, tzinfo=timezone.utc)  # Europe/Berlin springs forward on the 29th
        runs = next_run_times("0 3 * * *", after, 2, tz="Europe/Berlin")
        assert [r.isoformat() for r in runs] == ["2026-03-29T01:00:00+00:00", "2026-03-30T01:00:00+00:00"]


def test_read_only_refuses_every_change(backend: Backend) -> None:
    backend.commands.read_only = True
    module_id = mid(backend, "VM Frankfurt 2")
    for call in (lambda: backend.commands.set_module_enabled(module_id, False),
                 lambda: backend.commands.delete_module(module_id),
                 lambda: backend.commands.create_module("vhost", "cpanel", CPANEL_PARAMS)):
        with pytest.raises(ReadOnly):
            call()
    with backend.db.sessions() as session:
        assert session.get(ProcessingModule, module_id).status is ModuleStatus.ENABLED


def test_a_failed_check_reads_as_sentences_whatever_the_drivers_reason_ends_with() -> None:
    """A driver's reason ends with its own full stop: the refusal still reads `… refused). Nothing was saved.`"""
    for reason in ("Nothing accepts connections at 127.0.0.1:1 (connection refused).", "timed out"):
        message = str(ConnectionCheckFailed(CheckOutcome(False, reason, "Connect")))
        assert ".." not in message and message.endswith(". Nothing was saved.")
