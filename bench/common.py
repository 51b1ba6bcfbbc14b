"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

AS_OF = date(2026, 11, 20)  # the day every bench's demo store runs up to (a Friday)


def demo_store(home: Path, deals: int) -> Path:
    """The demo store every bench reads (seed 7, up to AS_OF), built once under `home`."""
    from bot.metrics.demo import write_demo

    folder = home / f"demo-{deals}"
    if not (folder / "store.yml").exists():  # store.yml is written last
        started = time.perf_counter()
        print(f"building a {deals:,}-deal demo store in {folder} …", file=sys.stderr, flush=True)
        write_demo(folder, seed=7, deals=deals, as_of=AS_OF)
        print(f"  built in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return folder


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field)) / 1024


def rss_mib() -> float:
    """This process's resident memory now."""
    return _status_mib("VmRSS:")


def peak_mib() -> float:
    """This process's peak resident memory. Not getrusage's ru_maxrss: Linux carries that across exec,
    so a child started by a large parent (one that built a demo store) reports the parent's peak."""
    return _status_mib("VmHWM:")
