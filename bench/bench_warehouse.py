"""The warehouse backend on PostgreSQL: answer time against hand-written SQL, and the bot's memory.

    python bench/bench_warehouse.py                          # 1M and 10M deals, a throwaway PostgreSQL
    python bench/bench_warehouse.py --sizes 100000 --repeat 3
    python bench/bench_warehouse.py --pg-url postgresql://me@127.0.0.1:5432/postgres --reuse

For each size it builds (once, cached under --work) a demo store, loads it into a database of its
own on PostgreSQL (bot/metrics/warehouse.py load_into: COPY, indexes, ANALYZE; timed per table),
then, in a fresh process, opens WarehouseEngine on that database and asks a fixed set of KPI
questions through the Assistant as an exec, a manager and a rep. Each ask is followed by the same
aggregation as hand-written SQL over psycopg (the floor: only the joins that question needs, the
asker's scope as a plain condition, the fx conversion through a monthly rate table built in SQL),
interleaved so both see the same machine noise; the floor's figures are checked against the
answer's. Reported: per question and asker, median and p95 of the answer and of the floor and their
ratio; the time to the first answer; the process's resident memory after opening the engine and
after all questions (the fact tables stay in the warehouse, so it should not grow with the deals).

The throwaway server (tests/pg.py) runs with PostgreSQL's defaults but fsync off. With --pg-url the
bench creates (drops first) a database ccobot_bench_<deals> per size on that server; --reuse keeps
one that already holds that many deals.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import AS_OF, span  # noqa: E402  the same day and periods as the engine's bench
from common import demo_store, pct, peak_mib, rss_mib  # noqa: E402

BASE = "EUR"  # the demo store's base currency
ROLES = ("exec", "manager", "rep")

# name -> the question as a user types it. The floor for each is in `floors` below.
QUESTIONS = {
    "revenue, last quarter": "revenue last quarter",
    "revenue by region, last quarter": "revenue by region last quarter",
    "win rate by region, last quarter": "win rate by region last quarter",
    "pipeline in Nordics, this quarter": "pipeline in the Nordics this quarter",
    "revenue by month, this year": "revenue by month this year",
    "avg deal size by segment, 2025": "average deal size by segment in 2025",
    "deals won by product line, last month": "deals won by product line last month",
    "top 5 reps by attainment, last quarter": "top 5 reps by quota attainment last quarter",
    "my revenue, this year": "my revenue this year",
    "leads by month, this year": "new leads by month this year",
    "lead conversion, this year": "lead conversion rate this year",
}


# ---------------------------------------------------------------- the floor: hand-written SQL

# A monthly rate per currency from the first to the last month of fx_rates: the month's rate, else
# the latest earlier one, else the earliest (how the file store converts); months outside are clamped.
FX_SQL = """
CREATE TEMP TABLE floor_fx AS
WITH r AS (SELECT upper(trim(currency)) AS cur, date_trunc('month', month)::date AS m, rate_to_base AS rate
           FROM fx_rates),
     g AS (SELECT c.cur, s.m::date AS m FROM (SELECT DISTINCT cur FROM r) c,
                  generate_series((SELECT min(m) FROM r), (SELECT max(m) FROM r), interval '1 month') AS s(m))
SELECT g.cur, g.m, coalesce((SELECT rate FROM r WHERE r.cur = g.cur AND r.m <= g.m ORDER BY r.m DESC LIMIT 1),
                            (SELECT rate FROM r WHERE r.cur = g.cur ORDER BY r.m LIMIT 1)) AS rate FROM g;
CREATE UNIQUE INDEX ON floor_fx (cur, m);
ANALYZE floor_fx;
"""


def month_sql(col: str) -> str:
    return f"date_trunc('month', {col})::date"


class Floor:
    """The same aggregations as the bot's answers, written by hand for PostgreSQL."""

    def __init__(self, conn) -> None:
        self.conn = conn
        conn.execute(FX_SQL)
        self.fx_lo, self.fx_hi = conn.execute("SELECT min(m), max(m) FROM floor_fx").fetchone()

    def fx_month(self, col: str) -> str:
        """The month whose rate converts an amount dated `col` (clamped to the rates' months)."""
        return f"least(greatest({month_sql(col)}, DATE '{self.fx_lo}'), DATE '{self.fx_hi}')"

    def deals(self, joins: str = "") -> str:
        """Deals with their outcome, currency and value in the base currency (`v`)."""
        return f"""(SELECT o.*, coalesce(o.is_won, false) AS won,
                       coalesce(o.is_closed, false) OR coalesce(o.is_won, false) AS closed,
                       o.amount * CASE WHEN cur.c = '{BASE}' THEN 1 ELSE fx.rate END AS v
                FROM opportunities o
                CROSS JOIN LATERAL (SELECT coalesce(nullif(upper(trim(o.currency)), ''), '{BASE}') AS c) cur
                LEFT JOIN floor_fx fx
                     ON fx.cur = cur.c AND fx.m = {self.fx_month("coalesce(o.close_date, o.created_date)")}
                ) d {joins}"""

    def run(self, sql: str, params: dict) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()


def scoped(scope: frozenset[str] | None, col: str = "d.owner_id") -> str:
    return "" if scope is None else f" AND {col} = ANY(%(scope)s)"


def period(text: str, forward: bool = False) -> dict:
    lo, hi = span(text, forward)
    return {"lo": lo.date(), "hi": hi.date()}


def floors(f: Floor) -> dict[str, Callable[[frozenset[str] | None, str], tuple[str, dict]]]:
    """name -> (scope, asker) -> (SQL, parameters)."""
    reps = "LEFT JOIN reps r ON r.rep_id = d.owner_id"
    accounts = "LEFT JOIN accounts a ON a.account_id = d.account_id"
    won = "d.won AND d.close_date BETWEEN %(lo)s AND %(hi)s"

    def q(sql: str, text: str, forward: bool = False) -> Callable:
        return lambda scope, asker: (sql.format(scope=scoped(scope), scope_t=scoped(scope, "t.rep_id")),
                                     {**period(text, forward), "scope": sorted(scope or []), "asker": asker})

    quota = f"""WITH rev AS (SELECT d.owner_id, sum(d.v) AS s FROM {f.deals()} WHERE {won}{{scope}} GROUP BY 1),
                 quota AS (SELECT t.rep_id, sum(t.amount * CASE WHEN cur.c = '{BASE}' THEN 1 ELSE fx.rate END) AS s
                           FROM targets t
                           CROSS JOIN LATERAL (SELECT coalesce(nullif(upper(trim(t.currency)), ''), '{BASE}') AS c) cur
                           LEFT JOIN floor_fx fx ON fx.cur = cur.c
                                AND fx.m = {f.fx_month('t.period_start')}
                           WHERE t.rep_id IS NOT NULL AND t.period_start >= %(lo)s AND t.period_end <= %(hi)s
                           {{scope_t}} GROUP BY 1)
             SELECT quota.rep_id, coalesce(rev.s, 0) / quota.s FROM quota LEFT JOIN rev ON rev.owner_id = quota.rep_id
             WHERE quota.s > 0 ORDER BY 2 DESC LIMIT 5"""
    leads = "FROM leads WHERE created_date BETWEEN %(lo)s AND %(hi)s"
    return {
        "revenue, last quarter": q(f"SELECT sum(d.v) FROM {f.deals()} WHERE {won}{{scope}}", "last quarter"),
        "revenue by region, last quarter": q(
            f"SELECT r.region, sum(d.v) FROM {f.deals(reps)} WHERE {won}{{scope}} GROUP BY 1", "last quarter"),
        "win rate by region, last quarter": q(
            f"SELECT r.region, avg(d.won::int) FROM {f.deals(reps)} "
            "WHERE d.closed AND d.close_date BETWEEN %(lo)s AND %(hi)s{scope} GROUP BY 1", "last quarter"),
        "pipeline in Nordics, this quarter": q(
            f"SELECT sum(d.v) FROM {f.deals(reps)} WHERE NOT d.closed AND d.close_date BETWEEN %(lo)s AND %(hi)s "
            "AND r.region = 'Nordics'{scope}", "this quarter", forward=True),
        "revenue by month, this year": q(
            f"SELECT {month_sql('d.close_date')}, sum(d.v) FROM {f.deals()} WHERE {won}{{scope}} GROUP BY 1",
            "this year"),
        "avg deal size by segment, 2025": q(
            f"SELECT a.segment, avg(d.v) FROM {f.deals(accounts)} WHERE {won}{{scope}} GROUP BY 1", "2025"),
        "deals won by product line, last month": q(
            f"SELECT d.product_line, count(*) FROM {f.deals()} WHERE {won}{{scope}} GROUP BY 1", "last month"),
        "top 5 reps by attainment, last quarter": q(quota, "last quarter"),
        "my revenue, this year": q(
            f"SELECT sum(d.v) FROM {f.deals()} WHERE {won} AND d.owner_id = %(asker)s{{scope}}", "this year"),
        "leads by month, this year": q(f"SELECT {month_sql('created_date')}, count(*) {leads} GROUP BY 1",
                                       "this year"),
        "lead conversion, this year": q(f"SELECT count(converted_date)::float8 / nullif(count(*), 0) {leads}",
                                        "this year"),
    }


def figures(answer) -> list[float]:
    """The numbers an answer shows: its rows' values, else its value (sorted, for comparing)."""
    if answer.group_by:
        return sorted(float(r["value"]) for r in answer.rows if r.get("value") is not None)
    return [float("nan") if answer.value is None else float(answer.value)]


def floor_figures(rows: list[tuple]) -> list[float]:
    values = [r[-1] for r in rows]
    if len(rows) == 1 and len(rows[0]) == 1:  # an ungrouped aggregate: NULL is an empty sum
        return [float(values[0] or 0.0)]
    return sorted(float(v) for v in values if v is not None)


def same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=1e-7, abs_tol=1e-9) or (math.isnan(x) and math.isnan(y))
                                    for x, y in zip(a, b))


# ---------------------------------------------------------------- one size, in a fresh process

def held_mib(store) -> dict[str, dict]:
    """What the engine keeps in memory: the small tables it reads whole, their rows and size."""
    return {name: {"rows": len(frame), "mib": round(frame.memory_usage(deep=True).sum() / 2**20, 1)}
            for name, frame in store.tables.items()}


def askers(engine, conn) -> dict[str, str]:
    """An active exec; a manager with reports; the first active rep who owns deals."""
    reps = engine.store.tables["reps"]
    reps = reps[reps["active"].fillna(False)].sort_values("rep_id")
    ids = lambda frame: [str(x) for x in frame["rep_id"]]  # noqa: E731
    managers = reps[(reps["role"] == "manager") & reps["rep_id"].isin(reps["manager_id"].dropna())]
    owner = next(r for r in ids(reps[reps["role"] == "rep"])
                 if conn.execute("SELECT 1 FROM opportunities WHERE owner_id = %s LIMIT 1", [r]).fetchone())
    return {"exec": ids(reps[reps["role"] == "exec"])[0], "manager": ids(managers)[0], "rep": owner}


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter_ns()
    out = fn()
    return (time.perf_counter_ns() - start) / 1e6, out


def bench_one(deals: int, url: str, repeat: int) -> dict:
    import psycopg

    from bot.core.assistant import Assistant
    from bot.metrics.warehouse import PG_SESSION, WarehouseEngine, _pg_dsn

    class Recording(WarehouseEngine):
        """Remembers the scope each plan ran with, so the floor aggregates the same rows."""

        def run(self, plan, as_of=None, scope=None):
            self.last_scope = scope
            return super().run(plan, as_of, scope)

    out: dict = {"deals": deals, "rss_start_mib": round(rss_mib())}
    ms, engine = timed(lambda: Recording(url))
    assistant = Assistant(engine)
    out |= {"open_s": round(ms / 1000, 2), "rss_open_mib": round(rss_mib()), "peak_open_mib": round(peak_mib()),
            "held": held_mib(engine.store)}
    # Plans each time, as the bot does, in the same session settings (JIT off, work_mem).
    conn = psycopg.connect(_pg_dsn(url), autocommit=True, prepare_threshold=None, options=" ".join(PG_SESSION))
    floor = Floor(conn)
    who = askers(engine, conn)
    sqls = floors(floor)
    first = True
    asks, results = {}, {}
    for name, text in QUESTIONS.items():  # one untimed pass: the first answer's cost, scopes, the check
        for role in ROLES:
            engine.last_scope = "not run"
            ms, answer = timed(lambda: assistant.ask(text, user=who[role], as_of=AS_OF))
            if first:
                out |= {"first_answer_ms": round(ms), "rss_first_mib": round(rss_mib()),
                        "peak_first_mib": round(peak_mib())}
                first = False
            key = f"{name} ({role})"
            if answer.kind != "kpi" or engine.last_scope == "not run":
                results[key] = {"answered": answer.kind, "text": answer.text[:120]}
                continue
            sql, params = sqls[name](engine.last_scope, who[role])
            equal = same(figures(answer), floor_figures(floor.run(sql, params)))
            if not equal:
                print(f"  {deals:,}: {key}: the answer and the floor differ: {figures(answer)[:5]} vs "
                      f"{floor_figures(floor.run(sql, params))[:5]}", file=sys.stderr, flush=True)
            asks[key] = (text, who[role], sql, params)
            results[key] = {"equal": equal, "eng": [], "flo": []}
    gc.collect()
    for _ in range(repeat):
        for key, (text, user, sql, params) in asks.items():
            results[key]["eng"].append(timed(lambda: assistant.ask(text, user=user, as_of=AS_OF))[0])
            results[key]["flo"].append(timed(lambda: floor.run(sql, params))[0])
    out["rss_end_mib"] = round(rss_mib())
    out["peak_rss_mib"] = round(peak_mib())
    out["askers"] = who
    out["questions"] = {key: summary(r) for key, r in results.items()}
    conn.close()
    return out


def summary(r: dict) -> dict:
    if "eng" not in r:
        return r
    eng, flo = r["eng"], r["flo"]
    return {"engine_median_ms": round(statistics.median(eng), 1), "engine_p95_ms": round(pct(eng, 0.95), 1),
            "floor_median_ms": round(statistics.median(flo), 1), "floor_p95_ms": round(pct(flo, 0.95), 1),
            "ratio": round(statistics.median(eng) / statistics.median(flo), 2), "equal": r["equal"]}


# ---------------------------------------------------------------- stores, server, databases

@contextlib.contextmanager
def server(pg_url: str | None) -> Iterator[str]:
    if pg_url:
        yield pg_url
        return
    from tests.pg import postgres_server

    with postgres_server() as url:
        yield url


def database(server_url: str, deals: int, reuse: bool) -> tuple[str, bool]:
    """The URL of the size's own database, and whether it already holds the deals (with --reuse)."""
    import psycopg

    from bot.metrics.warehouse import _pg_dsn

    name = f"ccobot_bench_{deals}"
    parts = urlsplit(server_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(_pg_dsn(server_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse and loaded(url) == deals:
            return url, True
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return url, False


def loaded(url: str) -> int | None:
    import psycopg

    from bot.metrics.warehouse import _pg_dsn

    with psycopg.connect(_pg_dsn(url)) as conn:
        try:
            return conn.execute("SELECT count(*) FROM opportunities").fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return None


def load(url: str, store: Path) -> dict:
    """load_into table by table, so each table's time is known."""
    from bot.metrics.loader import read_config
    from bot.metrics.warehouse import load_into

    tables = {}
    for name in read_config(store).sources:
        started = time.perf_counter()
        rows = load_into(url, store, tables=[name]).get(name)
        if rows is not None:
            tables[name] = {"rows": rows, "s": round(time.perf_counter() - started, 1)}
    return tables


# ---------------------------------------------------------------- the report

def report(r: dict) -> None:
    load = f"{sum(t['s'] for t in r['load'].values()):.1f} s" if r["load"] else "reused"
    biggest = ", ".join(f"{n} {t['rows']:,} rows {t['s']} s" for n, t in r["load"].items() if t["rows"] >= 100_000)
    print(f"\n{r['deals']:,} deals: load {load}{f' ({biggest})' if biggest else ''}; "
          f"engine open {r['open_s']} s, first answer {r['first_answer_ms']:,} ms")
    print(f"RSS: start {r['rss_start_mib']} MiB, after open {r['rss_open_mib']} MiB (peak {r['peak_open_mib']}), "
          f"after the first answer {r['rss_first_mib']} MiB (peak {r['peak_first_mib']}), after all questions "
          f"{r['rss_end_mib']} MiB (peak {r['peak_rss_mib']} MiB); held in memory: "
          + ", ".join(f"{n} {t['rows']:,} rows {t['mib']} MiB" for n, t in r["held"].items()))
    print("| question (asker) | answer median ms | answer p95 ms | SQL floor median ms | floor p95 ms | ratio "
          "| equal |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for key, q in r["questions"].items():
        if "ratio" not in q:
            print(f"| {key} | not answered: {q['answered']} | | | | | |")
            continue
        print(f"| {key} | {q['engine_median_ms']} | {q['engine_p95_ms']} | {q['floor_median_ms']} | "
              f"{q['floor_p95_ms']} | {q['ratio']} | {'yes' if q['equal'] else 'NO'} |")
    timed_qs = [q for q in r["questions"].values() if "ratio" in q]
    if timed_qs:
        print(f"median of the answers' medians {statistics.median(q['engine_median_ms'] for q in timed_qs):.1f} ms, "
              f"of the floor's {statistics.median(q['floor_median_ms'] for q in timed_qs):.1f} ms; ratio median "
              f"{statistics.median(q['ratio'] for q in timed_qs):.2f}, worst {max(q['ratio'] for q in timed_qs):.2f}",
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--work", type=Path, default=Path(os.environ.get("CCOBOT_HOME", ".ccobot")) / "bench",
                    help="where the demo stores are cached")
    ap.add_argument("--pg-url", help="a PostgreSQL server to create the bench's databases on "
                    "(default: a throwaway one)")
    ap.add_argument("--reuse", action="store_true", help="with --pg-url: keep a database that holds the size already")
    ap.add_argument("--json", type=Path, default=Path("bench/results/warehouse.json"))
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in this process
    ap.add_argument("--url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.one:
        print(json.dumps(bench_one(args.one, args.url, args.repeat)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    stores = {size: demo_store(args.work, size) for size in sizes}
    results = []
    with server(args.pg_url) as server_url:
        for size in sizes:
            print(f"{size:,} deals …", flush=True)
            url, reused = database(server_url, size, args.reuse)
            tables = {} if reused else load(url, stores[size])
            # Each size in its own process, so its memory figures are its own.
            proc = subprocess.run([sys.executable, __file__, "--one", str(size), "--url", url,
                                   "--repeat", str(args.repeat)], capture_output=True, text=True)
            print(proc.stderr[-3000:], end="", file=sys.stderr)
            proc.check_returncode()
            result = json.loads(proc.stdout.strip().splitlines()[-1]) | {"load": tables}
            report(result)
            results.append(result)
    if len(results) > 1:
        rss = ", ".join(f"{r['deals']:,}: {r['rss_end_mib']} MiB" for r in results)
        grow = results[-1]["rss_end_mib"] / results[0]["rss_end_mib"]
        more = results[-1]["deals"] / results[0]["deals"]
        print(f"\nRSS after all questions by size: {rss} ({grow:.2f}× for {more:g}× the deals)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
