"""Slack's AI-assistant pane (bolt's Assistant): suggested prompts, status while working, a title."""

from __future__ import annotations

from slack_bolt import App, Assistant

from bot.channels.slack.app import SlackBot
from bot.core.i18n import EXAMPLES

GREETING = "Hi! Ask me about your KPIs or the CCO playbook, in English, Danish or Swedish."


def register(app: App, bot: SlackBot) -> None:
    pane = Assistant()

    @pane.thread_started
    def started(say, set_suggested_prompts) -> None:  # noqa: ANN001 (assistant:write)
        say(GREETING)
        set_suggested_prompts(prompts=[{"title": q, "message": q} for q in EXAMPLES["en"][:4]])

    @pane.user_message
    def message(payload: dict, set_status, set_title) -> None:  # noqa: ANN001
        question = payload.get("text", "")
        set_status("is looking that up…")
        set_title(question[:60] or "ccobot")
        bot.handle(question, payload["user"], payload["channel"], payload.get("thread_ts"), "im")

    app.use(pane)
