"""Masking secrets out of what is recorded or shown: URLs, headers, mappings and free text.

Masking is by KEY NAME (ApiKey, api_token, password, token, Authorization, x-xsrf-token, ...), so a
secret is hidden even when its value is unknown to us; `scrub_text` additionally removes known secret
values from free text such as a panel's error message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

MASK = "••••••"
#: Masked in URLs, where a bullet would be percent-encoded into noise.
URL_MASK = "***"

#: Key names (normalised: lower case, no '-', '_' or '.') whose values are always secret.
SECRET_KEY_NAMES = frozenset(
    {
        "apikey",
        "apitoken",
        "authorization",
        "proxyauthorization",
        "cookie",
        "setcookie",
        "password",
        "passwd",
        "pass",
        "pwd",
        "token",
        "xxsrftoken",
        "xauthtoken",
        "secret",
        "clientsecret",
        "licensekey",
        "accesstoken",
        "refreshtoken",
        "session",
        "ses6",
    }
)
#: A key ending with one of these is secret too (e.g. "root_password", "whm_api_token").
SECRET_KEY_SUFFIXES = ("password", "token", "apikey", "secret", "passwd")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.\s]", "", name).lower()


def is_secret_key(name: str) -> bool:
    """True when a parameter, header or setting called `name` holds a secret."""
    normal = _normalise(str(name))
    return normal in SECRET_KEY_NAMES or normal.endswith(SECRET_KEY_SUFFIXES)


def redact_url(url: str) -> str:
    """The URL with secret query parameters and any userinfo password masked; the rest kept readable."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{URL_MASK}@{hostport}" if ":" in userinfo else f"{user}@{hostport}"
    query = parts.query
    if query:
        # Split by hand so the non-secret parts stay byte-for-byte as sent (e.g. "where=(id+EQ+5)").
        pieces = []
        for piece in query.split("&"):
            raw_key, sep, _raw_value = piece.partition("=")
            key = unquote_plus(raw_key)
            pieces.append(f"{raw_key}={URL_MASK}" if sep and is_secret_key(key) else piece)
        query = "&".join(pieces)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def redact_headers(headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, str]:
    """A copy of the headers with secret ones (Authorization, x-xsrf-token, Cookie, ...) masked."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {str(key): (MASK if is_secret_key(str(key)) else str(value)) for key, value in items}


def redact_mapping(values: Any) -> Any:
    """A deep copy of a mapping/list (settings, a JSON body) with the values of secret keys masked."""
    if isinstance(values, Mapping):
        return {
            key: (MASK if is_secret_key(str(key)) and value not in (None, "") else redact_mapping(value))
            for key, value in values.items()
        }
    if isinstance(values, (list, tuple)):
        return [redact_mapping(item) for item in values]
    return values


def scrub_text(text: str, secret_values: Iterable[str]) -> str:
    """`text` with every known secret value (and its URL-encoded form) replaced by the mask.

    Values shorter than 4 characters are left alone: masking "1" everywhere would garble the message
    and such a value is no secret worth the name.
    """
    result = str(text)
    for value in sorted({str(v) for v in secret_values if v}, key=len, reverse=True):
        if len(value) < 4:
            continue
        for form in {value, quote(value, safe=""), quote(value, safe="/"), quote(value, safe="").replace("%20", "+")}:
            result = result.replace(form, MASK)
    return result


class RedactingLogFilter:
    """A logging filter that masks secrets in URLs a library logs (httpx logs every request's full URL,
    query string included: Namecheap's ApiKey would otherwise reach any INFO log)."""

    def filter(self, record: Any) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact_url(str(arg)) if _looks_like_url(arg) else arg for arg in record.args
            )
        elif isinstance(record.msg, str) and "://" in record.msg:
            record.msg = re.sub(r"\w+://\S+", lambda m: redact_url(m.group(0)), record.msg)
        return True


def _looks_like_url(value: Any) -> bool:
    text = str(value) if type(value).__name__ == "URL" or isinstance(value, str) else ""
    return "://" in text


def install_log_redaction(logger_names: Iterable[str] = ("httpx", "httpcore")) -> None:
    """Attach the filter to the loggers of the HTTP stack, once (idempotent)."""
    import logging

    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingLogFilter) for f in logger.filters):
            logger.addFilter(RedactingLogFilter())
