"""Mentions (answered in their thread) and direct messages."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.channels.slack.app import SlackBot

MENTION = re.compile(r"<@[UW][A-Z0-9]+>")


def register(app: App, bot: SlackBot) -> None:
    def ack_now(ack) -> None:  # noqa: ANN001 (Bolt injects by name)
        ack()

    def on_mention(event: dict) -> None:
        question = MENTION.sub("", event.get("text", ""), count=1).strip()  # the bot's own mention
        bot.handle(question, event["user"], event["channel"], event.get("thread_ts") or event["ts"],
                   event.get("channel_type"))

    def on_direct_message(event: dict) -> None:
        bot.handle(event.get("text", ""), event["user"], event["channel"], event.get("thread_ts") or event["ts"], "im")

    app.event("app_mention")(ack=ack_now, lazy=[on_mention])
    # Plain DMs from people; edits, deletions and bots' messages carry a subtype or a bot_id.
    app.event({"type": "message", "channel_type": "im"}, matchers=[_from_a_person])(ack=ack_now,
                                                                                     lazy=[on_direct_message])


def _from_a_person(event: dict) -> bool:
    return not event.get("subtype") and not event.get("bot_id") and bool(event.get("user"))
