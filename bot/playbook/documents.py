"""Playbook documents from a folder: Markdown (with front matter), text, HTML, PDF and Word."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.nlu.text import detect_language

SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"}
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


@dataclass(frozen=True)
class Document:
    id: str  # path relative to the knowledge folder
    title: str
    lang: str
    source: str
    summary: str
    text: str  # Markdown-ish: headings start with #
    sha: str  # of the file's bytes: a changed file is re-embedded, an unchanged one is not


def load_documents(folder: Path) -> tuple[list[Document], list[str]]:
    """Every readable document under `folder`, and a line for each file that could not be read."""
    docs, problems = [], []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        if path.suffix.lower() not in SUFFIXES or path.stem.upper() == "README" or path.name.startswith("."):
            continue
        try:
            docs.append(read_document(path, Path(folder)))
        except Exception as exc:  # one bad file never stops the others
            problems.append(f"{path.relative_to(folder)}: cannot be read ({type(exc).__name__}: {exc})")
    return docs, problems


def read_document(path: Path, folder: Path) -> Document:
    raw = path.read_bytes()
    meta, text = _read(path, raw)
    text = text.strip()
    if not text:
        raise ValueError("no text in the file")
    title = str(meta.get("title") or _first_heading(text) or path.stem.replace("-", " ").replace("_", " "))
    lang = str(meta.get("lang") or detect_language(text[:3000].lower(), text[:3000].lower().split()))
    return Document(id=str(path.relative_to(folder)), title=title, lang=lang,
                    source=str(meta.get("source") or path.relative_to(folder)), summary=str(meta.get("summary", "")),
                    text=text, sha=hashlib.sha256(raw).hexdigest())


def _read(path: Path, raw: bytes) -> tuple[dict, str]:
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown", ".txt"):
        text = raw.decode("utf-8-sig", errors="replace")
        m = FRONT_MATTER.match(text)
        if m:
            return (yaml.safe_load(m.group(1)) or {}), text[m.end():]
        return {}, text
    if suffix in (".html", ".htm"):
        return _html(raw)
    if suffix == ".pdf":
        return _pdf(path)
    return _docx(path)


def _html(raw: bytes) -> tuple[dict, str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header"]):
        tag.decompose()
    for level in (1, 2, 3):
        for h in soup.find_all(f"h{level}"):
            h.replace_with(f"\n{'#' * level} {h.get_text(' ', strip=True)}\n")
    title = soup.title.get_text(strip=True) if soup.title else ""
    lang = (soup.html.get("lang") or "")[:2] if soup.html else ""
    text = re.sub(r"\n{3,}", "\n\n", soup.get_text("\n"))
    return {k: v for k, v in {"title": title, "lang": lang if lang in ("en", "da", "sv") else ""}.items() if v}, text


def _pdf(path: Path) -> tuple[dict, str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    title = (reader.metadata.title if reader.metadata else None) or ""
    return ({"title": title} if title else {}), "\n\n".join(page.extract_text() or "" for page in reader.pages)


def _docx(path: Path) -> tuple[dict, str]:
    import docx

    document = docx.Document(str(path))
    lines = []
    for para in document.paragraphs:
        style = para.style.name if para.style is not None else ""
        level = int(style.split()[-1]) if style.startswith("Heading") and style.split()[-1].isdigit() else 0
        lines.append(f"{'#' * min(level, 3)} {para.text}" if level else para.text)
    title = document.core_properties.title or ""
    return ({"title": title} if title else {}), "\n".join(lines)


def _first_heading(text: str) -> str | None:
    m = re.search(r"^#{1,3}\s+(.+)$", text, re.M)
    return m.group(1).strip() if m else None
