"""Currency conversion to the store's base currency (contracts/metrics-store.md, fx_rates).

An amount converts at the rate of the month of its date; a month without a rate takes the
latest earlier month's rate, else the earliest rate. A currency with no rate at all is an
error naming the currency and rows, and those amounts are left empty, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd


def month_index(dates: pd.Series) -> np.ndarray:
    """Months since year 0 as int32 (year*12 + month-1); -1 where the date is missing."""
    d = dates.to_numpy(dtype="datetime64[M]", copy=True)
    missing = np.isnat(d)
    out = d.view("int64")  # worked in place: at 1.9M revenue rows each int64 temporary is 15 MB
    out += 1970 * 12
    out[missing] = -1
    return out.astype("int32")


@dataclass
class FxTable:
    base: str
    # currency -> (sorted month indexes, rates)
    rates: dict[str, tuple[np.ndarray, np.ndarray]]

    @classmethod
    def from_frame(cls, base: str, fx: pd.DataFrame | None) -> "FxTable":
        rates: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if fx is not None and len(fx):
            fx = fx.assign(_m=month_index(fx["month"])).sort_values("_m")
            for cur, grp in fx.groupby("currency", observed=True):
                rates[str(cur)] = (grp["_m"].to_numpy(), grp["rate_to_base"].to_numpy(dtype="float64"))
        return cls(base, rates)

    @property
    def known(self) -> set[str]:
        return set(self.rates) | {self.base}

    def convert(self, amounts: np.ndarray, currencies: pd.Series, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Base-currency amounts, and a mask of rows whose currency has no rate at all."""
        out = amounts.astype("float64", copy=True)
        cur = currencies.astype("category")
        codes = cur.cat.codes.to_numpy()
        unknown = np.zeros(len(out), dtype=bool)
        for code, name in enumerate(cur.cat.categories):
            if name == self.base:
                continue
            rows = codes == code
            if name not in self.rates:
                if self.rates:  # without an fx table every amount is taken as base currency
                    unknown |= rows
                continue
            mon, rate = self.rates[name]
            pos = np.searchsorted(mon, months[rows], side="right") - 1
            out[rows] *= rate[np.clip(pos, 0, len(rate) - 1)]
        out[unknown] = np.nan
        return out, unknown

    def to_base(self, value: float, currency: str, day: date) -> float | None:
        """One amount in `currency` in the base currency at the latest rate on or before `day`'s month
        (the earliest rate before any); None when the currency has no rate."""
        if currency == self.base:
            return value
        if currency not in self.rates:
            return None
        mon, rate = self.rates[currency]
        pos = int(np.searchsorted(mon, day.year * 12 + day.month - 1, side="right")) - 1
        return value * float(rate[min(max(pos, 0), len(rate) - 1)])
