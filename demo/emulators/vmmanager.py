"""A loopback VMmanager 6 (DOMAIN.md §6.1): token auth, clusters/nodes/OS/hosts lists, VM actions as
asynchronous tasks that run for `task_polls` polls and then complete (or fail, when told to)."""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from procmod.demo.emulators.base import EmulatorApp, EmulatorHandle, Reply, Request

HOST_PATH = re.compile(r"^/vm/v3/host/(\d+)(?:/(start|stop|restart))?$")
WHERE = re.compile(r"^\(\s*(\w+)\s+EQ\s+'?([^')]*)'?\s*\)$")


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
    unauthorized_status: int = 401  # HTTP status sent with error code 3001
    _ids: Any = field(default_factory=lambda: itertools.count(101))
    _task_ids: Any = field(default_factory=lambda: itertools.count(5001))

    def add_host(self, name: str, state: str = "active", cluster: int = 1, os_id: int = 1) -> int:
        host_id = next(self._ids)
        self.hosts[host_id] = {
            "id": host_id, "name": name, "state": state, "cluster": {"id": cluster},
            "os": {"id": os_id}, "cpu_number": 1, "ram_mib": 1024, "disk": {"disk_mib": 10240},
        }
        return host_id


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
                return error(4004, f"Host {host_id} not found", 404, host_id)
            if request.method == "DELETE" and not action:
                host["state"] = "deleting"
                return Reply.json({"id": host_id, "task": self._task(host_id, "host_delete", "deleted")})
            if request.method == "POST" and action:
                target = {"start": "active", "stop": "stopped", "restart": "active"}[action]
                return Reply.json({"id": host_id, "task": self._task(host_id, f"host_{action}", target)})
        return error(1001, f"Unknown method {request.method} {request.path}", 404)

    def _list(self, request: Request) -> Reply:
        state = self.state
        sources = {
            "/vm/v3/cluster": state.clusters,
            "/vm/v3/node": state.nodes,
            "/vm/v3/os": state.os,
            "/vm/v3/host": [h for h in state.hosts.values() if h["state"] != "deleted"],
            "/vm/v3/account": [{"id": 1, "email": state.email}],
        }
        if request.path == "/vm/v3/task":
            items = self._poll(request.query.get("where", ""))
        elif request.path in sources:
            items = sources[request.path]
        else:
            return error(1001, f"Unknown method GET {request.path}", 404)
        where = WHERE.match(request.query.get("where", "").strip())
        if where and request.path != "/vm/v3/task":
            key, value = where.groups()
            items = [item for item in items if str(item.get(key)) == value]
        return Reply.json({"list": items, "size": len(items)})

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
        task_id = next(self.state._task_ids)
        self.state.tasks[task_id] = {
            "id": task_id, "name": name, "status": "running", "host": host_id,
            "target": target_state, "polls_left": self.state.task_polls,
        }
        return task_id

    def _poll(self, where: str) -> list[dict[str, Any]]:
        match = WHERE.match(where.strip())
        if not match or match.group(1) != "id":
            return []
        task = self.state.tasks.get(int(match.group(2))) if match.group(2).isdigit() else None
        if task is None:
            return []
        if task["status"] == "running":
            if task["polls_left"] > 0:
                task["polls_left"] -= 1
            else:
                self._finish(task)
        public = {k: task[k] for k in ("id", "name", "status")}
        if task["status"] == "fail":
            public["output"] = "Not enough free space on the node storage"
        return [public]

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
