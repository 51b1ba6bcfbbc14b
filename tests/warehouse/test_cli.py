"""The command line over a warehouse (CCOBOT_WAREHOUSE_URL): questions are answered there and no
demo store is built; `data check` reads the warehouse; digests, which need deal history the
warehouse backend does not have yet, say so instead of using another store."""

from __future__ import annotations

import json

import pytest

from bot.metrics.warehouse import load_into
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


def test_digests_say_they_need_the_files(monkeypatch, tmp_path, warehouse):
    env = {"CCOBOT_WAREHOUSE_URL": warehouse, "CCOBOT_HOME": str(tmp_path), "SLACK_BOT_TOKEN": "xoxb-test"}
    res = ccobot_with(monkeypatch, env, "digest", "run")
    assert res.exit_code == 2 and "--data" in res.output and not (tmp_path / "demo").exists()
