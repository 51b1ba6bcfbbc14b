"""What the language-model tests share: the local OpenAI-compatible server, and the playbook
indexed once with the offline embedder."""

from __future__ import annotations

import pytest

from bot.playbook.embeddings import HashingEmbedder
from bot.playbook.index import PlaybookIndex
from tests.fakes.openai_server import FakeOpenAI
from tests.paths import KNOWLEDGE


@pytest.fixture()
def fake():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="session")
def index(tmp_path_factory) -> PlaybookIndex:
    idx = PlaybookIndex(KNOWLEDGE, tmp_path_factory.mktemp("pb-llm"), HashingEmbedder())
    idx.sync()
    return idx
