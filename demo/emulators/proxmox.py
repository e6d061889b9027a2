"""A loopback Proxmox VE cluster (API `/api2/json`), written from the Proxmox VE API viewer.

API-token authentication (`Authorization: PVEAPIToken=USER@REALM!TOKENID=UUID`; anything else: HTTP 401),
parameters in the URL or form-encoded (as the API wiki says; a JSON body is refused), `{"data": ...}`
envelopes with the reason in `message` on failure, nodes, `/cluster/resources`, `/cluster/nextid`, and VM changes (create, clone, start, stop, suspend, resume, delete) as tasks named by a
UPID: a task answers `status: running` for `task_polls` polls of its status, then `stopped` with
`exitstatus` "OK", or the reason when it fails (`fail_tasks`). A VM being cloned or deleted carries a lock.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from procmod.demo.emulators.base import EmulatorApp, EmulatorHandle, Reply, Request, as_listed

PREFIX = "/api2/json"
VM_PATH = re.compile(r"^/nodes/([\w.-]+)/qemu/(\d+)(?:/(clone|status/(?:current|start|stop|shutdown|suspend|resume)))?$")
TASK_PATH = re.compile(r"^/nodes/([\w.-]+)/tasks/([^/]+)/status$")
DNS_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$")
TASK_TYPES = {"clone": "qmclone", "create": "qmcreate", "start": "qmstart", "stop": "qmstop", "shutdown": "qmshutdown",
              "suspend": "qmpause", "resume": "qmresume", "delete": "qmdestroy"}


def refused(message: str, status: int = 500, errors: dict[str, str] | None = None) -> Reply:
    payload: dict[str, Any] = {"data": None, "message": message + "\n"}
    if errors:
        payload["errors"] = {key: value + "\n" for key, value in errors.items()}
    return Reply.json(payload, status)


def data(value: Any) -> Reply:
    return Reply.json({"data": value})


@dataclass
class ProxmoxState:
    token_id: str = "billing@pve!procmod"
    token_secret: str = "5f0c2a9e-7d1b-4c3a-9e8f-0a1b2c3d4e5f"
    version: str = "8.2.4"
    nodes: dict[str, str] = field(default_factory=lambda: {"pve1": "online", "pve2": "online"})
    vms: dict[int, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    task_polls: int = 1  # polls a task answers "running" before it stops
    fail_tasks: bool = False
    fail_reason: str = "clone failed: storage 'local-lvm' has not enough free space"
    #: Faults of the resource list: VM ids listed twice, VMs listed without their `name`.
    listed_twice: set[str] = field(default_factory=set)
    without_key: set[str] = field(default_factory=set)
    _pids: Any = field(default_factory=lambda: itertools.count(0x2A10))

    def __post_init__(self) -> None:
        if not self.vms:
            self.add_vm("ubuntu-24.04-cloud", node="pve1", vmid=9000, template=True)
            self.add_vm("debian-12-cloud", node="pve1", vmid=9001, template=True)

    def add_vm(self, name: str, *, node: str = "pve1", vmid: int | None = None, status: str = "running",
               template: bool = False, lock: str | None = None) -> int:
        vmid = vmid if vmid is not None else self.next_id()
        self.vms[vmid] = {"id": f"qemu/{vmid}", "type": "qemu", "vmid": vmid, "name": name, "node": node,
                          "status": "stopped" if template else status, "template": 1 if template else 0,
                          "qmpstatus": "stopped" if template else status, "maxmem": 2147483648, "maxcpu": 2,
                          **({"lock": lock} if lock else {})}
        return vmid

    def next_id(self) -> int:
        return next(i for i in itertools.count(100) if i not in self.vms)


class ProxmoxApp(EmulatorApp):
    name = "proxmox"

    def __init__(self, state: ProxmoxState | None = None) -> None:
        self.state = state or ProxmoxState()

    def unauthorized(self, request: Request) -> Reply:
        return refused("invalid token value!", 401)

    def malformed(self, request: Request) -> Reply:
        return Reply(200, b'{"data": [{"vmid": 100, "name": "trunc', "application/json")

    def page_of(self, request: Request) -> int | None:
        # The resource list is one page: its first and only.
        return 1 if request.method == "GET" and request.path == PREFIX + "/cluster/resources" else None

    def handle(self, request: Request) -> Reply:
        state = self.state
        expected = f"PVEAPIToken={state.token_id}={state.token_secret}"
        if request.headers.get("authorization") != expected:
            return self.unauthorized(request)
        if not request.path.startswith(PREFIX):
            return refused(f"no such file '{request.path}'", 501)
        path = unquote(request.path[len(PREFIX):])
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if request.body and content_type != "application/x-www-form-urlencoded":
            return refused(f"Unsupported content type '{content_type}'", 501)
        body = {**request.query, **dict(parse_qsl(request.body.decode()))} if request.body else request.query
        if request.method == "GET":
            if path == "/version":
                return data({"version": state.version, "release": state.version.rsplit(".", 1)[0],
                             "repoid": "ec58e45e1bcdf2ac"})
            if path == "/nodes":
                return data([{"node": name, "status": status, "type": "node", "maxcpu": 32}
                             for name, status in state.nodes.items()])
            if path == "/cluster/resources":
                guests = [dict(vm) for vm in state.vms.values()]
                if body.get("type") not in (None, "vm"):
                    return data([])
                for guest in guests:
                    guest.pop("qmpstatus", None)
                # No paging: /cluster/resources answers with every guest of the cluster at once.
                return data(as_listed(guests, lambda vm: str(vm["vmid"]), "name", twice=state.listed_twice,
                                      without_key=state.without_key))
            if path == "/cluster/nextid":
                return data(str(state.next_id()))
            task = TASK_PATH.match(path)
            if task:
                return self._task_status(task.group(1), task.group(2))
        vm_match = VM_PATH.match(path)
        create = re.match(r"^/nodes/([\w.-]+)/qemu$", path)
        if create and request.method == "POST":
            return self._create(create.group(1), body)
        if vm_match:
            return self._vm_call(request.method, vm_match.group(1), int(vm_match.group(2)), vm_match.group(3), body)
        return refused(f"Method '{request.method} {path}' not implemented", 501)

    # --- VMs ----------------------------------------------------------------------------------------

    def _missing(self, node: str, vmid: int) -> Reply | None:
        vm = self.state.vms.get(vmid)
        if node not in self.state.nodes:
            return refused(f"hostname lookup '{node}' failed - failed to get address info for: {node}", 595)
        if vm is None or vm["node"] != node:
            return refused(f"Configuration file 'nodes/{node}/qemu-server/{vmid}.conf' does not exist")
        return None

    def _create(self, node: str, body: dict[str, Any]) -> Reply:
        if node not in self.state.nodes:
            return refused(f"hostname lookup '{node}' failed", 595)
        errors = {}
        if not str(body.get("vmid", "")).isdigit():
            errors["vmid"] = "property is missing and it is not optional"
        if body.get("name") and not DNS_NAME.match(str(body["name"])):
            errors["name"] = "invalid format - value does not look like a valid DNS name"
        if errors:
            return refused("Parameter verification failed.", 400, errors)
        vmid = int(body["vmid"])
        if vmid in self.state.vms:
            return refused(f"unable to create VM {vmid} - VM {vmid} already exists on node '{node}'")
        self.state.add_vm(str(body.get("name") or f"VM{vmid}"), node=node, vmid=vmid, status="stopped", lock="create")
        return data(self._start_task(node, "create", vmid, lambda vm: vm.pop("lock", None)))

    def _vm_call(self, method: str, node: str, vmid: int, action: str | None, body: dict[str, Any]) -> Reply:
        missing = self._missing(node, vmid)
        if missing is not None:
            return missing
        vm = self.state.vms[vmid]
        if action == "status/current" and method == "GET":
            return data({"vmid": vmid, "name": vm["name"], "status": vm["status"], "qmpstatus": vm["qmpstatus"],
                         **({"lock": vm["lock"]} if vm.get("lock") else {})})
        if method == "GET" or (method != "POST" and action) or (method == "POST" and not action):
            return refused(f"Method '{method} /nodes/{node}/qemu/{vmid}/{action or ''}' not implemented", 501)
        if vm.get("lock") and action != "status/current":
            return refused(f"VM is locked ({vm['lock']})")
        if action == "clone":
            return self._clone(node, vm, body)
        if method == "DELETE":
            if vm["status"] == "running":
                return refused(f"VM {vmid} is running - destroy failed")
            vm["lock"] = "destroyed"
            return data(self._start_task(node, "delete", vmid, lambda gone: self.state.vms.pop(gone["vmid"], None)))
        verb = action.split("/", 1)[1]  # type: ignore[union-attr]
        if vm["template"]:
            return refused(f"you can't {verb} a VM template")
        outcome = {"start": ("running", "running"), "stop": ("stopped", "stopped"), "shutdown": ("stopped", "stopped"),
                   "suspend": ("running", "paused"), "resume": ("running", "running")}[verb]
        if verb == "start" and vm["status"] == "running":
            return data(self._start_task(node, verb, vmid, None, failure=f"VM {vmid} already running"))
        if verb in ("suspend", "resume") and vm["status"] != "running":
            return data(self._start_task(node, verb, vmid, None, failure=f"VM {vmid} not running"))

        def settle(target: dict[str, Any], status: str = outcome[0], qmp: str = outcome[1]) -> None:
            target["status"], target["qmpstatus"] = status, qmp

        return data(self._start_task(node, verb, vmid, settle))

    def _clone(self, node: str, source: dict[str, Any], body: dict[str, Any]) -> Reply:
        if not source["template"] and str(body.get("full", "1")) == "0":
            return refused("Parameter verification failed.", 400, {"full": "linked clone feature is not supported"
                                                                           " for a VM that is not a template"})
        newid = str(body.get("newid", ""))
        errors = {}
        if not newid.isdigit():
            errors["newid"] = "property is missing and it is not optional"
        if body.get("name") and not DNS_NAME.match(str(body["name"])):
            errors["name"] = "invalid format - value does not look like a valid DNS name"
        target = str(body.get("target") or node)
        if target not in self.state.nodes:
            errors["target"] = f"no such cluster node '{target}'"
        if errors:
            return refused("Parameter verification failed.", 400, errors)
        if int(newid) in self.state.vms:
            return refused(f"unable to create VM {newid}: config file already exists")
        vmid = self.state.add_vm(str(body.get("name") or f"Copy-of-VM-{source['name']}"), node=target,
                                 vmid=int(newid), status="stopped", lock="clone")
        return data(self._start_task(node, "clone", source["vmid"], lambda _src: self.state.vms[vmid].pop("lock", None),
                                     clone_of=vmid))

    # --- tasks --------------------------------------------------------------------------------------

    def _start_task(self, node: str, verb: str, vmid: int, done: Any, *, failure: str | None = None,
                    clone_of: int | None = None) -> str:
        pid = next(self.state._pids)
        # UPID:node:pid:pstart:starttime:type:id:user: (hexadecimal pid, pstart and start time)
        upid = (f"UPID:{node}:{pid:08X}:{pid * 7:08X}:{0x6750A000 + pid:08X}:{TASK_TYPES[verb]}:{vmid}:"
                f"{self.state.token_id}:")
        self.state.tasks[upid] = {"upid": upid, "node": node, "type": TASK_TYPES[verb], "id": str(vmid),
                                  "user": self.state.token_id.split("!")[0], "status": "running",
                                  "polls_left": self.state.task_polls, "done": done, "failure": failure,
                                  "vmid": vmid, "clone_of": clone_of}
        return upid

    def _task_status(self, node: str, upid: str) -> Reply:
        task = self.state.tasks.get(upid)
        if task is None or task["node"] != node:
            return refused(f"unable to parse worker upid '{upid}'" if not upid.startswith("UPID:") else
                           f"no such task '{upid}'", 400 if not upid.startswith("UPID:") else 500)
        if task["status"] == "running":
            if task["polls_left"] > 0:
                task["polls_left"] -= 1
            else:
                self._finish(task)
        public = {key: task[key] for key in ("upid", "node", "type", "id", "user", "status")}
        public.update({"pid": int(upid.split(":")[2], 16), "starttime": int(upid.split(":")[4], 16)})
        if task["status"] == "stopped":
            public["exitstatus"] = task["exitstatus"]
        return data(public)

    def _finish(self, task: dict[str, Any]) -> None:
        task["status"] = "stopped"
        failure = task["failure"] or (self.state.fail_reason if self.state.fail_tasks else None)
        if failure:
            task["exitstatus"] = failure
            created = task["clone_of"] if task["type"] == "qmclone" else (
                task["vmid"] if task["type"] == "qmcreate" else None)
            if created is not None:  # a failed clone or create leaves nothing behind
                self.state.vms.pop(created, None)
            elif task["type"] == "qmdestroy" and task["vmid"] in self.state.vms:
                self.state.vms[task["vmid"]].pop("lock", None)
            return
        task["exitstatus"] = "OK"
        vm = self.state.vms.get(task["vmid"])
        if task["done"] is not None and vm is not None:
            task["done"](vm)


def start_proxmox(host: str = "127.0.0.1", port: int = 0, *, https: bool = False,
                  state: ProxmoxState | None = None) -> EmulatorHandle:
    """Start a Proxmox VE emulator on loopback; the handle's `.state` is a `ProxmoxState`."""
    return EmulatorHandle(ProxmoxApp(state), host, port, https)
