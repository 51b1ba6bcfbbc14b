"""The one door to the model: a question's calls share one time budget, and every call logs its
tokens, latency and cost, never its content."""

from __future__ import annotations

import logging
import time

import pytest

from bot.config import Settings
from bot.llm.model import LanguageModel, ModelUnavailable, question_budget


def model_for(fake) -> LanguageModel:
    config = Settings(openai_api_key="sk-test", openai_base_url=fake.url, ccobot_model="m", ccobot_llm_timeout=8.0,
                      ccobot_llm_retries=0, ccobot_llm_usd_per_mtok_in=2.0, ccobot_llm_usd_per_mtok_out=10.0,
                      _env_file=None)
    return LanguageModel.from_settings(config, None)


def test_the_calls_of_one_question_share_its_budget(fake):
    model = model_for(fake)
    fake.replies = [{"hang": 4, "then": "late"}, "never asked"]
    started = time.perf_counter()
    with question_budget(1.5):
        with pytest.raises(ModelUnavailable):
            model.complete("s", "first")  # its own budget is 10 s, the question's 1.5
        with pytest.raises(ModelUnavailable):
            model.complete("s", "second")  # nothing left: not even sent
    assert time.perf_counter() - started < 2.5
    assert len([h for h in fake.history if h["path"] == "/v1/chat/completions"]) == 1
    fake.replies = ["fine"]
    assert model.complete("s", "outside any question") == "fine"  # the deadline went with the question


def test_a_call_logs_tokens_latency_and_cost_but_not_content(fake, caplog):
    model = model_for(fake)
    fake.replies = ["the secret answer"]
    with caplog.at_level(logging.INFO, logger="ccobot.llm"):
        model.complete("system words", "the user's private question")
    (record,) = [r for r in caplog.records if r.getMessage() == "model call"]
    # the fake reports 100 prompt and 20 completion tokens: 100 × $2 + 20 × $10 per million
    assert record.tokens == 120 and record.cost_usd == pytest.approx(0.0004) and record.ms >= 0
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "secret" not in logged and "private question" not in logged and "system words" not in logged
