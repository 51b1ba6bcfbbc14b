"""The Bolt app: listeners registered per surface, one SlackBot that does the work for all of them.

Every surface acks at once and answers in a lazy listener, so Slack's 3-second limit holds
however slow the work. Each event is answered once: event ids are claimed in the state
database, which also covers Slack's retries and a second instance receiving the same event.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections import OrderedDict

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from sqlalchemy.engine import Engine as SqlEngine

from bot.access import identify
from bot.channels.slack.blocks import escape, render
from bot.channels.slack.charts import chart_png
from bot.core.answer import Answer
from bot.core.assistant import Assistant
from bot.core.conversation import Conversation
from bot.core.i18n import t
from bot.state import claim_event, remember_post

log = logging.getLogger("ccobot.slack")
PRIVATE_NOTE = {
    "en": "Only you can see this: it shows numbers not everyone in this channel may see.",
    "da": "Kun du kan se dette: det viser tal, som ikke alle i kanalen må se.",
    "sv": "Bara du kan se det här: det visar siffror som inte alla i kanalen får se.",
}


def make_client(token: str, api_url: str | None) -> WebClient:
    """A Web API client that waits out 429s (Retry-After) and retries dropped connections."""
    kwargs = {"base_url": api_url} if api_url else {}
    return WebClient(token=token, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3),
                                                  ConnectionErrorRetryHandler(max_retry_count=2)], **kwargs)


class SlackBot:
    """What every listener calls: who is asking, the answer, and where it may be posted."""

    def __init__(self, assistant: Assistant, state: SqlEngine, client: WebClient) -> None:
        self.assistant = assistant
        self.state = state
        self.client = client
        self._askers: dict[str, tuple[float, str]] = {}
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._threads: OrderedDict[tuple[str, str], Conversation] = OrderedDict()
        # Why the token no longer works ("invalid_auth", "token_revoked"), once Slack has said so:
        # /readyz reports it, and nothing more is attempted with it.
        self.auth_error: str | None = None

    # ------------------------------------------------------------ who and what

    def asker(self, user_id: str) -> str:
        """The id the assistant knows this person by: the Slack id, else their email (users.info,
        needs users:read.email), cached for ten minutes."""
        hit = self._askers.get(user_id)
        if hit and time.monotonic() - hit[0] < 600:
            return hit[1]
        who = user_id
        if not identify(self.assistant.engine.store, user_id).matched:
            try:
                email = self.client.users_info(user=user_id)["user"]["profile"].get("email")
                who = email or user_id
            except (SlackApiError, KeyError, TypeError) as exc:
                log.info("users.info for %s failed: %s", user_id, type(exc).__name__)
        self._askers[user_id] = (time.monotonic(), who)
        return who

    def answer(self, question: str, user_id: str, channel: str, thread_ts: str | None) -> Answer:
        convo = self._conversation(channel, thread_ts) if thread_ts else None
        return self.assistant.ask(self.plain(question), user=self.asker(user_id), conversation=convo)

    def plain(self, text: str) -> str:
        """Slack markup as words: <@U1> → the person's name, <url|label> → label, <!here> dropped."""
        store = self.assistant.engine.store

        def person(m: re.Match) -> str:
            who = identify(store, m.group(1))
            return who.name or "" if who.rep_id else ""

        text = re.sub(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", person, text)
        text = re.sub(r"<![^>]*>", "", text)
        text = re.sub(r"<(?:[^>|]*)\|([^>]*)>", r"\1", text)
        return re.sub(r"<([^>]*)>", r"\1", text).strip()

    def _conversation(self, channel: str, thread_ts: str) -> Conversation:
        key = (channel, thread_ts)
        convo = self._threads.pop(key, None) or Conversation()
        self._threads[key] = convo
        while len(self._threads) > 2000:
            self._threads.popitem(last=False)
        return convo

    # ------------------------------------------------------------ where it may go

    def everyone_may_see(self, answer: Answer, channel: str, channel_type: str | None) -> bool:
        """In a DM, yes. In a channel, only an aggregate that every member may see: numbers about
        particular reps, or a channel with members matched to no rep, go privately to the asker."""
        if channel_type == "im" or channel.startswith("D"):
            return True
        if answer.parts:  # a message of several parts goes where its most private part may go
            return all(self.everyone_may_see(part, channel, channel_type) for part in answer.parts)
        if answer.kind == "compare":  # as a KPI: no side about particular people, every member matched
            if any("owner" in row["filters"] for row in answer.rows):
                return False
            return self._members_see(channel, lambda who: who.matched)
        if answer.kind == "deals":  # deal-level rows: only if every member may see every deal listed
            owners = {r["owner_id"] for r in answer.rows}
            return self._members_see(channel, lambda who: who.sees_all or owners <= who.deal_level())
        if answer.kind != "kpi":
            return answer.kind in ("playbook", "not_covered", "help", "clarify")
        plan = answer.plan
        if plan is None or plan.filters.get("owner") or "owner" in plan.group_by:
            return False
        return self._members_see(channel, lambda who: who.matched)

    def _members_see(self, channel: str, may_see) -> bool:
        members = self._channel_members(channel)
        store = self.assistant.engine.store
        return bool(members) and all(may_see(identify(store, self.asker(m))) for m in members)

    def _channel_members(self, channel: str) -> frozenset[str]:
        hit = self._members.get(channel)
        if hit and time.monotonic() - hit[0] < 300:
            return hit[1]
        try:
            members = frozenset(self.client.conversations_members(channel=channel, limit=1000)["members"])
        except SlackApiError as exc:
            log.info("conversations.members for %s failed: %s", channel, exc.response.get("error"))
            members = frozenset()
        self._members[channel] = (time.monotonic(), members)
        return members

    # ------------------------------------------------------------ posting

    def deliver(self, answer: Answer, channel: str, user_id: str, thread_ts: str | None,
                channel_type: str | None = None) -> None:
        text, blocks = render(answer)
        if self.everyone_may_see(answer, channel, channel_type):
            resp = self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks,
                                                unfurl_links=False, unfurl_media=False)
            self.upload_chart(answer, channel, thread_ts)
        else:
            note = {"type": "context", "elements": [{"type": "mrkdwn", "text": PRIVATE_NOTE[answer.lang]}]}
            resp = self.client.chat_postEphemeral(channel=channel, user=user_id, thread_ts=thread_ts, text=text,
                                                  blocks=[note, *blocks])
        self.remember(answer, channel, resp.get("ts") or resp.get("message_ts"), user_id)

    def remember(self, answer: Answer, channel: str, ts: str | None, user_id: str) -> None:
        """Keep the answer by the message it became, for the buttons on it (feedback, chart)."""
        if ts:
            remember_post(self.state, channel=channel, ts=ts, user_id=user_id, question=answer.question,
                          kind=answer.kind, answer=answer.to_json())

    def upload_chart(self, answer: Answer, channel: str, thread_ts: str | None) -> None:
        png = chart_png(answer)
        if png is None:
            return
        try:  # files.getUploadURLExternal → upload → files.completeUploadExternal (files:write)
            self.client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=png, filename="chart.png",
                                        title=escape(answer.summary or answer.text)[:200])
        except SlackApiError as exc:
            log.warning("chart upload failed: %s", exc.response.get("error"))

    @staticmethod
    def apology(exc: Exception) -> str:
        """A short apology with a reference id for the user; the detail goes to the log only."""
        ref = uuid.uuid4().hex[:8]
        log.error("slack handler failed (ref %s): %s", ref, type(exc).__name__, exc_info=exc)
        return t("apology", "en", ref=ref)

    def apologise(self, channel: str, thread_ts: str | None, exc: Exception) -> None:
        text = self.apology(exc)
        try:
            self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
        except SlackApiError:
            log.error("could not post the apology: %s", text)

    def handle(self, question: str, user_id: str, channel: str, thread_ts: str | None,
               channel_type: str | None = None) -> None:
        """Answer one question in a thread; errors reach the user as an apology with a reference."""
        try:
            self.deliver(self.answer(question, user_id, channel, thread_ts), channel, user_id, thread_ts, channel_type)
        except Exception as exc:  # noqa: BLE001 (the apology path)
            self.apologise(channel, thread_ts, exc)


def create_app(assistant: Assistant, state: SqlEngine, token: str, signing_secret: str,
               api_url: str | None = None) -> tuple[App, SlackBot]:
    from bot.channels.slack.listeners import actions, assistant_pane, commands, events, home

    client = make_client(token, api_url)
    app = App(client=client, signing_secret=signing_secret, token_verification_enabled=False,
              process_before_response=False)
    bot = SlackBot(assistant, state, client)
    app.middleware(_once(state))
    for module in (assistant_pane, events, commands, actions, home):
        module.register(app, bot)
    return app, bot


def _once(state: SqlEngine):
    """Drop an event that was already taken (a Slack retry, or another instance's)."""

    def middleware(body: dict, next, logger) -> BoltResponse | None:  # noqa: A002 (Bolt injects by name)
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and not claim_event(state, event_id):
            logger.info("event %s already answered; ignoring", event_id)
            return BoltResponse(status=200, body="")
        return next()

    return middleware
