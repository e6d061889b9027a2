"""DCImanager 6 (ISPsystem's dedicated-server platform, the same family as VMmanager 6) over its REST API.

What the driver relies on:

- a session token from `POST /auth/v4/public/token` ({"email", "password"} → {"token"}), sent back as the
  `x-xsrf-token` header with `isp-box-instance: true` (DCImanager 6 "Examples of API use");
- servers listed by `GET /dci/v3/server` as {"list": [...], "size": total}, paged with `limit=offset,count`
  and filtered with `where=` (`owner_email IS null`, `is_new EQ false`, `configuration EQ '…'`,
  `location_id EQ n`); each server carries `domain`, `configuration`, `owner_email`, `power_status`,
  `os_template` and its current `operation` {id, status, status_info};
- `GET /dci/v3/server/configuration` → the configurations and how many servers of each are free;
- power by `POST /dci/v3/server/{id}/power_on` / `power_off` (an empty JSON body);
- errors as {"error": {"code", "msg", "value"}}, code 3001 for a refused login, 4004 for a missing object.

Opening a service takes a free server of the tariff's configuration in the module's location: it names
the server after the service (`domain`), assigns it to the owner account, and installs the OS, an
operation polled on the server until it completes or fails. Suspending powers the server off, resuming
powers it on, closing powers it off and releases it (no owner, no name) back to the free pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from procmod.core.drivers.base import (
    Balance,
    ConfigChange,
    ConfigPlan,
    RemoteService,
    RemoteStatus,
    ServiceResult,
    ServiceSpec,
)
from procmod.core.drivers.errors import BadCredentials, PanelRefused, PanelUnavailable, Timeout, UnexpectedAnswer
from procmod.core.drivers.http import Answer, HttpDriver, decode_json, guarded, guarded_pages

UNAUTHORIZED = 3001
NOT_FOUND = 4004
MAX_PAGES = 10_000
RUNNING = ("created", "running", "in_progress")


def quoted(value: str) -> str:
    """A value inside a `where=` filter: single quotes are not allowed in it."""
    if "'" in value:
        raise PanelRefused(f"{value!r} cannot be searched for: it contains a quote.", operation="search")
    return f"'{value}'"


class DcimanagerDriver(HttpDriver):
    module_type = "dcimanager6"
    system = "DCImanager"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._token: str | None = None

    def base_url(self) -> str:
        url = str(self.config.base_url or self.config.setting("url", "")).rstrip("/")
        return url[: -len("/api")] if url.endswith("/api") else url

    # --- plumbing -----------------------------------------------------------------------------------

    def _decode(self, answer: Answer, operation: str) -> Any:
        if answer.status >= 500 and not answer.body.lstrip().startswith(b"{"):
            raise PanelUnavailable(f"DCImanager at {self.http.host} failed with HTTP {answer.status}.",
                                   operation=operation, hint="Try again later; check the platform's logs.",
                                   code=answer.status)
        payload = decode_json(answer, self.system, self.http.host)
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(error, dict):
            code, message = error.get("code"), str(error.get("msg") or "no reason given")
            if code == UNAUTHORIZED:
                raise BadCredentials(f"DCImanager at {self.http.host} refused the login (error {code}: {message}).",
                                     operation=operation,
                                     hint="Check the e-mail and the password in the module's settings.")
            value = f" ({error.get('value')})" if error.get("value") not in (None, "") else ""
            raise PanelRefused(f"DCImanager refused {operation}: {message}{value} [code {code}]", operation=operation,
                               code=code)
        if answer.status >= 400:
            raise PanelRefused(f"DCImanager refused {operation} with HTTP {answer.status}.", operation=operation,
                               code=answer.status)
        return payload

    def _login(self) -> str:
        payload = self.http.request(
            "authenticate", "POST", "/api/auth/v4/public/token",
            json_body={"email": self.config.setting("email", ""), "password": self.config.secret("password")},
            idempotent=True, decode=lambda answer: self._decode(answer, "authenticate"))
        token = payload.get("token") if isinstance(payload, dict) else None
        if not token:
            raise UnexpectedAnswer(f"DCImanager at {self.http.host} answered the login without a token.")
        self._token = str(token)
        return self._token

    def _call(self, operation: str, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> Any:
        fresh = self._token is None
        token = self._token or self._login()

        def send(token: str) -> Any:
            return self.http.request(operation, method, "/api" + path, idempotent=idempotent,
                                     headers={"x-xsrf-token": token, "isp-box-instance": "true"},
                                     decode=lambda answer: self._decode(answer, operation), **kwargs)

        try:
            return send(token)
        except BadCredentials:
            if fresh:
                raise
            self._token = None  # the session expired: log in again once
            return send(self._login())

    def _pages(self, what: str, where: str | None = None, *, count: int | None = None,
               first_only: bool = False) -> Iterator[list[dict[str, Any]]]:
        """A list a page at a time, as DCImanager 6 pages: `limit=<offset>,<count>` in a stable `orderby=id asc`,
        until the reply's `size` (how many items there are in all) is read."""
        count = max(1, self.config.page_size if count is None else count)
        offset = 0
        for _page in range(MAX_PAGES):
            params = {"limit": f"{offset},{count}", "orderby": "id asc", **({"where": where} if where else {})}
            payload = self._call(f"list {what}", "GET", f"/dci/v3/{what}", params=params, idempotent=True)
            page = payload.get("list") if isinstance(payload, dict) else None
            if not isinstance(page, list):
                raise UnexpectedAnswer(f"DCImanager's /dci/v3/{what} answer has no list.", operation=f"list {what}")
            yield [item for item in page if isinstance(item, dict)]
            offset += count
            size = payload.get("size")
            if first_only or len(page) < count or (isinstance(size, int) and offset >= size):
                return
        raise UnexpectedAnswer(f"DCImanager's /dci/v3/{what} did not end after {MAX_PAGES} pages.")

    def _list(self, what: str, where: str | None = None, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Every item of a list (or only the first `limit` ones)."""
        return [item for page in self._pages(what, where, count=limit, first_only=limit is not None) for item in page]

    def _server(self, server_id: int, operation: str) -> dict[str, Any] | None:
        try:
            payload = self._call(operation, "GET", f"/dci/v3/server/{server_id}", idempotent=True)
        except PanelRefused as refused:
            if refused.code in (NOT_FOUND, 404):
                return None
            raise
        if not isinstance(payload, dict) or "id" not in payload:
            raise UnexpectedAnswer(f"DCImanager answered server {server_id} without its id.")
        return payload

    def _wait(self, server_id: int, operation: str, done: Any) -> dict[str, Any]:
        """Poll the server until `done(server)`; a failed operation raises the platform's own reason."""
        config = self.config
        polls = max(1, int(config.task_timeout / max(config.task_poll_interval, 1e-6)))
        for poll in range(polls):
            server = self._server(server_id, f"{operation}: progress")
            if server is None:
                raise PanelRefused(f"DCImanager refused {operation}: server {server_id} disappeared",
                                   operation=operation, code=NOT_FOUND)
            current = server.get("operation") if isinstance(server.get("operation"), dict) else {}
            if str(current.get("status", "")) in ("fail", "failed", "error"):
                info = current.get("status_info") or {}
                reason = info.get("msg") if isinstance(info, dict) else info
                raise PanelRefused(f"DCImanager operation {operation} on server {server_id} failed: "
                                   f"{reason or 'no reason given'}", operation=operation)
            if done(server):
                return server
            if poll < polls - 1:
                config.sleeper(config.task_poll_interval)
        raise Timeout(f"DCImanager operation {operation} on server {server_id} was still running after "
                      f"{config.task_timeout:g} s.", operation=operation,
                      hint="It may still finish: look at the server's operations in DCImanager before retrying.")

    def _owned(self, server_id: int, operation: str) -> dict[str, Any]:
        server = self._server(server_id, operation)
        if server is None or not server.get("owner_email"):
            raise PanelRefused(f"DCImanager refused {operation}: server {server_id} is not assigned to anyone",
                               operation=operation, code=NOT_FOUND)
        return server

    def _power(self, server_id: int, state: str, operation: str) -> None:
        server = self._owned(server_id, operation)
        if server.get("power_status") == state:
            return
        self._call(operation, "POST", f"/dci/v3/server/{server_id}/power_{state}", json_body={}, idempotent=True)
        self._wait(server_id, operation, lambda s: s.get("power_status") == state)

    @staticmethod
    def _status(server: dict[str, Any]) -> RemoteStatus:
        current = server.get("operation") if isinstance(server.get("operation"), dict) else {}
        if str(current.get("status", "")) in RUNNING:
            return RemoteStatus.PENDING
        return {"on": RemoteStatus.ACTIVE, "off": RemoteStatus.SUSPENDED}.get(str(server.get("power_status")),
                                                                               RemoteStatus.UNKNOWN)

    # --- the interface ------------------------------------------------------------------------------

    def authenticate(self) -> str:
        self._token = None
        self._login()
        return f"logged in as {self.config.setting('email', '')}"

    def api_version(self) -> str:
        locations = self._list("location")
        return f"dci/v3 ({len(locations)} location{'s' if len(locations) != 1 else ''} visible)"

    @guarded
    def update_configuration(self) -> ConfigPlan:
        locations = [[str(x.get("id")), str(x.get("name", x.get("id")))] for x in self._list("location")]
        templates = [[str(x.get("id")), str(x.get("name", x.get("id")))] for x in self._list("os")]
        free = self._call("free servers", "GET", "/dci/v3/server/configuration", idempotent=True)
        configurations = [[str(c.get("configuration")), f"{c.get('free_server_count', 0)} free"]
                          for c in (free.get("list") or []) if isinstance(c, dict)]
        settings = self.config.settings
        changes: list[ConfigChange] = []
        notes = [f"{len(locations)} location(s); {len(templates)} OS template(s); "
                 f"{sum(int(c.get('free_server_count', 0)) for c in free.get('list') or [])} free server(s)."]
        for key, label, after in (("location_choices", "Locations", locations),
                                  ("os_choices", "OS templates", templates),
                                  ("configuration_choices", "Server configurations", configurations)):
            if settings.get(key) != after:
                changes.append(ConfigChange(key, label, settings.get(key), after, "read from the panel"))
        for key, label, choices in (("location", "Location", locations), ("os_template", "OS template", templates)):
            current, ids = str(settings.get(key) or ""), [value for value, _ in choices]
            if not ids:
                notes.append(f"The platform offers no {label.lower()}: servers cannot be issued until one exists.")
            elif current not in ids:
                reason = f"{label.lower()} {current} no longer exists" if current else f"no {label.lower()} was chosen"
                changes.append(ConfigChange(key, label, settings.get(key), ids[0], reason))
        catalog = {"location": tuple(map(tuple, locations)), "os_template": tuple(map(tuple, templates)),
                   "configuration": tuple(map(tuple, configurations))}
        return ConfigPlan(tuple(changes), catalog, tuple(notes))

    @guarded
    def read_balance(self) -> Balance | None:
        return None

    @staticmethod
    def _service(server: dict[str, Any]) -> RemoteService:
        """An issued server as a remote service: known by the name the billing gave it (its `domain`),
        addressed by its first IPv4 address; a server issued without a name keeps an empty key."""
        name = str(server.get("domain") or "")
        return RemoteService(remote_id=str(server.get("id")), name=name, natural_key=name, address=first_ipv4(server),
                             status=DcimanagerDriver._status(server), plan=str(server.get("configuration") or ""),
                             details={"owner": server.get("owner_email"), "power": server.get("power_status"),
                                      "location": server.get("location_id")})

    @guarded_pages
    def iter_remote_services(self, page_size: int = 500) -> Iterator[list[RemoteService]]:
        # Only servers issued to someone are services; the free pool is not (its servers have no owner).
        for servers in self._pages("server", "is_new EQ false", count=page_size):
            yield [self._service(server) for server in servers if server.get("owner_email")]

    @guarded
    def list_remote_services(self) -> list[RemoteService]:
        return [service for page in self.iter_remote_services(self.config.page_size) for service in page]

    @guarded
    def open_service(self, spec: ServiceSpec) -> ServiceResult:
        options = dict(spec.options)
        owner_email = str(options.pop("owner_email", None) or self.config.setting("owner_email", ""))
        found = self._list("server", f"domain EQ {quoted(spec.name)}", limit=1)
        resumed = bool(found)
        if found and found[0].get("owner_email"):  # a retry after a lost reply must not take a second server
            server = found[0]
            return ServiceResult(str(server.get("id")), self._status(server),
                                 f"Server {spec.name} is already assigned ({server.get('id')}).", already_existed=True)
        if found:
            server_id = int(found[0]["id"])  # named by an earlier try that lost its reply: carry on with it
        else:
            configuration = str(spec.plan or options.pop("configuration", None) or "")
            if not configuration:
                raise PanelRefused("The tariff names no server configuration (the service's plan).",
                                   operation="take a free server")
            where = f"owner_email IS null AND is_new EQ false AND configuration EQ {quoted(configuration)}"
            if self.config.setting("location"):
                where += f" AND location_id EQ {int(self.config.setting('location'))}"
            free = self._list("server", where, limit=1)
            if not free:
                raise PanelRefused(f"DCImanager has no free server of configuration {configuration} in this location.",
                                   operation="take a free server",
                                   hint="Add servers to the pool, or link the tariff to another module.")
            server_id = int(free[0]["id"])
            self._call("name the server", "POST", f"/dci/v3/server/{server_id}", json_body={"domain": spec.name},
                       idempotent=False)
        users = self._list("user", f"email EQ {quoted(owner_email)}", limit=1)
        if not users:
            raise PanelRefused(f"DCImanager has no user {owner_email} to assign the server to.",
                               operation="assign the server", hint="Create the user, or fix the owner account setting.")
        self._call("assign the server", "POST", f"/dci/v3/server/{server_id}/owner",
                   json_body={"owner": int(users[0]["id"])}, idempotent=True)
        os_template = options.pop("os_template", None) or self.config.setting("os_template")
        if os_template:
            body = {"os_template": int(os_template), "domain": spec.name, **options}
            self._call("install the OS", "POST", f"/dci/v3/server/{server_id}/operation/install", json_body=body,
                       idempotent=False)
            self._wait(server_id, "install the OS",
                       lambda s: str((s.get("operation") or {}).get("status", "")) not in RUNNING)
        self._power(server_id, "on", "power on")
        return ServiceResult(str(server_id), RemoteStatus.ACTIVE, f"Server {server_id} issued as {spec.name}.",
                             already_existed=resumed)

    @guarded
    def suspend_service(self, remote_id: str) -> ServiceResult:
        self._power(int(remote_id), "off", "power off")
        return ServiceResult(remote_id, RemoteStatus.SUSPENDED, f"Server {remote_id} powered off.")

    @guarded
    def resume_service(self, remote_id: str) -> ServiceResult:
        self._power(int(remote_id), "on", "power on")
        return ServiceResult(remote_id, RemoteStatus.ACTIVE, f"Server {remote_id} powered on.")

    @guarded
    def close_service(self, remote_id: str) -> ServiceResult:
        server_id = int(remote_id)
        server = self._server(server_id, "release the server")
        if server is None or not server.get("owner_email"):
            return ServiceResult(remote_id, RemoteStatus.DELETED, "Not assigned on the platform: already released.")
        self._power(server_id, "off", "power off")
        try:
            self._call("release the server", "DELETE", f"/dci/v3/server/{server_id}/owner", idempotent=True)
        except PanelRefused as refused:
            if refused.code not in (NOT_FOUND, 404):
                raise
        # Unnamed again, so a later order of the same name takes a fresh server instead of this one.
        self._call("unname the server", "POST", f"/dci/v3/server/{server_id}", json_body={"domain": ""},
                   idempotent=True)
        return ServiceResult(remote_id, RemoteStatus.DELETED, f"Server {server_id} released to the free pool.")


def first_ipv4(server: dict[str, Any]) -> str:
    """The server's first IPv4 address as the list reports it (`ip: [{"name": ..., "family": "ipv4"}]`), or ""."""
    addresses = server.get("ip")
    if isinstance(addresses, list):
        for address in addresses:
            if isinstance(address, dict) and str(address.get("family", "ipv4")) == "ipv4":
                value = address.get("ip") or address.get("name")
                if value:
                    return str(value)
    return ""
