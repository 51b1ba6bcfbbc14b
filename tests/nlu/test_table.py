"""A table of 420 phrasings, about a third per language, typed the way people type in Slack (typos,
word orders, casual frames): each must resolve to the KPI, period and filters listed, and its value
must equal an independent pandas computation over the raw demo files (tests/reference.py),
written from docs/contracts/kpis.md without the engine."""

from __future__ import annotations

import random
from datetime import date

import pandas as pd
import pytest

from bot.core.assistant import Assistant
from bot.metrics import demo
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from tests.reference import raw_deals

AS_OF = date(2026, 11, 20)

KPIS = {  # words people use for the KPI, per language (a typo or an inflection among them)
    "en": {"revenue": ["revenue", "revnue", "bookings", "sales"], "deals_won": ["deals won", "won deals", "wins"],
           "win_rate": ["win rate", "winrate", "hit rate"], "pipeline": ["pipeline", "pipline", "pipe"],
           "avg_deal_size": ["average deal size", "avg deal size", "deal size"], "deals_lost": ["deals lost", "lost deals"]},
    "da": {"revenue": ["omsætning", "omsætningen", "salg"], "deals_won": ["vundne aftaler", "vundne deals"],
           "win_rate": ["win rate", "hitrate", "vinderrate"], "pipeline": ["pipeline", "pipelinen", "salgspipeline"],
           "avg_deal_size": ["gennemsnitlig ordrestørrelse", "ordrestørrelse"], "deals_lost": ["tabte aftaler"]},
    "sv": {"revenue": ["intäkter", "intäkterna", "försäljning"], "deals_won": ["vunna affärer", "vunna avtal"],
           "win_rate": ["win rate", "vinstandel", "vinstfrekvens"], "pipeline": ["pipeline", "pipelinen", "säljpipeline"],
           "avg_deal_size": ["genomsnittlig affärsstorlek", "affärsstorlek"], "deals_lost": ["förlorade affärer"]},
}
PERIODS = {  # words → (start, end) as of 2026-11-20; pipeline looks forward to close dates
    "en": {"last quarter": ("2026-07-01", "2026-09-30"), "last month": ("2026-10-01", "2026-10-31"),
           "Q2 2026": ("2026-04-01", "2026-06-30"), "last year": ("2025-01-01", "2025-12-31"),
           "lst mnth": ("2026-10-01", "2026-10-31"), "since March": ("2026-03-01", "2026-11-20"),
           "Q3 last year": ("2025-07-01", "2025-09-30")},
    "da": {"sidste kvartal": ("2026-07-01", "2026-09-30"), "sidste måned": ("2026-10-01", "2026-10-31"),
           "2. kvartal 2026": ("2026-04-01", "2026-06-30"), "sidste år": ("2025-01-01", "2025-12-31"),
           "i fjor": ("2025-01-01", "2025-12-31"), "siden marts": ("2026-03-01", "2026-11-20"),
           "3. kvartal sidste år": ("2025-07-01", "2025-09-30")},
    "sv": {"förra kvartalet": ("2026-07-01", "2026-09-30"), "förra månaden": ("2026-10-01", "2026-10-31"),
           "Q2 2026": ("2026-04-01", "2026-06-30"), "förra året": ("2025-01-01", "2025-12-31"),
           "i fjol": ("2025-01-01", "2025-12-31"), "sedan mars": ("2026-03-01", "2026-11-20"),
           "tredje kvartalet i fjol": ("2025-07-01", "2025-09-30")},
}
PLACES = {  # words → (dimension, value as stored)
    "en": {"": None, "DACH": ("region", "DACH"), "the Nordics": ("region", "Nordics"), "Germany": ("country", "DE"),
           "Sweden": ("country", "SE"), "Enterprise": ("segment", "Enterprise")},
    "da": {"": None, "DACH": ("region", "DACH"), "Norden": ("region", "Nordics"), "Tyskland": ("country", "DE"),
           "Sverige": ("country", "SE"), "Danmark": ("country", "DK")},
    "sv": {"": None, "DACH": ("region", "DACH"), "Norden": ("region", "Nordics"), "Tyskland": ("country", "DE"),
           "Sverige": ("country", "SE"), "Danmark": ("country", "DK")},
}
FRAMES = {
    "en": ["{kpi} {period}{place_in}", "what was our {kpi} {period}{place_in}?", "{kpi}{place_in} {period}",
           "hey, {kpi} {period}{place_in} pls", "{period} {kpi}{place_in}?", "can u show {kpi}{place_in} {period}"],
    "da": ["{kpi} {period}{place_in}", "hvad var {kpi} {period}{place_in}?", "{kpi}{place_in} {period}",
           "hej, {kpi} {period}{place_in} tak", "kan du vise {kpi}{place_in} {period}?", "{period} {kpi}{place_in}"],
    "sv": ["{kpi} {period}{place_in}", "vad var {kpi} {period}{place_in}?", "{kpi}{place_in} {period}",
           "hej, {kpi} {period}{place_in} tack", "kan du visa {kpi}{place_in} {period}?", "{period} {kpi}{place_in}"],
}
IN = {"en": " in ", "da": " i ", "sv": " i "}


def table() -> list[tuple[str, str, str, tuple[str, str], tuple[str, str] | None]]:
    """(question, language, KPI, period, filter): 140 a language, drawn from the cross product."""
    rng = random.Random(20261120)
    rows = []
    for lang in ("en", "da", "sv"):
        combos = [(kid, word, period, place, frame) for kid, words in KPIS[lang].items() for word in words
                  for period in PERIODS[lang] for place in PLACES[lang] for frame in FRAMES[lang]]
        for kid, word, period, place, frame in rng.sample(combos, 140):
            text = frame.format(kpi=word, period=period, place_in=IN[lang] + place if place else "")
            rows.append((" ".join(text.split()), lang, kid, PERIODS[lang][period], PLACES[lang][place]))
    return rows


CASES = table()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("table")
    demo.write_demo(out, seed=5, deals=6_000, as_of=AS_OF)
    return Assistant(Engine(load_store(out))), raw_deals(out)


def reference(d: pd.DataFrame, kid: str, period: tuple[str, str], where: tuple[str, str] | None) -> float | None:
    """The KPI as kpis.md defines it, over the raw rows."""
    if where:
        d = d[d[where[0]] == where[1]]
    lo, hi = pd.Timestamp(period[0]), pd.Timestamp(period[1])
    closing = (d["close_date"] >= lo) & (d["close_date"] <= hi)
    won, lost = d[d["is_won"] & closing], d[d["is_closed"] & ~d["is_won"] & closing]
    if kid == "revenue":
        return float(won["eur"].sum())
    if kid == "deals_won":
        return float(len(won))
    if kid == "deals_lost":
        return float(len(lost))
    if kid == "win_rate":
        return len(won) / (len(won) + len(lost)) if len(won) + len(lost) else None
    if kid == "avg_deal_size":
        return float(won["eur"].mean()) if won["eur"].notna().any() else None
    if kid == "pipeline":
        return float(d.loc[~d["is_closed"] & closing, "eur"].sum())
    raise AssertionError(kid)


NEUTRAL = {"win", "rate", "pipeline", "q2", "2026", "i", "in", "dach", "danmark", "tyskland", "sverige", "norden",
           "hitrate", "hit", "deal", "size", "?", "pipe"}


def telling(question: str, lang: str) -> bool:
    """Does the question hold a word of its own language (beyond names said the same in all three)?"""
    return lang == "en" or any(w.strip("?,!") not in NEUTRAL for w in question.lower().split())


def test_the_table_is_a_third_per_language():
    assert len(CASES) >= 400 and len({c[0] for c in CASES}) >= 400
    assert {lang: sum(c[1] == lang for c in CASES) for lang in ("en", "da", "sv")} == {"en": 140, "da": 140, "sv": 140}


@pytest.mark.parametrize("question,lang,kid,period,where", CASES, ids=[c[0] for c in CASES])
def test_phrasing(world, question, lang, kid, period, where):
    assistant, d = world
    answer = assistant.ask(question, as_of=AS_OF)
    if answer.kind == "deals":  # "show won deals …" lists them; the list's value is their count
        assert kid in ("deals_won", "deals_lost") and answer.value == reference(d, kid, period, where), answer.text
        return
    assert answer.kind == "kpi" and answer.metric == kid, answer.text
    assert (answer.period["start"], answer.period["end"]) == period, answer.text
    assert answer.filters == ({where[0]: where[1]} if where else {}), answer.text
    if telling(question, lang):  # "win rate Q2 2026 i Danmark" could be Danish or Swedish
        assert answer.lang == lang, answer.text
    assert answer.unused == [], answer.text
    expected = reference(d, kid, period, where)
    assert answer.value == (pytest.approx(expected) if expected is not None else None), answer.text


def test_every_kpi_period_and_place_is_in_the_table():
    for lang in ("en", "da", "sv"):
        rows = [c for c in CASES if c[1] == lang]
        assert {c[2] for c in rows} == set(KPIS[lang])
        assert {c[3] for c in rows} == set(PERIODS[lang].values())
        assert {c[4] for c in rows} == set(PLACES[lang].values())

