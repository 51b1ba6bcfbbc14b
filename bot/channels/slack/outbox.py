"""Posting to Slack without losing anything and without stalling: the outbound queue.

Answers are computed on the answer threads and handed to the Outbox, which posts them from a
few sender threads:
- one post at a time per channel, in order, about one a second (Slack's limit for
  chat.postMessage is about one message per second per channel, with short bursts);
- a 429 puts that channel's posts off for Retry-After seconds and requeues the post at the
  front: no thread sleeps through it, so other channels keep going;
- a dropped connection or a 5xx is retried a few times with backoff;
- anything else Slack refuses goes to the post's `failed` callback with Slack's error code,
  where the bot decides (plain text instead of blocks, a DM to the asker, …).
A 429 or a refusal means Slack did not post the message, so a retry never posts it twice.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.observability import CountRateLimits

log = logging.getLogger("ccobot.slack.outbox")
PACE = 1.0  # seconds between two posts to the same channel
BURST = 3  # posts a quiet channel may take at once before pacing applies
TRANSIENT_TRIES = 4
GIVE_UP_AFTER = 900.0  # seconds of 429s and outages after which a post is reported failed
TRANSIENT = {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "connection_error"}


@dataclass
class Post:
    """One Web API call that posts something (chat.postMessage, chat.postEphemeral, …)."""

    client: WebClient
    method: str  # the WebClient method name: "chat_postMessage"
    kwargs: dict
    sent: Callable[[dict], None] = lambda response: None
    failed: Callable[[str], None] = lambda error: None
    # Asked right before each attempt; False drops the post (a digest whose claim another run took over).
    before: Callable[[], bool] | None = None
    # A timeout or a 5xx may come after Slack posted the message: retried for answers; for digests
    # (False) reported failed instead, and the next run looks for the message before sending again.
    blind_retry: bool = True
    tries: int = 0  # retries after a dropped connection or a 5xx
    queued_at: float = field(default_factory=time.monotonic)
    # the asker's context (the event id the logs carry), for the callbacks run on other threads
    context: contextvars.Context = field(default_factory=contextvars.copy_context)

    @property
    def channel(self) -> str:
        return str(self.kwargs.get("channel", ""))


@dataclass
class _Channel:
    posts: deque[Post] = field(default_factory=deque)
    not_before: float = 0.0  # a 429's Retry-After, or pacing
    tokens: float = BURST
    refilled: float = field(default_factory=time.monotonic)
    busy: bool = False


class Outbox:
    def __init__(self, senders: int = 4, pace: float = PACE) -> None:
        self.pace = pace
        self._channels: dict[str, _Channel] = {}
        self._cond = threading.Condition()
        self._pending = 0
        self._closed = False
        self._no_wait: dict[tuple[str | None, str, bool], WebClient] = {}
        self.stats = {"sent": 0, "429": 0, "retried": 0, "failed": 0}
        self._callbacks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-sent")
        self._threads = [threading.Thread(target=self._run, name=f"slack-send-{i}", daemon=True)
                         for i in range(senders)]
        for t in self._threads:
            t.start()

    # ------------------------------------------------------------ the interface

    def put(self, post: Post) -> None:
        with self._cond:
            self._channels.setdefault(post.channel, _Channel()).posts.append(post)
            self._pending += 1
            self._cond.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every post is sent or reported failed; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Finish what is queued (within `timeout`), then stop the senders."""
        self.join(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._callbacks.shutdown(wait=False)

    @property
    def pending(self) -> int:
        return self._pending

    # ------------------------------------------------------------ the senders

    def _run(self) -> None:
        while True:
            with self._cond:
                picked = self._next()
                while picked is None:
                    if self._closed:
                        return
                    self._cond.wait(self._wait_time())
                    picked = self._next()
                chan = picked
                post = chan.posts.popleft()
                chan.busy = True
            outcome = self._send(post)
            with self._cond:
                self._settle(chan, post, outcome)
                self._cond.notify_all()

    def _next(self) -> _Channel | None:
        """The channel that has waited longest among those free to post now. A channel that has
        been quiet long enough to post a whole burst again is forgotten (it would start afresh)."""
        now = time.monotonic()
        ready, quiet = [], []
        for name, c in self._channels.items():
            if c.busy or c.not_before > now:
                continue
            if c.posts:
                ready.append(c)
            elif now - c.refilled >= BURST * self.pace:
                quiet.append(name)
        for name in quiet:
            del self._channels[name]
        return min(ready, key=lambda c: c.posts[0].queued_at, default=None)

    def _wait_time(self) -> float | None:
        waits = [c.not_before - time.monotonic() for c in self._channels.values() if c.posts and not c.busy]
        return max(min(waits), 0.01) if waits else None

    def _send(self, post: Post) -> tuple[str, dict | float | str]:
        """("sent", response) | ("later", seconds) | ("retry", error) | ("failed", error)."""
        try:
            if post.before is not None and not post.before():
                return "failed", "superseded"
        except Exception as exc:  # noqa: BLE001 (the state database away: do not post what may not be ours)
            return "failed", f"claim not confirmed ({type(exc).__name__})"
        try:
            response = getattr(self.client_for(post.client, post.blind_retry), post.method)(**post.kwargs)
            return "sent", dict(response.data) if isinstance(response.data, dict) else {}
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                return "later", float(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1)))
            error = str(exc.response.get("error") or exc.response.status_code)
            return ("retry" if error in TRANSIENT or exc.response.status_code >= 500 else "failed"), error
        except Exception as exc:  # noqa: BLE001 (a connection that failed even after its own retries)
            return "retry", type(exc).__name__

    def _settle(self, chan: _Channel, post: Post, outcome: tuple[str, object]) -> None:
        kind, detail = outcome
        chan.busy = False
        now = time.monotonic()
        given_up = now - post.queued_at > GIVE_UP_AFTER
        if kind == "later" and not given_up:
            self.stats["429"] += 1
            chan.not_before = now + float(detail)  # type: ignore[arg-type]
            chan.posts.appendleft(post)
            return
        if kind == "retry" and post.tries < TRANSIENT_TRIES and not given_up and post.blind_retry:
            post.tries += 1
            self.stats["retried"] += 1
            chan.not_before = now + 0.5 * 2 ** post.tries
            chan.posts.appendleft(post)
            return
        if kind == "sent":
            self.stats["sent"] += 1
            self._pace(chan, now)
            self._callback(post, post.sent, detail)
        else:
            self.stats["failed"] += 1
            self._callback(post, post.failed, "ratelimited" if kind == "later" else str(detail))

    def _pace(self, chan: _Channel, now: float) -> None:
        """A token bucket: BURST posts at once, then one per `pace` seconds."""
        chan.tokens = min(BURST, chan.tokens + (now - chan.refilled) / self.pace) - 1
        chan.refilled = now
        if chan.tokens < 1:
            chan.not_before = now + (1 - chan.tokens) * self.pace

    def _callback(self, post: Post, fn: Callable, arg: object) -> None:
        # Callbacks write to the database and may post again (a fallback, a DM): they run on their
        # own threads, and the post counts as pending until its callback is done, so join() means
        # "all settled".
        self._callbacks.submit(post.context.run, self._settled, fn, arg)

    def _settled(self, fn: Callable, arg: object) -> None:
        try:
            fn(arg)
        except Exception:  # noqa: BLE001 (a callback's failure must not kill a sender)
            log.exception("outbox callback failed")
        finally:
            with self._cond:
                self._pending -= 1
                self._cond.notify_all()

    def client_for(self, client: WebClient, retry_connection: bool = True) -> WebClient:
        """The same token and URL without the client's own 429 handler: the outbox waits, not the
        thread. Without a connection retry too, for posts that must not be sent blindly twice (and
        for a streamed answer's calls, stream.py)."""
        key = (client.token, client.base_url, retry_connection)
        found = self._no_wait.get(key)
        if found is None:
            handlers = [ConnectionErrorRetryHandler(max_retry_count=1)] if retry_connection else []
            handlers.insert(0, CountRateLimits())  # the 429s this outbox waits out, in /metrics
            found = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                              retry_handlers=handlers)
            self._no_wait[key] = found
        return found
