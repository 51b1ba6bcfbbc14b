"""Answers that survive a crash: each event being answered is a job in the state database.

When a question's event is claimed, before Bolt acks it (app.py `_claim_before_ack`; Slack never
sends an acked event again), its job is recorded too (event id, where it came from, who
asked, the question) with a lease held by this process. While the process works on it the lease
is renewed: by the sweeper's heartbeat every few seconds, and right before each attempt to post,
which also records where the attempt went. The post carries Slack message metadata
(`ccobot_answer`, {event_id}); when Slack took it, the job is marked answered with the message's
ts and its question is forgotten.

Every serving instance runs a sweeper thread (`start`): every CCOBOT_ANSWER_SWEEP_SECONDS it renews its own
jobs and takes over, a bounded batch at a time, open jobs whose lease ran out (their process died
or was stopped before it posted). A job whose holder had attempted a post is first looked for in its
thread (conversations.replies, else conversations.history, with include_all_metadata), as digests
are (bot/digest/ledger.py): found, it is marked answered and nothing is posted; not found, or never
attempted, it is answered again from the kept question. A job taken over MAX_TAKEOVERS times is
given up (logged), so one that cannot be answered is not retried forever.

What is not covered: an ephemeral answer cannot be found by its metadata, so one attempted by a
dead process may be shown twice; a streamed answer (stream.py) is marked when its stream is
finished, not before; buttons and slash commands have no event id and no job.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Iterator

from slack_sdk.errors import SlackApiError
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.observability import bound_request
from bot.config import get_settings
from bot.state import SEEN_EVENTS_KEPT_DAYS, AnswerJob, SeenEvent, insert_for

if TYPE_CHECKING:
    from bot.channels.slack.app import SlackBot

log = logging.getLogger("ccobot.slack.jobs")
EVENT_TYPE = "ccobot_answer"
OPEN, ANSWERED, GIVEN_UP = "open", "answered", "given_up"
BATCH = 20  # jobs taken over per sweep
MAX_TAKEOVERS = 3
HELD_AT_MOST = 1000.0  # seconds a process keeps renewing a job (past the outbox's give-up time)
PRUNE_EVERY = 3600.0

_JOB: ContextVar[str | None] = ContextVar("answer_job", default=None)


def current_job() -> str | None:
    """The event id of the job being answered on this thread (and in its posts' callbacks)."""
    return _JOB.get()


def metadata(event_id: str) -> dict:
    return {"event_type": EVENT_TYPE, "event_payload": {"event_id": event_id}}


def _utc(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Job:
    event_id: str
    at: datetime
    team_id: str | None
    channel: str
    channel_type: str | None
    thread_ts: str | None
    user_id: str
    question: str
    attempt_channel: str | None  # set when a post was attempted: look there before answering again

    @classmethod
    def of(cls, row: AnswerJob) -> Job:
        return cls(row.event_id, _utc(row.at), row.team_id, row.channel, row.channel_type, row.thread_ts,
                   row.user_id, row.question, row.attempt_channel if row.attempted_at else None)


class AnswerJobs:
    def __init__(self, state: Engine, lease: float | None = None, sweep_every: float | None = None) -> None:
        self.state = state
        settings = get_settings()
        self.lease = timedelta(seconds=lease if lease is not None else settings.ccobot_answer_lease_seconds)
        self.sweep_every = sweep_every if sweep_every is not None else settings.ccobot_answer_sweep_seconds
        self.me = uuid.uuid4().hex
        self._mine: dict[str, float] = {}  # event id -> when this process took it (monotonic)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pruned = 0.0
        self.stats = {"taken_over": 0, "found": 0, "answered_again": 0, "given_up": 0}
        self._claims = _Claims(self._write_claims)

    # ------------------------------------------------------------ the worker's side

    def claim(self, event_id: str, *, question: str, user_id: str, channel: str, thread_ts: str | None,
              channel_type: str | None, team_id: str | None) -> bool:
        """True the first time an event id is seen (seen_events, across processes), with its job
        recorded and leased to this process; False after. Made on the ack's path: claims arriving
        together are written in one transaction (`_Claims`)."""
        won = self._claims.submit(dict(event_id=event_id, status=OPEN, team_id=team_id, channel=channel,
                                       channel_type=channel_type, thread_ts=thread_ts, user_id=user_id,
                                       question=question[:4000], claimed_by=self.me, takeovers=0))
        if won:
            self._hold(event_id)
        return won

    def _write_claims(self, jobs: list[dict]) -> list[bool]:
        """One transaction, two statements, for a batch of claims: the events' seen_events rows
        decide (ON CONFLICT DO NOTHING … RETURNING the new ones), then the winners' jobs are written.
        An event twice in one batch (a retry racing its original) is won by its first claim only."""
        insert = insert_for(self.state)
        now = datetime.now(timezone.utc)
        first = {job["event_id"]: i for i, job in reversed(list(enumerate(jobs)))}
        with self.state.begin() as conn:
            new = set(conn.scalars(insert(SeenEvent).values([{"event_id": e, "at": now} for e in first])
                                   .on_conflict_do_nothing().returning(SeenEvent.event_id)))
            won = [jobs[i] for e, i in first.items() if e in new]
            if won:
                conn.execute(insert(AnswerJob).on_conflict_do_nothing(),
                             [{**job, "at": now, "lease_until": now + self.lease} for job in won])
        return [job["event_id"] in new and first[job["event_id"]] == i for i, job in enumerate(jobs)]

    @contextmanager
    def working(self, event_id: str | None) -> Iterator[None]:
        """Answer this job on this thread: its posts carry its metadata and renew its lease."""
        token = _JOB.set(event_id)
        try:
            yield
        finally:
            _JOB.reset(token)

    def before_post(self, event_id: str, channel: str, attempt: bool = True) -> bool:
        """Right before an attempt to post: is the job still ours and open? The lease is renewed and,
        for a post that can be found again by its metadata, where it goes is recorded."""
        now = datetime.now(timezone.utc)
        values: dict[str, object] = {"lease_until": now + self.lease}
        if attempt:
            values.update(attempted_at=now, attempt_channel=channel)
        with Session(self.state) as s, s.begin():
            ok = bool(s.execute(update(AnswerJob).where(
                AnswerJob.event_id == event_id, AnswerJob.claimed_by == self.me, AnswerJob.status == OPEN)
                .values(**values)).rowcount)
        if not ok:
            log.info("answer to %s not posted: another instance took its job over, or it is answered", event_id)
            self._release(event_id)
        return ok

    def answered(self, event_id: str, ts: str, channel: str | None = None) -> bool:
        """Slack took the answer (its ts): the job is done and its question forgotten."""
        with Session(self.state) as s, s.begin():
            done = bool(s.execute(update(AnswerJob).where(AnswerJob.event_id == event_id,
                                                          AnswerJob.status == OPEN).values(
                status=ANSWERED, answered_ts=ts, answered_at=datetime.now(timezone.utc), question="",
                **({"attempt_channel": channel} if channel else {}))).rowcount)
        self._release(event_id)
        return done

    def _hold(self, event_id: str) -> None:
        with self._lock:
            self._mine[event_id] = time.monotonic()

    def _release(self, event_id: str) -> None:
        with self._lock:
            self._mine.pop(event_id, None)

    @property
    def held(self) -> int:
        with self._lock:
            return len(self._mine)

    # ------------------------------------------------------------ the sweeper

    def start(self, bot: SlackBot) -> None:
        """The sweeper thread: renew this process's jobs, take over expired ones, prune old ones."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(self.sweep_every):
                try:
                    self.sweep(bot)
                except Exception as exc:  # noqa: BLE001 (the next sweep tries again)
                    log.warning("sweeping answer jobs failed: %s", type(exc).__name__)

        self._thread = threading.Thread(target=loop, daemon=True, name="answer-sweeper")
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the sweeper. Jobs still held are no longer renewed: another instance takes them
        over once their lease runs out."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def sweep(self, bot: SlackBot, now: datetime | None = None) -> dict[str, int]:
        now = now or datetime.now(timezone.utc)
        outcome = {"renewed": self.renew_held(now), "taken_over": 0, "found": 0, "answered_again": 0, "given_up": 0,
                   "taken_over_only": 0}
        if bot._default_client.token:  # installed by OAuth there is no token to answer with here
            for row in self.expired(now):
                job = self.take_over(row, now)
                if job is None:
                    if row.takeovers >= MAX_TAKEOVERS:
                        outcome["given_up"] += 1
                    continue
                outcome["taken_over"] += 1
                outcome[self._finish(bot, job)] += 1
        if time.monotonic() - self._pruned > PRUNE_EVERY:
            self._pruned = time.monotonic()
            self.prune(now)
        for key in self.stats:
            self.stats[key] += outcome.get(key, 0)
        if outcome["taken_over"] or outcome["given_up"]:
            log.info("answer jobs swept: %s", outcome)
        return outcome

    def renew_held(self, now: datetime) -> int:
        """The heartbeat: the lease of every job this process still works on (or has queued to post)."""
        with self._lock:
            fresh = time.monotonic() - HELD_AT_MOST
            for gone in [e for e, since in self._mine.items() if since < fresh]:
                del self._mine[gone]
            ids = list(self._mine)
        if not ids:
            return 0
        with Session(self.state) as s, s.begin():
            return s.execute(update(AnswerJob).where(AnswerJob.event_id.in_(ids), AnswerJob.claimed_by == self.me,
                                                     AnswerJob.status == OPEN)
                             .values(lease_until=now + self.lease)).rowcount or 0

    def expired(self, now: datetime, limit: int = BATCH) -> list[AnswerJob]:
        with Session(self.state) as s:
            rows = list(s.scalars(select(AnswerJob).where(AnswerJob.status == OPEN, AnswerJob.lease_until < now)
                                  .order_by(AnswerJob.at).limit(limit)))
            s.expunge_all()
            return rows

    def take_over(self, row: AnswerJob, now: datetime) -> Job | None:
        """This process's job now, or None: another sweeper won it, its holder renewed it, or it has
        been taken over too often (then given up)."""
        same = (AnswerJob.event_id == row.event_id, AnswerJob.claimed_by == row.claimed_by,
                AnswerJob.status == OPEN, AnswerJob.lease_until <= now)
        with Session(self.state) as s, s.begin():
            if row.takeovers >= MAX_TAKEOVERS:
                if s.execute(update(AnswerJob).where(*same).values(status=GIVEN_UP, question="")).rowcount:
                    log.error("answer to %s given up after %d takeovers", row.event_id, row.takeovers)
                return None
            took = s.execute(update(AnswerJob).where(*same).values(
                claimed_by=self.me, lease_until=now + self.lease, takeovers=row.takeovers + 1)).rowcount
        if not took:
            return None
        self._hold(row.event_id)
        log.info("answer job %s taken over (lease ran out)", row.event_id)
        return Job.of(row)

    def _finish(self, bot: SlackBot, job: Job) -> str:
        """A job taken over: found in Slack (an attempt of the dead holder went through), or answered."""
        if job.attempt_channel:
            try:
                ts = self.find(bot, job)
            except SlackApiError as exc:  # not knowing, nothing is posted: the lease runs out, a later sweep looks again
                log.warning("looking for the answer to %s failed: %s", job.event_id, exc.response.get("error"))
                self._release(job.event_id)
                return "taken_over_only"
            if ts:
                self.answered(job.event_id, ts, job.attempt_channel)
                log.info("answer to %s found already posted", job.event_id)
                return "found"
        self._answer(bot, job)
        return "answered_again"

    def find(self, bot: SlackBot, job: Job) -> str | None:
        """The ts of a message carrying this job's metadata, in its thread or its channel's history."""
        client, channel = bot._default_client, job.attempt_channel or job.channel
        cursor = None
        for _ in range(10):  # pages of 100: an answer is near the question
            if job.thread_ts:
                page = client.conversations_replies(channel=channel, ts=job.thread_ts, include_all_metadata=True,
                                                    limit=100, cursor=cursor)
            else:
                oldest = str((job.at - timedelta(minutes=1)).timestamp())
                page = client.conversations_history(channel=channel, oldest=oldest, include_all_metadata=True,
                                                    limit=100, cursor=cursor)
            for message in page.get("messages", []):
                meta = message.get("metadata") or {}
                if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("event_id") == job.event_id:
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def _answer(self, bot: SlackBot, job: Job) -> None:
        def run() -> None:
            with bound_request(job.event_id), self.working(job.event_id):
                bot.respond(job.question, job.user_id, job.channel, job.thread_ts, job.channel_type, None, job.team_id)

        pool: Executor | None = bot.workers
        try:
            if pool is None:
                threading.Thread(target=run, daemon=True, name="answer-takeover").start()
            else:
                pool.submit(run)
        except RuntimeError:  # shutting down: the lease runs out and another instance takes it
            self._release(job.event_id)

    def prune(self, now: datetime | None = None) -> int:
        """Jobs older than a day (as seen_events): answered, given up, or never finished."""
        now = now or datetime.now(timezone.utc)
        with Session(self.state) as s, s.begin():
            return s.execute(delete(AnswerJob).where(AnswerJob.at < now - timedelta(days=SEEN_EVENTS_KEPT_DAYS))
                             ).rowcount or 0

    def rows(self) -> list[AnswerJob]:
        with Session(self.state) as s:
            rows = list(s.scalars(select(AnswerJob)))
            s.expunge_all()
            return rows


class _Claims:
    """Group commit for claims. Claims are made before Slack's ack, and a burst of events would
    otherwise queue one transaction each on the database's write lock (SQLite has one writer;
    200 events at once took seconds to ack). One thread writes whatever has queued up in one
    transaction; each caller waits for its own outcome."""

    MAX_BATCH = 500
    WAIT = 30.0  # seconds a caller waits for the writer (a database that hangs)

    def __init__(self, write: Callable[[list[dict]], list[bool]]) -> None:
        self._write = write
        self._queue: queue.SimpleQueue[tuple[dict, Future]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: dict) -> bool:
        done: Future = Future()
        self._queue.put((job, done))
        self._ensure_writer()
        return done.result(self.WAIT)

    def _ensure_writer(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="answer-claims")
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                outcomes = self._write([job for job, _ in batch])
            except Exception as exc:  # noqa: BLE001 (each caller gets the error: its claim is not made)
                for _, done in batch:
                    done.set_exception(exc)
                continue
            for (_, done), won in zip(batch, outcomes):
                done.set_result(won)
