"""Proxmox VE over its REST API (`/api2/json`): API tokens, `{"data": ...}` envelopes, and every change
as an asynchronous task named by a UPID that is polled until it stops.

What the driver relies on (Proxmox VE API viewer, pve.proxmox.com/wiki/Proxmox_VE_API):

- authentication by an API token in a header, `Authorization: PVEAPIToken=USER@REALM!TOKENID=UUID`
  (no ticket, no CSRF token); a wrong or revoked token answers HTTP 401;
- every answer is JSON `{"data": ...}`; a failed call says why in `message` (and, for bad parameters,
  per-parameter `errors`), e.g. HTTP 500 "Configuration file 'nodes/pve1/qemu-server/105.conf' does not
  exist" for a VM that is not on that node;
- writing calls (clone, create, start, stop, suspend, resume, delete) answer at once with a UPID
  ("UPID:node:pid:pstart:starttime:type:id:user:"); `GET /nodes/{node}/tasks/{upid}/status` says
  `status: running` until `stopped`, and then `exitstatus` is "OK" (or "WARNINGS: n") or the error;
- `GET /cluster/resources?type=vm` lists every guest of the cluster in one answer (the API has no pages),
  with its node, status, template flag and lock;
- parameters travel "via the URL" or form-encoded (the API wiki names no JSON request bodies), so the
  driver sends them in the query string, which the shared HTTP helper records with secrets masked.

A service's remote id is the VM id (vmid); its node is looked up in the cluster's resources at each
operation, because VMs migrate between nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from procmod.core.drivers.base import (
    Balance,
    ConfigChange,
    ConfigPlan,
    RemoteService,
    RemoteStatus,
    ServiceResult,
    ServiceSpec,
)
from procmod.core.drivers.errors import PanelRefused, PanelUnavailable, Timeout, UnexpectedAnswer
from procmod.core.drivers.http import Answer, HttpDriver, decode_json, guarded, guarded_pages

API_PREFIX = "/api2/json"
#: A refusal whose reason says the object is not there (what PVE answers for a VM not on a node).
NOT_THERE = "does not exist"
GONE = "gone"


class ProxmoxDriver(HttpDriver):
    module_type = "proxmox"
    system = "Proxmox VE"

    def base_url(self) -> str:
        url = str(self.config.base_url or self.config.setting("url", "")).rstrip("/")
        if url.endswith(API_PREFIX):
            url = url[: -len(API_PREFIX)]
        return url

    # --- plumbing -----------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        token_id = str(self.config.setting("token_id", "")).strip()
        return {"Authorization": f"PVEAPIToken={token_id}={self.config.secret('token_secret')}"}

    def _decode(self, answer: Answer, operation: str) -> Any:
        body = answer.body.lstrip()
        if answer.status >= 500 and not body.startswith(b"{"):
            raise PanelUnavailable(f"Proxmox VE at {self.http.host} failed with HTTP {answer.status}.",
                                   operation=operation, hint="Try again later; check the node's pveproxy log.",
                                   code=answer.status)
        payload = decode_json(answer, self.system, self.http.host)
        if not isinstance(payload, dict):
            raise UnexpectedAnswer(f"Proxmox VE at {self.http.host} answered {operation} without a data envelope.")
        if answer.status >= 400:
            message = str(payload.get("message") or "").strip()
            errors = payload.get("errors")
            if isinstance(errors, dict) and errors:
                details = "; ".join(f"{key}: {str(value).strip()}" for key, value in sorted(errors.items()))
                message = f"{message.rstrip('.')}: {details}" if message else details
            if not message:
                message = f"HTTP {answer.status} without a reason"
            code = GONE if NOT_THERE in message or answer.status == 404 else answer.status
            raise PanelRefused(f"Proxmox VE refused {operation}: {message}", operation=operation, code=code)
        if "data" not in payload:
            raise UnexpectedAnswer(f"Proxmox VE at {self.http.host} answered {operation} without 'data'.")
        return payload["data"]

    def _call(self, operation: str, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> Any:
        return self.http.request(operation, method, API_PREFIX + path, headers=self._headers(),
                                 idempotent=idempotent, decode=lambda answer: self._decode(answer, operation),
                                 **kwargs)

    def _guests(self) -> list[dict[str, Any]]:
        data = self._call("list VMs", "GET", "/cluster/resources", params={"type": "vm"}, idempotent=True)
        if not isinstance(data, list):
            raise UnexpectedAnswer("Proxmox VE's /cluster/resources answer is not a list.")
        return [item for item in data if isinstance(item, dict) and item.get("type", "qemu") == "qemu"]

    def _vms(self) -> list[dict[str, Any]]:
        return [guest for guest in self._guests() if not int(guest.get("template") or 0)]

    def _find(self, vmid: int) -> dict[str, Any] | None:
        return next((vm for vm in self._vms() if int(vm.get("vmid", -1)) == vmid), None)

    def _wait(self, upid: Any, operation: str) -> None:
        """Poll the task until it stops; its exitstatus is "OK" (or warnings) or the panel's reason."""
        if not isinstance(upid, str) or not upid.startswith("UPID:"):
            raise UnexpectedAnswer(f"Proxmox VE answered {operation} without a task id (UPID).")
        node = upid.split(":")[1]
        path = f"/nodes/{quote(node, safe='')}/tasks/{quote(upid, safe='')}/status"
        config = self.config
        polls = max(1, int(config.task_timeout / max(config.task_poll_interval, 1e-6)))
        for poll in range(polls):
            data = self._call(f"{operation}: task status", "GET", path, idempotent=True)
            if isinstance(data, dict) and data.get("status") == "stopped":
                exit_status = str(data.get("exitstatus") or "").strip()
                if exit_status == "OK" or exit_status.startswith("WARNINGS"):
                    return
                reason = exit_status or "no exit status"
                code = GONE if NOT_THERE in reason else None
                raise PanelRefused(f"Proxmox VE task {operation} on {node} failed: {reason}",
                                   operation=operation, code=code)
            if poll < polls - 1:
                config.sleeper(config.task_poll_interval)
        raise Timeout(f"Proxmox VE task {operation} on {node} was still running after {config.task_timeout:g} s.",
                      operation=operation, hint="It may still finish: look at the task log in Proxmox VE before retrying.")

    def _task(self, operation: str, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> None:
        self._wait(self._call(operation, method, path, idempotent=idempotent, **kwargs), operation)

    def _current(self, node: str, vmid: int) -> dict[str, Any]:
        data = self._call("VM status", "GET", f"/nodes/{quote(node, safe='')}/qemu/{vmid}/status/current",
                          idempotent=True)
        return data if isinstance(data, dict) else {}

    def _located(self, remote_id: str, operation: str) -> tuple[str, int]:
        vmid = int(remote_id)
        vm = self._find(vmid)
        if vm is None:
            raise PanelRefused(f"Proxmox VE refused {operation}: VM {vmid} does not exist in the cluster",
                               operation=operation, code=GONE)
        return str(vm.get("node")), vmid

    @staticmethod
    def _status(vm: dict[str, Any]) -> RemoteStatus:
        if vm.get("lock") in ("clone", "create", "destroyed"):
            return RemoteStatus.PENDING
        return {"running": RemoteStatus.ACTIVE, "stopped": RemoteStatus.SUSPENDED}.get(
            str(vm.get("status", "")), RemoteStatus.UNKNOWN)

    # --- the interface ------------------------------------------------------------------------------

    def authenticate(self) -> str:
        nodes = self._call("authenticate", "GET", "/nodes", idempotent=True)
        online = sum(1 for n in nodes if isinstance(n, dict) and n.get("status") == "online") if isinstance(
            nodes, list) else 0
        total = len(nodes) if isinstance(nodes, list) else 0
        return f"token {self.config.setting('token_id', '')} accepted; {online} of {total} node(s) online"

    def api_version(self) -> str:
        data = self._call("version", "GET", "/version", idempotent=True)
        if not isinstance(data, dict) or not data.get("version"):
            raise UnexpectedAnswer("Proxmox VE's /version answer has no version.")
        return f"PVE {data['version']}"

    @guarded
    def update_configuration(self) -> ConfigPlan:
        nodes = self._call("list nodes", "GET", "/nodes", idempotent=True)
        nodes = sorted((n for n in nodes if isinstance(n, dict)), key=lambda n: str(n.get("node")))
        node_choices = [[str(n["node"]), f"{n['node']} ({n.get('status', 'unknown')})"] for n in nodes]
        templates = sorted((g for g in self._guests() if int(g.get("template") or 0)),
                           key=lambda g: int(g.get("vmid", 0)))
        template_choices = [[str(t["vmid"]), f"{t.get('name', t['vmid'])} on {t.get('node')}"]
                            for t in templates]
        settings = self.config.settings
        changes: list[ConfigChange] = []
        online = [n for n in node_choices if any(x.get("node") == n[0] and x.get("status") == "online"
                                                 for x in nodes)]
        notes = [f"{len(online)} of {len(nodes)} node(s) online; {len(templates)} VM template(s)."]
        for key, label, after in (("node_choices", "Nodes", node_choices),
                                  ("template_choices", "VM templates", template_choices)):
            if settings.get(key) != after:
                changes.append(ConfigChange(key, label, settings.get(key), after, "read from the panel"))
        for key, label, choices in (("node", "Node", online or node_choices), ("template", "Template VM",
                                                                                 template_choices)):
            current = str(settings.get(key) or "")
            ids = [value for value, _ in choices]
            if not ids:
                notes.append(f"The cluster offers no {label.lower()}: VMs cannot be created until one exists.")
            elif current not in ids:
                reason = f"{label.lower()} {current} is no longer offered" if current else f"no {label.lower()} was chosen"
                changes.append(ConfigChange(key, label, settings.get(key), ids[0], reason))
        return ConfigPlan(tuple(changes), {"node": tuple(map(tuple, node_choices)),
                                           "template": tuple(map(tuple, template_choices))}, tuple(notes))

    @guarded
    def read_balance(self) -> Balance | None:
        return None

    @staticmethod
    def _service(vm: dict[str, Any]) -> RemoteService:
        """A VM as a remote service: known by its name (what the billing opened it as); the cluster's resource
        list carries no IP address, so the address stays empty. A VM without a name keeps an empty key."""
        name = str(vm.get("name") or "")
        return RemoteService(remote_id=str(vm.get("vmid")), name=name, natural_key=name, status=ProxmoxDriver._status(vm),
                             details={"node": vm.get("node"), "status": vm.get("status"), "lock": vm.get("lock")})

    @guarded_pages
    def iter_remote_services(self, page_size: int = 500) -> Iterator[list[RemoteService]]:
        # `GET /cluster/resources?type=vm` has no paging in the Proxmox VE API: the whole cluster's guests
        # come in one answer (a cluster holds thousands at most), so one page is the honest reading.
        yield [self._service(vm) for vm in self._vms()]

    @guarded
    def list_remote_services(self) -> list[RemoteService]:
        return [service for page in self.iter_remote_services(self.config.page_size) for service in page]

    @guarded
    def open_service(self, spec: ServiceSpec) -> ServiceResult:
        existing = next((vm for vm in self._vms() if vm.get("name") == spec.name), None)
        if existing is not None:  # a retry after a lost reply must not clone a twin
            return ServiceResult(str(existing.get("vmid")), self._status(existing),
                                 f"VM {spec.name} already exists in the cluster.", already_existed=True)
        options = dict(spec.options)
        node = str(options.pop("node", None) or self.config.setting("node", ""))
        template = str(spec.plan or options.pop("template", None) or self.config.setting("template", "") or "")
        vmid = int(self._call("next VM id", "GET", "/cluster/nextid", idempotent=True))
        if template:
            source = next((g for g in self._guests() if str(g.get("vmid")) == template), None)
            if source is None or not int(source.get("template") or 0):
                raise PanelRefused(f"Proxmox VE has no VM template {template}; run Update configuration.",
                                   operation="clone VM")
            source_node = str(source.get("node"))
            body: dict[str, Any] = {"newid": vmid, "name": spec.name,
                                    "full": 1 if self.config.setting("full_clone", True) else 0, **options}
            if node and node != source_node:
                body["target"] = node
            self._task("clone VM", "POST", f"/nodes/{quote(source_node, safe='')}/qemu/{int(template)}/clone",
                       params=body, idempotent=False)
            node = node or source_node
        else:
            if not node:
                raise PanelRefused("No node is chosen for new VMs; run Update configuration.", operation="create VM")
            self._task("create VM", "POST", f"/nodes/{quote(node, safe='')}/qemu",
                       params={"vmid": vmid, "name": spec.name, **options}, idempotent=False)
        self._task("start VM", "POST", f"/nodes/{quote(node, safe='')}/qemu/{vmid}/status/start", idempotent=True)
        return ServiceResult(str(vmid), RemoteStatus.ACTIVE, f"VM {spec.name} ({vmid}) created on {node}.")

    @guarded
    def suspend_service(self, remote_id: str) -> ServiceResult:
        node, vmid = self._located(remote_id, "suspend VM")
        current = self._current(node, vmid)
        base = f"/nodes/{quote(node, safe='')}/qemu/{vmid}/status"
        if self.config.setting("suspend_action", "stop") == "suspend":
            if current.get("qmpstatus") != "paused" and current.get("status") == "running":
                self._task("pause VM", "POST", f"{base}/suspend", idempotent=True)
        elif current.get("status") != "stopped":
            self._task("stop VM", "POST", f"{base}/stop", idempotent=True)
        return ServiceResult(remote_id, RemoteStatus.SUSPENDED, f"VM {vmid} on {node} suspended.")

    @guarded
    def resume_service(self, remote_id: str) -> ServiceResult:
        node, vmid = self._located(remote_id, "resume VM")
        current = self._current(node, vmid)
        base = f"/nodes/{quote(node, safe='')}/qemu/{vmid}/status"
        if current.get("qmpstatus") == "paused":
            self._task("resume VM", "POST", f"{base}/resume", idempotent=True)
        elif current.get("status") != "running":
            self._task("start VM", "POST", f"{base}/start", idempotent=True)
        return ServiceResult(remote_id, RemoteStatus.ACTIVE, f"VM {vmid} on {node} running.")

    @guarded
    def close_service(self, remote_id: str) -> ServiceResult:
        gone = ServiceResult(remote_id, RemoteStatus.DELETED, "Not in the cluster: already deleted.")
        try:
            node, vmid = self._located(remote_id, "delete VM")
            if self._current(node, vmid).get("status") != "stopped":  # PVE refuses to destroy a running VM
                self._task("stop VM", "POST", f"/nodes/{quote(node, safe='')}/qemu/{vmid}/status/stop",
                           idempotent=True)
            self._task("delete VM", "DELETE", f"/nodes/{quote(node, safe='')}/qemu/{vmid}",
                       params={"purge": 1, "destroy-unreferenced-disks": 1}, idempotent=True)
        except PanelRefused as refused:
            if refused.code == GONE:
                return gone
            raise
        return ServiceResult(remote_id, RemoteStatus.DELETED, f"VM {vmid} deleted from {node}.")
