"""Digests due in one tick: 1,000 recipients on a 1M-deal demo store, against a bare pandas floor.

    python bench/bench_digest.py                       # 1,000,000 deals, 1,000 recipients
    python bench/bench_digest.py --deals 100000 --recipients 200 --repeat 5

The store is built once (cached under $CCOBOT_HOME/bench) and loaded as `ccobot digest run` and
`ccobot scheduler` load it: the tables digests read (--whole-store: every table, as in
`ccobot serve`). Each repeat builds every digest
of the tick with a fresh DigestBuilder: one engine pass per figure grouped by owner, one pass
over the history for the window, one over the open deals for risks and closing deals, then a
sum or gather per recipient over the owners in their scope. The first repeat also pays for
arrays made once per store (history sorted by deal, stage tables); it is reported apart.

The floor is what bare pandas needs for the same grouped passes on the same frames: the three
additive figures summed per owner, and the last history row per deal before and inside the
window. Reported: medians, the ratio to the floor, per-recipient time, and peak memory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import AS_OF, demo_store, peak_mib  # noqa: E402

from bot.access import identify  # noqa: E402
from bot.digest.content import DigestBuilder  # noqa: E402
from bot.digest.model import Recipient  # noqa: E402
from bot.metrics.deals import history_deal  # noqa: E402
from bot.metrics.engine import Engine  # noqa: E402
from bot.metrics.store import DIGEST_TABLES, load_store  # noqa: E402

DAY = AS_OF  # a Friday: the window is Thursday 19


def recipients(store, n: int) -> list[Recipient]:
    """Every manager and exec first, then reps, up to n (as a tick with everyone subscribed)."""
    reps = store.tables["reps"]
    order = {"exec": 0, "admin": 0, "manager": 1, "rep": 2}
    ranked = sorted(zip(reps["role"].astype(str), reps["rep_id"].astype(str)), key=lambda r: (order.get(r[0], 3), r[1]))
    return [Recipient(rep, DAY, DAY - timedelta(days=1)) for _, rep in ranked[:n]]


def floor(store) -> None:
    """Bare pandas: the grouped passes a digest tick needs, on the store's own frames."""
    d = store.deals
    q0, q1 = pd.Timestamp(2026, 10, 1), pd.Timestamp(2026, 12, 31)
    open_q = ~d["is_closed"] & (d["close_date"] >= q0) & (d["close_date"] <= q1)
    d.loc[open_q].groupby("owner_id", observed=True)["amount"].sum()
    (d.loc[open_q, "amount"] * d.loc[open_q, "probability"].fillna(0.5)).groupby(d.loc[open_q, "owner_id"],
                                                                                  observed=True).sum()
    won = d["is_won"] & (d["close_date"] >= q0) & (d["close_date"] <= pd.Timestamp(DAY))
    d.loc[won].groupby("owner_id", observed=True)["amount"].sum()
    h = store.history().assign(deal=history_deal(store))  # the store keeps each row's deal by position
    start = pd.Timestamp(DAY - timedelta(days=1))
    h.loc[h["changed_at"] < start].sort_values("changed_at").groupby("deal").last()
    inside = (h["changed_at"] >= start) & (h["changed_at"] < pd.Timestamp(DAY))
    h.loc[inside].sort_values("changed_at").groupby("deal").last()


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deals", type=int, default=1_000_000)
    ap.add_argument("--recipients", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--whole-store", action="store_true",
                    help="load every table (as `ccobot serve` does), not only those digests read")
    ap.add_argument("--home", type=Path, default=Path(os.environ.get("CCOBOT_HOME", ".ccobot")) / "bench")
    args = ap.parse_args()
    folder = demo_store(args.home, args.deals)
    proc = psutil.Process()
    started = time.perf_counter()
    store = load_store(folder, with_history=True, only=None if args.whole_store else DIGEST_TABLES)
    load_s = time.perf_counter() - started
    rss_loaded = proc.memory_info().rss / 2**20
    engine = Engine(store)
    people = recipients(store, args.recipients)
    scopes = {p.rep_id: identify(store, p.rep_id).role for p in people}
    peak_loaded = peak_mib()
    first = timed(lambda: DigestBuilder(engine).build(people))
    for _ in range(args.repeat - 1):
        DigestBuilder(engine).build(people)
    peak_ticks = peak_mib()  # before the floor adds its own
    ours, base = [], []
    for _ in range(args.repeat):  # interleaved, so both see the same machine noise
        ours.append(timed(lambda: DigestBuilder(engine).build(people)))
        base.append(timed(lambda: floor(store)))
    digests = DigestBuilder(engine).build(people)
    peak = peak_mib()
    med, fl = statistics.median(ours), statistics.median(base)
    roles = pd.Series(list(scopes.values())).value_counts().to_dict()
    print(f"store: {len(store.deals):,} deals, {len(store.history()):,} history rows, "
          f"{len(store.tables['reps']):,} reps; loaded in {load_s:.1f} s, RSS {rss_loaded:,.0f} MiB")
    print(f"recipients: {len(people):,} ({', '.join(f'{k} {v}' for k, v in roles.items())}); "
          f"entries: {sum(len(d.changes) for d in digests):,} changes, {sum(len(d.risks) for d in digests):,} risks")
    print(f"first tick (arrays made once per store): {first:.2f} s")
    print(f"tick, median of {args.repeat}: {med:.2f} s ({med / len(people) * 1000:.2f} ms per recipient); "
          f"pandas floor {fl:.2f} s; ratio {med / fl:.2f}")
    print(f"peak RSS: {peak_loaded:,.0f} MiB with the store and history loaded, {peak_ticks:,.0f} MiB after "
          f"{args.repeat} ticks (+{peak_ticks - peak_loaded:,.0f} MiB for the digests), {peak:,.0f} MiB after the "
          "pandas floor too (targets: tick < 5 s, peak < 1024 MiB)")


if __name__ == "__main__":
    main()
