"""The understanding step: a question and the conversation so far → one typed reading.

    KpiQuestion   one KPI over a period and a scope          ("win rate by region last quarter")
    DealList      deals as items                             ("my biggest deal closing this month")
    Comparison    one KPI on two or more sides               ("revenue this quarter vs last quarter")
    Parts         several parts in one question, in order    ("pipeline and win rate this quarter",
                  "which KPIs should a CCO track, and what is our win rate?")
    PlaybookQuestion  a question the playbook answers, or says it does not cover
                                                             ("how do we reduce churn?")
    Help          help or small talk
    Clarify       what to ask back: no KPI, a period that does not exist, words not understood

Playbook or numbers is decided by evidence, not by cue words: the form of the question (how,
why, should, what is … against how much, how many, by region), the KPI slots it fills (a
period, filters, a breakdown, "my"), and how well the playbook answers it. A question with a
clause of each kind is both, one part each.

Each carries the parse it came from (`Parsed`: the words it used and those it did not, in
`used` and `unused`). The offline parser fills these types today; a language model that
reads the long tail must return the same ones, so nothing after this step changes with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Callable

from bot.core.conversation import PLACES, Conversation
from bot.core.followups import RELATIVE_UNITS, follow_up, summed_up
from bot.errors import PeriodError
from bot.metrics.periods import Calendar, add_months, parse_period
from bot.nlu.compare import (COMPARE_WITH, JUST_BEFORE, SAME_PERIOD_AGO, SAME_UNIT, YEAR_AGO_WORDS, Comparison,
                             averaged, combine, people_side, split_sides)
from bot.nlu.forms import question_form
from bot.nlu import lexicon as lx
from bot.nlu.lexicon import ON_TARGET
from bot.nlu.parser import Parsed, Parser, first_names
from bot.nlu.text import MAX_CHARS, known_word
from bot.nlu.values import ValueIndex
from bot.playbook.answer import COVERED


@dataclass
class KpiQuestion:
    parsed: Parsed


@dataclass
class DealList:
    parsed: Parsed


@dataclass
class Parts:
    parsed: Parsed
    parts: list[KpiQuestion | DealList | Clarify | PlaybookQuestion]


@dataclass
class PlaybookQuestion:
    parsed: Parsed
    text: str  # what to look up: the question, or its clauses that are for the playbook
    ours: bool = False  # "… and what is ours?" with no KPI named: the headline figures beside it
    # Beside a figure, only passages that name its KPI (in any language) answer for the playbook:
    # "what is a good win rate?" is not answered by a passage on churn rates. (One name of each group.)
    about: tuple[tuple[str, ...], ...] = ()
    more: int = 0  # "tell me more" (said how many times): the passages after those the answers were read from
    defines: tuple[str, ...] = ()  # "difference between pipeline and weighted pipeline": how each is computed


@dataclass
class Help:
    parsed: Parsed


@dataclass
class Clarify:
    parsed: Parsed
    reason: str  # "metric" (which KPI?), "period" (no such period), "unknown" (words not understood),
    # "follow_up" (what to do with the last answer, whose question `parsed` holds), "absent" (a measure the
    # metrics store does not hold, in `parsed.unknown`: "what's our gross margin?"), "dimension" (a breakdown by
    # something the KPI has not, in `parsed.unknown`: "by reason?" after deals lost), "pushed" (deals whose
# close date was moved: the digest's, not a list's)


@dataclass
class ChangeRanking:
    """'which region grew most vs last year', 'biggest drop in win rate by region, Q3 vs Q2': a breakdown
    ranked by how far each group's figure moved from an earlier period."""
    parsed: Parsed  # the KPI, the period now, the filters and the breakdown; limit: how many groups to show
    before: str | None  # the earlier period as said ("Q2"); None: the period just before, or a year back
    months: int | None  # 12: a year back (when no earlier period is said)
    rising: bool  # the biggest rise first, else the biggest fall


@dataclass
class People:
    """'who is my manager?', 'who is on my team?', 'who reports to Elin Johansson?': the org, from the reps
    table; whose is the person or team the question names, else the asker."""
    parsed: Parsed
    ask: str  # "manager" or "members"


Understanding = KpiQuestion | DealList | Comparison | Parts | PlaybookQuestion | Help | Clarify | ChangeRanking | People
CHANGE_FILLER = {"the", "in", "i", "their", "his", "her", "its", "deres", "sin", "sit", "sine", "sina", "sitt", "sig",
                 "sej", "themselves", "had", "has", "have", "haft", "havde", "har", "hade", "fått", "fået"}
YEAR_AGO_LEAD = re.compile(r"^(?:the same (?:period|quarter|month) )?(?:last year|a year ago|a year earlier|sidste år|"
                           r"året før|i fjor|i fjol|förra året)\b\s*(?P<rest>.*)$", re.I)
# KPIs for which less is better: "improved" is a fall.
LOWER_IS_BETTER = {"sales_cycle_days", "logo_churn_rate", "revenue_churn_rate", "cac", "cac_payback_months",
                   "case_resolution_hours", "marketing_spend"}
# A reading's period `months` earlier (12: the same period a year earlier), with None the period just
# before it, with 0 the period itself (its KPI's own when none is said), as an expression.
Earlier = Callable[[Parsed, Calendar, int | None], str]
Evidence = Callable[[str], float]  # how much of a text the playbook's best passages speak of (0–1)

# The headline figures: what "how are we doing?" and "…, and what is ours?" are answered with.
SNAPSHOT = {
    "en": ["revenue this quarter", "win rate this quarter", "pipeline", "NPS this quarter"],
    "da": ["omsætning dette kvartal", "win rate dette kvartal", "pipeline", "NPS dette kvartal"],
    "sv": ["intäkter det här kvartalet", "win rate det här kvartalet", "pipeline", "NPS det här kvartalet"],
}
# Looking back at a period that has ended ("how did we do in October"), deals won take the open
# pipeline's place: what was left open then is no headline of it.
SNAPSHOT_PAST = {
    "en": ["revenue", "win rate", "deals won", "NPS"],
    "da": ["omsætning", "win rate", "vundne aftaler", "NPS"],
    "sv": ["intäkter", "win rate", "vunna affärer", "NPS"],
}
STATUS = re.compile(r"\b(?:how are we doing|how'?s it going|how is it going|where do we stand|how do we stand|"
                    r"hvordan går det|hvordan ligger vi|hvor står vi|hur går det|hur ligger vi|var står vi|"
                    # "show me my team's numbers", "vores tal for Q3", "mitt teams siffror"
                    r"(?:my|our|the|mit|mine|vores|mitt|mina|vårt|våra) (?:team'?s |teams |teamets |holdets |lagets )?"
                    r"(?:numbers|figures|kpis|stats|tal|nøgletal|siffror|nyckeltal)\b|"
                    # "how is DACH doing", "how's my team doing", "a summary of this quarter", "status for DACH"
                    r"how(?: is| are|'s|s) [\w' &-]+ (?:doing|performing|tracking)|"
                    r"(?:give me |gi mig |ge mig )?(?:a |an |en |et |ett )?(?:summary|overview|snapshot|status update|"
                    r"oversigt|overblik|opsummering|sammanfattning|översikt|lägesbild) (?:of|for|on|over|af|på|"
                    r"för|över)|status (?:for|of|on|på|för)|hvordan klarer [\w ]+ sig|hur klarar [\w ]+ sig|"
                    # looking back: "how did we do in October", "how did DACH perform last quarter", "how was Q3"
                    r"how (?:did|have|has) [\w' &-]+ (?:do|done|go|gone|perform|performed|fare|fared)|"
                    r"how (?:was|were) (?:our |the |my )?(?:numbers|results|figures|[a-z]+ \d{4}|q[1-4]\b|h[12]\b|"
                    r"last (?:week|month|quarter|year)|this (?:week|month|quarter|year)|(?:january|february|march|april|"
                    r"may|june|july|august|september|october|november|december)\b)|"
                    r"hvordan gik det|hvordan klarede [\w ]+ sig|hvordan var (?:tallene|resultaterne|sidste|[a-zæøå]+ \d{4}|q[1-4]\b)|"
                    r"hur gick det|hur klarade [\w ]+ sig|hur var (?:siffrorna|resultaten|förra|q[1-4]\b)|"
                    # "performance last quarter", "sales performance this year", "vores resultater i år"
                    r"^\s*(?:(?:our|the|sales|team|vores|salgs|vår|våra|sälj)\s+)?(?:performance|results|resultater|"
                    r"resultaterne|resultat|resultaten|præstation|prestation)(?=\s+(?:for\s+|i\s+|in\s+|för\s+)?(?:last|this|"
                    r"sidste|forrige|denne|dette|i|förra|detta|denna|q[1-4]\b|h[12]\b|\d{4}\b)))\b", re.I)
# A made-up compound ending so is a KPI's name we lack, not a word about something else.
KPI_SUFFIXES = ("rate", "ratio", "faktor", "factor", "kvot", "kvote", "score", "index", "indeks", "andel", "grad",
                "frekvens")
SURE = 0.75  # playbook evidence that outweighs a KPI name in the question
PROSE = ("advice", "why", "role", "definition", "list", "comparison")  # forms that want words, not a number
NAMES_PLAYBOOK = re.compile(r"\b(?:playbook\w*|best practices?|bedste praksis|bästa praxis)\b", re.I)
OURS = re.compile(r"\b(?:what is ours|what are ours|what's ours|whats ours|and ours|what about ours|how about ours|hvad er vores|"
                  r"hvad med vores|og vores|vad är våra|vad är vårt|och våra|och vårt|hur ser våra ut)"
                  r"(?:\s+(?:this|last|in|i|for|denne|dette|detta|sidste|förra)\s+\w+)?\s*\??$", re.I)  # ("… this quarter")
MY = re.compile(r"\b(?:my|min|mit|mine|mitt|mina)\b", re.I)
# "what's the/our churn rate": a figure of ours asked for, not what churn rate is ("what's the
# definition of …", "what's the typical …" are not).
THE_FIGURE = re.compile(r"^\W*(?:what(?:'s| is|s)|hvad er|vad är)\s+(?:the|our|my|vores|min|mit|mine|vår|vårt|våra|"
                        r"mitt|mina)\s+(?!definition|meaning|difference|role|purpose|point|idea|best|right|ideal|"
                        r"typical|standard|formula|benchmark|industry)", re.I)
MEANING = re.compile(r"\b(?:definition of|meaning of|define|what does .+ mean|what do .+ mean|hvad betyder|"
                     r"what counts as|what is counted as|hvad tæller som|vad räknas som|"
                     r"what (?:does|do) .+ stand for|hvad står .+ for|vad står .+ för|"
                     r"hvad menes med|hvad vil det sige|vad betyder|vad menas med|vad innebär|definer|definiera|"
                     # "how is pipeline coverage computed?", "hvordan beregnes win rate", "hur räknas säljcykeln?"
                     r"how (?:is|are|do you|do we) .+ (?:computed|calculated|measured|defined|compute|calculate|measure)|"
                     r"hvordan (?:beregnes|udregnes|måles|defineres|beregner (?:du|i|man)|regner (?:du|man))|"
                     r"hur (?:räknas|beräknas|mäts|definieras|räknar (?:du|ni|man)|beräknar (?:du|ni|man)))\b", re.I)
# A yardstick asked for, not only our figure: "a good win rate", "en sund pipeline coverage", "typisk CAC".
BENCHMARK = (r"\b(?:good|healthy|typical|normal|reasonable|realistic|ideal|benchmark|industry average|god|godt|gode|"
             r"sund|sundt|typisk|rimelig|realistisk|bra|rimlig)\s+(?:\w+\s+)?")
OWN = re.compile(r"\b(?:our|my|vores|min|mit|mine|vår|vårt|våra|mitt|mina)\b", re.I)
CLAUSES = re.compile(r",\s*(?:and|og|och|but|men)\s+|[?;]\s+|\s+(?:and|og|och|,) (?=(?:what|whats|what's|how|which|who|"
                     r"why|hvad|hvordan|hvilke|hvem|hvorfor|vad|hur|vilka|vem|varför)\b)", re.I)


# Pay asked of a role ("how much does a CCO earn", "hvad tjener en salgschef"): the playbook's, never revenue
PAY = re.compile(r"\b(?:earn|earns|paid|pay|salary|salaries|compensation|tjener|tjene|løn|lønnen|lønninger|tjänar|"
                 r"tjäna|lön|lönen|löner)\b", re.I)
PAY_NAMES = ("salary", "salaries", "pay", "paid", "earn", "compensation", "løn", "lön", "aflønning", "ersättning")
TITLES = r"cco|cmo|ceo|cfo|coo|cro|chief \w+ officer"  # the C-suite, by title
ROLES = re.compile(rf"\b(?:{TITLES}|(?:a|an|en|et|ett) (?:sales )?(?:manager|rep|"
                   r"director|account executive|ae|sdr|bdr|sælger|salgschef|säljare|säljchef|chef))\b", re.I)
# A figure of ours the metrics store does not hold: "what's our gross margin", "how many employees do we have"
OF_OURS = re.compile(r"\b(?:our|vores|vår|vårt|våra|we have|do we|har vi|have we|we)\b", re.I)
OUR_MEASURE = re.compile(r"\b(?:gross margin|margin|"
                         r"margins|profit|profitability|ebitda|headcount|employees|staff|costs|expenses|share price|"
                         r"market share|cash|runway|burn rate|bruttomargin|dækningsbidrag|avance|overskud|ansatte|"
                         r"medarbejdere|omkostninger|markedsandel|bruttomarginal|vinst|anställda|medarbetare|kostnader|"
                         r"marknadsandel)\b", re.I)
# "tell me more", "fortæl mere", "berätta mer" after the playbook's answer: what else it says
TELL_MORE = re.compile(r"^\W*(?:(?:can you |could you |please |kan du )?(?:tell me more|tell me something more|more|"
                       r"say more|go on|elaborate|more details?|more on (?:that|this)|anything else|what else)|"
                       r"fortæl (?:mig )?(?:noget )?mere|mere|uddyb|mere om det|hvad mere|hvad ellers|"
                       r"berätta (?:mer|mera)|mer|mera|utveckla|mer om det|vad mer|vad mera|något mer)"
                       r"(?:\s+(?:about (?:it|that|this)|om det|om det dér|please|tak|tack))?\W*$", re.I)
# A role, not a person in the reps table: "who does a CCO report to?", "which roles does the team need?"
ROLES_ASKED = re.compile(rf"\b(?:{TITLES}|cso|c-suite|vice president|roles?|roller|"
                         r"rollerne|rollerna|rollen|funktioner|functions?)\b", re.I)
# Measures whose names hold a KPI's name but that the catalog does not have
NOT_A_KPI = re.compile(r"\b(?:gross (?:revenue |dollar )?retention|grr|gdr|brutto ?(?:omsætnings)?fastholdelse|"
                       r"bruttoretention|bruttointäktsretention|csat|customer satisfaction score|kundetilfredshedsscore|"
                       r"kundnöjdhetsindex|nki)\b", re.I)
LEAD_KPIS = {"leads_created", "lead_conversion_rate"}  # what "leads" can read as, besides the verb
# Words that point at whom or what the last answer was about, and the dimensions they can mean
PERSON, PLACE = ("owner",), ("region", "country", "segment", "team")
ANY = ("owner", "account", *PLACE, "product_line", "stage", "type", "source", "industry")
FIRST_ONE = re.compile(r"\b(?:the (?:first|top) one(?:'s)?|(?:den|det) første(?:s)?|(?:den|det) första(?:s)?|"
                       r"number one(?:'s)?|nummer (?:et|en|ett)(?:s)?)\b", re.I)
POINTERS = {**dict.fromkeys(("he", "she", "him", "hers", "han", "hun", "hon", "ham", "henne", *lx.POSSESSIVES), PERSON),
            **dict.fromkeys(("they", "their", "deres", "deras"), ("owner", "account", *PLACE)), "there": PLACE, "där": PLACE, "dér": PLACE}
THAT_DIMS = {"team": "team", "team's": "team", "teamet": "team", "teamets": "team", "hold": "team", "holdet": "team",
             "holdets": "team", "lag": "team", "laget": "team", "lagets": "team", "region": "region",
             "region's": "region", "regionen": "region", "regionens": "region", "segment": "segment",
             "segmentet": "segment", "country": "country", "land": "country", "landet": "country", "rep": "owner",
             "rep's": "owner", "sælger": "owner", "sælgeren": "owner", "säljare": "owner", "säljaren": "owner",
             "person": "owner", "person's": "owner", "personen": "owner", "personens": "owner"}
THAT_ONE = re.compile(r"\b(that|this|the same|det|dette|den|denne|samme|detta|denna|samma)\s+(" +
                      "|".join(re.escape(w) for w in THAT_DIMS) + r")(?![\w'])", re.I)
# "against it", "mod det", "mot den" after a quota: against the quota
AGAINST_IT = re.compile(r"\b(against|vs|versus|mod|mot)\s+(?:it|that|this|det|den|dén)\b", re.I)
AGAINST_QUOTA = {"against": "against quota", "vs": "against quota", "versus": "against quota", "mod": "mod kvoten",
                 "mot": "mot kvoten"}
# Words that point back at the last answer ("that", "them", "those ones", "det", "dem", "dessa")
POINTING = {"that", "it", "this", "them", "their", "those", "these", "ones", "there", "his", "her", "det", "dét",
            "why", "hvorfor", "varför", "how come",
            "den", "dem", "dom", "dette", "disse", "deres", "detta", "dessa", "denna", "deras", "hans", "hendes",
            "hennes", "efter", "bagud", "hele", "hela", "bigger", "smaller", "higher", "lower", "better", "worse",
            "større", "mindre", "højere", "lavere", "bedre", "værre", "större", "högre", "lägre", "bättre", "sämre"}
# The answers a follow-up's "that" or "ours" points back at: a figure, of its own or in parts.
NUMBER_KINDS = {"kpi", "compare"}
ABOUT_LAST = {
    "en": (re.compile(r"^\W*(?:and\s+)?(?:(?P<meaning>what does (?:that|this|it) mean|what(?:'s| is) (?:that|this)|"
                      r"meaning\?)|(?:what(?:'s| is|s) ours|what about ours|how about ours|ours))\W*$", re.I),
           {"meaning": "what does {name} mean?", "ours": "what is our {name}?", "team": "my team's {name}"}),
    "da": (re.compile(r"^\W*(?:og\s+)?(?:(?P<meaning>hvad betyder (?:det|dét|dette)|hvad er (?:det|dét))|"
                      r"(?:hvad er vores|hvad med vores|vores))\W*$", re.I),
           {"meaning": "hvad betyder {name}?", "ours": "hvad er vores {name}?", "team": "mit teams {name}"}),
    "sv": (re.compile(r"^\W*(?:och\s+)?(?:(?P<meaning>vad betyder (?:det|detta)|vad är (?:det|detta))|"
                      r"(?:vad är vår|vad är vårt|vad är våra|hur ser vår ut|vår|vårt|våra))\W*$", re.I),
           {"meaning": "vad betyder {name}?", "ours": "vad är vår {name}?", "team": "mitt teams {name}"}),
}


# "by reason?", "pr. produkt?" after a figure: a breakdown by something (said unused when the data has no such thing)
BY_OTHER = re.compile(r"^\W*(?:and\s+|og\s+|och\s+)?(?:by|per|pr\.?|efter|opdelt på|fordelt på|uppdelat på|"
                      r"fördelat på)\s+(?P<what>[^\W\d_]+)\W*$", re.I)
# "what's the difference between pipeline and weighted pipeline?", "forskellen på win rate og lead konvertering"
TOLD_APART = re.compile(r"\b(?:diff(?:erence)?|forskel(?:len)?|skillnad(?:en)?)\s+(?:between|mellem|på|mellan|of)\s+"
                        r"(?P<a>.+?)\s+(?:and|og|och|vs\.?|&)\s+(?P<b>.+?)\s*[?.!]*$", re.I)


def _two_kpis_told_apart(parser: Parser, question: str, values: ValueIndex, cal: Calendar) -> PlaybookQuestion | None:
    """Two KPIs asked apart: what the playbook says of the difference, and how each is computed (never
    their two figures, which the question does not ask for)."""
    m = TOLD_APART.search(question[:MAX_CHARS])
    if m is None:
        return None
    metrics = [parser.parse(m.group(side), values, cal).metric for side in ("a", "b")]
    if None in metrics:
        return None
    metrics = list(dict.fromkeys(metrics))  # ("revenue and bookings": one KPI, told as it is computed)
    parsed = replace(parser.parse(question, values, cal), metric=metrics[0], unused=[])
    return PlaybookQuestion(parsed, question, about=tuple(tuple(_names(parser, m)) for m in metrics),
                            defines=tuple(metrics))


# "and the CSO?", "hvad med CMO'en?", "what about the data analyst?", "och varför?" after the playbook's answer
BOOK_AGAIN = re.compile(r"^\W*(?:and|og|och|what about|how about|hvad med|hva med|hur är det med|vad med|"
                        r"og hvad med|och hur är det med|and what about)\s+(?P<x>.+?)\s*[?.!]*$", re.I)
WHY_START = r"^\W*(?:and\s+|og\s+|och\s+|but\s+|men\s+)?(?P<why>why|hvorfor|varför)\b"
WHY_ASKED = re.compile(WHY_START, re.I)  # "why?", "why is it lower?" after a figure: asked back (assistant)
WHY_AGAIN = re.compile(WHY_START + r"(?:\s+(?:is that|that|so|det|då|da|does (?:it|that|this) matter|"
                       r"is (?:it|that|this) (?:important|so important)|spelar (?:det|den) (?:någon )?roll|"
                       r"är (?:det|den) (?:så )?viktigt?|betyder (?:det|den) noget|er (?:det|den) (?:så )?vigtigt?|"
                       r"har (?:det|den) betydning))?\s*[?.!]*$", re.I)
# Deals whose close date was moved: what the morning digest reports from the history, no list reads
PUSHED = re.compile(r"\b(?:pushed|pushed out|pushed back|moved out|skubbet|skubbede|skudt|udskudt|udskudte|flyttet ud|"
                    r"skredet|skredne|framflyttad\w*|uppskjut\w*|sköts upp|skjut\w* upp|skjutits|flyttad\w* fram)\b", re.I)
# "why does it matter?", "och vilka kpier följer hen?": what the playbook's last answer was about
PRONOUN = re.compile(r"\b(?:it|its|this|that one|they|them|det|dets|den|dens|dem|hen|hens|han|hun|hon|dess)\b", re.I)
OURS_AGAIN = re.compile(r"^\W*(?:and\s+|og\s+|och\s+)?(?:what about\s+|hvad med\s+|vad med\s+)?(?:ours|our|vores|"
                        r"vår|vårt|våra|mine|my|min|mit|mina|mitt)\W*$", re.I)
TITLE = re.compile(rf"\b(?:{TITLES}|cso|cdo|cio|cxo)(?:'?(?:en|s|ens|n))?\b", re.I)


def _book_again(parser: Parser, question: str, book: PlaybookQuestion, values: ValueIndex, cal: Calendar,
                evidence: Evidence | None = None) -> PlaybookQuestion | None:
    """A short follow-up of the playbook's last answer that is not a question of its own: "and why?" asks why
    of it; "and the CSO?" sets another title in its place (the one beside the CCO: "How does a CCO differ from
    a CMO?" becomes "… from a CSO?"); "what about the data analyst?" asks the same of another thing; "why does
    it matter?", "och vilka kpier följer hen?" ask of what it was about; "what are the key parts?", which the
    playbook does not answer alone, is asked of it too."""
    parsed = parser.parse(question, values, cal)
    if parsed.metric or parsed.kind == "deals" or len(question.split()) > 8 or OURS_AGAIN.match(question[:MAX_CHARS]):
        return None
    why = WHY_AGAIN.match(question[:MAX_CHARS])
    pronoun = PRONOUN.search(question[:MAX_CHARS])
    if why:  # (its own words, asked why: "why commercial operations", not "why what is …")
        text = f"{why.group('why')} {_topic(book.text)}"
    elif (m := BOOK_AGAIN.match(question[:MAX_CHARS])) is not None and len(question.split()) <= 6:
        text = _in_place(book.text, m.group("x"))
    elif pronoun is not None:
        text = f"{question[:pronoun.start()]}{_topic(book.text)}{question[pronoun.end():]}"
    elif evidence is not None and question_form(question) in ("list", "why", "advice", "definition") \
            and evidence(question) < COVERED <= evidence(f"{question} {_topic(book.text)}"):
        text = f"{question} {_topic(book.text)}"
    else:
        return None
    return PlaybookQuestion(replace(parsed, question=question, unused=[]), text)


def _in_place(text: str, other: str) -> str:
    """The question `text` with `other` in place of what it asked about: a title for its title (not the CCO,
    when there is another), else its words but the question's own ("What does a [Marketing Ops Manager] do?")."""
    said = TITLE.search(other)
    titles = list(TITLE.finditer(text))
    if said and titles:
        spot = next((t for t in reversed(titles) if not t.group(0).lower().startswith("cco")), titles[-1])
        return f"{text[:spot.start()]}{said.group(0)}{text[spot.end():]}"
    content = _content_span(text)
    if content is None:
        return f"{text} {other}"
    return f"{text[:content[0]]}{other}{text[content[1]:]}"


def _topic(text: str) -> str:
    """What a question asks about, without its question words ("what is commercial operations?" → "commercial
    operations")."""
    content = _content_span(text)
    return text[content[0]:content[1]] if content else text


def _content_span(text: str) -> tuple[int, int] | None:
    """Where a question's content words start and end (the playbook's stopwords are its question words)."""
    from bot.playbook.embeddings import STOP, WORD

    content = [m for m in WORD.finditer(text) if m.group(0).lower() not in STOP and len(m.group(0)) > 1]
    return (content[0].start(), content[-1].end()) if content else None


def _picked(reply: str, choices: tuple[str, str, list[str]]) -> str | None:
    """"Lindqvist" (or "Jonas Lindqvist", "the Lindqvist one") after "which Jonas do you mean?": the
    question asked again of the one person the reply names, when it names exactly one of those offered."""
    question, name, people = choices
    said = {w.casefold() for w in re.findall(r"[^\W\d_]+", reply)} - {name.casefold()}
    if not said or len(reply.split()) > 4:
        return None
    named = [p for p in people if said & {w.casefold() for w in p.split()[1:]}]
    if len(named) != 1:
        return None
    return re.sub(rf"\b{re.escape(name)}\b", named[0], question, count=1, flags=re.IGNORECASE)


def understand(parser: Parser, question: str, values: ValueIndex, cal: Calendar, convo: Conversation | None,
               earlier: Earlier, evidence: Evidence | None = None) -> Understanding:
    """`evidence` is the playbook's say; without a playbook every question is read for numbers."""
    if convo is not None and convo.choices and (picked := _picked(question, convo.choices)):
        convo.choices = None
        return understand(parser, picked, values, cal, convo, earlier, evidence)
    pending = convo.pending if convo is not None else None
    if pending and not question.startswith(pending) and len(question.split()) <= 4 \
            and parser.parse(question, values, cal).metric:  # "revenue", after "which KPI do you mean?"
        return understand(parser, f"{pending} {question}", values, cal, convo, earlier, evidence)
    book = convo.book if convo is not None and isinstance(convo.book, PlaybookQuestion) else None
    if TELL_MORE.match(question[:MAX_CHARS]) and (book is not None or convo is None or convo.last is None):
        parsed = replace(parser.parse(question, values, cal), unused=[])  # after the playbook's answer: what else
        if book is None:  # it says; with nothing before, of what? ("more" after a list: the list, further down)
            return Help(replace(parsed, kind="help", asked_help=True))
        return replace(book, parsed=replace(book.parsed, question=question, lang=parsed.lang), more=book.more + 1)
    about = _about_last(parser, question, convo)
    if about is not None:  # "what does that mean?", "and ours?": asked of the last answer's KPI, by its name
        return understand(parser, about, values, cal, convo, earlier, evidence)
    again = _book_again(parser, question, book, values, cal, evidence) if book is not None else None
    if again is not None:  # "and the CSO?", "og hvorfor?" after the playbook's answer: asked of the playbook again
        return again
    special = _change_ranking(parser, question, values, cal, convo) or _people(parser, question, values, cal)
    if isinstance(special, People) and convo is not None:  # "who is on that team?" after a ranking of teams
        special = replace(special, parsed=_pointed(special.parsed, question, convo))
    if special is not None:
        return special
    mine = _me_against_team(parser, question, values, cal, earlier)
    if mine is not None:
        return mine
    apart = _two_kpis_told_apart(parser, question, values, cal)
    if apart is not None:  # "diff between pipeline and weighted pipeline": how each is computed
        return apart
    comparison = _comparison(parser, question, values, cal, convo, earlier)
    if comparison is not None:  # sides that differ in a period, a value or a person: numbers (asked back for a KPI)
        return comparison
    asks = _two_asks(parser, question, values, cal)
    if asks is not None:
        return asks
    parsed = parser.parse(question, values, cal)
    if parsed.social:  # "tak", "thanks!" after a list: answered in kind, never the list again ("hej": in the
        known = parsed.lang_known or convo is None or convo.last is None  # conversation's language)
        return Help(parsed if known else replace(parsed, lang=convo.last.lang))
    parsed = _after_that(_before_that(parsed, question, cal, convo, earlier), question, cal, convo, earlier)
    again = _compared_again(question, parsed, convo)
    if again is not None:
        return again
    if convo is not None:
        parsed = _pointed(parsed, question, convo)
    if parsed.metric is None and parsed.kind != "deals" and STATUS.search(question[:MAX_CHARS]):
        if parsed.unknown:  # "how is Bob doing?" with no Bob: who is asked back, not the company's figures given
            return Clarify(parsed, "unknown")
        # "how is DACH doing?": the headline, never a follow-up of the last ("… vs last quarter": set against it)
        return _status_against(parser, question, values, cal, earlier) or _status(parser, parsed, values, cal)
    if convo is not None and convo.parts and parsed.metric is None and parsed.kind == "kpi" and parsed.follow_up \
            and parsed.has_slots:  # "og Norden?" after "how is DACH doing?": each of its figures again, changed
        return _each_part(parser, parsed, question, cal, earlier, convo.parts)
    said_by = parsed.group_by
    other = BY_OTHER.match(question[:MAX_CHARS]) if convo is not None and convo.last is not None else None
    if other and convo.last.kind == "kpi" and convo.last.metric and not parsed.group_by and not parsed.metric \
            and other.group("what") in parsed.unused:  # "by reason?" after deals lost: no such breakdown, said so
        return Clarify(replace(convo.last, question=question, lang=parsed.lang if parsed.lang_known else convo.last.lang,
                               unknown=[other.group("what")], follow_up=True), "dimension")
    if convo is not None:
        parsed = parser.ahead(follow_up(parser, parsed, question, convo, values, cal) or convo.merge(parsed), cal)
    parsed = _each_rep(parser, parsed)
    if parsed.follow_up and parsed.metric and parsed.group_by:  # "and what's my quota?" after "… per quarter":
        fits = parser.catalog.kpis[parsed.metric].dimensions  # a breakdown carried over that the KPI has not (one
        parsed = replace(parsed, group_by=[d for d in parsed.group_by if d in fits or d in said_by])  # asked: said so)
    parsed = _same_period_ago(parser, parsed, question, cal, earlier, convo)
    yoy = _year_on_year(parser, parsed, question, values, cal, earlier)
    if yoy is not None:
        return yoy
    reading = classify(parsed)
    measure = NOT_A_KPI.search(question[:MAX_CHARS])  # "gross revenue retention": no revenue, though it says so
    if measure is None and parsed.metric is None and OF_OURS.search(question[:MAX_CHARS]):
        measure = OUR_MEASURE.search(question[:MAX_CHARS])  # "what's our gross margin?"
    if measure is not None:  # not in the data: said so, with what it holds
        return Clarify(replace(parsed, unknown=[measure.group(0)], suggestions=[], unused=[]), "absent")
    if PUSHED.search(question[:MAX_CHARS]):  # "deals pushed out of November": close-date changes, not listed here
        return Clarify(replace(parsed, suggestions=[], unused=[]), "pushed")
    if (isinstance(reading, Help) or isinstance(reading, Clarify) and reading.reason == "metric") \
            and not (parsed.asked_help or parsed.social) and _bare_measure(parsed):
        return Clarify(replace(parsed, suggestions=[]), "metric")  # "how many?", "what's the rate?": of what
    if evidence is None or isinstance(reading, Help) and (parsed.asked_help or parsed.social or parsed.empty):
        return reading
    if isinstance(reading, Clarify) and reading.reason == "unknown" and parsed.metric \
            and all(_someone(w, question, values) for w in parsed.unknown):
        return reading  # "what's Jonas's pipeline?" with two Jonases: which one, never the playbook on pipelines
    reading = _mixed(parser, question, parsed, values, cal, evidence) or _route(parser, parsed, reading, question, evidence)
    if isinstance(reading, PlaybookQuestion) and _on_last_answer(question, convo) \
            and (evidence(question) < SURE or len(question.split()) <= 3):  # ("og i kroner?": no passage is meant)
        # "only the big ones", "what's their total value?" after a figure or a list: a question back about
        # that answer, not the playbook's passages on whatever "value" or "big" matched
        return Clarify(replace(convo.last, question=parsed.question, lang=parsed.lang, unused=[]), "follow_up")
    return reading


def _each_rep(parser: Parser, parsed: Parsed) -> Parsed:
    """A KPI per rep broken down by rep ('vem är lägst?' after 'intäkter per säljare') is each rep's own
    figure: the KPI it divides by the reps (revenue per rep, rep by rep, is each rep's revenue)."""
    formula = parser.catalog.kpis[parsed.metric].formula if parsed.metric else {}
    if "owner" in parsed.group_by and formula.get("kind") == "ratio" and formula.get("den") == ["active_reps"]:
        return replace(parsed, metric=formula["num"])
    return parsed


def _someone(word: str, question: str, values: ValueIndex) -> bool:
    """Is an unknown word someone's name: a rep's first name ("Jonas", "Eriks"), or any name said as the
    owner of the figure ("Bob's pipeline")?"""
    low = word.lower()
    return low in first_names(values) or low.endswith("s") and low[:-1] in first_names(values) \
        or bool(re.search(rf"\b{re.escape(word)}['’]s\b", question))


def _on_last_answer(question: str, convo: Conversation | None) -> bool:
    """Is this a short follow-up that points at the last answer, a figure or a list ('how does that compare
    with the team?', 'og hele teamet?', 'vem ligger längst efter?')?"""
    if convo is None or convo.last is None or convo.answered not in (*NUMBER_KINDS, "deals"):
        return False
    words = re.findall(r"[\w']+", question[:MAX_CHARS].lower())
    return len(words) <= 8 and (bool(POINTING & set(words)) or bool(lx.FOLLOW_UP.search(question.lower()))
                                or bool(COMPARE_WITH.match(question[:MAX_CHARS])))


def _pointed(parsed: Parsed, question: str, convo: Conversation) -> Parsed:
    """'his deals', 'and her win rate?', 'vis mig hendes aftaler', 'their stalled deals', 'that team's win
    rate', 'which rep there …': whom or what the last answer was about, as a filter of this question."""
    words = re.findall(r"[\w']+", question[:MAX_CHARS])
    said = [w for w in words if w.lower() in POINTERS and (w.lower() != "hans" or w.islower())]
    that = THAT_ONE.search(question[:MAX_CHARS])
    first = FIRST_ONE.search(question[:MAX_CHARS])  # "the first one's manager", "den förstas affärer"
    if not said and not that and not first:
        return parsed
    dims = POINTERS[said[0].lower()] if said else (THAT_DIMS[that.group(2).lower()],) if that else ANY
    focus = convo.focus(dims, one=bool(first) or bool(said) and dims == PERSON)  # "his": the first row's, of a list
    last = convo.last
    named_team = last is not None and last.team_of and "team" in dims and last.filters.get("owner")
    if named_team:  # "vem där har mest pipeline?" after "och Erik Hansens team?": his team, by whom it is named
        focus = ("owner", last.filters["owner"])
    if focus is None or focus[0] in parsed.filters:
        return parsed
    pointer = {w.lower() for w in said} | (set(that.group(0).lower().split()) if that else set()) | (
        set(first.group(0).lower().split()) if first else set())
    return replace(parsed, filters={**parsed.filters, focus[0]: list(focus[1])}, mine=False, my_team=False,
                   team_of=bool(named_team), unused=[w for w in parsed.unused if w.lower() not in pointer],
                   unknown=[w for w in parsed.unknown if w.lower() not in pointer])


def _each_part(parser: Parser, parsed: Parsed, question: str, cal: Calendar, earlier: Earlier,
               parts: list[Parsed]) -> Parts:
    """A follow-up that changes a slot, applied to each KPI question of the last answer in parts."""
    out = []
    for part in parts:
        one = Conversation(last=part)
        merged = _same_period_ago(parser, one.merge(parsed), question, cal, earlier, one)
        if merged.metric == "pipeline" and _ended(merged.period, cal):  # "och förra kvartalet?" after the headline:
            merged = replace(merged, metric="deals_won")  # what was won then, as a past period's headline has
        out.append(classify(merged))
    return Parts(parsed, out)


def _about_last(parser: Parser, question: str, convo: Conversation | None) -> str | None:
    """'what does that mean?', 'vad betyder det?', 'what's ours?', 'og vores?' right after a figure (or a
    definition with our figure): the same question with the last KPI named, in the language asked."""
    last = convo.last if convo is not None and convo.answered in NUMBER_KINDS else None
    if last is None or last.metric is None:
        return None
    against = AGAINST_IT.search(question[:MAX_CHARS]) if last.metric in ("quota", "quota_attainment") else None
    if against:  # "how am I doing against it?" after "what's my quota?"
        said = AGAINST_QUOTA[against.group(1).lower()]
        return question[:against.start()] + said + question[against.end():MAX_CHARS]
    for lang, (pattern, ask) in ABOUT_LAST.items():
        match = pattern.match(question[:MAX_CHARS])
        if match:
            name = parser.catalog.kpis[last.metric].names[lang][0]
            if match.group("meaning"):
                return ask["meaning"].format(name=name)
            if not last.filters:
                return ask["ours"].format(name=name)
            # "and ours?" after "win rate in DACH Mid-Market this quarter": the asker's team's, that period
            return ask["team"].format(name=name) + (f" {last.period}" if last.period else "")
    return None


def _change_ranking(parser: Parser, question: str, values: ValueIndex, cal: Calendar,
                    convo: Conversation | None = None) -> ChangeRanking | None:
    """A breakdown whose groups are ranked by change: a change word ('grew', 'dropped', 'forbedret', 'växte')
    with a superlative ('most', 'biggest', 'mest'), and groups to rank. The KPI named, else revenue ('which
    region grew most'); the earlier period said after 'vs' / 'i forhold til' / 'jämfört med', else the
    period just before (a year back for 'yoy' or 'last year')."""
    text = question[:MAX_CHARS]
    words = set(re.findall(r"[\w']+", text.lower()))
    cue = (words & lx.CHANGE_UP) or (words & lx.CHANGE_DOWN)
    if not cue or not lx.CHANGE_MOST.search(text.lower()):
        return None
    ref = lx.CHANGE_REF.search(text)
    said, rest = (ref.group("ref").strip(), "") if ref else (None, "")
    ago = YEAR_AGO_LEAD.match(said) if said else None
    if ago:  # "… vs last year this quarter": a year back, and the period now said after it
        said, rest = None, ago.group("rest")
    year = bool(lx.YEAR_ON_YEAR.search(text)) or ago is not None
    if said:  # as the period parser spells it ("förra kvartalet": last quarter); none read: the one before
        said = parser.parse(said, values, cal).period
    parsed = parser.parse(f"{text[:ref.start()]} {rest}" if ref else text, values, cal)
    own_period = parsed.period
    last = convo.last if convo is not None and convo.answered in NUMBER_KINDS else None
    if not parsed.group_by and last is not None and len(last.group_by) == 1 and not parsed.metric:
        # "which one grew most vs last year?" after "revenue in DACH by product line": its groups
        parsed = replace(parsed, kind="kpi", group_by=last.group_by, filters={**last.filters, **parsed.filters},
                         period=parsed.period or last.period, mine=last.mine, my_team=last.my_team)
    if parsed.kind != "kpi" or not parsed.group_by or len(parsed.group_by) > 1:
        return None  # ("how much did revenue grow?" is revenue growth, a KPI of its own)
    if last is not None and parsed.metric is None and last.metric:  # "which region dropped most?" after a
        kept = {d: v for d, v in last.filters.items() if d not in parsed.group_by}  # (after DACH's: every region)
        parsed = replace(parsed, metric=last.metric, filters={**kept, **parsed.filters})  # comparison:
        if not (parsed.mine or parsed.my_team or parsed.filters.get("owner")):  # (whose it was: still theirs)
            parsed = replace(parsed, mine=last.mine, my_team=last.my_team, team_of=last.team_of)
        compared = convo.compared if isinstance(convo.compared, Comparison) else None  # its KPI and periods
        periods = [side.period for side in compared.sides] if compared is not None and compared.by == "period" \
            else _two_periods(convo)  # (or the last two answers': "og förra året?" then "vem förbättrades mest?")
        if periods and not (said or year or parsed.period):
            earlier_period, later = sorted(periods, key=lambda period: _start(period, cal))
            parsed, said = replace(parsed, period=later), earlier_period  # (H1 vs H2: H2 is now)
        elif parsed.period is None:
            parsed = replace(parsed, period=last.period)
    metric = "revenue" if parsed.metric in (None, "revenue_growth") else parsed.metric
    rising = bool(words & lx.CHANGE_UP)
    if metric in LOWER_IS_BETTER and words & {"improved", "improve", "improvement", "forbedret", "forbedrede",
                                             "forbedring", "förbättrat", "förbättrade", "förbättring", "worsened",
                                             "forværret", "försämrat"}:
        rising = not rising  # a shorter sales cycle is the improvement
    told = cue | {lx.CHANGE_MOST.search(text.lower()).group(0)} | set(lx.TOP_WORDS)
    parsed = replace(parsed, question=question, metric=metric, compare="previous", order=None, ranked=True, threshold=None,
                     unused=[w for w in parsed.unused if w.lower() not in told | CHANGE_FILLER])
    prior = convo.compared if convo is not None and isinstance(convo.compared, ChangeRanking) else None
    if prior is not None and not (said or year or own_period) and prior.parsed.group_by == parsed.group_by \
            and prior.parsed.metric == metric:  # "vilken region ökade mest?" after that change, ranked: its periods
        return ChangeRanking(replace(parsed, period=prior.parsed.period), prior.before, prior.months, rising)
    return ChangeRanking(parsed, None if year else said, 12 if year else None, rising)


ME_AGAINST_TEAM = re.compile(
    r"\b(?:how am i doing|how do i (?:compare|stack up|measure up|rank)|how(?:'s| is) my performance|where do i stand|"
    r"where do i rank|"
    r"hvordan klarer jeg mig|hvordan står jeg|hvordan ligger jeg|hvor står jeg|hur står jag mig|hur går det för mig|"
    r"hur ligger jag till|var står jag)\b.*\b(?:team|teamet|peers|colleagues|kolleger|kollegaer|kollegor|holdet|"
    r"laget|the others|de andre|de andra|resten)\b", re.I)
MY_HEADLINE = ["revenue", "win rate", "quota attainment"]


def _me_against_team(parser: Parser, question: str, values: ValueIndex, cal: Calendar,
                     earlier: Earlier) -> Parts | None:
    """'how am I doing compared to my team?', 'hvordan klarer jeg mig i forhold til teamet?': my headline
    figures, each against the team's average per rep, for the period said (else the KPI's own)."""
    if not ME_AGAINST_TEAM.search(question[:MAX_CHARS]):
        return None
    said = parser.parse(question, values, cal)
    period = f" {said.period}" if said.period else ""
    kpis = [parser.catalog.kpis[said.metric].names["en"][0]] if said.metric else MY_HEADLINE  # ("… on revenue")
    sides = [_comparison(parser, f"my {kpi}{period} vs the team average", values, cal, None, earlier)
             for kpi in kpis]
    made = [replace(side, question=question, lang=said.lang) for side in sides if isinstance(side, Comparison)]
    return Parts(replace(said, metric=None, unused=[]), made) if made else None


# Where one question holds two: "… ytd and what's my win rate", "… og hvor langt er jeg fra budget?", "… & …"
ASKS = re.compile(r"\s*,?\s+(?:and|og|och|samt|plus)\s+|\s+&\s+|\s*;\s*|\?\s+", re.I)


def _two_asks(parser: Parser, question: str, values: ValueIndex, cal: Calendar) -> Parts | None:
    """'how many deals have I won ytd and what's my win rate', 'min omsætning og hvor langt er jeg fra budget?':
    two questions in one that one reading does not hold, each answered; a period, a place or whose said in one
    is the other's too when it says none ("nps this q & last q": the KPI of the first, for the second period)."""
    texts = [t for t in (t.strip(" ,?.!") for t in ASKS.split(question[:MAX_CHARS])) if t]
    if not 1 < len(texts) <= 4 or NAMES_PLAYBOOK.search(question):
        return None  # (a clause for the playbook: _mixed's)
    people = {i: found for i, text in enumerate(texts) if (found := _people(parser, text, values, cal))}
    parts = [people[i].parsed if i in people else parser.parse(text, values, cal) for i, text in enumerate(texts)]
    for i in range(1, len(parts)):  # "… og hvad var de værd?": the amount of the deals the clause before counted
        if not parts[i].metric and i not in people:
            parts[i] = summed_up(parts[i - 1], texts[i], parts[i - 1].lang) or parts[i]
    if any(p.unused for p in parts):  # each clause wholly read, or none is: "vilka KPI:er nämns för …" is no figure
        return None
    asks = [p for i, p in enumerate(parts) if p.metric or p.kind == "deals" or i in people]
    alone = [p for p in parts if p not in asks and p.period and not (p.filters or p.group_by or p.mine)]
    if not asks or len(asks) + len(alone) < len(parts) or any(p.unknown or p.period_error for p in parts):
        return None
    whole = parser.parse(question, values, cal)
    if whole.kind == asks[0].kind and not whole.unused and not alone \
            and 1 + len(whole.more_metrics) >= sum(1 + len(p.more_metrics) for p in asks):
        return None  # one reading holds them all: "revenue and win rate in DACH", "win rate excl. DACH and Nordics"
    first = asks[0]
    period = next((p.period for p in parts if p.period), None)
    filters = {d: v for p in parts for d, v in p.filters.items()}
    who = next((p for p in parts if p.mine or p.my_team or p.everyone or p.filters.get("owner")), None)
    made = []
    for i, p in enumerate(parts):
        if i in people:  # "… og hvem er min chef?": who, from the reps table
            made.append(replace(people[i], parsed=replace(p, question=question, lang=whole.lang)))
            continue
        if p in alone:  # a period alone: the first KPI again, then
            p = replace(first, period=p.period, used=p.used)
        if who is not None and not (p.mine or p.my_team or p.everyone or p.filters.get("owner")):
            p = replace(p, mine=who.mine, my_team=who.my_team, team_of=who.team_of, everyone=who.everyone)
        p = replace(p, question=question, lang=whole.lang, period=p.period or (period if p.kind == "kpi" else None),
                    filters={**{d: v for d, v in filters.items() if d != "owner" or not (p.mine or p.my_team)},
                             **p.filters})
        made.append(classify(p))
    return Parts(replace(whole, unused=[]), made)


def _two_periods(convo: Conversation) -> list[str] | None:
    """The periods of the last two answers, when they were the same breakdown of the same KPI for two
    periods ("win rate per rep this year", then "and last year?")."""
    one, two = convo.earlier, convo.last
    if one is None or two is None or one.kind != "kpi" or two.kind != "kpi" or not one.period or not two.period:
        return None
    same = (one.metric, one.group_by, one.filters, one.mine, one.my_team) == \
        (two.metric, two.group_by, two.filters, two.mine, two.my_team)
    return [one.period, two.period] if same and one.period != two.period else None


def _people(parser: Parser, question: str, values: ValueIndex, cal: Calendar) -> People | None:
    """A 'who' question about a manager or a team's members that names no KPI ("who has the highest win
    rate in my team" is a ranking)."""
    text = question[:MAX_CHARS]
    boss, members = lx.BOSS.search(text), lx.MEMBERS.search(text)
    if not lx.WHO_START.search(text) or not (boss or members) or ROLES_ASKED.search(text):
        return None  # ("who does the CCO report to?", "vilka roller behövs i ett team?": the playbook's)
    parsed = parser.parse(text, values, cal)
    if boss and re.search(r"\b(?:leads|leder)\b", boss.group(0), re.I) and parsed.metric in LEAD_KPIS:
        parsed = replace(parsed, metric=None, group_by=[])  # "who leads team DACH SMB?": a person, not leads
    if parsed.metric or parsed.kind == "deals" or parsed.group_by and parsed.group_by != ["owner"] or parsed.ranked:
        return None  # ("hvem har flest deals i mit team": a ranking, of a measure asked back, not who is on it)
    ask = "manager" if boss and not (members and members.start() < boss.start()) else "members"
    return People(replace(parsed, kind="kpi", unused=[]), ask)


def _route(parser: Parser, parsed: Parsed, reading: Understanding, text: str, evidence: Evidence) -> Understanding:
    """One clause: numbers, the playbook, or both."""
    side = side_of(parser, parsed, reading, text, evidence)
    if side == "playbook":  # (what a KPI means: from passages that name it, and how it is computed; a role's
        about = (tuple(_names(parser, parsed.metric)),) if parsed.metric and MEANING.search(text) else ()
        if PAY.search(text) and ROLES.search(text):  # pay: from a passage that speaks of pay, else not covered)
            about = (PAY_NAMES,)
        return PlaybookQuestion(parsed, text, about=about)
    if side == "both":  # "how can I improve my win rate this quarter?": the advice and the number
        numbers = reading.parts if isinstance(reading, Parts) else [reading]
        # the words the numbers leave ("improve") are the playbook part's, not unused
        names = tuple(dict.fromkeys(n for m in [parsed.metric, *parsed.more_metrics] if m for n in _names(parser, m)))
        return Parts(parsed, [PlaybookQuestion(parsed, text, about=(names,)),
                              *(replace(n, parsed=replace(n.parsed, unused=[])) for n in numbers)])
    return reading


def side_of(parser: Parser, parsed: Parsed, reading: Understanding, text: str, evidence: Evidence) -> str:
    """'numbers', 'playbook' or 'both', from the question's form, the KPI slots it fills and what
    the playbook finds."""
    form = question_form(text)
    metric = parsed.metric is not None or parsed.kind == "deals"
    slots = parsed.has_slots or parsed.kind == "deals"
    if NAMES_PLAYBOOK.search(text):
        return "both" if metric and slots else "playbook"
    if parsed.other_subject or _ranking_without_measure(parser, parsed, form):
        return "numbers"  # "support cases opened last month", "our best reps": which KPI, asked back
    if PAY.search(text) and ROLES.search(text):  # "how much does a CCO earn?": about the role, not our revenue
        return "playbook"
    if isinstance(reading, Help):  # no KPI, no slot: the playbook answers it or says it does not cover it
        return "playbook" if _content(parsed) else "numbers"
    if _about_something_else(parser, parsed, reading, slots):
        if parsed.period and isinstance(reading, Clarify) and evidence(text) < SURE and _measured(parser, parsed):
            return "numbers"  # "gross margin last quarter": a figure for a period, of a KPI we lack; asked back
        return "playbook"  # "how many vacation days do I get?": not a KPI we lack a name for
    if parsed.metric == "quota_attainment" and ON_TARGET.search(text.lower()):
        return "numbers"  # "how are we tracking vs quota?": where we stand, not how to set targets
    if parsed.metric and parsed.kind != "deals" and _yardstick(parser, parsed.metric, text):
        return "both"  # "what is a good win rate?": what the playbook says of it, and ours to hold against it
    if parsed.metric and MEANING.search(text) and not slots:  # "hi, I'm new – what does win rate mean?"
        return "playbook"
    if form == "number" or (metric and slots and form not in ("advice", "why")):
        return "numbers"
    if form in ("advice", "why") and metric and _figure_asked(parser, parsed, text):  # unless the numbers use too little of it
        return "playbook" if len(_foreign(parser, parsed)) >= 2 else "both"
    if form in PROSE and not (isinstance(reading, Clarify) and OWN.search(text)):
        if metric and form == "definition":  # "what is win rate?": the figure, unless the playbook is about it
            if THE_FIGURE.search(text):  # "what's our churn rate?", "what's the NRR?": ours, a figure
                return "numbers"
            if MEANING.search(text):  # "what does churn rate mean?": what it is, never a figure for it
                return "playbook"
            return "both"  # "what is NRR?": what it is (the playbook's and how it is computed), and ours
        return "playbook"
    if not metric and evidence(text) >= COVERED:
        return "playbook"
    return "numbers"


def _status(parser: Parser, parsed: Parsed, values: ValueIndex, cal: Calendar) -> Parts:
    """The headline KPIs, each read as its own question, for the asker's scope, and for the period,
    filters and "my" the question names ("how is DACH doing this quarter", "how's my team doing")."""
    def own(p: Parsed) -> Parsed:
        return replace(p, question=parsed.question, lang=parsed.lang, period=parsed.period or p.period,
                       filters={**p.filters, **parsed.filters}, mine=parsed.mine, my_team=parsed.my_team,
                       team_of=parsed.team_of)
    scope = {*parsed.filters, *(["owner"] if parsed.mine or parsed.my_team else [])}
    headline = SNAPSHOT_PAST if _ended(parsed.period, cal) else SNAPSHOT
    parts = [classify(own(p)) for p in (parser.parse(q, values, cal) for q in headline[parsed.lang])
             if p.metric and scope <= set(parser.catalog.kpis[p.metric].dimensions)]  # (NPS has no rep)
    return Parts(parsed, [p for p in parts if isinstance(p, KpiQuestion)])


def _status_against(parser: Parser, question: str, values: ValueIndex, cal: Calendar, earlier: Earlier) -> Parts | None:
    """'how is DACH SMB doing vs last quarter?': each headline figure, now, set against that period (it gave
    last quarter's alone)."""
    ref = lx.VS_PERIOD.search(question[:MAX_CHARS])
    said = parser.parse(ref.group("ref"), values, cal) if ref else None
    if said is None or not said.period or said.metric or said.filters or said.period_error:
        return None
    head = parser.parse(question[:ref.start()], values, cal)
    where, _, unit = said.period.partition(" ")
    current = head.period or (f"this {unit}" if where == "last" and unit in RELATIVE_UNITS else None)
    made = []  # the headline of the period set against (an ended one's: what was won, not what is still open)
    for part in _status(parser, replace(head, period=said.period), values, cal).parts:
        now = replace(part.parsed, question=question, period=current or earlier(replace(part.parsed, period=None), cal, 0))
        made.append(combine(question, [now, part.parsed]))
    made = [m for m in made if m is not None]
    return Parts(replace(head, question=question), made) if made else None


def _same_period_ago(parser: Parser, parsed: Parsed, question: str, cal: Calendar, earlier: Earlier,
                     convo: Conversation | None = None) -> Parsed:
    """'revenue for the same period last year', 'omsætning i samme kvartal sidste år': the KPI's own
    period (this quarter or month to date, when one is named) a year earlier, not all of last year."""
    same = SAME_PERIOD_AGO.search(question[:MAX_CHARS])
    if same is None or not parsed.metric or parsed.period_error:
        return parsed
    words = same.group(0).lower().split()
    base = next((SAME_UNIT[w] for w in words if w in SAME_UNIT), None)
    last = convo.last if convo is not None and parsed.follow_up else None
    if last is not None and last.period:  # "og samme kvartal sidste år?" after "… last quarter": that one, a year back
        base = last.period
    if parser.catalog.kpis[parsed.metric].formula.get("kind") == "growth":
        # "revenue growth compared to the same period last year": this period's growth on a year earlier
        said = {*words, "compared", "jämfört", "sammenlignet", "vs", "versus", "mod", "mot"}
        return replace(parsed, compare="year_ago", period=base if parsed.period in (None, "last year") else parsed.period,
                       unused=[w for w in parsed.unused if w.lower() not in said])
    return replace(parsed, period=earlier(replace(parsed, period=base), cal, 12),
                   unused=[w for w in parsed.unused if w.lower() not in words])


GROWTH_WORDS = re.compile(r"\b(?:growth|grown|grew|vækst|væksten|tillväxt|tillväxten|ökning)\b", re.I)


def _year_on_year(parser: Parser, parsed: Parsed, question: str, values: ValueIndex, cal: Calendar,
                  earlier: Earlier) -> Comparison | None:
    """'my revenue this quarter yoy', 'UK revenue y/y', 'and year over year?' after a figure, 'ARR growth
    year over year': the KPI's period against the same days a year earlier (a growth KPI is that already,
    unless it names another KPI's growth)."""
    if parsed.compare != "year_ago" or parsed.kind != "kpi" or not parsed.metric or parsed.period_error:
        return None
    if parsed.group_by:  # "revenue by region yoy": each region against itself a year back, the biggest rise first
        return _groups_changed(parsed, parsed.group_by, None, 12) if len(parsed.group_by) == 1 else None
    if parser.catalog.kpis[parsed.metric].formula.get("kind") == "growth":
        if not parsed.unused:
            return None
        other = parser.parse(GROWTH_WORDS.sub(" ", question[:MAX_CHARS]), values, cal)  # "ARR growth …": ARR's
        if not other.metric or other.unused or parser.catalog.kpis[other.metric].formula.get("kind") == "growth":
            return None
        parsed = replace(other, question=parsed.question, follow_up=parsed.follow_up)
    now = replace(parsed, period=parsed.period or earlier(parsed, cal, 0), compare="previous")
    return combine(parsed.question, [now, replace(now, period=earlier(now, cal, 12))])


def _groups_changed(parsed: Parsed, dims: list[str], before: str | None, months: int | None) -> ChangeRanking | None:
    """A breakdown set against an earlier period ("revenue by region this year vs last year"): its groups
    ranked by change, every one shown. Months and quarters have no earlier self to set against."""
    if len(dims) != 1 or dims[0] in ("month", "quarter"):
        return None
    parsed = replace(parsed, group_by=list(dims), compare="previous", order=None, limit=None, threshold=None)
    return ChangeRanking(parsed, before, months, rising=True)


def _yardstick(parser: Parser, metric: str, text: str) -> bool:
    """A benchmark word just before the KPI's name ("a good win rate", "en sund pipeline"), not
    anywhere ("what does a good onboarding plan for a new sales rep look like?")."""
    names = "|".join(re.escape(n) for n in _names(parser, metric))
    return re.search(rf"{BENCHMARK}(?:{names})\b", text, re.I) is not None


def _names(parser: Parser, metric: str) -> list[str]:
    """A KPI's names in every language."""
    return [n for ns in parser.catalog.kpis[metric].names.values() for n in ns]


def _ended(period: str | None, cal: Calendar) -> bool:
    try:
        return period is not None and parse_period(period, cal).end < cal.as_of
    except PeriodError:
        return False


def _ranking_without_measure(parser: Parser, parsed: Parsed, form: str | None) -> bool:
    """'our best reps this year', 'best performing region': a ranking that names no KPI, and
    nothing else ('how should we nurture our biggest customers?' is advice)."""
    return parsed.metric is None and bool(parsed.group_by) and parsed.ranked and form not in ("advice", "why") \
        and not _foreign(parser, parsed)


# "a stalled deal", "en fastlåst aftale": any deal, as advice speaks of one, not the asker's deals listed
A_DEAL = re.compile(r"\b(?:a|an|en|et|ett)\s+(?:[\w-]+\s+){0,2}(?:deal|opportunity|opp|aftale|affär|möjlighet)\b", re.I)


def _figure_asked(parser: Parser, parsed: Parsed, text: str) -> bool:
    """Does advice name a figure of its own: a period, a filter, a breakdown, or "my"? ("how can I
    improve my win rate?" does; in "how do I build a pipeline?" the "I" only asks how, and "our
    reps" in "what should enablement include for our reps?" is no figure.)"""
    return bool(parsed.period or parsed.filters or parsed.group_by or parsed.limit or _my_figure(parser, parsed, text)) \
        or parsed.kind == "deals" and not A_DEAL.search(text)


def _my_figure(parser: Parser, parsed: Parsed, text: str) -> bool:
    """"my" before the KPI's name ("my win rate", "my team's pipeline"), not anywhere: in "what should I
    report to my boss about the pipeline?" the boss is mine, the pipeline is no figure asked."""
    if not parsed.metric:
        return bool(MY.search(text))
    names = "|".join(re.escape(n) for n in sorted(_names(parser, parsed.metric), key=len, reverse=True))
    return re.search(rf"{MY.pattern}\s+(?:[\w']+\s+)?(?:{names})\b", text, re.I) is not None


def _about_something_else(parser: Parser, parsed: Parsed, reading: Understanding, slots: bool) -> bool:
    """A KPI reading made of too little of the question: "Do sales reps get a company car?" is not
    about revenue, and "how many vacation days do I get?" is not a KPI whose name we missed.
    Real words the reading left unused say so; a made-up one ("flurbo rate") is asked about."""
    foreign = _foreign(parser, parsed)
    if isinstance(reading, Clarify) and reading.reason == "metric":
        return len(foreign) >= 1
    if isinstance(reading, Clarify) and reading.reason == "unknown" or isinstance(reading, KpiQuestion) and not slots:
        return len(foreign) >= 2 and len(foreign) >= len(parsed.used)
    return False


def _foreign(parser: Parser, parsed: Parsed) -> list[str]:
    """Real words of the question that the KPI reading did not use, and that are no part of a KPI's
    or a dimension's name ("rate" in "flurbo rate" is)."""
    return [w for w in parsed.unused if (len(w) > 2 or w.isupper()) and w not in parser.name_words and known_word(w)
            and not w.lower().endswith(KPI_SUFFIXES)]  # "glimmerfaktor", "blurbkvot": a KPI we lack


# Words that name a measure of the business, of a KPI we may lack ("gross margin", "avance"): asked back with a
# period; a question about something else with a period ("hvornår bliver lønnen udbetalt i december?") is not
MEASURE_WORDS = {"margin", "margins", "profit", "profits", "profitability", "cost", "costs", "spend", "price", "prices",
                 "growth", "share", "score", "ratio", "yield", "ebitda", "ebit", "bookings", "billings", "sales",
                 "volume", "turnover", "earnings", "income", "retention", "utilisation", "utilization", "margen",
                 "marginal", "avance", "dækningsbidrag", "fortjeneste", "overskud", "indtjening", "omkostninger",
                 "vinst", "vinsten", "täckningsbidrag", "kostnader", "kostnad", "lönsamhet", "lønsomhed", "andel",
                 "tillväxt", "vækst"}


def _measured(parser: Parser, parsed: Parsed) -> bool:
    """Does a question the KPIs did not read name a measure ("gross margin"), or a made-up KPI ("flurbo rate")?"""
    words = [w.lower() for w in parsed.unused + parsed.unknown]
    return any(w in MEASURE_WORDS or w.endswith(KPI_SUFFIXES) or not known_word(w) for w in words)


# What a figure is, said of no KPI: "how many?", "what's the rate?", "hvad er tallet?"
GENERIC_MEASURE = {"rate", "rates", "total", "totals", "number", "amount", "figure", "value", "count", "sum",
                   "percentage", "ratio", "raten", "tallet", "tal", "antal", "antallet", "beløb", "beløbet", "summen",
                   "andel", "andelen", "siffran", "siffra", "antalet", "belopp", "beloppet", "summan", "værdi",
                   "værdien", "värde", "värdet"}


def _bare_measure(parsed: Parsed) -> bool:
    """A figure asked of nothing: a number's wording, and no word besides the common ones and the
    measure words."""
    words = [w for w in re.findall(r"[^\W\d_]+", parsed.question.lower()) if len(w) > 1]  # ("what's": what)
    return question_form(parsed.question) in ("number", "definition") and not parsed.has_slots and not parsed.unknown \
        and all(w in GENERIC_MEASURE or w in lx.STOPWORDS for w in words)


def _content(parsed: Parsed) -> bool:
    """Does a question with no KPI in it ask about something (not 'asdf', not 'ok')?"""
    return any(known_word(w) for w in parsed.unused + parsed.used if len(w) > 2) or bool(question_form(parsed.question))


def _mixed(parser: Parser, question: str, parsed: Parsed, values: ValueIndex, cal: Calendar,
           evidence: Evidence) -> Parts | None:
    """'Which KPIs should a CCO track, and what is our win rate?': a part for each side, in order."""
    clauses = [c.strip(" ,?") for c in CLAUSES.split(question[:MAX_CHARS]) if c and c.strip(" ,?")]
    if len(clauses) < 2:
        return None
    ours = [c for c in clauses if OURS.search(c + "?")]
    rest = [c for c in clauses if c not in ours]
    sides = []
    for clause in rest:
        p = parser.parse(clause, values, cal)
        sides.append((clause, p, side_of(parser, p, classify(p), clause, evidence)))
    book = [c for c, _, side in sides if side == "playbook"]
    numbers = [c for c, _, side in sides if side == "numbers"]
    if not book or not (numbers or ours):
        return None
    book_part = PlaybookQuestion(parsed, " ".join(book))
    if numbers:
        number_part = classify(replace(parser.parse(" ".join(numbers), values, cal), question=question))
    else:  # "what does the playbook say about churn, and what is ours?": churn, now
        named = next((p for _, p, _ in sides if p.metric), None)
        if named is None:
            return Parts(parsed, [replace(book_part, ours=True)])
        number_part = classify(replace(named, question=question, unused=[]))
    if isinstance(number_part, (Help, PlaybookQuestion)):
        return None
    first_book = min(question.find(c) for c in book) < min(question.find(c) for c in numbers or ours)
    numbers_parts = number_part.parts if isinstance(number_part, Parts) else [number_part]
    return Parts(parsed, [book_part, *numbers_parts] if first_book else [*numbers_parts, book_part])


def classify(parsed: Parsed) -> Understanding:
    """The type of a parsed question (what answers it: numbers, a list, help, or a question back)."""
    if parsed.kind == "deals":
        if parsed.period_error:
            return Clarify(parsed, "period")
        if parsed.unknown:
            return Clarify(parsed, "unknown")
        if parsed.unused and _unqualified(parsed):  # "which deals are frobnicated": not all open deals
            return Clarify(replace(parsed, unknown=list(parsed.unused), unused=[]), "unknown")
        return DealList(parsed)
    if parsed.metric is None and parsed.unknown and parsed.kind != "help":
        return Clarify(parsed, "unknown")  # "what about Erik?" with two Eriks: which one
    if parsed.kind == "help" or (parsed.metric is None and not parsed.suggestions and not parsed.has_slots):
        return Help(parsed)
    if parsed.metric is None:
        return Clarify(parsed, "metric")
    if parsed.period_error:
        return Clarify(parsed, "period")
    if parsed.unknown:
        return Clarify(parsed, "unknown")
    if parsed.more_metrics:
        return Parts(parsed, [KpiQuestion(replace(parsed, metric=m, more_metrics=[]))
                              for m in [parsed.metric, *parsed.more_metrics]])
    return KpiQuestion(parsed)


def _unqualified(parsed: Parsed) -> bool:
    """A list of deals with no condition understood (no risk, amount, period, filter or order) but
    words left over: those words were the condition."""
    spec = parsed.deal
    return not (spec.risks or spec.amount_min is not None or spec.amount_max is not None or parsed.period
                or parsed.filters or spec.order_by != "amount" or spec.upcoming or spec.status != "open")


def _comparison(parser: Parser, question: str, values: ValueIndex, cal: Calendar, convo: Conversation | None,
                earlier: Earlier) -> Comparison | Parts | None:
    """'X vs Y', or 'compare with last year' after a KPI answer: the sides, each a whole question
    (two KPIs set against each other are two questions, answered each as it stands)."""
    follow = COMPARE_WITH.match(question[:MAX_CHARS])
    if follow and convo is not None and convo.last is not None and convo.last.kind == "kpi":
        made = [_each_group(combine(question, [replace(last, question=question),
                                               _other_side(parser, last, follow.group("rest"), values, cal, earlier)]),
                            question, cal)
                for last in convo.parts or [convo.last]]  # after "how did we do in October?": each of its figures
        made = [m for m in made if m is not None]  # (each figure that can be set against the other period)
        if not made:
            return None
        return made[0] if len(made) == 1 else Parts(replace(convo.last, question=question), made)
    texts = split_sides(question[:MAX_CHARS])
    if texts is None:
        return None
    sides = [parser.parse(text, values, cal) for text in texts]
    if any(side.kind == "deals" for side in sides):  # "my deals over 100k vs …" is not one KPI on two sides
        return None
    last = convo.last if convo is not None else None
    if last is not None and last.kind == "kpi" and last.metric and not any(side.metric for side in sides):
        # "last quarter vs q2" after NRR by region: the last answer's KPI, whose, and its breakdown, on both sides
        sides = [replace(side, metric=last.metric, filters={**last.filters, **side.filters}, mine=side.mine or last.mine,
                         my_team=side.my_team or last.my_team, group_by=side.group_by or last.group_by, follow_up=True)
                 for side in sides]
    for i, text in enumerate(texts):  # "… jämfört med samma kvartal förra året", "… vs the quarter before"
        if i:
            sides[i] = _as_filter_side(parser, sides[0], sides[i], text, values, cal)
        sides[i] = _people_only(sides[i], text)  # "… vs the team average", "me vs …"
        # "… vs last year" after a side with the KPI's own period (quarter to date): that period a year back
        ago = SAME_PERIOD_AGO.search(text) or not sides[0].period and YEAR_AGO_WORDS.match(text.strip(" ?.!"))
        if i and sides[0].metric and not sides[0].period and sides[i].period and not ago and not JUST_BEFORE.match(text) \
                and not (sides[i].metric or sides[i].filters or sides[i].mine or sides[i].everyone or sides[i].group_by
                         or sides[i].unused):
            # "teamets pipeline mod sidste kvartal": a period alone against the first side's own (its KPI's)
            sides[0] = replace(sides[0], period=earlier(sides[0], cal, 0))
        if i and sides[0].metric and (ago or JUST_BEFORE.match(text)):
            sides[i] = replace(sides[i], period=earlier(sides[0], cal, 12 if ago else None),
                               unused=[])  # (its words all said the period)
            growth = parser.catalog.kpis[sides[0].metric].formula.get("kind") == "growth"
            if not sides[0].period and not growth:  # (said, so that the other side's is not taken for it; a
                sides[0] = replace(sides[0], period=earlier(sides[0], cal, 0))  # growth is on a year ago already)
    comparison = _each_group(combine(question, sides), question, cal)
    if not isinstance(comparison, Comparison):
        return comparison
    whole = parser.parse(question, values, cal)
    if len({s.metric for s in comparison.sides}) > 1:  # "win rate Nordics vs pipeline DACH": two questions
        return Parts(whole, [classify(replace(s, lang=whole.lang)) for s in comparison.sides])
    comparison.lang = whole.lang  # the language of the whole question, not of its first half
    return comparison


def _each_group(comparison: Comparison | None, question: str, cal: Calendar) -> Comparison | ChangeRanking | None:
    """Two periods of a breakdown ("revenue by region this year vs last year", "compare with last year"
    after revenue by region): each group's change, not the totals with the breakdown left out."""
    if comparison is None or comparison.by != "period" or len(comparison.sides) != 2 or not comparison.dropped:
        return comparison
    earlier_side, later = sorted(comparison.sides, key=lambda side: _start(side.period, cal))
    return _groups_changed(replace(later, question=question), comparison.dropped, earlier_side.period, None) \
        or comparison


BEFORE_THAT = re.compile(r"^\s*(?:and\s+|og\s+|och\s+|what about\s+|hvad med\s+|hur är det med\s+)?(?:the\s+|den\s+|det\s+)?"
                         r"(?P<unit>year|quarter|month|week|året|kvartalet|måneden|månaden|ugen|veckan)\s+"
                         r"(?:before|prior|før|forinden|inden|innan|före)\s*[?.!]*$", re.I)
YEAR_WORDS = {"year", "året"}


def _before_that(parsed: Parsed, question: str, cal: Calendar, convo: Conversation | None, earlier: Earlier) -> Parsed:
    """'og året før?', 'and the quarter before?', 'och månaden innan?' after a figure: its period a year, a
    quarter or a month earlier (a week: the period just before)."""
    m = BEFORE_THAT.match(question[:MAX_CHARS])
    last = convo.last if convo is not None else None
    if m is None or last is None or last.kind != "kpi" or not last.metric:
        return parsed
    months = 12 if m.group("unit").lower() in YEAR_WORDS else None  # a year back; else the period just before
    return replace(parsed, kind="kpi", period=earlier(last, cal, months), follow_up=True,
                   unused=[], empty=False, asked_help=False)


AFTER_THAT = re.compile(r"^\s*(?:and\s+|og\s+|och\s+|what about\s+|hvad med\s+|hur är det med\s+)?(?:the\s+|den\s+|det\s+)?"
                        r"(?P<unit>year|quarter|month|året|kvartalet|måneden|månaden)\s+"
                        r"(?:after|following|efter|derefter|därefter)\s*[?.!]*$", re.I)
UNIT_STEP = {"year": 12, "året": 12, "quarter": 3, "kvartalet": 3, "month": 1, "måneden": 1, "månaden": 1}


def _after_that(parsed: Parsed, question: str, cal: Calendar, convo: Conversation | None, earlier: Earlier) -> Parsed:
    """'and the month after?', 'og kvartalet efter?' after a figure or a list: the month, quarter or year
    from the day after its period ends, whole (the one after today's is in the future)."""
    m = AFTER_THAT.match(question[:MAX_CHARS])
    last = convo.last if convo is not None else None
    if m is None or last is None or last.kind not in ("kpi", "deals") or not (last.period or last.metric):
        return parsed
    try:
        now = parse_period(last.period or earlier(last, cal, 0), cal)
    except PeriodError:
        return parsed
    start = now.nominal_end + timedelta(days=1)  # ("the quarter after" March: April to June)
    end = add_months(start, UNIT_STEP[m.group("unit").lower()]) - timedelta(days=1)
    return replace(parsed, kind="kpi", period=f"{start.isoformat()}..{end.isoformat()}", follow_up=True,
                   unused=[], empty=False, asked_help=False)


def _compared_again(question: str, parsed: Parsed, convo: Conversation | None) \
        -> Comparison | Parts | ChangeRanking | None:
    """'and last quarter?' after 'win rate Nordics vs DACH', 'and pipeline?', 'og i DACH?' after 'this
    quarter vs last quarter': the same sides, changed alike; 'and by region?' each side broken down.
    A change of what the sides differ in is a question of its own. After a breakdown ranked by change,
    'and win rate?' ranks that KPI's change alike."""
    last = convo.compared if convo is not None else None
    if isinstance(last, ChangeRanking) and parsed.follow_up and parsed.metric and parsed.kind == "kpi" \
            and not (parsed.group_by or parsed.filters or parsed.period or parsed.mine):
        return replace(last, parsed=replace(last.parsed, question=question, lang=parsed.lang, metric=parsed.metric,
                                            unused=parsed.unused))
    if isinstance(last, ChangeRanking) and parsed.follow_up and parsed.filters and parsed.kind == "kpi" \
            and not (parsed.metric or parsed.group_by or parsed.period or parsed.mine):
        # "only enterprise", "bara DACH" (one of its rows): the same change, narrowed
        return replace(last, parsed=replace(last.parsed, question=question, lang=parsed.lang, unused=parsed.unused,
                                            filters={**last.parsed.filters, **parsed.filters}))
    if not isinstance(last, Comparison) or not parsed.follow_up or parsed.kind != "kpi" or parsed.mine \
            or parsed.my_team or (last.by == "period" and parsed.period) or last.by in parsed.filters:
        return None
    if parsed.metric is None and not parsed.has_slots:
        return None
    place = bool(PLACES & set(parsed.filters))  # "og i DACH?" after my team's this year vs last: DACH's, as merge does
    sides = [replace(s, question=question, lang=parsed.lang, metric=parsed.metric or s.metric,
                     period=parsed.period or s.period, filters={**s.filters, **parsed.filters}, unused=parsed.unused,
                     my_team=s.my_team and not place, mine=s.mine and not (place and s.my_team))
             for s in last.sides]
    if parsed.group_by:
        return Parts(parsed, [classify(replace(s, group_by=parsed.group_by)) for s in sides])
    return Comparison(question, sides, last.by, parsed.lang)


def _other_side(parser: Parser, last: Parsed, text: str, values: ValueIndex, cal: Calendar,
                earlier: Earlier) -> Parsed:
    """What 'compare with …' sets against the last question, read as a later side of 'X vs …' is: a year
    back, a value of the last KPI's ("compare with expansion" after new business), or the team or company."""
    ago = YEAR_AGO_WORDS.match(text.strip(" ?.!"))
    if ago or JUST_BEFORE.match(text.strip(" ?.!")):  # "vs last year", "vs the month before"
        return replace(parser.parse(text, values, cal), period=earlier(last, cal, 12 if ago else None), kind="kpi",
                       team_of=last.team_of, unused=[])
    other = _people_only(_as_filter_side(parser, last, parser.parse(text, values, cal), text, values, cal), text)
    # ("compare with last quarter" after "Erik Hansen's team": his team's then too)
    return replace(other, team_of=last.team_of) if "owner" not in other.filters else other


def _start(period: str | None, cal: Calendar) -> date:
    """A period's first day, to order a comparison's sides (one that does not parse: first)."""
    try:
        return parse_period(period, cal).start if period else date.min
    except PeriodError:
        return date.min


def _people_only(side: Parsed, text: str) -> Parsed:
    """A side that names only the asker, their team or the company ("me vs my team", "… vs the team
    average", "how does that compare with the team?") is that group's."""
    people = people_side(text, {w.lower() for w in side.used})
    if not people or side.metric or side.filters:
        return side
    return replace(side, kind="kpi", mine=people in ("team", "self"), my_team=people == "team",
                   everyone=people == "company", per_rep=people != "self" and averaged(text), unused=[])


def _as_filter_side(parser: Parser, first: Parsed, side: Parsed, text: str, values: ValueIndex,
                    cal: Calendar) -> Parsed:
    """A later side whose words name another KPI and a value of the first's ("average deal size for new
    business vs expansion": the deal type, not expansion revenue) is read as that value, when the
    first side's KPI with those words is a whole reading that filters by something more."""
    if not first.metric or not side.metric or side.metric == first.metric:
        return side
    again = parser.parse(f"{parser.catalog.kpis[first.metric].names['en'][0]} {text}", values, cal)
    more = any(again.filters.get(d) != side.filters.get(d) for d in again.filters)
    return again if again.metric == first.metric and more and not again.unused else side
