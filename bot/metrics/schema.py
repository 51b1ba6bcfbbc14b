"""The canonical tables of the metrics store (contracts/metrics-store.md), as data.

Column kinds:
    id        an identifier, kept as a string
    text      free text (Arrow-backed string)
    category  a low-cardinality label (pandas categorical)
    date      a calendar date
    timestamp an ISO 8601 instant, kept as naive UTC
    money     a decimal amount in the row's currency
    number    any float (probabilities, rates, shares)
    int       an integer (NPS scores)
    bool      true/false, yes/no, 1/0
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    # Column whose date picks the fx rate for `money` columns.
    money_date: str | None = None
    checks: dict[str, tuple[float, float]] = field(default_factory=dict)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _c(name: str, kind: str, required: bool = True) -> Column:
    return Column(name, kind, required)


def _o(name: str, kind: str) -> Column:
    return Column(name, kind, False)


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "reps",
            (_c("rep_id", "id"), _c("name", "text"), _o("email", "text"), _o("slack_user_id", "text"),
             _o("manager_id", "id"), _o("team", "category"), _o("region", "category"),
             _o("timezone", "category"), _o("role", "category"), _o("active", "bool")),
            key=("rep_id",),
        ),
        TableSpec(
            "accounts",
            (_c("account_id", "id"), _c("name", "text"), _o("segment", "category"), _o("industry", "category"),
             _o("country", "category"), _o("region", "category"), _o("partner_id", "id")),
            key=("account_id",),
        ),
        TableSpec(
            "opportunities",
            (_c("opportunity_id", "id"), _o("name", "text"), _o("account_id", "id"), _c("owner_id", "id"),
             _o("product_line", "category"), _o("type", "category"), _o("source", "category"),
             _c("stage", "category"), _c("is_closed", "bool"), _c("is_won", "bool"), _o("amount", "money"),
             _o("currency", "category"), _o("probability", "number"), _c("created_date", "date"),
             _o("close_date", "date")),
            key=("opportunity_id",),
            money_date="close_date",
            checks={"probability": (0.0, 1.0)},
        ),
        TableSpec(
            "opportunity_history",
            (_c("opportunity_id", "id"), _c("changed_at", "timestamp"), _c("stage", "category"),
             _o("amount", "money"), _o("close_date", "date")),
            money_date="changed_at",
        ),
        TableSpec(
            "leads",
            (_c("lead_id", "id"), _c("created_date", "date"), _c("source", "category"), _o("region", "category"),
             _o("converted_date", "date"), _o("opportunity_id", "id")),
            key=("lead_id",),
        ),
        TableSpec(
            "revenue",
            (_c("month", "date"), _c("account_id", "id"), _c("mrr", "money"), _o("currency", "category")),
            key=("month", "account_id"),
            money_date="month",
        ),
        TableSpec(
            "targets",
            (_c("period_start", "date"), _c("period_end", "date"), _c("amount", "money"), _o("currency", "category"),
             _o("rep_id", "id"), _o("team", "category"), _o("region", "category")),
            money_date="period_start",
        ),
        TableSpec(
            "marketing_spend",
            (_c("month", "date"), _c("channel", "category"), _o("region", "category"), _c("amount", "money"),
             _o("currency", "category")),
            money_date="month",
        ),
        TableSpec(
            "nps_responses",
            (_c("response_date", "date"), _c("account_id", "id"), _c("score", "int")),
            checks={"score": (0, 10)},
        ),
        TableSpec(
            "support_cases",
            (_c("case_id", "id"), _c("account_id", "id"), _c("opened_at", "timestamp"),
             _o("resolved_at", "timestamp")),
            key=("case_id",),
        ),
        TableSpec(
            "partners",
            (_c("partner_id", "id"), _c("name", "text"), _o("tier", "category"), _o("margin_pct", "number")),
            key=("partner_id",),
            checks={"margin_pct": (0.0, 1.0)},
        ),
        TableSpec(
            "fx_rates",
            (_c("month", "date"), _c("currency", "category"), _c("rate_to_base", "number")),
            key=("month", "currency"),
        ),
    )
}

# Columns derived when absent, rather than reported missing.
DERIVABLE = {("opportunities", "is_closed"), ("opportunities", "is_won")}
