"""`digest run`: send, once, every digest due at an instant (contracts/digest.md).

due → claim in the ledger → build every claimed digest together → hand each to the sender
(the chat platform's outbound queue) → mark sent with the platform's id. Several runs may
do this at once against one state database; the ledger decides who sends what.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Protocol

from sqlalchemy.engine import Engine as SqlEngine

from bot.access import identify
from bot.digest.content import DigestBuilder
from bot.digest.ledger import CLAIMED, FAILED, FINAL, QUIET, SKIPPED, Claim, Ledger
from bot.digest.model import Digest, Recipient
from bot.digest.render import SHOWN
from bot.digest.subscriptions import Due, Subscription, Subscriptions, due, rep_value
from bot.state import AuditLog
from bot.metrics.engine import Engine
from bot.observability import bound_request, observe_digests

if TYPE_CHECKING:
    from bot.llm.narrate import Narrator

log = logging.getLogger("ccobot.digest")
GRACE = timedelta(hours=2)
LATE_AFTER = timedelta(minutes=10)  # later than this after its time, a digest says it is late
# Errors no retry will mend: the digest is closed as skipped and reported once, not retried all morning.
PERMANENT = ("no_slack_user", "user_not_found", "user_disabled", "account_inactive", "cannot_dm_bot",
             "no_teams_conversation", "teams_conversation_gone")


class Sender(Protocol):
    """Where digests go: the Slack face (bot/channels/slack/digests.py), a console, a test fake."""

    def zone(self, sub: Subscription) -> str | None:
        """The person's time zone as the chat platform knows it (None: unknown)."""

    def post(self, sub: Subscription, digest: Digest, before: Callable[[str], bool],
             sent: Callable[[str, str], None], failed: Callable[[str], None]) -> None:
        """Queue the post; call `before(destination)` right before each attempt (False: drop it),
        then `sent(channel, ts)` or `failed(error)`. A post whose fate is unknown (a timeout) is
        reported failed, never retried blindly: a later run looks for it first."""

    def already_sent(self, sub: Subscription, digest: Digest, where: str | None) -> tuple[str, str] | None:
        """(channel, ts) of a message already posted for this digest (its metadata), looked for
        where an earlier attempt went (`where`, else where it would go now); None if there is none."""

    def wait(self, timeout: float) -> bool:
        """Until every queued post has settled."""


@dataclass
class RunReport:
    due: int = 0
    sent: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)  # posted by a run that died before marking it
    others: int = 0  # claimed or sent by another run
    quiet: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # grace passed
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


class DigestRun:
    def __init__(self, engine: Engine, state: SqlEngine, sender: Sender, grace: timedelta = GRACE,
                 lease: timedelta = timedelta(minutes=5), narrator: "Narrator | None" = None) -> None:
        self.engine, self.state, self.sender, self.grace = engine, state, sender, grace
        self.narrator = narrator  # the digests' highlights (CCOBOT_NARRATE); None: none
        self.subs = Subscriptions(state)
        self.ledger = Ledger(state, lease, grace)
        self.audit = AuditLog(state, channel="digest")
        # (rep, local date) this process knows are finished (sent, skipped, quiet): a scheduler's
        # ticks then cost one read of the subscriptions when nothing is due.
        self._done: set[tuple[str, str]] = set()

    def __call__(self, at: datetime, wait: float = 900.0) -> RunReport:
        with bound_request():  # one id on every log line of the run, its sends' callbacks too
            report = self._run(at, wait)
        observe_digests(report)
        return report

    def _run(self, at: datetime, wait: float) -> RunReport:
        store = self.engine.store
        report = RunReport()
        ready, missed = due(store, self._with_zones(self.subs.all(store)), at, self.grace)
        ready = [d for d in ready if _key(d) not in self._done and identify(store, d.sub.rep_id).matched]
        report.due = len(ready)
        self._skip([d for d in missed if _key(d) not in self._done], report)
        claims = self._claim(ready, at, report)
        digests = DigestBuilder(self.engine, self.narrator, entries=SHOWN).build(
            Recipient(d.sub.rep_id, d.day, d.sub.previous_due_day(d.day), d.lang, d.late(at, LATE_AFTER),
                      frozenset(d.sub.muted))
            for d, _ in claims)
        for (d, claim), digest in zip(claims, digests):
            self._send(d, claim, digest, report)
        self.sender.wait(wait)
        for d, claim in claims:
            self._check(d, claim, report)
        finished = {*report.sent, *report.late, *report.found, *report.quiet}
        self._done.update(_key(d) for d, _ in claims if d.sub.rep_id in finished)
        return report

    def _with_zones(self, subs: list[Subscription]) -> list[Subscription]:
        """Fill in the chat platform's zone for people the store gives none (asked once, then kept)."""
        out = []
        store = self.engine.store
        for sub in subs:
            if sub.tz is None and not rep_value(store, sub.rep_id, "timezone"):
                zone = self.sender.zone(sub)
                if zone:
                    sub = self.subs.update(store, sub.rep_id, tz=zone)
            out.append(sub)
        return out

    def _skip(self, missed: list[Due], report: RunReport) -> None:
        """Digests whose grace passed today: recorded as skipped once (one query per tick finds
        those already recorded), a failed or abandoned one given up."""
        now = datetime.now(timezone.utc)
        known = self.ledger.statuses([(d.sub.rep_id, d.day) for d in missed])
        for d in missed:
            status = known.get((d.sub.rep_id, d.day.isoformat()))
            if status is not None and status[0] in FINAL:
                self._done.add(_key(d))
                continue
            if status is None:
                done = self.ledger.record(d.sub.rep_id, d.day, d.due_at, SKIPPED, "grace passed before it was sent")
            elif status[0] == FAILED or (status[0] == CLAIMED and status[1] < now):
                done = self.ledger.give_up(d.sub.rep_id, d.day)
            else:
                continue
            if done:
                self._done.add(_key(d))
                log.warning("digest skipped: grace passed", extra={"recipient": d.sub.rep_id, "date": str(d.day)})
                report.skipped.append(d.sub.rep_id)

    def _claim(self, ready: list[Due], at: datetime, report: RunReport) -> list[tuple[Due, Claim]]:
        out, lost = [], []
        for d in ready:
            claim = self.ledger.claim(d.sub.rep_id, d.day, d.due_at, datetime.now(timezone.utc), at)
            if claim is None:
                report.others += 1
                lost.append(d)
            else:
                out.append((d, claim))
        known = self.ledger.statuses([(d.sub.rep_id, d.day) for d in lost])
        self._done.update(_key(d) for d in lost if known.get(_key(d), ("",))[0] in FINAL)
        return out

    def _send(self, d: Due, claim: Claim, digest: Digest, report: RunReport) -> None:
        rep = d.sub.rep_id
        if digest.quiet and not d.sub.quiet_days:
            self.ledger.close(claim, QUIET)
            report.quiet.append(rep)
            return
        try:
            if claim.taken_over:  # an earlier holder attempted it: it may be in Slack already
                found = self.sender.already_sent(d.sub, digest, claim.channel)
                if found:
                    self.ledger.sent(claim, found[0], found[1], digest.late)
                    report.found.append(rep)
                    return
            self.sender.post(d.sub, digest, before=lambda where: self.ledger.renew(claim, where),
                             sent=lambda channel, ts: self._sent(claim, channel, ts, digest, report),
                             failed=lambda error: self._failed(claim, error, report))
        except Exception as exc:  # noqa: BLE001 (one recipient's trouble never holds up the rest)
            # Not knowing whether an earlier run posted it, nothing is sent: retried within grace.
            error = getattr(getattr(exc, "response", None), "get", lambda _k: None)("error") or type(exc).__name__
            self._failed(claim, f"could not send: {error}", report)

    def _sent(self, claim: Claim, channel: str, ts: str, digest: Digest, report: RunReport) -> None:
        if self.ledger.sent(claim, channel, ts, digest.late):
            (report.late if digest.late else report.sent).append(claim.rep_id)
            self.audit.write(user_id=None, rep_id=claim.rep_id, kind="digest", question=f"digest {digest.date}",
                             query={"date": digest.date.isoformat(), "window": [str(w) for w in digest.window],
                                    "changes": len(digest.changes), "risks": digest.risk_total, "late": digest.late},
                             scope={"scope": digest.scope, "channel": channel})

    def _failed(self, claim: Claim, error: str, report: RunReport) -> None:
        if error in PERMANENT:  # reported once; a new setting or a fixed reps table helps, not a retry
            done = self.ledger.close(claim, SKIPPED, error)
        else:  # retried by a later tick while within grace
            done = self.ledger.failed(claim, error)
        if done:
            log.warning("digest not delivered", extra={"recipient": claim.rep_id, "error": error})
            report.failed[claim.rep_id] = error

    def _check(self, d: Due, claim: Claim, report: RunReport) -> None:
        """A post still queued when the wait ran out counts as failed (a later tick retries)."""
        rep = d.sub.rep_id
        done = rep in report.sent or rep in report.late or rep in report.found or rep in report.quiet
        if not done and rep not in report.failed:
            report.failed[rep] = "not settled in time"


def _key(d: Due) -> tuple[str, str]:
    return d.sub.rep_id, d.day.isoformat()
