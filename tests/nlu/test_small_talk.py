"""Thanks, greetings and nods are answered in kind, in the asker's language; a greeting before a
question does not hide the question; three breakdowns are asked about, not dropped."""

from __future__ import annotations

import pytest

from bot.core.conversation import Conversation
from tests.nlu.conftest import AS_OF


@pytest.mark.parametrize("message,lang,start", [
    ("tak", "da", "Selv tak!"), ("Tusind tak!", "da", "Selv tak!"), ("tack", "sv", "Varsågod!"),
    ("tack så mycket", "sv", "Varsågod!"), ("thanks!", "en", "You're welcome!"), ("Thank you", "en", "You're welcome!"),
    ("ok", "en", "Good."), ("toppen", "sv", "Bra."), ("fedt", "da", "Godt."),
    ("godmorgen", "da", "Hej! Jeg besvarer"), ("god morgon", "sv", "Hej! Jag svarar"), ("hello", "en", "Hi! I answer"),
])
def test_small_talk_in_kind(ask, message, lang, start):
    answer = ask(message)
    assert answer.kind == "help" and answer.lang == lang and answer.text.startswith(start), answer.text


@pytest.mark.parametrize("first,thanks,start", [("mine aftaler der lukker denne måned", "tak", "Selv tak!"),
                                                ("my deals closing this month", "thanks!", "You're welcome!")])
def test_thanks_after_a_list_is_answered_in_kind_not_with_the_list_again(demo_assistant, first, thanks, start):
    reps = demo_assistant.engine.store.tables["reps"]
    manager = reps.loc[reps["role"] == "manager", "rep_id"].iloc[0]
    convo = Conversation()
    listed = demo_assistant.ask(first, user=manager, as_of=AS_OF, conversation=convo)
    answer = demo_assistant.ask(thanks, user=manager, as_of=AS_OF, conversation=convo)
    assert listed.kind == "deals" and answer.kind == "help" and answer.text.startswith(start), answer.text


def test_an_ambiguous_greeting_takes_the_conversations_language(demo_assistant):
    convo = Conversation()
    demo_assistant.ask("vad var intäkterna förra kvartalet?", as_of=AS_OF, conversation=convo)
    answer = demo_assistant.ask("hej", as_of=AS_OF, conversation=convo)
    assert answer.lang == "sv" and answer.text.startswith("Hej! Jag svarar")


@pytest.mark.parametrize("question,lang", [
    ("Hej, hvad var omsætningen sidste kvartal?", "da"), ("Hej! Vad var intäkterna förra kvartalet?", "sv"),
    ("hi, what was our revenue last quarter?", "en"), ("Godmorgen - hvad var omsætningen sidste kvartal", "da"),
])
def test_a_greeting_before_a_question(ask, question, lang):
    answer = ask(question)
    plain = ask("revenue last quarter")
    assert answer.kind == "kpi" and answer.lang == lang and answer.value == plain.value


def test_three_breakdowns_are_asked_about(ask):
    answer = ask("revenue by region top 5 reps who team")
    assert answer.kind == "clarify" and "at most two" in answer.text and "region" in answer.text
    danish = ask("omsætning pr. region top 5 sælgere hvilket team")
    assert danish.kind == "clarify" and "højst" in danish.text
