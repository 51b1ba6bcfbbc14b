"""The form of a question: what kind of answer it wants, whatever it is about.

"how do we reduce churn?" wants advice, "churn last month" a number, "what is commercial
operations?" a definition, "which KPIs should a CCO track?" a list. The form is one piece of
evidence for routing (with the KPI slots the question fills and how well the playbook answers
it) and decides the shape of a playbook answer.
"""

from __future__ import annotations

import re

# A number: how much/many, a ranking, a breakdown, "show me", "what was".
NUMBER = re.compile(
    r"\b(?:how (?:much|many)|hvor (?:mange|meget|stor\w*)|hur (?:många|mycket|stor\w*)|what (?:was|were)|"
    r"hvad var|vad var|show me|vis mig|visa mig|list (?:my|our|all)|top \d+|"
    r"by (?:region|segment|country|month|quarter|rep|owner|team|product)|per (?:region|segment|land|måned|månad|"
    r"kvartal|sælger|säljare|rep|team)|fordelt på|uppdelat på|where (?:are|do) we stand|hur ligger vi|"
    r"hvordan ligger vi|how are we doing|hvordan går det|hur går det|"
    # how our own figure looks is a number: "hur ser vår pipeline ut?", "how's my pipeline looking?"
    r"(?:what|how) does (?:our|my) [\w' -]+ look|how(?:'s| is) (?:our|my) [\w' -]+ looking|"
    r"hvordan ser (?:vores|min|mit|mine) [\w -]+ ud|hur ser (?:vår|vårt|våra|min|mitt|mina) [\w -]+ ut)\b")
COMPARISON = re.compile(
    # ("time zone differences", "cultural differences": things that differ, not two things set apart)
    r"\b(?:vs\.?|versus|compared? (?:to|with)|differs?\b|different from|differences between|difference\b|"
    r"distinguish\w*|forskel\w*|adskiller|"
    r"kontra|skillnad\w*|skiljer|sammenlignet|jämfört|i forhold til|i förhållande till)\b")
WHY = re.compile(r"^(?:\W*\w+\W+){0,2}?(?:why|hvorfor|varför)\b|\bwhat(?:'s| is) the point of\b|"
                 r"\b(?:why does .+ matter|hvad er formålet|vad är syftet|vad är poängen|hvad er pointen|"
                 r"why is .+ important|hvorfor er .+ vigtig\w*|varför är .+ viktig\w*)")
ADVICE = re.compile(
    r"\b(?:how (?:do|can|should|would|could|to|does one|might) |how do i|what(?:'s| is) the best way|"
    r"best (?:way|practice\w*)|tips?|advice|recommend\w*|should (?:i|we|a|an|the|our|my)|what should|"
    r"when (?:should|is it time to|is the right time)|hvornår (?:skal|bør)|när (?:ska|bör)|"
    r"hvordan (?:kan|skal|bør|får|gør|laver|bygger|sikrer|undgår|bliver|håndterer|opbygger|kommer)|"
    r"hvad (?:skal|bør|kan|gør) (?:jeg|vi|man)|vad (?:gör) (?:jag|vi|man)|what (?:do|can|should) (?:i|we) do|hur (?:kan|ska|bör|får|gör|bygger|undviker|blir|hanterar|kommer)|"
    r"vad (?:ska|bör|kan) (?:jag|vi|man)|bedste (?:måde|praksis)|bästa (?:sättet|praxis)|gode råd|goda råd|"
    r"råd om|ways? to|in order to|what (?:does|do) .* look like|hvordan ser .* ud|hur ser .* ut|"
    r"improve|forbedre|förbättra|reduce|reducere|nedbringe|minska|increase|øge|öka|avoid|undgå|undvika)\b|"
    # "hvordan booker jeg …", "hur söker jag …": how-to in any present-tense verb
    r"\b(?:hvordan \w{2,}r (?:jeg|vi|man|du)|hur \w{2,}r (?:jag|vi|man|du))\b")
LIST = re.compile(
    r"^(?:\W*\w+\W+){0,3}?(?:which|hvilke|vilka|list|name|nævn|nämn)\b|"
    r"\bwhat (?:are|were) (?:the )?(?:main |key |typical |most important |important |basic |core |)(?:\w+ )?\w+s\b|"
    r"\bwhat \w+s (?:should|do|does|are|matter)\b|"
    r"\b(?:key|main|typical|important) (?:components?|parts?|elements?|steps?|areas?|skills?|kpis?|metrics?|"
    r"responsibilities|traits|qualities|challenges|trends)\b|"
    r"\b(?:hvad|vad) (?:er|är) (?:de )?(?:vigtigste|viktigaste|typiske|typiska|centrale|centrala)\b|"
    r"\bwhat (?:should|do|must) (?:we|i|you|a|an|the \w+) (?:track|measure|monitor|follow)\b|"
    r"\bhvad (?:skal|bør) (?:vi|jeg|man) (?:måle|følge|spore)\b|\bvad (?:ska|bör) (?:vi|jag|man) (?:mäta|följa)\b|"
    r"\bwhat (?:does|do|did) [\w ]+ (?:propose|suggest)\b|\bwhat (?:has|have) [\w ]+ (?:proposed|suggested)\b|"
    r"\bhvad (?:foreslår|foreslog|har [\w ]+ foreslået)\b|\bvad (?:föreslår|föreslog|har [\w ]+ föreslagit)\b")
LIST_NOUN = re.compile(
    r"\b(?:blocks|pillars|building blocks|byggesten|byggstenar|components?|komponenter|steps|skridt|steg|elements|elementer|element|kpi'?s|kpi’er|nøgletal|"
    r"nyckeltal|skills|kompetencer|kompetenser|færdigheder|färdigheter|egenskaber|egenskaper|"
    r"responsibilities|ansvarsområder|ansvarsområden|challenges|udfordringer|utmaningar|trends)\b")
ROLE = re.compile(
    r"\bwhat (?:does|do) (?:a|an|the|our|my) [\w' -]+ (?:do|actually do|really do|own|work on)\b|"
    r"\bhvad (?:gør|laver|arbejder) (?:en|et|man|vores|den)\b|\bvad (?:gör|jobbar|arbetar) (?:en|ett|man|vår|den)\b|"
    r"\b(?:role|rolle|rollen|roll|job) (?:of|as|som|för|for)\b|\bresponsib\w*\b|\bansvar\w*\b|"
    r"\bwho (?:does|is|owns|reports)\b|\bhvem (?:rapporterer|refererer|er|ejer)\b|"
    r"\bvem (?:rapporterar|refererar|är|äger)\b|"
    r"\breport(?:s|ing)? to\b")
DEFINITION = re.compile(
    r"^(?:\W*\w+\W+){0,2}?(?:what is|what's|whats|what are|define|definition of|meaning of|what does .+ mean|"
    r"hvad er|hvad betyder|hvad menes med|hvad vil det sige|vad är|vad betyder|vad menas med|vad innebär)\b|"
    r"\b(?:what is|what's|hvad er|vad är) (?:a|an|en|et|ett)\b")

FORMS = ("comparison", "why", "advice", "list", "role", "definition")


def question_form(question: str) -> str | None:
    """The answer shape a question asks for: 'number', 'comparison', 'why', 'advice', 'list',
    'role', 'definition', or None when the wording does not say."""
    text = question.lower().replace("’", "'")
    if NUMBER.search(text):
        return "number"
    for form, pattern in (("comparison", COMPARISON), ("why", WHY), ("list", LIST), ("advice", ADVICE),
                          ("role", ROLE), ("list", LIST_NOUN), ("definition", DEFINITION)):
        if pattern.search(text):
            return form
    return None
