"""The production shape on one machine, every part a separate process on 127.0.0.1: a Chroma server
(`chroma run`), the real PostgreSQL (tests/pg.py), two `ccobot serve` instances over HTTP behind a
"load balancer" (this test, alternating), and one `ccobot scheduler`, all against the fake Slack Web
API (tests/fakes/slack_api.py). Signed Slack events go in while Slack is slow, so answers are in
flight; one instance is SIGKILLed mid-run; every event must end up answered exactly once (its
answer job taken over by the survivor, which first looks for a post the dead one made) and every
due digest sent exactly once. And `ccobot serve` on SIGTERM finishes the answers in flight before it
exits, and `ccobot scheduler` on SIGTERM releases its lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from bot.channels.slack.digests import EVENT_TYPE as DIGEST_EVENT
from bot.channels.slack.jobs import ANSWERED, EVENT_TYPE as ANSWER_EVENT, AnswerJobs
from bot.digest.ledger import SENT, Ledger
from bot.digest.scheduler import LOCK_KEY
from bot.digest.subscriptions import Subscriptions, default_subscribers, zone_of
from bot.metrics.demo import write_demo
from bot.metrics.store import load_store
from bot.state import open_state
from tests.digest.conftest import fresh_pg_database
from tests.fakes.slack_api import FakeSlack
from tests.pg import _free_port

pytestmark = [pytest.mark.slow, pytest.mark.serial]  # part of the suite: about a minute, alone (timed)
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "cluster-signing-secret"
ASKER = "UKEVED4VSPP"  # r-0003, a manager of the demo store (seed 7)
QUESTIONS = ("what was our revenue last quarter?", "win rate this year", "pipeline by region",
             "my biggest open deals", "average deal size last quarter")


# ---------------------------------------------------------------- processes

class Procs:
    """Processes started by a test, each stopped (by its own pid) at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs, self.started = logs, []
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "w", encoding="utf-8")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        proc.name, proc.out = name, out  # type: ignore[attr-defined]
        self.started.append(proc)
        return proc

    def tail(self, proc: subprocess.Popen, n: int = 2500) -> str:
        return (self.logs / f"{proc.name}.log").read_text(encoding="utf-8", errors="replace")[-n:]  # type: ignore[attr-defined]

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
            proc.out.close()  # type: ignore[attr-defined]


def get(url: str, timeout: float = 3.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def wait_until(check, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def start_chroma(procs: Procs, tmp: Path) -> str:
    chroma = BIN / "chroma"
    assert chroma.exists(), "chromadb's `chroma` command is not in the virtualenv"
    port = _free_port()
    proc = procs.start("chroma", [str(chroma), "run", "--path", str(tmp / "chroma"), "--host", "127.0.0.1",
                                  "--port", str(port)], dict(os.environ), tmp)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: proc.poll() is not None or any(get(f"{url}/api/{v}/heartbeat") == 200 for v in ("v2", "v1")),
               60, "the Chroma server")
    assert proc.poll() is None, procs.tail(proc)
    return url


def base_env(tmp: Path, store: Path, db_url: str, fake: FakeSlack, chroma_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "CCOBOT_", "DATABASE_", "CHROMA_", "OPENAI_", "MICROSOFT_"))}
    env.update(CCOBOT_DATA=str(store), DATABASE_URL=db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET,
               SLACK_API_URL=fake.api_url, CCOBOT_SCHEDULER_IN_SERVE="false", CCOBOT_KNOWLEDGE=str(ROOT / "knowledge"),
               CCOBOT_DIGEST_CHART="false", CCOBOT_ANSWER_LEASE_SECONDS="3", CCOBOT_ANSWER_SWEEP_SECONDS="0.5",
               PYTHONPATH=str(ROOT))
    if chroma_url:
        env["CHROMA_URL"] = chroma_url
    return env


def start_serve(procs: Procs, name: str, env: dict[str, str], tmp: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    home = tmp / name
    home.mkdir()
    proc = procs.start(name, [sys.executable, "-m", "bot.cli", "serve"],
                       env | {"PORT": str(port), "CCOBOT_HOME": str(home)}, home)
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(procs: Procs, proc: subprocess.Popen, url: str, timeout: float = 60) -> None:
    wait_until(lambda: proc.poll() is not None or get(f"{url}/readyz") == 200, timeout, f"{proc.name} ready")  # type: ignore[attr-defined]
    assert proc.poll() is None, procs.tail(proc)


class Events:
    """Signed Slack event callbacks (direct messages to the bot, each in its own DM thread)."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def dm(self, i: int) -> dict:
        ts = f"{1_800_000_000 + i}.000100"
        return {"token": "x", "team_id": "T111", "api_app_id": "A111", "type": "event_callback",
                "event_id": f"EvCLUSTER{i:04d}", "event_time": int(time.time()),
                "authorizations": [{"team_id": "T111", "user_id": "W111", "is_bot": True}],
                "event": {"type": "message", "user": ASKER, "text": QUESTIONS[i % len(QUESTIONS)], "ts": ts,
                          "channel": f"DQ{i:04d}", "channel_type": "im", "team": "T111", "event_ts": ts}}

    def send(self, url: str, body: dict) -> int:
        raw = json.dumps(body)
        ts = str(int(time.time()))
        req = urllib.request.Request(f"{url}/slack/events", data=raw.encode(), method="POST", headers={
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=raw)})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status == 200:
            self.sent.append(body)
        return status


def answers_per_event(fake: FakeSlack) -> Counter:
    """Messages Slack accepted as answers, per event (its metadata), and answers without metadata
    (ephemeral ones, by their thread) under the thread's ts."""
    found: Counter = Counter()
    for messages in list(fake.messages.values()):
        for m in messages:
            meta = m.get("metadata") or {}
            if meta.get("event_type") == ANSWER_EVENT:
                found[meta["event_payload"]["event_id"]] += 1
    for p in fake.of("chat.postEphemeral"):
        found[f"ephemeral:{p.get('thread_ts')}"] += 1
    return found


def digests_per_person(fake: FakeSlack) -> Counter:
    return Counter((m["metadata"]["event_payload"]["recipient"])
                   for messages in list(fake.messages.values()) for m in messages
                   if (m.get("metadata") or {}).get("event_type") == DIGEST_EVENT)


def make_digests_due_now(db_url: str, store_dir: Path) -> list[str]:
    """Every default subscriber (the demo's managers) gets a digest due a minute ago in their zone,
    every day of the week: the scheduler's next tick finds them due."""
    store = load_store(store_dir)
    subs = Subscriptions(open_state(db_url))
    people = sorted(default_subscribers(store))
    for rep in people:
        zone = zone_of(store, subs.get(store, rep))
        local = (datetime.now(timezone.utc) - timedelta(minutes=1)).astimezone(zone)
        subs.update(store, rep, local_time=local.strftime("%H:%M"), days="mon,tue,wed,thu,fri,sat,sun",
                    quiet_days=True)
    return people


@pytest.fixture()
def fake():
    slack = FakeSlack()
    yield slack
    slack.close()


@pytest.fixture()
def procs(tmp_path):
    p = Procs(tmp_path / "logs")
    yield p
    p.stop_all()


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "store"
    write_demo(folder, seed=7, deals=300, as_of=date(2026, 11, 20))
    return folder


# ---------------------------------------------------------------- the cluster

def test_two_instances_one_killed_every_event_answered_once_every_digest_sent_once(tmp_path, fake, procs, pg_server,
                                                                                    demo_store):
    started = time.monotonic()
    db_url = fresh_pg_database(pg_server)
    open_state(db_url).dispose()  # migrated once here; the processes find it at head
    people = make_digests_due_now(db_url, demo_store)
    chroma_url = start_chroma(procs, tmp_path)
    env = base_env(tmp_path, demo_store, db_url, fake, chroma_url)
    scheduler_home = tmp_path / "scheduler"
    scheduler_home.mkdir()
    scheduler = procs.start("scheduler", [sys.executable, "-m", "bot.cli", "scheduler"],
                            env | {"CCOBOT_HOME": str(scheduler_home)}, scheduler_home)
    (a, url_a), (b, url_b) = start_serve(procs, "serve-a", env, tmp_path), start_serve(procs, "serve-b", env, tmp_path)
    wait_ready(procs, a, url_a)
    wait_ready(procs, b, url_b)
    state = open_state(db_url)
    jobs = AnswerJobs(state)

    fake.hang["chat.postMessage"] = 0.8  # a slow Slack: answers are in flight when the kill comes
    events, n, kill_after = Events(), 40, 20
    for i in range(kill_after):  # the load balancer alternates
        assert events.send(url_a if i % 2 == 0 else url_b, events.dm(i)) == 200
        time.sleep(0.05)
    # Every acked event is already claimed, its question kept (the claim is made before the ack):
    # kill A now, while some of its answers are still open.
    assert len(jobs.rows()) == kill_after
    open_at_kill = [r.event_id for r in jobs.rows() if r.status != ANSWERED]
    posted_before_kill = sum(answers_per_event(fake).values())
    a.send_signal(signal.SIGKILL)
    a.wait(10)
    killed_at = time.monotonic() - started
    for i in range(kill_after, n):  # the load balancer now sends everything to the survivor
        assert events.send(url_b, events.dm(i)) == 200
        time.sleep(0.05)
    fake.hang["chat.postMessage"] = 0.1

    wanted = {e["event_id"] for e in events.sent}
    wait_until(lambda: set(answers_per_event(fake)) >= wanted and all(r.status == ANSWERED for r in jobs.rows()),
               45, "every event answered")
    # the digests: the scheduler ticks once at start, so they go out without waiting for a whole minute
    ledger = Ledger(state)
    wait_until(lambda: len([r for r in ledger.rows() if r.status == SENT]) == len(people), 75,
               "every digest sent", every=0.5)
    time.sleep(2.0)  # anything late that would post twice has had time to

    answers = answers_per_event(fake)
    assert len(events.sent) == n
    assert answers == Counter({e: 1 for e in wanted}), {e: c for e, c in answers.items() if c != 1 or e not in wanted}
    rows = jobs.rows()
    assert {r.status for r in rows} == {ANSWERED} and len(rows) == n
    assert all(r.question == "" for r in rows)  # the question is kept only until it is answered
    taken_over = [r.event_id for r in rows if r.takeovers]
    of_a = {e for e in open_at_kill if int(e[-4:]) % 2 == 0}  # A had the even events
    assert taken_over and set(taken_over) <= of_a, (open_at_kill, taken_over)  # B took over A's only
    assert digests_per_person(fake) == Counter({p: 1 for p in people})
    assert {r.status for r in ledger.rows()} == {SENT}
    assert b.poll() is None and scheduler.poll() is None

    # `ccobot scheduler` on SIGTERM: exits 0 and the lock is free for another scheduler
    scheduler.send_signal(signal.SIGTERM)
    assert scheduler.wait(20) == 0, procs.tail(scheduler)
    with state.connect() as conn:
        held = conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k"),
                            {"k": LOCK_KEY}).scalar()
    assert held == 0
    log_b = procs.tail(b, 10**7)
    found, again = log_b.count("found already posted"), log_b.count("taken over (lease ran out)")
    print(f"\nB took over {again} answer jobs: {found} found already posted by A (metadata), "
          f"{again - found} answered again")
    print(f"\ncluster: {n} events sent ({kill_after} before the kill, alternating), {len(answers)} answered once each; "
          f"instance A SIGKILLed at {killed_at:.1f} s with {len(of_a)} of its answers open "
          f"({posted_before_kill} answers already in Slack), {len(taken_over)} taken over by B; "
          f"{len(people)} digests sent once; {time.monotonic() - started:.1f} s in all")


def test_sigterm_finishes_the_answers_in_flight_before_exiting(tmp_path, fake, procs, pg_server, demo_store):
    db_url = fresh_pg_database(pg_server)
    env = base_env(tmp_path, demo_store, db_url, fake, None)
    proc, url = start_serve(procs, "serve", env, tmp_path)
    wait_ready(procs, proc, url)
    fake.hang["chat.postMessage"] = 1.5  # every post takes 1.5 s
    events = Events()
    for i in range(8):
        assert events.send(url, events.dm(100 + i)) == 200
    wait_until(lambda: fake.of("chat.postMessage"), 10, "the first post in flight", every=0.02)
    proc.send_signal(signal.SIGTERM)
    took = time.monotonic()
    assert proc.wait(30) == 0, procs.tail(proc)
    took = time.monotonic() - took
    answers = answers_per_event(fake)
    assert answers == Counter({e["event_id"]: 1 for e in events.sent}), answers
    assert {r.status for r in AnswerJobs(open_state(db_url)).rows()} == {ANSWERED}
    assert took < 20 + 10  # CCOBOT_SHUTDOWN_SECONDS, and uvicorn's own wait for open requests
    assert "shut down: answers finished" in procs.tail(proc, 20_000)
    print(f"\nSIGTERM: 8 answers in flight, all posted once before the process exited ({took:.1f} s)")
