"""The bot's memory with a large file store, and how soon it answers after start.

    python bench/bench_memory.py                 # the 1M-deal demo store (built once under .ccobot/bench)
    python bench/bench_memory.py --deals 100000 --runs 3

Each run is a fresh process that starts as `ccobot serve` does (bot/service.py build_assistant:
the store, the state database, the playbook index, the warm-up thread), then asks its first
question at once and a second one after; it reports the store load, the first and second
question's time, and the resident memory (now and peak) after each step. The floor beside it,
in its own process: the bare pandas read of the same Parquet files (every column, as pandas
reads them) and its resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HERE = Path(__file__).resolve().parent
FIRST = "win rate by region last quarter"
SECOND = "pipeline Nordics vs DACH this quarter"

BOT = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
from bot.service import build_assistant
def rss():
    with open("/proc/self/status") as f:
        now = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return now / 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
imported = time.perf_counter() - t0
t = time.perf_counter()
assistant = build_assistant(__import__("pathlib").Path(sys.argv[1]), "bench", wait_for_index=False)
loaded = time.perf_counter() - t
after_load = rss()
t = time.perf_counter(); a = assistant.ask(sys.argv[2], user=None); first = time.perf_counter() - t
after_first = rss()
t = time.perf_counter(); b = assistant.ask(sys.argv[3], user=None); second = time.perf_counter() - t
time.sleep(3)  # the warm-up thread finishes what it loads
print(json.dumps({"import_s": imported, "load_s": loaded, "first_s": first, "second_s": second,
                  "rss_load_mb": after_load[0], "rss_first_mb": after_first[0], "rss_end_mb": rss()[0],
                  "peak_mb": rss()[1], "kinds": [a.kind, b.kind]}))
"""

FLOOR = r"""
import json, resource, sys, time
import pandas as pd
from pathlib import Path
t = time.perf_counter()
frames = {p.stem: pd.read_parquet(p) for p in sorted(Path(sys.argv[1]).glob("*.parquet"))}
took = time.perf_counter() - t
with open("/proc/self/status") as f:
    now = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024
print(json.dumps({"load_s": took, "rss_mb": now, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def store_for(deals: int) -> Path:
    from bot.metrics.demo import write_demo
    from datetime import date

    folder = Path(".ccobot/bench") / f"demo-{deals}"
    if not (folder / "opportunities.parquet").exists():
        print(f"building a {deals:,}-deal demo store in {folder} …", flush=True)
        write_demo(folder, deals=deals, as_of=date(2026, 11, 20))
    return folder


def run(script: str, *args: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    store = store_for(args.deals)
    bots, floors = [], []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CCOBOT_HOME": home, "CCOBOT_DEMO_AS_OF": "2026-11-20", "PYTHONPATH": str(HERE.parent)}
        for _ in range(args.runs):
            floors.append(run(FLOOR, str(store), env=env))
            bots.append(run(BOT, str(store), FIRST, SECOND, env=env))
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    print(f"{args.deals:,} deals, {args.runs} runs, medians:")
    print(f"  bare pandas read of the Parquet files: {med(floors, 'load_s'):.2f} s, "
          f"RSS {med(floors, 'rss_mb'):.0f} MB (peak {med(floors, 'peak_mb'):.0f} MB)")
    print(f"  bot: imports {med(bots, 'import_s'):.2f} s, store+state+playbook {med(bots, 'load_s'):.2f} s "
          f"({med(bots, 'load_s') / med(floors, 'load_s'):.2f}× the floor), RSS {med(bots, 'rss_load_mb'):.0f} MB")
    print(f"  first question '{FIRST}': {med(bots, 'first_s'):.2f} s, RSS {med(bots, 'rss_first_mb'):.0f} MB")
    print(f"  second question '{SECOND}': {med(bots, 'second_s'):.3f} s")
    print(f"  after warm-up: RSS {med(bots, 'rss_end_mb'):.0f} MB, peak {med(bots, 'peak_mb'):.0f} MB "
          f"({med(bots, 'rss_end_mb') / med(floors, 'rss_mb'):.2f}× the floor's RSS)")


if __name__ == "__main__":
    main()
