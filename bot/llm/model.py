"""One door to the language model: LangChain's ChatOpenAI over the Chat Completions API (what
OpenAI, Azure OpenAI and local servers such as Ollama, vLLM and LM Studio implement), with a
per-call timeout and retries, a monthly token budget kept in the state database, and a circuit
breaker, so a model that is down costs one timeout, not one per question.

Logs hold token counts and latency, never prompts or answers.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from sqlalchemy import Integer, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.config import Settings
from bot.observability import observe_llm_call, observe_llm_tokens
from bot.state import Base, insert_for

log = logging.getLogger("ccobot.llm")
BREAK_AFTER = 3  # failures in a row that open the breaker
BREAK_FOR = 60.0  # seconds the model is not asked after that
BUDGET = 10.0  # seconds a question may wait for the model, all its calls and retries included
LAST_CALL = 0.5  # seconds: less than this left of a question's budget is not worth a call
_DEADLINE: ContextVar[float | None] = ContextVar("ccobot_llm_deadline", default=None)
# What every prompt and every check of the model's text share: the languages by name, and Slack's
# special mentions (<!channel>, <@U…>, @here), which no model-written text may keep.
LANGUAGE = {"en": "English", "da": "Danish", "sv": "Swedish"}
SLACK_SPECIAL = re.compile(r"<[!@#][^>]*>|@(?:channel|here|everyone)\b", re.IGNORECASE)
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="llm")


class ModelUnavailable(Exception):
    """The model did not answer usefully: down, slow, over budget, or the breaker is open."""


class TokenUsage(Base):
    __tablename__ = "llm_usage"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    tokens: Mapped[int] = mapped_column(Integer)


class LanguageModel:
    def __init__(self, chat, state: Engine | None = None, monthly_tokens: int = 0, name: str = "",
                 prices: tuple[float, float] = (0.0, 0.0)) -> None:
        self.chat, self.state, self.monthly_tokens, self.name = chat, state, monthly_tokens, name
        self.prices = prices  # USD per million input and output tokens, for the cost in the log
        self._failures = 0
        self._open_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, state: Engine | None) -> "LanguageModel | None":
        """None without OPENAI_API_KEY: the offline path is the product's default."""
        if settings.openai_api_key is None:
            return None
        from langchain_openai import ChatOpenAI

        chat = ChatOpenAI(model=settings.ccobot_model, api_key=settings.openai_api_key.get_secret_value(),
                          base_url=settings.openai_base_url, timeout=settings.ccobot_llm_timeout,
                          max_retries=settings.ccobot_llm_retries, temperature=0,
                          use_responses_api=False)  # Chat Completions: what OpenAI-compatible servers speak
        return cls(chat, state, settings.ccobot_llm_monthly_tokens, settings.ccobot_model,
                   (settings.ccobot_llm_usd_per_mtok_in, settings.ccobot_llm_usd_per_mtok_out))

    def complete(self, system: str, user: str, budget: float = BUDGET) -> str:
        """The model's text for these messages within `budget` seconds (retries included), or
        ModelUnavailable."""
        reply = self._call(self.chat.invoke, [("system", system), ("human", user)], budget, lambda r: r)
        observe_llm_call("ok")
        return str(reply.content or "")

    def structured(self, system: str, user: str, schema: dict, budget: float = BUDGET) -> dict:
        """The model's reading as a dict matching `schema` (LangChain's with_structured_output,
        json_schema, strict), or ModelUnavailable."""
        reader = self.chat.with_structured_output(schema, method="json_schema", strict=True, include_raw=True)
        out = self._call(reader.invoke, [("system", system), ("human", user)], budget, lambda o: o.get("raw"))
        if out.get("parsed") is None:  # not JSON, or not the schema: a failed call like any other
            self._failed()
            raise ModelUnavailable("unparsable reading")
        observe_llm_call("ok")
        return out["parsed"]

    def stream(self, system: str, user: str, budget: float = BUDGET) -> Iterator[str]:
        """The model's text for these messages, piece by piece as it is written (ChatOpenAI.stream),
        the whole of it within `budget` seconds, else ModelUnavailable: a model that stops midway
        fails like one that never starts (both open the breaker), and what was yielded before is
        then not an answer (the caller discards it). Tokens are counted from the final usage chunk
        (stream_usage). The breaker and the monthly budget are checked at the first next()."""
        self._admit()
        started = time.perf_counter()
        deadline = time.monotonic() + _within(budget)
        pieces: queue.Queue = queue.Queue()
        stop = threading.Event()
        _POOL.submit(self._produce, [("system", system), ("human", user)], pieces, stop)
        usage = None
        try:
            while True:
                try:
                    kind, item = pieces.get(timeout=max(deadline - time.monotonic(), 0.0))
                except queue.Empty:
                    kind, item = "error", TimeoutError()
                if kind == "error":
                    self._failed()
                    log.warning("model stream failed", extra={"error": type(item).__name__,
                                                             "ms": round((time.perf_counter() - started) * 1000)})
                    raise ModelUnavailable(type(item).__name__) from None
                if kind == "done":
                    break
                if getattr(item, "usage_metadata", None):
                    usage = item
                if item.content:
                    yield str(item.content)
        finally:
            stop.set()  # the reader ends at its next chunk (a caller that gave up, a timeout)
        with self._lock:
            self._failures = 0
        self._count(usage, started)
        observe_llm_call("ok")

    def _produce(self, messages: list, pieces: queue.Queue, stop: threading.Event) -> None:
        """Read the model's stream on a pool thread, so the reader can wait with a deadline."""
        try:
            for chunk in self.chat.stream(messages, stream_usage=True):
                if stop.is_set():
                    return
                pieces.put(("chunk", chunk))
            pieces.put(("done", None))
        except Exception as exc:  # noqa: BLE001 (timeouts, 429s, 5xx, a dropped stream: all alike)
            pieces.put(("error", exc))

    def _admit(self) -> None:
        """ModelUnavailable while the breaker is open or the month's tokens are spent."""
        with self._lock:
            broken = time.monotonic() < self._open_until
        spent = not broken and bool(self.monthly_tokens) and self.used() >= self.monthly_tokens
        if broken or spent:
            observe_llm_call("unavailable")  # not asked: counted apart from the calls that failed
            raise ModelUnavailable("breaker open" if broken else "monthly token budget spent")

    def _call(self, fn, messages, budget: float, usage: Callable[[Any], object]):
        """fn(messages) on the pool within the budget; its tokens (from `usage(result)`) counted."""
        budget = _within(budget)
        self._admit()
        started = time.perf_counter()
        call = _POOL.submit(fn, messages)
        try:
            result = call.result(timeout=budget)
        except Exception as exc:  # noqa: BLE001 (timeouts, 429s and 5xx after retries: all alike)
            self._failed()
            log.warning("model call failed", extra={"error": type(exc).__name__,
                                                    "ms": round((time.perf_counter() - started) * 1000)})
            raise ModelUnavailable(type(exc).__name__) from None
        with self._lock:
            self._failures = 0
        self._count(usage(result), started)
        return result

    def _failed(self) -> None:
        """A call failed (an error, a timeout, an unparsable reply): one nearer the breaker."""
        observe_llm_call("error")
        with self._lock:
            self._failures += 1
            if self._failures >= BREAK_AFTER:
                self._open_until = time.monotonic() + BREAK_FOR
                self._failures = 0

    # ------------------------------------------------------------ the budget

    def used(self) -> int:
        if self.state is None:
            return 0
        with Session(self.state) as s:
            return int(s.scalar(select(TokenUsage.tokens).where(TokenUsage.month == _month())) or 0)

    def _count(self, message: object, started: float) -> None:
        """Log the call's tokens, latency and cost (never its content) and add the tokens to the month's."""
        usage = getattr(message, "usage_metadata", None) or {}
        tokens = int(usage.get("total_tokens") or 0)
        cost = (usage.get("input_tokens", 0) * self.prices[0] + usage.get("output_tokens", 0) * self.prices[1]) / 1e6
        log.info("model call", extra={"model": self.name, "tokens": tokens, "cost_usd": round(cost, 6),
                                      "ms": round((time.perf_counter() - started) * 1000)})
        observe_llm_tokens(usage)
        if self.state is None or not tokens:
            return
        stmt = insert_for(self.state)(TokenUsage).values(month=_month(), tokens=tokens)
        with Session(self.state) as s, s.begin():
            s.execute(stmt.on_conflict_do_update(index_elements=["month"],
                                                 set_={"tokens": TokenUsage.tokens + tokens}))


@contextmanager
def question_budget(seconds: float = BUDGET) -> Iterator[None]:
    """Every model call made while answering one question (its reading, a translation, the answer,
    a narration) shares `seconds`, so the offline answer with its note is never later than that.
    Nested uses keep the outer deadline."""
    token = _DEADLINE.set(time.monotonic() + seconds) if _DEADLINE.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _DEADLINE.reset(token)


def _within(budget: float) -> float:
    """A call's budget, cut to what is left of the question's; ModelUnavailable when too little is."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return budget
    left = deadline - time.monotonic()
    if left < LAST_CALL:
        observe_llm_call("unavailable")
        raise ModelUnavailable("the question's time budget is spent")
    return min(budget, left)


def _month() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m")
