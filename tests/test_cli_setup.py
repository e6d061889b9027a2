"""Scripted setup through the command line (tui/cli_setup.py), on SQLite and PostgreSQL: from an empty
database to a module selling a tariff, against the demo's cPanel emulator; refusals, exit codes, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from procmod.core.backend import open_backend
from procmod.core.reference import DATACENTER
from procmod.demo.emulators import start_cpanel
from procmod.demo.emulators.cpanel import CpanelState
from procmod.tui.cli import main
from tests.conftest import new_database_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_empty_database_to_a_module_selling_a_tariff(dialect: str, tmp_path: Path, request: pytest.FixtureRequest,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    url = new_database_url(dialect, tmp_path, request)
    db = ("--db", url, "--operator", "ansible")
    emulator = start_cpanel(https=True, state=CpanelState(api_token="SCRIPTEDTOKEN", packages=["starter"]))
    try:
        code, out, _ = run(capsys, *db, "datacenter", "add", "--name", "Frankfurt FRA1", "--code", "FRA1", "--json")
        assert code == 0 and json.loads(out)["name"] == "Frankfurt FRA1"
        code, out, _ = run(capsys, *db, "department", "add", "--name", "Technical support",
                           "--email", "support@hostco.example", "--json")
        assert code == 0
        token_file = tmp_path / "token"
        token_file.write_text("SCRIPTEDTOKEN\n")
        settings = tmp_path / "cpanel.toml"
        settings.write_text(f'host = "127.0.0.1"\nport = {emulator.port}\nca_bundle = "{emulator.ca_file}"\n')
        code, out, err = run(capsys, *db, "module", "add", "--type", "cpanel", "--name", "cPanel scripted",
                             "--department", "Technical support", "--settings-file", str(settings),
                             "--set", "verify_tls=true", "--secret-file", f"api_token={token_file}", "--json")
        assert code == 0, err
        module = json.loads(out)
        assert module["module_type"] == "cpanel" and module["product_type"] == "vhost"
        code, out, err = run(capsys, *db, "tariff", "add", "--name", "Hosting Start", "--product-type", "vhost",
                             "--price", "4.90", "--module", "cPanel scripted:10", "--json")
        assert code == 0, err
        code, out, _ = run(capsys, *db, "tariff", "list", "--module", "cPanel scripted", "--json")
        listed = json.loads(out)
        assert [(r["name"], r["modules"], r["price"], r["status"]) for r in listed["rows"]] == [
            ("Hosting Start", ["cPanel scripted"], "4.90", "active")]
        code, out, _ = run(capsys, *db, "datacenter", "list")
        assert code == 0 and "name=Frankfurt FRA1  code=FRA1" in out
    finally:
        emulator.stop()
    backend = open_backend(url, operator="check")
    try:
        card = backend.modules.card(module["id"])
        assert [t.name for t in card.tariffs] == ["Hosting Start"]
        assert "SCRIPTEDTOKEN" not in repr(card)
        assert backend.modules.history(module["id"]).rows[0].actor == "ansible"
        assert backend.reference.card(DATACENTER, 1).related[-1][1].startswith("1 change(s), the last by ansible")
    finally:
        backend.close()


@pytest.mark.parametrize("argv, words", [
    (("datacenter", "add", "--name", ""), "--name: Name is required"),
    (("department", "add", "--name", "Ops", "--notify-email", "ops"), "--notify-email: Notifications to must be"),
    (("tariff", "add", "--name", "T", "--product-type", "cars", "--price", "1"), "--product-type:"),
    (("tariff", "add", "--name", "T", "--product-type", "vds", "--price", "1"), "at least one processing module"),
    (("tariff", "add", "--name", "T", "--product-type", "vds", "--price", "1", "--module", "nope"),
     "no processing module is named 'nope'"),
    (("module", "add", "--type", "cpanel", "--name", "c", "--department", "Ops", "--set", "api_token=x"),
     "api_token is a secret"),
    (("module", "add", "--type", "ftp", "--name", "c", "--department", "Ops"), "unknown module type 'ftp'"),
    (("module", "add", "--type", "cpanel", "--name", "c", "--department", "Nobody"), "no department is named"),
    (("module", "add", "--type", "cpanel", "--name", "c", "--department", "Ops", "--set", "verify_tls=maybe"),
     "expected true or false"),
    (("module", "add", "--type", "cpanel", "--name", "c", "--department", "Ops", "--secret-env", "api_token=NOT_SET_X"),
     "NOT_SET_X is not set"),
])
def test_refusals_are_messages_with_exit_code_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                argv: tuple[str, ...], words: str) -> None:
    url = f"sqlite:///{tmp_path / 'refusals.db'}"
    assert run(capsys, "--db", url, "department", "add", "--name", "Ops")[0] == 0
    code, out, err = run(capsys, "--db", url, *argv)
    assert code == 1 and out == ""
    assert words in err and "Traceback" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["datacenter"], ["datacenter", "add"], ["tariff", "list", "--limit", "0"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
    capsys.readouterr()


def test_a_secret_settings_file_value_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'file.db'}"
    run(capsys, "--db", url, "department", "add", "--name", "Ops")
    settings = tmp_path / "s.toml"
    settings.write_text('host = "127.0.0.1"\napi_token = "in-a-file"\n')
    code, _, err = run(capsys, "--db", url, "module", "add", "--type", "cpanel", "--name", "c", "--department",
                       "Ops", "--settings-file", str(settings))
    assert code == 1 and "api_token is a secret" in err and "in-a-file" not in err
    settings.write_text("host = [")
    code, _, err = run(capsys, "--db", url, "module", "add", "--type", "cpanel", "--name", "c", "--department",
                       "Ops", "--settings-file", str(settings))
    assert code == 1 and "is not valid TOML" in err
