"""The benchmark's own machinery (scripts/bench_*.py): the latency proxy, the round-trip counters, the
xlarge scale. The benchmark itself is run on demand, not here."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from procmod.demo.large import SCALES
from procmod.tui.cli import main
from scripts.bench_harness import StatementCounter
from scripts.bench_pg import latency_proxy, round_trip_ms

BENCHMARK = str(Path(__file__).resolve().parent.parent / "scripts" / "benchmark.py")


def test_xlarge_is_ten_times_large_in_modules_tariffs_and_services() -> None:
    xlarge, large = SCALES["xlarge"], SCALES["large"]
    assert (xlarge.modules, xlarge.tariffs, xlarge.services) == (100_000, 1_000_000, 10_000_000)
    assert (xlarge.modules, xlarge.tariffs, xlarge.services) == (
        10 * large.modules, 10 * large.tariffs, 10 * large.services)


def test_cli_seeds_the_xlarge_scale_with_reduced_counts(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["--db", url, "seed", "--scale", "xlarge", "--modules", "30", "--tariffs", "300",
                 "--services", "1,000", "--notifications", "10"]) == 0
    assert "(xlarge, with 30 modules, 300 tariffs, 1,000 services, 10 notifications)" in capsys.readouterr().out


def test_statement_counter_counts_statements_and_transaction_ends(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    counter = StatementCounter(engine)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        connection.execute(text("SELECT 2"))
        connection.commit()
    assert counter.count == 3
    engine.dispose()


def test_latency_proxy_adds_its_delay_and_counts_what_the_client_writes(
        postgres_databases) -> None:  # noqa: ANN001 - the session fixture of tests/conftest.py
    url = postgres_databases.create()
    direct = statistics.median(round_trip_ms(url, 30))
    with latency_proxy(url, 0.005, BENCHMARK) as (proxied, wire):
        before = wire.count
        through = statistics.median(round_trip_ms(proxied, 30))
        written = wire.count - before
    # 5 ms each way: at least 10 ms more per round trip than the direct connection.
    assert through >= direct + 10, (direct, through)
    # 30 queries, plus the connection's start-up messages.
    assert 30 <= written <= 40, written


def test_benchmark_lists_its_modes() -> None:
    import subprocess

    out = subprocess.run([sys.executable, BENCHMARK, "--help"], capture_output=True, text=True, check=True).stdout
    for option in ("--quick", "--no-postgres", "--pg-db", "--postgres-only"):
        assert option in out


async def test_timed_change_times_a_key_to_the_frame_that_shows_it() -> None:
    """`Timer.timed_change`: from the key to the first frame painted with the change there (not a frame of
    other work); a key that changes nothing is a TimeoutError, not a figure."""
    from textual.app import App, ComposeResult

    from procmod.tui.widgets.row_table import RowTable
    from scripts.bench_harness import Timer

    class Table(App[None]):
        def compose(self) -> ComposeResult:
            table = RowTable()
            table.add_column("Name")
            table.set_rows((str(n), (f"row {n}",)) for n in range(5))
            yield table

    app = Table()
    timer = Timer(app)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        elapsed = await timer.timed_change("down", timer.key("down"), lambda: table.cursor_row == 1)
        assert 0 < elapsed < 5000 and timer.results["down"] == [elapsed]
        with pytest.raises(TimeoutError):
            await timer.timed_change("nothing", lambda: None, lambda: table.cursor_row == 3, timeout=0.2)
