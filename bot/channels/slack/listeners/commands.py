"""Slash commands: /kpi <question>, /playbook <question>, /ccobot help (commands scope)."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.channels.slack.app import SlackBot
from bot.channels.slack.blocks import render
from bot.core.answer import Answer
from bot.nlu.text import detect_language


def register(app: App, bot: SlackBot) -> None:
    def ack_now(ack, command: dict) -> None:  # noqa: ANN001
        ack()  # within 3 s; the answer follows through response_url

    def ask(command: dict, respond, client: WebClient) -> None:  # noqa: ANN001
        with bot.using(client):
            _reply(bot, command, respond, command.get("text") or "help")

    def playbook(command: dict, respond) -> None:  # noqa: ANN001
        question = bot.plain(command.get("text") or "")
        if bot.assistant.playbook is None or not question:
            return _reply(bot, command, respond, "help")
        lang = detect_language(question.lower(), question.lower().split())
        reply = bot.assistant.playbook.ask(question, lang)
        kind = "playbook" if reply.covered or reply.indexing else "not_covered"
        text, blocks = render(Answer(question=question, kind=kind, lang=lang, text=reply.text,
                                     citations=reply.citations))
        respond(text=text, blocks=blocks, response_type="in_channel" if reply.covered else "ephemeral")

    app.command("/kpi")(ack=ack_now, lazy=[ask])
    app.command("/playbook")(ack=ack_now, lazy=[playbook])
    app.command("/ccobot")(ack=ack_now, lazy=[ask])


def _reply(bot: SlackBot, command: dict, respond, question: str) -> None:  # noqa: ANN001
    try:
        answer = bot.answer(question, command["user_id"], command["channel_id"], None)
        text, blocks = render(answer)
        public = bot.everyone_may_see(answer, command["channel_id"], None, command["user_id"]) \
            and answer.kind in ("kpi", "playbook")
        respond(text=text, blocks=blocks, response_type="in_channel" if public else "ephemeral")
    except Exception as exc:  # noqa: BLE001 (the apology path: only to the asker, through response_url)
        respond(text=bot.apology(exc), response_type="ephemeral")
