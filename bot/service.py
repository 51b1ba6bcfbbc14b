"""Wiring: the store, engine, audit log, playbook and assistant from the settings, for every face."""

from __future__ import annotations

import atexit
import weakref
from pathlib import Path

from bot.config import Settings, get_settings
from bot.core.assistant import Assistant
from bot.llm.model import LanguageModel
from bot.llm.narrate import Narrator
from bot.llm.playbook import PlaybookWriter
from bot.llm.understand import ModelReader
from bot.metrics.engine import Engine
from bot.metrics.store import StoreHolder
from bot.playbook.embeddings import settings_embedder
from bot.playbook.index import PlaybookIndex
from bot.playbook.service import Playbook
from bot.state import AuditLog, open_state


def build_playbook(settings: Settings, knowledge: Path | None = None, model: LanguageModel | None = None) -> Playbook:
    """The playbook index, and the language model writing its answers when there is one."""
    index = PlaybookIndex(knowledge or settings.ccobot_knowledge, settings.ccobot_home, settings_embedder(settings),
                          settings.chroma_url)
    return Playbook(index, PlaybookWriter(model) if model is not None else None)


def build_assistant(data: Path | None, channel: str, wait_for_index: bool = True) -> Assistant:
    """An assistant over the store at `data` (None: the warehouse at CCOBOT_WAREHOUSE_URL) and the
    playbook, auditing to the state database.
    The playbook is indexed first when missing or stale (in the background unless waiting)."""
    settings = get_settings()
    engine = _engine(settings, data)
    state = open_state(settings.state_url)
    audit = AuditLog(state, channel=channel)
    model = LanguageModel.from_settings(settings, state)  # None without OPENAI_API_KEY: all offline
    playbook = build_playbook(settings, model=model)
    playbook.start(wait=wait_for_index, apart=True)
    reader = ModelReader(model, engine, playbook=True) if model is not None else None
    narrator = Narrator.from_settings(settings, state, model)  # None unless CCOBOT_NARRATE and a model
    assistant = Assistant(engine, audit, playbook, reader, narrator)
    # Value index and language model load while the user types (or the batch file is read); the process
    # waits for them, and for the playbook's indexing, before it exits.
    assistant.warm_in_background()
    ref = weakref.ref(assistant)  # (not kept alive for the exit: a test process builds many)
    atexit.register(lambda: (live := ref()) is not None and live.settle())
    return assistant


def _engine(settings: Settings, data: Path | None) -> Engine:
    """The KPI engine: over the file store at `data` (loaded now: a store that cannot load fails
    here, with its message), else over the warehouse at CCOBOT_WAREHOUSE_URL (filters and
    aggregations pushed down, bot/metrics/warehouse.py)."""
    if data is None:
        from bot.metrics.warehouse import WarehouseEngine

        return WarehouseEngine.from_settings(settings)
    holder = StoreHolder(data)
    holder.get()
    return Engine(holder)
