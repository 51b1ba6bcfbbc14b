"""A local OpenAI-compatible server on 127.0.0.1 for tests: the real openai client talks to it.

It implements POST /v1/embeddings (vectors from the offline hashing embedder, so search
still works) and keeps every request it received in `history`, like simonw/llm's fake model.
"""

from __future__ import annotations

import json
import threading
from http.server import ThreadingHTTPServer

from bot.playbook.embeddings import HashingEmbedder
from tests.fakes.http import QuietHandler


class FakeOpenAI:
    def __init__(self, dim: int = 256) -> None:
        self.history: list[dict] = []
        self.embedder = HashingEmbedder(dim)
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.history.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if self.path != "/v1/embeddings":
                    return self._send(404, {"error": {"message": "not found"}})
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                vecs = fake.embedder.embed(texts)
                self._send(200, {"object": "list", "model": body["model"],
                                 "data": [{"object": "embedding", "index": i, "embedding": v.tolist()}
                                          for i, v in enumerate(vecs)],
                                 "usage": {"prompt_tokens": 0, "total_tokens": 0}})

            def _send(self, status: int, payload: dict) -> None:
                self.send_body(status, json.dumps(payload).encode(), "application/json")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
