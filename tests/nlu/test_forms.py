"""The form of a question decides which side answers it and the shape of a playbook answer."""

import pytest

from bot.nlu.forms import question_form


@pytest.mark.parametrize("question, form", [
    ("how much pipeline do we have?", "number"),
    ("hur ligger vi till mot budget?", "number"),
    ("how do we reduce churn?", "advice"),
    ("hvordan booker jeg et mødelokale?", "advice"),  # how-to in any present-tense verb
    ("hur söker jag friskvårdsbidrag?", "advice"),
    ("hvordan er vi organiseret?", None),  # "er" is no how-to
    ("why does commercial ops matter?", "why"),
    ("which KPIs should a CCO track?", "list"),
    ("CCO vs CMO", "comparison"),
    ("what is commercial operations?", "definition"),
    ("what does a CCO actually do?", "role"),
])
def test_question_form(question, form):
    assert question_form(question) == form
