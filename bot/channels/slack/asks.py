"""What a Slack event asks: read once, for the claim made before the ack and for the listener
that answers it, so both agree on the question and on where the answer goes."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Ask:
    question: str
    user_id: str
    channel: str
    thread_ts: str | None
    channel_type: str | None
    team_id: str | None  # the asker's team: Slack streams an answer in a channel to a named reader


def ask_of(body: dict, bot_user_id: str | None, team_id: str | None = None) -> Ask | None:
    """The question of a mention or a direct message from a person; None for any other event."""
    event = body.get("event") if isinstance(body, dict) and body.get("type") == "event_callback" else None
    if not isinstance(event, dict) or not from_a_person(event):
        return None
    thread = event.get("thread_ts") or event.get("ts")
    if event.get("type") == "app_mention":
        return Ask(without_mention(event.get("text", ""), bot_user_id), event["user"], event["channel"], thread,
                   event.get("channel_type"), event.get("user_team") or event.get("team") or team_id)
    if event.get("type") == "message" and event.get("channel_type") == "im":
        return Ask(event.get("text", ""), event["user"], event["channel"], thread, "im", None)
    return None


def from_a_person(event: dict) -> bool:
    """Edits, deletions and bots' messages carry a subtype or a bot_id: never answered (two bots
    answering each other loop)."""
    return not event.get("subtype") and not event.get("bot_id") and bool(event.get("user"))


def without_mention(text: str, bot_user_id: str | None) -> str:
    """The question without the bot's own mention, wherever it is; other people's mentions stay
    ("what is <@U_ELIN>'s pipeline, <@BOT>?" is about Elin)."""
    if not bot_user_id:
        return text.strip()
    return re.sub(rf"[\s,]*<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", "", text).strip(" ,")
