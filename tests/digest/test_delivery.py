"""Digests delivered to a local Slack Web API exactly once: through the outbound queue under a
429 storm, by a run that takes over a dead run's claims, and by several `digest run` processes
at once on one PostgreSQL database, one of them killed mid-fan-out, and one killed after Slack
accepted its post but before it marked the ledger."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.channels.slack.app import SlackBot, make_client
from bot.channels.slack.digests import EVENT_TYPE, SlackDigests
from bot.channels.slack.outbox import Outbox
from bot.core.assistant import Assistant
from bot.digest.ledger import SENT, Ledger
from bot.digest.subscriptions import Subscriptions
from bot.digest.run import DigestRun
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.state import open_state
from tests.digest.conftest import fresh_pg_database
from tests.digest.stores import people_store
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.serial  # timed: make test runs it alone, after the parallel part

UTC = timezone.utc
AT = datetime(2026, 11, 3, 7, 0, tzinfo=UTC)  # Tuesday 08:00 in Copenhagen
ROOT = Path(__file__).resolve().parents[2]


def managers(n: int) -> list[tuple[str, str]]:
    return [(f"m{i:04d}", "Europe/Copenhagen") for i in range(n)]


def posts_per_user(fake: FakeSlack) -> Counter:
    """Messages Slack accepted, per person (posts go to their user id, which lands in the app's DM
    with them, "D" + their id, in the fake); refused and 429-answered calls are not messages."""
    return Counter({channel.removeprefix("D"): len(found) for channel, found in fake.messages.items()})


@pytest.fixture()
def fake():
    slack = FakeSlack()
    yield slack
    slack.close()


def slack_run(store_dir: Path, state_url: str, fake: FakeSlack, lease: float = 300,
              chart: bool = False) -> tuple[DigestRun, Outbox]:
    engine = Engine(load_store(store_dir))
    bot = SlackBot(Assistant(engine), open_state(state_url), make_client("xoxb-test", fake.api_url), Outbox())
    sender = SlackDigests(bot, chart=chart)
    return DigestRun(engine, bot.state, sender, lease=timedelta(seconds=lease)), bot.outbox


def test_a_digest_carries_its_metadata_and_goes_to_the_persons_dm(tmp_path, fake):
    store_dir = people_store(tmp_path / "store", managers(2))
    run, outbox = slack_run(store_dir, f"sqlite:///{tmp_path / 's.db'}", fake)
    report = run(AT)
    outbox.close()
    assert sorted(report.sent) == ["m0000", "m0001"]
    post = next(p for p in fake.of("chat.postMessage") if p["channel"] == "Um0000")
    assert post["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"recipient": "m0000", "date": "2026-11-03"}}
    assert "Manager m0000" in post["text"] and fake.invalid == []
    rows = {r.rep_id: r for r in Ledger(run.state).rows()}
    assert rows["m0000"].status == SENT and rows["m0000"].channel == "DUm0000"  # the DM Slack answered with


def test_a_429_storm_over_500_recipients_delivers_each_once(tmp_path, fake):
    store_dir = people_store(tmp_path / "store", managers(500), reps_per_manager=0)
    fake.limit_share["chat.postMessage"] = 0.3  # 30 % of posts answered 429, Retry-After 1
    run, outbox = slack_run(store_dir, f"sqlite:///{tmp_path / 's.db'}", fake)
    started = time.monotonic()
    report = run(AT)
    took = time.monotonic() - started
    outbox.close()
    counts = posts_per_user(fake)
    assert len(counts) == 500 and set(counts.values()) == {1}
    assert len(fake.of("chat.postMessage#429")) > 100
    assert report.ok and len(report.sent) == 500
    assert {r.status for r in Ledger(run.state).rows()} == {SENT}
    print(f"\n429 storm: 500 digests, {len(fake.of('chat.postMessage#429'))} answered 429, delivered in {took:.1f} s")


def test_a_run_taking_over_a_dead_claim_looks_for_its_post_first(tmp_path, fake):
    store_dir = people_store(tmp_path / "store", managers(2))
    state_url = f"sqlite:///{tmp_path / 's.db'}"
    dead = Ledger(open_state(state_url), lease=timedelta(seconds=0))
    # A run claimed both, posted m0000's and died before marking it; it died before m0001's attempt.
    claim = dead.claim("m0000", date(2026, 11, 3), AT, datetime.now(UTC))
    dead.renew(claim, "Um0000", AT)
    dead.claim("m0001", date(2026, 11, 3), AT, datetime.now(UTC))
    fake.messages["DUm0000"] = [{"ts": "1800000000.000100", "text": "digest", "metadata": {
        "event_type": EVENT_TYPE, "event_payload": {"recipient": "m0000", "date": "2026-11-03"}}}]
    run, outbox = slack_run(store_dir, state_url, fake)
    report = run(AT)
    outbox.close()
    assert report.found == ["m0000"] and report.sent == ["m0001"]
    assert posts_per_user(fake) == Counter({"Um0000": 1, "Um0001": 1})  # m0000: only the dead run's post
    history = fake.of("conversations.history")  # only where an attempt was made, with the metadata
    assert [h["channel"] for h in history] == ["DUm0000"]
    assert all(str(h.get("include_all_metadata")).lower() in ("1", "true") for h in history)
    row = next(r for r in Ledger(run.state).rows() if r.rep_id == "m0000")
    assert row.status == SENT and row.ts == "1800000000.000100"


# ---------------------------------------------------------------- processes on PostgreSQL

def _env(tmp_path: Path, store_dir: Path, db_url: str, fake: FakeSlack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CCOBOT_", "DATABASE_"))}
    env.update(CCOBOT_HOME=str(tmp_path / "home"), CCOBOT_DATA=str(store_dir), DATABASE_URL=db_url,
               SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake.api_url, CCOBOT_DIGEST_LEASE_SECONDS="3",
               CCOBOT_DIGEST_CHART="false", PYTHONPATH=str(ROOT))
    return env


def _start(env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "digest", "run", "--at", AT.isoformat()],
                            env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_posts(fake: FakeSlack, n: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(fake.of("chat.postMessage")) < n and time.monotonic() < deadline:
        time.sleep(0.02)


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    _, err = proc.communicate(timeout=180)
    return proc.returncode, err


def test_three_runs_at_once_one_killed_mid_fan_out_each_digest_once(tmp_path, fake, pg_server):
    n = 120
    store_dir = people_store(tmp_path / "store", managers(n))
    db_url = fresh_pg_database(pg_server)
    env = _env(tmp_path, store_dir, db_url, fake)
    fake.hang["chat.postMessage"] = 0.15  # a slow Slack, so that the kill lands mid-fan-out
    procs = [_start(env, tmp_path) for _ in range(3)]
    _wait_posts(fake, 25)
    procs[0].send_signal(signal.SIGKILL)
    results = [_finish(p) for p in procs[1:]]
    assert [code for code, _ in results] == [0, 0], [err[-800:] for _, err in results]
    time.sleep(3.5)  # the dead run's claims outlive their lease
    code, err = _finish(_start(env, tmp_path))
    assert code == 0, err[-800:]
    counts = posts_per_user(fake)
    assert len(counts) == n and set(counts.values()) == {1}, [u for u, c in counts.items() if c != 1]
    assert {r.status for r in Ledger(open_state(db_url)).rows()} == {SENT}


def test_killed_after_slack_accepted_the_post_nothing_is_sent_twice(tmp_path, fake, pg_server):
    n = 12
    store_dir = people_store(tmp_path / "store", managers(n))
    db_url = fresh_pg_database(pg_server)
    env = _env(tmp_path, store_dir, db_url, fake)
    fake.hang["chat.postMessage"] = 60  # Slack takes the post, and the answer never reaches the run
    proc = _start(env, tmp_path)
    _wait_posts(fake, 1)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    accepted = set(posts_per_user(fake))
    assert accepted and len(accepted) < n
    fake.hang.clear()
    time.sleep(3.5)  # past the lease
    code, err = _finish(_start(env, tmp_path))
    assert code == 0, err[-800:]
    counts = posts_per_user(fake)
    assert len(counts) == n and set(counts.values()) == {1}
    rows = {r.rep_id: r for r in Ledger(open_state(db_url)).rows()}
    assert all(rows[f"m{i:04d}"].status == SENT for i in range(n))


def test_a_failing_dm_is_retried_within_grace_and_reported_after(tmp_path, fake):
    store_dir = people_store(tmp_path / "store", managers(3))
    state_url = f"sqlite:///{tmp_path / 's.db'}"
    fake.channel_errors.update({"Um0001": "channel_not_found", "Um0002": "is_archived"})
    run, outbox = slack_run(store_dir, state_url, fake)
    first = run(AT)
    assert first.sent == ["m0000"] and set(first.failed) == {"m0001", "m0002"} and not first.ok
    del fake.channel_errors["Um0001"]  # m0001's DM works again five minutes later
    second = run(AT + timedelta(minutes=5))
    assert second.late == [] and second.sent == ["m0001"] and set(second.failed) == {"m0002"}
    third = run(AT + timedelta(hours=2, minutes=1))  # past the grace: m0002 is given up and reported
    outbox.close()
    assert third.skipped == ["m0002"] and third.ok
    assert posts_per_user(fake) == Counter({"Um0000": 1, "Um0001": 1})
    status = {r.rep_id: r.status for r in Ledger(run.state).rows()}
    assert status == {"m0000": SENT, "m0001": SENT, "m0002": "skipped"}


def test_a_channel_digest_goes_there_only_while_every_member_may_see_it_with_its_chart(tmp_path, fake):
    store_dir = people_store(tmp_path / "store", managers(2))
    state_url = f"sqlite:///{tmp_path / 's.db'}"
    run, outbox = slack_run(store_dir, state_url, fake, chart=True)
    store = run.engine.store
    Subscriptions(run.state).update(store, "m0000", channel="CTEAM")
    # m0000 and the exec may see m0000's team; m0001, a peer manager, may not.
    fake.members["CTEAM"] = ["Um0000", "UX1"]
    run(AT)
    outbox.close()
    fake.members["CTEAM"] = ["Um0000", "UX1", "Um0001"]  # by the next morning a peer manager has joined
    run, outbox = slack_run(store_dir, state_url, fake, chart=True)
    run(AT + timedelta(days=1))
    outbox.close()
    to_channel = [p for p in fake.of("chat.postMessage") if p["channel"] == "CTEAM"]
    assert [p["metadata"]["event_payload"]["date"] for p in to_channel] == ["2026-11-03"]
    assert [p["metadata"]["event_payload"]["date"] for p in fake.posts_to("Um0000")] == ["2026-11-04"]
    # each digest's chart (bookings against target and pace) went up in its thread
    threads = sorted(u["thread_ts"] for u in fake.of("files.completeUploadExternal"))
    posted = sorted(m["ts"] for found in fake.messages.values() for m in found)
    assert threads == posted and len(posted) == 4 and len(fake.of("upload")) == 4


def test_a_takeover_that_cannot_check_for_an_earlier_post_sends_nothing(tmp_path, fake):
    store_dir = people_store(tmp_path / "store", managers(2))
    state_url = f"sqlite:///{tmp_path / 's.db'}"
    dead = Ledger(open_state(state_url), lease=timedelta(seconds=0))
    dead.renew(dead.claim("m0000", date(2026, 11, 3), AT, datetime.now(UTC)), "Um0000", AT)
    fake.errors["conversations.history"] = "missing_scope"
    run, outbox = slack_run(store_dir, state_url, fake)
    report = run(AT)
    outbox.close()
    assert report.sent == ["m0001"] and "missing_scope" in report.failed["m0000"]
    assert posts_per_user(fake) == Counter({"Um0001": 1})


def test_serve_runs_its_own_scheduler_unless_told_not_to(tmp_path, fake):
    from bot.config import Settings
    from bot.digest.cli import start_in_serve

    store_dir = people_store(tmp_path / "store", managers(1))
    run, outbox = slack_run(store_dir, f"sqlite:///{tmp_path / 's.db'}", fake)
    bot = run.sender.bot
    sched = start_in_serve(Settings(slack_bot_token="xoxb-test", _env_file=None), bot.state, slack=bot)
    try:
        assert sched is not None and sched.scheduler.running and sched.scheduler.get_job("digest-tick")
        sched._tick()  # a tick now: this instance takes the lock
        assert sched.lock.holder() == sched.lock.me
    finally:
        sched.stop()
        outbox.close()
    assert start_in_serve(Settings(slack_bot_token="xoxb-test", ccobot_scheduler_in_serve=False, _env_file=None),
                          bot.state, slack=bot) is None


def test_a_post_whose_answer_times_out_is_not_sent_again_blindly(tmp_path, fake):
    from slack_sdk import WebClient

    store_dir = people_store(tmp_path / "store", managers(1))
    state_url = f"sqlite:///{tmp_path / 's.db'}"
    engine = Engine(load_store(store_dir))
    slow = WebClient(token="xoxb-test", base_url=fake.api_url, timeout=1)
    bot = SlackBot(Assistant(engine), open_state(state_url), slow, Outbox())
    run = DigestRun(engine, bot.state, SlackDigests(bot, chart=False))
    fake.hang["chat.postMessage"] = 1.5  # Slack posts it, and answers after the client gave up
    first = run(AT)
    assert "m0000" in first.failed and posts_per_user(fake) == Counter({"Um0000": 1})
    fake.hang.clear()
    second = run(AT + timedelta(minutes=1))  # the next tick looks before it posts
    bot.outbox.close()
    assert second.found == ["m0000"] and posts_per_user(fake) == Counter({"Um0000": 1})
    assert len(fake.of("chat.postMessage")) == 1


def test_an_archived_channel_sends_the_digest_to_the_dm_and_every_digest_is_audited(tmp_path, fake):
    from bot.state import AuditLog

    store_dir = people_store(tmp_path / "store", managers(1))
    run, outbox = slack_run(store_dir, f"sqlite:///{tmp_path / 's.db'}", fake)
    Subscriptions(run.state).update(run.engine.store, "m0000", channel="CTEAM")
    fake.members["CTEAM"] = ["Um0000", "UX1"]
    fake.channel_errors["CTEAM"] = "is_archived"
    report = run(AT)
    outbox.close()
    assert report.sent == ["m0000"] and posts_per_user(fake) == Counter({"Um0000": 1})
    entries = [e for e in AuditLog(run.state).entries() if e.kind == "digest"]
    assert [(e.rep_id, e.channel, e.scope["scope"]) for e in entries] == [("m0000", "digest", "team")]
    assert "Manager" not in str(entries[0].query)  # ids and counts, never the digest's words
