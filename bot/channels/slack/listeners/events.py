"""Mentions (answered in their thread) and direct messages, from people only."""

from __future__ import annotations

import re

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.channels.slack.app import SlackBot


def register(app: App, bot: SlackBot) -> None:
    # Events are acked by Bolt before their listener runs (process_before_response=False), and the
    # listener runs on the worker pool: no lazy listener, whose copy of the request costs the ack.
    def on_mention(body: dict, event: dict, context: BoltContext, client: WebClient) -> None:
        question = without_mention(event.get("text", ""), context.bot_user_id)
        # the team is the asker's: Slack streams an answer in a channel to a named reader (team and user)
        bot.handle(question, event["user"], event["channel"], event.get("thread_ts") or event["ts"],
                   event.get("channel_type"), client, body.get("event_id"),
                   team_id=event.get("user_team") or event.get("team") or context.team_id)

    def on_direct_message(body: dict, event: dict, client: WebClient) -> None:
        bot.handle(event.get("text", ""), event["user"], event["channel"], event.get("thread_ts") or event["ts"],
                   "im", client, body.get("event_id"))

    # Another bot's mention or message is never answered: two bots answering each other loop.
    app.event("app_mention", matchers=[_from_a_person])(on_mention)
    # Plain DMs from people; edits, deletions and bots' messages carry a subtype or a bot_id.
    app.event({"type": "message", "channel_type": "im"}, matchers=[_from_a_person])(on_direct_message)


def without_mention(text: str, bot_user_id: str | None) -> str:
    """The question without the bot's own mention, wherever it is; other people's mentions stay
    ("what is <@U_ELIN>'s pipeline, <@BOT>?" is about Elin)."""
    if not bot_user_id:
        return text.strip()
    return re.sub(rf"[\s,]*<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", "", text).strip(" ,")


def _from_a_person(event: dict) -> bool:
    return not event.get("subtype") and not event.get("bot_id") and bool(event.get("user"))
