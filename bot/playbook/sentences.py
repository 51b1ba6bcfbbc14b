"""Passages into whole sentences and list items, in English, Danish and Swedish.

Punkt (Kiss & Strunk) with its pretrained models for the three languages decides where a
sentence ends; it knows most abbreviations ("f.eks.", "t.ex.", "bl.a."). The ones it was not
trained on but the playbook uses ("CEO vs. CCO", "e.g.") are added for every language, since
Danish and Swedish business text borrows English ones.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import punkt

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


@lru_cache(maxsize=4)
def _tokenizer(lang: str) -> punkt.PunktSentenceTokenizer:
    params = punkt.load_model(MODELS.get(lang, "english"))
    extra = punkt.PunktParameters(abbrev_types=set(EXTRA_ABBREVIATIONS))
    return punkt.PunktSentenceTokenizer(params.merged_with(extra))


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
