"""Channels and group chats: an answer goes into the room only when every person in it may see it
(the same rules as a Slack channel, bot/core/audience.py), read from Teams' paged roster through the
local Bot Connector; otherwise to the asker's personal chat, with a word in the room. Numbers are
the small store's (tests/conftest.py): revenue last quarter EUR 2,530; Mona's team's open deals are
o6 (Bob's, EUR 2,000) and o7 (Alice's)."""

from __future__ import annotations

import json

import pytest

from bot.channels.teams import bot as teams_bot
from bot.core.i18n import t
from tests.teams.harness import ALICE, activity, card_text, client_for, member

BOB, MONA, GRETA, STRANGER = "29:bob", "29:mona", "29:greta", "29:stranger"
CHANNEL = "19:sales-channel@thread.skype"


@pytest.fixture()
def room(connector):
    """The connector knows Alice, Bob, Mona, Greta and someone matched to no rep."""
    connector.members.update({
        BOB: member(BOB, "Bob Lund", "bob@x.example"), MONA: member(MONA, "Mona Manager", "mona@x.example"),
        GRETA: member(GRETA, "Greta Director", "greta@x.example"),
        STRANGER: member(STRANGER, "Sam Outside", "sam@elsewhere.example")})
    return connector


def in_channel(connector, client, text: str, people: list[str], user: str = ALICE, kind: str = "channel",
               messages: int = 1, channel: str = CHANNEL) -> tuple[list[dict], list[dict]]:
    """Ask in a room of `people` and wait for `messages` messages; (what the room got, what the
    asker's personal chat got). (The bot keeps a room's roster for five minutes: a room whose
    people change in a test is another room.)"""
    connector.rooms[channel] = people
    body = activity(text, conversation_type=kind, user=user, serviceUrl=connector.url)
    body["conversation"]["id"] = f"{channel};messageid=1485983408511"
    connector.sent.clear()
    assert client.post("/api/messages", json=body).status_code in (200, 202)
    connector.wait_for(messages)
    said = [a for a in connector.replies() if a["conversation"]["id"].startswith(channel)]
    return said, connector.to(f"a:personal-{user}")


def test_an_aggregate_goes_into_a_channel_whose_members_are_all_reps(assistant, room):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    with client:
        said, private = in_channel(room, client, "revenue last quarter", [ALICE, BOB, MONA])
    assert len(said) == 1 and "2,530" in card_text(said[0]) and private == []


@pytest.mark.parametrize("kind", ["channel", "groupChat"])
def test_someone_matched_to_no_rep_keeps_figures_out_of_the_room(assistant, room, kind):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    with client:
        said, private = in_channel(room, client, "revenue last quarter", [ALICE, STRANGER], kind=kind, messages=2)
    assert [s["text"] for s in said] == [t("teams_sent_privately", "en")]
    assert "2,530" not in json.dumps(said)
    assert len(private) == 1 and "2,530" in card_text(private[0])
    (created,) = room.created  # a one-to-one chat with the asker, in the activity's tenant
    assert [m["id"] for m in created["members"]] == [ALICE] and created["isGroup"] is False
    assert created["tenantId"] or created["channelData"]["tenant"]["id"]


def test_a_deal_list_goes_into_the_room_only_if_everyone_may_see_every_deal(assistant, room):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    with client:
        said, _ = in_channel(room, client, "my team's open deals", [MONA, GRETA], user=MONA)
        assert len(said) == 1 and "Gamma" in card_text(said[0])  # Greta is above Mona: she sees them all
        said, (private,) = in_channel(room, client, "my team's open deals", [MONA, ALICE], user=MONA, messages=2,
                                       channel="19:another-room@thread.skype")
    assert [s["text"] for s in said] == [t("teams_sent_privately", "en")]  # Alice may not see Bob's o6
    assert "Gamma" in card_text(private) and "2,000" in card_text(private)


def test_the_roster_is_read_page_by_page_and_kept_for_a_while(assistant, room, monkeypatch):
    monkeypatch.setattr(teams_bot, "ROSTER_PAGE", 1)
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    with client:
        _, private = in_channel(room, client, "revenue last quarter", [ALICE, BOB, STRANGER], messages=2)
        assert room.roster_pages == 3 and private  # the stranger was on the third page
        in_channel(room, client, "win rate last quarter", [ALICE, BOB, STRANGER], messages=2)
    assert room.roster_pages == 3  # the second question used the roster read for the first


def test_a_room_teams_will_not_describe_gets_no_figures(assistant, room):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    with client:
        said, _ = in_channel(room, client, "revenue last quarter", ["29:nobody-the-connector-knows"], messages=2)
    assert [s["text"] for s in said] == [t("teams_sent_privately", "en")]


def test_without_a_personal_chat_the_room_is_told_where_to_ask(assistant, room):
    room.unreachable.add(ALICE)  # the app is not installed for her: no one-to-one chat
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    with client:
        said, private = in_channel(room, client, "revenue last quarter", [ALICE, STRANGER])
    assert [s["text"] for s in said] == [t("teams_ask_privately", "en")] and private == []
    assert "2,530" not in json.dumps(room.sent)


def test_words_go_into_any_room_without_reading_its_roster(assistant, room):
    client, _ = client_for(assistant, ccobot_teams_anonymous=True)
    with client:
        said, _ = in_channel(room, client, "what is commercial operations?", [ALICE, STRANGER])
    assert len(said) == 1 and said[0]["attachments"] and room.roster_pages == 0
