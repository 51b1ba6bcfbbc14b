"""Where the tests' own files are. Everything a test reads lives inside the repository."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
KNOWLEDGE = ROOT / "knowledge"
FIXTURES = TESTS / "fixtures"  # Slack and Teams request bodies (SOURCE.txt says where from), seed texts
EVAL = TESTS / "eval"  # development question sets
