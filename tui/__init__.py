"""The Textual console of procmod: a thin face over `core`. Build it with `procmod.tui.app.make_app`."""
