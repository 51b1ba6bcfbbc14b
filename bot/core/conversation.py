"""The context of a conversation, so follow-ups apply to the previous question.

"and by region?", "what about last year?", "og i DACH?", "och per månad?" carry no KPI of
their own: they change one part of the last question and keep the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.nlu.parser import Parsed


PLACES = {"region", "country", "team"}  # a place said in a follow-up replaces "my team"
AREAS = {"region", "country"}  # and a region or a country the other


@dataclass
class Conversation:
    last: Parsed | None = None
    earlier: Parsed | None = None  # the one before it ("og förra året?" then "vem förbättrades mest?": the two years)
    groups: tuple[str, list[str]] | None = None  # the dimension and values the last answer listed
    compared: object | None = None  # the last answer's Comparison, when it was one ("and last quarter?" keeps its sides)
    # The KPI questions of the last answer when it had several ("how is DACH doing?": "og Norden?" asks them all again)
    parts: list[Parsed] | None = None
    answered: str | None = None  # the kind of the last answer (kpi, playbook, clarify …)
    pending: str | None = None  # the question the last answer asked back "which KPI?" of ("revenue" answers it)
    # The question the last answer asked "which Jonas?" of, that name, and the people offered ("Lindqvist" picks one)
    choices: tuple[str, str, list[str]] | None = None
    book: object | None = None  # what the last answer asked the playbook (a PlaybookQuestion): "tell me more" reads on
    # The last list held only the deals the asker may see (a manager's own and reports'): its total is the
    # list's, not a KPI's over everyone (which access lets a manager see)
    narrowed: bool = False

    def merge(self, parsed: Parsed) -> Parsed:
        prev = self.last
        if not parsed.lang_known and prev is not None:  # "hej" after a Swedish question: Swedish
            parsed = replace(parsed, lang=prev.lang)
        if prev is not None and prev.kind == "deals" and parsed.follow_up and parsed.metric is None \
                and parsed.kind not in ("help", "deals"):
            return self._more_deals(prev, parsed)
        if parsed.those and prev is not None and prev.kind == "deals" and parsed.metric and not (prev.deal and
                                                                                           prev.deal.risks):
            spec = prev.deal  # "hvad er den samlede pipeline for dem?" after a list: the KPI over the list's deals
            return replace(parsed, filters={**prev.filters, **parsed.filters}, period=parsed.period or prev.period,
                           mine=prev.mine, my_team=prev.my_team, team_of=prev.team_of,
                           amount_min=spec.amount_min if spec else None, amount_max=spec.amount_max if spec else None)
        if parsed.those and self.groups and prev is not None:  # "win rate for those?" after a top 3
            dim, values = self.groups
            return replace(parsed, kind="kpi", metric=parsed.metric or prev.metric,
                           period=parsed.period if parsed.period is not None else prev.period,
                           filters={**prev.filters, **parsed.filters, dim: list(values)},
                           group_by=parsed.group_by or [dim],  # each of them, as the list before
                           order=None, limit=None, mine=False, my_team=False, suggestions=[])
        if prev is None or prev.metric is None or parsed.kind in ("help", "deals") or not parsed.follow_up:
            return parsed  # (a list of deals asked after a figure stands as asked: "I mean open deals over 100k")
        if parsed.metric is None and not parsed.has_slots and not parsed.unknown and parsed.compare == "previous":
            return parsed  # ("what about Erik?" with two Eriks: the last KPI, and which Erik asked back)
        # a new region replaces the old one; other filters stay ("and my revenue?" after DACH's win rate: mine)
        filters = {} if parsed.mine and parsed.metric else dict(prev.filters)
        if AREAS & set(parsed.filters):  # "hvad med UK?" after DACH: the country replaces the region
            filters = {d: v for d, v in filters.items() if d not in AREAS}
        filters.update(parsed.filters)
        for dim in parsed.group_by:  # "og per region?" after DACH's win rate: every region, not DACH's one row
            if dim not in parsed.filters:
                filters.pop(dim, None)
        if parsed.mine or parsed.my_team:  # "and mine?" after Karin's: the asker replaces whoever was named
            filters.pop("owner", None)
        # "and DACH?", "og for hele Norden?" after "my team's pipeline": the place, not my team's part of it
        # (after "my pipeline", my deals there; a team named replaces the asker either way)
        place = not (parsed.mine or parsed.my_team) and ("team" in parsed.filters or prev.my_team and bool(
            PLACES & set(parsed.filters)))
        return replace(
            parsed,
            kind="kpi",
            metric=parsed.metric or prev.metric,
            period=parsed.period if parsed.period is not None else prev.period,
            period_error=parsed.period_error,
            compare=parsed.compare if parsed.compare != "previous" else prev.compare,
            filters=filters,
            # "og i DACH?" after "by region": a breakdown by what is now filtered says nothing
            group_by=[d for d in (parsed.group_by or prev.group_by) if d not in parsed.filters],
            order=parsed.order or prev.order,
            limit=parsed.limit or (prev.limit if not parsed.group_by else None),
            # "and in DACH?" after "win rate on deals over 100k": the same deals
            amount_min=parsed.amount_min if parsed.amount_min is not None else prev.amount_min,
            amount_max=parsed.amount_max if parsed.amount_max is not None else prev.amount_max,
            # "and last quarter?" after "reps below 50% attainment": the same line, for the same KPI
            threshold=parsed.threshold or (prev.threshold if not parsed.group_by and parsed.metric in (None, prev.metric)
                                           else None),
            # "what about Karin?" after "my team's": whoever is named now replaces the asker
            mine=parsed.mine or prev.mine and "owner" not in parsed.filters and not place,
            my_team=parsed.my_team or prev.my_team and "owner" not in parsed.filters and not place,
            team_of=parsed.team_of or prev.team_of and "owner" not in parsed.filters and not parsed.mine,
            suggestions=[],
        )

    @staticmethod
    def _more_deals(prev: Parsed, parsed: Parsed) -> Parsed:
        """'and in DACH?', 'what about next month?' after a list of deals: the same list, changed."""
        filters = dict(prev.filters)
        filters.update(parsed.filters)
        named = "owner" in parsed.filters  # "only Karin's" after "my team's deals": Karin replaces the team
        return replace(prev, question=parsed.question, lang=parsed.lang, filters=filters,
                       period=parsed.period if parsed.period is not None else prev.period,
                       period_error=parsed.period_error, mine=parsed.mine or prev.mine and not named,
                       my_team=parsed.my_team or prev.my_team and not named, unknown=parsed.unknown, follow_up=True)

    def remember_parts(self, parts: list[Parsed]) -> None:
        """Keep the KPI questions of an answer in parts; the last of them is the one a follow-up with a KPI
        of its own or a list of deals continues ("what is NRR?" then "and last quarter?")."""
        if parts:
            compared = self.compared  # ("and by region?" after "this quarter vs last": each side, still compared)
            self.remember(parts[-1])
            self.parts, self.compared = parts if len(parts) > 1 else None, compared

    def remember(self, parsed: Parsed, rows: list[dict] | None = None) -> None:
        """Keep the question, and the groups its answer listed (for "for those")."""
        self.compared = self.parts = None
        if (parsed.kind == "kpi" and parsed.metric) or parsed.kind == "deals":
            self.earlier, self.last = self.last, parsed
            dims = parsed.group_by if parsed.kind == "kpi" else ["owner"]
            key = (dims[0] if parsed.kind == "kpi" or parsed.group_by else "owner_id") if len(dims) == 1 else None
            keys = [r.get(key) for r in rows or []] if key else []  # (deals counted per rep: their "owner")
            self.groups = (dims[0], [k for k in dict.fromkeys(keys) if k]) if keys and dims[0] not in ("month", "quarter") \
                else None

    def remember_people(self, ids: list[str]) -> None:
        """'who is on my team?': the people listed, for "their pipeline" and "which of them"."""
        self.groups = ("owner", list(ids)) if ids else None

    def focus(self, dims: tuple[str, ...], one: bool = False) -> tuple[str, list[str]] | None:
        """Who or what the last answer was about, of these dimensions, for "his", "their", "that team":
        the groups it listed (the one a ranking picked; for `one`, "his", the first of them), else what it
        was filtered to."""
        filters = self.last.filters if self.last is not None else {}
        listed = self.last is not None and self.last.kind == "deals"  # "their revenue" after an account's deals
        if listed and (hit := next(((d, list(filters[d])) for d in dims if d != "owner" and filters.get(d)), None)):
            return hit
        if self.groups is not None and self.groups[0] in dims and self.groups[1]:
            return (self.groups[0], self.groups[1][:1]) if one else self.groups
        found = next(((d, list(filters[d])) for d in dims if filters.get(d)), None)
        return None if one and found and len(found[1]) > 1 else found  # ("his" of five people: whose?)
