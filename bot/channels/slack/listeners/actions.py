"""Buttons: a follow-up question, or 👍/👎 feedback stored in the state database."""

from __future__ import annotations

import json
import re

from slack_bolt import App

from bot.channels.slack.app import SlackBot
from bot.state import save_feedback

THANKS = "Thanks for the feedback."


def register(app: App, bot: SlackBot) -> None:
    def ack_now(ack) -> None:  # noqa: ANN001
        ack()

    def follow_up(body: dict, action: dict) -> None:
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id")
        thread = message.get("thread_ts") or message.get("ts")
        bot.handle(action.get("value", ""), body["user"]["id"], channel, thread)

    def feedback(body: dict, action: dict, respond) -> None:  # noqa: ANN001
        meta = _meta(action.get("value"))
        channel = (body.get("channel") or {}).get("id") or ""
        save_feedback(bot.state, user_id=body["user"]["id"], channel=channel,
                      message_ts=(body.get("message") or {}).get("ts"), question=meta.get("q", ""),
                      vote="up" if action["action_id"] == "feedback_up" else "down")
        respond(text=THANKS, response_type="ephemeral", replace_original=False)

    app.action(re.compile(r"^followup_\d+$"))(ack=ack_now, lazy=[follow_up])
    app.action(re.compile(r"^feedback_(up|down)$"))(ack=ack_now, lazy=[feedback])


def _meta(value: str | None) -> dict:
    try:
        data = json.loads(value or "{}")
        return data if isinstance(data, dict) else {}
    except ValueError:
        return {}
