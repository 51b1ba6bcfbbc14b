"""Playbook answers a new hire can use: the index keeps words and headings whole, sentences are
whole, answers take the shape of the question, routing follows the evidence, and what the
playbook does not cover is said plainly. The evaluation set (tests/eval/playbook_eval.jsonl)
runs through the whole assistant."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from bot.core.conversation import Conversation
from bot.core.understanding import Parts, PlaybookQuestion, understand
from bot.metrics.periods import Calendar
from bot.nlu.values import build_index
from bot.metrics import demo
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.playbook.documents import load_documents
from bot.playbook.chunks import split
from bot.playbook.embeddings import HashingEmbedder
from bot.playbook.index import PlaybookIndex, question_terms, terms
from bot.playbook.sentences import split_sentences
from bot.playbook.service import Playbook
from tests.paths import EVAL, KNOWLEDGE

AS_OF = date(2026, 11, 20)
EVAL_SET = EVAL / "playbook_eval.jsonl"


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).lower()


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> PlaybookIndex:
    idx = PlaybookIndex(KNOWLEDGE, tmp_path_factory.mktemp("pb-answers"), HashingEmbedder())
    idx.sync()
    return idx


@pytest.fixture(scope="module")
def bot(index, tmp_path_factory) -> Assistant:
    """The assistant on a demo store (every KPI of the evaluation's KPI parts has data there)."""
    out = tmp_path_factory.mktemp("pb-demo")
    demo.write_demo(out, seed=5, deals=3_000, as_of=AS_OF)
    return Assistant(Engine(load_store(out)), playbook=Playbook(index))


# ---------------------------------------------------------------- the index

def test_non_breaking_spaces_do_not_glue_words_together():
    swedish = next(d for d in load_documents(KNOWLEDGE)[0] if d.lang == "sv")
    assert "\u00a0" in swedish.text  # the source has them: "det\u00a0inte", "har\u00a0gjort"
    text = " ".join(c.text for c in split(swedish))
    assert "\u00a0" not in text
    assert "detinte" not in text and "hargjort" not in text
    assert "det inte" in text and "har gjort" in text


def test_passages_are_readable_and_never_overlap():
    for doc in load_documents(KNOWLEDGE)[0]:
        chunks = split(doc)
        assert all(len(c.text) <= 2000 for c in chunks), doc.id
        # together the passages are the document's text once, in order (no overlap, nothing lost)
        body = flat(" ".join(c.text for c in chunks))
        for sentence in ("Ansæt personer med stærke analytiske evner", "Jag heter Thomas Barregren",
                         "This means he or she will be expected to work closely"):
            if sentence.lower() in flat(doc.text):
                assert body.count(sentence.lower()) == 1
    transcript = split(next(d for d in load_documents(KNOWLEDGE)[0] if d.lang == "sv"))
    assert len(transcript) >= 5  # the podcast has no sections: it is cut into passages, not one block


def test_a_question_that_names_a_section_finds_it(index):
    """Headings are part of what is searched: the topic of a short section is mostly its heading."""
    for question, heading in [("Hvordan håndterer en CCO sæsonudsving og markedssvingninger?",
                               "Sæsonudsving og markedssvingninger"),
                              ("What about incentive compensation?", "6. Incitamentsaflønning"),
                              ("Hvad er kommerciel drift?", "Hvad er kommerciel drift?")]:
        hits = index.search(question)
        assert heading in hits[0].chunk.section, (question, [h.chunk.section for h in hits])


def test_citations_name_and_link_the_section(bot):
    answer = bot.ask("Hvad er kommerciel drift?", as_of=AS_OF)
    cite = answer.citations[0]
    assert cite["section"].endswith("Hvad er kommerciel drift?")
    assert cite["link"] == "knowledge/global-kommerciel-drift.md#hvad-er-kommerciel-drift"
    assert "strategisk funktion" in cite["text"] and len(cite["text"]) <= 1000


# ---------------------------------------------------------------- whole sentences

@pytest.mark.parametrize("text, lang, sentences", [
    ("CEO vs. CCO: CEO har det overordnede ansvar. CMO vs. CCO: Marketing er fokuseret på brand.", "da",
     ["CEO vs. CCO: CEO har det overordnede ansvar.", "CMO vs. CCO: Marketing er fokuseret på brand."]),
    ("Implementering af et CRM-system (f.eks. Salesforce, Microsoft Dynamics 365). CRM-systemet bør "
     "konfigureres.", "da", ["Implementering af et CRM-system (f.eks. Salesforce, Microsoft Dynamics 365).",
                             "CRM-systemet bør konfigureres."]),
    ("Det gäller bl.a. mål, t.ex. intäkter. Vad är lösningen?", "sv",
     ["Det gäller bl.a. mål, t.ex. intäkter.", "Vad är lösningen?"]),
    ("The CCO, e.g. in retail, reports to the CEO. It is relatively new.", "en",
     ["The CCO, e.g. in retail, reports to the CEO.", "It is relatively new."]),
])
def test_the_sentence_splitter_knows_the_abbreviations(text, lang, sentences):
    assert split_sentences(text, lang) == sentences


def test_every_quote_is_made_of_whole_sentences(bot):
    for question in ("How is a CCO different from a CMO?", "Vilka CRM-system nämns?", "Hvad er kommerciel drift?"):
        answer = bot.ask(question, as_of=AS_OF)
        for quote in re.findall(r"“(.+?)” \[\d\]", answer.text, re.S):
            for line in quote.split("\n• "):
                assert line[0].isupper() or line[0].isdigit() or line[0] in "–\"“", (question, line)
                assert line.rstrip().endswith((".", "?", "!", ":", ")")) or len(line) < 80, (question, line)


# ---------------------------------------------------------------- answers shaped like the question

def test_a_list_question_gets_the_whole_list(bot):
    answer = bot.ask("Hvilke roller skal et kommercielt driftsteam have?", as_of=AS_OF)
    roles = ["Leder af kommerciel drift", "Sales Operations Manager", "Marketing Operations Manager",
             "Customer Success Operations Manager", "Dataanalytiker", "CRM-administrator"]
    assert answer.kind == "playbook"
    assert [line[2:].split(":")[0] for line in answer.text.splitlines() if line.startswith("• ")] == roles


def test_a_list_of_sub_sections(bot):
    answer = bot.ask("What are the key components of a global commercial operations function?", as_of=AS_OF)
    items = [line for line in answer.text.splitlines() if line.startswith("• ")]
    assert [i[2:].split(":")[0] for i in items] == ["1. Strategi og planlægning", "2. Teknologiledelse",
                                                    "3. Datastyring og analyse", "4. Procesoptimering",
                                                    "5. Sales Enablement", "6. Incitamentsaflønning"]
    assert "(in Danish)" in answer.text  # the quote is labelled with its language


def test_a_comparison_quotes_the_sentences_that_contrast_the_two(bot):
    answer = bot.ask("How is a CCO different from a CMO?", as_of=AS_OF)
    quoted = re.findall(r"“(.+?)” \[\d\]", answer.text, re.S)
    assert quoted and all("CMO" in q or "Chief Marketing Officer" in q for q in quoted)
    assert "CSO vs. CCO" not in answer.text  # the other comparisons in the same list are not this one


def test_an_advice_question_gets_the_recommendation_not_only_the_problem(bot):
    answer = bot.ask("Hvordan sælger vi komplekse løsninger, hvor kunden er lang tid om at beslutte sig?",
                     as_of=AS_OF)
    assert answer.kind == "playbook" and "ROI-scenarier" in answer.text


def test_a_question_in_a_passage_is_quoted_with_its_answer(bot):
    answer = bot.ask("Vad gör en Chief Customer Officer?", as_of=AS_OF)
    assert answer.kind == "playbook" and answer.lang == "sv"
    assert "kundernas upplevelse" in answer.text or "authoritative view of the customer" in answer.text


# ---------------------------------------------------------------- routing by evidence

@pytest.mark.parametrize("question, kinds", [
    ("how do we reduce churn?", ["playbook"]),
    ("churn last month", ["kpi"]),
    ("What does a good onboarding plan for a new sales rep look like?", ["playbook"]),
    ("hvorfor er kommerciel drift vigtigt?", ["playbook"]),
    ("win rate by region last quarter", ["kpi"]),
    ("how can we improve our win rate this quarter?", ["playbook", "kpi"]),  # the advice and the figure
    # a yardstick beside the figure: no passage names win rate ("churn-rate" was quoted), so the figure
    # leads and the playbook says it does not cover it
    ("what is a good win rate?", ["kpi", "not_covered"]), ("hvad er en god win rate?", ["kpi", "not_covered"]),
    ("Which KPIs should a CCO track, and what was our win rate last quarter?", ["playbook", "kpi"]),
    ("vad säger playbooken om att korta säljcykeln, och hur lång var vår säljcykel förra månaden?",
     ["playbook", "kpi"]),
    ("What does the playbook say about churn, and what is ours?", ["playbook", "kpi"]),
    ("What's our vacation policy?", ["not_covered"]),
    ("whats the wifi password in the office", ["not_covered"]),
    ("hur beställer jag en ny laptop?", ["not_covered"]),
    # a compound the playbook has only half of is not covered: "bidrag" is not "träningsbidrag"
    ("Kan jag få träningsbidrag från jobbet?", ["not_covered"]),
    ("hvordan bestiller jeg et mødelokale i København?", ["not_covered"]),
    # "politik" is a word of the playbook, but "firmabil" (its long first part) is not
    ("hvad er vores firmabilpolitik?", ["not_covered"]),
    ("how do I build a sales pipeline?", ["playbook"]),  # "I" asks how; no figure of mine is asked for
    # advice about any stalled deal, which the playbook does not give: never the asker's stalled deals listed
    ("how do i unstick a stalled deal?", ["not_covered"]),
    ("what are our stalled deals?", ["deals"]),
    ("is AI just a fad for sales teams?", ["playbook"]),  # not revenue: "AI" and "fad" are left over
    ("What is our flurbo rate?", ["clarify"]),
    ("how are we doing?", ["kpi"] * 4),  # the headline figures, not a playbook quote
    ("hur går det för oss?", ["kpi"] * 4),
])
def test_routing_follows_the_evidence(bot, question, kinds):
    answer = bot.ask(question, as_of=AS_OF)
    assert [p.kind for p in answer.parts or [answer]] == kinds, answer.text


def test_not_covered_is_said_plainly_in_the_askers_language(bot):
    for question, lang, says in [("What's our vacation policy?", "en", "doesn't cover"),
                                 ("hvordan søger jeg barsel?", "da", "dækker playbooken ikke"),
                                 ("hur beställer jag en ny laptop?", "sv", "täcker playbooken inte")]:
        answer = bot.ask(question, as_of=AS_OF)
        assert answer.kind == "not_covered" and answer.lang == lang and says in answer.text
        assert answer.citations == [] and "“" in answer.text  # the nearest topics it does cover, named


# ---------------------------------------------------------------- the evaluation set

def load_eval() -> list[dict]:
    return [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_evaluation_set_is_what_it_says():
    cases = load_eval()
    assert len(cases) >= 90
    for lang in ("en", "da", "sv"):
        assert sum(c["lang"] == lang for c in cases) >= 30
    assert sum(c["cross"] for c in cases) >= 35
    assert sum(c["expect"] == "not_covered" for c in cases) >= 12
    assert sum(c["expect"] == "both" for c in cases) >= 8
    texts = {d.id: flat(d.text) for d in load_documents(KNOWLEDGE)[0]}
    for c in cases:  # every expected phrase is in the document it names
        for phrase in c["passage_any_of"] + c["answer_any_of"]:
            assert flat(phrase) in texts[c["doc"]], (c["id"], phrase)


def playbook_part(bot: Assistant, question: str) -> str:
    """The text the understanding step sends to the playbook (the playbook clauses of a mixed question)."""
    store = bot.engine.store
    reading = understand(bot.parser, question, store.cached("value_index", lambda: build_index(store)),
                         Calendar(AS_OF, store.fiscal_year_start_month), None, bot._earlier, bot.playbook.evidence)
    parts = reading.parts if isinstance(reading, Parts) else [reading]
    return next((p.text for p in parts if isinstance(p, PlaybookQuestion)), question)


def test_the_evaluation_set_offline(bot, index):
    """Targets: passage in the top 3 ≥ 90%, phrase in the answer text ≥ 80%, every not-covered
    question answered not_covered and no covered one, every KPI part answered."""
    cases = load_eval()
    covered = [c for c in cases if c["expect"] != "not_covered"]
    found, phrased, misses, wrong_route = 0, 0, [], []
    for c in cases:
        answer = bot.ask(c["q"], as_of=AS_OF)
        parts = answer.parts or [answer]
        kinds = [p.kind for p in parts]
        if c["expect"] == "not_covered":
            if kinds != ["not_covered"]:
                wrong_route.append((c["id"], kinds))
            continue
        book = next((p for p in parts if p.kind == "playbook"), None)
        if book is None or (c["expect"] == "both") != ("kpi" in kinds):
            wrong_route.append((c["id"], kinds))
        if c["expect"] == "both":
            kpi = next((p for p in parts if p.kind == "kpi"), None)
            assert kpi is not None and kpi.metric == c["kpi"] and kpi.value is not None, (c["id"], kinds)
        hits = index.search(playbook_part(bot, c["q"]), 3)  # what the router passes on to the playbook
        found += any(flat(p) in flat(h.chunk.text + " " + h.chunk.section) for h in hits for p in c["passage_any_of"])
        ok = book is not None and any(flat(p) in flat(book.text) for p in c["answer_any_of"])
        phrased += ok
        if not ok:
            misses.append(c["id"])
    n = len(covered)
    print(f"\nplaybook eval: passage@3 {found}/{n} = {found / n:.2f}; phrase in answer {phrased}/{n} = "
          f"{phrased / n:.2f}; wrong route {wrong_route}; missed {misses}")
    assert found / n >= 0.9
    assert wrong_route == []
    assert phrased / n >= 0.8


@pytest.mark.parametrize("question, covered", [
    ("Do sales reps get a company car?", False),  # the playbook knows "sales reps", never a car
    ("Can I get a new laptop?", False),
    ("what's our company car policy?", False),  # a policy, the playbook's word, but of a car, which it never names
    ("what is our sales compensation policy?", True),  # every noun its own
    ("Do sales reps get a car?", None),  # no modifier: left to coverage
    ("what does a chief commercial officer actually do all day?", True),  # "all day": how much, not what
    ("Which customer acquisition and loyalty KPIs should a CCO own?", True),  # "own" is a verb
])
def test_a_question_about_a_thing_the_playbook_never_names_is_not_covered(bot, index, question, covered):
    thing = index.unknown_thing(question)
    if covered is False:
        assert thing is not None
        assert bot.ask(question, as_of=AS_OF).kind == "not_covered"
    else:
        assert thing is None
    if covered:
        assert bot.ask(question, as_of=AS_OF).kind == "playbook"


@pytest.mark.parametrize("question,kind", [
    # "the"/"our" before a KPI asks for our figure, though the playbook speaks of churn rate
    ("what's the churn rate", "kpi"), ("what's our churn rate", "kpi"), ("hvad er vores churn rate", "kpi"),
    ("vad är vår churngrad", "kpi"), ("what's the win rate", "kpi"),
    # what a KPI means is asked of the playbook, never answered with a figure
    ("what is the definition of churn rate", "playbook"), ("hvad betyder churn rate", "playbook"),
    ("what does NRR mean", "playbook"),
])
def test_a_figure_or_what_a_kpi_means(bot, question, kind):
    answer = bot.ask(question, as_of=AS_OF)
    if kind == "kpi":
        assert answer.kind == "kpi" and answer.metric in ("logo_churn_rate", "win_rate"), answer.text
        assert answer.value is not None, answer.text
    else:
        assert answer.kind in ("playbook", "not_covered") and answer.value is None, answer.text


@pytest.mark.parametrize("question,offered", [
    # a KPI over deals read from "opened", but the question is about support cases: asked back
    ("how many support cases were opened last month", "Case resolution time"),
    ("hvor mange supportsager blev oprettet sidste måned", "Løsningstid"),
    ("how many tickets did we get last month", "Case resolution time"),
    ("revenue from leads this year", "Leads"),
])
def test_a_question_about_another_tables_things_is_asked_back(bot, question, offered):
    answer = bot.ask(question, as_of=AS_OF)
    assert answer.kind == "clarify" and answer.value is None, answer.text
    assert offered in answer.text, answer.text


@pytest.mark.parametrize("question,metric", [
    ("NPS from the survey last quarter", "nps"), ("conversion rate from lead to opportunity last month",
                                                  "lead_conversion_rate"), ("deals created last month", "deals_created"),
])
def test_the_kpis_own_things_are_part_of_its_question(bot, question, metric):
    answer = bot.ask(question, as_of=AS_OF)
    assert answer.kind == "kpi" and answer.metric == metric and not answer.unused, answer.text


@pytest.mark.parametrize("question,dim,first", [
    ("who are our best reps this year", "owner", "revenue"), ("hvem er de bedste sælgere i år", "owner", "revenue"),
    ("vilka är de bästa säljarna i år", "owner", "revenue"), ("who are the top performers this quarter", "owner", "revenue"),
    ("best performing region last quarter", "region", "revenue"), ("worst performing team this year", "team", "revenue"),
])
def test_a_ranking_without_a_measure_offers_the_measures(bot, question, dim, first):
    # "best" by what is not guessed (it went to the playbook, which spoke of incentive plans): the bot
    # asks back, and each offer, asked as it stands, is that KPI broken down as the question wanted
    answer = bot.ask(question, as_of=AS_OF)
    assert answer.kind == "clarify" and answer.value is None and len(answer.followups) == 3, answer.text
    offered = bot.ask(answer.followups[0], as_of=AS_OF)
    assert offered.kind == "kpi" and offered.metric == first and offered.group_by == [dim], offered.text
    assert len(offered.rows) > 1


@pytest.mark.parametrize("question,kid,lead", [
    ("what does NRR mean", "nrr", "How I compute NRR:"), ("hvad betyder churn rate", "logo_churn_rate", "Sådan beregner jeg"),
    ("vad betyder NRR", "nrr", "Så beräknar jag NRR:"),
])
def test_what_a_kpi_means_says_how_the_bot_computes_it(bot, question, kid, lead):
    import yaml

    kpi = yaml.safe_load((Path(__file__).parents[2] / "bot/metrics/catalog.yml").read_text(encoding="utf-8"))["kpis"][kid]
    lang = {"How": "en", "Sådan": "da", "Så": "sv"}[lead.split()[0]]
    description = kpi["description"] if lang == "en" else kpi["described"][lang]  # in the asker's language
    answer = bot.ask(question, as_of=AS_OF)
    assert answer.kind in ("playbook", "not_covered") and answer.value is None, answer.text
    assert f"{lead}" in answer.text and description in answer.text, answer.text
    assert answer.kind == "playbook" or answer.text.startswith(lead)  # not covered: the definition leads


def test_what_a_kpi_the_playbook_never_names_means_leads_with_how_it_is_computed(bot):
    answer = bot.ask("what does pipeline coverage mean?", as_of=AS_OF)
    assert answer.kind == "not_covered" and answer.text.startswith("How I compute Pipeline coverage:"), answer.text


def test_every_kpi_is_described_in_danish_and_swedish():
    import yaml

    kpis = yaml.safe_load((Path(__file__).parents[2] / "bot/metrics/catalog.yml").read_text(encoding="utf-8"))["kpis"]
    assert all(set(k.get("described", {})) == {"da", "sv"} and all(k["described"].values()) for k in kpis.values())


def test_a_question_word_is_stemmed_in_its_own_languages():
    # English "matter" stemmed as Swedish is "mat", which found "Mats Rönne" for "why does NRR matter?"
    assert "mat" not in question_terms("matter") and "matter" in question_terms("matter")
    assert {"kund"} <= question_terms("kunde")  # a Danish and Swedish word keeps its stem
    assert question_terms("flurbo") == terms("flurbo", ("en", "da", "sv"))  # a word of none: every language


@pytest.mark.parametrize("question,kid", [("What is NRR?", "nrr"), ("vad är pipeline coverage", "pipeline_coverage"),
                                          ("hvad er win rate?", "win_rate")])
def test_what_a_kpi_is_says_what_it_is_and_gives_ours(bot, question, kid):
    # a bare "what is X?" is both what X is (the playbook's and how the bot computes it) and our figure,
    # never a figure alone (which answered "what is our NRR?")
    answer = bot.ask(question, as_of=AS_OF)
    kinds = [p.kind for p in answer.parts]
    assert "kpi" in kinds and {"playbook", "not_covered"} & set(kinds), answer.text
    assert next(p for p in answer.parts if p.kind == "kpi").metric == kid
    assert "How I compute" in answer.text or "beregner jeg" in answer.text or "beräknar jag" in answer.text


@pytest.mark.parametrize("question", [
    "How do I coach my sales reps?",  # "sales" says which reps, it asks no revenue
    "How do I onboard a new sales rep?",  # a person new here, no deal of type new
    "What should I report to my boss about the pipeline?",  # "my" is the boss's, no figure of mine is asked
    "What is sales enablement?",
    "When should marketing hand leads over to sales?",  # advice, not a count of leads
])
def test_advice_gets_no_figure_it_did_not_ask_for(bot, question):
    answer = bot.ask(question, user="m1", as_of=AS_OF)
    assert answer.kind in ("playbook", "not_covered") and answer.value is None, answer.text
    assert not any(p.kind == "kpi" for p in answer.parts), answer.text


@pytest.mark.parametrize("first,meaning", [("win rate this quarter", "what does that mean?"),
                                           ("win rate this quarter", "vad betyder det?"),
                                           ("churn rate last month", "hvad betyder det?")])
def test_what_that_means_is_asked_of_the_last_kpi(bot, first, meaning):
    # it quoted the playbook on whatever "mean" matched (GDPR rules, working with the CFO)
    convo = Conversation()
    figure = bot.ask(first, as_of=AS_OF, conversation=convo)
    answer = bot.ask(meaning, as_of=AS_OF, conversation=convo)
    assert answer.kind in ("playbook", "not_covered") and answer.value is None, answer.text
    name = bot.catalog.kpis[figure.metric].names[answer.lang][0]
    assert name.lower() in answer.text.lower()  # how it is computed, at least


@pytest.mark.parametrize("first,then", [("deals closing this month", "only the big ones"),
                                        ("open deals in DACH", "what about the ugly ones?"),
                                        ("pipeline this quarter", "og hvad med det store billede?"),
                                        ("hvad er vores pipeline?", "og i kroner?"),
                                        ("revenue last quarter", "why?"),  # (it said the playbook doesn't cover that)
                                        ("hvor mange aftaler tabte vi i år?", "hvorfor?")])
def test_a_follow_up_on_the_last_answer_is_asked_back_not_quoted(bot, first, then):
    # they got the playbook's passages on whatever "big" or "value" matched
    convo = Conversation()
    bot.ask(first, as_of=AS_OF, conversation=convo)
    answer = bot.ask(then, as_of=AS_OF, conversation=convo)
    assert answer.kind == "clarify" and not answer.citations, answer.text


@pytest.mark.parametrize("question,what", [("what's our gross margin?", "gross margin"),
                                           ("how many employees do we have", "employees"),
                                           ("hvor mange ansatte har vi?", "ansatte"),
                                           ("vad är vår vinst i år?", "vinst"),
                                           ("gross revenue retention last quarter", "gross revenue retention")])
def test_a_figure_of_ours_the_store_lacks_is_said_to_be_missing(bot, question, what):
    # they got unrelated passages ("Partnerskabsindtægter og kanalmargin") presented as the answer
    answer = bot.ask(question, as_of=AS_OF)
    assert answer.kind == "clarify" and what in answer.text and not answer.citations and answer.value is None


def test_a_roles_pay_is_not_our_revenue(bot):
    # "How much does a CCO typically earn?" gave our revenue, quarter to date
    answer = bot.ask("How much does a CCO typically earn?", as_of=AS_OF)
    assert answer.kind in ("playbook", "not_covered") and answer.metric is None


@pytest.mark.parametrize("question", ["Who does the CCO report to?", "Hvem refererer en CCO til?",
                                      "Vilka roller behövs i ett team för kommersiell drift?"])
def test_a_role_is_the_playbooks_not_the_org_chart(bot, question):
    # "Who does the CCO report to?" gave the asker's own manager from the reps table
    answer = bot.ask(question, user="r-0005", as_of=AS_OF)
    assert answer.kind in ("playbook", "not_covered") and not answer.rows, answer.text


def test_what_a_figure_means_keeps_the_question_it_was_asked_of(bot):
    # "og churn?" after "hvad betyder det?" gave last month's churn: the meaning had replaced last quarter's NRR
    convo = Conversation()
    for question in ("Hvad er vores NRR?", "og sidste kvartal?", "hvad betyder det?"):
        bot.ask(question, as_of=AS_OF, conversation=convo)
    churn = bot.ask("og churn?", as_of=AS_OF, conversation=convo)
    assert churn.period == {"start": "2026-07-01", "end": "2026-09-30"}
    assert churn.value == bot.ask("kundeafgang sidste kvartal", as_of=AS_OF).value


@pytest.mark.parametrize("first,more", [("What does a Chief Commercial Officer do?", "tell me more"),
                                        ("Hvad gør en CCO?", "fortæl mere"), ("Hur blir man CCO?", "berätta mer")])
def test_tell_me_more_reads_on_in_the_playbook(bot, first, more):
    # "tell me more" got the help text
    convo = Conversation()
    answer = bot.ask(first, as_of=AS_OF, conversation=convo)
    again = bot.ask(more, as_of=AS_OF, conversation=convo)
    assert again.kind in ("playbook", "not_covered") and again.lang == answer.lang, again.text
    shown = {c["text"] for c in answer.citations}
    assert not shown & {c["text"] for c in again.citations}  # other passages than the first answer's
    alone = bot.ask(more, as_of=AS_OF, conversation=Conversation())
    assert alone.kind == "help"  # with nothing looked up before, there is nothing to read on from


@pytest.mark.parametrize("question,lead", [("how is pipeline coverage computed?", "How I compute"),
                                           ("hvordan beregnes win rate", "Sådan beregner jeg"),
                                           ("hur räknas säljcykeln?", "Så beräknar jag")])
def test_how_a_kpi_is_computed_says_how_not_how_much(bot, question, lead):
    # "how is pipeline coverage computed?" gave "2.0×" and named "computed" unused
    answer = bot.ask(question, as_of=AS_OF)
    assert answer.value is None and lead in answer.text and not answer.unused, answer.text


def test_whos_my_manager_without_an_apostrophe(bot):
    # it quoted a playbook passage listing job roles
    reps = bot.engine.store.tables["reps"]
    rep = reps[(reps["role"] == "rep") & reps["manager_id"].notna()].iloc[0]
    answer = bot.ask("whos my manager", user=rep["rep_id"], as_of=AS_OF)
    assert answer.kind == "people" and answer.rows[0]["rep_id"] == rep["manager_id"]


def test_more_after_a_list_is_the_list_further_down(bot):
    # ("more" reads on in the playbook only after the playbook's answer)
    convo = Conversation()
    first = bot.ask("list the open deals", as_of=AS_OF, conversation=convo)
    more = bot.ask("more", as_of=AS_OF, conversation=convo)
    assert more.kind == "deals" and len(more.rows) == min(20, int(first.value)) > len(first.rows)


@pytest.mark.parametrize("question,says,not_says", [
    # a reporting line in any language finds whose line it is: not "rapportere om pipeline", nor the marketing
    # director's line to "en ledare"
    ("hvem refererer CCO'en til?", "reports directly to the chief executive officer", "rapportere om pipeline"),
    ("vem rapporterar en CCO till?", "reports directly to the chief executive officer", "till en ledare"),
    ("who does the CCO report to?", "reports directly to the chief executive officer", None),
    # "egentlig" ("actually") says how it is asked, not what: not the Swedish passage that has "egentligen"
    ("hej, jeg er ny. hvad laver en CCO egentlig?", "executive in charge of a company", "Marknadskommunikation"),
    # "vigtigst" says how much, not what: the KPIs, not "de vigtigste kompetencer"
    ("hvilke KPI'er er vigtigst for en CCO?", "KPI", "kompetencer"),
    # what a list question asks to list: the roles, not what commercial operations is
    ("which roles does a commercial operations team need?", "Sales Operations Manager", None),
    # a compound written as two words in the other language ("produktansvar": "product liability")
    ("er CCO'en også ansvarlig for kundeklager og produktansvar?", "product liability", None),
    ("hvad er a/b-test og hvad bruger ops-teamet det til", "sammenligne forskellige versioner", None),
    # what someone proposed, in the past tense too: the list of proposals, not every sentence naming him
    ("Hvad foreslog professor Turpin?", "att marknadschefs-titeln bör skrotas", None),
    ("Vad föreslog professor Turpin?", "att marknadschefs-titeln bör skrotas", None),
    # sub-sections that are lists: their items, not only the first of each ("CAC" is the second)
    ("Which KPIs should a CCO track?", "Kundeanskaffelseskost (CAC)", None),
    # what the playbook says of a section it names, whose sentences do not repeat its heading: its list
    ("hvad siger playbooken om kundeloyalitet?", "Net Promoter Score (NPS)", "miljømæssige"),
])
def test_what_a_question_asks_finds_the_passage_that_says_it(bot, question, says, not_says):
    answer = bot.ask(question, as_of=AS_OF)
    assert answer.kind == "playbook" and says in answer.text, answer.text
    assert not_says is None or not_says not in answer.text, answer.text


@pytest.mark.parametrize("question,covered", [
    ("Hvad er reglerne for firmabil?", False),  # a car: the playbook has no trace of one, in any language
    ("Hvordan beregner man moms på en faktura til Norge?", False),  # VAT and invoices
    ("hur når vi småkunder på tillväxtmarknader när vi bara ses som storbolagens leverantör", True),  # small
    ("hvorfor kan vi ikke bare genbruge vores amerikanske kampagne i Asien?", True),  # customers, big companies
    ("Hvornår bliver lønnen udbetalt i december?", False),  # a period, but no measure: not a KPI we lack
    ("Hur mycket semester har jag kvar i år?", False),
    ("Hvad er en god onboardingplan for en ny sælger?", True),  # a loan word's compound: "onboarding" is there
])
def test_a_question_mostly_about_what_the_playbook_never_names_is_not_covered(bot, question, covered):
    answer = bot.ask(question, as_of=AS_OF)
    assert answer.kind == ("playbook" if covered else "not_covered"), answer.text


@pytest.mark.parametrize("turns,says", [
    # another title in the place of the one beside the CCO
    (["How does a CCO differ from a CMO?", "and the CSO?"], "CSO vs. CCO"),
    (["Hvad er forskellen på en CEO og en CCO?", "hvad med CMO'en?"], "CMO vs. CCO"),
    # why, of what was just asked
    (["what is commercial operations?", "and why?"], "hvorfor det er afgørende"),
    (["what is commercial operations?", "och varför spelar det någon roll?"], "hvorfor det er afgørende"),
    (["How does a CCO differ from a CMO?", "och CSO:n då?", "varför spelar det någon roll?"], "CSO vs. CCO"),
    # what the last answer was about: a question the playbook does not answer alone, or with a pronoun
    (["what is commercial ops", "what are the key parts"], "nøglekomponenter"),
    (["vad gör en cco", "och vilka kpier följer hen"], "KPI"),
])
def test_a_short_follow_up_of_the_playbooks_answer_asks_the_playbook_again(bot, turns, says):
    # "and the CSO?" after the CCO and the CMO got "I can't answer that from the metrics store" and the help
    convo = Conversation()
    for question in turns:
        answer = bot.ask(question, as_of=AS_OF, conversation=convo)
    assert answer.kind == "playbook" and says in answer.text, answer.text
    figure = bot.ask("and our win rate?", as_of=AS_OF, conversation=convo)  # a KPI asked after it is still a KPI
    assert figure.kind == "kpi" and figure.metric == "win_rate"


@pytest.mark.parametrize("question,kind,says", [
    ("how much does a CCO typically earn?", "not_covered", None),  # quoted the definition: no passage speaks of pay
    ("What is the typical salary of a Chief Commercial Officer?", "not_covered", None),
    ("vad står CAC för?", "playbook", "Kundeanskaffelseskost (CAC)"),  # what a term stands for, not its figure
])
def test_pay_of_a_role_and_what_a_term_stands_for(bot, question, kind, says):
    answer = bot.ask(question, as_of=AS_OF)
    assert answer.kind == kind and answer.value is None, answer.text
    assert says is None or says in answer.text, answer.text


def test_a_playbook_clause_and_a_figure_without_a_comma(bot):
    # "which kpis should a cco track and whats my win rate" gave the win rate alone, "cco" and "track" unused
    answer = bot.ask("which kpis should a cco track and whats our win rate", as_of=AS_OF)
    assert [p.kind for p in answer.parts] == ["playbook", "kpi"] and not answer.unused, answer.text
    assert answer.parts[1].metric == "win_rate" and answer.parts[1].value is not None


def test_the_example_of_cli_md_with_a_period_after_ours(bot):
    # "Which KPIs should a CCO track, and what are ours this quarter?" asked which KPI was meant
    answer = bot.ask("Which KPIs should a CCO track, and what are ours this quarter?", as_of=AS_OF)
    assert answer.kind == "playbook" and answer.figures and all(f.value is not None for f in answer.figures), answer.text


@pytest.mark.parametrize("why", ["why?", "why is it lower?", "og hvorfor?"])
def test_why_after_a_figure_says_what_the_data_can_show(bot, why):
    # "why?" after a figure: "I'm not sure how that changes the last answer"; "why is mine lower?" quoted a passage
    convo = Conversation()
    bot.ask("revenue last quarter", as_of=AS_OF, conversation=convo)
    answer = bot.ask(why, as_of=AS_OF, conversation=convo)
    assert answer.kind == "clarify" and answer.value is None and not answer.citations, answer.text


def test_not_covered_names_the_nearest_topics_in_the_askers_language_first():
    from bot.playbook.answer import not_covered
    from bot.playbook.chunks import Chunk
    from bot.playbook.index import Hit

    def hit(heading: str, lang: str, score: float) -> Hit:
        return Hit(Chunk(heading, "d", "T", f"T › {heading}", lang, 0, "x", "s", "h"), score, 0.1)

    hits = [hit("Kommerciel drift", "da", 0.9), hit("Kundresan", "sv", 0.8), hit("What a CCO does", "en", 0.7),
            hit("Onboarding", "en", 0.6), hit("Nøgletal", "da", 0.5)]
    text = not_covered(hits, "en")
    named = re.findall(r"“([^”]+)”", text)
    assert named == ["What a CCO does", "Onboarding", "Kommerciel drift"]  # English first, each group nearest first
    assert re.findall(r"“([^”]+)”", not_covered(hits, "sv"))[0] == "Kundresan"


@pytest.mark.parametrize("question, own", [("what's our commission plan?", True), ("hvad er vores incitamentsplan?", True),
                                           ("vad är vår säljprocess?", True), ("what is a commission plan?", False)])
def test_our_own_document_answered_from_general_passages_says_so(bot, question, own):
    answer = bot.ask(question, as_of=AS_OF)
    assert answer.kind == "playbook", answer.text
    said = [n for n in answer.notes if "general" in n or "generelt" in n or "generellt" in n]
    assert bool(said) == own, answer.notes
