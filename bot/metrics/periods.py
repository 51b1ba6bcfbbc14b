"""Periods: from words ("last quarter", "H1 2025", "march") to inclusive date ranges.

Relative periods resolve against `as_of`; quarters, halves and years follow the store's
fiscal_year_start_month. A fiscal year is named by the calendar year it ends in (with a
July start, FY2026 runs 2025-07-01 … 2026-06-30); with a January start that is simply
the calendar year. A period never runs past as_of unless the KPI looks forward
(pipeline and friends), and a named period without a year is the latest one that has
started.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd

from bot.errors import PeriodError

UNIT_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}

MONTHS = {
    # English, Danish and Swedish month names and their usual abbreviations.
    1: ("january", "jan", "januar", "januari"), 2: ("february", "feb", "februar", "februari"),
    3: ("march", "mar", "marts", "mars"), 4: ("april", "apr"), 5: ("may", "maj"),
    6: ("june", "jun", "juni"), 7: ("july", "jul", "juli"), 8: ("august", "aug", "augusti"),
    9: ("september", "sep", "sept"), 10: ("october", "oct", "oktober", "okt"),
    11: ("november", "nov"), 12: ("december", "dec"),
}
MONTH_WORDS = {w: n for n, words in MONTHS.items() for w in words}


@dataclass(frozen=True)
class Period:
    """An inclusive date range, with what it was called and how it steps back."""

    start: date
    end: date
    label: str
    unit: str  # month, quarter, half, year, week, days, range
    nominal_end: date  # the end before clipping at as_of ("this quarter" → quarter end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def nominal_days(self) -> int:
        return (self.nominal_end - self.start).days + 1

    @property
    def complete(self) -> bool:
        return self.end == self.nominal_end

    def as_range(self) -> str:
        """start..end, as a plan's period."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def previous(self, months: int | None = None) -> "Period":
        """The previous period of equal kind; months=12 gives the same period a year earlier."""
        step = months if months is not None else UNIT_MONTHS.get(self.unit)
        if step is None:  # weeks, day counts, explicit ranges step back by their own length
            delta = timedelta(days=self.days)
            return replace(self, start=self.start - delta, end=self.end - delta,
                           nominal_end=self.nominal_end - delta, label=f"the {self.days} days before")
        start = add_months(self.start, -step)
        nominal_end = add_months(self.nominal_end + timedelta(days=1), -step) - timedelta(days=1)
        end = nominal_end if self.complete else min(add_months(self.end, -step), nominal_end)
        return replace(self, start=start, end=end, nominal_end=nominal_end, label=f"{step} months earlier")

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def add_months(d: date, months: int) -> date:
    return (pd.Timestamp(d) + pd.DateOffset(months=months)).date()


def _month_start(year: int, month: int) -> date:
    year += (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


class Calendar:
    """Fiscal arithmetic for one store: where years, halves and quarters begin."""

    def __init__(self, as_of: date, fiscal_year_start_month: int = 1) -> None:
        self.as_of = as_of
        self.fy_start = fiscal_year_start_month

    # Fiscal year Y (named by the year it ends in) starts on this day.
    def fy_first_day(self, fy: int) -> date:
        return date(fy, 1, 1) if self.fy_start == 1 else date(fy - 1, self.fy_start, 1)

    def fiscal_year_of(self, d: date) -> int:
        return d.year if self.fy_start == 1 or d.month < self.fy_start else d.year + 1

    def unit_start(self, d: date, unit: str) -> date:
        """First day of the month / fiscal quarter / half / year containing d."""
        if unit == "month":
            return date(d.year, d.month, 1)
        size = UNIT_MONTHS[unit]
        first = self.fy_first_day(self.fiscal_year_of(d))
        months_in = (d.year - first.year) * 12 + d.month - first.month
        return add_months(first, months_in - months_in % size)

    def unit(self, start: date, unit: str, label: str, forward: bool) -> Period:
        nominal_end = add_months(start, UNIT_MONTHS[unit]) - timedelta(days=1)
        return self._clip(start, nominal_end, label, unit, forward)

    def _clip(self, start: date, nominal_end: date, label: str, unit: str, forward: bool) -> Period:
        end = nominal_end if forward or start > self.as_of else min(nominal_end, self.as_of)
        return Period(start, end, label, unit, nominal_end)

    def latest_started(self, start_this_year: date, unit: str) -> date:
        """A named period without a year: this year's if it has started, else last year's."""
        return start_this_year if start_this_year <= self.as_of else add_months(start_this_year, -12)

    def quarter_label(self, start: date) -> str:
        fy = self.fiscal_year_of(start)
        q = ((start.year - self.fy_first_day(fy).year) * 12 + start.month - self.fy_first_day(fy).month) // 3 + 1
        return f"Q{q} {fy}" if self.fy_start == 1 else f"FY{fy} Q{q}"


# ---------------------------------------------------------------- parsing

_REL = re.compile(r"^(this|current|last|previous|prior|next)\s+(week|month|quarter|half|year)$")
_ROLLING = re.compile(r"^(last|past|previous|next)\s+(\d{1,4})\s+(day|week|month|quarter|year)s?$")
_QUARTER = re.compile(r"^(?:fy\s?(\d{4})\s+)?q(\d+)(?:\s+(?:fy\s?)?(\d{4}))?$|^(\d{4})[\s-]?q(\d+)$")
_HALF = re.compile(r"^(?:fy\s?(\d{4})\s+)?h(\d+)(?:\s+(?:fy\s?)?(\d{4}))?$|^(\d{4})[\s-]?h(\d+)$")
_YEAR = re.compile(r"^(?:fy\s?)?(\d{4})$")
_YMONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DATE = r"(\d{4}-\d{1,2}-\d{1,2})"
_RANGE = re.compile(rf"^{_DATE}\s*(?:\.\.|to|–|—|until|-)\s*{_DATE}$")
_ALIASES = {
    "ytd": "year to date", "qtd": "quarter to date", "mtd": "month to date",
    "this fiscal year": "this year", "last fiscal year": "last year",
}


# A month, quarter or half named without a year ("december", "q1", "h1"): the latest that has begun.
NAMED = r"q[1-4]|h[12]|january|february|march|april|may|june|july|august|september|october|november|december"
NAMED_NO_YEAR = re.compile(rf"^\s*(?:{NAMED})\s*$", re.IGNORECASE)


def parse_period(text: str, cal: Calendar, forward: bool = False) -> Period:
    """Resolve a period expression; raise PeriodError with a plain reason when it is not one."""
    t = re.sub(r"\s+", " ", text.strip().lower())
    t = _ALIASES.get(t, t)
    for parse in (_parse_relative, _parse_rolling, _parse_to_date, _parse_quarter, _parse_half,
                  _parse_year, _parse_month, _parse_range):
        period = parse(t, cal, forward)
        if period is not None:
            return period
    raise PeriodError(f"I don't understand the period '{text}'. Try 'last quarter', 'this year', 'Q3 2025', "
                      "'H1', 'March', 'last 30 days' or '2025-01-01..2025-03-31'.")


def _parse_relative(t: str, cal: Calendar, forward: bool) -> Period | None:
    if t in ("today", "yesterday"):
        d = cal.as_of - timedelta(days=0 if t == "today" else 1)
        return Period(d, d, t, "days", d)
    m = _REL.match(t)
    if not m:
        return None
    which, unit = m.groups()
    step = {"this": 0, "current": 0, "next": 1}.get(which, -1)
    if unit == "week":  # weeks run Monday to Sunday
        monday = cal.as_of - timedelta(days=cal.as_of.weekday()) + timedelta(weeks=step)
        return cal._clip(monday, monday + timedelta(days=6), f"{which} week", "week", forward)
    start = add_months(cal.unit_start(cal.as_of, unit), step * UNIT_MONTHS[unit])
    return cal.unit(start, unit, f"{'this' if which == 'current' else which} {unit}", forward)


def _parse_rolling(t: str, cal: Calendar, forward: bool) -> Period | None:
    """The last N days (as_of − N + 1 … as_of), or the N whole weeks, months, quarters or years
    before the current one (kpis.md); the next N of them from as_of on (N days: as_of … as_of + N − 1;
    N months: to the day before the same date N months on), what is still to close, today's included."""
    m = _ROLLING.match(t)
    if not m:
        return None
    which, n, unit = m.group(1), int(m.group(2)), m.group(3)
    if n < 1:
        raise PeriodError("A period needs at least one day.")
    days = {"day": 1, "week": 7}.get(unit)
    if which == "next":
        after = cal.as_of + timedelta(days=n * days) if days else add_months(cal.as_of, n * UNIT_MONTHS[unit])
        return Period(cal.as_of, after - timedelta(days=1), f"next {n} {unit}s", "days", after - timedelta(days=1))
    if unit == "day":
        return Period(cal.as_of - timedelta(days=n - 1), cal.as_of, f"last {n} days", "days", cal.as_of)
    current = cal.unit_start(cal.as_of, unit) if unit != "week" else cal.as_of - timedelta(days=cal.as_of.weekday())
    start = add_months(current, -n * UNIT_MONTHS[unit]) if unit != "week" else current - timedelta(weeks=n)
    end = current - timedelta(days=1)
    return Period(start, end, f"last {n} {unit}s", "days", end)


def _parse_to_date(t: str, cal: Calendar, forward: bool) -> Period | None:
    m = re.match(r"^(year|quarter|month) to date$", t)
    if not m:
        return None
    unit = m.group(1)
    start = cal.unit_start(cal.as_of, unit)
    return Period(start, cal.as_of, f"{unit} to date", unit, add_months(start, UNIT_MONTHS[unit]) - timedelta(days=1))


def _numbered(m: re.Match, cal: Calendar, count: int, name: str) -> tuple[int, int | None]:
    groups = m.groups()
    n = int(groups[1] or groups[4])
    year = groups[0] or groups[2] or groups[3]
    if not 1 <= n <= count:
        raise PeriodError(f"There is no {name}{n}: a year has {name}1 to {name}{count}.")
    return n, int(year) if year else None


def _parse_quarter(t: str, cal: Calendar, forward: bool) -> Period | None:
    m = _QUARTER.match(t)
    if not m:
        return None
    q, fy = _numbered(m, cal, 4, "Q")
    return _fiscal_part(cal, fy, (q - 1) * 3, "quarter", forward)


def _parse_half(t: str, cal: Calendar, forward: bool) -> Period | None:
    m = _HALF.match(t)
    if not m:
        return None
    h, fy = _numbered(m, cal, 2, "H")
    return _fiscal_part(cal, fy, (h - 1) * 6, "half", forward)


def _fiscal_part(cal: Calendar, fy: int | None, offset: int, unit: str, forward: bool) -> Period:
    if fy is None:
        start = cal.latest_started(add_months(cal.fy_first_day(cal.fiscal_year_of(cal.as_of)), offset), unit)
    else:
        start = add_months(cal.fy_first_day(fy), offset)
    label = cal.quarter_label(start) if unit == "quarter" else f"H{offset // 6 + 1} {cal.fiscal_year_of(start)}"
    return cal.unit(start, unit, label, forward)


def _parse_year(t: str, cal: Calendar, forward: bool) -> Period | None:
    if t in ("this year", "last year", "next year"):
        return None  # handled by _parse_relative
    m = _YEAR.match(t)
    if not m:
        return None
    fy = int(m.group(1))
    label = str(fy) if cal.fy_start == 1 else f"FY{fy}"
    return cal.unit(cal.fy_first_day(fy), "year", label, forward)


def _parse_month(t: str, cal: Calendar, forward: bool) -> Period | None:
    m = _YMONTH.match(t)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"There is no month {month}.")
        return cal.unit(date(year, month, 1), "month", f"{date(year, month, 1):%B %Y}", forward)
    words = t.replace(",", " ").split()
    if not words or words[0] not in MONTH_WORDS or len(words) > 2:
        return None
    month = MONTH_WORDS[words[0]]
    if len(words) == 2:
        if not words[1].isdigit() or len(words[1]) != 4:
            return None
        start = date(int(words[1]), month, 1)
    else:
        start = cal.latest_started(date(cal.as_of.year, month, 1), "month")
    return cal.unit(start, "month", f"{start:%B %Y}", forward)


def _parse_range(t: str, cal: Calendar, forward: bool) -> Period | None:
    m = _RANGE.match(t)
    if m:
        start, end = _iso(m.group(1)), _iso(m.group(2))
    elif re.fullmatch(_DATE, t):
        start = end = _iso(t)
    else:
        return None
    if end < start:
        raise PeriodError(f"The period ends ({end}) before it starts ({start}).")
    return cal._clip(start, end, f"{start} to {end}", "range", forward)


def _iso(text: str) -> date:
    try:
        return date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
    except ValueError as exc:
        raise PeriodError(f"'{text}' is not a date on the calendar.") from exc


def shift_year(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes the 28th in a year without one)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
