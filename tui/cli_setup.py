"""`procmod datacenter|department|tariff|module ...`: setting procmod up from a script (Ansible, shell).

The same core services as the console (core/reference.py, core/lifecycle.py), with the same validation and
audit entries; the operator is `--operator` or the OS user. Output is a line of text, or JSON with `--json`.
Exit codes: 0 done, 1 refused (the reason on stderr, never a traceback), 2 usage (argparse).

Secrets (passwords, API tokens and keys) never come from argv, where `ps` and shell histories show them:
`--secret-env KEY=VARIABLE` reads an environment variable, `--secret-file KEY=PATH` a file.

Nothing heavy is imported until a command runs, so `procmod --help` stays quick.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

SETUP_COMMANDS = ("datacenter", "department", "tariff", "module")
EXIT_DONE, EXIT_REFUSED = 0, 1


class Refused(Exception):
    """A setup command cannot be carried out; the message says why (exit code 1)."""


# ---------------------------------------------------------------------------- the parser


def add_setup_commands(commands: Any) -> None:  # noqa: ANN401 - argparse's private subparsers action
    """Add the setup commands to `procmod`'s subcommands."""
    def leaf(parent: Any, name: str, help_text: str) -> argparse.ArgumentParser:  # noqa: ANN401
        parser = parent.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        return parser

    def listing(parent: Any, what: str) -> argparse.ArgumentParser:  # noqa: ANN401
        parser = leaf(parent, "list", f"list the {what}, a page at a time")
        parser.add_argument("--limit", type=_count, default=100, metavar="N", help="rows per page (default: 100)")
        parser.add_argument("--offset", type=_offset, default=0, metavar="N", help="rows to skip (default: 0)")
        parser.add_argument("--name", default="", metavar="TEXT", help="only names containing TEXT")
        return parser

    datacenter = commands.add_parser("datacenter", help="add or list data centers (scripted setup)",
                                     description="Data centers (Integration › Data centers).")
    actions = datacenter.add_subparsers(dest="setup_action", metavar="ACTION", required=True)
    add = leaf(actions, "add", "add a data center")
    add.add_argument("--name", required=True)
    add.add_argument("--code", help="short name, e.g. FRA1")
    add.add_argument("--location", help="city and country, or the address")
    add.add_argument("--external-id", help="its id in the external system")
    listing(actions, "data centers")

    department = commands.add_parser("department", help="add or list departments (scripted setup)",
                                     description="Departments (Provider › Departments).")
    actions = department.add_subparsers(dest="setup_action", metavar="ACTION", required=True)
    add = leaf(actions, "add", "add a department")
    add.add_argument("--name", required=True)
    add.add_argument("--email", help="the department's e-mail address")
    add.add_argument("--notify-email", help="where the modules' notifications go (default: --email)")
    add.add_argument("--description")
    listing(actions, "departments")

    tariff = commands.add_parser("tariff", help="add or list tariff plans (scripted setup)",
                                 description="Tariff plans (Products › Tariff plans).")
    actions = tariff.add_subparsers(dest="setup_action", metavar="ACTION", required=True)
    add = leaf(actions, "add", "add a tariff plan")
    add.add_argument("--name", required=True)
    add.add_argument("--product-type", required=True, metavar="CODE",
                     help="vds, vhost, dedic, domain, certificate, soft or backup")
    add.add_argument("--price", required=True, help="an amount such as 4.90")
    add.add_argument("--period", default="month", help="month, quarter, half_year, year or once (default: month)")
    add.add_argument("--status", default="active", help="active, disabled, archived or deleted (default: active)")
    add.add_argument("--description")
    add.add_argument("--module", action="append", default=[], metavar="MODULE[:PRIORITY]",
                     help="a processing module (name or id) that may serve it, with its sort priority "
                          "(default 100; the lowest is tried first); repeat for several")
    tariffs = listing(actions, "tariff plans")
    tariffs.add_argument("--module", metavar="MODULE", help="only tariffs linked to this module (name or id)")

    module = commands.add_parser("module", help="add a processing module (scripted setup)",
                                 description="Processing modules (Integration › Processing modules).")
    actions = module.add_subparsers(dest="setup_action", metavar="ACTION", required=True)
    add = leaf(actions, "add", "add a processing module; its connection is checked first, as in the wizard")
    add.add_argument("--type", required=True, dest="module_type", metavar="TYPE",
                     help="a module type key, e.g. cpanel (procmod module-types lists the installed ones)")
    add.add_argument("--product-type", metavar="CODE", help="default: the first the type serves")
    add.add_argument("--name", required=True)
    add.add_argument("--department", required=True, metavar="DEPARTMENT", help="name or id")
    add.add_argument("--datacenter", metavar="DATACENTER", help="name or id (types with data centers)")
    add.add_argument("--priority", default="100", help="sort priority (default: 100)")
    add.add_argument("--minimal-balance", help="a notification when the balance falls below it (types with balances)")
    add.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="settings",
                     help="a setting (not a secret); repeat for several")
    add.add_argument("--settings-file", metavar="FILE.toml", help="settings as a TOML table of key = value")
    add.add_argument("--secret-env", action="append", default=[], metavar="KEY=VARIABLE",
                     help="a secret setting read from an environment variable")
    add.add_argument("--secret-file", action="append", default=[], metavar="KEY=PATH",
                     help="a secret setting read from a file (one trailing newline removed)")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError("must be between 1 and 10000")
    return value


def _offset(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


# ---------------------------------------------------------------------------- running


def run_setup(args: argparse.Namespace) -> int:
    """Run one setup command; refusals are a message on stderr and exit code 1, never a traceback."""
    from procmod.core.errors import DeleteBlocked, NotFound
    from procmod.core.lifecycle import ConnectionCheckFailed, ReadOnly
    from procmod.core.validation import ValidationError

    handler: Callable[[Any, argparse.Namespace], Any] = _HANDLERS[(args.command, args.setup_action)]
    backend = None
    try:
        backend = _open(args)
        result = handler(backend, args)
    except ValidationError as invalid:
        return _refuse("; ".join(f"{_option(k)}: {v}" for k, v in invalid.errors.items()))
    except (Refused, NotFound, DeleteBlocked, ConnectionCheckFailed, ReadOnly) as refused:
        return _refuse(str(refused))
    except Exception as error:  # noqa: BLE001 - a database that cannot be reached, a bad URL: a message
        return _refuse(f"{type(error).__name__}: {error}")
    finally:
        if backend is not None:
            backend.close()
    _print(result, as_json=args.json)
    return EXIT_DONE


def _open(args: argparse.Namespace) -> Any:  # noqa: ANN401
    from procmod.core.backend import open_backend

    return open_backend(args.db, operator=args.operator)


def _refuse(message: str) -> int:
    print(f"procmod: {message}", file=sys.stderr)
    return EXIT_REFUSED


def _option(field: str) -> str:
    """A field key as the command line names it (`external_id` → `--external-id`)."""
    return "--" + field.replace("_", "-") if field else "error"


def _print(result: Any, *, as_json: bool) -> None:  # noqa: ANN401
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    elif isinstance(result, dict) and "rows" in result:
        for row in result["rows"]:
            print("  ".join(f"{k}={v}" for k, v in row.items() if v not in (None, "", [])))
        print(f"({result['position']})", file=sys.stderr)
    else:
        print(result["message"])


# ---------------------------------------------------------------------------- data centers, departments


def _add(kind: str, keys: tuple[str, ...]) -> Callable[[Any, argparse.Namespace], dict[str, Any]]:
    def add(backend: Any, args: argparse.Namespace) -> dict[str, Any]:  # noqa: ANN401
        from procmod.core.reference import ENTITIES

        spec = ENTITIES[kind]
        values = {key: getattr(args, key) for key in keys if getattr(args, key) is not None}
        record_id = backend.reference.create(spec, values)
        return {"id": record_id, "name": values["name"].strip(),
                "message": f"Added {spec.title.lower()} {values['name'].strip()} (#{record_id})"}
    return add


def _page(args: argparse.Namespace) -> Any:  # noqa: ANN401
    from procmod.core.dto import PageRequest

    return PageRequest(offset=args.offset, limit=args.limit)


def _listed(page: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: ANN401
    return {"rows": rows, "total": page.total, "total_is_lower_bound": page.total_is_lower_bound,
            "offset": page.offset, "position": page.position}


def _list_datacenters(backend: Any, args: argparse.Namespace) -> dict[str, Any]:  # noqa: ANN401
    page = backend.provider.datacenters(_page(args), text=args.name)
    return _listed(page, [{"id": r.id, "name": r.name, "code": r.code, "location": r.location,
                           "external_id": r.external_id, "modules": r.module_count} for r in page.rows])


def _list_departments(backend: Any, args: argparse.Namespace) -> dict[str, Any]:  # noqa: ANN401
    page = backend.provider.departments(_page(args), text=args.name)
    return _listed(page, [{"id": r.id, "name": r.name, "email": r.email, "notify_email": r.notify_email,
                           "modules": r.module_count} for r in page.rows])


# ---------------------------------------------------------------------------- references by name or id


def _module_id(backend: Any, text: str) -> int:  # noqa: ANN401
    from procmod.core.dto import ModuleFilter

    if text.isdigit():
        backend.modules.name(int(text))  # NotFound says it is gone
        return int(text)
    matches = [r for r in backend.modules.list(ModuleFilter(text=text)).rows if r.name.lower() == text.lower()]
    if len(matches) != 1:
        raise Refused(f"no processing module is named {text!r}" if not matches
                      else f"{len(matches)} processing modules are named {text!r}: give its id")
    return matches[0].id


def _option_id(options: list[Any], text: str, what: str) -> int:  # noqa: ANN401
    if text.isdigit() and any(o.value == text for o in options):
        return int(text)
    found = [o for o in options if o.label.lower() == text.strip().lower()]
    if not found:
        known = ", ".join(o.label for o in options[:20]) or "none yet"
        raise Refused(f"no {what} is named {text!r} (known: {known})")
    return int(found[0].value)


# ---------------------------------------------------------------------------- tariff plans


def _add_tariff(backend: Any, args: argparse.Namespace) -> dict[str, Any]:  # noqa: ANN401
    from procmod.core.reference import TARIFF, TariffLink

    links = []
    for given in args.module:
        name, _, priority = given.rpartition(":") if ":" in given else (given, "", "100")
        links.append(TariffLink(_module_id(backend, name), priority or "100"))  # type: ignore[arg-type]
    values = {"name": args.name, "product_type": args.product_type, "price": args.price, "period": args.period,
              "status": args.status, "description": args.description}
    tariff_id = backend.reference.create(TARIFF, values, links=links)
    return {"id": tariff_id, "name": args.name.strip(), "modules": [link.module_id for link in links],
            "message": f"Added tariff plan {args.name.strip()} (#{tariff_id})"}


def _list_tariffs(backend: Any, args: argparse.Namespace) -> dict[str, Any]:  # noqa: ANN401
    from procmod.core.dto import TariffFilter

    module_id = _module_id(backend, args.module) if args.module else None
    page = backend.tariffs.list(TariffFilter(text=args.name, module_id=module_id), _page(args))
    return _listed(page, [{"id": r.id, "name": r.name, "product_type": r.product_type_name,
                           "status": r.status.value, "price": str(r.price), "period": r.period,
                           "modules": r.module_names, "active_services": r.active_service_count}
                          for r in page.rows])


# ---------------------------------------------------------------------------- processing modules


def _add_module(backend: Any, args: argparse.Namespace) -> dict[str, Any]:  # noqa: ANN401
    from procmod.core.lifecycle import ModuleParams
    from procmod.core.moduletypes import MODULE_TYPES

    mtype = MODULE_TYPES.get(args.module_type)
    if mtype is None:
        raise Refused(f"--type: unknown module type {args.module_type!r} (known: {', '.join(MODULE_TYPES)})")
    settings = _settings(mtype, args)
    datacenters, departments = backend.provider.parameter_options()
    department = _option_id(departments, args.department, "department")
    datacenter = _option_id(datacenters, args.datacenter, "data center") if args.datacenter else None
    params = ModuleParams(name=args.name, department_id=department, datacenter_id=datacenter,
                          sort_priority=args.priority, minimal_balance=args.minimal_balance, settings=settings)
    product_type = args.product_type or mtype.product_types[0]
    module_id = backend.commands.create_module(product_type, mtype.key, params)
    return {"id": module_id, "name": args.name.strip(), "module_type": mtype.key, "product_type": product_type,
            "message": f"Added processing module {args.name.strip()} (#{module_id}); its connection check passed"}


def _settings(mtype: Any, args: argparse.Namespace) -> dict[str, Any]:  # noqa: ANN401
    """Settings from the TOML file, then `--set`, then the secrets from the environment or files."""
    from procmod.core.moduletypes import FieldKind

    values: dict[str, Any] = {}
    if args.settings_file:
        values.update(_toml(Path(args.settings_file)))
    for pair in args.settings:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise Refused(f"--set {pair!r}: expected KEY=VALUE")
        values[key.strip()] = value
    fields = {f.key: f for f in mtype.fields}
    for key, value in list(values.items()):
        field = fields.get(key)
        if field is not None and field.secret:
            raise Refused(f"{key} is a secret: pass it with --secret-env {key}=VARIABLE or --secret-file "
                          f"{key}=PATH, never on the command line or in the settings file")
        if field is not None and field.kind in (FieldKind.FLAG, FieldKind.SWITCH) and isinstance(value, str):
            values[key] = _boolean(key, value)
    for pair, read in [(p, _from_env) for p in args.secret_env] + [(p, _from_file) for p in args.secret_file]:
        key, sep, source = pair.partition("=")
        if not sep or not key.strip() or not source.strip():
            raise Refused(f"{pair!r}: expected KEY=VARIABLE or KEY=PATH")
        field = fields.get(key.strip())
        if field is None or not field.secret:
            secret_keys = ", ".join(f.key for f in mtype.fields if f.secret)
            raise Refused(f"{key.strip()!r} is not a secret of {mtype.title} (its secrets: {secret_keys})")
        values[field.key] = read(source.strip(), field.key)
    return values


def _boolean(key: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise Refused(f"--set {key}={text!r}: expected true or false")


def _toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise Refused(f"--settings-file: cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise Refused(f"--settings-file: {path} is not valid TOML: {error}") from None
    nested = [k for k, v in data.items() if isinstance(v, (dict, list))]
    if nested:
        raise Refused(f"--settings-file: {path}: settings are plain key = value pairs ({', '.join(nested)} is not)")
    return data


def _from_env(variable: str, key: str) -> str:
    value = os.environ.get(variable)
    if value is None:
        raise Refused(f"--secret-env {key}={variable}: the environment variable {variable} is not set")
    return value


def _from_file(path: str, key: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Refused(f"--secret-file {key}=…: cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
    return text.removesuffix("\n").removesuffix("\r")


_HANDLERS: dict[tuple[str, str], Callable[[Any, argparse.Namespace], Any]] = {
    ("datacenter", "add"): _add("datacenter", ("name", "code", "location", "external_id")),
    ("datacenter", "list"): _list_datacenters,
    ("department", "add"): _add("department", ("name", "email", "notify_email", "description")),
    ("department", "list"): _list_departments,
    ("tariff", "add"): _add_tariff,
    ("tariff", "list"): _list_tariffs,
    ("module", "add"): _add_module,
}
