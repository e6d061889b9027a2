"""The loopback HTTP server the emulators share: request parsing, switchable faults, optional HTTPS.

An emulator is an `EmulatorApp` (stateful, answers one parsed `Request` with a `Reply`) served by a
`ThreadingHTTPServer` on 127.0.0.1 in a daemon thread. Faults are switched on the returned
`EmulatorHandle` and apply to the next N requests (or all of them), so tests can say "503 twice, then
OK". Stdlib only (plus `cryptography` for the HTTPS certificate).
"""

from __future__ import annotations

import enum
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from procmod.demo.emulators.tls import LocalCertificate, make_local_certificate

LOOPBACK = "127.0.0.1"
HUGE_BODY_BYTES = 10 * 1024 * 1024


class FaultKind(enum.StrEnum):
    LATENCY = "latency"  # answer normally, after `delay` seconds
    ERROR_500 = "500"
    ERROR_503 = "503"
    ERROR_429 = "429"
    WRONG_CREDENTIALS = "wrong_credentials"  # answer as if the credentials were wrong
    HTML = "html"  # a 200 HTML page instead of the API's JSON/XML
    TRUNCATED = "truncated"  # announce the full length, send half, close
    SLOW_BODY = "slow_body"  # trickle the answer one byte per `delay` seconds
    HUGE_BODY = "huge_body"  # a 10 MB answer (`chunked=True`: without Content-Length)
    MALFORMED = "malformed"  # a body that does not parse (broken JSON / XML)
    REDIRECT = "redirect"  # 302 to another address
    DOCTYPE = "doctype"  # XML carrying a DTD with an entity (XXE bait)
    LOST_REPLY = "lost_reply"  # carry the request out, then answer only after `delay` (the client gave up)
    DOCTYPE_UTF16 = "doctype_utf16"  # the same bait in UTF-16, its entity smuggling in a forged balance
    MISLABELLED = "mislabelled"  # the API's own answer, labelled Content-Type: text/html
    LATE_REPLY = "lost_reply"  # the same fault under the name the service-operation tests use

    @classmethod
    def _missing_(cls, value: object) -> FaultKind | None:
        return cls.LOST_REPLY if value == "late_reply" else None


@dataclass
class Fault:
    kind: FaultKind
    remaining: int | None = None  # None: every request; n: the next n requests
    delay: float = 0.05
    chunked: bool = False
    path_prefix: str = ""  # only requests whose path starts with this
    when: Callable[[Request], bool] | None = None  # only requests this says yes to (method, command, ...)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    url: str = ""  # the request target as sent: path and query string, undecoded

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        """An application/x-www-form-urlencoded body's fields (empty for any other body)."""
        kind = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded" or not self.body:
            return {}
        try:
            return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return {}


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Reply:
        return cls(status, json.dumps(payload).encode(), "application/json")

    @classmethod
    def xml(cls, text: str, status: int = 200) -> Reply:
        return cls(status, text.encode(), "text/xml; charset=utf-8")


class EmulatorApp:
    """Subclasses implement `handle` and, for faults, the system's own 'wrong credentials' answer."""

    name = "emulator"
    state: Any = None

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def unauthorized(self, request: Request) -> Reply:
        return Reply.json({"error": "unauthorized"}, 401)

    def malformed(self, request: Request) -> Reply:
        return Reply(200, b'{"list": [{"id": 1, "name": "trunc', "application/json")

    def page_of(self, request: Request) -> int | None:
        """Which page (1-based) of the service list this request reads, in the system's own paging
        parameters; None for any other request. `EmulatorHandle.fail_page` uses it."""
        return None


def as_listed(items: list[dict[str, Any]], id_of: Callable[[dict[str, Any]], str], key_field: str, *,
              twice: set[str], without_key: set[str]) -> list[dict[str, Any]]:
    """A list as a misbehaving panel sends it: the objects whose id is in `twice` appear twice in a row (a
    list that changed while it was read repeats them across pages), those in `without_key` come without
    their key field (a half-made account, a VM without a name). Copies: the state is not changed."""
    if not twice and not without_key:
        return items
    listed: list[dict[str, Any]] = []
    for item in items:
        identity = id_of(item)
        if identity in without_key:
            item = {k: v for k, v in item.items() if k != key_field}
        listed.append(item)
        if identity in twice:
            listed.append(dict(item))
    return listed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handle: EmulatorHandle, tls: ssl.SSLContext | None) -> None:
        self.handle_ref = handle
        self.tls = tls
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls is not None:  # handshake later, in the handler's thread, so a bad client can't stall accept
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet: clients abort on purpose
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def handle_one(self) -> None:
        handle = self.server.handle_ref
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            url=self.path,
        )
        fault = handle._take_fault(request)
        handle.requests.append(request)
        reply = self._reply_for(handle, request, fault)
        if reply is None:
            return
        self._send(reply, fault)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_one

    def _reply_for(self, handle: EmulatorHandle, request: Request, fault: Fault | None) -> Reply | None:
        app = handle.app
        kind = fault.kind if fault else None
        if kind is FaultKind.LATENCY:
            time.sleep(fault.delay)  # type: ignore[union-attr]
        if kind is FaultKind.ERROR_500:
            return Reply(500, b"Internal Server Error", "text/plain")
        if kind is FaultKind.ERROR_503:
            return Reply(503, b"Service Unavailable: the instance is waking up", "text/plain", {"Retry-After": "0"})
        if kind is FaultKind.ERROR_429:
            return Reply(429, b"Too Many Requests", "text/plain", {"Retry-After": "0"})
        if kind is FaultKind.WRONG_CREDENTIALS:
            return app.unauthorized(request)
        if kind is FaultKind.HTML:
            return Reply(200, b"<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>", "text/html")
        if kind is FaultKind.MALFORMED:
            return app.malformed(request)
        if kind is FaultKind.REDIRECT:
            return Reply(302, b"", "text/plain", {"Location": "https://login.example.invalid/sso?next=/"})
        if kind is FaultKind.DOCTYPE:
            text = (
                '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                '<ApiResponse Status="OK"><Errors/><CommandResponse>&lol2;</CommandResponse></ApiResponse>'
            )
            return Reply.xml(text)
        if kind is FaultKind.DOCTYPE_UTF16:
            forged = '<UserGetBalancesResult Currency="USD" AvailableBalance="999999.00" />'
            text = (
                '<?xml version="1.0" encoding="UTF-16"?>'
                f'<!DOCTYPE ApiResponse [<!ENTITY forged \'{forged}\'>]>'
                '<ApiResponse Status="OK"><Errors/><CommandResponse>&forged;</CommandResponse></ApiResponse>'
            )
            return Reply(200, text.encode("utf-16"), "text/xml; charset=utf-16")
        if kind is FaultKind.HUGE_BODY:
            return Reply(200, b" " * HUGE_BODY_BYTES, "application/json")
        with handle.lock:
            try:
                reply = app.handle(request)
            except Exception as exc:  # a bug or odd state in the emulator: answer like a crashing panel
                return Reply(500, f"emulator error: {type(exc).__name__}".encode(), "text/plain")
        if kind is FaultKind.LOST_REPLY:
            time.sleep(fault.delay)  # type: ignore[union-attr]  # done on the panel; the answer comes too late
        if kind is FaultKind.MISLABELLED:
            reply = replace(reply, content_type="text/html; charset=UTF-8")
        return reply

    def _send(self, reply: Reply, fault: Fault | None) -> None:
        kind = fault.kind if fault else None
        body = reply.body
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        chunked_huge = kind is FaultKind.HUGE_BODY and fault.chunked  # type: ignore[union-attr]
        if not chunked_huge:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            if kind is FaultKind.TRUNCATED:
                self.wfile.write(body[: max(1, len(body) // 2)])
                self.wfile.flush()
                return
            if kind is FaultKind.SLOW_BODY:
                for index in range(len(body)):
                    self.wfile.write(body[index : index + 1])
                    self.wfile.flush()
                    time.sleep(fault.delay)  # type: ignore[union-attr]
                return
            if chunked_huge:
                step = 64 * 1024
                for start in range(0, len(body), step):
                    self.wfile.write(body[start : start + step])
                return
            self.wfile.write(body)
        except OSError:  # the client gave up (deadline, size cap): that is the point of the fault
            pass


class EmulatorHandle:
    """A running emulator: its address, its state, its request log and its fault switches."""

    def __init__(self, app: EmulatorApp, host: str, port: int, https: bool) -> None:
        if host not in (LOOPBACK, "localhost", "::1"):
            raise ValueError("emulators bind loopback only")
        self.app = app
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self.certificate: LocalCertificate | None = None
        self._faults: list[Fault] = []
        tls_context = None
        if https:
            self.certificate = make_local_certificate()
            tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls_context.load_cert_chain(self.certificate.cert_file, self.certificate.key_file)
        self._server = _Server((host, port), self, tls_context)
        self.host = host
        self.port = self._server.server_address[1]
        scheme = "https" if https else "http"
        self.base_url = f"{scheme}://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{app.name}-emulator", daemon=True
        )
        self._thread.start()

    @property
    def state(self) -> Any:
        return self.app.state

    @property
    def ca_file(self) -> str | None:
        return str(self.certificate.ca_file) if self.certificate else None

    def set_fault(
        self,
        kind: FaultKind | str,
        *,
        times: int | None = None,
        delay: float = 0.05,
        chunked: bool = False,
        path_prefix: str = "",
        when: Callable[[Request], bool] | None = None,
    ) -> None:
        """Switch a fault on for the next `times` requests (all requests when None) whose path starts with
        `path_prefix` and for which `when` (if given) is true."""
        with self.lock:
            self._faults.append(Fault(FaultKind(kind), times, delay, chunked, path_prefix, when))

    def fail_page(self, page: int, kind: FaultKind | str = FaultKind.ERROR_500, *, times: int | None = None) -> None:
        """Make every read (or the next `times` reads) of page `page` (1-based) of the service list fail with
        `kind`, the pages before and after it answering normally: a panel that answers partly."""
        self.set_fault(kind, times=times, when=lambda request: self.app.page_of(request) == page)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def _take_fault(self, request: Request) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.path_prefix and not request.path.startswith(fault.path_prefix):
                    continue
                if fault.when is not None and not fault.when(request):
                    continue
                if fault.remaining is None:
                    return fault
                if fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
            return None

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): for the 'connection refused' case."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]
