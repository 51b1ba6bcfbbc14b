"""Buttons in Teams, pressed as Teams sends them (adaptiveCard/action invokes, or the Action.Submit
fallback as a message): a chart of an answer as an inline image, and a digest's "Ask about this
deal", "Mute this deal" and "Change time". The small store (tests/conftest.py): Alice (r1) owns o1
(Acme, EUR 1,000, won) and Bob (r2) owns o6 (Gamma); revenue this year by month is five months."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from bot.channels.teams.cards import MAX_BYTES, plain
from bot.core.i18n import t
from bot.digest.subscriptions import Subscriptions
from bot.state import open_state
from tests.teams.harness import activity, ask, card_text, client_for, invoke


@pytest.fixture()
def state(tmp_path):
    return open_state(f"sqlite:///{tmp_path / 's.db'}")


def press(client, connector, verb: str, data: dict, reply_to: str | None = None, messages: int = 1) -> list[dict]:
    body = invoke(verb, data)
    body["serviceUrl"] = connector.url
    if reply_to:
        body["replyToId"] = reply_to  # the message the card is on, as Teams says
    connector.sent.clear()
    assert client.post("/api/messages", json=body).status_code == 200
    return connector.wait_for(messages)


def image_of(message: dict) -> Image.Image:
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "image/png"
    head, data = attachment["contentUrl"].split(",", 1)
    assert head == "data:image/png;base64" and len(data) <= MAX_BYTES  # inside one Teams message
    return Image.open(io.BytesIO(base64.b64decode(data)))


def test_a_question_asking_for_a_chart_gets_it_as_an_inline_image(assistant, connector):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    with client:
        ask(client, connector, activity("revenue by month this year as a chart"))
        card, chart = connector.wait_for(2)
    assert "5,530" in card_text(card)
    image = image_of(chart)
    assert image.format == "PNG" and image.size[0] > 300 and chart["text"].startswith("Revenue, this year")


def test_the_chart_button_draws_the_answer_the_card_showed(assistant, connector, state):
    client, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    with client:
        card = ask(client, connector, activity("revenue by month this year"))
        actions = card["attachments"][0]["content"]["actions"]
        assert [a["verb"] for a in actions if a["verb"] == "chart"] == ["chart"]
        posted = next(s["id"] for s in connector.sent if s["activity"] is card)
        ask(client, connector, activity("win rate last quarter"))  # the conversation moves on
        (chart,) = press(client, connector, "chart", {"lang": "en"}, reply_to=posted)
        assert image_of(chart).size[0] > 300 and chart["text"].startswith("Revenue, this year")
        (gone,) = press(client, connector, "chart", {"lang": "da"}, reply_to="not-a-message-of-ours")
    assert gone["text"] == plain(t("chart_gone", "da"))


def test_an_answer_with_nothing_to_chart_has_no_chart_button(assistant, connector):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    with client:
        card = ask(client, connector, activity("revenue last quarter"))
    assert "chart" not in {a["verb"] for a in card["attachments"][0]["content"]["actions"]}


def test_ask_about_a_deal_shows_it_to_someone_who_may_see_it(assistant, connector):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    with client:
        (mine,) = press(client, connector, "digest_ask", {"deal": "o1", "lang": "en"})
        (bobs,) = press(client, connector, "digest_ask", {"deal": "o6", "lang": "en"})
        (gone,) = press(client, connector, "digest_ask", {"deal": "o999", "lang": "sv"})
    assert "Acme" in card_text(mine) and "1,000" in card_text(mine)
    assert bobs["text"] == plain(t("digest_ui_deal_denied", "en")) and "Gamma" not in json.dumps(bobs)
    assert gone["text"] == plain(t("digest_ui_deal_gone", "sv"))


def test_mute_a_deal_leaves_it_out_of_the_digests_from_now_on(assistant, connector, state):
    client, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    store = assistant.engine.store
    with client:
        (said,) = press(client, connector, "digest_mute", {"deal": "o1", "lang": "en"})
        submit = activity("")  # the same button from a client without Universal Actions
        submit["value"] = {"verb": "digest_mute", "deal": "o6", "lang": "en"}
        ask(client, connector, submit)
    assert said["text"] == plain(t("teams_digest_muted", "en", deal="o1"))  # Teams' way back, not Slack's command
    assert Subscriptions(state).get(store, "r1").muted == ("o1", "o6")
    assert "Gamma" not in connector.replies()[-1]["text"]  # Bob's deal is not named to Alice


def test_unticking_a_muted_deal_brings_it_back_and_nothing_else(assistant, connector, state):
    client, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    store = assistant.engine.store
    Subscriptions(state).update(store, "r1", muted=("o1", "o7", "o11"))  # o11 muted after the card was sent
    with client:
        press(client, connector, "digest_settings", {"time": "08:00", "days": "mon", "lang": "en",
                                                     "listed": "o1,o7", "muted": "o7"})
    assert Subscriptions(state).get(store, "r1").muted == ("o7", "o11")


def test_change_time_saves_the_time_and_days_and_refuses_what_is_not(assistant, connector, state):
    client, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    store = assistant.engine.store
    with client:
        (saved,) = press(client, connector, "digest_settings", {"time": "07:15", "days": "mon,wed", "lang": "en"})
        (no_days,) = press(client, connector, "digest_settings", {"time": "09:00", "days": "", "lang": "da"})
        (bad,) = press(client, connector, "digest_settings", {"time": "25:99", "days": "mon", "lang": "en"})
    sub = Subscriptions(state).get(store, "r1")
    assert (sub.local_time, sub.days) == ("07:15", "mon,wed")
    assert "07:15" in saved["text"] and no_days["text"] == plain(t("digest_ui_no_days", "da"))
    assert bad["text"] == plain(t("digest_ui_pick_time", "en"))


def test_digest_buttons_from_someone_matched_to_no_rep(assistant, connector, state):
    client, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    body = invoke("digest_mute", {"deal": "o1", "lang": "en"})
    body["from"]["id"] = "29:someone-else"
    with client:
        (said,) = ask(client, connector, body) and connector.replies()
    assert said["text"] == plain(t("digest_ui_not_rep", "en"))
    assert Subscriptions(state).explicit() == {}


def test_digest_in_the_personal_chat_shows_the_settings_and_changes_them(assistant, connector, state):
    client, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    store = assistant.engine.store
    with client:
        shown = ask(client, connector, activity("digest"))  # Alice is a rep: not subscribed by default
        content = shown["attachments"][0]["content"]  # in Danish: she works in Copenhagen
        status = t("digest_ui_status", "da", state=t("digest_ui_off", "da"), time="08:00", zone="Europe/Copenhagen",
                   days="mandag–fredag")
        assert content["body"][1]["text"].startswith(plain(status))
        assert [a.get("verb") for a in content["actions"]] == ["digest_subscribe", None, "digest_preview"]
        assert content["actions"][0]["data"]["on"] is True
        connector.sent.clear()
        turned_on = ask(client, connector, activity("digest on"))
        assert Subscriptions(state).get(store, "r1").active is True
        assert content_of(turned_on)["actions"][0]["data"]["on"] is False  # now the button unsubscribes
        (off,) = press(client, connector, "digest_subscribe", {"on": False, "lang": "en"})
    assert Subscriptions(state).get(store, "r1").active is False
    assert content_of(off)["body"][0]["text"] == plain(t("digest_ui_unsubscribed", "da"))


def test_digest_preview_is_todays_digest_as_a_card(assistant, connector, state):
    client, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    with client:
        preview = ask(client, connector, activity("digest preview"))
    card = content_of(preview)
    assert card["body"][0]["text"].startswith("Pipelineoverblik for Alice Berg")  # Danish: Copenhagen
    assert any(b["type"] == "FactSet" for b in card["body"])


def test_digest_in_a_room_is_not_answered_there(assistant, connector, state):
    client, _ = client_for(assistant, state, ccobot_teams_anonymous=True)
    with client:
        said = ask(client, connector, activity("digest preview", conversation_type="groupChat"))
    assert said["text"] == plain(t("teams_ask_privately", "en")) and not said.get("attachments")


def content_of(message: dict) -> dict:
    return message["attachments"][0]["content"]
