"""A loopback Namecheap XML API (DOMAIN.md §6.3): global parameters checked (ApiUser, ApiKey, UserName,
ClientIp whitelist), getBalances, domains.getList with paging, domains.create charging the balance,
`Status="ERROR"` answers with numbered errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from procmod.demo.emulators.base import EmulatorApp, EmulatorHandle, Reply, Request, as_listed

NS = "http://api.namecheap.com/xml.response"


def envelope(command: str, inner: str, *, status: str = "OK", errors: str = "") -> Reply:
    text = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<ApiResponse Status="{status}" xmlns="{NS}">'
        f"<Errors>{errors}</Errors><Warnings />"
        f"<RequestedCommand>{escape(command)}</RequestedCommand>"
        f"{inner}"
        "<Server>EMULATOR01</Server><GMTTimeDifference>--5:00</GMTTimeDifference>"
        "<ExecutionTime>0.012</ExecutionTime></ApiResponse>"
    )
    return Reply.xml(text)


def failure(command: str, number: int, text: str) -> Reply:
    return envelope(command, "", status="ERROR", errors=f'<Error Number="{number}">{escape(text)}</Error>')


@dataclass
class NamecheapState:
    api_user: str = "procmod"
    api_key: str = "0123456789abcdef0123456789abcdef"
    user_name: str = "procmod"
    client_ips: set[str] = field(default_factory=lambda: {"127.0.0.1", "192.0.2.1"})
    currency: str = "USD"
    balance: Decimal = Decimal("1250.40")
    price_per_year: Decimal = Decimal("10.98")
    domains: dict[str, dict[str, Any]] = field(default_factory=dict)
    today: date = date(2026, 11, 26)
    #: Faults of the domain list: domains listed twice (the list changed while it was read), domains listed
    #: without their `Name`.
    listed_twice: set[str] = field(default_factory=set)
    without_key: set[str] = field(default_factory=set)

    def add_domain(self, name: str, expires: date | None = None, auto_renew: bool = True) -> None:
        expires = expires or self.today + timedelta(days=365)
        self.domains[name] = {
            "ID": str(1000 + len(self.domains)), "Name": name, "User": self.user_name,
            "Created": (expires - timedelta(days=365)).strftime("%m/%d/%Y"),
            "Expires": expires.strftime("%m/%d/%Y"), "IsExpired": str(expires < self.today).lower(),
            "IsLocked": "false", "AutoRenew": str(auto_renew).lower(), "WhoisGuard": "ENABLED",
        }


class NamecheapApp(EmulatorApp):
    name = "namecheap"

    def __init__(self, state: NamecheapState | None = None) -> None:
        self.state = state or NamecheapState()

    def unauthorized(self, request: Request) -> Reply:
        return failure({**request.query, **request.form()}.get("Command", ""), 1011102, "API Key is invalid or API access has not been enabled")

    def malformed(self, request: Request) -> Reply:
        return Reply.xml('<?xml version="1.0"?><ApiResponse Status="OK"><CommandResponse><UserGetBalancesResult')

    def handle(self, request: Request) -> Reply:
        # like the API: parameters from the query string (GET) or a form body (POST), the body's winning
        q, state = {**request.query, **(request.form() if request.method == "POST" else {})}, self.state
        command = q.get("Command", "")
        if request.path != "/xml.response":
            return Reply(404, b"<html><body>404 Not Found</body></html>", "text/html")
        if not q.get("ApiUser"):
            return failure(command, 1010101, "Parameter APIUser is missing")
        if not q.get("ApiKey"):
            return failure(command, 1010102, "Parameter APIKey is missing")
        if q.get("ApiUser") != state.api_user or q.get("ApiKey") != state.api_key:
            return self.unauthorized(request)
        if q.get("UserName") != state.user_name:
            return failure(command, 1016103, "Parameter UserName is unauthorized")
        if q.get("ClientIp") not in state.client_ips:
            return failure(command, 1011150, f"Invalid request IP: {q.get('ClientIp', '')}")
        handler = {
            "namecheap.users.getBalances": self.get_balances,
            "namecheap.domains.getList": self.get_list,
            "namecheap.domains.create": self.create,
        }.get(command)
        if handler is None:
            return failure(command, 1010104, f"Unknown command {command}")
        return handler(command, q)

    def get_balances(self, command: str, q: dict[str, str]) -> Reply:
        s = self.state
        inner = (
            f'<CommandResponse Type="{command}"><UserGetBalancesResult Currency="{s.currency}" '
            f'AvailableBalance="{s.balance:.2f}" AccountBalance="{s.balance:.2f}" EarnedAmount="0.00" '
            'WithdrawableAmount="0.00" FundsRequiredForAutoRenew="0.00" /></CommandResponse>'
        )
        return envelope(command, inner)

    def page_of(self, request: Request) -> int | None:
        q = {**request.query, **(request.form() if request.method == "POST" else {})}
        if q.get("Command") != "namecheap.domains.getList" or q.get("SearchTerm"):
            return None
        page = q.get("Page", "1") or "1"
        return int(page) if page.isdigit() else None

    def get_list(self, command: str, q: dict[str, str]) -> Reply:
        # Page (1-based) and PageSize (10 to 100, 20 when not given), as namecheap.domains.getList pages;
        # Paging says how many domains there are in all, the page and its size.
        page = int(q.get("Page", "1") or 1)
        size = int(q.get("PageSize", "20") or 20)
        if not 10 <= size <= 100:
            return failure(command, 2011170, "PageSize should be between 10 and 100")
        names = sorted(self.state.domains)
        if q.get("SearchTerm"):
            names = [n for n in names if q["SearchTerm"] in n]
            listed = [self.state.domains[n] for n in names]
        else:
            listed = as_listed([self.state.domains[n] for n in names], lambda d: d["Name"], "Name",
                               twice=self.state.listed_twice, without_key=self.state.without_key)
        chunk = listed[(page - 1) * size : page * size]
        rows = "".join(
            "<Domain " + " ".join(f"{k}={quoteattr(v)}" for k, v in domain.items()) + " />" for domain in chunk
        )
        inner = (
            f'<CommandResponse Type="{command}"><DomainGetListResult>{rows}</DomainGetListResult>'
            f"<Paging><TotalItems>{len(listed)}</TotalItems><CurrentPage>{page}</CurrentPage>"
            f"<PageSize>{size}</PageSize></Paging></CommandResponse>"
        )
        return envelope(command, inner)

    def create(self, command: str, q: dict[str, str]) -> Reply:
        s = self.state
        name = q.get("DomainName", "").lower()
        years = int(q.get("Years", "1") or 1)
        if not name or "." not in name:
            return failure(command, 2011169, "Parameter DomainName is invalid")
        if name in s.domains:
            return failure(command, 3031510, f"Domain {name} is not available for registration")
        cost = s.price_per_year * years
        if cost > s.balance:
            return failure(command, 2033409, "Order creation failed: insufficient funds in the account")
        s.balance -= cost
        s.add_domain(name, s.today + timedelta(days=365 * years), q.get("AddFreeWhoisguard", "yes") == "yes")
        inner = (
            f'<CommandResponse Type="{command}"><DomainCreateResult Domain={quoteattr(name)} Registered="true" '
            f'ChargedAmount="{cost:.2f}" DomainID="{s.domains[name]["ID"]}" OrderID="7001" TransactionID="9001" '
            'WhoisguardEnable="true" NonRealTimeDomain="false" /></CommandResponse>'
        )
        return envelope(command, inner)


def start_namecheap(
    host: str = "127.0.0.1", port: int = 0, *, https: bool = False, state: NamecheapState | None = None
) -> EmulatorHandle:
    """Start a Namecheap XML API emulator on loopback; the handle's `.state` is a `NamecheapState`."""
    return EmulatorHandle(NamecheapApp(state), host, port, https)
