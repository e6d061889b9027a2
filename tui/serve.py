"""`procmod serve`: the console in a browser, through textual-serve, for support staff without SSH.

Each browser session runs its own `procmod` process (textual-serve's web driver) on the served database.
What this adds to textual-serve, which has no access control of its own:

- it binds to 127.0.0.1 unless told otherwise; a non-loopback address needs `--allow-remote` and is warned
  about (the traffic is plain HTTP: put a TLS proxy in front);
- every start makes a new access token, printed on the terminal inside the URL to open. The page needs it
  (`?token=`), and sets it as an HttpOnly, SameSite=Strict cookie for the websocket that drives the console;
  a websocket without the cookie, or from another origin, is refused. The token is compared in constant time
  and never logged;
- sessions are read-only unless the server was started with `--operator NAME` (the name in the audit log).
  Served consoles never run background tasks: run `procmod worker` beside it.
"""

from __future__ import annotations

import hmac
import logging
import ipaddress
import secrets
import shlex
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

TOKEN_COOKIE = "procmod_token"


class ServeRefused(Exception):
    """The serve settings are unsafe or impossible (said to the operator, exit 1)."""


@dataclass(frozen=True)
class ServeSettings:
    database_url: str | None
    host: str = "127.0.0.1"
    port: int = 8000
    operator: str | None = None
    allow_remote: bool = False

    @property
    def read_only(self) -> bool:
        return self.operator is None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it may resolve anywhere


def check_settings(settings: ServeSettings) -> list[str]:
    """Refuse what is unsafe; return warnings to print for what is allowed but risky."""
    if not is_loopback(settings.host) and not settings.allow_remote:
        raise ServeRefused(f"{settings.host} is not a loopback address: browsers on other machines could reach "
                           "the console. Add --allow-remote if that is what you want (and put TLS in front).")
    warnings = []
    if not is_loopback(settings.host):
        warnings.append(f"WARNING: serving on {settings.host}, reachable from other machines over plain HTTP; "
                        "anyone with the URL and its token can open the console.")
    return warnings


def session_command(settings: ServeSettings) -> str:
    """The shell command each browser session runs: this Python's procmod, never the scheduler."""
    argv = [sys.executable, "-m", "procmod.tui.cli", "--no-scheduler"]
    if settings.database_url:
        argv += ["--db", settings.database_url]
    argv += ["--read-only"] if settings.read_only else ["--operator", settings.operator or ""]
    return shlex.join(argv)


def make_server(settings: ServeSettings, token: str) -> Any:  # noqa: ANN401 - textual-serve is imported here
    """A textual-serve `Server` whose page and websocket need the token."""
    from aiohttp import web
    from textual_serve.server import Server

    class TokenServer(Server):
        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(_token_middleware(token, settings))
            return app

        async def on_startup(self, app: web.Application) -> None:  # textual-serve prints the URL without token
            return None

        def initialize_logging(self) -> None:
            super().initialize_logging()
            # aiohttp's access log writes each request line, the page's ?token= included: keep it quiet.
            logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    title = "procmod" + (" (read-only)" if settings.read_only else f" ({settings.operator})")
    return TokenServer(session_command(settings), host=settings.host, port=settings.port, title=title)


def _token_middleware(token: str, settings: ServeSettings):  # noqa: ANN202 - aiohttp middleware
    from aiohttp import web

    def matches(offered: str | None) -> bool:
        return offered is not None and hmac.compare_digest(offered.encode(), token.encode())

    @web.middleware
    async def require_token(request: web.Request, handler):  # noqa: ANN001, ANN202
        if request.path.startswith("/static/"):
            return await handler(request)  # the page's scripts and fonts: nothing of the console
        if request.path == "/":
            if not (matches(request.query.get("token")) or matches(request.cookies.get(TOKEN_COOKIE))):
                raise web.HTTPForbidden(text="procmod: this page needs the access token printed where "
                                             "`procmod serve` was started (open the URL shown there).")
            response = await handler(request)
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict", path="/")
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
        if not matches(request.cookies.get(TOKEN_COOKIE)):
            raise web.HTTPForbidden(text="procmod: no access token")
        origin = request.headers.get("Origin")
        if origin is not None and origin.split("://", 1)[-1] != request.host:
            raise web.HTTPForbidden(text="procmod: a page of another site may not open the console")
        return await handler(request)

    return require_token


def serve(settings: ServeSettings) -> int:
    """Run until Ctrl+C / SIGTERM. Exit 1 with a message when refused or when textual-serve is missing."""
    try:
        warnings = check_settings(settings)
    except ServeRefused as refused:
        print(f"procmod serve: {refused}", file=sys.stderr)
        return 1
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        print("procmod serve: needs textual-serve; install it with: pip install 'procmod[serve]'", file=sys.stderr)
        return 1
    token = secrets.token_urlsafe(24)
    server = make_server(settings, token)
    for warning in warnings:
        print(warning, file=sys.stderr)
    mode = "read-only" if settings.read_only else f"as operator {settings.operator}"
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"procmod serve: open http://{host}:{settings.port}/?token={token}  ({mode}; Ctrl+C stops)",
          flush=True)
    server.serve()
    return 0
