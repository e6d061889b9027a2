"""Every procmod screen and key, timed by the benchmark's harness, with the SQL statements each one sends.

A console made as the command line makes it (lists prepared in the first quiet moments), driven by the
keys an operator presses (or the app's own navigation calls, which those keys run). Each screen is opened
a first time (its class composed and styled for the first time in the process) and again. Screens are
left with `pop_screen`, untimed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scripts.bench_harness import SIZE, StatementCounter, Timer

#: Widgets an operator types into or toggles: what "a form of N inputs" counts.
FORM_WIDGETS = "Input, Select, Switch, Checkbox, TextArea"

OPEN = "open"  # a screen open: anchored on the bare screen push
FORM = "form"  # a form open: anchored on the bare form of as many inputs
KEY = "key"    # a key to a repainted screen: anchored on the bare widget doing the same


class Measured:
    """What `interactive` returns: times and statements per row, and each row's kind and anchor size."""

    def __init__(self, timer: Timer) -> None:
        self.timer = timer
        self.kinds: dict[str, tuple[str, Any]] = {}

    def kind(self, label: str, kind: str, detail: Any = None) -> str:
        self.kinds.setdefault(label, (kind, detail))
        return label


def inputs_on(screen: Any) -> int:
    return len(screen.query(FORM_WIDGETS))


async def interactive(url: str, *, repeats: int, interactions: int, settle: float, wire: Any = None) -> Measured:
    from procmod.core.backend import open_backend
    from procmod.tui.actions import DESTINATIONS
    from procmod.tui.app import make_app

    backend = open_backend(url)
    app = make_app(backend, start="menu", prepare_screens=True)
    timer = Timer(app, StatementCounter(backend.db.engine), wire)
    out = Measured(timer)
    timed = timer.timed
    key = timer.key

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()

        async def leave(to_depth: int) -> None:
            while len(app.screen_stack) > to_depth:
                app.pop_screen()
            await pilot.pause()

        # The operator reads the menu for a moment: the console composes its list screens meanwhile.
        await asyncio.sleep(settle)
        await pilot.pause()
        for destination in DESTINATIONS:
            await timed(out.kind(f"list {destination.id}: first open", OPEN, "first"),
                        lambda d=destination: app.open_destination(d.id), pilot)
        for _ in range(repeats):
            for destination in DESTINATIONS:
                await timed(out.kind(f"list {destination.id}: again", OPEN, "again"),
                            lambda d=destination: app.open_destination(d.id), pilot)

        # The card, from the modules list (module 1 links the most tariffs), first and again.
        app.open_destination("modules")
        await pilot.pause()
        for attempt in range(repeats + 1):
            label = "card (module 1): first open" if attempt == 0 else "card (module 1): again"
            await timed(out.kind(label, OPEN, "first" if attempt == 0 else "again"), lambda: app.open_card(1), pilot)
            await leave(2)
        app.open_card(1)
        await pilot.pause()
        card_depth = len(app.screen_stack)

        # What the card's keys open.
        card_keys = (("edit form", "e", None, FORM), ("delete pre-check", "delete", None, OPEN),
                     ("configuration plan", "u", None, OPEN), ("call log", "L", "L", OPEN),
                     ("module history", "h", "h", OPEN), ("help (?)", "question_mark", "?", OPEN),
                     ("palette (:)", "colon", ":", OPEN))
        for name, key_name, character, kind in card_keys:
            for attempt in range(repeats + 1):
                label = f"{name}: {'first open' if attempt == 0 else 'again'}"
                await timed(label, key(key_name, character or (key_name if len(key_name) == 1 else None)), pilot)
                if kind == FORM:
                    out.kind(label, FORM, inputs_on(app.screen))
                else:
                    out.kind(label, OPEN, "first" if attempt == 0 else "again")
                if len(app.screen_stack) <= card_depth:
                    raise RuntimeError(f"{name}: the key {key_name} opened nothing on the card")
                await leave(card_depth)

        # The Add wizard from the modules list: its first screen, then each step (ctrl+n).
        app.open_destination("modules")
        await pilot.pause()
        for attempt in range(repeats + 1):
            which = "first" if attempt == 0 else "again"
            await timed(out.kind(f"add wizard, step 1 (product type): {which}", OPEN, which), key("a", "a"), pilot)
            for step, title in ((2, "module type"), (3, "connection form"), (4, "parameters form")):
                label = f"add wizard, step {step} ({title}): {which}"
                await timed(label, key("ctrl+n"), pilot)
                out.kind(label, FORM if step >= 3 else OPEN, inputs_on(app.screen.query_one(
                    f"#{('step-connection', 'step-parameters')[step - 3]}")) if step >= 3 else which)
            await leave(2)

        # The schedule editor, from the background tasks list.
        app.open_destination("tasks")
        await pilot.pause()
        for attempt in range(repeats + 1):
            label = f"schedule editor: {'first open' if attempt == 0 else 'again'}"
            await timed(label, key("e", "e"), pilot)
            out.kind(label, FORM, inputs_on(app.screen))
            await leave(2)

        # Keys on the modules list.
        app.open_destination("modules")
        await pilot.pause()
        screen = app.screen
        for _ in range(interactions):
            await timed(out.kind("modules list: cursor move", KEY, "cursor"), key("down"), pilot)
        for _ in range(interactions):
            await timed(out.kind("modules list: page down", KEY, "page"), key("pagedown"), pilot)
        for _ in range(max(5, interactions // 3)):
            await timed(out.kind("modules list: next page (])", KEY, "page"), key("right_square_bracket"), pilot)
        for letters in ("cpanel 0", "vmmanager 1", "namecheap 00"):
            for index in range(1, len(letters) + 1):
                await timed(out.kind("modules list: filter keystroke to repainted list", KEY, "filter"),
                            lambda text=letters[:index]: screen.set_filter(text=text), pilot)
        app.open_destination("services")
        await pilot.pause()
        services = app.screen
        for letters in ("client1", "client99", "client4242"):
            for index in range(1, len(letters) + 1):
                await timed(out.kind("services list: filter keystroke", KEY, "filter"),
                            lambda text=letters[:index]: services.set_filter(text=text), pilot)
        services.set_filter(text="")
        await pilot.pause()
        for _ in range(200):  # deep into the services, one keyset page at a time
            services.paged.next_page()
        await pilot.pause()
        for _ in range(max(5, interactions // 3)):
            await timed(out.kind("services list: next page, 200 pages deep", KEY, "page"),
                        key("right_square_bracket"), pilot)
    backend.close()
    return out


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")
