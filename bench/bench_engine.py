"""Engine speed against the bare pandas floor, per plan, on demo stores of growing size.

    python bench/bench_engine.py                    # 100k, 1M and 10M deals
    python bench/bench_engine.py --sizes 100000,1000000 --repeat 50

For each size it builds (once, cached under $CCOBOT_HOME/bench) a demo store, loads it,
and times each plan through Engine.run (and each list of deals through Engine.deals) next
to a hand-written pandas expression that does the same filter, group-by or sort on the
same in-memory frame. Runs are interleaved
(engine, floor, engine, floor …) so both see the same machine noise. Reported: median
and p95 per plan, the engine/floor ratio of medians, load time, and memory.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import AS_OF, demo_store, pct, peak_mib  # noqa: E402
from bot.metrics.deals import DealQuery  # noqa: E402
from bot.metrics.engine import Engine  # noqa: E402
from bot.metrics.periods import Calendar, parse_period  # noqa: E402
from bot.metrics.plan import QueryPlan  # noqa: E402
from bot.metrics.store import MetricsStore, load_store  # noqa: E402

CAL = Calendar(AS_OF, 1)


def span(text: str, forward: bool = False) -> tuple[pd.Timestamp, pd.Timestamp]:
    p = parse_period(text, CAL, forward=forward)
    return pd.Timestamp(p.start), pd.Timestamp(p.end)


def between(col: pd.Series, text: str, forward: bool = False) -> pd.Series:
    lo, hi = span(text, forward)
    return (col >= lo) & (col <= hi)


# name -> (the engine's work, the same work in bare pandas on the prepared deals frame)
def cases(store: MetricsStore) -> dict[str, tuple[Callable[[Engine], object], Callable[[], object]]]:
    plans = {name: (lambda e, p=plan: e.run(p, as_of=AS_OF), floor) for name, (plan, floor) in kpi_cases(store).items()}
    return plans | deal_cases(store)


def deal_cases(store: MetricsStore) -> dict[str, tuple[Callable[[Engine], object], Callable[[], object]]]:
    """Lists of deals: filter, sort, the top 10, and the count of all that match."""
    d = store.deals
    rep = str(d["owner_id"].value_counts().index[0])
    today = pd.Timestamp(AS_OF)

    def top(mask: pd.Series, by: str, largest: bool) -> tuple[int, pd.DataFrame]:
        rows = d.loc[mask, ["opportunity_id", "name", "account_id", "owner_id", "stage", "amount", "close_date"]]
        return len(rows), rows.nlargest(10, by) if largest else rows.nsmallest(10, by)

    def run(query: DealQuery) -> Callable[[Engine], object]:
        return lambda e: e.deals(query, as_of=AS_OF)

    return {
        "deals: open in DACH over 100k, top 10": (
            run(DealQuery(filters={"region": ["DACH"]}, amount_min=100_000)),
            lambda: top(~d["is_closed"] & (d["region"] == "DACH") & (d["amount"] > 100_000), "amount", True)),
        "deals: next 10 to close": (
            run(DealQuery(upcoming=True, order_by="close_date", desc=False)),
            lambda: top(~d["is_closed"] & (d["close_date"] >= today), "close_date", False)),
        "deals: a rep's biggest closing this month": (
            run(DealQuery(filters={"owner": [rep]}, period="this month", limit=1)),
            lambda: top(~d["is_closed"] & (d["owner_id"] == rep) & between(d["close_date"], "this month", True),
                        "amount", True)),
    }


def kpi_cases(store: MetricsStore) -> dict[str, tuple[QueryPlan, Callable[[], object]]]:
    d = store.deals
    targets = store.tables["targets"]

    def won(text: str) -> pd.Series:
        return d["is_won"] & between(d["close_date"], text)

    def attainment_by_owner() -> pd.Series:
        rev = d.loc[won("last quarter"), ["owner_id", "amount"]].groupby("owner_id", observed=True)["amount"].sum()
        lo, hi = span("last quarter")
        t = targets[targets["rep_id"].notna() & (targets["period_start"] >= lo) & (targets["period_end"] <= hi)]
        quota = t.groupby(t["rep_id"].astype(str))["amount"].sum()
        return (rev / quota).nlargest(5)

    return {
        "revenue, last quarter": (
            QueryPlan(metric="revenue", period="last quarter"),
            lambda: d.loc[won("last quarter"), "amount"].sum()),
        "revenue by region, last quarter": (
            QueryPlan(metric="revenue", period="last quarter", group_by=["region"]),
            lambda: d.loc[won("last quarter"), ["region", "amount"]].groupby("region", observed=True)["amount"].sum()),
        "win rate by region, last quarter": (
            QueryPlan(metric="win_rate", period="last quarter", group_by=["region"]),
            lambda: d.loc[d["is_closed"] & between(d["close_date"], "last quarter"), ["region", "is_won"]]
            .groupby("region", observed=True)["is_won"].mean()),
        "pipeline in Nordics, this quarter": (
            QueryPlan(metric="pipeline", period="this quarter", filters={"region": ["Nordics"]}),
            lambda: d.loc[~d["is_closed"] & between(d["close_date"], "this quarter", True)
                          & (d["region"] == "Nordics"), "amount"].sum()),
        "revenue by month, this year": (
            QueryPlan(metric="revenue", period="this year", group_by=["month"]),
            lambda: d.loc[won("this year"), ["close_m", "amount"]].groupby("close_m")["amount"].sum()),
        "avg deal size by segment, 2025": (
            QueryPlan(metric="avg_deal_size", period="2025", group_by=["segment"]),
            lambda: d.loc[won("2025"), ["segment", "amount"]].groupby("segment", observed=True)["amount"].mean()),
        "deals won by product line, last month": (
            QueryPlan(metric="deals_won", period="last month", group_by=["product_line"]),
            lambda: d.loc[won("last month"), "product_line"].value_counts()),
        "top 5 reps by attainment, last quarter": (
            QueryPlan(metric="quota_attainment", period="last quarter", group_by=["owner"], limit=5),
            attainment_by_owner),
    }


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - start) / 1e6



def bench_size(deals: int, home: Path, repeat: int) -> dict:
    folder = demo_store(home, deals)
    proc = psutil.Process()
    rss_before = proc.memory_info().rss
    started = time.perf_counter()
    store = load_store(folder)
    load_s = time.perf_counter() - started
    engine = Engine(store)
    out = {"deals": deals, "load_s": round(load_s, 2), "plans": {}}
    for name, (work, floor) in cases(store).items():
        for _ in range(3):  # warm caches on both sides
            work(engine)
            floor()
        eng, flo = [], []
        gc.collect()
        for _ in range(repeat):
            eng.append(timed(lambda: work(engine)))
            flo.append(timed(floor))
        out["plans"][name] = {
            "engine_median_ms": round(statistics.median(eng), 2), "engine_p95_ms": round(pct(eng, 0.95), 2),
            "floor_median_ms": round(statistics.median(flo), 2), "floor_p95_ms": round(pct(flo, 0.95), 2),
            "ratio": round(statistics.median(eng) / statistics.median(flo), 2),
        }
    out["store_rss_mib"] = round((proc.memory_info().rss - rss_before) / 2**20)
    out["peak_rss_mib"] = round(peak_mib())
    return out


def report(result: dict) -> None:
    print(f"\n{result['deals']:,} deals: load {result['load_s']} s, store in memory ~{result['store_rss_mib']:,} MiB, "
          f"peak RSS {result['peak_rss_mib']:,} MiB")
    print("| plan | engine median ms | engine p95 ms | pandas floor median ms | floor p95 ms | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in result["plans"].items():
        print(f"| {name} | {r['engine_median_ms']} | {r['engine_p95_ms']} | {r['floor_median_ms']} | "
              f"{r['floor_p95_ms']} | {r['ratio']} |")
    ratios = [r["ratio"] for r in result["plans"].values()]
    print(f"median ratio {statistics.median(ratios):.2f}, worst {max(ratios):.2f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000,10000000")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--home", type=Path, default=Path(os.environ.get("CCOBOT_HOME", ".ccobot")) / "bench")
    ap.add_argument("--json", type=Path, default=Path("bench/results/engine.json"))
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in this process
    args = ap.parse_args()
    if args.one:
        repeat = args.repeat if args.one < 5_000_000 else max(5, args.repeat // 3)
        print(json.dumps(bench_size(args.one, args.home, repeat)))
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        # Each size in its own process, so its memory figures are its own.
        print(f"{size:,} deals …", flush=True)
        proc = subprocess.run([sys.executable, __file__, "--one", str(size), "--repeat", str(args.repeat),
                               "--home", str(args.home)], capture_output=True, text=True, check=True)
        print(proc.stderr, end="")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        report(result)
        results.append(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
