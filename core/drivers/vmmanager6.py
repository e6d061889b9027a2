"""VMmanager 6 over its REST API (DOMAIN.md §6.1): token auth, lists, VM actions as polled tasks.

A VM action answers `{"id": <host>, "task": <N>}` where N is the task's *consul id*, not its id in the
task list: the task is found with `GET /vm/v3/task?where=((consul_id EQ 'N') AND (name EQ 'host_create'))`,
as ISPsystem's own billing modules do, and polled until its status is `complete` or `fail`.
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
MAX_PAGES = 10_000
NOT_FOUND = 4004
#: Task statuses that end the wait; anything else (created, pending, running, ...) is still in progress.
TASK_DONE = "complete"
TASK_FAILED = frozenset({"fail", "failed"})
#: Polls that may find no task for a consul id (the task list may lag the action) before that is an error.
UNLISTED_POLLS = 5
STATES = {
    "active": RemoteStatus.ACTIVE,
    "stopped": RemoteStatus.SUSPENDED,
    "creating": RemoteStatus.PENDING,
    "deleting": RemoteStatus.PENDING,
}


class VmmanagerDriver(HttpDriver):
    module_type = "vmmanager6"
    system = "VMmanager"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._token: str | None = None

    def base_url(self) -> str:
        return str(self.config.base_url or self.config.setting("url", "")).rstrip("/")

    # --- plumbing -----------------------------------------------------------------------------------

    def _decode(self, answer: Answer, operation: str) -> Any:
        if answer.status >= 500 and not answer.body.lstrip().startswith(b"{"):
            raise PanelUnavailable(
                f"VMmanager at {self.http.host} failed with HTTP {answer.status}.",
                operation=operation, hint="Try again later; check the panel's own logs.", code=answer.status,
            )
        payload = decode_json(answer, self.system, self.http.host)
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(error, dict):
            code = error.get("code")
            message = str(error.get("msg") or "no reason given")
            if code == UNAUTHORIZED:
                raise BadCredentials(
                    f"VMmanager at {self.http.host} refused the login (error {code}: {message}).",
                    operation=operation, hint="Check the e-mail and the password in the module's settings.",
                )
            value = f" ({error.get('value')})" if error.get("value") not in (None, "") else ""
            raise PanelRefused(f"VMmanager refused: {message}{value} [code {code}]", operation=operation, code=code,
                               http_status=answer.status)
        if answer.status >= 400:
            raise PanelRefused(f"VMmanager refused the call with HTTP {answer.status}.", operation=operation,
                               code=answer.status, http_status=answer.status)
        return payload

    def _login(self) -> str:
        answer = self.http.request(
            "authenticate", "POST", "/auth/v4/public/token",
            json_body={"email": self.config.setting("email", ""), "password": self.config.secret("password")},
            idempotent=True,  # a token request creates nothing: safe to retry while the instance wakes
            decode=lambda answer: self._decode(answer, "authenticate"),
        )
        payload = answer
        token = payload.get("token") if isinstance(payload, dict) else None
        if not token:
            raise UnexpectedAnswer(f"VMmanager at {self.http.host} answered the login without a token.")
        self._token = str(token)
        return self._token

    def _call(self, operation: str, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> Any:
        fresh = self._token is None

        def decode(answer: Answer) -> Any:
            return self._decode(answer, operation)

        token = self._token or self._login()
        try:
            return self.http.request(operation, method, path, headers={"x-xsrf-token": token},
                                     idempotent=idempotent, decode=decode, **kwargs)
        except BadCredentials:
            if fresh:
                raise
            self._token = None  # the session expired: log in again once, then give up
            return self.http.request(operation, method, path, headers={"x-xsrf-token": self._login()},
                                     idempotent=idempotent, decode=decode, **kwargs)

    def _list(self, what: str, where: str | None = None) -> list[dict[str, Any]]:
        params = {"where": where} if where else None
        payload = self._call(f"list {what}", "GET", f"/vm/v3/{what}", params=params, idempotent=True)
        items = payload.get("list") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise UnexpectedAnswer(f"VMmanager's /vm/v3/{what} answer has no list.")
        return [item for item in items if isinstance(item, dict)]

    def _wait_task(self, consul_id: Any, task_name: str, operation: str) -> None:
        """Poll the task with this consul id and name until it is complete (return) or failed (PanelRefused
        with the panel's message), at most task_timeout / task_poll_interval polls (then Timeout)."""
        config = self.config
        polls = max(1, int(config.task_timeout / max(config.task_poll_interval, 1e-6)))
        consul = str(consul_id).replace("'", "")
        where = f"((consul_id EQ '{consul}') AND (name EQ '{task_name}'))"
        label = f"VMmanager task {task_name} (consul id {consul})"
        status = ""
        for poll in range(polls):
            items = [item for item in self._list("task", where)
                     if str(item.get("consul_id", consul)) == consul and str(item.get("name", task_name)) == task_name]
            if not items and poll + 1 >= min(UNLISTED_POLLS, polls):
                raise UnexpectedAnswer(
                    f"VMmanager lists no task {task_name} with consul id {consul} for {operation}.",
                    operation=operation,
                    hint="Check the task list in VMmanager: the action may or may not have been carried out.",
                )
            status = str(items[0].get("status", "")).lower() if items else ""
            if status == TASK_DONE:
                return
            if status in TASK_FAILED:
                raise PanelRefused(f"{label} for {operation} failed: {_task_message(items[0])}", operation=operation)
            if poll < polls - 1:
                config.sleeper(config.task_poll_interval)
        raise Timeout(
            f"{label} for {operation} was still {status or 'unlisted'} after {config.task_timeout:g} s.",
            operation=operation, hint="It may still finish: check the task in VMmanager before retrying.",
        )

    def _action(self, operation: str, method: str, path: str, task_name: str, status: RemoteStatus,
                remote_id: str) -> ServiceResult:
        try:
            payload = self._call(operation, method, path, idempotent=True)
        except PanelRefused as refused:
            if status is RemoteStatus.DELETED and self._already_gone(refused, remote_id):
                return ServiceResult(remote_id, RemoteStatus.DELETED, "Not on the panel: already deleted.")
            raise
        task = payload.get("task") if isinstance(payload, dict) else None
        if task is not None:
            self._wait_task(task, task_name, operation)
        return ServiceResult(remote_id, status, f"VM {remote_id}: {operation} done.")

    def _already_gone(self, refused: PanelRefused, remote_id: str) -> bool:
        """Close is idempotent: error 4004 says the host is not there; a bare HTTP 404 from the API says so
        too, once the host list confirms it (a 404 for an unknown route must not pass for a deleted VM)."""
        if refused.code == NOT_FOUND:
            return True
        if refused.http_status != 404:
            return False
        return not self._list("host", f"(id EQ {int(remote_id)})")

    # --- the interface ------------------------------------------------------------------------------

    def authenticate(self) -> str:
        self._token = None
        self._login()
        return f"logged in as {self.config.setting('email', '')}"

    def api_version(self) -> str:
        clusters = self._list("cluster")
        return f"vm/v3 ({len(clusters)} cluster{'s' if len(clusters) != 1 else ''} visible)"

    @guarded
    def update_configuration(self) -> ConfigPlan:
        clusters = [(str(c.get("id")), str(c.get("name", c.get("id")))) for c in self._list("cluster")]
        templates = [(str(o.get("id")), str(o.get("name", o.get("id")))) for o in self._list("os")]
        nodes = self._list("node")
        settings = self.config.settings
        changes: list[ConfigChange] = []
        notes = [f"{len(nodes)} node(s) in {len(clusters)} cluster(s); {len(templates)} OS template(s)."]
        for key, label, values in (("cluster_choices", "Clusters", clusters), ("os_templates", "OS templates", templates)):
            after = [list(pair) for pair in values]
            if settings.get(key) != after:
                changes.append(ConfigChange(key, label, settings.get(key), after, "read from the panel"))
        current = str(settings.get("cluster") or "")
        ids = [value for value, _ in clusters]
        if not ids:
            notes.append("The panel has no clusters: VMs cannot be created until one exists.")
        elif current not in ids:
            reason = f"cluster {current} no longer exists" if current else "no cluster was chosen"
            changes.append(ConfigChange("cluster", "Cluster", settings.get("cluster"), ids[0], reason))
        return ConfigPlan(tuple(changes), {"cluster": tuple(clusters), "os_template": tuple(templates)}, tuple(notes))

    @guarded
    def read_balance(self) -> Balance | None:
        return None

    def _host_pages(self, count: int) -> Iterator[list[dict[str, Any]]]:
        """The host list a page at a time, as VMmanager 6 pages its lists: `limit=<offset>,<count>` with a
        stable `orderby=id asc`; the reply's `size` is how many hosts there are in all."""
        count, offset = max(1, count), 0
        for _ in range(MAX_PAGES):
            params = {"limit": f"{offset},{count}", "orderby": "id asc"}
            payload = self._call("list host", "GET", "/vm/v3/host", params=params, idempotent=True)
            items = payload.get("list") if isinstance(payload, dict) else None
            if not isinstance(items, list):
                raise UnexpectedAnswer("VMmanager's /vm/v3/host answer has no list.", operation="list host")
            yield [item for item in items if isinstance(item, dict)]
            offset += count
            total = payload.get("size")
            if len(items) < count or (isinstance(total, int) and offset >= total):
                return
        raise UnexpectedAnswer(f"VMmanager's /vm/v3/host did not end after {MAX_PAGES} pages.", operation="list host")

    @staticmethod
    def _service(host: dict[str, Any]) -> RemoteService:
        """A host as a remote service: known by its name (what the billing opened it as), addressed by its
        first IPv4 address when the list carries one; a host listed without a name keeps an empty key."""
        state = str(host.get("state", ""))
        os_info = host.get("os") if isinstance(host.get("os"), dict) else {}
        cluster = host.get("cluster") if isinstance(host.get("cluster"), dict) else {}
        name = str(host.get("name") or "")
        return RemoteService(
            remote_id=str(host.get("id")), name=name, natural_key=name, address=first_ipv4(host),
            status=STATES.get(state, RemoteStatus.UNKNOWN), plan=str(os_info.get("id", "")),
            details={"state": state, "cluster": cluster.get("id")},
        )

    @guarded_pages
    def iter_remote_services(self, page_size: int = 500) -> Iterator[list[RemoteService]]:
        for hosts in self._host_pages(page_size):
            yield [self._service(host) for host in hosts]

    @guarded
    def list_remote_services(self) -> list[RemoteService]:
        return [service for page in self.iter_remote_services(self.config.page_size) for service in page]

    @guarded
    def open_service(self, spec: ServiceSpec) -> ServiceResult:
        existing = self._list("host", f"(name EQ '{spec.name}')")
        if existing:  # a retry after a timeout must not create a twin
            host = existing[0]
            return ServiceResult(str(host.get("id")), STATES.get(str(host.get("state")), RemoteStatus.UNKNOWN),
                                 f"VM {spec.name} already exists on the panel.", already_existed=True)
        options = dict(spec.options)
        body = {
            "name": spec.name,
            "cluster": int(options.pop("cluster", None) or self.config.setting("cluster") or 0),
            "os": int(spec.plan or options.pop("os", 0) or 0),
            **options,
        }
        payload = self._call("create VM", "POST", "/vm/v3/host", json_body=body, idempotent=False)
        if not isinstance(payload, dict) or "id" not in payload:
            raise UnexpectedAnswer("VMmanager answered the VM creation without an id.")
        if payload.get("task") is not None:
            self._wait_task(payload["task"], "host_create", "create VM")
        return ServiceResult(str(payload["id"]), RemoteStatus.ACTIVE, f"VM {spec.name} created.")

    @guarded
    def suspend_service(self, remote_id: str) -> ServiceResult:
        return self._action("stop VM", "POST", f"/vm/v3/host/{int(remote_id)}/stop", "host_stop",
                            RemoteStatus.SUSPENDED, remote_id)

    @guarded
    def resume_service(self, remote_id: str) -> ServiceResult:
        return self._action("start VM", "POST", f"/vm/v3/host/{int(remote_id)}/start", "host_start",
                            RemoteStatus.ACTIVE, remote_id)

    @guarded
    def close_service(self, remote_id: str) -> ServiceResult:
        return self._action("delete VM", "DELETE", f"/vm/v3/host/{int(remote_id)}", "host_delete",
                            RemoteStatus.DELETED, remote_id)


def _task_message(task: dict[str, Any]) -> str:
    """A failed task's own words, from whichever field carries them."""
    for key in ("output", "error", "message", "msg", "comment"):
        value = task.get(key)
        if isinstance(value, dict):
            value = value.get("msg") or value.get("message")
        if value not in (None, "", [], {}):
            return str(value).strip()[:500]
    return "no reason given"


def first_ipv4(host: dict[str, Any]) -> str:
    """The host's first IPv4 address as the list reports it (`ip4: [{"ip": ...}]`), or ""."""
    addresses = host.get("ip4")
    if isinstance(addresses, list):
        for address in addresses:
            if isinstance(address, dict) and address.get("ip"):
                return str(address["ip"])
    return ""
