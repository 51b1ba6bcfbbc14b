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
import sys
import threading
from functools import lru_cache
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

import bm25s
import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from bot.nlu.forms import question_form
from bot.nlu.text import LANGS, compound_parts, stem
from bot.playbook.chunks import Chunk, split
from bot.playbook.documents import load_documents
from bot.playbook.embeddings import STOP, WORD, Embedder, concepts, glossary_version, word_concepts, words

log = logging.getLogger("ccobot.playbook")
# What a child process runs to index a knowledge folder into a home, with the settings' embedder (sync_apart):
# these modules alone, not the CLI's or the assistant's (2.4 s less before the playbook answers at a first start)
INDEX_APART = ("import sys; from pathlib import Path; from bot.config import get_settings; "
               "from bot.playbook.embeddings import settings_embedder; from bot.playbook.index import PlaybookIndex; "
               "s = get_settings(); PlaybookIndex(Path(sys.argv[1]), Path(sys.argv[2]), settings_embedder(s), "
               "s.chroma_url).sync()")
COLLECTION = "playbook"
PASSAGES_VERSION = 5  # raise when chunking, the stored text or the words of a text change
CANDIDATES = 20  # from each retriever, before fusion
RRF_K = 5
INDIRECT = 0.5  # what a word found only through a concept or a compound's part counts for in coverage
SHORT_PART = 4  # a compound's first part no longer than this ("små|kunder") is traced by its tail alone
# A question word is stemmed in the languages where it is within this much of its most common use.
OWN_LANGUAGE_ZIPF = 2.0
VECTOR_TIMEOUT = 3.0  # seconds
# Words before a noun that say how much of it, not what it is ("all day", "every quarter").
QUANTIFIERS = frozenset({"all", "every", "each", "any", "some", "no", "other", "such", "own", "whole", "many", "much",
                         "few", "more", "most", "several", "both", "either", "neither", "half"})
# Words that say how much something matters, not what it is: in "which KPIs are most important for
# a CCO" the topic is the KPIs, and a passage on "the most important skills" does not answer it.
EVALUATIVE = frozenset("""important importance crucial essential critical relevant matter matters main primary vital
vigtig vigtigt vigtige vigtigst vigtigste afgørende væsentlig væsentlige væsentligst kritisk kritiske relevante
viktig viktigt viktiga viktigast viktigaste avgörande väsentlig väsentliga kritiska relevanta""".split())
# A reporting line: "the CCO … reports (directly) to the CEO", "hvem refererer CCO'en til", "vem
# rapporterar en CCO till". Its terms join such a question to the sentence that states whose line it
# is, in any language: "CCO" with "reports to", not "marknadschefen rapporterar till" nor "rapportere om".
REPORTS_TO = re.compile(r"\b(?:reports?|reporting|reported|rapporterer|rapportere|rapporterar|rapportera|"
                        r"refererer|referere|refererar|referera)((?:\s+[\w'’]+){0,3}?)\s+(?:to|til|till)\b",
                        re.IGNORECASE)
REPORTS_TERM = "§reports_to"
# "which roles …", "hvilke KPI'er …", "vilka roller …": the word after "which" names what to list.
WHICH = re.compile(r"\b(?:which|what|hvilke|hvilken|hvilket|vilka|vilken|vilket)\s+((?:[\w'’/-]+\s+){0,2}[\w'’/-]+)",
                   re.IGNORECASE)
SUBJECT_BEFORE = 8  # words before the verb that may name whose line it is (in the same sentence)
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="playbook-vector")
# Headings that say what kind of answer their section gives: "What is …?", "Why …", "Best practice …".
HEADING_FORMS = {
    "definition": re.compile(r"^\s*(?:what is|what are|what's|hvad er|hvad betyder|vad är|vad betyder|define)\b"),
    "why": re.compile(r"\b(?:why|hvorfor|varför)\b"),
    "advice": re.compile(r"\b(?:best practices?|bedste praksis|bästa praxis|tips|råd|how to|sådan|så här|"
                         r"praktiske skridt|løsninger|solutions)\b"),
}
# The forms a question shares with such headings, and the terms that find them.
FORM_TERMS = {"definition": {"§definition"}, "why": {"§why"}, "advice": {"§advice"},
              "role": {"§role", "§responsibility", "§executive"}}


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
    telling: bool = True  # it speaks of the question's most telling word ("vacation" in "vacation policy")


@lru_cache(maxsize=200_000)
def terms(word: str, langs: tuple[str, ...]) -> frozenset[str]:
    """A word's search terms: its stems in the given languages, the stems of its parts when it is
    a Danish or Swedish compound ("kundepleje" → kunde, pleje), and its shared concepts."""
    out = {stem(word, lang) for lang in langs}
    for lang in langs:
        out |= {stem(part, lang) for part in compound_parts(word, lang)}
    out |= {f"§{c}" for c in concepts(word)}
    return frozenset(out)


def question_terms(word: str) -> frozenset[str]:
    """A question word's terms, stemmed in the languages it is a word of (near its most common use):
    English "matter" is not stemmed as Swedish, where its stem "mat" finds "Mats". A word none of
    them knows (a name, a misspelling, a compound) is stemmed in all three."""
    from bot.nlu.text import zipf_frequency

    zipf = {lang: zipf_frequency(word, lang) for lang in LANGS}
    top = max(zipf.values())
    own = tuple(lang for lang in LANGS if zipf[lang] > 0 and zipf[lang] >= top - OWN_LANGUAGE_ZIPF)
    return terms(word, own if top > 0 else LANGS)


def listed(question: str, qwords: list[str]) -> int | None:
    """Which of a list question's words names what it asks to list: the first content word after
    "which" ("which roles does a commercial operations team need" → roles)."""
    if question_form(question) != "list" or not (m := WHICH.search(question)):
        return None
    after = [w for w in words(m.group(1)) if w not in EVALUATIVE and w not in QUANTIFIERS]
    return qwords.index(after[0]) if after and after[0] in qwords else None


def question_line(question: str) -> set[str]:
    """A question's reporting line: whose line it asks about ("who does the CCO report to" → the
    CCO's), or any line when it names nobody ("who reports to whom?")."""
    line = reporting_lines(question, question_terms)
    return (line - {REPORTS_TERM}) or line


def pairs(ws: list[str]) -> list[str]:
    """Concept pairs of neighbouring words, and of a compound's two parts: "commercial operations"
    and "kommerciel drift" meet, and so do "product liability" and "produktansvar"."""
    out = []
    for a, b in zip(ws, ws[1:]):
        out += [f"§{x}+{y}" for x in concepts(a) for y in concepts(b) if x != y]
    for w in ws:
        for lang in ("da", "sv"):
            if parts := compound_parts(w, lang):
                out += [f"§{x}+{y}" for x in concepts(parts[0]) for y in concepts(parts[1]) if x != y]
                break
    return out


def text_terms(text: str, lang: str) -> list[str]:
    """Search terms of a text in its language, and the concept pairs of neighbouring words."""
    ws = words(text)
    langs = (lang,) if lang in ("en", "da", "sv") else ("en",)
    return [t for w in ws for t in terms(w, langs)] + pairs(ws) + bigrams(ws, langs) + sorted(reporting_lines(
        text, lambda w: terms(w, langs)))


def reporting_lines(text: str, word_terms: Callable[[str], frozenset[str]]) -> set[str]:
    """The terms of each reporting line a text states: whose line (the words between the verb and
    "to", and those before the verb in its sentence), each joined to the line."""
    out = set()
    for m in REPORTS_TO.finditer(text):
        before = re.split(r"[.!?;:]", text[:m.start()])[-1]
        subject = words(before)[-SUBJECT_BEFORE:] + words(m.group(1))
        out |= {REPORTS_TERM} | {f"{REPORTS_TERM}:{t}" for w in subject for t in word_terms(w)}
    return out


def bigrams(ws: list[str], langs: tuple[str, ...]) -> list[str]:
    """Neighbouring words as one term: "chief customer officer" is not "chief commercial officer"."""
    return list(dict.fromkeys(f"{stem(a, lang)}+{stem(b, lang)}" for a, b in zip(ws, ws[1:]) for lang in langs))


def chunk_terms(chunk: Chunk, common: set[str] = frozenset()) -> list[str]:
    """BM25 terms of a chunk: its own headings twice (they say what it is about), then its text.
    Not the document title nor a heading over most of the document (`common`): those repeat in
    every chunk and would blur them."""
    own = " ".join(part for part in chunk.section.split(" › ") if part not in common)
    out = text_terms(f"{own} {own} {chunk.text}", chunk.lang)
    heading = chunk.section.split(" › ")[-1].lower()
    for form, pattern in HEADING_FORMS.items():
        if pattern.search(heading):  # a section headed "What is …?" defines its subject, "Why …" argues
            out += [f"§{form}", f"§{form}"]
    return out


class PlaybookIndex:
    def __init__(self, knowledge: Path, home: Path, embedder: Embedder, chroma_url: str | None = None) -> None:
        self.knowledge = Path(knowledge)
        self.folder = Path(home) / "chroma"
        self.embedder = embedder
        # What built the index: the embedder, the way documents are cut into passages and the
        # glossary the offline vectors use; a change in any rebuilds it, even when no document changed.
        self.signature = f"{embedder.name}; passages v{PASSAGES_VERSION}; glossary {glossary_version()}"
        self.chroma_url = chroma_url
        self.state = "unloaded"  # unloaded, indexing, ready, failed
        self.progress = (0, 0)  # documents done, documents to do
        self._lock = threading.Lock()
        self._client = None
        self._chunks: list[Chunk] = []
        self._by_id: dict[str, int] = {}
        self._bm25: bm25s.BM25 | None = None
        self._terms: list[set[str]] = []
        self._df: dict[str, int] = {}
        self._heading_terms: list[set[str]] = []
        self._heading_words: list[list[set[str]]] = []
        self._heading_index: dict[str, list[int]] = {}
        self._vocabulary: frozenset[str] = frozenset()
        self._by_doc: dict[str, list[Chunk]] = {}
        self._collection_ref = None
        # The offline hashing vectors mostly repeat what BM25 sees, so they count for less in the
        # fusion; a semantic model (sentence-transformers, OpenAI) counts as much as BM25.
        self.vector_weight = 0.25 if embedder.name.startswith("hashing") else 1.0

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
            col = client.get_or_create_collection(COLLECTION, metadata={"embedder": self.signature,
                                                                        "hnsw:space": "cosine"})
            built_by = (col.metadata or {}).get("embedder")
            if built_by != self.signature:
                report.rebuilt = f"the index was built with {built_by}; rebuilding it with {self.signature}"
                client.delete_collection(COLLECTION)
                col = client.create_collection(COLLECTION, metadata={"embedder": self.signature,
                                                                     "hnsw:space": "cosine"})
            col.count()
            return col
        except Exception as exc:
            if self.chroma_url:
                raise
            report.rebuilt = f"the index in {self.folder} was unreadable ({type(exc).__name__}); rebuilt it"
            log.warning("playbook index unreadable, rebuilding: %s", exc)
            self._reset_folder()
            return self._connect().get_or_create_collection(COLLECTION, metadata={"embedder": self.signature,
                                                                                  "hnsw:space": "cosine"})

    def _reset_folder(self) -> None:
        self._release()
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

    def sync_apart(self, timeout: float = 600.0) -> bool:
        """Index in a child process (INDEX_APART: this knowledge folder into this home, with the embedder of
        this process's settings), then load what it wrote; False when the child failed or wrote an index of another
        embedder (sync() then does it here). The splitter, the embedding and Chroma's writes never enter this
        process: a first start beside a 1M-deal store kept 8 MB less. This process lets go of its Chroma
        client first: two processes must never have one persistent folder open."""
        from bot.nlu.cache import run_apart

        with self._lock:
            self.state = "indexing"
            self.progress = (0, len(load_documents(self.knowledge)[0]))
            self._release()
            command = [sys.executable, "-c", INDEX_APART, str(self.knowledge), str(self.folder.parent)]
            if not run_apart(command, "the playbook's index", timeout):
                return False
        return self.open()

    def _release(self) -> None:
        """Let go of the Chroma client (a persistent folder's stays open in Chroma's cache until cleared)."""
        from chromadb.api.shared_system_client import SharedSystemClient

        self._client = None
        SharedSystemClient.clear_system_cache()

    def _sync(self, progress: Callable[[int, int], None] | None) -> SyncReport:
        report = SyncReport()
        docs, report.problems = load_documents(self.knowledge)
        docs = _with_passages(docs)
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
        # What a passage speaks of, for coverage: its text with every heading over it and its title.
        self._terms = [set(text_terms(f"{c.title} {c.section} {c.text}", c.lang)) for c in chunks]
        # A passage's own heading; not one over most of its document (the title), which says nothing
        # about which passage of it answers.
        headings = [(c.section.split(" › ")[-1] or c.title) for c in chunks]
        headings = ["" if h in common.get(c.doc_id, set()) or h == c.title else h for h, c in zip(headings, chunks)]
        self._heading_terms = [set(text_terms(h, c.lang)) for h, c in zip(headings, chunks)]
        self._heading_words = [[terms(w, (c.lang,)) for w in words(h)] for h, c in zip(headings, chunks)]
        self._heading_index = {}
        for idx, ts in enumerate(self._heading_terms):
            for t in ts:
                self._heading_index.setdefault(t, []).append(idx)
        self._df = {}
        for ts in self._terms:
            for t in ts:
                self._df[t] = self._df.get(t, 0) + 1
        self._vocabulary = frozenset(w for c in chunks for w in words(f"{c.section} {c.text}"))
        self._by_doc = {}
        for c in chunks:
            self._by_doc.setdefault(c.doc_id, []).append(c)
        self._collection_ref = col

    def stale(self) -> bool:
        """Does the knowledge folder differ from what the index holds (or is there no index)?"""
        docs = load_documents(self.knowledge)[0]
        try:
            col = self._connect().get_collection(COLLECTION)
            if (col.metadata or {}).get("embedder") != self.signature:
                return True
            have = {m["doc_id"]: m["sha"] for m in col.get(include=["metadatas"])["metadatas"]}
        except Exception:
            return True
        if set(have) - {d.id for d in docs} or any(have.get(d.id, d.sha) != d.sha for d in docs):
            return True
        # Only a document the index lacks is split, to see whether it yields passages: a restart
        # with every document indexed does not import the splitter (LangChain, about 20 MB resident).
        return bool(_with_passages([d for d in docs if d.id not in have]))

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
        """Vector search fused with BM25 (reciprocal rank fusion); each hit with its coverage."""
        if not self._chunks:
            return []
        qwords = self.spell(words(question))
        qterms = [question_terms(w) for w in qwords]
        form_terms = [FORM_TERMS[form]] if (form := question_form(question)) in FORM_TERMS else []
        ranks: dict[int, float] = {}
        for rank, idx in enumerate(self._vector_bounded(question)):
            ranks[idx] = ranks.get(idx, 0.0) + self.vector_weight / (RRF_K + rank)
        weights = self.weights(qwords, qterms, question)
        groups = list(zip(qterms, weights))  # each word as telling as it is; the form as the most telling word
        present = [w for w, ts in zip(weights, qterms) if any(t in self._df for t in ts)]  # of those it can find
        groups += [(ts, max(present, default=1.0)) for ts in form_terms]
        groups += [({p}, 0.5) for p in pairs(qwords) + bigrams(qwords, ("en", "da", "sv"))]
        if line := question_line(question):  # who someone reports to: the line is the most telling thing asked
            groups.append((line, max(weights, default=1.0)))
        for rank, idx in enumerate(self._lexical(groups)):
            ranks[idx] = ranks.get(idx, 0.0) + 1.0 / (RRF_K + rank)
        for rank, idx in enumerate(self._by_heading(qterms, weights)):  # a question that names a section
            ranks[idx] = ranks.get(idx, 0.0) + 0.5 / (RRF_K + rank)
        best = sorted(ranks.items(), key=lambda kv: -kv[1])[:k]
        top = max(range(len(weights)), key=weights.__getitem__, default=None)
        return [Hit(self._chunks[idx], score, self._coverage(idx, qwords, weights),
                    top is not None and self._found(idx, qwords[top]) >= INDIRECT)
                for idx, score in best]

    def weights(self, qwords: list[str], qterms: list[set[str]], question: str = "") -> list[float]:
        """How much each question word says about the topic: a rare word more than a common one
        ("vacation" more than "good"), and a word found in most passages ("CCO") less than one
        found in few; and what a list question asks to list ("which roles …") as much as any."""
        from bot.nlu.text import zipf_frequency

        out = []
        for word, ts in zip(qwords, qterms):
            common = max(zipf_frequency(word, lang) for lang in LANGS)
            share = max((self._df.get(t, 0) for t in ts), default=0) / max(len(self._chunks), 1)
            telling = 0.3 if word in EVALUATIVE else min(max(6.5 - common, 0.3), 4.0)
            out.append(telling * (1.0 - 0.7 * share))
        if (head := listed(question, qwords)) is not None:
            out[head] = max(out)
        return out

    def _by_heading(self, qterms: list[set[str]], weights: list[float]) -> list[int]:
        """Passages whose own heading speaks of most of the question and of little else, best first
        (a section's first passage before its next ones)."""
        total = sum(weights) or 1.0
        share: dict[int, float] = {}
        for ts, w in zip(qterms, weights):  # through the heading index: only headings sharing a word
            for idx in {i for t in ts for i in self._heading_index.get(t, ())}:
                share[idx] = share.get(idx, 0.0) + w / total
        asked = set().union(*qterms) if qterms else set()
        scored = []
        for idx, part in share.items():
            if part < 0.6:
                continue
            heading = self._heading_words[idx]
            precision = sum(1 for h in heading if h & asked) / max(len(heading), 1)  # how little else it is about
            if precision >= 0.6:
                scored.append((-(part + precision), self._chunks[idx].position, idx))
        return [idx for _, _, idx in sorted(scored)[:CANDIDATES]]

    def _coverage(self, idx: int, qwords: list[str], weights: list[float]) -> float:
        """The weighted share of the question's words that a passage (with its headings) speaks of."""
        total = sum(weights)
        if not total:
            return 0.0
        return sum(w * self._found(idx, word) for word, w in zip(qwords, weights)) / total

    def _found(self, idx: int, word: str) -> float:
        """How surely a passage speaks of a question word: fully when it has the word itself; less
        through a shared concept or a compound's parts (weaker evidence); little when it has only
        one part of a compound: "bidrag" is not "friskvårdsbidrag", nor "lokale" "mødelokale"."""
        have = self._terms[idx]
        if any(stem(word, lang) in have for lang in ("en", "da", "sv")):
            return 1.0
        if own := word_concepts(word):  # "kundeklager" is customer and complaint: "kundesupport" is not it
            rarest = min(own, key=lambda c: self._df.get(f"§{c}", 0))
            if f"§{rarest}" in have:
                return INDIRECT
            return INDIRECT / 2 if any(f"§{c}" in have for c in own) else 0.0
        if set(pairs([word])) & have:  # "produktansvar" written as "product liability"
            return 1.0
        parts = [p for lang in ("da", "sv") for p in compound_parts(word, lang)]
        found = [self._speaks_of(idx, p) for p in parts] or [f"§{c}" in have for c in concepts(word)]
        if found and all(found):
            return INDIRECT
        return INDIRECT / 2 if any(found) else 0.0

    def _speaks_of(self, idx: int, word: str) -> bool:
        """Does a passage have a word, or one of the word's own concepts?"""
        have = self._terms[idx]
        return any(stem(word, lang) in have for lang in ("en", "da", "sv")) or \
            any(f"§{c}" in have for c in word_concepts(word))

    def unknown_thing(self, question: str) -> str | None:
        """An English question ending on a thing named with a modifier ("a company car", "a new
        laptop") whose head noun the playbook never uses, in any language or concept: it asks about
        something the playbook does not cover, however many of its other words it knows ("sales
        reps"). Only a noun counts (a word the English lexicon knows as a noun and not as a verb),
        so "… should a CCO own?" or "… does sales enablement include?" are not read so."""
        from bot.nlu.text import word_classes

        raw = WORD.findall(question.lower())
        if len(raw) < 2 or raw[-2] in STOP | QUANTIFIERS or raw[-1] in STOP or len(raw[-1]) < 3:
            return None
        head = self.spell([raw[-1]])[0]
        kinds, modifier = word_classes(head), word_classes(raw[-2])
        if "NOUN" not in kinds or "VERB" in kinds or not {"NOUN", "ADJ"} & set(modifier):
            return None
        if not self._uses(head):
            return f"{raw[-2]} {head}"
        before = self.spell([raw[-2]])[0]  # "our company car policy": a policy, but about something it never names
        if modifier == {"NOUN"} and len(before) >= 3 and not self._uses(before):
            return f"{raw[-2]} {head}"
        return None

    def _uses(self, word: str) -> bool:
        return any(t in self._df for t in terms(word, ("en", "da", "sv")))

    def untold(self, question: str) -> float:
        """The weighted share of a question's words the playbook has no trace of, in any language or
        concept ("moms", "faktura"; a compound counts by its head: "firmabil" is a car). Past half, the
        question is about something else, however many of its other words the playbook knows."""
        qwords = self.spell(words(question))
        if not qwords or not self._df:
            return 0.0
        weights = self.weights(qwords, [question_terms(w) for w in qwords], question)
        absent = sum(w for word, w in zip(qwords, weights) if not self._traced(word))
        return absent / (sum(weights) or 1.0)

    def _traced(self, word: str) -> bool:
        """Does the playbook have the word, an inflection, one of its concepts, or (a compound) its head?"""
        if any(stem(word, lang) in self._df for lang in LANGS) or any(f"§{c}" in self._df for c in word_concepts(word)):
            return True
        head = next((parts[-1] for lang in ("da", "sv") if (parts := compound_parts(word, lang))), None)
        if head is not None:
            return any(stem(head, lang) in self._df for lang in LANGS) or \
                any(f"§{c}" in self._df for c in word_concepts(head))
        from bot.nlu.text import ZIPF_FLOOR, zipf_frequency

        # a compound of a short first part ("små|kunder", "stor|bolagens"): its tail, when a word the playbook has
        # ("firmabil|politik" is not a policy it speaks of); or of a loan word the word lists lack ("onboarding|plan"):
        # its head, when the playbook has it
        return any(stem(word[i:], lang) in self._df for i in range(1, min(len(word) - 4, SHORT_PART + 1))
                   for lang in ("da", "sv") if zipf_frequency(word[i:], lang) >= ZIPF_FLOOR) or \
            any(word[:i] in self._vocabulary and zipf_frequency(word[i:], lang) >= ZIPF_FLOOR
                for i in range(5, len(word) - 2) for lang in ("da", "sv"))

    def spell(self, qwords: list[str]) -> list[str]:
        """A misspelt word ("onbaording") becomes the playbook's word it is closest to; real words
        and words the playbook uses stay as they are."""
        from rapidfuzz import fuzz, process

        from bot.nlu.text import is_word

        out = []
        for w in qwords:
            if len(w) >= 5 and w not in self._vocabulary and not is_word(w):
                match = process.extractOne(w, sorted(self._vocabulary), scorer=fuzz.ratio, score_cutoff=84)
                w = match[0] if match else w
            out.append(w)
        return out

    def passages(self, chunk: Chunk) -> list[Chunk]:
        """Every passage of a chunk's section, in order."""
        return [c for c in self._by_doc.get(chunk.doc_id, []) if c.section == chunk.section]

    def subsections(self, chunk: Chunk) -> list[Chunk]:
        """The first passage of each section directly under a chunk's section, in order."""
        depth = chunk.section.count(" › ") + 1 if chunk.section else 0
        out: dict[str, Chunk] = {}
        for c in self._by_doc.get(chunk.doc_id, []):
            if c.section.startswith(f"{chunk.section} › " if chunk.section else "") \
                    and c.section.count(" › ") == depth and c.section not in out:
                out[c.section] = c
        return list(out.values())

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

    def _lexical(self, groups: list[tuple[set[str], float]]) -> list[int]:
        """BM25, each question word's terms weighted as the word is telling: the topic ("kundepleje")
        decides, not the title every passage repeats ("Chief Commercial Officer")."""
        if self._bm25 is None or not groups:
            return []
        scores = np.zeros(len(self._chunks))
        for ts, weight in groups:
            scores += weight * self._bm25.get_scores(sorted(ts))
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


def _with_passages(docs: list) -> list:
    """The documents that yield passages. One that yields none (an empty file, a title alone) is
    never in the index, so counting it would keep the index stale and re-index it at every start."""
    return [d for d in docs if split(d)]
