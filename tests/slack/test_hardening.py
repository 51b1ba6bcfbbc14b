"""The Slack app's defects found by the audit (issue #11), each driven through signed requests to
the running app and the local fake Slack Web API; each test fails on the code before the fix.

People in the small store (tests/conftest.py SMALL): Mona (UM1) manages Alice (UR1) and Bob
(UR2), team A. Last quarter's revenue: EUR 2,530 in all, Alice EUR 2,340 (1,000 EUR + 10,000
DKK at 0.134). This quarter team A booked EUR 2,000 (Bob's o9); Mona herself nothing.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from bot.channels.slack.jobs import AnswerJobs
from bot.channels.slack.listeners.assistant_pane import PROMPTS
from bot.state import open_state
from tests.slack.test_slack_app import AS_OF, SECRET, SLACK, Harness, texts

pytestmark = pytest.mark.serial  # timed: make test runs it alone, after the parallel part

ROOT = Path(__file__).resolve().parents[2]

MEMBERS = {"C111": ["UM1", "UR1", "UR2"], "CBOTS": ["UM1", "UR1", "UR2", "UBOT1", "UBOT2"],
           "CPAGED": ["UM1", "UR1", "UR2"] + [f"UB{i:03d}" for i in range(250)],
           "CPAGED2": [f"UB{i:03d}" for i in range(250)] + ["UM1", "UNOBODY"]}


@pytest.fixture
def slack(small_store_dir, tmp_path):
    h = Harness(small_store_dir, tmp_path, members=MEMBERS)
    h.fake.bots |= {"UBOT1", "UBOT2"} | {f"UB{i:03d}" for i in range(250)}
    h.fake.ims["DBOTUR1"] = "UR1"  # the bot's own DM with Alice
    yield h
    h.close()


def settle(slack: Harness, posts: int = 1, timeout: float = 30.0) -> None:
    """Wait until the answer threads have tried `posts` posts and the outbox has settled them."""
    deadline = time.monotonic() + timeout
    while len(slack.fake.of("chat.postMessage") + slack.fake.of("chat.postEphemeral")) < posts \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    assert slack.bot.outbox.join(timeout)


def slash(slack: Harness, text: str, user: str, channel: str, n: int) -> dict:
    fields = dict(parse_qsl((SLACK / "slash_command.form.txt").read_text().strip()))
    fields.update(command="/kpi", text=text, user_id=user, channel_id=channel, channel_name="directmessage",
                  response_url=f"{slack.fake.base}/response/{n}")
    slack.form(fields)
    return json.loads(slack.fake.wait_for("response", n)[n - 1]["body"])


# 1 ------------------------------------------------------------------------------------------

def test_a_private_number_in_a_dm_between_two_people_stays_private(slack):
    # Alice asks in her DM with Bob (the bot is no member: Slack does not know the channel to it)
    reply = slash(slack, "my revenue last quarter", "UR1", "DALICEBOB", 1)
    assert "2,340" in reply["text"] and reply["response_type"] == "ephemeral"
    # the same question in Alice's own DM with the bot may be posted there
    reply = slash(slack, "my revenue last quarter", "UR1", "DBOTUR1", 2)
    assert "2,340" in reply["text"] and reply["response_type"] == "in_channel"


# 2 ------------------------------------------------------------------------------------------

def test_only_the_bots_own_mention_is_stripped(slack):
    body = slack.mention("x")
    body["event"]["text"] = "what was <@UR1>'s revenue last quarter, <@W111>?"
    slack.event(body)
    settle(slack)
    answer = texts(slack.fake.of("chat.postMessage") + slack.fake.of("chat.postEphemeral"))
    assert "2,340" in answer and "Alice" in answer  # Alice's, not the company's 2,530
    assert "2,530" not in answer


# 3 ------------------------------------------------------------------------------------------

def test_bots_in_a_channel_do_not_make_an_answer_private(slack):
    slack.event(slack.mention("revenue last quarter", user="UM1", channel="CBOTS"))
    settle(slack)
    posts = slack.fake.of("chat.postMessage")
    assert any("2,530" in p.get("text", "") and p["channel"] == "CBOTS" for p in posts)
    assert not slack.fake.of("chat.postEphemeral")


def test_members_are_read_page_by_page(slack):
    slack.event(slack.mention("revenue last quarter", user="UM1", channel="CPAGED"))
    slack.event(slack.mention("revenue last quarter", user="UM1", channel="CPAGED2"))
    settle(slack, posts=2)
    pages = slack.fake.of("conversations.members")
    assert pages and all(int(p.get("limit", 1000)) < 1000 for p in pages)
    assert {p.get("cursor") for p in pages if p["channel"] == "CPAGED"} >= {None, "200"}
    assert any(p["channel"] == "CPAGED" for p in slack.fake.of("chat.postMessage"))
    # a person matched to no rep on the second page keeps the answer private
    assert [p["channel"] for p in slack.fake.of("chat.postEphemeral")] == ["CPAGED2"]


# 4 ------------------------------------------------------------------------------------------

def test_a_question_full_of_emoji_is_answered_with_blocks_slack_takes(slack):
    slack.event(slack.mention("revenue last quarter " + "🎉" * 1500))
    settle(slack)
    post = slack.fake.of("chat.postMessage")[0]
    assert "2,530" in post["text"] and post.get("blocks")  # the blocks went through, not a fallback
    assert slack.fake.invalid == []  # the fake checks every payload as Slack does


# 5 ------------------------------------------------------------------------------------------

def test_a_failing_assistant_status_does_not_drop_the_answer(slack):
    slack.fake.errors["assistant.threads.setStatus"] = "internal_error"
    slack.fake.errors["assistant.threads.setTitle"] = "internal_error"
    body = json.loads((SLACK / "message_im_event_callback.json").read_text())
    body["event"].update(text="revenue last quarter", user="UM1")
    body["event_id"] = "EvSTATUS1"
    slack.event(body)
    settle(slack)
    assert slack.fake.of("assistant.threads.setStatus")  # it was tried …
    assert "2,530" in texts(slack.fake.of("chat.postMessage"))  # … and the answer still came


# 6 ------------------------------------------------------------------------------------------

def test_another_bots_mention_is_not_answered(slack):
    body = slack.mention("revenue last quarter")
    body["event"]["bot_id"] = "B999"
    slack.event(body)
    human = slack.mention("win rate last quarter")
    slack.event(human)
    settle(slack)
    time.sleep(0.5)  # time enough for a wrong answer to the bot's mention too
    threads = {p.get("thread_ts") for p in slack.fake.of("chat.postMessage") + slack.fake.of("chat.postEphemeral")}
    assert human["event"]["ts"] in threads and body["event"]["ts"] not in threads


# 7 ------------------------------------------------------------------------------------------

def test_slack_entities_are_read_as_characters(slack):
    assert slack.bot.plain("R&amp;D &lt;3 &amp;lt;") == "R&D <3 &lt;"
    slack.event(slack.mention("revenue &amp; win rate last quarter"))
    settle(slack)
    answer = texts(slack.fake.of("chat.postMessage"))
    assert "2,530" in answer and "66.7%" in answer and "did not use" not in answer


# 8 ------------------------------------------------------------------------------------------

def test_app_home_shows_a_manager_their_teams_numbers(slack):
    body = json.loads((SLACK / "app_home_opened_event_callback.json").read_text()) \
        if (SLACK / "app_home_opened_event_callback.json").exists() else None
    body = body or {"type": "event_callback", "team_id": "T111", "api_app_id": "A111", "event_id": "EvHOME1",
                    "event_time": int(time.time()), "event": {"type": "app_home_opened", "tab": "home"}}
    body["event"].update(user="UM1", tab="home")
    body["event_id"] = "EvHOME-MONA"
    slack.event(body)
    view = slack.fake.wait_for("views.publish")[0]["view"]
    shown = json.dumps(view)
    assert "team" in shown and "2,000" in shown  # team A's revenue this quarter, not Mona's own EUR 0


# 9 ------------------------------------------------------------------------------------------

def test_blocks_slack_rejects_become_plain_text(slack):
    slack.fake.reject_blocks = True
    slack.event(slack.mention("revenue last quarter"))
    settle(slack, posts=2)
    posts = [p for p in slack.fake.of("chat.postMessage") if p.get("channel") == "C111"]
    assert len(posts) == 2 and posts[0].get("blocks") and not posts[1].get("blocks")
    assert "2,530" in posts[1]["text"]


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
def test_an_answer_that_cannot_be_posted_reaches_the_asker_by_dm(slack, error):
    slack.fake.channel_errors["C111"] = error
    slack.event(slack.mention("revenue last quarter", user="UM1"))
    settle(slack, posts=2)
    assert slack.fake.of("conversations.open")[0]["users"] == "UM1"
    dm = [p for p in slack.fake.of("chat.postMessage") if p["channel"] != "C111"]
    assert len(dm) == 1 and "2,530" in dm[0]["text"] and error in dm[0]["text"]
    assert "Reference" in dm[0]["text"]


def test_a_revoked_token_is_noticed(slack):
    slack.fake.errors["chat.postMessage"] = "token_revoked"
    slack.event(slack.mention("revenue last quarter"))
    settle(slack)
    assert slack.bot.auth_error == "token_revoked"
    try:  # and /readyz says so (a load balancer takes the instance out)
        urllib.request.urlopen(f"{slack.url}/readyz", timeout=5)
        raise AssertionError("/readyz answered 200 with a revoked token")
    except urllib.error.HTTPError as exc:
        assert exc.code == 503 and "token_revoked" in exc.read().decode()


# 10 -----------------------------------------------------------------------------------------

def test_a_429_storm_loses_no_answer_and_repeats_none(slack, capsys):
    """Many questions in many channels while the fake answers 30% of posts 429 (Retry-After: 1)."""
    channels = [f"CST{i:02d}" for i in range(50)]
    for c in channels:
        slack.fake.members[c] = ["UM1", "UR1", "UR2"]
    slack.fake.limit_share["chat.postMessage"] = 0.3
    bodies = [slack.mention("revenue last quarter", channel=channels[i % len(channels)]) for i in range(500)]
    started = time.perf_counter()
    for body in bodies:
        assert slack.event(body)[0] == 200
    time.sleep(0.5)
    assert slack.bot.outbox.join(timeout=240)
    elapsed = time.perf_counter() - started
    posted = [p.get("thread_ts") for p in slack.fake.of("chat.postMessage")]
    assert sorted(posted) == sorted(b["event"]["ts"] for b in bodies)  # each answered once, none lost
    assert len(slack.fake.of("chat.postMessage#429")) >= 30
    with capsys.disabled():
        print(f"\n429 storm: {len(bodies)} questions, {len(slack.fake.of('chat.postMessage#429'))} 429s, "
              f"all delivered once in {elapsed:.1f} s")


# the assistant pane ----------------------------------------------------------------------------

def thread_started(slack: Harness, user: str) -> list[dict]:
    body = json.loads((SLACK / "assistant_thread_started_event_callback.json").read_text())
    body["event"]["assistant_thread"]["user_id"] = user
    body["event_id"] = f"EvSTART-{user}-{time.time_ns()}"
    slack.event(body)
    return slack.fake.wait_for("assistant.threads.setSuggestedPrompts")[-1]["prompts"]


def test_suggested_prompts_fit_the_persons_role_and_language(slack):
    slack.fake.locales["UR1"] = "sv-SE"
    manager = [p["message"] for p in thread_started(slack, "UM1")]
    assert manager == PROMPTS["manager"]["en"] and "my team's pipeline this quarter" in manager
    slack.fake.calls.clear()
    rep = [p["message"] for p in thread_started(slack, "UR1")]
    assert rep == PROMPTS["rep"]["sv"]


@pytest.mark.parametrize("role, user", [("manager", "UM1"), ("rep", "UR1"), ("exec", "UX1")])
def test_every_suggested_prompt_is_answered_in_its_language(slack, role, user):
    for lang, prompts in PROMPTS[role].items():
        for prompt in prompts:
            answer = slack.assistant.ask(prompt, user=user, as_of=AS_OF)
            assert answer.kind in ("kpi", "deals", "compare", "playbook"), (prompt, answer.kind, answer.text)
            assert answer.lang == lang, (prompt, answer.lang)


def test_the_title_is_set_once_per_thread_and_the_status_has_loading_messages(slack):
    for i, question in enumerate(["revenue last quarter", "and win rate?"]):
        body = json.loads((SLACK / "message_im_event_callback.json").read_text())
        body["event"].update(text=question, user="UM1", ts=f"1700000000.00000{i}")
        body["event_id"] = f"EvPANE{i}"
        slack.event(body)
        settle(slack, posts=i + 1)
    assert len(slack.fake.of("assistant.threads.setTitle")) == 1
    status = slack.fake.of("assistant.threads.setStatus")[0]
    assert status.get("loading_messages")


# 11 -----------------------------------------------------------------------------------------

def test_a_chart_comes_unasked_only_when_the_question_asks_for_one(slack):
    slack.event(slack.mention("revenue by month this year"))
    settle(slack)
    assert slack.fake.of("files.completeUploadExternal") == []  # a Chart button instead (tests/slack/test_blocks.py)
    asked = slack.mention("vis omsætning pr. måned i år som graf")
    slack.event(asked)
    upload = slack.fake.wait_for("files.completeUploadExternal")
    assert len(upload) == 1 and upload[0].get("thread_ts") == asked["event"]["ts"]


# load ---------------------------------------------------------------------------------------

def test_two_hundred_signed_events_at_once_with_a_slow_engine(slack, capsys, tmp_path):
    """Acks stay fast (the answers run on the worker pool), and every event is answered once."""
    real = slack.bot.answer

    def slow(*args, **kwargs):
        time.sleep(0.3)  # a deliberately slow engine
        return real(*args, **kwargs)

    slack.event(slack.mention("revenue last quarter"))  # a bot that has been up a while: warm
    settle(slack)
    slack.fake.calls.clear()
    slack.bot.answer = slow
    channels = [f"CLOAD{i:02d}" for i in range(40)]  # a busy workspace: Slack paces posts per channel
    for c in channels:
        slack.fake.members[c] = ["UM1", "UR1", "UR2"]
    bodies = [slack.mention("revenue last quarter", channel=channels[i % 40], event_id=f"Ev-load-{i}")
              for i in range(200)]
    path = tmp_path / "bodies.json"
    path.write_text(json.dumps(bodies), encoding="utf-8")
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "tests.slack.load_client", f"{slack.url}/slack/events", SECRET,
                          str(path), "100"], capture_output=True, text=True, timeout=120, cwd=ROOT, check=True)
    results = json.loads(out.stdout)
    acks = sorted(seconds for _, seconds in results)
    assert [status for status, _ in results] == [200] * 200
    p50, p99 = statistics.median(acks), acks[int(len(acks) * 0.99) - 1]
    settle(slack, posts=200, timeout=120)
    answered = time.perf_counter() - started
    posts = slack.fake.of("chat.postMessage")
    assert sorted(p["thread_ts"] for p in posts) == sorted(b["event"]["ts"] for b in bodies)  # each once
    with capsys.disabled():
        print(f"\n200 signed events at once: ack p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; "
              f"all answered in {answered:.1f} s")
    # Half of Slack's 3 s. Each ack waits for its event's claim (written before the ack, a burst's
    # claims together): p99 0.6-1.0 s here on 2 busy cores, against 0.3-0.6 s before the claim moved
    # there. An implementation answering before its ack takes 200 x 0.3 s / 16 workers, far over.
    assert p99 < 1.5


# shutdown -----------------------------------------------------------------------------------

def test_answers_taken_before_shutdown_are_still_posted(slack):
    real = slack.bot.answer

    def slow(*args, **kwargs):
        time.sleep(1.0)  # still computing when the shutdown comes
        return real(*args, **kwargs)

    slack.bot.answer = slow
    bodies = [slack.mention("revenue last quarter", channel="C111") for _ in range(3)]
    for body in bodies:
        assert slack.event(body)[0] == 200
    slack.web.stop()  # what SIGTERM does: uvicorn stops, the web app's lifespan drains the bot
    posted = [p.get("thread_ts") for p in slack.fake.of("chat.postMessage")]
    assert sorted(posted) == sorted(b["event"]["ts"] for b in bodies)


def test_a_question_is_claimed_before_its_ack(slack):
    """Slack never sends an acked event again: its job, question included, is in the state database
    by the time the ack leaves, so a process that dies right after the ack leaves it to a sweeper."""
    held = threading.Event()
    real = slack.bot.respond
    slack.bot.respond = lambda *a, **kw: held.wait(10) and real(*a, **kw)  # the worker waits
    mention, dm = slack.mention("revenue last quarter"), slack.dm("win rate by region", "UM1", "D1")
    dm["event_id"] = "EvDM-claimed-first"
    try:
        for body in (mention, dm):
            assert slack.event(body)[0] == 200
            rows = {r.event_id: r for r in AnswerJobs(slack.state).rows()}
            assert rows[body["event_id"]].status == "open"
        assert rows[mention["event_id"]].question == "revenue last quarter"  # the bot's mention taken out
        assert (rows[mention["event_id"]].channel, rows[mention["event_id"]].thread_ts) == ("C111",
                                                                                          mention["event"]["ts"])
        assert (rows[dm["event_id"]].question, rows[dm["event_id"]].channel_type) == ("win rate by region", "im")
        assert slack.fake.of("chat.postMessage") == []  # acked and claimed, not yet answered
    finally:
        held.set()
    slack.fake.wait_for("chat.postMessage", 2)
    again = slack.event(dm)  # a retry after the answer: acked, not answered twice
    assert again[0] == 200
    time.sleep(0.5)
    assert len(slack.fake.of("chat.postMessage")) == 2


def test_claims_arriving_together_are_written_together_and_each_wins_once(tmp_path):
    """Claims go through one writer (jobs._Claims): 40 threads claiming 10 events, 4 times each,
    at once; every event is won exactly once and has one job."""
    state = open_state(f"sqlite:///{tmp_path / 's.db'}")
    jobs = AnswerJobs(state)
    wins: list[str] = []
    start = threading.Barrier(40)

    def claim(i: int) -> None:
        start.wait()
        if jobs.claim(f"Ev{i % 10}", question=f"q{i % 10}", user_id="U1", channel="D1", thread_ts="1.0",
                      channel_type="im", team_id=None):
            wins.append(f"Ev{i % 10}")

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [f"Ev{i}" for i in range(10)]
    assert sorted((r.event_id, r.question) for r in jobs.rows()) == [(f"Ev{i}", f"q{i}") for i in range(10)]
    assert jobs.held == 10


def test_the_channel_being_viewed_is_offered_as_the_scope(slack):
    slack.fake.names["C222"] = "sales-nordics"  # the fixture's thread context: the person views C222
    slack.fake.locales["UX1"] = "da-DK"
    prompts = [p["message"] for p in thread_started(slack, "UX1")]
    assert prompts[:2] == ["pipeline i Nordics dette kvartal", "win rate i Nordics dette kvartal"]
    answer = slack.assistant.ask(prompts[0], user="UX1", as_of=AS_OF)
    assert answer.filters == {"region": ["Nordics"]} or answer.filters.get("region") in ("Nordics", ["Nordics"])
    assert answer.lang == "da" and "2.000" in answer.text  # o6, Bob's open EUR 2,000 in the Nordics
    slack.fake.names["C333"] = "random"  # a channel that names no scope: the role's prompts alone
    slack.fake.calls.clear()
    body = json.loads((SLACK / "assistant_thread_context_changed_event_callback.json").read_text())
    body["event"]["assistant_thread"].update(user_id="UX1", context={"channel_id": "C333"})
    body["event_id"] = "EvCTX-C333"
    slack.event(body)
    prompts = [p["message"] for p in slack.fake.wait_for("assistant.threads.setSuggestedPrompts")[-1]["prompts"]]
    assert prompts == PROMPTS["exec"]["da"]
