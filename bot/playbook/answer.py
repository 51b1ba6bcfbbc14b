"""Playbook answers without a language model, shaped like the question: a definition gets the
defining sentences, a list question the list (whole items), an advice question the
recommendations, a comparison the sentences that contrast the two. Whole sentences only, best
passage first, nothing off topic, one citation per quoted passage, and each quote labelled with
its language when it differs from the question's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from bot.core.i18n import join_or, t
from bot.nlu.forms import question_form
from bot.playbook.chunks import Chunk
from bot.playbook.embeddings import HashingEmbedder, words
from bot.playbook.index import HEADING_FORMS, Hit, PlaybookIndex, listed, question_line, question_terms, text_terms
from bot.playbook.sentences import Unit, units

COVERED = 0.3  # weighted share of the question's words a top passage must speak of (calibrated: see README) …
TELLING = 0.45  # … and of its most telling word, unless it speaks of this much of the question
MAX_SENTENCES = 4
MAX_ITEMS = 10
SUB_ITEMS = 4  # the items of a sub-section's own list quoted beside its heading
MAX_PROSE_CHARS = 700
CITATION_CHARS = 500
ON_TOPIC = 0.55
TITLE_WORD = 0.2  # what a question word that is in the document's title counts for in choosing its sentences
SIMILAR = 1.0  # what the letter n-gram likeness of sentence and question adds to a sentence's relevance
_EMBEDDER = HashingEmbedder()  # a sentence is quoted only when it scores this share of the best one
MARKERS = {
    "definition": r"\b(?:is|are|refers? to|means|er|betyder|dækker|omfatter|handler om|är|innebär|avser)\b",
    "role": r"\b(?:responsib\w*|in charge|oversees|owns|reports|ansvar\w*|leder|ejer|rapporterer|ansvarar|äger|"
            r"rapporterar|executive|position|role|rolle|roll)\b",
    "advice": r"\b(?:should|must|need to|important|key|ensure|recommend\w*|best|focus|consider|start|bør|skal|"
              r"vigtigt|afgørende|sikre|fokus\w*|sørg|start\w*|bör|ska|måste|viktigt|avgörande|säkerställ\w*|"
              r"se till|börja|kræver|kräver|requires?)\b",
    "why": r"\b(?:because|so that|helps?|enables?|ensures?|allows?|important|benefit\w*|leads? to|results? in|"
           r"causes?|due to|fordi|derfor|hjælper|sikrer|gør det muligt|gør at|fører til|på grund af|giver|vigtig\w*|"
           r"fordel\w*|eftersom|därför|hjälper|gör det möjligt|gör att|leder till|medför|på grund av|ger|"
           r"viktig\w*|fördel\w*)\b",
    "comparison": r"\b(?:while|whereas|unlike|but|rather|vs\.?|mens|hvorimod|derimod|men|kontra|medan|däremot|"
                  r"snarare|forskel\w*|skillnad\w*)\b",
}
# What a sentence in the asked-for shape adds: for "what is / what does X do" the name of X is in
# every sentence about X, so the sentence that says what it is or does must stand out more.
SHAPE_BONUS = {"definition": 0.35, "role": 0.35}
FORM_HEADING = {"why": r"\b(?:why|hvorfor|varför)\b",
                "advice": r"\b(?:best\w*|bedste|bästa|praksis|praxis|tips|råd|how to|sådan|så här|skridt|steg|steps)\b"}


@dataclass
class Quote:
    """What is quoted from one passage: prose sentences, or a list with the sentence leading to it."""

    chunk: Chunk
    sentences: list[Unit] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


@dataclass
class Question:
    text: str
    lang: str
    form: str | None
    terms: list[set[str]]
    weights: list[float]
    listed: set[str] = field(default_factory=set)  # the terms of what a list question asks to list ("roles")

    def relevance(self, text: str, lang: str) -> float:
        """The weighted share of the question's words that a sentence speaks of."""
        have = _terms_of(text, lang)
        total = sum(self.weights) or 1.0
        return sum(w for ts, w in zip(self.terms, self.weights) if ts & have) / total

    def within(self, title: str) -> Question:
        """The question as the sentences of one document see it: a word in the document's title
        ("Chief Customer Officer" in "Dags att bli Chief Customer Officer") tells which document,
        not which of its sentences, so it counts for little there."""
        named = _terms_of(title, "en") | _terms_of(title, "da") | _terms_of(title, "sv")
        return replace(self, weights=[w * (TITLE_WORD if ts & named else 1.0) for ts, w in zip(self.terms, self.weights)])

    def matched(self, text: str, lang: str, but: frozenset[str] = frozenset()) -> list[int]:
        """Which of the question's words a text speaks of, not counting the terms in `but`."""
        have = _terms_of(text, lang) - but
        return [i for i, ts in enumerate(self.terms) if ts & have]


@lru_cache(maxsize=16384)
def _terms_of(text: str, lang: str) -> frozenset[str]:
    """A sentence's search terms (remembered: the same sentences are weighed for many questions)."""
    return frozenset(text_terms(text, lang))


def read_question(question: str, lang: str, index: PlaybookIndex) -> Question:
    ws = index.spell(words(question))
    ts = [question_terms(w) for w in ws]
    weights = index.weights(ws, ts, question)
    head = listed(question, ws)
    kind = set(ts[head]) if head is not None else set()
    if line := question_line(question):  # "who does the CCO report to": the sentence stating the CCO's line
        ts, weights = ts + [line], weights + [max(weights, default=1.0)]
    return Question(question, lang, question_form(question), ts, weights, kind)


def speaks_of(hit: Hit, names: tuple[str, ...]) -> bool:
    """Does a passage name one of the names, in any inflection ("win rates", "vinderaterne")?"""
    return re.search(_names_pattern(names), hit.chunk.text) is not None


@lru_cache(maxsize=256)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern:
    each = (r"[\s-]*".join(re.escape(w) for w in name.split()) + r"\w*" for name in names)
    return re.compile(r"\b(?:" + "|".join(each) + ")", re.IGNORECASE)


def covered(hits: list[Hit]) -> bool:
    """Does one of the top passages speak of enough of the question? (Not only the first: the
    answer is often the second or third.)"""
    best = max((h.coverage for h in hits), default=0.0)
    return best >= TELLING or (best >= COVERED and any(h.telling for h in hits))


def compose(question: str, hits: list[Hit], lang: str, index: PlaybookIndex) -> tuple[str, list[dict]] | None:
    """The answer text and its citations (one per quoted passage, in order), or None when no
    passage has a sentence on the question's topic."""
    q = read_question(question, lang, index)
    hits = [h for h in hits if h.coverage >= COVERED * 0.6] or hits[:1]
    if q.form == "why":  # a section headed why ("Hvorfor er …?") first, when it speaks of as much of the question
        why = [h for h in hits if HEADING_FORMS["why"].search(h.chunk.section.split(" › ")[-1].lower())
               and h.coverage >= hits[0].coverage]
        hits = why[:1] + [h for h in hits if h not in why[:1]]
    quotes = _list_quotes(q, hits, index) if q.form in ("list", "why", "advice") else []
    first = hits[0]
    own = first.chunk.section.split(" › ")[-1]  # (a section of its own, not the document's title)
    if not quotes and q.form is None and " › " in first.chunk.section and own != first.chunk.title \
            and q.relevance(own, first.chunk.lang) >= 0.6:
        # "hvad siger playbooken om kundeloyalitet?": the section it names, when that section is a list
        quotes = [quote] if (quote := _bullets(first, index)) is not None else []
    if not quotes:
        quotes = _prose_quotes(q, hits, index)
    if not quotes:
        return None
    return _render(quotes, lang), [_citation(quote) for quote in quotes]


# ---------------------------------------------------------------- choosing what to quote

def _prose_quotes(q: Question, hits: list[Hit], index: PlaybookIndex) -> list[Quote]:
    """The best whole sentences of the best passages, grouped by passage, best passage first."""
    passages = [units(hit.chunk.text, hit.chunk.lang) for hit in hits]
    scored = [(score, rank, i) for rank, (hit, us) in enumerate(zip(hits, passages))
              for i, score in enumerate(_scores(q, us, hit, rank)) if score > 0]
    if not scored:
        return []
    best = max(s for s, _, _ in scored)
    picked = sorted((x for x in scored if x[0] >= ON_TOPIC * best), key=lambda x: -x[0])[:MAX_SENTENCES]
    by_rank: dict[int, set[int]] = {}
    for _, rank, i in picked:
        by_rank.setdefault(rank, set()).update(_with_answer(passages[rank], i, q.form))
    order = list(dict.fromkeys(rank for _, rank, _ in picked))  # the passage of the best sentence first
    quotes, length = [], 0
    for rank in order[:2]:
        sentences = [passages[rank][i] for i in sorted(by_rank[rank])]
        length += sum(len(u.text) for u in sentences)
        if quotes and length > MAX_PROSE_CHARS:
            break
        quote = Quote(hits[rank].chunk, sentences=sentences)
        ends = sentences[-1] == passages[rank][-1]  # the passage's last words lead into its sub-sections
        if ends and sentences[-1].text.endswith(":"):  # "… key components:"
            if q.form in ("definition", "role", "comparison"):
                quote.sentences = sentences[:-1]  # a list of parts is not what it is
            else:
                quote.items = (_subsections(hits[rank], index) or quote).items
        elif ends and q.form in ("advice", "list"):  # "Her er en praktisk guide …": the steps that follow
            quote.items = (_subsections(hits[rank], index) or quote).items
        if quote.sentences or quote.items:
            quotes.append(quote)
    return quotes


def _with_answer(passage: list[Unit], i: int, form: str | None = None) -> list[int]:
    """A sentence that asks ("Men vad gör en CCO?") is quoted with the sentence that answers it;
    one that leads in ("… inkluderer:") with the list that follows, or the words that follow; a
    list item's later sentence with the item's first ("Kulturelle forskelle: …"); for advice, the
    whole item (its advice is often its last sentence: "Det er vigtigt at …")."""
    if passage[i].bullet and form in ("advice", "why"):
        return [j for j, u in enumerate(passage) if u.line == passage[i].line]
    if passage[i].bullet and not passage[i].first:
        head = next(j for j in range(i, -1, -1) if passage[j].first)
        return [head, i]
    leads_in = passage[i].text.endswith(":") or (not passage[i].bullet and i + 1 < len(passage)
                                                 and passage[i + 1].bullet)  # "I min fria tolkning säger han"
    if leads_in:
        items = [j for j in range(i + 1, len(passage)) if passage[j].bullet and passage[j].first][:MAX_ITEMS]
        said = [j for j in range(i + 1, len(passage)) if passage[j].line == passage[i + 1].line] if i + 1 < len(
            passage) else []  # or what follows, whole: "… säger: – Jag är nog benägen … Mod är en bristvara …"
        return [i] + (items or said[:4])
    out = [i]
    while passage[out[-1]].text.endswith("?") and out[-1] + 1 < len(passage):
        out.append(out[-1] + 1)
    return out


def _scores(q: Question, passage: list[Unit], hit: Hit, rank: int) -> list[float]:
    """Each sentence's score; a sentence also counts part of its most relevant neighbour in the same
    paragraph ("Ved køb af komplekse produkter …" is followed by what to do about it)."""
    q = q.within(hit.chunk.title)
    own = [q.relevance(u.text, hit.chunk.lang) for u in passage]
    if passage:  # and how alike they look, letter by letter ("konkret" / "konkreta", "test" / "testning")
        sims = _vectors(hit.chunk.text, hit.chunk.lang) @ _EMBEDDER.embed([q.text])[0]
        own = [o + SIMILAR * max(float(x), 0.0) for o, x in zip(own, sims)]
    out = []
    for i, unit in enumerate(passage):
        near = max((own[j] for j in (i - 1, i + 1) if 0 <= j < len(passage) and passage[j].line == unit.line),
                   default=0.0)
        out.append(_score(q, unit, hit, rank, own[i], near))
    if q.form == "comparison":  # a sentence that speaks of both sides, if there is one, over one that does not
        sides = [len(q.matched(u.text, hit.chunk.lang, but=frozenset({"§difference"}))) for u in passage]
        out = [s if n >= min(max(sides, default=0), 2) else 0.0 for s, n in zip(out, sides)]
    return out


@lru_cache(maxsize=4096)
def _vectors(passage: str, lang: str) -> np.ndarray:
    """The letter n-gram vectors of a passage's sentences (remembered, as its sentences are)."""
    return _EMBEDDER.embed([u.text for u in units(passage, lang)])


def _score(q: Question, unit: Unit, hit: Hit, rank: int, own: float, near: float) -> float:
    """A sentence's relevance, its neighbours', its passage's, and whether it has the shape the
    question asks for."""
    marker = MARKERS.get(q.form or "")
    shaped = bool(marker and re.search(marker, unit.text.lower()))
    if own == 0 and not (shaped and near > 0) and not (unit.first and hit.coverage >= COVERED and rank == 0):
        return 0.0  # a sentence about nothing the question asks about is off topic
    score = own + 0.4 * near + 0.5 * hit.coverage - 0.08 * rank + (SHAPE_BONUS.get(q.form, 0.15) if shaped else 0.0)
    if q.form not in ("list", None) and unit.bullet and not unit.text.endswith((".", "!", "?")):
        score *= 0.7  # a list item without a verb ("Kunde-tilfredshed (NPS), churn-rate") explains little
    if unit.text.endswith("?"):
        score *= 0.6  # the text asking the same question is not yet its answer
    if q.form in ("definition", "role") and unit.first and unit.line == 0:
        score += 0.15  # a passage opens with what its subject is
    head = unit.text.split(":", 1)[0] if unit.bullet and ":" in unit.text[:60] else ""
    if head and q.relevance(head, hit.chunk.lang) >= 0.3:
        score += 0.3  # "A/B-testning: …" is what the item says about A/B testing
    return score


def _list_quotes(q: Question, hits: list[Hit], index: PlaybookIndex) -> list[Quote]:
    """A list answer: the list (whole items) or the sub-sections of the passage whose list speaks
    most of the question."""
    lists = [_bullets(hit, index) or _subsections(hit, index) for hit in hits]
    first = hits[0].chunk
    if lists[0] is None and q.relevance(first.section.split(" › ")[-1], first.lang) >= 0.5:
        return []  # the best passage is the section the question names, and it answers in prose
    candidates = []
    for rank, (hit, quote) in enumerate(zip(hits, lists)):
        if quote is None or not (q.form == "list" or rank == 0 and _list_fits(q, hit)):
            continue  # advice or why from a list only when the best passage is that list's
        heading = hit.chunk.section.split(" › ")[-1]
        about = " ".join([heading, *(u.text for u in quote.sentences), *quote.items])
        # a list of what was asked for ("Overvej følgende roller:" for "which roles …") before one that
        # only mentions it among its items
        kind = 0.5 if q.listed & _terms_of(" ".join([heading, *(u.text for u in quote.sentences)]), hit.chunk.lang) else 0.0
        candidates.append((q.relevance(about, hit.chunk.lang) + hit.coverage + kind - 0.05 * rank, rank, quote))
    if not candidates:
        return []
    score, _, quote = max(candidates, key=lambda c: (c[0], -c[1]))
    if score < COVERED * 1.5:
        return []
    named = q.relevance(quote.chunk.section.split(" › ")[-1], quote.chunk.lang) >= 0.5
    if q.form in ("advice", "why") and not named:  # the items that speak to this question, not every best practice
        # (unless it names the section: "hvad er bedste praksis for at opbygge …" is the whole list)
        scored = [(q.relevance(item, quote.chunk.lang), item) for item in quote.items]
        top = max(r for r, _ in scored)
        quote.items = [item for r, item in scored if top and r >= 0.6 * top][:4] or quote.items
    return [quote]


def _list_fits(q: Question, hit: Hit) -> bool:
    """For a why or advice question a list answers only when its section is about that."""
    pattern = FORM_HEADING.get(q.form or "")
    return bool(pattern and re.search(pattern, hit.chunk.section.lower()))


def _bullets(hit: Hit, index: PlaybookIndex) -> Quote | None:
    """The list in a passage's section (all its passages: a list may run over two), with the
    sentence that leads to it."""
    section = index.passages(hit.chunk)
    block = [u for c in section for u in units(c.text, c.lang)]
    items = [u.text for u in block if u.bullet and u.first]
    if len(items) < 2:
        return None
    intro = [u for u in block if not u.bullet]
    lead = [u for u in intro if u.text.endswith(":")][-1:] or intro[:1]
    return Quote(hit.chunk, sentences=lead, items=items[:MAX_ITEMS])


def _subsections(hit: Hit, index: PlaybookIndex) -> Quote | None:
    """'Key components:' followed by one sub-section each: the sub-sections' headings are the list."""
    below = [c for c in index.subsections(hit.chunk) if c.section.split(" › ")[-1].strip()]
    if not hit.chunk.section or len(below) < 2:  # a document's sections are its contents, not a list
        return None
    lead = [u for u in units(hit.chunk.text, hit.chunk.lang)][:2]
    items = []
    for c in below[:MAX_ITEMS]:
        heading = c.section.split(" › ")[-1]
        said = units(c.text, c.lang)
        if said and said[0].bullet:  # a sub-section that is a short list: its items, not only the first
            bullets = [u.text.rstrip(".") for u in said if u.bullet and u.first]
            items.append(f"{heading}: {'; '.join(bullets[:SUB_ITEMS])}" if len(below) <= 6 else heading)
        else:
            items.append(f"{heading}: {said[0].text}" if said and len(below) <= 6 else heading)
    return Quote(hit.chunk, sentences=lead, items=items)


def _position(chunk: Chunk, unit: Unit) -> int:
    return chunk.text.find(unit.text)


# ---------------------------------------------------------------- words

def _render(quotes: list[Quote], lang: str) -> str:
    lines = [f"{t('pb_from', lang)}:"]
    for n, quote in enumerate(quotes, 1):
        label = "" if quote.chunk.lang == lang else f" ({t('pb_in_' + quote.chunk.lang, lang)})"
        if quote.items:  # a list: its lead (or the heading over it), then each item on its own line
            lead = " ".join(u.text for u in quote.sentences) or quote.chunk.section.split(" › ")[-1]
            lines.append(f"{lead} [{n}]{label}")
            lines += [f"• {item}" for item in quote.items]
        else:
            lines.append(f"“{_prose(quote.sentences)}” [{n}]{label}")
    return "\n".join(lines)


def _prose(sentences: list[Unit]) -> str:
    """Sentences as the passage has them: running text, list items each on a line."""
    out = ""
    for i, u in enumerate(sentences):
        new_line = i > 0 and (u.line != sentences[i - 1].line) and (u.bullet or sentences[i - 1].bullet)
        out += ("\n• " if new_line and u.bullet else "\n" if new_line else " " if out else "") + u.text
    return out


def _citation(quote: Quote) -> dict:
    """Where a quote comes from: the passage, cut to the sentences used with a little context."""
    c = quote.chunk
    return {"source": f"knowledge/{c.doc_id}", "title": c.title, "section": c.section, "lang": c.lang,
            "text": _excerpt(c, quote), "link": f"knowledge/{c.doc_id}#{anchor(c.section.split(' › ')[-1])}"
            if c.section else f"knowledge/{c.doc_id}"}


def _excerpt(chunk: Chunk, quote: Quote) -> str:
    """The quoted sentences with the sentence before and after them, as the passage has them."""
    if len(chunk.text) <= CITATION_CHARS or not quote.sentences or quote.items:
        return chunk.text[:CITATION_CHARS * 2]
    passage = units(chunk.text, chunk.lang)
    at = [i for i, u in enumerate(passage) if u in quote.sentences]
    first, last = passage[max(at[0] - 1, 0)], passage[min(at[-1] + 1, len(passage) - 1)]
    start, end = _position(chunk, first), _position(chunk, last) + len(last.text)
    text = chunk.text[start:end][:CITATION_CHARS * 2]
    return ("… " if start > 0 else "") + text + (" …" if start + len(text) < len(chunk.text) else "")


def anchor(heading: str) -> str:
    """A heading's anchor as Markdown renderers make it: lower case, punctuation out, spaces to hyphens."""
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", heading.lower().strip()))


def place(title: str, section: str) -> str:
    """'Title › the nearest heading' (the heading alone is often the whole story)."""
    heading = section.split(" › ")[-1] if section else ""
    return title if not heading or heading == title else f"{title} › {heading}"


def not_covered(hits: list[Hit], lang: str) -> str:
    """Plainly: not covered, and the nearest topics the playbook does cover (those written in the asker's
    language first: an English question was offered three Danish headings)."""
    ordered = sorted(hits, key=lambda h: h.chunk.lang != lang)  # (stable: nearest first within each)
    topics = list(dict.fromkeys(h.chunk.section.split(" › ")[-1] or h.chunk.title for h in ordered))[:3]
    if not topics:
        return t("pb_not_covered", lang)
    return t("pb_not_covered_near", lang, topics=join_or([f"“{x}”" for x in topics], lang))


def message(code: str, lang: str, **params: object) -> str:
    return t(f"pb_{code}", lang, **params)
