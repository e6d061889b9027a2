"""A loopback VMmanager 6 (DOMAIN.md §6.1): token auth, clusters/nodes/OS/hosts lists, VM actions as
asynchronous tasks that run for `task_polls` polls and then complete (or fail, when told to).

As the real panel does, an action answers `{"id": <host>, "task": <consul id>}`; the task list
(`GET /vm/v3/task`) has its own `id`, different from the `consul_id`, and a `name` (host_create,
host_stop, host_start, host_restart, host_delete); `where` filters combine `(field EQ 'value')` terms with
AND / OR. A missing host answers HTTP 404.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from procmod.demo.emulators.base import EmulatorApp, EmulatorHandle, Reply, Request, as_listed

HOST_PATH = re.compile(r"^/vm/v3/host/(\d+)(?:/(start|stop|restart))?$")
TERM = re.compile(r"\(\s*(\w+)\s+EQ\s+('([^']*)'|[^\s()]+)\s*\)")


def where_filter(where: str) -> Any:
    """A predicate for a `where` expression of `(field EQ value)` terms joined by AND or OR (not mixed);
    None when the expression is not understood."""
    terms = [(m.group(1), m.group(3) if m.group(3) is not None else m.group(2)) for m in TERM.finditer(where)]
    if not terms:
        return None
    rest = TERM.sub("", where).replace("(", "").replace(")", "").split()
    joins = {word.upper() for word in rest}
    if not joins <= {"AND", "OR"} or len(joins) > 1 or len(rest) != len(terms) - 1:
        return None
    combine = any if joins == {"OR"} else all

    def matches(item: dict[str, Any]) -> bool:
        return combine(str(item.get(key)) == value for key, value in terms)

    return matches


def error(code: int, msg: str, status: int = 400, value: Any = None) -> Reply:
    return Reply.json({"error": {"code": code, "msg": msg, "value": value}}, status)


@dataclass
class VmmanagerState:
    email: str = "admin@example.com"
    password: str = "vm-secret-pass"
    tokens: set[str] = field(default_factory=set)
    clusters: list[dict[str, Any]] = field(
        default_factory=lambda: [{"id": 1, "name": "Frankfurt KVM"}, {"id": 2, "name": "Amsterdam KVM"}]
    )
    nodes: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": 1, "name": "fra-node-1", "cluster": {"id": 1}},
            {"id": 2, "name": "ams-node-1", "cluster": {"id": 2}},
        ]
    )
    os: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": 1, "name": "Ubuntu 24.04"},
            {"id": 2, "name": "Debian 12"},
            {"id": 3, "name": "AlmaLinux 9"},
        ]
    )
    hosts: dict[int, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[int, dict[str, Any]] = field(default_factory=dict)
    task_polls: int = 2  # polls a task answers "running" before "complete"
    fail_tasks: bool = False
    fail_reason: str = "Not enough free space on the node storage"
    unauthorized_status: int = 401  # HTTP status sent with error code 3001
    missing_host_status: int = 404  # the answer to an action on a host that does not exist
    missing_host_code: int | None = 4004  # its error code (None: an error without a code)
    #: Faults of the host list: host ids listed twice (the list changed while it was read), hosts listed
    #: without their `name`.
    listed_twice: set[str] = field(default_factory=set)
    without_key: set[str] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: itertools.count(101))
    _task_ids: Any = field(default_factory=lambda: itertools.count(5001))
    _consul_ids: Any = field(default_factory=lambda: itertools.count(731207, 7))  # never equal to a task id

    def add_host(self, name: str, state: str = "active", cluster: int = 1, os_id: int = 1) -> int:
        host_id = next(self._ids)
        self.hosts[host_id] = {
            "id": host_id, "name": name, "state": state, "cluster": {"id": cluster},
            "os": {"id": os_id}, "cpu_number": 1, "ram_mib": 1024, "disk": {"disk_mib": 10240},
            "ip4": [{"id": host_id, "ip": host_address(host_id)}],
        }
        return host_id


def host_address(host_id: int) -> str:
    """The IPv4 address the emulator gives host `host_id` (10.x.y.z, one per id)."""
    return f"10.{(host_id >> 16) & 255}.{(host_id >> 8) & 255}.{host_id & 255}"


def ordered_page(items: list[dict[str, Any]], query: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """An ISPsystem 6 list page: `orderby=<field> asc|desc`, then `limit=<offset>,<count>` (or `limit=<count>`);
    returns the page and how many items there are in all (the reply's `size`)."""
    field_name, _, direction = query.get("orderby", "").strip().partition(" ")
    if field_name:
        def sort_key(item: dict[str, Any]) -> tuple[int, Any]:
            value = item.get(field_name)
            return (0, value) if isinstance(value, int) else (1, str(value if value is not None else ""))

        items = sorted(items, key=sort_key, reverse=direction.strip().lower() == "desc")
    first, _, second = query.get("limit", "").partition(",")
    if second:
        offset, count = (int(first) if first.strip().isdigit() else 0), (int(second) if second.strip().isdigit() else None)
    else:
        offset, count = 0, int(first) if first.strip().isdigit() else None
    return (items[offset:] if count is None else items[offset:offset + count]), len(items)


def limit_page(query: dict[str, str]) -> int | None:
    """The 1-based page a `limit=<offset>,<count>` asks for, or None without one."""
    first, _, second = query.get("limit", "").partition(",")
    if not second.strip().isdigit() or int(second) < 1:
        return None
    return (int(first) if first.strip().isdigit() else 0) // int(second) + 1


class VmmanagerApp(EmulatorApp):
    name = "vmmanager6"

    def __init__(self, state: VmmanagerState | None = None) -> None:
        self.state = state or VmmanagerState()

    def unauthorized(self, request: Request) -> Reply:
        return error(3001, "Unauthorized", self.state.unauthorized_status)

    def handle(self, request: Request) -> Reply:
        state = self.state
        if request.path == "/auth/v4/public/token" and request.method == "POST":
            body = request.json() or {}
            if body.get("email") == state.email and body.get("password") == state.password:
                token = secrets.token_hex(16)
                state.tokens.add(token)
                return Reply.json({"token": token, "expires_at": "2099-01-01 00:00:00"})
            return self.unauthorized(request)
        if request.headers.get("x-xsrf-token") not in state.tokens:
            return self.unauthorized(request)
        if request.path == "/auth/v4/whoami":
            return Reply.json({"email": state.email, "state": "active", "roles": ["@admin"]})
        if request.method == "GET":
            return self._list(request)
        if request.path == "/vm/v3/host" and request.method == "POST":
            return self._create(request.json() or {})
        match = HOST_PATH.match(request.path)
        if match:
            host_id, action = int(match.group(1)), match.group(2)
            host = state.hosts.get(host_id)
            if host is None or host["state"] == "deleting":
                return self._missing_host(host_id)
            if request.method == "DELETE" and not action:
                host["state"] = "deleting"
                return Reply.json({"id": host_id, "task": self._task(host_id, "host_delete", "deleted")})
            if request.method == "POST" and action:
                target = {"start": "active", "stop": "stopped", "restart": "active"}[action]
                return Reply.json({"id": host_id, "task": self._task(host_id, f"host_{action}", target)})
        return error(1001, f"Unknown method {request.method} {request.path}", 404)

    def _missing_host(self, host_id: int) -> Reply:
        state = self.state
        body: dict[str, Any] = {"msg": f"Host {host_id} not found", "value": host_id}
        if state.missing_host_code is not None:
            body["code"] = state.missing_host_code
        return Reply.json({"error": body}, state.missing_host_status)

    def _list(self, request: Request) -> Reply:
        state = self.state
        sources = {
            "/vm/v3/cluster": state.clusters,
            "/vm/v3/node": state.nodes,
            "/vm/v3/os": state.os,
            "/vm/v3/host": [h for h in state.hosts.values() if h["state"] != "deleted"],
            "/vm/v3/account": [{"id": 1, "email": state.email}],
        }
        where_text = request.query.get("where", "").strip()
        if request.path == "/vm/v3/task":
            items = list(self.state.tasks.values())
        elif request.path in sources:
            items = sources[request.path]
        else:
            return error(1001, f"Unknown method GET {request.path}", 404)
        if where_text:
            matches = where_filter(where_text)
            if matches is None:
                return error(2001, f"Invalid where expression: {where_text}", 400, "where")
            items = [item for item in items if matches(item)]
        if request.path == "/vm/v3/task":
            items = [self._poll(task) for task in items]
        if request.path == "/vm/v3/host":
            items = as_listed(items, lambda host: str(host["id"]), "name", twice=state.listed_twice,
                              without_key=state.without_key)
        page, total = ordered_page(items, request.query)
        return Reply.json({"list": page, "size": total})

    def page_of(self, request: Request) -> int | None:
        if request.method != "GET" or request.path != "/vm/v3/host":
            return None
        return limit_page(request.query)

    def _create(self, body: dict[str, Any]) -> Reply:
        state = self.state
        for key in ("name", "cluster", "os"):
            if not body.get(key):
                return error(2004, f"Field {key} is required", 400, key)
        if int(body["cluster"]) not in {c["id"] for c in state.clusters}:
            return error(2005, f"Cluster {body['cluster']} does not exist", 400, "cluster")
        if int(body["os"]) not in {o["id"] for o in state.os}:
            return error(2005, f"OS template {body['os']} does not exist", 400, "os")
        host_id = state.add_host(str(body["name"]), "creating", int(body["cluster"]), int(body["os"]))
        return Reply.json({"id": host_id, "task": self._task(host_id, "host_create", "active")})

    def _task(self, host_id: int, name: str, target_state: str) -> int:
        """Register a task; the action's answer carries its consul id (returned), not its id."""
        state = self.state
        task_id, consul_id = next(state._task_ids), next(state._consul_ids)
        state.tasks[task_id] = {
            "id": task_id, "consul_id": consul_id, "name": name, "status": "running", "host": host_id,
            "target": target_state, "polls_left": state.task_polls,
        }
        return consul_id

    def _poll(self, task: dict[str, Any]) -> dict[str, Any]:
        """One look at a task (it advances a running task by one poll); the public fields only."""
        if task["status"] == "running":
            if task["polls_left"] > 0:
                task["polls_left"] -= 1
            else:
                self._finish(task)
        public = {k: task[k] for k in ("id", "consul_id", "name", "status")}
        if task["status"] == "fail":
            public["output"] = self.state.fail_reason
        return public

    def _finish(self, task: dict[str, Any]) -> None:
        host = self.state.hosts.get(task["host"])
        if self.state.fail_tasks:
            task["status"] = "fail"
            if host is not None and host["state"] in ("creating", "deleting"):
                host["state"] = "stopped" if host["state"] == "deleting" else "creating_failed"
            return
        task["status"] = "complete"
        if host is not None:
            if task["target"] == "deleted":
                del self.state.hosts[task["host"]]
            else:
                host["state"] = task["target"]


def start_vmmanager(
    host: str = "127.0.0.1", port: int = 0, *, https: bool = False, state: VmmanagerState | None = None
) -> EmulatorHandle:
    """Start a VMmanager 6 emulator on loopback; the handle's `.state` is a `VmmanagerState`."""
    return EmulatorHandle(VmmanagerApp(state), host, port, https)
