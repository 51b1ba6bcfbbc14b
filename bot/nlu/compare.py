"""Comparisons: "revenue this quarter vs last quarter", "win rate Norden mod DACH", "H1 2025
jämfört med H1 2026". The question is cut at its comparison words; each side is parsed on its
own, and what a side leaves out (the KPI, a shared period or filter, "my") it takes from the
others, so that every side is a whole KPI question answered as it would be on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bot.metrics.periods import NAMED, NAMED_NO_YEAR
from bot.nlu.parser import Parsed

# Words that set one side against another. "against" before a target word asks for attainment.
CUE = re.compile(r"\s*(?:\bvs\b\.?|\bversus\b|\bcompared (?:with|to)\b|\bcompares? (?:with|to)\b|\bcompare(?:d)?\b(?= \S+ (?:with|to)\b)|"
                 r"\bagainst\b(?! (?:my |our |the |vores |min |mitt |vår |vårt )?(?:quota|target|budget|plan|goal|kvote|"
                 r"kvot|mål|budgettet|budgeten|målet)\b)|\bmod\b(?! (?:budget|budgettet|mål|målet|kvote|kvoten)\b)|"
                 r"\bmot\b(?! (?:budget|budgeten|mål|målet|kvot|kvoten)\b)|\bkontra\b|\bjämfört med\b|"
                 r"\bsammenlignet med\b|\b(?:i forhold til|ift\.?)(?! (?:budget|budgettet|mål|målet|kvote|kvoten)\b)|"
                 r"\bjämfört mot\b)\s*", re.IGNORECASE)
COMPARE_WITH = re.compile(r"^\s*(?:and\s+|og\s+|och\s+)?(?:compare (?:it |that )?(?:with|to|w/?)|sammenlign (?:det )?med|"
                          r"how does (?:that|it|this) compare (?:with|to)|hvordan er det i forhold til|"
                          r"hur står (?:det|sig det) (?:mot|jämfört med)|"
                          r"jämför (?:det |med det )?(?:med|mot)|compared (?:with|to)|sammenlignet med|"
                          r"jämfört (?:med|mot)|i forhold til|ift\.?|vs\.?|versus|mod|mot)\s+(?P<rest>.+?)\s*[?.!]*$",
                          re.IGNORECASE)
_SAME = (r"(?:the )?same (?:period|quarter|q|month|week|half|time|days) (?:last (?:year|yr)|prev(?:ious)? (?:year|yr)|"
         r"a (?:year|yr) (?:ago|earlier|before))|"
         r"(?:den |det )?samme (?:periode|kvartal|måned|uge|halvår|tid) (?:sidste år|året før|i fjor)|"
         r"(?:samma|samme) (?:period|kvartal|månad|vecka|halvår|tid) (?:förra året|i fjol|året innan)")
# "… vs the same quarter last year": the first side's period a year earlier.
SAME_AGO = re.compile(rf"^(?:{_SAME})$", re.IGNORECASE)
# "revenue for the same period last year" on its own: the KPI's period (to date, for a quarter or
# month named) a year earlier.
SAME_PERIOD_AGO = re.compile(rf"\b(?:{_SAME})\b", re.IGNORECASE)
SAME_UNIT = {"quarter": "quarter to date", "kvartal": "quarter to date", "month": "month to date",
             "måned": "month to date", "månad": "month to date"}
# "… vs the quarter before", "… mod kvartalet før": the period just before the first side's (which
# "last quarter" is only when the first side is this quarter).
_UNIT = r"(?:period|quarter|month|week|half|year)"
JUST_BEFORE = re.compile(
    rf"^(?:(?:the )?(?:previous|prior|preceding) {_UNIT}|(?:the )?{_UNIT} before|(?:the )?(?:last|previous|prior)(?: one)?|"
    r"sidste|forrige|förra|föregående|"
    r"(?:den |det )?(?:forrige|foregående) (?:periode|kvartal|måned|uge|halvår|år)|"
    r"(?:perioden|kvartalet|måneden|ugen|halvåret|året) (?:før|inden)|"
    r"föregående (?:period|perioden|kvartal|kvartalet|månad|månaden|vecka|veckan|halvår|halvåret|år|året)|"
    r"(?:perioden|kvartalet|månaden|veckan|halvåret|året) (?:innan|före))$", re.IGNORECASE)
# After a KPI answer, "compare with last year" means the same period a year earlier too.
YEAR_AGO_WORDS = re.compile(rf"^(?:{_SAME}|last year|last yr|the year before|a year ago|a year earlier|sidste år|året før|"
                            r"förra året|i fjor|i fjol)$", re.IGNORECASE)


# A side that names a group of people rather than a filter: "my win rate vs the team (average)",
# "… mod teamets", "… jämfört med företaget". Its words, all of them, from these sets.
_FILLER = {"the", "my", "our", "rest", "of", "average", "avg", "mean", "as", "a", "whole", "entire", "all",
           "det", "den", "de", "mit", "mitt", "mine", "mina", "vores", "vårt", "våra", "resten", "af", "av", "hele",
           "hela", "gennemsnit", "gennemsnittet", "snit", "snittet", "genomsnitt", "genomsnittet", "i", "på", "'s"}
_TEAM = {"team", "team's", "teams", "teamet", "teamets", "hold", "holdet", "holdets", "lag", "laget", "lagets",
         "colleagues", "kolleger", "kollegaer", "kollegor", "peers"}
_SELF = {"me", "myself", "mig", "mej", "jeg", "jag", "i", "mine", "mitt", "mina", "mit"}
_COMPANY = {"company", "company's", "firm", "org", "organisation", "organization", "everyone", "everybody",
            "reps", "overall", "firmaet", "virksomheden", "virksomhedens", "firmaets", "alle", "sælgere",
            "företaget", "företagets", "bolaget", "alla", "säljare", "sellers", "salespeople"}


AVERAGE_WORDS = {"average", "avg", "mean", "gennemsnit", "gennemsnittet", "snit", "snittet", "genomsnitt",
                 "genomsnittet", "typical"}


def averaged(text: str) -> bool:
    """'… vs the team average': the group's figure per rep, not its total."""
    return bool(AVERAGE_WORDS & set(re.findall(r"[\w']+", text.lower())))


def people_side(text: str, read: set[str] = frozenset()) -> str | None:
    """'team', 'company' or 'self' ("me vs my team") when a side's words name only such a group or
    the asker, besides the words `read` for something else (its period)."""
    words = re.findall(r"[\w']+", text.lower().replace("’", "'"))
    words = [w[:-2] if w.endswith("'s") and w[:-2] in _TEAM | _COMPANY else w for w in words]
    content = {w for w in words if w not in _FILLER and (w in _TEAM | _COMPANY or w not in read)}
    if content and content <= _TEAM:
        return "team"
    if content and content <= _SELF:
        return "self"
    if content and content <= _COMPANY or not content and {"average", "gennemsnittet", "snittet", "genomsnittet"} & set(words):
        return "company"
    return None


@dataclass
class Comparison:
    """One KPI on two or more sides; `by` says what differs: "period" or a dimension."""

    question: str
    sides: list[Parsed]
    by: str
    lang: str
    dropped: list[str] = field(default_factory=list)  # breakdowns a side asked for: sides compare totals


# "compare revenue this year with last year", "sammenlign omsætning i år med sidste år", "jämför win rate
# Norden och DACH": the verb first, the sides joined by with/to/and.
LEAD = re.compile(r"^\s*(?:can you |could you |please |kan du |pls )?(?:compare|sammenlign|sammenligne|jämför|jämföra)\s+"
                  r"(?P<a>.+?)\s+(?:with|to|and|against|med|og|mot|och)\s+(?P<b>.+?)\s*[?.!]*$", re.IGNORECASE)


def split_sides(question: str) -> list[str] | None:
    """The question cut at its comparison words, or None when it compares nothing."""
    lead = LEAD.match(question)
    if lead:
        return [lead.group("a").strip(" ,"), lead.group("b").strip(" ,")]
    parts = [p.strip(" ,?!.") for p in CUE.split(question)]
    if len(parts) < 2 or any(not p for p in parts):
        return None
    return parts


NAMED_IN_YEAR = re.compile(rf"^(?:{NAMED}) (\d{{4}})$")  # (a month, quarter or half, and a year)


KINDS = ({"region", "country", "team"}, {"owner", "team"})  # filters that say where, or who
WHO_OR_WHERE = set().union(*KINDS)


def _same_kind(dim: str, filters: dict) -> bool:
    return any(dim in kind and any(d in kind for d in filters) for kind in KINDS)


def _year_shared(sides: list[Parsed]) -> list[Parsed]:
    """'revenue H1 vs H2 2025', 'Q1 vs Q2 2025': the year said once is every named period's (H1 was 2026)."""
    years = {m.group(1) for s in sides if s.period and (m := NAMED_IN_YEAR.match(s.period))}
    if len(years) != 1:
        return sides
    year = years.pop()
    named = {s.period.split()[0] for s in sides if s.period and NAMED_IN_YEAR.match(s.period)}
    # ("October vs October last year" sets two Octobers apart: the bare one keeps its own year)
    return [replace(s, period=f"{s.period} {year}") if s.period and NAMED_NO_YEAR.match(s.period) and s.period not in named
            else s for s in sides]


def combine(question: str, sides: list[Parsed]) -> Comparison | None:
    """Fill each side's gaps from the others; None when the sides do not differ in anything."""
    metric = next((s.metric for s in sides if s.metric), None)
    periods = {s.period for s in sides if s.period}
    shared_period = next(iter(periods)) if len(periods) == 1 else None
    dims = {d for s in sides for d in s.filters}
    # A filter said on one side is every side's ("Nordics vs DACH in Enterprise"), unless a side lacking it
    # names a place or person of its own instead: "pipeline NA vs UK" sets a region against a country.
    shared = {d: next(s.filters[d] for s in sides if d in s.filters) for d in dims
              if len({tuple(s.filters[d]) for s in sides if d in s.filters}) == 1
              and not any(d not in s.filters and _same_kind(d, s.filters) for s in sides)}
    # "my win rate this year vs last year": the one who named is every side's; "mine vs my team" or
    # "mine vs the company" set whoever each side names against the other.
    named = [(s.mine, s.my_team, s.everyone) for s in sides if s.mine or s.my_team or s.everyone]
    spread = len(set(named)) == 1 and not any(s.filters.get("owner") for s in sides)
    sides = _year_shared(sides)
    whole = []
    for s in sides:
        # a filter named on a side of no one in particular is not spread to a side that names someone:
        # "win rate my team vs DACH" sets the team against the region
        who = s.mine or s.my_team or s.everyone
        filters = {**{d: v for d, v in shared.items()
                      if not who or any(x.filters.get(d) and (x.mine or x.my_team or x.everyone) for x in sides)},
                   **s.filters}
        # ("SMB vs Mid-Market in my team": the segments of my team; "my team vs DACH": a place of its own)
        takes = spread and not s.everyone and not any(d in WHO_OR_WHERE for d in s.filters)
        whole.append(replace(s, kind="kpi", metric=s.metric or metric, period=s.period or shared_period,
                             filters=filters, mine=s.mine or takes and named[0][0],
                             my_team=s.my_team or takes and named[0][1], group_by=[], order=None, limit=None))
    by = "period" if len({w.period for w in whole}) > 1 else next(
        (d for d in sorted(dims) if len({tuple(w.filters.get(d, ())) for w in whole}) > 1), None)
    if by is None and len({(w.mine, w.my_team) for w in whole}) > 1:
        by = "owner"
    if by is None:
        return None
    lang = next((s.lang for s in sides if s.metric), sides[0].lang)
    return Comparison(question, whole, by, lang, dropped=list(dict.fromkeys(d for s in sides for d in s.group_by)))
