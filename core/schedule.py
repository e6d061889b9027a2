"""Cron fire times in a module's time zone, stored and compared in UTC, with DST handled like Vixie cron.

Candidates are walked on the local wall clock (croniter on naive local times) and mapped to UTC:
- an ambiguous wall time (clocks go back) fires once for a fixed-hour job (the first pass) and on both
  passes for a job whose hour field is `*` (it runs every hour, so the repeated hour is real time);
- a wall time that does not exist (clocks go forward) fires once at the first valid minute after the gap
  for a fixed-hour job, and is skipped for a `*`-hour job (no double run right after the gap).
So a daily job neither runs twice nor is lost at a change, and an every-15-minutes job keeps its pace.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from croniter import croniter

def _walk(schedule: str, start: datetime) -> croniter:
    """croniter over `start`, imported on first use: the lists that only describe a schedule in words
    (and a console's start) do not pay for it and its dateutil imports (~15 ms)."""
    from croniter import croniter

    return croniter(schedule, start)


class ScheduleNeverRuns(ValueError):
    """A cron expression with valid syntax and no fire time (30 February): nothing to schedule."""


#: A schedule with no fire time within this many years never runs (a leap day's comes within 4).
NEVER_RUNS_HORIZON_YEARS = 5
NEVER_RUNS = "this schedule never runs: it has no fire time in the next 5 years"

_SEARCH_LIMIT = 2000  # candidates examined before giving up (a schedule that never fires)


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == naive


def _ambiguous(naive: datetime, zone: ZoneInfo) -> bool:
    return naive.replace(tzinfo=zone, fold=0).utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset()


def _instants(naive: datetime, zone: ZoneInfo, every_hour: bool) -> list[datetime]:
    """The UTC instants one local wall-clock candidate stands for."""
    if not _exists(naive, zone):
        if every_hour:
            return []
        after_gap = naive
        while not _exists(after_gap, zone):
            after_gap += timedelta(minutes=1)
        return [after_gap.replace(tzinfo=zone).astimezone(timezone.utc)]
    first = naive.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    if _ambiguous(naive, zone) and every_hour:
        return [first, naive.replace(tzinfo=zone, fold=1).astimezone(timezone.utc)]
    return [first]


def next_fire_time(schedule: str, after: datetime, tz: str = "UTC") -> datetime:
    """The first fire time strictly after `after` (aware), in UTC; ScheduleNeverRuns when there is none."""
    from croniter import CroniterBadDateError

    try:
        return _next_fire_time(schedule, after, tz)
    except CroniterBadDateError:
        raise ScheduleNeverRuns(NEVER_RUNS) from None


def check_fires(schedule: str, after: datetime, tz: str = "UTC") -> datetime:
    """The next fire time after `after`, or ScheduleNeverRuns when none comes within the horizon."""
    moment = next_fire_time(schedule, after, tz)
    if moment > after + timedelta(days=366 * NEVER_RUNS_HORIZON_YEARS):
        raise ScheduleNeverRuns(NEVER_RUNS)
    return moment


def _next_fire_time(schedule: str, after: datetime, tz: str) -> datetime:
    after_utc = after.astimezone(timezone.utc)
    if tz == "UTC":  # no daylight saving: one step of croniter on the UTC wall clock
        return _walk(schedule, after_utc.replace(tzinfo=None)).get_next(datetime).replace(tzinfo=timezone.utc)
    zone = ZoneInfo(tz)
    local = after_utc.astimezone(zone)
    candidate = _walk(schedule, local.replace(tzinfo=None)).get_next(datetime)
    if (not _ambiguous(local.replace(tzinfo=None), zone) and _exists(candidate, zone)
            and not _ambiguous(candidate, zone)
            and candidate.replace(tzinfo=zone).utcoffset() == local.utcoffset()):
        return candidate.replace(tzinfo=zone).astimezone(timezone.utc)  # no clock change in between
    return _next_fire_time_across_a_change(schedule, after_utc, zone)


def _next_fire_time_across_a_change(schedule: str, after_utc: datetime, zone: ZoneInfo) -> datetime:
    """The careful walk, for a next fire time near a daylight-saving change."""
    every_hour = schedule.split()[1] == "*"
    # Start an hour early on the wall clock so the second pass of a repeated hour is not skipped.
    local = after_utc.astimezone(zone).replace(tzinfo=None) - timedelta(hours=1)
    iterator = _walk(schedule, local)
    best: datetime | None = None
    horizon: datetime | None = None
    for _ in range(_SEARCH_LIMIT):
        candidate = iterator.get_next(datetime)
        if horizon is not None and candidate > horizon:
            return best  # type: ignore[return-value]
        fitting = [instant for instant in _instants(candidate, zone, every_hour) if instant > after_utc]
        if fitting:
            best = min([*fitting, best] if best else fitting)
            # A later wall time can be an earlier instant around a repeated hour: look 2 h further.
            horizon = horizon or candidate + timedelta(hours=2)
    if best is not None:
        return best
    raise ScheduleNeverRuns(f"{NEVER_RUNS} (none after {after_utc.isoformat()})")


@functools.lru_cache(maxsize=1024)
def local_zone_name() -> str:
    """The operator's own IANA time zone ($TZ, else /etc/localtime's link), "UTC" when neither says one:
    the default of a new module's time zone."""
    import os
    from pathlib import Path
    from zoneinfo import ZoneInfo

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name in ("Etc/UTC", "Etc/Universal", "Etc/Zulu", "UCT", "Zulu"):
            return "UTC"
        if name and "/" in name or name == "UTC":
            try:
                ZoneInfo(name)
            except (ValueError, KeyError, OSError):
                continue
            return name
    return "UTC"


def zone_names() -> list[str]:
    """Every IANA zone this system knows, sorted (the time zone select's choices). Read from the zone
    database once per process (~7 ms: every form with a time zone field asks)."""
    return list(_zone_names())


@functools.cache
def _zone_names() -> tuple[str, ...]:
    from zoneinfo import available_timezones

    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def valid_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return bool(name)


def describe_in_zone(schedule: str, zone: str | None) -> str:
    """A schedule in words with the zone it fires in: "At 06:00 and 18:00 Europe/Amsterdam"."""
    return f"{describe(schedule)} {zone or 'UTC'}"


@functools.lru_cache(maxsize=4096)
def describe(schedule: str) -> str:
    """A cron expression in words ("Every 15 minutes"), for the Background tasks screen. Remembered per
    expression: a page of 100 tasks holds a handful of schedules, and describing one takes ~0.15 ms."""
    from cron_descriptor import Options, get_description

    options = Options()
    options.use_24hour_time_format = True
    options.verbose = False
    try:
        return get_description(schedule, options)
    except Exception:  # noqa: BLE001 - an expression croniter accepts but the describer does not
        return schedule


def fire_times_between(schedule: str, start: datetime, end: datetime, tz: str = "UTC", limit: int = 100_000
                       ) -> int:
    """How many fire times fall in (start, end]: the runs missed during downtime (bounded)."""
    count, moment = 0, start
    while count < limit:
        moment = next_fire_time(schedule, moment, tz)
        if moment > end:
            break
        count += 1
    return count
