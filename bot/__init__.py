"""ccobot: a chat assistant for commercial teams (KPIs, the CCO playbook, digests)."""

__version__ = "0.1.0"
