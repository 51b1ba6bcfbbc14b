"""Morning digests to Teams: the same subscriptions and ledger as Slack (bot/digest/run.py), posted
proactively into each person's personal chat with the bot (the Agents SDK's continue_conversation
on the stored conversation reference, bot/channels/teams/references.py), as an Adaptive Card.

Exactly once. The ledger claims each (person, local date) once across processes and records the
conversation right before the post. Slack lets a later run look the message up by its metadata;
the Bot Connector has no way to read a bot's own messages back, so a claim whose post was attempted
by a process that died before marking it is counted as sent (`already_sent`): the digest is never
repeated, at the price that a process killed in the instant between recording the attempt and
Teams taking the post loses that one digest (logged as found, not sent, by the next run).

A conversation that answers 403 or 404 is marked gone, reported once (`teams_conversation_gone`,
permanent for the day), and not used again until the person writes to the bot.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

import aiohttp
from microsoft_agents.activity import Activity, ActivityTypes, Attachment, ConversationReference

from bot.channels.teams.cards import CONTENT_TYPE, digest_card
from bot.channels.teams.references import References
from bot.digest.model import Digest
from bot.digest.render import words
from bot.digest.subscriptions import Subscription

log = logging.getLogger("ccobot.teams.digests")
GONE = "teams_conversation_gone"
NOT_REACHABLE = "no_teams_conversation"


class TeamsDigests:
    """The digest Sender for Teams (the protocol in bot/digest/run.py)."""

    def __init__(self, teams, references: References, app_id: str, fiscal_year_start_month: int = 1) -> None:
        self.teams, self.references, self.app_id = teams, references, app_id
        self.fiscal_year_start_month = fiscal_year_start_month

    def zone(self, sub: Subscription) -> str | None:
        ref = self.references.get(sub.rep_id)
        return ref.timezone if ref else None

    def post(self, sub: Subscription, digest: Digest, before: Callable[[str], bool],
             sent: Callable[[str, str], None], failed: Callable[[str], None]) -> None:
        ref = self.references.get(sub.rep_id)
        if ref is None or ref.gone:  # never talked to the bot in Teams, or removed it since
            return failed(NOT_REACHABLE if ref is None else GONE)
        if not before(ref.conversation_id):
            return
        status, activity_id = asyncio.run(self._send(ref.reference, self._message(digest, sub)))
        if activity_id is not None:
            return sent(ref.conversation_id, activity_id)
        if status in (403, 404):
            self.references.mark_gone(sub.rep_id, ref.conversation_id)
            log.warning("Teams conversation gone", extra={"rep": sub.rep_id, "status": status})
            return failed(GONE)
        failed(f"teams_error_{status or 'connection'}")

    def already_sent(self, sub: Subscription, digest: Digest, where: str | None) -> tuple[str, str] | None:
        """An attempt recorded by a process that died is counted as sent (see the module's note)."""
        return (where, "unconfirmed") if where else None

    def wait(self, timeout: float) -> bool:
        return True  # posts are sent in place, not queued

    def _message(self, digest: Digest, sub: Subscription) -> Activity:
        card = digest_card(digest, self.fiscal_year_start_month, sub)  # its fallbackText is the digest as text
        title = words(digest, fiscal_year_start_month=self.fiscal_year_start_month).title
        return Activity(type=ActivityTypes.message, summary=title,
                        attachments=[Attachment(content_type=CONTENT_TYPE, content=card)])

    async def _send(self, reference: dict, message: Activity) -> tuple[int | None, str | None]:
        """(HTTP status of a refusal, the new activity's id): one post through the SDK's adapter."""
        outcome: dict = {"status": None, "id": None}

        async def callback(context) -> None:
            # A message of its own in the chat (sendToConversation), not a reply to the continuation
            # event the SDK makes up: the connector client directly, with the conversation's parties.
            ref = context.activity
            message.conversation, message.from_property, message.recipient = ref.conversation, ref.recipient, \
                ref.from_property
            message.service_url, message.channel_id = ref.service_url, ref.channel_id
            try:
                connector = context.turn_state.get("ConnectorClient")
                response = await connector.conversations.send_to_conversation(ref.conversation.id, message)
                outcome["id"] = getattr(response, "id", None) or "sent"
            except aiohttp.ClientResponseError as exc:  # caught here: the adapter would answer the user
                outcome["status"] = exc.status
            except aiohttp.ClientError as exc:
                log.warning("Teams post failed: %s", type(exc).__name__)

        continuation = ConversationReference.model_validate(reference).get_continuation_activity()
        await self.teams.adapter.continue_conversation(self.app_id, continuation, callback)
        return outcome["status"], outcome["id"]
