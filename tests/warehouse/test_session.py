"""The bot's PostgreSQL session (bot/metrics/warehouse.py `connect`), on the real server the tests start:
JIT off and a larger work_mem reach the server, a URL's own options win, and a statement that runs past
CCOBOT_WAREHOUSE_TIMEOUT_SECONDS is cancelled by the server and told to the asker, in their language,
without a figure. The slow statement is made slow for real: another session holds a lock on the deals."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from bot.core.assistant import Assistant
from bot.metrics.warehouse import WarehouseEngine, load_into
from tests.conftest import AS_OF, SMALL, write_store
from tests.warehouse.test_equal import _pg_database

pytestmark = [pytest.mark.filterwarnings("ignore:.*fetch_arrow_table:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:.*infer_string.*")]


@pytest.fixture(scope="module")
def url(pg_server, tmp_path_factory) -> str:
    root = write_store(tmp_path_factory.mktemp("session") / "store", SMALL, "base_currency: EUR\nas_of: 2026-11-20\n")
    url = _pg_database(pg_server)
    load_into(url, root)
    return url


def _show(engine: WarehouseEngine, name: str) -> str:
    return engine.store.con.raw_sql(f"SHOW {name}").fetchone()[0]


def test_the_session_turns_jit_off_and_sets_work_mem_and_the_timeout(url):
    engine = WarehouseEngine(url, timeout=7.5)
    assert (_show(engine, "jit"), _show(engine, "work_mem"), _show(engine, "statement_timeout")) == \
        ("off", "64MB", "7500ms")
    assert _show(WarehouseEngine(url), "statement_timeout") == "0"  # no timeout asked: the server's default


def test_a_urls_own_options_win(url):
    engine = WarehouseEngine(url + "?options=-c%20work_mem%3D8MB%20-c%20jit%3Don", timeout=3)
    assert (_show(engine, "jit"), _show(engine, "work_mem"), _show(engine, "statement_timeout")) == \
        ("on", "8MB", "3s")


@pytest.mark.parametrize("question, lang, words", [
    ("win rate by region last quarter", "en", "did not answer within 1 seconds"),
    ("pipeline pr. region i dette kvartal", "da", "svarede ikke inden for 1 sekunder"),
])
def test_a_statement_past_the_timeout_is_cancelled_and_the_asker_told(url, question, lang, words):
    assistant = Assistant(WarehouseEngine(url, timeout=1))
    assistant.ask("revenue last quarter", as_of=AS_OF)  # the views and the value index exist before the lock
    locked, release = threading.Event(), threading.Event()

    def hold_the_deals() -> None:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            conn.execute("LOCK TABLE opportunities IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_deals)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        answer = assistant.ask(question, as_of=AS_OF)
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    assert answer.kind == "error" and answer.lang == lang and words in answer.text, answer.text
    assert answer.value is None and not answer.rows
    assert 0.9 < waited < 10  # cancelled by the server at the timeout, not after the lock was let go
    after = assistant.ask(question, as_of=AS_OF)  # the same connection answers once the deals are free
    assert after.kind == "kpi", after.text
