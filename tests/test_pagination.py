"""No word is hyphenated across a page break (``pipeline/render/pagination.py``)."""

from __future__ import annotations

from weasyprint import HTML

from pipeline.render.environment import static_text
from pipeline.render.pagination import KEEP_WORDS, hyphenated_page_ends, render_keeping_words

KEEP_RULE = next(
    line for line in static_text("print.css").splitlines() if line.startswith(f"[{KEEP_WORDS}]")
)
"""The brochure stylesheet's own rule for a paragraph laid out again."""

WORDS = (
    "Rehabilitation after an ischaemic stroke continues through neuroplasticity, "
    "physiotherapy, occupational therapy and speech-language therapy, which together "
    "rebuild independence; "
)


def document(spacer_mm: int) -> HTML:
    paragraphs = "".join(f"<p>{WORDS * 3}</p>" for _ in range(6))
    return HTML(
        string=(
            '<html lang="en"><style>@page { size: A6; margin: 10mm }'
            "html { hyphens: auto; font: 11pt serif; line-height: 1.4 }"
            f"{KEEP_RULE}</style>"
            f'<div style="height: {spacer_mm}mm"></div>{paragraphs}</html>'
        )
    )


def test_a_paragraph_hyphenated_at_a_page_end_is_laid_out_again() -> None:
    cases = [mm for mm in range(0, 40, 2) if hyphenated_page_ends(document(mm).render())]
    assert cases, "no layout hyphenated a word at a page end: the test would see nothing"
    for mm in cases:
        assert hyphenated_page_ends(render_keeping_words(document(mm))) == [], mm
