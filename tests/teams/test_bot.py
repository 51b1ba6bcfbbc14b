"""The Teams face end to end: real Activity JSON (Microsoft's own, tests/fixtures/teams/)
posted to /api/messages of the running app, through the Microsoft 365 Agents SDK's adapter, replies
delivered to a local Bot Connector on 127.0.0.1 (the activity's serviceUrl). Numbers are the small
store's, worked out independently in tests/conftest.py (revenue last quarter EUR 2,530; Alice's own
EUR 2,340)."""

from __future__ import annotations

import copy
import json
import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels.teams import bot as teams_bot
from bot.channels.teams.references import References
from bot.core.i18n import t
from bot.state import Feedback, open_state
from tests.fakes.bot_connector import LocalTokens
from tests.teams.harness import ALICE, activity, ask, card_text, client_for, invoke


@pytest.mark.parametrize("question, figure", [
    ("revenue last quarter", "2,530"),
    ("omsætning sidste kvartal", "2.530"),
    ("intäkter förra kvartalet", "2\u00a0530"),
])
def test_a_personal_chat_question_is_answered_as_a_card_in_its_language(assistant, connector, question, figure):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    body = activity(question)
    with client:
        reply = ask(client, connector, body)
    assert reply["replyToId"] == body["id"]
    assert figure in card_text(reply) and figure in reply["summary"]  # the notification's line
    assert "text" not in reply  # the card alone: Teams would show a text beside it as well
    assert reply["conversation"]["id"].startswith("a:17I0kl9")
    assert connector.replies("typing"), "the typing indicator goes first"
    assert connector.sent[0]["activity"]["type"] == "typing"


def test_the_asker_is_matched_by_the_email_teams_gives(assistant, connector):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    with client:
        reply = ask(client, connector, activity("my revenue last quarter"))
    assert "2,340" in card_text(reply) and "Alice Berg" in reply["summary"]
    stranger = copy.deepcopy(activity("my revenue last quarter", user="29:someone-else"))
    connector.sent.clear()
    with client:
        reply = ask(client, connector, stranger)
    assert "2,340" not in json.dumps(reply)


def test_in_a_channel_the_bots_mention_is_taken_out_and_figures_are_not_posted(assistant, connector):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    body = activity("<at>Teams TestBot</at> my revenue last quarter", conversation_type="channel")
    body["entities"] = [{"type": "mention", "text": "<at>Teams TestBot</at>",
                         "mentioned": {"id": body["recipient"]["id"], "name": "Teams TestBot"}}]
    with client:
        ask(client, connector, body)
        room = connector.wait_for(2)  # the answer in Alice's personal chat, then a word in the room
    said = [r for r in room if r["conversation"]["id"] == body["conversation"]["id"]]
    assert len(said) == 1 and said[0]["text"] == t("teams_sent_privately", "en")  # no figures in the room
    (private,) = connector.to(f"a:personal-{ALICE}")
    assert "2,340" in card_text(private)  # her own revenue, in her personal chat only
    connector.sent.clear()
    body.update(text="<at>Teams TestBot</at> what is commercial operations?", id="another-message")
    with client:
        reply = ask(client, connector, body)
    fallback = reply["attachments"][0]["content"]["fallbackText"]  # the whole answer as text
    assert "personal chat" not in fallback and "\\[1\\]" in fallback  # words, cited: anyone may read


def test_a_card_button_asks_its_question(assistant, connector):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    body = activity("")
    body["value"] = {"question": "revenue last quarter"}  # Action.Submit's data (the Action.Execute fallback)
    with client:
        reply = ask(client, connector, body)
    assert "2,530" in card_text(reply)


def test_card_buttons_as_universal_actions_ask_and_record_feedback(assistant, connector, tmp_path):
    state = open_state(f"sqlite:///{tmp_path / 's.db'}")
    client, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    with client:
        body = invoke("followup", {"question": "revenue last quarter"})
        body["serviceUrl"] = connector.url
        response = client.post("/api/messages", json=body)
        assert response.status_code == 200  # the invoke is answered; the answer is a message of its own
        assert "2,530" in card_text(connector.wait_for(1)[-1])
        connector.sent.clear()
        body = invoke("feedback", {"value": "down", "question": "revenue last quarter", "lang": "da"})
        body["serviceUrl"] = connector.url
        assert client.post("/api/messages", json=body).status_code == 200
        assert connector.wait_for(1)[-1]["text"] == t("feedback_thanks", "da")
        connector.sent.clear()
        submit = activity("")  # the Action.Submit fallback: a message carrying the button's data
        submit["value"] = {"verb": "feedback", "value": "up", "question": "revenue last quarter", "lang": "en"}
        ask(client, connector, submit)
    with Session(state) as s:
        votes = [(f.vote, f.question, f.user_id) for f in s.scalars(select(Feedback).order_by(Feedback.id))]
    assert votes == [("down", "revenue last quarter", ALICE), ("up", "revenue last quarter", ALICE)]


def test_installing_the_app_keeps_the_personal_chat_for_digests(assistant, connector, tmp_path):
    state = open_state(f"sqlite:///{tmp_path / 's.db'}")
    client, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    body = activity("")
    body.update(type="installationUpdate", action="add", serviceUrl=connector.url)
    body.pop("text")
    with client:
        assert client.post("/api/messages", json=body).status_code in (200, 202)
    ref = References(state).get("r1")  # Alice, by the email of her Teams account
    assert ref is not None and ref.reference["serviceUrl"] == connector.url and not ref.gone


# ---------------------------------------------------------------- who may post


def test_without_a_valid_token_the_endpoint_answers_401(assistant, connector, issuer):
    client, _ = client_for(assistant, microsoft_app_id="app-123", ccobot_teams_trusted_issuer=issuer.ISSUER,
                           ccobot_teams_trusted_jwks_url=issuer.jwks_url)
    from cryptography.hazmat.primitives.asymmetric import rsa

    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = activity("revenue last quarter", serviceUrl=connector.url)
    bad = {"none": {}, "not bearer": {"Authorization": "Basic abc"}, "garbage": {"Authorization": "Bearer x.y.z"},
           "other key": {"Authorization": f"Bearer {issuer.token('app-123', key=stranger_key)}"},
           "other audience": {"Authorization": f"Bearer {issuer.token('someone-else')}"},
           "expired": {"Authorization": f"Bearer {issuer.token('app-123', lifetime=-60)}"},
           "other issuer": {"Authorization": f"Bearer {issuer.token('app-123', issuer='https://evil.example/')}"}}
    with client:
        for name, headers in bad.items():
            assert client.post("/api/messages", json=body, headers=headers).status_code == 401, name
    assert connector.sent == []


def test_a_token_from_a_trusted_issuer_is_accepted_and_the_reply_carries_the_bots_own_token(assistant, connector,
                                                                                              issuer):
    client, _ = client_for(assistant, microsoft_app_id="app-123", ccobot_teams_trusted_issuer=issuer.ISSUER,
                           ccobot_teams_trusted_jwks_url=issuer.jwks_url)
    token = issuer.token("app-123", service_url=connector.url)
    with client:
        reply = ask(client, connector, activity("revenue last quarter"), {"Authorization": f"Bearer {token}"})
    assert "2,530" in card_text(reply)
    assert {s["auth"] for s in connector.sent} == {f"Bearer {LocalTokens.TOKEN}"}


def test_a_turn_that_fails_gets_an_apology_with_a_reference_not_the_error(assistant, connector, caplog):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    body = activity("revenue by owner last quarter")
    body.pop("from")  # the SDK cannot keep state for a message without a sender
    with client:
        reply = ask(client, connector, body)
    assert "reference" in reply["text"] and "NoneType" not in reply["text"] and "Exception" not in reply["text"]
    assert "Alice Berg" not in json.dumps(reply)
    assert any("Teams turn failed" in r.getMessage() for r in caplog.records)


def test_a_message_teams_sends_again_is_answered_once(assistant, connector, tmp_path):
    """Teams may send an activity again when the bot was slow to take it; across instances too."""
    state = open_state(f"sqlite:///{tmp_path / 's.db'}")
    body = activity("revenue last quarter", serviceUrl=connector.url)
    first, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    second, _ = client_for(assistant, state, ccobot_teams_anonymous=True)  # another instance, one database
    with first, second:
        assert first.post("/api/messages", json=body).status_code in (200, 202)
        connector.wait_for(1)
        assert second.post("/api/messages", json=body).status_code in (200, 202)
        assert first.post("/api/messages", json=body).status_code in (200, 202)
    assert len(connector.replies()) == 1 and len(connector.replies("typing")) == 1


def test_an_answer_slower_than_teams_waits_is_sent_when_ready(assistant, connector, monkeypatch):
    """The turn stops waiting after IN_TURN_SECONDS (Teams gives up on the request at about 15 s);
    the answer then goes into the same conversation as a reply to the question."""
    monkeypatch.setattr(teams_bot, "IN_TURN_SECONDS", 0.3)
    client, teams = client_for(assistant, ccobot_teams_anonymous=True)
    slow = threading.Event()
    ask_now = teams.assistant.ask

    def slow_ask(*args, **kwargs):
        slow.wait(5)  # the engine is busy
        return ask_now(*args, **kwargs)

    monkeypatch.setattr(teams.assistant, "ask", slow_ask)
    body = activity("revenue last quarter", serviceUrl=connector.url)
    with client:
        started = time.monotonic()
        assert client.post("/api/messages", json=body).status_code in (200, 202)
        assert time.monotonic() - started < 3 and connector.replies() == []  # the turn did not wait
        slow.set()
        (reply,) = connector.wait_for(1)
    assert "2,530" in card_text(reply) and reply["replyToId"] == body["id"]
    assert reply["conversation"]["id"] == body["conversation"]["id"]


def test_teams_alone_answers_readyz_with_its_checks(assistant, tmp_path):
    """A proxy or Kubernetes asks /readyz: the store, the playbook and the state database, no Slack."""
    state = open_state(f"sqlite:///{tmp_path / 's.db'}")
    client, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    with client:
        response = client.get("/readyz")
    checks = response.json()["checks"]
    assert response.status_code == 200 and checks == {"metrics": "ok", "warm": "ok", "playbook": "ok", "state": "ok"}
    state.dispose()
    (tmp_path / "s.db").unlink()
    (tmp_path / "s.db").mkdir()  # the database is now a folder: SQLite cannot open it
    with client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["state"]
