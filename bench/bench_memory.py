"""The bot's memory with a large file store, and how soon it answers after start.

    python bench/bench_memory.py                 # the 1M-deal demo store (built once under .ccobot/bench)
    python bench/bench_memory.py --deals 100000 --runs 3

Each run is a fresh process that starts as `ccobot serve` does (bot/service.py build_assistant:
the store, the state database, the playbook index, the warm-up thread), then asks its first
question at once and a second one after. It reports the resident memory after the imports, after
the load, after the first question and after the warm-up thread is done, and the first and second
question's time, then asks every question of bench/questions.txt (as an exec, a manager and a rep
in turn) and reports the resident memory after them, and after "my stalled deals" (which reads the
opportunity history, 3.9M rows at 1M deals) with the peak of the whole run. All runs share one CCOBOT_HOME: the first is a first start (the playbook is
indexed and the caches under CCOBOT_HOME/cache are built), the others are restarts, whose
medians are the figures. One more first start, in a home of its own, reads the language resources
from a seed (`ccobot cache-seed`, as the image carries one): a new pod on Kubernetes. The floor beside them, in its own process: the bare pandas read of
the Parquet files the bot loads at start (every column, as pandas reads them; not the history,
which the bot reads on first use) after importing pandas alone.

Last, the bot itself: `ccobot serve` over HTTP, as a team runs it, against the fake Slack Web API
(tests/fakes/slack_api.py) on 127.0.0.1, restarted in the same home. It is timed from start to a
200 from /readyz (store, warm-up, playbook, state, Slack token), then asked the two questions as
signed direct messages from the demo's exec (each timed from the event to the answer Slack
receives); its resident memory and peak are read from /proc after each answer. Then the same mix
and "my stalled deals" as direct messages from the same three people: the served bot's memory once
people ask all sorts of things.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

OPERATOR_POOL = os.environ.get("ARROW_DEFAULT_MEMORY_POOL")  # read before `common` imports bot, which sets it
from common import demo_store  # noqa: E402

HERE = Path(__file__).resolve().parent
FIRST = "win rate by region last quarter"
STALLED = "my stalled deals"
MIX_ASKERS = ("r-0000", "r-0003", "r-0010")  # an exec, a manager of managers, a rep
MIX_ARGS = (str(HERE / "questions.txt"), ",".join(MIX_ASKERS), STALLED)
SECOND = "pipeline Nordics vs DACH this quarter"

BOT = r"""
import json, os, sys, threading, time
def status(field):  # VmHWM, not ru_maxrss: that is inherited from the bench that started this process
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field)) / 1024
rss, peak = lambda: status("VmRSS:"), lambda: status("VmHWM:")
t0 = time.perf_counter()
from bot.service import build_assistant
imported, rss_imports = time.perf_counter() - t0, rss()
t = time.perf_counter()
assistant = build_assistant(__import__("pathlib").Path(sys.argv[1]), "bench", wait_for_index=False)
loaded, rss_load = time.perf_counter() - t, rss()
t = time.perf_counter(); a = assistant.ask(sys.argv[2], user=None); first = time.perf_counter() - t
rss_first = rss()
t = time.perf_counter(); b = assistant.ask(sys.argv[3], user=None); second = time.perf_counter() - t
for thread in threading.enumerate():  # the warm-up and the playbook's indexing (not tqdm's monitor)
    if thread.name in ("warm-up", "playbook-index"):
        thread.join(timeout=120)
rss_end = rss()
# Then every question of bench/questions.txt, as the exec, a manager and a rep in turn: what the
# KPIs' cached arrays and the history (read on first use) add once people ask all sorts of things.
asked = [q.strip() for q in open(sys.argv[4], encoding="utf-8") if q.strip()]
for i, q in enumerate(asked):
    assistant.ask(q, user=sys.argv[5].split(",")[i % 3])
rss_mix = rss()
stalled = assistant.ask(sys.argv[6], user=sys.argv[5].split(",")[1])  # reads the history, on first use
print(json.dumps({"import_s": imported, "load_s": loaded, "first_s": first, "second_s": second,
                  "rss_imports_mb": rss_imports, "rss_load_mb": rss_load, "rss_first_mb": rss_first,
                  "rss_end_mb": rss_end, "rss_mix_mb": rss_mix, "mix": len(asked), "rss_history_mb": rss(),
                  "peak_mb": peak(), "kinds": [a.kind, b.kind, stalled.kind]}))
"""

FLOOR = r"""
import json, sys, time
import pandas as pd
from pathlib import Path
def status(field):  # VmHWM, not ru_maxrss: that is inherited from the bench that started this process
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field)) / 1024
rss, peak = lambda: status("VmRSS:"), lambda: status("VmHWM:")
imported = rss()
t = time.perf_counter()
frames = {p.stem: pd.read_parquet(p) for p in sorted(Path(sys.argv[1]).glob("*.parquet"))
          if p.stem != "opportunity_history"}
took = time.perf_counter() - t
print(json.dumps({"load_s": took, "rss_imports_mb": imported, "rss_mb": rss(),
                  "peak_mb": peak()}))
"""


def status(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field)) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=5) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def serve(store: Path, env: dict) -> dict:
    """`ccobot serve` over HTTP against the fake Slack Web API: time to ready, each question's time
    from the signed event to the answer Slack receives, and the process's memory from /proc."""
    import pandas as pd
    from slack_sdk import WebClient
    from slack_sdk.signature import SignatureVerifier

    from tests.fakes.slack_api import FakeSlack

    reps = pd.read_parquet(store / "reps.parquet").set_index("rep_id")
    asker = reps[reps["role"] == "exec"]["slack_user_id"].iloc[0]
    mix_askers = [reps.loc[r, "slack_user_id"] for r in MIX_ASKERS]
    secret, port, fake = "bench-signing-secret", free_port(), FakeSlack()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in env.items() if not k.startswith(("SLACK_", "OPENAI_", "MICROSOFT_", "DATABASE_"))}
    env |= {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fake.api_url,
            "PORT": str(port), "CCOBOT_DIGEST_CHART": "false"}
    # The fake's Block Kit check takes about a second on its first message (not the bot's time): warm it.
    WebClient(token="xoxb-bench", base_url=fake.api_url).chat_postMessage(
        channel="DWARM", text="warm", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "warm"}}])

    def ask(question: str, user: str, channel: str) -> float:
        """A signed direct message to the bot; the seconds from the event to the answer Slack receives."""
        # Event ids and times of their own: the state database remembers the events it took.
        ts, event = f"{time.time():.6f}", f"EvB{time.time_ns()}"
        raw = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event,
                          "event_time": int(time.time()), "event": {
                              "type": "message", "channel_type": "im", "channel": channel, "user": user,
                              "text": question, "ts": ts, "event_ts": ts, "team": "T1"}})
        stamp = str(int(time.time()))
        request = urllib.request.Request(f"{url}/slack/events", data=raw.encode(), method="POST", headers={
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=stamp, body=raw)})
        t = time.perf_counter()
        urllib.request.urlopen(request, timeout=10).close()
        while not any((m.get("metadata") or {}).get("event_payload", {}).get("event_id") == event
                      for m in fake.messages.get(channel, [])):
            if time.perf_counter() - t > 60:
                raise SystemExit(f"no answer to {question!r} within 60 s")
            time.sleep(0.005)
        return time.perf_counter() - t

    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--data", str(store)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not ready(url):
            if proc.poll() is not None or time.perf_counter() - started > 300:
                raise SystemExit(f"ccobot serve did not get ready (exit {proc.poll()})")
            time.sleep(0.05)
        out = {"ready_s": time.perf_counter() - started, "rss_ready_mb": status(proc.pid, "VmRSS:")}
        for i, (key, question) in enumerate((("first", FIRST), ("second", SECOND))):
            out[f"{key}_s"] = ask(question, asker, f"DBENCH{i}")
            out[f"rss_{key}_mb"] = status(proc.pid, "VmRSS:")
        time.sleep(2)  # what the answers left running (the outbox, the audit) settles
        out |= {"rss_end_mb": status(proc.pid, "VmRSS:"), "peak_end_mb": status(proc.pid, "VmHWM:"),
                "file_end_mb": status(proc.pid, "RssFile:")}
        # Then the in-process run's mix, as the same three people, each in a direct message of their own.
        times = [ask(q, mix_askers[i % 3], f"DMIX{i % 3}") for i, q in enumerate(mixed_questions())]
        out |= {"mix_s": statistics.median(times), "rss_mix_mb": status(proc.pid, "VmRSS:")}
        ask(STALLED, mix_askers[1], "DMIX1")
        time.sleep(2)
        out |= {"rss_history_mb": status(proc.pid, "VmRSS:"), "peak_mb": status(proc.pid, "VmHWM:"),
                "mix": len(times)}
        return out
    finally:
        proc.terminate()
        proc.wait(30)
        fake.close()


def mixed_questions() -> list[str]:
    return [q.strip() for q in open(HERE / "questions.txt", encoding="utf-8") if q.strip()]


def run(script: str, *args: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="restarts measured (after one first start)")
    args = parser.parse_args()
    store = demo_store(Path(".ccobot/bench"), args.deals)
    restarts, floors = [], []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CCOBOT_HOME": home, "CCOBOT_DEMO_AS_OF": "2026-11-20", "PYTHONPATH": str(HERE.parent)}
        # The floor is pandas as it comes: Arrow's own allocator, which bot/__init__.py (imported here
        # through common) switches for the bot's processes.
        bare = {k: v for k, v in env.items() if k != "ARROW_DEFAULT_MEMORY_POOL"} | (
            {"ARROW_DEFAULT_MEMORY_POOL": OPERATOR_POOL} if OPERATOR_POOL else {})
        first_start = run(BOT, str(store), FIRST, SECOND, *MIX_ARGS, env=env)
        for _ in range(args.runs):
            floors.append(run(FLOOR, str(store), env=bare))
            restarts.append(run(BOT, str(store), FIRST, SECOND, *MIX_ARGS, env=env))
        served = [serve(store, env) for _ in range(args.runs)]
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as seed:
        env = {**env, "CCOBOT_HOME": home, "CCOBOT_CACHE_SEED": seed}
        subprocess.run([sys.executable, "-m", "bot.cli", "cache-seed", seed], env=env, check=True, capture_output=True)
        seeded = run(BOT, str(store), FIRST, SECOND, *MIX_ARGS, env=env)
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    print(f"{args.deals:,} deals; first start, then the median of {args.runs} restarts (fresh processes):")
    print(f"  floor, bare pandas: imports RSS {med(floors, 'rss_imports_mb'):.0f} MB; read of the Parquet files the bot "
          f"loads {med(floors, 'load_s'):.2f} s, RSS {med(floors, 'rss_mb'):.0f} MB")
    for label, rows in (("first start", [first_start]), ("first start with the image's seed", [seeded]),
                        ("restart", restarts)):
        print(f"  {label}: imports {med(rows, 'import_s'):.2f} s, RSS {med(rows, 'rss_imports_mb'):.0f} MB; "
              f"store+state+playbook {med(rows, 'load_s'):.2f} s, RSS {med(rows, 'rss_load_mb'):.0f} MB")
        print(f"    first question '{FIRST}': {med(rows, 'first_s'):.2f} s, RSS {med(rows, 'rss_first_mb'):.0f} MB; "
              f"second '{SECOND}': {med(rows, 'second_s'):.3f} s")
        print(f"    after warm-up and indexing: RSS {med(rows, 'rss_end_mb'):.0f} MB "
              f"({med(rows, 'rss_end_mb') / med(floors, 'rss_mb'):.2f}× the floor's RSS)")
        print(f"    after {rows[0]['mix']} more questions (bench/questions.txt): RSS {med(rows, 'rss_mix_mb'):.0f} MB; "
              f"after 'my stalled deals' (the history read): {med(rows, 'rss_history_mb'):.0f} MB, "
              f"peak {med(rows, 'peak_mb'):.0f} MB")
    print(f"  ccobot serve (HTTP, fake Slack API), restarted: ready in {med(served, 'ready_s'):.2f} s, "
          f"RSS {med(served, 'rss_ready_mb'):.0f} MB")
    print(f"    event to answer: first '{FIRST}' {med(served, 'first_s'):.2f} s, RSS {med(served, 'rss_first_mb'):.0f} MB; "
          f"second {med(served, 'second_s'):.3f} s")
    print(f"    after the answers: RSS {med(served, 'rss_end_mb'):.0f} MB (of it {med(served, 'file_end_mb'):.0f} MB "
          f"mapped files: libraries' code, the language identifier's tables), peak {med(served, 'peak_end_mb'):.0f} MB")
    print(f"    after {served[0]['mix']} more questions (the same mix, as direct messages; median "
          f"{med(served, 'mix_s') * 1000:.0f} ms from event to answer): RSS {med(served, 'rss_mix_mb'):.0f} MB; "
          f"after '{STALLED}': {med(served, 'rss_history_mb'):.0f} MB, peak {med(served, 'peak_mb'):.0f} MB")


if __name__ == "__main__":
    main()
