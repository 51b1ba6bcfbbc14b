"""Passages into whole sentences and list items, in English, Danish and Swedish.

Punkt (Kiss & Strunk) with its pretrained models for the three languages decides where a
sentence ends; it knows most abbreviations ("f.eks.", "t.ex.", "bl.a."). The ones it was not
trained on but the playbook uses ("CEO vs. CCO", "e.g.") are added for every language, since
Danish and Swedish business text borrows English ones.

The models are built once into ccobot's cache (bot/nlu/cache.py), pruned of what cannot change a
decision and with their word table as a WordTable: 3 MB for the three languages, where importing
punkt's bundled models holds 24 MB (the modules' literals and punkt's copies of them).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import punkt

from bot.nlu.cache import loaded_once
from bot.nlu.wordtable import WordTable

MODELS = {"en": "english", "da": "danish", "sv": "swedish"}
EXTRA_ABBREVIATIONS = {"vs", "e.g", "i.e", "etc", "approx", "incl", "esp", "cf", "dvs", "d.v.s", "f.eks", "fx",
                       "bl.a", "m.m", "m.fl", "osv", "o.s.v", "t.ex", "ca", "jf", "jfr", "evt", "pga", "ifm", "mht",
                       "nr", "resp", "s.k", "st", "inkl", "ekskl", "exkl"}
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")  # not "–": in transcripts it opens a quote
LETTER = re.compile(r"[^\W\d_]")
SPACES = re.compile(r"[\u00a0\u2007\u202f\u2000-\u200a\u3000]")  # non-breaking and other wide spaces


@dataclass(frozen=True)
class Unit:
    """One whole sentence of a passage and where it stands."""

    text: str
    line: int  # the passage's line (paragraph or list item) it belongs to
    first: bool  # the first sentence of its line
    bullet: bool  # its line is a list item


def normalise(text: str) -> str:
    """Non-breaking and other special spaces become plain spaces (a splitter that drops them glues
    words together: "det inte" → "detinte"); Unicode composed (NFC)."""
    return SPACES.sub(" ", unicodedata.normalize("NFC", text))


_PUNKT_FORMAT = 1


@lru_cache(maxsize=4)
def _tokenizer(lang: str) -> punkt.PunktSentenceTokenizer:
    return punkt.PunktSentenceTokenizer(_models()[lang if lang in MODELS else "en"])


def punkt_entry() -> tuple:
    """The sentence models' cache entry: kind, key (the package and the added abbreviations), build, load."""
    from bot.nlu.cache import digest
    from bot.nlu.text import _package

    key = digest(_PUNKT_FORMAT, sorted(MODELS.items()), sorted(EXTRA_ABBREVIATIONS), _package("punkt"))
    return "punkt", key, _build_models, _load_models


def _build_models(folder: Path) -> None:
    """Per language, punkt's bundled model with the extra abbreviations, pruned (punkt's own pruning
    drops only what cannot change a decision)."""
    import numpy as np

    extra = punkt.PunktParameters(abbrev_types=set(EXTRA_ABBREVIATIONS))
    for lang, name in MODELS.items():
        model = punkt.load_model(name).merged_with(extra).pruned()
        WordTable.of(model.ortho_context, np.uint8).save(folder, lang)
        sets = {"abbrev_types": sorted(model.abbrev_types), "collocations": sorted(model.collocations),
                "sent_starters": sorted(model.sent_starters), "numeric_abbrev_types": sorted(model.numeric_abbrev_types)}
        (folder / f"{lang}.json").write_text(json.dumps(sets, ensure_ascii=False), encoding="utf-8")
    punkt.clear_cache()


def _load_models(folder: Path) -> dict[str, punkt.PunktParameters]:
    out = {}
    for lang in MODELS:
        sets = json.loads((folder / f"{lang}.json").read_text(encoding="utf-8"))
        out[lang] = punkt.PunktParameters(
            abbrev_types=set(sets["abbrev_types"]), collocations={tuple(pair) for pair in sets["collocations"]},
            sent_starters=set(sets["sent_starters"]), numeric_abbrev_types=set(sets["numeric_abbrev_types"]),
            ortho_context=WordTable.load(folder, lang))  # read only through .get (PunktParameters.ortho)
    return out


_models = loaded_once(punkt_entry)


def split_sentences(text: str, lang: str) -> list[str]:
    """Whole sentences of one line of text."""
    return [s.strip() for s in _tokenizer(lang).tokenize(text.strip()) if s.strip()]


@lru_cache(maxsize=4096)
def units(passage: str, lang: str) -> tuple[Unit, ...]:
    """Every sentence of a passage, line by line; a list item's marker ("- ", "1. ") is dropped.
    (Remembered: the same passages answer many questions.)"""
    out = []
    lines = [line.strip() for line in passage.splitlines() if line.strip()]
    for n, line in enumerate(lines):
        bullet = bool(BULLET.match(line))
        body = BULLET.sub("", line, count=1) if bullet else line
        for i, sentence in enumerate(s for s in split_sentences(body, lang) if LETTER.search(s)):
            out.append(Unit(sentence, n, i == 0, bullet))
    return tuple(out)
