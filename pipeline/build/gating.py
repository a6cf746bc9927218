"""The publication gate: which (article, language) pairs may be published.

A language of an article is published when its catalogs (the article's and
``ui``) have no error finding, every critical entry is translated and not
fuzzy, and at least ``min_translated`` of its entries are translated.
Decisions are cached in the manifest by the hash of what they judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from babel.messages.catalog import Catalog

from pipeline.article import Article
from pipeline.build.files import sha
from pipeline.build.inputs import Inputs
from pipeline.build.manifest import Manifest
from pipeline.build.sources import Sources
from pipeline.catalog import is_translated, message_key
from pipeline.checks import CheckContext, Finding, check_catalog
from pipeline.errors import CatalogError
from pipeline.inline import plain_text
from pipeline.project import UI_DOMAIN
from pipeline.review import Signoff, reviewed

Key = tuple[str, str | None]


@dataclass(frozen=True)
class GateDecision:
    lang: str
    domain: str
    published: bool
    reasons: tuple[str, ...]
    translated_share: float


def _shorten(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width].rstrip() + "…"


def gate(
    findings: Sequence[Finding],
    catalog: Catalog,
    critical_msgids: AbstractSet[Key],
    *,
    lang: str,
    domain: str,
    min_translated: float,
    min_translated_words: float = 0.0,
    signoffs: Mapping[Key, Signoff] | None = None,
    min_reviewed: float = 1.0,
    path: str = "",
) -> GateDecision:
    """Publish a catalog only with no error, every critical entry ready, and enough translated.

    ``critical_msgids`` are the (msgid, msgctxt) keys of this domain's critical
    units; one missing from the catalog (an outdated catalog) counts as untranslated.
    Enough is ``min_translated`` of the entries and ``min_translated_words`` of the source's
    words. With ``signoffs`` (review required), every critical entry must also be revised
    as it stands, and ``min_reviewed`` of the words; an unrevised entry is named at its
    line of ``path``.
    """
    reasons: list[str] = []
    errors = [f for f in findings if f.severity == "error" and (f.lang, f.domain) == (lang, domain)]
    if errors:
        checks = ", ".join(dict.fromkeys(f.check for f in errors))
        reasons.append(f"{len(errors)} error{'' if len(errors) == 1 else 's'} ({checks})")

    messages = {message_key(m): m for m in catalog if m.id}
    not_ready: list[str] = []
    for key in [k for k in messages if k in critical_msgids] + sorted(
        critical_msgids - messages.keys(), key=lambda k: (k[0], k[1] or "")
    ):
        message = messages.get(key)
        if message is None:
            not_ready.append(f"critical entry missing from the catalog: {_shorten(key[0])}")
        elif message.fuzzy:
            not_ready.append(f"critical entry fuzzy: {_shorten(key[0])}")
        elif not is_translated(message):
            not_ready.append(f"critical entry untranslated: {_shorten(key[0])}")
    reasons.extend(not_ready[:3])
    if len(not_ready) > 3:
        reasons.append(f"{len(not_ready) - 3} more critical entries not ready")

    total = len(messages)
    share = sum(is_translated(m) for m in messages.values()) / total if total else 1.0
    if share < min_translated:
        reasons.append(
            f"{math.floor(share * 100 + 1e-9)}% translated, {min_translated:.0%} required"
        )
    words = {key: _word_count(key[0]) for key in messages}
    all_words = sum(words.values())
    if min_translated_words:
        done = sum(words[k] for k, m in messages.items() if is_translated(m))
        word_share = done / all_words if all_words else 1.0
        if word_share < min_translated_words:
            reasons.append(
                f"{math.floor(word_share * 100 + 1e-9)}% of words translated, "
                f"{min_translated_words:.0%} required"
            )
    if signoffs is not None:
        unrevised = [key for key in messages if key in critical_msgids and key not in signoffs]
        for key in unrevised[:3]:
            where = f" ({path}:{messages[key].lineno})" if path else ""
            reasons.append(f"critical entry not reviewed: {_shorten(key[0])}{where}")
        if len(unrevised) > 3:
            reasons.append(f"{len(unrevised) - 3} more critical entries not reviewed")
        revised = sum(words[k] for k in messages if k in signoffs)
        revised_share = revised / all_words if all_words else 1.0
        if revised_share < min_reviewed:
            reasons.append(
                f"{math.floor(revised_share * 100 + 1e-9)}% of words reviewed, "
                f"{min_reviewed:.0%} required (pipeline review {lang})"
            )
    return GateDecision(lang, domain, not reasons, tuple(reasons), share)


def _word_count(msgid: str) -> int:
    return len(plain_text(msgid).split())


def critical_keys(article: Article) -> set[Key]:
    return {unit.key for unit in article.units() if unit.critical}


@dataclass
class Verdict:
    """The gate's answer for one (article, language)."""

    decision: GateDecision
    findings: list[Finding] = field(default_factory=list)
    unreadable: list[CatalogError] = field(default_factory=list)
    """Catalogs that could not be read: the language's output must stay as it is."""


def decide(sources: Sources, path: str, slug: str, lang: str) -> Verdict:
    """Run the checks and the gate of one (article, language)."""
    config = sources.config
    article = sources.article(path)
    verdict = Verdict(GateDecision(lang, slug, False, (), 0.0))
    reasons: list[str] = []
    shares: list[float] = []
    context = CheckContext.from_config(config, lang, glossary=sources.glossary())
    units = {unit.key: unit for unit in article.units()}
    domains = (
        (slug, critical_keys(article), units, article.links),
        (UI_DOMAIN, sources.critical_ui_keys(), None, ()),
    )
    for domain, critical, domain_units, links in domains:
        po_name = config.relative(config.po_path(lang, domain))
        try:
            catalog = sources.catalog(lang, domain)
        except CatalogError as exc:
            verdict.unreadable.append(exc)
            reasons.append(f"{po_name} cannot be read")
            continue
        if catalog is None:
            if domain == slug:
                reasons.append(f"no catalog {po_name} (run pipeline update)")
            continue
        findings = sources.ui_findings.get(lang) if domain == UI_DOMAIN else None
        if findings is None:
            findings = check_catalog(
                catalog, lang=lang, domain=domain, path=po_name, context=context,
                units=domain_units, links=links,
            )  # fmt: skip
            if domain == UI_DOMAIN:  # the same for every article: checked once per build
                sources.ui_findings[lang] = findings
        verdict.findings.extend(findings)
        signoffs = None
        if config.review_required(lang):
            try:
                signoffs = reviewed(sources.review(lang, domain), catalog)
            except CatalogError as exc:
                verdict.unreadable.append(exc)
                reasons.append(
                    f"{config.relative(config.review_path(lang, domain))} cannot be read"
                )
                continue
        decision = gate(
            findings, catalog, critical, lang=lang, domain=domain,
            min_translated=config.min_translated,
            min_translated_words=config.min_translated_words,
            signoffs=signoffs, min_reviewed=config.min_reviewed, path=po_name,
        )  # fmt: skip
        if domain == slug:
            shares.append(decision.translated_share)
        reasons.extend(f"{domain}: {reason}" for reason in decision.reasons)
    share = shares[0] if shares else 0.0
    verdict.decision = GateDecision(lang, slug, not reasons, tuple(reasons), share)
    return verdict


def _finding_from(data: dict[str, Any]) -> Finding:
    path, _, line = str(data["location"]).rpartition(":")
    return Finding(
        data["check"], data["severity"], data["message"], data["msgid"], data["lang"],
        data["domain"], path, int(line),
    )  # fmt: skip


def gate_key(inputs: Inputs, path: str, slug: str, lang: str) -> str:
    return sha(
        "gate", lang, inputs.sources[path], inputs.catalogs[(lang, slug)],
        inputs.catalogs[(lang, UI_DOMAIN)], inputs.code, inputs.config, inputs.fonts,
        inputs.reviews.get((lang, slug), ""), inputs.reviews.get((lang, UI_DOMAIN), ""),
        inputs.glossary,
    )  # fmt: skip


def cached_verdict(
    sources: Sources, inputs: Inputs, manifest: Manifest, path: str, slug: str, lang: str
) -> tuple[str, Verdict]:
    """The verdict of one (article, language), from the manifest when its inputs are the same.

    An unreadable catalog is never cached: it is read again next time.
    """
    key = gate_key(inputs, path, slug, lang)
    cached = manifest.gates.get(key)
    if cached is not None:
        decision = GateDecision(
            lang, slug, bool(cached["published"]), tuple(cached["reasons"]), cached["share"]
        )
        return key, Verdict(decision, [_finding_from(f) for f in cached["findings"]])
    verdict = decide(sources, path, slug, lang)
    if not verdict.unreadable:
        manifest.gates[key] = {
            "published": verdict.decision.published,
            "reasons": list(verdict.decision.reasons),
            "share": verdict.decision.translated_share,
            "findings": [f.as_dict() for f in verdict.findings],
            "lang": lang,
        }
    return key, verdict


def prune_gates(manifest: Manifest, live: Iterable[str], languages: Iterable[str] = ()) -> None:
    """Forget verdicts no (article, language) has now: all of them, or with ``languages``
    (a build of some languages) only theirs, so that rebuilding one language again and again
    (``pipeline serve``) does not pile up one verdict per edit."""
    keep, only = set(live), set(languages)
    manifest.gates = {
        key: verdict
        for key, verdict in manifest.gates.items()
        if key in keep or (only and verdict.get("lang") not in only)
    }
