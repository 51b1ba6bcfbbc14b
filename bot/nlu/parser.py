"""The offline question parser: a question in English, Danish or Swedish → what it asks.

It reads, in this order, each taking the words it uses out of the question: the period,
the KPI (catalog names in any language, inflected or misspelt), the breakdown ("by
region", "pr. produktlinje", "top 5 reps"), the asker ("my", "mit team"), and filters
(store values, aliases, reps and accounts by name). What is left tells whether a word
went unrecognised. The result is data; the assistant turns it into a checked plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.errors import PeriodError
from bot.metrics.catalog import Catalog
from bot.metrics.deals import EARLY_STAGE, LATE_STAGE, RISKS, STALLED_DAYS
from bot.metrics.formulas import required_tables
from bot.metrics.periods import Calendar, parse_period
from bot.metrics.plan import sized_by_deals, zero_fact
from bot.nlu import lexicon as lx
from bot.nlu.text import MAX_CHARS, detect_language, is_word, language_scores, like, normalise, stem, tokens
from bot.nlu.values import ValueIndex

# Dimensions whose values a KPI's name may begin with ("new", "expansion", "partner").
FILTER_DIMS = {"type", "source", "segment", "product_line", "industry", "channel", "stage"}
KPI_HINTS = {"rate", "ratio", "kpi", "kpis", "metric", "metrics", "andel", "grad", "frekvens", "score",
             "total", "value", "værdi", "värde", "sum", "how", "hvor", "hur", "count", "antal"}


@dataclass(eq=False)
class Token:
    text: str  # as typed (case kept)
    word: str  # lower case, spelling corrected
    start: int = 0  # offset of `word` in the corrected text
    used: bool = False
    neutral: bool = False  # a name, or a KPI name said alike in all three languages: tells no language
    subject: bool = False  # who did it ("what did mikkel close"): a name, or else asked back


@dataclass
class DealSpec:
    """What a question about deals as items asks for (besides filters, period and the asker)."""

    status: str = "open"  # open, won, lost, closed, any
    date_field: str = "close"  # the period applies to close_date, or created_date
    upcoming: bool = False  # "next deal": close_date on or after today
    amount_min: float | None = None
    amount_max: float | None = None
    amount_currency: str | None = None  # the amounts' currency as said ("kr": the asker's krone), None: the base
    risks: list[str] = field(default_factory=list)
    order_by: str = "amount"  # amount, close_date, age, last_change
    desc: bool = True
    limit: int = 10
    stalled_days: int = STALLED_DAYS  # "stuck for more than 60 days"


@dataclass
class Parsed:
    question: str
    lang: str = "en"
    kind: str = "kpi"  # kpi, deals, help, clarify
    deal: DealSpec | None = None
    more_metrics: list[str] = field(default_factory=list)  # "pipeline and win rate": the KPIs after the first
    metric_at: object = field(default=None, repr=False)  # the token where the KPI's name starts
    metric: str | None = None
    period: str | None = None
    period_error: str | None = None
    week_named: int | None = field(default=None, repr=False)  # an ISO week said without a year ("uge 48")
    compare: str = "previous"
    filters: dict[str, list[str]] = field(default_factory=dict)
    group_by: list[str] = field(default_factory=list)
    order: str | None = None
    limit: int | None = None
    threshold: tuple[str, float] | None = None  # the breakdown's rows kept: ("lt", 0.5) for "below 50%"
    amount_min: float | None = None  # only deals over / under these amounts ("win rate on deals over 100k")
    amount_max: float | None = None
    amount_currency: str | None = None  # those amounts' and an amount threshold's currency as said (DealSpec)
    mine: bool = False
    my_team: bool = False
    team_of: bool = False  # the team of the one owner named ("Erik Hansen's team pipeline")
    everyone: bool = False  # a comparison's side that is the whole company ("my win rate vs the company")
    per_rep: bool = False  # a comparison's side that is a group's average per rep ("my revenue vs the team average")
    unknown: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    other_subject: str | None = None  # a table whose things are asked about, which no KPI read covers
    ranked: bool = False  # a superlative ranks the breakdown ("best reps", "which region sold the most")
    truncated: bool = False
    follow_up: bool = False
    empty: bool = False
    asked_help: bool = False  # "help", "hjælp", "what can you do?": help itself, not a playbook question
    social: str | None = None  # "thanks", "ack" or "greeting": a whole message of small talk
    used: list[str] = field(default_factory=list)  # the words the reading is made of
    unused: list[str] = field(default_factory=list)  # content words no part of the reading used
    those: bool = False  # "for those", "for dem", "för dem": the groups of the previous answer
    lang_known: bool = True  # False when the words cannot tell the language ("hej", "bottom 3")

    @property
    def has_slots(self) -> bool:
        """Anything besides a KPI: a period, filters, a breakdown, the asker, a year-ago comparison."""
        return bool(self.period or self.filters or self.group_by or self.mine or self.limit or self.compare != "previous")


class Parser:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.metric_phrases = self._metric_phrases(catalog)
        self.dim_phrases = sorted(
            ((tuple(normalise(n).lower().split()), dim) for dim, langs in catalog.dimensions.items()
             for names in langs.values() for n in names),
            key=lambda p: -len(p[0]))
        self.base_vocab = self._vocabulary()
        self.targets = self._targets()
        self.phrase_langs: dict[tuple[str, ...], set[str]] = {}
        for phrase, _, lang in self.metric_phrases:
            self.phrase_langs.setdefault(phrase, set()).add(lang)
        self.by_first: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        for entry in self.metric_phrases:
            self.by_first.setdefault(entry[0][0], []).append(entry)
        self.name_words = {w for p, _, _ in self.metric_phrases for w in p} | {w for p, _ in self.dim_phrases for w in p}
        # The words of KPI names that one language alone uses ("viktad", "vægtede", "prognos"): read, they tell
        # the language ("Viktad pipeline per region" is Swedish, though "pipeline per region" says nothing)
        said_in: dict[str, set[str]] = {}
        for phrase, _, lang in self.metric_phrases:
            for w in phrase:
                said_in.setdefault(w, set()).add(lang)
        self.lang_name_words = {w: next(iter(ls)) for w, ls in said_in.items()
                                if len(ls) == 1 and len(w) >= 4 and w.isalpha()}
        # A name word is found by its stem in the languages it is a name in: the English stem of Danish
        # "lukkerate" (win rate) is "lukker", Danish for "closes" ("pipeline der lukker næste måned").
        langs: dict[str, set[str]] = {}
        for phrase, _, lang in self.metric_phrases:
            for w in phrase:
                langs.setdefault(w, set()).add(lang)
        for dim, by_lang in catalog.dimensions.items():
            for lang, names in by_lang.items():
                for n in names:
                    for w in normalise(n).lower().split():
                        langs.setdefault(w, set()).add(lang)
        self._stem_index: dict[str, set[str]] = {}
        for w in self.name_words:
            for lang in langs.get(w, ("en", "da", "sv")):
                if len(w) >= 5:
                    self._stem_index.setdefault(stem(w, lang), set()).add(w)
        self._cands: dict[str, frozenset[str]] = {}
        self._phrase_keys: dict[str, str] | None = None  # KPI names of two words or more → KPI (made on first use)

    # ------------------------------------------------------------ set-up

    @staticmethod
    def _metric_phrases(catalog: Catalog) -> list[tuple[tuple[str, ...], str, str]]:
        phrases = {(tuple(normalise(kid.replace("_", " ")).lower().split()), kid, "en") for kid in catalog.kpis}
        for kpi in catalog.kpis.values():
            for lang, names in kpi.names.items():
                phrases |= {(tuple(normalise(n).lower().split()), kpi.id, lang) for n in names}
        return sorted(phrases, key=lambda p: (-sum(map(len, p[0])), p[1]))

    def _targets(self) -> frozenset[str]:
        """Words a misspelling may be corrected to: KPI, dimension, period and month names."""
        words = {w for phrase, _, _ in self.metric_phrases for w in phrase}
        words |= {w for phrase, _ in self.dim_phrases for w in phrase}
        words |= set(lx._UNIT) | {m for m in lx.MONTHS if len(m) > 3} | {"quarter", "kvartal", "kvartalet"}
        return frozenset(w for w in words if w.isalpha() and len(w) >= 4)

    def _vocabulary(self) -> frozenset[str]:
        """Words the parser knows (never 'corrected')."""
        words = set(self._targets())
        words |= set(lx._UNIT) | set(lx.MONTHS) | lx.STOPWORDS | lx.MINE | lx.TEAM_WORDS | set(lx.TOP_WORDS)
        words |= lx.WHICH | lx.DEAL_WORDS | lx.SELL_WORDS | set(lx.PERIODIC) | set(lx._NUMBER_WORDS)
        words |= {w for verbs in lx.DEAL_VERBS.values() for w in verbs} | set(lx._ORD_Q)
        words |= lx.DEAL_NOUNS | lx.LIST_WORDS | set(lx.DEAL_ORDER) | set(lx.RISK_WORDS) | set(lx.DEAL_STATUS)
        words |= lx.CREATED_WORDS | lx.CLOSING_WORDS
        words |= {w for cue in lx.GROUP_CUES + lx.COUNT_CUES + lx.HOW_MUCH for w in cue.split()}
        words |= {"ytd", "qtd", "mtd", "yoy", "last", "this", "next", "sidste", "forrige", "förra", "nästa",
                  "næste", "seneste", "senaste", "fjor", "fjol", "help", "hjælp", "hjälp", "dage", "dagar",
                  "days", "weeks", "uger", "veckor", "months", "måneder", "månader", "kvartalet", "året",
                  "månaden", "måneden", "veckan", "ugen", "halvår", "halvåret", "year", "quarter", "week"}
        # the plural period words the rolling periods spell ("de senaste 4 kvartalen" was "corrected" to Q4)
        words |= set(re.findall(r"[^\W\d_]+", f"{lx._DAYS}|{lx._QUARTERS_YEARS}"))
        return frozenset(w for w in words if w.isalpha() or " " not in w)

    def candidates(self, word: str) -> frozenset[str]:
        """The KPI and dimension name words that `word` may stand for (see text.like)."""
        hit = self._cands.get(word)
        if hit is None:
            found = {word} & self.name_words
            found |= {n for n in self.name_words if len(n) >= 4 and word.startswith(n) and len(word) - len(n) <= 4}
            if len(word) >= 5:
                for lang in ("en", "da", "sv"):
                    found |= self._stem_index.get(stem(word, lang), set())
            if word in lx.CLOSED_WORDS:  # "deals closed last week" are done, not "deals (that) close"
                found -= lx.CLOSING_WORDS
            hit = self._cands[word] = frozenset(found)
            if len(self._cands) > 50_000:
                self._cands.clear()
        return hit

    def is_word(self, word: str, name: str) -> bool:
        return name in self.candidates(word)

    # ------------------------------------------------------------ parsing

    def parse(self, question: str, values: ValueIndex, cal: Calendar) -> Parsed:
        out = Parsed(question=question, truncated=len(question) > MAX_CHARS)
        head = question[:MAX_CHARS]  # what is read; the rest is cut (and the answer says so)
        corrected = lx.CORRECTION.match(head)
        text = normalise(lx.GREETING_PREFIX.sub("", head[corrected.end():] if corrected else head, count=1))
        text = lx.SAID_NUMBER.sub(lambda m: str(lx.NUMBER_WORDS[m[1].lower()]), text)  # "våra fem största"
        text = lx.WON_AND_LOST.sub("deals won and deals lost", lx.WIN_LOSS_RATIO.sub("win rate", text))
        if not re.search(r"[^\W_]", text):
            out.kind, out.empty = "help", True
            out.lang = "en"
            return out
        social = lx.SOCIAL.get(re.sub(r"[^\w ]", "", text.lower()).strip())
        if social is not None:
            out.kind, out.asked_help, out.social = "help", True, social[0]
            out.lang, out.lang_known = social[1] or "en", social[1] is not None
            return out
        toks = self._tokens(text, values)
        evidence: dict[str, float] = {}
        out.follow_up = bool(corrected) or bool(lx.FOLLOW_UP.search(text.lower()))
        if lx.HELP.match(text.lower()) and len(toks) <= 6:
            out.kind, out.asked_help = "help", True
        else:
            self._period(toks, out, cal)
            self._stage_band(toks, out, values)
            deals = self._deal_list(toks, out, head)
            if deals and not out.group_by:
                self._list_breakdown(toks, out)
            if not deals:  # word pairs a comma separates ("revenue, deals won and win rate") join KPIs too
                commas = {(a.lower(), b.lower()) for a, b in re.findall(r"(\w+)\s*,\s*(\w+)", head)}
                self._metric(toks, out, evidence, commas, values)
                self._created_pipeline(toks, out)
                self._breakdown(toks, out)
                self._rows_first(toks, out, head)
                self._threshold(toks, out, head)
                self._gap(toks, out)
                behind = out.metric == "quota_attainment" and lx.BEHIND.search(" ".join(t.word for t in toks))
                if behind and not out.group_by and any(t.word in lx.WHO | lx.REP_WORDS for t in toks):
                    out.group_by = ["owner"]  # "who's behind on quota?", "hvem er bagud på budget": the reps
                    for t in toks:
                        t.used = t.used or t.word in lx.REP_WORDS  # ("reps behind on quota")
                if behind and out.group_by and not out.ranked:
                    out.order = "asc"  # "which reps are behind on quota": the furthest behind first
            self._asker(toks, out, text)
            self._those(toks, out)
            self._filters(toks, out, values)
            self._lead_named(toks, out, values)
            self._team_scope(toks, out)
            self._top_of_team(toks, out)
            if not deals and out.metric is None and out.filters and self._deal_nouns(toks) and not out.group_by \
                    and not any(cue in text.lower() for cue in lx.COUNT_CUES):  # ("how many deals in …": which tense?)
                out.kind, out.deal = "deals", DealSpec()  # "deals with Beacon Software", "deals in proposal stage"
                for i in self._deal_nouns(toks):
                    toks[i].used = True
            if not deals:
                self._other_subject(toks, out)
            self._leftovers(toks, out, values)
        # Names (matched, or capitalised words nobody knows) say nothing about the language:
        # "Freja Karlsson's pipeline" is English.
        words = [t for t in toks if not t.neutral and t.text not in out.unknown]
        text_words = " ".join(t.text.lower() for t in words), [t.text.lower() for t in words]
        if not evidence:  # (a whole name of one language has said it already)
            for t in words:
                if t.used and t.word in self.lang_name_words:
                    lang = self.lang_name_words[t.word]
                    evidence[lang] = evidence.get(lang, 0) + 1.0
        out.lang = detect_language(*text_words, evidence)
        # nothing telling in a word or two ("bottom 3", "top 5?"): a conversation keeps its language
        out.lang_known = out.lang_known and (max(language_scores(*text_words, evidence).values()) > 0
                                             or sum(w.isalpha() for w in text_words[1]) >= 3)
        out.used = [t.text for t in toks if t.used]
        if out.week_named and self._looks_forward(out):  # open deals closing "i uge 48", said in week 47: the
            out.period = _coming_week(out.week_named, cal) or out.period  # coming one (a year ago closed none)
        elif out.period and self._looks_forward(out):  # "my deals closing in dec", "forecast for Q1": the nearest
            out.period = _nearest(out.period, cal) or out.period
        context = lx.KPI_CONTEXT if out.kind == "kpi" else frozenset()
        asked = {w.lower() for w in out.unknown}
        out.unused = [t.text for t in toks if not t.used and t.word not in lx.STOPWORDS
                      and t.word not in asked and t.word.removesuffix("s") not in asked  # ("Eriks": Erik, asked about)
                      and t.word not in lx.FILLER and t.word not in context and not t.word.isdigit()
                      and t.word not in lx.CONJUNCTIONS]  # "revenue & win rate": "&" joins, it asks nothing
        for before, t in zip(toks, toks[1:]):  # "for new hires": both words left out, not "hires" alone
            if t.text in out.unused and t.word in lx.NEW_PERSON and before.word in lx.NEW_WORDS and not before.used:
                out.unused[out.unused.index(t.text)] = f"{before.text} {t.text}"
        if out.kind == "kpi" and out.metric is None and out.other_subject is None:
            self._no_metric(toks, out)
        return out

    def _tokens(self, text: str, values: ValueIndex) -> list[Token]:
        toks = [Token(t, "per" if t.lower() == "pr" else t.lower()) for t in tokens(text)]  # Danish "pr."
        for tok in toks:
            tok.word = self._correct(tok.word, values)
        pos = 0
        for tok in toks:
            tok.start = pos
            pos += len(tok.word) + 1
        return toks

    def _correct(self, word: str, values: ValueIndex) -> str:
        if len(word) < 4 or not word.isalpha() or word in self.base_vocab or word in values.words:
            return word
        if values.vocab is None:
            values.vocab = self.targets | frozenset(w for w in values.words if w.isalpha() and len(w) >= 4)
        return _closest(word, values.vocab)

    # ------------------------------------------------------------ period

    def _period(self, toks: list[Token], out: Parsed, cal: Calendar) -> None:
        text = " ".join(t.word for t in toks)
        ago = lx.YEAR_AGO.search(text)
        if ago:
            out.compare = "year_ago"
            _use_span(toks, ago.span())
            text = " ".join(t.word if not t.used else " " * len(t.word) for t in toks)
        for pattern, canon in lx.PERIOD_RULES:
            for m in pattern.finditer(text):
                if any(t.used for t in _covered(toks, m.span())):
                    continue
                expr = canon(m) if callable(canon) else canon
                if isinstance(expr, tuple) and expr[0] == "week" and not expr[2]:
                    out.week_named = expr[1]
                expr = self._date_expr(expr, m, toks, cal, out)
                if expr is None:
                    continue
                _use_span(toks, m.span())
                out.period = expr
                try:
                    if expr != "all":
                        parse_period(expr, cal)
                except PeriodError as exc:
                    out.period_error = str(exc)
                return

    @staticmethod
    def _date_expr(expr: object, m: re.Match, toks: list[Token], cal: Calendar, out: Parsed) -> str | None:
        """Month and day forms: resolve the year, and catch dates that do not exist (Feb 30)."""
        if isinstance(expr, str):
            return expr
        kind = expr[0]
        if kind in ("of_year", "since_month", "since_day", "month_range", "years_ago", "quarter_range", "since_quarter", "week",
                    "month_number"):
            return _relative_expr(expr, cal)
        if kind == "day_range":  # "fra 1/10 til 15/10": each day as a day is read, the end not before the start
            _, d1, m1, y1, d2, m2, y2 = expr
            start = Parser._date_expr(("day", d1, m1, y1), m, toks, cal, out)
            end = Parser._date_expr(("day", d2, m2, y2 or (start[:4] if start and start[:4].isdigit() else None)),
                                    m, toks, cal, out)
            return f"{start}..{end}" if out.period_error is None else start
        covered = _covered(toks, m.span())
        first, last = covered[0], covered[-1]
        before = toks[toks.index(first) - 1].word if toks.index(first) > 0 else ""
        after = toks[toks.index(last) + 1].word if toks.index(last) + 1 < len(toks) else ""
        if kind == "month":
            _, month, year = expr
            word = first.word
            if not year and after in lx.PLACE_NOUNS:
                return None  # "the Mars region": a name, not March
            short = len(word) <= 3 and word not in ("maj",)
            if (word == "may" or short) and not year and before not in ("in", "i", "for", "since", "during", "of"):
                return None  # "may I see", "Jan's pipeline": not a month
            return f"{lx.MONTH_NAMES_EN[month - 1]} {year}" if year else lx.MONTH_NAMES_EN[month - 1]
        _, day, month, year = expr
        y = int(year) if year else cal.as_of.year
        try:
            when = date(y, month, day)
        except ValueError:
            out.period_error = f"There is no {day} {lx.MONTH_NAMES_EN[month - 1].capitalize()}."
            return f"{lx.MONTH_NAMES_EN[month - 1]}"
        if not year and when > cal.as_of:
            when = date(y - 1, month, day) if not (month == 2 and day == 29) else when
        return when.isoformat()

    # ------------------------------------------------------------ KPI

    def _metric(self, toks: list[Token], out: Parsed, evidence: dict[str, float],
                commas: frozenset[tuple[str, str]] | set = frozenset(), values: ValueIndex | None = None) -> None:
        """The longest KPI name the question spells; then more KPIs joined to it by "and", "og", "och"."""
        self._one_metric(toks, out, evidence, values=values)
        found = [(self._position(toks, out.metric_at), out.metric)] if out.metric else []
        while found and len(found) < 5:
            trial = Parsed(question="")
            self._one_metric(toks, trial, evidence, joined=True, commas=commas)
            if trial.metric is None:
                break
            if trial.metric not in {kid for _, kid in found}:
                found.append((self._position(toks, trial.metric_at), trial.metric))
        if len(found) > 1:  # in the question's order
            kids = [kid for _, kid in sorted(found)]
            out.metric, out.more_metrics = kids[0], kids[1:]
        read = [t for t in toks if t.used]
        for _, kid in found:  # "revenue booked today": a KPI named twice is one KPI
            self._named_again(toks, kid, read)

    def _named_again(self, toks: list[Token], kid: str, read: list[Token]) -> None:
        """The KPI's other names in the question are the KPI too: said twice ("revenue booked"), or
        overlapping the name read ("new pipeline created": "new pipeline" and "pipeline created")."""
        for _, _, other, _, window in self._names_spelled(toks, free=False):
            if other == kid and (not any(t.used for t in window) or any(t in read for t in window)):
                for t in window:
                    t.used = True

    def _names_spelled(self, toks: list[Token], free: bool = True):
        """Every KPI name the question's unused words spell (any words: not `free`): (position, name,
        KPI, language, its tokens)."""
        for i, tok in enumerate(toks):
            if tok.used and free:
                continue
            for first in self.candidates(tok.word):
                for phrase, kid, lang in self.by_first.get(first, ()):
                    if _modifier(toks, i + len(phrase) - 1):
                        continue  # "sales reps", "sales enablement": a kind of rep or work, not revenue
                    window = toks[i:i + len(phrase)]
                    if len(window) == len(phrase) and not (free and any(t.used for t in window[1:])) \
                            and all(self.is_word(t.word, p) for t, p in zip(window[1:], phrase[1:])):
                        yield i, phrase, kid, lang, window

    def _one_metric(self, toks: list[Token], out: Parsed, evidence: dict[str, float], joined: bool = False,
                    commas: frozenset[tuple[str, str]] | set = frozenset(), values: ValueIndex | None = None) -> None:
        """The longest KPI name (in characters) that the question's words spell, in any language;
        `joined`: only one that a conjunction ties to a KPI already read ("pipeline and win rate")."""
        scored = []
        spelled = list(self._names_spelled(toks))
        for i, phrase, kid, lang, window in spelled:
            if joined and not self._conjoined(toks, i, len(phrase), commas):
                continue
            # the longest name; of equally long ones, the one spelled as the question spells it
            # ("genererad pipeline" is the Swedish name, not the Danish "genereret pipeline"). A name
            # that begins with a filter value ("nya affärer": deal type new; "expansion") comes after any
            # other: "win rate för nya affärer" is the win rate of new deals, "expansion pipeline" the
            # pipeline of expansion deals.
            plain = values is None or not any(d in FILTER_DIMS for w in {phrase[0], " ".join(phrase)}
                                              for d, _ in values.lookup(w, fuzzy=False)) \
                or not any(k != kid and not set(map(id, w)) & set(map(id, window)) for _, _, k, _, w in spelled)
            size = (plain, sum(map(len, phrase)), sum(t.word == p for t, p in zip(window, phrase)))
            scored.append((size, phrase, kid, lang, window))
        best = max(scored, key=lambda c: c[0], default=None)
        if best is not None and best[2] == "quota" and self._relation_before(toks, self._position(toks, best[4][0])):
            # "prognose mod budget": the forecast set against the target (_gap), not the target ("budgettet" is
            # a longer name than "prognose")
            best = max((c for c in scored if c[2] != "quota"), key=lambda c: c[0], default=best)
        if best is None and joined:
            return
        if best is None:
            said = self._on_target(toks)
            if said:  # "are we on track?"
                out.metric = "quota_attainment"
                for t in said:
                    t.used = True
                return
            self._counting(toks, out, values)
            if out.metric is None:
                self._misspelt_name(toks, out)
            return
        _, phrase, kid, lang, window = best
        if kid == "quota" and self._against_target(toks, toks.index(window[0])):
            kid = "quota_attainment"
        out.metric, out.metric_at = kid, window[0]
        shared = len(self.phrase_langs[phrase]) > 1
        if not shared and all(t.word == p for t, p in zip(window, phrase)):
            # a name only one language uses tells the language, as spelled ("bookings" is not Danish
            # "bookinger", though they share a stem)
            evidence[lang] = evidence.get(lang, 0) + 1.5
        for t in window:
            t.used = True
            t.neutral = t.neutral or shared  # "win rate" is said in all three: it tells nothing

    def _misspelt_name(self, toks: list[Token], out: Parsed) -> None:
        """A KPI name of two words or more, misspelt as a whole ('win rat', 'avg dael size', 'deals
        wonn'): words too short or too far from their own for the word-by-word correction, the phrase
        a letter or two from the name. A word of four letters or more that is a word of its own ("close
        date") is no misspelling."""
        if self._phrase_keys is None:
            self._phrase_keys = {" ".join(p): kid for p, kid, _ in self.metric_phrases if len(p) >= 2}
            self._phrase_list = list(self._phrase_keys)
        free = [t for t in toks if not t.used]
        for n in (4, 3, 2):
            for i in range(len(free) - n + 1):
                window = free[i:i + n]
                if not _adjacent(toks, window) or not all(t.word.isalpha() for t in window):
                    continue
                text = " ".join(t.word for t in window)
                best = process.extractOne(text, self._phrase_list, scorer=fuzz.ratio, score_cutoff=88)
                # a word the parser knows in its own right ("close date" is no "close rate") is not misspelt
                if best and best[0][0] == text[0] and abs(len(best[0]) - len(text)) <= 2 \
                        and len(best[0].split()) == n and not any(
                            t.word != w and (t.word in self.base_vocab or t.word in self.name_words
                                             or len(t.word) >= 4 and is_word(t.word))
                            for t, w in zip(window, best[0].split())):
                    out.metric, out.metric_at = self._phrase_keys[best[0]], window[0]
                    for t in window:
                        t.used = True
                    return

    @staticmethod
    def _created_pipeline(toks: list[Token], out: Parsed) -> None:
        """'how much pipeline did we add last month', 'hvor meget pipeline har vi skabt': the pipeline
        created in the period, not the open deals closing in it."""
        verb = next((t for t in toks if not t.used and t.word in lx.CREATE_VERBS), None)
        if out.metric == "pipeline" and verb is not None:
            out.metric, verb.used = "pipeline_created", True

    @staticmethod
    def _conjoined(toks: list[Token], i: int, size: int, commas: frozenset[tuple[str, str]] | set) -> bool:
        """Is the name at toks[i:i+size] joined by 'and' / 'og' / 'och' or a comma to a KPI name already read?"""
        for j, k in ((i - 1, i - 2), (i + size, i + size + 1)):
            if 0 <= k < len(toks) and 0 <= j < len(toks) and toks[j].word in lx.CONJUNCTIONS and toks[k].used:
                return True
        before = i - 1 >= 0 and toks[i - 1].used and (toks[i - 1].text.lower(), toks[i].text.lower()) in commas
        end = i + size
        after = end < len(toks) and toks[end].used and (toks[end - 1].text.lower(), toks[end].text.lower()) in commas
        return before or after

    @staticmethod
    def _position(toks: list[Token], tok: object) -> int:
        return next((i for i, t in enumerate(toks) if t is tok), 0)

    @staticmethod
    def _relation_before(toks: list[Token], at: int) -> list[Token]:
        """The words just before toks[at] that set something against it ("mod", "vs", "against")."""
        return [t for t in toks[max(0, at - 3):at] if t.word in lx.TARGET_RELATION]

    @staticmethod
    def _against_target(toks: list[Token], at: int) -> bool:
        """'how am I doing against quota', 'mod budget', 'are we on target': attainment, not the amount.
        The words that said so are used."""
        said = Parser._relation_before(toks, at) + Parser._on_target(toks)
        for t in said:
            t.used = True
        return bool(said)

    @staticmethod
    def _on_target(toks: list[Token]) -> list[Token]:
        """The tokens of every phrase that asks how far a target is ("on track", "need to close … to hit quota")."""
        spans = [m.span() for m in lx.ON_TARGET.finditer(" ".join(t.word for t in toks))]
        # ("hur ligger jag till", "hvor langt er jeg fra": the asker is left to say whose)
        return [t for t in toks if any(a <= t.start < b for a, b in spans) and t.word not in lx.MINE]

    def _counting(self, toks: list[Token], out: Parsed, values: ValueIndex | None = None) -> None:
        """'How many deals did we win', 'hvor mange aftaler vandt vi', 'how much did we sell'."""
        words = [t.word for t in toks if not t.used]
        text = " ".join(words)
        has_deals = any(w in lx.DEAL_WORDS or any(like(w, d) for d in ("aftaler", "affärer")) for w in words)
        counting = any(cue in text for cue in lx.COUNT_CUES)
        if any(cue in text for cue in lx.HOW_LONG) and (has_deals or any(w in lx.CLOSING_WORDS for w in words)):
            out.metric = "sales_cycle_days"  # "how long do our deals take to close": days, not a count of wins
            for t in toks:
                t.used = t.used or t.word in lx.DEAL_WORDS or t.word in lx.CLOSING_WORDS or t.word in lx.DEAL_VERBS[
                    "deals_won"] or t.word in ("take", "tager", "tar", "long", "lang", "lång", "længe", "länge", "tid")
            return
        won = [t for t in toks if not t.used and t.word in lx.DEAL_VERBS["deals_won"] - {"close", "closed"}]
        if not won and ("did" in words or "have" in words):  # "how much did we close": done, not "will close"
            won = [t for t in toks if not t.used and t.word in ("close", "closed")]
        won += [t for t in toks if not t.used and t.word in lx.CLOSED_WORDS and t not in won]
        if won and not counting and any(cue in text for cue in lx.HOW_MUCH):  # "how much did we win": an amount
            share = [t for t in toks if not t.used and t.word in lx.SHARE_WORDS]
            out.metric = "win_rate" if share and has_deals else "revenue"  # "hvor stor en andel af aftalerne vinder vi"
            for t in [*won, *(share if has_deals else []), *(t for t in toks if t.word in lx.DEAL_WORDS and share)]:
                t.used = True
            return
        if has_deals or counting:
            for kid, verbs in lx.DEAL_VERBS.items():
                hit = [t for t in toks if not t.used and t.word in verbs]
                if hit and (has_deals or counting):
                    share = [t for t in toks if not t.used and t.word in lx.SHARE_WORDS]
                    if kid == "deals_won" and share:  # "what % of deals do we win": the win rate, not a count
                        kid = "win_rate"
                        for t in share:
                            t.used = True
                    out.metric = kid
                    for t in toks:
                        if not t.used and (t.word in verbs or t.word in lx.DEAL_WORDS):
                            t.used = True
                    return
        # "how many deals are in negotiation", "do we have": the open ones as they stand ("how many deals in
        # the Nordics" says no tense: won, lost, created or open is asked back)
        exact = values.exact if values is not None else {}
        open_stage = any(d == "stage" and "closed" not in v.lower() for t in toks for d, v in exact.get(t.word, ()))
        if counting and has_deals and (re.search(lx.STANDING, text) or open_stage):  # ("… in negotiation": open ones)
            out.metric = "open_deals"
            for t in toks:
                t.used = t.used or t.word in lx.DEAL_WORDS
            return
        if counting and any(w in lx.REP_WORDS for w in words):
            out.metric = "active_reps"
            for t in toks:
                if not t.used and t.word in lx.REP_WORDS:
                    t.used = True
            return
        sold = [t for i, t in enumerate(toks) if not t.used and t.word in lx.SELL_WORDS and not _modifier(toks, i)]
        if sold:
            out.metric = "revenue"
            for t in sold:
                t.used = True

    # ------------------------------------------------------------ lists of deals

    def _deal_nouns(self, toks: list[Token]) -> list[int]:
        return [i for i, t in enumerate(toks) if not t.used and t.word in lx.DEAL_NOUNS]

    def _deal_list(self, toks: list[Token], out: Parsed, question: str) -> bool:
        """Deals as items ("my biggest deal closing this month", "which deals are stuck", "open
        deals over 100k") rather than a number about them ("how many deals did we win")."""
        nouns = self._deal_nouns(toks)
        words = [t.word for t in toks]
        joined = " ".join(words)
        if lx.NOTHING.search(joined) and set(words) & (lx.WHO | lx.REP_WORDS | {"reps", "sælgere", "säljare"}):
            return False  # "which of my reps have no deals closing this month": people at 0, not a list
        if (any_deals := lx.ANY_DEALS.search(joined)) is not None:  # "do i have any deals yet": my open deals
            out.kind, out.deal = "deals", DealSpec()
            _use_span(toks, any_deals.span())
            for t in toks:  # ("i", "jeg": whose, read later)
                t.used = t.used and t.word not in lx.MINE | {"we", "vi"}
            return True
        won = lx.WHAT_WE_WON.search(joined)
        if won and not nouns:  # "what did we close yesterday": the deals won then
            out.kind, out.deal = "deals", DealSpec(status="won")
            _use_span(toks, won.span())
            who = "who" if won.group("who") else "who2" if won.group("who2") else None
            if who:  # ("what did mikkel close": the name is read as a rep, later; one nobody has is asked back)
                for t in _covered(toks, won.span(who)):
                    t.used, t.subject = False, t.word not in lx.STOPWORDS
            return True
        closing = lx.WHAT_CLOSING.search(joined)
        risky = [i for i, t in enumerate(toks) if t.word in lx.RISK_WORDS][:1] or [
            joined[:at].count(" ") for at in (f" {joined} ".find(f" {p} ") for p in lx.RISK_PHRASES) if at >= 0][:1]
        named, read = None, False  # (a trial reading of the KPI names: made once, when needed)
        if not nouns and (closing or risky):
            named, read = self._kpi_named(toks), True
            if closing and named is None:  # "what's closing this week": the deals
                out.kind, out.deal = "deals", DealSpec(order_by="close_date", desc=False)
                _use_span(toks, closing.span())
                for t in _covered(toks, closing.span()):  # ("hvad kan jeg nå at lukke": mine, read later)
                    t.used = t.used and t.word not in ("jeg", "jag", "i")
                return True
            if named is None:
                nouns = risky  # "overdue renewals": deals
        if not nouns:
            return False
        if any(cue in joined for cue in lx.COUNT_CUES + lx.HOW_MUCH) \
                and not self._deal_risks(toks, joined, DealSpec(), set()):
            return False  # a number; but no KPI counts stalled or overdue deals: their list says how many
        if not read:
            named = self._kpi_named(toks)
        if named == "active_reps" and lx.DEALS_BY_REP.search(joined):  # "how many stalled deals does each of my
            named = None  # reps have?": the deals, counted per rep, not how many reps there are
        if named is not None and named not in lx.DEAL_COUNT_KPIS:  # "average deal value" is a number
            return False
        if named not in (None, "open_deals") and nouns[0] > 0 and words[nouns[0] - 1] in lx.OF_DEALS:
            return False  # "revenue from deals over 250k", "pipeline på aftaler over 1 mio.": a sum over those deals
        spec, used = DealSpec(), set(nouns)
        ordered = cue = self._deal_order(toks, nouns, spec, used)
        cue |= self._deal_risks(toks, joined, spec, used)
        cue |= self._deal_amount(toks, question, spec, used)
        if "stalled" in spec.risks:
            self._stall_for(toks, out, spec, used)
        first = nouns[0]
        before = words[max(0, first - 3):first]
        # "deals closing this month" lists them; "how many deals are closing" (a count cue) counts them, and
        # "revenue from deals closing this month" is a sum
        # ("aftaler der lukker", "affärer som stänger", "deals that close": the same, after a relative word)
        # ("open deals in my team closing this month": a few words of scope between)
        closing = any(words[k] in lx.CLOSING_WORDS for n in nouns for k in range(n + 1, min(n + 6, len(words)))
                      if k == n + 1 or words[k - 1] in RELATIVE or words[n + 1] in lx.OF_DEALS) \
            and named in (None, "open_deals")
        # "Julia Brunner's deals", "Karins aftaler", "Jonas affärer": someone's deals are a list of them
        # ("Karins öppna affärer": a status word between)
        at = first - 2 if first > 1 and toks[first - 1].word in lx.OUTCOME_KPI else first - 1
        owned = bool(lx.OWNED_DEALS.search(question)) or at >= 0 and (named is None or named in lx.DEAL_COUNT_KPIS) \
            and toks[at].text[:1].isupper() and toks[at].text.endswith("s")
        # "what deals do I have closing this month", "hvad aftaler …": 'what' right before the deals asks for them
        what = first > 0 and words[first - 1] in lx.WHAT_DEALS and (named is None or named in lx.DEAL_COUNT_KPIS)
        if closing or owned or what or any(w in lx.LIST_WORDS for w in words) \
                or any(w in lx.LIST_WHICH | lx.MINE for w in before):
            cue = True
            used |= {i for i, w in enumerate(words) if w in lx.LIST_WORDS or (w in lx.LIST_WHICH and i < first)
                     or what and i == first - 1}
            used -= {i for i, w in enumerate(words) if w in lx.MINE}  # "my" is the asker's, read later
        if not cue:
            return False
        self._deal_status(toks, spec, used)
        if len(spec.risks) == 1 and not ordered:  # the reason's order, unless the question gives one
            spec.order_by, spec.desc = {"stalled": ("last_change", True),
                                        "overdue": ("close_date", False)}.get(spec.risks[0], ("amount", True))
        out.kind, out.deal = "deals", spec
        for i in used:
            toks[i].used = True
        by = lx.DEALS_BY_REP.search(joined) or lx.REP_WITH_MOST.search(joined) or lx.DEALS_BY_GROUP.search(joined) \
            or lx.GROUP_WITH_MOST.search(joined)
        if by:  # counted per rep (or team, region), the most first ("which rep has the most stalled deals": the one)
            dim = lx.GROUP_WORDS[by.group(1)] if by.re in (lx.DEALS_BY_GROUP, lx.GROUP_WITH_MOST) else "owner"
            most = by.re in (lx.REP_WITH_MOST, lx.GROUP_WITH_MOST)
            out.group_by, out.order, out.limit = [dim], "desc", 1 if most else None
            for t in _covered(toks, by.span()):  # ("… on my team …": whose, read later)
                t.used = dim != "owner" or t.word not in lx.MINE | lx.TEAM_CUES
        return True

    def ahead(self, out: Parsed, cal: Calendar) -> Parsed:
        """A question read with the one before it ("og i januar?" after deals closing in December): a month or
        quarter said without a year is the nearest for close dates ahead, as in a question of its own."""
        nearest = _nearest(out.period, cal) if out.period and self._looks_forward(out) else None
        return replace(out, period=nearest) if nearest else out

    def _looks_forward(self, out: Parsed) -> bool:
        """Does the question look ahead to close dates (open deals, pipeline), not back at what happened?"""
        if out.kind == "deals":
            return out.deal is not None and out.deal.status in ("open", "any") and out.deal.date_field == "close"
        return out.kind == "kpi" and out.metric is not None and self.catalog.kpis[out.metric].forward

    @staticmethod
    def _top_of_team(toks: list[Token], out: Parsed) -> None:
        """'top 3 on the team by win rate', 'de 3 bedste på teamet', 'the best on Erik's team': the team's
        reps ranked by the KPI, as many as said (else the one); 'which of my teams …': the teams."""
        if out.kind != "kpi" or not out.metric or out.group_by or not (out.my_team or out.team_of):
            return
        top = next((i for i, t in enumerate(toks) if not t.used and t.word in lx.TOP_WORDS), None)
        if top is None:
            return
        count = _count_beside(toks, top)
        teams = any(t.word in lx.TEAMS_PLURAL for t in toks)  # "which of my teams …": the teams, not their reps
        out.group_by, out.order, out.ranked = ["team" if teams else "owner"], lx.TOP_WORDS[toks[top].word], True
        out.limit = int(count.word) if count is not None else 1
        for t in (toks[top], count):
            if t is not None:
                t.used = True

    @staticmethod
    def _gap(toks: list[Token], out: Parsed) -> None:
        """'how much is left to quota', 'hvad mangler jeg til budget', 'hur mycket saknas till målet', 'what's
        left to hit my number': attainment, whose answer gives what is still to go, not the target alone."""
        words = {t.word for t in toks}
        joined = " ".join(t.word for t in toks)
        against = out.metric in ("revenue", "pipeline", "weighted_pipeline") and lx.AGAINST_TARGET.search(joined)
        if not against and (out.metric not in ("quota", None) or not words & lx.GAP_WORDS
                            or not words & lx.TARGET_NOUNS):
            return
        # "omsætning mod budget": attainment; "pipeline vs target": its coverage; "forecast vs target": the
        # weighted pipeline beside the target
        if out.metric == "weighted_pipeline":
            out.more_metrics = [*out.more_metrics, "quota"]
        else:
            out.metric = "pipeline_coverage" if out.metric == "pipeline" else "quota_attainment"
        for t in toks:
            t.used = t.used or t.word in lx.GAP_WORDS | lx.TARGET_NOUNS | {"hit", "reach", "nå", "klara"}
        if against:
            for t in _covered(toks, against.span()):
                t.used = True

    def _kpi_named(self, toks: list[Token]) -> str | None:
        """The KPI the words name besides their closing words ('revenue' in 'revenue from deals closing').
        One whose name holds a deal word ('average deal value', 'deal size') makes a number, not a list;
        the counts of deals (DEAL_COUNT_KPIS) are lists when asked as lists ('which deals did we win')."""
        trial = Parsed(question="")
        self._metric([Token(t.text, t.word, t.start, t.used or t.word in lx.CLOSING_WORDS) for t in toks], trial, {})
        return trial.metric

    def _deal_order(self, toks: list[Token], nouns: list[int], spec: DealSpec, used: set[int]) -> bool:
        """'biggest deal', 'top 5 deals', 'the 3 largest opportunities', 'next deal to close', 'sorted by
        close date'."""
        joined = " ".join(t.word for t in toks)
        by = lx.SORT_BY.search(joined) or lx.ORDER_FIRST.search(joined)
        if by:
            spec.order_by, spec.desc = lx.SORT_KEYS[by.group("key").split()[0]]
            used |= {toks.index(t) for t in _covered(toks, by.span())}
            way = next((i for i, t in enumerate(toks) if t.word in lx.ASCENDING), None)
            if way is not None:  # "sorted by amount ascending", "sorteret efter beløb, stigende"
                spec.desc = lx.ASCENDING[toks[way].word]
                used.add(way)
            return True
        if first := lx.CLOSE_FIRST.search(joined):  # "vilka stänger först": the soonest close date first
            spec.order_by, spec.desc = "close_date", False
            used |= {toks.index(t) for t in _covered(toks, first.span())}
            return True
        for n in nouns:
            for j in range(max(0, n - 3), n):
                word = toks[j].word
                if toks[j].used or word not in lx.DEAL_ORDER:
                    continue
                spec.order_by, spec.desc = lx.DEAL_ORDER[word]
                spec.upcoming = word in lx.UPCOMING
                count = next((int(t.word) for t in toks[max(0, j - 1):n] if t.word.isdigit()), None)
                plural = toks[n].word not in ("deal", "opportunity", "opp", "aftale", "aftalen", "affär", "affären",
                                              "avtal", "avtalet", "salgsmulighed", "affärsmöjlighet")
                spec.limit = min(count, 1000) if count else (10 if plural else 1)
                used |= {k for k in range(j, n) if toks[k].word == word or toks[k].word.isdigit()}
                return True
        return False

    @staticmethod
    def _deal_risks(toks: list[Token], joined: str, spec: DealSpec, used: set[int]) -> bool:
        found: list[str] = []
        for phrase, risk in lx.RISK_PHRASES.items():
            at = joined.find(phrase)
            if at >= 0 and (at == 0 or joined[at - 1] == " "):
                found.append(risk)
                used |= {i for i, t in enumerate(toks) if at <= t.start < at + len(phrase)}
        for i, t in enumerate(toks):
            if t.word in lx.RISK_WORDS and not t.used:
                found.append(lx.RISK_WORDS[t.word])
                used.add(i)
        if not found:
            return False
        spec.risks = list(RISKS) if "*" in found else list(dict.fromkeys(found))
        if "*" in found:  # "at risk": every reason; the biggest deals first
            spec.order_by, spec.desc = "amount", True
        return True

    @staticmethod
    def _stall_for(toks: list[Token], out: Parsed, spec: DealSpec, used: set[int]) -> None:
        """'stuck for more than 60 days', 'no activity in the last 2 weeks': the stall's length. The
        words a period took before ('the last 60 days') are the stall's, and the period goes."""
        text = " ".join(t.word for t in toks)
        m = lx.STALL_FOR.search(text)
        if m is None:
            return
        spec.stalled_days = min(int(m.group("n")) * lx.STALL_UNIT_DAYS[m.group("unit")[0]], 3650) or STALLED_DAYS
        covered = _covered(toks, m.span())
        if any(t.used for t in covered):
            out.period, out.period_error = None, None
        used |= {toks.index(t) for t in covered}

    @staticmethod
    def _deal_amount(toks: list[Token], question: str, spec: DealSpec, used: set[int]) -> bool:
        hit = False
        span = _amount_span(question.lower())
        if span is not None:  # "deals between 50k and 100k"
            spec.amount_min, spec.amount_max, spec.amount_currency, words = span
            used |= {i for i, t in enumerate(toks) if not t.used and t.word in words}
            return True
        for m in lx.AMOUNT.finditer(question.lower()):
            value = _amount(m.group("num"), m.group("unit"))
            if value is None:
                continue
            if m.group("cmp") in lx.AMOUNT_BELOW:
                spec.amount_max = value
            else:
                spec.amount_min = value
            spec.amount_currency = _currency(m)
            hit = True
            parts = tokens(normalise(m.group(0)).lower())
            for part in parts:  # the threshold's words, wherever the tokeniser put them
                i = next((i for i, t in enumerate(toks) if i not in used and not t.used and t.word == part), None)
                if i is not None:
                    used.add(i)
        return hit

    @staticmethod
    def _deal_status(toks: list[Token], spec: DealSpec, used: set[int]) -> None:
        words = {t.word for t in toks}
        done = next((i for i, t in enumerate(toks) if t.word in lx.DONE_VERBS and not t.used), None) \
            if words & lx.PAST_AUX else None
        if done is not None:  # "which deals did we win last week", "hvilke aftaler har vi tabt": done, not open
            spec.status = lx.DONE_VERBS[toks[done].word]
            used.add(done)
        for i, t in enumerate(toks):
            if t.used or i in used:
                continue
            if t.word in lx.DEAL_STATUS:
                spec.status = lx.DEAL_STATUS[t.word]
                used.add(i)
            elif t.word in lx.CREATED_WORDS:
                spec.date_field = "created"
                used.add(i)
            elif t.word in lx.CLOSING_WORDS:
                used.add(i)
        if spec.status == "closed" and words & lx.WHO:  # "who closed the biggest deal": who won it
            spec.status = "won"
        if spec.status in ("won", "lost", "closed"):
            spec.upcoming = False
        if spec.date_field == "created" and not any(toks[i].word in lx.DEAL_STATUS for i in used):
            spec.status = "any"  # "deals created this month": whatever became of them

    # ------------------------------------------------------------ breakdown

    @staticmethod
    def _rows_first(toks: list[Token], out: Parsed, question: str) -> None:
        """'win rate by rep, lowest first', 'omsætning pr. region, laveste først': a breakdown's order, every
        row kept (where 'the lowest' alone would rank one)."""
        m = lx.ROWS_FIRST.search(question.lower())
        if m is None or not out.group_by:
            return
        out.order, out.limit, out.ranked = ("asc" if m.group("key") in lx.ROWS_ASC else "desc"), None, False
        for word in m.group(0).split():
            t = next((t for t in toks if t.word == word), None)
            if t is not None:
                t.used = True

    def _list_breakdown(self, toks: list[Token], out: Parsed) -> None:
        """'my deals by stage', 'won deals by segment': a list with no conditions but its status is that
        count KPI broken down ('by stage' after such a list reads so too); 'stalled deals by stage' counts
        the list's deals per stage. A breakdown neither can give is left unused, so it is said."""
        free = [t for t in toks if not t.used]
        for i in range(len(free)):
            cue = self._group_cue(free, i)
            dim, said = self._dimension(free, i + cue) if cue else (None, [])
            if dim is None:
                continue
            spec = out.deal or DealSpec()
            count = lx.DEAL_COUNT_OF.get(spec.status) if spec.date_field == "close" else None
            plain = not spec.risks and spec.amount_min is None and spec.amount_max is None
            if count and plain and dim in self.catalog.kpis[count].dimensions:
                out.kind, out.metric, out.deal = "kpi", count, None
            elif dim not in lx.DEAL_GROUPS:
                return
            out.group_by, out.order = [dim], "desc"
            for t in free[i:i + cue] + said:
                t.used = True
            return

    def _breakdown(self, toks: list[Token], out: Parsed) -> None:
        free = [t for t in toks if not t.used]
        words = [t.word for t in free]
        for i, w in enumerate(words):
            if w in lx.PERIODIC and not out.group_by:
                out.group_by.append(lx.PERIODIC[w])
                free[i].used = True
        for i in range(len(free)):
            if free[i].used:
                continue
            cue = self._group_cue(free, i)
            if cue:
                dim, used = self._dimension(free, i + cue)
                if dim and dim in out.group_by:  # "revenue trend by month": said twice
                    for t in free[i:i + cue] + used:
                        t.used = True
                elif dim and len(out.group_by) < 2:
                    out.group_by.append(dim)
                    for t in free[i:i + cue] + used:
                        t.used = True
                    self._and_dimension(free, i + cue + len(used), out)
            elif free[i].word in lx.TOP_WORDS or (free[i].word.isdigit() and i + 1 < len(free)
                                                   and free[i + 1].word in lx.TOP_WORDS):
                self._top(free, i, out)
            elif free[i].word in lx.ALL_WORDS:
                dim, used = self._dimension(free, i + 1)
                if free[i].word in lx.EVERYONE:
                    dim, used = "owner", []
                if dim and dim not in out.group_by and len(out.group_by) < 2:
                    out.group_by.append(dim)
                    for t in [free[i], *used]:
                        t.used = True
            elif free[i].word in lx.RANK_WORDS and not out.group_by:
                self._rank(free, i, out)
            elif free[i].word in lx.WHICH:
                # "which 3 reps …", "vilka tre säljare …": as many as said
                count = free[i + 1] if i + 1 < len(free) and free[i + 1].word.isdigit() else None
                dim, used = self._dimension(free, i + 1 + (count is not None))
                if dim and dim not in out.group_by:
                    out.group_by.append(dim)
                    free[i].used = True
                    for t in [*used, *([count] if count is not None else [])]:
                        t.used = True
                    sup = [t for t in free if not t.used and t.word in lx.TOP_WORDS]
                    out.order = lx.TOP_WORDS[sup[0].word] if sup else "desc"
                    out.ranked = bool(sup)
                    plural = _plural(used[-1].word) or free[i].word in lx.WHICH_PLURAL  # ("hvilke sælgere")
                    out.limit = int(count.word) if count is not None and sup else 1 if sup and not plural else None
                    for t in sup[:1]:
                        t.used = True
                elif free[i].word in lx.WHO and not out.group_by:
                    self._who_most(free, i, out)
        sup = next((t for t in free if not t.used and t.word in lx.TOP_WORDS), None)
        if sup is not None and out.group_by and out.order is None:  # "lowest win rate by region": the lowest first
            out.order, out.ranked, sup.used = lx.TOP_WORDS[sup.word], True, True

    def _threshold(self, toks: list[Token], out: Parsed, question: str) -> None:
        """'reps below 50% attainment', 'regions with pipeline over 1m', 'hvem ligger under 80 % af
        budget': the breakdown's rows kept by their value, the furthest past the line first. A share
        bounds a ratio ("% of quota" is attainment), an amount a sum; with no breakdown, 'who' is the
        reps and a plural dimension noun its dimension ("regions with …"). An amount said of the deals,
        of a ratio, or of a sum with no breakdown is the deals' size instead: 'win rate on deals over
        100k', 'pipeline over 1m' (deal KPIs only; otherwise it stays unused, and the answer says so)."""
        span = _amount_span(question.lower()) if out.metric else None
        if span is not None and sized_by_deals(self.catalog.kpis[out.metric], self.catalog):
            out.amount_min, out.amount_max, out.amount_currency, words = span  # "win rate on deals between 50k and 100k"
            for t in toks:
                t.used = t.used or t.word in words
            return
        if out.metric is None and lx.NOTHING.search(question.lower()):
            out.metric = self._done_verb(toks)  # "which reps haven't won anything": deals won
        m = lx.THRESHOLD.search(question.lower()) if out.metric else None
        if m is None:
            if not self._nothing(toks, out, question):
                self._past_target(toks, out, question)
            return
        unit = m.group("unit")
        share = unit in lx.PERCENT_UNITS
        value = _amount(m.group("num"), None if share else unit)
        if share and out.metric == "quota":
            out.metric = "quota_attainment"
        kpi = self.catalog.kpis[out.metric]
        if value is None or share and kpi.unit != "ratio":
            return
        words = [t for t in (self._unused_word(toks, part) for part in tokens(normalise(m.group(0)).lower())) if t]
        first = self._position(toks, words[0]) if words else -1
        op = lx.THRESHOLD_OP[m.group("cmp")]
        out.amount_currency = None if share else _currency(m)
        of_deals = first > 0 and first - 1 in self._deal_nouns(toks) or kpi.unit == "ratio"
        if not share and (of_deals or not out.group_by and not self._rows_asked(toks, out)):
            if not sized_by_deals(kpi, self.catalog):
                return
            if op in ("gt", "ge"):
                out.amount_min = value
            else:
                out.amount_max = value
        elif out.group_by or self._rows_asked(toks, out):
            out.threshold = (op, value / 100 if share else value)
            if not out.ranked:  # "which reps are under 50%": the furthest below first ('which' alone says desc)
                out.order = "asc" if op in ("lt", "le") else "desc"
        else:
            return
        for t in words:
            t.used = True

    def _nothing(self, toks: list[Token], out: Parsed, question: str) -> bool:
        """'reps with no pipeline', 'who hasn't won a deal this month', 'sælgere uden pipeline': the
        rows at 0 of a KPI that sums or counts (the engine shows groups without rows at 0)."""
        m = lx.NOTHING.search(question.lower())
        if m is None or out.metric is None or zero_fact(self.catalog.kpis[out.metric], self.catalog) is None:
            return False
        if not (out.group_by or self._rows_asked(toks, out)):
            return False
        out.threshold, out.order = ("le", 0.0), "desc"
        for part in tokens(normalise(m.group(0)).lower()):
            t = self._unused_word(toks, part)
            if t is not None:
                t.used = True
        return True

    @staticmethod
    def _done_verb(toks: list[Token]) -> str | None:
        """The KPI a verb of what reps do counts when no KPI is named: won or closed deals, booked or sold
        revenue ("who hasn't won anything this month", "reps that didn't sell anything")."""
        for t in toks:
            if not t.used and t.word in lx.WON_VERBS:
                t.used = True
                return "deals_won"
            if not t.used and t.word in lx.SELL_WORDS:
                t.used = True
                return "revenue"
            if not t.used and t.word in lx.CLOSING_WORDS:  # "no deals closing this month": open deals then
                for d in toks:
                    d.used = d.used or d is t or d.word in lx.DEAL_NOUNS
                return "open_deals"
        return None

    def _past_target(self, toks: list[Token], out: Parsed, question: str) -> None:
        """'which reps are under budget', 'how many reps are above quota', 'teams below target': the
        rows whose attainment is past 100%."""
        m = lx.PAST_TARGET.search(question.lower())
        if m is None or out.metric not in ("quota", "quota_attainment"):
            return
        out.metric = "quota_attainment"
        op = "lt" if m.group("cmp") in ("under", "below", "beneath") else "gt" if m.group("cmp") in (
            "over", "above", "ahead of", "exceeding", "över", "beat") else "ge"  # "hit quota": 100% or more
        if out.group_by or self._rows_asked(toks, out):  # ("are we above target?": where we stand, no rows)
            out.threshold, out.order = (op, 1.0), "asc" if op == "lt" else "desc"
        for part in tokens(normalise(m.group(0)).lower()):
            t = next((t for t in toks if t.word == part), None)
            if t is not None:
                t.used = True

    @staticmethod
    def _unused_word(toks: list[Token], word: str) -> Token | None:
        return next((t for t in toks if not t.used and t.word == word), None)

    def _rows_asked(self, toks: list[Token], out: Parsed) -> bool:
        """'who …' (the reps), or a plural dimension noun ('regions with …'): the breakdown a
        threshold asks for when the question names none."""
        free = [t for t in toks if not t.used]
        for i, t in enumerate(free):
            if t.word in lx.WHICH and i + 1 < len(free) and free[i + 1].word in ("in", "i", "of", "af", "av", "on", "på"):
                out.group_by = ["owner"]  # "vilka i mitt team …", "which of my reps …": people
                t.used = True
                for k in range(i + 2, min(i + 5, len(free))):  # ("… of the reps": said again)
                    dim, words = self._dimension(free, k)
                    for w in words if dim == "owner" else []:
                        w.used = True
                return True
            dim, words = ("owner", [t]) if t.word in lx.WHO else self._dimension(free, i)
            last = words[-1].word if words else ""
            if dim is not None and (t.word in lx.WHO or _plural(last) or last.endswith(("ere", "are"))):  # sælgere, säljare
                out.group_by = [dim]
                for w in words:
                    w.used = True
                return True
        return False

    def _rank(self, free: list[Token], i: int, out: Parsed) -> None:
        """'rank the regions by win rate', 'sales leaderboard', 'rank my team', 'ranking af sælgerne': a
        breakdown, best first, by the dimension named after it (the reps when none is)."""
        named = ((k, *self._dimension(free, k)) for k in range(i + 1, len(free)))
        dim, words = next(((d, w) for k, d, w in named if d and not (d == "team" and free[k - 1].word in lx.MINE)),
                          ("owner", []))  # ("rank my team": its reps; "rank the teams": the teams)
        out.group_by, out.order, out.ranked = [dim], "desc", True
        for t in [free[i], *words]:
            t.used = True

    def _who_most(self, free: list[Token], i: int, out: Parsed) -> None:
        """'who sold the most this year', 'hvem har den højeste win rate', 'vem har sålt mest': the rep
        ranked first by the KPI (a 'who' without a superlative ranks nothing)."""
        sup = [t for t in free[i + 1:] if not t.used and t.word in lx.TOP_WORDS]
        if not sup:
            return
        out.group_by, out.order, out.ranked, out.limit = ["owner"], lx.TOP_WORDS[sup[0].word], True, 1
        for t in (free[i], sup[0]):
            t.used = True
        k = free.index(sup[0])
        count = _count_beside(free, k)  # "who are the top 5 reps", "hvem er de 5 bedste sælgere": as many as said
        k += 2 if count is not None and k + 1 < len(free) and count is free[k + 1] else 1
        while k < len(free) and free[k].word in lx.PERFORMING:  # "who is our best performing rep"
            k += 1
        dim, words = self._dimension(free, k)
        for t in words if dim == "owner" else []:  # "hvem er vores bedste sælger": the reps, said again
            t.used = True
        if count is not None:
            out.limit, count.used = int(count.word), True
        elif dim == "owner" and words and words[-1].word in lx.REPS_PLURAL:  # "who are our best reps": a few
            out.limit = 5

    def _and_dimension(self, free: list[Token], j: int, out: Parsed) -> None:
        """'by region and segment', 'pr. region og segment'."""
        if j < len(free) and free[j].word in ("and", "og", "och", "&") and len(out.group_by) < 2:
            dim, used = self._dimension(free, j + 1)
            if dim and dim not in out.group_by:
                out.group_by.append(dim)
                for t in [free[j], *used]:
                    t.used = True

    @staticmethod
    def _group_cue(free: list[Token], i: int) -> int:
        for cue in sorted(lx.GROUP_CUES, key=lambda c: -len(c.split())):
            parts = cue.split()
            if [t.word for t in free[i:i + len(parts)]] == parts:
                return len(parts)
        return 0

    def _dimension(self, free: list[Token], i: int) -> tuple[str | None, list[Token]]:
        for phrase, dim in self.dim_phrases:
            window = free[i:i + len(phrase)]
            if len(window) == len(phrase) and not any(t.used for t in window) \
                    and all(self.is_word(t.word, p) for t, p in zip(window, phrase)):
                return dim, window
        return None, []

    def _top(self, free: list[Token], i: int, out: Parsed) -> None:
        """'top 5 reps', 'bottom 3 regions', 'de 5 bedste sælgere', 'topp 10 kunder'."""
        j, n = i, None
        if free[j].word.isdigit():
            n, j = int(free[j].word), j + 1
        order = lx.TOP_WORDS[free[j].word]
        k = j + 1
        if n is None and k < len(free) and free[k].word.isdigit():
            n, k = int(free[k].word), k + 1
        while k < len(free) and free[k].word in lx.PERFORMING:  # "best performing region"
            k += 1
        dim, used = self._dimension(free, k)
        if dim is None:
            return
        out.group_by = [dim] + [d for d in out.group_by if d != dim][:1]
        out.order, out.limit, out.ranked = order, min(n or 5, 1000), True
        for t in free[i:k] + used:
            t.used = True

    # ------------------------------------------------------------ the asker

    def _asker(self, toks: list[Token], out: Parsed, text: str) -> None:
        low = text.lower()
        for i, t in enumerate(toks[:-1]):  # "company win rate", "firmaets omsætning": everyone's, as unsaid
            if not t.used and t.word in lx.COMPANY_WORDS and toks[i + 1] is out.metric_at:
                t.used = out.everyone = True
        for i, t in enumerate(toks):  # "all open deals in the company", "the best rep in the company": everyone's
            if not t.used and t.word in lx.COMPANY_WORDS and i > 0 and toks[i - 1].word in lx.OF_COMPANY:
                t.used = out.everyone = toks[i - 1].used = True
        for i, t in enumerate(toks):
            if t.used or t.word not in lx.MINE:
                continue
            if t.word in ("me", "mig") and not re.search(rf"\b(?:for|about|til|för|om|to|by|af|av)\s+{t.word}\b", low):
                continue  # "show me", "vis mig": not a scope
            if t.word == "min" and i + 1 < len(toks) and toks[i + 1].word.isdigit():
                continue
            out.mine = True
            t.used = True
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt and not nxt.used and nxt.word in lx.TEAM_WORDS:
                out.my_team = True
                nxt.used = True
        if not out.mine and lx.ENGLISH_I.search(low):
            out.mine = True

    @staticmethod
    def _lead_named(toks: list[Token], out: Parsed, values: ValueIndex) -> None:
        """"Erik's team" where two reps are called Erik and one of them leads people: his (with no Erik who
        leads, or two, it stays a name asked about)."""
        if "owner" in out.filters:
            return
        for t, cue in zip(toks, toks[1:]):
            name = t.word.removesuffix("'s").removesuffix("s") if t.word not in values.leads else t.word
            if not t.used and cue.word in lx.TEAM_CUES and name in values.leads:
                out.filters["owner"], t.used = [values.leads[name]], True
                return

    @staticmethod
    def _team_scope(toks: list[Token], out: Parsed) -> None:
        """A team word that names no team and no breakdown: 'Erik Hansen's team pipeline' is the team of
        the person named; 'team revenue', 'the team's win rate', 'our team', 'teamets pipeline' the asker's."""
        if out.my_team or "team" in out.filters or "team" in out.group_by:
            return
        for i, t in enumerate(toks):
            if t.word in lx.REP_WORDS and "owner" in out.filters and len(out.filters["owner"]) == 1 and i > 0 \
                    and toks[i - 1].used and toks[i - 1].word not in lx.OUR and not out.group_by:
                out.team_of = True  # "which of Elin's reps …": the reps of her team, one by one
                out.group_by = ["owner"]
                t.used = True
                top = next((w for w in toks if not w.used and w.word in lx.TOP_WORDS), None)
                if top is not None:  # "… has the lowest attainment": the one
                    out.order, out.ranked, out.limit, top.used = lx.TOP_WORDS[top.word], True, 1, True
                return
            if t.used or t.word not in lx.TEAM_CUES | lx.ORG_WORDS:
                continue
            if "owner" in out.filters and len(out.filters["owner"]) == 1 and i > 0 and toks[i - 1].used \
                    and toks[i - 1].word not in lx.OUR:
                out.team_of = True  # ("Erik Hansen's team", "Eriks hold": the words before it named him)
            elif "owner" not in out.filters and not (i > 0 and _names_someone(toks[i - 1])):
                out.mine = out.my_team = True
            else:
                return  # ("Erik's team" with no Erik known, or two: asked about, never the asker's team)
            t.used = True
            if i > 0 and toks[i - 1].word in lx.OUR:
                toks[i - 1].used = True
            return

    @staticmethod
    def _those(toks: list[Token], out: Parsed) -> None:
        """'win rate for those?', 'og for dem?', 'för dessa säljare': the previous answer's groups."""
        words = [t.word for t in toks]
        for i, w in enumerate(words):
            if w in lx.THOSE and not toks[i].used and (i == 0 or words[i - 1] in lx.THOSE_BEFORE or w in lx.THOSE_ALONE):
                out.those = out.follow_up = True
                toks[i].used = True
                if i > 0 and words[i - 1] in lx.THOSE_BEFORE:
                    toks[i - 1].used = True
                if i + 1 < len(toks) and words[i + 1] in lx.TEAM_WORDS | lx.REP_WORDS | {"regions", "regioner"}:
                    toks[i + 1].used = True
                return

    # ------------------------------------------------------------ filters

    def _stage_band(self, toks: list[Token], out: Parsed, values: ValueIndex) -> None:
        """'early-stage deals' / 'i et sent skede': a filter on the stages whose default probability (the
        catalog's stage_probability) is at most EARLY_STAGE, or at least LATE_STAGE ('late' is no risk here)."""
        for a, b in zip(toks, toks[1:]):
            band = lx.STAGE_BANDS.get((a.word, b.word))
            if band is None or a.used or b.used:
                continue
            defaults = {str(k).lower(): float(v) for k, v in self.catalog.setting("stage_probability", {}).items()}
            stages = [s for s in values.values_of("stage") if s.lower() in defaults
                      and (defaults[s.lower()] <= EARLY_STAGE if band == "early" else defaults[s.lower()] >= LATE_STAGE)]
            if stages:
                out.filters["stage"] = stages
                a.used = b.used = True
            return

    def _filters(self, toks: list[Token], out: Parsed, values: ValueIndex) -> None:
        """Longest phrases first: 'UK and Ireland' before 'UK'; exact before fuzzy."""
        found: list[tuple[str, str, list[Token], bool]] = []  # (dimension, value, its words, left out)
        for t in toks:  # a country code in capitals ("SE", "DE"); in lower case it is a word ("se", "de")
            if not t.used and len(t.text) == 2 and t.text.isupper() and t.text in values.codes:
                out.filters.setdefault("country", []).append(values.codes[t.text])
                t.used = True
        for fuzzy in (False, True):
            for n in range(values.max_words, 0, -1):
                free = [t for t in toks if not t.used]
                for i in range(len(free) - n + 1):
                    window = free[i:i + n]
                    if any(t.used for t in window) or not _adjacent(toks, window):
                        continue
                    phrase = " ".join(t.text.lower() for t in window)
                    if n == 1 and (phrase in lx.STOPWORDS or len(phrase) < 2):
                        continue
                    hits = values.lookup(phrase, fuzzy=False)
                    if not hits and phrase.endswith("s") and len(phrase) > 3:  # Danish/Swedish genitive: "Bobs"
                        hits = [h for h in values.lookup(phrase[:-1], fuzzy=False) if h[0] in ("owner", "account")]
                    if not hits:  # the spelling-corrected words, then fuzzily
                        hits = values.lookup(" ".join(t.word for t in window), fuzzy=fuzzy and n <= 3)
                    hits = [h for h in hits if self._plausible(h, window, toks)]
                    if not hits:
                        continue
                    dim, value = hits[0]
                    cue = self._excluding(toks, window)
                    if cue and dim in ("owner", "account"):
                        continue  # every other rep or account is no filter to list; left unused, and said
                    found.append((dim, value, window, bool(cue)))
                    for t in [*window, *cue]:
                        t.used = True
                        t.neutral = dim in ("owner", "account")
                    self._its_noun(toks, window, dim)
        self._apply_values(toks, found, out, values)

    @staticmethod
    def _apply_values(toks: list[Token], found: list, out: Parsed, values: ValueIndex) -> None:
        """The values found, as filters; a value left out ("excluding DACH and UK & Ireland", the later
        ones joined to it by and/or/commas too) is every other value of its dimension."""
        found.sort(key=lambda f: toks.index(f[2][0]))
        for k in range(1, len(found)):  # "excl. DACH and UK & Ireland": a list after the cue is left out whole
            dim, value, window, cut = found[k]
            prev = found[k - 1]
            between = toks[toks.index(prev[2][-1]) + 1:toks.index(window[0])]
            if prev[3] and prev[0] == dim and not cut and all(t.word in lx.CONJUNCTIONS | {",", "or", "eller"}
                                                               for t in between):
                found[k] = (dim, value, window, True)
        for dim, value, _, cut in found:
            if not cut and value not in out.filters.setdefault(dim, []):
                out.filters[dim].append(value)
        for dim in {f[0] for f in found if f[3]}:
            left = {f[1] for f in found if f[0] == dim and f[3]}
            kept = [v for v in out.filters.get(dim, []) if v not in left]
            out.filters[dim] = kept or [v for v in values.values_of(dim) if v not in left]

    @staticmethod
    def _excluding(toks: list[Token], window: list[Token]) -> list[Token]:
        """The words that leave the value out ('excluding', 'not including the', 'uden for'), when they
        stand just before it; else none."""
        at = toks.index(window[0])
        for skip in (0, 1):  # "excluding the renewals", "utom alla partneraffärer"
            if skip and (at < 1 or toks[at - 1].word not in lx.STOPWORDS):
                break
            for cue in lx.EXCLUDING:
                start = at - skip - len(cue)
                if start >= 0 and tuple(t.word for t in toks[start:at - skip]) == cue:
                    return toks[start:at]
        return []

    def _its_noun(self, toks: list[Token], window: list[Token], dim: str) -> None:
        """'the retail industry', 'inbound source', 'software companies': the words after a value
        that name its dimension (or, after a segment or industry, the customers) say nothing more;
        nor does 'team' before or after a team's name ('team Nordics SMB')."""
        after = toks.index(window[-1]) + 1
        if dim == "team":
            before = toks.index(window[0]) - 1
            for k in (before, after):
                if 0 <= k < len(toks) and toks[k].word in lx.TEAM_CUES:
                    toks[k].used = True
            return
        named, words = self._dimension(toks[after:], 0)
        if named == dim or named == "account" and dim in ("segment", "industry", "country", "region"):
            for t in words:
                t.used = True

    @staticmethod
    def _plausible(hit: tuple[str, str], window: list[Token], toks: list[Token]) -> bool:
        dim = hit[0]
        if dim == "team":  # team names reuse region and segment words: only beside "team"/"hold"/"lag", or
            if len(window) > 1 and " ".join(t.text for t in window).lower() == normalise(hit[1]).lower():
                return True  # its whole name ("Nordics SMB mod Nordics Mid-Market", "pipeline in nordics smb"): the team
            i, j = toks.index(window[0]), toks.index(window[-1])
            return i > 0 and toks[i - 1].word in lx.TEAM_CUES or j + 1 < len(toks) and toks[j + 1].word in lx.TEAM_CUES
        if dim == "owner" and len(window) == 1 and window[0].text.islower() and window[0].word in lx.STOPWORDS:
            return False
        if dim == "type" and len(window) == 1:  # "a new sales rep", "I'm new here": a person new here, no deal type
            i = toks.index(window[0])
            return not (i + 1 < len(toks) and toks[i + 1].word in lx.NEW_PERSON) and not (
                window[0].word in lx.NEW_WORDS and (i + 1 < len(toks) and toks[i + 1].word in lx.NEW_HERE
                                                    or i > 0 and toks[i - 1].word in lx.I_AM))
        return True

    # ------------------------------------------------------------ what is left

    def _leftovers(self, toks: list[Token], out: Parsed, values: ValueIndex) -> None:
        """Names nobody knows (capitalised words), and a first name written in lower case that is
        someone's ("jonas's pipeline"): asked about, never left out of a figure in silence."""
        for _i, t in enumerate(toks):
            if t.subject and not t.used:  # "what did bob close" with no Bob: who is asked back
                out.unknown.append(t.text.capitalize())
                continue
            w = t.word
            name = "" if t.used else next((n for n in (w, w[:-2] if w.endswith("'s") else "", w[:-1] if w.endswith("s")
                                                        else "") if n and n in first_names(values)), "")
            if name and t.text[:1].islower() and name not in lx.STOPWORDS:
                out.unknown.append(name.capitalize())
                continue
            bare = t.word.removesuffix("'s")  # "Jonas's pipeline" with two Jonases: asked about, as "Jonas" is
            if t.used or not t.text[:1].isupper() or not bare.isalpha():
                continue
            if bare in lx.STOPWORDS or bare in self.base_vocab or t.text.isupper() and len(t.text) <= 3:
                continue
            genitive = bare.endswith("s") and bare[:-1] in first_names(values)  # "Eriks win rate": Erik's
            out.unknown.append(t.text[:len(bare) - 1] if genitive else t.text.removesuffix("'s"))

    def _other_subject(self, toks: list[Token], out: Parsed) -> None:
        """'how many support cases were opened last month' is not about deals, though 'opened' names
        deals created: a word the reading left that names another table's things (cases, tickets,
        leads, survey answers) makes it a question back, offering the KPIs over that table first
        ('how many tickets did we get?', with no KPI at all, too: it is about our data)."""
        tables = required_tables(self.catalog.kpis[out.metric], self.catalog) if out.metric else set()
        named = [t for t in toks if not t.used and t.word in lx.SUBJECTS]
        other = next((lx.SUBJECTS[t.word] for t in named if lx.SUBJECTS[t.word] not in tables), None)
        for t in named:  # "NPS from the survey": the KPI's own things; "support cases": what is asked about
            t.used = lx.SUBJECTS[t.word] in tables or lx.SUBJECTS[t.word] == other
        if other is None:
            return
        about = [k for k, kpi in self.catalog.kpis.items() if other in required_tables(kpi, self.catalog)]
        out.suggestions = list(dict.fromkeys([*about[:3], *([out.metric] if out.metric else [])]))
        out.metric, out.more_metrics, out.other_subject = None, [], other

    def _no_metric(self, toks: list[Token], out: Parsed) -> None:
        """No KPI found: a follow-up if it has other slots, else ask back if it sounds like a KPI question.
        A ranking without a measure ('our best reps this year') offers the usual measures of one."""
        if out.group_by and out.ranked:  # ("who has the most deals": of the counts of deals)
            counted = any(t.word in lx.DEAL_NOUNS for t in toks)
            out.suggestions = ["open_deals", "deals_won", "deals_created"] if counted else \
                list(lx.RANK_MEASURES.get(out.group_by[0], lx.RANK_MEASURES[None]))
        if out.follow_up or out.has_slots and len([t for t in toks if not t.used]) <= 3:
            out.follow_up = True
            return
        rest = " ".join(t.word for t in toks if not t.used and t.word not in lx.STOPWORDS)
        out.suggestions = self._suggest(rest)
        kpi_like = (out.has_slots or any(t.word in KPI_HINTS for t in toks) or out.period_error
                    or lx.WHAT_IS_OUR.match(" ".join(t.word for t in toks)))
        out.kind = "clarify" if kpi_like and rest else "help"

    def _suggest(self, text: str, n: int = 3) -> list[str]:
        if not text:
            return []
        names = {" ".join(p): kid for p, kid, _ in self.metric_phrases}
        words = set(text.split())
        sharing = [name for name in names if words & set(name.split())]
        pool = sharing or list(names)  # "flurbo rate": the KPIs called something "rate" first
        hits = process.extract(text, pool, scorer=fuzz.token_set_ratio, limit=20, score_cutoff=30)
        return list(dict.fromkeys(names[h[0]] for h in hits))[:n]


# ---------------------------------------------------------------- helpers

RELATIVE = {"that", "which", "der", "som"}  # "deals that close", "aftaler der lukker", "affärer som stänger"
# Inflected KPI words that are common words too, still read as the KPI word ("omsætningen").
INFLECTED_NAMES = frozenset()

@lru_cache(maxsize=20_000)
def _closest_cached(word: str, vocab: frozenset[str]) -> str:
    if is_word(word) and word not in INFLECTED_NAMES:  # "median" is a word, not an inflected "media"
        return word
    inflected = [v for v in vocab if v[:2] == word[:2] and like(word, v)]
    best = process.extractOne(word, vocab, scorer=fuzz.ratio, score_cutoff=82)
    typo = best[0] if best and abs(len(best[0]) - len(word)) <= 2 else None
    if inflected:  # an inflection of a known word ("kvartalt", "pipelinen"): the known word,
        known = max(inflected, key=len)  # unless a longer one is a letter away ("nordcs": "nordics", not "nord")
        return typo if typo and best[1] >= 90 and len(typo) > len(known) else known
    return typo or word


def _closest(word: str, vocab: frozenset[str]) -> str:
    return _closest_cached(word, vocab)


def _names_someone(tok: Token) -> bool:
    """Does the word before "team" name someone not known ("Bos team", "Kim's team"), rather than
    being a word of the question ("hur ligger teamet till", "the team")?"""
    if tok.used or tok.word in lx.OUR | lx.STOPWORDS:
        return False
    return tok.word.endswith(("'s", "’s")) or tok.text[:1].isupper() or not is_word(tok.word)


def _covered(toks: list[Token], span: tuple[int, int]) -> list[Token]:
    a, b = span
    return [t for t in toks if t.start < b and t.start + len(t.word) > a]


def _use_span(toks: list[Token], span: tuple[int, int]) -> None:
    for t in _covered(toks, span):
        t.used = True


def _modifier(toks: list[Token], i: int) -> bool:
    """Is the word at i "sales" before rep, team, enablement and the like: what kind, not revenue?"""
    return 0 <= i < len(toks) - 1 and toks[i].word in lx.SALES_ADJECTIVE and toks[i + 1].word in lx.SALES_NOUNS


def first_names(values: ValueIndex) -> frozenset[str]:
    """The first words of the reps' names (made once per index)."""
    if values.first_names is None:
        values.first_names = frozenset(k.split()[0] for k, hits in values.exact.items()
                                       if " " in k and any(d == "owner" for d, _ in hits))
    return values.first_names


def _adjacent(toks: list[Token], window: list[Token]) -> bool:
    idx = [toks.index(t) for t in window]
    return idx == list(range(idx[0], idx[0] + len(idx)))


def _relative_expr(expr: tuple, cal: Calendar) -> str:
    """'Q3 last year' → 'q3 2025', 'Q1 next year' → 'q1 2027'; 'since March' → '2026-03-01..as_of'; 'March to May' → a range.
    A month without a year is the latest such month that has started."""
    kind = expr[0]
    if kind == "of_year":
        return f"{expr[1]} {cal.fiscal_year_of(cal.as_of) + lx.year_offset(expr[2])}"
    if kind == "years_ago":
        return str(cal.fiscal_year_of(cal.as_of) - expr[1])
    if kind in ("quarter_range", "since_quarter"):
        # "Q2 to Q3 2025": the year said last is the first's too (the year before, for "Q4 to Q1 2026")
        later = kind == "quarter_range" and expr[4]
        first = _quarter(expr[1], expr[2] or (later and str(int(later) - (expr[1] > expr[3]))), cal)
        if first is None:
            return f"q{expr[1]} {expr[2]}"  # a quarter that does not parse: asked back with its reason
        if kind == "since_quarter":
            return f"{first.start.isoformat()}..{cal.as_of.isoformat()}"
        last = _quarter(expr[3], expr[4] or (str(first.start.year + (expr[3] < expr[1])) if expr[2] else None), cal)
        if last is None or last.start < first.start:
            return f"q{expr[1]}..q{expr[3]}"  # "Q3 to Q1" of one year: no such span, asked back
        return f"{first.start.isoformat()}..{last.nominal_end.isoformat()}"
    if kind == "week":
        return _iso_week(expr[1], expr[2], cal)
    if kind == "month_number":
        return lx.MONTH_NAMES_EN[expr[1] - 1] if 1 <= expr[1] <= 12 else f"month {expr[1]}"
    if kind == "since_month":
        start = _latest_month_start(expr[1], expr[2], cal)
        return f"{start.isoformat()}..{cal.as_of.isoformat()}"
    if kind == "since_day":  # "siden 1. juli": that day of the latest such month begun (no such day: asked back)
        month = _latest_month_start(expr[2], expr[3], cal)
        try:
            start = month.replace(day=expr[1])
        except ValueError:
            return f"{month.year}-{expr[2]:02d}-{expr[1]:02d}"
        return f"{start.isoformat()}..{cal.as_of.isoformat()}"
    _, m1, y1, m2, y2 = expr
    start = _latest_month_start(m1, y1, cal)
    end_year = int(y2) if y2 else (start.year if m2 >= m1 else start.year + 1)
    if not (y1 or y2) and date(end_year, m2, 1) > cal.as_of:  # "November to February": the latest begun
        start, end_year = date(start.year - 1, m1, 1), end_year - 1
    end = date(end_year + (m2 == 12), m2 % 12 + 1, 1) - timedelta(days=1)
    return f"{start.isoformat()}..{end.isoformat()}"


def _quarter(q: int, year: str | None, cal: Calendar):  # noqa: ANN202 (a Period or None)
    """Quarter q of `year`, or the latest such quarter that has started."""
    try:
        return parse_period(f"q{q} {year}" if year else f"q{q}", cal)
    except PeriodError:
        return None


def _count_beside(toks: list[Token], i: int) -> Token | None:
    """A number said just before or after toks[i] ("top 5", "de 3 bedste"): how many rows are asked for."""
    near = [toks[j] for j in (i - 1, i + 1) if 0 <= j < len(toks)]
    return next((t for t in near if not t.used and t.word.isdigit() and 0 < int(t.word) <= 1000), None)


def _coming_week(week: int, cal: Calendar) -> str | None:
    """This year's ISO week `week` when it has not begun ("aftaler der lukker i uge 48" in week 47)."""
    try:
        monday = date.fromisocalendar(cal.as_of.isocalendar().year, week, 1)
    except ValueError:
        return None
    return f"{monday.isoformat()}..{(monday + timedelta(days=6)).isoformat()}" if monday > cal.as_of else None


def _nearest(period: str, cal: Calendar) -> str | None:
    """A month or quarter said without a year, for close dates ahead (open deals, pipeline): the one
    nearest today, not the latest begun. In November, "December" is next month and "Q1" the coming
    quarter (a year ago, only deals left overdue close then); "October" is still the one just ended."""
    said = period.strip().lower()
    if said in lx.MONTH_NAMES_EN:
        years = [cal.as_of.year - 1, cal.as_of.year, cal.as_of.year + 1]
    elif re.fullmatch(r"q[1-4]", said):
        fy = cal.fiscal_year_of(cal.as_of)
        years = [fy - 1, fy, fy + 1]
    else:
        return None
    def distance(p) -> int:  # noqa: ANN001 (a Period)
        return 0 if p.start <= cal.as_of <= p.nominal_end else min(abs((p.start - cal.as_of).days),
                                                                   abs((p.nominal_end - cal.as_of).days))
    options = []
    for y in years:
        try:
            options.append((f"{said} {y}", parse_period(f"{said} {y}", cal)))
        except PeriodError:
            continue
    return min(options, key=lambda o: distance(o[1]))[0] if options else None


def _iso_week(week: int, year: str | None, cal: Calendar) -> str:
    """ISO week `week` (Monday to Sunday) of `year`, or the latest such week that has started; a week
    no year has ("uge 60") stays as said, so that it is asked back."""
    years = [int(year)] if year else [cal.as_of.isocalendar().year, cal.as_of.isocalendar().year - 1]
    for y in years:
        try:
            monday = date.fromisocalendar(y, week, 1)
        except ValueError:
            continue
        if monday <= cal.as_of or year:
            return f"{monday.isoformat()}..{(monday + timedelta(days=6)).isoformat()}"
    return f"week {week}"


def _latest_month_start(month: int, year: str | None, cal: Calendar) -> date:
    if year:
        return date(int(year), month, 1)
    start = date(cal.as_of.year, month, 1)
    return start if start <= cal.as_of else date(cal.as_of.year - 1, month, 1)


def _amount(number: str, unit: str | None) -> float | None:
    """'100' 'k' → 100000; '100.000' → 100000; '1,5' 'm' → 1500000 (a separator before exactly
    three digits groups thousands, otherwise it is the decimal mark)."""
    text = number.replace("\u00a0", " ")
    if re.fullmatch(r"\d{1,3}(?:[ .,]\d{3})+", text):
        text = re.sub(r"[ .,]", "", text)
    else:
        text = text.replace(" ", "").replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value * lx.AMOUNT_UNITS.get(unit or "", 1.0)


def _amount_span(question: str) -> tuple[float, float, str | None, set[str]] | None:
    """'between 50k and 100k' (a unit said once is both bounds'): (low, high, currency, its words)."""
    m = lx.AMOUNT_BETWEEN.search(question)
    if m is None:
        return None
    lo, hi = _amount(m.group("lo"), m.group("lo_unit") or m.group("unit")), _amount(m.group("hi"), m.group("unit"))
    if lo is None or hi is None or lo >= hi:
        return None
    return lo, hi, _currency(m), set(tokens(normalise(m.group(0)).lower()))


def _currency(m: re.Match) -> str | None:
    """The currency an amount match says ("$", "kr", "tkr", "usd"), as CURRENCIES names it; None: unsaid."""
    said = m.group("pre") or m.group("cur") or ("tkr" if m.group("unit") == "tkr" else None)
    return lx.CURRENCIES.get(said.strip()) if said else None


def _plural(word: str) -> bool:
    return word.endswith(("s", "er", "erne", "ar", "arna", "or", "orna"))
