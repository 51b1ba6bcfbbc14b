"""The words the offline parser knows beyond the KPI catalog, in English, Danish and Swedish.

Period phrases map onto the canonical English expressions that bot.metrics.periods
understands; the rest are cue words. KPI and dimension names live in the catalog.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------- periods
# (pattern over normalised text, replacement in the canonical period language). Checked in
# order; a match is taken out of the question so its words are not read twice.
_UNIT = {
    # English
    "week": "week", "month": "month", "quarter": "quarter", "qtr": "quarter", "q": "quarter",
    "half": "half", "year": "year", "yr": "year", "fy": "year", "fiscal year": "year", "mnth": "month",
    "mth": "month", "mo": "month", "wk": "week", "qrt": "quarter", "qtr.": "quarter",
    # Danish
    "uge": "week", "ugen": "week", "måned": "month", "måneden": "month", "kvartal": "quarter",
    "kvartalet": "quarter", "halvår": "half", "halvåret": "half", "år": "year", "året": "year",
    "regnskabsår": "year", "regnskabsåret": "year", "kvt": "quarter", "kvt.": "quarter", "mdr": "month",
    "md": "month", "mdr.": "month",
    # Swedish
    "vecka": "week", "veckan": "week", "månad": "month", "månaden": "month",
    "räkenskapsår": "year", "räkenskapsåret": "year",
}
_UNITS = "|".join(sorted(map(re.escape, _UNIT), key=len, reverse=True))
_THIS = r"this|current|the current|denne|dette|indeværende|nuværende|denna|detta|den här|det här|innevarande|nuvarande"
_LAST = r"last|previous|prior|past|the last|the previous|lst|prev|sidste|forrige|seneste|förra|föregående|senaste"
_NEXT = r"next|the next|upcoming|nxt|næste|kommende|nästa|kommande"
_LAST_YEAR = r"last year|last yr|prev yr|previous year|the year before|sidste år|forrige år|i fjor|i fjol|förra året|föregående år"
_NEXT_YEAR = r"next year|next yr|the coming year|the year after|næste år|kommende år|nästa år|kommande år"
_THIS_YEAR = r"this year|this yr|the current year|i år|dette år|detta år"
_REL_YEAR = f"{_LAST_YEAR}|{_NEXT_YEAR}|{_THIS_YEAR}"
_ORD_Q = {"first": 1, "second": 2, "third": 3, "fourth": 4, "første": 1, "andet": 2, "anden": 2, "tredje": 3,
          "fjerde": 4, "första": 1, "andra": 2, "fjärde": 4}
_ORDS = "|".join(_ORD_Q)


def year_offset(words: str) -> int:
    """-1, +1 or 0: the year "Q1 next year" and its kin speak of, from the matched year words."""
    return -1 if re.fullmatch(_LAST_YEAR, words) else 1 if re.fullmatch(_NEXT_YEAR, words) else 0
_DAYS = r"days?|dage|dagene|dagar|dagarna|weeks?|uger|ugerne|veckor|veckorna|months?|måneder|månederne|månader|månaderna"
# "the last 2 quarters", "de seneste 3 år", "senaste två åren": whole quarters or years before the current one
_QUARTERS_YEARS = r"quarters|qtrs|kvartaler|kvartalerne|kvartal|kvartalen|years|yrs|år|åren|årene"
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "twelve": 12, "en": 1, "et": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5,
                 "seks": 6, "syv": 7, "otte": 8, "ni": 9, "ti": 10, "tolv": 12, "ett": 1, "två": 2, "fyra": 4,
                 "sex": 6, "sju": 7, "åtta": 8, "nio": 9, "tio": 10}

MONTHS = {
    "january": 1, "jan": 1, "januar": 1, "januari": 1, "february": 2, "feb": 2, "februar": 2, "februari": 2,
    "march": 3, "mar": 3, "marts": 3, "mars": 3, "april": 4, "apr": 4, "may": 5, "maj": 5, "june": 6,
    "jun": 6, "juni": 6, "july": 7, "jul": 7, "juli": 7, "august": 8, "aug": 8, "augusti": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "oktober": 10, "okt": 10,
    "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_MONTHS = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTHS_LONG = "|".join(sorted((m for m in MONTHS if len(m) > 3 or m == "maj"), key=len, reverse=True))
MONTH_NAMES_EN = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                  "october", "november", "december"]


def _unit(word: str) -> str:
    return _UNIT[word]


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _unit_of_days(word: str) -> str:
    w = word[:3]
    return "week" if w in ("wee", "uge", "vec") else ("month" if w in ("mon", "mån") else "day")


PERIOD_RULES: list[tuple[re.Pattern, object]] = [
    (re.compile(r"\b(\d{4}-\d{1,2}-\d{1,2})\s*(?:\.\.|to|til|till|until|–|—|-)?\s*(\d{4}-\d{1,2}-\d{1,2})\b"),
     lambda m: f"{m[1]}..{m[2]}"),
    (re.compile(r"\b(\d{4}-\d{1,2}-\d{1,2})\b"), lambda m: m[1]),
    # "since the start of the year", "siden nytår", "sedan årsskiftet": the year to date
    (re.compile(r"\b(?:since (?:the )?(?:start|beginning) of (?:the |this )?year|since (?:the )?new year|siden nytår|"
                r"siden årsskiftet|siden årets start|siden starten af året|siden begyndelsen af året|sedan nyår|"
                r"sedan årsskiftet|sedan årets början|sedan början av året|sedan nyåret)\b"), "ytd"),
    # "since the start of the quarter", "siden starten af kvartalet", "sedan början av månaden": to date
    (re.compile(r"\b(?:since (?:the )?(?:start|beginning) of (?:the |this )?|siden (?:starten|begyndelsen) af |"
                r"sedan (?:starten|början) av )(?:quarter|kvartalet|månaden|month)\b|\b(?:siden|sedan) "
                r"(?:kvartalets|månedens|månadens) (?:start|begyndelse|början)\b"),
     lambda m: "mtd" if re.search(r"month|måned|månad", m[0]) else "qtd"),
    # "since the start of Q3", "siden starten af Q3", "sedan början av Q3": the quarter's start to as_of
    (re.compile(r"\b(?:since (?:the )?(?:start|beginning) of|siden (?:starten|begyndelsen) af|"
                r"sedan (?:starten|början) av)\s+q([1-4])(?:\s+(\d{4}))?\b"),
     lambda m: ("since_quarter", int(m[1]), m[2])),
    # "since 1 July", "siden 1. juli", "sedan 15 mars", "since July 1": that day to as_of
    (re.compile(rf"\b(?:since|siden|sedan|fra og med|från och med)\s+(?:(?:the\s+)?(\d{{1,2}})(?:\.|st|nd|rd|th)?\s+"
                rf"(?:of\s+)?({_MONTHS})|({_MONTHS})\s+(\d{{1,2}})(?:st|nd|rd|th)?)(?:,?\s+(\d{{4}}))?\b"),
     lambda m: ("since_day", int(m[1] or m[4]), MONTHS[m[2] or m[3]], m[5])),
    # Days written with a slash, the Nordic way round (day/month; month/day only when the day cannot be a
    # month): "siden 15/10", "fra 1/10 til 15/10", "15/10/2026"
    (re.compile(r"\b(?:from\s+|fra\s+|från\s+|between\s+|mellem\s+|mellan\s+)?(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\s*"
                r"(?:to|til|till|until|-|–|and|og|och)\s*(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b"),
     lambda m: ("day_range", *_day_month(m[1], m[2]), m[3], *_day_month(m[4], m[5]), m[6])),
    (re.compile(r"\b(?:since|siden|sedan|fra og med|från och med)\s+(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b"),
     lambda m: ("since_day", *_day_month(m[1], m[2]), m[3])),
    (re.compile(r"\b(?:on\s+|den\s+|d\.\s*)?(\d{1,2})/(\d{1,2})/(\d{4})\b"),
     lambda m: ("day", *_day_month(m[1], m[2]), m[3])),
    (re.compile(r"\b(?:all[ -]?time|ever|since the (?:beginning|start)|nogensinde|någonsin|alle tider|alla tider)\b"),
     "all"),
    # "the year before last", "i forfjor", "i förfjol"
    (re.compile(r"\b(?:(?:the )?year before last|two years ago|i forfjor|forfjor|i förfjol|förfjol|i forfjord|"
                r"för två år sedan|for to år siden)\b"), ("years_ago", 2)),
    # "Q1-Q3", "Q2 to Q3 2025", "fra Q1 til Q3": whole quarters, from the first's start to the last's end
    (re.compile(r"\b(?:from\s+|fra\s+|från\s+|between\s+|mellem\s+|mellan\s+)?q([1-4])(?:\s+(\d{4}))?\s*"
                r"(?:to|til|till|until|through|thru|-|–)\s*q([1-4])(?:\s+(\d{4}))?\b"),
     lambda m: ("quarter_range", int(m[1]), m[2], int(m[3]), m[4])),
    # "since Q2", "siden Q3 2025": the quarter's start to as_of
    (re.compile(r"\b(?:since|siden|sedan|fra og med|från och med)\s+q([1-4])(?:\s+(\d{4}))?\b"),
     lambda m: ("since_quarter", int(m[1]), m[2])),
    # ISO week numbers, as the Nordics count weeks: "week 45", "uge 45", "vecka 45 2025", "v45", "w45"
    (re.compile(r"\b(?:week|wk|uge|ugen|vecka|veckan|v\.?|w)\s?(\d{1,3})(?:\s+(?:of\s+|i\s+|in\s+)?(\d{4}))?\b"),
     lambda m: ("week", int(m[1]), m[2])),
    (re.compile(r"\b(?:year|quarter|month)[ -]to[ -]date\b"), lambda m: m[0].replace("-", " ")),
    # "forecast for the quarter", "prognos för kvartalet", "i måneden": the one we are in
    (re.compile(r"\b(?:for|in|för|i|til|till) (?:the )?(?:quarter|kvartalet)\b(?! (?:before|før|innan|före))(?!\s*\d)"),
     "this quarter"),
    (re.compile(r"\b(?:for|in|för|i|til|till) (?:the )?(?:month|måneden|månaden)\b(?! (?:before|før|innan|före))(?!\s*\d)"),
     "this month"),
    (re.compile(r"\b(?:for|in|för|til|till) (?:the )?(?:year|året)\b(?! (?:before|før|innan|före))(?!\s*\d)"),
     "this year"),  # "am I on track for the year?"
    # "rolling 12 months", "trailing twelve months", "rullande 12 månader", "TTM": the last N full months
    (re.compile(rf"\b(?:rolling|trailing|rullande|rullende|løbende)\s+(\d+|{'|'.join(_NUMBER_WORDS)})\s+"
                r"(?:months?|måneder|månederne|månader|månaderna|mdr|mån)\b"), lambda m: f"last {_count(m[1])} months"),
    (re.compile(r"\b(?:ttm|ltm|r12|rolling year|trailing year|rullande år|rullende år|løbende år)\b"), "last 12 months"),
    (re.compile(r"\b(ytd|qtd|mtd)\b"), lambda m: m[1]),
    (re.compile(r"\b(?:år|året) til dato\b|\bhittills i år\b|\bhittil i år\b|\bhidtil i år\b|\bindtil nu i år\b|"
                r"\bså langt i år\b|\bso far this year\b"), "ytd"),
    (re.compile(r"\b(?:kvartal(?:et)?) til dato\b|\bkvartalet hittills\b|\bso far this quarter\b|\bhittills i kvartalet\b"),
     "qtd"),
    (re.compile(r"\b(?:måned(?:en)?) til dato\b|\bmånaden hittills\b|\bso far this month\b|\bhittills i månaden\b"),
     "mtd"),
    (re.compile(rf"\b(?:{_LAST})\s+(\d+|{'|'.join(_NUMBER_WORDS)})\s+({_DAYS})\b"),
     lambda m: f"last {_count(m[1])} {_unit_of_days(m[2])}s"),
    # "pipeline for the next 90 days", "de næste 3 måneder", "kommande 2 veckorna": from as_of on
    (re.compile(rf"\b(?:{_NEXT}|within the next|within|inden for de næste|inom de kommande|inom de närmaste|"
                rf"de närmaste|närmaste|de nærmeste|nærmeste|inom)\s+"
                rf"(\d+|{'|'.join(_NUMBER_WORDS)})\s+({_DAYS})\b"),
     lambda m: f"next {_count(m[1])} {_unit_of_days(m[2])}s"),
    (re.compile(rf"\b(?:{_LAST})\s+(\d+|{'|'.join(_NUMBER_WORDS)})\s+({_QUARTERS_YEARS})\b"),
     lambda m: f"last {_count(m[1])} {'quarter' if m[2].startswith(('q', 'k')) else 'year'}s"),
    (re.compile(r"\b(?:today|i dag|idag)\b"), "today"),
    (re.compile(r"\b(?:yesterday|i går|igår)\b"), "yesterday"),
    # a quarter or half of last, next or this year: "Q3 last year", "Q1 next year", "3. kvartal sidste år",
    # "andra halvåret i fjol", "første kvartal næste år"
    (re.compile(rf"\b(q[1-4]|h[12])\s+(?:of\s+|i\s+|af\s+|in\s+)?({_REL_YEAR})\b"),
     lambda m: ("of_year", m[1], m[2])),
    # "October last year", "oktober sidste år", "oktober i fjol": that month of that year
    (re.compile(rf"\b({_MONTHS_LONG})\s+(?:of\s+|i\s+|af\s+|in\s+)?({_REL_YEAR})\b"),
     lambda m: ("of_year", MONTH_NAMES_EN[MONTHS[m[1]] - 1], m[2])),
    (re.compile(rf"\b([1-4])\.?\s+(?:kvartal|kvartalet|quarter)\s+(?:of\s+|i\s+|af\s+)?({_REL_YEAR})\b"),
     lambda m: ("of_year", f"q{m[1]}", m[2])),
    (re.compile(rf"\b({_ORDS})\s+(?:kvartal|kvartalet|quarter)\s+(?:of\s+|i\s+|af\s+)?({_REL_YEAR})\b"),
     lambda m: ("of_year", f"q{_ORD_Q[m[1]]}", m[2])),
    (re.compile(rf"\b([12])\.?\s+(?:halvår|halvåret|half)\s+(?:of\s+|i\s+|af\s+)?({_REL_YEAR})\b"),
     lambda m: ("of_year", f"h{m[1]}", m[2])),
    (re.compile(rf"\b({_ORDS})\s+(?:halvår|halvåret|half)\s+(?:of\s+|i\s+|af\s+)?({_REL_YEAR})\b"),
     lambda m: ("of_year", f"h{_ORD_Q[m[1]]}", m[2])),
    # "from March to May", "fra marts til maj", "mellan mars och maj"
    (re.compile(rf"\b(?:from\s+|fra\s+|från\s+|between\s+|mellem\s+|mellan\s+)?({_MONTHS})(?:\s+(\d{{4}}))?\s+"
                rf"(?:to|til|till|until|through|thru|-|–|and|og|och)\s+({_MONTHS})(?:\s+(\d{{4}}))?\b"),
     lambda m: ("month_range", MONTHS[m[1]], m[2], MONTHS[m[3]], m[4])),
    # "since January", "siden marts", "sedan mars", "from March" (to as_of)
    (re.compile(rf"\b(?:since|siden|sedan|fra og med|från och med|from|fra|från)\s+({_MONTHS})(?:\s+(\d{{4}}))?\b"),
     lambda m: ("since_month", MONTHS[m[1]], m[2])),
    (re.compile(r"\b(?:i fjor|i fjord|ifjol|i fjol|sidste år|förra året|last year|previous year|the year before)\b"),
     "last year"),
    (re.compile(rf"\b(?:i|in)\s+(?:{_THIS})\s+({_UNITS})\b"), lambda m: f"this {_unit(m[1])}"),
    # "are we on track for the quarter?", "how did we do for the month": the current one
    (re.compile(r"\b(?:for|in|during|over) the (quarter|month|week)\b(?! (?:before|after|of)\b)"),
     lambda m: f"this {m[1]}"),
    (re.compile(rf"\b(?:{_THIS})\s+({_UNITS})\b"), lambda m: f"this {_unit(m[1])}"),
    (re.compile(rf"\b(?:{_LAST})\s+({_UNITS})\b"), lambda m: f"last {_unit(m[1])}"),
    (re.compile(rf"\b(?:{_NEXT})\s+({_UNITS})\b"), lambda m: f"next {_unit(m[1])}"),
    (re.compile(r"\b(?:i år|i året|this year|så langt i år)\b"), "this year"),
    (re.compile(r"\bi (kvartalet|måneden|månaden|ugen|veckan)\b"), lambda m: f"this {_unit(m[1])}"),
    (re.compile(r"\b([1-4])\.?\s+(?:kvartal|kvartalet)(?:\s+(?:i\s+|af\s+)?(\d{4}))?\b"),
     lambda m: f"q{m[1]}" + (f" {m[2]}" if m[2] else "")),
    (re.compile(r"\b([12])\.?\s+(?:halvår|halvåret)(?:\s+(?:i\s+|af\s+)?(\d{4}))?\b"),
     lambda m: f"h{m[1]}" + (f" {m[2]}" if m[2] else "")),
    (re.compile(rf"\b({_ORDS})\s+(?:kvartal|kvartalet|quarter)(?:\s+of the year|\s+af året|\s+av året)?"
                rf"(?:\s+(?:of\s+|i\s+|af\s+)?(\d{{4}}))?\b"),
     lambda m: f"q{_ORD_Q[m[1]]}" + (f" {m[2]}" if m[2] else "")),
    (re.compile(rf"\b({_ORDS})\s+(?:halvår|halvåret|half)(?:\s+of the year|\s+af året|\s+av året)?"
                rf"(?:\s+(?:of\s+|i\s+|af\s+)?(\d{{4}}))?\b"),
     lambda m: f"h{_ORD_Q[m[1]]}" + (f" {m[2]}" if m[2] else "")),
    (re.compile(r"\b(?:fy\s?)?(\d{4})[\s-]?(q\d+|h\d+)\b"), lambda m: f"{m[2]} {m[1]}"),
    (re.compile(r"\b(q\d+|h\d+)(?:\s*(?:of|i|af|in)?\s*(?:fy\s?)?'?(\d{4}|\d{2}))?\b"),
     lambda m: f"{m[1]}" + (f" {_year(m[2])}" if m[2] else "")),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th|\.)?\s+(?:of\s+)?({_MONTHS})(?:\s+(\d{{4}}))?\b"),
     lambda m: ("day", int(m[1]), MONTHS[m[2]], m[3])),
    (re.compile(rf"\b({_MONTHS})\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b(?!-)"),
     lambda m: ("day", int(m[2]), MONTHS[m[1]], m[3])),
    (re.compile(rf"\b({_MONTHS})(?:\s+(\d{{4}}))?\b"), lambda m: ("month", MONTHS[m[1]], m[2])),
    (re.compile(r"\b(\d{4})-(\d{1,2})\b"), lambda m: f"{m[1]}-{m[2]}"),
    # a month or quarter by its number: "month 3", "måned 13", "5. kvartal" (Q5 is no quarter: asked back)
    (re.compile(r"\b(?:month|måned|månad)\s+(\d{1,3})\b"), lambda m: ("month_number", int(m[1]))),
    (re.compile(r"\b(\d{1,3})\.?\s+(?:kvartal|kvartalet|quarter)\b"), lambda m: f"q{m[1]}"),
    (re.compile(r"\b(?:fy\s?)?(20\d{2}|19\d{2})\b"), lambda m: m[1]),
]


def _day_month(first: str, second: str) -> tuple[int, int]:
    """'15/10' is the 15th of October; '10/15' too (no month 15)."""
    a, b = int(first), int(second)
    return (b, a) if b > 12 >= a else (a, b)


def _year(text: str) -> str:
    return text if len(text) == 4 else f"20{text}"


# Words that compare with a year earlier ("revenue growth year over year").
YEAR_AGO = re.compile(r"\b(?:year over year|yoy|y/y|vs\.? last (?:year|yr)|versus last year|compared (?:to|with) last year|"
                      r"år over år|år for år|i forhold til sidste år|sammenlignet med sidste år|"
                      r"jämfört med förra året|mot förra året|år för år)\b")

# ---------------------------------------------------------------- breakdowns
GROUP_CUES = ("by", "per", "pr", "for each", "each", "across", "broken down by", "split by", "grouped by",
              "fordelt på", "opdelt på", "opdelt efter", "efter", "for hver", "fördelat på", "uppdelat på",
              "uppdelat efter", "för varje", "i varje", "per hver")
PERIODIC = {"monthly": "month", "månedlig": "month", "månedligt": "month", "månadsvis": "month",
            "månatlig": "month", "quarterly": "quarter", "kvartalsvis": "quarter", "kvartalsvise": "quarter",
            "month by month": "month", "måned for måned": "month", "månad för månad": "month",
            # a trend is a line over the months
            "trend": "month", "trends": "month", "over time": "month", "udvikling": "month", "udviklingen": "month",
            "utveckling": "month", "utvecklingen": "month", "tendens": "month"}
# What "best" is measured by when a ranking names no KPI: offered back, never guessed
RANK_MEASURES = {"owner": ("revenue", "win_rate", "quota_attainment"), "team": ("revenue", "win_rate", "quota_attainment"),
                 None: ("revenue", "win_rate", "pipeline")}
# "rank the regions", "sales leaderboard", "ranking af sælgerne", "rangordna säljarna": a ranked breakdown.
RANK_WORDS = {"rank", "ranking", "rankings", "leaderboard", "leaderboards", "rangér", "ranger", "rangere", "rangliste",
              "ranglisten", "topliste", "toplisten", "rangordna", "rangordning", "ranka", "rankning", "topplista",
              "topplistan"}
PERFORMING = {"performing", "presterende", "presterande", "selling", "sælgende", "säljande"}
TOP_WORDS = {"top": "desc", "topp": "desc", "best": "desc", "bedste": "desc", "bästa": "desc", "highest": "desc",
             "largest": "desc", "biggest": "desc", "most": "desc", "højeste": "desc", "største": "desc",
             "flest": "desc", "mest": "desc", "högsta": "desc", "största": "desc", "leading": "desc",
             "bottom": "asc", "bund": "asc", "botten": "asc", "worst": "asc", "lowest": "asc", "smallest": "asc", "least": "asc",
             "dårligste": "asc", "laveste": "asc", "mindste": "asc", "færrest": "asc", "sämsta": "asc",
             "lägsta": "asc", "minsta": "asc", "färst": "asc",
             # predicative: "hvilken region har højest win rate", "vilken region har högst vinstandel"
             "højest": "desc", "størst": "desc", "bedst": "desc", "högst": "desc", "störst": "desc", "bäst": "desc",
             "lavest": "asc", "dårligst": "asc", "lägst": "asc", "sämst": "asc",
             # of a duration ("who has the longest sales cycle")
             "longest": "desc", "længste": "desc", "längsta": "desc",
             "shortest": "asc", "korteste": "asc", "kortaste": "asc", "kortest": "asc", "kortast": "asc"}
ALL_WORDS = {"all", "every", "each", "everyone", "everybody", "samtlige", "alla", "varje", "hver", "hvert",
             "everyone's", "everybodys"}
EVERYONE = {"everyone", "everybody", "everyone's", "everybodys"}
WHICH = {"which", "what", "hvilken", "hvilket", "hvilke", "vilken", "vilket", "vilka", "who", "hvem", "vem"}
WHO = {"who", "hvem", "vem", "who's", "whos"}
WHICH_PLURAL = {"hvilke", "vilka"}
TEAMS_PLURAL = {"teams", "teamene", "teamen", "holdene", "lagen", "lagene"}

# ---------------------------------------------------------------- the asker
MINE = {"my", "me", "mine", "myself", "min", "mit", "mig", "jeg", "mitt", "mina", "jag"}
TEAM_WORDS = {"team", "teams", "teamet", "hold", "holdet", "lag", "laget", "reps", "sælgere", "säljare",
              "reports", "medarbejdere", "medarbetare", "folk", "people", "org", "organisation", "organization",
              "organisationen", "afdeling", "avdelning"}
ENGLISH_I = re.compile(r"(?:^|\s)(?:did|have|do|am|was|can|should|will|could)\s+i\b|\bi\s+(?:sold|won|closed|made|"
                       r"have|had|lost|booked|created|did|am)\b")

# ---------------------------------------------------------------- counting questions
COUNT_CUES = ("how many", "number of", "count of", "hvor mange", "antal", "antallet af", "hur många", "antalet")
DEAL_WORDS = {"deal", "deals", "opportunity", "opportunities", "opps", "oppty", "oppties", "opptys", "oppy", "oppys", "aftale", "aftaler", "aftalerne", "muligheder", "ordrer", "affär", "affärer", "affärerna", "avtal", "avtalen", "möjligheter", "ordrar"}
DEAL_VERBS = {
    "deals_won": {"won", "win", "wins", "winning", "close", "closed", "vandt", "vundet", "vundne", "vinde", "vinder", "vinner",
                  "lukkede", "lukket", "vann", "vunnit", "vunna", "vinna", "stängde", "stängt",
                  "signed", "sign", "signerede", "signeret", "signerade", "signerat"},
    "deals_lost": {"lost", "lose", "loses", "losing", "taber", "förlorar", "tabte", "tabt", "tabe", "mistede", "förlorade", "förlorat",
                   "förlora", "tappade"},
    "deals_created": {"created", "create", "opened", "new", "started", "oprettede", "oprettet", "nye", "ny",
                      "skapade", "skapat", "skapats", "nya", "startede", "startade"},
    "open_deals": {"open", "opened up", "åbne", "åben", "öppna", "öppen", "active", "aktive", "aktiva"},
}
REP_WORDS = {"reps", "sellers", "salespeople", "sales reps", "sælgere", "säljare", "account executives"}
WHAT_IS_OUR = re.compile(r"^(?:what|hvad|vad)(?: is| was| are| er| var| är|s)? (?:our|vores|vår|vårt|våra|the|my|min|mit|mitt)\b")
SELL_WORDS = {"sell", "sells", "sold", "sales", "book", "booked", "solgte", "solgt", "sælge", "bookede",
              "sålde", "sålt", "sälja", "säljer", "bokade", "bokat",
              # money made: "hvor mange penge har vi tjent i år", "how much have we earned"
              "earned", "earn", "tjent", "tjente", "tjäna", "tjänat", "tjänade",
              # a customer's side of it: "which customers bought the most", "hvilke kunder har købt mest"
              "bought", "buy", "purchased", "spent", "købt", "købte", "köpt", "köpte", "köpa"}
# Present-tense "how many deals are there": deals as they stand now, the open ones
STANDING = (r"\b(?:are|is|do we have|do i have|have we got|are there|is there|har vi|har jeg|er der|er i|"
            r"finns det|finns|är i|är det)\b")
HOW_LONG = ("how long", "hvor lang tid", "hvor længe", "hur lång tid", "hur länge")
SHARE_WORDS = {"%", "percent", "percentage", "share", "proportion", "fraction", "procent", "procentdel", "andel",
               "andelen", "procentandel"}
HOW_MUCH = ("how much", "hvor meget", "hur mycket", "hvor stor", "hur stor", "hvor store", "hur stora")

# ---------------------------------------------------------------- other intents
HELP = re.compile(r"^\s*(?:help|hjælp|hjälp|\?|what can you do|what do you know|"
                  r"hvad kan du|vad kan du|how does this work|hvordan virker du|hur fungerar du|commands|examples)"
                  r"\b.*$|^\s*(?:/help|help me)\s*$")
FOLLOW_UP = re.compile(r"^\s*(?:and|og|och|what about|how about|hvad med|hvad så med|hur är det med|hur blir det med|"
                       r"vad sägs om|same for|samme for|samma för|also|også|också|now|nu)\b|"
                       r"\b(?:instead|i stedet|istället|i stället)\b|"
                       # "what's the win rate then?", "hvad er win raten så?", "vad är win raten då?"
                       r"\b(?:then|så|då)\s*[?.!]*$")

# Common words that carry no KPI meaning, in the three languages (kept out of "I didn't
# recognise" and out of fuzzy matching).
STOPWORDS = set("""
a an the of in on at for to from with by per and or but is are was were be been being do does did done have has had
what whats what's how much many which who whom when where why show me give tell list get see us we our ours you your
i it its this that these those there here than then so as into about over under up down out off can could would should
will shall may might must please pls just only also all any some each every both few more most other such no not
let lets let's see want need like know am value values number total amount kpi kpis look looking compare compared
versus vs doing doing? figure figures stats statistics report numbers currently current right now today's
looks tracking take takes taking tager tar high hög höga høj høje ser ud ut got gotten fået fått att owns ejer äger instead stedet istället stället r u målt mätt sett measured terms
ones them kun dem dom
hvad hvor hvordan hvornår hvem hvilken hvilket hvilke er var være været har havde en et den det de der som og eller men i
på af til fra med for om ved hos under over efter før vores vi jeg du din dit dine mig os man kan kunne vil skal må
gerne lige bare også alle alt nogen noget hver samlet samlede i alt se vis viser giv fortæl hvad's tal nu aktuelle
vad hur när vem vilken vilket vilka är var vara varit har hade en ett den det de där som och eller men i på av till från
med för om vid hos under över efter före vår våra vårt vi jag du din ditt dina mig oss man kan kunde vill ska måste
gärna bara också alla allt någon något varje totalt sammanlagt visa ge berätta siffror nu aktuella
meant mente menade nope klarer klarar klarede klarade nej sorry undskyld förlåt hele hela
""".split())

# Aliases for common store values ("Norden" → Nordics). Used only where the store has the value.
VALUE_ALIASES = {
    "nordics": ["norden", "nordic", "nordisk", "nordiske", "nordiska", "nordics region", "skandinavien",
                "scandinavia", "nordic region", "nordlandene", "nordiske lande", "nordiska länderna"],
    "north america": ["na", "nordamerika", "noram", "amerika", "america", "us and canada", "usa og canada"],
    "uk & ireland": ["uki", "uk and ireland", "uk og irland", "uk och irland", "uk&i", "uk & i",
                     "the british isles", "de britiske øer", "brittiska öarna"],
    "dach": ["dach", "dach region", "dach-regionen", "tysktalende", "tyskspråkiga", "german speaking",
             "german-speaking", "tysktalande"],
    "enterprise": ["enterprise", "enterprises", "large", "large accounts", "large customers", "store kunder",
                   "storkunder", "stora kunder", "storkunderna", "storkunderne", "enterprise segment"],
    "mid-market": ["mid market", "midmarket", "mid-size", "mid size", "mellemstore", "mellemstore kunder",
                   "medelstora", "medelstora kunder", "mm"],
    "smb": ["small business", "small businesses", "sme", "smv", "små virksomheder", "småföretag",
            "små og mellemstore", "små kunder", "small customers"],
    "expansion": ["expansion", "expansions", "upsell", "upsells", "cross-sell", "mersalg", "merförsäljning",
                  "udvidelse", "udvidelser", "udvidelsesaftaler", "expansionsaffärer", "utökningar", "opsalg"],
    "renewal": ["renewal", "renewals", "fornyelse", "fornyelser", "förnyelse", "förnyelser", "förlängningar"],
    "new": ["new business", "new logo", "new-business", "nysalg", "nyförsäljning", "new deals", "nye aftaler",
            "nya affärer", "nye kunder", "nya kunder", "nye logoer", "nya logotyper"],
    "inbound": ["inbound", "indgående", "inkommande"],
    "outbound": ["outbound", "udgående", "utgående"],
    "partner": ["partner", "partners", "partner sourced", "partner-sourced", "partnere", "partnerkanal"],
    "event": ["event", "events", "konference", "konferencer", "konferens", "mässa", "messer"],
    "platform": ["platform", "platformen", "plattform", "plattformen"],
    "analytics": ["analytics", "analyse", "analys"],
    "services": ["services", "service", "ydelser", "tjenester", "tjänster", "konsulenttjenester"],
    "negotiation": ["negotiation", "forhandling", "förhandling", "negotiating", "forhandlingsfasen", "forhandlingsfase",
                    "förhandlingsfasen", "förhandlingsfas", "förhandlingsstadiet", "negotiation stage"],
    "proposal": ["proposal", "tilbud", "offert", "proposals", "tilbudsfasen", "tilbudsfase", "förslag", "förslagsfasen",
                 "förslagsfas", "offertfasen", "offertfas", "offertstadiet", "proposal stage"],
    "qualification": ["qualification", "kvalificering", "kvalificering", "qualifying", "kvalificeringsfasen",
                      "kvalificeringsfase", "kvalificeringsfas", "qualification stage"],
    "prospecting": ["prospecting", "prospektering", "prospects", "prospekteringsfasen", "prospekteringsfas"],
}

# Countries are found by their CLDR names in en/da/sv (bot/nlu/values.py); these are the other
# names people use for a few of them.
COUNTRY_ALIASES = {
    "GB": ["uk", "the uk", "britain", "great britain", "england"], "US": ["usa", "the us", "the states"],
    "DE": ["deutschland"], "CH": ["schweiz", "suisse"], "AT": ["österreich"], "NL": ["holland"],
}
# The adjectives people say a market by ("Austrian customers", "tyske kunder", "svenska affärer").
COUNTRY_ADJECTIVES = {
    "AT": ["austrian", "østrigske", "østrigsk", "österrikiska", "österrikisk"],
    "DE": ["german", "tyske", "tysk", "tyska"], "CH": ["swiss", "schweiziske", "schweizisk", "schweiziska"],
    "DK": ["danish", "danske", "dansk", "danska"], "SE": ["swedish", "svenske", "svensk", "svenska"],
    "NO": ["norwegian", "norske", "norsk", "norska"], "FI": ["finnish", "finske", "finsk", "finska"],
    "IS": ["icelandic", "islandske", "isländska"], "GB": ["british", "britiske", "britisk", "brittiska", "english"],
    "IE": ["irish", "irske", "irsk", "irländska"], "US": ["american", "amerikanske", "amerikansk", "amerikanska"],
    "CA": ["canadian", "canadiske", "kanadensiska"], "NL": ["dutch", "hollandske", "nederländska"],
    "FR": ["french", "franske", "franska"], "PL": ["polish", "polske", "polska"],
}
# A filter value these words stand before is left out ("win rate excluding renewals", "omsætning
# uden for DACH", "intäkter utom partneraffärer"): the filter is every other value of its dimension.
EXCLUDING = {("excluding",), ("excl",), ("except",), ("not", "counting"), ("minus",), ("without", "the"), ("ex",), ("without",), ("not", "including"), ("other", "than"),
             ("apart", "from"), ("outside",), ("outside", "of"), ("but", "not"), ("not", "in"), ("except", "for"),
             ("ekskl",), ("eksklusive",), ("undtagen",), ("uden",), ("uden", "for"), ("bortset", "fra"),
             ("ikke", "i"), ("udover",), ("exkl",), ("exklusive",), ("utom",), ("förutom",), ("utan",),
             ("utanför",), ("inte", "i"), ("bortsett", "från")}

# Words that introduce a team name ("team Nordics SMB", "holdet …").
TEAM_CUES = {"team", "teamet", "hold", "holdet", "lag", "laget", "team's", "teams", "teamets", "holdets", "lagets",
             "holds", "lags"}
# "sales" before these is what kind of rep, team or work it is, not the revenue KPI: "how do I coach my
# sales reps?", "what is sales enablement?", "who is our sales manager?".
SALES_ADJECTIVE = {"sales", "sale", "selling"}
SALES_NOUNS = {"rep", "reps", "representative", "representatives", "team", "teams", "enablement", "manager",
               "managers", "people", "person", "org", "organisation", "organization", "process", "processes",
               "methodology", "methodologies", "method", "training", "leader", "leaders", "leadership", "strategy",
               "strategies", "skills", "skill", "meeting", "meetings", "kickoff", "culture", "coaching", "call",
               "calls", "role", "roles", "career", "job", "jobs", "engineer", "engineers", "ops", "operations",
               "playbook", "script", "scripts", "pitch", "conversation", "conversations", "force", "department",
               "director", "directors", "tools", "tool", "stack", "hiring", "onboarding", "compensation", "comp",
               "incentive", "incentives", "commission", "commissions", "territory", "territories", "motion",
               "funnel", "approach", "tactics", "technique", "techniques", "staff", "colleague", "colleagues"}
# What a rep does that deals won count: "who hasn't won anything", "hvem har ikke lukket noget".
WON_VERBS = {"won", "win", "closed", "close", "vundet", "vandt", "lukket", "lukkede", "vunnit", "vann", "stängt",
             "stängde"}
# A person new to the company is no deal of type new: "how do I onboard a new sales rep?".
NEW_WORDS = {"new", "ny", "nye", "nyt", "nya", "nytt"}
NEW_HERE = {"here", "her", "här", "hos", "at", "to", "til", "till", "in", "i"}  # "I'm new here", "ny her"
I_AM = {"i'm", "im", "am", "er", "är", "jeg", "jag"}  # "I'm new", "jeg er ny", "jag är ny"
NEW_PERSON = {"rep", "reps", "hire", "hires", "employee", "employees", "manager", "managers", "colleague",
              "colleagues", "sales", "seller", "sellers", "salesperson", "person", "people", "joiner", "joiners",
              "starter", "starters", "member", "members", "team", "boss", "cco", "role", "job", "medarbejder",
              "medarbejdere", "medarbetare", "sælger", "sælgere", "säljare", "kollega", "kolleger", "kollegor",
              "kollegaer", "chef", "leder", "ledare", "anställd", "anställda", "ansat", "ansatte"}

# A breakdown ranked by how its groups' figures changed: "which region grew most", "biggest drop in win
# rate by region", "hvem har forbedret sig mest", "vilken region växte mest jämfört med i fjol".
CHANGE_UP = {"grew", "grown", "grow", "growing", "growth", "increased", "increase", "improved", "improve",
             "improvement", "rose", "risen", "climbed", "gained", "vokset", "voksede", "vækst", "steget", "steg",
             "forbedret", "forbedrede", "forbedring", "fremgang", "stigning", "växte", "vuxit", "växt", "tillväxt",
             "ökat", "ökade", "ökning", "förbättrat", "förbättrade", "förbättring", "fremgangen", "stigningen",
             "væksten", "ökningen", "tillväxten", "förbättringen", "forbedringen", "förbättrades", "förbättrats",
             "forbedredes", "improving", "ökade", "steget", "voksede"}
CHANGE_DOWN = {"declined", "decline", "dropped", "drop", "fell", "fallen", "decreased", "decrease", "shrank",
               "shrunk", "worsened", "faldet", "faldt", "fald", "nedgang", "dykket", "forværret", "minskat",
               "minskade", "minskning", "sjunkit", "sjönk", "tappat", "tappade", "nedgång", "försämrat",
               "nedgangen", "tab", "tabet", "tapp", "tappet", "fallet", "minskningen", "nedgången"}
CHANGE_MOST = re.compile(r"(?<![\w-])(?:most|mest|biggest|largest|største|størst|största|störst|højest|högst|fastest|hurtigst|"
                         r"snabbast|the least|mindst|minst)(?![\w-])")
# "… vs last year", "… compared with Q2", "… i forhold til sidste år", "… jämfört med i fjol": the earlier period
_VERSUS = r"vs\.?|versus|compared (?:with|to)|against|i forhold til|ift\.?|sammenlignet med|mod|jämfört med|jämfört mot|mot"
CHANGE_REF = re.compile(rf"\s*,?\s*\b(?:{_VERSUS}|since|siden|sedan)\s+(?P<ref>[^,?!]+?)\s*[?.!]*$", re.I)
# "how is DACH doing vs last quarter", "… i forhold til sidste måned": the period set against (not "since")
VS_PERIOD = re.compile(rf"\s*,?\s*\b(?:{_VERSUS})\s+(?P<ref>[^,?!]+?)\s*[?.!]*$", re.I)
YEAR_ON_YEAR = re.compile(r"\b(?:yoy|y/y|year[- ]over[- ]year|year on year|år over år|år for år|år för år)\b", re.I)

# Questions about the org itself, answered from the reps table: "who is my manager?", "hvem er min chef?",
# "who is on my team?", "who reports to Elin Johansson?", "vem leder team DACH SMB?".
WHO_START = re.compile(r"^\W*(?:who|whos|who's|whom|hvem|vem|vilka|hvilke|which people|list)\b", re.I)
BOSS = re.compile(r"\b(?:manager|boss|team lead|chef|chefen|leder|lederen|ledare|ledaren|närmaste chef|"
                  r"nærmeste leder)\b|\bwho (?:do|does|should) \w+(?: \w+)? report to\b|\bhvem refererer \w+ til\b|"
                  r"\bvem rapporterar \w+ till\b|\bwho (?:manages|leads|runs)\b|\bhvem (?:leder|styrer)\b|"
                  r"\bvem (?:leder|styr)\b", re.I)
MEMBERS = re.compile(r"\b(?:on|in|på|i)\b[^?]*\b(?:team|teamet|hold|holdet|lag|laget)\b|"
                     r"\b(?:team members|teammedlemmer|teammedlemmar|my reports|mine medarbejdere|mina medarbetare)\b|"
                     r"\bwho reports to\b|\bhvem refererer til\b|\bvem rapporterar till\b|\bwho works (?:in|on|for)\b|"
                     r"\bhvem arbejder (?:i|på|for)\b|\bvem jobbar (?:i|på|för)\b", re.I)

# A manager's whole organisation ("my org", "min organisation"): everyone below them, as "my team".
# The company before a KPI's name: everyone's figure, as a KPI with no one named is
COMPANY_WORDS = {"company", "company's", "companywide", "firmaets", "firmaet", "virksomhedens", "företagets",
                 "bolagets", "total", "overall", "samlede", "samlet", "totala", "firma", "firmaet", "virksomheden",
                 "företaget", "bolaget"}
# Reps said in the plural ("who are our best reps"; Swedish "säljare" is either)
REPS_PLURAL = {"reps", "sellers", "salespeople", "people", "representatives", "performers", "sælgere", "sælgerne",
               "säljarna", "medarbejdere", "medarbetarna"}
ORG_WORDS = {"org", "orgs", "organisation", "organization", "organisationen", "organizations", "afdeling",
             "afdelingen", "avdelning", "avdelningen"}
OUR = {"our", "vores", "vår", "vårt", "våra", "the", "den", "det", "whole", "entire", "hele", "hela"}

# ---------------------------------------------------------------- lists of deals
# A question about deals as items ("my biggest deal", "which deals are stuck") rather than a
# number about them. The deal nouns above plus the inflections people type.
DEAL_NOUNS = DEAL_WORDS | {"opp", "opportunity's", "aftalen", "affären", "affärerna", "affärsmöjlighet",
                           "affärsmöjligheter", "salgsmulighed", "salgsmuligheder", "avtalet", "avtalen"}
# "Julia Brunner's deals", "Karin's open opportunities": someone's deals, a list of them.
OWNED_DEALS = re.compile(r"\w['’]s\s+(?:\w+\s+)?(?:deals|opportunities|opps)\b", re.I)
# Words before a deal noun that make the deals what a KPI is counted over ("revenue from deals over 250k").
OF_DEALS = {"from", "on", "for", "of", "in", "over", "across", "fra", "på", "af", "for", "i", "från", "för", "av",
            "med", "with"}
LIST_WHICH = {"which", "hvilken", "hvilket", "hvilke", "vilken", "vilket", "vilka"}
# Whose: "his deals", "hendes aftaler", "deras affärer" (bot/core/understanding.py reads whom they point at)
POSSESSIVES = ("his", "her", "their", "hans", "hendes", "hennes", "deres", "deras")
OUTCOME_KPI = {"lost": "deals_lost", "tabte": "deals_lost", "förlorade": "deals_lost", "won": "deals_won",
               "vundne": "deals_won", "vunna": "deals_won", "created": "deals_created", "oprettede": "deals_created",
               "skapade": "deals_created", "open": "open_deals", "åbne": "open_deals", "öppna": "open_deals"}
DEAL_COUNT_KPIS = {"open_deals", "deals_won", "deals_lost", "deals_created", "pipeline", "revenue"}
# "won and lost deals", "team win loss", "vundne og tabte aftaler": both counts ("win/loss ratio" is the win rate)
WON_AND_LOST = re.compile(r"\b(?:won\s*(?:and|&|/)\s*lost|wins?\s*(?:/|-|and|&)?\s*loss(?:es)?|vundne\s*(?:og|/)\s*tabte|"
                          r"vunna\s*(?:och|/)\s*förlorade)(?:\s+(?:deals|opportunities|opps|aftaler|affärer))?\b"
                          r"(?!\s*(?:ratio|rate|forhold|kvote|kvot))", re.I)
WIN_LOSS_RATIO = re.compile(r"\bwin\s*[/&-]?\s*loss\s+(?:ratio|rate)\b", re.I)
OF_COMPANY = {"in", "across", "at", "of", "the", "i", "på", "hos", "for", "för", "whole", "entire", "hele", "hela"}
# "stalled deals by rep", "fastlåste aftaler pr. sælger": counted per rep; "which rep has the most stalled deals":
# the one with the most
DEALS_BY_REP = re.compile(r"\b(?:by|per|pr\.?|for each|fordelt på|opdelt på|uppdelat på|fördelat på|each of (?:my|the)|"
                          r"hver af (?:mine|de)|var och en av (?:mina|de)|hver|varje|each)\s+"
                          r"(?:sales ?reps?|reps?|sellers?|owners?|sælgere?|säljare|ejer|ägare|person)\b")
REP_WITH_MOST = re.compile(r"\b(?:which|what|who|whos|who's|hvilken|hvilke|hvem|vilken|vilka|vem)\b(?:\s+(?:reps?|sales ?reps?|"
                           r"sellers?|sælgere?|säljare|person))?(?:\s+(?:on|in|i|på|of|af|av)(?:\s+[\w']+){1,2}?)?\s+"
                           r"(?:has|have|har)\s+(?:got\s+)?(?:the\s+)?(?:most|flest|fleste|mest)\b")
# "overdue deals by team", "which region has the most stalled deals", "hvilket team har flest …": per team or region
GROUP_WORDS = {"team": "team", "teams": "team", "teamet": "team", "hold": "team", "holdet": "team", "lag": "team",
               "laget": "team", "region": "region", "regions": "region", "regionen": "region", "regioner": "region",
               "regionerna": "region", "regionerne": "region"}
DEALS_BY_GROUP = re.compile(r"\b(?:by|per|pr\.?|for each|fordelt på|opdelt på|uppdelat på|fördelat på|each)\s+"
                            r"(team|region)\b")
GROUP_WITH_MOST = re.compile(r"\b(?:which|what|hvilket|hvilken|vilket|vilken)\s+(team|teamet|hold|lag|region|regionen)"
                             r"\s+(?:has|have|har)\s+(?:got\s+)?(?:the\s+)?(?:most|flest|fleste|mest)\b")
WHAT_DEALS = {"what", "hvad", "vad", "hvilke", "vilka"}
# "do i have any deals yet?", "har jeg nogen aftaler endnu?", "har jag några affärer än?": the list answers it
ANY_DEALS = re.compile(r"^(?:do (?:i|we) have|have (?:i|we) got|har (?:jeg|vi|jag))\s+(?:any|nogen|nogle|några)\s+"
                       r"(?:open\s+|åbne\s+|öppna\s+)?(?:deals|opportunities|opps|aftaler|affärer)"
                       r"(?:\s+(?:yet|endnu|än|ännu))?\b")
# A list of deals counted by a dimension: the KPI that counts such deals, and what a list can be counted by itself
DEAL_COUNT_OF = {"open": "open_deals", "won": "deals_won", "lost": "deals_lost"}
DEAL_GROUPS = ("owner", "team", "region", "stage")
# "how much is left to quota", "hvad mangler jeg til budget", "hur mycket saknas till målet": the gap to a target
GAP_WORDS = {"left", "remaining", "remains", "kvar", "tilbage", "mangler", "manglende", "saknas", "fattas",
             "resterende", "återstår", "återstående", "gap", "short"}
TARGET_NOUNS = {"quota", "target", "budget", "number", "goal", "mål", "målet", "kvote", "kvoten", "kvot", "budgettet",
                "budgetten", "budgeten"}
# "revenue vs budget", "omsætning mod budget", "intäkter mot målet": revenue set against its target, attainment
AGAINST_TARGET = re.compile(r"\b(?:vs\.?|versus|against|compared to|compared with|mod|mot|i forhold til|"
                            r"sammenlignet med|jämfört med)\s+(?:the\s+|our\s+|vores\s+|vårt\s+|vår\s+)?"
                            rf"(?:{'|'.join(sorted(TARGET_NOUNS - {'number'} | {'plan'}))})\b")
LIST_WORDS = {"list", "lists", "listing", "show", "display", "see", "vis", "liste", "visa", "lista", "se"}
# superlative or order word → (order_by, desc)
DEAL_ORDER = {
    "biggest": ("amount", True), "largest": ("amount", True), "top": ("amount", True), "highest": ("amount", True),
    "største": ("amount", True), "størst": ("amount", True), "højeste": ("amount", True),
    "största": ("amount", True), "störst": ("amount", True), "högsta": ("amount", True), "topp": ("amount", True),
    "smallest": ("amount", False), "lowest": ("amount", False), "mindste": ("amount", False),
    "laveste": ("amount", False), "minsta": ("amount", False), "lägsta": ("amount", False),
    "next": ("close_date", False), "upcoming": ("close_date", False), "soonest": ("close_date", False),
    "næste": ("close_date", False), "kommende": ("close_date", False), "nästa": ("close_date", False),
    "kommande": ("close_date", False),
    "oldest": ("age", True), "ældste": ("age", True), "äldsta": ("age", True),
    "newest": ("age", False), "latest": ("age", False), "nyeste": ("age", False), "senaste": ("age", False),
    "nyaste": ("age", False),
}
UPCOMING = {"next", "upcoming", "soonest", "næste", "kommende", "nästa", "kommande"}
# "how much pipeline did we add / create / generate", "skabt", "skapade": the pipeline created in a period
CREATE_VERBS = {"create", "created", "creating", "add", "added", "adding", "generate", "generated", "generating",
                "build", "built", "source", "sourced", "skabe", "skabt", "skabte", "oprette", "oprettet", "oprettede",
                "tilføje", "tilføjet", "tilføjede", "generere", "genereret", "genererede", "skapa", "skapat", "skapade",
                "tillagt", "generera", "genererat", "genererade", "byggt", "byggde", "skapades", "skapats", "skabtes",
                "oprettedes", "genererades", "tillades", "lagts", "lades", "lade", "lagt", "adderade", "adderat"}
# "what did we close yesterday", "hvad lukkede vi i går", "vad stängde vi igår": the deals won, as a list
# "what's closing this week", "hvad lukker i denne måned", "vad stänger nästa vecka": the open deals closing then.
WHAT_CLOSING = re.compile(r"^(?:what|which|hvad|hvilke|vad|vilka)(?:'s|s| is| are| er| är)?\s+(?:closing|closes|due|"
                          r"lukker|stänger|stängs)\b|"
                          # "what can (I) still close this quarter", "hvad kan jeg nå at lukke", "vad hinner vi stänga"
                          r"^(?:what|which|hvad|hvilke|vad|vilka) (?:(?:deals )?can|kan|hinner) (?:i |we |jeg |vi |jag )?"
                          r"(?:still |stadig |nå at |hinna |fortfarande |ännu )?(?:close|lukke|stänga|nå at lukke)\b")
# (or someone named: "what did mikkel close this month", "hvad lukkede Karin Berg")
WHAT_WE_WON = re.compile(r"^(?:what|which|hvad|hvilke|vad|vilka)\s+(?:(?:(?:did|have|has)\s+)?(?:we|i|vi|jeg|jag|"
                         r"the team|my team)|(?:did|has)\s+(?P<who>[^\W\d_]+(?:\s+[^\W\d_]+)?))\s+"
                         r"(?:close|closed|win|won|sign|signed|book|booked|land|landed|lukke|lukkede|vinde|vandt|vundet|"
                         r"stänga|stängde|stängt|vinna|vann|vunnit)\b|"
                         # Danish and Swedish put the verb first: "hvad lukkede vi", "vad stängde vi"
                         r"^(?:hvad|hvilke|vad|vilka)\s+(?:har\s+)?(?:lukkede|lukket|vandt|vundet|stängde|stängt|vann|"
                         r"vunnit|signerede|signerade)\s+(?:vi|jeg|jag|(?P<who2>[^\W\d_]+(?:\s+[^\W\d_]+)?))\b")
# Attainment asked as who is behind: the lowest first
BEHIND = re.compile(r"\b(?:behind|bagud|bagefter|efter|lagging|below|halter|släpar)\b")
# "sorted by close date", "sortér efter beløb", "sortera på ålder": a list's order named outright
SORT_BY = re.compile(r"\b(?:sort|sorted|order|ordered|sortér|sorter|sorteret|sortera|sorterad|sorterat|sorterade|sorteres|"
                     r"sorteras|ranked|rank)\s+"
                     r"(?:them\s+|dem\s+|it\s+|the list\s+)?(?:by|efter|på|after)\s+(?:the\s+)?(?P<key>close date|closing date|"
                     r"close|lukkedato|lukkedatoen|stängningsdatum|stängningsdatumet|amount|size|value|deal size|beløb|"
                     r"beløbet|størrelse|belopp|beloppet|storlek|age|alder|ålder|created date|oprettelsesdato|last change|"
                     r"seneste ændring|senaste ändring|activity|aktivitet)\b")
SORT_KEYS = {"close": ("close_date", False), "closing": ("close_date", False), "lukkedato": ("close_date", False),
             "lukkedatoen": ("close_date", False), "stängningsdatum": ("close_date", False),
             "stängningsdatumet": ("close_date", False), "amount": ("amount", True), "size": ("amount", True),
             "value": ("amount", True), "deal": ("amount", True), "beløb": ("amount", True), "beløbet": ("amount", True),
             "størrelse": ("amount", True), "belopp": ("amount", True), "beloppet": ("amount", True),
             "storlek": ("amount", True), "age": ("age", True), "alder": ("age", True), "ålder": ("age", True),
             "created": ("age", True), "oprettelsesdato": ("age", True), "last": ("last_change", True),
             "seneste": ("last_change", True), "senaste": ("last_change", True), "activity": ("last_change", True),
             "aktivitet": ("last_change", True),
             # "largest first" and kin (ORDER_FIRST)
             "largest": ("amount", True), "biggest": ("amount", True), "største": ("amount", True),
             "störst": ("amount", True), "största": ("amount", True), "smallest": ("amount", False),
             "mindste": ("amount", False), "minsta": ("amount", False), "oldest": ("age", True),
             "ældste": ("age", True), "äldsta": ("age", True), "newest": ("age", False), "nyeste": ("age", False),
             "nyaste": ("age", False), "soonest": ("close_date", False), "latest": ("close_date", True)}
# "largest first", "oldest first", "største først", "störst först": an order said after the deals.
ORDER_FIRST = re.compile(r"\b(?P<key>largest|biggest|smallest|oldest|newest|soonest|latest|største|mindste|ældste|"
                         r"nyeste|störst|största|minsta|äldsta|nyaste)\s+(?:first|først|först)\b")
# "which close first", "hvilke lukker først", "vilka stänger först": the soonest close date first
CLOSE_FIRST = re.compile(r"\b(?:close|closes|closing|lukker|lukkes|stänger|stängs)\s+(?:first|først|först)\b")
# "win rate by rep, lowest first", "laveste først", "högst först": a breakdown's order, every row kept.
ROWS_FIRST = re.compile(r"\b(?P<key>lowest|highest|smallest|biggest|largest|worst|best|fewest|most|laveste|lavest|højeste|"
                        r"højest|mindste|største|dårligste|bedste|lägsta|lägst|högsta|högst|minsta|största|sämsta|"
                        r"bästa)\s+(?:first|først|först)\b")
ROWS_ASC = {"lowest", "smallest", "worst", "fewest", "laveste", "lavest", "mindste", "dårligste", "lägsta", "lägst",
            "minsta", "sämsta"}
# "ascending", "stigende": smallest or earliest first; "descending", "faldende": the other way.
ASCENDING = {"ascending": False, "asc": False, "stigende": False, "stigande": False, "descending": True,
             "desc": True, "faldende": True, "fallande": True}
# "early-stage deals", "aftaler i en tidlig fase", "affärer i sent skede": the stages whose default
# probability (the catalog's stage_probability) is at most EARLY_STAGE, or at least LATE_STAGE
STAGE_BANDS = {("early", "stage"): "early", ("early", "stages"): "early", ("tidlig", "fase"): "early",
               ("tidlige", "faser"): "early", ("tidlige", "fase"): "early", ("tidligt", "stadie"): "early",
               ("tidigt", "skede"): "early", ("tidig", "fas"): "early", ("tidiga", "faser"): "early",
               ("tidiga", "skeden"): "early", ("late", "stage"): "late", ("late", "stages"): "late",
               ("sen", "fase"): "late", ("sene", "faser"): "late", ("sent", "stadie"): "late", ("sent", "skede"): "late",
               ("sen", "fas"): "late", ("sena", "faser"): "late", ("sena", "skeden"): "late"}
RISK_WORDS = {
    "stuck": "stalled", "stalled": "stalled", "stale": "stalled", "idle": "stalled", "inactive": "stalled",
    "stoppade": "stalled", "stoppet": "stalled", "stoppede": "stalled", "avstannade": "stalled",
    "fastlåst": "stalled", "fastlåste": "stalled", "stillestående": "stalled", "fastnat": "stalled",
    "stillastående": "stalled", "inaktive": "stalled", "inaktiva": "stalled", "fastnade": "stalled",
    "overdue": "overdue", "late": "overdue", "slipped": "overdue", "slipping": "overdue", "forsinket": "overdue",
    "forsinkede": "overdue", "overskredne": "overdue", "overskredet": "overdue", "forfaldne": "overdue",
    "forfaldet": "overdue", "försenad": "overdue", "försenade": "overdue", "riskaffär": "*", "riskaffärer": "*",
    "riskaffärerna": "*", "risikoaftaler": "*", "risikoaftalerne": "*", "riskdeals": "*",
    "sena": "overdue", "förfallna": "overdue", "glider": "overdue", "glidande": "overdue", "skrider": "overdue",
    "risky": "*", "riskabel": "*", "risikable": "*", "riskabla": "*", "riskfyllda": "*", "flagged": "*",
}
RISK_PHRASES = {
    "at risk": "*", "in danger": "*", "need attention": "*", "needs attention": "*", "i fare": "*",
    "i risiko": "*", "i farezonen": "*", "i riskzonen": "*", "i fara": "*", "behöver uppmärksamhet": "*",
    "past due": "overdue", "past their close date": "overdue", "not moved": "stalled", "haven't moved": "stalled",
    "havent moved": "stalled", "hasn't moved": "stalled", "hasnt moved": "stalled", "no activity": "stalled",
    "without activity": "stalled", "no movement": "stalled", "not been updated": "stalled",
    "not updated": "stalled", "not been touched": "stalled", "untouched": "stalled", "haven't touched": "stalled",
    "havent touched": "stalled", "hasn't been touched": "stalled", "not touched": "stalled",
    "ikke rørt": "stalled", "ikke rørt ved": "stalled", "inte rört": "stalled", "inte rörts": "stalled",
    "passed close date": "overdue", "passed their close date": "overdue", "past close date": "overdue",
    "past the close date": "overdue", "passerat stängningsdatum": "overdue", "passerad stängningsdag": "overdue",
    "passeret lukkedato": "overdue", "overskredet lukkedato": "overdue", "overskredet lukkedatoen": "overdue",
    "efter lukkedatoen": "overdue", "efter stängningsdatum": "overdue", "over forfaldsdato": "overdue",
    "over forfaldsdatoen": "overdue", "over lukkedato": "overdue", "over lukkedatoen": "overdue",
    "past due date": "overdue", "past their due date": "overdue", "passerat förfallodatum": "overdue",
    "efter förfallodatum": "overdue", "w/o close date": "missing_close_date", "w/o a close date": "missing_close_date",
    "w/o amount": "missing_amount", "w/o an amount": "missing_amount",
    "gået i stå": "stalled", "står stille": "stalled", "står still": "stalled", "stått still": "stalled",
    "har stået stille": "stalled", "ingen aktivitet": "stalled", "uden aktivitet": "stalled",
    "utan aktivitet": "stalled", "ikke opdateret": "stalled", "inte uppdaterade": "stalled",
    "inte uppdaterad": "stalled", "no amount": "missing_amount", "without an amount": "missing_amount",
    "without amount": "missing_amount", "missing amount": "missing_amount", "missing an amount": "missing_amount",
    "uden beløb": "missing_amount", "utan belopp": "missing_amount", "no close date": "missing_close_date",
    "without a close date": "missing_close_date", "without close date": "missing_close_date",
    "missing close date": "missing_close_date", "uden lukkedato": "missing_close_date",
    "utan stängningsdatum": "missing_close_date",
}
# Words that name the things of one table: a KPI over another table does not answer a question about
# them ("support cases opened last month" is no count of deals opened). parser._other_subject.
SUBJECTS = {
    **dict.fromkeys(["case", "cases", "ticket", "tickets", "support", "sag", "sager", "supportsag", "supportsager",
                     "ärende", "ärenden", "ärendet", "supportärende", "supportärenden"], "support_cases"),
    **dict.fromkeys(["lead", "leads", "emne", "emner"], "leads"),
    **dict.fromkeys(["survey", "surveys", "respondents", "undersøgelse", "undersøgelsen", "enkät", "enkäten",
                     "enkäter"], "nps_responses"),
}
# How long a stalled deal has not moved: "for more than 60 days", "in the last 2 weeks", "i over 45 dagar".
STALL_FOR = re.compile(
    r"(?:\b(?:for|in|i|på|since|over)\s+)?(?:\b(?:the|de|den)\s+)?(?:\b(?:last|past|seneste|sidste|senaste)\s+)?"
    r"(?:\b(?:more than|over|at least|longer than|mere end|mer än|över|minst|mindst|længere end|längre än)\s+)?"
    r"\b(?P<n>\d{1,4})\s*(?P<unit>days?|dage?|dagar|weeks?|uger?|veckor|months?|måneder|måned|månader|månad)\b")
STALL_UNIT_DAYS = {"d": 1, "w": 7, "u": 7, "v": 7, "m": 30}
DEAL_STATUS = {
    "open": "open", "åbne": "open", "åben": "open", "öppna": "open", "öppen": "open", "active": "open",
    "aktive": "open", "aktiva": "open", "pipeline": "open", "pipelinen": "open", "pipelines": "open", "won": "won", "vundne": "won", "vandt": "won",
    "vundet": "won", "vunna": "won", "vann": "won", "vunnit": "won", "lost": "lost", "tabte": "lost",
    "tabt": "lost", "förlorade": "lost", "förlorat": "lost", "closed": "closed", "lukkede": "closed",
    "stängda": "closed",
}
# "which deals did we win", "hvilke aftaler har vi tabt", "vilka affärer har vi vunnit": an auxiliary of the
# past and a verb of the outcome make the deals won or lost, not open ones closing then.
PAST_AUX = {"did", "have", "has", "had", "har", "havde", "hade", "we've"}
DONE_VERBS = {"win": "won", "close": "won", "sign": "won", "lose": "lost", "vinde": "won", "vinna": "won",
              "lukke": "won", "stänga": "won", "tabe": "lost", "förlora": "lost", "miste": "lost", "tappa": "lost"}
CREATED_WORDS = {"created", "new", "opened", "oprettet", "oprettede", "nye", "skapade", "skapat", "skapats", "nya",
                 "skapades", "oprettedes", "åbnet", "åbnede", "öppnades", "öppnade", "tilføjet", "tilføjede", "tillagda"}
# Nouns a name stands before ("the Mars region", "Maj-teamet" aside): a month word before one is a name.
PLACE_NOUNS = {"region", "regions", "regionen", "segment", "segmentet", "team", "teamet", "market", "marked",
               "markedet", "marknad", "marknaden", "country", "land", "landet", "office", "kontor", "kontoret",
               "account", "kunde", "kund", "hold", "holdet", "lag", "laget"}
CLOSED_WORDS = {"closed", "lukkede", "lukket", "lukkedes", "stängde", "stängt", "stängda", "stängdes"}
CLOSING_WORDS = {"closing", "close", "closes", "lukker", "lukkes", "lukke", "stänger", "stängs", "stänga", "due"}
# The currency an amount is said in ("300 tkr", "1 mio. kr", "$500k", "50k USD"); "kr" is the asker's
# krone or krona (DKK in Danish, SEK in Swedish: bot/core/assistant.py). Amounts are converted to the
# store's base currency at the latest rate, and the answer says so.
CURRENCIES = {"eur": "EUR", "€": "EUR", "euro": "EUR", "euros": "EUR", "dkk": "DKK", "kroner": "DKK",
              "sek": "SEK", "kronor": "SEK", "nok": "NOK", "usd": "USD", "$": "USD", "dollar": "USD",
              "dollars": "USD", "gbp": "GBP", "£": "GBP", "pounds": "GBP", "kr": "kr", "kr.": "kr", "tkr": "kr"}
_CURRENCY_AFTER = r"kr\.?(?!\w)|kroner\b|kronor\b|dkk\b|sek\b|nok\b|usd\b|eur\b|euros?\b|gbp\b|dollars?\b|pounds\b|€|\$|£"
# An amount's pieces, shared by AMOUNT, THRESHOLD and AMOUNT_BETWEEN: the currency said first, the number
# (thousands grouped or not), the unit.
_CURRENCY_BEFORE = r"eur|€|dkk|sek|nok|usd|gbp|kr\.?|\$|£"
_NUM = r"\d{1,3}(?:[ .,\u00a0]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_UNIT_WORDS = r"k|m|mn|mio|mill|million|millioner|miljoner|miljon|thousand|tusind|tusen|tkr|t"
# "over 100k", "mere end 100.000", "över 1 miljon", "under 50k"
AMOUNT = re.compile(
    r"(?P<cmp>more than|greater than|bigger than|larger than|at least|over|above|exceeding|>=?|"
    r"mere end|mer än|större än|større end|minst|mindst|över|under|below|less than|smaller than|<=?|"
    rf"mindre end|mindre än|højst|högst)\s*(?P<pre>{_CURRENCY_BEFORE})?\s*(?P<num>{_NUM})\s*(?P<unit>{_UNIT_WORDS})?(?:\.|\b)"
    rf"(?:\s*(?P<cur>{_CURRENCY_AFTER}))?"
    # "for more than 60 days", "over 20%", "more than 20 deals": a time, a share or a count, never an amount
    r"(?!\s*(?:%|(?:percent|procent|days?|dage?n?|dagar|dygn|weeks?|uger?|veckor|vecka|months?|måneder|måned|"
    r"månader|månad|years?|år|hours?|timer|timmar|quarters?|kvartaler|kvartal|"
    r"(?:(?:won|lost|open|closed|new|vundne|tabte|åbne|vunna|förlorade|öppna|nya|nye)\s+)?(?:deals?|aftaler|affärer|"
    r"opps?|opportunities|salgsmuligheder)|customers?|kunder|reps?|sælgere|säljare)\b))")
# A breakdown's rows kept by their value: "reps below 50% attainment", "regions with a win rate over
# 30 %", "sælgere med mere end 2 mio. i pipeline", "säljare under 80 % av budget".
THRESHOLD = re.compile(
    r"(?<![\w-])(?P<cmp>more than|greater than|higher than|at least|over|above|exceeding|>=?|mere end|højere end|"
    r"større end|flere end|mer än|fler än|högre än|större än|minst|mindst|över|under|below|less than|fewer than|"
    r"lower than|at most|<=?|færre end|färre än|"
    rf"mindre end|lavere end|mindre än|lägre än|højst|högst)\s*(?P<pre>{_CURRENCY_BEFORE})?\s*(?P<num>{_NUM})\s*"
    rf"(?P<unit>%|percent|procent|{_UNIT_WORDS})?\.?"
    rf"(?:\s*(?P<cur>{_CURRENCY_AFTER}))?"
    r"(?!\s*(?:days?|dage?n?|dagar|dygn|weeks?|uger?|veckor|vecka|months?|måneder|måned|månader|månad|years?|år|"
    r"hours?|timer|timmar|quarters?|kvartaler|kvartal)\b)(?![\w])")
THRESHOLD_OP = {**{w: "gt" for w in ("more than", "greater than", "higher than", "over", "above", "exceeding", ">",
                                     "mere end", "højere end", "større end", "flere end", "mer än", "fler än", "högre än",
                                     "större än", "över")},
                **{w: "ge" for w in ("at least", ">=", "minst", "mindst")},
                **{w: "lt" for w in ("under", "below", "less than", "fewer than", "lower than", "<", "mindre end",
                                     "lavere end", "færre end", "mindre än", "färre än", "lägre än")},
                **{w: "le" for w in ("at most", "<=", "højst", "högst")}}
PERCENT_UNITS = {"%", "percent", "procent"}
# "reps under budget", "teams above target", "hvem ligger over budget": attainment past 100%.
PAST_TARGET = re.compile(r"\b(?P<cmp>under|below|over|above|beneath|ahead of|exceeding|över|hit|hits|reached|met|made|"
                         r"beat|nåede|nået|nådde|nått|klarede|klarade)\s+(?:the\s+|their\s+|his\s+|her\s+|deres\s+|"
                         r"sit\s+|sitt\s+|deres\s+|sina\s+)?(?:budget|budgettet|budgeten|target|targets|quota|plan|"
                         r"kvote|kvoten|kvot|målet|mål)\b")
# "reps with no pipeline", "who hasn't won a deal this month", "sælgere uden pipeline", "vilka säljare har
# inte vunnit några affärer": a breakdown's rows at 0, of a KPI that sums or counts.
NOTHING = re.compile(
    r"(?<![\w-])(?:no|zero|without|uden|ingen|intet|nul|utan|inga|inget|noll|(?:with|has|have|had|med|har|hade)\s+0)"
    r"(?![\w-])|(?:(?<![\w-])(?:not|never|ikke|aldrig|inte|ej|(?:haven|hasn|hadn|didn|don|doesn|isn|aren|wasn|weren)t)|"
    r"\w*n't)\s+(?:\w+\s+){0,2}?(?:won|win|closed|close|booked|"
    r"book|sold|sell|created|create|generated|vundet|lukket|solgt|booket|skabt|vunnit|stängt|sålt|bokat|skapat)"
    r"(?:\s+(?:any|anything|a|a single|one|nogen|noget|nogle|en|et|några|någon|något|ett|deals?|aftaler?|"
    r"affärer|affär))?(?![\w-])")
# "between 50k and 100k", "mellem 50.000 og 100.000 kr", "mellan 50k och 100k": both bounds at once.
AMOUNT_BETWEEN = re.compile(
    rf"\b(?:between|mellem|mellan|from|fra|från)\s+(?P<pre>{_CURRENCY_BEFORE})?\s*(?P<lo>{_NUM})\s*"
    rf"(?P<lo_unit>{_UNIT_WORDS})?\.?\s+(?:and|og|och|to|til|till|-|–)\s+(?:{_CURRENCY_BEFORE})?\s*"
    rf"(?P<hi>{_NUM})\s*(?P<unit>{_UNIT_WORDS})?(?:\.|\b)(?:\s*(?P<cur>{_CURRENCY_AFTER}))?"
    r"(?!\s*(?:%|days?|dage|dagar|weeks?|months?|years?|deals?|aftaler|affärer)\b)")
AMOUNT_BELOW = {"under", "below", "less than", "smaller than", "<", "<=", "mindre end", "mindre än", "højst", "högst"}
AMOUNT_UNITS = {"k": 1e3, "thousand": 1e3, "tusind": 1e3, "tusen": 1e3, "t": 1e3, "tkr": 1e3, "m": 1e6, "mn": 1e6,
                "mio": 1e6,
                "mill": 1e6, "million": 1e6, "millioner": 1e6, "miljoner": 1e6, "miljon": 1e6}

# ---------------------------------------------------------------- small talk
# Whole messages that are thanks, greetings or a nod, with the language they are in (None:
# Danish and Swedish alike, so the conversation's language decides). Answered in kind.
SOCIAL: dict[str, tuple[str, str | None]] = {
    **{w: ("thanks", "en") for w in ("thanks", "thank you", "thx", "ty", "cheers", "thanks a lot", "many thanks",
                                     "great thanks", "perfect thanks", "thank you so much", "much appreciated")},
    **{w: ("thanks", "da") for w in ("tak", "mange tak", "tusind tak", "tak skal du have", "super tak",
                                     "tak for det", "fedt tak", "perfekt tak")},
    **{w: ("thanks", "sv") for w in ("tack", "tack så mycket", "tusen tack", "stort tack", "tack ska du ha",
                                     "tack för det", "toppen tack", "perfekt tack")},
    **{w: ("ack", "en") for w in ("ok", "okay", "great", "perfect", "nice", "cool", "got it", "awesome")},
    **{w: ("ack", "da") for w in ("fint", "fedt", "godt", "super", "forstået")},
    **{w: ("ack", "sv") for w in ("bra", "toppen", "grymt", "fint så", "uppfattat")},
    **{w: ("greeting", "en") for w in ("hi", "hello", "hey", "hi there", "hey there", "hello there", "good morning",
                                       "good afternoon", "morning")},
    **{w: ("greeting", "da") for w in ("hejsa", "halløj", "godmorgen", "god morgen", "goddag", "dav")},
    **{w: ("greeting", "sv") for w in ("hejsan", "tjena", "tjenare", "hallå", "god morgon", "god dag", "morsning")},
    **{w: ("greeting", None) for w in ("hej", "hej hej", "hejhej")},
}
# A greeting before a question ("Hej, hvad var omsætningen …?") is dropped before parsing.
# Chat shorthand, written out before anything reads the question: "pipe vs target q1", "min viktade
# pipe", "hur mkt har jag stängt denna mån", "o nästa?", "qtr". Each only where it cannot be a word of
# its own ("mån" after a period word: "i mån av" is not a month; "e" after a question word).
SHORTHAND = [
    (re.compile(r"\bpipe\b", re.I), "pipeline"),
    (re.compile(r"\b(hur|så|hvor|how)\s+(?:mkt|mkyt)\b", re.I), lambda m: f"{m[1]} {'much' if m[1].lower() == 'how' else 'meget' if m[1].lower() == 'hvor' else 'mycket'}"),
    (re.compile(r"\b(denna|den här|förra|nästa|föregående|this|last|next|prev|previous)\s+(?:mån|mnd|mnth|mth)\b", re.I),
     lambda m: f"{m[1]} {'månad' if m[1].lower() in ('denna', 'den här', 'förra', 'nästa', 'föregående') else 'month'}"),
    (re.compile(r"\b(this|last|next|prev|previous|per|by|each)\s+qtr\b", re.I), r"\1 quarter"),
    (re.compile(r"\b(mycket|vad|vem|vilka|var|hur|det)\s+e\b(?=\s+\w)", re.I), r"\1 är"),
    (re.compile(r"^\s*o\s+(?=\w)", re.I), "och "),
    (re.compile(r"\bhva\b(?!')", re.I), "hvad"),  # spoken Danish ("hva er min største aftale")
    (re.compile(r"\b(what|who|where|how|that)s\b", re.I), r"\1's"),  # "whats the total", "whos behind"
]


def expand_shorthand(text: str) -> str:
    for pattern, replacement in SHORTHAND:
        text = pattern.sub(replacement, text)
    return text


# Numbers said as words before a superlative or after "top": "fem största", "the three biggest", "top ti"
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
                "twenty": 20, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7, "otte": 8, "ni": 9, "ti": 10,
                "tyve": 20, "två": 2, "fyra": 4, "sex": 6, "sju": 7, "åtta": 8, "nio": 9, "tio": 10, "tjugo": 20}
SAID_NUMBER = re.compile(r"\b(?:(?<=top )|(?<=topp )|(?<=bottom )|(?<=bund )|(?<=botten )|(?<=the )|(?<=de )|(?<=our )|(?<=my )|(?<=vores )|"
                         r"(?<=våra )|(?<=mine )|(?<=mina )|(?<=which )|(?<=hvilke )|(?<=vilka ))(" + "|".join(NUMBER_WORDS) + r")\b(?=\s+\w+)", re.I)
# "no, I meant revenue", "nej, jeg mente omsætning", "sorry, I mean open deals": a correction of the last
# question, taken off before it is read (what follows is read as a follow-up)
CORRECTION = re.compile(r"^\W*(?:(?:no|nej|nope|sorry|undskyld|förlåt|oops)\W+)*(?:i meant|i mean|jeg mente|jeg mener|"
                        r"jag menade|jag menar)\b\W*", re.IGNORECASE)
GREETING_PREFIX = re.compile(r"^\s*(?:hi|hello|hey|hej hej|hej|hejsa|hejsan|halløj|hallå|tjena|hallo|"
                             r"good morning|godmorgen|god morgen|god morgon|morning|dav|goddag)\b[\s,.!:;-]+(?=\S)",
                             re.IGNORECASE)

# ---------------------------------------------------------------- targets
# "against quota", "mod budget", "fra budgettet", "on target", "hur ligger vi till": attainment
# (kpis.md, Targets), not the target amount that a bare "quota" asks for.
TARGET_RELATION = {"against", "vs", "versus", "towards", "toward", "mod", "imod", "mot", "emot", "fra", "från",
                   "ift", "relative"}
ON_TARGET = re.compile(r"\b(?:on target|on track|on pace|ahead of (?:target|plan|quota|budget)|"
                       r"how far (?:are we|am i|is (?:the team|my team|our team)) (?:from|off|to)|"
                       r"hur långt (?:är vi|är jag) (?:från|ifrån)(?: (?:målet|budgeten|kvoten|mål|budget))?|"
                       r"hvor langt (?:er vi|er jeg) fra(?: (?:målet|budgettet|kvoten|mål|budget))?|"
                       r"behind (?:on |with )?(?:my |our |the )?(?:target|plan|quota|budget)|"
                       r"hit (?:my |our |the )?(?:target|quota|number|budget|plan)|"
                       r"(?:er |ligger )?bagud (?:i forhold til |ift |på |med )?(?:budget|budgettet|målet|kvoten)|"
                       r"(?:ligger |halter |släpar )?(?:efter|bagefter) (?:budget|budgeten|budgettet|målet|målen|målene|"
                       r"kvoten|planen)|"
                       # "how are we tracking vs quota", "pacing against plan", "doing against budget"
                       r"(?:tracking|trending|pacing|doing|performing|going|running)\s+(?:against|vs|versus|to|toward|"
                       r"towards|relative to|compared to|compared with)\s+(?:my |our |the )?(?:quota|target|plan|budget|goal)|"
                       # what is left to the target: "gap to target", "how much do I need to close to hit quota"
                       r"(?:gap|distance) (?:to|from) (?:my |our |the )?(?:target|quota|plan|budget)|"
                       r"(?:left|remaining|short) (?:to|of|until) (?:my |our |the )?(?:target|quota|plan|budget)|"
                       r"need to (?:close|sell|win|book|bring in)|"
                       # "hur ligger vi till mot målet", "hvordan ligger vi i forhold til budgettet"
                       r"(?:mot|mod|i forhold til|ift\.?|jämfört med|sammenlignet med) (?:målet|målene|målen|budget|"
                       r"budgettet|budgeten|kvoten|vores mål|vårt mål|mit mål|mitt mål|(?:mit|min|mitt|vores|vårt|vår|"
                       r"teamets|holdets) (?:budget|kvote|kvot|mål))|"
                       r"(?:mangler|afstand) (?:vi |jeg )?(?:til|for at nå) (?:målet|budgettet|kvoten|mit mål|vores mål)|"
                       r"(?:kvar|avstånd) (?:till|att nå) (?:målet|budgeten|kvoten|mitt mål|vårt mål)|"
                       r"nå (?:målet|budgettet|budgeten|kvoten|mit mål|vores mål|mitt mål|vårt mål)|"
                       r"på sporet|på rette spor|i mål|på rätt spår|i fas|hur ligger (?:vi|jag) till|"
                       r"hvor(?:dan)? (?:langt|ligger) er (?:vi|jeg)|hvordan ligger (?:vi|jeg)|"
                       r"i forhold til (?:budget|budgettet|mål|målet|kvote|kvoten)|"
                       r"jämfört med (?:budget|budgeten|mål|målet|kvot|kvoten))\b")

# Words that join two KPIs into one question of several parts ("pipeline and win rate").
CONJUNCTIONS = {"and", "og", "och", "&", "plus", "samt", "+", "as well as"}

# Words that carry no meaning of their own in a question to the bot (besides STOPWORDS): they
# are neither used nor reported as left out.
FILLER = {"please", "pls", "plz", "thanks", "tak", "tack", "kindly", "hey", "hi", "hej", "bot", "ccobot", "quick",
          "u", "ur", "ya", "yo", "vise", "vis", "visa", "show", "mig", "mej", "lige", "liige", "bare", "lige", "kort",
          "question", "tell", "know", "like", "want", "would", "could", "can", "just", "now", "currently",
          "look", "looking", "right", "okay", "ok", "gerne", "gärna", "venligst", "snälla", "lige", "bara",
          "kan", "du", "vil", "vill", "gerne", "mig", "me", "us", "os", "oss", "get", "got", "see", "number",
          "figure", "figures", "numbers", "tal", "tallet", "siffran", "siffror", "siffrorna", "status", "overview",
          "overblik", "översikt", "update", "opdatering", "uppdatering", "doing", "going", "looks", "look",
          "much", "many", "mange", "många", "meget", "mycket", "stor", "store", "stora", "long", "lang", "lång",
          "fik", "fick", "got", "have", "has", "had", "har", "havde", "hade", "customers", "customer", "clients",
          "kunder", "kunderne", "kunderna", "logos", "accounts", "ligger", "står", "går", "gør", "gör",
          # chat words that ask nothing: "gimme", "I'd like to know", "could you break down", "came in"
          "gimme", "lemme", "hows", "whats", "i'd", "i'm", "we'd", "break", "down", "came", "come", "coming",
          "fiscal", "fy", "regnskabsår", "räkenskapsår", "antal", "antallet", "antalet", "gns", "gnsn", "snitt",
          "then", "så", "då"}
# In a KPI question, words about the rows the KPI counts ("Enterprise deals", "closing next quarter").
KPI_CONTEXT = DEAL_NOUNS | CLOSING_WORDS | {w for verbs in DEAL_VERBS.values() for w in verbs} | {
    "add", "added", "adding", "%", "days", "dage", "dagar", "in days", "i dage", "i dagar"}

# "for those", "for dem", "för dem", "those reps": the groups of the previous answer.
THOSE = {"those", "them", "these", "dem", "disse", "dessa", "dom", "de"}
THOSE_BEFORE = {"for", "för", "of", "af", "av", "about", "om", "with", "med"}
THOSE_ALONE = {"those", "these", "disse", "dessa"}
