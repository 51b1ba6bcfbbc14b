"""Buttons on an answer: a follow-up question, 👍/👎 feedback, a chart; buttons on a morning
digest: ask about a deal, mute a deal, change the time (the settings modal, also opened from the
App Home, and its submission).

Feedback and Chart carry no question: the answer is found by the message it became
(`state.posted_answer`, keyed by channel and message ts, saved by `SlackBot.deliver`).
"""

from __future__ import annotations

import json
import logging
import re

from slack_bolt import App
from slack_sdk import WebClient

from bot.channels.slack.app import SlackBot
from bot.channels.slack.blocks import escape
from bot.core.charts import chartable
from bot.channels.slack.digest_blocks import CALLBACK_ID, settings_from_state, settings_view
from bot.digest.render import days_text
from bot.channels.slack.listeners.commands import DigestUser
from bot.channels.slack.listeners.home import publish
from bot.core.answer import Answer
from bot.core.i18n import t
from bot.digest.deal import about_deal, mute_deal
from bot.state import PostedAnswer, posted_answer, save_feedback

log = logging.getLogger("ccobot.slack")


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
        answer = Answer.from_json(post.answer) if post else None
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
    register_digest(app, bot, ack_now)


# ---------------------------------------------------------------- the digest's buttons and modal

def register_digest(app: App, bot: SlackBot, ack_now) -> None:  # noqa: ANN001
    def ask(body: dict, action: dict, respond, client: WebClient) -> None:  # noqa: ANN001
        """The deal's row as an answer in the digest's thread: where everyone may see it, else to
        the person alone (bot/digest/deal.py)."""
        user = body["user"]["id"]
        with bot.using(client):
            person = DigestUser.of(bot, user)
            if not person.matched:
                return _tell(body, respond, client, t("digest_ui_not_rep", person.lang))
            answer = about_deal(bot.assistant, user, person.who, str(action.get("value") or ""), person.lang)
            if answer.kind != "deals":  # gone, or not theirs to see
                return _tell(body, respond, client, answer.text)
            channel, _ = message_of(body)
            if (body.get("container") or {}).get("is_ephemeral") or not channel:  # a preview only they saw
                dm = client.conversations_open(users=user)["channel"]["id"]
                return bot.deliver(answer, dm, user, None, "im")
            bot.deliver(answer, channel, user, thread_of(body))

    def mute(body: dict, action: dict, respond, client: WebClient) -> None:  # noqa: ANN001
        """Leave the deal out of this person's digests from now on."""
        user = body["user"]["id"]
        with bot.using(client):
            person = DigestUser.of(bot, user)
            if not person.matched or person.sub is None:
                return _tell(body, respond, client, t("digest_ui_not_rep", person.lang))
            _tell(body, respond, client, mute_deal(bot.assistant.engine, person.sub, person.who,
                                                   str(action.get("value") or ""), person.lang, person.save))

    def change_time(body: dict, action: dict, respond, client: WebClient) -> None:  # noqa: ANN001
        """The settings modal (time and days), from a digest or from the App Home."""
        user = body["user"]["id"]
        with bot.using(client):
            person = DigestUser.of(bot, user)
            if not person.matched or person.sub is None:
                return _tell(body, respond, client, t("digest_ui_not_rep", person.lang))
            home = (body.get("view") or {}).get("type") == "home"
            channel, _ = message_of(body)
            meta = json.dumps({"home": home, "channel": None if home else channel or None})
            client.views_open(trigger_id=body["trigger_id"], view=settings_view(person.sub, person.lang, meta))

    def check_settings(ack, body: dict, view: dict) -> None:  # noqa: ANN001
        """Ack the submission at once: a modal with no day ticked stays open, saying so."""
        _, days = settings_from_state(view)
        if days == "":
            person = DigestUser.of(bot, body["user"]["id"])
            if person.sub is not None:
                return ack(response_action="update", view=settings_view(
                    person.sub, person.lang, view.get("private_metadata") or "", t("digest_ui_no_days", person.lang)))
        ack()

    def save_settings(body: dict, view: dict, client: WebClient) -> None:
        picked_time, days = settings_from_state(view)
        if days == "":
            return
        user = body["user"]["id"]
        with bot.using(client):
            person = DigestUser.of(bot, user)
            if not person.matched or person.sub is None:
                return
            changes = {k: v for k, v in (("local_time", picked_time), ("days", days)) if v}
            sub = person.save(**changes) if changes else person.sub
            try:
                meta = json.loads(view.get("private_metadata") or "{}")
            except ValueError:
                meta = {}
            if meta.get("home"):
                publish(bot, client, user)
            elif meta.get("channel"):
                text = t("digest_ui_settings_saved", person.lang, time=sub.local_time,
                         days=days_text(sub.days, person.lang))
                client.chat_postEphemeral(channel=meta["channel"], user=user, text=escape(text))

    def safely(work):  # noqa: ANN001, ANN202
        """A failure reaches the person as an apology with a reference, never as silence."""
        def run(body: dict, action: dict, respond, client: WebClient) -> None:  # noqa: ANN001
            try:
                work(body, action, respond, client)
            except Exception as exc:  # noqa: BLE001 (the apology path)
                _tell(body, respond, client, bot.apology(exc))

        run.__name__ = work.__name__  # Bolt tells lazy listeners apart by name
        return run

    app.action(re.compile(r"^digest_ask(_\d+)?$"))(ack=ack_now, lazy=[safely(ask)])
    app.action(re.compile(r"^digest_mute(_\d+)?$"))(ack=ack_now, lazy=[safely(mute)])
    app.action("digest_time")(ack=ack_now, lazy=[safely(change_time)])
    app.action(re.compile(r"^digest_pick_(time|days)$"))(ack_now)  # changes inside the modal: read on submit
    app.view(CALLBACK_ID)(ack=check_settings, lazy=[save_settings])


def _tell(body: dict, respond, client: WebClient, text: str) -> None:  # noqa: ANN001
    """A short reply only the person sees: through the button's response_url, else ephemeral in the
    channel the button is in, else in their DM."""
    user = body["user"]["id"]
    if respond is not None and body.get("response_url"):
        return respond(text=escape(text), response_type="ephemeral", replace_original=False)
    channel, _ = message_of(body)
    if channel:
        client.chat_postEphemeral(channel=channel, user=user, text=escape(text))
    else:
        client.chat_postMessage(channel=user, text=escape(text))


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
