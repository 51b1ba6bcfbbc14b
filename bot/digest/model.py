"""The morning digest as data (contracts/digest.md): one model that every face renders.

Slack renders it to Block Kit, the CLI and Teams to text or cards; `as_json` is the preview
command's `--json` and the test contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

CHANGE_KINDS = ("new", "won", "lost", "stage_forward", "stage_back", "pushed", "pulled", "amount_up", "amount_down")
FIGURES = ("pipeline", "weighted_pipeline", "bookings_qtd", "target_quarter", "attainment", "pace", "coverage")


@dataclass(frozen=True)
class Recipient:
    """Whom one digest is for, on which local date, over which window of changes."""

    rep_id: str
    date: date  # D, the recipient's local date
    window_start: date  # the previous due day; the window ends on D − 1
    lang: str = "en"
    late: bool = False  # sent after its due time (within the grace period)
    muted: frozenset[str] = frozenset()  # opportunity ids this person muted: in no section


@dataclass
class Digest:
    rep_id: str
    name: str
    date: date
    lang: str
    scope: str  # own, team or company
    currency: str
    period: tuple[date, date]  # the quarter containing D
    window: tuple[date, date]
    figures: dict[str, float | None]
    # Each entry: opportunity_id, owner_id, change or reasons, and what a reader needs
    # (name, owner, account, amount, close_date, stage, from/to).
    changes: list[dict] = field(default_factory=list)
    # Risks largest first: every one, or the first few when built for a message (DigestBuilder's
    # `entries`); `risk_counts` counts them all, in all ("all") and per reason.
    risks: list[dict] = field(default_factory=list)
    risk_counts: dict[str, int] = field(default_factory=dict)
    closing_this_week: list[dict] = field(default_factory=list)
    late: bool = False
    # "Three things to know today" (CCOBOT_NARRATE): written by a language model from the figures
    # and counts above, every number checked (bot/llm/narrate.py); empty when off or not usable.
    highlights: list[str] = field(default_factory=list)

    @property
    def risk_total(self) -> int:
        return self.risk_counts.get("all", len(self.risks))

    @property
    def quiet(self) -> bool:
        return not self.changes and not self.risk_total

    def as_json(self, text: str) -> dict:
        return {
            "for": self.rep_id, "name": self.name, "date": self.date.isoformat(), "lang": self.lang,
            "scope": self.scope, "currency": self.currency,
            "period": {"start": self.period[0].isoformat(), "end": self.period[1].isoformat()},
            "window": {"start": self.window[0].isoformat(), "end": self.window[1].isoformat()},
            "figures": self.figures, "changes": self.changes, "risks": self.risks,
            "closing_this_week": self.closing_this_week, "late": self.late, "highlights": self.highlights,
            "text": text,
        }
