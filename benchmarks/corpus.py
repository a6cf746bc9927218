"""A generated corpus of articles, varied with a seeded RNG from the real article's sentences."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_INLINE = re.compile(r"\*\*|\*|`")
_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]{3,}")
_LEAD = re.compile(r"^\*\*([^*]+?):?\*\*:?\s*")


@dataclass(frozen=True)
class Material:
    """Sentences, headings and words of the real article(s) to recombine."""

    sentences: tuple[str, ...]
    headings: tuple[str, ...]
    words: tuple[str, ...]
    leads: tuple[str, ...]
    """Bold list-item leads (``**Motor improvements:**``)."""


def _body(text: str) -> str:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            return text[end + 4 :]
    return text


def material_from(articles: list[Path]) -> Material:
    sentences: list[str] = []
    headings: list[str] = []
    leads: list[str] = []
    for path in articles:
        for block in _body(path.read_text(encoding="utf-8")).split("\n\n"):
            block = block.strip()
            if not block or block.startswith(("<!--", "|", "![")):
                continue  # comments, tables, images: their files are not in the corpus
            if block.startswith("#"):
                headings.append(block.lstrip("#").strip())
                continue
            for line in block.splitlines():
                line = line.strip().lstrip("-> ").strip()
                if not line or line.startswith("<!--"):
                    continue
                lead = _LEAD.match(line)
                if lead:
                    leads.append(lead.group(1))
                    line = line[lead.end() :]
                sentences.extend(
                    s.strip() for s in _SENTENCE_END.split(_INLINE.sub("", line)) if len(s) > 20
                )
    words = sorted({w.lower() for s in sentences for w in _WORD.findall(s)})
    return Material(tuple(sentences), tuple(headings), tuple(words), tuple(leads))


class Writer:
    """Writes one varied article per call, deterministic for a given seed."""

    def __init__(self, material: Material, seed: int):
        self.m = material
        self.rng = random.Random(seed)

    def sentence(self) -> str:
        words = self.rng.choice(self.m.sentences).split(" ")
        for _ in range(self.rng.randint(1, 3)):
            position = self.rng.randrange(len(words))
            if _WORD.fullmatch(words[position]):
                words[position] = self.rng.choice(self.m.words)
        return " ".join(words)

    def paragraph(self, low: int = 2, high: int = 5) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(low, high)))

    def heading(self) -> str:
        words = self.rng.choice(self.m.headings).rstrip("?").split(" ")
        words.insert(self.rng.randrange(1, len(words) + 1), self.rng.choice(self.m.words))
        return " ".join(words) + "?"

    def item(self) -> str:
        lead = self.rng.choice(self.m.leads) if self.m.leads else ""
        text = self.paragraph(1, 2)
        if lead and self.rng.random() < 0.6:
            return f"**{lead}:** {text}"
        return text

    def table(self) -> list[str]:
        columns = self.rng.randint(2, 4)
        header = [self.rng.choice(self.m.words).capitalize() for _ in range(columns)]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * columns]
        for _ in range(self.rng.randint(2, 5)):
            cells = [
                " ".join(self.rng.choice(self.m.words) for _ in range(self.rng.randint(1, 5)))
                for _ in range(columns)
            ]
            lines.append("| " + " | ".join(cells) + " |")
        return lines

    def front_matter(self, slug: str, number: int) -> list[str]:
        return [
            "---",
            f"title: {json.dumps(self.heading().rstrip('?'), ensure_ascii=False)}",
            f"slug: {slug}",
            "lang: en",
            f"description: {json.dumps(self.sentence(), ensure_ascii=False)}",
            "publisher: MedTravellers",
            "references:",
            f"  - title: {json.dumps(self.sentence(), ensure_ascii=False)}",
            f"    url: https://example.org/references/{number}",
            "---",
        ]

    def body(self) -> list[str]:
        lines: list[str] = [self.paragraph(), ""]
        table_at = self.rng.randrange(3)
        for section in range(self.rng.randint(3, 5)):
            lines += [f"## {self.heading()}", "", self.paragraph(), ""]
            kind = self.rng.random()
            if kind < 0.5:
                lines += [f"- {self.item()}" for _ in range(self.rng.randint(2, 5))]
            else:
                lines += [f"{i}. {self.item()}" for i in range(1, self.rng.randint(3, 6))]
            lines += ["", self.paragraph(1, 3), ""]
            if section == table_at:
                lines += [*self.table(), ""]
        lines += ["## FAQ", ""]
        for _ in range(self.rng.randint(1, 3)):
            lines += [f"### {self.heading()}", "", self.paragraph(1, 2), ""]
        return lines

    def article(self, slug: str, number: int) -> tuple[str, str]:
        """The article with its front matter, and its body alone."""
        front = self.front_matter(slug, number)
        body = self.body()
        return "\n".join([*front, "", *body]), "\n".join(body)


def generate(
    source_articles: list[Path], dest: Path, count: int, *, seed: int = 2026, bodies: Path
) -> list[str]:
    """Write ``count`` articles to ``dest`` (``article-NNNN.md``) and their bodies to ``bodies``.

    Returns the slugs. The bodies (no front matter) are for tools that cannot
    read YAML front matter.
    """
    writer = Writer(material_from(source_articles), seed)
    dest.mkdir(parents=True, exist_ok=True)
    bodies.mkdir(parents=True, exist_ok=True)
    slugs = []
    for number in range(1, count + 1):
        slug = f"article-{number:04d}"
        full, body = writer.article(slug, number)
        (dest / f"{slug}.md").write_text(full, encoding="utf-8")
        (bodies / f"{slug}.md").write_text(body, encoding="utf-8")
        slugs.append(slug)
    return slugs


def split_body(text: str) -> str:
    """The body of a generated article: everything after the front matter's closing line."""
    return text.split("\n---\n", 1)[1].lstrip("\n")


def edit(full: Path, body: Path, rng: random.Random, material: Material) -> None:
    """Lengthen one paragraph and add one: an author's revision, in both copies of an article."""
    text = full.read_text(encoding="utf-8")
    head, _, rest = text.partition("\n---\n")
    lines = rest.split("\n")
    paragraphs = [i for i, line in enumerate(lines) if line[:1].isalpha()]
    writer = Writer(material, rng.randrange(1 << 30))
    if paragraphs:
        target = rng.choice(paragraphs)
        lines[target] = lines[target] + " " + writer.sentence()
    lines += ["", writer.paragraph(), ""]
    text = head + "\n---\n" + "\n".join(lines)
    full.write_text(text, encoding="utf-8")
    body.write_text(split_body(text), encoding="utf-8")
