"""The publisher's contact details and theme, on every brochure and page.

``[tool.pipeline.contact]`` is printed on the cover and the back page and at the foot of
every web page; ``[tool.pipeline] theme`` names a folder with the logo, colours, fonts and
overrides (the project ships MedTravellers' own in ``theme/``).
"""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path
from typing import Any

import polib
import pytest
from helpers import ROOT, SLUG, copy_project, run, with_front_matter
from PIL import Image

from pipeline.contact import Contact, contact_from_table, parse_hours
from pipeline.errors import ConfigError, SourceError
from pipeline.project import load_config
from pipeline.render.l10n import format_hours
from pipeline.theme import contrast, load_theme

LANGS = ("en", "ar", "bn", "fa", "fr", "ru")
PHONE = "+44 20 7946 0958"
EMAIL = "care@medtravellers.example"
CONTACT_US = {
    "en": "Contact us",
    "ar": "تواصل معنا",
    "bn": "যোগাযোগ করুন",
    "fa": "تماس با ما",
    "fr": "Nous contacter",
    "ru": "Связаться с нами",
}


def pdf_pages(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = [" ".join(page.split()) for page in out.stdout.split("\f")]
    return [page for page in pages if page]


def ui_po(root: Path, lang: str) -> Path:
    return root / "locale" / lang / "LC_MESSAGES" / "ui.po"


# --- the settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "reason"),
    [
        ({"phone": "020 7946 0958"}, "international format"),
        ({"whatsapp": "+44 (0)7700 900123"}, "international format"),
        ({"email": "care@"}, "not an email address"),
        ({"hours": ["Mon-Fri 9-18"]}, "is not like 'Mon-Fri 09:00-18:00'"),
        ({"hours": ["Fri-Mon 09:00-18:00"]}, "the days run backwards"),
        ({"hours": ["Mon 18:00-09:00"]}, "closes before it opens"),
        ({"hours": ["Mon 09:00-25:00"]}, "is not a time of day"),
        ({"hours": ["Mon-Fri 09:00-24:00"]}, "'24:00' is not a time of day (for midnight, close"),
        ({"hours": ["Sun 00:00-00:00"]}, "closes before it opens"),
        ({"hours": ["Sat 10:00-14:00", "Sat 09:00-10:00"]}, "must list each day once, Monday"),
        ({"hours": ["Sat 10:00-14:00", "Mon-Fri 09:00-18:00"]}, "must list each day once"),
        ({"fax": "+44 20 7946 0000"}, "unknown keys fax"),
    ],
)
def test_wrong_contact_details_are_refused_in_pyproject(
    tmp_path: Path, table: dict[str, object], reason: str
) -> None:
    rows = "\n".join(f"{key} = {value!r}".replace("'", '"') for key, value in table.items())
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.pipeline]\n\n[tool.pipeline.contact]\n{rows}\n", "utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert reason in str(caught.value)
    assert str(caught.value).startswith(f"{tmp_path / 'pyproject.toml'}: [tool.pipeline]: contact")


def test_contact_details_are_read_as_written() -> None:
    contact = contact_from_table(
        {
            "phone": "+44  20 7946 0958",
            "email": EMAIL,
            "address": "One line",
            "hours": "Sat 10:00-14:00",
        }
    )
    assert contact.phone == PHONE and contact.phone_uri == "tel:+442079460958"
    assert contact.address == ("One line",)
    assert contact.hours == (parse_hours("Sat 10:00-14:00"),)
    assert not Contact() and contact


def test_opening_hours_in_each_language_follow_cldr() -> None:
    hours = [parse_hours("Mon-Fri 09:00-18:00"), parse_hours("Sat 10:00-14:00")]
    shown = {lang: format_hours(hours, lang) for lang in LANGS}
    assert shown["en"][0][0].startswith("Monday") and "6:00\u202fPM" in shown["en"][0][1]
    assert shown["fr"][0] == ("lundi\u2009–\u2009vendredi", "09:00\u2009–\u200918:00")
    assert shown["fa"][0] == ("دوشنبه تا جمعه", "۹:۰۰ تا ۱۸:۰۰")
    assert shown["ar"][1][0] == "السبت" and "١٠:٠٠" in shown["ar"][1][1]
    assert shown["bn"][0][0] == "সোমবার – শুক্রবার" and "৯:০০" in shown["bn"][0][1]
    assert shown["ru"][1][0] == "суббота"


# --- the theme folder -------------------------------------------------------------------------


def theme_folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "theme" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root


def load(root: Path) -> object:
    return load_theme(
        root,
        "theme",
        lambda p: p.read_bytes() if p.exists() else None,
        templates=["page.html", "_contact.html"],
        installed=lambda family: family.startswith("Noto"),
    )


@pytest.mark.parametrize(
    ("files", "error", "where"),
    [
        (
            {"theme.toml": '[colours]\n\nprimary = "#5fa8d3"\n'},
            "primary colour #5fa8d3 on white #ffffff has a contrast of 2.62:1",
            "theme/theme.toml:3",
        ),
        (
            {"theme.toml": '[colours]\ntint = "#3c6e91"\n'},
            "the text colour #1d2327 on the tint",
            "theme/theme.toml:2",
        ),
        (
            {
                "theme.toml": (
                    '[fonts.body]\ndefault = ["Noto Serif"]\n\n'
                    '[fonts.headings]\ndefault = ["Comic Sans MS"]\n'
                )
            },
            "font 'Comic Sans MS' is not installed",
            "theme/theme.toml:5",
        ),
        ({"theme.toml": "[colours\n"}, "invalid TOML", "theme/theme.toml:1"),
        ({"templates/pgae.html": "x"}, "no template of the pipeline is called pgae.html", ""),
        (
            {"logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'},
            "the logo is refused: an SVG with <script>",
            "theme/logo.svg",
        ),
        (
            {"print.css": '@import url("https://fonts.example/x.css");'},
            "a theme stylesheet may not @import another file",
            "theme/print.css:1",
        ),
        (
            {"page.css": 'h2 { color: red }\n@\\69mport "https://evil.example/a.css";'},
            "a theme stylesheet may not @import another file",
            "theme/page.css:2",
        ),
        (
            {"page.css": "a {\n  background: url(//evil.example/track.png);\n}"},
            "a theme stylesheet may not load '//evil.example/track.png'",
            "theme/page.css:2",
        ),
        (
            {"page.css": 'b { background: image-set("https://evil.example/b.png" 1x) }'},
            "a theme stylesheet may not load 'https://evil.example/b.png'",
            "theme/page.css:1",
        ),
        (
            {"page.css": "x { }\n</style><script>alert(1)</script>"},
            "a theme stylesheet may not close the <style> it is put in",
            "theme/page.css:2",
        ),
        (
            {"templates/_contact.html": "{% macro contact_block() %}\n<script src=x.js></script>"},
            "a theme template may not run script, embed or load anything",
            "theme/templates/_contact.html:2",
        ),
        (
            {"templates/_contact.html": '<p>\n<p style="background: url(//t.example/t.gif)">'},
            "a theme stylesheet may not load '//t.example/t.gif'",
            "theme/templates/_contact.html:2",
        ),
        (
            {"templates/_contact.html": '<img src="https://tracker.example/p.gif">'},
            "a theme template may not run script, embed or load anything",
            "theme/templates/_contact.html:1",
        ),
    ],
)
def test_a_wrong_theme_is_refused_at_its_file_and_line(
    tmp_path: Path, files: dict[str, str], error: str, where: str
) -> None:
    theme_folder(tmp_path, files)
    with pytest.raises((ConfigError, SourceError)) as caught:
        load(tmp_path)
    assert error in str(caught.value)
    assert str(caught.value).startswith(where or "theme/templates/pgae.html")


def test_the_sample_theme_keeps_its_colours_readable() -> None:
    theme = load_theme(
        ROOT,
        "theme",
        lambda p: p.read_bytes() if p.exists() else None,
        templates=["page.html"],
        installed=lambda family: True,
    )
    colours = dict(theme.colours)
    assert contrast(colours["primary"], "#ffffff") >= 7
    assert theme.logo_svg == (ROOT / "theme" / "logo.svg").read_bytes()


# --- the sample project, built ----------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("brand") / "project")
    done = run(root, "build")
    assert done.returncode == 0, done.stderr
    return root


@pytest.mark.parametrize("lang", LANGS)
def test_every_brochure_carries_the_contact_on_its_cover_and_back_page(
    built: Path, lang: str
) -> None:
    pages = pdf_pages(built / "output" / lang / f"{SLUG}.pdf")
    cover, back = pages[0], pages[-1]
    # Numbers and addresses read left to right inside right-to-left text.
    assert PHONE in cover and EMAIL in cover
    assert PHONE in back and EMAIL in back and "+44 7700 900123" in back
    assert CONTACT_US[lang] in back
    assert "New Delhi 110001" in back
    # The cover is one page in every language: the contents come right after it.
    contents = (
        "Contents" if lang == "en" else polib.pofile(str(ui_po(built, lang))).find("Contents")
    )
    heading = contents if isinstance(contents, str) else contents.msgstr
    assert pages[1].split()[-1] != heading and heading in pages[1]
    assert all(heading not in line for line in cover.split(" Page "))


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_has_the_contact_in_its_footer(built: Path, lang: str) -> None:
    html = (built / "output" / lang / f"{SLUG}.html").read_text("utf-8")
    footer = html[html.index('<footer class="site-footer">') :]
    assert f'<h2 id="contact-title">{CONTACT_US[lang]}</h2>' in footer
    assert f'<a href="tel:+442079460958" translate="no"><bdi dir="ltr">{PHONE}</bdi></a>' in footer
    assert f'href="mailto:{EMAIL}"' in footer and 'href="https://wa.me/447700900123"' in footer
    days, times = format_hours([parse_hours("Mon-Fri 09:00-18:00")], lang)[0]
    assert f'<span class="days">{days}</span> <bdi class="times">{times}</bdi>' in footer


def test_the_index_has_the_contact_and_the_logo(built: Path) -> None:
    html = (built / "output" / "index.html").read_text("utf-8")
    assert 'href="tel:+442079460958"' in html
    (logo,) = re.findall(r'<img class="logo" src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert base64.b64decode(logo) == (ROOT / "theme" / "logo.svg").read_bytes()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_logo_is_on_the_cover_and_every_page(built: Path, lang: str) -> None:
    html = (built / "output" / lang / f"{SLUG}.html").read_text("utf-8")
    assert '<img class="logo" src="data:image/svg+xml;base64,' in html
    # The logo's own text is drawn on the cover (no separate publisher line with a logo).
    cover = pdf_pages(built / "output" / lang / f"{SLUG}.pdf")[0]
    assert cover.count("MedTravellers") == 1


def test_the_theme_colour_is_what_the_brochure_prints(built: Path) -> None:
    xml = subprocess.run(
        ["pdftohtml", "-xml", "-i", "-stdout", str(built / "output" / "en" / f"{SLUG}.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    colours = set(re.findall(r'color="(#[0-9a-f]{6})"', xml))
    assert "#085652" in colours and "#0b5c8a" not in colours


def test_a_theme_change_rebuilds_everything_then_nothing(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    assert run(root, "build", "--lang", "fr").returncode == 0
    theme = root / "theme" / "theme.toml"
    theme.write_text(theme.read_text("utf-8").replace("#e8f3f1", "#eef2f8"), "utf-8")
    again = run(root, "build", "--lang", "fr")
    assert again.returncode == 0, again.stderr
    assert re.search(r"built 2 file\(s\), 0 up to date", again.stdout), again.stdout
    html = (root / "output" / "fr" / f"{SLUG}.html").read_text("utf-8")
    assert "--tint: #eef2f8;" in html
    assert re.search(r"built 0 file\(s\)", run(root, "build", "--lang", "fr").stdout)


def test_a_theme_replaces_templates_by_name_and_adds_its_css(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    theme_folder(
        root,
        {
            "templates/_contact.html": (
                "{% macro contact_block(contact, hours, id='contact', heading='h2') -%}"
                '<p class="our-own">{{ contact.phone }}</p>{%- endmacro %}'
                "{% macro contact_line(contact) %}{% endmacro %}"
            ),
            "print.css": "h2 { color: #5a1a1a; }\n",
            "page.css": ".our-own { font-weight: 700; }\n",
        },
    )
    done = run(root, "build", "--lang", "fr")
    assert done.returncode == 0, done.stderr
    html = (root / "output" / "fr" / f"{SLUG}.html").read_text("utf-8")
    assert f'<p class="our-own">{PHONE}</p>' in html and "Nous contacter" not in html
    assert html.index("--primary:") < html.index(".our-own { font-weight: 700; }")
    xml = subprocess.run(
        ["pdftohtml", "-xml", "-i", "-stdout", str(root / "output" / "fr" / f"{SLUG}.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert 'color="#5a1a1a"' in xml


def test_a_missing_theme_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    (root / "theme" / "logo.svg").unlink()
    (root / "theme" / "theme.toml").unlink()
    (root / "theme").rmdir()
    done = run(root, "build", "--lang", "fr")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("pipeline: error: pyproject.toml")
    assert "the theme folder theme/ does not exist" in done.stderr


def test_a_contact_email_in_an_example_domain_is_warned_about(built: Path) -> None:
    done = run(built, "build")
    assert done.returncode == 0, done.stderr
    rows = [row for row in done.stderr.splitlines() if "the contact email" in row]
    line = next(
        n
        for n, row in enumerate((built / "pyproject.toml").read_text("utf-8").splitlines(), 1)
        if row.startswith("email =")
    )
    assert rows == [
        f"pipeline: warning: pyproject.toml:{line}: NOT A REAL ADDRESS: the contact email "
        f"{EMAIL} is in .example, a domain reserved for examples (RFC 2606): mail to it goes "
        "nowhere, yet every brochure and page prints it; set [tool.pipeline.contact] email"
    ]


# --- a cover image ----------------------------------------------------------------------------

ARROWS = (0x4A, 0x6F, 0x8A)
"""The colour of the arrows of the sample's figure, which nothing else on a cover has."""


def arrow_pixels(pdf: Path, page: int, tmp_path: Path) -> int:
    folder = tmp_path / f"pixels-{len(list(tmp_path.glob('pixels-*')))}"
    folder.mkdir()
    prefix = folder / "page"
    subprocess.run(
        ["pdftoppm", "-r", "60", "-f", str(page), "-l", str(page), "-png", str(pdf), str(prefix)],
        check=True,
    )
    (image,) = folder.glob("page*.png")
    with Image.open(image) as picture:
        rgb = picture.convert("RGB")
        return sum(
            1
            for pixel in rgb.get_flattened_data()
            if all(abs(a - b) <= 10 for a, b in zip(pixel, ARROWS, strict=True))
        )


def test_a_cover_image_is_one_of_the_articles_figures(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    article = with_front_matter(root, "cover_image: images/other.jpg\n")
    line = article.read_text("utf-8").splitlines().index("cover_image: images/other.jpg") + 1
    done = run(root, "build", "--lang", "fr")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith(
        f"pipeline: error: source/{SLUG}.md:{line}: cover_image 'images/other.jpg' is not a "
        "figure of this article"
    )


def test_the_cover_shows_the_figure_the_front_matter_names(built: Path, tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    with_front_matter(root, "cover_image: images/treatment-steps.svg\n")
    done = run(root, "build", "--lang", "ar", "--lang", "en")
    assert done.returncode == 0, done.stderr
    for lang in ("en", "ar"):
        with_image = root / "output" / lang / f"{SLUG}.pdf"
        without = built / "output" / lang / f"{SLUG}.pdf"
        assert arrow_pixels(with_image, 1, tmp_path) > 100, lang
        assert arrow_pixels(without, 1, tmp_path) == 0, lang
        # The key points make room for it: they open the article, under the contents.
        pages = pdf_pages(with_image)
        heading = "Key points" if lang == "en" else "النقاط الرئيسية"
        assert heading not in pages[0] and heading in pages[1]


# --- the web pages, as the brochure -----------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_web_contents_list_the_references_as_the_brochure_does(built: Path, lang: str) -> None:
    html = (built / "output" / lang / f"{SLUG}.html").read_text("utf-8")
    toc = html[
        html.index('<nav class="toc"') : html.index("</nav>", html.index('<nav class="toc"'))
    ]
    assert toc.count("<li>") == html.count('<h2 id="s') + 1
    assert '<a href="#references-title">' in toc and 'id="references-title"' in html


def test_arabic_and_bengali_pages_are_set_as_large_as_the_brochure_sets_them(
    built: Path, chromium: Any
) -> None:
    """The brochure's script factors (fonts.FontStack.scale) size the page's text too."""
    sizes = {}
    for lang in ("en", "ar", "fa", "bn"):
        page = chromium.new_page()
        page.goto((built / "output" / lang / f"{SLUG}.html").as_uri())
        sizes[lang] = page.eval_on_selector(
            ".article-body p", "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        page.close()
    assert sizes["ar"] == sizes["fa"] == pytest.approx(1.25 * sizes["en"])
    assert sizes["bn"] == pytest.approx(1.15 * sizes["en"])


def test_a_theme_template_may_not_drop_the_medical_disclaimer(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    layout = (ROOT / "pipeline" / "templates" / "_layout.html").read_text("utf-8")
    start = layout.index('<section class="disclaimer"')
    end = layout.index("</section>", start) + len("</section>")
    theme_folder(root, {"templates/_layout.html": layout[:start] + layout[end:]})
    done = run(root, "build", "--lang", "fr")
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "pipeline: error: theme/templates/_layout.html: replaces _layout.html but leaves out "
            "its critical message 'This information is for education only and does not replace '"
        )
    )
    theme_folder(root, {"templates/_layout.html": layout.replace("<footer", "<footer data-x")})
    assert run(root, "build", "--lang", "fr").returncode == 0  # kept: accepted


def test_a_theme_template_cannot_reach_python(tmp_path: Path) -> None:
    """Theme templates render in Jinja's sandbox: no os.popen through a global's __init__."""
    root = copy_project(tmp_path / "project")
    theme_folder(
        root,
        {
            "templates/_contact.html": (
                "{% macro contact_block(contact, hours, id='contact', heading='h2') -%}"
                "<p>{{ cycler.__init__.__globals__.os.popen('id').read() }}</p>{%- endmacro %}"
                "{% macro contact_line(contact) %}{% endmacro %}"
            )
        },
    )
    done = run(root, "build", "--lang", "fr")
    assert done.returncode != 0
    assert "uid=" not in done.stdout + done.stderr
    assert not (root / "output" / "fr" / f"{SLUG}.html").exists()


def test_a_theme_that_hides_the_disclaimer_publishes_nothing(tmp_path: Path) -> None:
    """Checked on what is rendered, so no template trick (an ``{% if false %}``) gets past."""
    root = copy_project(tmp_path / "project")
    layout = (ROOT / "pipeline" / "templates" / "_layout.html").read_text("utf-8")
    page = (ROOT / "pipeline" / "templates" / "page.html").read_text("utf-8")
    start = layout.index('<section class="disclaimer"')
    end = layout.index("</section>", start) + len("</section>")
    hidden = layout[:start] + "{% if false %}" + layout[start:end] + "{% endif %}" + layout[end:]
    theme_folder(
        root,
        {
            "templates/_layout.html": hidden,
            "templates/page.html": page.replace("{{ disclaimer_note() }}", ""),
        },
    )
    done = run(root, "build", "--lang", "fr")
    assert done.returncode != 0
    assert (
        f"fr/{SLUG}.html: it would go out without its critical message 'This information is "
        "for education only"
    ) in done.stderr
    assert not (root / "output" / "fr" / f"{SLUG}.html").exists()
