"""Logs of the long-running processes (the web app, Socket Mode, later the scheduler): JSON lines
to a rotating file under $CCOBOT_HOME/logs/ and to standard error.

Each line has time, level, logger and message, plus the Slack `event_id` being handled (from a
context variable), the `request_id` of the request or event it belongs to (bound with structlog's
context variables, bot/observability.py) and an apology's `ref` (passed as `extra`); structlog
loggers, should any code use one, write through the same handlers with the same fields. Tokens,
signing secrets and URL passwords are redacted from the finished line, and tracebacks keep their
frames and exception types but not exception messages, which can quote a user's question (a
database error quotes its parameters). Code never logs message text.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from logging.handlers import RotatingFileHandler
from pathlib import Path

import structlog
import structlog.contextvars
from pythonjsonlogger.json import JsonFormatter

# The Slack event the current code works for; set per request, carried to answer threads.
EVENT_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("ccobot_event_id", default=None)

TOKEN = re.compile(
    r"\bx(?:ox[a-z]|app)(?:\.xox[a-z])?-[A-Za-z0-9-]+"  # Slack bot/user/app/refresh tokens
    r"|\bsk-[A-Za-z0-9_-]{16,}"  # OpenAI-style API keys
)
URL_PASSWORD = re.compile(r"(://[^:/@\s\"]+):[^@/\s\"]+@")
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without token-shaped strings, URL passwords or any of the known `secrets`."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    text = TOKEN.sub(lambda m: m.group(0).split("-")[0] + "-[redacted]", text)
    return URL_PASSWORD.sub(r"\1:[redacted]@", text)


def secrets_of(settings: object) -> list[str]:
    """Every secret value of the settings (the pydantic SecretStr fields), to redact by value."""
    values = getattr(settings, "__dict__", {}).values()
    return [v.get_secret_value() for v in values if hasattr(v, "get_secret_value") and v.get_secret_value()]


class _Formatter(JsonFormatter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__(["levelname", "name", "message"], timestamp="time", json_ensure_ascii=False,
                         rename_fields={"levelname": "level", "name": "logger"})
        self.secrets = secrets

    def process_log_record(self, log_record: dict) -> dict:
        log_record.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
        return {"time": log_record.pop("time", None), **log_record}

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        return "".join(_frames(traceback.TracebackException(*ei))).rstrip("\n")


def _frames(exc: traceback.TracebackException) -> list[str]:
    """A traceback with each exception's type but not its message."""
    lines: list[str] = []
    if exc.__cause__ is not None:
        lines += [*_frames(exc.__cause__), "\nThe above exception was the direct cause of:\n\n"]
    elif exc.__context__ is not None and not exc.__suppress_context__:
        lines += [*_frames(exc.__context__), "\nDuring handling of the above exception, another occurred:\n\n"]
    name = getattr(exc, "exc_type_str", None)  # Python 3.13+
    if name is None:
        module = getattr(exc.exc_type, "__module__", "builtins")
        name = getattr(exc.exc_type, "__qualname__", "Exception")
        name = name if module == "builtins" else f"{module}.{name}"
    return [*lines, "Traceback (most recent call last):\n", *exc.stack.format(), f"{name} (message not logged)\n"]


class _EventId(logging.Filter):
    """The current event id and every structlog-bound value (the request id) onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        event_id = EVENT_ID.get()
        if event_id and not hasattr(record, "event_id"):
            record.event_id = event_id
        for key, value in structlog.contextvars.get_contextvars().items():
            if not hasattr(record, key):  # a value passed as `extra` wins
                setattr(record, key, value)
        return True


def _structlog_to_stdlib() -> None:
    """structlog loggers hand their events to the stdlib loggers (our JSON handlers), with the
    bound context merged in: one format and one file whichever API wrote the line."""
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, structlog.stdlib.filter_by_level,
                    structlog.stdlib.render_to_log_kwargs],
        logger_factory=structlog.stdlib.LoggerFactory(), wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True)


@dataclass
class Logs:
    """What setup_logging installed: the file it writes, and close() to take it all back."""

    path: Path
    handlers: list[logging.Handler] = field(default_factory=list)
    level: int = logging.WARNING

    def close(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(self.level)


_installed: Logs | None = None


def setup_logging(home: Path, name: str = "serve", *, secrets: Iterable[str] = (), stderr: bool = True,
                  level: int = logging.INFO) -> Logs:
    """JSON lines into home/logs/<name>.jsonl (10 MiB × 5, rotating) and to stderr; INFO and up.
    One process role per file: rotation is not safe across processes."""
    global _installed
    if _installed is not None:
        _installed.close()
    folder = Path(home) / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    formatter = _Formatter([s for s in secrets if s])
    handlers: list[logging.Handler] = [RotatingFileHandler(folder / f"{name}.jsonl", maxBytes=MAX_BYTES,
                                                           backupCount=BACKUPS, encoding="utf-8")]
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    root = logging.getLogger()
    logs = Logs(folder / f"{name}.jsonl", handlers, root.level)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.setLevel(level)  # also for libraries that set their own loggers to DEBUG
        handler.addFilter(_EventId())
        root.addHandler(handler)
    root.setLevel(level)
    _structlog_to_stdlib()
    _installed = logs
    return logs


def carry_context(executor: Executor) -> None:
    """Make work submitted to `executor` run in the submitter's context (its EVENT_ID), as a
    thread pool does not on its own. Idempotent."""
    submit = executor.submit
    if getattr(submit, "carries_context", False):
        return

    def submit_in_context(fn, /, *args, **kwargs):
        return submit(contextvars.copy_context().run, fn, *args, **kwargs)

    submit_in_context.carries_context = True  # type: ignore[attr-defined]
    executor.submit = submit_in_context  # type: ignore[method-assign]
