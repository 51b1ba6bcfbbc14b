"""Every exception ccobot raises on purpose.

    CcobotError
    ├── UserError              text is written for the asker and may be shown to them
    │   ├── PlanError          a query plan the catalog or the data cannot answer
    │   │   ├── UnknownMetric
    │   │   ├── UnknownDimension
    │   │   └── UnknownValue
    │   └── PeriodError        a period that cannot be understood or resolved
    ├── WarehouseTimeout       the warehouse cancelled a statement at CCOBOT_WAREHOUSE_TIMEOUT_SECONDS: the
    │                          asker is told so in their language (bot/core/assistant.py), not given a figure
    ├── StoreError             a metrics store that cannot be loaded at all (exit 2)
    └── SettingsError          a setting in the environment or .env that is not valid (exit 2)
        ├── DatabaseUnavailable  the state database did not answer in CCOBOT_DB_WAIT_SECONDS (bot/state.py)
        └── SchemaTooNew         a state database migrated by a newer ccobot (bot/migrations)

Anything else is a bug: faces log it with a reference id and show a short apology.
Only a UserError's text reaches a user.
"""

from __future__ import annotations


class CcobotError(Exception):
    """Base of ccobot's own exceptions."""


class UserError(CcobotError):
    """An error whose message is meant for the person asking."""

    def __init__(self, message: str, *, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []


class PlanError(UserError):
    """A query plan that does not fit the catalog or the store."""


class UnknownMetric(PlanError):
    def __init__(self, metric: str, suggestions: list[str]) -> None:
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"I don't know a KPI called '{metric}'.{hint}", suggestions=suggestions)
        self.metric = metric


class UnknownDimension(PlanError):
    def __init__(self, metric: str, dimension: str, allowed: list[str]) -> None:
        super().__init__(
            f"{metric} can't be broken down or filtered by '{dimension}'. "
            f"It can be by: {', '.join(allowed) or 'nothing'}.",
            suggestions=allowed,
        )
        self.metric = metric
        self.dimension = dimension


class UnknownValue(PlanError):
    def __init__(self, dimension: str, value: str, suggestions: list[str]) -> None:
        hint = f" Closest: {', '.join(suggestions)}." if suggestions else ""
        super().__init__(f"There is no {dimension} '{value}' in the data.{hint}", suggestions=suggestions)
        self.dimension = dimension
        self.value = value


class PeriodError(UserError):
    """A period expression that cannot be parsed or resolved (e.g. 'Q5', 'Feb 30')."""


class WarehouseTimeout(CcobotError):
    """The warehouse cancelled a statement that ran longer than the bot's timeout. Not a UserError: code
    that takes a UserError for a question it misread (a model's reading, say) must not take this for one."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"The warehouse did not answer within {seconds:g} s, so I stopped the query.")
        self.seconds = seconds


class StoreError(CcobotError):
    """The metrics store cannot be loaded at all; the message says what and where."""


class SettingsError(CcobotError):
    """A setting (environment or .env) that cannot be read; the message names it and why."""
