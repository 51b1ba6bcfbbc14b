"""The web app: the bot's HTTP faces in one ASGI app (Starlette), served by uvicorn.

  POST /slack/events          events, slash commands, interactivity → Bolt (signature checked there)
  GET  /slack/install         Bolt's OAuth flow when the app has one, else 404
  GET  /slack/oauth_redirect
  POST /api/messages          Microsoft Teams (Bot Connector activities, JWT checked) when configured
  GET  /healthz               the process answers: 200 {"ok": true}
  GET  /readyz                200 when the store (loaded and warmed up), the playbook, the state
                              database and (with Slack) the Slack token are usable, else 503 naming
                              each check that is not
  GET  /metrics               Prometheus metrics (bot/observability.py); a bearer token when
                              CCOBOT_METRICS_TOKEN is set, no Slack signature

Every request works under one request id (its X-Request-Id, else a new one), echoed in the
response's X-Request-Id and written on every log line made for it, on any thread it reaches.

Bolt's dispatch is synchronous (it checks the signature, claims the event id in the state
database and hands the answer to a lazy-listener thread), so it runs on worker threads: the
event loop never blocks and acks stay fast in a burst.
"""

from __future__ import annotations

import contextlib
import gc
import hmac
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread
import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.errors import SlackApiError
from sqlalchemy import text
from sqlalchemy.engine import Engine as SqlEngine
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels.slack.app import SlackBot
from bot.channels.slack.server import log_context
from bot.core.assistant import Assistant
from bot.config import get_settings
from bot.logs import redact
from bot.observability import CONTENT_TYPE, bound_request, observe_ack, render, surface, usable_request_id
from bot.state import prune

if TYPE_CHECKING:  # Teams' SDK (msal, aiohttp, FastAPI: about 35 MB) is imported only where Teams is served
    from bot.channels.teams.bot import TeamsBot

log = logging.getLogger("ccobot.web")
EVENTS_PATH = "/slack/events"
TEAMS_PATH = "/api/messages"  # the Azure Bot's messaging endpoint
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")
DISPATCH_THREADS = 64  # concurrent Bolt dispatches (each a signature check and one insert)
CHECK_SECONDS = 3.0  # a readiness check that takes longer fails (a load balancer waits for none)
PRUNE_EVERY = 3600.0
BACKLOG = 2048  # pending connections the kernel queues: Slack delivers in bursts


def create_web_app(slack: App, bot: SlackBot, *, prune_every: float | None = PRUNE_EVERY,
                   teams: TeamsBot | None = None, metrics_token: str | None = None) -> Starlette:
    """The ASGI app over a Bolt app and its SlackBot, and Teams' /api/messages when `teams` is given.
    While it runs, the state database is pruned at start and every `prune_every` seconds (None: never).
    `metrics_token` guards /metrics (None: CCOBOT_METRICS_TOKEN; "": open)."""
    log_context(slack)
    flow = slack.oauth_flow
    oauth_paths = {*OAUTH_PATHS, *((flow.install_path, flow.redirect_uri_path) if flow else ())}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.dispatch = anyio.CapacityLimiter(DISPATCH_THREADS)
        # The store, the index and the word lists are loaded and live as long as the process: out of
        # the garbage collector's sight, a full collection no longer walks them (pauses of hundreds
        # of ms in a burst of events otherwise).
        gc.collect()
        gc.freeze()
        stop = start_pruning(bot.state, prune_every) if prune_every else None
        yield
        if stop is not None:
            stop.set()
        # SIGTERM: uvicorn has stopped taking requests. The answer jobs' sweeper stops (no takeovers
        # from here on; this instance's unfinished jobs are no longer renewed, so another instance
        # takes them over after their lease); the answers already taken are finished and posted
        # within CCOBOT_SHUTDOWN_SECONDS. `ccobot serve` then releases the scheduler lock.
        bound = get_settings().ccobot_shutdown_seconds
        await anyio.to_thread.run_sync(bot.jobs.stop)
        started = time.monotonic()
        finished = await anyio.to_thread.run_sync(bot.drain, bound)
        log.info("shut down: answers %s in %.1f s (%d answer jobs left to other instances)",
                 "finished" if finished else "not all finished", time.monotonic() - started, bot.jobs.held)

    async def events(request: Request) -> Response:
        started = time.perf_counter()  # what Slack waits for: the body, the signature, the dispatch
        response = await _to_bolt(request, slack.dispatch)
        observe_ack(time.perf_counter() - started)
        return response

    async def oauth(request: Request) -> Response:
        flow = slack.oauth_flow  # Bolt answers its install and redirect paths only with OAuth settings
        if flow is None or request.url.path not in (flow.install_path, flow.redirect_uri_path):
            return PlainTextResponse("not found", status_code=404)
        install = request.url.path == flow.install_path
        return await _to_bolt(request, flow.handle_installation if install else flow.handle_callback)

    async def readyz(_: Request) -> JSONResponse:
        return await ready(bot.assistant, bot.state, bot)

    routes = [Route(EVENTS_PATH, events, methods=["POST"]),
              *(Route(path, oauth, methods=["GET"]) for path in sorted(oauth_paths)),
              Route("/healthz", healthz, methods=["GET"]),
              Route("/readyz", readyz, methods=["GET"]),
              metrics_route(metrics_token),
              *([Route(TEAMS_PATH, teams.endpoint, methods=["POST"])] if teams is not None else [])]
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(RequestIds)])


def create_teams_app(teams: TeamsBot, *, metrics_token: str | None = None) -> Starlette:
    """Teams alone (no Slack configured): /api/messages, /healthz, /readyz and /metrics."""
    async def readyz(_: Request) -> JSONResponse:
        return await ready(teams.assistant, teams.state)

    return Starlette(routes=[Route(TEAMS_PATH, teams.endpoint, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"]),
                             Route("/readyz", readyz, methods=["GET"]),
                             metrics_route(metrics_token)],
                     middleware=[Middleware(RequestIds)])


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


# ---------------------------------------------------------------- metrics and request ids

def metrics_route(token: str | None = None) -> Route:
    """GET /metrics in Prometheus' text format; with a token (None: the setting), only for
    `Authorization: Bearer <token>`. Prometheus scrapes without Slack's signature."""
    if token is None:
        secret = get_settings().ccobot_metrics_token
        token = secret.get_secret_value() if secret is not None else ""
    expected = f"Bearer {token}".encode()

    async def metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if token and not hmac.compare_digest(given, expected):  # constant time: no guessing by timing
            return PlainTextResponse("unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(render(), media_type=CONTENT_TYPE)

    return Route("/metrics", metrics, methods=["GET"])


class RequestIds:
    """ASGI middleware: each HTTP request runs under one request id (a safe X-Request-Id it came
    with, else a new one) that every log line made for it carries and its response echoes; and
    answers for Slack's and Teams' paths are counted for that surface. Pure ASGI, not
    BaseHTTPMiddleware: no extra task per request, and the context is the endpoint's own."""

    SURFACES = {EVENTS_PATH: "slack", TEAMS_PATH: "teams"}

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = usable_request_id(Headers(scope=scope).get("x-request-id"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-Id"] = rid
            await send(message)

        where = self.SURFACES.get(scope["path"])
        with bound_request(rid, keep=False), (surface(where) if where else contextlib.nullcontext()):
            await self.app(scope, receive, send_with_id)


async def _to_bolt(request: Request, handle: Callable) -> Response:
    """A Starlette request through a synchronous Bolt handler on a worker thread."""
    body = await request.body()
    try:
        bolt_request = to_bolt_request(request, body)
    except UnicodeDecodeError:
        return PlainTextResponse("the body is not UTF-8", status_code=400)
    limiter = getattr(request.app.state, "dispatch", None)
    return to_starlette_response(await anyio.to_thread.run_sync(handle, bolt_request, limiter=limiter))


# ---------------------------------------------------------------- readiness

async def ready(assistant: Assistant, state: SqlEngine | None, slack: SlackBot | None = None) -> JSONResponse:
    """GET /readyz: 200 when every check passes, else 503 naming those that do not."""
    checks = await readiness(assistant, state, slack)
    failed = [name for name, verdict in checks.items() if verdict != "ok"]
    return JSONResponse({"ok": not failed, "failed": failed, "checks": checks}, status_code=503 if failed else 200)


async def readiness(assistant: Assistant, state: SqlEngine | None, slack: SlackBot | None = None) -> dict[str, str]:
    """Each check's verdict ("ok" or what is wrong, never a secret), run at once on threads: the
    store, its warm-up (value index, language model), the playbook, the state database and, with
    Slack, its token."""
    checks = {"metrics": lambda: _metrics(assistant), "warm": lambda: assistant.warming,
              "playbook": lambda: _playbook(assistant)}
    if state is not None:
        checks["state"] = lambda: _state(state)
    if slack is not None:
        checks["slack"] = lambda: _slack(slack)
    verdicts: dict[str, str] = {}

    async def run(name: str, check: Callable[[], str | None]) -> None:
        verdicts[name] = f"no answer within {CHECK_SECONDS:g} s"
        with anyio.move_on_after(CHECK_SECONDS):
            try:
                verdicts[name] = redact(await anyio.to_thread.run_sync(check, abandon_on_cancel=True) or "ok")
            except Exception as exc:  # noqa: BLE001 (a failed check is a verdict, not an error)
                verdicts[name] = f"failed ({type(exc).__name__})"

    async with anyio.create_task_group() as group:
        for name, check in checks.items():
            group.start_soon(run, name, check)
    return {name: verdicts[name] for name in checks}


def _metrics(assistant: Assistant) -> str | None:
    return None if assistant.engine.store is not None else "not loaded"


def _playbook(assistant: Assistant) -> str | None:
    playbook = assistant.playbook
    if playbook is None or playbook.index.state == "ready":
        return None
    if playbook.index.state == "indexing":
        done, total = playbook.index.progress
        return f"indexing ({done}/{max(done, total)} documents)"
    return {"failed": "indexing failed"}.get(playbook.index.state, f"index {playbook.index.state}")


def _state(engine: SqlEngine) -> str | None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return None


def _slack(bot: SlackBot) -> str | None:
    return f"token rejected ({bot.auth_error})" if bot.auth_error else None


def verify_token(bot: SlackBot) -> str | None:
    """auth.test with the bot's token. None when Slack accepts it; else Slack's error code
    ("invalid_auth", "token_revoked" …), also kept in bot.auth_error so /readyz says 503.
    A Web API that cannot be reached says nothing about the token: logged, and None. Installed
    by OAuth there is no one token to test (each workspace's is looked up per event): None."""
    if not bot.client.token:
        return None
    try:
        bot.client.auth_test()
    except SlackApiError as exc:
        bot.auth_error = str(exc.response.get("error") or "auth.test failed")
        log.error("Slack rejected the bot token: auth.test said %s", bot.auth_error)
        return bot.auth_error
    except Exception as exc:  # noqa: BLE001 (the Web API unreachable: nothing known of the token)
        log.warning("auth.test could not reach Slack's Web API: %s", type(exc).__name__)
    return None


# ---------------------------------------------------------------- housekeeping

def start_pruning(state: SqlEngine, every: float = PRUNE_EVERY) -> threading.Event:
    """Prune the state database now and every `every` seconds on a daemon thread; set the
    returned event to stop."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                gone = prune(state)
                if any(gone.values()):
                    log.info("pruned the state database: %s", gone)
            except Exception as exc:  # noqa: BLE001 (the next round tries again)
                log.warning("pruning the state database failed: %s", type(exc).__name__)
            stop.wait(every)

    threading.Thread(target=loop, daemon=True, name="state-prune").start()
    return stop


# ---------------------------------------------------------------- serving

def _config(web_app: Starlette, host: str, port: int) -> uvicorn.Config:
    # log_config=None: uvicorn's loggers go through ours (JSON); no access log (paths can carry
    # OAuth codes, and a line per Slack event says nothing the event_id lines do not).
    return uvicorn.Config(web_app, host=host, port=port, backlog=BACKLOG, lifespan="on", log_config=None,
                          access_log=False, server_header=False, timeout_graceful_shutdown=10)


def serve(web_app: Starlette, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM (uvicorn finishes the requests in flight, then stops)."""
    uvicorn.Server(_config(web_app, host, port)).run()


class LocalServer:
    """The web app under uvicorn on a background thread, on 127.0.0.1 and a free port: `url`,
    and `stop()` (or use it as a context manager). For tests and tools."""

    def __init__(self, web_app: Starlette, host: str = "127.0.0.1", port: int = 0, timeout: float = 20.0) -> None:
        self.server = uvicorn.Server(_config(web_app, host, port))
        self._thread = threading.Thread(target=self.server.run, daemon=True, name="web")
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web app did not start")
            time.sleep(0.01)
        bound = self.server.servers[0].sockets[0].getsockname()
        self.url = f"http://{host}:{bound[1]}"

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=15)

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
