"""Documents into chunks: by headings first, then by size (LangChain's text splitters)."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from bot.playbook.documents import Document

CHUNK_CHARS = 900
OVERLAP_CHARS = 150
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


_by_heading = MarkdownHeaderTextSplitter(headers_to_split_on=HEADERS, strip_headers=True)
_by_size = RecursiveCharacterTextSplitter(chunk_size=CHUNK_CHARS, chunk_overlap=OVERLAP_CHARS,
                                          separators=["\n\n", "\n", ". ", " ", ""])


def split(doc: Document) -> list[Chunk]:
    chunks = []
    for part in _by_heading.split_text(doc.text):
        section = " › ".join(part.metadata[h] for _, h in HEADERS if h in part.metadata)
        for piece in _by_size.split_text(part.page_content):
            if len(piece.strip()) < 20:
                continue
            chunks.append(Chunk(id=f"{doc.id}#{len(chunks)}", doc_id=doc.id, title=doc.title, section=section,
                                lang=doc.lang, position=len(chunks), text=piece.strip(), source=doc.source,
                                sha=doc.sha))
    return chunks
