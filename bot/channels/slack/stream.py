"""A model-written answer shown in Slack as it is written (chat.startStream, chat.appendStream,
chat.stopStream), and posted exactly once however Slack or the model fails.

The sink is what `Assistant.ask(stream=…)` is given: a callable taking the answer's checked text,
piece by piece (bot/llm/playbook.py hands on nothing before the text cites a passage, so a reply
that turns out NOT_COVERED or cites nothing never starts a stream). The first piece starts the
message, later pieces are appended; once the Answer is complete `finish` makes the message the
answer:

- the text shown is the answer's text (the usual case): chat.stopStream with what is still to
  come and the blocks render() puts after the text (sources, notes, follow-ups, feedback), so
  the message holds what the posted answer would;
- anything else (the model failed midway and the answer is the offline one with its note, an
  append Slack refused or may have lost, a stop Slack refused): the stream is stopped and the
  message replaced by the whole rendered answer with chat.update (the SDK's own fallback for a
  stream that expired);
- when Slack will not update it either, the message is deleted and the answer posted as usual;
  when it will not delete it, nothing more is posted (never twice) and the log says so.

Exactly once: a message exists only once startStream returned its ts. Without a ts (nothing was
written yet, or Slack refused the start) the face posts as usual; with one, it never posts
another message unless Slack confirmed this one deleted. startStream is sent without blind
retries, so a dropped connection cannot start two streams; such a start (Slack may or may not
have taken it) counts as not started and the answer is posted: the rare partial message left
behind is the price of the asker always getting the answer.

Pacing. These calls go straight from the answer's thread, not through the Outbox: they are
worth something only at once, and an answer makes few of them (the text arrives a line or a
sentence at a time: some ten appends for the longest answer the model may write). A 429 never
puts the thread to sleep while the model writes: a start hit by it is tried again with the next
piece (the normal post, through the outbox, when none comes), an append hit by it keeps its
text for the next call or the stop. The finishing calls use the workspace's usual client, which
waits out a 429 (its Retry-After) and retries a dropped connection: each of them may be repeated
safely (a stop already done is refused and then the update replaces the message; a delete
already done answers message_not_found).

Text. Slack's `markdown_text` is Markdown with Slack's control characters: &, < and > are
escaped so no text makes a mention, a broadcast or an <url|link>, and "](" and "]:" are broken
with a zero-width space so no Markdown link or link definition is made either (the checker
already removed links the passages do not contain; this keeps the rest literal, as the posted
answer's rich_text does).
"""

from __future__ import annotations

import logging
import uuid

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.channels.slack.blocks import escape

log = logging.getLogger("ccobot.slack.stream")
MARKDOWN_CHARS = 12_000  # Slack: markdown_text in one call, and in one message
ZWSP = "\u200b"


def markdown(text: str) -> str:
    """Text as Slack's markdown_text, shown literally: no mention, broadcast or link can be made."""
    return escape(text).replace("](", f"]{ZWSP}(").replace("]:", f"]{ZWSP}:")


class SlackStream:
    """One answer's streamed message in a thread. `recipient` (team id, user id) is Slack's required
    reader of a stream outside a DM; None in a DM."""

    def __init__(self, client: WebClient, quick: WebClient, channel: str, thread_ts: str,
                 recipient: tuple[str, str] | None = None) -> None:
        self.client = client  # waits out 429s, retries dropped connections: for the finishing calls
        self.quick = quick  # neither: for the calls made while the model writes
        self.channel, self.thread_ts, self.recipient = channel, thread_ts, recipient
        self.ts: str | None = None  # the message, once Slack started it
        self.text = ""  # all the checked text given so far
        self.taken = 0  # how much of `text` Slack has taken
        self.broken = False  # Slack refused (or may have lost) a piece: what is shown is not text[:taken]

    # ------------------------------------------------------------ while the model writes

    def __call__(self, piece: str) -> None:
        self.text += piece
        if self.broken:
            return
        if len(markdown(self.text)) > MARKDOWN_CHARS:  # more than one message holds: finished by chat.update
            self.broken = True
        elif self.ts is None:
            self._start()
        else:
            self._append()

    def _start(self) -> None:
        args = dict(channel=self.channel, thread_ts=self.thread_ts, markdown_text=markdown(self.text))
        if self.recipient:
            args.update(recipient_team_id=self.recipient[0], recipient_user_id=self.recipient[1])
        try:
            self.ts = str(self.quick.chat_startStream(**args)["ts"])
            self.taken = len(self.text)
        except SlackApiError as exc:
            if exc.response.status_code != 429:  # refused: not started, and not tried again
                log.info("chat.startStream refused: %s", exc.response.get("error"))
                self.broken = True
        except Exception as exc:  # noqa: BLE001 (a dropped connection: maybe started, never known)
            log.warning("chat.startStream failed: %s", type(exc).__name__)
            self.broken = True

    def _append(self) -> None:
        try:
            self.quick.chat_appendStream(channel=self.channel, ts=self.ts, markdown_text=markdown(self.text[self.taken:]))
            self.taken = len(self.text)
        except SlackApiError as exc:
            if exc.response.status_code != 429:  # a 429: Slack took nothing; the text goes with the next call
                log.info("chat.appendStream refused: %s", exc.response.get("error"))
                self.broken = True
        except Exception as exc:  # noqa: BLE001 (maybe appended, maybe not: the message will be replaced)
            log.warning("chat.appendStream failed: %s", type(exc).__name__)
            self.broken = True

    # ------------------------------------------------------------ when the answer is complete

    def finish(self, final_text: str, text: str, blocks: list[dict], tail: list[dict] | None) -> str:
        """Make the message the answer: `final_text` is the answer's text, `text` and `blocks` its
        whole rendering, `tail` the blocks that follow its text (None when the text is not all of
        the rest, a table say: then the message is replaced). "none": no message was started
        (post as usual); "done": the message is the answer; "gone": it was deleted (post as usual);
        "stuck": Slack would neither finish, update nor delete it (post nothing)."""
        if self.ts is None:
            return "none"
        shown_is_answer = tail is not None and not self.broken and final_text.startswith(self.text)
        rest = markdown(self.text[self.taken:] + final_text[len(self.text):]) if shown_is_answer else ""
        if shown_is_answer and len(rest) <= MARKDOWN_CHARS:
            if self._call("chat_stopStream", channel=self.channel, ts=self.ts, markdown_text=rest or None,
                          blocks=tail or None):
                return "done"
        else:
            self._call("chat_stopStream", channel=self.channel, ts=self.ts)  # close it; replaced next
        if self._call("chat_update", channel=self.channel, ts=self.ts, text=text, blocks=blocks):
            return "done"
        return self.discard()

    def discard(self) -> str:
        """Delete the started message: "gone" when Slack confirms it is, else "stuck"."""
        if self.ts is None:
            return "none"
        try:
            self.client.chat_delete(channel=self.channel, ts=self.ts)
            return "gone"
        except SlackApiError as exc:
            if exc.response.get("error") == "message_not_found":  # a retried delete that had worked
                return "gone"
            error = exc.response.get("error")
        except Exception as exc:  # noqa: BLE001
            error = type(exc).__name__
        ref = uuid.uuid4().hex[:8]
        log.error("streamed answer %s in %s left unfinished (ref %s): %s", self.ts, self.channel, ref, error,
                  extra={"ref": ref})
        return "stuck"

    def _call(self, method: str, **kwargs) -> bool:
        try:
            getattr(self.client, method)(**{k: v for k, v in kwargs.items() if v is not None})
            return True
        except Exception as exc:  # noqa: BLE001 (Slack's refusal or a dropped connection: the next step)
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            log.info("%s for a streamed answer failed: %s", method, error)
            return False
