"""Resources derived once and kept on disk between starts, under CCOBOT_HOME/cache.

The language model's tables, the word lists and a large store's account names are built in
seconds and hundreds of MB the first time; later starts map or read the built form in
milliseconds. An entry is named by what it was built from (a key), so a new package version or
store content builds a new one. A cache that cannot be read is rebuilt; one that cannot be
written only means building at every start. The language resources depend only on the installed
packages, so an image can carry them built (`ccobot cache-seed DIR`, then CCOBOT_CACHE_SEED=DIR):
its new instances read them there.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, TypeVar

log = logging.getLogger("ccobot.cache")
T = TypeVar("T")
KEPT = 3  # entries of one kind kept (several stores can share a home); older ones are removed
_SEEDING: Path | None = None  # while seed() runs: where entries are built


def cache_dir() -> Path | None:
    """CCOBOT_HOME/cache, or None when the settings cannot say where home is."""
    if _SEEDING is not None:
        return _SEEDING
    from bot.config import get_settings

    try:
        return Path(get_settings().ccobot_home) / "cache"
    except Exception:  # settings that do not validate are reported where they are used, not here
        return None


def seed_dir() -> Path | None:
    """CCOBOT_CACHE_SEED: entries built ahead (into an image), read before CCOBOT_HOME/cache."""
    if _SEEDING is not None:
        return None
    from bot.config import get_settings

    try:
        return get_settings().ccobot_cache_seed
    except Exception:  # as cache_dir
        return None


def seed(into: Path) -> list[str]:
    """Build the language resources' entries (language identifier, word lists, parts of speech, the
    playbook's sentence models: what depends on the installed packages only, not on a store) into
    `into`; their names."""
    global _SEEDING
    from bot.nlu.text import cache_entries
    from bot.playbook.sentences import punkt_entry

    into.mkdir(parents=True, exist_ok=True)
    _SEEDING = into
    try:
        for kind, key, build, _ in [*cache_entries(), punkt_entry()]:
            cached_folder(kind, key, build, lambda folder: None)
    finally:
        _SEEDING = None
    return sorted(p.name for p in into.iterdir() if p.is_dir() and not p.name.startswith("."))


def digest(*parts: object) -> str:
    """A short stable name for what an entry was built from."""
    h = hashlib.blake2b(digest_size=10)
    for part in parts:
        h.update(part if isinstance(part, (bytes, bytearray, memoryview)) else repr(part).encode())
        h.update(b"\0")
    return h.hexdigest()


def cached_folder(kind: str, key: str, build: Callable[[Path], None], load: Callable[[Path], T]) -> T:
    """load(folder) of the entry `kind`-`key`; when there is none (or it cannot be read), `build`
    writes one into a fresh folder first. Without a writable cache the entry is built in a
    temporary folder and loaded from there, then removed (a file `load` mapped stays readable)."""
    seeded = seed_dir()
    if seeded is not None and (seeded / f"{kind}-{key}").is_dir():
        try:
            return load(seeded / f"{kind}-{key}")
        except Exception as exc:  # a seed of another format: build as if there were none
            log.warning("seeded cache entry %s unreadable (%s)", seeded / f"{kind}-{key}", exc)
    root = cache_dir()
    if root is not None:
        folder = root / f"{kind}-{key}"
        if folder.is_dir():
            try:
                out = load(folder)
                os.utime(folder)  # recently used: kept by _prune
                return out
            except Exception as exc:  # damaged or of another format: build it again
                log.warning("cache entry %s unreadable (%s); rebuilding it", folder, exc)
                shutil.rmtree(folder, ignore_errors=True)
        try:
            root.mkdir(parents=True, exist_ok=True)
            _publish(root, folder, build)
            _prune(root, kind)
            return load(folder)
        except OSError as exc:
            log.info("no cache for %s (%s): built in memory", kind, exc)
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp))
        return load(Path(tmp))


def loaded_once(entry: Callable[[], tuple]) -> Callable[[], Any]:
    """A function giving cached_folder(*entry()), read on its first call and kept for the process (under a
    lock: the warm-up thread and the first question may ask at once)."""
    lock, held = threading.Lock(), []

    def load() -> Any:
        with lock:
            if not held:
                held.append(cached_folder(*entry()))
        return held[0]

    return load


def _publish(root: Path, folder: Path, build: Callable[[Path], None]) -> None:
    """Build into a private folder, then rename it into place: readers never see half an entry,
    and of two processes building at once the first to finish wins."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=root))
    try:
        build(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp's folders are private; an entry is as readable as the home
        os.rename(tmp, folder)
    except OSError:
        if not folder.is_dir():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _prune(root: Path, kind: str) -> None:
    entries = sorted((p for p in root.glob(f"{kind}-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEPT:]:
        shutil.rmtree(old, ignore_errors=True)
