"""The Teams face: Bot Connector activities in, the assistant's answers out as Adaptive Cards.

    POST /api/messages (bot/web.py) → TeamsAuth (JWT) → the Agents SDK's CloudAdapter and
    AgentApplication → on_message: the question (the bot's own @mention taken out, or a card
    button's value), the asker matched to a rep by the email Teams gives for their account →
    Assistant.ask on a worker thread, a typing indicator meanwhile → one reply: an Adaptive Card
    1.5 with a plain-text fallback (bot/channels/teams/cards.py), posted by the SDK to the
    activity's serviceUrl.

Where others read (a channel or a group chat) only answers without figures are posted; figures,
which the access rules give to one person, are answered in the personal chat ("ask me there"),
never into the room. The bot stores no message text; logs hold ids only.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import OrderedDict

import anyio.to_thread
from microsoft_agents.activity import Activity, ActivityTypes, Attachment
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core import (AgentApplication, AgentAuthConfiguration, Connections, MemoryStorage,
                                           TurnContext, TurnState)
from microsoft_agents.hosting.fastapi import CloudAdapter
from sqlalchemy.engine import Engine as SqlEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.access import identify
from bot.state import save_feedback
from bot.channels.teams.auth import TeamsAuth, Unauthorised
from bot.channels.teams.cards import CONTENT_TYPE, answer_card, plain
from bot.channels.teams.references import References
from bot.config import Settings
from bot.core.answer import Answer
from bot.core.assistant import Assistant
from bot.core.conversation import Conversation
from bot.core.i18n import t

log = logging.getLogger("ccobot.teams")
PRIVATE_PLACES = ("personal",)  # Teams' conversationType of a one-to-one chat with the bot
WORDS_ONLY = ("playbook", "not_covered", "help", "clarify")  # kinds that carry no figures
CONVERSATIONS = 2_000  # conversations whose context is kept (the oldest forgotten first)
MAX_QUESTION = 4_000


def auth_config(settings: Settings) -> AgentAuthConfiguration:
    secret = settings.microsoft_app_password.get_secret_value() if settings.microsoft_app_password else None
    return AgentAuthConfiguration(client_id=settings.microsoft_app_id, tenant_id=settings.microsoft_app_tenant_id,
                                  client_secret=secret, anonymous_allowed=settings.ccobot_teams_anonymous)


class TeamsBot:
    def __init__(self, assistant: Assistant, settings: Settings, state: SqlEngine | None = None,
                 connections: Connections | None = None) -> None:
        """`state` keeps feedback and where each person can be reached for their digest;
        `connections` gives the bot its own tokens for the Bot Connector (MSAL from the app
        registration by default; tests pass a local one)."""
        self.assistant, self.state = assistant, state
        self.references = References(state) if state is not None else None
        config = auth_config(settings)
        self.connections = connections or MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": config})
        self.auth = TeamsAuth(config, settings.ccobot_teams_trusted_issuer, settings.ccobot_teams_trusted_jwks_url)
        self.adapter = CloudAdapter(connection_manager=self.connections)
        self.adapter.on_turn_error = self.on_error  # the SDK's own would show the exception's text
        self.app = AgentApplication[TurnState](storage=MemoryStorage(), connection_manager=self.connections)
        self.app.activity(ActivityTypes.message)(self.on_message)
        # Card buttons as Universal Actions (an adaptiveCard/action invoke); their Action.Submit
        # fallbacks arrive as messages with the same data (on_message)
        self.app.adaptive_card.action_execute("followup")(self.on_followup)
        self.app.adaptive_card.action_execute("feedback")(self.on_feedback)
        self.app.installation_update()(self.on_install)
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()

    async def endpoint(self, request: Request) -> Response:
        """POST /api/messages: 401 without a valid token, else the SDK's answer (202, or an invoke's)."""
        try:
            request.state.claims_identity = await self.auth.claims(request.headers.get("Authorization"))
        except Unauthorised as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        return await self.adapter.process(request, self.app)

    async def on_error(self, context: TurnContext, error: Exception) -> None:
        """A failed turn: the person gets an apology and a reference, the log the detail."""
        ref = uuid.uuid4().hex[:8]
        log.error("Teams turn failed (ref %s)", ref, exc_info=error)
        try:
            await context.send_activity(Activity(type=ActivityTypes.message, text=plain(t("apology", "en", ref=ref))))
        except Exception:  # noqa: BLE001 (the connector is what failed: nothing more to say)
            log.warning("Teams apology not delivered (ref %s)", ref)

    # ------------------------------------------------------------ a message

    async def on_message(self, context: TurnContext, state: TurnState) -> None:
        data = context.activity.value if isinstance(context.activity.value, dict) else {}
        if data.get("verb") == "feedback":  # a 👍/👎 from a client without Universal Actions
            return await self.on_feedback(context, state, data)
        await self.answer(context, question_of(context.activity))

    async def on_install(self, context: TurnContext, state: TurnState) -> None:
        """Installed in someone's personal scope: their chat is kept for the digest from now on."""
        activity = context.activity
        if activity.action == "add" and activity.conversation is not None \
                and (activity.conversation.conversation_type or "personal") in PRIVATE_PLACES:
            await anyio.to_thread.run_sync(self.remember, activity, await self.asker(context))

    async def on_followup(self, context: TurnContext, state: TurnState, data: object) -> None:
        question = data.get("question") if isinstance(data, dict) else None
        if isinstance(question, str):
            await self.answer(context, question[:MAX_QUESTION])

    async def on_feedback(self, context: TurnContext, state: TurnState, data: object) -> None:
        """👍/👎, kept with ids and the question it was about (as Slack's feedback is)."""
        data = data if isinstance(data, dict) else {}
        vote = data.get("value")
        if vote not in ("up", "down"):
            return
        activity = context.activity
        if self.state is not None:
            save_feedback(self.state, user_id=activity.from_property.id if activity.from_property else "",
                          channel=activity.conversation.id if activity.conversation else "",
                          message_ts=activity.reply_to_id, question=str(data.get("question") or "")[:2000], vote=vote)
        lang = data.get("lang") if data.get("lang") in ("en", "da", "sv") else "en"
        await context.send_activity(Activity(type=ActivityTypes.message, text=t("feedback_thanks", lang)))

    async def answer(self, context: TurnContext, question: str) -> None:
        """A question from a message or a button: answered in this conversation, as a card."""
        activity = context.activity
        if not question:
            return
        await context.send_activity(Activity(type=ActivityTypes.typing))
        asker = await self.asker(context)
        place = (activity.conversation.conversation_type or "personal") if activity.conversation else "personal"
        if place in PRIVATE_PLACES:
            await anyio.to_thread.run_sync(self.remember, activity, asker)  # a database write
        convo = self._conversation(activity.conversation.id if activity.conversation else "")
        answer = await anyio.to_thread.run_sync(
            lambda: self.assistant.ask(question, user=asker, conversation=convo))
        if place not in PRIVATE_PLACES and not words_only(answer):
            answer = Answer(question=question, kind="help", lang=answer.lang, text=t("teams_ask_privately", answer.lang))
        await context.send_activity(reply(answer))
        log.info("teams answer", extra={"conversation": activity.conversation.id if activity.conversation else None,
                                        "kind": answer.kind})

    async def asker(self, context: TurnContext) -> str:
        """Who asks, as the assistant knows people: the email (or UPN) of their Teams account,
        from the conversation's member record; the Teams id when Teams does not say (matched to
        nobody). Never None, which the assistant would read as the command line's admin."""
        sender = context.activity.from_property
        if sender is None or not sender.id:
            return "teams:unknown"
        try:
            connector = context.turn_state.get("ConnectorClient")
            member = await connector.conversations.get_conversation_member(context.activity.conversation.id, sender.id)
            extra = member.model_dump(by_alias=True, exclude_none=True) if hasattr(member, "model_dump") else {}
            email = extra.get("email") or extra.get("userPrincipalName")
        except Exception as exc:  # noqa: BLE001 (no roster access: the id alone, matched to nobody)
            log.info("Teams member lookup failed: %s", type(exc).__name__)
            email = None
        return email or sender.aad_object_id or sender.id

    def remember(self, activity: Activity, asker: str) -> None:
        """A matched person's personal chat, kept for their morning digest (ids only)."""
        who = identify(self.assistant.engine.store, asker)
        if self.references is None or who.rep_id is None or activity.conversation is None:
            return
        reference = activity.get_conversation_reference().model_dump(mode="json", by_alias=True, exclude_none=True)
        reference.pop("activityId", None)  # a digest is a message of its own, not a reply to this one
        zone = next((e.timezone for e in activity.entities or [] if getattr(e, "type", None) == "clientInfo"
                     and getattr(e, "timezone", None)), None)
        self.references.remember(who.rep_id, activity.conversation.id, reference, zone)

    def _conversation(self, key: str) -> Conversation:
        """The conversation's context (follow-ups), kept for the most recent conversations only."""
        convo = self._conversations.pop(key, None) or Conversation()
        self._conversations[key] = convo
        while len(self._conversations) > CONVERSATIONS:
            self._conversations.popitem(last=False)
        return convo


def question_of(activity: Activity) -> str:
    """The question: a card button's (Action.Submit sends its data as the value), else the text
    without the bot's own @mention (`<at>Bot</at>`), others' mentions kept as names."""
    value = activity.value if isinstance(activity.value, dict) else {}
    if isinstance(value.get("question"), str):
        return value["question"][:MAX_QUESTION].strip()
    text = activity.text or ""
    me = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        data = entity.model_dump(by_alias=True, exclude_none=True) if hasattr(entity, "model_dump") else dict(entity)
        if data.get("type") == "mention" and (data.get("mentioned") or {}).get("id") == me and data.get("text"):
            text = text.replace(data["text"], " ")
    text = re.sub(r"</?at>", "", text)  # another person's mention: their name stays
    return re.sub(r"\s+", " ", text)[:MAX_QUESTION].strip()


def words_only(answer: Answer) -> bool:
    """Does the answer carry no figures (so anyone in the room may read it)?"""
    parts = answer.parts or [answer]
    return all(p.kind in WORDS_ONLY and not p.figures for p in parts)


def reply(answer: Answer) -> Activity:
    """The answer as one message: the Adaptive Card (its fallbackText the whole answer as text, for
    clients without cards) and a one-line summary for notifications. No `text` beside the card:
    Teams would show the answer twice."""
    return Activity(type=ActivityTypes.message, summary=summary_of(answer.summary or answer.text),
                    attachments=[Attachment(content_type=CONTENT_TYPE, content=answer_card(answer))])


def summary_of(text: str) -> str:
    """A notification's line: the first line, short."""
    first = (text or "").strip().split("\n", 1)[0]
    return first if len(first) <= 200 else first[:199].rsplit(" ", 1)[0] + "…"
