"""Update configuration: read the module's configuration from the external system, show what would change,
and apply it only when the operator says so.

Planning (`plan_configuration`) writes nothing but the call log; it runs in a worker and the screen lists
each change (setting, now → after, why), the choices read from the panel and the driver's notes. `a`
applies the reviewed plan (`apply_configuration`: the audited, validated edit path, safe to repeat) in a
worker, then the card shows the new values. A failure of the external system is shown in words with what
to do about it, never as a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from procmod.core.drivers import ConfigPlan, DriverError
from procmod.core.lifecycle import Conflict, ReadOnly
from procmod.core.errors import NotFound
from procmod.core.validation import ValidationError
from procmod.tui.actions import bindings_for
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.screens.module_actions import ModuleRef

#: Titles of the catalogs drivers return (keyed by the setting they feed, or what they list).
CATALOG_TITLES = {"cluster": "Clusters", "os_template": "OS templates", "default_package": "Packages"}
LIST_PREVIEW = 4


def _choice_labels(pairs: Sequence[Any]) -> list[str]:
    labels = []
    for pair in pairs:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            value, label = (str(p) for p in pair)
            labels.append(label if label == value else f"{label} ({value})")
        else:
            labels.append(str(pair))
    return labels


def _preview(labels: list[str]) -> str:
    shown = ", ".join(labels[:LIST_PREVIEW])
    more = f", … {len(labels) - LIST_PREVIEW} more" if len(labels) > LIST_PREVIEW else ""
    return f"{len(labels)}: {shown}{more}" if labels else "none"


def shown_value(value: Any, key: str, catalog: Mapping[str, Sequence[tuple[str, str]]]) -> str:
    """A setting's value in words: `—` for none, a list of choices by their labels, a choice by its label."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return _preview(_choice_labels(value))
    labels = {str(v): str(label) for v, label in catalog.get(key, ())}
    label = labels.get(str(value))
    return f"{label} ({value})" if label and label != str(value) else str(value)


def plan_renderable(plan: ConfigPlan) -> Group:
    """The changes (or that there are none), the choices read from the panel, and the driver's notes."""
    parts: list[Any] = []
    if plan.is_empty:
        parts.append(Text("Nothing to change: the module's configuration matches the external system.",
                          style="bold"))
    else:
        parts.append(Text(f"{len(plan.changes)} change(s) to apply (a applies them):", style="bold"))
        table = Table(box=None, padding=(0, 1), show_edge=False, expand=True, header_style="bold")
        table.add_column("Setting", no_wrap=True)
        table.add_column("Now", ratio=1, overflow="fold")
        table.add_column("After", ratio=2, overflow="fold")
        table.add_column("Why", ratio=1, overflow="fold")
        for change in plan.changes:
            table.add_row(Text(change.label), Text(shown_value(change.before, change.key, plan.catalog)),
                          Text("→ " + shown_value(change.after, change.key, plan.catalog)), Text(change.reason))
        parts.append(table)
    if plan.catalog:
        parts.append(Text(""))
        parts.append(Text("Read from the external system:", style="bold"))
        for key, pairs in plan.catalog.items():
            title = CATALOG_TITLES.get(key, key.replace("_", " ").capitalize())
            parts.append(Text(f"  {title}: {_preview(_choice_labels(list(pairs)))}"))
    if plan.notes:
        parts.append(Text(""))
        parts.extend(Text(f"Note: {note}") for note in plan.notes)
    return Group(*parts)


class ConfigPlanScreen(ConsoleScreen):
    SCREEN_ID = "plan"
    BINDINGS = bindings_for("plan")

    @dataclass
    class Planned(Message):
        plan: ConfigPlan

    @dataclass
    class Applied(Message):
        version: int
        changes: int

    @dataclass
    class Failed(Message):
        title: str
        text: str
        hint: str = ""

    def __init__(self, module: ModuleRef) -> None:
        super().__init__()
        self.module = module
        self.plan: ConfigPlan | None = None
        self.busy = False

    @property
    def shown_module_id(self) -> int:
        return self.module.id

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        part = ("Update configuration",)
        return ("Integration", "Processing modules", self.module.name, *part) if first else part

    def compose_content(self) -> ComposeResult:
        yield Static("", id="plan-title")
        with VerticalScroll(id="plan-body"):
            yield Static("", id="plan-changes")
        yield Static("", id="plan-message")

    def on_mount(self) -> None:
        self.query_one("#plan-body").focus()
        self.action_plan_again()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply_plan" and (self.busy or self.plan is None or self.plan.is_empty):
            return False
        if action == "plan_again" and self.busy:
            return False
        return super().check_action(action, parameters)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.refresh_bindings()

    def say(self, text: str, hint: str = "", *, error: bool = False) -> None:
        line = self.query_one("#plan-message", Static)
        line.update(Text(f"{text} {hint}".strip()))
        line.set_class(error, "-error")

    # ------------------------------------------------------------------ plan

    def action_plan_again(self) -> None:
        if self.busy:
            return
        self._set_busy(True)
        self.plan = None
        self.query_one("#plan-title", Static).update(
            Text(f"Reading the configuration of {self.module.name} from the external system…"))
        self.query_one("#plan-changes", Static).update("")
        self.say("")
        self._plan(self.module)

    @work(thread=True, group="integration", exit_on_error=False)
    def _plan(self, module: ModuleRef) -> None:
        try:
            plan = self.backend.integrations.plan_configuration(module.id)
        except DriverError as error:
            self.post_message(self.Failed(f"Could not read the configuration ({error.title})", error.message,
                                          error.hint))
        except NotFound as gone:
            self.post_message(self.Failed("Not found", str(gone)))
        else:
            self.post_message(self.Planned(plan))

    def on_config_plan_screen_planned(self, event: Planned) -> None:
        self.plan = event.plan
        self._set_busy(False)
        self.query_one("#plan-title", Static).update(Text(f"Update configuration of {self.module.name}"))
        self.query_one("#plan-changes", Static).update(plan_renderable(event.plan))
        if not event.plan.is_empty:
            self.say("Nothing is saved until you apply: a applies, Esc leaves it as it is.")

    # ------------------------------------------------------------------ apply

    def action_apply_plan(self) -> None:
        if self.busy or self.plan is None or self.plan.is_empty:
            return
        self._set_busy(True)
        self.say("Applying…")
        self._apply(self.module, self.plan)

    @work(thread=True, group="integration", exit_on_error=False)
    def _apply(self, module: ModuleRef, plan: ConfigPlan) -> None:
        try:
            version = self.backend.integrations.apply_configuration(module.id, plan)
        except ValidationError as invalid:
            details = "; ".join(f"{key}: {text}" for key, text in invalid.errors.items())
            self.post_message(self.Failed("Not applied", f"The new settings were refused ({details}).",
                                          "Fix the module with Edit (e), then update again."))
        except Conflict as conflict:
            self.post_message(self.Failed("Not applied", str(conflict), "ctrl+r reads the configuration again."))
        except (NotFound, ReadOnly) as refused:
            self.post_message(self.Failed("Not applied", str(refused)))
        else:
            self.post_message(self.Applied(version, len(plan.changes)))

    def on_config_plan_screen_applied(self, event: Applied) -> None:
        self._set_busy(False)
        self.app.pop_screen()  # the card reads itself again when shown
        self.app.notify(f"{self.module.name}: {event.changes} change(s) applied", title="Update configuration")

    def on_config_plan_screen_failed(self, event: Failed) -> None:
        self._set_busy(False)
        if self.plan is None:
            self.query_one("#plan-title", Static).update(Text(f"Update configuration of {self.module.name}: "
                                                              f"{event.title}"))
        self.say(event.text, event.hint, error=True)
