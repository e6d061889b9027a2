"""The console's log file: driver failures, failed runs and unexpected errors, in the user state directory
(platformdirs), rotated at 1 MB with 3 old files kept. Never a secret: what is logged is what the run
records already hold (messages with secrets masked by the drivers), and URLs pass the redacting filter.

No Textual here: the command line starts the log before the console loads.
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_BYTES, LOG_BACKUPS = 1_000_000, 3
_handler: RotatingFileHandler | None = None


def log_path() -> Path:
    from platformdirs import user_state_path

    return user_state_path("procmod", appauthor=False) / "console.log"


def current_log_path() -> Path | None:
    """The file the console logs to, or None when logging was not started (tests)."""
    return Path(_handler.baseFilename) if _handler is not None else None


def start_logging(path: Path | None = None) -> Path | None:
    """Log procmod's warnings and errors (and the HTTP stack's) to the rotating file; idempotent. None when
    the state directory cannot be written (the console runs without a log)."""
    global _handler
    if _handler is not None:
        return Path(_handler.baseFilename)
    path = path or log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    except OSError:
        return None
    from procmod.core.redaction import RedactingLogFilter, install_log_redaction

    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingLogFilter())
    install_log_redaction()
    for name, level in (("procmod", logging.INFO), ("httpx", logging.WARNING), ("httpcore", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
    _handler = handler
    logging.getLogger("procmod.console").info("console started")
    return path


def stop_logging() -> None:
    global _handler
    if _handler is None:
        return
    for name in ("procmod", "httpx", "httpcore"):
        logging.getLogger(name).removeHandler(_handler)
    _handler.close()
    _handler = None
