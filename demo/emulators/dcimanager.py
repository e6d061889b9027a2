"""A loopback DCImanager 6 (ISPsystem's dedicated-server platform), after its "Examples of API use".

Token login at `/api/auth/v4/public/token`, then `x-xsrf-token` on every call; lists as {"list", "size"}
paged by `limit=offset,count` and filtered by `where=` (terms joined by AND: `field EQ value`,
`field IS null`); a pool of servers with configuration, location, owner, power status and the current
operation; `/dci/v3/server/configuration` with free counts; power on/off; assigning and releasing an owner;
OS installation as an operation that runs for `operation_polls` reads of the server, then completes (or
fails with a reason when `fail_operations`). Errors are {"error": {"code", "msg", "value"}}.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from procmod.demo.emulators.base import EmulatorApp, EmulatorHandle, Reply, Request, as_listed
from procmod.demo.emulators.vmmanager import limit_page, ordered_page

SERVER_PATH = re.compile(r"^/api/dci/v3/server/(\d+)(?:/(power_on|power_off|owner|operation/install))?$")
TERM = re.compile(r"^\(?\s*(\w+)\s+(EQ|IS)\s+(?:'([^']*)'|(\S+?))\s*\)?$")


def server_address(server_id: int) -> str:
    """The IPv4 address the emulator gives server `server_id` (192.0.x.y, one per id)."""
    return f"192.0.{2 + (server_id >> 8) % 254}.{server_id & 255}"


def error(code: int, msg: str, status: int = 400, value: Any = None) -> Reply:
    return Reply.json({"error": {"code": code, "msg": msg, "value": value}}, status)


def where_terms(where: str) -> list[tuple[str, str, str]]:
    """A `where=` filter's terms (field, EQ or IS, value), parsed once per request; ValueError if not understood."""
    terms = []
    for term in filter(None, (t.strip() for t in re.split(r"\s+AND\s+", where.strip()))):
        parsed = TERM.match(term)
        if parsed is None:
            raise ValueError(term)
        key, op, quoted, bare = parsed.groups()
        terms.append((key, op, (quoted if quoted is not None else str(bare)).lower()))
    return terms


def matches(item: dict[str, Any], where: str | list[tuple[str, str, str]]) -> bool:
    for key, op, wanted in where_terms(where) if isinstance(where, str) else where:
        value = item.get(key)
        if op == "IS":
            if (value is None) != (wanted == "null"):
                return False
        elif str(value).lower() != wanted:
            return False
    return True


@dataclass
class DcimanagerState:
    email: str = "admin@example.com"
    password: str = "dci-secret-pass"
    tokens: set[str] = field(default_factory=set)
    locations: list[dict[str, Any]] = field(
        default_factory=lambda: [{"id": 1, "name": "Amsterdam AMS2"}, {"id": 2, "name": "Frankfurt FRA1"}])
    os: list[dict[str, Any]] = field(default_factory=lambda: [
        {"id": 1, "name": "Ubuntu 24.04"}, {"id": 2, "name": "Debian 12"}, {"id": 3, "name": "Proxmox VE 8"}])
    users: list[dict[str, Any]] = field(default_factory=lambda: [
        {"id": 1, "email": "admin@example.com", "roles": ["@admin"]},
        {"id": 2, "email": "clients@hostco.example", "roles": ["@user"]}])
    servers: dict[int, dict[str, Any]] = field(default_factory=dict)
    operation_polls: int = 1
    #: Faults of the server list: server ids listed twice (the list changed while it was read), servers
    #: listed without their `domain` (the name the billing gave them).
    listed_twice: set[str] = field(default_factory=set)
    without_key: set[str] = field(default_factory=set)
    fail_operations: bool = False
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _operation_ids: Any = field(default_factory=lambda: itertools.count(7001))

    def __post_init__(self) -> None:
        if not self.servers:
            for _ in range(8):
                self.add_server("E-2388G-32Gb-2x960SSD", location=1)
            for _ in range(3):
                self.add_server("i9-9900K-64Gb-2x1024NVMe", location=2)

    def add_server(self, configuration: str, *, location: int = 1, owner_email: str | None = None,
                   domain: str = "", power_status: str = "off", server_id: int | None = None) -> int:
        """Add a server (a new id, or `server_id`, e.g. a billing service's remote id); returns its id."""
        if server_id is None:
            server_id = next(self._ids)
            while server_id in self.servers:
                server_id = next(self._ids)
        owner = next((u["id"] for u in self.users if u["email"] == owner_email), None)
        self.servers[server_id] = {
            "id": server_id, "name": f"srv{server_id:03d}", "domain": domain, "configuration": configuration,
            "location_id": location, "owner": owner, "owner_email": owner_email, "is_new": False,
            "power_status": power_status, "state": "active", "os_template": None,
            "operation": {"id": 0, "status": "complete", "status_info": {}},
            "ip": [{"id": server_id, "name": server_address(server_id), "family": "ipv4", "status": "allocated"}],
        }
        return server_id


class DcimanagerApp(EmulatorApp):
    name = "dcimanager6"

    def __init__(self, state: DcimanagerState | None = None) -> None:
        self.state = state or DcimanagerState()

    def unauthorized(self, request: Request) -> Reply:
        return error(3001, "Unauthorized", 401)

    def handle(self, request: Request) -> Reply:
        state = self.state
        if request.path == "/api/auth/v4/public/token" and request.method == "POST":
            body = request.json() or {}
            if body.get("email") == state.email and body.get("password") == state.password:
                token = secrets.token_hex(12).upper()
                state.tokens.add(token)
                return Reply.json({"id": "1", "token": token, "expires_at": "2099-01-01 00:00:00"})
            return self.unauthorized(request)
        if request.headers.get("x-xsrf-token") not in state.tokens:
            return self.unauthorized(request)
        if request.method == "GET" and request.path == "/api/dci/v3/server/configuration":
            counts: dict[str, int] = {}
            for server in state.servers.values():
                counts.setdefault(server["configuration"], 0)
                if server["owner"] is None and not server["is_new"]:
                    counts[server["configuration"]] += 1
            return Reply.json({"list": [{"configuration": c, "free_server_count": n} for c, n in sorted(counts.items())]})
        match = SERVER_PATH.match(request.path)
        if match:
            return self._server_call(request, int(match.group(1)), match.group(2))
        if request.method == "GET":
            return self._list(request)
        return error(1001, f"Unknown method {request.method} {request.path}", 404)

    def _list(self, request: Request) -> Reply:
        state = self.state
        sources = {"/api/dci/v3/server": lambda: list(state.servers.values()),
                   "/api/dci/v3/location": lambda: state.locations, "/api/dci/v3/os": lambda: state.os,
                   "/api/dci/v3/user": lambda: state.users}
        if request.path not in sources:
            return error(1001, f"Unknown method GET {request.path}", 404)
        items = sources[request.path]()
        try:
            terms = where_terms(request.query.get("where", ""))
            items = [item for item in items if matches(item, terms)]
        except ValueError as bad:
            return error(2001, "Invalid filter", 400, str(bad))
        if request.path == "/api/dci/v3/server":
            items = as_listed(items, lambda server: str(server["id"]), "domain", twice=state.listed_twice,
                              without_key=state.without_key)
        page, total = ordered_page(items, request.query)
        if request.path == "/api/dci/v3/server":  # only the servers read are shown (their operations move on)
            page = [self._public(server) for server in page]
        return Reply.json({"list": page, "size": total})

    def page_of(self, request: Request) -> int | None:
        if request.method != "GET" or request.path != "/api/dci/v3/server":
            return None
        return limit_page(request.query)

    def _public(self, server: dict[str, Any]) -> dict[str, Any]:
        """What a server read shows; a running operation moves on with each read."""
        operation = server["operation"]
        if operation["status"] == "running":
            if operation["polls_left"] > 0:
                operation["polls_left"] -= 1
            elif self.state.fail_operations:
                operation.update(status="fail", status_info={"msg": "OS installation failed: no DHCP answer from "
                                                                    "the server during the network boot"})
            else:
                operation.update(status="complete", status_info={})
                server["os_template"] = operation["os"]
                server["power_status"] = "on"
        elif operation.get("power_to"):
            server["power_status"] = operation.pop("power_to")
        public = {k: v for k, v in server.items() if k != "operation"}
        public["operation"] = {k: v for k, v in operation.items() if k in ("id", "status", "status_info")}
        return public

    def _server_call(self, request: Request, server_id: int, action: str | None) -> Reply:
        server = self.state.servers.get(server_id)
        if server is None:
            return error(4004, f"Server {server_id} not found", 404, server_id)
        body = request.json() or {}
        if request.method == "GET" and not action:
            return Reply.json(self._public(server))
        if request.method == "POST" and not action:  # edit
            if "domain" in body:
                server["domain"] = str(body["domain"] or "")
            return Reply.json({"id": server_id})
        if action in ("power_on", "power_off") and request.method == "POST":
            if server["operation"]["status"] == "running":
                return error(5010, "The server is busy with another operation", 409, server_id)
            server["operation"]["power_to"] = action.split("_")[1]  # the BMC answers on the next read
            return Reply.json({"id": server_id})
        if action == "owner" and request.method == "POST":
            user = next((u for u in self.state.users if u["id"] == body.get("owner")), None)
            if user is None:
                return error(2005, f"User {body.get('owner')} does not exist", 400, "owner")
            if server["owner"] not in (None, user["id"]):
                return error(2006, f"Server {server_id} already belongs to another user", 400, "owner")
            server["owner"], server["owner_email"] = user["id"], user["email"]
            return Reply.json({"id": server_id})
        if action == "owner" and request.method == "DELETE":
            server["owner"] = server["owner_email"] = None
            return Reply.json({"id": server_id})
        if action == "operation/install" and request.method == "POST":
            if int(body.get("os_template") or 0) not in {o["id"] for o in self.state.os}:
                return error(2005, f"OS template {body.get('os_template')} does not exist", 400, "os_template")
            if server["owner"] is None:
                return error(2007, "Assign the server to a user before installing an OS", 400, "owner")
            operation_id = next(self.state._operation_ids)
            server["operation"] = {"id": operation_id, "status": "running", "status_info": {},
                                   "polls_left": self.state.operation_polls, "os": {"id": int(body["os_template"])}}
            server["power_status"] = "on"
            return Reply.json({"id": operation_id})
        return error(1001, f"Unknown method {request.method} {request.path}", 404)


def start_dcimanager(host: str = "127.0.0.1", port: int = 0, *, https: bool = False,
                     state: DcimanagerState | None = None) -> EmulatorHandle:
    """Start a DCImanager 6 emulator on loopback; the handle's `.state` is a `DcimanagerState`."""
    return EmulatorHandle(DcimanagerApp(state), host, port, https)
