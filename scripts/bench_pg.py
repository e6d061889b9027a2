"""PostgreSQL for the benchmark: a throw-away database per run, and a loopback proxy that adds latency.

The proxy is a small asyncio TCP relay (run in a process of its own, so that its loop does not share the
measured console's): every chunk read from either side waits `delay` seconds before it is written to the
other, so each database round trip costs 2 × delay more, like a database across a network.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """CREATE a database of its own on the server of `server_url`, yield its URL, DROP it afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    name = f"procmod_bench_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False).replace(
            "postgresql+psycopg://", "postgresql://", 1)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class WireCounter:
    """Messages the console wrote to the database through the proxy: its round trips as the network sees
    them (BEGIN and COMMIT included), counted by the proxy in a shared 8-byte file the benchmark reads."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        import mmap

        if create:
            path.write_bytes(bytes(8))
        self._file = path.open("r+b")
        self._map = mmap.mmap(self._file.fileno(), 8)

    @property
    def count(self) -> int:
        return int.from_bytes(self._map[:8], "little")

    def add(self) -> None:
        self._map[:8] = (self.count + 1).to_bytes(8, "little")


async def _relay(host: str, port: int, delay: float, ready: Path) -> None:
    wire = WireCounter(ready.with_name("wire"))

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: bool = False) -> None:
        try:
            while chunk := await reader.read(65536):
                if count:
                    wire.add()
                await asyncio.sleep(delay)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, upstream_writer, True), pipe(upstream_reader, writer))

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    ready.write_text(str(server.sockets[0].getsockname()[1]))
    async with server:
        # Bounded: the benchmark stops it; if the benchmark dies, it stops by itself after an hour.
        await asyncio.sleep(3600)


def proxy_child(target: str, delay: str, ready: str) -> None:
    host, port = target.rsplit(":", 1)
    asyncio.run(_relay(host, int(port), float(delay), Path(ready)))


@contextmanager
def latency_proxy(url: str, delay: float, script: str) -> Iterator[tuple[str, WireCounter]]:
    """`url` rewritten to pass through a proxy process adding `delay` seconds each way, and its counter."""
    import tempfile
    import time

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    ready = Path(tempfile.mkdtemp()) / "port"
    wire = WireCounter(ready.with_name("wire"), create=True)
    proc = subprocess.Popen([sys.executable, script, "--child", "proxy",
                             "--url", f"{parsed.host or '127.0.0.1'}:{parsed.port or 5432}",
                             "--launched", f"{delay}:{ready}"])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() or not ready.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the latency proxy did not start")
            time.sleep(0.05)
        yield parsed.set(host="127.0.0.1", port=int(ready.read_text())).render_as_string(hide_password=False), wire
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def round_trip_ms(url: str, count: int = 200) -> list[float]:
    """`SELECT 1` round trips (ms) on one connection: what the proxy really adds on this machine now."""
    import time

    import psycopg

    times = []
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True) as connection:
        for _ in range(count):
            started = time.perf_counter()
            connection.execute("SELECT 1").fetchone()
            times.append((time.perf_counter() - started) * 1000)
    return times
