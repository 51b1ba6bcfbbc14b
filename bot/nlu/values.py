"""What the store's values are called: regions, segments, stages … reps by name, accounts by name.

Built once per store (and rebuilt when the store reloads). Phrases are lower-cased and
normalised like questions, so "Norden", "UK and Ireland" or "Alice Berg" are found by a
dictionary look-up; small value sets are also matched fuzzily for typos.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
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
    exact: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # every phrase but accounts'
    fuzzy_keys: list[str] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    codes: dict[str, str] = field(default_factory=dict)  # ISO country code → the country as stored
    vocab: frozenset[str] | None = None  # the parser's spelling vocabulary with these words added
    max_words: int = 4
    accounts: "AccountNames | None" = None

    def add(self, phrase: str, dim: str, value: str) -> None:
        k = key(phrase)
        if not k:
            return
        hits = self.exact.setdefault(k, [])
        if (dim, value) not in hits:
            hits.append((dim, value))

    def hits(self, phrase: str) -> list[tuple[str, str]] | None:
        """What a normalised phrase names exactly (None: nothing): dimension values and reps first,
        then accounts, as they were added."""
        hits = self.exact.get(phrase)
        named = self.accounts.find(phrase) if self.accounts is not None else []
        if not named:
            return hits
        return [*(hits or []), *(("account", a) for a in named)]

    def lookup(self, phrase: str, fuzzy: bool = True) -> list[tuple[str, str]]:
        hits = self.hits(phrase)
        if hits is None and fuzzy and len(phrase) >= 5 and not all(is_word(w) for w in phrase.split()):
            best = process.extractOne(phrase, self.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=85)
            hits = self.hits(best[0]) if best else None
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
    idx.words = {w for phrase in idx.exact for w in phrase.split()}
    _add_accounts(idx, store.tables.get("accounts"))
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
    ids = reps["rep_id"].astype(str).tolist()
    first = names.str.split().str[0].str.lower().tolist()
    last = names.str.split().str[-1].str.lower().tolist()
    # Lists and Counters: a pandas look-up per rep was most of the index's build.
    n_first, n_last = Counter(f for f in first if isinstance(f, str)), Counter(w for w in last if isinstance(w, str))
    names = names.tolist()
    for name, rep, f, l_ in zip(names, ids, first, last):
        if not name:
            continue
        idx.add(name, "owner", rep)
        if n_first[f] == 1:
            idx.add(f, "owner", rep)
        if n_last[l_] == 1 and l_ != f:
            idx.add(l_, "owner", rep)
        idx.add(rep, "owner", rep)
    idx.fuzzy_keys += [key(n) for n in names if n]


def _add_accounts(idx: ValueIndex, accounts: pd.DataFrame | None) -> None:
    """Accounts by exact name, with or without the legal suffix (no fuzzy: there can be millions)."""
    if accounts is None:
        return
    idx.accounts = AccountNames.of(accounts)
    idx.words |= idx.accounts.words


ACCOUNTS_FORMAT = 2  # raise when the cached form or the way names become phrases changes
CACHED_FROM = 20_000  # accounts: below this building is quicker than reading a cache entry


class AccountNames:
    """Account names as phrases, for a store of any size: a sorted array of the phrases' hashes
    with the account row of each (8 bytes a phrase, 2 MB at 125,000 accounts, where a dictionary
    of the phrases took 70 MB). A hash found is checked against the account's name, so a
    collision never names the wrong account. A large store's arrays and words are cached by the
    accounts' content (bot/nlu/cache.py): a restart reads them instead of normalising every name."""

    def __init__(self, names: pd.Series, ids: pd.Series, hashes: np.ndarray, entries: np.ndarray,
                 words: set[str]) -> None:
        self.names, self.ids = names, ids  # the store's columns, not copies
        self.hashes, self.entries = hashes, entries  # entry: 2 × row, + 1 for the name without its suffix
        self.words = words

    @classmethod
    def of(cls, accounts: pd.DataFrame) -> "AccountNames":
        names, ids = accounts["name"], accounts["account_id"]
        if len(accounts) < CACHED_FROM:
            return cls(names, ids, *_account_arrays(names))
        from bot.nlu.cache import cached_folder, digest

        content = digest(ACCOUNTS_FORMAT, _code_version(), _fingerprint(names))
        arrays = cached_folder("accounts", content, lambda folder: _save_accounts(folder, names), _load_accounts)
        return cls(names, ids, *arrays)

    def find(self, phrase: str) -> list[str]:
        """The ids of the accounts a normalised phrase names, in the accounts' order."""
        h = np.uint32(_hash(phrase))
        lo, hi = self.hashes.searchsorted(h, "left"), self.hashes.searchsorted(h, "right")
        out = []
        for entry in self.entries[lo:hi].tolist():
            row, bare = divmod(entry, 2)
            full, short = _phrases(_lowered(self.names.iloc[[row]])[0])
            if phrase == (short if bare else full):
                out.append(str(self.ids.iloc[row]))
        return out


def _lowered(names: pd.Series) -> list[str]:
    """Names lower-cased as text columns are (Arrow's lower case: the same at build and look-up)."""
    return names.astype("string").fillna("").str.lower().tolist()


def _phrases(lowered: str) -> tuple[str, str]:
    """A lower-cased account name as a phrase, and without its legal suffix ("nordlys a/s" → "nordlys")."""
    full = key(lowered)
    return full, LEGAL_SUFFIX.sub("", full)


def _hash(phrase: str) -> int:
    return zlib.crc32(phrase.encode("utf-8"))


def _account_arrays(names: pd.Series) -> tuple[np.ndarray, np.ndarray, set[str]]:
    """Every account's phrase, and its phrase without the suffix where no other account has that one."""
    # Plain lists and a Counter: a pandas lookup per account cost seconds at 125,000 accounts.
    pairs = [_phrases(n) for n in _lowered(names)]
    counts = Counter(short for _, short in pairs)
    hashes, entries = [], []
    for row, (full, short) in enumerate(pairs):
        if full:
            hashes.append(_hash(full))
            entries.append(2 * row)
        if short and short != full and counts[short] == 1:
            hashes.append(_hash(short))
            entries.append(2 * row + 1)
    hashes_arr = np.asarray(hashes, dtype=np.uint32)
    order = np.argsort(hashes_arr, kind="stable")  # equal hashes keep the accounts' order
    words = {w for full, _ in pairs for w in full.split()}
    return hashes_arr[order], np.asarray(entries, dtype=np.int64)[order].astype(np.int32), words


def _code_version() -> tuple:
    """What turns names into phrases: this module, the normalising in bot/nlu/text.py, pandas and
    Arrow (their lower case); a change in any makes new phrases, so a new cache entry."""
    import pyarrow as pa

    from bot.nlu import text

    sources = [Path(f).read_bytes() for f in (__file__, text.__file__)]
    return pd.__version__, pa.__version__, *sources


def _fingerprint(names: pd.Series) -> bytes:
    """The names' content (their Arrow buffers), to key the cache with."""
    import hashlib

    import pyarrow as pa

    h = hashlib.blake2b(digest_size=16)
    for chunk in pa.chunked_array(pa.array(names.astype("string[pyarrow]").array)).chunks:
        for buf in chunk.buffers():
            if buf is not None:
                h.update(buf)
    h.update(str(len(names)).encode())
    return h.digest()


def _save_accounts(folder: Path, names: pd.Series) -> None:
    hashes, entries, words = _account_arrays(names)
    np.save(folder / "hashes.npy", hashes)
    np.save(folder / "entries.npy", entries)
    (folder / "words.txt").write_text("\n".join(sorted(words)), encoding="utf-8")


def _load_accounts(folder: Path) -> tuple[np.ndarray, np.ndarray, set[str]]:
    text = (folder / "words.txt").read_text(encoding="utf-8")
    return np.load(folder / "hashes.npy"), np.load(folder / "entries.npy"), set(text.split("\n")) if text else set()
