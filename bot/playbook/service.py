"""The playbook as the assistant uses it: indexed on first start when missing or stale, asked
while a rebuild runs ("being indexed"), answered with citations in the asker's language."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bot.playbook import answer as compose
from bot.playbook.index import Hit, PlaybookIndex, SyncReport

log = logging.getLogger("ccobot.playbook")


@dataclass
class PlaybookReply:
    text: str
    citations: list[dict]
    covered: bool
    indexing: bool = False


class Playbook:
    def __init__(self, index: PlaybookIndex) -> None:
        self.index = index
        self.last_report: SyncReport | None = None
        self._thread: threading.Thread | None = None

    def start(self, wait: bool) -> None:
        """Open the index, or (re)build it: now when `wait`, else in the background."""
        if self.index.open():
            return
        self.index.state = "indexing"
        if wait:
            self._build()
        else:
            self._thread = threading.Thread(target=self._build, daemon=True, name="playbook-index")
            self._thread.start()

    def _build(self) -> None:
        try:
            self.last_report = self.index.sync()
            if self.last_report.rebuilt:
                log.warning("playbook: %s", self.last_report.rebuilt)
        except Exception:
            log.exception("playbook indexing failed")

    def search(self, question: str, k: int = 3) -> list[Hit]:
        return self.index.search(question, k)

    def ask(self, question: str, lang: str) -> PlaybookReply:
        if self.index.state == "indexing" and not self.index.chunks:
            done, total = self.index.progress
            return PlaybookReply(compose.message("indexing", lang, done=done, total=max(total, done)), [], False, True)
        hits = self.search(question)
        if not compose.covered(hits):
            return PlaybookReply(compose.message("not_covered", lang), [], False)
        text, citations = compose.compose(question, hits, lang)
        return PlaybookReply(text, citations, True)
