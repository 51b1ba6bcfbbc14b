"""Digests from one process to people in Slack and people in Teams.

A company may run both: each person's digest goes through the face they use. Teams when the bot
knows their Teams chat (they installed the app or wrote to it there, bot/channels/teams/
references.py) and they chose no Slack channel for it; Slack for everyone else. The ledger is the
same, so a person gets one digest a morning whichever way it goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from bot.digest.model import Digest
from bot.digest.run import Sender
from bot.digest.subscriptions import Subscription

if TYPE_CHECKING:
    from bot.channels.teams.references import References


class Routed:
    """A Sender (bot/digest/run.py) choosing Slack or Teams per person."""

    def __init__(self, slack: Sender, teams: Sender, references: References) -> None:
        self.slack, self.teams, self.references = slack, teams, references

    def _for(self, sub: Subscription) -> Sender:
        ref = self.references.get(sub.rep_id)
        return self.teams if not sub.channel and ref is not None and not ref.gone else self.slack

    def zone(self, sub: Subscription) -> str | None:
        return self._for(sub).zone(sub)

    def post(self, sub: Subscription, digest: Digest, before: Callable[[str], bool],
             sent: Callable[[str, str], None], failed: Callable[[str], None]) -> None:
        self._for(sub).post(sub, digest, before, sent, failed)

    def already_sent(self, sub: Subscription, digest: Digest, where: str | None) -> tuple[str, str] | None:
        """Looked for where the earlier attempt went: its Teams chat, else Slack."""
        if where is None:
            return self._for(sub).already_sent(sub, digest, where)
        ref = self.references.get(sub.rep_id)  # gone since, or not: the attempt went there
        face = self.teams if ref is not None and where == ref.conversation_id else self.slack
        return face.already_sent(sub, digest, where)

    def wait(self, timeout: float) -> bool:
        return self.slack.wait(timeout) and self.teams.wait(timeout)
