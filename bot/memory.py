"""How the process allocates, set once at import: resident memory is a target (bench/bench_memory.py).

Arrow's own allocator and glibc's keep what they freed for reuse; a 1M-deal store's load and a
question's masks and sums (1-8 MB each) would otherwise leave their freed pages resident. glibc
only (not musl, not macOS): elsewhere nothing here applies and nothing fails.
"""

from __future__ import annotations

import os

import pyarrow as pa

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters
M_ARENA_MAX = -8


def give_back() -> None:
    """Return what was freed to the system: after each table's load, each history batch, each answer
    (well under a millisecond with the store loaded)."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc():
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc()
if _LIBC is not None and os.environ.get("ARROW_DEFAULT_MEMORY_POOL", "system") == "system":
    # Arrow's own allocator (mimalloc) keeps the pages a load freed (the Parquet buffers pandas
    # copied out of): about 100 MB resident at 1M deals. The system allocator hands them back
    # through malloc_trim, as fast here. This reaches what Python asks of Arrow; bot/__init__.py
    # sets the environment so that Arrow's inner allocations follow too.
    pa.set_memory_pool(pa.system_memory_pool())
if _LIBC is not None and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
    # glibc raises its mmap threshold each time a large block is freed, up to 32 MB, after which the
    # store's arrays and a question's masks and sums come from the heap, whose freed holes stay
    # resident. A fixed threshold keeps them mapped and returned when freed: at 1M deals about 40 MB
    # less after the load and 25 MB less after questions, which are no slower; the load takes about
    # a second more of page faults (fixed only after the load, it kept 10-25 MB more).
    _LIBC.mallopt(M_MMAP_THRESHOLD, 256 * 1024)
if _LIBC is not None and "MALLOC_ARENA_MAX" not in os.environ:
    # glibc gives each thread that allocates an arena of its own, up to 8 per core; `serve` answers on
    # up to 16 threads, each arena keeping its own freed holes. Python runs one thread at a time, so
    # two arenas cost no waiting: 4 MB less at the served bot's peak at 1M deals.
    _LIBC.mallopt(M_ARENA_MAX, 2)
