"""Morning digests to Teams: the conversation reference is kept when a manager writes to the bot in
their personal chat, the digest is sent proactively through the local Bot Connector once — not
again by the same run, a restarted one or a second process — and a conversation that answers 403
is marked gone and reported."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from bot.channels.teams.bot import TeamsBot, auth_config
from bot.channels.teams.references import References
from bot.config import Settings
from bot.core.assistant import Assistant
from bot.digest.cli import digest_runner, start_in_serve
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.state import open_state
from bot.web import create_teams_app
from tests.fakes.bot_connector import FakeConnector, LocalTokens, local_connections
from tests.fakes.slack_api import FakeSlack
from tests.teams.harness import activity

MONA = "29:mona-teams-id"
AT = datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc)  # Friday 08:00 in Copenhagen, the store's as_of


@pytest.fixture()
def world(small_store_dir, tmp_path):
    connector = FakeConnector({MONA: {"id": MONA, "name": "Mona Manager", "email": "mona@x.example"}})
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'state.db'}", ccobot_channel="teams",
                        ccobot_teams_anonymous=True, ccobot_home=tmp_path / "home")
    state = open_state(settings.state_url)
    teams = TeamsBot(Assistant(Engine(load_store(small_store_dir))), settings, state,
                     connections=local_connections(auth_config(settings)))
    with TestClient(create_teams_app(teams)) as client:  # Mona writes to the bot once, in her personal chat
        body = activity("hi", user=MONA, serviceUrl=connector.url)
        assert client.post("/api/messages", json=body).status_code in (200, 202)
        connector.wait_for(1)
    connector.sent.clear()
    yield settings, state, connector, small_store_dir
    connector.close()


def state_of(settings):
    return open_state(settings.state_url)


def run_for(settings, store_dir):
    return digest_runner(settings, store_dir, connections=local_connections(auth_config(settings)))[0]


def test_the_reference_is_kept_and_the_digest_sent_once(world):
    settings, state, connector, store_dir = world
    ref = References(state).get("m1")
    assert ref is not None and ref.conversation_id.startswith("a:17I0kl9") and ref.timezone == "America/Los_Angeles"
    assert MONA in json.dumps(ref.reference) and ref.reference["serviceUrl"] == connector.url
    run = run_for(settings, store_dir)
    report = run(AT)  # the reps table's zone (Copenhagen) comes before the Teams client's
    assert report.sent == ["m1"]
    (message,) = connector.replies()
    assert message["conversation"]["id"] == ref.conversation_id and "replyToId" not in message
    assert "text" not in message and "Mona Manager" in message["summary"]  # the card alone, a title to notify
    card = message["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive" and card["content"]["version"] == "1.5"
    assert {s["auth"] for s in connector.sent} == {f"Bearer {LocalTokens.TOKEN}"}
    assert run(AT).sent == []  # the same run
    assert run_for(settings, store_dir)(AT).sent == []  # a restart, or a second process
    assert len(connector.replies()) == 1


def test_people_teams_cannot_reach_are_reported_once_not_retried(world):
    settings, _, connector, store_dir = world
    report = run_for(settings, store_dir)(AT)  # Greta and Max never wrote to the bot in Teams
    assert report.sent == ["m1"] and {"m0", "m2"} <= set(report.skipped) | set(report.failed)
    assert {m["conversation"]["id"] for m in connector.replies()} == {References(state_of(settings)).get("m1").conversation_id}
    again = run_for(settings, store_dir)(AT)  # reported once: not tried again the same morning
    assert again.sent == [] and not (set(again.failed) & {"m0", "m2"})


def test_a_conversation_that_answers_403_is_marked_gone_and_reported(world):
    settings, state, connector, store_dir = world
    connector.gone.add(References(state).get("m1").conversation_id)
    report = run_for(settings, store_dir)(AT)
    assert "m1" not in report.sent
    assert References(state).get("m1").gone
    assert connector.replies() == []


def test_one_process_sends_to_teams_and_slack_each_person_once(world):
    """Slack and Teams both configured: Mona, whose Teams chat the bot knows, gets hers in Teams;
    Greta and Max, who never used Teams, in their Slack DMs; a second run sends nothing."""
    settings, state, connector, store_dir = world
    slack = FakeSlack()
    both = settings.model_copy(update={"ccobot_channel": "auto", "slack_bot_token": SecretStr("xoxb-test"),
                                       "slack_api_url": slack.api_url})
    assert both.digest_faces == ("slack", "teams")
    try:
        for _ in range(2):  # a restart, or a second process
            run, close = digest_runner(both, store_dir, connections=local_connections(auth_config(both)))
            report = run(AT)
            close()
        assert report.sent == []
        assert [m["conversation"]["id"] for m in connector.replies()] == [References(state).get("m1").conversation_id]
        assert {channel: len(found) for channel, found in slack.messages.items()} == {"DUM0": 1, "DUM2": 1}
    finally:
        slack.close()


def test_serve_runs_the_scheduler_for_teams_alone(world):
    settings, state, connector, store_dir = world
    teams = TeamsBot(Assistant(Engine(load_store(store_dir))), settings, state,
                     connections=local_connections(auth_config(settings)))
    sched = start_in_serve(settings, state, None, teams)
    try:
        assert sched is not None and sched.scheduler.running and sched.scheduler.get_job("digest-tick")
        assert sched.lock.held()  # this instance leads
        report = sched.tick(AT)  # the tick the scheduler makes at that minute
    finally:
        sched.stop()
    assert report.sent == ["m1"] and len(connector.replies()) == 1
    assert start_in_serve(settings.model_copy(update={"ccobot_scheduler_in_serve": False}), state, None, teams) is None
