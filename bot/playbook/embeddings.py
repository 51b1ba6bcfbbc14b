"""Embeddings: an offline default that needs no download, a local sentence-transformers model,
or any OpenAI-compatible endpoint. An index records the embedder's name and refuses to mix."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
import yaml

from bot.nlu.text import stem

GLOSSARY = Path(__file__).with_name("glossary.yml")
WORD = re.compile(r"[^\W_]+", re.UNICODE)
LETTERS = re.compile(r"\b([^\W\d_])/([^\W\d_])\b")  # "A/B-test", "P/L": one word, not two letters left out
STOP = set("""a an the of in on at for to and or is are was be by with as it its this that from what how who which
do does should can we our you your i en et den det de der og i på af til for med som er var har at hvad hvordan
hvem hvilke vad hur vem vilka och är att på av till för med som har ett
playbook playbooken playbookens say says said siger sagt säger sägs according ifølge enligt
why when where would could will just also even really actually about into there their they them he she
hvorfor hvornår hvor vi vores jeg mig du dig man skal kan vil også være bliver blive om sig sin sit sine ikke
bare lige nu så egentlig egentligt faktisk monstro
varför när var vi vår våra vårt jag mig du dig ska kan vill också vara blir bli om sig sin sitt sina inte
bara just nu så egentligen faktiskt
whats hows whos wheres isn aren don doesn didn re ll ve
quarter quarters month months year years week weeks today yesterday ytd qtd mtd kvartal kvartalet kvartaler måned
måneden måneder uge ugen år året månad månaden månader vecka veckan denne dette sidste næste detta förra nästa
""".split())
# (the period of a question's KPI part is no part of what the playbook is asked)
# (every passage is the playbook, so "what does the playbook say about X" is a question about X)


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


@lru_cache(maxsize=1)
def glossary() -> dict[str, tuple[str, ...]]:
    """word → the concepts it belongs to (from glossary.yml)."""
    data = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for concept, words in data["concepts"].items():
        for w in words:
            out.setdefault(str(w).lower(), []).append(concept)
    return {w: tuple(c) for w, c in out.items()}


# Titles and terms written out in one text and abbreviated in another: the written-out form also
# counts as its abbreviation, so "CCO" finds "Chief Commercial Officer" and the other way round.
ACRONYMS = {
    # "CCO" stands for both; each written-out title also keeps its own token, so that a question
    # about the Chief Customer Officer prefers the passages about that one
    ("chief", "commercial", "officer"): "cco cco_commercial", ("chief", "customer", "officer"): "cco cco_customer",
    ("chief", "marketing", "officer"): "cmo", ("chief", "executive", "officer"): "ceo",
    ("chief", "financial", "officer"): "cfo", ("chief", "operating", "officer"): "coo",
    ("chief", "information", "officer"): "cio", ("chief", "sales", "officer"): "cso",
    ("chief", "revenue", "officer"): "cro", ("customer", "relationship", "management"): "crm",
    ("key", "performance", "indicator"): "kpi", ("key", "performance", "indicators"): "kpi",
    ("net", "promoter", "score"): "nps", ("return", "on", "investment"): "roi",
    ("customer", "lifetime", "value"): "ltv", ("customer", "acquisition", "cost"): "cac",
    ("revenue", "operations"): "revops", ("commercial", "operations"): "commercial_ops",
    ("commercial", "ops"): "commercial_ops", ("sales", "operations"): "sales_ops", ("sales", "ops"): "sales_ops",
    # and the same said in Danish and Swedish ("Hvorfor er kommerciel drift vigtigt?")
    ("kommerciel", "drift"): "commercial_ops", ("kommercielle", "drift"): "commercial_ops",
    ("kommercielle", "driftsfunktion"): "commercial_ops", ("kommerciel", "driftsfunktion"): "commercial_ops",
    ("kommersiell", "drift"): "commercial_ops", ("kommersiella", "drift"): "commercial_ops",
}


def glossary_version() -> str:
    """A short hash of the glossary: an index built with another glossary is rebuilt."""
    return hashlib.sha256(GLOSSARY.read_bytes()).hexdigest()[:12]


def words(text: str) -> list[str]:
    """Content words, and the abbreviation of a title written out; one-letter tokens ("what's" →
    "s") say nothing."""
    raw = WORD.findall(LETTERS.sub(r"\1\2", text.lower()))
    out = [w for w in raw if len(w) > 1 and w not in STOP]
    for n in (2, 3):
        for i in range(len(raw) - n + 1):
            out += ACRONYMS.get(tuple(raw[i:i + n]), "").split()
    return out


@lru_cache(maxsize=100_000)
def concepts(word: str) -> tuple[str, ...]:
    """Shared concepts of a word, its inflection ('kunderne' → customer) or the parts of a
    Danish or Swedish compound ('marknadschefen' → marketing + executive)."""
    whole = word_concepts(word)
    if whole:
        return whole
    table = glossary()
    stems = {stem(word, lang) for lang in ("en", "da", "sv")}
    found: list[str] = []
    for n in range(len(word) - 1, 3, -1):  # the longest known head: "kundeanskaffelseskost" → kunde…
        if word[:n] in table and _part_ok(word[:n], word[n:]):
            found += table[word[:n]]
            break
    for s in sorted(stems, key=len):  # the longest known tail of the stem: "marknadschef" → …chef
        tail = next((s[i:] for i in range(1, len(s) - 3) if s[i:] in table and _part_ok(s[i:], s[:i])), None)
        if tail:
            found += table[tail]
            break
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=100_000)
def word_concepts(word: str) -> tuple[str, ...]:
    """Shared concepts of the word itself or its inflection, not of a compound's parts."""
    table = glossary()
    if word in table:
        return table[word]
    return next((table[s] for s in (stem(word, lang) for lang in ("en", "da", "sv")) if s in table), ())


def _part_ok(part: str, rest: str) -> bool:
    """A glossary word inside a compound counts when it is long enough not to be there by chance,
    or when the rest is a word too ("marknads|chef", but not "fro|kost")."""
    if len(part) >= 5:
        return True
    from bot.nlu.text import ZIPF_FLOOR, zipf_frequency

    rest = rest[:-1] if rest.endswith("s") and len(rest) > 4 else rest
    return any(zipf_frequency(rest, lang) >= ZIPF_FLOOR for lang in ("da", "sv"))


def _fold(word: str) -> str:
    """æ→ae, ø→oe, å→aa, ä→ae, ö→oe: Danish and Swedish spellings meet, and English cognates nearer."""
    word = word.replace("æ", "ae").replace("ø", "oe").replace("å", "aa").replace("ä", "ae").replace("ö", "oe")
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


class HashingEmbedder:
    """Character 3–5-grams of each word (folded), plus glossary concepts, hashed into a fixed
    vector. Cognates (commercial / kommerciel / kommersiell) share n-grams; the glossary joins
    the rest (customer / kunde / kund). Deterministic, no download, microseconds a text."""

    def __init__(self, dim: int = 2048) -> None:
        self.dim = dim
        self.name = f"hashing-ngram-v1-{dim}"

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature, weight in self.features(text).items():
                h = zlib.crc32(feature.encode())
                out[row, h % self.dim] += weight if (h >> 31) & 1 else -weight
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    @staticmethod
    def features(text: str) -> dict[str, float]:
        feats: dict[str, float] = {}
        for w in words(text):
            folded = f"<{_fold(w)}>"
            for n in (3, 4, 5):
                for i in range(max(1, len(folded) - n + 1)):
                    g = folded[i:i + n]
                    feats[g] = feats.get(g, 0.0) + 1.0
            for c in concepts(w):
                feats[f"§{c}"] = feats.get(f"§{c}", 0.0) + 6.0
        return {f: 1.0 + np.log(v) for f, v in feats.items()}  # sublinear: a long passage does not drown


class SentenceTransformerEmbedder:
    """A local sentence-transformers model by name or path (pip install '.[local]')."""

    def __init__(self, model: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(model, device="cpu")
        self.name = f"sentence-transformers:{Path(model).name}"

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(texts, normalize_embeddings=True, batch_size=32), dtype=np.float32)


class OpenAIEmbedder:
    """Embeddings from any OpenAI-compatible endpoint (OpenAI, Azure OpenAI, Ollama, vLLM …)."""

    def __init__(self, model: str, api_key: str | None, base_url: str | None, timeout: float = 20.0) -> None:
        from openai import OpenAI

        self.client = OpenAI(api_key=api_key or "not-needed", base_url=base_url, timeout=timeout, max_retries=2)
        self.model = model
        self.name = f"openai:{model}"

    def embed(self, texts: list[str]) -> np.ndarray:
        out = []
        for i in range(0, len(texts), 256):  # endpoints cap the batch size
            resp = self.client.embeddings.create(model=self.model, input=texts[i:i + 256])
            out.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        vecs = np.asarray(out, dtype=np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)


def settings_embedder(settings) -> Embedder:
    """The embedder the settings name (CCOBOT_EMBEDDINGS, with the OpenAI key and endpoint for 'openai:')."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return make_embedder(settings.ccobot_embeddings, api_key=key, base_url=settings.openai_base_url)


def make_embedder(spec: str, api_key: str | None = None, base_url: str | None = None) -> Embedder:
    """'hashing' (default), 'sentence-transformers:<name or path>', or 'openai:<model>'."""
    kind, _, arg = spec.partition(":")
    if kind == "hashing":
        return HashingEmbedder(int(arg) if arg else 2048)
    if kind == "sentence-transformers":
        return SentenceTransformerEmbedder(arg)
    if kind == "openai":
        return OpenAIEmbedder(arg or "text-embedding-3-small", api_key, base_url)
    raise ValueError(f"CCOBOT_EMBEDDINGS '{spec}': use hashing, sentence-transformers:<model> or openai:<model>")
