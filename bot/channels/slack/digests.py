"""Digests to Slack: the Sender of bot/digest/run.py over the Web API and the outbound queue.

A digest goes to the person's DM (chat.postMessage to their user id) or to the channel they
chose, carrying message metadata (event_type ccobot_digest, recipient and date), so that a
run taking over a dead run's claim can see in the conversation whether it was already posted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Callable

from slack_sdk.errors import SlackApiError

from bot.access import identify
from bot.channels.slack.app import SlackBot
from bot.channels.slack.digest_blocks import digest_chart, digest_message
from bot.channels.slack.outbox import Post
from bot.digest.model import Digest
from bot.digest.render import words
from bot.digest.subscriptions import Subscription, rep_value

log = logging.getLogger("ccobot.digest")
EVENT_TYPE = "ccobot_digest"
CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived", "restricted_action"}


def metadata(digest: Digest) -> dict:
    return {"event_type": EVENT_TYPE, "event_payload": {"recipient": digest.rep_id, "date": digest.date.isoformat()}}


class SlackDigests:
    """Sends through the SlackBot's client and outbound queue (`ccobot serve`'s own, or one made
    for `digest run`), and uses it to check who is in a digest's channel."""

    def __init__(self, bot: SlackBot, chart: bool = True) -> None:
        self.bot, self.client, self.outbox, self.chart = bot, bot.client, bot.outbox, chart
        self._users: dict[str, str | None] = {}
        self._zones: dict[str, str | None] = {}

    @property
    def store(self):  # noqa: ANN201 (the store as it is now: it reloads when its files change)
        return self.bot.assistant.engine.store

    def user_id(self, rep_id: str) -> str | None:
        """The person's Slack member id: reps.slack_user_id, else looked up by their email."""
        if rep_id not in self._users:
            found = rep_value(self.store, rep_id, "slack_user_id")
            email = rep_value(self.store, rep_id, "email")
            if not found and email:
                try:
                    found = self.client.users_lookupByEmail(email=email)["user"]["id"]
                except SlackApiError as exc:
                    log.info("no Slack user for a rep", extra={"rep": rep_id, "error": exc.response.get("error")})
            self._users[rep_id] = found
        return self._users[rep_id]

    def zone(self, sub: Subscription) -> str | None:
        if sub.rep_id not in self._zones:
            user, zone = self.user_id(sub.rep_id), None
            if user:
                try:
                    zone = self.client.users_info(user=user)["user"].get("tz")
                except SlackApiError as exc:
                    log.info("users.info failed", extra={"rep": sub.rep_id, "error": exc.response.get("error")})
            self._zones[sub.rep_id] = zone
        return self._zones[sub.rep_id]

    def _where(self, sub: Subscription) -> str | None:
        """The subscription's channel while every member there may see the whole digest (checked
        at each send: people join channels), else the person's DM (a user id posts there)."""
        if sub.channel:
            if self.bot.members_see_scope(identify(self.store, sub.rep_id), sub.channel):
                return sub.channel
            log.warning("digest sent to the DM: not every member of its channel may see it",
                        extra={"recipient": sub.rep_id, "channel": sub.channel})
        return self.user_id(sub.rep_id)

    def post(self, sub: Subscription, digest: Digest, before: Callable[[str], bool],
             sent: Callable[[str, str], None], failed: Callable[[str], None]) -> None:
        where = self._where(sub)
        if where is None:
            failed("no_slack_user")  # no slack_user_id, and no match by email: retrying will not help
            return
        self._put(where, digest, before, sent, failed, fallback=self.user_id(sub.rep_id) if where == sub.channel else None)

    def _put(self, where: str, digest: Digest, before: Callable[[str], bool], sent: Callable[[str, str], None],
             failed: Callable[[str], None], fallback: str | None) -> None:
        text, blocks = digest_message(digest, self.store.fiscal_year_start_month)

        def done(resp: dict) -> None:
            channel = str(resp.get("channel") or where)
            sent(channel, str(resp["ts"]))
            if self.chart:
                self._chart(digest, channel, str(resp["ts"]))

        def refused(error: str) -> None:
            if fallback and error in CHANNEL_GONE:  # the channel went away: the person still gets it
                log.warning("digest channel unusable, sent to the DM", extra={"recipient": digest.rep_id, "error": error})
                return self._put(fallback, digest, before, sent, failed, fallback=None)
            failed(error)

        self.outbox.put(Post(self.client, "chat_postMessage",
                             dict(channel=where, text=text, blocks=blocks, metadata=metadata(digest),
                                  unfurl_links=False, unfurl_media=False),
                             sent=done, failed=refused, before=lambda: before(where), blind_retry=False))

    def _chart(self, digest: Digest, channel: str, ts: str) -> None:
        png = digest_chart(digest, self.store.fiscal_year_start_month)
        if png is None:
            return
        try:
            self.client.files_upload_v2(channel=channel, thread_ts=ts, content=png, filename="pipeline.png",
                                        title=words(digest).title[:200])
        except SlackApiError as exc:  # the digest is out; a missing chart is logged, not retried
            log.warning("digest chart upload failed", extra={"error": exc.response.get("error")})

    def already_sent(self, sub: Subscription, digest: Digest, where: str | None) -> tuple[str, str] | None:
        """Looks where the earlier attempt went (recorded before it), else where it would go now;
        a few recent messages per page, since history calls are rate-limited hard."""
        where = where or self._where(sub)
        if where is None:
            return None
        channel = where
        if where[:1] in ("U", "W"):  # a user id: their DM's channel id
            channel = self.client.conversations_open(users=where)["channel"]["id"]
        since = datetime.combine(digest.date, datetime.min.time(), timezone.utc) - timedelta(days=1)
        wanted = metadata(digest)["event_payload"]
        cursor = None
        while True:
            page = self.client.conversations_history(channel=channel, oldest=str(since.timestamp()), limit=15,
                                                     include_all_metadata=True, cursor=cursor)
            for message in page.get("messages", []):
                meta = message.get("metadata") or {}
                if meta.get("event_type") == EVENT_TYPE and meta.get("event_payload") == wanted:
                    return channel, str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def wait(self, timeout: float) -> bool:
        return self.outbox.join(timeout)
