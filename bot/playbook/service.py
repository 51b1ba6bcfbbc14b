"""The playbook as the assistant uses it: indexed on first start when missing or stale, asked
while a rebuild runs ("being indexed"), answered with citations in the asker's language."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field, replace
from typing import Callable

from bot.core.i18n import t
from bot.llm.model import ModelUnavailable
from bot.llm.playbook import PlaybookWriter
from bot.playbook import answer as compose
from bot.playbook.index import Hit, PlaybookIndex, SyncReport

log = logging.getLogger("ccobot.playbook")


# "what's our commission plan?", "hvad er vores rejsepolitik?": a document of the company's own, which a playbook
# speaking of such plans in general does not hold (said beside its passages)
OWN_DOCUMENT = re.compile(r"^\W*(?:what(?:'s|s| is| are)|where(?:'s| is)|hvad er|hvor er|vad är|var finns)\s+(?:our|the|vores|"
                          r"den|det|vår|vårt|våra)\s+(?:[\w-]+\s+){0,2}?(?:[\w-]*(?:plan|planen|policy|policyn|"
                          r"policies|politik|politikken|process|procedure|proces|processen|rules|regler|reglerne|reglerna|"
                          r"guidelines|retningslinjer|riktlinjer|handbook|håndbog|handbok))\W*$", re.I)
UNTOLD = 0.6  # the share of a question's weight in words the playbook has no trace of, past which it is not covered


@dataclass
class PlaybookReply:
    text: str
    citations: list[dict]
    covered: bool
    indexing: bool = False
    engine: str = "offline"  # llm: the language model wrote it from the passages
    notes: list[str] = field(default_factory=list)


INDEX_WAIT = 10.0  # seconds a playbook question waits for the indexing under way before it is told to ask again
MORE = 3  # the passages an answer is read from (search's k): "tell me more" reads the next ones


class Playbook:
    def __init__(self, index: PlaybookIndex, writer: PlaybookWriter | None = None) -> None:
        self.index = index
        self.writer = writer  # a language model that writes answers from the passages; None: offline
        self.last_report: SyncReport | None = None
        self._thread: threading.Thread | None = None
        self._recent: dict[tuple[str, int, int], list[Hit]] = {}
        self.index_wait = INDEX_WAIT

    def start(self, wait: bool, apart: bool = False) -> None:
        """Open the index, or (re)build it: now when `wait`, else in the background; `apart`: in a child
        process (the bot's own wiring: its settings say how), here when that fails."""
        if self.index.open():
            return
        self.index.state = "indexing"
        build = (lambda: self.index.sync_apart() or self._build()) if apart else self._build
        if wait:
            build()
        else:
            self._thread = threading.Thread(target=build, daemon=True, name="playbook-index")
            self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for background indexing, if any, to end (at most `timeout` seconds)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _build(self) -> None:
        try:
            self.last_report = self.index.sync()
            if self.last_report.rebuilt:
                log.warning("playbook: %s", self.last_report.rebuilt)
        except Exception:
            log.exception("playbook indexing failed")

    def search(self, question: str, k: int = 3) -> list[Hit]:
        """The best passages; the last few searches are remembered (routing and answering look up
        the same text)."""
        key = (question, k, id(self.index.chunks))
        if key not in self._recent:
            self._recent[key] = self.index.search(question, k)
            while len(self._recent) > 64:
                self._recent.pop(next(iter(self._recent)))
        return self._recent[key]

    def evidence(self, text: str) -> float:
        """How much of a text the best passages speak of (0–1): the playbook's say in routing. While
        the index is being built it claims nothing, so numbers are still answered."""
        hits = self.search(text) if self.index.chunks else []
        return max((h.coverage for h in hits), default=0.0)

    def _with_translations(self, question: str, lang: str, hits: list[Hit], k: int = 4) -> list[Hit]:
        """The question's passages and those its translations find in the other languages' own
        words, the best first (a passage found twice keeps its better score)."""
        best = {id(h.chunk): h for h in hits}
        for text in self.writer.translations(question, lang):
            for h in self.search(text):
                if id(h.chunk) not in best or h.score > best[id(h.chunk)].score:
                    best[id(h.chunk)] = h
        return sorted(best.values(), key=lambda h: -h.score)[:k]

    def ask(self, question: str, lang: str, stream: Callable[[str], None] | None = None,
            about: tuple[tuple[str, ...], ...] = (), more: int = 0) -> PlaybookReply:
        """`about`: names of which a passage must speak to answer, one of each group (a KPI's, beside its figure;
        both KPIs' when two are asked apart); `more`: "tell me more" after its answer (once, twice …), from the
        passages after those it was answered from."""
        if self.index.state == "indexing" and not self.index.chunks:
            self.join(self.index_wait)  # a first start's index is seconds away: the question waits for it, a while
        if self.index.state == "indexing" and not self.index.chunks:
            done, total = self.index.progress
            return PlaybookReply(compose.message("indexing", lang, done=done, total=max(total, done)), [], False, True)
        hits = self.search(question, k=(more + 1) * MORE)[more * MORE:]
        if about:
            hits = [h for h in hits if all(compose.speaks_of(h, names) for names in about)] or [
                replace(h, coverage=0.0) for h in hits]
        if more and not compose.covered(hits):
            return PlaybookReply(compose.message("no_more", lang), [], False)
        # "a company car", "moms på en faktura": about something the playbook has no trace of (looked at only
        # when the passages would answer)
        covered = compose.covered(hits) and not (lang == "en" and self.index.unknown_thing(question) is not None
                                                 or self.index.untold(question) >= UNTOLD)
        notes: list[str] = []
        if covered and self.writer is not None:
            passages = self._with_translations(question, lang, hits)
            try:  # (if the model fails, the offline answer follows from the question's own passages)
                written = self.writer.write(question, lang, passages, stream=stream)
            except (ModelUnavailable, ValueError):  # down, slow, over budget, or an answer citing nothing
                notes.append(t("llm_unavailable", lang))
            else:
                if written is None:  # the model read the passages and found no answer in them
                    return PlaybookReply(compose.not_covered(passages, lang), [], False, engine="llm")
                return PlaybookReply(*written, True, engine="llm")
        composed = compose.compose(question, hits, lang, self.index) if covered else None
        if composed is None:
            return PlaybookReply(compose.not_covered(hits, lang), [], False, notes=notes)
        if OWN_DOCUMENT.match(question):
            notes.append(t("pb_in_general", lang))
        return PlaybookReply(*composed, True, notes=notes)
