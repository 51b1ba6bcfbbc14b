"""Playbook retrieval and answer time on a 10,000-chunk index (hybrid: Chroma vectors + BM25,
fused; then the answer composed from the passages found).

    python bench/bench_playbook.py                  # ~10,000 chunks, offline hashing embeddings
    python bench/bench_playbook.py --chunks 2000

Builds (once, under $CCOBOT_HOME/bench) a knowledge folder of synthetic documents made by
shuffling the seed playbook's paragraphs and headings, indexes it, then times
PlaybookIndex.search, and the whole answer (search, coverage, composition: Playbook.ask
without its cache), for the evaluation questions, repeated. Reports medians and p95, and the
share of the search spent in Chroma's vector query.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import pct  # noqa: E402
from bot.playbook.chunks import split  # noqa: E402
from bot.playbook.documents import load_documents, read_document  # noqa: E402
from bot.playbook.embeddings import HashingEmbedder  # noqa: E402
from bot.playbook import answer as compose  # noqa: E402
from bot.playbook.index import PlaybookIndex  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def build_corpus(folder: Path, chunks: int, seed: int = 7) -> None:
    docs, _ = load_documents(ROOT / "knowledge")
    paragraphs = [p for d in docs for p in d.text.split("\n") if len(p) > 40]
    headings = [p.lstrip("# ") for d in docs for p in d.text.split("\n") if p.startswith("#")]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    made, n = 0, 0
    while made < chunks:
        body = []
        for _ in range(8):
            body.append(f"## {rng.choice(headings)} {n}")
            body.extend(rng.sample(paragraphs, 4))
        lang = rng.choice(["en", "da", "sv"])
        text = f"---\ntitle: Synthetic {n}\nlang: {lang}\n---\n" + "\n".join(body)
        path = folder / f"doc-{n:05d}.md"
        path.write_text(text, encoding="utf-8")
        made += len(split(read_document(path, folder)))
        n += 1



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--home", type=Path, default=Path(os.environ.get("CCOBOT_HOME", ".ccobot")) / "bench")
    args = ap.parse_args()
    folder = args.home / f"knowledge-{args.chunks}"
    if not folder.exists():
        build_corpus(folder, args.chunks)
    index = PlaybookIndex(folder, args.home / f"pb-{args.chunks}", HashingEmbedder())
    started = time.perf_counter()
    if not index.open():
        report = index.sync()
        print(f"indexed {report.chunks:,} chunks in {time.perf_counter() - started:.1f} s")
    print(f"index: {len(index.chunks):,} chunks")
    questions = [json.loads(line)["q"] for f in (ROOT / "tests/eval/playbook_dev.jsonl",
                                                 ROOT / "tests/eval/playbook_own.jsonl",
                                                 ROOT / "tests/eval/playbook_eval.jsonl")
                 if f.exists() for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    for q in questions[:5]:
        index.search(q)
    total, vector, answered = [], [], []
    for _ in range(args.repeat):
        for q in questions:
            t0 = time.perf_counter()
            hits = index.search(q)
            t1 = time.perf_counter()
            index._vector(q)
            t2 = time.perf_counter()
            if compose.covered(hits):  # what Playbook.ask does after searching
                compose.compose(q, hits, "en", index)
            else:
                compose.not_covered(hits, "en")
            t3 = time.perf_counter()
            total.append((t1 - t0) * 1000)
            vector.append((t2 - t1) * 1000)
            answered.append((t1 - t0 + t3 - t2) * 1000)
    print(f"search over {len(total)} questions: median {statistics.median(total):.2f} ms, p95 {pct(total, 0.95):.2f} ms; "
          f"of which the Chroma vector query median {statistics.median(vector):.2f} ms")
    print(f"search + answer: median {statistics.median(answered):.2f} ms, p95 {pct(answered, 0.95):.2f} ms")


if __name__ == "__main__":
    main()
