"""Reusable widgets of the console (they carry their own DEFAULT_CSS)."""
