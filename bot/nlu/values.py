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
from typing import Callable, Iterable, Iterator

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from bot.metrics.store import MetricsStore
from babel import Locale

from bot.nlu.lexicon import COUNTRY_ADJECTIVES, COUNTRY_ALIASES, VALUE_ALIASES
from bot.nlu.text import MAX_CHARS, is_word, normalise

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
    max_words: int = 6  # (a team named by region and segment: "UK & Ireland Mid-Market" is five tokens)
    accounts: "AccountNames | None" = None
    first_names: frozenset[str] | None = None  # the first words of the reps' names (parser._first_names)
    # A first name several reps share, of which one leads others: "Erik's team" is that one's
    leads: dict[str, str] = field(default_factory=dict)

    def values_of(self, dim: str) -> list[str]:
        """Every value of a dimension (not reps' or accounts'), as stored: what a value left out
        ("excluding renewals") leaves."""
        return sorted({v for hits in self.exact.values() for d, v in hits if d == dim})

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
    _add_accounts(idx, store)
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
    for alias in (*COUNTRY_ALIASES.get(code, ()), *COUNTRY_ADJECTIVES.get(code, ())):
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
    managers = set(reps["manager_id"].dropna().astype(str)) if "manager_id" in reps.columns else set()
    leading = Counter(f for f, rep in zip(first, ids) if rep in managers)
    for name, rep, f, l_ in zip(names, ids, first, last):
        if not name:
            continue
        idx.add(name, "owner", rep)
        if n_first[f] == 1:
            idx.add(f, "owner", rep)
        elif rep in managers and leading[f] == 1:
            idx.leads[f] = rep
        if n_last[l_] == 1 and l_ != f:
            idx.add(l_, "owner", rep)
        idx.add(rep, "owner", rep)
    idx.fuzzy_keys += [key(n) for n in names if n]


def _add_accounts(idx: ValueIndex, store: MetricsStore) -> None:
    """Accounts by exact name, with or without the legal suffix (no fuzzy: there can be millions)."""
    accounts = store.tables.get("accounts")
    if accounts is not None:
        idx.accounts = AccountNames.of(accounts)
    elif store.has("accounts"):  # a warehouse's: not in memory
        idx.accounts = AccountNames.streamed(store)
    else:
        return
    idx.words |= idx.accounts.words


ACCOUNTS_FORMAT = 3  # raise when the cached form or the way names become phrases changes
CACHED_FROM = 20_000  # accounts: below this building is quicker than reading a cache entry
BATCH = 20_000  # names turned into phrases at a time: all 125,000 at once held 14 MB more of Python strings
Named = Callable[[list[int]], list[tuple[str, "str | None"]]]  # account rows → each one's (id, name)


class AccountNames:
    """Account names as phrases, for a store of any size: a sorted array of the phrases' hashes
    with the account row of each (8 bytes a phrase, 2 MB at 125,000 accounts, where a dictionary
    of the phrases took 70 MB). A hash found is checked against the account's name, so a
    collision never names the wrong account. A large store's arrays and words are cached by the
    accounts' content (bot/nlu/cache.py) and mapped, not read: a restart neither normalises every
    name again nor holds the arrays in memory."""

    def __init__(self, hashes: np.ndarray, entries: np.ndarray, words: set[str], named: Named) -> None:
        self.hashes, self.entries = hashes, entries  # entry: 2 × row, + 1 for the name without its suffix
        self.words = words
        self.named = named

    @classmethod
    def of(cls, accounts: pd.DataFrame) -> "AccountNames":
        """A file store's accounts, in memory: a row is the table's."""
        names, ids = accounts["name"], accounts["account_id"]

        def named(rows: list[int]) -> list[tuple[str, str | None]]:
            return list(zip(ids.iloc[rows].astype(str).tolist(), _lowered(names.iloc[rows])))

        if len(accounts) < CACHED_FROM:
            return cls(*_account_arrays([names]), named)
        from bot.nlu.cache import cached_folder, digest

        content = digest(ACCOUNTS_FORMAT, _code_version(), _fingerprint(names))
        batches = lambda: (names.iloc[i:i + BATCH] for i in range(0, len(names), BATCH))  # noqa: E731
        arrays = cached_folder("accounts", content, lambda folder: _save_accounts(folder, batches()), _load_accounts)
        return cls(*arrays, named)

    @classmethod
    def streamed(cls, store: MetricsStore) -> "AccountNames":
        """A warehouse's accounts (bot/metrics/warehouse.py), never all in memory: streamed once into
        a cache entry that also keeps each row's id; a name found is checked against the warehouse's
        current name for that id, so a renamed account is not found by its old name."""
        from bot.nlu.cache import cached_folder, digest

        content = digest(ACCOUNTS_FORMAT, _code_version(), store.account_key())
        hashes, entries, words, ids = cached_folder(
            "accounts", content, lambda folder: _save_streamed(folder, store.account_batches()), _load_streamed)

        def named(rows: list[int]) -> list[tuple[str, str | None]]:
            wanted = [ids[r].as_py() for r in rows]
            current = store.names("account", wanted)
            lowered = _lowered(pd.Series([current.get(i) for i in wanted], dtype="object"))
            return [(i, low if i in current else None) for i, low in zip(wanted, lowered)]

        return cls(hashes, entries, words, named)

    def find(self, phrase: str) -> list[str]:
        """The ids of the accounts a normalised phrase names, in the accounts' order."""
        h = np.uint32(_hash(phrase))
        lo, hi = self.hashes.searchsorted(h, "left"), self.hashes.searchsorted(h, "right")
        entries = self.entries[lo:hi].tolist()
        if not entries:
            return []
        out = []
        for entry, (account, lowered) in zip(entries, self.named([e // 2 for e in entries])):
            if lowered is not None and phrase == _phrases(lowered)[entry % 2]:
                out.append(account)
        return out


def _lowered(names: pd.Series) -> list[str]:
    """Names lower-cased as text columns are (Arrow's lower case: the same at build and look-up)."""
    return names.astype("string[pyarrow]").fillna("").str.lower().tolist()


def _phrases(lowered: str) -> tuple[str, str]:
    """A lower-cased account name as a phrase, and without its legal suffix ("nordlys a/s" → "nordlys")."""
    full = key(lowered)
    return full, LEGAL_SUFFIX.sub("", full)


def _hash(phrase: str) -> int:
    return zlib.crc32(phrase.encode("utf-8"))


def _account_arrays(batches: Iterable[pd.Series]) -> tuple[np.ndarray, np.ndarray, set[str]]:
    """Every account's phrase, and its phrase without the suffix where no other account has that one;
    the names a batch at a time, kept only as hashes (a warehouse's millions are never all in memory)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts: dict[str, list[np.ndarray]] = {"full": [], "has_full": [], "short": [], "key": [], "shortened": []}
    words: set[str] = set()
    for names in batches:
        fulls, shorts = _batch_phrases(names)
        parts["full"].append(np.fromiter((_hash(f) for f in fulls), np.uint32, len(fulls)))
        parts["has_full"].append(np.fromiter(map(bool, fulls), bool, len(fulls)))
        parts["short"].append(np.fromiter((_hash(x) for x in shorts), np.uint32, len(shorts)))
        # 64 bits: this build's count of equal shorts
        parts["key"].append(np.fromiter((hash(x) if x else 0 for x in shorts), np.int64, len(shorts)))
        parts["shortened"].append(np.fromiter((bool(x) and x != f for f, x in zip(fulls, shorts)), bool, len(fulls)))
        words.update(pc.unique(pc.list_flatten(pc.split_pattern(pa.array(fulls, pa.string()), " "))).to_pylist())
    full, has_full, short, keys, shortened = (np.concatenate(p) if p else np.zeros(0) for p in parts.values())
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    bare = shortened.astype(bool) & (counts[inverse] == 1)
    hashes = np.concatenate([full[has_full.astype(bool)], short[bare]]).astype(np.uint32)
    entries = np.concatenate([2 * np.flatnonzero(has_full), 2 * np.flatnonzero(bare) + 1])
    order = np.lexsort((entries, hashes))  # equal hashes in the accounts' order, a name before its bare form
    words.discard("")
    return hashes[order], entries[order].astype(np.int32), words


# Names of ASCII letters and digits with single spaces, perhaps ending in a sentence dot ("Acme Inc."):
# normalise() keeps them as they are but that dot, so their phrases are their lower case without it,
# and Arrow makes those for a whole batch at once (most of a CRM's names; a million of them one by one
# took seconds).
_ASCII_PLAIN = r"^[A-Za-z0-9]+( [A-Za-z0-9]+)*$|^[A-Za-z0-9]+( [A-Za-z0-9]+)*[A-Za-z]\.$"


def _batch_phrases(names: pd.Series) -> tuple[list[str], list[str]]:
    """_phrases of each name: plain ASCII names in Arrow, the rest one by one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(names.astype("string[pyarrow]").fillna("").array).cast(pa.string())
    lowered = pc.utf8_lower(text)
    plain = pc.and_(pc.match_substring_regex(text, _ASCII_PLAIN), pc.less_equal(pc.utf8_length(text), MAX_CHARS))
    full = pc.replace_substring_regex(lowered, r"\.$", "")
    fulls = full.to_pylist()
    shorts = pc.replace_substring_regex(full, LEGAL_SUFFIX.pattern, "").to_pylist()
    for i in np.flatnonzero(~plain.to_numpy(zero_copy_only=False)).tolist():
        fulls[i], shorts[i] = _phrases(lowered[i].as_py())
    return fulls, shorts


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


def _save_accounts(folder: Path, batches: Iterable[pd.Series]) -> None:
    hashes, entries, words = _account_arrays(batches)
    np.save(folder / "hashes.npy", hashes)
    np.save(folder / "entries.npy", entries)
    (folder / "words.txt").write_text("\n".join(sorted(words)), encoding="utf-8")


def _load_accounts(folder: Path) -> tuple[np.ndarray, np.ndarray, set[str]]:
    text = (folder / "words.txt").read_text(encoding="utf-8")
    words = set(text.split("\n")) if text else set()
    return np.load(folder / "hashes.npy", mmap_mode="r"), np.load(folder / "entries.npy", mmap_mode="r"), words


def _save_streamed(folder: Path, batches: Iterator[pd.DataFrame]) -> None:
    """The arrays of _save_accounts, and the id of each row in ids.arrow (the rows come as streamed)."""
    import pyarrow as pa

    schema = pa.schema([("id", pa.string())])
    with pa.OSFile(str(folder / "ids.arrow"), "wb") as sink, pa.ipc.new_file(sink, schema) as out:
        def names() -> Iterator[pd.Series]:
            for batch in batches:
                ids = batch["account_id"].astype("string[pyarrow]").fillna("")
                out.write_batch(pa.record_batch([pa.array(ids.array)], schema=schema))
                yield batch["name"]

        _save_accounts(folder, names())


def _load_streamed(folder: Path) -> tuple[np.ndarray, np.ndarray, set[str], object]:
    import pyarrow as pa

    ids = pa.ipc.open_file(pa.memory_map(str(folder / "ids.arrow"))).read_all().column("id")
    return (*_load_accounts(folder), ids)
