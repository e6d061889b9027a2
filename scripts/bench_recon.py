"""Reconciliation at scale (issue 17): a cPanel emulator holding 10,000 accounts against a module with
10,000 services, reconciled end to end (the panel read page by page over HTTPS, compared, the report
stored), and the report's first page read.

The in-run anchor is the same panel read by the same driver with nothing else done (no billing query, no
compare, no report): what the emulator and the HTTP stack cost on this machine, in this run. The target is
absolute (≤ 10 s for the report, issue 17); the ratio says what comparing and storing add to the read.

Run alone: `python -m scripts.bench_recon [sqlite|postgresql URL]`; scripts/benchmark.py adds its rows.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

OBJECTS = 10_000
#: Of the 10,000: services the panel lacks, accounts the billing lacks, and status differences.
BILLING_ONLY, PANEL_ONLY, DIFFERENT = 50, 50, 100


def measure(url: str, repeats: int = 3) -> dict[str, list[float]]:
    """Milliseconds of each repeat: "report" (reconcile), "bare read" (the anchor), "first page"."""
    from sqlalchemy import insert

    from procmod.core.backend import open_backend
    from procmod.core.clock import SystemClock
    from procmod.core.reconciliation import ReconGroup
    from procmod.core.secrets import SecretBox
    from procmod.demo.emulators import start_cpanel
    from procmod.demo.emulators.cpanel import CpanelState
    from procmod.storage.enums import ModuleStatus, ServiceStatus, TariffStatus
    from procmod.storage.models import Department, ProcessingModule, Service, Tariff, TariffModule

    token = "WHMTOKEN0123456789ABCDEF"
    state = CpanelState(api_token=token)
    for number in range(OBJECTS):
        if number < OBJECTS - BILLING_ONLY:
            state.add_account(f"u{number:05d}", f"site{number:05d}.example", "starter",
                              suspended=number < DIFFERENT)
    for number in range(PANEL_ONLY):
        state.add_account(f"p{number:05d}", f"extra{number:05d}.example", "business")
    handle = start_cpanel(https=True, state=state)
    backend = open_backend(url, clock=SystemClock(), secrets=SecretBox.generate(), operator="bench")
    try:
        now = backend.clock.now()
        with backend.db.write() as session:
            department = Department(name="Bench department")
            tariff = Tariff(name="Bench hosting", product_type="vhost", status=TariffStatus.ACTIVE,
                            price=Decimal("1"))
            session.add_all([department, tariff])
            session.flush()
            module = ProcessingModule(
                name="Bench cPanel", module_type="cpanel", product_type="vhost", department_id=department.id,
                sort_priority=1, status=ModuleStatus.ENABLED, created_at=now, updated_at=now,
                settings={"host": "127.0.0.1", "port": handle.port, "whm_user": "root", "ca_bundle": handle.ca_file},
                secrets=backend.secrets.seal({"api_token": token}))
            session.add(module)
            session.flush()
            session.add(TariffModule(tariff_id=tariff.id, module_id=module.id))
            session.execute(insert(Service), [
                {"tariff_id": tariff.id, "module_id": module.id, "name": f"site{n:05d}.example",
                 "remote_id": f"u{n:05d}", "natural_key": f"u{n:05d}", "status": ServiceStatus.ACTIVE,
                 "panel_plan": "starter", "address": f"site{n:05d}.example", "created_at": now}
                for n in range(OBJECTS)])
            module_id = module.id
        times: dict[str, list[float]] = {"report": [], "bare read": [], "first page": []}
        recon = backend.reconciliation
        from procmod.core.integration import _driver_for

        for _ in range(repeats):
            calls: list[Any] = []
            started = time.perf_counter()
            with _driver_for(backend.integrations.module_config(module_id, calls)) as driver:
                read = sum(len(page) for page in driver.iter_remote_services(driver.config.page_size))
            times["bare read"].append((time.perf_counter() - started) * 1000)
            assert read == OBJECTS - BILLING_ONLY + PANEL_ONLY, read
            started = time.perf_counter()
            report = recon.reconcile(module_id)
            times["report"].append((time.perf_counter() - started) * 1000)
            assert (report.panel_only, report.billing_only, report.different) == (PANEL_ONLY, BILLING_ONLY,
                                                                                  DIFFERENT), report
            started = time.perf_counter()
            recon.rows(report.id, ReconGroup.DIFFERENT)
            times["first page"].append((time.perf_counter() - started) * 1000)
        return times
    finally:
        backend.close()
        handle.stop()


def rows(url: str, repeats: int = 3) -> list[tuple[str, str, str, str, str, str, str]]:
    """(label, median, max, anchor, ratio, target, verdict) rows for scripts/benchmark.py's table."""
    times = measure(url, repeats)
    report, bare, page = (statistics.median(times[k]) for k in ("report", "bare read", "first page"))
    return [
        (f"reconcile {OBJECTS:,} panel objects vs {OBJECTS:,} services", f"{report / 1000:.2f} s",
         f"{max(times['report']) / 1000:.2f} s", f"{bare / 1000:.2f} s", f"{report / bare:.2f}×", "≤ 10 s",
         "PASS" if report <= 10_000 else "MISS"),
        ("a page of the report (100 rows)", f"{page:.1f} ms", f"{max(times['first page']):.1f} ms", "", "",
         "≤ 50 ms", "PASS" if page <= 50 else "MISS"),
    ]


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{Path(tempfile.mkdtemp()) / 'recon.db'}"
    print(f"{'measure':55} {'median':>9} {'max':>9} {'anchor':>9} {'ratio':>7}  target")
    for label, median, high, anchor, ratio, target, verdict in rows(url):
        print(f"{label:55} {median:>9} {high:>9} {anchor:>9} {ratio:>7}  {target} {verdict}")
    print("anchor: the same panel read by the same driver alone (no billing query, compare or report)")


if __name__ == "__main__":
    main()
