"""Running the Slack app: Socket Mode with an app token (no public URL), else over HTTP through
the web app (bot/web.py: /slack/events, /healthz, /readyz under uvicorn).

Both ways, logs name the event they belong to (`log_context`).
"""

from __future__ import annotations

import logging
import weakref

from slack_bolt import App

from bot.logs import EVENT_ID, carry_context

log = logging.getLogger("ccobot.slack")
_with_context: weakref.WeakSet[App] = weakref.WeakSet()


def log_context(app: App) -> App:
    """Every log line written for an event carries its event_id: a middleware sets it for the
    listeners, and the listener executor carries it to the lazy listener that answers."""
    if app not in _with_context:
        _with_context.add(app)
        app.middleware(_event_id)
        runner = app.listener_runner
        for executor in (runner.listener_executor, getattr(runner.lazy_listener_runner, "executor", None)):
            if executor is not None:  # usually one executor for both; carry_context is idempotent
                carry_context(executor)
    return app


def _event_id(body: dict, next) -> None:  # noqa: A002 (Bolt injects by name)
    # Set for every request (None when it has none): a Socket Mode thread serves many requests.
    EVENT_ID.set(body.get("event_id") if isinstance(body, dict) else None)
    return next()


def socket_mode(app: App, app_token: str, api_url: str | None = None):
    """A Socket Mode handler (connections:write on the app-level token). apps.connections.open
    goes to the same Web API base URL as everything else."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    web = WebClient(token=app_token, **({"base_url": api_url} if api_url else {}))
    return SocketModeHandler(app, app_token, web_client=web)
