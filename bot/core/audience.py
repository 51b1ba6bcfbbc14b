"""Who may read an answer in a shared room (a Slack channel, a Teams channel or group chat).

The access rules (bot/access.py) decide what the asker may see; a room holds others too, so an
answer goes there only when every person in it may see it as well. The faces ask who is in the
room (Slack's conversations.members, Teams' roster) and post privately to the asker otherwise.

    words (playbook, help, a question back)  anyone, unless they quote the asker's figures
    a KPI or a comparison                   every person matched to a rep (an aggregate), never
                                            one about particular reps (an owner filter or breakdown)
    a deal list                             every person may see every deal listed
    several parts                           where the most private part may go

`people` is called only when figures need it: words never cost a roster lookup. A room whose
members the platform will not give (an empty list) gets no figures.
"""

from __future__ import annotations

from typing import Callable, Sequence

from bot.access import Identity
from bot.core.answer import Answer

WORDS = ("playbook", "not_covered", "help", "clarify")  # kinds that are words, not figures

People = Callable[[], Sequence[Identity]]


def room_may_see(answer: Answer, people: People) -> bool:
    """May every person in the room read this answer?"""
    if answer.parts:
        return all(room_may_see(part, people) for part in answer.parts)
    if answer.kind == "compare":
        if any("owner" in row["filters"] for row in answer.rows):
            return False
        return _everyone(people, lambda who: who.matched)
    if answer.kind == "deals":
        owners = {row["owner_id"] for row in answer.rows}
        return _everyone(people, lambda who: who.sees_all or owners <= (who.deal_level() or frozenset()))
    if answer.kind != "kpi":  # words; a playbook answer quoting our figures goes where they may
        return answer.kind in WORDS and all(room_may_see(f, people) for f in answer.figures)
    plan = answer.plan
    if plan is None or plan.filters.get("owner") or "owner" in plan.group_by:
        return False
    return _everyone(people, lambda who: who.matched)


def words_only(answer: Answer) -> bool:
    """Does the answer hold no figures at all (so it may go anywhere without asking who is there)?"""
    return room_may_see(answer, lambda: ())


def _everyone(people: People, may_see: Callable[[Identity], bool]) -> bool:
    present = list(people())
    return bool(present) and all(may_see(who) for who in present)
