"""Words and numbers in the asker's language: English, Danish, Swedish.

Messages are templates keyed by code; numbers, money and percentages are formatted by
Babel with each language's conventions (1,234,567 / 1.234.567 / 1 234 567).
"""

from __future__ import annotations

from datetime import date

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
    "and": {"en": "and", "da": "og", "sv": "och"},
    "for": {"en": "for", "da": "for", "sv": "för"},
    "to": {"en": "to", "da": "til", "sv": "till"},
    "more": {"en": "more", "da": "flere", "sv": "fler"},
    "none_label": {"en": "(none)", "da": "(ingen)", "sv": "(ingen)"},
    "all_open": {"en": "all open deals", "da": "alle åbne aftaler", "sv": "alla öppna affärer"},
    "all_time": {"en": "all time", "da": "hele perioden", "sv": "hela tiden"},
    "you": {"en": "you", "da": "dig", "sv": "dig"},
    "your_reports": {"en": "your reports", "da": "dine medarbejdere", "sv": "dina medarbetare"},
    "your_row": {"en": "your own row", "da": "din egen række", "sv": "din egen rad"},
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
    if label.startswith("last ") and label.endswith(" days"):
        n = label.split()[1]
        return {"da": f"de seneste {n} dage", "sv": f"de senaste {n} dagarna"}[lang]
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
