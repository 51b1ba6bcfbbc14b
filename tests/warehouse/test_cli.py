"""The command line over a warehouse (CCOBOT_WAREHOUSE_URL): questions are answered there and no
demo store is built; `data check` reads the warehouse; `digest preview` and `digest run` build digests
from it (the deals and history they read come through SQL: bot/metrics/warehouse_deals.py), and serve's
scheduler sends them."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.metrics.warehouse import load_into
from tests.digest.stores import people_store
from tests.fakes.slack_api import FakeSlack
from tests.test_cli import ccobot_with


@pytest.fixture(scope="module")
def warehouse(small_store_dir, tmp_path_factory) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('wh') / 'small.duckdb'}"
    load_into(url, small_store_dir)
    return url


def test_ask_answers_from_the_warehouse_without_building_a_demo(monkeypatch, tmp_path, warehouse):
    env = {"CCOBOT_WAREHOUSE_URL": warehouse, "CCOBOT_HOME": str(tmp_path / "home")}
    res = ccobot_with(monkeypatch, env, "ask", "win rate by region last quarter", "--json", "--as-of", "2026-11-20")
    assert res.exit_code == 0, res.output
    answer = json.loads(res.stdout)
    # the small store (tests/conftest.py): 4 won of 6 closed last quarter; 2 of 3 in each region
    assert answer["value"] == pytest.approx(4 / 6)
    assert {r["region"]: r["value"] for r in answer["rows"]} == pytest.approx({"Nordics": 2 / 3, "DACH": 2 / 3})
    assert not (tmp_path / "home" / "demo").exists()


def test_data_check_reads_the_warehouse(monkeypatch, tmp_path, warehouse):
    res = ccobot_with(monkeypatch, {"CCOBOT_WAREHOUSE_URL": warehouse, "CCOBOT_HOME": str(tmp_path)}, "data", "check")
    assert res.exit_code == 0, res.output
    assert "Warehouse duckdb" in res.output and "opportunities" in res.output and "12" in res.output


def test_digest_preview_from_the_warehouse_is_the_files_digest(monkeypatch, tmp_path, warehouse, small_store_dir):
    """The SMALL store's team digest for Mona (m1), from the warehouse and from --data: the same."""
    args = ("digest", "preview", "--for", "m1", "--as-of", "2026-11-20", "--json")
    env = {"CCOBOT_WAREHOUSE_URL": warehouse, "CCOBOT_HOME": str(tmp_path / "home"), "NO_COLOR": "1"}
    res = ccobot_with(monkeypatch, env, *args)
    files = ccobot_with(monkeypatch, env, *args, "--data", str(small_store_dir))
    assert res.exit_code == 0 and files.exit_code == 0, res.output + files.output
    got, expected = json.loads(res.stdout), json.loads(files.stdout)
    assert got["scope"] == "team" and got["risks"]  # o6 and o7, open deals of Mona's team
    assert got == expected
    assert not (tmp_path / "home" / "demo").exists()


@pytest.fixture()
def people(tmp_path) -> tuple:
    """tests/digest/stores.py's store of one manager (m1, UTC) and a rep with a deal and its history, as
    files and in DuckDB."""
    root = people_store(tmp_path / "people", [("m1", "UTC")])
    url = f"duckdb:///{tmp_path / 'people.duckdb'}"
    load_into(url, root)
    return root, url


def _digest_run_posts(monkeypatch, home, env: dict[str, str], *data: str) -> list[dict]:
    """What `ccobot digest run` posts to m1 at 08:00 UTC on 3 Nov 2026, on a fresh state database."""
    fake = FakeSlack()
    try:
        env = {**env, "CCOBOT_HOME": str(home), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.api_url,
               "CCOBOT_DIGEST_CHART": "false", "DATABASE_URL": f"sqlite:///{home / 'state.db'}"}
        res = ccobot_with(monkeypatch, env, "digest", "run", "--at", "2026-11-03T08:00:00Z", *data)
        assert res.exit_code == 0 and "1 due, 1 sent" in res.output, res.output
        return [{k: m[k] for k in ("text", "blocks", "metadata")} for m in fake.posts_to("Um1")]
    finally:
        fake.close()


def test_digest_run_sends_from_the_warehouse_what_the_files_give(monkeypatch, tmp_path, people):
    root, url = people
    posted = _digest_run_posts(monkeypatch, tmp_path / "wh", {"CCOBOT_WAREHOUSE_URL": url})
    from_files = _digest_run_posts(monkeypatch, tmp_path / "files", {"CCOBOT_WAREHOUSE_URL": url}, "--data", str(root))
    assert len(posted) == 1 and posted == from_files
    assert "1,000" in json.dumps(posted[0]["blocks"])  # the rep's open deal, this quarter's pipeline
    assert not (tmp_path / "wh" / "demo").exists()


def test_serve_starts_its_scheduler_over_a_warehouse(tmp_path, people):
    """`ccobot serve` with CCOBOT_WAREHOUSE_URL: its scheduler runs and sends from the warehouse."""
    from bot.channels.slack.app import SlackBot, make_client
    from bot.channels.slack.outbox import Outbox
    from bot.cli import _digests_in_serve
    from bot.config import Settings
    from bot.core.assistant import Assistant
    from bot.metrics.warehouse import WarehouseEngine
    from bot.state import open_state

    url = people[1]
    fake = FakeSlack()
    settings = Settings(slack_bot_token="xoxb-test", ccobot_warehouse_url=url, _env_file=None)
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    slack = SlackBot(Assistant(WarehouseEngine(url)), state, make_client("xoxb-test", fake.api_url),
                     Outbox())
    sched = _digests_in_serve(settings, state, slack, None)
    try:
        assert sched is not None and sched.scheduler.running
        report = sched.tick(datetime(2026, 11, 3, 8, 0, tzinfo=timezone.utc))  # a tick at m1's due time
        assert report.sent == ["m1"] and len(fake.posts_to("Um1")) == 1
    finally:
        if sched is not None:
            sched.stop()
        slack.outbox.close()
        fake.close()
