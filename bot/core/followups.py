"""Follow-ups that change more than a slot of the last question (Conversation.merge does those):

- the deals behind a figure: "show me the deals" after "pipeline this quarter" lists the open deals
  closing this quarter, in the same scope;
- a list of deals narrowed: "only the ones over 100k", "which are stalled?", "kun dem i forhandling";
- a breakdown ranked: "which one is the lowest?" after "win rate by region".

Each is read with the parser itself (the deal follow-up as a question about deals), so it means
what the same words mean anywhere else.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from datetime import timedelta

from bot.core.conversation import Conversation
from bot.metrics.context import FACTS
from bot.errors import PeriodError
from bot.metrics.periods import UNIT_MONTHS, Calendar, add_months, parse_period
from bot.nlu import lexicon as lx
from bot.nlu.parser import DealSpec, Parsed, Parser
from bot.nlu.values import ValueIndex

# A follow-up on a list is read as a list of its own ("only lost ones": "show deals only lost ones").
LIST_DEALS = {"en": "show deals", "da": "vis aftaler", "sv": "visa affärer"}
# "show more", "the next 10", "vis flere", "visa nästa 5": the same list, further down.
MORE = re.compile(r"^\s*(?:and\s+|og\s+|och\s+)?(?:show\s+(?:me\s+)?|list\s+|vis\s+(?:mig\s+)?|visa\s+(?:mig\s+)?)?"
                  r"(?:(?:some\s+)?more|(?:the\s+)?next\s+(?P<n1>\d+)|(?P<n2>\d+)\s+more|flere|fler|"
                  r"(?:de\s+)?næste\s+(?P<n3>\d+)|(?:de\s+)?nästa\s+(?P<n4>\d+))(?:\s+(?:deals|ones|aftaler|affärer))?"
                  r"\s*(?:please|tak|tack)?\s*[?.!]*$", re.I)
# "and lost?", "og tabte?", "och förlorade?" after a count of deals: the other outcome, as asked before.
OUTCOME_SWAP = re.compile(r"^\s*(?:and|og|och|what about|hvad med|hur är det med)\s+(?:the\s+|de\s+)?"
                          rf"(?P<word>{'|'.join(lx.OUTCOME_KPI)})"
                          r"(?:\s+(?:ones|deals|aftaler|affärer))?\s*[?.!]*$", re.I)
NAMES_DEALS = re.compile(r"\b(?:deals?|opportunit\w*|opps?|aftaler?\w*|affär\w*|salgsmulighed\w*)\b", re.I)
# "vs target?", "og mod budget?", "och mot målet?" after revenue, pipeline or forecast: set against the target
TARGET_AGAIN = re.compile(r"^\W*(?:and\s+|og\s+|och\s+|what about\s+|how about\s+)?(?:" + lx.AGAINST_TARGET.pattern
                          + r")\W*$", re.I)
AGAINST = {"revenue": "quota_attainment", "pipeline": "pipeline_coverage"}  # (the forecast: beside the target)
# "how many are there?", "hvor mange er der?", "hur många är det?": the last list's count, which its headline says.
HOW_MANY_THERE = re.compile(r"^\s*(?:and\s+|og\s+|och\s+)?(?:how many (?:are there|is that|of them|in all|in total)|"
                            r"hvor mange (?:er der|er det|af dem|i alt)|hur många (?:är det|finns det|av dem|totalt))"
                            r"\s*[?.!]*$", re.I)
# The deals a KPI is made of, as a list shows them: their status (created: by created date, any status).
BEHIND = {"pipeline": "open", "open_deals": "open", "weighted_pipeline": "open", "pipeline_coverage": "open",
          "revenue": "won", "deals_won": "won", "avg_deal_size": "won", "sales_cycle_days": "won",
          "deals_lost": "lost", "win_rate": "closed", "deals_created": "created",
          "quota_attainment": "won"}  # (what attainment booked: the deals won)
# A list's count as a KPI, by the list's status.
# "chart it", "show it as a graph", "as a table", "vis det som graf", "som tabell": how, not what
SHOWN_AS = re.compile(r"^(?:(?:can you |could you |please |kan du |pls )?(?:show|give|draw|plot|chart|graph|vis|visa|"
                      r"tegn|rita|make)?\s*(?:me\s+|mig\s+)?(?:it|that|this|them|det|den|dem|dette|detta)?\s*"
                      r"(?:as|in|som|i)?\s*(?:a|an|en|et|ett)?\s*(?:chart|graph|plot|diagram|table|tabel|tabell|graf)\w*"
                      r"(?:\s+(?:it|that|this|please|tak|tack|det|den)){0,2}|(?:chart|graph|plot) (?:it|that|this))\s*[?.!]*$", re.I)
# Words that point back at the deals of the last answer.
THOSE_DEALS = re.compile(
    r"\b(?:the|those|these|its|underlying)\s+(?:deals|opportunities|opps)\b|\b(?:show|list|see)\s+(?:me\s+)?"
    r"(?:them|those|which ones)\b|\bwhich (?:deals|ones)\b|\baftalerne\b|\b(?:de|disse|hvilke)\s+aftaler\b|"
    r"\bvis\s+(?:mig\s+)?dem\b|\baffärerna\b|\b(?:de|dessa|vilka)\s+affärer(?:na)?\b|\bvisa\s+(?:mig\s+)?dem\b|"
    r"\b(?P<of>(?:which|who|hvilke|hvem|vilka|vem)\s+(?:of|af|av)\s+(?:them|those|these|dem|disse|dessa|dom))\b", re.I)
# ... of which "which deals" / "hvilke aftaler" also begins a question of its own
WEAK_POINTER = re.compile(r"(?:which|hvilke|vilka)\b", re.I)
_DEFAULT = DealSpec()
# "what's the total?", "hvad var de værd?", "vad är summan?": the amount of the deals just listed or counted
TOTAL = re.compile(r"^\W*(?:and\s+|og\s+|och\s+|so\s+)?(?:what(?:'s| is| are) (?:the |their |its )?(?:total|sum|value|"
                   r"total value|combined value|amount|total amount)(?: of (?:them|those|these|it))?|(?:the\s+)?total"
                   r"(?:\s+value|\s+amount)?|sum|how much (?:are|were) (?:they|those|these) worth|"
                   r"what (?:are|were) (?:they|those|these|the deals|them) worth|"
                   r"hvad er (?:den samlede værdi|summen|det samlede beløb|de værd)|hvad var de værd|hvor meget er de værd|"
                   r"(?:den )?samlede? (?:værdi|beløb)|i alt|summen|vad är (?:summan|totalen|det totala värdet|de värda)|"
                   r"hur mycket är de värda|vad var de värda|totalt|summan)"
                   r"(?:\s+(?:in total|altogether|together|combined|samlet|i alt|tilsammen|sammanlagt|totalt|"
                   r"tillsammans))?\W*$", re.I)
WEIGHTED = re.compile(r"^\W*(?:and\s+|og\s+|och\s+)?(?:the\s+|den\s+)?(weighted|vægtet|vægtede|viktad|viktade|viktat|"
                      r"vägd|vägda|vägt|unweighted|uvægtet|uvægtede|oviktad|oviktade|oviktat|ovägd|ovägda|ovägt)(?:\s+(?:one|version|pipeline|pipe))?\W*$", re.I)
AVERAGE = re.compile(r"^\W*(?:and\s+|og\s+|och\s+)?(?:what(?:'s| is) )?(?:the\s+)?(?:average|avg|mean|gennemsnit|"
                     r"gennemsnittet|snittet|genomsnitt|genomsnittet)(?:\s+(?:deal|size|deal size|value))?\W*$", re.I)
# "only the open ones", "kun de åbne", "bara de vunna": a list's status said outright
STATUS_SAID = re.compile(r"\b(?:closed|lukkede|stängda|" + "|".join(
    w for w, kpi in lx.OUTCOME_KPI.items() if kpi != "deals_created") + r")\b", re.I)
SUMMED_LIST = {"open": "pipeline", "won": "revenue", "created": "pipeline_created"}  # a list's amount, by status
# a count's amount: the amount KPI of the deals the count is made of ("deals won": revenue)
SUMMED_COUNT = {kpi: SUMMED_LIST[BEHIND[kpi]] for kpi in set(lx.OUTCOME_KPI.values()) if BEHIND[kpi] in SUMMED_LIST}
HIS = re.compile(rf"\b(?:{'|'.join(lx.POSSESSIVES)})\b", re.I)
OTHERS = re.compile(r"\b(?:else|other|others|mere|ellers|andre|annat|andra|mer)\b", re.I)
# "vem har minst?", "hvem har mindst?", "who has the least?" after a breakdown (alone, "minst" is "at least")
LEAST = {"minst": "asc", "mindst": "asc", "mest": "desc"}
FURTHEST_BEHIND = re.compile(r"\b(?:furthest|farthest|most) behind|længst bagud|mest bagud|bagerst|längst efter|"
                             r"längst bak|mest efter\b|halter mest|släpar (?:efter )?mest|lagging (?:the )?most|"
                             r"most lagging", re.I)


# "o nästa?", "og sidste?", "and the previous one?" after a figure of a month, quarter or year: "next" and "last"
# as said of today ("last quarter"), after this/next/last one; "previous" and "following" (and either after a named
# one, "Q1") from that period
RELATIVE_UNITS = ("week", "month", "quarter", "year")  # "this/next/last …" as the period parser spells them
SHIFT = re.compile(r"^\W*(?:and|og|och|what about|how about|hvad med|hur är det med)?\s*(?:the\s+)?"
                   r"(?:(?P<next>next|næste|nästa)|(?P<last>last|sidste|förra)|"
                   r"(?P<following>following|kommende|kommande|efterfølgende|påföljande)|"
                   r"previous|prior|forrige|föregående)(?:\s+(?:one|en|ett|period))?\W*$", re.I)
# "who is behind?", "hvem halter efter?", "vem ligger efter?" after a figure: the reps behind on quota, in its scope
# ("who is furthest behind?": the lowest row, FURTHEST_BEHIND)
WHO_BEHIND = re.compile(r"^\W*(?:and\s+|og\s+|och\s+|so\s+|så\s+)?(?:who(?:'s|\s+is|\s+are)?|which\s+(?:reps?|ones?|of them)"
                        r"(?:\s+(?:is|are))?|hvem(?:\s+af\s+dem)?|hvilke(?:\s+sælgere)?|vem(?:\s+av\s+dem)?|"
                        r"vilka(?:\s+säljare)?)\s+(?:(?:is|are|er|ligger|är|halter|släpar)\s+)?"
                        r"(?:behind|bagud|bagefter|efter|halter efter|lagging)(?:\s+(?:on|against|mod|på|mot)"
                        r"\s+(?:quota|target|kvote|kvoten|budget|budgettet|kvot|kvoten|målet))?\W*$", re.I)
BEHIND_ON_QUOTA = "which reps are behind on quota"
WHO_ALONE = re.compile(r"^\W*(?:and\s+|og\s+|och\s+|so\s+|så\s+)?(?:who|hvem|vem)\b", re.I)


def follow_up(parser: Parser, parsed: Parsed, question: str, convo: Conversation | None, values: ValueIndex,
              cal: Calendar) -> Parsed | None:
    """The whole question a follow-up of these kinds asks, or None when it is none of them."""
    prev = convo.last if convo is not None else None
    if prev is None:
        return None
    listed = convo.earlier
    if prev.kind == "kpi" and prev.follow_up and listed is not None and listed.kind == "deals" \
            and prev.filters == listed.filters and (lx.SORT_BY.search(question) or MORE.match(question)):
        prev = listed  # "sortera efter belopp" after "how many are there?" of a list: that list, sorted
    lang = parsed.lang if parsed.lang_known else prev.lang
    if prev.kind == "kpi" and TARGET_AGAIN.match(question) and prev.metric in (*AGAINST, "weighted_pipeline"):
        if prev.metric == "weighted_pipeline":  # as "forecast vs target" reads (parser._gap)
            return replace(prev, question=parsed.question, lang=lang, more_metrics=[*prev.more_metrics, "quota"],
                           unused=[], follow_up=True)
        return replace(prev, question=parsed.question, lang=lang, metric=AGAINST[prev.metric], unused=[], follow_up=True)
    shift = SHIFT.match(question)
    moved = _shifted(prev.period, shift, cal) if shift and prev.kind in ("kpi", "deals") else None
    if moved is not None:
        return replace(prev, question=parsed.question, lang=lang, period=moved, unused=[], follow_up=True)
    if WHO_BEHIND.match(question) and prev.kind in ("kpi", "deals"):
        trial = parser.parse(BEHIND_ON_QUOTA, values, cal)
        fits = parser.catalog.kpis[trial.metric].dimensions
        by = prev.group_by if prev.group_by[:1] and prev.group_by[0] in fits else trial.group_by  # (after teams: teams)
        return replace(trial, question=parsed.question, lang=lang, filters=dict(prev.filters), group_by=by,
                       period=prev.period if prev.kind == "kpi" and prev.period else trial.period,
                       my_team=prev.my_team, team_of=prev.team_of, follow_up=True)
    summed = summed_up(prev, question, lang, convo.narrowed)  # (whole-question forms: "viktad pipeline?" names a KPI)
    if summed is not None or parsed.metric is not None:
        return summed
    if SHOWN_AS.match(question.strip()):  # "chart it", "as a table": the same answer, shown so
        return replace(prev, question=parsed.question, lang=lang, unused=[], follow_up=True)
    if prev.kind == "deals" and HOW_MANY_THERE.match(question):  # the count of the list's deals, as a KPI counts
        spec = prev.deal or DealSpec()  # them; a list no KPI counts (at risk, narrowed) again: its headline does
        metric = lx.DEAL_COUNT_OF.get(spec.status) if spec.date_field == "close" else None
        if metric is None or spec.risks or convo.narrowed:
            return replace(prev, question=parsed.question, lang=lang, unused=[], follow_up=True)
        return replace(prev, question=parsed.question, lang=lang, kind="kpi", metric=metric, deal=None, unused=[],
                       period=_listed_period(prev, metric), amount_min=spec.amount_min, amount_max=spec.amount_max,
                       amount_currency=spec.amount_currency, follow_up=True)
    more = MORE.match(question) if prev.kind == "deals" else None
    if more:  # the list again, as far again as asked (the first rows are shown again with the next)
        spec = prev.deal or DealSpec()
        n = int(next((g for g in more.group("n1", "n2", "n3", "n4") if g), 10))
        return replace(prev, question=parsed.question, lang=lang, unused=[], follow_up=True,
                       deal=replace(spec, limit=min(spec.limit + n, 100)))
    those = THOSE_DEALS.search(question)
    if prev.kind == "deals" and those and not those.group("of") and (parsed.deal or _DEFAULT) == _DEFAULT and not (
            parsed.filters or parsed.period or parsed.group_by):  # "vis mig dem" after deals counted per rep, "show
        # me those deals" after a list: the list
        return replace(prev, question=parsed.question, lang=lang, group_by=[], limit=None, unused=parsed.unused,
                       follow_up=True)
    if prev.kind == "deals" and not prev.group_by and those and not those.group("of") and not (parsed.period
                                                                                            or parsed.group_by):
        narrowed = _narrowed(parser, prev, parsed, question, lang, values, cal)  # "show me those over 50k"
        if narrowed is not None:
            return narrowed
    same = not (parsed.filters or parsed.period or _other_deals(prev, parsed))
    if prev.kind == "deals" and prev.group_by and same:
        ranked = _ranked(prev, parsed, lang)  # "which rep has the most?" after deals counted per rep: the first
        if ranked is not None:
            return replace(ranked, order="desc")
    if prev.kind == "deals" and parsed.group_by and same:
        return _counted(prev, parsed, lang)
    if prev.kind == "deals" and parsed.kind == "deals" and HIS.search(question) and parsed.filters.get("owner"):
        # "show me her deals" after the rep with the most overdue deals: hers of that list
        return replace(prev, question=parsed.question, lang=lang, filters={**prev.filters, "owner": parsed.filters["owner"]},
                       group_by=[], limit=None, mine=False, my_team=False, unused=parsed.unused, follow_up=True)
    if prev.kind == "deals" and (parsed.kind != "deals" or not NAMES_DEALS.search(question)):
        # ("which are stalled?" reads as a list of its own, of every stalled deal: it narrows this one)
        return _narrowed(parser, prev, parsed, question, lang, values, cal)
    picked = convo.groups if prev.ranked and prev.limit else None  # "which one is the lowest?" then its deals
    if those and WEAK_POINTER.match(those.group(0)) and parsed.kind == "deals" and (
            parsed.period or parsed.mine or STATUS_SAID.search(question)):
        those = None  # "which deals have I lost this year?": a question of its own, not the figure's deals
    if prev.kind == "kpi" and prev.metric in BEHIND and those:
        said = those.group(0).lower().split()
        rest = f"{question[:those.start()]} {question[those.end():]}".strip(" ?.!")
        trial = parser.parse(f"{LIST_DEALS[lang]} {rest}", values, cal) if parsed.kind != "deals" and rest else None
        spec = trial.deal if trial is not None and trial.kind == "deals" else None
        if spec is not None and (not those.group("of") or spec.risks or spec.amount_min is not None
                                 or spec.amount_max is not None):
            parsed = replace(trial, question=parsed.question)  # "hvem af dem var over 200k?": those deals, narrowed
        elif those.group("of"):  # ("which of them is the lowest?": a ranking of whom the figure was about)
            those = None
    if prev.kind == "kpi" and prev.metric in BEHIND and those:
        return _behind(parser, prev, replace(parsed, unused=[w for w in parsed.unused if w.lower() not in said]), lang,
                       picked)
    if prev.kind == "kpi" and prev.metric in BEHIND and parsed.kind == "deals" and not (parsed.period or parsed.group_by) \
            and (parsed.those or HIS.search(question) or not (parsed.filters or parsed.mine) and len(question.split()) <= 6):
        # "vilka av dem är försenade?" after "pipeline by stage", "show me her deals" after the lowest rep,
        # "hvilke er gået i stå?" after a team's pipeline: the deals behind that figure (its period), so narrowed
        return _behind(parser, prev, parsed, lang, None if "owner" in parsed.filters else picked)
    if prev.kind == "kpi" and not prev.group_by and len(prev.filters.get("owner", [])) > 1 and not (
            parsed.group_by or parsed.filters or parsed.period):  # "which of them is the lowest?" after their pipeline
        ranked = _ranked(replace(prev, group_by=["owner"]), parsed, lang)
        if ranked is not None:
            return ranked
    if prev.kind == "kpi" and prev.group_by and parsed.group_by == ["owner"] != prev.group_by and \
            WHO_ALONE.search(question) and not set(re.findall(r"\w+", question.lower())) & lx.REP_WORDS:
        parsed = replace(parsed, group_by=list(prev.group_by))  # "hvem er lavest?" after teams: which team
    if prev.kind == "kpi" and prev.group_by and not (parsed.group_by and parsed.group_by != prev.group_by
                                                     or parsed.filters or parsed.period):  # ("which region is …")
        ranked = _past_line(parser, prev, parsed, question, lang, values, cal) or _ranked(prev, parsed, lang)
        if ranked is not None:
            return ranked
    if prev.kind == "kpi" and prev.metric in BEHIND and not (prev.group_by or parsed.group_by or parsed.filters
                                                             or parsed.period):
        ranked = _ranked(prev, parsed, lang)  # "top 5" after "open deals in DACH": its five biggest deals
        if ranked is not None:
            spec = DealSpec(order_by="amount", desc=ranked.order == "desc", limit=ranked.limit)
            return _behind(parser, prev, replace(parsed, deal=spec, unused=ranked.unused), lang)
    if prev.kind == "kpi" and not prev.group_by and parsed.group_by and not (parsed.metric or parsed.filters
                                                                              or parsed.period):
        ranked = _ranked(replace(prev, group_by=parsed.group_by), parsed, lang)  # "which team is furthest behind?"
        if ranked is not None:  # after DACH's attainment: DACH's teams, the lowest
            return ranked
    swap = OUTCOME_SWAP.match(question)
    if prev.kind == "kpi" and prev.metric in lx.DEAL_COUNT_KPIS and swap:  # "and lost?" after deals won
        return replace(prev, question=parsed.question, lang=lang, metric=lx.OUTCOME_KPI[swap.group("word").lower()],
                       unused=[], follow_up=True)
    return None


def _shifted(period: str | None, shift: re.Match, cal: Calendar) -> str | None:
    """The period a SHIFT word makes of `period` (None: it names no month, quarter, half or year)."""
    try:
        now = parse_period(period, cal) if period else None
    except PeriodError:
        return None
    if now is None:
        return None
    where, _, unit = period.partition(" ")
    if where in ("this", "next", "last") and unit in RELATIVE_UNITS and (shift["next"] or shift["last"]):
        return f"{'next' if shift['next'] else 'last'} {unit}"  # as said of today
    after = now.nominal_end + timedelta(days=1)
    months = UNIT_MONTHS.get(now.unit)
    if months is None and now.start.day == after.day == 1:  # a range of whole months: "and the one before?" after
        months = (after.year - now.start.year) * 12 + after.month - now.start.month  # "o nästa?"
    if months not in (1, 3, 6, 12):
        return None
    if shift["next"] or shift["following"]:
        start, end = after, add_months(after, months) - timedelta(days=1)
    else:
        start, end = add_months(now.start, -months), now.start - timedelta(days=1)
    return f"{start.isoformat()}..{end.isoformat()}"


def _other_deals(prev: Parsed, parsed: Parsed) -> bool:
    """Whether a question names deals of another kind than the last list's: "which rep has the most overdue
    deals?" after stalled deals by rep asks about the overdue ones."""
    if parsed.kind != "deals" or parsed.deal is None or prev.deal is None:
        return False
    said_status = STATUS_SAID.search(parsed.question) and parsed.deal.status != prev.deal.status
    return bool(said_status or parsed.deal.risks and set(parsed.deal.risks) != set(prev.deal.risks))


def summed_up(prev: Parsed, question: str, lang: str, narrowed: bool = False) -> Parsed | None:
    """'what's the total?' / 'hvad var de værd?' after a list or a count of deals: the amount KPI over the
    same deals (a list no KPI sums, with risk conditions, of closed deals, or `narrowed` to the deals the
    asker may see, again: its headline sums it);
    'weighted?' / 'unweighted?' after pipeline: the other one."""
    weighted = WEIGHTED.match(question)
    spec = prev.deal or DealSpec()
    if weighted and prev.kind == "deals" and spec.status == "open" and not spec.risks:
        prev = replace(prev, kind="kpi", metric="pipeline", deal=None, amount_min=spec.amount_min,  # "viktad
                       amount_max=spec.amount_max, amount_currency=spec.amount_currency)  # pipeline?" after a list
    if weighted and prev.metric in ("pipeline", "weighted_pipeline"):
        metric = "pipeline" if weighted.group(1).lower().startswith(("un", "uv", "ov")) else "weighted_pipeline"
        return replace(prev, question=question, lang=lang, metric=metric, unused=[], follow_up=True)
    if AVERAGE.match(question) and (prev.metric in ("revenue", "deals_won") or prev.kind == "deals"
                                    and spec.status == "won"):
        # "and the average?" after what was won: the average deal size of the same deals
        return replace(prev, question=question, lang=lang, kind="kpi", metric="avg_deal_size", deal=None, unused=[],
                       follow_up=True)
    if not TOTAL.match(question):
        return None
    metric = (SUMMED_LIST.get(spec.status if spec.date_field == "close" else "created") if prev.kind == "deals"
              else SUMMED_COUNT.get(prev.metric or ""))
    if prev.kind == "deals" and (spec.risks or metric is None or narrowed):  # the list, whose headline sums it
        return replace(prev, question=question, lang=lang, unused=[], follow_up=True)
    if metric is None:
        return None
    listed = prev.kind == "deals"  # (a list's amounts in the currency said: "over 100 tkr")
    return replace(prev, question=question, lang=lang, kind="kpi", metric=metric, deal=None, unused=[],
                   period=_listed_period(prev, metric) if listed else prev.period,
                   amount_min=spec.amount_min if listed else prev.amount_min,
                   amount_max=spec.amount_max if listed else prev.amount_max,
                   amount_currency=spec.amount_currency if listed else prev.amount_currency, follow_up=True)


def _listed_period(prev: Parsed, metric: str) -> str | None:
    """A KPI over a list's deals keeps the list's period; a list of won or lost deals with none is of all of
    them, not of the KPI's own default period ("what's the total?" after 1,573 deals won gave this quarter's)."""
    return prev.period or (None if metric in ("pipeline", "open_deals") else "all")


def _counted(prev: Parsed, parsed: Parsed, lang: str) -> Parsed:
    """'by stage' after a list of deals: how many of them there are by stage, when the count is a KPI
    (open, won or lost deals in the list's scope and period); a list with amount or risk conditions
    has none: by rep, its deals are counted per rep, else the breakdown is said to be left out."""
    spec = prev.deal or DealSpec()
    metric = lx.DEAL_COUNT_OF.get(spec.status) if spec.date_field == "close" else None
    if metric is None or spec.risks or spec.amount_min is not None or spec.amount_max is not None:
        if parsed.group_by[:1] and parsed.group_by[0] in lx.DEAL_GROUPS:  # "by rep" after stalled deals: counted per
            return replace(prev, question=parsed.question, lang=lang, group_by=parsed.group_by[:1], order="desc",  # "which
                           limit=parsed.limit, unused=parsed.unused, follow_up=True)  # rep has the most?": the first
        return replace(prev, question=parsed.question, lang=lang, follow_up=True,
                       unused=[*parsed.unused, *(w for w in parsed.used if w not in lx.STOPWORDS)])
    return replace(prev, question=parsed.question, lang=lang, kind="kpi", metric=metric, deal=None,
                   group_by=parsed.group_by, order=parsed.order, limit=parsed.limit, unused=parsed.unused,
                   follow_up=True)


def _narrowed(parser: Parser, prev: Parsed, parsed: Parsed, question: str, lang: str, values: ValueIndex,
              cal: Calendar) -> Parsed | None:
    """The last list with what the follow-up asks of deals: its amount, risk, status or order."""
    trial = parser.parse(f"{LIST_DEALS[lang]} {question}", values, cal)
    if trial.kind != "deals" or trial.deal is None:
        return None
    changed = {f.name: getattr(trial.deal, f.name) for f in fields(DealSpec)
               if getattr(trial.deal, f.name) != getattr(_DEFAULT, f.name)}
    if lx.SORT_BY.search(question):  # "sort by amount" after the stalled (longest unchanged first): the order said
        changed |= {"order_by": trial.deal.order_by, "desc": trial.deal.desc}
    if STATUS_SAID.search(question):  # "kun de åbne" after a list of deals won: the status said, default or not
        changed["status"] = trial.deal.status
    if not changed and trial.unused:
        return None  # (something this list's conditions do not say)
    if changed.get("status", "open") != "open" and prev.deal is not None and prev.deal.risks:
        # "and the lost ones?" after overdue deals: a risk is an open deal's, so the list is of all lost deals
        changed = {"risks": [], "order_by": _DEFAULT.order_by, "desc": _DEFAULT.desc} | changed
    if OTHERS.search(question):  # "what else did they win?" after "who closed the biggest deal": the rest too
        changed.setdefault("limit", _DEFAULT.limit)
    filters = {**prev.filters, **parsed.filters, **trial.filters}  # (parsed's: whom "they" pointed at)
    named = "owner" in trial.filters or "owner" in parsed.filters  # "only Karin's" after "my team's deals"
    return replace(prev, question=parsed.question, lang=lang, deal=replace(prev.deal or DealSpec(), **changed),
                   filters=filters, mine=prev.mine and not named,
                   my_team=prev.my_team and not named,
                   period=trial.period if trial.period is not None else prev.period, period_error=trial.period_error,
                   unknown=trial.unknown, unused=trial.unused, follow_up=True)


def _behind(parser: Parser, prev: Parsed, parsed: Parsed, lang: str,
            picked: tuple[str, list[str]] | None = None) -> Parsed:
    """The deals a figure was made of, in its scope and period, as a list; after a ranking cut to a few
    groups ("which one is the lowest?"), the deals of those (`picked`: the dimension and its values)."""
    spec = parsed.deal or DealSpec()
    if spec.amount_min is None and spec.amount_max is None and (prev.amount_min is not None or prev.amount_max is not None):
        # the figure was of deals of a size ("how many are there?" after the ones over 50k): so are its deals
        spec = replace(spec, amount_min=prev.amount_min, amount_max=prev.amount_max, amount_currency=prev.amount_currency)
    if spec.status == _DEFAULT.status and not spec.risks and not STATUS_SAID.search(parsed.question):
        # the figure's deals, unless the follow-up names a status of its own ("the won ones", "hans åbne aftaler")
        status = BEHIND[prev.metric]
        spec = replace(spec, status="any", date_field="created") if status == "created" else replace(spec, status=status)
    kpi = parser.catalog.kpis[prev.metric]
    period = parsed.period or prev.period or (kpi.default_period if kpi.default_period == "qtd" else None)
    if spec.risks:  # stalled or overdue deals are open ones, whenever they close: the figure's period is no close date
        period = parsed.period
    filters = {**prev.filters, **parsed.filters}
    if picked and picked[0] in FACTS["deals"][1]:  # (a dimension deals can be filtered by)
        filters[picked[0]] = list(picked[1])
    # the rep picked or pointed at ("show me her deals"), not "my team"
    named = "owner" in parsed.filters or "owner" in filters and picked is not None and picked[0] == "owner"
    return replace(prev, question=parsed.question, lang=lang, kind="deals", deal=spec, metric=None, more_metrics=[],
                   filters=filters, period=period, group_by=[], order=None, limit=None,
                   mine=prev.mine and not named, my_team=prev.my_team and not named,
                   ranked=False, unused=parsed.unused, follow_up=True)


def _past_line(parser: Parser, prev: Parsed, parsed: Parsed, question: str, lang: str, values: ValueIndex,
               cal: Calendar) -> Parsed | None:
    """'hvem ligger under 50%?', 'which are over 1m?', 'who has none?' after a breakdown: its rows past
    that line, read as the breakdown's own question would read it."""
    if not (lx.THRESHOLD.search(question.lower()) or lx.NOTHING.search(question.lower())):
        return None
    kpi, dim = parser.catalog.kpis[prev.metric], prev.group_by[0]
    trial = parser.parse(f"{kpi.names['en'][0]} by {parser.catalog.dimensions[dim]['en'][0]} {question}", values, cal)
    if trial.threshold is None or trial.metric != prev.metric:
        return None
    return replace(prev, question=parsed.question, lang=lang, threshold=trial.threshold, order=trial.order,
                   limit=None, unused=trial.unused, follow_up=True)


def _ranked(prev: Parsed, parsed: Parsed, lang: str) -> Parsed | None:
    """'which one is the lowest?', 'and the top 3?' after a breakdown: the same, ranked and cut."""
    words = re.findall(r"\w+", parsed.question.lower())
    behind = FURTHEST_BEHIND.search(parsed.question)  # "vem ligger längst efter?", "hvem halter mest?": the lowest
    order = "asc" if behind else next((lx.TOP_WORDS.get(w) or LEAST.get(w) for w in words
                                       if w in lx.TOP_WORDS or w in LEAST), None)
    if order is None:
        return None
    n = next((int(w) if w.isdigit() else lx.NUMBER_WORDS[w] for w in words if w.isdigit() or w in lx.NUMBER_WORDS), 1)
    said = {*lx.TOP_WORDS, *LEAST, *lx.NUMBER_WORDS, "one", "ones", "en", "ett", "den", "det",
            *(behind.group(0).lower().split() if behind else ())}  # ("visa de tre största": three)
    return replace(prev, question=parsed.question, lang=lang, order=order, limit=min(n, 1000), ranked=True,
                   unused=[w for w in parsed.unused if w.lower() not in said and not w.isdigit()], follow_up=True)
