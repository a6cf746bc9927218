"""Property: ``merge`` never loses a translation over any sequence of article edits.

A model article is a list of slots, each holding one sentence. Random edits
(change a word, delete a slot, add a slot, restore a deleted slot, review a
fuzzy entry) are applied one by one; after each, the template is rebuilt,
merged into the translation, written with ``po_bytes`` and read back with
``read_catalog`` as the real workflow does, and the translator fills every
untranslated entry with a new string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from babel.messages.catalog import Catalog
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.catalog import init_catalog
from pipeline.msgmerge import merge
from pipeline.pofile import po_bytes, read_catalog

VOCABULARY = [
    "stem",
    "cell",
    "therapy",
    "stroke",
    "recovery",
    "patient",
    "brain",
    "damage",
    "neurons",
    "repair",
    "window",
    "treatment",
    "doctor",
    "months",
]
DATE = datetime(2024, 1, 1, tzinfo=UTC)
NAME = "locale/fr/LC_MESSAGES/prop.po"

words = st.lists(st.sampled_from(VOCABULARY), min_size=3, max_size=8)
sentences = words.map(" ".join)
contexts = st.sampled_from([None, None, None, "button"])
index = st.integers(min_value=0, max_value=50)
operations = st.one_of(
    st.tuples(st.just("change"), index, index, st.sampled_from(VOCABULARY)),
    st.tuples(st.just("delete"), index),
    st.tuples(st.just("add"), sentences, contexts),
    st.tuples(st.just("restore"), index),
    st.tuples(st.just("review"), index),
)

Key = tuple[str, str | None]


@dataclass
class Slot:
    msgid: str
    context: str | None = None
    deleted: bool = False
    stable: tuple[str, str] | None = None
    """(msgid, msgstr) once translated and not fuzzy; dropped when the msgid changes."""

    @property
    def key(self) -> Key:
        return (self.msgid, self.context)


@dataclass
class Model:
    slots: list[Slot]
    entered: set[str] = field(default_factory=set)
    counter: int = 0

    def template(self) -> Catalog:
        catalog = Catalog(project="prop", creation_date=DATE, fuzzy=False, charset="utf-8")
        for number, slot in enumerate(self.slots, 1):
            if not slot.deleted:
                catalog.add(
                    slot.msgid, locations=[("source/prop.md", number)], context=slot.context
                )
        return catalog

    def new_string(self) -> str:
        self.counter += 1
        string = f"traduction {self.counter}"
        self.entered.add(string)
        return string


def translate_untranslated(model: Model, catalog: Catalog) -> None:
    for message in catalog:
        if message.id and not message.string:
            message.string = model.new_string()


def remember_stable(model: Model, catalog: Catalog) -> None:
    for slot in model.slots:
        if slot.deleted or slot.stable is not None:
            continue
        message = catalog.get(slot.msgid, context=slot.context)
        if message is not None and message.string and not message.fuzzy:
            slot.stable = (slot.msgid, str(message.string))


def apply(model: Model, catalog: Catalog, operation: tuple) -> None:
    kind = operation[0]
    live = [s for s in model.slots if not s.deleted]
    dead = [s for s in model.slots if s.deleted]
    if kind == "change" and live:
        slot = live[operation[1] % len(live)]
        tokens = slot.msgid.split()
        tokens[operation[2] % len(tokens)] = operation[3]
        msgid = " ".join(tokens)
        if msgid != slot.msgid:
            slot.msgid, slot.stable = msgid, None
    elif kind == "delete" and live:
        live[operation[1] % len(live)].deleted = True
    elif kind == "add":
        model.slots.append(Slot(operation[1], operation[2]))
    elif kind == "restore" and dead:
        dead[operation[1] % len(dead)].deleted = False
    elif kind == "review":
        fuzzy = [m for m in catalog if m.id and m.fuzzy]
        if fuzzy:
            message = fuzzy[operation[1] % len(fuzzy)]
            message.string = model.new_string()
            message.flags.discard("fuzzy")
            message.previous_id = []


def check(model: Model, catalog: Catalog, template: Catalog) -> None:
    active = {(str(m.id), m.context): m for m in catalog if m.id}
    wanted = {(str(m.id), m.context) for m in template if m.id}
    assert set(active) == wanted

    kept = {str(m.string) for m in active.values() if m.string}
    kept |= {str(m.string) for m in catalog.obsolete.values() if m.string}
    assert model.entered <= kept, model.entered - kept

    for message in active.values():
        if message.fuzzy:
            assert message.string, message.id
    for slot in model.slots:
        if not slot.deleted and slot.stable is not None:
            assert slot.stable[0] == slot.msgid
            message = active[slot.key]
            assert (str(message.string), message.fuzzy) == (slot.stable[1], False), slot


@settings(max_examples=100, deadline=None)
@given(
    initial=st.lists(st.tuples(sentences, contexts), min_size=1, max_size=6),
    steps=st.lists(operations, max_size=12),
)
def test_merge_never_loses_a_translation(
    initial: list[tuple[str, str | None]], steps: list[tuple]
) -> None:
    model = Model([Slot(msgid, context) for msgid, context in initial])
    template = model.template()
    catalog = init_catalog(template, "fr", date=DATE)
    translate_untranslated(model, catalog)
    remember_stable(model, catalog)
    check(model, catalog, template)

    for operation in steps:
        apply(model, catalog, operation)
        template = model.template()
        merged = merge(catalog, template)
        catalog = read_catalog(po_bytes(merged), NAME, locale="fr")
        check(model, catalog, template)
        translate_untranslated(model, catalog)
        remember_stable(model, catalog)
        check(model, catalog, template)
