"""tests/eval/kpi_dev.jsonl on the demo store as of 2026-11-20: resolved as listed, values right.

"Right" means the answer's value and rows equal what the engine computes for the expected
plan, built here from the file without the parser (the engine itself is pinned by
tests/metrics). Playbook questions are answered from the indexed knowledge/ folder.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.core.assistant import Assistant
from bot.metrics import demo
from bot.metrics.engine import Engine
from bot.metrics.plan import QueryPlan
from bot.metrics.store import load_store
from bot.playbook.embeddings import HashingEmbedder
from bot.playbook.index import PlaybookIndex
from bot.playbook.service import Playbook
from tests.paths import EVAL, KNOWLEDGE

AS_OF = date(2026, 11, 20)
DEV = EVAL / "kpi_dev.jsonl"
CASES = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval-demo")
    demo.write_demo(out, seed=7, deals=20_000, as_of=AS_OF)
    engine = Engine(load_store(out))
    reps = engine.store.tables["reps"]
    rep = str(reps.loc[reps["role"] == "rep", "rep_id"].iloc[0])
    index = PlaybookIndex(KNOWLEDGE, out / "home", HashingEmbedder())
    playbook = Playbook(index)
    playbook.start(wait=True)
    return Assistant(engine, playbook=playbook), engine, rep


def test_the_eval_file_is_there():
    assert len(CASES) >= 20, f"expected the development set at {DEV}"


@pytest.mark.parametrize("case", CASES, ids=[c["q"][:50] for c in CASES])
def test_kpi_dev(world, case):
    assistant, engine, rep = world
    user = rep if case.get("user") == "@rep" else None
    answer = assistant.ask(case["q"], user=user, as_of=AS_OF)
    expect = case["expect"]
    assert answer.kind == expect["kind"], answer.text
    if expect["kind"] != "kpi":
        return
    filters = {dim: rep if value == "@rep" else value for dim, value in expect["filters"].items()}
    period = [answer.period["start"], answer.period["end"]] if answer.period else None
    assert (answer.metric, period, answer.filters, answer.group_by) == (
        expect["metric"], expect["period"], filters, expect["group_by"])
    if "lang" in expect:
        assert answer.lang == expect["lang"]
    plan = QueryPlan(metric=expect["metric"], filters=filters, group_by=expect["group_by"],
                     period="..".join(expect["period"]) if expect["period"] else
                     ("all" if engine.catalog.kpis[expect["metric"]].forward else None))
    scope = frozenset({rep}) if user else None
    truth = engine.run(plan, as_of=AS_OF, scope=scope)
    assert answer.value == pytest.approx(truth.value)
    assert [r["value"] for r in answer.rows] == pytest.approx([r["value"] for r in truth.rows])
