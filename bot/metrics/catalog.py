"""The KPI catalog (catalog.yml), loaded and checked once.

Everything that needs to know what a KPI is (the engine, the parser, the digest, the
docs) reads it from here.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

CATALOG_FILE = Path(__file__).with_name("catalog.yml")
LANGS = ("en", "da", "sv")
Unit = Literal["currency", "count", "ratio", "days", "hours", "months", "score"]
DefaultPeriod = Literal["qtd", "open", "latest_month", "last_full_month"]


class Kpi(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    unit: Unit
    formula: dict[str, Any]
    default_period: DefaultPeriod
    dimensions: tuple[str, ...]
    description: str
    described: dict[str, str] = Field(default_factory=dict)  # the description in Danish and Swedish
    names: dict[str, tuple[str, ...]]
    # How a ratio reads: a percentage (win rate 31.2%) or a multiple (LTV to CAC 29.0×).
    display: Literal["percent", "multiple"] = "percent"
    # Periods look ahead to close dates for pipeline-like KPIs; a KPI with a default period of its own
    # may say so too (pipeline coverage: this quarter's open deals against its targets).
    looks_forward: bool = False

    @property
    def kind(self) -> str:
        return self.formula["kind"]

    @property
    def title(self) -> str:
        name = self.names["en"][0]
        return name[0].upper() + name[1:]

    def description_in(self, lang: str) -> str:
        """The description in `lang` when the catalog has it, else in English."""
        return self.described.get(lang, self.description)

    @property
    def forward(self) -> bool:
        """Looks forward to close dates: periods are not cut at as_of."""
        return self.default_period == "open" or self.looks_forward


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    settings: dict[str, Any] = Field(default_factory=dict)
    dimensions: dict[str, dict[str, tuple[str, ...]]]
    kpis: dict[str, Kpi]

    @model_validator(mode="after")
    def _check(self) -> "Catalog":
        from bot.metrics.formulas import FORMULAS  # the formula kinds live with the engine

        for kpi in self.kpis.values():
            if kpi.kind not in FORMULAS:
                raise ValueError(f"{kpi.id}: unknown formula kind {kpi.kind}")
            for ref in ("of", "num"):
                if ref in kpi.formula and kpi.formula[ref] not in self.kpis:
                    raise ValueError(f"{kpi.id}: formula refers to unknown KPI {kpi.formula[ref]}")
            for ref in kpi.formula.get("den", []):
                if ref not in self.kpis:
                    raise ValueError(f"{kpi.id}: formula refers to unknown KPI {ref}")
            unknown = set(kpi.dimensions) - set(self.dimensions)
            if unknown:
                raise ValueError(f"{kpi.id}: unknown dimensions {sorted(unknown)}")
            missing = [lang for lang in LANGS if not kpi.names.get(lang)]
            if missing:
                raise ValueError(f"{kpi.id}: no names in {missing}")
        return self

    def get(self, metric: str) -> Kpi | None:
        return self.kpis.get(metric)

    def suggest(self, word: str, n: int = 3) -> list[str]:
        """KPI ids whose id or names come closest to `word` (for 'did you mean')."""
        index = {kid: kid for kid in self.kpis}
        for kpi in self.kpis.values():
            for names in kpi.names.values():
                index.update({name.lower(): kpi.id for name in names})
        hits = difflib.get_close_matches(word.lower().replace("_", " "), list(index), n=n * 3, cutoff=0.5)
        return list(dict.fromkeys(index[h] for h in hits))[:n]

    def setting(self, name: str, default: Any = None) -> Any:
        return self.settings.get(name, default)


def _expand(raw: dict[str, Any]) -> dict[str, Any]:
    sets = raw.pop("dimension_sets", {})
    kpis = {}
    for kid, spec in raw["kpis"].items():
        dims = spec.get("dimensions", [])
        spec = {**spec, "id": kid, "dimensions": sets[dims] if isinstance(dims, str) else dims}
        kpis[kid] = spec
    return {**raw, "kpis": kpis}


@lru_cache(maxsize=4)
def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Catalog.model_validate(_expand(raw))
