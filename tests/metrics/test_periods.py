"""Periods against as_of 2026-11-20 (a Friday), with calendar and fiscal years."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import PeriodError
from bot.metrics.periods import Calendar, parse_period

AS_OF = date(2026, 11, 20)


def span(text: str, fy: int = 1, forward: bool = False, as_of: date = AS_OF) -> tuple[str, str]:
    p = parse_period(text, Calendar(as_of, fy), forward=forward)
    return str(p.start), str(p.end)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("this quarter", ("2026-10-01", "2026-11-20")),
        ("last quarter", ("2026-07-01", "2026-09-30")),
        ("last month", ("2026-10-01", "2026-10-31")),
        ("this month", ("2026-11-01", "2026-11-20")),
        ("last week", ("2026-11-09", "2026-11-15")),  # Monday to Sunday
        ("this week", ("2026-11-16", "2026-11-20")),
        ("this year", ("2026-01-01", "2026-11-20")),
        ("last year", ("2025-01-01", "2025-12-31")),
        ("YTD", ("2026-01-01", "2026-11-20")),
        ("qtd", ("2026-10-01", "2026-11-20")),
        ("MTD", ("2026-11-01", "2026-11-20")),
        ("last 30 days", ("2026-10-22", "2026-11-20")),
        ("last 7 days", ("2026-11-14", "2026-11-20")),
        ("H1", ("2026-01-01", "2026-06-30")),
        ("H2", ("2026-07-01", "2026-11-20")),
        ("h1 2025", ("2025-01-01", "2025-06-30")),
        ("Q2", ("2026-04-01", "2026-06-30")),
        ("Q4", ("2026-10-01", "2026-11-20")),
        ("q3 2025", ("2025-07-01", "2025-09-30")),
        ("2025-Q3", ("2025-07-01", "2025-09-30")),
        ("2025", ("2025-01-01", "2025-12-31")),
        ("march", ("2026-03-01", "2026-03-31")),
        ("December", ("2025-12-01", "2025-12-31")),  # the latest December that has started
        ("november", ("2026-11-01", "2026-11-20")),
        ("marts 2025", ("2025-03-01", "2025-03-31")),  # Danish
        ("oktober", ("2026-10-01", "2026-10-31")),
        ("2024-02", ("2024-02-01", "2024-02-29")),
        ("2025-01-01..2025-03-31", ("2025-01-01", "2025-03-31")),
        ("2026-11-01 to 2026-12-31", ("2026-11-01", "2026-11-20")),
        ("yesterday", ("2026-11-19", "2026-11-19")),
        ("last 2 quarters", ("2026-04-01", "2026-09-30")),  # the whole quarters before this one
        ("last 2 years", ("2024-01-01", "2025-12-31")),
        ("next 7 days", ("2026-11-20", "2026-11-26")),  # as_of and the six days after it
        ("next 2 weeks", ("2026-11-20", "2026-12-03")),
        ("next 3 months", ("2026-11-20", "2027-02-19")),  # to the day before 2027-02-20
    ],
)
def test_calendar_periods(text, expected):
    assert span(text) == expected


def test_forward_looking_kpis_see_the_whole_period():
    assert span("this quarter", forward=True) == ("2026-10-01", "2026-12-31")
    assert span("next quarter", forward=True) == ("2027-01-01", "2027-03-31")
    assert span("this year", forward=True) == ("2026-01-01", "2026-12-31")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Fiscal year starting in July, named by the year it ends in: FY2027 = 2026-07-01 … 2027-06-30.
        ("this quarter", ("2026-10-01", "2026-11-20")),
        ("last quarter", ("2026-07-01", "2026-09-30")),
        ("this year", ("2026-07-01", "2026-11-20")),
        ("last year", ("2025-07-01", "2026-06-30")),
        ("Q1", ("2026-07-01", "2026-09-30")),
        ("Q3", ("2026-01-01", "2026-03-31")),  # FY2026 Q3: the latest Q3 that has started
        ("Q1 2026", ("2025-07-01", "2025-09-30")),
        ("H1", ("2026-07-01", "2026-11-20")),
        ("H2", ("2026-01-01", "2026-06-30")),
        ("2026", ("2025-07-01", "2026-06-30")),
        ("ytd", ("2026-07-01", "2026-11-20")),
    ],
)
def test_fiscal_year_starting_in_july(text, expected):
    assert span(text, fy=7) == expected


def test_fiscal_year_starting_in_april_across_the_year_boundary():
    jan = date(2027, 1, 15)
    assert span("this quarter", fy=4, as_of=jan) == ("2027-01-01", "2027-01-15")
    assert span("last quarter", fy=4, as_of=jan) == ("2026-10-01", "2026-12-31")
    assert span("this year", fy=4, as_of=jan) == ("2026-04-01", "2027-01-15")
    assert span("Q4", fy=4, as_of=jan) == ("2027-01-01", "2027-01-15")


def test_quarter_labels():
    assert Calendar(AS_OF, 1).quarter_label(date(2026, 7, 1)) == "Q3 2026"
    assert Calendar(AS_OF, 7).quarter_label(date(2026, 7, 1)) == "FY2027 Q1"


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("last quarter", ("2026-04-01", "2026-06-30")),
        ("this quarter", ("2026-07-01", "2026-08-20")),  # the same span of the previous quarter
        ("last month", ("2026-09-01", "2026-09-30")),
        ("2026-11", ("2026-10-01", "2026-10-20")),
        ("last week", ("2026-11-02", "2026-11-08")),
        ("last 30 days", ("2026-09-22", "2026-10-21")),
    ],
)
def test_previous_period_of_equal_kind(text, previous):
    p = parse_period(text, Calendar(AS_OF, 1)).previous()
    assert (str(p.start), str(p.end)) == previous


def test_year_ago():
    p = parse_period("last month", Calendar(AS_OF, 1)).previous(12)
    assert (str(p.start), str(p.end)) == ("2025-10-01", "2025-10-31")


@pytest.mark.parametrize("text", ["Q5", "Q0", "H3", "2025-02-30", "2025-13", "next tuesday-ish", "",
                                  "2025-03-01..2025-01-01", "last 0 days"])
def test_bad_periods_are_user_errors(text):
    with pytest.raises(PeriodError) as exc:
        parse_period(text, Calendar(AS_OF, 1))
    assert str(exc.value)  # a message the user can read
