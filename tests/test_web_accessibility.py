"""The built web pages and index, measured in Chromium: axe-core at WCAG 2.2 AA, tap
targets, the index's rows in their own languages, the language switcher's baseline,
heading line-height and underlines per script, French spacing.

One build of the real project (its real catalogs, every language and the
pseudo-locales) serves the module; each page is opened at a desktop width and a
phone's.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import pytest
from axe_core import axe_script, verified
from helpers import ROOT, SLUG, copy_project, run

from pipeline.render.html import spaced
from pipeline.render.l10n import NARROW_NBSP, unbreakable_punctuation_spaces

LANGS = ("en", "ar", "bn", "fa", "fr", "ru")
PSEUDO = ("en-XA", "ar-XB")
WIDTHS = (1200, 390)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MIN_TARGET = 44
"""CSS px, each way: WCAG 2.5.5 (AAA), and Apple's and Android's guidance for touch."""
ARABIC_SCRIPT = ("ar", "fa")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of the real project built in every language, pseudo-locales too."""
    root = copy_project(tmp_path_factory.mktemp("web") / "project", min_translated=0)
    done = run(root, "build", "--pseudo")
    assert done.returncode == 0, done.stderr
    assert "not published:" not in done.stdout, done.stdout
    return root / "output"


@pytest.fixture(scope="module")
def axe() -> Path:
    return axe_script()


@pytest.fixture
def open_at(chromium: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_(path: Path, width: int = 1200) -> Any:
        context = chromium.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(path.as_uri())
        return page

    yield open_
    for context in contexts:
        context.close()


def page_of(site: Path, lang: str) -> Path:
    return site / lang / f"{SLUG}.html"


PAGES = [*LANGS, *PSEUDO, "index"]


def path_of(site: Path, name: str) -> Path:
    return site / "index.html" if name == "index" else page_of(site, name)


# --- axe-core ---------------------------------------------------------------------------------


def test_the_axe_core_tarball_is_refused_unless_its_sha512_is_the_pinned_one() -> None:
    data = b"package/axe.min.js"
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert verified(data, integrity) == data
    with pytest.raises(ValueError, match="integrity"):
        verified(data)
    with pytest.raises(ValueError, match="integrity"):
        verified(data, integrity.replace("sha512-", "sha256-"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_passes_axe_at_wcag_2_2_aa(
    open_at: Any, site: Path, axe: Path, name: str, width: int
) -> None:
    page = open_at(path_of(site, name), width)
    page.add_script_tag(path=str(axe))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    assert result["testEngine"]["version"]
    assert result["passes"], "axe checked nothing"
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {node['target']}" for node in v["nodes"])
        for v in result["violations"]
    ]
    assert violations == [], "\n".join(violations)


# --- tap targets ------------------------------------------------------------------------------

TARGETS = """() => [...document.querySelectorAll('a[href]')]
    .filter(a => !a.closest('.article-body p, .article-body td, .article-body th'))
    .filter(a => getComputedStyle(a).visibility !== 'hidden')
    .map(a => { const r = a.getBoundingClientRect();
                return [a.textContent.trim().slice(0, 40), r.width, r.height]; })"""
"""Every link a reader taps on its own; links inside the article's sentences are exempt
(WCAG 2.5.8's inline exception), and there are none in the sample article."""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", [*LANGS, "index"])
def test_every_link_outside_running_text_is_a_44_px_target(
    open_at: Any, site: Path, name: str, width: int
) -> None:
    page = open_at(path_of(site, name), width)
    page.focus("a.skip-link")  # shown only when focused, then measured like the others
    targets = page.evaluate(TARGETS)
    assert len(targets) >= 4
    small = [t for t in targets if t[1] < MIN_TARGET - 0.5 or t[2] < MIN_TARGET - 0.5]
    assert small == [], small


# --- the index ---------------------------------------------------------------------------------


def ui_msgstr(lang: str, msgid: str) -> str:
    if lang == "en":
        return msgid
    entry = polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "ui.po")).find(msgid)
    assert entry is not None and entry.msgstr and "fuzzy" not in entry.flags, (lang, msgid)
    return str(entry.msgstr)


ROWS = """() => [...document.querySelectorAll('.editions > li')].map(li => ({
    lang: li.lang, dir: li.dir, direction: getComputedStyle(li).direction,
    name: li.querySelector('.language-name').textContent,
    title: li.querySelector('.edition-title')?.textContent ?? null,
    links: [...li.querySelectorAll('a')].map(a => a.textContent
        .replace(a.querySelector('.file-info')?.textContent ?? '', '').trim()),
    size: li.querySelector('.file-info').textContent,
}))"""


def test_index_rows_speak_their_own_language(open_at: Any, site: Path) -> None:
    page = open_at(site / "index.html")
    rows = page.evaluate(ROWS)
    assert [row["lang"] for row in rows] == list(LANGS)
    for row in rows:
        lang = row["lang"]
        direction = "rtl" if lang in ARABIC_SCRIPT else "ltr"
        assert (row["dir"], row["direction"]) == (direction, direction)
        assert row["links"] == [ui_msgstr(lang, "Read online"), ui_msgstr(lang, "Download PDF")]
    sizes = {row["lang"]: row["size"] for row in rows}
    assert re.fullmatch(r"\([0-9]+ kB\)", sizes["en"]), sizes
    assert re.fullmatch(r"\([٠-٩]+ كيلوبايت\)", sizes["ar"]), sizes
    assert re.fullmatch(r"\([০-৯]+ kB\)", sizes["bn"]), sizes
    assert re.fullmatch("\\([0-9]+\u202fko\\)", sizes["fr"]), sizes


def test_index_shows_the_source_title_once(open_at: Any, site: Path) -> None:
    page = open_at(site / "index.html")
    heading = page.evaluate("document.querySelector('.index-article h2').textContent")
    main = page.evaluate("document.querySelector('main').textContent")
    assert heading and main.count(heading) == 1
    rows = page.evaluate(ROWS)
    assert rows[0]["title"] is None
    assert all(row["title"] for row in rows[1:])


def test_index_links_are_named_with_their_language(open_at: Any, site: Path) -> None:
    page = open_at(site / "index.html")
    names = page.evaluate(
        "[...document.querySelectorAll('.editions .language-name')].map(e => e.textContent)"
    )
    assert names == ["English", "العربية", "বাংলা", "فارسی", "Français", "Русский"]
    for lang, name in zip(LANGS, names, strict=True):
        read = f"{name} {ui_msgstr(lang, 'Read online')}"
        assert page.get_by_role("link", name=read, exact=True).count() == 1, read
        pdf = page.get_by_role(
            "link",
            name=re.compile(
                "^" + re.escape(f"{name} {ui_msgstr(lang, 'Download PDF')} (") + r".+\)$"
            ),
        )
        assert pdf.count() == 1, (lang, name)


@pytest.mark.parametrize("width", WIDTHS)
def test_index_rows_align_to_their_own_start(open_at: Any, site: Path, width: int) -> None:
    page = open_at(site / "index.html", width)
    edges = page.evaluate(
        """() => [...document.querySelectorAll('.editions > li')].map(li => {
            const box = li.getBoundingClientRect();
            const parts = [...li.querySelectorAll('.language-name, .edition-title, a')];
            return [li.lang, box.left, box.right, parts.map(e => {
                const r = e.getClientRects()[0]; return [r.left, r.right]; })];
        })"""
    )
    for lang, left, right, parts in edges:
        rtl = lang in ARABIC_SCRIPT
        first = parts[0]  # the language's name starts the row, on its reading side
        if rtl:
            assert abs(first[1] - right) < 1, (lang, first, right)
            assert all(part[1] <= right + 0.5 and part[0] >= left - 0.5 for part in parts)
            assert max(part[1] for part in parts[1:]) == pytest.approx(right, abs=1)
        else:
            assert abs(first[0] - left) < 1, (lang, first, left)
            assert min(part[0] for part in parts[1:]) == pytest.approx(left, abs=1)


# --- pages --------------------------------------------------------------------------------------

BASELINES = """() => [...document.querySelectorAll('nav.languages li:not(.all) a')].map(a => {
    const probe = document.createElement('span');
    probe.style.cssText = 'display:inline-block;width:0;height:0;vertical-align:baseline';
    a.appendChild(probe);
    const y = probe.getBoundingClientRect().top;
    probe.remove();
    return [a.lang, y, parseFloat(getComputedStyle(a).fontSize)];
})"""


@pytest.mark.parametrize("lang", LANGS)
def test_language_switcher_names_share_one_baseline(open_at: Any, site: Path, lang: str) -> None:
    page = open_at(page_of(site, lang), 1200)
    names = page.evaluate(BASELINES)
    assert len(names) == len(LANGS) - 1
    baselines = [y for _, y, _ in names]
    assert max(baselines) - min(baselines) < 1, names
    # Naskh is set a size up, so that its names do not look smaller than the others.
    latin = {size for name_lang, _, size in names if name_lang in ("en", "fr", "ru")}
    naskh = {size for name_lang, _, size in names if name_lang in ARABIC_SCRIPT}
    assert len(latin) == 1 and naskh and min(naskh) > max(latin) * 1.1


LINE_HEIGHTS = {"en": 1.25, "fr": 1.25, "ru": 1.25, "ar": 1.5, "fa": 1.5, "bn": 1.45}


@pytest.mark.parametrize("lang", LANGS)
def test_headings_are_set_tighter_than_body_text_by_script(
    open_at: Any, site: Path, lang: str
) -> None:
    page = open_at(page_of(site, lang), 390)
    ratios = page.evaluate(
        """() => ['h1', '.article-body h2', '.article-body p'].map(s => {
            const e = document.querySelector(s), style = getComputedStyle(e);
            return [e.closest('[lang]').lang,
                    parseFloat(style.lineHeight) / parseFloat(style.fontSize)];
        })"""
    )
    (h1_lang, h1), (h2_lang, h2), (_, body) = ratios
    assert h1 == pytest.approx(LINE_HEIGHTS[h1_lang], abs=0.01), ratios
    assert h2 == pytest.approx(LINE_HEIGHTS[h2_lang], abs=0.01), ratios
    assert h1 < body
    # The title's lines are that far apart, no more: no fallback font's taller line
    # (a Latin name in an Arabic title) pushes them apart.
    pitch = page.evaluate(
        """() => { const h1 = document.querySelector('h1'), r = document.createRange();
            r.selectNodeContents(h1);
            const tops = [...new Set([...r.getClientRects()].map(b => Math.round(b.top)))];
            return [tops.length, h1.getBoundingClientRect().height,
                    parseFloat(getComputedStyle(h1).lineHeight)]; }"""
    )
    lines, height, line_height = pitch
    assert lines >= 2, pitch  # the title wraps on a phone in every language
    assert height == pytest.approx(lines * line_height, abs=1), pitch


@pytest.mark.parametrize("lang", ARABIC_SCRIPT)
def test_naskh_link_underlines_pass_below_the_dots(open_at: Any, site: Path, lang: str) -> None:
    page = open_at(page_of(site, lang), 1200)
    offsets = page.evaluate(
        """() => [...document.querySelectorAll('.toc a')].map(a => {
            const style = getComputedStyle(a);
            return [style.textDecorationLine, style.textDecorationSkipInk,
                    parseFloat(style.textUnderlineOffset) / parseFloat(style.fontSize)];
        })"""
    )
    assert offsets
    for line, skip, offset in offsets:
        assert line == "underline" and skip == "auto"
        assert offset >= 0.4  # Noto Naskh's dots under a final ي reach 0.4 em below the line


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ARABIC_SCRIPT)
def test_rtl_list_links_start_beside_their_number(
    open_at: Any, site: Path, lang: str, width: int
) -> None:
    """Every line of a contents or reference link (an English title too) ends at the
    list item's right edge, where its number is."""
    page = open_at(page_of(site, lang), width)
    gaps = page.evaluate(
        """() => [...document.querySelectorAll('.toc li > a, .references li > a')].map(a => {
            const r = document.createRange(); r.selectNodeContents(a);
            const right = a.parentElement.getBoundingClientRect().right;
            const boxes = [...r.getClientRects()];
            const overlap = (b, o) => Math.min(o.bottom, b.bottom) - Math.max(o.top, b.top);
            // the last box of each line: none further right overlaps it by half its height
            const ends = boxes.filter(b => !boxes.some(o => o.right > b.right + 0.5
                && overlap(b, o) > 0.5 * Math.min(b.height, o.height)));
            return [a.textContent.slice(0, 30), a.lang || null,
                    Math.max(...ends.map(b => right - b.right))];
        })"""
    )
    assert any(link_lang == "en" for _, link_lang, _ in gaps), gaps  # the English titles
    assert [g for g in gaps if g[2] > 2] == [], gaps


# --- French spacing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("un AVC ?", f"un AVC{NARROW_NBSP}?"),
        ("Attention : oui ; non !", f"Attention{NARROW_NBSP}: oui{NARROW_NBSP}; non{NARROW_NBSP}!"),
        ("« guérir »", f"«{NARROW_NBSP}guérir{NARROW_NBSP}»"),
        ("AVC\u00a0?", f"AVC{NARROW_NBSP}?"),
        ("https://a.example/?q=1 et 10:30", "https://a.example/?q=1 et 10:30"),
    ],
)
def test_french_spaces_before_high_punctuation_cannot_break(text: str, expected: str) -> None:
    assert unbreakable_punctuation_spaces(text, "fr") == expected
    assert unbreakable_punctuation_spaces(text, "fr-CA") == expected
    assert unbreakable_punctuation_spaces(text, "en") == text


def test_french_spacing_leaves_markup_code_and_css_alone() -> None:
    html = (
        '<style>a :focus, :lang(ar) { x: y }</style><p title="a ?">Pourquoi ?</p>'
        "<code>x ? y : z</code><!-- a ? -->"
    )
    assert spaced(html, "fr") == html.replace("Pourquoi ?", f"Pourquoi{NARROW_NBSP}?")


def test_french_page_has_no_breakable_space_before_punctuation(open_at: Any, site: Path) -> None:
    page = open_at(page_of(site, "fr"), 390)
    text = page.evaluate("document.body.innerText")
    assert f"{NARROW_NBSP}?" in text
    assert re.findall(r".{0,20}[ \u00a0][?!;:]", text) == []
    css = (ROOT / "pipeline" / "static" / "page.css").read_text("utf-8")
    assert css.strip() in page.evaluate("document.querySelector('style').textContent")
