"""Text helpers for the parser: normalising, tokens, stems, language, word likeness."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer

MAX_CHARS = 500  # a question is read up to here; longer input is cut (and the answer says so)
WORD_ZIPF = 3.0  # wordfreq's Zipf scale: 3 is once per million words (tests/nlu/test_filters.py shows why)
_TOKEN = re.compile(r"[0-9a-zæøåäöüéèáàóòíìúùñç&/'’+-]+(?:\.(?=\s|$))?|%", re.IGNORECASE)
_STEMMERS = {"en": "english", "da": "danish", "sv": "swedish"}

# Function words that tell the languages apart (plus æ/ø for Danish, ä/ö for Swedish).
LANG_WORDS = {
    "en": set("what how much many is was were are our my the of by last this did do we show which who top "
              "rate deals won lost month quarter year week per each give me and in for from with since".split()),
    "da": set("hvad hvor mange meget er var vores min mit mine sidste forrige dette denne vi vandt tabte "
              "fordelt pr hvilke hvilken jeg af til og på sælger sælgere aftaler måned uge år kvartal "
              "omsætning omsætningen vis giv hvem fjor nogle hele siden marts vise tak".split()),
    "sv": set("vad hur många mycket är var vår våra vårt min mitt mina förra detta denna vi vann förlorade "
              "fördelat vilka vilken jag av till och på säljare affärer månad månaden vecka veckan kvartalet "
              "intäkter intäkterna visa ge vem fjol hela sedan mars tack".split()),
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


_IDENTIFIER = None
_IDENTIFIER_LOCK = threading.Lock()


def _identifier():
    global _IDENTIFIER
    with _IDENTIFIER_LOCK:
        if _IDENTIFIER is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            ident.set_languages(["en", "da", "sv"])
            # It keeps the 97-language model to switch back: 27 MB of a model for three is let go.
            ident._full_model = (ident.nb_ptc, ident.nb_pc, ident.nb_classes)
            _IDENTIFIER = ident
    return _IDENTIFIER


def detect_language(text: str, words: list[str], evidence: dict[str, float] | None = None) -> str:
    """en, da or sv: telling words and letters first, the langid model to break ties, else English."""
    score = {lang: float(sum(w in vocab for w in words)) for lang, vocab in LANG_WORDS.items()}
    for lang, marks in _LANG_MARKS.items():
        score[lang] += 2.0 * sum(ch in marks for ch in text)
    for lang, extra in (evidence or {}).items():
        score[lang] += extra
    # Words shared by Danish and Swedish (min, var, vi, på …) count for both; English wins ties with them.
    best = max(score.values())
    leaders = [lang for lang, s in score.items() if s == best]
    if best > 0 and len(leaders) == 1:
        return leaders[0]
    if not any(ch.isalpha() for ch in text):
        return "en"
    lang, prob = _identifier().classify(text)
    if best > 0 and lang not in leaders:
        return "en" if "en" in leaders else leaders[0]
    return lang if prob >= 0.6 else "en"


@lru_cache(maxsize=50_000)
def is_word(word: str) -> bool:
    """Is this a word of English, Danish or Swedish (about once in a million words or more)? Such a
    word means itself: it is not read as a misspelling of something else."""
    from wordfreq import zipf_frequency

    return any(zipf_frequency(word, lang) >= WORD_ZIPF for lang in ("en", "da", "sv"))


@lru_cache(maxsize=200_000)
def compound_parts(word: str, lang: str) -> tuple[str, ...]:
    """The two words a Danish or Swedish compound is made of, when both are words of the language
    ("ingeniørteamene" → ingeniør, teamene; "kundepleje" → kunde, pleje; a linking s is dropped)."""
    if lang not in ("da", "sv") or len(word) < 8 or not word.isalpha():
        return ()
    from wordfreq import zipf_frequency

    for i in range(len(word) - 4, 3, -1):  # the longest head that leaves a word
        head, tail = word[:i], word[i:]
        if zipf_frequency(tail, lang) < 2.5:
            continue
        for h in (head[:-1], head) if head.endswith("s") else (head,):
            if len(h) >= 4 and zipf_frequency(h, lang) >= 2.5:
                return (h, tail)
    return ()


def known_word(word: str) -> bool:
    """A word of the languages, or a Danish or Swedish compound of two ("mødelokale",
    "friskvårdsbidrag"): compounds are made up freely and few are in any word list."""
    return is_word(word) or any(compound_parts(word.lower(), lang) for lang in ("da", "sv"))


def warm_up() -> None:
    """Load the language-identification model, the word lists and the English lexicon of parts of
    speech (the playbook's) ahead of the first question (about a second and a half)."""
    from lemminflect import getAllLemmas

    _identifier()
    is_word("warm")
    getAllLemmas("warm")
