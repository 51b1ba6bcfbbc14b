"""Resources derived once and kept on disk between starts, under CCOBOT_HOME/cache.

The language model's tables, the word lists and a large store's account names are built in
seconds and hundreds of MB the first time; later starts map or read the built form in
milliseconds. An entry is named by what it was built from (a key), so a new package version or
store content builds a new one. A cache that cannot be read is rebuilt; one that cannot be
written only means building at every start. The language resources depend only on the installed
packages, so an image can carry them built (`ccobot cache-seed DIR`, then CCOBOT_CACHE_SEED=DIR):
its new instances read them there. Without a seed they are built in a child process, which
exits when done: building them in the bot's own process took 90 MB of peak memory beside a large
store, and left memory behind that a restart does not hold.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, TypeVar

log = logging.getLogger("ccobot.cache")
T = TypeVar("T")
KEPT = 3  # entries of one kind kept (several stores can share a home); older ones are removed
_SEEDING: Path | None = None  # while seed() runs: where entries are built
_APART = threading.Lock()  # one child building the language resources at a time
APART_TIMEOUT = 600.0  # seconds; a child that takes longer is stopped and the entry built here


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


def cached_folder(kind: str, key: str, build: Callable[[Path], None], load: Callable[[Path], T],
                  apart: bool = False) -> T:
    """load(folder) of the entry `kind`-`key`; when there is none (or it cannot be read), `build`
    writes one into a fresh folder first (`apart`, for a language resource: seed() in a child
    process, falling back to `build` here when the child fails). Without a writable cache the entry
    is built in a temporary folder and loaded from there, then removed (a file `load` mapped stays
    readable)."""
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
            if not (apart and _seeded_apart(root, folder)):
                _publish(root, folder, build)
            _prune(root, kind)
            return load(folder)
        except OSError as exc:
            log.info("no cache for %s (%s): built in memory", kind, exc)
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp))
        return load(Path(tmp))


def loaded_once(entry: Callable[[], tuple]) -> Callable[[], Any]:
    """A function giving a language resource's cached_folder(*entry(), apart=True), read on its first
    call and kept for the process (under a lock: the warm-up thread and the first question may ask
    at once)."""
    lock, held = threading.Lock(), []

    def load() -> Any:
        with lock:
            if not held:
                held.append(cached_folder(*entry(), apart=True))
        return held[0]

    return load


def _seeded_apart(root: Path, folder: Path) -> bool:
    """Whether `folder` is there once a child process has run seed(root) (the seeder itself builds
    in its own process). One child builds every language resource, so the entries asked for next
    are found built."""
    if _SEEDING is not None:
        return False
    with _APART:
        if folder.is_dir():
            return True
        run_apart(_seed_command(root), "the language resources", APART_TIMEOUT)
        return folder.is_dir()


def _seed_command(root: Path) -> list[str]:
    program = "import pathlib, sys; from bot.nlu.cache import seed; seed(pathlib.Path(sys.argv[1]))"
    return [sys.executable, "-c", program, str(root)]


def run_apart(command: list[str], what: str, timeout: float, env: dict[str, str] | None = None) -> bool:
    """Run a child process that builds `what`, with this environment and this copy of `bot` first on its
    path (the bot may run from a checkout); False, and logged, when it cannot start, overruns or fails."""
    source = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": source + (os.pathsep + path if path else ""), **(env or {})}
    try:
        run = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout, env=env,
                             check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("building %s in a child process failed (%s); building here", what, type(exc).__name__)
        return False
    if run.returncode != 0:
        last = run.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        log.warning("building %s in a child process failed (exit %s: %s); building here", what, run.returncode,
                    last[0][:200])
        return False
    return True


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
