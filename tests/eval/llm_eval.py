"""The language-model evaluation: questions the offline step misses (tests/eval/llm_misses.jsonl),
each with the plain question it means. A question is resolved when the model path answers it
exactly as the offline step answers the plain form (kind, KPI, value, period, filters, rows),
and held when it has no plain form and the question back stands (never a guess).

tests/llm/test_eval_llm.py runs it against the local fake server, scripted with the realistic
model readings in the file; `make eval-llm` runs it against a real endpoint (OPENAI_API_KEY,
OPENAI_BASE_URL, CCOBOT_MODEL) and is skipped without a key.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bot.core.answer import Answer
from bot.core.assistant import Assistant

HERE = Path(__file__).parent
QUESTIONS = HERE / "llm_misses.jsonl"


def load() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def same(a: Answer, b: Answer) -> bool:
    """Do two answers say the same thing (numbers, scope, period, rows in their order, parts)?"""
    def key(x: Answer) -> tuple:
        return (x.kind, x.metric, x.value, x.period, x.filters, x.group_by, x.change, x.limit,
                json.dumps(x.rows, sort_keys=True, default=str), tuple(key(p) for p in x.parts))
    return key(a) == key(b)


@dataclass
class Report:
    outcomes: list[tuple[str, str]] = field(default_factory=list)  # (question, resolved/held/missed)
    added_ms: list[float] = field(default_factory=list)

    @property
    def resolved(self) -> int:
        return sum(1 for _, o in self.outcomes if o in ("resolved", "held"))

    def text(self) -> str:
        lines = [f"{o:8} {q}" for q, o in self.outcomes]
        median = statistics.median(self.added_ms) if self.added_ms else 0.0
        lines.append(f"\n{self.resolved}/{len(self.outcomes)} resolved or rightly held; "
                     f"offline alone: 0/{len(self.outcomes)}; median latency the model path adds: {median:.0f} ms")
        return "\n".join(lines)


def run(with_model: Assistant, offline: Assistant, rows: list[dict], as_of=None,
        before: Callable[[dict], None] | None = None) -> Report:
    """`before(row)` scripts a fake model for the row; nothing for a real endpoint."""
    report = Report()
    for row in rows:
        started = time.perf_counter()
        alone = offline.ask(row["question"], user=row["user"], as_of=as_of)
        offline_ms = (time.perf_counter() - started) * 1000
        if before is not None:
            before(row)
        started = time.perf_counter()
        answer = with_model.ask(row["question"], user=row["user"], as_of=as_of)
        report.added_ms.append((time.perf_counter() - started) * 1000 - offline_ms)
        if row["plain"] is None:
            outcome = "held" if answer.kind == "clarify" and answer.engine == "offline" else "missed"
        else:
            expected = offline.ask(row["plain"], user=row["user"], as_of=as_of)
            outcome = "resolved" if answer.engine == "llm" and same(answer, expected) and not same(alone, expected) \
                else "missed"
        report.outcomes.append((row["question"], outcome))
    return report


def main() -> int:
    """`make eval-llm`: the same evaluation against the configured endpoint."""
    from bot.config import get_settings
    from bot.llm.model import LanguageModel
    from bot.llm.understand import ModelReader
    from bot.metrics.engine import Engine
    from bot.metrics.store import load_store
    from tests.conftest import AS_OF, SMALL, write_store

    settings = get_settings()
    if settings.openai_api_key is None:
        print("eval-llm skipped: no OPENAI_API_KEY (set it, and OPENAI_BASE_URL for a local server)")
        return 0
    print(f"eval-llm: model {settings.ccobot_model} at {settings.openai_base_url or 'OpenAI'}")
    engine = Engine(load_store(write_store(Path(tempfile.mkdtemp()), SMALL, "base_currency: EUR\nas_of: 2026-11-20\n")))
    model = LanguageModel.from_settings(settings, None)
    report = run(Assistant(engine, reader=ModelReader(model, engine, playbook=False)), Assistant(engine), load(), AS_OF)
    print(report.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
