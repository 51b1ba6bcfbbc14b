"""Read-only tables of words to small ints, for the large word lists ccobot looks words up in.

A Python dict of 100,000 short words holds about 9 MB (an object per key and per value, and its
hash slots); the same table as one sorted array of the words' UTF-8 bytes, 16 bytes each, and an
array of the values holds 2 MB, and a lookup is a binary search (numpy's searchsorted, about a
microsecond). The few words longer than WIDTH bytes are kept in a plain dict beside it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

WIDTH = 16  # bytes a word takes in the array: 99% of the words of every list ccobot keeps fit


class WordTable(Mapping[str, int]):
    """word → int, looked up by binary search. Built once from a mapping, saved into a cache folder
    (bot/nlu/cache.py) and loaded from it at later starts."""

    def __init__(self, words: np.ndarray, values: np.ndarray, long: dict[str, int]) -> None:
        self._words, self._values, self._long = words, values, long

    @classmethod
    def of(cls, mapping: Mapping[str, int], dtype: type = np.uint16) -> WordTable:
        encoded = sorted((w.encode("utf-8"), v) for w, v in mapping.items())
        short = [(b, v) for b, v in encoded if len(b) <= WIDTH and not b.endswith(b"\0")]
        words = np.array([b for b, _ in short], dtype=f"S{WIDTH}")
        values = np.array([v for _, v in short], dtype=dtype)  # (numpy refuses a value that does not fit)
        kept = {b for b, _ in short}
        return cls(words, values, {b.decode("utf-8"): int(v) for b, v in encoded if b not in kept})

    def save(self, folder: Path, name: str) -> None:
        np.save(folder / f"{name}.words.npy", self._words)
        np.save(folder / f"{name}.values.npy", self._values)
        (folder / f"{name}.long.json").write_text(json.dumps(self._long, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, name: str) -> WordTable:
        long = json.loads((folder / f"{name}.long.json").read_text(encoding="utf-8"))
        return cls(np.load(folder / f"{name}.words.npy"), np.load(folder / f"{name}.values.npy"), long)

    def _at(self, word: str) -> int | None:
        key = word.encode("utf-8")
        if len(key) > WIDTH or key.endswith(b"\0"):  # (numpy drops trailing NULs: "a\0" would read as "a")
            return self._long.get(word)
        i = int(self._words.searchsorted(key))
        if i < len(self._words) and self._words[i] == key:
            return int(self._values[i])
        return None

    def __getitem__(self, word: str) -> int:
        value = self._at(word) if isinstance(word, str) else None
        if value is None:
            raise KeyError(word)
        return value

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._at(word) is not None

    def get(self, word: str, default: int | None = None) -> int | None:  # type: ignore[override]
        value = self._at(word) if isinstance(word, str) else None
        return default if value is None else value

    def __len__(self) -> int:
        return len(self._words) + len(self._long)

    def __iter__(self) -> Iterator[str]:
        for b in self._words:
            yield b.decode("utf-8")
        yield from self._long
