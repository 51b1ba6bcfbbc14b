"""The digest as Block Kit (placeholder: plain sections until the full rendering lands)."""

from __future__ import annotations

from bot.digest.model import Digest
from bot.digest.render import digest_text, words


def digest_message(digest: Digest) -> tuple[str, list[dict]]:
    """(notification text, blocks)."""
    w = words(digest)
    text = digest_text(digest)
    return w.title, [{"type": "section", "text": {"type": "plain_text", "text": text[:3000]}}]


def digest_chart(digest: Digest) -> bytes | None:
    return None
