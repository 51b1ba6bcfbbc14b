"""The evaluation of the model path on questions the offline step misses, against the local fake
server scripted with realistic model readings (tests/eval/llm_eval.py; `make eval-llm` runs the
same against a real endpoint)."""

from __future__ import annotations

from bot.config import Settings
from bot.core.assistant import Assistant
from bot.llm.model import LanguageModel
from bot.llm.understand import ModelReader
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from tests.conftest import AS_OF
from tests.eval import llm_eval
from tests.fakes.openai_server import FakeOpenAI


def test_the_model_path_resolves_what_the_offline_step_misses_and_never_guesses(small_store_dir, capsys):
    rows = llm_eval.load()
    engine = Engine(load_store(small_store_dir))
    offline = Assistant(engine)
    for row in rows:  # the set is made of misses: offline, no question is answered as its plain form
        alone = offline.ask(row["question"], user=row["user"], as_of=AS_OF)
        if row["plain"] is not None:
            assert not llm_eval.same(alone, offline.ask(row["plain"], user=row["user"], as_of=AS_OF)), row["question"]
    with FakeOpenAI() as fake:
        config = Settings(openai_api_key="sk-test", openai_base_url=fake.url, ccobot_model="test-model",
                          ccobot_llm_timeout=3.0, ccobot_llm_retries=0, _env_file=None)
        model = LanguageModel.from_settings(config, None)
        with_model = Assistant(engine, reader=ModelReader(model, engine, playbook=False))
        report = llm_eval.run(with_model, offline, rows, AS_OF, before=lambda row: setattr(fake, "replies", list(row["replies"]) + ["{}"]))
    print(report.text())
    missed = [q for q, outcome in report.outcomes if outcome == "missed"]
    assert missed == []
    assert sum(1 for _, o in report.outcomes if o == "held") == sum(1 for r in rows if r["plain"] is None) >= 2


def _main_with(monkeypatch, env: dict) -> None:
    from bot.config import get_settings

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(llm_eval.HERE)  # no .env here
    get_settings.cache_clear()
    try:
        assert llm_eval.main() == 0
    finally:
        get_settings.cache_clear()


def test_make_eval_llm_is_skipped_without_a_key(monkeypatch, capsys):
    _main_with(monkeypatch, {})
    assert "skipped: no OPENAI_API_KEY" in capsys.readouterr().out


def test_make_eval_llm_asks_the_configured_endpoint_and_reports(monkeypatch, capsys):
    with FakeOpenAI() as fake:  # a model that reads nothing: every question stays a question back
        fake.replies = ['{"parts": [], "unused_words": []}']
        _main_with(monkeypatch, {"OPENAI_API_KEY": "sk-eval", "OPENAI_BASE_URL": fake.url, "CCOBOT_MODEL": "m-eval"})
    out = capsys.readouterr().out
    rows = llm_eval.load()
    held = sum(1 for r in rows if r["plain"] is None)
    assert f"{held}/{len(rows)} resolved or rightly held" in out
    chats = [h for h in fake.history if h["path"] == "/v1/chat/completions"]
    assert chats and all(h["auth"] == "Bearer sk-eval" and h["body"]["model"] == "m-eval" for h in chats)
