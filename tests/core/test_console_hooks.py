"""Core hooks the console needs: "Update configuration" (the connection checker on a saved module) and
the choices of a tariff's Modules dialog."""

from __future__ import annotations

import pytest

from procmod.core.backend import Backend
from procmod.core.lifecycle import CheckOutcome
from procmod.core.queries import NotFound


def test_no_checker_configured_answers_none(backend: Backend) -> None:
    module_id = backend.modules.list().rows[0].id
    backend.commands.checker = None
    assert backend.commands.check_module_connection(module_id) is None


def test_checker_gets_the_saved_settings_and_secrets(backend: Backend) -> None:
    module_id = backend.modules.list().rows[0].id
    form = backend.commands.edit_form(module_id)
    calls = []
    backend.commands.checker = lambda t, s, sec: calls.append((t, s, sec)) or CheckOutcome(False, "refused", "tls")
    outcome = backend.commands.check_module_connection(module_id)
    assert outcome == CheckOutcome(False, "refused", "tls")
    type_key, settings, secrets = calls[0]
    assert type_key == form.module_type and set(secrets) == set(form.secrets_set)
    assert all(settings.get(k) == v for k, v in form.params.settings.items() if k in settings)


def test_missing_module_is_not_found(backend: Backend) -> None:
    with pytest.raises(NotFound):
        backend.commands.check_module_connection(999_999)


def test_module_choices_of_a_tariff_are_its_product_types_modules(backend: Backend) -> None:
    tariff = next(t for t in backend.tariffs.list().rows if t.module_names)
    choices = backend.tariffs.module_choices(tariff.id)
    linked = [o.label for o, on in choices if on]
    assert sorted(linked) == sorted(tariff.module_names)
    products = {r.product_type_name for r in backend.modules.list().rows if r.name in {o.label for o, _ in choices}}
    assert products == {tariff.product_type_name}
    with pytest.raises(NotFound):
        backend.tariffs.module_choices(999_999)
