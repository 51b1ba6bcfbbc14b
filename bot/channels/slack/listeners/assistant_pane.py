"""Slack's AI-assistant pane (bolt's Assistant): suggested prompts for the person's role in their
language, a status with loading messages while working, the thread's title set once."""

from __future__ import annotations

import logging
from collections import OrderedDict

from slack_bolt import App, Assistant, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.channels.slack.app import SlackBot, ask_in
from bot.core.i18n import country_name, t

log = logging.getLogger("ccobot.slack")
LOADING = {
    "en": ["Reading the numbers…", "Checking who may see what…", "Looking in the playbook…"],
    "da": ["Læser tallene…", "Tjekker hvem der må se hvad…", "Kigger i playbooken…"],
    "sv": ["Läser siffrorna…", "Kollar vem som får se vad…", "Tittar i playbooken…"],
}
# What each role asks most, in each language (each is answered, in its language: a test checks).
PROMPTS = {
    "manager": {
        "en": ["my team's pipeline this quarter", "my team's win rate by rep this quarter", "my team's deals at risk",
               "What does a good onboarding plan for a new sales rep look like?"],
        "da": ["mit teams pipeline dette kvartal", "mit teams win rate pr. sælger dette kvartal",
               "mit teams aftaler i risiko", "Hvad er en god onboardingplan for en ny sælger?"],
        "sv": ["mitt teams pipeline det här kvartalet", "mitt teams win rate per säljare det här kvartalet",
               "mitt teams affärer i riskzonen", "Hur ser en bra onboardingplan för en ny säljare ut?"],
    },
    "rep": {
        "en": ["my pipeline this quarter", "my biggest deal closing this month", "my win rate this year",
               "How do I shorten my sales cycle?"],
        "da": ["min pipeline dette kvartal", "min største aftale der lukker denne måned", "min win rate i år",
               "Hvordan forkorter jeg min salgscyklus?"],
        "sv": ["min pipeline det här kvartalet", "min största affär som stänger den här månaden",
               "hur stor är min vinstandel i år?", "Hur kortar jag min säljcykel?"],
    },
    "exec": {
        "en": ["revenue this quarter vs last quarter", "win rate by region this year", "pipeline by segment this quarter",
               "Which KPIs should a CCO track?"],
        "da": ["omsætning dette kvartal mod sidste kvartal", "win rate pr. region i år",
               "pipeline pr. segment dette kvartal", "Hvilke KPI'er bør en CCO følge?"],
        "sv": ["intäkter det här kvartalet jämfört med förra kvartalet", "Vilken vinstandel har vi per region i år?",
               "pipeline per segment det här kvartalet", "Vilka KPI:er bör en CCO följa?"],
    },
}
ROLE_PROMPTS = {"admin": "exec", "exec": "exec", "manager": "manager"}  # anyone else: a rep's questions
# Offered first when the channel the person is viewing names a scope ("#sales-nordics").
SCOPED = {"en": ["pipeline in {scope} this quarter", "win rate in {scope} this quarter"],
          "da": ["pipeline i {scope} dette kvartal", "win rate i {scope} dette kvartal"],
          "sv": ["pipeline i {scope} det här kvartalet", "win rate i {scope} det här kvartalet"]}


def register(app: App, bot: SlackBot) -> None:
    pane = Assistant()
    titled: OrderedDict[tuple[str, str], None] = OrderedDict()  # threads whose title is set

    @pane.thread_started
    def started(payload: dict, say, set_suggested_prompts, client: WebClient) -> None:  # noqa: ANN001
        thread = payload.get("assistant_thread") or {}
        with bot.using(client):
            lang, prompts = prompts_for(bot, thread.get("user_id", ""), (thread.get("context") or {}).get("channel_id"))
        say(t("slack_greeting", lang))
        set_suggested_prompts(prompts=[{"title": q, "message": q} for q in prompts], title=t("slack_prompts_title", lang))

    @pane.thread_context_changed
    def context_changed(payload: dict, set_suggested_prompts, save_thread_context, client: WebClient) -> None:  # noqa: ANN001
        """The person moved to another channel with the pane open: prompts for what it names."""
        thread = payload.get("assistant_thread") or {}
        save_thread_context(thread.get("context") or {})
        with bot.using(client):
            lang, prompts = prompts_for(bot, thread.get("user_id", ""), (thread.get("context") or {}).get("channel_id"))
        _quietly(set_suggested_prompts, prompts=[{"title": q, "message": q} for q in prompts],
                 title=t("slack_prompts_title", lang))

    @pane.user_message
    def message(body: dict, payload: dict, context: BoltContext, set_status, set_title,  # noqa: ANN001
                client: WebClient) -> None:
        question, user = payload.get("text", ""), payload["user"]
        with bot.using(client):
            lang = bot.language_of(user)
        # Status and title are niceties: when Slack refuses them, the answer still comes.
        _quietly(set_status, status=t("slack_status", lang), loading_messages=LOADING[lang])
        key = (payload["channel"], payload.get("thread_ts") or "")
        if key not in titled:
            _quietly(set_title, question[:60] or "ccobot")
            titled[key] = None
            while len(titled) > 5000:
                titled.popitem(last=False)
        bot.handle(question, user, payload["channel"], payload.get("thread_ts"), "im", client, body.get("event_id"),
                   claimed=ask_in(body, context)[1])

    app.use(pane)


def prompts_for(bot: SlackBot, user_id: str, viewing: str | None = None) -> tuple[str, list[str]]:
    """The person's language (their Slack locale) and the questions their role asks most; first,
    when the channel they are viewing names a scope, that scope's pipeline and win rate."""
    lang = bot.language_of(user_id)
    role = ROLE_PROMPTS.get(bot.role_of(user_id), "rep")
    scope = bot.channel_scope(viewing)
    if scope is None:
        return lang, PROMPTS[role][lang]
    dim, value = scope
    name = country_name(value, lang) if dim == "country" else value
    return lang, [q.format(scope=name) for q in SCOPED[lang]] + PROMPTS[role][lang][:2]


def _quietly(call, *args, **kwargs) -> None:  # noqa: ANN001
    try:
        call(*args, **kwargs)
    except SlackApiError as exc:
        log.info("assistant pane call failed: %s", exc.response.get("error"))
