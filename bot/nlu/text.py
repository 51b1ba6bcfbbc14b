"""Text helpers for the parser: normalising, tokens, stems, language, word likeness."""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import snowballstemmer

from bot.nlu.cache import loaded_once
from bot.nlu.wordtable import WordTable

MAX_CHARS = 500  # a question is read up to here; longer input is cut (and the answer says so)
WORD_ZIPF = 3.0  # wordfreq's Zipf scale: 3 is once per million words (tests/nlu/test_filters.py shows why)
_TOKEN = re.compile(r"[0-9a-zæøåäöüéèáàóòíìúùñç&/'’+-]+(?:\.(?=\s|$))?|%", re.IGNORECASE)
_STEMMERS = {"en": "english", "da": "danish", "sv": "swedish"}

# Function words that tell the languages apart (plus æ/ø for Danish, ä/ö for Swedish).
LANG_WORDS = {
    "en": set("what how much many is was were are our my the of by last this did do we show which who top "
              "rate deals won lost month quarter year week each give me and in for from with since compare".split()),
    "da": set("hvad hvor hvordan hvorfor hvornår mange meget er var vores min mit mine sidste forrige dette denne "
              "vi vandt tabte fordelt pr hvilke hvilken jeg af til og på sælger sælgere aftaler måned uge år kvartal "
              "omsætning omsætningen vis giv hvem fjor nogle hele siden marts vise tak solgt solgte fase fasen faser "
              "lukker lukket sammenlign".split()),
    "sv": set("vad hur många mycket är var vår våra vårt min mitt mina förra detta denna vi vann förlorade "
              "fördelat vilka vilken jag av till och på säljare affärer månad månaden vecka veckan "
              "intäkter intäkterna visa ge vem fjol hela sedan mars tack sålt sålde steg steget stegen fas fasen "
              "säljaren säljarna stängs försenade jämför".split()),
}
_LANG_MARKS = {"da": "æø", "sv": "äö"}


def clean_question(text: str) -> str:
    """What anyone typed, safe to parse, store and print: bytes that were not UTF-8 (Python keeps
    them as lone surrogates) become U+FFFD, control characters become spaces."""
    try:
        raw = text.encode("utf-8", errors="surrogateescape")  # a command-line argument's own bytes
    except UnicodeEncodeError:
        raw = text.encode("utf-8", errors="surrogatepass")
    text = raw.decode("utf-8", errors="replace")
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in text).strip()


_PLAIN = re.compile(r"[^\W_]+(?: [^\W_]+)*")  # words and single spaces: nothing below changes it
_POSSESSIVE = re.compile(r"(\w)'s\b")
_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
_PUNCTUATION = re.compile(r"[?!,;:\"()\[\]{}<>*]")
_SENTENCE_DOT = re.compile(r"(?<=\D)\.(?=\s|$)")  # sentence dots, not "pr." handled below
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """One kind of apostrophe and space, no possessive 's, hyphens between words as spaces, cut
    to MAX_CHARS. Case is kept (a capital can tell a name from a word); compare lower-cased."""
    text = text[:MAX_CHARS]
    if _PLAIN.fullmatch(text) and unicodedata.is_normalized("NFC", text):  # most names: 125k accounts at start
        return text
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("`", "'")
    text = _POSSESSIVE.sub(r"\1", text)
    text = _HYPHEN.sub(" ", text)
    text = _PUNCTUATION.sub(" ", text)
    text = _SENTENCE_DOT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    out = []
    for tok in _TOKEN.findall(text):
        tok = tok.strip("'-.")
        if tok:
            out.append(tok)
    return out


@lru_cache(maxsize=50_000)
def stem(word: str, lang: str) -> str:
    return snowballstemmer.stemmer(_STEMMERS[lang]).stemWord(word)


def like(query: str, name: str) -> bool:
    """Does a question word stand for a name word? Same word, an inflection of it (pipelinen,
    omsætningen, affärerna), or the same stem in one of the three languages."""
    if query == name:
        return True
    if len(name) >= 4 and query.startswith(name) and len(query) - len(name) <= 4:
        return True
    if len(query) >= 5 and len(name) >= 5:
        return any(stem(query, lang) == stem(name, lang) for lang in _STEMMERS)
    return False


LANGS = ("en", "da", "sv")
_LANGID_FORMAT = 1  # raise when the cached form changes


def _langid_entry() -> tuple:
    """The identifier's cache entry: kind, key (the model file and package), build, load."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    from bot.nlu.cache import digest

    key = digest(_LANGID_FORMAT, LANGS, _package("py3langid"), _stamp(MODEL_DIR / MODEL_FILE))
    return "langid", key, _build_identifier, _load_identifier


def _build_identifier(folder: Path) -> None:
    """The model narrowed to LANGS, as arrays: the automaton's transitions, each state's row offset
    and feature, and the three languages' columns of the feature weights."""
    import numpy as np
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(LANGS))
    np.save(folder / "ptc.npy", np.ascontiguousarray(ident.nb_ptc))
    np.save(folder / "pc.npy", np.asarray(ident.nb_pc))
    (folder / "classes.txt").write_text("\n".join(ident.nb_classes), encoding="utf-8")
    np.save(folder / "nextmove.npy", np.asarray(ident.tk_nextmove))
    np.save(folder / "rowbase.npy", np.asarray(ident._rowbase, dtype=np.int32))
    np.save(folder / "output.npy", np.asarray(ident.tk_output, dtype=np.int32))


def _load_identifier(folder: Path):
    """The identifier over the cached arrays: the automaton read from its file, the small arrays
    as memoryviews (what py3langid's automaton walk indexes gives plain ints, as from its own
    arrays and lists)."""
    import numpy as np
    from py3langid.langid import LanguageIdentifier

    def small(name: str) -> memoryview:
        return memoryview(np.load(folder / name))

    classes = (folder / "classes.txt").read_text(encoding="utf-8").split("\n")
    ident = LanguageIdentifier(np.load(folder / "ptc.npy"), np.load(folder / "pc.npy"), classes,
                               FileArray(folder / "nextmove.npy"), small("output.npy"), norm_probs=True, tk_row=())
    ident._rowbase = small("rowbase.npy")  # tk_row's offsets, precomputed: tk_row itself is not read
    return ident


# py3langid's identifier for ccobot's three languages. Its byte automaton (37 MB) stays in the cache file
# and is read a transition at a time (FileArray): a question walks a few dozen of its states, and a start
# after the first reads no 4.5 MB xz model (a second and a half).
_identifier = loaded_once(_langid_entry)


class FileArray:
    """A one-dimensional .npy array of unsigned ints read an item at a time (os.pread), never mapped.
    Mapped, every page a walk touched stayed resident, and the kernel maps 64 KB around each one it
    faults in: one short question held 12 MB of the automaton, and a day of questions would hold
    all 37 MB. A question reads a few dozen items, a microsecond each."""

    def __init__(self, path: Path) -> None:
        import numpy as np

        with open(path, "rb") as f:
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}[np.lib.format.read_magic(f)]
            shape, _, dtype = read_header(f)
            self._offset = f.tell()
        if len(shape) != 1 or dtype.kind != "u" or dtype.byteorder == ">":
            raise ValueError(f"{path}: not a one-dimensional little-endian unsigned array")
        self._size, self._len = dtype.itemsize, shape[0]
        self._fd = os.open(path, os.O_RDONLY)  # held for the process: the identifier lives as long

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self._len:
            raise IndexError(i)
        return int.from_bytes(os.pread(self._fd, self._size, self._offset + i * self._size), "little")


def _package(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def _stamp(path: Path) -> tuple:
    st = path.stat()
    return str(path), st.st_size, st.st_mtime_ns


def language_scores(text: str, words: list[str], evidence: dict[str, float] | None = None) -> dict[str, float]:
    """How much telling words and letters (and `evidence`, the KPI names' languages) speak for each
    language; all 0 when nothing does ("bottom 3")."""
    score = {lang: float(sum(w in vocab for w in words)) for lang, vocab in LANG_WORDS.items()}
    for lang, marks in _LANG_MARKS.items():
        score[lang] += 2.0 * sum(ch in marks for ch in text)
    for lang, extra in (evidence or {}).items():
        score[lang] += extra
    return score


def detect_language(text: str, words: list[str], evidence: dict[str, float] | None = None) -> str:
    """en, da or sv: telling words and letters first, the langid model to break ties, else English."""
    score = language_scores(text, words, evidence)
    # Words shared by Danish and Swedish (min, var, vi, på …) count for both; English wins ties with them.
    best = max(score.values())
    leaders = [lang for lang, s in score.items() if s == best]
    if best > 0 and len(leaders) == 1:
        return leaders[0]
    if not any(ch.isalpha() for ch in text):
        return "en"
    lang, prob = _identifier().classify(text)
    if best > 0 and "en" not in leaders:  # Danish or Swedish, tied: the model picks, never English
        return lang if lang in leaders else leaders[0]
    if best > 0 and lang not in leaders:
        return "en" if "en" in leaders else leaders[0]
    return lang if prob >= 0.6 else "en"


@lru_cache(maxsize=50_000)
def is_word(word: str) -> bool:
    """Is this a word of English, Danish or Swedish (about once in a million words or more)? Such a
    word means itself: it is not read as a misspelling of something else."""
    return any(zipf_frequency(word, lang) >= WORD_ZIPF for lang in LANGS)


@lru_cache(maxsize=200_000)
def compound_parts(word: str, lang: str) -> tuple[str, ...]:
    """The two words a Danish or Swedish compound is made of, when both are words of the language
    ("ingeniørteamene" → ingeniør, teamene; "kundepleje" → kunde, pleje; a linking s is dropped)."""
    if lang not in ("da", "sv") or len(word) < 8 or not word.isalpha():
        return ()
    for i in range(len(word) - 4, 3, -1):  # the longest head that leaves a word
        head, tail = word[:i], word[i:]
        if zipf_frequency(tail, lang) < ZIPF_FLOOR:
            continue
        for h in (head[:-1], head) if head.endswith("s") else (head,):
            if len(h) >= 4 and zipf_frequency(h, lang) >= ZIPF_FLOOR:
                return (h, tail)
    return ()


def known_word(word: str) -> bool:
    """A word of the languages, or a Danish or Swedish compound of two ("mødelokale",
    "friskvårdsbidrag"): compounds are made up freely and few are in any word list."""
    return is_word(word) or any(compound_parts(word.lower(), lang) for lang in ("da", "sv"))


# ---------------------------------------------------------------- word frequencies

# The lowest Zipf frequency anything in ccobot tells apart: is_word asks for 3, compound parts and
# the playbook's glossary for 2.5, and the playbook's word weights are the same for every word at
# 2.5 or below. wordfreq's lists go down to 1 (once in 100 million words); ccobot keeps the words
# from ZIPF_KEPT up (a margin under the floor), 155,000 of 690,000, as a WordTable of each word's
# frequency band: 3 MB, where wordfreq's dictionaries hold 43 (and those words alone 9).
ZIPF_FLOOR = 2.5
ZIPF_KEPT = 2.4
BANDS = round((9 - ZIPF_KEPT) * 100) + 1  # band i holds the words of Zipf (900 - i) / 100
_WORDFREQ_FORMAT = 2
_WORDFREQ: dict[str, Frequencies] | None = None
_WORDFREQ_LOCK = threading.Lock()


class Frequencies:
    """One language's kept words, as wordfreq reads its frequency dictionary: `word in` and `[word]`,
    the frequency of the word's band (one per centibel, the most frequent first)."""

    def __init__(self, bands: WordTable) -> None:
        import wordfreq

        self._bands = bands
        self._frequency = [wordfreq.cB_to_freq(-i) for i in range(BANDS)]

    def __contains__(self, word: object) -> bool:
        return word in self._bands

    def __getitem__(self, word: str) -> float:
        return self._frequency[self._bands[word]]


def zipf_frequency(word: str, lang: str) -> float:
    """wordfreq's Zipf frequency of a word in en, da or sv, exact from ZIPF_FLOOR up; a word under
    ZIPF_KEPT reads 0, as one wordfreq does not know. Every use of wordfreq in ccobot goes here."""
    _install_word_lists()
    from wordfreq import zipf_frequency as frequency

    return frequency(word, lang)


def _install_word_lists() -> None:
    """Give wordfreq the kept part of its lists for LANGS. It finds a token's frequency through
    get_frequency_dict; its tokenizer, number handling and rounding stay its own."""
    global _WORDFREQ
    if _WORDFREQ is not None:
        return
    with _WORDFREQ_LOCK:
        if _WORDFREQ is not None:
            return
        import wordfreq

        from bot.nlu.cache import cached_folder

        compact = cached_folder(*_wordfreq_entry(), apart=True)
        full = wordfreq.get_frequency_dict

        def frequency_dict(lang: str, wordlist: str = "best", match_cutoff: None = None):
            if wordlist == "best" and match_cutoff is None and lang in compact:
                return compact[lang]
            return full(lang, wordlist, match_cutoff)

        wordfreq.get_frequency_dict = frequency_dict
        full.cache_clear()  # full lists a caller may have read before
        wordfreq.get_frequency_list.cache_clear()
        wordfreq._wf_cache.clear()
        _WORDFREQ = compact


def _wordfreq_entry() -> tuple:
    """The word lists' cache entry: kind, key (the list files and package), build, load."""
    import wordfreq

    from bot.nlu.cache import digest

    files = [_stamp(Path(f)) for lang, f in sorted(wordfreq.available_languages("best").items()) if lang in LANGS]
    key = digest(_WORDFREQ_FORMAT, LANGS, ZIPF_KEPT, _package("wordfreq"), files)
    return "wordfreq", key, _build_word_lists, _load_word_lists


def _build_word_lists(folder: Path) -> None:
    """Per language, the band of each word of wordfreq's frequency bands down to ZIPF_KEPT."""
    import wordfreq

    for lang in LANGS:
        full = wordfreq.get_frequency_list.__wrapped__(lang, "best")  # not into wordfreq's own cache
        WordTable.of({w: i for i, bucket in enumerate(full[:BANDS]) for w in bucket}).save(folder, lang)


def _load_word_lists(folder: Path) -> dict[str, Frequencies]:
    return {lang: Frequencies(WordTable.load(folder, lang)) for lang in LANGS}


# ---------------------------------------------------------------- parts of speech

_LEXICON_FORMAT = 2


def word_classes(word: str) -> frozenset[str]:
    """The parts of speech (NOUN, VERB, ADJ …) lemminflect's English lexicon knows a word as: the
    keys of its getAllLemmas(word). Kept as a WordTable of the words and a bit per class (1.5 MB)
    rather than lemminflect's dictionaries of lemmas (50 MB with the package)."""
    classes, names = _lexicon()
    mask = classes.get(word.lower(), 0)
    return frozenset(name for bit, name in enumerate(names) if mask >> bit & 1)


def _lexicon_entry() -> tuple:
    from bot.nlu.cache import digest

    return "lexicon", digest(_LEXICON_FORMAT, _package("lemminflect")), _build_lexicon, _load_lexicon


def _build_lexicon(folder: Path) -> None:
    """Every word of lemminflect's lemma and override tables with the classes getAllLemmas gives it."""
    import numpy as np
    from lemminflect import Lemmatizer, getAllLemmas

    lemmatizer = Lemmatizer()
    names = list(lemmatizer.DICT_UPOS_TYPES)
    words = {w.lower() for table in (lemmatizer._getLemmaDict(), lemmatizer._getOverridesDict()) for w in table}
    WordTable.of({w: sum(1 << names.index(k) for k in getAllLemmas(w)) for w in words}, np.uint8).save(folder, "words")
    (folder / "names.txt").write_text("\n".join(names), encoding="utf-8")


def _load_lexicon(folder: Path) -> tuple:
    names = (folder / "names.txt").read_text(encoding="utf-8").split("\n")
    return WordTable.load(folder, "words"), names


_lexicon = loaded_once(_lexicon_entry)


def cache_entries() -> list[tuple]:
    """The language resources' cache entries (kind, key, build, load): they depend on the installed
    packages only, so an image can carry them built (bot/nlu/cache.py seed)."""
    return [_langid_entry(), _wordfreq_entry(), _lexicon_entry()]


def warm_up() -> None:
    """Load the language-identification model, the word lists and the English lexicon of parts of
    speech (the playbook's) ahead of the first question: milliseconds from the cache, about two
    seconds the first time."""
    _identifier()
    is_word("warm")
    word_classes("warm")
