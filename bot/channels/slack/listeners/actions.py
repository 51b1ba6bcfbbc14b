"""Buttons on an answer: a follow-up question, 👍/👎 feedback, a chart.

Feedback and Chart carry no question: the answer is found by the message it became
(`state.posted_answer`, keyed by channel and message ts, saved by `SlackBot.deliver`).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import fields
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.channels.slack.app import SlackBot
from bot.channels.slack.charts import chartable
from bot.core.answer import Answer
from bot.core.i18n import t
from bot.state import PostedAnswer, posted_answer, save_feedback

log = logging.getLogger("ccobot.slack")
ANSWER_FIELDS = {f.name for f in fields(Answer)} - {"parts", "summary", "plan"}


def register(app: App, bot: SlackBot) -> None:
    def ack_now(ack) -> None:  # noqa: ANN001 (Bolt injects by name)
        ack()

    def follow_up(body: dict, action: dict, client: WebClient) -> None:
        channel, _ = message_of(body)
        bot.handle(action.get("value", "")[:2000], body["user"]["id"], channel, thread_of(body), None, client)

    def feedback(body: dict, action: dict, respond) -> None:  # noqa: ANN001
        channel, ts = message_of(body)
        post = _post(bot, channel, ts)
        question = post.question if post else _legacy_question(action.get("value"))
        save_feedback(bot.state, user_id=body["user"]["id"], channel=channel, message_ts=ts, question=question,
                      vote=vote_of(action))
        respond(text=t("feedback_thanks", _lang(post)), response_type="ephemeral", replace_original=False)

    def chart(body: dict, respond, client: WebClient) -> None:  # noqa: ANN001
        channel, ts = message_of(body)
        post = _post(bot, channel, ts)
        answer = answer_from_json(post.answer) if post else None
        if answer is None or not chartable(answer):
            code = "chart_gone" if answer is None else "chart_nothing"
            return respond(text=t(code, _lang(post)), response_type="ephemeral", replace_original=False)
        with bot.using(client):
            if (body.get("container") or {}).get("is_ephemeral"):  # only the asker saw it: so the chart
                dm = client.conversations_open(users=body["user"]["id"])["channel"]["id"]  # im:write
                return bot.upload_chart(answer, dm, None)
            bot.upload_chart(answer, channel, thread_of(body))

    app.action(re.compile(r"^followup_\d+$"))(ack=ack_now, lazy=[follow_up])
    app.action(re.compile(r"^feedback(_up|_down)?$"))(ack=ack_now, lazy=[feedback])  # _up/_down: older messages
    app.action("chart")(ack=ack_now, lazy=[chart])


def message_of(body: dict) -> tuple[str, str | None]:
    """The channel and ts of the message the button is on (an ephemeral one has only `container`)."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    return channel, (body.get("message") or {}).get("ts") or container.get("message_ts")


def thread_of(body: dict) -> str | None:
    """Where an answer to a button goes: the thread of the message the button is on."""
    message = body.get("message") or {}
    return message.get("thread_ts") or message.get("ts") or (body.get("container") or {}).get("thread_ts")


def vote_of(action: dict) -> str:
    """'up' or 'down': the feedback button's value, or (older messages) its action id."""
    if action.get("action_id") in ("feedback_up", "feedback_down"):
        return action["action_id"].removeprefix("feedback_")
    return "up" if action.get("value") == "up" else "down"


def answer_from_json(data: dict[str, Any]) -> Answer:
    """An Answer again from its JSON form (contracts/cli.md), parts included."""
    answer = Answer(**{k: v for k, v in data.items() if k in ANSWER_FIELDS})
    answer.parts = [answer_from_json(p) for p in data.get("parts") or []]
    return answer


def _post(bot: SlackBot, channel: str, ts: str | None) -> PostedAnswer | None:
    post = posted_answer(bot.state, channel, ts) if channel and ts else None
    if post is None:
        log.info("no posted answer for %s/%s", channel, ts)
    return post


def _lang(post: PostedAnswer | None) -> str:
    return (post.answer or {}).get("lang", "en") if post else "en"


def _legacy_question(value: str | None) -> str:
    """The question older 👍/👎 buttons carried in their value (JSON); new ones carry 'up'/'down'."""
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return ""
    return str(data.get("q", "")) if isinstance(data, dict) else ""
