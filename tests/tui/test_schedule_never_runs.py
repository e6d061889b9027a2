"""A schedule with valid syntax that never fires (30 February), typed in the schedule editor: refused with
the reason, the console stays up, nothing is saved."""

from __future__ import annotations

from procmod.core.backend import Backend
from procmod.core.dto import TaskFilter
from procmod.tui.app import make_app
from procmod.tui.screens.schedule_editor import ScheduleScreen
from procmod.tui.screens.task_list import TaskListScreen

SIZE = (80, 24)


async def test_typing_a_schedule_that_never_runs_is_refused_not_fatal(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="tasks")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        task = app.screen.paged.selected
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, ScheduleScreen)
        editor.query_one("#schedule-text").value = ""
        await pilot.press(*"0 0 30 2 *")
        await pilot.pause()
        assert app.is_running and app.screen is editor
        assert editor.error == "This schedule never runs: it has no fire time in the next 5 years"
        assert editor.next_runs == [] and editor.query_one("#dialog-ok").disabled
        assert "never runs" in str(editor.query_one("#dialog-error").render())
        await pilot.press("ctrl+s", "enter")  # refused both ways: the dialog stays
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is editor
        await pilot.press("backspace", "backspace", "backspace")
        await pilot.press(*"8 *")  # 30 August: fires every year
        await pilot.pause()
        assert editor.error == "" and len(editor.next_runs) == 3
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TaskListScreen)
    stored = next(t for t in demo_backend.tasks.list(TaskFilter(module_id=task.module_id)).rows if t.id == task.id)
    assert stored.schedule == task.schedule
