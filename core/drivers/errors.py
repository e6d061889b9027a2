"""Typed driver errors: every failure of an external system becomes one of these (DOMAIN.md §5, §7).

Each carries an operator-readable message (what went wrong, then what to do) and a short `kind` the UI
can turn into a badge. Messages never contain a secret: the HTTP layer scrubs every secret value from
them before raising, and raises them `from None` so no chained exception can leak a URL with a key.
"""

from __future__ import annotations


class DriverError(Exception):
    """Base of all driver failures. `str(error)` is the operator-readable message."""

    kind = "error"
    title = "Driver error"

    def __init__(self, message: str, *, operation: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class BadCredentials(DriverError):
    """The system answered, but refused the login, token or API key."""

    kind = "bad_credentials"
    title = "Bad credentials"


class Unreachable(DriverError):
    """The address does not resolve, or nothing listens there (refused, no route)."""

    kind = "unreachable"
    title = "Unreachable"


class TlsError(DriverError):
    """The TLS handshake failed: an untrusted, expired or mismatched certificate, or no TLS at all."""

    kind = "tls"
    title = "TLS error"


class Timeout(DriverError):
    """No answer within the connect/read timeout or the call's overall deadline."""

    kind = "timeout"
    title = "Timed out"


class PanelRefused(DriverError):
    """The system understood the request and refused it; `reason` is its own words, `code` its own error
    code (when it gives one) and `http_status` the HTTP status of the answer (when there was one)."""

    kind = "refused"
    title = "Refused by the panel"

    default_hint = "The reason is the panel's own words: fix what it names, then try again."

    def __init__(self, reason: str, *, operation: str = "", hint: str = "", code: str | int | None = None,
                 http_status: int | None = None) -> None:
        self.reason = reason
        self.code = code
        self.http_status = http_status
        super().__init__(reason, operation=operation, hint=hint or self.default_hint)


class PanelUnavailable(PanelRefused):
    """The system is overloaded or failing (HTTP 5xx, 429) and stayed so after the allowed retries."""

    kind = "unavailable"
    title = "Panel unavailable"
    default_hint = "Try again later; if it persists, check the panel's own logs."


class UnexpectedAnswer(DriverError):
    """The answer is not what the API speaks: HTML instead of JSON, truncated, too large, malformed, a redirect."""

    kind = "unexpected_answer"
    title = "Unexpected answer"


class Unsupported(DriverError):
    """The module type has no such operation (e.g. suspending a domain registration)."""

    kind = "unsupported"
    title = "Not supported"


__all__ = [
    "BadCredentials",
    "DriverError",
    "PanelRefused",
    "PanelUnavailable",
    "Timeout",
    "TlsError",
    "UnexpectedAnswer",
    "Unreachable",
    "Unsupported",
]
