"""The language resources and the account names, kept compact and cached on disk, answer as the
packages and the plain dictionary they replace: each is checked against the stock package (or a
dictionary built here) on the same inputs."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bot.nlu import cache, text, values

SAMPLE_TEXTS = ["win rate by region last quarter", "hvad er vores pipeline", "vad är vår pipeline i år", "", "123",
                "ÆØÅ æøå", "pipeline", "hur många affärer vann vi", "Freja Karlsson", "omsætning pr. måned"]
ODD_WORDS = ["e-mail", "co-worker", "rock'n'roll", "2024", "q3", "3rd", "pipeline", "mødelokale", "friskvårdsbidrag",
             "onbaording", "xyzzy", "ingeniørteamene", "kundepleje", "U.S.A.", "don't", "", "naïve", "ÆØÅ"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cache, "cache_dir", lambda: tmp_path / "cache")
    return tmp_path / "cache"


def test_language_identifier_from_the_cache_classifies_as_py3langid(home: Path) -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    import wordfreq

    stock = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    stock.set_languages(list(text.LANGS))
    built = cache.cached_folder("langid", "t", text._build_identifier, text._load_identifier)
    again = cache.cached_folder("langid", "t", text._build_identifier, text._load_identifier)  # read, mapped
    rng = random.Random(5)
    texts = SAMPLE_TEXTS + [" ".join(rng.sample(wordfreq.top_n_list(lang, 3000), rng.randint(1, 8)))
                            for lang in text.LANGS for _ in range(60)]
    for t in texts:
        assert built.classify(t) == stock.classify(t) == again.classify(t), t
    assert isinstance(again.tk_nextmove, text.FileArray)
    # Read an item at a time, never mapped: a mapping keeps every page a walk touched resident.
    assert "nextmove.npy" not in Path("/proc/self/maps").read_text()
    assert len(again.tk_nextmove) == len(stock.tk_nextmove)
    for i in [0, 1, *rng.sample(range(len(stock.tk_nextmove)), 500), len(stock.tk_nextmove) - 1]:
        assert again.tk_nextmove[i] == stock.tk_nextmove[i], i
    with pytest.raises(IndexError):
        again.tk_nextmove[len(stock.tk_nextmove)]


def test_word_frequencies_are_wordfreqs_wherever_ccobot_compares_them(home: Path) -> None:
    import wordfreq

    rng = random.Random(7)
    words = list(ODD_WORDS)
    for lang in text.LANGS:
        bands = wordfreq.get_frequency_list.__wrapped__(lang, "best")
        for i in [*range(0, len(bands), 11), *range(640, 672)]:  # around the kept bands' edge too
            if i < len(bands) and bands[i]:
                words += rng.sample(bands[i], min(2, len(bands[i])))
    program = ("import json, sys, wordfreq; ws = json.load(sys.stdin); "
               "print(json.dumps({l: [wordfreq.zipf_frequency(w, l) for w in ws] for l in ('en', 'da', 'sv')}))")
    stock = json.loads(subprocess.run([sys.executable, "-c", program], input=json.dumps(words), text=True,
                                      capture_output=True, check=True).stdout)
    for lang in text.LANGS:
        for word, want in zip(words, stock[lang]):
            got = text.zipf_frequency(word, lang)
            if want >= text.ZIPF_KEPT:
                assert got == want, (lang, word)
            else:  # below what is kept: under every threshold, and the playbook's weight of it the same
                assert got < text.ZIPF_FLOOR
                assert min(max(6.5 - got, 0.3), 4.0) == min(max(6.5 - want, 0.3), 4.0)


def test_word_classes_are_lemminflects_parts_of_speech(home: Path) -> None:
    from lemminflect import Lemmatizer, getAllLemmas

    lemmatizer = Lemmatizer()
    known = sorted(set(lemmatizer._getLemmaDict()) | set(lemmatizer._getOverridesDict()))
    rng = random.Random(3)
    for word in rng.sample(known, 3000) + ["Car", "LAPTOP", "company", "new", "xyzzy", "", "a" * 80, "ærø"]:
        assert text.word_classes(word) == frozenset(getAllLemmas(word)), word


def _accounts(names: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({"account_id": [f"A{i}" for i in range(len(names))], "name": names}).astype("str")


def _plain_index(accounts: pd.DataFrame) -> dict[str, list[str]]:
    """The phrases as one dictionary, the way values.py built them before (independent of AccountNames)."""
    lowered = accounts["name"].astype("string").fillna("").str.lower().tolist()
    full = [values.key(n) for n in lowered]
    bare = [values.LEGAL_SUFFIX.sub("", k) for k in full]
    out: dict[str, list[str]] = {}
    for f, b, acc in zip(full, bare, accounts["account_id"].astype(str)):
        if f:
            out.setdefault(f, []).append(acc)
        if b and b != f and bare.count(b) == 1:
            out.setdefault(b, []).append(acc)
    return out


NAMES = ["Nordlys A/S", "Nordlys ApS", "Beacon Software", "Beacon Software", "Fjord Freight AB", "Öresund Bank",
         "Kaffe & Kage ApS", "Acme's Tools GmbH", None, "", "Sand AB", "Sand"]


@pytest.mark.parametrize("cached", [False, True])
def test_account_names_find_what_a_dictionary_of_phrases_finds(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                               cached: bool) -> None:
    if cached:  # and turned into phrases three names at a time
        monkeypatch.setattr(values, "CACHED_FROM", 0)
        monkeypatch.setattr(values, "BATCH", 3)
    accounts = _accounts(NAMES)
    plain = _plain_index(accounts)
    for _ in range(2):  # built (and cached), then read back
        names = values.AccountNames.of(accounts)
        for phrase, ids in plain.items():
            assert names.find(phrase) == ids, phrase
        for phrase in ["nordlys", "beacon", "fjord freight ab x", "", "sand ab"]:
            assert names.find(phrase) == plain.get(phrase, []), phrase
        assert names.words == {w for p in plain for w in p.split()}
    assert any(home.glob("accounts-*")) == cached


def test_account_names_built_a_batch_at_a_time_are_those_built_at_once() -> None:
    names = _accounts(NAMES * 3)["name"]  # repeated: no bare name is unique, every full name is listed thrice
    whole = values._account_arrays([names])
    for cuts in ([1], [5, 6], list(range(1, len(names)))):
        parts = [names.iloc[a:b] for a, b in zip([0, *cuts], [*cuts, len(names)])]
        batched = values._account_arrays(parts)
        assert (batched[0] == whole[0]).all() and (batched[1] == whole[1]).all() and batched[2] == whole[2]
    plain = _plain_index(_accounts(NAMES * 3))
    assert len(whole[0]) == sum(len(ids) for ids in plain.values())


TRICKY = ["Crest Health 1219 Inc.", "Acme Corp.", "A.", "Foo 12.", "Bar Inc..", "Æble ApS", "Nordlys A/S", "X  Y",
          "Sand AB", "Acme's Tools GmbH", "O'Neil Ltd.", "Co-op AS", "ab", "Foo Inc.  ", " Lead", "ÖRESUND AB",
          "İstanbul Ticaret AŞ", "Kaffe & Kage", "North Capital Inc. Ltd", "Delta 7 GmbH.", "x" * 600, "Ltd", None, ""]


def test_names_phrased_a_batch_at_once_as_one_by_one() -> None:
    names = pd.Series(TRICKY + NAMES, dtype="object")
    fulls, shorts = values._batch_phrases(names)
    assert list(zip(fulls, shorts)) == [values._phrases(n) for n in values._lowered(names)]
    assert fulls[:2] == ["crest health 1219 inc", "acme corp"] and shorts[:2] == ["crest health 1219", "acme"]


def test_a_hash_collision_never_names_the_wrong_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values, "_hash", lambda phrase: 1)  # every phrase collides
    accounts = _accounts(NAMES)
    names = values.AccountNames.of(accounts)
    for phrase, ids in _plain_index(accounts).items():
        assert names.find(phrase) == ids
    assert names.find("no such account") == []


def test_an_unreadable_cache_entry_is_rebuilt_and_an_unwritable_cache_builds_in_memory(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = []

    def build(folder: Path) -> None:
        built.append(1)
        (folder / "x.txt").write_text("ok")

    def load(folder: Path) -> str:
        return (folder / "x.txt").read_text()

    assert cache.cached_folder("k", "1", build, load) == "ok"
    assert cache.cached_folder("k", "1", build, load) == "ok" and len(built) == 1
    (home / "k-1" / "x.txt").unlink()
    assert cache.cached_folder("k", "1", build, load) == "ok" and len(built) == 2
    blocked = home / "blocked"
    blocked.write_text("a file where the folder would be")
    monkeypatch.setattr(cache, "cache_dir", lambda: blocked / "cache")
    assert cache.cached_folder("k", "1", build, load) == "ok" and len(built) == 3


def test_a_seeded_cache_is_read_not_built_and_a_missing_seed_entry_is_built_at_home(tmp_path: Path,
                                                                                    monkeypatch: pytest.MonkeyPatch):
    seed = tmp_path / "seed"
    names = cache.seed(seed)
    assert sorted(n.split("-")[0] for n in names) == ["langid", "lexicon", "punkt", "wordfreq"]
    home = tmp_path / "home" / "cache"
    monkeypatch.setattr(cache, "cache_dir", lambda: home)
    monkeypatch.setattr(cache, "seed_dir", lambda: seed)
    for kind, key, _, load in text.cache_entries():
        def refuse(folder: Path, kind: str = kind) -> None:
            raise AssertionError(f"{kind} was built, not read from the seed")
        assert cache.cached_folder(kind, key, refuse, load) is not None
    assert not home.exists()  # the instance's own cache is not touched
    kind, key, build, load = text.cache_entries()[2]
    shutil.rmtree(seed / f"{kind}-{key}")
    assert cache.cached_folder(kind, key, build, load) is not None and (home / f"{kind}-{key}").is_dir()


def test_an_instance_started_with_a_seed_from_the_command_line_builds_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "CCOBOT_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "cache-seed", str(tmp_path / "seed")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "langid-" in done.stdout, done.stderr
    program = "from bot.nlu import text; text.warm_up(); print(text.is_word('pipeline'))"
    run = subprocess.run([sys.executable, "-c", program], env={**env, "CCOBOT_CACHE_SEED": str(tmp_path / "seed")},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.strip() == "True", run.stderr
    assert not (tmp_path / "home" / "cache").exists()


def test_a_fresh_home_has_its_language_resources_built_by_a_child_process(tmp_path: Path) -> None:
    # The parent's own builders fail: it can only read what the child (a new interpreter, with the
    # real builders) built, and every resource is in the home's cache after one warm-up.
    env = {**os.environ, "CCOBOT_HOME": str(tmp_path / "home")}
    env.pop("CCOBOT_CACHE_SEED", None)
    program = """
from bot.nlu import text
from bot.playbook import sentences
def refuse(folder):
    raise AssertionError("built in the parent")
text._build_identifier = text._build_word_lists = text._build_lexicon = sentences._build_models = refuse
text.warm_up()
print(text.is_word("pipeline"), text._identifier().classify("hvad er vores pipeline i år?")[0],
      sentences.split_sentences("Mr. Smith met Dr. Jones. They spoke.", "en") == ["Mr. Smith met Dr. Jones.", "They spoke."])
"""
    run = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "da", "True"]
    built = sorted(p.name.split("-")[0] for p in (tmp_path / "home" / "cache").iterdir())
    assert built == ["langid", "lexicon", "punkt", "wordfreq"]


def test_when_the_child_cannot_build_the_entry_is_built_here(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(cache, "_seed_command", lambda root: [sys.executable, "-c", "raise SystemExit('no room')"])
    built: list[Path] = []

    def build(folder: Path) -> None:
        built.append(folder)
        (folder / "x.txt").write_text("ok")

    loaded = cache.cached_folder("k", "1", build, lambda folder: (folder / "x.txt").read_text(), apart=True)
    assert loaded == "ok" and len(built) == 1 and (home / "k-1").is_dir()
    assert "exit 1: no room" in caplog.text


def test_a_word_table_reads_as_the_dict_it_was_made_from() -> None:
    from bot.nlu.wordtable import WIDTH, WordTable

    rng = random.Random(11)
    alphabet = "abcæøåäöé-'. "
    words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(3000)}
    words |= {"x" * WIDTH, "x" * (WIDTH + 1), "ø" * 8, "ø" * 9, "a\0", "", "Å"}  # at the width, over, NULs
    mapping = {w: rng.randrange(256) for w in words}
    table = WordTable.of(mapping, np.uint8)
    assert len(table) == len(mapping) and dict(table) == mapping
    for w in [*words, "absent", "a", "x" * (WIDTH + 2), "ø" * 10, "a\0\0"]:
        assert (w in table) == (w in mapping) and table.get(w) == mapping.get(w), repr(w)
    with pytest.raises(KeyError):
        table["absent"]
    assert 5 not in table and table.get(None, 7) == 7  # type: ignore[arg-type]


def test_the_sentence_models_from_the_cache_split_as_punkts_own(home: Path) -> None:
    import punkt

    from bot.nlu.wordtable import WordTable
    from bot.playbook import sentences

    built = cache.cached_folder(*sentences.punkt_entry())
    again = cache.cached_folder(*sentences.punkt_entry())  # read from the folder
    extra = punkt.PunktParameters(abbrev_types=set(sentences.EXTRA_ABBREVIATIONS))
    lines = [line.strip() for doc in sorted(Path("knowledge").rglob("*.md"))
             for line in doc.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines += ["Dr. Smith went home. He was tired.", "Det er f.eks. godt. Men ikke altid!", "CEO vs. CCO. Hvem vinder?",
              "Vi ses t.ex. i Stockholm. Sedan Oslo.", "Revenue rose 3.5 pct. in Q3. Then it fell.", "e.g. this. And i.e. that."]
    assert len(lines) > 250
    for lang, name in sentences.MODELS.items():
        stock = punkt.PunktSentenceTokenizer(punkt.load_model(name).merged_with(extra))
        ours, read = punkt.PunktSentenceTokenizer(built[lang]), punkt.PunktSentenceTokenizer(again[lang])
        assert isinstance(again[lang].ortho_context, WordTable)
        for line in lines:
            assert ours.tokenize(line) == read.tokenize(line) == stock.tokenize(line), (lang, line)
