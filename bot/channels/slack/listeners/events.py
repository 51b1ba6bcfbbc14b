"""Mentions (answered in their thread) and direct messages, from people only."""

from __future__ import annotations

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.channels.slack.app import SlackBot, ask_in
from bot.channels.slack.asks import from_a_person


def register(app: App, bot: SlackBot) -> None:
    # Events are acked by Bolt before their listener runs (process_before_response=False), and the
    # listener runs on the worker pool: no lazy listener, whose copy of the request costs the ack.
    # The question was read, and its job claimed, before the ack (app.py `_claim_before_ack`).
    def on_ask(body: dict, context: BoltContext, client: WebClient) -> None:
        ask, claimed = ask_in(body, context)
        if ask is not None:
            bot.handle(ask.question, ask.user_id, ask.channel, ask.thread_ts, ask.channel_type, client,
                       body.get("event_id"), team_id=ask.team_id, claimed=claimed)

    # Another bot's mention or message is never answered: two bots answering each other loop.
    app.event("app_mention", matchers=[from_a_person])(on_ask)
    # Plain DMs from people; edits, deletions and bots' messages carry a subtype or a bot_id.
    app.event({"type": "message", "channel_type": "im"}, matchers=[from_a_person])(on_ask)
