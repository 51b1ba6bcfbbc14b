"""A local OpenAI-compatible server on 127.0.0.1 for tests: the real openai client talks to it.

It implements POST /v1/embeddings (vectors from the offline hashing embedder, so search
still works) and POST /v1/chat/completions, answered from a script (`replies`, in order, the
last repeating), one entry per request:

    "text"                          the assistant's message (sent as server-sent events, a few
                                    characters each, when the request asks to stream)
    {"status": 429}                 an error status (429 comes with Retry-After: 0)
    {"hang": 5, "then": "text"}     wait, then answer
    {"tool_calls": [{"name": "f", "arguments": "{...}"}]}   a tool call instead of content
    {"raw": "{not json"}            a body that is not JSON at all

It keeps every request it received in `history`, like simonw/llm's fake model.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import ThreadingHTTPServer

from bot.playbook.embeddings import HashingEmbedder
from tests.fakes.http import QuietHandler


USAGE = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}


class FakeOpenAI:
    def __init__(self, dim: int = 256) -> None:
        self.history: list[dict] = []
        self.replies: list[str | dict] = []  # the chat completions to give, in order (the last repeats)
        self.embedder = HashingEmbedder(dim)
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.history.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if self.path == "/v1/chat/completions":
                    return self._chat(body)
                if self.path != "/v1/embeddings":
                    return self._send(404, {"error": {"message": "not found"}})
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                vecs = fake.embedder.embed(texts)
                self._send(200, {"object": "list", "model": body["model"],
                                 "data": [{"object": "embedding", "index": i, "embedding": v.tolist()}
                                          for i, v in enumerate(vecs)],
                                 "usage": {"prompt_tokens": 0, "total_tokens": 0}})

            def _chat(self, body: dict) -> None:
                script = fake.replies.pop(0) if len(fake.replies) > 1 else (fake.replies or ["NOT_COVERED"])[0]
                if isinstance(script, dict) and "hang" in script:
                    time.sleep(script["hang"])
                    script = script.get("then", "NOT_COVERED")
                if isinstance(script, dict) and "status" in script:
                    return self._send(script["status"], {"error": {"message": "scripted", "type": "server_error"}})
                if isinstance(script, dict) and "raw" in script:
                    return self.send_body(200, script["raw"].encode(), "application/json")
                message: dict = {"role": "assistant", "content": script}
                if isinstance(script, dict) and "tool_calls" in script:
                    message = {"role": "assistant", "content": None, "tool_calls": [
                        {"id": f"call_{i}", "type": "function", "function": call}
                        for i, call in enumerate(script["tool_calls"])]}
                if body.get("stream"):
                    return self._stream(body, str(script))
                self._send(200, {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                                 "choices": [{"index": 0, "message": message,
                                              "finish_reason": "tool_calls" if message["content"] is None else "stop"}],
                                 "usage": USAGE})

            def _stream(self, body: dict, text: str) -> None:
                """The text as server-sent events, a few characters a chunk, then the usage."""
                head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": body["model"]}
                pieces = [text[i:i + 7] for i in range(0, len(text), 7)]
                events = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": p},
                                                "finish_reason": None}]} for p in pieces]
                events.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                if (body.get("stream_options") or {}).get("include_usage"):
                    events.append({**head, "choices": [], "usage": USAGE})
                data = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
                self.send_body(200, data.encode(), "text/event-stream")

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                if status == 429:  # the openai client waits what Retry-After says before its retry
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.handle_error = lambda request, address: None  # a client that gave up on a hang
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def dropping_after(chat, chunks: int):
    """`chat` (a ChatOpenAI) whose streams break after `chunks` chunks, as a dropped connection
    would; invoke is untouched. (The fake sends a stream's events at once, so a break midway is
    made on the client's side.)"""
    class Drops:
        invoke = chat.invoke

        def stream(self, messages, **kw):
            for n, chunk in enumerate(chat.stream(messages, **kw)):
                if n == chunks:
                    raise ConnectionError("stream dropped")
                yield chunk

    return Drops()
