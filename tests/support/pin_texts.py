"""What Rescue can take in a PIN field, written apart from the code under test, and
hypothesis strategies drawing texts on both sides of that line (tests/unit, tests/e2e).
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

from bot import texts
from bot.fields import FIELD_LIMITS
from tests.support.world import settings_for

FIELDS = settings_for().visible_fields
KEYS = [spec.key for spec in FIELDS]

# Written from the XML 1.0 Char production, not from the code under test, so the two can
# disagree. Lone surrogates are left to their own test below: st.text() never draws them.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Characters that break naive XML, sit on the edges of the XML ranges, or that a serializer
# or parser might normalise (\r, NEL, LS, BOM): the cases a uniform draw rarely hits.
_AWKWARD = "<>&\"']\r\n\t \x7f\x80\x85\x9f\xa0\u2028\ufeff\ud7ff\ue000\ufffd\U00010000\U0010ffff😀𝄞"
_CONTROL = "\x00\x01\x08\x0b\x0c\x1b\x1f\ufffe\uffff"


def utf16_units(text: str) -> int:
    """Rescue's (.NET's) length, counted independently of bot.slack.submissions."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def is_valid(key: str, text: str) -> bool:
    """Whether Rescue can take text for this field as is (the oracle for every property)."""
    return (
        utf16_units(text) <= FIELD_LIMITS[key]
        and _NOT_XML_CHAR.search(text) is None
        and (key != "name" or bool(text.strip()))
    )


def applicable_errors(key: str, text: str) -> set[str]:
    """Every message that truthfully describes what is wrong with text (one of them is shown)."""
    limit = FIELD_LIMITS[key]
    found = set()
    if key == "name" and not text.strip():
        found.add(texts.ERROR_REQUIRED)
    if utf16_units(text) > limit:
        found.add(texts.ERROR_TOO_LONG.format(limit=limit, length=utf16_units(text)))
    if _NOT_XML_CHAR.search(text):
        found.add(texts.ERROR_UNSAFE)
    return found


@st.composite
def near_limit(draw: st.DrawFn, key: str, *, over: bool) -> str:
    """Text of exactly the limit or just under (over: just past it), counted in UTF-16 units.

    Astral characters count twice, so the mix decides which side of the limit a text falls.
    """
    limit = FIELD_LIMITS[key]
    astral = draw(st.integers(0, limit // 2))
    room = limit - 2 * astral
    ascii_count = room + draw(st.integers(1, 2)) if over else room - draw(st.integers(0, 2))
    ascii_text = draw(
        st.text(alphabet="a<&]\r ", min_size=max(ascii_count, 0), max_size=max(ascii_count, 0))
    )
    return "".join(draw(st.permutations(["😀"] * astral + list(ascii_text))))


def field_text(key: str) -> st.SearchStrategy[str]:
    """Any text, weighted towards the limit and awkward characters."""
    awkward = st.sampled_from(_AWKWARD + _CONTROL)
    return st.one_of(
        st.text(),
        st.text(alphabet=st.one_of(awkward, st.characters(codec="utf-8"))),
        near_limit(key, over=False),
        near_limit(key, over=True),
    )


def valid_text(key: str) -> st.SearchStrategy[str]:
    """Text Rescue must receive unchanged: XML-safe, within the limit, a name not blank."""
    # Cc also holds \x7f-\x9f, which XML allows: _AWKWARD brings some of them back.
    xml_char = st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")
    # A name needs one character at least: drawing none would only be filtered out.
    min_size = 1 if key == "name" else 0
    alphabet = st.one_of(xml_char, st.sampled_from(_AWKWARD))
    short = st.text(alphabet=alphabet, min_size=min_size, max_size=20)
    return st.one_of(short, near_limit(key, over=False)).filter(lambda text: is_valid(key, text))


def invalid_text(key: str) -> st.SearchStrategy[str]:
    """Text that must be refused: too long in UTF-16 units, a control character, a blank name."""
    unsafe = st.tuples(st.text(max_size=20), st.sampled_from(_CONTROL), st.text(max_size=20)).map(
        "".join
    )
    options = [near_limit(key, over=True), unsafe]
    if key == "name":
        options.append(st.text(alphabet=" \t\n\r\xa0\u2028\u3000", max_size=5))
    return st.one_of(options)


# A field may also be missing from the state, or null as Slack sends an empty input.
any_field_sets = st.fixed_dictionaries(
    {}, optional={key: st.one_of(st.none(), field_text(key)) for key in KEYS}
)
valid_field_sets = st.fixed_dictionaries({key: valid_text(key) for key in KEYS})


@st.composite
def invalid_field_sets(draw: st.DrawFn) -> dict[str, str]:
    """A valid set with a non-empty subset of its fields spoiled."""
    fields = draw(valid_field_sets)
    for key in draw(st.lists(st.sampled_from(KEYS), min_size=1, unique=True)):
        fields[key] = draw(invalid_text(key))
    return fields
