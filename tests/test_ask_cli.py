"""ccobot ask and ccobot chat as users and scripts run them: JSON, batches, bad input, context."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

EXE = str(Path(sys.executable).with_name("ccobot"))


def run(*args: str, stdin: str | None = None, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CCOBOT_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("CCOBOT_DATA", None)
    return subprocess.run([EXE, *args], input=stdin, capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")


BAD_INPUT = [
    "", "x" * 10_000, "🙂🔥📈", "SELECT * FROM opportunities; DROP TABLE reps; --",
    "Hvad var revenue i Norden last quarter?", "What is our flurbo rate?", "revenue in Q5", "revenue on Feb 30",
    "revenue in 2019", "revenue next year", "'; exec xp_cmdshell('rm -rf /') --", "<!channel> revenue <@U123>",
    "revenue " * 2_000, "?", "\x00\x01 revenue", "revenue by region top 5 reps who team", "y" * 100_000,
]


def test_bad_input_gets_a_helpful_reply_and_exit_0(small_store_dir, home, tmp_path):
    batch = tmp_path / "bad.txt"
    batch.write_text("\n".join(q.replace("\n", " ") for q in BAD_INPUT if q.strip()) + "\n", encoding="utf-8")
    proc = run("ask", "--batch", str(batch), "--json", "--as-of", "2026-11-20", "--data", str(small_store_dir),
               home=home)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(answers) == len([q for q in BAD_INPUT if q.strip()])
    for answer in answers:
        assert answer["kind"] in ("kpi", "help", "clarify", "not_covered") and len(answer["text"]) > 10
        assert answer["kind"] != "error"
    by_q = {a["question"][:40]: a for a in answers}
    assert by_q["revenue in Q5"]["kind"] == "clarify" and "Q5" in by_q["revenue in Q5"]["text"]
    assert by_q["revenue on Feb 30"]["kind"] == "clarify" and "30 February" in by_q["revenue on Feb 30"]["text"]
    no_data = by_q["revenue in 2019"]
    assert no_data["kind"] == "kpi" and no_data["value"] == 0 and any("No matching deals" in n for n in no_data["notes"])
    future = by_q["revenue next year"]
    assert future["value"] is None and any("not started" in n for n in future["notes"])
    long_one = next(a for a in answers if a["question"].startswith("x" * 100))
    assert long_one["kind"] == "help"
    many = next(a for a in answers if a["question"].startswith("revenue revenue"))
    assert many["kind"] == "kpi" and any("first 500 characters" in n for n in many["notes"])
    three = by_q["revenue by region top 5 reps who team"[:40]]
    assert three["kind"] == "clarify" and "at most two" in three["text"]
    mixed = next(a for a in answers if a["question"].startswith("Hvad var revenue"))
    assert mixed["kind"] == "kpi" and mixed["filters"] == {"region": "Nordics"}


def test_empty_question_on_the_command_line(small_store_dir, home):
    proc = run("ask", "", "--json", "--data", str(small_store_dir), home=home)
    assert proc.returncode == 0 and json.loads(proc.stdout)["kind"] == "help"


def test_batch_is_json_lines_in_input_order_with_elapsed(small_store_dir, home):
    questions = "# a comment\nrevenue last quarter\n\nHvad var omsætningen sidste kvartal?\nmy pipeline\n"
    proc = run("ask", "--batch", "-", "--json", "--user", "alice@x.example", "--as-of", "2026-11-20",
               "--data", str(small_store_dir), stdin=questions, home=home)
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [a["question"] for a in answers] == ["revenue last quarter", "Hvad var omsætningen sidste kvartal?",
                                                "my pipeline"]
    assert [a["lang"] for a in answers] == ["en", "da", "en"]
    assert answers[0]["value"] == 2530.0 and answers[1]["value"] == 2530.0
    assert answers[1]["text"].startswith("Omsætning, sidste kvartal (2026-07-01 til 2026-09-30): 2.530 €")
    assert answers[2]["filters"] == {"owner": "r1"}  # Alice's own pipeline: o7 has no amount
    assert all(isinstance(a["elapsed_ms"], float) for a in answers)


def test_readable_output_and_the_audit_file(small_store_dir, home):
    proc = run("ask", "revenue by region last quarter", "--as-of", "2026-11-20", "--data", str(small_store_dir),
               home=home)
    assert proc.returncode == 0
    assert "EUR 2,530 overall" in proc.stdout and "Nordics" in proc.stdout and "EUR 2,340" in proc.stdout
    assert (home / "state.db").exists()


def test_ask_argument_errors_exit_2(small_store_dir, home):
    assert run("ask", "--data", str(small_store_dir), home=home).returncode == 2
    proc = run("ask", "--batch", "/nonexistent/file", "--data", str(small_store_dir), home=home)
    assert proc.returncode == 2 and "cannot read" in proc.stderr
    proc = run("ask", "revenue", "--data", "/nonexistent/store", home=home)
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def test_chat_keeps_the_context(small_store_dir, home):
    script = "revenue last quarter\nand by region?\nwhat about last year?\nog i DACH?\nquit\n"
    proc = run("chat", "--as-of", "2026-11-20", "--data", str(small_store_dir), stdin=script, home=home)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Revenue, last quarter (2026-07-01 to 2026-09-30): EUR 2,530." in out
    assert "Revenue, last quarter (2026-07-01 to 2026-09-30), by region: EUR 2,530 overall." in out
    assert "Revenue, last year (2025-01-01 to 2025-12-31), by region: EUR 3,000 overall." in out
    assert "Omsætning for region DACH, sidste år (2025-01-01 til 2025-12-31): 0 €." in out


def test_batch_files_in_any_encoding_are_read(small_store_dir, home, tmp_path):
    """Windows-1252 (what Nordic Windows tools save), UTF-16 and UTF-8 with a BOM, and stray bytes:
    every line is answered, the Danish one understood as Danish, and the exit status is 0."""
    danish = "Hvad var omsætningen sidste kvartal?"
    files = {
        "cp1252.txt": danish.encode("cp1252") + b"\r\nrevenue last quarter\r\n",
        "utf16.txt": (danish + "\nrevenue last quarter\n").encode("utf-16"),
        "bom.txt": codecs.BOM_UTF8 + (danish + "\nrevenue last quarter\n").encode("utf-8"),
        "mixed.txt": danish.encode("utf-8") + b"\nrevenue \x81\xff last quarter\n",
    }
    for name, raw in files.items():
        (tmp_path / name).write_bytes(raw)
        proc = run("ask", "--batch", str(tmp_path / name), "--json", "--as-of", "2026-11-20", "--data",
                   str(small_store_dir), home=home)
        assert proc.returncode == 0, (name, proc.stderr)
        answers = [json.loads(line) for line in proc.stdout.splitlines()]
        assert len(answers) == 2, name
        assert answers[0]["question"] == danish and answers[0]["lang"] == "da", name
        assert [a["value"] for a in answers] == [2530.0, 2530.0], name


def test_a_question_that_is_not_utf8_or_has_control_characters(small_store_dir, home):
    """Bytes that are not UTF-8 on the command line reach the answer and the audit log as U+FFFD."""
    env = {**os.environ, "CCOBOT_HOME": str(home), "NO_COLOR": "1"}
    for raw in (b"revenue \xff last quarter", b"revenue\x01\x07 last quarter\x1b[31m"):
        proc = subprocess.run([EXE.encode(), b"ask", raw, b"--json", b"--as-of", b"2026-11-20", b"--data",
                               str(small_store_dir).encode()], capture_output=True, timeout=120, env=env)
        assert proc.returncode == 0, proc.stderr
        answer = json.loads(proc.stdout)
        assert answer["kind"] == "kpi" and answer["value"] == 2530.0, answer
        assert not any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in answer["question"])
    engine = create_engine(f"sqlite:///{home / 'state.db'}")
    with engine.connect() as conn:
        logged = [row[0] for row in conn.execute(text("select question from audit"))]
    assert "revenue \ufffd last quarter" in logged


def test_a_deal_list_through_the_command_line(small_store_dir, home):
    proc = run("ask", "my biggest deal closing this quarter", "--json", "--user", "bob@x.example", "--as-of",
               "2026-11-20", "--data", str(small_store_dir), home=home)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    # Bob's open deals: o6 only (Gamma, EUR 2,000, closing 2026-12-10)
    assert answer["kind"] == "deals" and answer["value"] == 1 and answer["limit"] == 1
    assert [(r["opportunity_id"], r["account"], r["owner"], r["amount"], r["close_date"]) for r in answer["rows"]] == [
        ("o6", "Gamma", "Bob Lund", 2000.0, "2026-12-10")]
    readable = run("ask", "which deals are closing this quarter?", "--as-of", "2026-11-20", "--data",
                   str(small_store_dir), home=home)
    assert readable.returncode == 0 and "2 in all" in readable.stdout  # o6 and o8 (Carl, Beta, DKK 400)
    assert "Bob Lund" in readable.stdout and "Carl Weber" in readable.stdout


def test_a_comparison_and_a_two_part_question_through_the_command_line(small_store_dir, home):
    args = ("--json", "--as-of", "2026-11-20", "--data", str(small_store_dir))
    proc = run("ask", "win rate Nordics vs DACH last quarter", *args, home=home)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    # SMALL, closed 2026-07-01…09-30: Nordics (Alice, Bob) o1 o2 won, o3 lost → 2/3; DACH (Carl) o4 o12 won, o5 lost → 2/3
    assert answer["kind"] == "compare" and [r["label"] for r in answer["rows"]] == ["Nordics", "DACH"]
    assert [r["value"] for r in answer["rows"]] == pytest.approx([2 / 3, 2 / 3])
    assert answer["value"] == pytest.approx(0.0) and answer["change"] == pytest.approx(0.0)
    proc = run("ask", "revenue and win rate last quarter", *args, home=home)
    answer = json.loads(proc.stdout)
    assert [(p["metric"], p["value"]) for p in answer["parts"]] == [("revenue", 2530.0), ("win_rate", pytest.approx(4 / 6))]
    assert answer["metric"] == "revenue" and answer["value"] == 2530.0
