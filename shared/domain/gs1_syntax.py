"""GS1's Barcode Syntax Dictionary, read from the copy committed in shared/standards/gs1-syntax-dictionary/: pure.

The dictionary (GS1 AISBL, Apache-2.0; see that folder's README) lists every Application Identifier with its
format and attributes. What the project takes from it, as the file's own header defines it:

- ``ex=A,B,…`` — the AI may not appear together with any listed AI or pattern (``394n``: ``n`` is any digit);
  an AI is not exclusive of itself even if it matches a pattern (3100 ``ex=310n`` refuses 3101, not 3100).
- ``req=A+B,C,…`` — the AI needs one of the comma-separated alternatives with it, an alternative being one AI or
  pattern or several joined by ``+`` that must all be present (``req=01+21,03+21`` is (01) with (21), or (03)
  with (21)). A key given twice applies twice.
- ``dlpkey`` / ``dlpkey=22,10,21|235`` — a GS1 Digital Link primary key and its optional qualifiers, in that order,
  with ``|`` between alternative sequences that may not be mixed.
- the ``?`` flag — the AI may be a GS1 Digital Link data attribute (query string); ``*`` — predefined length.
- the specification's component types: ``N`` digits, ``X`` GS1 AI encodable character set 82, ``Y`` set 39,
  ``Z`` base64url; ``X..20`` is 1 to 20 characters.

The dictionary says the pairings are to be judged over all the carriers on an item; the UDI parser judges one
scan at a time (a scan is what it is given), which is what the label's single GS1 symbol carries.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DICTIONARY = Path(__file__).resolve().parents[1] / "standards" / "gs1-syntax-dictionary" / "gs1-syntax-dictionary.txt"
_FLAG_CHARACTERS = set("*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~")


@dataclass(frozen=True)
class Component:
    type: str  # N, X, Y or Z
    min_length: int
    max_length: int
    optional: bool
    linters: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """One AI as the dictionary describes it (a range line gives one entry per AI)."""

    ai: str
    flags: str
    components: tuple[Component, ...]
    attributes: tuple[tuple[str, str | None], ...]  # in the file's order; a key may repeat
    title: str

    @property
    def fixed_length(self) -> bool:
        return "*" in self.flags

    @property
    def digital_link_attribute(self) -> bool:
        return "?" in self.flags

    def values(self, key: str) -> list[str]:
        return [value or "" for k, value in self.attributes if k == key]

    @property
    def excludes(self) -> tuple[str, ...]:
        """Every AI or pattern of every ``ex=``."""
        return tuple(p for value in self.values("ex") for p in value.split(","))

    @property
    def requires(self) -> tuple[tuple[tuple[str, ...], ...], ...]:
        """One tuple of alternatives per ``req=``, each alternative the AIs or patterns it joins with ``+``."""
        return tuple(tuple(tuple(alt.split("+")) for alt in value.split(",")) for value in self.values("req"))

    @property
    def dlpkey(self) -> tuple[tuple[str, ...], ...] | None:
        """None if not a Digital Link primary key; else its alternative qualifier sequences (one empty if none)."""
        if not any(key == "dlpkey" for key, _ in self.attributes):
            return None
        value = self.values("dlpkey")[0]
        return tuple(tuple(seq.split(",")) if seq else () for seq in value.split("|"))

    @property
    def max_length(self) -> int:
        return sum(c.max_length for c in self.components)

    @property
    def character_sets(self) -> set[str]:
        return {c.type for c in self.components}


def _component(text: str) -> Component:
    optional = text.startswith("[")
    spec, *linters = text.replace("[", "").replace("]", "").split(",")
    match = re.fullmatch(r"([NXYZ])(\.\.)?(\d+)", spec)
    if match is None:
        raise ValueError(f"GS1 syntax dictionary: cannot read component {text!r}")
    length = int(match.group(3))
    return Component(match.group(1), 1 if match.group(2) else length, length, optional, tuple(linters))


def _ais(text: str) -> list[str]:
    if "-" not in text:
        return [text]
    first, last = text.split("-")
    return [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]


def parse_dictionary(text: str) -> dict[str, Entry]:
    """Every AI of the dictionary: ``AIs [Flags] Specification [Attributes…] [# Title]`` per line."""
    entries: dict[str, Entry] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        body, _, title = line.partition("#")
        tokens = body.split()
        ais, rest = tokens[0], tokens[1:]
        flags = ""
        if rest and set(rest[0]) <= _FLAG_CHARACTERS:
            flags, rest = rest[0], rest[1:]
        components = []
        while rest and rest[0][0] in "NXYZ[":
            components.append(_component(rest.pop(0)))
        attributes = tuple((key, value if sep else None) for key, sep, value in (t.partition("=") for t in rest))
        if not components or not re.fullmatch(r"\d{2,4}(-\d{2,4})?", ais):
            raise ValueError(f"GS1 syntax dictionary line {number}: cannot read {line!r}")
        for ai in _ais(ais):
            entries[ai] = Entry(ai, flags, tuple(components), attributes, title.strip())
    return entries


@cache
def dictionary() -> dict[str, Entry]:
    return parse_dictionary(DICTIONARY.read_text(encoding="utf-8"))


def entry(ai: str) -> Entry:
    return dictionary()[ai]


def matches(ai: str, pattern: str) -> bool:
    """An AI matches a listed AI or a pattern in which ``n`` stands for any digit."""
    return len(ai) == len(pattern) and all(p == a or (p == "n" and a.isdigit()) for a, p in zip(ai, pattern))


@dataclass(frozen=True)
class Violation:
    rule: str  # gs1-ai-exclusive | gs1-ai-requires
    ai: str  # the AI whose attribute is broken
    others: tuple[str, ...]  # exclusive: the AI it may not be with; requires: the AIs or patterns it would take
    attribute: str  # as the dictionary writes it, e.g. "ex=255,37"


def violations(ais: list[str] | tuple[str, ...] | set[str]) -> list[Violation]:
    """The cross-field rules of the dictionary that a set of AIs breaks: every exclusive pair (each once), then
    every AI missing a required companion."""
    present = sorted(set(ais))
    found: list[Violation] = []
    seen: set[frozenset[str]] = set()
    for ai in present:
        for value in entry(ai).values("ex"):
            for other in present:
                pair = frozenset((ai, other))
                if other != ai and pair not in seen and any(matches(other, p) for p in value.split(",")):
                    seen.add(pair)
                    found.append(Violation("gs1-ai-exclusive", ai, (other,), f"ex={value}"))
    for ai in present:
        for value in entry(ai).values("req"):
            alternatives = [alt.split("+") for alt in value.split(",")]
            if not any(all(any(matches(p, pattern) for p in present) for pattern in alt) for alt in alternatives):
                found.append(Violation("gs1-ai-requires", ai, tuple("+".join(alt) for alt in alternatives),
                                       f"req={value}"))
    return found
