"""Signed Slack events posted at once from a process of their own, as Slack would send them: the
server's ack latency is then measured without the test's own threads competing with it.

    python -m tests.slack.load_client URL SECRET BODIES.json THREADS  → JSON list of seconds
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from slack_sdk.signature import SignatureVerifier


def post(url: str, secret: str, body: str) -> tuple[int, float]:
    ts = str(int(time.time()))
    req = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)})
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()
        return resp.status, time.perf_counter() - started


def main() -> None:
    url, secret, path, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    bodies = [json.dumps(b) for b in json.loads(open(path, encoding="utf-8").read())]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(post, url, secret, b) for b in bodies]  # all queued at once
        results = [f.result() for f in futures]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
