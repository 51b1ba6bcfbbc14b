"""`ccobot digest preview|run` and `ccobot scheduler` (contracts/digest.md)."""

from __future__ import annotations

import json
import signal
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from bot.access import identify
from bot.config import Settings, get_settings
from bot.digest.content import DigestBuilder
from bot.digest.model import Recipient
from bot.digest.render import SHOWN, digest_text
from bot.digest.run import DigestRun, RunReport
from bot.digest.subscriptions import Subscriptions, language_of
from bot.metrics.engine import Engine
from bot.state import open_state

digest_app = typer.Typer(no_args_is_help=True, help="Morning pipeline digests.")
DataOpt = Annotated[Optional[Path], typer.Option("--data", help="Store folder or mapping file (*.yml).")]


@digest_app.command("preview")
def preview(
    who: Annotated[str, typer.Option("--for", help="rep_id, email or Slack id of the recipient.")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="The morning (YYYY-MM-DD); default the store's as_of.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The digest object of contracts/digest.md.")] = False,
    data: DataOpt = None,
) -> None:
    """The digest ID would get on that morning."""
    from bot.cli import fail, open_store, out, parse_day

    settings = get_settings()
    engine = _warehouse(settings, data) or Engine(open_store(data, with_history=True))
    store = engine.store
    person = identify(store, who)
    if not person.matched:
        raise fail(f"no rep matches '{who}' (a rep_id, email or Slack id from the reps table).")
    day = parse_day(as_of, "--as-of") or engine.as_of()
    state = open_state(settings.state_url)
    sub = Subscriptions(state).get(store, person.rep_id)
    recipient = Recipient(person.rep_id, day, sub.previous_due_day(day), language_of(store, sub),
                          muted=frozenset(sub.muted))
    # The JSON lists every risk (contracts/digest.md); the message shows a few and counts the rest.
    builder = DigestBuilder(engine, narrator_for(settings, state), entries=None if as_json else SHOWN)
    digest = builder.build([recipient])[0]
    text = digest_text(digest, store.fiscal_year_start_month)
    if as_json:
        out.print_json(json.dumps(digest.as_json(text), ensure_ascii=False))
    else:
        out.print(text, highlight=False, markup=False)


@digest_app.command("run")
def run(
    at: Annotated[Optional[str], typer.Option("--at", help="The instant (ISO 8601 with an offset); default now.")] = None,
    data: DataOpt = None,
) -> None:
    """Send, once, every digest due at that instant and not sent yet."""
    from bot.cli import err

    instant = _instant(at) if at else datetime.now(timezone.utc)
    runner, close = _runner(get_settings(), data)
    try:
        report = runner(instant)
    finally:
        close()
    err.print(_summary(report), highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


def scheduler(data: DataOpt = None) -> None:
    """Run the digest scheduler: a tick every minute while this process holds the lock."""
    from bot.cli import err
    from bot.digest.scheduler import DigestScheduler, LeaderLock

    settings = get_settings()
    runner, close = _runner(settings, data)
    sched = DigestScheduler(LeaderLock(runner.state), lambda now: runner(now, wait=50.0))
    # A stop from the process manager, like Ctrl-C: the handler only sets an event. An exception raised
    # from it lands wherever the main thread is, and APScheduler's loop swallowed one while submitting a tick.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    err.print("Digest scheduler running: a tick every minute while this process holds the lock (Ctrl-C stops).")
    try:
        sched.start()
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sched.stop()  # then the lock is released and the last sends finish (close)
        close()


def _instant(text: str) -> datetime:
    from bot.cli import fail

    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise fail(f"--at '{text}' is not an ISO 8601 timestamp (like 2026-11-20T08:00:00+01:00).") from None
    if value.tzinfo is None:
        raise fail(f"--at '{text}' has no UTC offset; add one (like +01:00 or Z).")
    return value


def _runner(settings: Settings, data: Path | None):
    """A DigestRun for `digest run` and `scheduler`, and how to close it."""
    return digest_runner(settings, data)


def digest_runner(settings: Settings, data: Path | None, connections=None) -> tuple[DigestRun, Callable[[], None]]:
    """A DigestRun over the digest tables of the store (or the warehouse at CCOBOT_WAREHOUSE_URL when no
    --data names files), delivering through Slack, Teams or both as configured, and how to close it
    (Slack's outbound queue finishes first). `connections`: the Teams bot's tokens (MSAL from the app
    registration by default; tests pass local ones)."""
    from bot.channels.slack.app import SlackBot, make_client
    from bot.channels.slack.outbox import Outbox
    from bot.channels.teams.bot import TeamsBot
    from bot.cli import fail, resolve_data
    from bot.core.assistant import Assistant
    from bot.metrics.store import DIGEST_TABLES, StoreHolder

    faces = settings.digest_faces
    if not faces:
        raise fail("digests go through Slack or Teams: set SLACK_BOT_TOKEN (and SLACK_API_URL for another "
                   "Web API base URL) or MICROSOFT_APP_ID. `ccobot digest preview --for ID` shows one without "
                   "sending.")
    engine = _warehouse(settings, data)
    if engine is None:
        holder = StoreHolder(resolve_data(data), only=DIGEST_TABLES)  # a digest process needs no more
        holder.get().history()  # load it now: a store that cannot load fails here, with its message
        engine = Engine(holder)
    assistant, state = Assistant(engine), open_state(settings.state_url)
    slack = teams = None
    if "slack" in faces:
        client = make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
        slack = SlackBot(assistant, state, client, Outbox())
    if "teams" in faces:
        teams = TeamsBot(assistant, settings, state, connections=connections)
    close = (lambda: slack.outbox.close(timeout=30.0)) if slack is not None else (lambda: None)
    return digest_run(settings, state, slack, teams), close


def digest_run(settings: Settings, state, slack=None, teams=None) -> DigestRun:
    """Digests for the bots' store: through Slack (`slack`, a SlackBot), Teams (`teams`, a
    TeamsBot) or, given both, each person through the face they use (bot/channels/digests.py)."""
    from bot.channels.digests import Routed

    bot = slack or teams
    senders = []
    if slack is not None:
        from bot.channels.slack.digests import SlackDigests

        senders.append(SlackDigests(slack, chart=settings.ccobot_digest_chart))
    if teams is not None:  # Teams' SDK (about 35 MB resident) only where Teams is served
        from bot.channels.teams.digests import TeamsDigests

        fiscal = bot.assistant.engine.store.fiscal_year_start_month
        senders.append(TeamsDigests(teams, teams.references, settings.microsoft_app_id or "", fiscal))
    sender = Routed(senders[0], senders[1], teams.references) if len(senders) == 2 else senders[0]
    return DigestRun(bot.assistant.engine, state, sender,
                     grace=timedelta(minutes=settings.ccobot_digest_grace_minutes),
                     lease=timedelta(seconds=settings.ccobot_digest_lease_seconds),
                     narrator=narrator_for(settings, state))


def _warehouse(settings: Settings, data: Path | None) -> Engine | None:
    """The warehouse's engine when CCOBOT_WAREHOUSE_URL is set and --data names no files, as for questions
    (digests then read a slice of its deals: bot/metrics/warehouse_deals.py); else None: the files."""
    from bot.cli import fail
    from bot.errors import StoreError
    from bot.metrics.warehouse import WarehouseEngine

    if data is not None or not settings.ccobot_warehouse_url:
        return None
    try:
        return WarehouseEngine.from_settings(settings)
    except StoreError as exc:
        raise fail(f"cannot read the warehouse: {exc}") from None


def narrator_for(settings: Settings, state):
    """The digests' "three things to know today": a Narrator when CCOBOT_NARRATE is on and a model
    is configured (OPENAI_API_KEY), with the state database's monthly token budget; else None."""
    from bot.llm.narrate import Narrator

    return Narrator.from_settings(settings, state)


def start_in_serve(settings: Settings, state, slack=None, teams=None) -> object | None:
    """`ccobot serve`'s own scheduler (CCOBOT_SCHEDULER_IN_SERVE), sending through the bots this
    process serves (Slack's with one bot token, Teams'): ticks only while this instance holds the
    lock, so any number of instances send each digest once. Returns it, to stop."""
    from bot.digest.scheduler import DigestScheduler, LeaderLock

    faces = settings.digest_faces
    slack = slack if "slack" in faces else None  # installed in several workspaces: no one token (README)
    teams = teams if "teams" in faces else None
    if not settings.ccobot_scheduler_in_serve or (slack is None and teams is None):
        return None
    runner = digest_run(settings, state, slack, teams)
    sched = DigestScheduler(LeaderLock(state), lambda now: runner(now, wait=50.0))
    sched.start()
    return sched


def _summary(r: RunReport) -> str:
    parts = [f"{r.due} due", f"{len(r.sent)} sent", f"{len(r.late)} sent late", f"{len(r.found)} found already posted",
             f"{r.others} taken by another run or already sent", f"{len(r.quiet)} quiet (off)",
             f"{len(r.skipped)} skipped (grace passed)", f"{len(r.failed)} failed"]
    text = "digest run: " + ", ".join(parts)
    if r.failed:
        text += "\n" + "\n".join(f"  {rep}: {error}" for rep, error in sorted(r.failed.items()))
    return text
