"""ccobot: a chat assistant for commercial teams (KPIs, the CCO playbook, digests)."""

import os

# Arrow's own allocator (mimalloc) keeps what a read frees: pyarrow.set_memory_pool (bot/memory.py)
# reaches only what Python asks of Arrow, and the Parquet reader inside allocates from Arrow's default
# all the same. At 1M deals the history read for stalled deals left 39 MB behind that way, 8 MB (its
# result) with the system allocator, which is chosen before Arrow's first allocation. A setting of
# the operator's still wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

__version__ = "0.1.0"
