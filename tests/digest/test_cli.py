"""`ccobot digest run` and `ccobot scheduler` as a user starts them: clear errors, a clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.digest.stores import people_store
from tests.fakes.slack_api import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def ccobot(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CCOBOT_", "DATABASE_"))}
    clean.update(CCOBOT_HOME=str(tmp_path / "home"), CCOBOT_DATA=str(people_store(tmp_path / "store", [("m1", "UTC")])),
                 PYTHONPATH=str(ROOT), **env)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=clean, cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_digest_run_without_a_slack_token_says_how_to_set_one(tmp_path):
    out, err = ccobot(tmp_path, "digest", "run").communicate(timeout=120)
    said = " ".join(err.split())  # the terminal wraps it
    assert "SLACK_BOT_TOKEN" in said and "MICROSOFT_APP_ID" in said and "digest preview" in said
    assert "Traceback" not in err + out


def test_digest_run_wants_an_offset_in_its_timestamp(tmp_path):
    proc = ccobot(tmp_path, "digest", "run", "--at", "2026-11-03T08:00", SLACK_BOT_TOKEN="xoxb-test")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "no UTC offset" in err


def test_digest_run_sends_what_is_due_and_says_so(tmp_path):
    fake = FakeSlack()
    try:
        proc = ccobot(tmp_path, "digest", "run", "--at", "2026-11-03T08:00:00Z", SLACK_BOT_TOKEN="xoxb-test",
                      SLACK_API_URL=fake.api_url, CCOBOT_DIGEST_CHART="false")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-500:]
        assert "1 due, 1 sent" in err and len(fake.posts_to("Um1")) == 1
        again = ccobot(tmp_path, "digest", "run", "--at", "2026-11-03T08:05:00Z", SLACK_BOT_TOKEN="xoxb-test",
                       SLACK_API_URL=fake.api_url)
        _, err = again.communicate(timeout=120)
        assert again.returncode == 0 and "1 taken by another run or already sent" in err
        assert len(fake.posts_to("Um1")) == 1
    finally:
        fake.close()


def test_the_scheduler_runs_until_told_to_stop(tmp_path):
    fake = FakeSlack()
    try:
        proc = ccobot(tmp_path, "scheduler", SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake.api_url)
        deadline = time.monotonic() + 60
        line = ""
        while "scheduler running" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        assert "scheduler running" in line
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        assert proc.returncode == 0
    finally:
        fake.close()
