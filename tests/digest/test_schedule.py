"""When digests go out: 08:00 local on due days, across DST changes, once, late within grace,
skipped after it; the ledger and the scheduler lock on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import threading
from time import monotonic
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.digest.ledger import QUIET, SENT, SKIPPED, Ledger
from bot.digest.run import DigestRun
from bot.digest.scheduler import DigestScheduler, LeaderLock
from bot.digest.subscriptions import Subscriptions, parse_days, parse_time
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.state import open_state
from tests.digest.stores import people_store

UTC = timezone.utc
# Four zones with different DST rules: Europe leaves summer time on 2026-10-25, the US on
# 2026-11-01, Tokyo has none; one person has no reps.timezone and Slack says Chicago.
PEOPLE = [("cph", "Europe/Copenhagen"), ("nyc", "America/New_York"), ("lax", "America/Los_Angeles"),
          ("tyo", "Asia/Tokyo"), ("chi", "")]
SLACK_ZONES = {"chi": "America/Chicago"}


class Recorder:
    """A Sender that records what would be posted (the Slack sender has its own tests)."""

    def __init__(self, now: list[datetime] | None = None) -> None:
        self.posts: list[tuple[str, date, bool, datetime | None]] = []
        self.clock = now
        self._ts = 0
        self.lock = threading.Lock()

    def zone(self, sub):
        return SLACK_ZONES.get(sub.rep_id)

    def post(self, sub, digest, before, sent, failed) -> None:
        if not before(f"U{sub.rep_id}"):
            return failed("superseded")
        with self.lock:
            self._ts += 1
            self.posts.append((sub.rep_id, digest.date, digest.late, self.clock[0] if self.clock else None))
        sent(f"D{sub.rep_id}", str(self._ts))

    def already_sent(self, sub, digest, where):
        return None

    def wait(self, timeout: float) -> bool:
        return True


@pytest.fixture()
def store_dir(tmp_path):
    return people_store(tmp_path / "store", PEOPLE)


def test_two_weeks_over_both_dst_changes_one_digest_per_weekday_at_eight_local(store_dir, tmp_path):
    engine = Engine(load_store(store_dir))
    start = datetime(2026, 10, 18, 20, tzinfo=UTC)  # Monday 05:00 in Tokyo, Sunday everywhere else
    clock = [start]
    sender = Recorder(clock)
    run = DigestRun(engine, open_state(f"sqlite:///{tmp_path / 's.db'}"), sender)
    end = datetime(2026, 11, 3, tzinfo=UTC)
    while clock[0] < end:  # a tick every five minutes (every zone here is a whole number of hours off UTC)
        run(clock[0])
        clock[0] += timedelta(minutes=5)
    expected = set()
    for rep, zone in PEOPLE:
        tz = ZoneInfo(zone or SLACK_ZONES[rep])
        for n in range(-1, 16):
            d = date(2026, 10, 19) + timedelta(days=n)
            at = datetime.combine(d, time(8), tz).astimezone(UTC)
            if d.weekday() < 5 and start <= at < end:
                expected.add((rep, d, at))
    got = {(rep, d, at) for rep, d, late, at in sender.posts}
    assert len(sender.posts) == len(got)  # none twice
    assert got == expected
    # The DST weeks moved the UTC hour, not the local one.
    cph = sorted(at for rep, d, at in got if rep == "cph")
    assert {a.hour for a in cph if a < datetime(2026, 10, 25, tzinfo=UTC)} == {6}
    assert {a.hour for a in cph if a > datetime(2026, 10, 26, tzinfo=UTC)} == {7}
    nyc = sorted(at for rep, d, at in got if rep == "nyc")
    assert {a.hour for a in nyc if a < datetime(2026, 11, 1, tzinfo=UTC)} == {12}
    assert {a.hour for a in nyc if a > datetime(2026, 11, 2, tzinfo=UTC)} == {13}
    assert not any(late for _, _, late, _ in sender.posts)


def test_own_time_and_days_and_a_subscribed_rep(store_dir, tmp_path):
    store = load_store(store_dir)
    state = open_state(f"sqlite:///{tmp_path / 's.db'}")
    subs = Subscriptions(state)
    subs.update(store, "tyo", local_time=parse_time("7.30"), days=parse_days("mon,wed,fri"))
    subs.update(store, "cph-r0", active=True)  # a rep on request
    subs.update(store, "lax", active=False)  # a manager who unsubscribed
    sender = Recorder()
    run = DigestRun(Engine(store), state, sender)
    at = datetime(2026, 11, 2, tzinfo=UTC)  # Monday 2 – Sunday 8 November
    while at < datetime(2026, 11, 8, 12, tzinfo=UTC):  # before Monday 9 starts in Tokyo
        run(at)
        at += timedelta(minutes=15)
    days = lambda rep: sorted(d.isoformat() for r, d, *_ in sender.posts if r == rep)  # noqa: E731
    assert days("tyo") == ["2026-11-02", "2026-11-04", "2026-11-06"]
    assert days("lax") == []
    assert days("cph-r0") == [f"2026-11-0{d}" for d in range(2, 7)]


def test_late_within_grace_is_marked_late_and_after_grace_skipped(store_dir, tmp_path):
    state = open_state(f"sqlite:///{tmp_path / 's.db'}")
    engine = Engine(load_store(store_dir))
    sender = Recorder()
    run = DigestRun(engine, state, sender, grace=timedelta(hours=2))
    # Copenhagen 08:00 on Tuesday 2026-11-03 is 07:00 UTC. The bot comes back at 08:30 UTC.
    report = run(datetime(2026, 11, 3, 8, 30, tzinfo=UTC))
    assert "cph" in report.late and ("cph", date(2026, 11, 3), True, None) in sender.posts
    # New York's 08:00 is 13:00 UTC; the bot is down until 15:30 UTC: skipped, and never sent later.
    report = run(datetime(2026, 11, 3, 15, 30, tzinfo=UTC))
    assert "nyc" in report.skipped
    run(datetime(2026, 11, 3, 15, 35, tzinfo=UTC))
    assert not [p for p in sender.posts if p[0] == "nyc"]
    rows = {(r.rep_id, r.local_date): r for r in Ledger(state).rows()}
    assert rows[("nyc", "2026-11-03")].status == SKIPPED
    assert rows[("cph", "2026-11-03")].status == SENT and rows[("cph", "2026-11-03")].late


def test_quiet_days_off_sends_nothing_on_a_quiet_day(tmp_path):
    store_dir = people_store(tmp_path / "store", [("cph", "Europe/Copenhagen")], reps_per_manager=0)
    store = load_store(store_dir)
    state = open_state(f"sqlite:///{tmp_path / 's.db'}")
    Subscriptions(state).update(store, "cph", quiet_days=False)
    sender = Recorder()
    report = DigestRun(Engine(store), state, sender)(datetime(2026, 11, 3, 7, 0, tzinfo=UTC))
    assert report.quiet == ["cph"] and sender.posts == []
    assert Ledger(state).rows()[0].status == QUIET
    Subscriptions(state).update(store, "cph", quiet_days=True)  # on: a one-line quiet digest the next day
    DigestRun(Engine(store), state, sender)(datetime(2026, 11, 4, 7, 0, tzinfo=UTC))
    assert [p[0] for p in sender.posts] == ["cph"]


def test_subscription_settings_parse_or_say_what_is_wrong():
    assert parse_time("7:30") == "07:30" and parse_time("0730") == "07:30" and parse_time("8") == "08:00"
    assert parse_days("weekdays") == "mon,tue,wed,thu,fri"
    assert parse_days("fri-mon") == "mon,fri,sat,sun"
    for bad in ("25:00", "soon"):
        with pytest.raises(Exception, match="not a time"):
            parse_time(bad)
    with pytest.raises(Exception, match="not a list of days"):
        parse_days("someday")


# ---------------------------------------------------------------- the ledger, on both databases

def test_one_claim_wins_and_a_dead_claim_is_taken_over_after_its_lease(state_url):
    state = open_state(state_url)
    now = datetime.now(UTC)
    due_at = now  # due now: the grace runs from here
    a, b = Ledger(state, lease=timedelta(seconds=30)), Ledger(state, lease=timedelta(seconds=30))
    first = a.claim("cph", date(2026, 11, 3), due_at, now)
    assert first is not None and not first.taken_over
    assert b.claim("cph", date(2026, 11, 3), due_at, now) is None  # held
    assert a.renew(first, "Ucph", now)  # a is about to post to Ucph
    later = now + timedelta(seconds=31)
    taken = b.claim("cph", date(2026, 11, 3), due_at, later)
    # a's lease ran out after an attempt: b looks for a's post first, where a was posting
    assert taken is not None and taken.taken_over and taken.channel == "Ucph"
    assert not a.renew(first, "Ucph", later)  # a, waking up, finds the claim gone and does not post
    assert not a.sent(first, "D1", "1.0", False)
    assert b.sent(taken, "D1", "2.0", False)
    assert b.claim("cph", date(2026, 11, 3), due_at, later + timedelta(hours=1)) is None  # sent: never again


def test_a_run_never_mistakes_its_own_old_claim_for_a_new_one(state_url):
    state = open_state(state_url)
    now = datetime.now(UTC)
    due_at = now
    ledger = Ledger(state, lease=timedelta(seconds=10))
    old = ledger.claim("cph", date(2026, 11, 3), due_at, now)
    again = ledger.claim("cph", date(2026, 11, 3), due_at, now + timedelta(seconds=11))  # its own post is slow
    assert again is not None and again.holder != old.holder and not again.taken_over  # nothing attempted yet
    assert not ledger.renew(old, "Ucph", now + timedelta(seconds=12))  # the slow post is dropped
    assert ledger.renew(again, "Ucph", now + timedelta(seconds=12))
    assert not ledger.renew(again, "Ucph", again.deadline)  # past grace: no attempt


def test_claims_race_from_many_threads_one_winner(state_url):
    state = open_state(state_url)
    due_at, now = datetime(2026, 11, 3, 7, tzinfo=UTC), datetime.now(UTC)
    ledgers = [Ledger(state) for _ in range(8)]
    wins: list[int] = []
    barrier = threading.Barrier(len(ledgers))

    def go(i: int) -> None:
        barrier.wait()
        for k in range(20):
            if ledgers[i].claim(f"r{k}", date(2026, 11, 3), due_at, now):
                wins.append(k)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(ledgers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == list(range(20))


def test_one_scheduler_holds_the_lock_and_ticks(state_url):
    state = open_state(state_url)
    ticks: list[str] = []
    one, two = LeaderLock(state), LeaderLock(state)
    s1 = DigestScheduler(one, lambda now: ticks.append("one"))
    s2 = DigestScheduler(two, lambda now: ticks.append("two"))
    s1._tick()
    s2._tick()
    s1._tick()
    assert ticks == ["one", "one"]
    s1.stop()  # releases the lock: the other instance takes over at its next tick
    s2._tick()
    assert ticks[-1] == "two"
    s2.stop()
    job = s1.scheduler.get_job("digest-tick")
    assert job is not None and "second='0'" in str(job.trigger)


def test_a_started_scheduler_ticks_at_once_then_on_each_minute(state_url):
    """Digests due while no scheduler ran go out when one starts, not up to a minute later."""
    ticked = threading.Event()
    s = DigestScheduler(LeaderLock(open_state(state_url)), lambda now: ticked.set())
    started = monotonic()
    s.start()
    try:
        assert ticked.wait(5), "no tick at start"
        assert monotonic() - started < 5
        job = s.scheduler.get_job("digest-tick")
        assert job.next_run_time.second == 0 and job.next_run_time > datetime.now(UTC)
    finally:
        s.stop()


def test_a_kept_time_zone_does_not_subscribe_and_someone_who_left_gets_nothing(store_dir, tmp_path):
    store = load_store(store_dir)
    subs = Subscriptions(open_state(f"sqlite:///{tmp_path / 's.db'}"))
    subs.update(store, "chi", tz="America/Chicago")  # kept from Slack, as a run does
    subs.update(store, "cph-r0", tz="Europe/Copenhagen")
    assert subs.get(store, "chi").active and not subs.get(store, "cph-r0").active  # manager on, rep off
    reps = (store_dir / "reps.csv").read_text()
    changed = reps.replace("chi,Manager chi,chi@x.example,Uchi,x1,T4,Nordics,,manager,true",
                           "chi,Manager chi,chi@x.example,Uchi,x1,T4,Nordics,,rep,true")
    changed = changed.replace("nyc,Manager nyc,nyc@x.example,Unyc,x1,T1,Nordics,America/New_York,manager,true",
                              "nyc,Manager nyc,nyc@x.example,Unyc,x1,T1,Nordics,America/New_York,manager,false")
    assert changed.count("rep,true") > reps.count("rep,true") and "manager,false" in changed
    (store_dir / "reps.csv").write_text(changed)
    store = load_store(store_dir)
    subs.update(store, "nyc", active=True)  # even subscribed by hand
    on = {s.rep_id for s in subs.all(store)}
    assert "chi" not in on and "nyc" not in on and "cph" in on


def test_one_bad_subscription_row_leaves_only_that_person_out(store_dir, tmp_path):
    store = load_store(store_dir)
    state = open_state(f"sqlite:///{tmp_path / 's.db'}")
    Subscriptions(state).update(store, "cph", local_time="25:99")  # written by hand, not through the parser
    sender = Recorder()
    report = DigestRun(Engine(store), state, sender)(datetime(2026, 11, 3, 13, 0, tzinfo=UTC))
    assert report.sent == ["nyc"] and [p[0] for p in sender.posts] == ["nyc"]


def test_subscriptions_are_kept_on_both_databases(state_url, store_dir):
    store = load_store(store_dir)
    subs = Subscriptions(open_state(state_url))
    subs.update(store, "cph", local_time="07:30", days="mon,wed", channel="CTEAM", quiet_days=False,
                muted=("o-cph-r0",), lang="sv")
    subs.update(store, "lax", active=False)
    subs.update(store, "cph-r0", active=True)
    again = Subscriptions(open_state(state_url))  # another connection, as another process
    cph = again.get(store, "cph")
    assert (cph.active, cph.local_time, cph.days, cph.channel, cph.quiet_days, cph.muted, cph.lang) == \
        (True, "07:30", "mon,wed", "CTEAM", False, ("o-cph-r0",), "sv")
    assert {s.rep_id for s in again.all(store)} == {"cph", "nyc", "tyo", "chi", "cph-r0"}
