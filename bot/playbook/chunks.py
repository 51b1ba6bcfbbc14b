"""Documents into passages: by headings first, then paragraphs grouped to a readable size
(LangChain's text splitters). A passage never overlaps its neighbour, so a citation is one
passage, not a run of them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.playbook.documents import Document
from bot.playbook.sentences import normalise, split_sentences

CHUNK_CHARS = 2000  # a passage a reader takes in at a glance; the transcript's speaker turns fit
HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    title: str
    section: str  # heading path, "Ansvarsområder og KPI’er … › Omsætning og vækst"
    lang: str
    position: int  # order within the document
    text: str
    source: str
    sha: str  # of the whole document

    def metadata(self) -> dict:
        return {"doc_id": self.doc_id, "title": self.title, "section": self.section, "lang": self.lang,
                "position": self.position, "source": self.source, "sha": self.sha}


@lru_cache(maxsize=1)
def _by_heading():
    """The splitter, made on first use: LangChain is imported only where documents are indexed (7 MB)."""
    from langchain_text_splitters import MarkdownHeaderTextSplitter

    return MarkdownHeaderTextSplitter(headers_to_split_on=HEADERS, strip_headers=True)


def split(doc: Document) -> list[Chunk]:
    chunks = []
    # Whitespace first: the header splitter drops non-breaking spaces and glues words together.
    for part in _by_heading().split_text(normalise(doc.text)):
        section = " › ".join(part.metadata[h] for _, h in HEADERS if h in part.metadata)
        body = re.sub(r" *\n+", "\n", part.page_content.replace("  \n", "\n"))  # its line breaks, one each
        for piece in _pieces(body, doc.lang):
            if len(piece.strip()) < 20:
                continue
            chunks.append(Chunk(id=f"{doc.id}#{len(chunks)}", doc_id=doc.id, title=doc.title, section=section,
                                lang=doc.lang, position=len(chunks), text=piece.strip(), source=doc.source,
                                sha=doc.sha))
    return chunks


def _pieces(body: str, lang: str) -> list[str]:
    """Lines (paragraphs, list items) grouped up to CHUNK_CHARS; a longer line is cut between
    whole sentences, never inside one."""
    pieces: list[str] = []
    current = ""
    for line in body.splitlines():
        for part in _sentence_runs(line, lang) if len(line) > CHUNK_CHARS else [line]:
            if current and len(current) + len(part) + 1 > CHUNK_CHARS:
                pieces.append(current)
                current = ""
            current = f"{current}\n{part}" if current else part
    return pieces + [current] if current else pieces


def _sentence_runs(line: str, lang: str) -> list[str]:
    """A long paragraph as runs of whole sentences, each up to CHUNK_CHARS."""
    runs: list[str] = []
    for sentence in split_sentences(line, lang):
        if runs and len(runs[-1]) + len(sentence) + 1 <= CHUNK_CHARS:
            runs[-1] += " " + sentence
        else:
            runs.append(sentence)
    return runs
