"""An independent, plain-pandas reading of the morning digest's content (docs/contracts/digest.md).

Written from the contracts only (digest.md, kpis.md, access.md, metrics-store.md), without
importing or reading the product's code: it reads the store's files (CSV or Parquet) itself.
The only thing taken from bot/ is data: the stage default probabilities in the KPI catalog
(bot/metrics/catalog.yml, `settings.stage_probability` and `open_probability_default`).

`digest(folder, rep_id, d)` returns the comparable part of `ccobot digest preview --json`:
scope, period, window, figures, changes, risks and closing_this_week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import yaml

CATALOG = Path(__file__).resolve().parents[2] / "bot" / "metrics" / "catalog.yml"

WON, LOST = "won", "lost"


class UnknownRep(KeyError):
    pass


# ---------------------------------------------------------------------------------------------
# Reading the store


def _read(folder: Path, table: str) -> pd.DataFrame | None:
    pq, csv = folder / f"{table}.parquet", folder / f"{table}.csv"
    if pq.exists():
        return pd.read_parquet(pq)
    if csv.exists():
        return pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
    return None


def _str(s: pd.Series) -> pd.Series:
    """Strings with empty / missing as None."""
    return s.astype(object).where(s.notna(), None).map(lambda v: None if v is None or str(v).strip() == "" else str(v))


def _dates(s: pd.Series) -> pd.Series:
    """Calendar dates (Timestamp at midnight, naive) or NaT."""
    out = pd.to_datetime(s, errors="coerce", utc=False)
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out.dt.normalize().astype("datetime64[ns]")


def _timestamps(s: pd.Series) -> pd.Series:
    """UTC timestamps, naive."""
    if pd.api.types.is_datetime64_any_dtype(s):
        out = pd.Series(s)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert("UTC").dt.tz_localize(None)
        return out.astype("datetime64[ns]")
    return pd.to_datetime(s, utc=True, format="ISO8601").dt.tz_localize(None).astype("datetime64[ns]")


def _bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    return s.map(lambda v: str(v).strip().lower() in ("true", "1", "yes", "t", "y"))


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype(float)


@dataclass
class Store:
    folder: Path
    base: str
    fy_start: int
    deals: pd.DataFrame
    history: pd.DataFrame | None
    reps: pd.DataFrame
    targets: pd.DataFrame | None
    fx: dict[str, list[tuple[pd.Timestamp, float]]] | None
    stage_prob: dict[str, float] = field(default_factory=dict)
    open_prob_default: float = 0.3
    closed_stages: dict[str, str] = field(default_factory=dict)  # stage -> won / lost

    # -- stage rules -------------------------------------------------------------------------
    def default_probability(self, stage: str | None) -> float:
        if stage is None:
            return self.open_prob_default
        return self.stage_prob.get(str(stage).strip().lower(), self.open_prob_default)

    def outcome(self, stage: str | None) -> str | None:
        """won / lost for a closed stage; None for an open one (a stage in no rule is open)."""
        return None if stage is None else self.closed_stages.get(str(stage))

    # -- money -------------------------------------------------------------------------------
    def rate(self, currency: str | None, when) -> float:
        """rate_to_base for `currency` in the month of `when` (metrics-store.md, fx_rates)."""
        cur = currency or self.base
        if cur == self.base or self.fx is None:
            return 1.0
        rates = self.fx.get(cur)
        if not rates:
            raise ValueError(f"no fx rate at all for currency {cur}")
        if when is None or pd.isna(when):
            return float("nan")
        month = pd.Timestamp(when).to_period("M").to_timestamp()
        earlier = [r for m, r in rates if m <= month]
        return earlier[-1] if earlier else rates[0][1]

    def base_amounts(self, deals: pd.DataFrame) -> pd.Series:
        """Each deal's amount in the base currency at the rate of its close_date's month (or
        its created_date's when it has no close date)."""
        out = []
        for amount, cur, close, created in zip(deals["amount"], deals["currency"], deals["close_date"],
                                               deals["created_date"]):
            if pd.isna(amount):
                out.append(float("nan"))
                continue
            when = close if not pd.isna(close) else created
            out.append(float(amount) * self.rate(cur, when))
        return pd.Series(out, index=deals.index, dtype=float)


def load(folder: Path | str) -> Store:
    folder = Path(folder)
    cfg = {}
    if (folder / "store.yml").exists():
        cfg = yaml.safe_load((folder / "store.yml").read_text(encoding="utf-8")) or {}
    base = str(cfg.get("base_currency") or "EUR")
    fy_start = int(cfg.get("fiscal_year_start_month") or 1)

    deals = _read(folder, "opportunities")
    assert deals is not None, "opportunities is required"
    deals = deals.copy()
    for col in ("opportunity_id", "owner_id", "stage", "currency"):
        deals[col] = _str(deals[col]) if col in deals else None
    deals["currency"] = deals["currency"].map(lambda c: c or base)
    deals["amount"] = _num(deals["amount"]) if "amount" in deals else float("nan")
    deals["probability"] = _num(deals["probability"]) if "probability" in deals else float("nan")
    for col in ("created_date", "close_date"):
        deals[col] = _dates(deals[col]) if col in deals else pd.NaT
    deals["is_closed"] = _bool(deals["is_closed"])
    deals["is_won"] = _bool(deals["is_won"])

    # Which stage names are won / lost: the opportunities table's is_won / is_closed.
    closed_stages: dict[str, str] = {}
    for stage, grp in deals.groupby("stage", observed=True):
        if grp["is_closed"].any():
            closed_stages[str(stage)] = WON if grp["is_won"].mean() >= 0.5 else LOST

    history = _read(folder, "opportunity_history")
    if history is not None:
        history = history.copy()
        history["opportunity_id"] = _str(history["opportunity_id"])
        history["stage"] = _str(history["stage"])
        history["amount"] = _num(history["amount"])
        history["close_date"] = _dates(history["close_date"])
        history["changed_at"] = _timestamps(history["changed_at"])
        history["_order"] = range(len(history))
        history = history.sort_values(["changed_at", "_order"], kind="mergesort").reset_index(drop=True)

    reps = _read(folder, "reps")
    assert reps is not None, "the digest needs a reps table"
    reps = reps.copy()
    for col in ("rep_id", "name", "manager_id", "team", "role"):
        reps[col] = _str(reps[col]) if col in reps else None
    reps["role"] = reps["role"].map(lambda r: (r or "rep").strip().lower())

    targets = _read(folder, "targets")
    if targets is not None:
        targets = targets.copy()
        for col in ("rep_id", "team", "region", "currency"):
            targets[col] = _str(targets[col]) if col in targets else None
        targets["currency"] = targets["currency"].map(lambda c: c or base)
        targets["period_start"] = _dates(targets["period_start"])
        targets["period_end"] = _dates(targets["period_end"])
        targets["amount"] = _num(targets["amount"])

    fx_df = _read(folder, "fx_rates")
    fx = None
    if fx_df is not None:
        fx_df = fx_df.copy()
        fx_df["month"] = _dates(fx_df["month"]).map(lambda t: t.to_period("M").to_timestamp())
        fx_df["rate_to_base"] = _num(fx_df["rate_to_base"])
        fx = {}
        for cur, grp in fx_df.sort_values("month").groupby("currency"):
            fx[str(cur)] = list(zip(grp["month"], grp["rate_to_base"]))

    settings = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))["settings"]
    stage_prob = {str(k).lower(): float(v) for k, v in settings["stage_probability"].items()}
    return Store(folder, base, fy_start, deals, history, reps, targets, fx, stage_prob,
                 float(settings.get("open_probability_default", 0.3)), closed_stages)


# ---------------------------------------------------------------------------------------------
# Periods and scope


def quarter(d: date, fy_start: int = 1) -> tuple[date, date]:
    """The (fiscal) quarter containing d: quarters start at fy_start, fy_start + 3, ..."""
    offset = (d.month - fy_start) % 3
    m0 = d.month - offset
    y0 = d.year
    if m0 < 1:
        m0 += 12
        y0 -= 1
    start = date(y0, m0, 1)
    m1, y1 = m0 + 3, y0
    if m1 > 12:
        m1 -= 12
        y1 += 1
    return start, date(y1, m1, 1) - timedelta(days=1)


def window(d: date) -> tuple[date, date]:
    """Default schedule (Monday to Friday): from the previous weekday to d - 1."""
    prev = d - timedelta(days=1)
    while prev.weekday() >= 5:
        prev -= timedelta(days=1)
    return prev, d - timedelta(days=1)


def scope_of(store: Store, rep_id: str) -> tuple[str, set[str] | None]:
    """('own' | 'team' | 'company', the owner ids in scope or None for everyone)."""
    reps = store.reps
    row = reps[reps["rep_id"] == rep_id]
    if row.empty:
        raise UnknownRep(rep_id)
    role = row["role"].iloc[0]
    if role in ("exec", "admin"):
        return "company", None
    if role == "manager":
        members, frontier = {rep_id}, {rep_id}
        while frontier:
            below = set(reps.loc[reps["manager_id"].isin(frontier), "rep_id"]) - members
            members |= below
            frontier = below
        return "team", members
    return "own", {rep_id}


def target_quarter(store: Store, rep_id: str, kind: str, members: set[str] | None,
                   qstart: date, qend: date) -> float | None:
    t = store.targets
    if t is None:
        return None
    inq = t[(t["period_start"] >= pd.Timestamp(qstart)) & (t["period_end"] <= pd.Timestamp(qend))]
    if kind == "own":
        rows = inq[inq["rep_id"] == rep_id]
    elif kind == "company":
        rows = inq[inq["rep_id"].isna() & inq["team"].isna() & inq["region"].isna()]
    else:
        team = store.reps.loc[store.reps["rep_id"] == rep_id, "team"].iloc[0]
        if team is not None and (t["team"] == team).any():
            rows = inq[inq["team"] == team]
        else:
            rows = inq[inq["rep_id"].isin(members)]
    if rows.empty:
        return None
    total = 0.0
    for amount, cur, start in zip(rows["amount"], rows["currency"], rows["period_start"]):
        total += float(amount) * store.rate(cur, start)
    return total


# ---------------------------------------------------------------------------------------------
# The digest


def _day(ts) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).date().isoformat()


def _f(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def digest(store: Store | Path | str, rep_id: str, d: date) -> dict:
    if not isinstance(store, Store):
        store = load(store)
    kind, members = scope_of(store, rep_id)
    qstart, qend = quarter(d, store.fy_start)
    wstart, wend = window(d)
    D = pd.Timestamp(d)

    deals = store.deals
    if members is not None:
        deals = deals[deals["owner_id"].isin(members)]
    open_ = deals[~deals["is_closed"]]

    # -- figures (kpis.md over the scope; base currency) -------------------------------------
    pipe = open_[(open_["close_date"] >= pd.Timestamp(qstart)) & (open_["close_date"] <= pd.Timestamp(qend))]
    pipe_base = store.base_amounts(pipe)
    prob = pipe["probability"].where(pipe["probability"].notna(), pipe["stage"].map(store.default_probability))
    pipeline = float(pipe_base.sum(skipna=True))
    weighted = float((pipe_base * prob).sum(skipna=True))
    won = deals[deals["is_won"] & (deals["close_date"] >= pd.Timestamp(qstart)) & (deals["close_date"] <= D)]
    bookings = float(store.base_amounts(won).sum(skipna=True))
    target = target_quarter(store, rep_id, kind, members, qstart, qend)
    attainment = bookings / target if target else None
    pace = ((d - qstart).days + 1) / ((qend - qstart).days + 1)
    coverage = None
    if target is not None and target - bookings > 0:
        coverage = pipeline / (target - bookings)

    # -- changes over the window --------------------------------------------------------------
    changes: list[dict] = []
    owner = dict(zip(deals["opportunity_id"], deals["owner_id"]))
    hist = store.history
    has_history: set[str] = set()
    recent: set[str] = set()
    if hist is not None:
        hist = hist[hist["opportunity_id"].isin(owner.keys())]
        has_history = set(hist.loc[hist["changed_at"] < pd.Timestamp(D), "opportunity_id"])  # none later, as of D
        ws, we = pd.Timestamp(wstart), pd.Timestamp(wend) + pd.Timedelta(days=1)
        before = hist[hist["changed_at"] < ws].groupby("opportunity_id").tail(1).set_index("opportunity_id")
        inwin = hist[(hist["changed_at"] >= ws) & (hist["changed_at"] < we)]
        end = inwin.groupby("opportunity_id").tail(1).set_index("opportunity_id")
        for oid, e in end.iterrows():
            base = {"opportunity_id": oid, "owner_id": owner[oid]}
            if oid not in before.index:
                changes.append({**base, "change": "new"})
                continue
            s = before.loc[oid]
            end_outcome, start_outcome = store.outcome(e["stage"]), store.outcome(s["stage"])
            if end_outcome is not None and start_outcome is None:
                changes.append({**base, "change": end_outcome})
                continue
            if end_outcome is None and start_outcome is None and e["stage"] != s["stage"]:
                pe, ps = store.default_probability(e["stage"]), store.default_probability(s["stage"])
                if pe > ps:
                    changes.append({**base, "change": "stage_forward", "from": s["stage"], "to": e["stage"]})
                elif pe < ps:
                    changes.append({**base, "change": "stage_back", "from": s["stage"], "to": e["stage"]})
            sc, ec = s["close_date"], e["close_date"]
            if not pd.isna(sc) and not pd.isna(ec) and sc != ec:
                qe = pd.Timestamp(qend)
                if ec > sc:
                    changes.append({**base, "change": "pushed", "from": _day(sc), "to": _day(ec),
                                    "out_of_quarter": bool(sc <= qe < ec)})
                else:
                    changes.append({**base, "change": "pulled", "from": _day(sc), "to": _day(ec),
                                    "into_quarter": bool(ec <= qe < sc)})
            sa, ea = s["amount"], e["amount"]
            if not pd.isna(sa) and not pd.isna(ea) and sa != ea:
                changes.append({**base, "change": "amount_up" if ea > sa else "amount_down",
                                "from": float(sa), "to": float(ea)})
        lo = D - pd.Timedelta(days=30)
        recent = set(hist.loc[(hist["changed_at"] >= lo) & (hist["changed_at"] < D), "opportunity_id"])

    # -- risks: open deals as the opportunities table stands -----------------------------------
    risks: list[dict] = []
    early_end = D + pd.Timedelta(days=13)
    for _, r in open_.iterrows():
        reasons = []
        close = r["close_date"]
        if not pd.isna(close) and close < D:
            reasons.append("overdue")
        oid = r["opportunity_id"]
        if oid in has_history:
            if oid not in recent:
                reasons.append("stalled")
        elif not pd.isna(r["created_date"]) and r["created_date"] <= D - pd.Timedelta(days=30):
            reasons.append("stalled")
        if not pd.isna(close) and D <= close <= early_end and store.default_probability(r["stage"]) <= 0.2:
            reasons.append("early_stage_closing")
        if pd.isna(r["amount"]):
            reasons.append("missing_amount")
        if pd.isna(close):
            reasons.append("missing_close_date")
        if reasons:
            risks.append({"opportunity_id": oid, "owner_id": r["owner_id"], "reasons": sorted(reasons)})

    # -- closing this week ---------------------------------------------------------------------
    monday = D - pd.Timedelta(days=d.weekday())
    sunday = monday + pd.Timedelta(days=6)
    week = open_[(open_["close_date"] >= monday) & (open_["close_date"] <= sunday)].copy()
    week["base_amount"] = store.base_amounts(week)
    week = week.sort_values(["base_amount", "opportunity_id"], ascending=[False, True], na_position="last",
                            kind="mergesort").head(10)
    closing = [{"opportunity_id": r["opportunity_id"], "owner_id": r["owner_id"], "amount": _f(r["base_amount"]),
                "close_date": _day(r["close_date"]), "stage": r["stage"]} for _, r in week.iterrows()]

    return {
        "for": rep_id,
        "date": d.isoformat(),
        "scope": kind,
        "currency": store.base,
        "period": {"start": qstart.isoformat(), "end": qend.isoformat()},
        "window": {"start": wstart.isoformat(), "end": wend.isoformat()},
        "figures": {"pipeline": pipeline, "weighted_pipeline": weighted, "bookings_qtd": bookings,
                    "target_quarter": target, "attainment": attainment, "pace": pace, "coverage": coverage},
        "changes": changes,
        "risks": risks,
        "closing_this_week": closing,
    }
