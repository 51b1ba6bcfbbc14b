"""An independent, naive pandas reading of a demo store's raw files, for checking the engine.

It reads the Parquet files itself, converts currencies with merge_asof and joins owners and
accounts with merges: none of the loader's or engine's code is used.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def raw_deals(folder: Path) -> pd.DataFrame:
    """Every deal with `eur` (its amount in EUR at its month's rate), the owner's region and team,
    and the account's name and segment."""
    deals = pd.read_parquet(folder / "opportunities.parquet")
    fx = pd.read_parquet(folder / "fx_rates.parquet")
    fx["month"] = pd.to_datetime(fx["month"]).astype("datetime64[ns]")
    deals["when"] = pd.to_datetime(deals["close_date"]).fillna(pd.to_datetime(deals["created_date"]))
    deals["month"] = deals["when"].dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
    parts = []
    for cur, grp in deals.groupby("currency"):
        grp = grp.sort_values("month")
        if cur == "EUR":
            grp["rate"] = 1.0
        else:
            rates = fx[fx["currency"] == cur].sort_values("month")[["month", "rate_to_base"]]
            grp = pd.merge_asof(grp, rates, on="month", direction="backward")
            grp["rate"] = grp["rate_to_base"].fillna(rates["rate_to_base"].iloc[0])
        parts.append(grp)
    deals = pd.concat(parts)
    deals["eur"] = deals["amount"] * deals["rate"]
    reps = pd.read_parquet(folder / "reps.parquet")[["rep_id", "region", "team"]]
    accounts = pd.read_parquet(folder / "accounts.parquet")[["account_id", "segment", "country", "name"]]
    deals = deals.merge(reps, left_on="owner_id", right_on="rep_id", how="left")
    deals = deals.merge(accounts.rename(columns={"name": "account_name"}), on="account_id", how="left")
    deals["close_date"] = pd.to_datetime(deals["close_date"])
    deals["created_date"] = pd.to_datetime(deals["created_date"])
    return deals
