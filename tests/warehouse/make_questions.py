"""Write tests/warehouse/questions.txt: KPI questions over the catalog's KPIs × periods × filters ×
breakdowns × en/da/sv, for the file-store-vs-warehouse equality test (test_equal.py).

The demo store's values are used (regions Nordics, DACH, UK & Ireland, North America; segments;
product lines; sources; channels). Deterministic: `python -m tests.warehouse.make_questions`.
Hand-written questions (comparisons, parts, rankings, follow-up-free oddities) are appended.
"""

from __future__ import annotations

import random
from pathlib import Path

from bot.metrics.catalog import load_catalog

OUT = Path(__file__).with_name("questions.txt")
PERIODS = {
    "en": ["this quarter", "last quarter", "this year", "last year", "last month", "in Q1", "in 2025",
           "year to date", "in march", "last 30 days", "all time", ""],
    "da": ["dette kvartal", "sidste kvartal", "i år", "sidste år", "sidste måned", "i 2025", "i marts", ""],
    "sv": ["detta kvartal", "förra kvartalet", "i år", "förra året", "förra månaden", "i 2025", "i mars", ""],
}
TEMPLATES = {
    "en": ["what is our {kpi} {period}", "{kpi} {period}", "show me {kpi} {period} {filter}",
           "{kpi} {period} by {dim}", "what was {kpi} {filter} {period}", "my {kpi} {period}",
           "{kpi} by {dim} {filter} {period}", "top 3 {dim} by {kpi} {period}"],
    "da": ["hvad er vores {kpi} {period}", "{kpi} {period}", "{kpi} {period} {filter}",
           "{kpi} per {dim} {period}", "min {kpi} {period}", "{kpi} fordelt på {dim} {period}"],
    "sv": ["vad är vår {kpi} {period}", "{kpi} {period}", "{kpi} {period} {filter}",
           "{kpi} per {dim} {period}", "min {kpi} {period}", "{kpi} uppdelat på {dim} {period}"],
}
FILTERS = {
    "en": ["in the Nordics", "in DACH", "for Enterprise", "for SMB customers", "for Platform", "for inbound deals",
           "in Germany", "in North America", "for renewals", "in the UK"],
    "da": ["i Norden", "i DACH", "for Enterprise", "for SMB", "for Platform", "i Tyskland", "i Nordamerika"],
    "sv": ["i Norden", "i DACH", "för Enterprise", "för SMB", "för Platform", "i Tyskland", "i Nordamerika"],
}
DIMS = {
    "en": {"region": "region", "segment": "segment", "owner": "rep", "month": "month", "quarter": "quarter",
           "product_line": "product line", "source": "source", "team": "team", "channel": "channel"},
    "da": {"region": "region", "segment": "segment", "owner": "sælger", "month": "måned", "quarter": "kvartal",
           "product_line": "produktlinje", "team": "team", "channel": "kanal"},
    "sv": {"region": "region", "segment": "segment", "owner": "säljare", "month": "månad", "quarter": "kvartal",
           "product_line": "produktlinje", "team": "team", "channel": "kanal"},
}
HAND = [
    "revenue this quarter vs last quarter", "win rate Nordics vs DACH last quarter",
    "revenue DACH vs Nordics vs UK & Ireland last quarter", "win rate last quarter vs the same quarter last year",
    "my revenue this year vs last year", "omsætning dette kvartal sammenlignet med sidste kvartal",
    "intäkter det här kvartalet jämfört med förra kvartalet", "pipeline and win rate this quarter",
    "revenue and deals won last quarter", "average deal size and sales cycle this year",
    "quota attainment this quarter", "quota attainment last quarter by rep", "attainment by team last quarter",
    "my quota attainment last quarter", "målopfyldelse sidste kvartal", "måluppfyllelse förra kvartalet",
    "revenue per rep this year", "revenue per rep by region last year", "number of reps by region",
    "headcount in DACH", "weighted pipeline by stage", "pipeline closing this quarter by rep",
    "open deals by stage", "forecast next quarter", "pipeline next quarter by region",
    "revenue growth this quarter", "revenue growth last quarter vs a year ago", "revenue growth by region this year",
    "new customers by month this year", "new logos last quarter in the Nordics", "CAC last quarter",
    "CAC by region this year", "marketing spend by channel this year", "marketing ROI by quarter in 2025",
    "lead conversion rate by source this year", "leads by month this year", "leads in DACH last quarter",
    "partner revenue by region in 2025", "expansion revenue this year by segment",
    "win rate by rep last quarter", "lowest win rate by rep this year", "top 5 reps by revenue this year",
    "bottom 3 regions by revenue last year", "sales cycle by segment in 2025", "deals lost by source last quarter",
    "deals created by month this year", "revenue by region and segment last year", "revenue by month and region this year",
    "how much did we sell last quarter", "total sales this year", "revnue last quater", "reveneu this qtr",
    "revenue in H1", "revenue in the first half of 2025", "revenue between 2025-03-01 and 2025-05-31",
    "revenue since March", "revenue last week", "revenue in Q3 last year",
    "hvor meget solgte vi sidste kvartal", "hvad er vores win rate i år", "salg per region i år",
    "vundne aftaler per måned i år", "gennemsnitlig aftalestørrelse sidste år", "pipeline per fase",
    "hur mycket sålde vi förra kvartalet", "vinstfrekvens per säljare i år", "försäljning per region i år",
    "vunna affärer per månad i år", "genomsnittlig affärsstorlek förra året", "pipeline per fas",
    "what's the MRR", "ARR by segment", "NPS last quarter", "churn rate last month", "show my biggest deals",
    "deals closing this month", "which deals are at risk", "what is a good win rate", "hello",
    # deals of a size, and a line under a breakdown
    "win rate on deals over 100k this year", "revenue from deals over 250k last year by region",
    "average deal size for deals under 20k this quarter", "how many deals over 50k did we win last quarter",
    "win rate by segment on deals over 50k", "pipeline over 100k by stage",
    "reps with pipeline over 1m", "which reps are below 50% attainment last quarter",
    "regions with a win rate under 30% this year", "vilka säljare har över 30 % win rate i år",
    # groups without rows, at 0
    "which reps have not won any deals this month", "sælgere uden pipeline i DACH", "bottom 5 reps by revenue last month",
    "säljare utan vunna affärer förra veckan", "leads by source in Q1 2027", "deals lost by month this year in DACH",
]


def questions(seed: int = 15) -> list[str]:
    catalog = load_catalog()
    rnd = random.Random(seed)
    out: list[str] = []
    for kpi in catalog.kpis.values():
        for lang in ("en", "da", "sv"):
            names = kpi.names.get(lang) or kpi.names["en"]
            dims = [d for d in kpi.dimensions if d in DIMS[lang]]
            for template in rnd.sample(TEMPLATES[lang], k=5 if lang == "en" else 4):
                if "{dim}" in template and not dims:
                    continue
                text = template.format(kpi=rnd.choice(names[:3]), period=rnd.choice(PERIODS[lang]),
                                       filter=rnd.choice(FILTERS[lang]),
                                       dim=DIMS[lang][rnd.choice(dims)] if dims else "")
                out.append(" ".join(text.split()))
    seen = set()
    return [q for q in [*out, *HAND] if not (q in seen or seen.add(q))]


if __name__ == "__main__":
    qs = questions()
    OUT.write_text("# Generated by tests/warehouse/make_questions.py; one question a line.\n" + "\n".join(qs) + "\n",
                   encoding="utf-8")
    print(f"{len(qs)} questions → {OUT}")
