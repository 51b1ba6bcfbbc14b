"""Playbook answers without a language model: the most relevant sentences of the best passages,
with citations, and a plain statement when the playbook does not cover the question."""

from __future__ import annotations

import re

import numpy as np

from bot.playbook.embeddings import HashingEmbedder, words
from bot.playbook.index import Hit, terms

MIN_COVERAGE = 0.5  # below this share of the question's words in the best passage: not covered
MAX_SENTENCES = 3
MAX_CHARS = 600
LANG_NAMES = {
    "en": {"en": "English", "da": "Danish", "sv": "Swedish"},
    "da": {"en": "engelske", "da": "danske", "sv": "svenske"},
    "sv": {"en": "engelska", "da": "danska", "sv": "svenska"},
}
TEMPLATES = {
    "from": {"en": "From the playbook", "da": "Fra playbooken", "sv": "Från playbooken"},
    "from_lang": {"en": "From the {lang} playbook", "da": "Fra den {lang} playbook", "sv": "Från den {lang} playbooken"},
    "not_covered": {
        "en": "The playbook doesn't cover that. It covers the CCO role, commercial operations and the KPIs that "
              "matter; try asking about one of those.",
        "da": "Det dækker playbooken ikke. Den handler om CCO-rollen, kommerciel drift og de nøgletal, der betyder "
              "noget; prøv at spørge om et af dem.",
        "sv": "Det täcker playbooken inte. Den handlar om CCO-rollen, kommersiell drift och de nyckeltal som spelar "
              "roll; försök fråga om något av det.",
    },
    "indexing": {
        "en": "The playbook is being indexed ({done} of {total} documents); ask again in a moment.",
        "da": "Playbooken bliver indekseret ({done} af {total} dokumenter); spørg igen om et øjeblik.",
        "sv": "Playbooken indexeras just nu ({done} av {total} dokument); fråga igen om en stund.",
    },
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅÄÖ0-9\"“])|\n+")
_embedder = HashingEmbedder()


def covered(hits: list[Hit]) -> bool:
    return bool(hits) and hits[0].coverage >= MIN_COVERAGE


def compose(question: str, hits: list[Hit], lang: str) -> tuple[str, list[dict]]:
    """The answer text and its citations (best first). Call only when `covered(hits)`."""
    qterms = set().union(*(terms(w, ("en", "da", "sv")) for w in words(question))) if words(question) else set()
    qvec = _embedder.embed([question])[0]
    picked: list[tuple[int, int, str, float]] = []  # (hit rank, order in passage, sentence, score)
    for rank, hit in enumerate(hits[:2]):
        for order, sentence, score in _best_sentences(hit.chunk.text, qterms, qvec):
            picked.append((rank, order, sentence, score))
    picked = sorted(picked, key=lambda p: -p[3])[:MAX_SENTENCES]
    picked.sort(key=lambda p: (p[0], p[1]))
    text, used = "", set()
    for rank, _, sentence, _ in picked:
        if len(text) + len(sentence) > MAX_CHARS and text:
            break
        text += f"{sentence} [{rank + 1}] "
        used.add(rank)
    best = hits[0].chunk
    where = place(best.title, best.section)
    lead = TEMPLATES["from"][lang] if best.lang == lang else \
        TEMPLATES["from_lang"][lang].format(lang=LANG_NAMES[lang].get(best.lang, best.lang))
    citations = [{"source": f"knowledge/{h.chunk.doc_id}", "title": h.chunk.title, "section": h.chunk.section,
                  "lang": h.chunk.lang, "text": h.chunk.text} for h in hits]
    return f"{lead} ({where}): {text.strip()}", citations


def place(title: str, section: str) -> str:
    """'Title › the nearest heading' (the heading alone is often the whole story)."""
    heading = section.split(" › ")[-1] if section else ""
    return title if not heading or heading == title else f"{title} › {heading}"


def _best_sentences(passage: str, qterms: set[str], qvec: np.ndarray) -> list[tuple[int, str, float]]:
    sentences = [s.strip(" -•\t") for s in _SENTENCE.split(passage) if len(s.strip()) > 25]
    if not sentences:
        return []
    vecs = _embedder.embed(sentences)
    out = []
    for i, (sentence, vec) in enumerate(zip(sentences, vecs)):
        sterms = set().union(*(terms(w, ("en", "da", "sv")) for w in words(sentence))) if words(sentence) else set()
        score = len(qterms & sterms) + 2.0 * float(vec @ qvec)
        out.append((i, sentence, score))
    return sorted(out, key=lambda x: -x[2])[:2]


def message(code: str, lang: str, **params: object) -> str:
    return TEMPLATES[code][lang].format(**params)
