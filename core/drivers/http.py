"""The HTTP discipline every driver shares: timeouts and a deadline, TLS, no redirects, bounded retries,
a body-size cap read by streaming, call recording with secrets masked, and typed errors.

`HttpCaller.request` is the only place a driver touches the network for API calls; `probe` does the
resolve / connect / TLS stages of a connection check with plain sockets so each stage can be timed and
blamed on its own.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

import httpx

from procmod.core.drivers.base import CallRecord, CheckReport, CheckStage, Driver, DriverConfig, Stage, StageOutcome
from procmod.core.drivers.errors import (
    BadCredentials,
    DriverError,
    PanelUnavailable,
    Timeout,
    TlsError,
    UnexpectedAnswer,
    Unreachable,
)
from procmod.core.redaction import install_log_redaction, redact_headers, redact_url, scrub_text

install_log_redaction()

RETRY_STATUSES = frozenset({429, 503})
_DNS_MARKERS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "getaddrinfo failed",
    "name resolution",
)


@dataclass(frozen=True)
class Answer:
    """A complete, size-checked HTTP answer."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str  # redacted

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def looks_like_html(self) -> bool:
        head = self.body[:512].lstrip().lower()
        return self.content_type == "text/html" or head.startswith((b"<!doctype html", b"<html"))


def ms_since(started: float) -> int:
    return int(round((time.monotonic() - started) * 1000))


def ssl_context_for(config: DriverConfig) -> ssl.SSLContext:
    """Verification on by default; a custom CA bundle when given; off only by the module's own switch."""
    if not config.tls_verification:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if config.ca_bundle:
        try:
            return ssl.create_default_context(cafile=config.ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise TlsError(
                f"The CA bundle {config.ca_bundle} cannot be read ({type(exc).__name__}).",
                hint="Check the path of the CA bundle file.",
            ) from None
    return ssl.create_default_context()


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _is_tls_failure(exc: BaseException) -> bool:
    if any(isinstance(e, ssl.SSLError) for e in _chain(exc)):
        return True
    text = str(exc).lower()
    return "certificate" in text or "ssl" in text or "tls" in text


def _is_dns_failure(exc: BaseException) -> bool:
    if any(isinstance(e, socket.gaierror) for e in _chain(exc)):
        return True
    text = str(exc).lower()
    return any(marker in text for marker in _DNS_MARKERS)


def _tls_reason(exc: BaseException) -> str:
    for error in _chain(exc):
        if isinstance(error, ssl.SSLCertVerificationError):
            return error.verify_message or "certificate verify failed"
        if isinstance(error, ssl.SSLError):
            return error.reason or type(error).__name__
    return "handshake failed"


class HttpCaller:
    """Makes API calls for one driver instance; see the module docstring for the discipline."""

    def __init__(self, config: DriverConfig, base_url: str, system: str) -> None:
        self.config = config
        self.base_url = base_url.rstrip("/")
        self.system = system
        self.host = urlsplit(self.base_url).hostname or self.base_url
        self._secrets = config.secret_values
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.base_url,
                verify=ssl_context_for(self.config),
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": self.config.user_agent},
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # --- the call -----------------------------------------------------------------------------------

    def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
        decode: Callable[[Answer], Any] | None = None,
    ) -> Any:
        """One API call: retried (idempotent calls only) on 429/503/connect errors within the deadline.

        `json_body` or `form_body` (application/x-www-form-urlencoded) travel in the request's body, which
        is never recorded: that is where secrets go, never into `params` (the URL).

        Raises BadCredentials on 401/403, UnexpectedAnswer on a redirect, PanelUnavailable when 429/503
        outlasts the retries. Any other answer goes through `decode` (the driver's reading of the body,
        which may raise a typed error of its own) inside the call, so the call log records its outcome;
        without `decode` the Answer itself is returned.
        """
        config = self.config
        deadline_at = time.monotonic() + config.deadline
        attempt = 0
        while True:
            if config.before_call is not None:
                config.before_call()
            attempt += 1
            started = time.monotonic()
            url = redact_url(str(self.client.build_request(method, path, params=params).url))
            answer: Answer | None = None
            retryable = False
            result: Any = None
            try:
                answer = self._send_once(method, path, params, json_body, form_body, headers, deadline_at)
                error = self._status_error(answer, operation, attempt)
                retryable = answer.status in RETRY_STATUSES
                if error is None:
                    result = decode(answer) if decode is not None else answer
            except DriverError as failure:
                error = failure
                retryable = retryable or bool(getattr(failure, "retryable", False))
            self._record(operation, method, url, answer, started, error, attempt, headers)
            if error is None and answer is not None:
                return result
            assert error is not None
            if idempotent and retryable and attempt < config.max_attempts:
                pause = self._backoff(attempt, answer)
                if time.monotonic() + pause < deadline_at:
                    config.sleeper(pause)
                    continue
            raise self.scrub(error)

    def _backoff(self, attempt: int, answer: Answer | None) -> float:
        pause = min(self.config.backoff * (2 ** (attempt - 1)), self.config.max_backoff)
        if answer is not None:
            retry_after = answer.headers.get("retry-after", "")
            if retry_after.strip().isdigit():
                pause = min(max(pause, float(retry_after)), self.config.max_backoff)
        return pause

    def _status_error(self, answer: Answer, operation: str, attempt: int) -> DriverError | None:
        status = answer.status
        if 300 <= status < 400:
            location = redact_url(answer.headers.get("location", "")) or "another address"
            return UnexpectedAnswer(
                f"{self.system} at {self.host} redirected the call to {location} (HTTP {status}); "
                "redirects are not followed.",
                operation=operation,
                hint="Check the address: scheme (https), port and path.",
            )
        if status in (401, 403):
            return BadCredentials(
                f"{self.system} at {self.host} refused the credentials (HTTP {status}).",
                operation=operation,
                hint="Check the login and the password / API token in the module's settings.",
            )
        if status in RETRY_STATUSES:
            what = "is rate-limiting calls (HTTP 429)" if status == 429 else "is unavailable (HTTP 503)"
            tries = f" after {attempt} attempt{'s' if attempt > 1 else ''}"
            return PanelUnavailable(
                f"{self.system} at {self.host} {what}{tries}.",
                operation=operation,
                hint="Try again later.",
                code=status,
            )
        return None

    def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        form_body: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        deadline_at: float,
    ) -> Answer:
        config = self.config
        remaining = deadline_at - time.monotonic()
        if remaining <= 0:
            raise Timeout(f"{self.system} at {self.host} did not answer within {config.deadline:g} s.")
        timeout = httpx.Timeout(
            connect=min(config.connect_timeout, remaining),
            read=min(config.read_timeout, remaining),
            write=min(config.read_timeout, remaining),
            pool=min(config.connect_timeout, remaining),
        )
        cap = config.max_body_bytes
        where = f"{self.system} at {self.host}"
        try:
            with self.client.stream(
                method, path, params=params, json=json_body, data=form_body, headers=headers, timeout=timeout
            ) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise self._too_large(int(declared))
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise self._too_large(size)
                    if time.monotonic() > deadline_at:
                        raise Timeout(
                            f"{where} was still sending its answer when the {config.deadline:g} s deadline passed.",
                            hint="The panel is overloaded or the network is slow; try again later.",
                        )
                    chunks.append(chunk)
                return Answer(response.status_code, response.headers, b"".join(chunks), str(response.url))
        except DriverError:
            raise
        except httpx.ConnectTimeout:
            error: DriverError = Timeout(
                f"{where} did not accept a connection within {timeout.connect:g} s.",
                hint="Check the address and the port, and that a firewall lets the console through.",
            )
            error.retryable = True  # type: ignore[attr-defined]
            raise error from None
        except httpx.TimeoutException:
            raise Timeout(
                f"{where} did not answer within {min(config.read_timeout, remaining):g} s.",
                hint="The panel is overloaded or the network is slow; try again later.",
            ) from None
        except httpx.ConnectError as exc:
            raise self._connect_error(exc) from None
        except httpx.RemoteProtocolError as exc:
            text = str(exc).lower()
            if "incomplete" in text or "complete message body" in text or "content-length" in text:
                raise UnexpectedAnswer(
                    f"{where} closed the connection before the answer was complete (truncated body).",
                    hint="The panel or a proxy in between dropped the answer; try again.",
                ) from None
            raise UnexpectedAnswer(
                f"{where} broke the HTTP protocol ({type(exc).__name__}): it closed the connection "
                "without a proper answer.",
                hint="Check that the address and the port point at the API (not some other service).",
            ) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):
            raise Unreachable(
                f"The address {redact_url(self.base_url)} is not a valid http(s) URL.",
                hint="Enter the address as https://host[:port].",
            ) from None
        except httpx.NetworkError as exc:
            if _is_tls_failure(exc):
                raise self._tls_error(exc) from None
            raise Unreachable(
                f"The connection to {where} dropped ({type(exc).__name__}).",
                hint="Try again; if it persists check the network path to the panel.",
            ) from None
        except httpx.HTTPError as exc:
            raise UnexpectedAnswer(f"{where}: the exchange failed ({type(exc).__name__}).") from None

    def _too_large(self, size: int) -> UnexpectedAnswer:
        cap_mb = self.config.max_body_bytes / (1024 * 1024)
        return UnexpectedAnswer(
            f"{self.system} at {self.host} sent an answer larger than {cap_mb:g} MB "
            f"({size / (1024 * 1024):.1f} MB read or announced); it was not read further.",
            hint="Check that the address points at the API and not at a file or another service.",
        )

    def _tls_error(self, exc: BaseException) -> TlsError:
        return TlsError(
            f"TLS with {self.system} at {self.host} failed: {_tls_reason(exc)}.",
            hint="Install a trusted certificate on the panel, point the module at a CA bundle, "
            "or switch off 'Verify TLS certificate' for this module if you accept the risk.",
        )

    def _connect_error(self, exc: httpx.ConnectError) -> DriverError:
        if _is_tls_failure(exc):
            return self._tls_error(exc)
        if _is_dns_failure(exc):
            return Unreachable(
                f"The host name {self.host} does not resolve (DNS).",
                hint="Check the spelling of the address and the console's DNS settings.",
            )
        error = Unreachable(
            f"Nothing accepts connections at {self.host}:{urlsplit(self.base_url).port or _default_port(self.base_url)} "
            "(connection refused or no route).",
            hint="Check the address and the port, and that the panel's service is running.",
        )
        error.retryable = True  # type: ignore[attr-defined]
        return error

    # --- recording and scrubbing --------------------------------------------------------------------

    def _record(
        self,
        operation: str,
        method: str,
        url: str,
        answer: Answer | None,
        started: float,
        error: DriverError | None,
        attempt: int,
        headers: Mapping[str, str] | None,
    ) -> None:
        recorder = self.config.recorder
        if recorder is None:
            return
        message = None
        if error is not None:
            message = scrub_text(f"{error.kind}: {error.message}", self._secrets)
        record = CallRecord(
            at=self.config.clock.now(),
            module_type=self.config.module_type,
            operation=operation,
            method=method,
            url=scrub_text(url, self._secrets),
            status=answer.status if answer is not None else None,
            duration_ms=ms_since(started),
            error=message,
            attempt=attempt,
            request_headers=redact_headers(headers or {}),
        )
        try:
            recorder(record)
        except Exception:  # a broken recorder must not break the call it records
            pass

    def scrub(self, error: DriverError) -> DriverError:
        """Remove every known secret value from the error's texts (in place) and return it."""
        return scrub_error(error, self._secrets)


def scrub_error(error: DriverError, secrets: tuple[str, ...]) -> DriverError:
    error.message = scrub_text(error.message, secrets)
    error.hint = scrub_text(error.hint, secrets)
    if hasattr(error, "reason"):
        error.reason = scrub_text(error.reason, secrets)  # type: ignore[attr-defined]
    error.args = (error.message,)
    return error


def _default_port(url: str) -> int:
    return 443 if url.lower().startswith("https") else 80


def decode_json(answer: Answer, system: str, host: str) -> Any:
    """The answer's JSON, decided by the body, not by the Content-Type header: valid JSON is accepted
    whatever type it is labelled with (some panels and proxies label JSON text/html). An HTML page and
    broken JSON become UnexpectedAnswer with a readable message."""
    if not answer.body.strip():
        raise UnexpectedAnswer(f"{system} at {host} sent an empty answer (HTTP {answer.status}) where JSON was expected.")
    try:
        return json.loads(answer.body)
    except (ValueError, UnicodeDecodeError):
        pass
    if answer.looks_like_html():
        raise UnexpectedAnswer(
            f"{system} at {host} answered with an HTML page (HTTP {answer.status}) instead of JSON.",
            hint="Check that the address points at the panel's API, not a web page or a proxy's error page.",
        )
    raise UnexpectedAnswer(
        f"{system} at {host} sent an answer that is not valid JSON (HTTP {answer.status}); "
        "it may have been cut off.",
        hint="Try again; if it persists, check the panel's version and any proxy in between.",
    )


# --- the staged connection probe -----------------------------------------------------------------


def _resolve(host: str, port: int, timeout: float) -> list[tuple[Any, ...]]:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        future = pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
        return future.result(timeout=timeout)
    finally:
        pool.shutdown(wait=False)


def probe(config: DriverConfig, base_url: str, system: str) -> tuple[list[CheckStage], DriverError | None]:
    """Resolve, connect and (for https) handshake, each timed; stops at the first failure."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    https = parts.scheme.lower() == "https"
    try:
        port = parts.port or (443 if https else 80)
    except ValueError:
        port = 0
    stages: list[CheckStage] = []
    if not host or parts.scheme.lower() not in ("http", "https") or not port:
        error: DriverError = Unreachable(
            f"The address {redact_url(base_url)} is not a valid http(s) URL.",
            hint="Enter the address as https://host[:port].",
        )
        stages.append(CheckStage(Stage.RESOLVE, StageOutcome.FAILED, 0, error.message))
        return stages, error

    started = time.monotonic()
    try:
        addresses = _resolve(host, port, config.connect_timeout)
    except concurrent.futures.TimeoutError:
        error = Timeout(f"Resolving {host} took longer than {config.connect_timeout:g} s.",
                        hint="Check the console's DNS settings.")
        stages.append(CheckStage(Stage.RESOLVE, StageOutcome.FAILED, ms_since(started), error.message))
        return stages, error
    except (OSError, UnicodeError):
        error = Unreachable(f"The host name {host} does not resolve (DNS).",
                            hint="Check the spelling of the address and the console's DNS settings.")
        stages.append(CheckStage(Stage.RESOLVE, StageOutcome.FAILED, ms_since(started), error.message))
        return stages, error
    address = addresses[0][4]
    stages.append(CheckStage(Stage.RESOLVE, StageOutcome.OK, ms_since(started), f"{host} → {address[0]}"))

    started = time.monotonic()
    try:
        sock = socket.create_connection((address[0], port), timeout=config.connect_timeout)
    except TimeoutError:
        error = Timeout(f"{host}:{port} did not accept a connection within {config.connect_timeout:g} s.",
                        hint="Check the port and that a firewall lets the console through.")
        stages.append(CheckStage(Stage.CONNECT, StageOutcome.FAILED, ms_since(started), error.message))
        return stages, error
    except OSError as exc:
        reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else (exc.strerror or "no route")
        error = Unreachable(f"Nothing accepts connections at {host}:{port} ({reason}).",
                            hint="Check the address and the port, and that the panel's service is running.")
        stages.append(CheckStage(Stage.CONNECT, StageOutcome.FAILED, ms_since(started), error.message))
        return stages, error
    stages.append(CheckStage(Stage.CONNECT, StageOutcome.OK, ms_since(started), f"{address[0]}:{port} accepted"))

    try:
        if not https:
            stages.append(CheckStage(Stage.TLS, StageOutcome.SKIPPED, 0, "plain HTTP: the address is not https"))
            return stages, None
        started = time.monotonic()
        try:
            context = ssl_context_for(config)
        except TlsError as error:
            stages.append(CheckStage(Stage.TLS, StageOutcome.FAILED, 0, error.message))
            return stages, error
        try:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                version = tls.version() or "TLS"
        except (ssl.SSLError, OSError) as exc:
            if isinstance(exc, TimeoutError):
                error = Timeout(f"The TLS handshake with {host} did not finish within {config.connect_timeout:g} s.")
            else:
                error = TlsError(
                    f"TLS with {system} at {host} failed: {_tls_reason(exc)}.",
                    hint="Install a trusted certificate on the panel, point the module at a CA bundle, "
                    "or switch off 'Verify TLS certificate' for this module if you accept the risk.",
                )
            stages.append(CheckStage(Stage.TLS, StageOutcome.FAILED, ms_since(started), error.message))
            return stages, error
        note = "certificate verified" if config.tls_verification else "certificate NOT verified (switched off)"
        stages.append(CheckStage(Stage.TLS, StageOutcome.OK, ms_since(started), f"{version}, {note}"))
        return stages, None
    finally:
        sock.close()


P = ParamSpec("P")
R = TypeVar("R")


def _typed(error: BaseException, driver: Any, name: str) -> DriverError:
    """The typed, secret-free error a driver operation raises for `error`."""
    secrets = driver.config.secret_values
    if isinstance(error, DriverError):
        if not error.operation:
            error.operation = name
        return scrub_error(error, secrets)
    return scrub_error(
        UnexpectedAnswer(
            f"{driver.system} answered in a shape the driver does not understand "
            f"({type(error).__name__} in {name}).",
            operation=name,
            hint="The panel's API version may be newer or older than supported.",
        ),
        secrets,
    )


def guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Wrap a driver operation: typed errors are scrubbed of secrets; anything else (an answer of a
    shape we did not foresee) becomes UnexpectedAnswer instead of a traceback."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            raise _typed(exc, args[0], method.__name__) from None

    return wrapper


T = TypeVar("T")


def guarded_pages(method: Callable[P, Iterator[T]]) -> Callable[P, Iterator[T]]:
    """`guarded` for a generator of pages: each page is yielded as soon as it is read, and a page that
    cannot be read raises its typed, secret-free error there, after the earlier pages were yielded."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        pages = method(*args, **kwargs)
        while True:
            try:
                page = next(pages)
            except StopIteration:
                return
            except Exception as exc:
                raise _typed(exc, args[0], method.__name__) from None
            yield page

    return wrapper


class HttpDriver(Driver):
    """A driver that speaks HTTP through one HttpCaller; implements the staged connection check."""

    system: str = "The panel"

    def __init__(self, config: DriverConfig) -> None:
        super().__init__(config)
        self.http = HttpCaller(config, self.base_url(), self.system)

    def base_url(self) -> str:
        raise NotImplementedError

    def close(self) -> None:
        self.http.close()

    def authenticate(self) -> str:
        """Log in (or make the cheapest authenticated call); return a short message for the report."""
        raise NotImplementedError

    def api_version(self) -> str:
        """The API or panel version as the system reports it."""
        raise NotImplementedError

    def check_connection(self) -> CheckReport:
        """Never raises: resolve, connect, TLS, authenticate, API version, stopping at the first failure."""
        try:
            stages, error = probe(self.config, self.http.base_url, self.system)
        except Exception as exc:  # pragma: no cover - belt and braces
            error = UnexpectedAnswer(f"The connection check failed unexpectedly ({type(exc).__name__}).")
            stages = [CheckStage(Stage.RESOLVE, StageOutcome.FAILED, 0, error.message)]
        version: str | None = None
        for stage, step in ((Stage.AUTHENTICATE, self.authenticate), (Stage.API_VERSION, self.api_version)):
            if error is not None:
                stages.append(CheckStage(stage, StageOutcome.SKIPPED, 0, "not tried: an earlier stage failed"))
                continue
            started = time.monotonic()
            def run_stage(_driver: HttpDriver, step: Callable[[], str] = step) -> str:
                return step()

            run_stage.__name__ = stage.name.lower()
            try:
                message = guarded(run_stage)(self)
            except DriverError as failure:
                error = failure
                stages.append(CheckStage(stage, StageOutcome.FAILED, ms_since(started), str(failure)))
                continue
            if stage is Stage.API_VERSION:
                version = message
            stages.append(CheckStage(stage, StageOutcome.OK, ms_since(started), message))
        if error is not None:
            error = scrub_error(error, self.config.secret_values)
        return CheckReport(stages=tuple(stages), error=error, api_version=version)
