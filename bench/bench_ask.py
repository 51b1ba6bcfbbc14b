"""What a question costs on top of the engine: `ccobot ask --batch` against engine-only runs.

    python bench/bench_ask.py                      # 1,000 questions on a 1M-deal demo store
    python bench/bench_ask.py --deals 100000 --questions 500

1. Runs the real command line, `ccobot ask --batch FILE --json --as-of 2026-11-20`, over
   the questions in bench/questions.txt cycled to --questions, and reads each answer's
   elapsed_ms (time inside the process, start-up excluded, audit write included).
2. In one process, for the same questions, times Engine.run on the plan each answer ran
   (the engine-only figure) next to Assistant.ask, interleaved, and reports the
   per-question difference: parsing, wording and the audit write.
3. Whole questions of the other kinds next to the one-KPI question they build on,
   interleaved: a comparison of two periods or two regions, two KPIs in one question, and
   lists of deals (filter, sort, top 10).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import AS_OF, demo_store, pct  # noqa: E402
from bot.core.assistant import Assistant  # noqa: E402
from bot.metrics.engine import Engine  # noqa: E402
from bot.metrics.store import load_store  # noqa: E402
from bot.state import AuditLog, open_state  # noqa: E402

HERE = Path(__file__).resolve().parent



def questions(n: int) -> list[str]:
    lines = [ln.strip() for ln in (HERE / "questions.txt").read_text(encoding="utf-8").splitlines()]
    pool = [ln for ln in lines if ln and not ln.startswith("#")]
    return [pool[i % len(pool)] for i in range(n)]


def cli_batch(store: Path, qs: list[str], home: Path) -> list[dict]:
    batch = home / "questions.txt"
    batch.write_text("\n".join(qs) + "\n", encoding="utf-8")
    exe = Path(sys.executable).with_name("ccobot")
    env = {**os.environ, "CCOBOT_HOME": str(home)}
    started = time.perf_counter()
    proc = subprocess.run([str(exe), "ask", "--batch", str(batch), "--json", "--as-of", AS_OF.isoformat(),
                           "--data", str(store)], capture_output=True, text=True, check=True, env=env)
    print(f"  ccobot ask --batch: {len(qs):,} questions in {time.perf_counter() - started:.1f} s wall "
          "(start-up and store load included)", flush=True)
    return [json.loads(line) for line in proc.stdout.splitlines()]


def in_process(store: Path, qs: list[str], home: Path) -> tuple[list[float], list[float], list[float]]:
    engine = Engine(load_store(store))
    assistant = Assistant(engine, AuditLog(open_state(f"sqlite:///{home / 'bench-state.db'}")))
    for q in qs[:50]:  # warm the parser's caches and the value index
        assistant.ask(q, as_of=AS_OF)
    asks, engines, extra = [], [], []
    for q in qs:
        t0 = time.perf_counter()
        answer = assistant.ask(q, as_of=AS_OF)
        t1 = time.perf_counter()
        if answer.plan is None:
            continue
        engine.run(answer.plan, as_of=AS_OF)
        t2 = time.perf_counter()
        asks.append((t1 - t0) * 1000)
        engines.append((t2 - t1) * 1000)
        extra.append(asks[-1] - engines[-1])
    return asks, engines, extra


# (the question, the one-KPI question it is measured against)
PAIRS = [
    ("revenue this quarter vs last quarter", "revenue this quarter"),
    ("win rate Nordics vs DACH last quarter", "win rate in Nordics last quarter"),
    ("pipeline and win rate this quarter", "pipeline this quarter"),
    ("open deals in DACH over 100k", "pipeline in DACH"),
    ("which deals are overdue", "open deals"),
]


def kinds(store: Path, home: Path, repeat: int = 30) -> None:
    engine = Engine(load_store(store))
    assistant = Assistant(engine, AuditLog(open_state(f"sqlite:///{home / 'kinds-state.db'}")))
    for question, single in PAIRS:
        for q in (question, single):
            assistant.ask(q, as_of=AS_OF)  # warm
        full, one = [], []
        for _ in range(repeat):
            full.append(assistant.ask(question, as_of=AS_OF).elapsed_ms)
            one.append(assistant.ask(single, as_of=AS_OF).elapsed_ms)
        print(f"  {question!r}: median {statistics.median(full):.2f} ms vs {single!r} "
              f"{statistics.median(one):.2f} ms, ratio {statistics.median(full) / statistics.median(one):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deals", type=int, default=1_000_000)
    ap.add_argument("--questions", type=int, default=1_000)
    ap.add_argument("--home", type=Path, default=Path(os.environ.get("CCOBOT_HOME", ".ccobot")) / "bench")
    args = ap.parse_args()
    store = demo_store(args.home, args.deals)
    qs = questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        answers = cli_batch(store, qs, Path(tmp))
        elapsed = [a["elapsed_ms"] for a in answers]
        counts = {k: sum(a["kind"] == k for a in answers)
                  for k in ("kpi", "deals", "compare", "clarify", "help", "denied", "error")}
        print(f"  answers: {counts}")
        print(f"  elapsed_ms over all {len(elapsed):,}: median {statistics.median(elapsed):.2f}, "
              f"p95 {pct(elapsed, 0.95):.2f}, max {max(elapsed):.2f}")
        asks, engines, extra = in_process(store, qs, Path(tmp))
    print(f"  in process, {len(asks):,} KPI answers: ask median {statistics.median(asks):.2f} ms "
          f"(p95 {pct(asks, 0.95):.2f}); engine only median {statistics.median(engines):.2f} ms "
          f"(p95 {pct(engines, 0.95):.2f})")
    print(f"  added by parsing, wording and audit, per question: median {statistics.median(extra):.2f} ms, "
          f"p95 {pct(extra, 0.95):.2f} ms")
    print("  other kinds of question against the one-KPI question they build on (in process, elapsed_ms):")
    with tempfile.TemporaryDirectory() as tmp:
        kinds(store, Path(tmp))


if __name__ == "__main__":
    main()
