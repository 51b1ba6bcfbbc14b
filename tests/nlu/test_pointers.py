"""Follow-ups that point back at the last answer: "his deals", "that team's win rate", "which rep
there …", "what does that mean?", "and ours?", a headline's figures changed or compared all at once,
and corrections ("no, I meant revenue"). Each is checked against the same question asked in full."""

from __future__ import annotations

from bot.core.conversation import Conversation
from tests.nlu.conftest import AS_OF


def talk(assistant, *questions: str, user: str | None = None) -> list:
    convo = Conversation()
    return [assistant.ask(q, user=user, as_of=AS_OF, conversation=convo) for q in questions]


def test_his_and_her_are_the_rep_the_ranking_picked(demo_assistant, ask):
    top, win, deals = talk(demo_assistant, "who has the highest pipeline?", "and his win rate this year?",
                           "show me her deals")
    rep = top.rows[0]["owner"]
    name = demo_assistant.engine.store.names("owner", [rep])[rep]
    assert win.filters == {"owner": rep} and not win.unused
    assert win.value == ask(f"{name}'s win rate this year").value
    assert deals.kind == "deals" and {r["owner_id"] for r in deals.rows} == {rep}


def test_that_team_is_the_team_the_ranking_picked(demo_assistant, ask):
    top, win = talk(demo_assistant, "which team has the highest revenue this quarter?", "what's that team's win rate?")
    team = top.rows[0]["team"]
    assert win.filters == {"team": team} and win.value == ask(f"win rate for team {team} this quarter").value


def test_there_is_the_place_the_last_answer_was_about(demo_assistant, ask):
    _, rep = talk(demo_assistant, "pipeline in DACH", "which rep there has the most pipeline?")
    expected = ask("which rep in DACH has the most pipeline?")
    assert rep.filters == {"region": "DACH"} and rep.rows == expected.rows


def test_their_deals_are_the_deals_of_the_reps_listed(demo_assistant):
    by_rep, stalled = talk(demo_assistant, "pipeline by rep in DACH", "which of their deals are overdue?")
    reps = {r["owner"] for r in by_rep.rows}
    assert stalled.kind == "deals" and {r["owner_id"] for r in stalled.rows} <= reps
    assert all("overdue" in r["reasons"] for r in stalled.rows)


def test_a_headline_follow_up_changes_every_figure(demo_assistant, ask):
    dach, nordics = talk(demo_assistant, "how is DACH doing this quarter?", "og Norden?")
    assert len(nordics.parts) == len(dach.parts) > 1
    for part in nordics.parts:
        assert part.filters == {"region": "Nordics"}
        alone = ask(f"{part.metric.replace('_', ' ')} in Nordics this quarter")
        assert alone.metric == part.metric and alone.value == part.value


def test_compare_after_a_headline_compares_every_figure(demo_assistant):
    _, compared = talk(demo_assistant, "how did we do in October?", "compare with September")
    assert len(compared.parts) > 1 and all(p.kind == "compare" for p in compared.parts)
    for part in compared.parts:
        assert [r["period"]["start"] for r in part.rows] == ["2026-10-01", "2026-09-01"]


def test_ours_after_a_definition_is_our_figure(demo_assistant, ask):
    _, ours, later = talk(demo_assistant, "what is NRR?", "what's ours?", "and last quarter?")
    assert (ours.kind, ours.metric) == ("kpi", "nrr") and ours.value == ask("what is our NRR?").value
    assert (later.metric, later.period["start"]) == ("nrr", "2026-07-01")
    _, vores = talk(demo_assistant, "hvad er CAC?", "og vores?")
    assert (vores.kind, vores.metric, vores.lang) == ("kpi", "cac", "da")


def test_a_correction_keeps_the_rest_of_the_question(demo_assistant, ask):
    _, revenue = talk(demo_assistant, "how much pipeline do we have in the Nordics?", "no, I meant revenue")
    assert (revenue.metric, revenue.filters, revenue.unused) == ("revenue", {"region": "Nordics"}, [])
    assert revenue.value == ask("revenue in the Nordics this quarter").value


def test_top_reps_after_a_figure_ranks_reps_by_it(demo_assistant, ask):
    _, top = talk(demo_assistant, "revenue this quarter", "top 3 reps")
    assert (top.kind, top.metric, top.group_by) == ("kpi", "revenue", ["owner"])
    assert top.rows == ask("top 3 reps by revenue this quarter").rows and len(top.rows) == 3


def test_a_forecast_says_what_the_period_has_booked(demo_assistant, ask):
    forecast = ask("what's the forecast for this quarter?")
    booked = ask("revenue this quarter").value
    assert forecast.metric == "weighted_pipeline"
    euros = f"{booked:,.0f}"
    assert any("already won" in n and euros in n for n in forecast.notes), forecast.notes
    assert not any("already won" in n for n in ask("weighted pipeline this quarter").notes)
