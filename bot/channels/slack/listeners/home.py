"""The App Home tab: this quarter's KPIs for the person's own scope (views.publish): a manager's
team, an executive's company, a rep's own numbers; then their morning digest's settings, with
Subscribe/Unsubscribe, Change time (the settings modal, listeners/actions.py) and Preview (the
digest they would get today, posted to their DM)."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.channels.slack.app import SlackBot
from bot.channels.slack.blocks import escape
from bot.channels.slack.digest_blocks import home_section
from bot.channels.slack.listeners.commands import DigestUser
from bot.channels.slack.outbox import Post
from bot.core.i18n import t

log = logging.getLogger("ccobot.slack")
KPIS = ("revenue", "win rate", "pipeline", "quota attainment")
SCOPES = {  # role → how the questions name the scope, and the tab's heading
    "manager": ("my team's {kpi} this quarter", "Your team's KPIs this quarter"),
    "exec": ("{kpi} this quarter", "The company's KPIs this quarter"),
    "admin": ("{kpi} this quarter", "The company's KPIs this quarter"),
}
OWN = ("my {kpi} this quarter", "Your KPIs this quarter")


def register(app: App, bot: SlackBot) -> None:
    def publish_home(event: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        with bot.using(client):
            publish(bot, client, event["user"])

    def ack_now(ack) -> None:  # noqa: ANN001 (Bolt injects by name)
        ack()

    def subscribe(body: dict, client: WebClient) -> None:
        _toggle(body, client, True)

    def unsubscribe(body: dict, client: WebClient) -> None:
        _toggle(body, client, False)

    def _toggle(body: dict, client: WebClient, active: bool) -> None:
        user = body["user"]["id"]
        with bot.using(client):
            person = DigestUser.of(bot, user)
            if person.matched:
                person.save(active=active)
            publish(bot, client, user)

    def preview(body: dict, client: WebClient) -> None:
        """The digest the person would get today, in their DM with the bot."""
        user = body["user"]["id"]
        with bot.using(client):
            try:
                person = DigestUser.of(bot, user)
                dm = client.conversations_open(users=user)["channel"]["id"]
                if not person.matched:
                    text, blocks = t("digest_ui_not_rep", person.lang), None
                else:
                    text, blocks = person.preview_message()
            except Exception as exc:  # noqa: BLE001 (the apology path)
                dm, text, blocks = user, bot.apology(exc), None
            kwargs = dict(channel=dm, text=text, unfurl_links=False, unfurl_media=False)
            bot.outbox.put(Post(client, "chat_postMessage", kwargs | ({"blocks": blocks} if blocks else {}),
                                failed=lambda error: log.warning("digest preview not posted: %s", error)))

    app.event("app_home_opened")(publish_home)  # acked by Bolt first, then run on the worker pool
    app.action("digest_subscribe")(ack=ack_now, lazy=[subscribe])
    app.action("digest_unsubscribe")(ack=ack_now, lazy=[unsubscribe])
    app.action("digest_preview")(ack=ack_now, lazy=[preview])


def publish(bot: SlackBot, client: WebClient, user: str) -> None:
    client.views_publish(user_id=user, view={"type": "home", "blocks": home_blocks(bot, user)})


def home_blocks(bot: SlackBot, user: str) -> list[dict]:
    question, heading = SCOPES.get(bot.role_of(user), OWN)
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": heading}}]
    for kpi in KPIS:
        answer = bot.answer(question.format(kpi=kpi), user, f"home-{user}", None)
        if answer.kind == "denied":
            return [blocks[0], _section(answer.text)]
        blocks.append(_section(answer.text))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn",
                   "text": "Ask me anything in a DM, e.g. _win rate by region last quarter_."}]})
    return blocks + digest_blocks(bot, user)


def digest_blocks(bot: SlackBot, user: str) -> list[dict]:
    """The "Morning digest" section: the person's settings and buttons ([] for someone who is no rep)."""
    try:
        person = DigestUser.of(bot, user)
    except Exception:  # noqa: BLE001 (the KPIs still show when the settings cannot be read)
        log.exception("digest settings for the Home tab failed")
        return []
    if not person.matched or person.sub is None:
        return []
    return home_section(person.sub, person.zone, person.lang)


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": escape(text)[:2990]}}
