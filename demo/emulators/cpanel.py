"""A loopback cPanel/WHM API 1 (DOMAIN.md §6.2): `whm user:token` auth, accounts and packages, the
`metadata.result` convention (HTTP 200 with result 0 and a reason for refusals), chunked listaccts.

Like WHM, a function's parameters may come in the query string (GET) or in an
application/x-www-form-urlencoded POST body; the body's fields win over the query's. Every request's
URL stays in the handle's request log (`Request.url`), so tests can check what travelled in URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from procmod.demo.emulators.base import EmulatorApp, EmulatorHandle, Reply, Request, as_listed


def answer(command: str, data: Any = None, *, result: int = 1, reason: str = "OK", **extra: Any) -> Reply:
    payload: dict[str, Any] = {"metadata": {"command": command, "version": 1, "result": result, "reason": reason}}
    payload["metadata"].update(extra)
    if data is not None:
        payload["data"] = data
    return Reply.json(payload)


@dataclass
class CpanelState:
    whm_user: str = "root"
    api_token: str = "WHMTOKEN0123456789ABCDEF"
    version: str = "11.118.0.13"
    packages: list[str] = field(default_factory=lambda: ["starter", "business", "pro"])
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)  # what createacct received, to check delivery
    #: Faults of the list: users listed twice (the list changed while it was read), users listed without
    #: their `user` field.
    listed_twice: set[str] = field(default_factory=set)
    without_key: set[str] = field(default_factory=set)

    def add_account(self, user: str, domain: str, plan: str = "starter", suspended: bool = False) -> None:
        self.accounts[user] = {
            "user": user, "domain": domain, "plan": plan, "suspended": int(suspended),
            "suspendreason": "not suspended" if not suspended else "billing", "email": f"admin@{domain}",
            "startdate": "24 Jan 15 10:00", "diskused": "12M",
        }


class CpanelApp(EmulatorApp):
    name = "cpanel"

    def __init__(self, state: CpanelState | None = None) -> None:
        self.state = state or CpanelState()

    def unauthorized(self, request: Request) -> Reply:
        return Reply(401, b"Access denied", "text/plain")

    def malformed(self, request: Request) -> Reply:
        return Reply(200, b'{"metadata": {"result": 1, "reason": "OK"}, "data": {"acct": [{"user": "a', "application/json")

    def handle(self, request: Request) -> Reply:
        state = self.state
        if request.headers.get("authorization", "") != f"whm {state.whm_user}:{state.api_token}":
            return self.unauthorized(request)
        if not request.path.startswith("/json-api/"):
            return Reply(404, b"Not found", "text/plain")
        if request.method not in ("GET", "POST"):
            return Reply(405, b"Method Not Allowed", "text/plain")
        params = {**request.query, **(request.form() if request.method == "POST" else {})}
        if params.get("api.version") != "1":
            return answer("unknown", result=0, reason="This emulator speaks WHM API 1 only (api.version=1).")
        command = request.path.removeprefix("/json-api/")
        method = getattr(self, f"cmd_{command}", None)
        if method is None:
            return answer(command, result=0, reason=f"Unknown app (“{command}”) requested for this version (1) of the API.")
        return method(params)

    def cmd_version(self, q: dict[str, str]) -> Reply:
        return answer("version", {"version": self.state.version})

    def cmd_listpkgs(self, q: dict[str, str]) -> Reply:
        return answer("listpkgs", {"pkg": [{"name": name, "QUOTA": "10240"} for name in self.state.packages]})

    def page_of(self, request: Request) -> int | None:
        if not request.path.endswith("/listaccts"):
            return None
        q = {**request.query, **(request.form() if request.method == "POST" else {})}
        if q.get("api.chunk.enable") != "1" or q.get("search"):
            return None
        size = max(1, int(q.get("api.chunk.size", "100") or 100))
        return (max(1, int(q.get("api.chunk.start", "1") or 1)) - 1) // size + 1

    def cmd_listaccts(self, q: dict[str, str]) -> Reply:
        accounts = sorted(self.state.accounts.values(), key=lambda a: a["user"])
        if q.get("search"):
            field_name = q.get("searchtype", "user")
            wanted = q["search"]
            exact = q.get("searchmethod") == "exact"
            accounts = [a for a in accounts if (a.get(field_name) == wanted if exact else wanted in str(a.get(field_name)))]
        else:
            accounts = as_listed(accounts, lambda a: a["user"], "user", twice=self.state.listed_twice,
                                 without_key=self.state.without_key)
        extra: dict[str, Any] = {}
        if q.get("api.chunk.enable") == "1":
            # WHM API 1 pagination: api.chunk.size records from api.chunk.start (1-based); the metadata's
            # `chunk` says where this chunk starts, its size, which chunk it is, how many chunks and records.
            size = max(1, int(q.get("api.chunk.size", "100") or 100))
            start = max(1, int(q.get("api.chunk.start", "1") or 1))
            total = len(accounts)
            accounts = accounts[start - 1 : start - 1 + size]
            extra["chunk"] = {"start": start, "size": size, "records": total, "current": (start - 1) // size + 1,
                              "chunks": -(-total // size)}
        return answer("listaccts", {"acct": accounts}, **extra)

    def cmd_createacct(self, q: dict[str, str]) -> Reply:
        user, domain = q.get("username", ""), q.get("domain", "")
        if not user or not domain:
            return answer("createacct", result=0, reason="Sorry, you must specify a username and a domain.")
        if user in self.state.accounts:
            return answer("createacct", result=0, reason=f"Sorry, a group for that username already exists. ({user})")
        if any(a["domain"] == domain for a in self.state.accounts.values()):
            return answer("createacct", result=0, reason=f"Sorry, the domain {domain} is already owned by another user.")
        plan = q.get("plan") or "default"
        if plan not in self.state.packages:
            return answer("createacct", result=0, reason=f"The package “{plan}” does not exist.")
        self.state.add_account(user, domain, plan)
        self.state.accounts[user]["email"] = q.get("contactemail", "")
        if q.get("password"):  # kept apart from the listed fields, as WHM keeps it out of listaccts
            self.state.passwords[user] = q["password"]
        return answer("createacct", {"ip": "192.0.2.10", "nameserver": "ns1.example.net", "package": plan},
                      reason="Account Creation Ok")

    def _account(self, command: str, user: str) -> dict[str, Any] | Reply:
        account = self.state.accounts.get(user)
        if account is None:
            return answer(command, result=0, reason=f"The user “{user}” does not exist.")
        return account

    def cmd_suspendacct(self, q: dict[str, str]) -> Reply:
        account = self._account("suspendacct", q.get("user", ""))
        if isinstance(account, Reply):
            return account
        account["suspended"] = 1
        account["suspendreason"] = q.get("reason", "")
        return answer("suspendacct", reason=f"Account {account['user']} suspended")

    def cmd_unsuspendacct(self, q: dict[str, str]) -> Reply:
        account = self._account("unsuspendacct", q.get("user", ""))
        if isinstance(account, Reply):
            return account
        account["suspended"] = 0
        account["suspendreason"] = "not suspended"
        return answer("unsuspendacct", reason=f"Account {account['user']} unsuspended")

    def cmd_removeacct(self, q: dict[str, str]) -> Reply:
        account = self._account("removeacct", q.get("username", ""))
        if isinstance(account, Reply):
            return account
        del self.state.accounts[account["user"]]
        self.state.passwords.pop(account["user"], None)
        return answer("removeacct", reason=f"{account['user']} account removed")


def start_cpanel(
    host: str = "127.0.0.1", port: int = 0, *, https: bool = False, state: CpanelState | None = None
) -> EmulatorHandle:
    """Start a WHM API 1 emulator on loopback; the handle's `.state` is a `CpanelState`."""
    return EmulatorHandle(CpanelApp(state), host, port, https)
