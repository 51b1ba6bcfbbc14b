"""Where a person can be reached in Teams: the conversation reference of their personal chat with
the bot, stored when they first talk to it (or install it), for the morning digest.

Teams lets a bot message someone only in a conversation it was in; the reference (the
conversation id, the serviceUrl, the bot's and the person's ids) is what the Bot Connector needs
to post there later. One row per rep, the latest personal chat winning; a conversation that
answers 403/404 (the app was removed, the person left) is marked gone and no longer used until the
person talks to the bot again. The table holds ids only, never a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Boolean, DateTime, String, Text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.state import Base, insert_for


class TeamsReference(Base):
    __tablename__ = "teams_references"

    rep_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(500))
    reference: Mapped[str] = mapped_column(Text)  # the ConversationReference as the SDK writes it (JSON)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the Teams client's, if it said
    gone: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Reference:
    rep_id: str
    conversation_id: str
    reference: dict
    timezone: str | None
    gone: bool


class References:
    def __init__(self, state: Engine) -> None:
        self.state = state

    def remember(self, rep_id: str, conversation_id: str, reference: dict, zone: str | None) -> None:
        """This person's personal chat, now (a gone mark is lifted: they talk to the bot again)."""
        row = dict(conversation_id=conversation_id, reference=json.dumps(reference), timezone=zone, gone=False,
                   updated_at=datetime.now(timezone.utc))
        stmt = insert_for(self.state)(TeamsReference).values(rep_id=rep_id, **row)
        with Session(self.state) as s, s.begin():
            s.execute(stmt.on_conflict_do_update(index_elements=["rep_id"], set_=row))

    def get(self, rep_id: str) -> Reference | None:
        with Session(self.state) as s:
            row = s.get(TeamsReference, rep_id)
            if row is None:
                return None
            return Reference(row.rep_id, row.conversation_id, json.loads(row.reference), row.timezone, row.gone)

    def mark_gone(self, rep_id: str, conversation_id: str) -> None:
        """The conversation answered 403/404: not used again (unless the person writes to the bot)."""
        with Session(self.state) as s, s.begin():
            row = s.get(TeamsReference, rep_id)
            if row is not None and row.conversation_id == conversation_id:
                row.gone = True

