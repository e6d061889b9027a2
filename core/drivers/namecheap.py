"""Namecheap over its XML API (DOMAIN.md §6.3): global parameters on every call (POSTed as a form, so
the API key never travels in a URL), balances, domains
paged, `Status="ERROR"` answers mapped to typed errors. XML is parsed with `defusedxml`, which refuses any DTD,
entity declaration or external reference while parsing, whatever the body's encoding (a byte search for
`<!DOCTYPE` misses it in UTF-16)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from procmod.core.drivers.base import (
    Balance,
    ConfigPlan,
    RemoteService,
    RemoteStatus,
    ServiceResult,
    ServiceSpec,
)
from procmod.core.drivers.errors import BadCredentials, PanelRefused, PanelUnavailable, UnexpectedAnswer, Unsupported
from procmod.core.drivers.http import Answer, HttpDriver, guarded, guarded_pages

PRODUCTION_URL = "https://api.namecheap.com"
SANDBOX_URL = "https://api.sandbox.namecheap.com"
MAX_PAGES = 10_000
#: What namecheap.domains.getList accepts as PageSize.
MIN_PAGE_SIZE, MAX_PAGE_SIZE = 10, 100
#: Global error numbers about who is calling (user, key, IP whitelist): the credentials are at fault.
CREDENTIAL_ERRORS = frozenset({
    1010101, 1010102, 1011102, 1010105, 1011105, 1011150, 1017150, 1017105, 1017101, 1017411,
    1019103, 1016103, 1017103, 1050900, 1030408,
})


def _strip_namespace(root: ET.Element) -> ET.Element:
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def parse_xml(body: bytes, system: str, host: str) -> ET.Element:
    """The body as an element tree. DTDs, entities and external references are refused by the parser
    itself (XXE, billion laughs), in any encoding; nothing declared in the body is ever expanded."""
    head = body.lstrip()[:1024].lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise UnexpectedAnswer(f"{system} at {host} answered with an HTML page instead of XML.",
                               hint="Check the API address (production or sandbox).")
    try:
        return _strip_namespace(SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True,
                                                  forbid_external=True))
    except DefusedXmlException as exc:
        raise UnexpectedAnswer(
            f"{system} at {host} sent XML with a DTD or entity declarations ({type(exc).__name__}); "
            "refused without expanding it.",
            hint="The API never sends these: something between the console and the API is answering in its place.",
        ) from None
    except ET.ParseError as exc:
        raise UnexpectedAnswer(f"{system} at {host} sent malformed XML ({exc.msg if hasattr(exc, 'msg') else exc}); "
                               "it may have been cut off.", hint="Try again later.") from None
    except ValueError as exc:  # e.g. expat's "multi-byte encodings are not supported"
        raise UnexpectedAnswer(f"{system} at {host} sent XML the parser cannot read ({exc}); refused unread.",
                               hint="The API answers in UTF-8: check what answers in its place.") from None


def _flag(value: str | None) -> bool:
    return str(value).strip().lower() == "true"


def _date(value: str | None) -> date | None:
    try:
        return datetime.strptime(str(value), "%m/%d/%Y").date()
    except ValueError:
        return None


class NamecheapDriver(HttpDriver):
    module_type = "namecheap"
    system = "Namecheap"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._server: str = ""

    def base_url(self) -> str:
        if self.config.base_url:
            return str(self.config.base_url).rstrip("/")
        return SANDBOX_URL if self.config.setting("sandbox", False) else PRODUCTION_URL

    def _call(self, command: str, extra: dict[str, Any] | None = None, *, idempotent: bool,
              operation: str) -> ET.Element:
        config = self.config
        fields = {
            "ApiUser": config.setting("api_user", ""), "ApiKey": config.secret("api_key"),
            "UserName": config.setting("user_name", "") or config.setting("api_user", ""),
            "ClientIp": config.setting("client_ip", ""), **(extra or {}),
        }
        # POST, as the API accepts for every command: the API key travels in the body, never in a URL
        # (access logs); only the command's name stays in the query string, for the call log.
        return self.http.request(operation, "POST", "/xml.response", params={"Command": command}, form_body=fields,
                                 idempotent=idempotent, decode=lambda answer: self._decode(answer, command, operation))

    def _decode(self, answer: Answer, command: str, operation: str) -> ET.Element:
        if answer.status >= 500:
            raise PanelUnavailable(f"Namecheap at {self.http.host} failed with HTTP {answer.status}.",
                                   operation=operation, hint="Try again later.", code=answer.status)
        if not answer.body.strip():
            raise UnexpectedAnswer(f"Namecheap at {self.http.host} sent an empty answer (HTTP {answer.status}).")
        root = parse_xml(answer.body, self.system, self.http.host)
        if root.tag != "ApiResponse":
            raise UnexpectedAnswer(f"Namecheap at {self.http.host} answered with <{root.tag}>, not <ApiResponse>.")
        self._server = (root.findtext("Server") or "").strip()
        if root.get("Status", "").upper() == "ERROR":
            errors = root.findall("./Errors/Error")
            first = errors[0] if errors else None
            number = int(first.get("Number", "0")) if first is not None and first.get("Number", "").isdigit() else 0
            text = (first.text or "").strip() if first is not None else "no reason given"
            if number in CREDENTIAL_ERRORS:
                raise BadCredentials(
                    f"Namecheap refused the API credentials: {text} (error {number}).", operation=operation,
                    hint="Check the API user, API key, user name, and that the client IP is whitelisted "
                    "in the Namecheap account.",
                )
            raise PanelRefused(f"Namecheap refused {command}: {text} (error {number}).", operation=operation,
                               code=number)
        if root.get("Status", "").upper() != "OK":
            raise UnexpectedAnswer(f"Namecheap answered with Status={root.get('Status')!r}.")
        if answer.status >= 400:
            raise PanelRefused(f"Namecheap refused {command} with HTTP {answer.status}.", operation=operation)
        response = root.find("CommandResponse")
        if response is None:
            raise UnexpectedAnswer(f"Namecheap's answer to {command} has no CommandResponse.")
        return response

    def _balance(self, operation: str) -> Balance:
        result = self._call("namecheap.users.getBalances", idempotent=True, operation=operation).find(
            "UserGetBalancesResult")
        if result is None:
            raise UnexpectedAnswer("Namecheap's balance answer has no UserGetBalancesResult.")
        try:
            amount = Decimal(result.get("AvailableBalance", ""))
        except InvalidOperation:
            raise UnexpectedAnswer("Namecheap's balance is not a number.") from None
        return Balance(amount, result.get("Currency", "USD"))

    # --- the interface ------------------------------------------------------------------------------

    def authenticate(self) -> str:
        self._balance("authenticate")
        return f"API user {self.config.setting('api_user', '')} accepted from {self.config.setting('client_ip', '')}"

    def api_version(self) -> str:
        server = f", server {self._server}" if self._server else ""
        return f"xml.response{server}"

    @guarded
    def update_configuration(self) -> ConfigPlan:
        balance = self._balance("update configuration")
        return ConfigPlan(notes=(f"Namecheap has no remote configuration to pull; balance {balance.amount} "
                                 f"{balance.currency}.",))

    @guarded
    def read_balance(self) -> Balance | None:
        return self._balance("read balance")

    def _domain_pages(self, page_size: int, search: str = "") -> Iterator[list[ET.Element]]:
        """namecheap.domains.getList a page at a time: `Page` (1-based) and `PageSize` (10 to 100, as the API
        allows); the reply's `Paging/TotalItems` says how many domains there are in all."""
        size = min(max(page_size, MIN_PAGE_SIZE), MAX_PAGE_SIZE)
        for page in range(1, MAX_PAGES + 1):
            extra = {"Page": str(page), "PageSize": str(size), **({"SearchTerm": search} if search else {})}
            response = self._call("namecheap.domains.getList", extra, idempotent=True, operation="list domains")
            rows = response.findall("./DomainGetListResult/Domain")
            yield rows
            total_text = (response.findtext("./Paging/TotalItems") or "0").strip()
            total = int(total_text) if total_text.isdigit() else 0
            if len(rows) < size or page * size >= total:
                return
        raise UnexpectedAnswer(f"Namecheap's domain list did not end after {MAX_PAGES} pages.",
                               operation="list domains")

    def _domains(self, search: str = "") -> list[ET.Element]:
        return [row for rows in self._domain_pages(self.config.page_size, search) for row in rows]

    @staticmethod
    def _service(row: ET.Element) -> RemoteService:
        """A domain as a remote service: known and addressed by its name (the key in lower case); a row
        without a name is still returned, with an empty key."""
        expired = _flag(row.get("IsExpired"))
        name = row.get("Name", "")
        return RemoteService(
            remote_id=name, name=name, natural_key=name.strip().lower(), address=name.strip().lower(),
            status=RemoteStatus.EXPIRED if expired else RemoteStatus.ACTIVE,
            expires=_date(row.get("Expires")),
            details={"auto_renew": _flag(row.get("AutoRenew")), "id": row.get("ID", ""),
                     "locked": _flag(row.get("IsLocked"))},
        )

    @guarded_pages
    def iter_remote_services(self, page_size: int = 500) -> Iterator[list[RemoteService]]:
        for rows in self._domain_pages(page_size):
            yield [self._service(row) for row in rows]

    @guarded
    def list_remote_services(self) -> list[RemoteService]:
        return [service for page in self.iter_remote_services(self.config.page_size) for service in page]

    @guarded
    def open_service(self, spec: ServiceSpec) -> ServiceResult:
        name = spec.name.strip().lower()
        for row in self._domains(search=name):  # a retry after a timeout must not register twice
            if row.get("Name", "").lower() == name:
                return ServiceResult(name, self._service(row).status, f"{name} is already in the account.",
                                     already_existed=True)
        years = str(spec.plan or self.config.setting("default_years", 1))
        extra = {"DomainName": name, "Years": years, **{k: str(v) for k, v in spec.options.items()}}
        response = self._call("namecheap.domains.create", extra, idempotent=False, operation="register domain")
        result = response.find("DomainCreateResult")
        if result is None or not _flag(result.get("Registered")):
            raise PanelRefused(f"Namecheap did not register {name}.", operation="register domain")
        return ServiceResult(name, RemoteStatus.ACTIVE,
                             f"{name} registered for {years} year(s), charged {result.get('ChargedAmount', '?')}.")

    def _unsupported(self, what: str) -> Unsupported:
        return Unsupported(f"Namecheap has no API to {what} a domain registration.",
                           hint="Manage the domain at the registrar (e.g. switch off auto-renew).")

    @guarded
    def suspend_service(self, remote_id: str) -> ServiceResult:
        raise self._unsupported("suspend")

    @guarded
    def resume_service(self, remote_id: str) -> ServiceResult:
        raise self._unsupported("resume")

    @guarded
    def close_service(self, remote_id: str) -> ServiceResult:
        raise self._unsupported("delete")
