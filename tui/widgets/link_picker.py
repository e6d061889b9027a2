"""The processing modules a tariff plan may be served by: one row per module whose type serves the tariff's
product type, a tick and the link's sort priority (the lowest is tried first). The picker only collects;
the rules (type serves the product type, an Active tariff keeps one) are the domain's (core/reference.py)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Static

from procmod.core.reference import LinkChoice, TariffLink
from procmod.tui.widgets.inputs import InOrderInput
from procmod.tui.widgets.ticks import TickBox


class LinkTick(TickBox):
    """A module's tick: `[x] name` linked, `[ ] name` not, readable without colour (NO_COLOR)."""

    def __init__(self, label: str, value: bool, **kwargs: object) -> None:
        super().__init__(value, words=(label, label), **kwargs)  # type: ignore[arg-type]


class LinkPicker(Vertical):
    DEFAULT_CSS = """
    LinkPicker { height: auto; }
    LinkPicker .link-row { height: 1; }
    LinkPicker .link-row > Checkbox { width: 1fr; }
    LinkPicker .link-row > Input { width: 12; }
    LinkPicker .link-help { color: $text-muted; }
    LinkPicker .link-error { color: $error; text-style: bold; }
    LinkPicker .-empty { display: none; }
    """

    def __init__(self, choices: list[LinkChoice], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.choices = choices

    def compose(self) -> ComposeResult:
        yield Static(Text("Space ticks a module; Tab moves to its priority (lowest is tried first)."),
                     classes="link-help")
        yield Vertical(*self._rows(self.choices), id="link-rows")
        yield Static("", classes="link-error -empty", id="link-error")

    @staticmethod
    def _rows(choices: list[LinkChoice]) -> list[Horizontal | Static]:
        if not choices:
            return [Static(Text("No processing module serves this product type yet: save the tariff Disabled, "
                                "and link it once a module exists."), classes="link-empty")]
        rows = []
        for choice in choices:
            tick = LinkTick(f"{choice.name} ({choice.module_type_title})", choice.linked, compact=True,
                            id=f"link-{choice.module_id}")
            priority = InOrderInput(str(choice.sort_priority), compact=True, type="integer", id=f"priority-{choice.module_id}")
            priority.cursor_blink = False
            rows.append(Horizontal(tick, priority, classes="link-row"))
        return rows

    async def show_choices(self, choices: list[LinkChoice]) -> None:
        """Other choices (the product type changed): modules still offered keep their tick and priority."""
        kept = {link.module_id: link.sort_priority for link in self.links()}
        self.choices = [LinkChoice(c.module_id, c.name, c.module_type_title, c.module_id in kept,
                                   kept.get(c.module_id, c.sort_priority)) for c in choices]
        rows = self.query_one("#link-rows", Vertical)
        await rows.remove_children()
        await rows.mount_all(self._rows(self.choices))

    def links(self) -> list[TariffLink]:
        """The ticked modules with their priority as typed (the domain validates it)."""
        links = []
        for choice in self.choices:
            if self.query_one(f"#link-{choice.module_id}", LinkTick).value:
                typed = self.query_one(f"#priority-{choice.module_id}", InOrderInput).value.strip()
                links.append(TariffLink(choice.module_id, typed))  # type: ignore[arg-type]
        return links

    def show_error(self, text: str) -> None:
        line = self.query_one("#link-error", Static)
        line.update(Text(text))
        line.set_class(not text, "-empty")
