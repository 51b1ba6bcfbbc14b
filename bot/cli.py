"""The ccobot command line (contracts/cli.md).

Exit status: 0 when the command did its job; 2 for bad arguments or a store that cannot
be loaded, with a message that says what is wrong and where.
"""

from __future__ import annotations

import atexit
import codecs
import json
import signal
import sys
import time
import traceback
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.channels.console import chat, render
from bot.config import get_settings
from bot.core.answer import kpi_answer
from bot.errors import SettingsError, StoreError, UserError
from bot.metrics.catalog import load_catalog
from bot.metrics.engine import Engine
from bot.metrics.formulas import required_tables
from bot.metrics.plan import QueryPlan
from bot.metrics.store import MetricsStore, load_store

# No pretty exceptions: a user never sees a traceback (main() logs it with a reference id).
app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="ccobot: KPI answers for commercial teams.")
data_app = typer.Typer(no_args_is_help=True, help="Build and check metrics stores.")
app.add_typer(data_app, name="data")
out = Console()
err = Console(stderr=True)

DataOpt = Annotated[Optional[Path], typer.Option("--data", help="Store folder or mapping file (*.yml).")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="'Today' for relative periods (YYYY-MM-DD).")]


def fail(message: str) -> typer.Exit:
    err.print(f"[red]ccobot:[/red] {message}", highlight=False)
    return typer.Exit(2)


def parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} '{text}' is not a date (YYYY-MM-DD).") from None


def resolve_data(data: Path | None) -> Path:
    """--data, else CCOBOT_DATA, else the demo store under CCOBOT_HOME (built on first use, and
    rebuilt when CCOBOT_DEMO_DEALS or CCOBOT_DEMO_AS_OF no longer match it)."""
    settings = get_settings()
    if data is not None or settings.ccobot_data is not None:
        return data or settings.data_path
    demo, deals, as_of = settings.demo_store, settings.ccobot_demo_deals, settings.ccobot_demo_as_of
    built = _demo_built(demo)
    if built is None or built[0] != deals or (as_of is not None and built[1] != as_of):
        day = as_of or date.today()
        verb = "building" if built is None else "rebuilding (CCOBOT_DEMO_DEALS or CCOBOT_DEMO_AS_OF changed)"
        err.print(f"No store given: {verb} the demo store ({deals:,} deals, as of {day}) in {demo} …")
        build_demo(demo, seed=7, deals=deals, as_of=day, console=err)
    return demo


def _demo_built(folder: Path) -> tuple[int, date] | None:
    """(deals, as_of) of the demo store in folder, from its store.yml; None when there is none."""
    import yaml

    try:
        meta = yaml.safe_load((folder / "store.yml").read_text(encoding="utf-8"))
        return int(meta["demo"]["deals"]), date.fromisoformat(str(meta["as_of"]))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
        return None


def open_store(data: Path | None, with_history: bool = False) -> MetricsStore:
    path = resolve_data(data)
    try:
        return load_store(path, with_history=with_history)
    except StoreError as exc:
        raise fail(f"cannot load the metrics store: {exc}") from None


# ---------------------------------------------------------------- data

def build_demo(out_dir: Path, seed: int, deals: int, as_of: date, console: Console) -> dict[str, int]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from bot.metrics.demo import write_demo

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("deals", total=deals)
        summary = write_demo(out_dir, seed=seed, deals=deals, as_of=as_of,
                             progress=lambda n: bar.advance(task, n))
    return summary.rows


@data_app.command("demo")
def data_demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the store to.")],
    seed: Annotated[int, typer.Option(help="Random seed; same seed, deals and as-of give the same store.")] = 7,
    deals: Annotated[int, typer.Option(min=100, max=50_000_000, help="Number of deals.")] = 20_000,
    as_of: AsOfOpt = None,
) -> None:
    """Write a complete, realistic, deterministic demo store."""
    day = parse_day(as_of, "--as-of") or date.today()
    started = time.perf_counter()
    rows = build_demo(out_dir, seed, deals, day, out)
    table = Table("table", "rows", title=f"Demo store in {out_dir} (as of {day})")
    for name, n in rows.items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    out.print(f"Done in {time.perf_counter() - started:.1f} s, peak memory {_peak_mib():,.0f} MiB.")


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@data_app.command("check")
def data_check(data: DataOpt = None) -> None:
    """Load a store or mapping (or check the warehouse at CCOBOT_WAREHOUSE_URL); show what loaded,
    what was set aside and why, and which KPIs work."""
    url = get_settings().ccobot_warehouse_url
    if data is None and url:
        return _check_warehouse(url)
    store = open_store(data, with_history=True)
    cfg = store.config
    out.print(f"[bold]Store[/bold] {cfg.root}  base currency {cfg.base_currency}, fiscal year starts in month "
              f"{cfg.fiscal_year_start_month}, as of {cfg.as_of or 'today'}")
    _print_load_report(store)


def _check_warehouse(url: str) -> None:
    from bot.metrics.warehouse import WarehouseEngine

    try:
        engine = WarehouseEngine(url)
        engine.check()
    except StoreError as exc:
        raise fail(f"cannot read the warehouse: {exc}") from None
    store = engine.store
    out.print(f"[bold]Warehouse[/bold] {engine.url}  base currency {store.base_currency}, fiscal year starts in "
              f"month {store.fiscal_year_start_month}, as of {store.config.as_of or 'today'}")
    _print_load_report(store)


def _print_load_report(store) -> None:  # noqa: ANN001 (a MetricsStore, or the warehouse's)
    tables = Table("table", "file", "rows loaded", "set aside", title="Tables")
    for name, rep in store.report.tables.items():
        tables.add_row(name, rep.file, f"{rep.rows_loaded:,}", f"{rep.rows_set_aside:,}")
    out.print(tables)
    problems = store.report.problems
    if problems:
        out.print(f"[bold]Problems and notes[/bold] ({len(problems)})")
        for p in problems:
            style = "yellow" if p.action == "note" else "red"
            out.print(f"  [{style}]•[/{style}] {p.describe()}", highlight=False)
    else:
        out.print("[green]No problems found.[/green]")
    _print_kpi_availability(store)


@app.command("users")
def users_command(
    role: Annotated[list[str], typer.Option("--role", help="Only these roles (rep, manager, exec, admin); repeatable.")] = [],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per person (JSON Lines).")] = False,
    data: DataOpt = None,
) -> None:
    """The people in the store: who can be named with --user (rep_id, email or Slack id) and what they see."""
    people = _people(open_store(data), role)
    if as_json:
        for person in people:
            print(json.dumps(person, ensure_ascii=False))
        return
    columns = ("rep_id", "name", "role", "team", "email")  # --json adds Slack id, manager, region, time zone
    table = Table(title=f"{len(people)} people" + (f" ({', '.join(role)})" if role else ""))
    for column in columns:  # ids and emails are what people copy: never cut them
        table.add_column(column, no_wrap=column in ("rep_id", "email"))
    for p in people:
        table.add_row(*(p[k] or "" for k in columns))
    out.print(table)


def _people(store: MetricsStore, roles: list[str]) -> list[dict[str, str | None]]:
    reps = store.tables.get("reps")
    if reps is None:
        raise fail("this store has no reps table, so nobody can be named with --user.")
    known = sorted(set(reps["role"].dropna().astype(str)))
    if unknown := [r for r in roles if r not in known]:
        raise fail(f"--role {', '.join(unknown)}: the store's roles are {', '.join(known)}.")
    names = dict(zip(reps["rep_id"].astype(str), reps["name"].astype(str)))
    text = reps.astype("string").astype(object).where(reps.notna(), None)
    people = []
    for row in text.to_dict("records"):
        if roles and row["role"] not in roles:
            continue
        people.append({k: row.get(k) for k in ("rep_id", "name", "role", "email", "slack_user_id", "team", "region",
                                               "timezone")} | {"manager": names.get(row["manager_id"] or "")})
    return people


def _print_kpi_availability(store: MetricsStore) -> None:
    catalog = load_catalog()
    ok, missing = [], []
    for kpi in catalog.kpis.values():
        lacking = sorted(t for t in required_tables(kpi, catalog) if not store.has(t))
        (missing if lacking else ok).append((kpi.id, lacking))
    out.print(f"[bold]KPIs available[/bold] ({len(ok)}): " + ", ".join(k for k, _ in ok))
    for kid, lacking in missing:
        out.print(f"  [yellow]not available:[/yellow] {kid} (needs {', '.join(lacking)})")


# ---------------------------------------------------------------- kpi

@app.command("kpis")
def list_kpis() -> None:
    """List the KPI catalog: ids, units, default periods, dimensions."""
    table = Table("id", "unit", "default period", "by", "what it is")
    for kpi in load_catalog().kpis.values():
        table.add_row(kpi.id, kpi.unit, kpi.default_period, ", ".join(kpi.dimensions), kpi.description)
    out.print(table)


@app.command("kpi")
def kpi_command(
    metric: Annotated[str, typer.Argument(help="KPI id or name, e.g. win_rate or 'win rate'.")],
    by: Annotated[list[str], typer.Option("--by", help="Group by a dimension (twice for two).")] = [],
    period: Annotated[Optional[str], typer.Option(help="e.g. 'last quarter', 'Q3 2025', 'ytd', 'all'.")] = None,
    where: Annotated[list[str], typer.Option("--where", help="Filter DIM=VALUE[,VALUE]; repeatable.")] = [],
    top: Annotated[Optional[int], typer.Option(help="Only the N largest groups.")] = None,
    bottom: Annotated[Optional[int], typer.Option(help="Only the N smallest groups.")] = None,
    year_over_year: Annotated[bool, typer.Option("--yoy", help="Growth against the same period a year earlier.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The answer object of contracts/cli.md.")] = False,
    as_of: AsOfOpt = None,
    data: DataOpt = None,
) -> None:
    """Compute one KPI from a structured plan, e.g. ccobot kpi win_rate --by region --period 'last quarter'."""
    plan = _plan_from_options(metric, by, period, where, top, bottom, year_over_year)
    day = parse_day(as_of, "--as-of")
    engine = Engine(open_store(data))
    started = time.perf_counter()
    try:
        result = engine.run(plan, as_of=day)
    except UserError as exc:
        raise fail(str(exc)) from None
    answer = kpi_answer(result, question=" ".join(sys.argv[1:]), catalog=engine.catalog)
    answer.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
        return
    render(answer, out)
    out.print(f"[dim]{answer.elapsed_ms} ms[/dim]")


def _plan_from_options(metric: str, by: list[str], period: str | None, where: list[str], top: int | None,
                       bottom: int | None, yoy: bool) -> QueryPlan:
    catalog = load_catalog()
    kid = _metric_id(metric)
    filters: dict[str, list[str]] = {}
    for item in where:
        dim, sep, values = item.partition("=")
        if not sep or not values.strip():
            raise fail(f"--where '{item}' should look like DIM=VALUE (e.g. region=Nordics).")
        filters.setdefault(dim.strip(), []).extend(v.strip() for v in values.split(",") if v.strip())
    if top and bottom:
        raise fail("Use --top or --bottom, not both.")
    try:
        return QueryPlan(metric=kid if kid in catalog.kpis else metric, period=period, filters=filters,
                         group_by=by, limit=top or bottom, order="asc" if bottom else None,
                         compare="year_ago" if yoy else "previous")
    except ValueError as exc:
        raise fail(f"bad arguments: {exc}") from None


def _metric_id(metric: str) -> str:
    """A KPI id from an id or any of its names in any language."""
    catalog = load_catalog()
    wanted = metric.strip().casefold().replace("_", " ")
    for kpi in catalog.kpis.values():
        names = {kpi.id.replace("_", " ")} | {n.casefold() for ns in kpi.names.values() for n in ns}
        if wanted in names:
            return kpi.id
    return metric


# ---------------------------------------------------------------- the playbook

@app.command("index")
def index_command(
    knowledge: Annotated[Optional[Path], typer.Option("--knowledge", help="Folder of playbook documents.")] = None,
) -> None:
    """Index the playbook: embed new and changed documents, drop removed ones."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress

    from bot.service import build_playbook

    settings = get_settings()
    folder = knowledge or settings.ccobot_knowledge
    if not Path(folder).is_dir():
        raise fail(f"--knowledge {folder} is not a folder.")
    playbook = build_playbook(settings, Path(folder))
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), console=out,
                  transient=True) as bar:
        task = bar.add_task("documents", total=None)
        report = playbook.index.sync(progress=lambda done, total: bar.update(task, completed=done, total=total))
    if report.rebuilt:
        out.print(f"[yellow]Note:[/yellow] {report.rebuilt}.")
    out.print(f"Playbook index ({playbook.index.embedder.name}): {report.chunks} chunks from "
              f"{len(report.added) + len(report.updated) + len(report.unchanged)} documents; "
              f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
              f"unchanged {len(report.unchanged)}; {report.embedded} chunks embedded.")
    for problem in report.problems:
        out.print(f"[red]•[/red] {problem}", highlight=False)


@app.command("cache-seed")
def cache_seed_command(
    into: Annotated[Path, typer.Argument(help="The folder to build into (then CCOBOT_CACHE_SEED=that folder).")],
) -> None:
    """Build the language resources' cache (language identifier, word lists, parts of speech) into a
    folder, e.g. while an image is built: instances started with CCOBOT_CACHE_SEED pointing at it
    read them there instead of building them (about 4 s and 70 MB on a first start)."""
    from bot.nlu.cache import seed

    try:
        built = seed(into)
    except OSError as exc:
        raise fail(f"cannot build the cache into {into}: {exc.strerror or exc}") from None
    out.print(f"Cache in {into}: {', '.join(built)}")


# ---------------------------------------------------------------- questions

@app.command("ask")
def ask_command(
    question: Annotated[Optional[str], typer.Argument(help="The question, in English, Danish or Swedish.")] = None,
    batch: Annotated[Optional[str], typer.Option("--batch", help="A file of questions, one a line ('-': stdin).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Answer objects (JSON Lines with --batch).")] = False,
    user: Annotated[Optional[str], typer.Option("--user", help="Who asks: rep_id, email or Slack id.")] = None,
    as_of: AsOfOpt = None,
    data: DataOpt = None,
) -> None:
    """Answer a question, or a batch of them in one process."""
    if (question is None) == (batch is None):
        raise fail("Give one QUESTION, or --batch FILE.")
    day = parse_day(as_of, "--as-of")
    questions = [question] if batch is None else _read_batch(batch)
    assistant = _assistant(data, "cli")
    for q in questions:
        answer = assistant.ask(q, user=user, as_of=day)
        if as_json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=batch is None)
        else:
            if batch is not None:
                out.print(f"[bold]? {escape(q)}[/bold]", highlight=False)
            render(answer, out)


def _read_batch(source: str) -> list[str]:
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise fail(f"cannot read --batch {source}: {exc.strerror}") from None
    lines = decode_lines(raw)
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def decode_lines(raw: bytes) -> list[str]:
    """A question file in whatever encoding it was saved in: UTF-8 (with or without a BOM), UTF-16
    with a BOM, else line by line UTF-8, then Windows-1252 (what Nordic Windows tools save), with
    any byte that is still undecodable replaced. A file never stops a batch."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace").splitlines()
    return [_decode_line(line) for line in raw.splitlines()]


def _decode_line(line: bytes) -> str:
    for codec in ("utf-8", "cp1252"):
        try:
            return line.decode(codec)
        except UnicodeDecodeError:
            continue
    return line.decode("utf-8", errors="replace")


@app.command("chat")
def chat_command(
    user: Annotated[Optional[str], typer.Option("--user", help="Who asks: rep_id, email or Slack id.")] = None,
    as_of: AsOfOpt = None,
    data: DataOpt = None,
) -> None:
    """A terminal chat that keeps the conversation's context ('and by region?')."""
    chat(_assistant(data, "console", wait_for_index=False), out, user=user, as_of=parse_day(as_of, "--as-of"))


@app.command("serve")
def serve_command(data: DataOpt = None) -> None:
    """Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT (uvicorn):
    /slack/events, /healthz and /readyz. Logs go to $CCOBOT_HOME/logs/serve.jsonl and stderr."""
    settings = get_settings()
    if settings.slack_bot_token is None and not settings.slack_client_id:
        if settings.teams:
            return _serve_teams(settings, data)
        raise fail("Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                   "(several; see the README's Slack guide), or MICROSOFT_APP_ID for Teams.")
    from bot.channels.slack.app import create_app
    from bot.channels.slack.oauth import oauth_from_settings
    from bot.channels.slack.server import log_context, socket_mode
    from bot.logs import secrets_of, setup_logging
    from bot.state import open_state
    from bot.web import create_web_app, serve, start_pruning, verify_token

    logs = setup_logging(settings.ccobot_home, "serve", secrets=secrets_of(settings))
    assistant = _assistant(data, "slack", wait_for_index=False)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if settings.slack_app_token is None and not secret:
        raise fail("HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode).")
    state = open_state(settings.state_url)
    oauth = oauth_from_settings(settings, state)  # None: one bot token; an error names what half is missing
    if oauth and settings.slack_app_token is not None:
        raise fail("Installing in several workspaces serves its pages over HTTP: leave SLACK_APP_TOKEN out.")
    token = None if oauth else settings.slack_bot_token.get_secret_value()
    slack, bot = create_app(assistant, state, token, secret or "socket-mode", settings.slack_api_url,
                            workers=settings.slack_workers, oauth_settings=oauth)
    problem = verify_token(bot)  # auth.test; a rejected token is said here, and /readyz answers 503
    if problem:
        err.print(f"[red]Slack rejected SLACK_BOT_TOKEN[/red] (auth.test: {escape(problem)}); serving anyway, "
                  "and /readyz answers 503 until the token is replaced.", highlight=False)
    teams = _teams_bot(settings, assistant, state) if settings.teams else None
    digests = _digests_in_serve(settings, state, bot if oauth is None else None, teams)
    bot.jobs.start(bot)  # takes over answers whose instance died (bot/channels/slack/jobs.py)
    if settings.slack_app_token is not None:
        err.print(f"Slack: Socket Mode (SLACK_APP_TOKEN is set; no public URL needed). Logs: {logs.path}")
        if teams is not None:
            err.print("[yellow]Teams: not served in Socket Mode (Teams posts to HTTP /api/messages); digests to "
                      "Teams still go out.[/yellow]")
        log_context(slack)
        start_pruning(state)
        socket_mode(slack, settings.slack_app_token.get_secret_value(), settings.slack_api_url).start()
    else:
        err.print(f"Slack: HTTP on port {settings.port}, events at /slack/events, health at /healthz and /readyz. "
                  f"Logs: {logs.path}")
        if teams is not None:
            err.print("Teams: messages at /api/messages.")
        # SIGTERM or Ctrl-C: uvicorn stops taking requests, the web app's shutdown finishes the answers in
        # flight (CCOBOT_SHUTDOWN_SECONDS), and then the scheduler lock is released for another instance.
        # uvicorn raises the signal again once it has shut down: SIGTERM's handler here makes that a
        # normal exit (status 0) through the `finally`, instead of the default death by the signal.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        try:
            serve(create_web_app(slack, bot, teams=teams), "0.0.0.0", settings.port)
        finally:
            if digests is not None:
                digests.stop()


def _exit_on_signal(*_: object) -> None:
    raise SystemExit(0)


def _digests_in_serve(settings, state, slack, teams):
    from bot.digest.cli import start_in_serve

    digests = start_in_serve(settings, state, slack, teams)
    if digests is not None:
        atexit.register(digests.stop)  # releases the scheduler lock for the next instance (also on a crash path)
        err.print(f"Digests ({' and '.join(settings.digest_faces)}): the scheduler ticks every minute while this "
                  "instance holds the lock.")
    return digests


def _teams_bot(settings, assistant, state):
    from bot.channels.teams.bot import TeamsBot

    if settings.ccobot_teams_anonymous:
        err.print("[yellow]Teams: anonymous mode (CCOBOT_TEAMS_ANONYMOUS) takes requests without a token: "
                  "for local testing only.[/yellow]")
    return TeamsBot(assistant, settings, state)


def _serve_teams(settings, data) -> None:
    """Teams alone: /api/messages and /healthz over HTTP, and the digest scheduler."""
    from bot.logs import secrets_of, setup_logging
    from bot.state import open_state
    from bot.web import create_teams_app, serve, start_pruning

    logs = setup_logging(settings.ccobot_home, "serve", secrets=secrets_of(settings))
    assistant = _assistant(data, "teams", wait_for_index=False)
    state = open_state(settings.state_url)
    teams = _teams_bot(settings, assistant, state)
    _digests_in_serve(settings, state, None, teams)
    start_pruning(state)  # answered message ids and kept answers, as with Slack
    err.print(f"Teams: HTTP on port {settings.port}, messages at /api/messages, health at /healthz. "
              f"Logs: {logs.path}")
    serve(create_teams_app(teams), "0.0.0.0", settings.port)


@app.command("start")
def start_command(data: DataOpt = None) -> None:
    """The main job: Slack when its tokens are configured, else the terminal chat."""
    settings = get_settings()
    if settings.slack_bot_token is not None or settings.slack_client_id:
        err.print("Slack is configured: starting the Slack app.")
        serve_command(data)
    else:
        err.print("No SLACK_BOT_TOKEN in the environment or .env: starting the terminal chat instead.")
        chat_command(None, None, data)


def _assistant(data: Path | None, channel: str, wait_for_index: bool = True):
    from bot.service import build_assistant

    try:
        # --data names files; without it a configured warehouse comes before CCOBOT_DATA and the demo
        warehouse = data is None and get_settings().ccobot_warehouse_url
        return build_assistant(None if warehouse else resolve_data(data), channel, wait_for_index)
    except StoreError as exc:
        raise fail(f"cannot load the metrics store: {exc}") from None


def _digest_commands() -> None:
    from bot.digest.cli import digest_app, scheduler

    app.add_typer(digest_app, name="digest")
    app.command("scheduler")(scheduler)


_digest_commands()


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        err.print(f"[red]ccobot:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except Exception as exc:  # a bug: apologise with a reference; the detail goes to the log only
        ref = uuid.uuid4().hex[:8]
        log = _log_file()
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now(timezone.utc).isoformat()} ref {ref}\n")
            fh.write("".join(traceback.format_exception(exc)))
        err.print(f"[red]ccobot:[/red] sorry, something went wrong (reference {ref}; details in {log}).",
                  highlight=False)
        sys.exit(1)


def _log_file() -> Path:
    try:
        home = get_settings().ccobot_home
    except SettingsError:
        home = Path(".ccobot")
    folder = home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "ccobot.log"


if __name__ == "__main__":
    main()
