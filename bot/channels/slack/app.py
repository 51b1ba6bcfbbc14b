"""The Bolt app: listeners registered per surface, one SlackBot that does the work for all of them.

Every surface acks at once and answers in a lazy listener, so Slack's 3-second limit holds
however slow the work. Each event is answered once: event ids are claimed in the state
database, which also covers Slack's retries and a second instance receiving the same event.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Iterator

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from sqlalchemy.engine import Engine as SqlEngine

from bot.access import Identity, identify
from bot.channels.slack.asks import Ask, ask_of
from bot.channels.slack.blocks import plain_text, render
from bot.channels.slack.jobs import AnswerJobs, current_job, metadata
from bot.core.charts import asked_for, chart_png, chart_title
from bot.channels.slack.outbox import Outbox, Post
from bot.channels.slack.stream import SlackStream
from bot.core.answer import Answer
from bot.core.assistant import Assistant
from bot.core.audience import room_may_see
from bot.core.conversation import Conversation
from bot.core.i18n import t
from bot.nlu.values import build_index
from bot.observability import CountRateLimits, bound_request, surface
from bot.state import remember_post

log = logging.getLogger("ccobot.slack")
_CLIENT: ContextVar[WebClient | None] = ContextVar("slack_client", default=None)
AUTH_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
BLOCK_ERRORS = {"invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long", "invalid_attachments"}
SCOPE_DIMS = ("region", "country", "segment", "team", "product_line")  # what a channel's name may name
MAX_TEXT = 39_000  # Slack truncates a message's text at 40,000 characters


def make_client(token: str | None, api_url: str | None) -> WebClient:
    """A Web API client that waits out 429s (Retry-After) and retries dropped connections. Posts
    leave through the Outbox instead, which waits per channel without holding a thread."""
    kwargs = {"base_url": api_url} if api_url else {}
    handlers = [CountRateLimits(),  # first: every 429 is counted, whoever then retries it
                RateLimitErrorRetryHandler(max_retry_count=3), ConnectionErrorRetryHandler(max_retry_count=2)]
    return WebClient(token=token, retry_handlers=handlers, **kwargs)


class SlackBot:
    """What every listener calls: who is asking, the answer, and where it may be posted."""

    def __init__(self, assistant: Assistant, state: SqlEngine, client: WebClient, outbox: Outbox | None = None) -> None:
        self.assistant = assistant
        self.state = state
        self._default_client = client
        self.outbox = outbox or Outbox()
        self.jobs = AnswerJobs(state)  # each event's answer, durable across a crash (jobs.py)
        self.workers: ThreadPoolExecutor | None = None  # where answers are computed (create_app's pool)
        self._people: dict[str, tuple[float, dict]] = {}
        self._askers: dict[str, tuple[float, str]] = {}
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._dms: dict[tuple[str, str], bool] = {}
        self._threads: OrderedDict[tuple[str, str], Conversation] = OrderedDict()
        self.streaming = True  # model-written answers shown as they are written, where Slack can (stream.py)
        # Why the app's token no longer works ("invalid_auth", "token_revoked"), once Slack has
        # said so (auth.test at start, or a post): /readyz answers 503 while it is set.
        self.auth_error: str | None = None

    @property
    def client(self) -> WebClient:
        """The client of the workspace being served (Bolt's, per request), else the app's own."""
        return _CLIENT.get() or self._default_client

    @contextmanager
    def using(self, client: WebClient | None) -> Iterator[None]:
        """Serve one request with the client Bolt authorised for its workspace."""
        token = _CLIENT.set(client)
        try:
            yield
        finally:
            _CLIENT.reset(token)

    # ------------------------------------------------------------ who and what

    def asker(self, user_id: str) -> str:
        """The id the assistant knows this person by: the Slack id, else their email (users.info,
        needs users:read.email), cached for ten minutes."""
        hit = self._askers.get(user_id)
        if hit and time.monotonic() - hit[0] < 600:
            return hit[1]
        who = user_id
        if not identify(self.assistant.engine.store, user_id).matched:
            who = (self.person(user_id).get("profile") or {}).get("email") or user_id
        self._askers[user_id] = (time.monotonic(), who)
        return who

    def person(self, user_id: str) -> dict:
        """users.info, cached for ten minutes ({} when Slack does not say)."""
        hit = self._people.get(user_id)
        if hit and time.monotonic() - hit[0] < 600:
            return hit[1]
        try:
            person = self.client.users_info(user=user_id, include_locale=True)["user"] or {}
        except (SlackApiError, KeyError, TypeError) as exc:
            log.info("users.info for %s failed: %s", user_id, type(exc).__name__)
            person = {}
        self._people[user_id] = (time.monotonic(), person)
        return person

    def language_of(self, user_id: str) -> str:
        """The person's Slack locale ("da-DK") as one of our languages; English otherwise."""
        locale = str(self.person(user_id).get("locale") or "")[:2]
        return locale if locale in ("da", "sv") else "en"

    def role_of(self, user_id: str) -> str:
        """admin, exec, manager, rep or none (contracts/access.md)."""
        return identify(self.assistant.engine.store, self.asker(user_id)).role

    def channel_scope(self, channel: str | None) -> tuple[str, str] | None:
        """The scope a channel's name names ("#sales-nordics" → region Nordics), or None: the
        assistant pane offers it to someone viewing that channel, never applies it unasked."""
        if not channel:
            return None
        try:
            name = str(self.client.conversations_info(channel=channel)["channel"].get("name") or "")
        except (SlackApiError, KeyError, TypeError):
            return None
        store = self.assistant.engine.store
        values = store.cached("value_index", lambda: build_index(store))
        for word in re.split(r"[-_.\s]+", name.lower()):
            hits = [h for h in values.lookup(word, fuzzy=False) if h[0] in SCOPE_DIMS] if len(word) >= 2 else []
            if hits:
                return hits[0]
        return None

    def is_bot(self, user_id: str) -> bool:
        """Bots (this one too) are members of channels but read no numbers: they do not count."""
        return bool(self.person(user_id).get("is_bot"))

    def answer(self, question: str, user_id: str, channel: str, thread_ts: str | None,
               stream: SlackStream | None = None) -> Answer:
        """The assistant's answer for this person; Slack markup and entities read as plain words."""
        convo = self._conversation(channel, thread_ts) if thread_ts else None
        extra = {"stream": stream} if stream is not None else {}
        with surface("slack"):  # counted as Slack's in /metrics, over HTTP and Socket Mode alike
            return self.assistant.ask(self.plain(question), user=self.asker(user_id), conversation=convo, **extra)

    def plain(self, text: str) -> str:
        """Slack markup as words: <@U1> → the person's name, <url|label> → label, <!here> dropped."""
        store = self.assistant.engine.store

        def person(m: re.Match) -> str:
            who = identify(store, m.group(1))
            return who.name or "" if who.rep_id else ""

        text = re.sub(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", person, text)
        text = re.sub(r"<![^>]*>", "", text)
        text = re.sub(r"<(?:[^>|]*)\|([^>]*)>", r"\1", text)
        text = re.sub(r"<([^>]*)>", r"\1", text)
        # Slack sends &, < and > as entities, and only those; "&amp;lt;" stays "&lt;" (decoded once)
        return re.sub(r"&(amp|lt|gt);", lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], text).strip()

    def _conversation(self, channel: str, thread_ts: str) -> Conversation:
        key = (channel, thread_ts)
        convo = self._threads.pop(key, None) or Conversation()
        self._threads[key] = convo
        while len(self._threads) > 2000:
            self._threads.popitem(last=False)
        return convo

    # ------------------------------------------------------------ where it may go

    def everyone_may_see(self, answer: Answer, channel: str, channel_type: str | None,
                         user_id: str | None = None) -> bool:
        """In the asker's own DM with the bot, yes. In a channel, only an aggregate that every
        member may see: numbers about particular reps, or a channel with members matched to no
        rep, go privately to the asker. A DM between two people (a slash command works there) is
        not the bot's: nothing private is posted in it."""
        if channel_type == "im" or channel.startswith("D") and user_id and self._own_dm(channel, user_id):
            return True
        return room_may_see(answer, lambda: self._in_room(channel))

    def _own_dm(self, channel: str, user_id: str) -> bool:
        """Is this the DM between the bot and this person? (conversations.info: the bot sees its
        own DMs, with `user` the person; a DM between two people is not found.)"""
        key = (channel, user_id)
        if key not in self._dms:
            try:
                info = self.client.conversations_info(channel=channel)["channel"]
                self._dms[key] = bool(info.get("is_im")) and info.get("user") == user_id
            except (SlackApiError, KeyError, TypeError):
                self._dms[key] = False
        return self._dms[key]

    def members_see_scope(self, who: Identity, channel: str) -> bool | None:
        """May every person in `channel` see everything `who` may see? (A digest holds its
        recipient's whole scope.) None when Slack does not say who is there."""
        people = self._in_room(channel)
        if not people:
            return None
        owners = who.deal_level()
        return all(other.sees_all or (owners is not None and owners <= (other.deal_level() or frozenset()))
                   for other in people)

    def _in_room(self, channel: str) -> list[Identity]:
        """The channel's people (bots left out), as the access rules know them."""
        store = self.assistant.engine.store
        return [identify(store, self.asker(m)) for m in self._channel_members(channel) if not self.is_bot(m)]

    def _channel_members(self, channel: str) -> frozenset[str]:
        """Every member, page by page (Slack asks for pages under 1000), cached for five minutes;
        none when Slack will not say, so nothing private is posted."""
        hit = self._members.get(channel)
        if hit and time.monotonic() - hit[0] < 300:
            return hit[1]
        members: set[str] = set()
        cursor = None
        try:
            while True:
                page = self.client.conversations_members(channel=channel, limit=200, cursor=cursor)
                members |= set(page["members"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as exc:
            log.info("conversations.members for %s failed: %s", channel, exc.response.get("error"))
            members = set()
        self._members[channel] = (time.monotonic(), frozenset(members))
        return frozenset(members)

    # ------------------------------------------------------------ posting

    def deliver(self, answer: Answer, channel: str, user_id: str, thread_ts: str | None,
                channel_type: str | None = None) -> None:
        """Hand the answer to the outbox: in the thread when everyone there may see it, else to the
        asker alone, with a note saying why."""
        text, blocks = render(answer)
        where = Delivery(answer, channel, user_id, thread_ts, self.client)
        if self.everyone_may_see(answer, channel, channel_type, user_id):
            self._post(where, "chat_postMessage", dict(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks,
                                                       unfurl_links=False, unfurl_media=False))
        else:
            note = {"type": "context", "elements": [{"type": "mrkdwn", "text": t("slack_private", answer.lang)}]}
            self._post(where, "chat_postEphemeral", dict(channel=channel, user=user_id, thread_ts=thread_ts, text=text,
                                                         blocks=[note, *blocks]))

    def stream_for(self, channel: str, user_id: str, thread_ts: str | None, channel_type: str | None,
                   team_id: str | None) -> SlackStream | None:
        """A sink for a model-written answer to this question, or None where none is shown as it is
        written. Slack streams only as a reply in a thread, and outside a DM only to a named reader
        (team and user); only a language model writes answers that take long enough to be worth it."""
        playbook = self.assistant.playbook
        if not self.streaming or not thread_ts or playbook is None or playbook.writer is None:
            return None
        dm = channel_type == "im"
        if not dm and not team_id:
            return None
        return SlackStream(self.client, self.outbox.client_for(self.client, retry_connection=False), channel,
                           thread_ts, None if dm else (team_id, user_id))

    def finish_stream(self, sink: SlackStream, answer: Answer, channel: str, user_id: str,
                      thread_ts: str | None, channel_type: str | None) -> bool:
        """Make a streamed message the answer; False when the answer is still to be posted as usual
        (no message was started, or it was deleted). An answer not everyone in the thread may see
        (the stream is public there) has its message deleted and goes the usual way."""
        if sink.ts is None:
            return False
        if not self.everyone_may_see(answer, channel, channel_type, user_id):
            outcome = sink.discard()
        else:
            text, blocks = render(answer)
            tail = render(answer, with_text=False)[1] if not answer.parts and not answer.rows else None
            outcome = sink.finish(answer.text, text, blocks, tail)
        if outcome == "done":
            try:  # the answer is shown: a failure here must not become an apology beside it
                self._sent(Delivery(answer, channel, user_id, thread_ts, self.client), "chat_postMessage",
                           {"ts": sink.ts})
            except Exception:  # noqa: BLE001
                log.exception("keeping the streamed answer %s failed", sink.ts)
        return outcome in ("done", "stuck")

    def drain(self, timeout: float = 20.0) -> bool:
        """On shutdown: finish the answers being computed and post them, within `timeout`; False
        when some did not make it (they are logged by the outbox)."""
        deadline = time.monotonic() + timeout
        if self.workers is not None:
            done = threading.Thread(target=self.workers.shutdown, kwargs={"wait": True}, daemon=True)
            done.start()
            done.join(timeout)
        finished = self.outbox.join(max(deadline - time.monotonic(), 0.0))
        self.outbox.close(0)
        if not finished:
            log.error("shutting down with %d answers not yet posted", self.outbox.pending)
        return finished

    def _post(self, where: Delivery, method: str, kwargs: dict) -> None:
        job, before = current_job(), None
        if job:  # an event's answer: found again by its metadata, posted only while its job is ours
            findable = method == "chat_postMessage"  # an ephemeral message is in no history
            kwargs = {**kwargs, "metadata": metadata(job)} if findable else kwargs
            before = lambda: self.jobs.before_post(job, str(kwargs.get("channel", "")), attempt=findable)  # noqa: E731
        self.outbox.put(Post(where.client, method, kwargs, sent=lambda resp: self._sent(where, method, resp),
                             failed=lambda error: self._refused(where, method, kwargs, error), before=before))

    def _sent(self, where: Delivery, method: str, resp: dict) -> None:
        """Keep the answer by the message it became, for the buttons on it (feedback, chart)."""
        ts = resp.get("ts") or resp.get("message_ts")
        if ts and current_job():
            self.jobs.answered(current_job(), str(ts), resp.get("channel"))
        if ts and where.answer.kind != "error":
            remember_post(self.state, channel=where.channel, ts=ts, user_id=where.user_id,
                          question=where.answer.question, kind=where.answer.kind, answer=where.answer.to_json())
        if method == "chat_postMessage" and asked_for(where.answer):  # else on request: the Chart button
            with self.using(where.client):
                self.upload_chart(where.answer, where.channel, where.thread_ts)

    def _refused(self, where: Delivery, method: str, kwargs: dict, error: str) -> None:
        """Slack would not take a post: blocks it rejects become plain text; a place the bot cannot
        post to (archived, not a member, gone, or rate-limited for too long) becomes a DM to the
        asker with a reference id; a dead token is reported (/readyz) and logged."""
        if error == "superseded":  # the job was taken over by another instance, which answers it
            return
        ref = uuid.uuid4().hex[:8]
        log.error("slack refused %s (ref %s): %s", method, ref, error, extra={"ref": ref})
        if error in AUTH_ERRORS:
            if self._default_client.token:  # one workspace's uninstall is no outage of the app
                self.auth_error = error
            return
        if error in BLOCK_ERRORS and kwargs.get("blocks"):
            plain = {k: v for k, v in kwargs.items() if k != "blocks"} | {"text": plain_text(where.answer)}
            return self._post(where, method, plain)
        if where.is_dm:
            return  # the DM to the asker was the last resort; the log has the reference
        dm = where.client.conversations_open(users=where.user_id)["channel"]["id"]
        text = t("slack_undelivered", where.answer.lang, channel=where.channel, error=error, ref=ref) \
            + "\n\n" + plain_text(where.answer)
        self._post(replace(where, channel=dm, thread_ts=None, is_dm=True), "chat_postMessage",
                   dict(channel=dm, text=text[:MAX_TEXT]))

    def upload_chart(self, answer: Answer, channel: str, thread_ts: str | None) -> None:
        png = chart_png(answer)
        if png is None:
            return
        try:  # files.getUploadURLExternal → upload → files.completeUploadExternal (files:write)
            self.client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=png, filename="chart.png",
                                        title=chart_title(answer))
        except SlackApiError as exc:
            log.warning("chart upload failed: %s", exc.response.get("error"))

    @staticmethod
    def apology(exc: Exception) -> str:
        """A short apology with a reference id for the user; the detail goes to the log only."""
        ref = uuid.uuid4().hex[:8]
        log.error("slack handler failed (ref %s): %s", ref, type(exc).__name__, exc_info=exc, extra={"ref": ref})
        return t("apology", "en", ref=ref)

    def apologise(self, channel: str, thread_ts: str | None, exc: Exception, user_id: str) -> None:
        text = self.apology(exc)
        where = Delivery(Answer(question="", kind="error", text=text), channel, user_id, thread_ts, self.client)
        self._post(where, "chat_postMessage", dict(channel=channel, thread_ts=thread_ts, text=text))

    def handle(self, question: str, user_id: str, channel: str, thread_ts: str | None,
               channel_type: str | None = None, client: WebClient | None = None, event_id: str | None = None,
               team_id: str | None = None, claimed: bool = False) -> None:
        """Answer one question in a thread, once per Slack event whichever instance got it; errors
        reach the user as an apology with a reference. A model-written answer is shown as it is
        written where Slack can, and then not posted again. `claimed`: its job was claimed for this
        process before the ack (`_claim_before_ack`)."""
        # Over HTTP the web request's id stays; in Socket Mode (no web request) the event's id is the request's.
        with bound_request(event_id):
            if event_id and not claimed and not self.jobs.claim(event_id, question=question, user_id=user_id, channel=channel,
                                                thread_ts=thread_ts, channel_type=channel_type, team_id=team_id):
                log.info("event %s already answered by another instance", event_id)
                return
            with self.jobs.working(event_id):  # its posts carry its metadata and renew its lease
                self.respond(question, user_id, channel, thread_ts, channel_type, client, team_id)

    def respond(self, question: str, user_id: str, channel: str, thread_ts: str | None,
                channel_type: str | None = None, client: WebClient | None = None,
                team_id: str | None = None) -> None:
        """Answer and post (no claim): `handle`'s work, and an answer job's taken over (jobs.py)."""
        with self.using(client):
            try:
                sink = self.stream_for(channel, user_id, thread_ts, channel_type, team_id)
                answer = self.answer(question, user_id, channel, thread_ts, stream=sink)
                if sink is None or not self.finish_stream(sink, answer, channel, user_id, thread_ts,
                                                          channel_type):
                    self.deliver(answer, channel, user_id, thread_ts, channel_type)
            except Exception as exc:  # noqa: BLE001 (the apology path)
                self.apologise(channel, thread_ts, exc, user_id)


@dataclass(frozen=True)
class Delivery:
    """Where an answer goes, and who asked it (to reach them when Slack refuses the post)."""

    answer: Answer
    channel: str
    user_id: str
    thread_ts: str | None
    client: WebClient
    is_dm: bool = False


def create_app(assistant: Assistant, state: SqlEngine, token: str | None, signing_secret: str,
               api_url: str | None = None, workers: int = 16,
               oauth_settings: OAuthSettings | None = None) -> tuple[App, SlackBot]:
    """The Bolt app and its SlackBot. Acks never wait for an answer: answers run on `workers`
    threads (Bolt's lazy listeners), so a slow engine delays answers, not acks.

    With `oauth_settings` (bot/channels/slack/oauth.py) the app is installable in several workspaces:
    no token, Bolt finds each workspace's in the installation store; the client then carries only the
    Web API base URL (oauth.v2.access goes there too)."""
    from bot.channels.slack.listeners import actions, assistant_pane, commands, events, home

    client = make_client(None if oauth_settings else token, api_url)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-answer")
    app = App(client=client, signing_secret=signing_secret, token_verification_enabled=False,
              oauth_settings=oauth_settings, process_before_response=False, listener_executor=pool)
    if oauth_settings:  # app_uninstalled / tokens_revoked: the workspace's tokens leave the installation store
        app.enable_token_revocation_listeners()
    bot = SlackBot(assistant, state, client)
    bot.workers = pool
    app.middleware(_once())
    app.middleware(_claim_before_ack(bot))
    for module in (assistant_pane, events, commands, actions, home):
        module.register(app, bot)
    return app, bot


def _once():
    """Drop a Slack retry of an event this instance has already taken, before any work, even a
    database query. (The database claim, which also covers another instance, follows in
    `_claim_before_ack` for questions, and in `SlackBot.handle` for the rest.)"""
    seen: OrderedDict[str, None] = OrderedDict()
    lock = threading.Lock()

    def middleware(body: dict, next, logger) -> BoltResponse | None:  # noqa: A002 (Bolt injects by name)
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id:
            with lock:
                again = event_id in seen
                seen[event_id] = None
                while len(seen) > 20_000:
                    seen.popitem(last=False)
            if again:
                logger.info("event %s already taken; ignoring", event_id)
                return BoltResponse(status=200, body="")
        return next()

    return middleware


ASK, CLAIMED = "ccobot_ask", "ccobot_claimed"  # a request's context: its question, read once; its job claimed


def _claim_before_ack(bot: SlackBot):
    """Claim a question's answer job before Bolt acks its event. Slack does not send an acked
    event again, so a process that dies after the ack must already have left the job (with its
    question) in the state database, where another instance's sweeper finds it (jobs.py). A
    second instance or a retry finds the claim taken and only acks."""
    def middleware(body: dict, context: BoltContext, next, logger) -> BoltResponse | None:  # noqa: A002
        ask, event_id = ask_of(body, context.bot_user_id, context.team_id), body.get("event_id")
        if ask is None or not event_id:
            return next()
        context[ASK] = ask
        try:
            if not bot.jobs.claim(event_id, question=ask.question, user_id=ask.user_id, channel=ask.channel,
                                  thread_ts=ask.thread_ts, channel_type=ask.channel_type, team_id=ask.team_id):
                logger.info("event %s already taken by another instance; ignoring", event_id)
                return BoltResponse(status=200, body="")
            context[CLAIMED] = True
        except Exception as exc:  # noqa: BLE001 (the database is down: the worker tries the claim again)
            log.warning("claiming event %s before the ack failed: %s", event_id, type(exc).__name__)
        return next()

    return middleware


def ask_in(body: dict, context: BoltContext) -> tuple[Ask | None, bool]:
    """A listener's question, read as the claim read it, and whether its job is already claimed."""
    ask = context.get(ASK) or ask_of(body, context.bot_user_id, context.team_id)
    return ask, bool(context.get(CLAIMED))
