"""The App Home tab: the asker's own KPIs this quarter (views.publish)."""

from __future__ import annotations

from slack_bolt import App

from bot.channels.slack.app import SlackBot
from bot.channels.slack.blocks import escape

HOME_QUESTIONS = ["my revenue this quarter", "my win rate this quarter", "my pipeline this quarter",
                  "my quota attainment this quarter"]


def register(app: App, bot: SlackBot) -> None:
    def publish_home(event: dict, client) -> None:  # noqa: ANN001
        if event.get("tab", "home") != "home":
            return
        user = event["user"]
        blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Your KPIs this quarter"}}]
        for question in HOME_QUESTIONS:
            answer = bot.answer(question, user, f"home-{user}", None)
            if answer.kind == "denied":
                blocks = [blocks[0], _section(answer.text)]
                break
            blocks.append(_section(answer.text))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn",
                       "text": "Ask me anything in a DM, e.g. _win rate by region last quarter_."}]})
        client.views_publish(user_id=user, view={"type": "home", "blocks": blocks})

    app.event("app_home_opened")(ack=lambda ack: ack(), lazy=[publish_home])


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": escape(text)[:2990]}}
