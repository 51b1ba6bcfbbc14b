"""Words and numbers in the asker's language: English, Danish, Swedish.

Messages are templates keyed by code; numbers, money and percentages are formatted by
Babel with each language's conventions (1,234,567 / 1.234.567 / 1 234 567).
"""

from __future__ import annotations

import re
from datetime import date

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

LANGS = ("en", "da", "sv")
LOCALE = {"en": "en_GB", "da": "da_DK", "sv": "sv_SE"}

MESSAGES: dict[str, dict[str, str]] = {
    # engine notes
    "missing_amounts": {
        "en": "{n} of {total} deals had no amount and are not in the sum.",
        "da": "{n} af {total} aftaler havde intet beløb og indgår ikke i summen.",
        "sv": "{n} av {total} affärer saknade belopp och ingår inte i summan.",
    },
    "converted": {
        "en": "Amounts in {currencies} converted to {base} at monthly rates.",
        "da": "Beløb i {currencies} omregnet til {base} med månedlige kurser.",
        "sv": "Belopp i {currencies} omräknade till {base} med månadskurser.",
    },
    "no_data": {
        "en": "No {what} in this period and scope.",
        "da": "Ingen {what} i denne periode og dette udsnit.",
        "sv": "Inga {what} i den här perioden och det här urvalet.",
    },
    "no_value": {
        "en": "{kpi} has no value here: {den} is zero or unknown for this period and scope.",
        "da": "{kpi} har ingen værdi her: {den} er nul eller ukendt for denne periode og dette udsnit.",
        "sv": "{kpi} har inget värde här: {den} är noll eller okänt för den här perioden och urvalet.",
    },
    "compared_with": {
        "en": "Compared with {start} to {end}.",
        "da": "Sammenlignet med {start} til {end}.",
        "sv": "Jämfört med {start} till {end}.",
    },
    "amount_converted": {
        "en": "{said} is {base} at the latest exchange rate.",
        "da": "{said} er {base} til den seneste kurs.",
        "sv": "{said} är {base} till den senaste kursen.",
    },
    "unknown_currency": {
        "en": "I have no exchange rate for {currency}: say the amount in {base}, or in a currency of the store's rates.",
        "da": "Jeg har ingen kurs for {code}: angiv beløbet i {base} eller i en valuta, datalageret har kurser for.",
        "sv": "Jag har ingen kurs för {code}: ange beloppet i {base} eller i en valuta som datalagret har kurser för.",
    },
    "team_quota": {
        "en": "You have no quota of your own: this is your team's.",
        "da": "Du har ikke selv en kvote: dette er dit teams.",
        "sv": "Du har ingen egen kvot: det här är ditt teams.",
    },
    "team_deals": {
        "en": "You own no deals yourself: this is your team's.",
        "da": "Du ejer ikke selv nogen aftaler: dette er dit teams.",
        "sv": "Du äger inga egna affärer: det här är ditt teams.",
    },
    "forecast_booked": {
        "en": "This forecast is the open deals closing in the period, weighted by probability; it leaves out the "
              "{booked} already won in the period (with it: {total}).",
        "da": "Prognosen er de åbne aftaler, der lukker i perioden, vægtet med sandsynlighed; den udelader de "
              "{booked}, der allerede er vundet i perioden (med dem: {total}).",
        "sv": "Prognosen är de öppna affärer som stängs under perioden, viktade med sannolikhet; den utelämnar de "
              "{booked} som redan vunnits under perioden (med dem: {total}).",
    },
    "named_team_quota": {
        "en": "{name} has no quota of their own: this is {name}'s team's.",
        "da": "{name} har ingen egen kvote: dette er {name}s teams.",
        "sv": "{name} har ingen egen kvot: det här är {name}s teams.",
    },
    "named_team_deals": {
        "en": "{name} owns no deals: this is {name}'s team's.",
        "da": "{name} ejer ingen aftaler: dette er {name}s teams.",
        "sv": "{name} äger inga affärer: det här är {name}s teams.",
    },
    "per_rep_average": {
        "en": "That is the average per rep; each rep's own: “revenue by rep”.",
        "da": "Det er gennemsnittet pr. sælger; hver sælgers egen: “omsætning fordelt på sælgere”.",
        "sv": "Det är genomsnittet per säljare; varje säljares egen: “intäkter fördelat på säljare”.",
    },
    "cut_side": {
        "en": "The earlier period is counted from {start} to {end}: as many days ({gone} of its {days}) as this one "
              "has run.",
        "da": "Den tidligere periode tælles fra {start} til {end}: lige så mange dage ({gone} af dens {days}), som "
              "denne er nået.",
        "sv": "Den tidigare perioden räknas från {start} till {end}: lika många dagar ({gone} av dess {days}) som "
              "den här har hunnit.",
    },
    "partial_side": {
        "en": "{label} runs only to {end} ({gone} of {days} days), against whole periods.",
        "da": "{label} går kun til {end} ({gone} af {days} dage), mod hele perioder.",
        "sv": "{label} går bara till {end} ({gone} av {days} dagar), mot hela perioder.",
    },
    "open_past": {
        "en": "For a period that has ended, this counts the deals still open today that were due to close then "
              "(overdue deals), not the pipeline as it stood then.",
        "da": "For en periode, der er slut, tæller dette de aftaler, der stadig er åbne i dag og skulle have lukket "
              "dengang (forsinkede aftaler), ikke pipelinen, som den så ud dengang.",
        "sv": "För en period som har tagit slut räknas de affärer som fortfarande är öppna i dag och skulle ha "
              "stängts då (försenade affärer), inte pipelinen som den såg ut då.",
    },
    "named_past": {
        "en": "A period named without a year is the latest that has begun; for the coming one, ask for “{period}”.",
        "da": "En periode nævnt uden år er den seneste, der er begyndt; spørg om “{period}” for den kommende.",
        "sv": "En period som nämns utan år är den senaste som har börjat; fråga om “{period}” för den kommande.",
    },
    "not_started": {
        "en": "That period has not started yet (the data runs to {as_of}).",
        "da": "Den periode er ikke begyndt endnu (data går til {as_of}).",
        "sv": "Den perioden har inte börjat än (data sträcker sig till {as_of}).",
    },
    "latest_data": {
        "en": "The latest data is from {date}.",
        "da": "De seneste data er fra {date}.",
        "sv": "Senaste data är från {date}.",
    },
    "ltv_unbounded": {
        "en": "LTV has no value here: no paying account churned in the period, so lifetime is unbounded.",
        "da": "LTV har ingen værdi her: ingen betalende kunde faldt fra i perioden, så levetiden er ubegrænset.",
        "sv": "LTV har inget värde här: ingen betalande kund försvann under perioden, så livslängden är obegränsad.",
    },
    "no_base_accounts": {
        "en": "No account was paying in the month before the period.",
        "da": "Ingen kunde betalte i måneden før perioden.",
        "sv": "Ingen kund betalade månaden före perioden.",
    },
    "whole_company_we": {
        "en": "This is the whole company's figure; ask \"my team's …\" for your team's.",
        "da": "Det er hele virksomhedens tal; spørg \"mit teams …\" for dit teams.",
        "sv": "Det är hela företagets siffra; fråga \"mitt teams …\" för ditt teams.",
    },
    "target_spans": {
        "en": "Targets are set for whole periods ({start} to {end}), and none lies within this one: ask for that "
              "period (\"this quarter\") to see attainment against it.",
        "da": "Målene er sat for hele perioder ({start} til {end}), og intet ligger inden for denne: spørg om den "
              "periode (\"dette kvartal\") for at se målopfyldelsen.",
        "sv": "Målen är satta för hela perioder ({start} till {end}), och inget ligger inom den här: fråga om den "
              "perioden (\"det här kvartalet\") för att se måluppfyllelsen.",
    },
    "whole_target": {
        "en": "Against the target for the whole period, to {end}.",
        "da": "Målt mod målet for hele perioden, til {end}.",
        "sv": "Mätt mot målet för hela perioden, till {end}.",
    },
    "no_spend": {
        "en": "Marketing ROI has no value here: there was no marketing spend in this period and scope.",
        "da": "Marketing-ROI har ingen værdi her: der var intet marketingforbrug i perioden og udsnittet.",
        "sv": "Marknadsförings-ROI har inget värde här: det fanns ingen marknadsföringskostnad i perioden.",
    },
    "own_rows_only": {
        "en": "Showing {whose} only: you may see a breakdown by rep for {whose_short}, not for others.",
        "da": "Viser kun {whose}: du kan se en opdeling pr. sælger for {whose_short}, ikke for andre.",
        "sv": "Visar bara {whose}: du kan se en uppdelning per säljare för {whose_short}, inte för andra.",
    },
    # access
    "denied_unmatched": {
        "en": "I couldn't match you to anyone in the sales org, so I can't show KPI numbers. Ask an admin to add your "
              "Slack id or email to the reps table.",
        "da": "Jeg kunne ikke finde dig i salgsorganisationen, så jeg kan ikke vise KPI-tal. Bed en administrator "
              "om at tilføje dit Slack-id eller din e-mail i sælgertabellen.",
        "sv": "Jag hittade dig inte i säljorganisationen, så jag kan inte visa KPI-siffror. Be en administratör "
              "lägga till ditt Slack-id eller din e-post i säljartabellen.",
    },
    "denied_owner": {
        "en": "You can see deal-level numbers for yourself{and_reports} only, and {names} is outside that.",
        "da": "Du kan kun se tal på aftaleniveau for dig selv{and_reports}, og {names} ligger uden for det.",
        "sv": "Du kan bara se siffror på affärsnivå för dig själv{and_reports}, och {names} ligger utanför det.",
    },
    "denied_breakdown_filter": {
        "en": "A breakdown by rep shows only {whose}, and none of them are in that scope ({where}), so I can't "
              "show it by rep. The total for that scope is an aggregate: ask without \"by rep\".",
        "da": "En opdeling pr. sælger viser kun {whose}, og ingen af dem er i det udsnit ({where}), så jeg kan ikke "
              "vise den pr. sælger. Totalen for udsnittet kan du få: spørg uden \"pr. sælger\".",
        "sv": "En uppdelning per säljare visar bara {whose}, och ingen av dem finns i det urvalet ({where}), så jag "
              "kan inte visa den per säljare. Totalen för urvalet kan du få: fråga utan \"per säljare\".",
    },
    "and_reports": {"en": " and your reports", "da": " og dine medarbejdere", "sv": " och dina medarbetare"},
    "denied_breakdown": {
        "en": "A breakdown by rep shows only the people you may see, and that is nobody here.",
        "da": "En opdeling pr. sælger viser kun de personer, du må se, og det er ingen her.",
        "sv": "En uppdelning per säljare visar bara de personer du får se, och det är ingen här.",
    },
    "who_unknown": {
        "en": "I don't know who \"my\" is here: ask with a user (e.g. --user alice@example.com).",
        "da": "Jeg ved ikke, hvem \"min\" er her: spørg med en bruger (f.eks. --user alice@example.com).",
        "sv": "Jag vet inte vem \"min\" är här: fråga med en användare (t.ex. --user alice@example.com).",
    },
    # asking back and helping
    "clarify_metric": {
        "en": "I'm not sure which KPI you mean{understood}.",
        "da": "Jeg er ikke sikker på, hvilket nøgletal du mener{understood}.",
        "sv": "Jag är inte säker på vilket nyckeltal du menar{understood}.",
    },
    "did_you_mean": {"en": "Did you mean {options}?", "da": "Mente du {options}?", "sv": "Menade du {options}?"},
    "understood": {"en": " (I understood: {parts})", "da": " (jeg forstod: {parts})", "sv": " (jag förstod: {parts})"},
    "or": {"en": "or", "da": "eller", "sv": "eller"},
    "clarify_period": {
        "en": "{message} I understood {what}; try a period like \"last quarter\", \"Q3 2025\" or \"this year\".",
        "da": "{message} Jeg forstod {what}; prøv en periode som \"sidste kvartal\", \"Q3 2025\" eller \"i år\".",
        "sv": "{message} Jag förstod {what}; prova en period som \"förra kvartalet\", \"Q3 2025\" eller \"i år\".",
    },
    "clarify_which_person": {
        "en": "Several people are called {name}: which one do you mean, {people}?",
        "da": "Flere hedder {name}: hvem mener du, {people}?",
        "sv": "Flera heter {name}: vem menar du, {people}?",
    },
    "understood_only": {"en": "I understood {what}.", "da": "Jeg forstod {what}.", "sv": "Jag förstod {what}."},
    "clarify_unknown": {
        "en": "I don't recognise {words} in the data{hint}. I understood {what}.",
        "da": "Jeg kan ikke genkende {words} i data{hint}. Jeg forstod {what}.",
        "sv": "Jag känner inte igen {words} i data{hint}. Jag förstod {what}.",
    },
    "clarify_unknown_only": {
        "en": "I don't recognise {words} in the data{hint}: which rep, team, region or account do you mean?",
        "da": "Jeg kan ikke genkende {words} i data{hint}: hvilken sælger, hvilket team, hvilken region eller kunde mener du?",
        "sv": "Jag känner inte igen {words} i data{hint}: vilken säljare, vilket team, vilken region eller kund menar du?",
    },
    "closest": {"en": " (closest: {options})", "da": " (nærmeste: {options})", "sv": " (närmast: {options})"},
    "clarify_plan": {
        "en": "I understood {what}, but {problem}",
        "da": "Jeg forstod {what}, men {problem}",
        "sv": "Jag förstod {what}, men {problem}",
    },
    "target_parts": {
        "en": "{revenue} booked of a {target} target, {gap} to go; {pace} of the period has passed.",
        "da": "{revenue} booket af et mål på {target}, {gap} tilbage; {pace} af perioden er gået.",
        "sv": "{revenue} bokat av ett mål på {target}, {gap} kvar; {pace} av perioden har gått.",
    },
    "target_parts_over": {  # past the target: by how much, not "EUR 0 to go"
        "en": "{revenue} booked of a {target} target, {gap} above it; {pace} of the period has passed.",
        "da": "{revenue} booket af et mål på {target}, {gap} over det; {pace} af perioden er gået.",
        "sv": "{revenue} bokat av ett mål på {target}, {gap} över det; {pace} av perioden har gått.",
    },
    "left_out": {"en": "(I did not use {words}.)", "da": "(Jeg brugte ikke {words}.)",
                 "sv": "(Jag använde inte {words}.)"},
    "versus": {"en": "vs", "da": "mod", "sv": "mot"},
    "difference": {"en": "a difference of {diff}", "da": "en forskel på {diff}", "sv": "en skillnad på {diff}"},
    "change_head": {
        "en": "{kpi}{scope} by {by}, {now} against {before}, the biggest {way} first",
        "da": "{kpi}{scope} pr. {by}, {now} mod {before}, den største {way} først",
        "sv": "{kpi}{scope} per {by}, {now} mot {before}, den största {way} först",
    },
    "per_rep_label": {"en": "{label}, average per rep ({n})", "da": "{label}, gennemsnit pr. sælger ({n})",
                      "sv": "{label}, snitt per säljare ({n})"},
    "org_manager_mine": {"en": "Your manager is {people}.", "da": "Din chef er {people}.", "sv": "Din chef är {people}."},
    "org_manager_of": {"en": "{name}'s manager is {people}.", "da": "{name}s chef er {people}.",
                       "sv": "{name}s chef är {people}."},
    "org_team_lead": {"en": "Team {name} is led by {people}.", "da": "Team {name} ledes af {people}.",
                      "sv": "Team {name} leds av {people}."},
    "org_team": {"en": "Team {name} ({n} people): {people}.", "da": "Team {name} ({n} personer): {people}.",
                 "sv": "Team {name} ({n} personer): {people}."},
    "org_reports_mine": {"en": "Reporting to you ({n}): {people}.", "da": "Refererer til dig ({n}): {people}.",
                         "sv": "Rapporterar till dig ({n}): {people}."},
    "org_reports_of": {"en": "Reporting to {name} ({n}): {people}.", "da": "Refererer til {name} ({n}): {people}.",
                       "sv": "Rapporterar till {name} ({n}): {people}."},
    "org_none": {"en": "The reps table names no one there for {name}.", "da": "Sælgertabellen nævner ingen der for {name}.",
                 "sv": "Säljartabellen nämner ingen där för {name}."},
    "change_needs_period": {
        "en": "Say which period: open deals have no earlier figure to set against (e.g. “… this quarter vs last quarter”).",
        "da": "Sig hvilken periode: åbne aftaler har intet tidligere tal at sammenligne med (fx “… dette kvartal mod sidste kvartal”).",
        "sv": "Säg vilken period: öppna affärer har inget tidigare värde att jämföra med (t.ex. “… detta kvartal mot förra kvartalet”).",
    },
    "change_none": {  # asked for the biggest fall when every one rose (or the other way round)
        "en": "{kpi}{scope} by {by}, {now} against {before}: none {did}, {closest} first",
        "da": "{kpi}{scope} pr. {by}, {now} mod {before}: ingen {did}, {closest} først",
        "sv": "{kpi}{scope} per {by}, {now} mot {before}: ingen {did}, {closest} först",
    },
    "change_none_fell": {"en": "fell", "da": "faldt", "sv": "minskade"},
    "change_none_rose": {"en": "rose", "da": "steg", "sv": "ökade"},
    "change_smallest_rise": {"en": "the smallest rise", "da": "den mindste stigning", "sv": "den minsta ökningen"},
    "change_smallest_fall": {"en": "the smallest fall", "da": "det mindste fald", "sv": "den minsta minskningen"},
    "change_rise": {"en": "rise", "da": "stigning", "sv": "ökningen"},
    "change_fall": {"en": "fall", "da": "nedgang", "sv": "minskningen"},
    "pp": {"en": "pp", "da": "procentpoint", "sv": "procentenheter"},
    "col_before": {"en": "before", "da": "før", "sv": "före"},
    "col_change": {"en": "change", "da": "ændring", "sv": "förändring"},
    "points": {"en": "{n} percentage points", "da": "{n} procentpoint", "sv": "{n} procentenheter"},
    "score_points": {"en": "{n} points", "da": "{n} point", "sv": "{n} poäng"},
    "everyone": {"en": "everyone", "da": "alle", "sv": "alla"},
    "reply_thanks": {
        "en": "You're welcome! Ask me anything else about your numbers, your deals or the playbook.",
        "da": "Selv tak! Spørg bare, hvis du vil vide mere om tallene, dine aftaler eller playbooken.",
        "sv": "Varsågod! Fråga gärna om du vill veta mer om siffrorna, dina affärer eller playbooken.",
    },
    "reply_ack": {
        "en": "Good. Ask me anything else when you need it.",
        "da": "Godt. Spørg bare, når du har brug for mere.",
        "sv": "Bra. Fråga gärna när du behöver mer.",
    },
    "reply_greeting": {"en": "Hi!", "da": "Hej!", "sv": "Hej!"},
    "too_many_breakdowns": {
        "en": "I can break a KPI down by at most two things at once, and you asked for {dims}. Which two?",
        "da": "Jeg kan højst opdele et nøgletal efter to ting ad gangen, og du bad om {dims}. Hvilke to?",
        "sv": "Jag kan dela upp ett nyckeltal efter högst två saker åt gången, och du bad om {dims}. Vilka två?",
    },
    "cannot_break_down": {
        "en": "{kpi} can't be broken down or filtered by {dim}. It can be by: {dims}.",
        "da": "{kpi} kan ikke opdeles eller filtreres efter {dim}. Det kan efter: {dims}.",
        "sv": "{kpi} kan inte delas upp eller filtreras på {dim}. Det går på: {dims}.",
    },
    "help": {
        "en": "I answer questions about your sales KPIs from the metrics store: revenue, pipeline, win rate, deal "
              "size, sales cycle, churn, NRR, CAC, NPS, quota attainment and more, for any period, region, segment, "
              "product line, team or rep you may see; list your deals (the biggest, the next to close, those at "
              "risk); and answer questions about the CCO playbook (the role, commercial "
              "operations, which KPIs matter), with the passages cited. Ask in English, Danish or Swedish, for example:",
        "da": "Jeg besvarer spørgsmål om jeres salgsnøgletal fra datalageret: omsætning, pipeline, win rate, "
              "ordrestørrelse, salgscyklus, churn, NRR, CAC, NPS, målopfyldelse og mere, for enhver periode, region, "
              "segment, produktlinje, team eller sælger, du må se; viser dine aftaler (de største, de næste der lukker, "
              "dem i risiko); og besvarer spørgsmål om CCO-playbooken (rollen, kommerciel "
              "drift, hvilke nøgletal der tæller) med kildehenvisninger. Spørg på dansk, svensk eller engelsk, f.eks.:",
        "sv": "Jag svarar på frågor om era säljnyckeltal från datalagret: intäkter, pipeline, win rate, affärsstorlek, "
              "säljcykel, churn, NRR, CAC, NPS, måluppfyllelse med mera, för valfri period, region, segment, "
              "produktlinje, team eller säljare du får se; visar dina affärer (de största, de närmast att stängas, de "
              "i riskzonen); och svarar på frågor om CCO-playbooken (rollen, kommersiell drift, "
              "vilka nyckeltal som räknas) med källhänvisningar. Fråga på svenska, danska eller engelska, till exempel:",
    },
    "not_a_kpi_question": {
        "en": "I can't answer that from the metrics store.",
        "da": "Det kan jeg ikke svare på ud fra datalageret.",
        "sv": "Det kan jag inte svara på utifrån datalagret.",
    },
    "empty_question": {
        "en": "I didn't catch a question.",
        "da": "Jeg fangede ikke noget spørgsmål.",
        "sv": "Jag uppfattade ingen fråga.",
    },
    "truncated": {
        "en": "Your message was long; I read its first {n} characters.",
        "da": "Din besked var lang; jeg læste de første {n} tegn.",
        "sv": "Ditt meddelande var långt; jag läste de första {n} tecknen.",
    },
    "warehouse_timeout": {
        "en": "The warehouse did not answer within {seconds} seconds, so I stopped the query. Ask about a narrower "
              "slice (one region, team or quarter), or try again later.",
        "da": "Datavarehuset svarede ikke inden for {seconds} sekunder, så jeg stoppede forespørgslen. Spørg om et "
              "smallere udsnit (én region, ét team eller ét kvartal), eller prøv igen senere.",
        "sv": "Datalagret svarade inte inom {seconds} sekunder, så jag stoppade frågan. Fråga om ett smalare "
              "urval (en region, ett team eller ett kvartal), eller försök igen senare.",
    },
    "apology": {
        "en": "Sorry, something went wrong on my side (reference {ref}). Please try again in a moment.",
        "da": "Beklager, noget gik galt hos mig (reference {ref}). Prøv igen om lidt.",
        "sv": "Förlåt, något gick fel hos mig (referens {ref}). Försök igen om en stund.",
    },
    "none_fell": {"en": "None fell: every one rose, so the smallest rise comes first.",
                  "da": "Ingen faldt: alle steg, så den mindste stigning står først.",
                  "sv": "Ingen föll: alla steg, så den minsta ökningen står först."},
    "none_rose": {"en": "None rose: every one fell or stayed, so the smallest fall comes first.",
                  "da": "Ingen steg: alle faldt eller stod stille, så det mindste fald står først.",
                  "sv": "Ingen steg: alla föll eller stod still, så det minsta fallet står först."},
    "pushed_not_listed": {
        "en": "I can't list deals by how their close date was moved yet: the morning digest reports them (\"Close "
              "date pushed\"). I can list the overdue deals (\"overdue deals this month\") or the deals closing in a "
              "period (\"deals closing next month\").",
        "da": "Jeg kan endnu ikke liste aftaler efter, hvordan deres lukkedato er flyttet: morgenoversigten viser dem "
              "(\"Lukkedato skubbet\"). Jeg kan liste de forfaldne aftaler (\"forfaldne aftaler denne måned\") eller "
              "aftalerne, der lukker i en periode (\"aftaler der lukker næste måned\").",
        "sv": "Jag kan ännu inte lista affärer efter hur deras stängningsdatum har flyttats: morgonöversikten visar dem "
              "(\"Stängningsdatum framflyttat\"). Jag kan lista de försenade affärerna (\"försenade affärer denna "
              "månad\") eller affärerna som stängs under en period (\"affärer som stängs nästa månad\").",
    },
    "not_in_store": {
        "en": "The metrics store has no {what}: it holds deals, revenue (MRR), targets, leads, marketing spend, NPS "
              "and support cases. I can answer questions about those, for example:",
        "da": "Datalageret har ingen {what}: det rummer aftaler, omsætning (MRR), mål, leads, marketingudgifter, NPS "
              "og supportsager. Jeg kan svare på spørgsmål om dem, fx:",
        "sv": "Datalagret har ingen {what}: det innehåller affärer, intäkter (MRR), mål, leads, marknadsföringskostnader, "
              "NPS och supportärenden. Jag kan svara på frågor om dem, till exempel:",
    },
    "clarify_why": {  # "why?" after a figure
        "en": "The data shows what happened, not why ({what}). To see where it comes from, ask for example: "
              "“by region”, “by rep”, “compare with last quarter” or “show me the deals”.",
        "da": "Data viser, hvad der skete, ikke hvorfor ({what}). For at se, hvor det kommer fra, kan du fx spørge: "
              "“pr. region”, “pr. sælger”, “sammenlign med sidste kvartal” eller “vis mig aftalerne”.",
        "sv": "Datan visar vad som hände, inte varför ({what}). För att se var det kommer ifrån kan du till exempel fråga: "
              "“per region”, “per säljare”, “jämför med förra kvartalet” eller “visa affärerna”.",
    },
    "clarify_follow_up": {
        "en": "I'm not sure how that changes the last answer ({what}). You can ask, for example: “and last quarter?”, "
              "“by region”, “only DACH”, “top 5 reps”, “compare with last year” or “show me the deals”.",
        "da": "Jeg er ikke sikker på, hvordan det ændrer det sidste svar ({what}). Du kan fx spørge: “og sidste "
              "kvartal?”, “pr. region”, “kun DACH”, “top 5 sælgere”, “sammenlign med sidste år” eller “vis mig aftalerne”.",
        "sv": "Jag är inte säker på hur det ändrar det senaste svaret ({what}). Du kan till exempel fråga: “och förra "
              "kvartalet?”, “per region”, “bara DACH”, “topp 5 säljare”, “jämfört med förra året” eller “visa affärerna”.",
    },
    "clarify_follow_up_deals": {
        "en": "I'm not sure how that changes the last answer ({what}). You can ask, for example: “only the ones over "
              "100k”, “sort by close date”, “which are stalled?”, “by stage” or “and next month?”.",
        "da": "Jeg er ikke sikker på, hvordan det ændrer det sidste svar ({what}). Du kan fx spørge: “kun dem over "
              "100k”, “sorter efter lukkedato”, “hvilke er gået i stå?”, “pr. fase” eller “og næste måned?”.",
        "sv": "Jag är inte säker på hur det ändrar det senaste svaret ({what}). Du kan till exempel fråga: “bara de "
              "över 100k”, “sortera efter stängningsdatum”, “vilka står still?”, “per steg” eller “och nästa månad?”.",
    },
    "the_kpi": {"en": "the KPI {kpi}", "da": "nøgletallet {kpi}", "sv": "nyckeltalet {kpi}"},
    "a_deal_list": {"en": "a list of deals", "da": "en liste over aftaler", "sv": "en lista över affärer"},
    "the_period": {"en": "the period {period}", "da": "perioden {period}", "sv": "perioden {period}"},
    # Slack (bot/channels/slack/): notes, table headers, buttons, replies, the assistant pane
    "slack_private": {"en": "Only you can see this: it shows numbers not everyone in this channel may see.",
                      "da": "Kun du kan se dette: det viser tal, som ikke alle i kanalen må se.",
                      "sv": "Bara du kan se det här: det visar siffror som inte alla i kanalen får se."},
    "slack_undelivered": {
        "en": "I couldn't post my answer in <#{channel}> (Slack said: {error}), so here it is. Reference: {ref}.",
        "da": "Jeg kunne ikke poste mit svar i <#{channel}> (Slack svarede: {error}), så her er det. Reference: {ref}.",
        "sv": "Jag kunde inte posta mitt svar i <#{channel}> (Slack svarade: {error}), så här är det. Referens: {ref}.",
    },
    "slack_trimmed": {"en": "(trimmed to fit Slack)", "da": "(forkortet for at passe i Slack)",
                      "sv": "(förkortat för Slack)"},
    "slack_rows_trimmed": {
        "en": "Showing the first {shown} of {total} rows (trimmed to fit Slack); ask for a top N to narrow it.",
        "da": "Viser de første {shown} af {total} rækker (forkortet for at passe i Slack); spørg efter top N.",
        "sv": "Visar de första {shown} av {total} raderna (förkortat för Slack); fråga efter topp N.",
    },
    "slack_sources": {"en": "Sources", "da": "Kilder", "sv": "Källor"},
    "slack_greeting": {
        "en": "Hi! Ask me about your KPIs and deals, or the CCO playbook, in English, Danish or Swedish.",
        "da": "Hej! Spørg mig om dine nøgletal og aftaler eller om CCO-playbooken, på dansk, svensk eller engelsk.",
        "sv": "Hej! Fråga mig om dina nyckeltal och affärer eller om CCO-playbooken, på svenska, danska eller engelska.",
    },
    "slack_prompts_title": {"en": "Try asking", "da": "Prøv at spørge", "sv": "Testa att fråga"},
    "slack_status": {"en": "is looking that up…", "da": "slår det op…", "sv": "tar reda på det…"},
    "col_period": {"en": "period", "da": "periode", "sv": "period"},
    "col_target": {"en": "target", "da": "mål", "sv": "mål"},
    "col_gap": {"en": "left to target", "da": "tilbage til mål", "sv": "kvar till mål"},
    "col_pace": {"en": "pace", "da": "tempo", "sv": "takt"},
    "col_compared": {"en": "compared", "da": "sammenlignet", "sv": "jämfört"},
    "chart_button": {"en": "Chart", "da": "Graf", "sv": "Diagram"},
    "chart_button_label": {"en": "Post this answer as a chart in the thread",
                           "da": "Vis svaret som en graf i tråden",
                           "sv": "Visa svaret som ett diagram i tråden"},
    "chart_gone": {"en": "I can no longer find that answer; ask again and press Chart.",
                   "da": "Jeg kan ikke længere finde det svar; spørg igen, og tryk på Graf.",
                   "sv": "Jag hittar inte det svaret längre; fråga igen och tryck på Diagram."},
    "chart_nothing": {"en": "There is nothing in that answer to chart.",
                      "da": "Der er intet i det svar at vise som graf.",
                      "sv": "Det finns inget i det svaret att visa som diagram."},
    "feedback_good": {"en": "This answer was helpful", "da": "Svaret var nyttigt", "sv": "Svaret var till hjälp"},
    "feedback_bad": {"en": "This answer was not helpful", "da": "Svaret var ikke nyttigt",
                     "sv": "Svaret var inte till hjälp"},
    "feedback_thanks": {"en": "Thanks for the feedback.", "da": "Tak for din feedback.",
                        "sv": "Tack för din feedback."},
    # the playbook
    "pb_from": {"en": "From the playbook", "da": "Fra playbooken", "sv": "Från playbooken"},
    "pb_no_more": {"en": "That is all the playbook says about it.", "da": "Det er alt, hvad playbooken siger om det.",
                   "sv": "Det är allt playbooken säger om det."},
    "pb_not_covered": {
        "en": "The playbook doesn't cover that. It covers the CCO role, commercial operations and the KPIs that "
              "matter; try asking about one of those.",
        "da": "Det dækker playbooken ikke. Den handler om CCO-rollen, kommerciel drift og de nøgletal, der betyder "
              "noget; prøv at spørge om et af dem.",
        "sv": "Det täcker playbooken inte. Den handlar om CCO-rollen, kommersiell drift och de nyckeltal som spelar "
              "roll; försök fråga om något av det.",
    },
    "pb_no_passage": {
        "en": "The playbook has no passage on it.",
        "da": "Playbooken har ingen passage om det.",
        "sv": "Playbooken har inget avsnitt om det.",
    },
    "pb_in_general": {
        "en": "The playbook speaks of this in general; it does not hold our own.",
        "da": "Playbooken taler om det generelt; vores egen har den ikke.",
        "sv": "Playbooken talar om det generellt; vår egen finns inte i den.",
    },
    "pb_not_covered_near": {
        "en": "The playbook doesn't cover that. The closest topics it does cover are {topics}.",
        "da": "Det dækker playbooken ikke. De nærmeste emner, den dækker, er {topics}.",
        "sv": "Det täcker playbooken inte. De närmaste ämnena den tar upp är {topics}.",
    },
    "pb_in_en": {"en": "in English", "da": "på engelsk", "sv": "på engelska"},
    "pb_in_da": {"en": "in Danish", "da": "på dansk", "sv": "på danska"},
    "pb_in_sv": {"en": "in Swedish", "da": "på svensk", "sv": "på svenska"},
    "pb_indexing": {
        "en": "The playbook is being indexed ({done} of {total} documents); ask again in a moment.",
        "da": "Playbooken bliver indekseret ({done} af {total} dokumenter); spørg igen om et øjeblik.",
        "sv": "Playbooken indexeras just nu ({done} av {total} dokument); fråga igen om en stund.",
    },
    # what the "no_data" note is about
    "what_deals": {"en": "matching deals", "da": "matchende aftaler", "sv": "matchande affärer"},
    "what_leads": {"en": "leads", "da": "leads", "sv": "leads"},
    "what_nps": {"en": "NPS responses", "da": "NPS-svar", "sv": "NPS-svar"},
    "what_cases": {"en": "resolved support cases", "da": "løste supportsager", "sv": "lösta supportärenden"},
    "what_mrr": {"en": "recurring revenue rows", "da": "rækker med tilbagevendende omsætning",
                 "sv": "rader med återkommande intäkter"},
    # sentences
    "no_value_word": {"en": "no value", "da": "ingen værdi", "sv": "inget värde"},
    "overall": {"en": "overall", "da": "i alt", "sv": "totalt"},
    "by": {"en": "by", "da": "pr.", "sv": "per"},
    # a breakdown asked in words that cannot read as a KPI ("omsætning pr. sælger" is revenue per rep)
    "kpi_definition": {"en": "How I compute {name}: {description}", "da": "Sådan beregner jeg {name}: {description}",
                       "sv": "Så beräknar jag {name}: {description}"},
    "broken_down_by": {"en": "by", "da": "fordelt på", "sv": "uppdelat på"},
    "and": {"en": "and", "da": "og", "sv": "och"},
    "for": {"en": "for", "da": "for", "sv": "för"},
    "to": {"en": "to", "da": "til", "sv": "till"},
    "more": {"en": "more", "da": "flere", "sv": "fler"},
    "threshold_gt": {"en": "over {value}", "da": "over {value}", "sv": "över {value}"},
    "threshold_ge": {"en": "{value} or more", "da": "{value} eller mere", "sv": "{value} eller mer"},
    "threshold_lt": {"en": "below {value}", "da": "under {value}", "sv": "under {value}"},
    "threshold_le": {"en": "{value} or less", "da": "{value} eller mindre", "sv": "{value} eller mindre"},
    "threshold_zero": {"en": "at zero", "da": "på nul", "sv": "på noll"},
    "threshold_count": {"en": "{n} of {total}:", "da": "{n} af {total}:", "sv": "{n} av {total}:"},
    "threshold_none": {"en": "None of the {total}.", "da": "Ingen af de {total}.", "sv": "Ingen av de {total}."},
    "none_label": {"en": "(none)", "da": "(ingen)", "sv": "(ingen)"},
    "all_open": {"en": "all open deals", "da": "alle åbne aftaler", "sv": "alla öppna affärer"},
    "all_time": {"en": "all time", "da": "hele perioden", "sv": "hela tiden"},
    "you": {"en": "you", "da": "dig", "sv": "dig"},
    "your_team": {"en": "your team ({n} people)", "da": "dit team ({n} personer)", "sv": "ditt team ({n} personer)"},
    "your_reports": {"en": "your reports", "da": "dine medarbejdere", "sv": "dina medarbetare"},
    "your_row": {"en": "your own row", "da": "din egen række", "sv": "din egen rad"},
    # lists of deals
    "deals_status_open": {"en": "Open deals", "da": "Åbne aftaler", "sv": "Öppna affärer"},
    "deals_status_won": {"en": "Deals won", "da": "Vundne aftaler", "sv": "Vunna affärer"},
    "deals_status_lost": {"en": "Deals lost", "da": "Tabte aftaler", "sv": "Förlorade affärer"},
    "deals_status_closed": {"en": "Closed deals", "da": "Lukkede aftaler", "sv": "Stängda affärer"},
    "deals_status_any": {"en": "Deals", "da": "Aftaler", "sv": "Affärer"},
    "deals_at_risk": {"en": "at risk ({reasons})", "da": "i risiko ({reasons})", "sv": "i riskzonen ({reasons})"},
    "deals_closing": {"en": "closing {period}", "da": "der lukker {period}", "sv": "som stängs {period}"},
    "deals_closed_in": {"en": "{period}", "da": "{period}", "sv": "{period}"},
    "deals_created_in": {"en": "created {period}", "da": "oprettet {period}", "sv": "skapade {period}"},
    "deals_upcoming": {"en": "closing from today", "da": "der lukker fra i dag", "sv": "som stängs från i dag"},
    "deals_over": {"en": "over {amount}", "da": "over {amount}", "sv": "över {amount}"},
    "kpi_deals_between": {"en": "deals between {low} and {high}", "da": "aftaler mellem {low} og {high}",
                          "sv": "affärer mellan {low} och {high}"},
    "kpi_deals_over": {"en": "deals over {amount}", "da": "aftaler over {amount}", "sv": "affärer över {amount}"},
    "kpi_deals_under": {"en": "deals under {amount}", "da": "aftaler under {amount}", "sv": "affärer under {amount}"},
    "deals_under": {"en": "under {amount}", "da": "under {amount}", "sv": "under {amount}"},
    "deals_count": {"en": "{n} in all", "da": "{n} i alt", "sv": "{n} totalt"},
    "deals_per_group": {"en": "by {dim}, the most first", "da": "pr. {dim}, flest først", "sv": "per {dim}, flest först"},
    "deals_rep_line": {"en": "{name}: {n} ({amount})", "da": "{name}: {n} ({amount})", "sv": "{name}: {n} ({amount})"},
    "deals_too_many_per_rep": {"en": "There are more than {n}: I count deals per rep up to {n}; narrow the list "
                                     "(a team, a region, a period) to count them.",
                               "da": "Der er flere end {n}: jeg tæller aftaler pr. sælger op til {n}; afgræns listen "
                                     "(et team, en region, en periode) for at tælle dem.",
                               "sv": "Det finns fler än {n}: jag räknar affärer per säljare upp till {n}; avgränsa "
                                     "listan (ett team, en region, en period) för att räkna dem."},
    "deals_worth": {"en": "(together {amount})", "da": "(samlet {amount})", "sv": "(sammanlagt {amount})"},
    "deals_none": {"en": "none match.", "da": "ingen passer.", "sv": "inga matchar."},
    "deals_shown": {"en": "showing {shown}, {order}", "da": "viser {shown}, {order}", "sv": "visar {shown}, {order}"},
    "deals_all_shown": {"en": "{order}", "da": "{order}", "sv": "{order}"},
    "order_amount_desc": {"en": "largest first", "da": "største først", "sv": "största först"},
    "order_amount_asc": {"en": "smallest first", "da": "mindste først", "sv": "minsta först"},
    "order_close_date_asc": {"en": "soonest close date first", "da": "tidligste lukkedato først",
                             "sv": "tidigaste stängningsdatum först"},
    "order_close_date_desc": {"en": "latest close date first", "da": "seneste lukkedato først",
                              "sv": "senaste stängningsdatum först"},
    "order_age_desc": {"en": "oldest first", "da": "ældste først", "sv": "äldsta först"},
    "order_age_asc": {"en": "newest first", "da": "nyeste først", "sv": "nyaste först"},
    "order_last_change_desc": {"en": "longest unchanged first", "da": "længst uændrede først",
                               "sv": "längst oförändrade först"},
    "order_last_change_asc": {"en": "most recently changed first", "da": "senest ændrede først",
                              "sv": "senast ändrade först"},
    "deal_line_undated": {"en": "{name} ({account}), {owner}, {stage}, {amount}, {close}",
                          "da": "{name} ({account}), {owner}, {stage}, {amount}, {close}",
                          "sv": "{name} ({account}), {owner}, {stage}, {amount}, {close}"},
    "deal_line": {"en": "{name} ({account}), {owner}, {stage}, {amount}, closes {close}",
                  "da": "{name} ({account}), {owner}, {stage}, {amount}, lukker {close}",
                  "sv": "{name} ({account}), {owner}, {stage}, {amount}, stängs {close}"},
    "deal_line_closed": {"en": "{name} ({account}), {owner}, {stage}, {amount}, closed {close}",
                         "da": "{name} ({account}), {owner}, {stage}, {amount}, lukket {close}",
                         "sv": "{name} ({account}), {owner}, {stage}, {amount}, stängd {close}"},
    "created_on": {"en": "created {date}", "da": "oprettet {date}", "sv": "skapad {date}"},
    "no_amount": {"en": "no amount", "da": "intet beløb", "sv": "inget belopp"},
    "no_close_date": {"en": "no close date", "da": "ingen lukkedato", "sv": "inget stängningsdatum"},
    "risk_overdue": {"en": "overdue", "da": "forsinket", "sv": "försenad"},
    "risk_stalled": {"en": "stalled", "da": "gået i stå", "sv": "har stannat av"},
    "risk_stalled_days": {"en": "no change in {days} days", "da": "ingen ændring i {days} dage",
                          "sv": "ingen ändring på {days} dagar"},
    "risk_early_stage_closing": {"en": "early stage closing soon", "da": "tidlig fase der lukker snart",
                                 "sv": "tidig fas som stängs snart"},
    "risk_missing_amount": {"en": "no amount", "da": "intet beløb", "sv": "inget belopp"},
    "risk_missing_close_date": {"en": "no close date", "da": "ingen lukkedato", "sv": "inget stängningsdatum"},
    "denied_deals_outside": {
        "en": "None of the deals you may see ({whose}) match; the deals that do are outside what you may see.",
        "da": "Ingen af de aftaler, du må se ({whose}), passer; de aftaler, der gør, er uden for det, du må se.",
        "sv": "Inga av de affärer du får se ({whose}) matchar; de affärer som gör det ligger utanför det du får se.",
    },
    "deals_only": {"en": "only {whose} (the deals you may see)", "da": "kun {whose} (de aftaler, du må se)",
                   "sv": "bara {whose} (de affärer du får se)"},
    "scope_own": {"en": "your own", "da": "dine egne", "sv": "dina egna"},
    "scope_own_and_reports": {"en": "your own and your reports'", "da": "dine egne og dine medarbejderes",
                              "sv": "dina egna och dina medarbetares"},
    "no_history_for_stalled": {
        "en": "The store has no opportunity history, so I can't tell which deals have stalled.",
        "da": "Datalageret har ingen aftalehistorik, så jeg kan ikke se, hvilke aftaler der er gået i stå.",
        "sv": "Datalagret har ingen affärshistorik, så jag kan inte se vilka affärer som har stannat av.",
    },
    "col_deal": {"en": "deal", "da": "aftale", "sv": "affär"},
    "col_deals": {"en": "deals", "da": "aftaler", "sv": "affärer"},
    "col_amount": {"en": "amount", "da": "beløb", "sv": "belopp"},
    "col_close": {"en": "close date", "da": "lukkedato", "sv": "stängningsdatum"},
    "col_flags": {"en": "why", "da": "hvorfor", "sv": "varför"},
    "teams_ask_privately": {"en": "I answer figures in our personal chat, not where others read along: ask me there.",
                            "da": "Tal svarer jeg på i vores personlige chat, ikke hvor andre læser med: spørg mig der.",
                            "sv": "Siffror svarar jag på i vår personliga chatt, inte där andra läser med: fråga mig där."},
    "teams_sent_privately": {"en": "I've sent you the answer in our personal chat: it has figures not everyone here may see.",
                             "da": "Jeg har sendt dig svaret i vores personlige chat: det har tal, som ikke alle her må se.",
                             "sv": "Jag har skickat svaret till dig i vår personliga chatt: det har siffror som inte alla här får se."},
    "llm_unavailable": {"en": "The language model did not answer in time; this is the offline answer.",
                        "da": "Sprogmodellen svarede ikke i tide; dette er svaret uden den.",
                        "sv": "Språkmodellen svarade inte i tid; det här är svaret utan den."},
    # the morning digest (bot/digest/render.py)
    "digest_title": {"en": "Pipeline digest for {name}, {date}", "da": "Pipelineoverblik for {name}, {date}",
                     "sv": "Pipelineöversikt för {name}, {date}"},
    "digest_late": {"en": "Sent late: the bot was not running when this digest was due.",
                    "da": "Sendt for sent: botten kørte ikke, da dette overblik skulle sendes.",
                    "sv": "Skickad sent: boten var inte igång när översikten skulle skickas."},
    "digest_scope_own": {"en": "your deals", "da": "dine aftaler", "sv": "dina affärer"},
    "digest_scope_team": {"en": "your team", "da": "dit team", "sv": "ditt team"},
    "digest_scope_company": {"en": "the whole company", "da": "hele virksomheden", "sv": "hela företaget"},
    "digest_figures": {"en": "{quarter}, {scope}: pipeline {pipeline} (weighted {weighted}); bookings {bookings}",
                       "da": "{quarter}, {scope}: pipeline {pipeline} (vægtet {weighted}); bookinger {bookings}",
                       "sv": "{quarter}, {scope}: pipeline {pipeline} (viktad {weighted}); bokningar {bookings}"},
    "digest_against": {"en": " of {target} target ({attainment}; pace {pace})",
                       "da": " af målet {target} ({attainment}; tempo {pace})",
                       "sv": " av målet {target} ({attainment}; takt {pace})"},
    "digest_coverage": {"en": "; coverage {coverage}×", "da": "; dækning {coverage}×", "sv": "; täckning {coverage}×"},
    "digest_no_target": {"en": " (no target set)", "da": " (intet mål sat)", "sv": " (inget mål satt)"},
    "digest_changes": {"en": "What changed ({window})", "da": "Hvad der er ændret ({window})",
                       "sv": "Vad som har ändrats ({window})"},
    "digest_risks": {"en": "Needs attention", "da": "Kræver opmærksomhed", "sv": "Behöver uppmärksamhet"},
    "digest_closing": {"en": "Closing this week", "da": "Lukker i denne uge", "sv": "Stängs den här veckan"},
    "digest_more": {"en": "… and {n} more", "da": "… og {n} mere", "sv": "… och {n} till"},
    "digest_quiet": {"en": "Quiet day: nothing changed since the last digest and no deal needs attention.",
                     "da": "Stille dag: intet er ændret siden sidste overblik, og ingen aftale kræver opmærksomhed.",
                     "sv": "Lugn dag: inget har ändrats sedan förra översikten och ingen affär behöver uppmärksamhet."},
    "digest_none_closing": {"en": "No deals close this week.", "da": "Ingen aftaler lukker i denne uge.",
                            "sv": "Inga affärer stängs den här veckan."},
    "change_new": {"en": "New", "da": "Ny", "sv": "Ny"},
    "change_won": {"en": "Won", "da": "Vundet", "sv": "Vunnen"},
    "change_lost": {"en": "Lost", "da": "Tabt", "sv": "Förlorad"},
    "change_stage_forward": {"en": "Moved forward", "da": "Rykket frem", "sv": "Flyttad framåt"},
    "change_stage_back": {"en": "Moved back", "da": "Rykket tilbage", "sv": "Flyttad bakåt"},
    "change_pushed": {"en": "Close date pushed", "da": "Lukkedato skubbet", "sv": "Stängningsdatum framflyttat"},
    "change_pulled": {"en": "Close date pulled in", "da": "Lukkedato rykket frem", "sv": "Stängningsdatum tidigarelagt"},
    "change_amount_up": {"en": "Amount up", "da": "Beløb op", "sv": "Belopp upp"},
    "change_amount_down": {"en": "Amount down", "da": "Beløb ned", "sv": "Belopp ned"},
    "change_out_of_quarter": {"en": "out of the quarter", "da": "ud af kvartalet", "sv": "ut ur kvartalet"},
    "change_into_quarter": {"en": "into the quarter", "da": "ind i kvartalet", "sv": "in i kvartalet"},
    # the morning digest in Slack: its blocks, /ccobot digest, App Home (bot/channels/slack/digest_blocks.py)
    "digest_ui_fig_value": {"en": "Value", "da": "Værdi", "sv": "Värde"},
    "digest_ui_fig_pipeline": {"en": "Pipeline", "da": "Pipeline", "sv": "Pipeline"},
    "digest_ui_fig_weighted_pipeline": {"en": "Weighted pipeline", "da": "Vægtet pipeline", "sv": "Viktad pipeline"},
    "digest_ui_fig_bookings_qtd": {"en": "Bookings, quarter to date", "da": "Bookinger, kvartalet til dato",
                                   "sv": "Bokningar, kvartalet hittills"},
    "digest_ui_fig_target_quarter": {"en": "Target for the quarter", "da": "Mål for kvartalet",
                                     "sv": "Mål för kvartalet"},
    "digest_ui_fig_attainment": {"en": "Attainment", "da": "Målopfyldelse", "sv": "Måluppfyllelse"},
    "digest_ui_fig_pace": {"en": "Pace (share of the quarter gone)", "da": "Tempo (andel af kvartalet gået)",
                           "sv": "Takt (andel av kvartalet som gått)"},
    "digest_ui_fig_coverage": {"en": "Coverage", "da": "Dækning", "sv": "Täckning"},
    "digest_ui_ask": {"en": "Ask about this deal", "da": "Spørg om denne aftale", "sv": "Fråga om den här affären"},
    "digest_ui_mute": {"en": "Mute this deal", "da": "Skjul denne aftale", "sv": "Dölj den här affären"},
    "digest_ui_change_time": {"en": "Change time", "da": "Skift tidspunkt", "sv": "Ändra tid"},
    "digest_ui_subscribe": {"en": "Subscribe", "da": "Abonnér", "sv": "Prenumerera"},
    "digest_ui_unsubscribe": {"en": "Unsubscribe", "da": "Afmeld", "sv": "Avsluta prenumerationen"},
    "digest_ui_preview": {"en": "Preview", "da": "Forhåndsvis", "sv": "Förhandsgranska"},
    "digest_ui_settings_title": {"en": "Morning digest", "da": "Morgenoverblik", "sv": "Morgonöversikt"},
    "digest_ui_save": {"en": "Save", "da": "Gem", "sv": "Spara"},
    "digest_ui_cancel": {"en": "Cancel", "da": "Annuller", "sv": "Avbryt"},
    "digest_ui_time_label": {"en": "Time of day (your time zone)", "da": "Tidspunkt (din tidszone)",
                             "sv": "Tid på dagen (din tidszon)"},
    "digest_ui_days_label": {"en": "Days", "da": "Dage", "sv": "Dagar"},
    "digest_ui_pick_time": {"en": "Pick a time", "da": "Vælg et tidspunkt", "sv": "Välj en tid"},
    "digest_ui_modal_hint": {"en": "The digest comes at this time on the days you tick.",
                             "da": "Overblikket kommer på dette tidspunkt de dage, du sætter hak ved.",
                             "sv": "Översikten kommer vid den här tiden de dagar du kryssar i."},
    "digest_ui_no_days": {"en": "Tick at least one day (or unsubscribe instead).",
                          "da": "Sæt hak ved mindst én dag (eller afmeld i stedet).",
                          "sv": "Kryssa i minst en dag (eller avsluta prenumerationen i stället)."},
    "digest_ui_home_hint": {"en": "Or type /ccobot digest help for every setting.",
                            "da": "Eller skriv /ccobot digest help for alle indstillinger.",
                            "sv": "Eller skriv /ccobot digest help för alla inställningar."},
    "digest_ui_status": {"en": "Your morning digest is {state}: {time} ({zone}), {days},",
                         "da": "Dit morgenoverblik er {state}: {time} ({zone}), {days},",
                         "sv": "Din morgonöversikt är {state}: {time} ({zone}), {days},"},
    "digest_ui_on": {"en": "on", "da": "slået til", "sv": "på"},
    "digest_ui_off": {"en": "off", "da": "slået fra", "sv": "av"},
    "digest_ui_where_dm": {"en": "as a direct message", "da": "som direkte besked", "sv": "som direktmeddelande"},
    "digest_ui_where_channel": {"en": "in {channel}", "da": "i {channel}", "sv": "i {channel}"},
    "digest_ui_status_tail": {"en": "Quiet days: {quiet}.", "da": "Stille dage: {quiet}.", "sv": "Lugna dagar: {quiet}."},
    "digest_ui_quiet_sent": {"en": "a one-line digest", "da": "et overblik på én linje", "sv": "en översikt på en rad"},
    "digest_ui_quiet_skipped": {"en": "no digest", "da": "intet overblik", "sv": "ingen översikt"},
    "digest_ui_muted_count": {"en": " Muted deals: {n}.", "da": " Skjulte aftaler: {n}.", "sv": " Dolda affärer: {n}."},
    "digest_ui_subscribed": {"en": "You are subscribed to the morning digest.",
                             "da": "Du abonnerer nu på morgenoverblikket.",
                             "sv": "Du prenumererar nu på morgonöversikten."},
    "digest_ui_unsubscribed": {"en": "You are unsubscribed: no more morning digests.",
                               "da": "Du er afmeldt: ikke flere morgenoverblik.",
                               "sv": "Du har avslutat prenumerationen: inga fler morgonöversikter."},
    "digest_ui_time_set": {"en": "Your digest now comes at {time}.", "da": "Dit overblik kommer nu kl. {time}.",
                           "sv": "Din översikt kommer nu kl. {time}."},
    "digest_ui_days_set": {"en": "Your digest now comes on {days}.", "da": "Dit overblik kommer nu {days}.",
                           "sv": "Din översikt kommer nu {days}."},
    "digest_ui_settings_saved": {"en": "Saved: your digest comes at {time} on {days}.",
                                 "da": "Gemt: dit overblik kommer kl. {time}, {days}.",
                                 "sv": "Sparat: din översikt kommer kl. {time}, {days}."},
    "digest_ui_channel_set": {"en": "Your digest now goes to {channel}.", "da": "Dit overblik sendes nu til {channel}.",
                              "sv": "Din översikt skickas nu till {channel}."},
    "digest_ui_dm_set": {"en": "Your digest now comes as a direct message.",
                         "da": "Dit overblik kommer nu som direkte besked.",
                         "sv": "Din översikt kommer nu som direktmeddelande."},
    "digest_ui_quiet_on": {"en": "On quiet days (nothing changed, nothing needs attention) you get a one-line digest.",
                           "da": "På stille dage (intet ændret, intet kræver opmærksomhed) får du et overblik på én linje.",
                           "sv": "Lugna dagar (inget har ändrats, inget behöver uppmärksamhet) får du en översikt på en rad."},
    "digest_ui_quiet_off": {"en": "On quiet days (nothing changed, nothing needs attention) you get no digest.",
                            "da": "På stille dage (intet ændret, intet kræver opmærksomhed) får du intet overblik.",
                            "sv": "Lugna dagar (inget har ändrats, inget behöver uppmärksamhet) får du ingen översikt."},
    "digest_ui_unmuted": {"en": "Every muted deal is back in your digests.",
                          "da": "Alle skjulte aftaler er tilbage i dine overblik.",
                          "sv": "Alla dolda affärer är tillbaka i dina översikter."},
    "digest_ui_muted": {"en": "Muted {deal}: it no longer appears in your digests. (/ccobot digest unmute brings "
                              "muted deals back.)",
                        "da": "{deal} er skjult: den vises ikke længere i dine overblik. (/ccobot digest unmute "
                              "henter skjulte aftaler tilbage.)",
                        "sv": "{deal} är dold: den visas inte längre i dina översikter. (/ccobot digest unmute "
                              "tar tillbaka dolda affärer.)"},
    "teams_digest_muted": {"en": "Muted {deal}: it no longer appears in your digests. (Change time, under a digest, "
                                 "brings muted deals back.)",
                           "da": "{deal} er skjult: den vises ikke længere i dine overblik. (Skift tidspunkt, under et "
                                 "overblik, henter skjulte aftaler tilbage.)",
                           "sv": "{deal} är dold: den visas inte längre i dina översikter. (Ändra tid, under en "
                                 "översikt, tar tillbaka dolda affärer.)"},
    "teams_digest_muted_label": {"en": "Muted deals (untick to bring one back)",
                                 "da": "Skjulte aftaler (fjern hakket for at hente en tilbage)",
                                 "sv": "Dolda affärer (avmarkera för att ta tillbaka en)"},
    "digest_ui_bad_time": {"en": "'{value}' is not a time of day. Write it like 07:30 (24-hour clock).",
                           "da": "'{value}' er ikke et tidspunkt. Skriv det som 07:30 (24-timers ur).",
                           "sv": "'{value}' är inte en tid på dagen. Skriv den som 07:30 (24-timmarsklocka)."},
    "digest_ui_bad_days": {"en": "'{value}' is not a list of days. Write it like mon-fri or mon,wed,fri.",
                           "da": "'{value}' er ikke en liste af dage. Skriv den som man-fre eller man,ons,fre.",
                           "sv": "'{value}' är inte en lista med dagar. Skriv den som mån-fre eller mån,ons,fre."},
    "digest_ui_bad_channel": {"en": "'{value}' is not a channel. Pick the channel from Slack's list as you type #, "
                                    "or write dm for a direct message.",
                              "da": "'{value}' er ikke en kanal. Vælg kanalen på Slacks liste, når du skriver #, "
                                    "eller skriv dm for en direkte besked.",
                              "sv": "'{value}' är inte en kanal. Välj kanalen i Slacks lista när du skriver #, "
                                    "eller skriv dm för ett direktmeddelande."},
    "digest_ui_bad_quiet": {"en": "Write quiet on (a one-line digest on quiet days) or quiet off (none).",
                            "da": "Skriv quiet on (et overblik på én linje på stille dage) eller quiet off (intet).",
                            "sv": "Skriv quiet on (en översikt på en rad lugna dagar) eller quiet off (ingen)."},
    "digest_ui_unknown": {"en": "I don't know '{value}'.", "da": "Jeg kender ikke '{value}'.",
                          "sv": "Jag känner inte till '{value}'."},
    "digest_ui_usage": {
        "en": "Morning digest settings:\n• /ccobot digest – your settings\n• /ccobot digest subscribe | unsubscribe\n"
              "• /ccobot digest time 07:30\n• /ccobot digest days mon-fri (or mon,wed,fri)\n"
              "• /ccobot digest channel #channel (or dm)\n• /ccobot digest quiet on | off\n"
              "• /ccobot digest preview – the digest you would get today\n• /ccobot digest unmute – muted deals back",
        "da": "Indstillinger for morgenoverblikket:\n• /ccobot digest – dine indstillinger\n"
              "• /ccobot digest subscribe | unsubscribe\n• /ccobot digest time 07:30\n"
              "• /ccobot digest days man-fre (eller man,ons,fre)\n• /ccobot digest channel #kanal (eller dm)\n"
              "• /ccobot digest quiet on | off\n• /ccobot digest preview – det overblik, du ville få i dag\n"
              "• /ccobot digest unmute – skjulte aftaler tilbage",
        "sv": "Inställningar för morgonöversikten:\n• /ccobot digest – dina inställningar\n"
              "• /ccobot digest subscribe | unsubscribe\n• /ccobot digest time 07:30\n"
              "• /ccobot digest days mån-fre (eller mån,ons,fre)\n• /ccobot digest channel #kanal (eller dm)\n"
              "• /ccobot digest quiet on | off\n• /ccobot digest preview – översikten du skulle få i dag\n"
              "• /ccobot digest unmute – dolda affärer tillbaka"},
    "digest_ui_not_rep": {"en": "I can't find you among the sales team (the reps table), so there is no digest for you. "
                                "Ask an admin to add your email (or Slack id) there.",
                          "da": "Jeg kan ikke finde dig i salgsteamet (tabellen reps), så der er intet overblik til dig. "
                                "Bed en administrator om at tilføje din e-mail (eller dit Slack-id) dér.",
                          "sv": "Jag hittar dig inte i säljteamet (tabellen reps), så det finns ingen översikt för dig. "
                                "Be en administratör lägga till din e-post (eller ditt Slack-id) där."},
    "digest_ui_channel_unknown": {"en": "I can't see who is in {channel}: invite me there first (/invite @ccobot), "
                                        "then try again.",
                                  "da": "Jeg kan ikke se, hvem der er i {channel}: invitér mig først (/invite @ccobot), "
                                        "og prøv så igen.",
                                  "sv": "Jag kan inte se vilka som är med i {channel}: bjud in mig först "
                                        "(/invite @ccobot) och försök sedan igen."},
    "digest_ui_channel_refused": {"en": "Your digest can't go to {channel}: it shows {scope}, and not everyone there "
                                        "may see that. Pick a channel where everyone may, or keep the direct message.",
                                  "da": "Dit overblik kan ikke sendes til {channel}: det viser {scope}, og ikke alle "
                                        "dér må se det. Vælg en kanal, hvor alle må, eller behold den direkte besked.",
                                  "sv": "Din översikt kan inte skickas till {channel}: den visar {scope}, och alla där "
                                        "får inte se det. Välj en kanal där alla får det, eller behåll direktmeddelandet."},
    "digest_ui_deal_gone": {"en": "That deal is no longer in the data.", "da": "Den aftale findes ikke længere i data.",
                            "sv": "Den affären finns inte längre i data."},
    "digest_ui_deal_denied": {"en": "That deal is outside what you may see.", "da": "Den aftale må du ikke se.",
                              "sv": "Den affären får du inte se."},
    "digest_ui_deal_head": {"en": "{name}, as the data stands on {date}", "da": "{name}, som data ser ud {date}",
                            "sv": "{name}, enligt data per {date}"},
    "digest_ui_preview_sent": {"en": "Your preview is in your direct messages with me.",
                               "da": "Din forhåndsvisning ligger i dine direkte beskeder med mig.",
                               "sv": "Din förhandsgranskning finns i dina direktmeddelanden med mig."},
    "digest_ui_chart_title": {"en": "Bookings against target, {quarter}, {scope}",
                              "da": "Bookinger mod mål, {quarter}, {scope}",
                              "sv": "Bokningar mot mål, {quarter}, {scope}"},
    "digest_ui_chart_bookings": {"en": "Bookings", "da": "Bookinger", "sv": "Bokningar"},
    "digest_ui_chart_target": {"en": "Target", "da": "Mål", "sv": "Mål"},
    "digest_ui_chart_pace": {"en": "Even pace", "da": "Jævnt tempo", "sv": "Jämn takt"},
}

DIMENSION_WORDS = {
    "region": {"en": "region", "da": "region", "sv": "region"},
    "team": {"en": "team", "da": "team", "sv": "team"},
    "owner": {"en": "rep", "da": "sælger", "sv": "säljare"},
    "account": {"en": "account", "da": "kunde", "sv": "kund"},
    "segment": {"en": "segment", "da": "segment", "sv": "segment"},
    "industry": {"en": "industry", "da": "branche", "sv": "bransch"},
    "country": {"en": "country", "da": "land", "sv": "land"},
    "product_line": {"en": "product line", "da": "produktlinje", "sv": "produktlinje"},
    "type": {"en": "deal type", "da": "aftaletype", "sv": "affärstyp"},
    "source": {"en": "source", "da": "kilde", "sv": "källa"},
    "stage": {"en": "stage", "da": "fase", "sv": "fas"},
    "channel": {"en": "channel", "da": "kanal", "sv": "kanal"},
    "month": {"en": "month", "da": "måned", "sv": "månad"},
    "quarter": {"en": "quarter", "da": "kvartal", "sv": "kvartal"},
}

PERIOD_WORDS = {
    # relative labels made by bot.metrics.periods, in the other languages
    "this week": {"da": "denne uge", "sv": "den här veckan"},
    "last week": {"da": "sidste uge", "sv": "förra veckan"},
    "next week": {"da": "næste uge", "sv": "nästa vecka"},
    "this month": {"da": "denne måned", "sv": "den här månaden"},
    "last month": {"da": "sidste måned", "sv": "förra månaden"},
    "next month": {"da": "næste måned", "sv": "nästa månad"},
    "this quarter": {"da": "dette kvartal", "sv": "det här kvartalet"},
    "last quarter": {"da": "sidste kvartal", "sv": "förra kvartalet"},
    "next quarter": {"da": "næste kvartal", "sv": "nästa kvartal"},
    "this half": {"da": "dette halvår", "sv": "det här halvåret"},
    "last half": {"da": "sidste halvår", "sv": "förra halvåret"},
    "next half": {"da": "næste halvår", "sv": "nästa halvår"},
    "this year": {"da": "i år", "sv": "i år"},
    "last year": {"da": "sidste år", "sv": "förra året"},
    "next year": {"da": "næste år", "sv": "nästa år"},
    "year to date": {"da": "år til dato", "sv": "hittills i år"},
    "quarter to date": {"da": "kvartalet til dato", "sv": "kvartalet hittills"},
    "month to date": {"da": "måneden til dato", "sv": "månaden hittills"},
    "today": {"da": "i dag", "sv": "i dag"},
    "yesterday": {"da": "i går", "sv": "i går"},
}


def t(code: str, lang: str, **params: object) -> str:
    """The message `code` in `lang` (English when that language lacks it)."""
    table = MESSAGES[code]
    return table.get(lang, table["en"]).format(**params)


def dimension_word(dim: str, lang: str) -> str:
    return DIMENSION_WORDS.get(dim, {}).get(lang, dim.replace("_", " "))


def period_label(label: str, unit: str, start: date, lang: str) -> str:
    """A period's name in `lang`: relative names translated, months named by the locale."""
    if lang == "en":
        return label
    if label in PERIOD_WORDS:
        return PERIOD_WORDS[label][lang]
    if unit == "month" and label[:1].isalpha():
        return format_date(start, "MMMM y", locale=LOCALE[lang])
    rolling = re.fullmatch(r"(last|next) (\d+) (day|week|month|quarter|year)s", label)
    if rolling:  # "last 12 months" → "de seneste 12 måneder", "next 90 days" → "de kommande 90 dagarna"
        which, n, unit = rolling.groups()
        words = {"da": {"day": "dage", "week": "uger", "month": "måneder", "quarter": "kvartaler", "year": "år"},
                 "sv": {"day": "dagarna", "week": "veckorna", "month": "månaderna", "quarter": "kvartalen",
                        "year": "åren"}}[lang][unit]
        first = {"da": {"last": "de seneste", "next": "de næste"}, "sv": {"last": "de senaste", "next": "de kommande"}}
        return f"{first[lang][which]} {n} {words}"
    return label.replace(" to ", f" {t('to', lang)} ")


def number(value: float, lang: str, digits: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE[lang])


def money(value: float, currency: str, lang: str) -> str:
    """EUR 1,234,567 · 1.234.567 kr. · 1 234 567 kr"""
    pattern = "¤¤ #,##0" if lang == "en" else "#,##0 ¤"
    return format_currency(value, currency, format=pattern, locale=LOCALE[lang], currency_digits=False)


def percent(value: float, lang: str) -> str:
    return format_percent(value, format="#,##0.0%" if lang == "en" else "#,##0.0 %", locale=LOCALE[lang])


EXAMPLES = {
    "en": ["What was our revenue last quarter?", "win rate by region this year", "my pipeline this quarter",
           "top 5 reps by revenue last month", "my biggest deal closing this month", "Which KPIs should a CCO track?"],
    "da": ["Hvad var omsætningen sidste kvartal?", "win rate pr. region i år", "min pipeline dette kvartal",
           "top 5 sælgere efter omsætning sidste måned", "mine forsinkede aftaler", "Hvad er kommerciel drift?"],
    "sv": ["Vad var intäkterna förra kvartalet?", "win rate per region i år", "min pipeline det här kvartalet",
           "topp 5 säljare efter intäkter förra månaden", "vilka av mina affärer har fastnat?",
           "Vad gör en Chief Customer Officer?"],
}


def join_or(items: list[str], lang: str, word: str = "or") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t(word, lang)} {items[-1]}"


def join_and(items: list[str], lang: str) -> str:
    return join_or(items, lang, "and")


def country_name(value: str, lang: str) -> str:
    """An ISO country code as the country's name in `lang` (CLDR); anything else as it is."""
    if len(value) == 2 and value.isalpha():
        return Locale(lang).territories.get(value.upper(), value)
    return value
