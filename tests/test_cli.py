"""The command line as scripts use it (contracts/cli.md): output, JSON and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import write_store

runner = CliRunner()


def ccobot(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def ccobot_with(monkeypatch, env: dict[str, str], *args: str):
    """The command line under these settings (the cached settings are read afresh around the call)."""
    from bot.config import get_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CCOBOT_DATA", raising=False)
    get_settings.cache_clear()
    try:
        return ccobot(*args)
    finally:
        get_settings.cache_clear()


def test_kpi_json_answer(small_store_dir):
    res = ccobot("kpi", "win_rate", "--by", "region", "--period", "last quarter", "--json",
                 "--as-of", "2026-11-20", "--data", str(small_store_dir))
    assert res.exit_code == 0, res.output
    answer = json.loads(res.stdout)
    assert answer["kind"] == "kpi" and answer["metric"] == "win_rate" and answer["unit"] == "ratio"
    assert answer["value"] == pytest.approx(4 / 6)
    assert answer["period"] == {"start": "2026-07-01", "end": "2026-09-30"}
    assert answer["group_by"] == ["region"]
    assert {r["region"]: r["value"] for r in answer["rows"]} == pytest.approx({"Nordics": 2 / 3, "DACH": 2 / 3})
    assert answer["citations"] == [] and answer["elapsed_ms"] >= 0
    assert set(answer) >= {"question", "kind", "lang", "text", "metric", "unit", "currency", "value", "period",
                           "filters", "group_by", "rows", "citations", "notes", "elapsed_ms"}


def test_kpi_by_name_with_filters_and_top(small_store_dir):
    res = ccobot("kpi", "Win rate", "--where", "segment=Enterprise,SMB", "--period", "last quarter",
                 "--json", "--as-of", "2026-11-20", "--data", str(small_store_dir))
    answer = json.loads(res.stdout)
    # Enterprise: 2 won of 2; SMB: 1 won (o2), 1 lost (o5)
    assert answer["value"] == pytest.approx(3 / 4)
    assert answer["filters"] == {"segment": ["Enterprise", "SMB"]}
    res = ccobot("kpi", "revenue", "--by", "owner", "--top", "1", "--period", "this year", "--json",
                 "--as-of", "2026-11-20", "--data", str(small_store_dir))
    rows = json.loads(res.stdout)["rows"]
    assert [(r["owner"], r["owner_name"]) for r in rows] == [("r1", "Alice Berg")]


def test_kpi_readable_table(small_store_dir):
    res = ccobot("kpi", "revenue", "--by", "region", "--period", "last quarter", "--as-of", "2026-11-20",
                 "--data", str(small_store_dir))
    assert res.exit_code == 0
    assert "EUR 2,530" in res.stdout and "EUR 2,340" in res.stdout and "Nordics" in res.stdout
    assert "converted to EUR" in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kpi", "flurbo_rate"], "don't know a KPI"),
        (["kpi", "revenue", "--period", "Q5"], "no Q5"),
        (["kpi", "revenue", "--by", "planet"], "can't be broken down"),
        (["kpi", "revenue", "--where", "region=Atlantis"], "no region 'Atlantis'"),
        (["kpi", "revenue", "--where", "region"], "DIM=VALUE"),
        (["kpi", "revenue", "--as-of", "2026-02-30"], "not a date"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(small_store_dir, args, message):
    res = ccobot(*args, "--data", str(small_store_dir))
    assert res.exit_code == 2
    assert message in res.stderr
    assert "Traceback" not in res.output


def test_unknown_metric_suggests_close_ones(small_store_dir):
    res = ccobot("kpi", "win_rat", "--data", str(small_store_dir))
    assert res.exit_code == 2 and "win_rate" in res.stderr


def test_store_that_cannot_load_exits_2(tmp_path):
    res = ccobot("data", "check", "--data", str(tmp_path / "missing"))
    assert res.exit_code == 2 and "does not exist" in res.stderr


def test_data_check_reports_problems_and_kpis(tmp_path):
    root = write_store(tmp_path / "s", {"opportunities.csv": """
        opportunity_id,owner_id,stage,is_closed,is_won,amount,currency,created_date,close_date
        o1,r1,Closed Won,true,true,100,EUR,2026-01-05,2026-02-01
        o2,r1,Closed Won,true,true,100,EUR,2017-02-30,2026-02-01
    """})
    res = ccobot("data", "check", "--data", str(root))
    assert res.exit_code == 0
    out = " ".join(res.stdout.split())
    assert "opportunities.csv, column created_date, row 3" in out and "row set aside" in out
    assert "not available: mrr (needs revenue)" in out
    assert "win_rate" in out.split("KPIs available")[1]


def test_data_demo_then_check(tmp_path):
    out = tmp_path / "demo"
    res = ccobot("data", "demo", "--out", str(out), "--deals", "3000", "--seed", "5", "--as-of", "2026-11-20")
    assert res.exit_code == 0, res.output
    assert (out / "opportunities.parquet").exists() and "opportunities" in res.stdout
    check = ccobot("data", "check", "--data", str(out))
    assert "No problems found" in check.stdout or "row set aside" not in check.stdout
    assert "3,000" in check.stdout


def test_default_store_is_the_demo_built_on_first_use(tmp_path, monkeypatch):
    res = ccobot_with(monkeypatch, {"CCOBOT_HOME": str(tmp_path / "home"), "CCOBOT_DEMO_DEALS": "2000"},
                      "kpi", "deals_created", "--period", "all", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["value"] == 2000
    assert (tmp_path / "home" / "demo" / "store.yml").exists()


def test_installed_console_script(small_store_dir):
    exe = Path(sys.executable).with_name("ccobot")
    proc = subprocess.run([str(exe), "kpi", "revenue", "--period", "last quarter", "--json", "--as-of",
                           "2026-11-20", "--data", str(small_store_dir)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["value"] == pytest.approx(2530.0)


def test_a_bug_gets_an_apology_with_a_reference_not_a_traceback(small_store_dir, tmp_path, monkeypatch, capsys):
    from bot import cli
    from bot.config import get_settings
    from bot.metrics.engine import Engine

    def broken(self, plan, as_of=None, scope=None):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Engine, "run", broken)
    monkeypatch.setenv("CCOBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(sys, "argv", ["ccobot", "kpi", "revenue", "--data", str(small_store_dir)])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
    finally:
        get_settings.cache_clear()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "sorry, something went wrong (reference" in err
    assert "secret internals" not in err and "Traceback" not in err
    log = (tmp_path / "home" / "logs" / "ccobot.log").read_text()
    ref = err.split("reference ")[1][:8]
    assert f"ref {ref}" in log and "RuntimeError: secret internals" in log


def test_users_lists_who_can_be_named(small_store_dir):
    res = ccobot("users", "--role", "manager", "--json", "--data", str(small_store_dir))
    assert res.exit_code == 0, res.output
    people = [json.loads(line) for line in res.stdout.splitlines()]
    # tests/conftest.py SMALL: Greta directs Mona and Max, who manage teams A and B.
    assert [(p["rep_id"], p["name"], p["manager"], p["team"]) for p in people] == [
        ("m0", "Greta Director", "Erin Exec", None), ("m1", "Mona Manager", "Greta Director", "A"),
        ("m2", "Max Manager", "Greta Director", "B")]
    assert people[1]["email"] == "mona@x.example" and people[1]["slack_user_id"] == "UM1"
    table = runner.invoke(app, ["users", "--data", str(small_store_dir)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "9 people" in table.stdout and "alice@x.example" in table.stdout
    bad = ccobot("users", "--role", "boss", "--data", str(small_store_dir))
    assert bad.exit_code == 2 and "admin, exec, manager, rep" in bad.output


def test_an_invalid_setting_is_named_and_exits_2(tmp_path):
    env = {**os.environ, "CCOBOT_HOME": str(tmp_path), "CCOBOT_DEMO_AS_OF": "next tuesday", "NO_COLOR": "1"}
    proc = subprocess.run([str(Path(sys.executable).with_name("ccobot")), "ask", "revenue"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 2
    assert "CCOBOT_DEMO_AS_OF='next tuesday'" in proc.stderr and "Traceback" not in proc.stderr


def test_the_demo_store_follows_its_settings(tmp_path, monkeypatch):
    """CCOBOT_DEMO_AS_OF fixes the demo's day (so figures are reproducible); changing it or
    CCOBOT_DEMO_DEALS rebuilds the demo instead of answering from the old one."""
    store_yml = tmp_path / "home" / "demo" / "store.yml"
    seen = []
    for deals, as_of in (("2000", "2026-11-20"), ("2000", "2026-11-20"), ("2000", "2026-06-30"), ("3000", "")):
        env = {"CCOBOT_HOME": str(tmp_path / "home"), "CCOBOT_DEMO_DEALS": deals, "CCOBOT_DEMO_AS_OF": as_of}
        res = ccobot_with(monkeypatch, env, "kpi", "deals_created", "--period", "all", "--json")
        assert res.exit_code == 0, res.output
        seen.append((json.loads(res.stdout)["value"], store_yml.stat().st_mtime_ns, "as_of: '" + (as_of or "") in
                     store_yml.read_text()))
    assert [s[0] for s in seen] == [2000, 2000, 2000, 3000]
    assert seen[0][1] == seen[1][1] != seen[2][1] != seen[3][1]  # the same settings reuse the store
    assert seen[0][2] and seen[2][2]
