"""cPanel/WHM over WHM API 1 (DOMAIN.md §6.2): `GET /json-api/<function>?api.version=1`, success only
when metadata.result == 1, accounts listed in chunks.

A call that carries a secret (createacct's password, any parameter whose name or value is a secret) is
sent as `POST /json-api/<function>?api.version=1` with its parameters in an
application/x-www-form-urlencoded body, which WHM API 1 accepts: secrets never travel in a URL, where
proxies' and the panel's access logs would keep them."""

from __future__ import annotations

import re
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
from procmod.core.drivers.errors import PanelRefused, PanelUnavailable, UnexpectedAnswer
from procmod.core.drivers.http import Answer, HttpDriver, decode_json, guarded, guarded_pages
from procmod.core.redaction import is_secret_key

MAX_CHUNKS = 10_000


class CpanelDriver(HttpDriver):
    module_type = "cpanel"
    system = "WHM"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._version: str | None = None

    def base_url(self) -> str:
        if self.config.base_url:
            return str(self.config.base_url).rstrip("/")
        host = str(self.config.setting("host", "")).strip()
        return f"https://{host}:{int(self.config.setting('port', 2087))}"

    def _call(self, function: str, params: dict[str, Any] | None = None, *, idempotent: bool,
              operation: str | None = None) -> dict[str, Any]:
        operation = operation or function
        headers = {"Authorization": f"whm {self.config.setting('whm_user', 'root')}:{self.config.secret('api_token')}"}
        params = dict(params or {})

        def decode(answer: Answer) -> dict[str, Any]:
            return self._decode(answer, function, operation)

        if self._carries_secret(params):
            return self.http.request(operation, "POST", f"/json-api/{function}", params={"api.version": "1"},
                                     form_body=params, headers=headers, idempotent=idempotent, decode=decode)
        return self.http.request(operation, "GET", f"/json-api/{function}", params={"api.version": "1", **params},
                                 headers=headers, idempotent=idempotent, decode=decode)

    def _carries_secret(self, params: dict[str, Any]) -> bool:
        secrets = set(self.config.secret_values)
        return any(is_secret_key(str(key)) or str(value) in secrets for key, value in params.items())

    def _decode(self, answer: Answer, function: str, operation: str) -> dict[str, Any]:
        if answer.status >= 500:
            raise PanelUnavailable(f"WHM at {self.http.host} failed with HTTP {answer.status}.",
                                   operation=operation, hint="Try again later; check cPanel's error log.",
                                   code=answer.status)
        payload = decode_json(answer, self.system, self.http.host)
        metadata = payload.get("metadata") if isinstance(payload, dict) else None
        if not isinstance(metadata, dict):
            raise UnexpectedAnswer(f"WHM at {self.http.host} answered {function} without metadata "
                                   f"(HTTP {answer.status}); is this WHM API 1?")
        if str(metadata.get("result")) != "1":
            reason = str(metadata.get("reason") or "no reason given")
            raise PanelRefused(f"WHM refused {function}: {reason}", operation=operation)
        if answer.status >= 400:
            raise PanelRefused(f"WHM refused {function} with HTTP {answer.status}.", operation=operation)
        data = payload.get("data")
        return {"data": data if isinstance(data, dict) else {}, "metadata": metadata}

    # --- the interface ------------------------------------------------------------------------------

    def authenticate(self) -> str:
        self._version = str(self._call("version", idempotent=True, operation="authenticate")["data"].get("version", ""))
        return f"API token of {self.config.setting('whm_user', 'root')} accepted"

    def api_version(self) -> str:
        if self._version is None:
            self.authenticate()
        return f"WHM {self._version}, API 1"

    @guarded
    def update_configuration(self) -> ConfigPlan:
        packages = [str(p.get("name")) for p in self._call("listpkgs", idempotent=True)["data"].get("pkg", [])
                    if isinstance(p, dict) and p.get("name")]
        settings = self.config.settings
        choices = [[name, name] for name in packages]
        changes: list[ConfigChange] = []
        notes: list[str] = [f"{len(packages)} package(s) on the server."]
        if settings.get("package_choices") != choices:
            changes.append(ConfigChange("package_choices", "Packages", settings.get("package_choices"), choices,
                                        "read from the server"))
        current = str(settings.get("default_package") or "")
        if not packages:
            notes.append("The server has no packages: accounts would get WHM's default.")
        elif current not in packages:
            reason = f"package {current} no longer exists" if current else "no default package was chosen"
            changes.append(ConfigChange("default_package", "Default package", settings.get("default_package"),
                                        packages[0], reason))
        return ConfigPlan(tuple(changes), {"default_package": tuple((p, p) for p in packages)}, tuple(notes))

    @guarded
    def read_balance(self) -> Balance | None:
        return None

    def _account_pages(self, size: int, **search: str) -> Iterator[list[dict[str, Any]]]:
        """listaccts a chunk at a time, as WHM API 1 paginates: `api.chunk.enable=1`, `api.chunk.size=N`,
        `api.chunk.start=K` (1-based, the first record of the chunk) and `api.chunk.verbose=1`, whose reply's
        `metadata.chunk` says `records` (all of them), `start`, `size`, `current` (the chunk) and `chunks`."""
        size = max(1, size)
        start = 1
        for _ in range(MAX_CHUNKS):
            params = {"api.chunk.enable": "1", "api.chunk.verbose": "1", "api.chunk.size": str(size),
                      "api.chunk.start": str(start), **search}
            result = self._call("listaccts", params, idempotent=True, operation="list accounts")
            accounts = result["data"].get("acct", [])
            chunk = [a for a in accounts if isinstance(a, dict)] if isinstance(accounts, list) else []
            yield chunk
            info = result["metadata"].get("chunk")
            records = _number(info.get("records")) if isinstance(info, dict) else None
            if len(chunk) < size or (records is not None and start - 1 + len(chunk) >= records):
                return
            start += size
        raise UnexpectedAnswer(f"WHM's listaccts did not end after {MAX_CHUNKS} chunks.", operation="list accounts")

    def _accounts(self, **search: str) -> list[dict[str, Any]]:
        return [account for chunk in self._account_pages(self.config.page_size, **search) for account in chunk]

    @staticmethod
    def _service(account: dict[str, Any]) -> RemoteService:
        """An account as a remote service: known by its user name (also its remote id), addressed by its
        main domain. An account listed without a user name is still returned, with an empty key."""
        suspended = str(account.get("suspended", "0")) == "1"
        user, domain = str(account.get("user") or ""), str(account.get("domain") or "")
        return RemoteService(
            remote_id=user, name=domain, natural_key=user, address=domain,
            status=RemoteStatus.SUSPENDED if suspended else RemoteStatus.ACTIVE, plan=str(account.get("plan") or ""),
            details={"email": account.get("email", ""), "suspendreason": account.get("suspendreason", "")},
        )

    @guarded_pages
    def iter_remote_services(self, page_size: int = 500) -> Iterator[list[RemoteService]]:
        for chunk in self._account_pages(page_size):
            yield [self._service(account) for account in chunk]

    @guarded
    def list_remote_services(self) -> list[RemoteService]:
        return [service for page in self.iter_remote_services(self.config.page_size) for service in page]

    @guarded
    def open_service(self, spec: ServiceSpec) -> ServiceResult:
        options = dict(spec.options)
        username = str(options.get("username") or re.sub(r"[^a-z0-9]", "", spec.name.lower())[:8] or "user")
        existing = self._accounts(search=username, searchtype="user", searchmethod="exact")
        if existing:  # a retry after a timeout must not fail or create a twin
            account = existing[0]
            if account.get("domain") != spec.name:
                raise PanelRefused(
                    f"WHM already has an account {username} for another domain ({account.get('domain')}).",
                    operation="open", hint="Choose another username.",
                )
            return ServiceResult(username, self._service(account).status,
                                 f"Account {username} already exists.", already_existed=True)
        params = {
            "username": username, "domain": spec.name,
            "plan": spec.plan or self.config.setting("default_package", ""),
            "password": str(options.get("password", "")), "contactemail": str(options.get("contactemail", "")),
        }
        for index in (1, 2):
            if self.config.setting(f"nameserver{index}"):
                params[f"nameserver{index}"] = self.config.setting(f"nameserver{index}")
        self._call("createacct", {k: v for k, v in params.items() if v}, idempotent=False, operation="create account")
        return ServiceResult(username, RemoteStatus.ACTIVE, f"Account {username} created for {spec.name}.")

    @guarded
    def suspend_service(self, remote_id: str) -> ServiceResult:
        self._call("suspendacct", {"user": remote_id, "reason": "Suspended by billing"}, idempotent=True,
                   operation="suspend account")
        return ServiceResult(remote_id, RemoteStatus.SUSPENDED, f"Account {remote_id} suspended.")

    @guarded
    def resume_service(self, remote_id: str) -> ServiceResult:
        self._call("unsuspendacct", {"user": remote_id}, idempotent=True, operation="unsuspend account")
        return ServiceResult(remote_id, RemoteStatus.ACTIVE, f"Account {remote_id} unsuspended.")

    @guarded
    def close_service(self, remote_id: str) -> ServiceResult:
        if not self._accounts(search=remote_id, searchtype="user", searchmethod="exact"):
            return ServiceResult(remote_id, RemoteStatus.DELETED, f"Account {remote_id} is not on the server: "
                                 "already removed.")
        self._call("removeacct", {"username": remote_id}, idempotent=False, operation="remove account")
        return ServiceResult(remote_id, RemoteStatus.DELETED, f"Account {remote_id} removed.")


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
