"""A deterministic demo company: every canonical table, several currencies, three years of deals.

Nordics, DACH, UK & Ireland and North America sell Platform, Analytics and Services to
SMB, Mid-Market and Enterprise accounts. Deals are created with seasonality and growth,
move through stages, close after a segment-typical cycle, and convert from the owner's
local currency; some lack an amount or a close date, as in real CRMs. Their history moves
as real pipelines do: stages go back, close dates slip (out of the quarter too) or are pulled
in, amounts are revised, lost deals reopen, some deals go quiet for weeks, and every working
day before the as-of day has its share of changes. Deals are written in chunks so ten million
fit in a few GiB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

CHUNK = 1_000_000
YEARS = 3

REGIONS = ["Nordics", "DACH", "UK & Ireland", "North America"]
REGION_WEIGHTS = [0.24, 0.30, 0.20, 0.26]
COUNTRIES = {
    "Nordics": (["DK", "SE", "NO", "FI"], [0.35, 0.35, 0.2, 0.1]),
    "DACH": (["DE", "AT", "CH"], [0.7, 0.12, 0.18]),
    "UK & Ireland": (["GB", "IE"], [0.85, 0.15]),
    "North America": (["US", "CA"], [0.85, 0.15]),
}
CURRENCY_OF = {"DK": "DKK", "SE": "SEK", "NO": "DKK", "FI": "EUR", "DE": "EUR", "AT": "EUR", "CH": "EUR",
               "GB": "GBP", "IE": "EUR", "US": "USD", "CA": "USD"}
TIMEZONES = {
    "Nordics": ["Europe/Copenhagen", "Europe/Stockholm", "Europe/Oslo", "Europe/Helsinki"],
    "DACH": ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich"],
    "UK & Ireland": ["Europe/London", "Europe/Dublin"],
    "North America": ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"],
}
FIRST_NAMES = {
    "Nordics": ["Anna", "Mette", "Sofie", "Ida", "Freja", "Lars", "Mads", "Jonas", "Erik", "Karin", "Linnea",
                "Astrid", "Nils", "Oskar", "Ingrid", "Henrik", "Sanna", "Mikkel", "Elin", "Johan"],
    "DACH": ["Lukas", "Leon", "Felix", "Jonas", "Lena", "Lea", "Hannah", "Julia", "Max", "Paul", "Sophie",
             "Katrin", "Matthias", "Stefan", "Sabine", "Tobias", "Anja", "Florian", "Miriam", "Jan"],
    "UK & Ireland": ["Oliver", "Amelia", "Harry", "Isla", "George", "Emily", "Jack", "Grace", "Siobhan",
                     "Ciaran", "Sophie", "James", "Charlotte", "Thomas", "Aoife", "William", "Lucy", "Sean"],
    "North America": ["Liam", "Emma", "Noah", "Olivia", "Ava", "Ethan", "Mia", "Mason", "Harper", "Logan",
                      "Chloe", "Lucas", "Madison", "Carter", "Aiden", "Zoe", "Grayson", "Riley"],
}
LAST_NAMES = {
    "Nordics": ["Jensen", "Nielsen", "Hansen", "Andersson", "Johansson", "Karlsson", "Larsen", "Berg",
                "Lindqvist", "Holm", "Dahl", "Nyström", "Eriksen", "Virtanen", "Sørensen", "Lund"],
    "DACH": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann",
             "Huber", "Gruber", "Keller", "Brunner", "Koch", "Richter", "Wolf"],
    "UK & Ireland": ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Murphy", "Kelly", "Walsh", "Evans",
                     "Thomas", "Roberts", "O'Brien", "Byrne", "Clarke", "Hughes", "Wright"],
    "North America": ["Johnson", "Williams", "Garcia", "Miller", "Davis", "Martinez", "Anderson", "Thompson",
                      "White", "Harris", "Clark", "Lewis", "Walker", "Young", "Allen", "Scott"],
}
SEGMENTS = ["SMB", "Mid-Market", "Enterprise"]
SEGMENT_WEIGHTS = [0.55, 0.30, 0.15]
SEGMENT_DEAL_WEIGHT = np.array([1.0, 2.2, 4.0])  # bigger accounts buy more often
SEGMENT_AMOUNT = np.array([9_000.0, 38_000.0, 150_000.0])  # median EUR
SEGMENT_CYCLE = np.array([28.0, 60.0, 115.0])  # median days
SEGMENT_WIN = np.array([0.33, 0.27, 0.22])
INDUSTRIES = ["Software", "Manufacturing", "Retail", "Financial Services", "Healthcare", "Logistics",
              "Energy", "Media", "Public Sector", "Professional Services"]
PRODUCTS = ["Platform", "Analytics", "Services"]
PRODUCT_WEIGHTS = [0.45, 0.35, 0.20]
PRODUCT_AMOUNT = np.array([1.2, 0.9, 0.6])
TYPES = ["new", "expansion", "renewal"]
TYPE_WEIGHTS = [0.55, 0.30, 0.15]
TYPE_AMOUNT = np.array([1.0, 0.5, 0.8])
SOURCES = ["inbound", "outbound", "partner", "event"]
OPEN_STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation"]
STAGE_PROBABILITY = np.array([0.1, 0.2, 0.5, 0.7])
STAGES = OPEN_STAGES + ["Closed Won", "Closed Lost"]
CHANNELS = ["Paid search", "Social", "Events", "Content", "Partner marketing"]
ACCOUNT_WORDS = ["Nord", "Alpen", "Blue", "North", "Summit", "River", "Oak", "Iron", "Bright", "Polar", "Granite",
                 "Harbor", "Silver", "Cedar", "Falcon", "Atlas", "Nova", "Vega", "Delta", "Fjord", "Linden",
                 "Crown", "Maple", "Aurora", "Stone", "Meridian", "Pioneer", "Evergreen", "Beacon", "Crest"]
ACCOUNT_CORES = ["Logistics", "Systems", "Foods", "Energy", "Health", "Retail", "Media", "Works", "Bank",
                 "Analytics", "Motors", "Pharma", "Labs", "Freight", "Textiles", "Insurance", "Robotics",
                 "Software", "Capital", "Engineering"]
SUFFIX = {"DK": "A/S", "NO": "AS", "SE": "AB", "FI": "Oy", "DE": "GmbH", "AT": "GmbH", "CH": "AG", "GB": "Ltd",
          "IE": "Ltd", "US": "Inc.", "CA": "Inc."}
FX_START = {"DKK": 0.134, "SEK": 0.088, "GBP": 1.16, "USD": 0.92}
PARTNERS = [("Nordic Channel Partners", "Gold"), ("Alpine Solutions", "Gold"), ("Bridge Consulting", "Silver"),
            ("Crestline Integrators", "Silver"), ("Datawise Partners", "Gold"), ("Elm Street Advisory", "Bronze"),
            ("Fjordline IT", "Silver"), ("Greenfield Resellers", "Bronze"), ("Helix Digital", "Silver"),
            ("Insight Alliance", "Gold"), ("Juniper Services", "Bronze"), ("Keystone Channel", "Bronze")]
# How an open deal's latest change brought it to its current state, mixed as in real pipelines;
# one row of weights per open stage (Prospecting cannot have come forward, Negotiation not back).
MOVES = ["forward", "back", "pushed", "pulled", "amount_up", "amount_down", "reopened", "untouched"]
FORWARD, BACK, PUSHED, PULLED, UP, DOWN, REOPENED, UNTOUCHED = range(len(MOVES))
CLOSE = -1  # a closed deal's latest change is its close
MOVE_WEIGHTS = np.array([
    [0.00, 0.30, 0.10, 0.08, 0.08, 0.06, 0.04, 0.34],  # many new Prospecting deals are not touched again
    [0.24, 0.24, 0.16, 0.12, 0.10, 0.08, 0.06, 0.00],
    [0.24, 0.24, 0.16, 0.12, 0.10, 0.08, 0.06, 0.00],
    [0.36, 0.00, 0.22, 0.14, 0.12, 0.10, 0.06, 0.00],
])
DAY = 86_400
NO_DAY = np.iinfo(np.int64).min  # NaT, as days since 1970


@dataclass
class DemoSummary:
    out: Path
    rows: dict[str, int]


def _pick(rng: np.random.Generator, n: int, weights: list[float]) -> np.ndarray:
    return rng.choice(len(weights), size=n, p=np.asarray(weights) / np.sum(weights))


def _ids(prefix: str, start: int, n: int, width: int = 8) -> pa.Array:
    nums = pc.cast(pa.array(np.arange(start, start + n)), pa.string())
    padded = pc.utf8_lpad(nums, width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), padded, "")


def _month_starts(first: date, last: date) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(first).to_period("M").start_time, pd.Timestamp(last), freq="MS")


def _last_moves(stage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One of MOVES per open deal, drawn with its stage's weights."""
    cum = np.cumsum(MOVE_WEIGHTS / MOVE_WEIGHTS.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((rng.random(len(stage))[:, None] >= cum[stage]).sum(axis=1), len(MOVES) - 1)


def _on_weekdays(day: np.ndarray, lo: np.ndarray, hi: np.ndarray, shift: tuple[int, int],
                 rng: np.random.Generator) -> np.ndarray:
    """Days since 1970, most Saturdays and Sundays moved by `shift` days (CRMs rest at weekends),
    where that stays within lo … hi."""
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    moved = day + np.select([weekday == 5, weekday == 6], list(shift), 0)
    ok = (moved >= lo) & (moved <= hi) & (rng.random(len(day)) < 0.85)
    return np.where(ok, moved, day)


def _quarter_end(day: np.ndarray) -> np.ndarray:
    """The last day of each day's calendar quarter, in days since 1970."""
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return (month - month % 3 + 3).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1


# Letters that NFKD does not take apart, written the way Nordic and German mailboxes do.
EMAIL_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l"})


class DemoCompany:
    def __init__(self, seed: int, deals: int, as_of: date) -> None:
        self.seed, self.n_deals, self.as_of = seed, deals, as_of
        self.start = date(as_of.year - YEARS, as_of.month, as_of.day) + timedelta(days=1)
        self.seeds = np.random.SeedSequence(seed)
        self.rng = np.random.default_rng(self.seeds.spawn(1)[0])
        # People and accounts get streams of their own, so that their names, emails and Slack ids
        # depend on the seed and size alone, not on the as-of day (which sizes the fx table).
        self.people_rng = np.random.default_rng([seed, 101])
        self.accounts_rng = np.random.default_rng([seed, 102])

    # ------------------------------------------------------------ small tables

    def fx(self) -> pd.DataFrame:
        months = _month_starts(self.start - timedelta(days=400), self.as_of + timedelta(days=400))
        rows = []
        for cur, rate in FX_START.items():
            walk = rate * np.exp(np.cumsum(self.rng.normal(0, 0.01, len(months))))
            rows.append(pd.DataFrame({"month": months.date, "currency": cur, "rate_to_base": walk.round(5)}))
        frame = pd.concat(rows, ignore_index=True)
        self.rates = {c: (frame[frame.currency == c].month.map(lambda d: d.year * 12 + d.month - 1).to_numpy(),
                          frame[frame.currency == c].rate_to_base.to_numpy()) for c in FX_START}
        return frame

    def rate(self, currencies: np.ndarray, months: np.ndarray) -> np.ndarray:
        """rate_to_base per row (1 for EUR), by currency code and month index."""
        out = np.ones(len(currencies))
        for cur, (mon, rate) in self.rates.items():
            rows = currencies == cur
            pos = np.clip(np.searchsorted(mon, months[rows], side="right") - 1, 0, len(rate) - 1)
            out[rows] = rate[pos]
        return out

    def people(self) -> pd.DataFrame:
        """Execs, regional VPs, team managers and reps, each with an email and a Slack id."""
        n_reps = int(np.clip(self.n_deals // 450, 24, 4000))
        rows = [("exec", "CEO", None, None, "Europe/Copenhagen"), ("exec", "CCO", 0, None, "Europe/Copenhagen"),
                ("admin", "RevOps", 1, None, "Europe/Copenhagen")]
        per_region = np.maximum(1, np.round(np.asarray(REGION_WEIGHTS) * n_reps).astype(int))
        for r, region in enumerate(REGIONS):
            vp = len(rows)
            rows.append(("manager", f"{region} leadership", 1, region, TIMEZONES[region][0]))
            teams = max(1, int(np.ceil(per_region[r] / 8)))
            for t in range(teams):
                tz = TIMEZONES[region][t % len(TIMEZONES[region])]
                team = f"{region} {SEGMENTS[t % 3]}" + (f" {t // 3 + 1}" if teams > 3 else "")
                mgr = len(rows)
                rows.append(("manager", team, vp, region, tz))
                size = per_region[r] // teams + (1 if t < per_region[r] % teams else 0)
                rows.extend(("rep", team, mgr, region, tz) for _ in range(size))
        frame = pd.DataFrame(rows, columns=["role", "team", "manager", "region", "timezone"])
        return self._name_people(frame)

    def _name_people(self, f: pd.DataFrame) -> pd.DataFrame:
        rng = self.people_rng
        n = len(f)
        pool_region = f["region"].fillna("Nordics")
        first = [FIRST_NAMES[r][i % len(FIRST_NAMES[r])] for r, i in zip(pool_region, rng.integers(0, 997, n))]
        last = [LAST_NAMES[r][i % len(LAST_NAMES[r])] for r, i in zip(pool_region, rng.integers(0, 991, n))]
        names = pd.Series([f"{a} {b}" for a, b in zip(first, last)])
        # Namesakes get a middle initial ("Anna K. Berg"), as people do; a number only past Z.
        dup = names.groupby(names).cumcount().to_numpy()
        names = pd.Series([n if d == 0 else (f"{a} {chr(64 + d)}. {b}" if d < 27 else f"{n} {d}")
                           for n, d, a, b in zip(names, dup, first, last)])
        local = names.str.lower().str.translate(EMAIL_LETTERS).str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
        alphabet = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))
        slack = ["U" + "".join(alphabet[rng.integers(0, len(alphabet), 10)]) for _ in range(n)]
        rep_ids = [f"r-{i:04d}" for i in range(n)]
        return pd.DataFrame({
            "rep_id": rep_ids, "name": names,
            "email": local.str.replace(r"[^a-z0-9 ]", "", regex=True).str.replace(" ", ".") + "@example.com",
            "slack_user_id": slack,
            "manager_id": [rep_ids[int(m)] if pd.notna(m) else None for m in f["manager"]],
            "team": f["team"].where(f["role"].isin(["rep", "manager"])), "region": f["region"],
            "timezone": f["timezone"], "role": f["role"], "active": rng.random(n) > 0.03,
        })

    def accounts(self) -> pd.DataFrame:
        rng = self.accounts_rng
        n = max(300, self.n_deals // 8)
        region = _pick(rng, n, REGION_WEIGHTS)
        country = np.empty(n, dtype=object)
        for r, name in enumerate(REGIONS):
            rows = region == r
            codes, weights = COUNTRIES[name]
            country[rows] = np.asarray(codes)[_pick(rng, int(rows.sum()), weights)]
        suffix = pd.Series(country).map(SUFFIX)
        base = (pd.Series(np.asarray(ACCOUNT_WORDS)[rng.integers(0, len(ACCOUNT_WORDS), n)]) + " "
                + pd.Series(np.asarray(ACCOUNT_CORES)[rng.integers(0, len(ACCOUNT_CORES), n)]))
        dup = base.groupby(base).cumcount()
        base = base.where(dup == 0, base + " " + (dup + 1).astype(str))
        partner = np.where(rng.random(n) < 0.12, rng.integers(0, len(PARTNERS), n), -1)
        return pd.DataFrame({
            "account_id": _ids("A-", 1, n, 7).to_pandas(), "name": base + " " + suffix,
            "segment": np.asarray(SEGMENTS)[_pick(rng, n, SEGMENT_WEIGHTS)],
            "industry": np.asarray(INDUSTRIES)[rng.integers(0, len(INDUSTRIES), n)],
            "country": country, "region": np.asarray(REGIONS)[region],
            "partner_id": pd.Series([f"P-{p + 1:02d}" if p >= 0 else None for p in partner], dtype="string"),
        })

    def partners(self) -> pd.DataFrame:
        return pd.DataFrame({
            "partner_id": [f"P-{i + 1:02d}" for i in range(len(PARTNERS))], "name": [p[0] for p in PARTNERS],
            "tier": [p[1] for p in PARTNERS],
            "margin_pct": [{"Gold": 0.2, "Silver": 0.15, "Bronze": 0.1}[p[1]] for p in PARTNERS],
        })

    # ------------------------------------------------------------ dates

    def day_weights(self, first: date, last: date) -> tuple[np.ndarray, np.ndarray]:
        """Business days weigh more; growth of ~30 % a year; a summer and Christmas dip."""
        days = pd.date_range(first, last, freq="D")
        t = np.arange(len(days)) / 365.0
        month_factor = np.array([0.9, 1.0, 1.15, 1.0, 1.05, 1.1, 0.7, 0.8, 1.15, 1.2, 1.15, 0.75])
        w = 1.3 ** t * month_factor[days.month - 1] * np.where(days.day_of_week < 5, 1.0, 0.12)
        return days.to_numpy(dtype="datetime64[D]"), w / w.sum()

    # ------------------------------------------------------------ deals

    def deal_chunk(self, start: int, n: int, accounts: pd.DataFrame, reps: pd.DataFrame,
                   rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
        acc = self._accounts_arrays(accounts)
        a = rng.choice(len(accounts), size=n, p=acc["weight"])
        seg, reg = acc["segment"][a], acc["region"][a]
        owner = self._owners(reg, reps, rng)
        days, weights = self.day_weights(self.start, self.as_of)
        created = days[rng.choice(len(days), size=n, p=weights)]
        cycle = np.maximum(1, rng.lognormal(np.log(SEGMENT_CYCLE[seg]), 0.55)).astype("int64")
        close = created + cycle.astype("timedelta64[D]")
        as_of = np.datetime64(self.as_of, "D")
        past = close <= as_of
        slipped = past & (rng.random(n) < 0.03)  # overdue but still open, as CRMs have
        source = self._sources(acc["partner"][a], rng)
        won_p = SEGMENT_WIN[seg] + np.where(source == 2, 0.08, 0) + np.where(source == 0, 0.04, 0)
        closed = past & ~slipped
        won = closed & (rng.random(n) < won_p)
        progress = np.clip((as_of - created).astype(float) / np.maximum(cycle, 1), 0, 0.999)
        stage = np.where(closed, np.where(won, 4, 5), (progress * 4).astype(int))
        product = _pick(rng, n, PRODUCT_WEIGHTS)
        dtype = _pick(rng, n, TYPE_WEIGHTS)
        eur = rng.lognormal(np.log(SEGMENT_AMOUNT[seg] * PRODUCT_AMOUNT[product] * TYPE_AMOUNT[dtype]), 0.6)
        currency = acc["currency"][a]
        months = close.astype("datetime64[M]").astype("int64") + 1970 * 12
        local = np.round(eur / self.rate(currency, months), -2)
        no_amount = (~closed & (stage <= 1) & (rng.random(n) < 0.06)) | (rng.random(n) < 0.002)
        no_close = ~closed & (rng.random(n) < 0.02)
        prob = np.where(stage < 4, STAGE_PROBABILITY[np.minimum(stage, 3)] + rng.normal(0, 0.05, n), np.nan)
        prob = np.where(rng.random(n) < 0.08, np.nan, np.clip(prob, 0.01, 0.99).round(2))
        ids = _ids("OPP-", start + 1, n)
        frame = pd.DataFrame({
            "opportunity_id": ids.to_pandas(),
            "name": pc.binary_join_element_wise(pa.array(acc["name"][a]), pa.array(np.asarray(PRODUCTS)[product]),
                                                " – ").to_pandas(),
            "account_id": acc["id"][a], "owner_id": reps["rep_id"].to_numpy()[owner],
            "product_line": pd.Categorical.from_codes(product, PRODUCTS),
            "type": pd.Categorical.from_codes(dtype, TYPES),
            "source": pd.Categorical.from_codes(source, SOURCES),
            "stage": pd.Categorical.from_codes(stage, STAGES),
            "is_closed": closed, "is_won": won,
            "amount": np.where(no_amount, np.nan, local), "currency": currency,
            "probability": prob, "created_date": created,
            "close_date": np.where(no_close, np.datetime64("NaT"), close).astype("datetime64[D]"),
        })
        return frame, self._history(frame, cycle, rng)

    def _accounts_arrays(self, accounts: pd.DataFrame) -> dict[str, np.ndarray]:
        if not hasattr(self, "_acc"):
            seg = pd.Categorical(accounts["segment"], SEGMENTS).codes
            weight = SEGMENT_DEAL_WEIGHT[seg]
            self._acc = {
                "segment": seg, "region": pd.Categorical(accounts["region"], REGIONS).codes,
                "weight": weight / weight.sum(), "partner": accounts["partner_id"].notna().to_numpy(),
                "currency": accounts["country"].map(CURRENCY_OF).to_numpy(dtype=object),
                "id": accounts["account_id"].to_numpy(dtype=object), "name": accounts["name"].to_numpy(dtype=object),
            }
        return self._acc

    def _owners(self, region: np.ndarray, reps: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """A rep from the account's region; reps cover their region's accounts."""
        sellers = reps[reps["role"] == "rep"]
        out = np.empty(len(region), dtype=np.int64)
        for r, name in enumerate(REGIONS):
            pool = sellers.index[sellers["region"] == name].to_numpy()
            rows = region == r
            out[rows] = pool[rng.integers(0, len(pool), int(rows.sum()))]
        return out

    @staticmethod
    def _sources(has_partner: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        plain = _pick(rng, len(has_partner), [0.36, 0.32, 0.14, 0.18])
        return np.where(has_partner & (rng.random(len(has_partner)) < 0.55), 2, plain)

    # ------------------------------------------------------------ history

    def _history(self, deals: pd.DataFrame, cycle: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        """One row per change, the state after it: created in Prospecting, a climb through the open
        stages on first estimates, then the latest change into the deal's current state (a close; for
        open deals a step forward or back, a push or pull, a revised amount, a reopening), so that
        each deal's last row is what opportunities says, for open and closed deals alike."""
        n = len(deals)
        stage = deals["stage"].cat.codes.to_numpy().astype(np.int64)
        closed = deals["is_closed"].to_numpy()
        move = np.full(n, CLOSE)
        move[~closed] = _last_moves(stage[~closed], rng)
        top = np.select([closed, move == FORWARD, move == BACK, move == REOPENED, move == UNTOUCHED],
                        [rng.integers(1, 4, n), stage - 1, stage + 1, rng.integers(0, 4, n), 0], stage)
        # the climb (stages 0 … top), a Closed Lost row before a reopening, the latest change
        count = top + np.select([move == UNTOUCHED, move == REOPENED], [1, 3], 2)
        created = deals["created_date"].to_numpy().astype("datetime64[D]").view("int64")
        close = deals["close_date"].to_numpy().astype("datetime64[D]").view("int64")  # NaT: NO_DAY
        t0, t_prev, t_last = self._times(created, close, closed, move, rng)
        amount = deals["amount"].to_numpy()
        prev_amount, prev_close = self._before_last(amount, close, move, cycle, t_prev, t_last, rng)
        # first estimates, revised once somewhere along the climb
        first_amount = np.round(prev_amount * rng.uniform(0.7, 1.3, n), -2)
        slip = (cycle * rng.uniform(-0.1, 0.3, n)).astype(np.int64)  # first close dates were optimistic
        first_close = np.where(close == NO_DAY, NO_DAY, prev_close - slip)
        spread = np.maximum(count - 2, 1)
        amount_from = 1 + (rng.random(n) * spread).astype(np.int64)
        close_from = 1 + (rng.random(n) * spread).astype(np.int64)

        idx = np.repeat(np.arange(n), count)
        j = np.arange(len(idx)) - np.repeat(np.cumsum(count) - count, count)
        c = count[idx]
        last, before = j == c - 1, j == c - 2
        at = np.where(last, t_last[idx], t0[idx] + (t_prev - t0)[idx] * j // spread[idx])
        row_stage = np.where(last, stage[idx], np.where(j <= top[idx], j, 5))
        row_amount = np.where(last, amount[idx], np.where(before | (j >= amount_from[idx]), prev_amount[idx],
                                                          first_amount[idx]))
        row_close = np.where(last, close[idx], np.where(before | (j >= close_from[idx]), prev_close[idx],
                                                        first_close[idx]))
        return pd.DataFrame({
            "opportunity_id": deals["opportunity_id"].array.take(idx),
            "changed_at": at.view("datetime64[s]"),
            "stage": pd.Categorical.from_codes(row_stage.astype(np.int8), STAGES),
            "amount": row_amount,
            "close_date": row_close.view("datetime64[D]").astype("datetime64[s]"),
        })

    def _times(self, created: np.ndarray, close: np.ndarray, closed: np.ndarray, move: np.ndarray,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Seconds of each deal's first, second-last and last row; the last is the close for
        closed deals and the latest touch for open ones, never after the as-of day."""
        n = len(created)
        as_of = np.datetime64(self.as_of, "D").astype(np.int64)
        t0 = created * DAY + rng.integers(7 * 3600, 11 * 3600, n)
        # a weekend close is mostly recorded on the Monday after
        closed_on = _on_weekdays(np.where(closed, close, as_of), created, as_of, (2, 1), rng)
        day = np.where(closed, closed_on, self._last_touch(created, close, as_of, rng))
        t_last = np.maximum(day * DAY + rng.integers(8 * 3600, 18 * 3600, n), t0 + 1800)
        t_last = np.where(move == UNTOUCHED, t0, t_last)
        t_prev = t0 + ((t_last - t0) * rng.uniform(0.35, 0.9, n)).astype(np.int64)
        return t0, t_prev, t_last

    @staticmethod
    def _last_touch(created: np.ndarray, close: np.ndarray, as_of: int, rng: np.random.Generator) -> np.ndarray:
        """The day an open deal last changed: mostly in the last week or two, on a weekday; some,
        most overdue deals among them, left alone for over a month (stalled)."""
        n = len(created)
        age = as_of - created
        overdue = (close != NO_DAY) & (close < as_of)
        stalled = (rng.random(n) < np.where(overdue, 0.6, 0.15)) & (age > 31)
        quiet = created + (rng.random(n) * (age - 30)).astype(np.int64)  # at most as_of - 31
        recent = as_of - rng.exponential(9, n).astype(np.int64) % (np.minimum(age, 30) + 1)
        day = np.where(stalled, quiet, recent)
        return _on_weekdays(day, created, np.where(stalled, quiet, as_of), (-1, 1), rng)

    @staticmethod
    def _before_last(amount: np.ndarray, close: np.ndarray, move: np.ndarray, cycle: np.ndarray,
                     t_prev: np.ndarray, t_last: np.ndarray,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Amount and close date just before the latest change, which that change then revised."""
        n = len(amount)
        up = np.maximum(np.minimum(np.round(amount * rng.uniform(0.6, 0.92, n), -2), amount - 100), 0)
        down = np.maximum(np.round(amount * rng.uniform(1.08, 1.5, n), -2), amount + 100)
        haggled = np.round(amount * rng.uniform(0.85, 1.2, n), -2)  # a close settles the final figure
        prev_amount = np.select([move == UP, move == DOWN, move == CLOSE], [up, down, haggled], amount)
        # end-of-quarter deals slip into the next quarter, as forecasts do
        q_end = _quarter_end(t_last // DAY)
        slips = (close > q_end) & (rng.random(n) < 0.5)
        pushed = np.where(slips, q_end - rng.integers(0, 21, n), close - rng.integers(7, 61, n))
        pulled = close + rng.integers(7, 46, n)
        expected = close + (cycle * rng.uniform(-0.15, 0.25, n)).astype(np.int64)
        lost_on = t_prev // DAY  # marking a deal lost sets its close date to that day
        prev_close = np.select([move == PUSHED, move == PULLED, move == CLOSE, move == REOPENED],
                               [pushed, pulled, expected, lost_on], close)
        return prev_amount, np.where(close == NO_DAY, NO_DAY, prev_close)

    # ------------------------------------------------------------ monthly facts

    def revenue(self, accounts: pd.DataFrame, first_win_m: np.ndarray, won_eur: np.ndarray,
                rng: np.random.Generator) -> pd.DataFrame:
        """MRR from the month after an account's first win, growing a little, until it churns."""
        as_of_m = self.as_of.year * 12 + self.as_of.month - 1
        who = np.flatnonzero(first_win_m >= 0)
        start = first_win_m[who] + 1
        churn = start + rng.geometric(0.012, len(who))
        stop = np.minimum(churn, as_of_m + 1)
        count = np.maximum(stop - start, 0)
        idx = np.repeat(np.arange(len(who)), count)
        k = np.arange(len(idx)) - np.repeat(np.cumsum(count) - count, count)
        month = start[idx] + k
        base = np.maximum(won_eur[who] / 30.0, 150.0)
        eur = base[idx] * (1.012 ** k) * rng.uniform(0.97, 1.03, len(idx))
        acc = who[idx]
        currency = accounts["country"].map(CURRENCY_OF).to_numpy(dtype=object)[acc]
        local = np.round(eur / self.rate(currency, month), 2)
        return pd.DataFrame({
            "month": _month_dates(month), "account_id": accounts["account_id"].to_numpy()[acc],
            "mrr": local, "currency": currency,
        })

    def targets(self, reps: pd.DataFrame, won_by_rep_q: pd.DataFrame) -> pd.DataFrame:
        """Quarterly targets per rep, team, region and company: recent bookings plus ambition."""
        quarters = pd.period_range(pd.Timestamp(self.start), pd.Timestamp(self.as_of) + pd.DateOffset(months=3), freq="Q")
        sellers = reps[reps["role"] == "rep"]
        mean_q = won_by_rep_q.groupby("rep")["eur"].sum() / max(len(quarters) - 1, 1)
        per_rep = sellers["rep_id"].map(mean_q).fillna(mean_q.mean() if len(mean_q) else 50_000.0)
        rows = []
        for i, q in enumerate(quarters):
            growth = 1.3 ** (i / 4) / 1.3 ** (len(quarters) / 8)
            rep_t = np.round(per_rep.to_numpy() * growth * 1.1, -3)
            span = {"period_start": q.start_time.date(), "period_end": q.end_time.date(), "currency": "EUR"}
            rows += [{**span, "amount": a, "rep_id": r} for r, a in zip(sellers["rep_id"], rep_t)]
            by_team = pd.Series(rep_t).groupby(sellers["team"].to_numpy()).sum()
            rows += [{**span, "amount": a, "team": t} for t, a in by_team.items()]
            by_region = pd.Series(rep_t).groupby(sellers["region"].to_numpy()).sum()
            rows += [{**span, "amount": round(a * 1.05, -3), "region": r} for r, a in by_region.items()]
            rows.append({**span, "amount": round(rep_t.sum() * 1.05, -3)})
        return pd.DataFrame(rows, columns=["period_start", "period_end", "amount", "currency", "rep_id", "team",
                                           "region"])

    def marketing_spend(self, yearly_bookings_eur: float) -> pd.DataFrame:
        months = _month_starts(self.start, self.as_of)
        share = {"Paid search": 0.3, "Social": 0.15, "Events": 0.25, "Content": 0.15, "Partner marketing": 0.15}
        local_cur = {"Nordics": "DKK", "DACH": "EUR", "UK & Ireland": "GBP", "North America": "USD"}
        rows = []
        monthly = yearly_bookings_eur * 0.07 / 12
        for m in months:
            season = 1.4 if m.month in (3, 9, 10) else (0.6 if m.month in (7, 12) else 1.0)
            for region, rw in zip(REGIONS, REGION_WEIGHTS):
                for channel, cw in share.items():
                    eur = monthly * rw * cw * season * self.rng.uniform(0.8, 1.2)
                    cur = local_cur[region]
                    rate = self.rate(np.array([cur]), np.array([m.year * 12 + m.month - 1]))[0]
                    rows.append((m.date(), channel, region, round(eur / rate, 2), cur))
        return pd.DataFrame(rows, columns=["month", "channel", "region", "amount", "currency"])

    def nps(self, accounts: pd.DataFrame, customers: np.ndarray) -> pd.DataFrame:
        n = max(600, len(customers) // 2)
        days, weights = self.day_weights(self.start, self.as_of)
        who = customers[self.rng.integers(0, len(customers), n)] if len(customers) else np.zeros(n, int)
        seg = pd.Categorical(accounts["segment"].to_numpy()[who], SEGMENTS).codes
        centre = np.array([8.0, 8.3, 8.6])[seg]
        score = np.clip(np.round(self.rng.normal(centre, 1.9)), 0, 10).astype(int)
        return pd.DataFrame({"response_date": days[self.rng.choice(len(days), n, p=weights)],
                             "account_id": accounts["account_id"].to_numpy()[who], "score": score})

    def support_cases(self, accounts: pd.DataFrame, customers: np.ndarray) -> pd.DataFrame:
        n = max(1000, len(customers))
        days, weights = self.day_weights(self.start, self.as_of)
        opened = (days[self.rng.choice(len(days), n, p=weights)].astype("datetime64[s]")
                  + self.rng.integers(7 * 3600, 19 * 3600, n).astype("timedelta64[s]"))
        hours = self.rng.lognormal(np.log(18), 1.0, n)
        resolved = opened + (hours * 3600).astype("int64").astype("timedelta64[s]")
        still_open = resolved > np.datetime64(self.as_of, "s") + np.timedelta64(18, "h")
        who = customers[self.rng.integers(0, len(customers), n)] if len(customers) else np.zeros(n, int)
        return pd.DataFrame({
            "case_id": _ids("C-", 1, n, 7).to_pandas(), "account_id": accounts["account_id"].to_numpy()[who],
            "opened_at": opened, "resolved_at": np.where(still_open, np.datetime64("NaT"), resolved),
        })

    def leads(self, n: int, rng: np.random.Generator, start: int) -> pd.DataFrame:
        days, weights = self.day_weights(self.start, self.as_of)
        created = days[rng.choice(len(days), n, p=weights)]
        source = _pick(rng, n, [0.45, 0.2, 0.1, 0.25])
        conv_p = np.array([0.3, 0.18, 0.35, 0.22])[source]
        converted = created + rng.integers(2, 30, n).astype("timedelta64[D]")
        keep = (rng.random(n) < conv_p) & (converted <= np.datetime64(self.as_of))
        return pd.DataFrame({
            "lead_id": _ids("L-", start + 1, n).to_pandas(), "created_date": created,
            "source": pd.Categorical.from_codes(source, SOURCES),
            "region": np.asarray(REGIONS)[_pick(rng, n, REGION_WEIGHTS)],
            "converted_date": np.where(keep, converted, np.datetime64("NaT")).astype("datetime64[D]"),
        })


def _month_dates(month_index: np.ndarray) -> np.ndarray:
    years, months = month_index // 12, month_index % 12
    return ((years - 1970) * 12 + months).astype("datetime64[M]").astype("datetime64[D]")


class ChunkWriter:
    """Appends frames to one Parquet file, so big tables never sit in memory whole."""

    def __init__(self, path: Path) -> None:
        self.path, self.writer, self.rows = path, None, 0

    def write(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.schema = table.schema
            self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        self.writer.write_table(table.cast(self.schema))
        self.rows += len(frame)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def write_demo(out: Path, seed: int = 7, deals: int = 20_000, as_of: date | None = None,
               progress: Callable[[int], None] | None = None) -> DemoSummary:
    """Write the demo store to `out` (Parquet tables and store.yml); deterministic per arguments."""
    as_of = as_of or date.today()
    out.mkdir(parents=True, exist_ok=True)
    co = DemoCompany(seed, deals, as_of)
    rows: dict[str, int] = {}

    def save(name: str, frame: pd.DataFrame) -> None:
        frame.to_parquet(out / f"{name}.parquet", index=False, compression="zstd")
        rows[name] = len(frame)

    save("fx_rates", co.fx())
    reps, accounts = co.people(), co.accounts()
    save("reps", reps)
    save("accounts", accounts)
    save("partners", co.partners())
    first_win, won_eur, won_rep_q = _write_deals(out, co, deals, reps, accounts, rows, progress)
    customers = np.flatnonzero(first_win >= 0)
    rng = np.random.default_rng(co.seeds.spawn(3)[2])
    save("revenue", co.revenue(accounts, first_win, won_eur, rng))
    save("targets", co.targets(reps, won_rep_q))
    save("marketing_spend", co.marketing_spend(won_eur.sum() / YEARS))
    save("nps_responses", co.nps(accounts, customers))
    save("support_cases", co.support_cases(accounts, customers))
    _write_leads(out, co, deals, rows)
    (out / "store.yml").write_text(yaml.safe_dump(
        {"base_currency": "EUR", "fiscal_year_start_month": 1, "as_of": as_of.isoformat(),
         "demo": {"seed": seed, "deals": deals}}, sort_keys=False), encoding="utf-8")
    return DemoSummary(out, rows)


def _write_deals(out: Path, co: DemoCompany, n: int, reps: pd.DataFrame, accounts: pd.DataFrame,
                 rows: dict[str, int], progress: Callable[[int], None] | None):
    """Deals and their history in chunks; returns per-account first win month and won EUR."""
    deals_w, hist_w = ChunkWriter(out / "opportunities.parquet"), ChunkWriter(out / "opportunity_history.parquet")
    first_win = np.full(len(accounts), np.iinfo(np.int64).max)
    won_eur = np.zeros(len(accounts))
    acc_index = pd.Index(accounts["account_id"])
    by_rep_q: list[pd.DataFrame] = []
    seeds = co.seeds.spawn(2)[1].spawn(max(1, -(-n // CHUNK)))
    for i, start in enumerate(range(0, n, CHUNK)):
        size = min(CHUNK, n - start)
        frame, history = co.deal_chunk(start, size, accounts, reps, np.random.default_rng(seeds[i]))
        deals_w.write(frame)
        hist_w.write(history)
        won = frame[frame["is_won"] & frame["amount"].notna()]
        a = acc_index.get_indexer(won["account_id"])
        months = won["close_date"].to_numpy().astype("datetime64[M]").astype("int64") + 1970 * 12
        np.minimum.at(first_win, a, months)
        eur = won["amount"].to_numpy() * co.rate(won["currency"].to_numpy(), months)
        np.add.at(won_eur, a, eur)
        quarter = pd.PeriodIndex(won["close_date"], freq="Q").astype(str)
        by_rep_q.append(pd.DataFrame({"rep": won["owner_id"].to_numpy(), "q": quarter, "eur": eur})
                        .groupby(["rep", "q"], as_index=False)["eur"].sum())
        if progress:
            progress(size)
    deals_w.close()
    hist_w.close()
    rows["opportunities"], rows["opportunity_history"] = deals_w.rows, hist_w.rows
    first_win = np.where(first_win == np.iinfo(np.int64).max, -1, first_win)
    return first_win, won_eur, pd.concat(by_rep_q, ignore_index=True)


def _write_leads(out: Path, co: DemoCompany, deals: int, rows: dict[str, int]) -> None:
    writer = ChunkWriter(out / "leads.parquet")
    n = max(500, deals)
    seeds = co.seeds.spawn(4)[3].spawn(max(1, -(-n // CHUNK)))
    for i, start in enumerate(range(0, n, CHUNK)):
        writer.write(co.leads(min(CHUNK, n - start), np.random.default_rng(seeds[i]), start))
    writer.close()
    rows["leads"] = writer.rows
