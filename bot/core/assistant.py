"""The assistant: a question and an asker in, an Answer out. Every face calls this.

question → parse (offline) → follow-up context → identity and access → engine → Answer,
audited. It knows nothing of Slack, Teams or terminals.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Callable

from rapidfuzz import fuzz, process

from bot.access import (Denied, Grant, Identity, authorise, authorise_deals, direct_reports, identify, manager_of,
                        org_rows, team_people, team_scope)
from bot.core.answer import (Answer, change_answer, compare_answer, deals_answer, deals_per_group_answer, kpi_answer,
                             with_parts)
from bot.core.conversation import Conversation
from bot.core.understanding import (MEANING, NUMBER_KINDS, SNAPSHOT, WHY_ASKED, ChangeRanking, Clarify, DealList, Help,
                                     KpiQuestion, Parts, People, PlaybookQuestion, Understanding, understand)
from bot.core.fmt import kpi_name, note_text, period_words, scope_words
from bot.core.i18n import EXAMPLES, country_name, dimension_word, join_and, join_or, money, number, period_label, t
from bot.errors import PeriodError, PlanError, UnknownDimension, UserError, WarehouseTimeout
from bot.llm.model import question_budget
from bot.llm.narrate import Narrator
from bot.llm.understand import ModelReader, Refused, unsure
from bot.memory import give_back
from bot.metrics.context import Note
from bot.metrics.deals import DealQuery
from bot.metrics.engine import Engine, KpiResult, active_reps
from bot.metrics.periods import Calendar, Period, parse_period, shift_year
from bot.metrics.plan import QueryPlan, Threshold, sized_by_deals, zero_fact
from bot.nlu import lexicon as lx
from bot.nlu.compare import Comparison
from bot.nlu.forms import question_form
from bot.nlu.parser import Parsed, Parser
from bot.nlu.text import MAX_CHARS, clean_question, warm_up
from bot.nlu.values import ValueIndex, build_index
from bot.observability import observe_answer
from bot.playbook.service import Playbook
from bot.state import AuditLog

log = logging.getLogger("ccobot")
Stream = Callable[[str], None]  # a face's sink for text as the model writes it

FOLLOW_DIMS = ("region", "segment", "product_line", "owner", "month")
SNAPSHOT_LEAD = {"en": "Ours:", "da": "Vores:", "sv": "Våra:"}


def _narrowed(grant: Grant) -> Note:
    """The note of a breakdown by rep limited to the rows the asker may see."""
    short = "your_reports" if grant.narrowed == "your_reports" else "you"
    return Note("own_rows_only", (("whose", grant.narrowed), ("whose_short", short)))


def say_unused(answer: Answer, words: list[str]) -> None:
    """Words the answer did not use are listed (`unused`) and named in its text, never dropped."""
    if words:
        answer.unused = list(dict.fromkeys(words))
        note = t("left_out", answer.lang, words=join_or([f"“{w}”" for w in answer.unused], answer.lang).replace(
            f" {t('or', answer.lang)} ", f" {t('and', answer.lang)} "))
        answer.text += " " + note
        answer.summary = (answer.summary + " " + note) if answer.summary else ""


@dataclass
class Turn:
    """What one question resolved to, for the audit log."""

    who: Identity
    plan: QueryPlan | DealQuery | None = None
    granted: bool = False  # access allowed the question
    scope: frozenset[str] | None = None  # the owners it was computed over (None: everyone)


# The words that ask for a forecast, which the weighted pipeline answers (bot/metrics/catalog.yml)
PER_REP_MAX = 1000  # the most deals a list counts per rep (a DealQuery's limit): past it, the answer says so
FORECAST_WORDS = {"forecast", "prognose", "prognos", "prognosen", "prognoser", "projected", "expected", "forventet",
                  "förväntade", "forecasten"}


def _people_offered(question: str, reading: Understanding, answer: Answer) -> tuple[str, str, list[str]] | None:
    """"Flera heter Jonas: vem menar du, …?": the question, the name asked about and the people offered."""
    unknown = getattr(getattr(reading, "parsed", None), "unknown", None) or []
    if answer.kind != "clarify" or len(unknown) != 1 or not answer.followups:
        return None
    name = unknown[0]
    if all(f.casefold().startswith(f"{name.casefold()} ") for f in answer.followups):
        return question, name, list(answer.followups)
    return None


# "we", "our", "vi", "vores", "vår": for a manager, the company or their team? The company's figure, said so.
WE = re.compile(r"\b(?:we|our|us|we're|vi|vores|os|vår|vårt|våra|oss)\b", re.I)


class Assistant:
    def __init__(self, engine: Engine, audit: AuditLog | None = None, playbook: Playbook | None = None,
                 reader: ModelReader | None = None, narrator: Narrator | None = None) -> None:
        self.engine = engine
        self.reader = reader  # a language model reading what the offline parser could not (bot/llm)
        self.narrator = narrator  # a model-written, number-checked sentence under KPI answers (CCOBOT_NARRATE)
        self.catalog = engine.catalog
        self.parser = Parser(self.catalog)
        self.audit = audit
        self.playbook = playbook
        self.warming: str | None = None  # what warm_in_background has left to do (None: nothing)
        self._warm_thread: threading.Thread | None = None

    def warm(self) -> None:
        """Build the store's value index and load the language model before the first question."""
        store = self.engine.store
        store.cached("value_index", lambda: build_index(store))
        warm_up()

    def warm_in_background(self) -> None:
        """warm() on a thread, its progress in `warming` for /readyz: an instance takes questions once
        warm (a warehouse's value index reads millions of rows once; the first asker should not wait)."""
        self.warming = "warming up"

        def run() -> None:
            try:
                self.warm()
                self.warming = None
            except Exception:  # the same work is retried by the first question; readiness says it failed
                log.exception("warming up failed")
                self.warming = "warming up failed"

        self._warm_thread = threading.Thread(target=run, name="warm-up", daemon=True)
        self._warm_thread.start()

    def settle(self, timeout: float = 120.0) -> None:
        """Wait (at most `timeout` seconds in all) for the warm-up and the playbook's indexing to end.
        A process that exits while they run tears the interpreter down under their native code (Chroma,
        Arrow): a chat ended at once on a first start died of a segfault after its last answer."""
        deadline = time.monotonic() + timeout
        if self._warm_thread is not None:
            self._warm_thread.join(max(0.0, deadline - time.monotonic()))
        if self.playbook is not None:
            self.playbook.join(max(0.0, deadline - time.monotonic()))

    def ask(self, question: str, user: str | None = None, as_of: date | None = None,
            conversation: Conversation | None = None, stream: Stream | None = None) -> Answer:
        """`stream`, when the face can show text as it is written (Slack's chat streaming), is given
        a model-written answer's text piece by piece, already checked; the Answer still carries all of it."""
        started = time.perf_counter()
        question = clean_question(question)
        try:
            with question_budget():  # the reading, translation, writing and narration share 10 s
                answer = self._ask(question, user, as_of, conversation, stream)
                if self.narrator is not None:  # KPI and comparison answers of one part; "" on any failure
                    self.narrator.narrate(answer)
        except Exception:  # a bug: the user gets an apology and a reference, the log gets the detail
            ref = uuid.uuid4().hex[:8]
            log.exception("answering failed (ref %s)", ref)
            answer = Answer(question=question, kind="error", text=t("apology", "en", ref=ref))
        answer.elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
        observe_answer(answer, answer.elapsed_ms / 1000)  # every face's answers pass here once
        give_back()  # what the answer's masks and sums freed (at 1M deals 4 MB less held in `serve`)
        return answer

    # ------------------------------------------------------------ flow

    def _ask(self, question: str, user: str | None, as_of: date | None, convo: Conversation | None,
             stream: Stream | None = None) -> Answer:
        """The router: one typed understanding of the question, then its handler."""
        store = self.engine.store
        cal = Calendar(self.engine.as_of(as_of), store.fiscal_year_start_month)
        values: ValueIndex = store.cached("value_index", lambda: build_index(store))
        evidence = self.playbook.evidence if self.playbook is not None else None
        # (chat shorthand written out first: "pipe vs target", "hur mkt", "o nästa?")
        reading = understand(self.parser, lx.expand_shorthand(question), values, cal, convo, self._earlier, evidence)
        if convo is not None:
            convo.book = None  # (until this answer looks something up in the playbook)
        try:
            if self.reader is not None and unsure(reading, evidence):
                answer = self._model_reading(reading, user, as_of, convo, cal, stream)
            else:
                answer = self._answer(reading, user, as_of, convo, stream)
        except WarehouseTimeout as exc:  # no figure rather than a partial one
            lang = reading.parsed.lang
            answer = Answer(question=question, kind="error", lang=lang,
                            text=t("warehouse_timeout", lang, seconds=number(exc.seconds, lang)))
        if convo is not None:  # (a figure beside a playbook part counts as a figure: "what is NRR?")
            convo.answered = next((p.kind for p in [answer, *answer.parts] if p.kind in NUMBER_KINDS), answer.kind)
            if isinstance(reading, PlaybookQuestion) and reading.parsed.metric:
                convo.answered = "kpi"  # a KPI explained: "and ours?" asks for its figure
            asked_kpi = isinstance(reading, Clarify) and reading.reason == "metric" or isinstance(
                reading, Comparison) and not any(s.metric for s in reading.sides)  # "compare H1 2025 with H1 2026"
            convo.pending = question if asked_kpi and answer.kind == "clarify" else None
            convo.choices = _people_offered(question, reading, answer)
        return answer

    def _model_reading(self, offline: Understanding, user: str | None, as_of: date | None,
                       convo: Conversation | None, cal: Calendar, stream: Stream | None) -> Answer:
        """The language model's reading when the offline one is unsure, answered by the same handlers
        (access, engine, audit); the offline answer when the model gives none, with a note when it was
        down, slow or over budget."""
        role = identify(self.engine.store, user).role
        read = self.reader.read(offline, convo, role, cal)
        if isinstance(read, Refused):
            answer = self._answer(offline, user, as_of, convo, stream)
            if read.reason == "unavailable":
                answer.notes.append(t("llm_unavailable", answer.lang))
            return answer
        answer = self._answer(read, user, as_of, convo, stream)
        for part in [answer, *answer.parts]:
            part.engine = "llm"
        return answer

    def _answer(self, reading: Understanding, user: str | None, as_of: date | None, convo: Conversation | None,
                stream: Stream | None) -> Answer:
        """One understanding to its handler (or handlers, one per part)."""
        if isinstance(reading, Parts):  # in the question's order: "pipeline and win rate", "which KPIs …, and ours?"
            if len(reading.parts) == 1:
                return self._part(reading.parts[0], user, as_of, convo, stream)
            parts = [self._part(part, user, as_of, None) for part in reading.parts]
            if convo is not None:
                convo.remember_parts([p.parsed for p in reading.parts if isinstance(p, KpiQuestion)])
                book = next((p for p in reading.parts if isinstance(p, PlaybookQuestion)), None)
                convo.book = book  # "what is CAC?" (its passages and ours), then "tell me more"
            # the playbook not covering what a figure is asked beside: the figure leads, the note follows
            return with_parts(sorted(parts, key=lambda a: a.kind == "not_covered"))
        return self._part(reading, user, as_of, convo, stream)

    def _part(self, reading: Understanding, user: str | None, as_of: date | None,
              convo: Conversation | None, stream: Stream | None = None) -> Answer:
        """One reading to its handler."""
        if isinstance(reading, Comparison):
            return self._compare(reading, user, as_of, convo)
        parsed = reading.parsed
        if isinstance(reading, PlaybookQuestion):
            if convo is not None:
                if parsed.metric and not (convo.last and convo.last.metric == parsed.metric):
                    convo.remember(replace(parsed, kind="kpi"))  # "what does win rate mean?", then "and mine?"
                    # (after "og sidste kvartal?", "hvad betyder det?" keeps that question: "og churn?" is its)
                convo.book = reading  # ("tell me more" reads on from it, and on again)
            return self._playbook(reading, user, as_of, stream)
        if isinstance(reading, (Help, Clarify)):
            answer = self._without_numbers(reading)
            if answer.kind == "clarify":
                say_unused(answer, parsed.unused)
            if convo is not None and isinstance(reading, Clarify) and reading.reason == "unknown" and parsed.metric:
                convo.remember(replace(parsed, unknown=[], unused=[]))  # "which Jonas?" answered "Jonas Berg"
            return answer
        who = identify(self.engine.store, user)
        if isinstance(reading, DealList):
            return self._deal_list(parsed, Turn(who), as_of, convo)
        if isinstance(reading, ChangeRanking):
            return self._change(reading, who, as_of, convo)
        if isinstance(reading, People):
            answer = self._people(reading, who)
            if convo is not None:  # "what's their pipeline?" after "who is on my team?"
                convo.remember_people([r["rep_id"] for r in answer.rows if r.get("rep_id")])
            return answer
        return self._kpi(parsed, who, as_of, convo)

    def _people(self, reading: People, who: Identity) -> Answer:
        """'who is my manager?', 'who is on team Nordics SMB?', 'who reports to Elin?': from the reps table,
        about the person or team named, else the asker."""
        parsed, store, lang = reading.parsed, self.engine.store, reading.parsed.lang
        owner, team = parsed.filters.get("owner", []), parsed.filters.get("team", [])
        person = identify(store, owner[0]) if owner else None if team else who
        if person is not None and person.rep_id is None:  # the command line's admin, or no one matched
            return Answer(question=parsed.question, kind="clarify", lang=lang, text=t("who_unknown", lang))
        named = {"name": person.name if person else team[0]}
        if reading.ask == "manager":
            ids = team_people(store, team[0])[0] if person is None else [m for m in [manager_of(store, person.rep_id)] if m]
            code = "org_team_lead" if person is None else "org_manager_mine" if person is who else "org_manager_of"
        else:
            if person is None:
                lead, rest = team_people(store, team[0])
                ids, code = lead + rest, "org_team"
            elif person.reports:
                ids, code = direct_reports(store, person.rep_id), "org_reports_mine" if person is who else "org_reports_of"
            else:  # a rep's team: its manager and the others (as the reps table has them)
                lead, rest = team_people(store, person.team) if person.team else ([], [person.rep_id])
                ids, code, named = lead + rest, "org_team", {"name": person.team or person.name}
        rows = org_rows(store, ids)
        people = [f"{r['name']} ({r['role']})" if r["role"] == "manager" else str(r["name"]) for r in rows]
        text = t(code, lang, n=number(len(rows), lang), people=join_and(people, lang), **named) if rows else \
            t("org_none", lang, **named)
        return Answer(question=parsed.question, kind="people", lang=lang, text=text, rows=rows, value=float(len(rows)),
                      unit="count")

    def _change(self, reading: ChangeRanking, who: Identity, as_of: date | None, convo: Conversation | None) -> Answer:
        """'which region grew most': the breakdown now and in the earlier period, both within the asker's
        scope (one grant), ranked by how far each group moved."""
        parsed, turn = self._own_breakdown(reading.parsed, who), Turn(who)
        outcome = self._run_kpi(replace(parsed, limit=None), turn, as_of)
        if isinstance(outcome, Answer):
            return outcome
        now, grant = outcome
        try:
            if now.period is None:  # ("which rep's pipeline grew most": open deals have no earlier period)
                raise PlanError(t("change_needs_period", parsed.lang))
            period = self._before(now.period, reading, as_of, cut=now.kpi.unit in ("currency", "count")
                                 or reading.months == 12)
            before = self.engine.run(grant.plan.model_copy(update={"period": period.as_range()}), as_of=as_of,
                                     scope=grant.scope)
        except (PlanError, PeriodError) as exc:
            answer = self._clarify_plan(parsed, exc)
            say_unused(answer, parsed.unused)
            return answer
        answer = change_answer(now, before, parsed.question, self.catalog, reading.rising, parsed.limit, parsed.lang,
                               names=self._scope_names(parsed, now))
        if period.end < period.nominal_end:  # said, so that no one reads it as the whole of last quarter
            answer.notes.append(t("cut_side", parsed.lang, start=period.start.isoformat(), end=period.end.isoformat(),
                                  gone=now.period.days, days=period.nominal_days))
        if grant.narrowed:
            answer.notes.insert(0, note_text(_narrowed(grant), parsed.lang, self.catalog))
        answer.plan = grant.plan
        say_unused(answer, parsed.unused)
        self._audit(answer, turn)
        if convo is not None:
            convo.remember(parsed, answer.rows)
            convo.compared = reading  # ("and win rate?": that KPI's change, ranked alike)
        return answer

    def _before(self, now: Period, reading: ChangeRanking, as_of: date | None, cut: bool) -> Period:
        """The earlier period of a change ranking: the one said, else the one just before (or a year back).
        A sum or count over a period to date ("this quarter" on day 51) is set against as many days of the
        one before, said or not (51 days against 92 are no change); a rate against the whole of it, except
        a year back, which is the same days (as "yoy" compares)."""
        before = now.previous(reading.months)
        if reading.before:
            cal = Calendar(self.engine.as_of(as_of), self.engine.store.fiscal_year_start_month)
            said = parse_period(reading.before, cal)
            before = next((p for p in (now.previous(), now.previous(12))
                           if (p.start, p.nominal_end) == (said.start, said.nominal_end)), said)
        return before if cut else replace(before, end=before.nominal_end)

    def _kpi(self, parsed: Parsed, who: Identity, as_of: date | None, convo: Conversation | None) -> Answer:
        """One KPI question: plan, access, engine, words; audited."""
        parsed, instead = self._teams_instead(parsed, who)  # a manager's "how am I doing against quota?"
        parsed = self._own_breakdown(parsed, who)
        turn = Turn(who)
        outcome = self._run_kpi(parsed, turn, as_of)
        if isinstance(outcome, Answer):
            if convo is not None and outcome.kind == "denied":  # "and mine?" after "Karin's pipeline" was denied
                convo.remember(parsed)
            return outcome
        result, grant = outcome
        outside = {d: v for d, v in grant.plan.filters.items() if d != "owner"}
        if grant.narrowed and not result.rows and outside:  # "revenue by rep in DACH" from a Nordics manager
            answer = Answer(question=parsed.question, kind="denied", lang=parsed.lang, metric=parsed.metric,
                            text=t("denied_breakdown_filter", parsed.lang, whose=t(grant.narrowed, parsed.lang),
                                   where=scope_words(outside, parsed.lang).strip().removeprefix(
                                       t("for", parsed.lang) + " ")))
            self._audit(answer, turn)
            return answer
        if instead:
            result.notes.insert(0, instead)
        if grant.narrowed:  # a breakdown by rep limited to what the asker may see, and saying so
            result.notes.insert(0, _narrowed(grant))
        answer = kpi_answer(result, parsed.question, self.catalog, parsed.lang,
                            names=self._scope_names(parsed, result))
        self._say_converted(answer, parsed.amount_currency, [parsed.amount_min, parsed.amount_max] + (
            [parsed.threshold[1]] if parsed.threshold and result.kpi.unit == "currency" else []))
        answer.followups = self._followups(parsed, result)
        answer.plan = grant.plan
        self._say_booked(answer, parsed, result, grant, as_of)
        if who.reports and not who.sees_all and not grant.plan.filters and not grant.narrowed \
                and WE.search(parsed.question or ""):  # a manager's "are we on track?": the company's, said so
            answer.notes.append(t("whole_company_we", parsed.lang))
        if parsed.metric == "revenue_per_rep" and not grant.plan.group_by:
            # "omsætning pr. sælger" is as often each rep's as the average: the other reading, offered
            answer.notes.append(t("per_rep_average", parsed.lang))
        say_unused(answer, parsed.unused)
        if parsed.truncated:
            answer.notes.append(t("truncated", parsed.lang, n=MAX_CHARS))
        self._audit(answer, turn)
        if convo is not None:
            convo.remember(parsed, answer.rows)
        return answer

    def _run_kpi(self, parsed: Parsed, turn: Turn, as_of: date | None) -> tuple[KpiResult, Grant] | Answer:
        """The engine's result within the asker's scope, or the answer that takes its place (a denial,
        audited, or a question back)."""
        try:
            turn.plan = self._plan(parsed, turn.who, self.engine.store)
            grant = authorise(turn.plan, turn.who)
            turn.granted, turn.scope = True, grant.scope
            result = self.engine.run(grant.plan, as_of=as_of, scope=grant.scope)
            if grant.narrowed:  # the rows are the asker's to see; the overall figure is an aggregate, open to all
                self._whole(result, grant.plan, as_of)
            return result, grant
        except Denied as exc:
            answer = self._denied(parsed, exc, self.engine.store)
            self._audit(answer, turn)
        except (PlanError, PeriodError) as exc:
            answer = self._clarify_plan(parsed, exc)
        say_unused(answer, parsed.unused)
        return answer

    # ------------------------------------------------------------ comparisons

    def _earlier(self, parsed: Parsed, cal: Calendar, months: int | None) -> str:
        """The reading's period a year earlier (months=12), or the whole period just before it
        (None: "this quarter vs the quarter before" is last quarter, as "vs last quarter" is), or with 0
        the period itself (the KPI's own, when the question names none), as an explicit range."""
        kpi = self.catalog.kpis[parsed.metric]
        period = self.engine.resolve_period(kpi, parsed.period, cal, self.engine.store)
        if period is None:  # all open deals: "teamets pipeline mod sidste kvartal", "pipeline the same period last
            period = self.engine.resolve_period(kpi, "this quarter", cal, self.engine.store)  # year": this quarter's
        if months == 0:
            start, end = period.start, period.end
        elif months == 12:
            start, end = (shift_year(d, -1) for d in (period.start, period.end))
        else:
            before = period.previous()
            start, end = before.start, before.nominal_end
        return f"{start.isoformat()}..{end.isoformat()}"

    def _compare(self, comparison: Comparison, user: str | None, as_of: date | None,
                 convo: Conversation | None) -> Answer:
        sides = comparison.sides
        if sides[0].metric is None:
            answer = self._clarify_metric(replace(sides[0], question=comparison.question))
            say_unused(answer, [w for side in sides for w in side.unused])
            return answer
        who = identify(self.engine.store, user)
        results, turns = [], []
        for side in sides:
            turns.append(Turn(who))
            outcome = self._run_kpi(side, turns[-1], as_of)
            if isinstance(outcome, Answer):
                return replace(outcome, question=comparison.question)
            results.append(self._per_rep(outcome[0]) if side.per_rep else outcome[0])
        lang = comparison.lang
        shared = set.intersection(*({(d, tuple(vs)) for d, vs in r.filters.items()} for r in results))
        labels = [self._side_label(replace(side, lang=lang), result, comparison.by, shared)
                  for side, result in zip(sides, results)]
        answer = compare_answer(results, labels, comparison.by, comparison.question, self.catalog, lang,
                                self._scope_names(replace(sides[0], lang=lang), results[0]))
        # the sides are totals: a breakdown asked for is named as left out, never dropped in silence
        by_words = [f"{t('by', answer.lang)} {dimension_word(d, answer.lang)}" for d in comparison.dropped]
        say_unused(answer, by_words + [w for side in sides for w in side.unused])
        for turn in turns:  # one audit row a side: each side's own query and scope
            self._audit(answer, turn)
        if convo is not None:
            convo.remember(sides[0])
            convo.compared = comparison
        return answer

    def _per_rep(self, result: KpiResult) -> KpiResult:
        """'… vs the team average': a sum or count over a group, per active rep in it (a rate is the group's
        own already); the label says so."""
        if result.value is None or zero_fact(result.kpi, self.catalog) is None:
            return result
        n = len(active_reps(self.engine.store, result.filters, strict=False))
        return replace(result, value=result.value / n, per_rep=n) if n else result

    def _side_label(self, side: Parsed, result: KpiResult, by: str, shared: set[tuple[str, tuple]]) -> str:
        """What sets a side apart: its period, or who and every filter value of its own ("your team (7
        people), Mid-Market"); the values all sides share are the headline's."""
        lang = side.lang
        if by == "period":
            return period_words(result, lang)
        names = self._scope_names(side, result)
        mine = {d for d, vs in result.filters.items() if (d, tuple(vs)) not in shared}  # (what is its own)
        own = [country_name(v, lang) if d == "country" else names.get(v, v) for d, vs in result.filters.items()
               for v in vs if d in mine and d not in ("owner", "team")]
        if side.my_team:  # "your team (7 people)", or a rep's "team Nordics SMB", whatever the other side is
            who = names.get("owner") or names.get("team")
        elif side.mine and by != "owner":  # "my win rate vs DACH"
            who = names.get(next(iter(result.filters.get("owner", [])), ""), t("you", lang))
        elif by == "owner" and not result.filters.get("owner") and not result.filters.get("team") or side.everyone:
            who = t("everyone", lang) if not side.mine else t("you", lang)
        else:  # "pipeline NA vs UK" sets a region against a country: each side's own place
            who = next((names.get(d) or ", ".join(names.get(v, v) for v in result.filters[d])
                        for d in ("owner", "team") if d in mine), None)
        label = ", ".join(filter(None, [who, *own])) or t("everyone", lang)
        return t("per_rep_label", lang, label=label, n=number(result.per_rep, lang)) if result.per_rep else label

    # ------------------------------------------------------------ the playbook

    def _playbook(self, reading: PlaybookQuestion, user: str | None, as_of: date | None,
                  stream: Stream | None = None) -> Answer:
        """The playbook's answer, cited, or a plain 'not covered' that names the nearest topics."""
        parsed = reading.parsed
        if self.playbook is None:  # (no playbook here: two KPIs asked apart are told by how each is computed)
            answer = Answer(question=parsed.question, kind="not_covered", lang=parsed.lang, text="")
        else:
            reply = self.playbook.ask(reading.text, parsed.lang, stream=stream, about=reading.about, more=reading.more)
            kind = "playbook" if reply.covered or reply.indexing else "not_covered"
            answer = Answer(question=parsed.question, kind=kind, lang=parsed.lang, text=reply.text,
                            citations=reply.citations, notes=list(reply.notes), engine=reply.engine)
            if reply.covered and reading.ours:
                self._add_snapshot(answer, user, as_of)
        if reading.defines:  # "difference between pipeline and weighted pipeline": how each is computed
            for kid in reading.defines:
                self._add_definition(answer, kid)
        elif parsed.metric and (question_form(reading.text) == "definition" or MEANING.search(reading.text)):
            self._add_definition(answer, parsed.metric)
        answer.text = answer.text.strip()
        return answer

    def _add_definition(self, answer: Answer, kid: str) -> None:
        """'what does NRR mean?': beside what the playbook says (or that it does not say), how the
        bot computes that KPI, from the catalog's description."""
        kpi = self.catalog.kpis[kid]
        if not kpi.description:
            return
        definition = t("kpi_definition", answer.lang, name=kpi_name(kpi, answer.lang),
                       description=kpi.description_in(answer.lang))
        silent = t("pb_no_passage", answer.lang)
        if answer.kind == "not_covered":  # the definition is the answer: it leads, the playbook's silence follows
            first = answer.text[:-len(silent)].rstrip() + "\n\n" if answer.text.endswith(silent) else ""
            answer.text = f"{first}{definition}\n\n{silent}"  # (after a first KPI's, when two are told apart)
        else:
            answer.text += "\n\n" + definition

    def _add_snapshot(self, answer: Answer, user: str | None, as_of: date | None) -> None:
        """'… and what is ours?': the headline KPIs for the asker, each answered (and audited) as usual."""
        lines = []
        for question in SNAPSHOT[answer.lang]:
            kpi = self._ask(question, user, as_of, None)
            if kpi.kind == "kpi":
                lines.append(f"• {kpi.text}")
                answer.figures.append(kpi)
            elif kpi.kind == "denied":
                lines = [f"• {kpi.text}"]
                break
        if lines:
            answer.text += "\n\n" + SNAPSHOT_LEAD[answer.lang] + "\n" + "\n".join(lines)

    def _without_numbers(self, reading: Help | Clarify) -> Answer:
        """Help, or the question back: no period that exists, no KPI, words not understood."""
        parsed = reading.parsed
        lang = parsed.lang
        if isinstance(reading, Help):
            return self._help(parsed)
        if reading.reason == "metric":
            return self._clarify_metric(parsed)
        if reading.reason == "unknown":
            return self._clarify_unknown(parsed)
        if reading.reason == "dimension":  # "by reason?" after deals lost: the data has no such breakdown
            kpi = self.catalog.kpis[parsed.metric]
            return Answer(question=parsed.question, kind="clarify", lang=lang, metric=parsed.metric,
                          text=t("cannot_break_down", lang, kpi=kpi_name(kpi, lang), dim=f"“{parsed.unknown[0]}”",
                                 dims=", ".join(dimension_word(d, lang) for d in kpi.dimensions)))
        if reading.reason == "pushed":
            return Answer(question=parsed.question, kind="clarify", lang=lang, text=t("pushed_not_listed", lang))
        if reading.reason == "absent":
            return Answer(question=parsed.question, kind="clarify", lang=lang,
                          text=t("not_in_store", lang, what=parsed.unknown[0]) + "\n"
                          + "\n".join(f"• {e}" for e in EXAMPLES[lang][:3]))
        if reading.reason == "follow_up":
            what = t("a_deal_list", lang) if parsed.kind == "deals" else \
                t("the_kpi", lang, kpi=kpi_name(self.catalog.kpis[parsed.metric], lang))
            why = parsed.kind != "deals" and WHY_ASKED.match(parsed.question or "")
            return Answer(question=parsed.question, kind="clarify", lang=lang, metric=parsed.metric,
                          text=t("clarify_why" if why else "clarify_follow_up_deals" if parsed.kind == "deals"
                                 else "clarify_follow_up", lang, what=what))
        what = t("a_deal_list", lang) if parsed.kind == "deals" else \
            t("the_kpi", lang, kpi=kpi_name(self.catalog.kpis[parsed.metric], lang))
        return Answer(question=parsed.question, kind="clarify", lang=lang, metric=parsed.metric,
                      text=t("clarify_period", lang, message=parsed.period_error, what=what))

    def _deal_list(self, parsed: Parsed, turn: Turn, as_of: date | None, convo: Conversation | None) -> Answer:
        """'my biggest deal closing this month': the deals themselves, within what the asker may see."""
        store, spec = self.engine.store, parsed.deal
        parsed, instead = self._teams_instead(parsed, turn.who)  # a manager's "my deals" who owns none
        try:
            base = self._in_base(spec.amount_currency, parsed.lang)
            query = DealQuery(filters=self._asker_filters(parsed, turn.who, store), status=spec.status,
                              period=None if parsed.period == "all" else parsed.period,  # "biggest deal ever"
                              date_field=spec.date_field, upcoming=spec.upcoming,
                              amount_min=base(spec.amount_min), amount_max=base(spec.amount_max), risks=spec.risks,
                              order_by=spec.order_by, desc=spec.desc, limit=spec.limit,
                              stalled_days=spec.stalled_days)
            turn.plan = query
            turn.scope, narrowed = authorise_deals(query.filters.get("owner", []), turn.who)
            if convo is not None:
                convo.narrowed = narrowed is not None
            turn.granted = True
            result = self.engine.deals(query, as_of=as_of, scope=turn.scope)
        except Denied as exc:
            answer = self._denied(parsed, exc, store)
            self._audit(answer, turn)
            say_unused(answer, parsed.unused)
            return answer
        except (PlanError, PeriodError) as exc:
            answer = self._clarify_plan(parsed, exc)
            say_unused(answer, parsed.unused)
            return answer
        if narrowed and not result.total and any(d != "owner" for d in query.filters) \
                and self.engine.deals(query.model_copy(update={"limit": 1}), as_of=as_of).total:
            # "deals over 100k in DACH" from a Nordics manager: none they may see, though there are some
            # (access.md: denied with the reason, never a silently narrowed "none match")
            answer = Answer(question=parsed.question, kind="denied", lang=parsed.lang,
                            text=t("denied_deals_outside", parsed.lang, whose=t(narrowed, parsed.lang)))
            say_unused(answer, parsed.unused)
            self._audit(answer, turn)
            return answer
        if narrowed:
            result.notes.insert(0, Note("deals_your_scope", (("whose", narrowed),)))
        if instead:
            result.notes.insert(0, instead)
        if parsed.group_by:  # "stalled deals by rep", "… by team": every one of them, counted per rep or team
            every = self.engine.deals(query.model_copy(update={"limit": PER_REP_MAX}), as_of=as_of, scope=turn.scope)
            by = parsed.group_by[0]
            answer = deals_per_group_answer(result, every.rows, parsed.question, self.catalog, parsed.lang,
                                            self._scope_names(parsed, result), parsed.limit, by,
                                            None if by == "owner" else self._group_of(by))
            if every.total > len(every.rows):
                answer.notes.append(t("deals_too_many_per_rep", parsed.lang, n=number(PER_REP_MAX, parsed.lang)))
        else:
            answer = deals_answer(result, parsed.question, self.catalog, parsed.lang,
                                  names=self._scope_names(parsed, result))
        self._say_converted(answer, spec.amount_currency, [spec.amount_min, spec.amount_max])
        say_unused(answer, parsed.unused)
        self._audit(answer, turn)
        if convo is not None:
            convo.remember(parsed, answer.rows)
        return answer

    def _teams_instead(self, parsed: Parsed, who: Identity) -> tuple[Parsed, Note | None]:
        """A manager's figure that has nothing of their own is their team's, with a note saying so: "my
        quota" with no target of their own (digest.md reads a manager's attainment so), "my pipeline" or
        "Elin's pipeline" of a manager who owns no deals, not "EUR 0"."""
        named = parsed.filters.get("owner", [])
        if parsed.mine and not parsed.my_team:
            person = who
        elif not parsed.mine and not parsed.team_of and len(named) == 1 and not (parsed.kind == "deals"
                                                                              and who.role == "rep"):
            person = identify(self.engine.store, named[0])  # (a rep naming their manager's deals is denied)
        else:
            return parsed, None
        if not person.reports or not (parsed.metric or parsed.kind == "deals") or not self._owns_none(parsed, person):
            return parsed, None
        what = "quota" if parsed.metric in ("quota", "quota_attainment") else "deals"
        if person is who:
            return replace(parsed, my_team=True), Note(f"team_{what}")
        return replace(parsed, team_of=True), Note(f"named_team_{what}", (("name", person.name),))

    @staticmethod
    def _own_breakdown(parsed: Parsed, who: Identity) -> Parsed:
        """A manager's "revenue by rep" lists their own people (access.md): said so in the headline, with their
        total beside their rows, not the company's (a ranking by change too)."""
        if who.role == "manager" and "owner" in parsed.group_by and not (
                parsed.mine or parsed.team_of or {"owner", "team"} & set(parsed.filters)):
            return replace(parsed, mine=True, my_team=True)
        return parsed

    def _owns_none(self, parsed: Parsed, person: Identity) -> bool:
        """Has the person no target of their own (for quota questions), or no deals (for the rest sized
        by deals)?"""
        store = self.engine.store
        if parsed.metric in ("quota", "quota_attainment"):
            return person.rep_id not in store.values("targets", "rep_id")
        deals = parsed.kind == "deals" or sized_by_deals(self.catalog.kpis[parsed.metric], self.catalog)
        return deals and person.rep_id not in store.values("opportunities", "owner_id")

    def _say_booked(self, answer: Answer, parsed: Parsed, result: KpiResult, grant: Grant, as_of: date | None) -> None:
        """"What's the forecast for Q4?" reads the weighted pipeline, which leaves out what the period has
        already booked: the answer says so, with the revenue won in it so far and the two together."""
        period = result.period
        if result.kpi.id != "weighted_pipeline" or result.group_by or result.value is None or period is None \
                or not FORECAST_WORDS & set(parsed.used) or period.start > (as_of or result.as_of or period.start):
            return
        booked = self.engine.run(grant.plan.model_copy(update={"metric": "revenue"}), as_of=as_of, scope=grant.scope)
        if booked.value:
            cur, lang = self.engine.store.base_currency, parsed.lang
            answer.notes.append(t("forecast_booked", lang, booked=money(booked.value, cur, lang),
                                  total=money(booked.value + result.value, cur, lang)))

    def _whole(self, result: KpiResult, plan: QueryPlan, as_of: date | None) -> None:
        """A breakdown by rep narrowed to the asker's rows keeps the overall figure of everyone it is
        about (access.md: aggregates are open to every role): a rep's "win rate of my team by rep" said
        42.3% overall for the team, her own figure."""
        asked = plan.filters.get("owner")
        whole = self.engine.run(plan.model_copy(update={"group_by": [], "threshold": None, "limit": None,
                                                        "order": None}),
                                as_of=as_of, scope=frozenset(asked) if asked else None)
        result.value, result.target = whole.value, whole.target

    def _plan(self, parsed: Parsed, who: Identity, store) -> QueryPlan:
        if len(parsed.group_by) > 2:  # a plan holds two breakdowns: ask which, never drop one in silence
            dims = join_or([dimension_word(d, parsed.lang) for d in parsed.group_by], parsed.lang).replace(
                f" {t('or', parsed.lang)} ", f" {t('and', parsed.lang)} ")
            raise PlanError(t("too_many_breakdowns", parsed.lang, dims=dims))
        base = self._in_base(parsed.amount_currency, parsed.lang)
        line = parsed.threshold
        if line and self.catalog.kpis[parsed.metric].unit == "currency":  # "reps with pipeline over 1 mio. kr"
            line = (line[0], base(line[1]))
        return QueryPlan(metric=parsed.metric, period=parsed.period, compare=parsed.compare,
                         filters=self._asker_filters(parsed, who, store), group_by=parsed.group_by,
                         order=parsed.order, limit=parsed.limit,
                         threshold=Threshold(op=line[0], value=line[1]) if line and parsed.group_by else None,
                         amount_min=base(parsed.amount_min), amount_max=base(parsed.amount_max))

    def _in_base(self, said: str | None, lang: str) -> Callable[[float | None], float | None]:
        """Amounts said in a currency ("300 tkr", "$500k", "1 mio. kr") in the store's base currency at the
        latest rate; "kr" is the asker's krone or krona. A currency without a rate is asked back."""
        store = self.engine.store
        code = self._currency_said(said, lang)
        if code is None or code == store.base_currency:
            return lambda value: value
        if code not in store.fx.known:
            raise PlanError(t("unknown_currency", lang, currency=code, base=store.base_currency))
        day = self.engine.as_of()
        return lambda value: None if value is None else store.fx.to_base(value, code, day)

    def _currency_said(self, said: str | None, lang: str) -> str | None:
        """"kr" is the asker's krone (Danish) or krona (Swedish); in English, whichever the store has rates for."""
        if said != "kr":
            return said
        return {"da": "DKK", "sv": "SEK"}.get(lang, "DKK" if "DKK" in self.engine.store.fx.known else "SEK")

    def _say_converted(self, answer: Answer, said: str | None, amounts: list[float | None]) -> None:
        """'300,000 SEK is EUR 22,887 at the latest rate': an amount the question said in another
        currency, as the answer used it."""
        store, lang = self.engine.store, answer.lang
        code = self._currency_said(said, lang)
        if code in (None, store.base_currency):
            return
        base = self._in_base(said, lang)
        for value in filter(None, amounts):
            answer.notes.append(t("amount_converted", lang, said=money(value, code, lang),
                                  base=money(base(value), store.base_currency, lang)))

    def _asker_filters(self, parsed: Parsed, who: Identity, store) -> dict[str, list[str]]:
        """The question's filters, with "my" and "my team" read as the asker's owners or team."""
        filters = {dim: list(vals) for dim, vals in parsed.filters.items()}
        if parsed.mine:
            if who.role == "admin" and who.rep_id is None:
                raise PlanError(t("who_unknown", parsed.lang))
            if not who.matched:
                raise Denied("denied_unmatched")
            # ("teamets omsætning pr. sælger": a KPI with no reps in it takes the team by its name)
            by_name = bool(parsed.metric) and "owner" not in self.catalog.kpis[parsed.metric].dimensions
            filters.update(team_scope(store, who, by_name=by_name) if parsed.my_team else {"owner": [who.rep_id]})
        elif parsed.team_of and len(filters.get("owner", [])) == 1:  # "Erik Hansen's team pipeline"
            named = identify(store, filters["owner"][0])
            if named.rep_id is not None:
                filters.pop("owner")
                filters.update(team_scope(store, named, by_name=True))
        return filters

    # ------------------------------------------------------------ answers without numbers

    def _help(self, parsed: Parsed) -> Answer:
        lang = parsed.lang
        if parsed.social in ("thanks", "ack"):  # answered in kind, in the asker's language
            return Answer(question=parsed.question, kind="help", lang=lang, text=t(f"reply_{parsed.social}", lang))
        lead = t("empty_question", lang) + " " if parsed.empty else ""
        if parsed.social == "greeting":
            lead = t("reply_greeting", lang) + " "
        if not parsed.empty and parsed.kind != "help":
            lead = t("not_a_kpi_question", lang) + " "
        examples = EXAMPLES[lang]
        text = lead + t("help", lang) + "\n" + "\n".join(f"• {e}" for e in examples)
        return Answer(question=parsed.question, kind="help", lang=lang, text=text, followups=examples[:3])

    def _clarify_metric(self, parsed: Parsed) -> Answer:
        lang = parsed.lang
        parts = self._understood(parsed)
        understood = t("understood", lang, parts=", ".join(parts)) if parts else ""
        text = t("clarify_metric", lang, understood=understood)
        options = [kpi_name(self.catalog.kpis[k], lang) for k in parsed.suggestions]
        if options:
            text += " " + t("did_you_mean", lang, options=join_or(options, lang))
        text += "\n" + "\n".join(f"• {e}" for e in EXAMPLES[lang][:3])
        return Answer(question=parsed.question, kind="clarify", lang=lang, text=text,
                      followups=[self._rephrase(parsed, k) for k in parsed.suggestions])

    def _clarify_unknown(self, parsed: Parsed) -> Answer:
        lang = parsed.lang
        words = join_or([f"“{w}”" for w in parsed.unknown], lang)
        people = self._reps_named(parsed.unknown)
        if len(parsed.unknown) == 1 and len(people) > 1:  # "Jonas's pipeline" with five Jonases: which one
            what = ", ".join(self._understood(parsed))
            return Answer(question=parsed.question, kind="clarify", lang=lang, metric=parsed.metric,
                          text=t("clarify_which_person", lang, name=parsed.unknown[0], people=join_or(people, lang))
                          + (" " + t("understood_only", lang, what=what) if what else ""),
                          followups=list(people))
        index: ValueIndex = self.engine.store.cached("value_index", lambda: build_index(self.engine.store))
        close = []
        for word in parsed.unknown:
            close += [index.exact[k][0][1] for k, score, _ in
                      process.extract(word.lower(), index.fuzzy_keys, scorer=fuzz.WRatio, limit=3, score_cutoff=60)]
        names = self.engine.store.names("owner", close)
        close = [*self._reps_named(parsed.unknown), *self._accounts_named(parsed.unknown), *(names.get(v, v) for v in close)]
        close = [v for v in dict.fromkeys(close) if len(str(v)) > 2][:5]
        hint = t("closest", lang, options=", ".join(close)) if close else ""
        what = ", ".join(self._understood(parsed))
        code = "clarify_unknown" if what else "clarify_unknown_only"
        return Answer(question=parsed.question, kind="clarify", lang=lang, metric=parsed.metric,
                      text=t(code, lang, words=words, hint=hint, what=what))

    def _reps_named(self, words: list[str]) -> list[str]:
        """Reps whose first or last name is one of the words ("pipeline for Jonas": five reps are called
        Jonas, so the name alone says no one)."""
        reps = self.engine.store.tables.get("reps")
        if reps is None or "name" not in reps.columns or not words:
            return []
        names = reps["name"].astype("string").dropna()
        wanted = {w.casefold() for w in words}
        return [n for n in names if wanted & {part.casefold() for part in n.split()}][:5]

    def _accounts_named(self, words: list[str]) -> list[str]:
        """Accounts whose name has one of the words ("Falcon": Falcon Retail A/S, Falcon Robotics …),
        which the exact phrase index cannot offer; a warehouse's accounts are not searched."""
        accounts = self.engine.store.tables.get("accounts")
        if accounts is None or "name" not in accounts.columns or not words:
            return []
        pattern = r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"
        names = accounts["name"].astype("string")
        return names[names.str.contains(pattern, case=False, regex=True, na=False)].head(3).tolist()

    def _clarify_plan(self, parsed: Parsed, exc: UserError) -> Answer:
        lang = parsed.lang
        what = ", ".join(self._understood(parsed))
        problem = str(exc)
        if isinstance(exc, UnknownDimension):
            problem = t("cannot_break_down", lang, kpi=kpi_name(self.catalog.kpis[exc.metric], lang),
                        dim=dimension_word(exc.dimension, lang),
                        dims=", ".join(dimension_word(d, lang) for d in exc.suggestions))
        if problem[:2] != "I " and not problem[1:2].isupper():  # "NPS can't …" keeps its capitals
            problem = problem[0].lower() + problem[1:]
        return Answer(question=parsed.question, kind="clarify", lang=lang, metric=parsed.metric,
                      text=t("clarify_plan", lang, what=what, problem=problem))

    def _denied(self, parsed: Parsed, exc: Denied, store) -> Answer:
        lang = parsed.lang
        params = dict(exc.params)
        if exc.reason == "denied_owner":
            names = store.names("owner", params["owners"])
            params["names"] = join_or([names.get(o, o) for o in params["owners"]], lang).replace(
                f" {t('or', lang)} ", f" {t('and', lang)} ")
            params["and_reports"] = t("and_reports", lang) if params.pop("reports", True) else ""  # (a rep has none)
            params.pop("owners")
        return Answer(question=parsed.question, kind="denied", lang=lang, metric=parsed.metric,
                      text=t(exc.reason, lang, **params))

    def _understood(self, parsed: Parsed) -> list[str]:
        lang = parsed.lang
        parts = []
        if parsed.metric:
            parts.append(t("the_kpi", lang, kpi=kpi_name(self.catalog.kpis[parsed.metric], lang)))
        elif parsed.kind == "deals":
            parts.append(t("a_deal_list", lang))
        if parsed.period and not parsed.period_error:
            parts.append(t("the_period", lang, period=self._period_name(parsed.period, lang)))
        for dim, vals in parsed.filters.items():
            names = self.engine.store.names(dim, vals) if dim in ("owner", "account") else {}
            parts.append(f"{dimension_word(dim, lang)} {', '.join(names.get(v, v) for v in vals)}")
        if parsed.group_by:
            parts.append(f"{t('by', lang)} {' / '.join(dimension_word(d, lang) for d in parsed.group_by)}")
        return parts

    def _period_name(self, expr: str, lang: str) -> str:
        try:
            p = parse_period(expr, Calendar(self.engine.as_of(), self.engine.store.fiscal_year_start_month))
        except PeriodError:
            return expr
        return period_label(p.label, p.unit, p.start, lang)

    # ------------------------------------------------------------ follow-ups

    def _followups(self, parsed: Parsed, result) -> list[str]:
        """One or two next questions, in the asker's language, that the parser reads back as meant."""
        lang = parsed.lang
        name = kpi_name(result.kpi, lang)
        if not name[1:2].isupper():  # "win rate …", but "NRR …" stays upper case
            name = name[0].lower() + name[1:]
        when = period_label(result.period.label, result.period.unit, result.period.start, lang) \
            if result.period is not None else ""
        out = []
        if not result.group_by:
            dim = next((d for d in FOLLOW_DIMS if d in result.kpi.dimensions and d not in result.filters), None)
            if dim:
                out.append(f"{name} {t('by', lang)} {dimension_word(dim, lang)} {when}".strip())
        previous = {"this quarter": "last quarter", "last quarter": "this quarter", "this month": "last month",
                    "last month": "this month", "this year": "last year", "last year": "this year",
                    "quarter to date": "last quarter"}.get(result.period.label if result.period else "")
        if previous:
            out.append(f"{name} {period_label(previous, 'x', result.period.start, lang)}")
        return out[:2]

    def _rephrase(self, parsed: Parsed, kid: str) -> str:
        lang = parsed.lang
        name = kpi_name(self.catalog.kpis[kid], lang)
        if parsed.group_by:  # "our best reps": the measure offered, by rep
            name += f" {t('broken_down_by', lang)} {dimension_word(parsed.group_by[0], lang)}"
        return f"{name} {self._period_name(parsed.period, lang)}" if parsed.period and not parsed.period_error else name

    def _group_of(self, dim: str) -> Callable[[dict], str | None]:
        """A listed deal's group: its own field (stage), or its owner's team or region (the reps table's,
        as the store joins it to their deals)."""
        reps = self.engine.store.tables.get("reps")
        if dim not in ("team", "region") or reps is None or dim not in reps.columns:
            return lambda deal: deal.get(dim)
        by_rep = dict(zip(reps["rep_id"].astype(str), reps[dim].astype("string").fillna("—")))
        return lambda deal: by_rep.get(deal["owner_id"])

    def _scope_names(self, parsed: Parsed, result) -> dict[str, str]:
        """How the scope reads: reps and accounts by name, and "my team" as "your team (7 people)"."""
        filters = result.filters
        names = self.engine.store.names("account", filters.get("account", []))
        if parsed.my_team:
            if "owner" in filters:
                return {**names, "owner": t("your_team", parsed.lang, n=len(filters["owner"]))}
            return {**names, "team": f"{dimension_word('team', parsed.lang)} {filters['team'][0]}"}
        return {**names, **self.engine.store.names("owner", filters.get("owner", []))}

    # ------------------------------------------------------------ audit

    def _audit(self, answer: Answer, turn: Turn) -> None:
        if self.audit is None:
            return
        who = turn.who
        scope = {"role": who.role, "owners": sorted(turn.scope) if turn.scope is not None
                 else ("all" if who.sees_all or turn.granted else None)}
        query = turn.plan.model_dump() if turn.plan else None
        if query is not None and answer.period:
            query["resolved_period"] = answer.period
        self.audit.write(user_id=who.user, rep_id=who.rep_id, kind=answer.kind, question=answer.question,
                         query=query, scope=scope)
