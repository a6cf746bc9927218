"""A translator silences one warning on one entry with a flag, Weblate's spelling or ours.

A check that is wrong for one entry (German "die die", a sentence that ends on a quotation)
otherwise stays in every report. Errors that protect patients have no flag.
"""

from __future__ import annotations

import json
from pathlib import Path

import polib
import pytest
from helpers import FR_PO, copy_project, run

from pipeline.checks import SILENCING_FLAGS, CheckContext, check_catalog

CONTEXT = CheckContext.for_language("de", coverage=None)


def findings(msgid: str, msgstr: str, flags: str = "") -> list[tuple[str, str]]:
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="de")
    catalog.add(msgid, msgstr, flags=[f for f in flags.split(",") if f])
    found = check_catalog(catalog, lang="de", domain="d", path="d.po", context=CONTEXT)
    return [(f.check, f.severity) for f in found if f.check != "plural-forms"]


@pytest.mark.parametrize(
    ("msgid", "msgstr", "check", "flag"),
    [
        ("The patient is here.", "Die die Patientin ist hier.", "doubled-word", "ignore-duplicate"),
        (
            "The patient is here.",
            "Die die Patientin ist hier.",
            "doubled-word",
            "ignore-doubled-word",
        ),
        ("He said: stop.", "Er sagte: „Stopp“", "end-punctuation", "ignore-end-stop"),
        ("He said: stop.", "Er sagte: „Stopp“", "end-punctuation", "ignore-end-punctuation"),
        ("Hello world", "Hallo  Welt", "whitespace", "ignore-double-space"),
        ("Side effects", "Nebenwirkungen " * 12, "length", "ignore-length"),
    ],
)
def test_a_flag_silences_its_warning_on_that_entry_only(
    msgid: str, msgstr: str, check: str, flag: str
) -> None:
    assert (check, "warning") in findings(msgid, msgstr)
    assert (check, "warning") not in findings(msgid, msgstr, flag)
    assert flag in SILENCING_FLAGS[check]


@pytest.mark.parametrize(
    ("msgid", "msgstr", "check", "flag"),
    [
        ("Take 5 mg.", "Nehmen Sie 50 mg.", "figures", "ignore-figures"),
        (
            "See [this](https://a.example).",
            "Siehe [das](https://b.example).",
            "links",
            "ignore-links",
        ),
        ("Stroke", "Schlag\u202eanfall", "invisible", "ignore-invisible"),
        ("Side effects", "x" * 1000, "length", "ignore-length"),
    ],
)
def test_errors_that_protect_patients_cannot_be_silenced(
    msgid: str, msgstr: str, check: str, flag: str
) -> None:
    assert (check, "error") in findings(msgid, msgstr, flag)


def test_every_flag_names_a_real_warning() -> None:
    from pipeline.checks import CHECKS

    assert set(SILENCING_FLAGS) <= {name for name, _ in CHECKS}


def test_a_flag_set_in_the_file_survives_update_and_silences_check(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    po_path = root / FR_PO
    po = polib.pofile(str(po_path))
    entry = next(e for e in po if e.msgstr and e.msgstr.rstrip().endswith("."))
    entry.msgstr = entry.msgstr.rstrip()[:-1]  # the end punctuation differs now
    po.save()
    before = json.loads(run(root, "check", "--json", "--lang", "fr").stdout)
    assert [f["check"] for f in before] == ["end-punctuation"]
    po = polib.pofile(str(po_path))
    next(e for e in po if e.msgid == entry.msgid).flags.append("ignore-end-stop")
    po.save()
    assert run(root, "update").returncode == 0
    assert "#, ignore-end-stop" in po_path.read_text("utf-8")  # GNU drops it; we keep it
    after = run(root, "check", "--json", "--lang", "fr")
    assert json.loads(after.stdout) == [] and after.returncode == 0
