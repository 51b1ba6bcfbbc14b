"""The outbound queue against the local fake Slack Web API, through the real WebClient: pacing per
channel, Retry-After honoured without stalling other channels, refusals reported, nothing lost."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient

from bot.channels.slack.outbox import Outbox, Post
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.serial  # timed: make test runs it alone, after the parallel part


@pytest.fixture
def fake():
    f = FakeSlack()
    yield f
    f.close()


def post(fake: FakeSlack, channel: str, text: str, sent=None, failed=None) -> Post:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    return Post(client, "chat_postMessage", {"channel": channel, "text": text},
                sent=sent or (lambda r: None), failed=failed or (lambda e: None))


def delivered(fake: FakeSlack) -> list[tuple[float, dict]]:
    """The posts Slack took (a 429 is recorded under its own name), with when they came."""
    return [(t, p) for (m, p), t in zip(list(fake.calls), list(fake.times)) if m == "chat.postMessage"]


def test_posts_to_one_channel_keep_their_order_and_are_paced(fake):
    box = Outbox(senders=4, pace=0.2)
    for i in range(8):
        box.put(post(fake, "C1", f"m{i}"))
    assert box.join(timeout=20)
    got = delivered(fake)
    assert [p["text"] for _, p in got] == [f"m{i}" for i in range(8)]
    # a burst of 3, then one every 0.2 s: the last of 8 comes at least 5 × 0.2 s after the first
    assert got[-1][0] - got[0][0] >= 5 * 0.2 - 0.05


def test_retry_after_holds_back_one_channel_not_the_others(fake):
    fake.rate_limit["chat.postMessage"] = 1  # the first post is answered 429, Retry-After: 1
    box = Outbox(senders=1, pace=0.01)  # one sender: it must not sleep through the Retry-After
    started = time.monotonic()
    box.put(post(fake, "CSLOW", "first"))
    time.sleep(0.1)
    for i in range(5):
        box.put(post(fake, f"C{i}", f"other {i}"))
    assert box.join(timeout=20)
    got = {p["text"]: t - started for t, p in delivered(fake)}
    assert len(got) == 6 and len(fake.of("chat.postMessage#429")) == 1
    assert got["first"] >= 1.0  # waited out Retry-After …
    assert all(got[f"other {i}"] < 0.9 for i in range(5))  # … while the other channels went on


def test_refusals_are_reported_with_slacks_error_and_transient_errors_retried(fake):
    fake.channel_errors["CGONE"] = "channel_not_found"
    failures, sent = [], []
    box = Outbox(senders=2, pace=0.01)
    box.put(post(fake, "CGONE", "lost?", failed=failures.append))
    box.put(post(fake, "COK", "fine", sent=sent.append))
    assert box.join(timeout=10)
    assert failures == ["channel_not_found"] and sent and sent[0]["ok"]
    assert len([p for _, p in delivered(fake) if p["channel"] == "CGONE"]) == 1  # a refusal is not retried


def test_a_storm_of_429s_loses_nothing_and_repeats_nothing(fake):
    fake.limit_share["chat.postMessage"] = 0.3
    box = Outbox(senders=4, pace=0.05)
    texts = [f"answer {i}" for i in range(300)]
    for i, text in enumerate(texts):
        box.put(post(fake, f"C{i % 30}", text))
    assert box.join(timeout=120)
    got = [p["text"] for _, p in delivered(fake)]
    assert sorted(got) == sorted(texts)  # every one, once
    assert len(fake.of("chat.postMessage#429")) > 30 and box.stats["failed"] == 0


def test_a_failing_pre_send_check_drops_that_post_and_the_senders_keep_going(fake):
    outbox = Outbox(senders=1)
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    failed: list[str] = []

    def broken() -> bool:
        raise RuntimeError("database is locked")

    outbox.put(Post(client, "chat_postMessage", {"channel": "C1", "text": "digest"}, failed=failed.append,
                    before=broken))
    outbox.put(Post(client, "chat_postMessage", {"channel": "C2", "text": "answer"}))
    assert outbox.join(10)
    outbox.close()
    assert failed == ["claim not confirmed (RuntimeError)"]
    assert [p["text"] for p in fake.of("chat.postMessage")] == ["answer"]


def test_a_post_that_must_not_repeat_is_reported_failed_instead_of_retried(fake):
    outbox = Outbox()
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    fake.errors["chat.postMessage"] = "internal_error"  # a 5xx-like answer: Slack may have posted it
    failed: list[str] = []
    outbox.put(Post(client, "chat_postMessage", {"channel": "C1", "text": "x"}, failed=failed.append,
                    blind_retry=False))
    assert outbox.join(10)
    outbox.close()
    assert failed == ["internal_error"] and len(fake.of("chat.postMessage")) == 1
