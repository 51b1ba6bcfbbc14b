"""What the store's values are called: regions, segments, stages … reps by name, accounts by name.

Built once per store (and rebuilt when the store reloads). Phrases are lower-cased and
normalised like questions, so "Norden", "UK and Ireland" or "Alice Berg" are found by a
dictionary look-up; small value sets are also matched fuzzily for typos.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
from rapidfuzz import fuzz, process

from bot.metrics.store import MetricsStore
from babel import Locale

from bot.nlu.lexicon import COUNTRY_ALIASES, VALUE_ALIASES
from bot.nlu.text import is_word, normalise

# dimension -> (table, column) where its values are listed
SOURCES = {
    "region": [("opportunities", "region"), ("leads", "region"), ("marketing_spend", "region")],
    "segment": [("opportunities", "segment")], "industry": [("opportunities", "industry")],
    "country": [("opportunities", "country")], "product_line": [("opportunities", "product_line")],
    "type": [("opportunities", "type")], "source": [("opportunities", "source"), ("leads", "source")],
    "stage": [("opportunities", "stage")], "team": [("reps", "team")], "channel": [("marketing_spend", "channel")],
}
# When one phrase names values of several dimensions, the first listed wins.
PRIORITY = ["owner", "region", "segment", "product_line", "type", "source", "stage", "industry", "channel",
            "country", "team", "account"]
LEGAL_SUFFIX = re.compile(r"\s+(a/s|aps|as|ab|oy|gmbh|ag|ltd|limited|inc|llc|corp|plc|bv|sa|srl)\.?$")
COUNTRY_CODE = re.compile(r"^[a-z]{2}$")


def key(text: str) -> str:
    return normalise(text).lower()


@dataclass
class ValueIndex:
    exact: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    fuzzy_keys: list[str] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    codes: dict[str, str] = field(default_factory=dict)  # ISO country code → the country as stored
    vocab: frozenset[str] | None = None  # the parser's spelling vocabulary with these words added
    max_words: int = 4

    def add(self, phrase: str, dim: str, value: str) -> None:
        k = key(phrase)
        if not k:
            return
        hits = self.exact.setdefault(k, [])
        if (dim, value) not in hits:
            hits.append((dim, value))

    def lookup(self, phrase: str, fuzzy: bool = True) -> list[tuple[str, str]]:
        hits = self.exact.get(phrase)
        if hits is None and fuzzy and len(phrase) >= 5 and not all(is_word(w) for w in phrase.split()):
            best = process.extractOne(phrase, self.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=85)
            hits = self.exact.get(best[0]) if best else None
        return sorted(hits or [], key=lambda h: PRIORITY.index(h[0]))


def build_index(store: MetricsStore) -> ValueIndex:
    idx = ValueIndex()
    for dim, places in SOURCES.items():
        for table, column in places:
            for value in store.values(table, column):
                if dim == "country":
                    _add_country(idx, value)
                    continue
                idx.add(value, dim, value)
                for alias in VALUE_ALIASES.get(value.lower(), []):
                    idx.add(alias, dim, value)
    idx.fuzzy_keys = list(idx.exact)
    _add_reps(idx, store.tables.get("reps"))
    _add_accounts(idx, store.tables.get("accounts"))
    idx.words = {w for phrase in idx.exact for w in phrase.split()}
    return idx


def _add_country(idx: ValueIndex, value: str) -> None:
    """A country as the store spells it (an ISO code or a name), found by its names in English, Danish
    and Swedish (CLDR, through Babel) and by its code typed in capitals ("SE"; "se" is a word)."""
    code = value.upper() if COUNTRY_CODE.match(value.lower()) else _code_of(value)
    if code is None:
        idx.add(value, "country", value)
        return
    idx.codes[code] = value
    for lang in ("en", "da", "sv"):
        name = Locale(lang).territories.get(code)
        if name:
            idx.add(name, "country", value)
    for alias in COUNTRY_ALIASES.get(code, ()):
        idx.add(alias, "country", value)
    if not COUNTRY_CODE.match(value.lower()):
        idx.add(value, "country", value)


def _code_of(name: str) -> str | None:
    wanted = name.casefold()
    for lang in ("en", "da", "sv"):
        for code, label in Locale(lang).territories.items():
            if label.casefold() == wanted and len(code) == 2:
                return code
    return None


def _add_reps(idx: ValueIndex, reps: pd.DataFrame | None) -> None:
    """Reps by full name, and by first or last name where only one rep has it."""
    if reps is None:
        return
    names = reps["name"].astype("string").fillna("")
    ids = reps["rep_id"].astype(str)
    first = names.str.split().str[0].str.lower()
    last = names.str.split().str[-1].str.lower()
    n_first, n_last = first.value_counts(), last.value_counts()
    for name, rep, f, l_ in zip(names, ids, first, last):
        if not name:
            continue
        idx.add(name, "owner", rep)
        if n_first.get(f) == 1:
            idx.add(f, "owner", rep)
        if n_last.get(l_) == 1 and l_ != f:
            idx.add(l_, "owner", rep)
        idx.add(rep, "owner", rep)
    idx.fuzzy_keys += [key(n) for n in names if n]


def _add_accounts(idx: ValueIndex, accounts: pd.DataFrame | None) -> None:
    """Accounts by exact name, with or without the legal suffix (no fuzzy: there can be millions)."""
    if accounts is None:
        return
    # Plain lists and a Counter: a pandas lookup per account cost seconds at 125,000 accounts.
    keys = [key(name) for name in accounts["name"].astype("string").fillna("").str.lower().tolist()]
    bare = [LEGAL_SUFFIX.sub("", k) for k in keys]
    counts = Counter(bare)
    for full, short, acc in zip(keys, bare, accounts["account_id"].astype(str).tolist()):
        if full:
            idx.exact.setdefault(full, []).append(("account", acc))
        if short and short != full and counts.get(short, 0) == 1:
            idx.exact.setdefault(short, []).append(("account", acc))
