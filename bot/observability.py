"""What an operator watches: every Prometheus metric of the bot, defined once, and the small
functions the code calls where each thing happens (an answer, an ack, a digest run, a 429, a
model call, a store load). `GET /metrics` (bot/web.py) serves them; `render` gives the page.

Labels are few and bounded (an answer's kind, the engine, the surface, a Web API method name, an
outcome, a table name): never a user id, a channel id or any text of a question or answer.

One process per instance (uvicorn runs a single worker), so prometheus_client's default
process-global registry is the whole picture; several workers per process would need its
multiprocess mode instead.

The request id every log line carries lives here too (`request_id`, `bound_request`): held by
structlog's context variables, so stdlib log records (bot/logs.py's filter) and structlog loggers
read the same value, and copied contexts carry it to worker threads.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING, Any, get_args

import structlog.contextvars
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from slack_sdk.http_retry.handler import RetryHandler

if TYPE_CHECKING:  # not at run time: bot.metrics.store reports here, and bot.core imports the store
    from bot.core.answer import Answer
    from bot.digest.run import RunReport

CONTENT_TYPE = CONTENT_TYPE_LATEST
ENGINES = frozenset({"offline", "llm"})
SURFACES = frozenset({"slack", "teams", "cli"})
DIGEST_OUTCOMES = ("sent", "late", "found", "quiet", "skipped", "failed")
# An incoming X-Request-Id is echoed and logged: only a short id of safe characters is taken.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_SLACK_METHOD = re.compile(r"/api/([A-Za-z0-9_.]{1,80})$")

ANSWERS = Counter("ccobot_answers", "Answers given, by kind, understanding engine and surface",
                  ["kind", "engine", "surface"])
ANSWER_SECONDS = Histogram("ccobot_answer_seconds", "Time to compute an answer (Assistant.ask)", ["surface"],
                           buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30))
# Slack drops a request not acked within 3 s and retries it: the buckets are fine below that.
SLACK_ACK_SECONDS = Histogram("ccobot_slack_ack_seconds", "Time from a Slack request's arrival to its ack",
                              buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5))
DIGESTS = Counter("ccobot_digests", "Digests by outcome of a digest run", ["outcome"])
SLACK_RATE_LIMITED = Counter("ccobot_slack_rate_limited", "HTTP 429 answers of Slack's Web API, by method",
                             ["method"])
LLM_CALLS = Counter("ccobot_llm_calls", "Language model calls by outcome", ["outcome"])
LLM_TOKENS = Counter("ccobot_llm_tokens", "Language model tokens, in (prompt) and out (completion)", ["direction"])
STORE_LOAD_SECONDS = Gauge("ccobot_store_load_seconds", "How long the last metrics store load took")
STORE_ROWS = Gauge("ccobot_store_rows", "Rows of each table of the loaded metrics store", ["table"])

# Which face asked: the Slack app and the web app's Teams route set it; anything else is the
# terminal (chat, `ccobot ask`, eval).
_SURFACE: ContextVar[str] = ContextVar("ccobot_surface", default="cli")


# ---------------------------------------------------------------- the page

def render() -> bytes:
    """The metrics page in Prometheus' text format (CONTENT_TYPE)."""
    return generate_latest(REGISTRY)


# ---------------------------------------------------------------- answers

@contextmanager
def surface(name: str) -> Iterator[None]:
    """Answers given inside are counted for this surface."""
    token = _SURFACE.set(name if name in SURFACES else "cli")
    try:
        yield
    finally:
        _SURFACE.reset(token)


def observe_answer(answer: Answer, seconds: float) -> None:
    """One answer given, in `seconds`, for the surface of the current context."""
    where = _SURFACE.get()
    kind = answer.kind if answer.kind in _kinds() else "error"
    engine = answer.engine if answer.engine in ENGINES else "other"
    ANSWERS.labels(kind=kind, engine=engine, surface=where).inc()
    ANSWER_SECONDS.labels(surface=where).observe(seconds)


@cache
def _kinds() -> frozenset[str]:
    from bot.core.answer import Kind

    return frozenset(get_args(Kind))


def observe_ack(seconds: float) -> None:
    SLACK_ACK_SECONDS.observe(seconds)


# ---------------------------------------------------------------- digests

def observe_digests(report: RunReport) -> None:
    """A digest run's outcomes: sent (on time), late (sent after its time), found (an earlier run
    had posted it), quiet (nothing to say), skipped (grace passed), failed (to be retried or given up)."""
    counts = {"sent": len(report.sent), "late": len(report.late), "found": len(report.found),
              "quiet": len(report.quiet), "skipped": len(report.skipped), "failed": len(report.failed)}
    for outcome, n in counts.items():
        if n:
            DIGESTS.labels(outcome=outcome).inc(n)


# ---------------------------------------------------------------- Slack's Web API

def slack_method(url: str) -> str:
    """The Web API method of a request URL ("…/api/chat.postMessage" → "chat.postMessage")."""
    found = _SLACK_METHOD.search(url.split("?", 1)[0])
    return found.group(1) if found else "other"


class CountRateLimits(RetryHandler):
    """First in a WebClient's retry handlers: counts every 429 (each attempt, whoever retries it)
    and never retries itself, so the handlers after it (or the outbox) decide as before."""

    def can_retry(self, *, state, request, response=None, error=None) -> bool:  # noqa: ARG002
        if response is not None and response.status_code == 429:
            SLACK_RATE_LIMITED.labels(method=slack_method(request.url)).inc()
        return False

    def _can_retry(self, **_: Any) -> bool:
        return False


# ---------------------------------------------------------------- the language model

def observe_llm_call(outcome: str) -> None:
    """ok (the model answered usefully), error (failed, timed out or unparsable), unavailable
    (not asked: the breaker is open or the month's tokens are spent)."""
    LLM_CALLS.labels(outcome=outcome).inc()


def observe_llm_tokens(usage: Mapping[str, Any]) -> None:
    """LangChain's usage_metadata (input_tokens, output_tokens) of one call."""
    LLM_TOKENS.labels(direction="in").inc(int(usage.get("input_tokens") or 0))
    LLM_TOKENS.labels(direction="out").inc(int(usage.get("output_tokens") or 0))


# ---------------------------------------------------------------- the metrics store

def observe_store(tables: Mapping[str, Any], seconds: float) -> None:
    """A store loaded: how long it took, and each table's rows (canonical table names only)."""
    STORE_LOAD_SECONDS.set(seconds)
    STORE_ROWS.clear()  # the last store loaded is the one served: no table of an earlier one stays
    for name, frame in tables.items():
        STORE_ROWS.labels(table=name).set(len(frame))


# ---------------------------------------------------------------- the request id

def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id() -> str | None:
    """The id of the request or event the current code works for, if one is bound."""
    return structlog.contextvars.get_contextvars().get("request_id")


def usable_request_id(given: str | None) -> str:
    """A caller's id when it is a short id of safe characters, else a new one."""
    return given if given and REQUEST_ID.fullmatch(given) else new_request_id()


@contextmanager
def bound_request(rid: str | None = None, *, keep: bool = True) -> Iterator[str]:
    """Bind a request id for the code inside (a new one when `rid` is None), restored after. With
    `keep`, an id already bound (the web request this work belongs to) stays."""
    current = request_id()
    if keep and current:
        yield current
        return
    rid = rid or new_request_id()
    with structlog.contextvars.bound_contextvars(request_id=rid):
        yield rid
