from __future__ import annotations

from datetime import date

import pytest

from bot.core.assistant import Assistant
from bot.metrics import demo
from bot.metrics.engine import Engine
from bot.metrics.store import load_store

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="session")
def demo_assistant(tmp_path_factory) -> Assistant:
    out = tmp_path_factory.mktemp("nlu-demo")
    demo.write_demo(out, seed=3, deals=3_000, as_of=AS_OF)
    return Assistant(Engine(load_store(out)))


@pytest.fixture
def ask(demo_assistant):
    def _ask(question: str, user: str | None = None):
        return demo_assistant.ask(question, user=user, as_of=AS_OF)
    return _ask
