"""The App Home tab: this quarter's KPIs for the person's own scope (views.publish): a manager's
team, an executive's company, a rep's own numbers."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.channels.slack.app import SlackBot
from bot.channels.slack.blocks import escape

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
            client.views_publish(user_id=event["user"], view={"type": "home", "blocks": home_blocks(bot, event["user"])})

    app.event("app_home_opened")(publish_home)  # acked by Bolt first, then run on the worker pool


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
    return blocks


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": escape(text)[:2990]}}
