"""The Textual console of procmod: a thin face over `core`. Build it with `tui.app.make_app`."""
