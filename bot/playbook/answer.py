"""Playbook answers without a language model: the most relevant sentences of the best passages,
with citations, and a plain statement when the playbook does not cover the question."""

from __future__ import annotations

import re

import numpy as np

from bot.core.i18n import t
from bot.playbook.embeddings import HashingEmbedder, words
from bot.playbook.index import Hit, terms

MIN_COVERAGE = 0.5  # below this share of the question's words in the best passage: not covered
MAX_SENTENCES = 3
MAX_CHARS = 600
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
    lead = t("pb_from", lang) if best.lang == lang else t("pb_from_lang", lang, language=t(f"lang_{best.lang}", lang))
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
    return t(f"pb_{code}", lang, **params)
