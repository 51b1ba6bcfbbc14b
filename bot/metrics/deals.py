"""Lists of deals (contracts/cli.md, kind `deals`): filter, flag, sort and cut the opportunities.

A DealQuery is validated data, like a QueryPlan: whoever fills it (the parser, a language
model) cannot make it run anything. The asker's scope is applied to the rows first, as for
KPIs; risk reasons follow contracts/digest.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.metrics.catalog import Catalog
from bot.metrics.context import FACTS, Note, day_seconds, filter_mask, stage_probabilities, store_array
from bot.metrics.periods import NAMED_NO_YEAR, Calendar, Period, parse_period
from bot.metrics.store import DAY, NO_DATE, MetricsStore

RISKS = ("overdue", "stalled", "early_stage_closing", "missing_amount", "missing_close_date")
DIMENSIONS = tuple(FACTS["deals"][1])  # what a deal list can be filtered by
STALLED_DAYS = 30
CLOSING_SOON_DAYS = 14
EARLY_STAGE = 0.2
LATE_STAGE = 0.5  # a stage whose default probability is this or more is late ("late-stage deals")


class DealQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: dict[str, list[str]] = Field(default_factory=dict)
    status: Literal["open", "won", "lost", "closed", "any"] = "open"
    # A period on close_date (or created_date); None: no date condition.
    period: str | None = Field(default=None, max_length=100)
    date_field: Literal["close", "created"] = "close"
    upcoming: bool = False  # close_date on or after as_of: "the next deal to close"
    amount_min: float | None = None
    amount_max: float | None = None
    risks: list[Literal["overdue", "stalled", "early_stage_closing", "missing_amount", "missing_close_date"]] = \
        Field(default_factory=list)  # deals flagged for any of these; [] = no risk condition
    order_by: Literal["amount", "close_date", "age", "last_change"] = "amount"
    desc: bool = True
    limit: int = Field(default=10, ge=1, le=1000)
    # "stuck for more than 60 days": days without a history row after which an open deal is stalled
    stalled_days: int = Field(default=STALLED_DAYS, ge=1, le=3650)

    @field_validator("filters")
    @classmethod
    def _known(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(DIMENSIONS))
        if unknown:
            raise ValueError(f"deals cannot be filtered by {', '.join(unknown)}")
        return v


@dataclass
class DealResult:
    query: DealQuery
    rows: list[dict]  # the deals shown, best first
    total: int  # every deal that matches, not only those shown
    period: Period | None
    filters: dict[str, list[str]]
    currency: str
    as_of: date
    notes: list[Note] = field(default_factory=list)
    # The matching deals' amounts together, in the base currency, to the cent. Not compared: a warehouse adds
    # them in its own order, and the last bits of a float sum can differ (tests compare it within a cent).
    amount: float = field(default=0.0, compare=False)


def list_deals(store: MetricsStore, catalog: Catalog, query: DealQuery, cal: Calendar, filters: dict[str, list[str]],
               scope: frozenset[str] | None) -> DealResult:
    """The deals that match, within scope, sorted as asked; `filters` are canonical store values."""
    period = list_period(query, cal)
    mask = filter_mask(store, "deals", filters, scope) & _status(store, query.status)
    mask &= _dates(store, query, period, cal.as_of)
    mask &= _amounts(store, query)
    if query.risks:  # risk reasons are an open deal's (digest.md): a closed deal is overdue or stalled no more
        mask &= _status(store, "open") & _flagged(store, catalog, mask, cal.as_of, query.risks, query.stalled_days)
    pos = np.flatnonzero(mask)
    shown = _sort(store, pos, query, cal.as_of)
    result = DealResult(query, [], int(len(pos)), period, filters, store.base_currency, cal.as_of,
                        amount=together(store_array(store, "opportunities", "amount")[pos]))
    result.rows = deal_rows(store, catalog, shown, cal.as_of, with_reasons=bool(query.risks),
                            stalled_days=query.stalled_days)
    if query.risks and "stalled" in query.risks and store.last_changes(day_seconds(cal.as_of)) is None:
        result.notes.append(Note("no_history_for_stalled"))
    if query.status == "open" and period is not None and period.nominal_end < cal.as_of \
            and NAMED_NO_YEAR.match(query.period or ""):  # "my deals closing in December" on 2026-11-20 (kpis.md)
        result.notes.append(Note("named_past", (("period", f"{query.period.strip().capitalize()} {period.start.year + 1}"),)))
    return result


def together(amounts: np.ndarray) -> float:
    """Amounts summed, those missing left out, to the cent (as the warehouse's SUM is compared)."""
    return round(float(np.nansum(amounts)), 2)


def list_period(query: DealQuery, cal: Calendar) -> Period | None:
    """The list's period: open deals look forward to their close dates; deals won, lost, closed or
    created are done by as_of ("deals won this quarter" ends at as_of, as revenue does)."""
    if not query.period:
        return None
    ahead = query.status in ("open", "any") and query.date_field == "close"
    return parse_period(query.period, cal, forward=ahead)


# ---------------------------------------------------------------- conditions

def _status(store: MetricsStore, status: str) -> np.ndarray:
    closed = store_array(store, "opportunities", "is_closed")
    won = store_array(store, "opportunities", "is_won")
    return {"open": ~closed, "won": won, "lost": closed & ~won, "closed": closed,
            "any": np.ones(len(closed), dtype=bool)}[status]


def _dates(store: MetricsStore, query: DealQuery, period: Period | None, as_of: date) -> np.ndarray:
    column = "close_date" if query.date_field == "close" else "created_date"
    secs = store_array(store, "opportunities", column)
    mask = np.ones(len(secs), dtype=bool)
    if query.status in ("won", "lost", "closed"):  # done by as_of, with or without a period ("biggest won deal ever")
        mask &= store_array(store, "opportunities", "close_date") < day_seconds(as_of + timedelta(days=1))
    if period is not None:
        mask &= (secs >= day_seconds(period.start)) & (secs < day_seconds(period.end + timedelta(days=1)))
    if query.upcoming:
        mask &= store_array(store, "opportunities", "close_date") >= day_seconds(as_of)
    return mask


def _amounts(store: MetricsStore, query: DealQuery) -> np.ndarray:
    amount = store_array(store, "opportunities", "amount")
    mask = np.ones(len(amount), dtype=bool)
    if query.amount_min is not None:
        mask &= amount > query.amount_min  # NaN compares False: a deal without an amount is not "over 100k"
    if query.amount_max is not None:
        mask &= amount < query.amount_max
    return mask


def _flagged(store: MetricsStore, catalog: Catalog, mask: np.ndarray, as_of: date, risks: list[str],
             stalled_days: int) -> np.ndarray:
    pos = np.flatnonzero(mask)
    reasons = risk_flags(store, catalog, pos, as_of, stalled_days)
    hit = np.zeros(len(pos), dtype=bool)
    for reason in risks:
        hit |= reasons[reason]
    out = np.zeros(len(mask), dtype=bool)
    out[pos[hit]] = True
    return out


def risk_flags(store: MetricsStore, catalog: Catalog, pos: np.ndarray, as_of: date,
               stalled_days: int = STALLED_DAYS) -> dict[str, np.ndarray]:
    """Each risk reason of contracts/digest.md as a boolean over the deals at `pos` (open deals);
    a question may ask for another stall than the digests' 30 days ("stuck for 60 days")."""
    today = day_seconds(as_of)
    close = store_array(store, "opportunities", "close_date")[pos]
    amount = store_array(store, "opportunities", "amount")[pos]
    has_close = close != NO_DATE
    return {
        "overdue": has_close & (close < today),
        "stalled": _stalled(store, pos, as_of, stalled_days),
        "early_stage_closing": has_close & (close >= today) & (close < today + CLOSING_SOON_DAYS * DAY)
        & (_stage_default(store, catalog, pos) <= EARLY_STAGE),
        "missing_amount": np.isnan(amount),
        "missing_close_date": ~has_close,
    }


def _stalled(store: MetricsStore, pos: np.ndarray, as_of: date, days: int = STALLED_DAYS) -> np.ndarray:
    """No history row dated D−days … D−1 (30 days unless asked); a deal with no history before D:
    created that many days or more before D."""
    last = store.last_changes(day_seconds(as_of))
    if last is None:
        return np.zeros(len(pos), dtype=bool)
    start = day_seconds(as_of - timedelta(days=days))
    last = last[pos]
    created = store_array(store, "opportunities", "created_date")[pos]
    old_enough = (created != NO_DATE) & (created <= start)
    return np.where(last == NO_DATE, old_enough, last < start)


def history_deal(store: MetricsStore) -> np.ndarray:
    """For each history row, the position of its deal (-1: a deal not in opportunities); made
    when the history loads, which keeps it instead of the rows' deal ids."""
    store.history()
    return store.cached("history_deal_pos", lambda: np.empty(0, dtype=np.int32))  # no history at all


def _last_change(store: MetricsStore, as_of: date) -> np.ndarray:
    """Per deal, its latest history change before as_of, in seconds (NO_DATE when it has none)."""
    last = store.last_changes(day_seconds(as_of))
    return last if last is not None else np.full(len(store.deals), NO_DATE, dtype=np.int64)


def _stage_default(store: MetricsStore, catalog: Catalog, pos: np.ndarray) -> np.ndarray:
    """The catalog's default probability of the deals' stages at `pos` (NaN where it names none):
    looked up per stage code for those deals, not kept for every deal (8 MB at 1M deals)."""
    return stage_probabilities(store, catalog, np.nan)[store_array(store, "opportunities", "stage")[pos]]


# ---------------------------------------------------------------- order and rows

def _sort(store: MetricsStore, pos: np.ndarray, query: DealQuery, as_of: date) -> np.ndarray:
    """The first `limit` positions in the order asked for; deals lacking the sort value come last.
    Only the candidates for the top are fully sorted (ties broken by row), not every match."""
    if query.order_by == "amount":
        key = store_array(store, "opportunities", "amount")[pos]
    elif query.order_by == "close_date":
        key = _dates_as_float(store_array(store, "opportunities", "close_date")[pos])
    elif query.order_by == "age":  # oldest first: the earliest created_date
        key = -_dates_as_float(store_array(store, "opportunities", "created_date")[pos])
    else:  # longest since the last change first
        key = -_dates_as_float(_last_change(store, as_of)[pos])
    signed = np.where(np.isnan(key), np.inf, -key if query.desc else key)
    if len(signed) > query.limit:
        cut = np.partition(signed, query.limit - 1)[query.limit - 1]
        keep = signed <= cut
        pos, signed = pos[keep], signed[keep]
    return pos[np.lexsort((pos, signed))][:query.limit]


def _dates_as_float(secs: np.ndarray) -> np.ndarray:
    return np.where(secs == NO_DATE, np.nan, secs.astype("float64"))


def deal_rows(store: MetricsStore, catalog: Catalog, pos: np.ndarray, as_of: date, with_reasons: bool,
              flags: dict[str, np.ndarray] | None = None, stalled_days: int = STALLED_DAYS) -> list[dict]:
    """The deals at `pos` as answer rows (names, owner, stage, base-currency amount, close date; reasons if asked)."""
    deals = store.deals
    # Column by column: taking 10 rows of one Series is cheap, of the whole wide frame it is not.
    col = {c: deals[c].iloc[pos].tolist() if c in deals.columns else [None] * len(pos)
           for c in ("opportunity_id", "name", "account_id", "owner_id", "stage", "amount", "close_date", "is_closed",
                     "created_date")}
    owners = store.names("owner", filter(None, map(_text, col["owner_id"])))
    accounts = store.names("account", filter(None, map(_text, col["account_id"])))
    if flags is None:  # the caller may have them already, over the same positions
        flags = risk_flags(store, catalog, pos, as_of, stalled_days) if with_reasons else {}
    rows = []
    for i in range(len(pos)):
        owner, account = _text(col["owner_id"][i]), _text(col["account_id"][i])
        amount, close = col["amount"][i], col["close_date"][i]
        rows.append({
            "opportunity_id": str(col["opportunity_id"][i]), "name": _text(col["name"][i]),
            "account": accounts.get(account, account), "owner": owners.get(owner, owner), "owner_id": owner,
            "stage": _text(col["stage"][i]),
            "amount": None if pd.isna(amount) else round(float(amount), 2), "currency": store.base_currency,
            "close_date": None if pd.isna(close) else close.date().isoformat(),
            "created_date": None if pd.isna(col["created_date"][i]) else col["created_date"][i].date().isoformat(),
            "reasons": [r for r in RISKS if r in flags and flags[r][i]],  # every reason that holds
            "is_closed": bool(col["is_closed"][i]),
        })
    return rows


def _text(value: object) -> str | None:
    return None if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else str(value)
