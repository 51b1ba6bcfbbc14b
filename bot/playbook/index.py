"""The playbook index: chunks and their embeddings in Chroma, a BM25 index beside it, hybrid search.

Chroma persists in a folder under CCOBOT_HOME, or lives on a server (CHROMA_URL). Indexing
is incremental: a document whose bytes did not change keeps its chunks; a removed document
loses them. The collection records which embedder built it, and a different embedder
rebuilds it rather than mixing vectors. An unreadable index is moved aside and rebuilt.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

import bm25s
import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from bot.nlu.text import stem
from bot.playbook.chunks import Chunk, split
from bot.playbook.documents import load_documents
from bot.playbook.embeddings import Embedder, concepts, words

log = logging.getLogger("ccobot.playbook")
COLLECTION = "playbook"
CANDIDATES = 20  # from each retriever, before fusion
RRF_K = 60
VECTOR_TIMEOUT = 3.0  # seconds
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="playbook-vector")
DEFINITION = re.compile(r"^\s*(?:what is|what are|what's|hvad er|hvad betyder|vad är|vad betyder|define)\b")
ROLE_QUESTION = re.compile(r"\bwhat does (?:a|an|the) .+ do\b|\bhvad (?:gør|laver) (?:en|et|man)\b|"
                           r"\bvad (?:gör|jobbar) (?:en|ett|man)\b|\brole of\b|\brollen som\b|\brollen för\b")


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    rebuilt: str | None = None  # why the whole index was rebuilt, if it was
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # reciprocal-rank fusion score
    coverage: float  # share of the question's words the passage speaks of


def terms(word: str, langs: tuple[str, ...]) -> set[str]:
    """A word's search terms: its stems in the given languages and its shared concepts."""
    out = {stem(word, lang) for lang in langs}
    out |= {f"§{c}" for c in concepts(word)}
    return out


def pairs(ws: list[str]) -> list[str]:
    """Concept pairs of neighbouring words: "commercial operations" and "kommerciel drift" meet."""
    out = []
    for a, b in zip(ws, ws[1:]):
        out += [f"§{x}+{y}" for x in concepts(a) for y in concepts(b) if x != y]
    return out


def chunk_terms(chunk: Chunk, common: set[str] = frozenset()) -> list[str]:
    """BM25 terms of a chunk: its own headings twice (they say what it is about), then its text.
    Not the document title nor a heading over most of the document (`common`): those repeat in
    every chunk and would blur them."""
    own = " ".join(part for part in chunk.section.split(" › ") if part not in common)
    ws = words(f"{own} {own} {chunk.text}")
    out: list[str] = []
    for w in ws:
        out.extend(terms(w, (chunk.lang,) if chunk.lang in ("en", "da", "sv") else ("en",)))
    if DEFINITION.search(chunk.section.split(" › ")[-1].lower()):
        out += ["§definition", "§definition"]  # a section headed "What is …?" defines its subject
    return out + pairs(ws)


class PlaybookIndex:
    def __init__(self, knowledge: Path, home: Path, embedder: Embedder, chroma_url: str | None = None) -> None:
        self.knowledge = Path(knowledge)
        self.folder = Path(home) / "chroma"
        self.embedder = embedder
        self.chroma_url = chroma_url
        self.state = "unloaded"  # unloaded, indexing, ready, failed
        self.progress = (0, 0)  # documents done, documents to do
        self._lock = threading.Lock()
        self._client = None
        self._chunks: list[Chunk] = []
        self._by_id: dict[str, int] = {}
        self._bm25: bm25s.BM25 | None = None
        self._terms: list[set[str]] = []
        self._collection_ref = None
        # The offline hashing vectors mostly repeat what BM25 sees, so they count for less in the
        # fusion; a semantic model (sentence-transformers, OpenAI) counts as much as BM25.
        self.vector_weight = 0.5 if embedder.name.startswith("hashing") else 1.0

    # ------------------------------------------------------------ Chroma

    def _connect(self):
        if self._client is None:
            settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
            if self.chroma_url:
                url = urlparse(self.chroma_url)
                self._client = chromadb.HttpClient(host=url.hostname, port=url.port or 8000,
                                                   ssl=url.scheme == "https", settings=settings)
            else:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(self.folder), settings=settings)
        return self._client

    def _collection(self, report: SyncReport):
        """The collection, made by this embedder; a different embedder's or an unreadable one is rebuilt."""
        try:
            client = self._connect()
            col = client.get_or_create_collection(COLLECTION, metadata={"embedder": self.embedder.name,
                                                                        "hnsw:space": "cosine"})
            built_by = (col.metadata or {}).get("embedder")
            if built_by != self.embedder.name:
                report.rebuilt = f"the index was built with {built_by}; rebuilding it with {self.embedder.name}"
                client.delete_collection(COLLECTION)
                col = client.create_collection(COLLECTION, metadata={"embedder": self.embedder.name,
                                                                     "hnsw:space": "cosine"})
            col.count()
            return col
        except Exception as exc:
            if self.chroma_url:
                raise
            report.rebuilt = f"the index in {self.folder} was unreadable ({type(exc).__name__}); rebuilt it"
            log.warning("playbook index unreadable, rebuilding: %s", exc)
            self._reset_folder()
            return self._connect().get_or_create_collection(COLLECTION, metadata={"embedder": self.embedder.name,
                                                                                  "hnsw:space": "cosine"})

    def _reset_folder(self) -> None:
        from chromadb.api.shared_system_client import SharedSystemClient

        self._client = None
        SharedSystemClient.clear_system_cache()
        if self.folder.exists():
            shutil.move(str(self.folder), str(self.folder.with_name(f"chroma.unreadable-{int(time.time())}")))

    # ------------------------------------------------------------ indexing

    def sync(self, progress: Callable[[int, int], None] | None = None) -> SyncReport:
        """Bring the index in line with the knowledge folder; embed only what changed."""
        with self._lock:
            self.state = "indexing"
            try:
                report = self._sync(progress)
                self.state = "ready"
                return report
            except Exception:
                self.state = "failed"
                raise

    def _sync(self, progress: Callable[[int, int], None] | None) -> SyncReport:
        report = SyncReport()
        docs, report.problems = load_documents(self.knowledge)
        col = self._collection(report)
        stored = col.get(include=["metadatas"])
        have = {m["doc_id"]: m["sha"] for m in stored["metadatas"]}
        wanted = {d.id: d for d in docs}
        for doc_id in sorted(set(have) - set(wanted)):
            col.delete(where={"doc_id": doc_id})
            report.removed.append(doc_id)
        todo = [d for d in docs if have.get(d.id) != d.sha]
        report.unchanged = [d.id for d in docs if have.get(d.id) == d.sha]
        self.progress = (0, len(todo))
        for n, doc in enumerate(todo, 1):
            if doc.id in have:
                col.delete(where={"doc_id": doc.id})
                report.updated.append(doc.id)
            else:
                report.added.append(doc.id)
            chunks = split(doc)
            if chunks:
                vectors = self.embedder.embed([f"{c.title} › {c.section}\n{c.text}" for c in chunks])
                col.add(ids=[c.id for c in chunks], embeddings=vectors.tolist(), documents=[c.text for c in chunks],
                        metadatas=[c.metadata() for c in chunks])
                report.embedded += len(chunks)
            self.progress = (n, len(todo))
            if progress:
                progress(n, len(todo))
        self._load(col)
        report.chunks = len(self._chunks)
        return report

    def _load(self, col) -> None:
        """Chunks from Chroma into memory, and the BM25 index over them."""
        got = col.get(include=["documents", "metadatas"])
        chunks = [Chunk(id=i, text=t, **{k: m[k] for k in ("doc_id", "title", "section", "lang", "position",
                                                            "source", "sha")})
                  for i, t, m in zip(got["ids"], got["documents"], got["metadatas"])]
        chunks.sort(key=lambda c: (c.doc_id, c.position))
        common = _common_headings(chunks)
        corpus = [chunk_terms(c, common.get(c.doc_id, set())) for c in chunks]
        bm25 = None
        if chunks:
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        self._chunks, self._bm25 = chunks, bm25
        self._by_id = {c.id: i for i, c in enumerate(chunks)}
        self._terms = [set(t) for t in corpus]
        self._collection_ref = col

    def stale(self) -> bool:
        """Does the knowledge folder differ from what the index holds (or is there no index)?"""
        docs, _ = load_documents(self.knowledge)
        try:
            col = self._connect().get_collection(COLLECTION)
            if (col.metadata or {}).get("embedder") != self.embedder.name:
                return True
            have = {m["doc_id"]: m["sha"] for m in col.get(include=["metadatas"])["metadatas"]}
        except Exception:
            return True
        return have != {d.id: d.sha for d in docs}

    def open(self) -> bool:
        """Load an existing, current index without re-indexing; False when it must be (re)built."""
        with self._lock:
            if self.stale():
                return False
            self._load(self._connect().get_collection(COLLECTION))
            self.state = "ready"
            return True

    # ------------------------------------------------------------ search

    @property
    def chunks(self) -> list[Chunk]:
        return self._chunks

    def search(self, question: str, k: int = 3) -> list[Hit]:
        """Vector search fused with BM25 (reciprocal rank fusion), overlapping passages removed."""
        if not self._chunks:
            return []
        qwords = words(question)
        qterms = [terms(w, ("en", "da", "sv")) for w in qwords]
        qpairs = pairs(qwords)
        if ROLE_QUESTION.search(question.lower()):  # "what does a … do": the role and what it is responsible for
            qterms.append({"§role", "§responsibility", "§executive"})
        elif DEFINITION.search(question.lower()):  # "what is …": a section that defines it
            qterms.append({"§definition"})
        ranks: dict[int, float] = {}
        for rank, idx in enumerate(self._vector_bounded(question)):
            ranks[idx] = ranks.get(idx, 0.0) + self.vector_weight / (RRF_K + rank)
        for rank, idx in enumerate(self._lexical(qterms + [{p} for p in qpairs])):
            ranks[idx] = ranks.get(idx, 0.0) + 1.0 / (RRF_K + rank)
        hits: list[Hit] = []
        for idx, score in sorted(ranks.items(), key=lambda kv: -kv[1]):
            chunk = self._chunks[idx]
            covered = sum(bool(t & self._terms[idx]) for t in qterms) / max(len(qterms), 1)
            near = next((i for i, h in enumerate(hits) if _neighbours(chunk, h.chunk)), None)
            if near is not None:  # the next piece of a passage already found: one passage, not two
                kept = hits[near]
                hits[near] = Hit(_join(kept.chunk, chunk), kept.score, max(kept.coverage, covered))
            elif len(hits) < k:
                hits.append(Hit(chunk, score, covered))
        return hits

    def _vector_bounded(self, question: str) -> list[int]:
        """Vector candidates, or none when the embedder or Chroma is slower than VECTOR_TIMEOUT:
        an answer from BM25 alone beats no answer."""
        future = _POOL.submit(self._vector, question)
        try:
            return future.result(timeout=VECTOR_TIMEOUT)
        except Exception as exc:  # timeout, endpoint down, server gone
            log.warning("playbook vector search skipped (%s); answering from BM25", type(exc).__name__)
            return []

    def _vector(self, question: str) -> list[int]:
        vec = self.embedder.embed([question])[0]
        res = self._collection_ref.query(query_embeddings=[vec.tolist()], n_results=min(CANDIDATES, len(self._chunks)),
                                         include=[])
        return [self._by_id[i] for i in res["ids"][0] if i in self._by_id]

    def _lexical(self, qterms: list[set[str]]) -> list[int]:
        flat = sorted({t for ts in qterms for t in ts})
        if not flat or self._bm25 is None:
            return []
        scores = self._bm25.get_scores(flat)
        top = np.argsort(-scores)[:CANDIDATES]
        return [int(i) for i in top if scores[i] > 0]


def _common_headings(chunks: list[Chunk]) -> dict[str, set[str]]:
    """Per document, the headings over more than half of its chunks (its title, an H1)."""
    by_doc: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    out = {}
    for doc_id, cs in by_doc.items():
        counts: dict[str, int] = {}
        for c in cs:
            for part in set(c.section.split(" › ")):
                counts[part] = counts.get(part, 0) + 1
        out[doc_id] = {p for p, n in counts.items() if n > len(cs) / 2 and len(cs) > 2}
    return out


def _neighbours(a: Chunk, b: Chunk) -> bool:
    """Pieces of one section next to each other (they share OVERLAP_CHARS of text)."""
    return a.doc_id == b.doc_id and a.section == b.section and abs(a.position - b.position) == 1


def _join(a: Chunk, b: Chunk) -> Chunk:
    """Two neighbouring pieces as one passage, their shared overlap once."""
    first, second = (a, b) if a.position < b.position else (b, a)
    k = next((n for n in range(min(len(first.text), len(second.text), 400), 20, -1)
              if first.text.endswith(second.text[:n])), 0)
    text = first.text + (second.text[k:] if k else " … " + second.text)
    return replace(first, text=text)
