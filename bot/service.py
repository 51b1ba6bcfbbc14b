"""Wiring: the store, engine, audit log and assistant from the settings, for every face."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.config import get_settings
from bot.core.assistant import Assistant
from bot.metrics.engine import Engine
from bot.metrics.store import StoreHolder
from bot.state import AuditLog, open_state


def build_assistant(data: Path, channel: str) -> Assistant:
    """An assistant over the store at `data`, auditing to the state database."""
    holder = StoreHolder(data)
    holder.get()  # load now: a store that cannot load fails here, with its message
    audit = AuditLog(open_state(get_settings().state_url), channel=channel)
    assistant = Assistant(Engine(holder), audit)
    # Value index and language model load while the user types (or the batch file is read).
    threading.Thread(target=assistant.warm, daemon=True).start()
    return assistant
