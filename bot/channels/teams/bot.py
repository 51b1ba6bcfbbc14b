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

import asyncio
import hashlib
import logging
import re
import time
import uuid
from collections import OrderedDict
from typing import Awaitable, Callable

import anyio.to_thread
from microsoft_agents.activity import (Activity, ActivityTypes, Attachment, ConversationAccount,
                                      ConversationParameters, ConversationReference)
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core import (AgentApplication, AgentAuthConfiguration, Connections, MemoryStorage,
                                           TurnContext, TurnState)
from microsoft_agents.hosting.fastapi import CloudAdapter
from sqlalchemy.engine import Engine as SqlEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.access import Identity, identify
from bot.channels.teams.auth import TeamsAuth, Unauthorised
from bot.channels.teams.cards import CONTENT_TYPE, answer_card, chart_message, plain
from bot.channels.teams.digest_ui import DigestUI, lang_of
from bot.channels.teams.references import References
from bot.config import Settings
from bot.core.answer import Answer
from bot.core.assistant import Assistant
from bot.core.audience import People, room_may_see, words_only
from bot.core.charts import asked_for, chartable
from bot.core.conversation import Conversation
from bot.core.i18n import t
from bot.state import claim_event, posted_answer, remember_post, save_feedback

log = logging.getLogger("ccobot.teams")
Send = Callable[[Activity], Awaitable[object]]  # posts a message into one conversation
PRIVATE_PLACES = ("personal",)  # Teams' conversationType of a one-to-one chat with the bot
IN_TURN_SECONDS = 10.0  # an answer ready by then is the turn's reply; a later one is sent proactively
CONVERSATIONS = 2_000  # conversations whose context and roster are kept (the oldest forgotten first)
ROSTER_SECONDS = 300  # who is in a room, as Slack's channel members are kept
ROSTER_PAGE = 500  # Teams' largest page of members
MAX_QUESTION = 4_000
# "digest", "digest preview", "overblik off", "översikt on": the digest's settings, not a question
DIGEST_COMMAND = re.compile(r"(?:digest|overblik|översikt)(?:\s+(on|off|preview|unmute))?", re.IGNORECASE)


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
        self.digest_ui = DigestUI(self)
        self._buttons = {"followup": self.on_followup, "feedback": self.on_feedback, "chart": self.on_chart,
                         **self.digest_ui.buttons()}
        for verb, handler in self._buttons.items():
            self.app.adaptive_card.action_execute(verb)(handler)
        self.app.installation_update()(self.on_install)
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()
        self._rosters: dict[str, tuple[float, list[Identity]]] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._later: set[asyncio.Future] = set()  # answers still being worked on after their turn
        self.app_id = settings.microsoft_app_id or ""

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
        handler = self._buttons.get(str(data.get("verb") or ""))
        if handler is not None and handler is not self.on_followup:  # a button from a client without Universal Actions
            return await handler(context, state, data)
        question = question_of(context.activity)
        command = DIGEST_COMMAND.fullmatch(question)
        if command:
            return await self.digest_ui.command(context, (command.group(1) or "").lower())
        await self.answer(context, question)

    async def on_install(self, context: TurnContext, state: TurnState) -> None:
        """Installed in someone's personal scope: their chat is kept for the digest from now on."""
        activity = context.activity
        if activity.action == "add" and activity.conversation is not None and in_private(activity):
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
        await self.say(context, t("feedback_thanks", lang_of(data)))

    async def on_chart(self, context: TurnContext, state: TurnState, data: object) -> None:
        """Chart: the answer the card showed, found by the card's message (kept when it was posted),
        drawn and posted where the answer may go."""
        activity, lang = context.activity, lang_of(data)
        post = None
        if self.state is not None and activity.conversation and activity.reply_to_id:
            post = await anyio.to_thread.run_sync(posted_answer, self.state, activity.conversation.id,
                                                  activity.reply_to_id)
        answer = Answer.from_json(post.answer) if post else None
        if answer is None or not chartable(answer):
            return await self.say(context, t("chart_gone" if answer is None else "chart_nothing", lang))
        await self.deliver(context, answer, chart_only=True)

    # ------------------------------------------------------------ answering

    async def answer(self, context: TurnContext, question: str) -> None:
        """A question from a message or a button: answered in this conversation, as a card, once
        (Teams may send an activity again when the bot was slow to take it)."""
        activity = context.activity
        if not question or not await anyio.to_thread.run_sync(self._first_time, activity):
            return
        await context.send_activity(Activity(type=ActivityTypes.typing))
        asker = await self.asker(context)
        if in_private(activity):
            await anyio.to_thread.run_sync(self.remember, activity, asker)  # a database write
        convo = self._conversation(activity.conversation.id if activity.conversation else "")
        work = asyncio.ensure_future(anyio.to_thread.run_sync(
            lambda: self.assistant.ask(question, user=asker, conversation=convo)))
        try:  # shielded: a slow answer goes on when the turn stops waiting for it
            answer = await asyncio.wait_for(asyncio.shield(work), IN_TURN_SECONDS)
        except asyncio.TimeoutError:
            later = asyncio.ensure_future(self._answer_later(activity.get_conversation_reference(), work))
            self._later.add(later)
            later.add_done_callback(self._later.discard)
            return
        await self.deliver(context, answer)
        log.info("teams answer", extra={"conversation": activity.conversation.id if activity.conversation else None,
                                        "kind": answer.kind})

    async def _answer_later(self, reference: ConversationReference, work: asyncio.Future) -> None:
        """An answer that outlived the turn (Teams waits about 15 s for it): posted proactively into
        the same conversation, as a reply to the question, when it is ready."""
        try:
            answer = await work
            continuation = reference.get_continuation_activity()
            continuation.id = reference.activity_id  # the SDK replies to the turn's activity: the question
            await self.adapter.continue_conversation(self.app_id, continuation,
                                                     lambda context: self.deliver(context, answer))
        except Exception as exc:  # noqa: BLE001 (nobody is waiting on this task: say it in the log)
            log.error("Teams late answer failed (ref %s)", uuid.uuid4().hex[:8], exc_info=exc)

    def _first_time(self, activity: Activity) -> bool:
        """Is this the first time this message arrives? (Across instances, through the state
        database, as Slack's event ids are; in memory without one.)"""
        key = "teams:" + hashlib.sha256(f"{activity.conversation.id if activity.conversation else ''}"
                                        f"/{activity.id}".encode()).hexdigest()
        if not activity.id:
            return True
        if self.state is not None:
            return claim_event(self.state, key)
        if key in self._seen:
            return False
        self._seen[key] = None
        while len(self._seen) > CONVERSATIONS:
            self._seen.popitem(last=False)
        return True

    async def deliver(self, context: TurnContext, answer: Answer, chart_only: bool = False) -> None:
        """In this conversation when everyone in it may read the answer (bot/core/audience.py);
        else to the asker alone, in a personal chat, with a word in the room saying so."""
        activity = context.activity
        conversation = activity.conversation.id if activity.conversation else ""
        if in_private(activity) or words_only(answer) or room_may_see(answer, await self.room(context)):
            return await self.post(context.send_activity, conversation, answer, chart_only)
        personal = await self.personal_chat(context)
        if personal is None:
            return await self.say(context, t("teams_ask_privately", answer.lang))
        await self.post(personal[1], personal[0], answer, chart_only)
        await self.say(context, t("teams_sent_privately", answer.lang))

    async def post(self, send: Send, conversation: str, answer: Answer, chart_only: bool = False) -> None:
        """The answer's card (kept by its message id for the buttons on it), then its chart when the
        question asked for one; or the chart alone."""
        if not chart_only:
            response = await send(reply(answer))
            if self.state is not None and getattr(response, "id", None):
                await anyio.to_thread.run_sync(lambda: remember_post(
                    self.state, channel=conversation, ts=response.id, user_id="teams", question=answer.question,
                    kind=answer.kind, answer=answer.to_json()))
        if chart_only or asked_for(answer):
            chart = await anyio.to_thread.run_sync(chart_message, answer)  # matplotlib: off the event loop
            if chart is not None:
                await send(Activity(type=ActivityTypes.message, text=chart["text"],
                                    attachments=[Attachment.model_validate(chart["attachment"])]))
            elif chart_only:
                await send(Activity(type=ActivityTypes.message, text=plain(t("chart_nothing", answer.lang))))

    async def say(self, context: TurnContext, text: str) -> None:
        await context.send_activity(Activity(type=ActivityTypes.message, text=plain(text)))

    async def room(self, context: TurnContext) -> People:
        """Who is in this channel or group chat (Teams' roster, page by page, kept five minutes), as
        the access rules know them; nobody when Teams will not say, so no figures are posted."""
        key = context.activity.conversation.id if context.activity.conversation else ""
        hit = self._rosters.get(key)
        if hit is None or time.monotonic() - hit[0] > ROSTER_SECONDS:
            accounts = await self._roster(context, key)
            store = self.assistant.engine.store
            hit = (time.monotonic(), [identify(store, account_of(m)) for m in accounts])
            self._rosters[key] = hit
            while len(self._rosters) > CONVERSATIONS:
                self._rosters.pop(next(iter(self._rosters)))
        people = hit[1]
        return lambda: people

    async def _roster(self, context: TurnContext, conversation: str) -> list:
        connector = context.turn_state.get("ConnectorClient")
        accounts: list = []
        token = None
        try:
            while True:
                page = await connector.conversations.get_conversation_paged_members(
                    conversation, page_size=ROSTER_PAGE, continuation_token=token)
                accounts += page.members or []
                token = page.continuation_token
                if not token:
                    return accounts
        except Exception as exc:  # noqa: BLE001 (no roster: nobody may be assumed to see figures)
            log.info("Teams roster unavailable: %s", type(exc).__name__)
            return []

    async def personal_chat(self, context: TurnContext) -> tuple[str, Send] | None:
        """The asker's one-to-one chat with the bot (created, or found, by the Bot Connector) and a
        way to post into it; None when Teams will not open one (the app not installed for them)."""
        activity = context.activity
        connector = context.turn_state.get("ConnectorClient")
        tenant = activity.conversation.tenant_id if activity.conversation else None
        tenant = tenant or ((activity.channel_data or {}).get("tenant") or {}).get("id")
        try:
            created = await connector.conversations.create_conversation(ConversationParameters(
                is_group=False, bot=activity.recipient, members=[activity.from_property], tenant_id=tenant,
                channel_data={"tenant": {"id": tenant}} if tenant else None))
        except Exception as exc:  # noqa: BLE001 (the room then says where to ask)
            log.info("Teams personal chat not opened: %s", type(exc).__name__)
            return None
        chat = ConversationAccount(id=created.id, conversation_type="personal", tenant_id=tenant)

        async def send(message: Activity):  # noqa: ANN202
            message.conversation, message.from_property, message.recipient = chat, activity.recipient, \
                activity.from_property
            message.service_url, message.channel_id = activity.service_url, activity.channel_id
            return await connector.conversations.send_to_conversation(created.id, message)

        return created.id, send

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
            return account_of(member) or sender.aad_object_id or sender.id
        except Exception as exc:  # noqa: BLE001 (no roster access: the id alone, matched to nobody)
            log.info("Teams member lookup failed: %s", type(exc).__name__)
            return sender.aad_object_id or sender.id

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


def in_private(activity: Activity) -> bool:
    """A one-to-one chat with the bot (Teams' conversationType "personal")?"""
    return (activity.conversation.conversation_type or "personal") in PRIVATE_PLACES if activity.conversation else False


def account_of(member: object) -> str:
    """Who a Teams account is, as the assistant knows people: the email or UPN, else the ids."""
    data = member.model_dump(by_alias=True, exclude_none=True) if hasattr(member, "model_dump") else {}
    return str(data.get("email") or data.get("userPrincipalName") or data.get("aadObjectId") or data.get("id") or "")


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
