"""Playbook answers streamed as the model writes them: only checked text reaches the sink, in
pieces that always add up to the beginning of what `checked` makes of the whole reply, and
nothing at all for a reply that is NOT_COVERED or cites nothing. The model's stream keeps the
same budget, breaker and token count as its other calls."""

from __future__ import annotations

import random
import time

import pytest

from bot.config import Settings
from bot.core.assistant import Assistant
from bot.llm.model import LanguageModel, ModelUnavailable
from bot.llm.playbook import Checked, PlaybookWriter, checked, safe_cut
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.playbook.chunks import Chunk
from bot.playbook.index import Hit
from bot.playbook.service import Playbook
from bot.state import open_state
from tests.conftest import AS_OF
from tests.fakes.openai_server import dropping_after

QUESTION = "Hvad er kommerciel drift?"
TRANSLATED = "en: What is commercial operations?\nsv: Vad är kommersiell drift?"
HITS = [Hit(Chunk(f"c{i}", "doc", "Title", "Section", "en", i, f"Passage {i}, see https://ok.example/p{i} for more.",
                  "src", "sha"), 1.0, 1.0) for i in (1, 2, 3)]
# Replies that test every rule at once: specials (one spanning sentences and a line), a foreign link
# and a passage's, a citation of a passage not given, renumbering, lists, runs of spaces.
REPLIES = [
    "Kommerciel drift samler salg [2]. <!channel> Den sikrer kunderejsen [1][2]. Se https://ok.example/p1 og "
    "https://evil.example/x [9].\n- Salg [3]\n- Service [2]  \n\nSlut.  ",
    "<!subteam^S1|a. b.\nc> Hej [1]. <@U123> der. Spørg @here nu [2]. @channel!",
    "Først [1]. <!subteam^S1|a. b.\nc> Hej [2]. <@U9\nx. y> z [3].",
    "Indledning uden kilde. Så [1]. <!åben. mere tekst [2]. og slut",
    "   Mellemrum    først [3].   Hale [1]   ",
    "[3] først. [1][1][2] x. [12] [2 ] [1",
]


def streamed(raw: str, pieces_of: list[int]) -> tuple[list[str], list[str]]:
    """Feed `raw` in pieces of the given sizes; the sink's pieces and, after each feed, what it had."""
    got: list[str] = []
    seen: list[str] = []
    shown = Checked(HITS, got.append)
    i = 0
    for n in pieces_of:
        shown.feed(raw[i:i + n])
        seen.append("".join(got))
        i += n
    shown.feed(raw[i:])
    return got, seen


@pytest.mark.parametrize("raw", REPLIES)
def test_streamed_pieces_are_always_the_beginning_of_the_checked_whole(raw):
    final = checked(raw, HITS)[0]
    rng = random.Random(raw)
    for _ in range(300):  # every way a server may cut the reply into chunks
        sizes = [rng.randint(1, 9) for _ in range(len(raw))]
        got, seen = streamed(raw, sizes)
        assert all(final.startswith(s) for s in seen)
        assert got, "a reply citing passages is streamed before it ends"
        shown = Checked(HITS, got.append)
        shown.sent = "".join(got)
        shown.finish(final)
        assert "".join(got) == final
        assert all(p[:1].isspace() for p in got[1:])  # later pieces start with the space between them
    for bad in ("<!channel>", "<!subteam", "evil.example", "<@U123>", "@here", "@channel", "[9]", "[12]"):
        assert bad not in final


def test_the_final_text_is_what_checked_makes_of_the_whole_reply_not_a_guess():
    raw = REPLIES[0]
    got, _ = streamed(raw, [7] * (len(raw) // 7 + 1))
    text = "".join(got)
    assert text.startswith("Kommerciel drift samler salg [1]. Den sikrer kunderejsen [2][1].")  # renumbered
    assert "https://ok.example/p1" in text and "[3]" not in text.split("\n")[0]


def test_nothing_is_shown_before_a_citation_nor_for_not_covered_or_an_answer_citing_nothing():
    for raw in ("NOT_COVERED", "NOT_COVERED.", " not_covered ", "An answer. That cites. Nothing at all.\n",
                "Cites a passage not given [7]. Twice [8].\n"):
        got, _ = streamed(raw, [3] * len(raw))
        assert got == []
    got, seen = streamed("First sentence has no citation. Second has [1]. Third.", [1] * 60)
    assert seen[40] == "" and got[0] == "First sentence has no citation. Second has [1]."


def test_a_cut_never_falls_inside_a_special_nor_before_a_sentence_ends():
    assert safe_cut("Hello there") == 0
    assert safe_cut("Hello. There") == len("Hello. ")
    assert safe_cut("One. <!sub. team> Two. ") == len("One. <!sub. team> Two. ")
    assert safe_cut("One. <!sub. team Two. ") == len("One. ")  # held until the special closes
    assert safe_cut("- a\n- b") == len("- a\n")


class Scripted:
    """A model whose stream gives `chunks`, then fails when `fail` says so."""

    def __init__(self, chunks: list[str], fail: bool = False) -> None:
        self.chunks, self.fail = chunks, fail

    def stream(self, system: str, user: str, budget: float = 10.0):
        yield from self.chunks
        if self.fail:
            raise ModelUnavailable("dropped")


def test_the_writer_streams_only_what_it_returns_and_raises_as_before():
    got: list[str] = []
    raw = REPLIES[1]
    text, cites = PlaybookWriter(Scripted([raw[i:i + 5] for i in range(0, len(raw), 5)])).write("q", "da", HITS, got.append)
    assert "".join(got) == text == checked(raw, HITS)[0] and len(got) >= 2 and len(cites) == 2
    got.clear()
    assert PlaybookWriter(Scripted(["NOT_", "COVERED"])).write("q", "da", HITS, got.append) is None and got == []
    with pytest.raises(ValueError):
        PlaybookWriter(Scripted(["No source. ", "None at all.\n"])).write("q", "da", HITS, got.append)
    assert got == []
    with pytest.raises(ModelUnavailable):  # midway: the face holds a beginning it must replace
        PlaybookWriter(Scripted(["Begins well [1]. ", "and then"], fail=True)).write("q", "da", HITS, got.append)
    assert got == ["Begins well [1]."]


# ---------------------------------------------------------------- through the real client

def model(fake, tmp_path, **settings) -> LanguageModel:
    config = Settings(openai_api_key="sk-test", openai_base_url=fake.url, ccobot_model="test-model",
                      ccobot_llm_timeout=settings.pop("timeout", 3.0), ccobot_llm_retries=0, _env_file=None, **settings)
    return LanguageModel.from_settings(config, open_state(f"sqlite:///{tmp_path / 's.db'}"))


def test_the_model_streams_through_chat_completions_and_counts_the_tokens(fake, tmp_path):
    fake.replies = ["Kommerciel drift samler salg og marketing [1]. Den sikrer kunderejsen [1]."]
    lm = model(fake, tmp_path)
    pieces = list(lm.stream("system", "user"))
    assert "".join(pieces) == fake.replies[0] and len(pieces) > 5  # 7 characters a chunk
    body = fake.history[-1]["body"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert lm.used() == 120  # from the usage chunk at the end


def test_a_stream_that_does_not_finish_in_its_budget_fails_and_the_breaker_counts_it(fake, tmp_path):
    fake.replies = [{"hang": 3, "then": "Late [1]."}]
    lm = model(fake, tmp_path)
    started = time.monotonic()
    with pytest.raises(ModelUnavailable):
        list(lm.stream("s", "u", budget=0.5))
    assert time.monotonic() - started < 1.5
    fake.replies = [{"status": 500}]
    for _ in range(2):
        with pytest.raises(ModelUnavailable):
            list(lm.stream("s", "u"))
    asked = len(fake.history)
    with pytest.raises(ModelUnavailable, match="breaker"):  # three failures in a row: not asked again
        list(lm.stream("s", "u"))
    assert len(fake.history) == asked and lm.used() == 0


def test_a_streamed_playbook_answer_is_the_answer_and_a_failure_midway_falls_back(index, fake, small_store_dir, tmp_path):
    lm = model(fake, tmp_path)
    bot = Assistant(Engine(load_store(small_store_dir)), playbook=Playbook(index, PlaybookWriter(lm)))
    fake.replies = [TRANSLATED, "Kommerciel drift samler salg, marketing og kundeservice [2]. <!here> Den skal "
                                "sikre en sammenhængende kunderejse [2][9].\n- Salg [1]"]
    got: list[str] = []
    answer = bot.ask(QUESTION, as_of=AS_OF, stream=got.append)
    assert answer.engine == "llm" and answer.kind == "playbook" and len(got) >= 3
    assert "".join(got) == answer.text and answer.text.startswith("Kommerciel drift samler salg, marketing og "
                                                                   "kundeservice [1]. Den skal")
    assert "<!here>" not in answer.text and "[9]" not in answer.text

    lm.chat = dropping_after(lm.chat, 12)
    fake.replies = [TRANSLATED, "Kommerciel drift samler salg [1]. Den skal sikre en sammenhængende kunderejse [1]."]
    got.clear()
    answer = bot.ask(QUESTION, as_of=AS_OF, stream=got.append)
    offline = Assistant(Engine(load_store(small_store_dir)), playbook=Playbook(index)).ask(QUESTION, as_of=AS_OF)
    assert got == ["Kommerciel drift samler salg [1]."]  # shown before it failed: the face replaces it
    assert answer.engine == "offline" and answer.text == offline.text and answer.notes
