"""Teams fixtures: the small store's assistant, a local Bot Connector, a local token issuer."""

from __future__ import annotations

import pytest

from bot.core.assistant import Assistant
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.playbook.embeddings import HashingEmbedder
from bot.playbook.index import PlaybookIndex
from bot.playbook.service import Playbook
from tests.fakes.bot_connector import FakeConnector, LocalIssuer
from tests.paths import KNOWLEDGE
from tests.teams.harness import ALICE, member


@pytest.fixture(scope="module")
def assistant(small_store_dir, tmp_path_factory) -> Assistant:
    playbook = Playbook(PlaybookIndex(KNOWLEDGE, tmp_path_factory.mktemp("pb-teams"), HashingEmbedder()))
    playbook.start(wait=True)
    return Assistant(Engine(load_store(small_store_dir)), playbook=playbook)


@pytest.fixture()
def connector():
    fake = FakeConnector({ALICE: member(ALICE, "Alice Berg", "alice@x.example")})
    yield fake
    fake.close()


@pytest.fixture()
def issuer():
    local = LocalIssuer()
    yield local
    local.close()


