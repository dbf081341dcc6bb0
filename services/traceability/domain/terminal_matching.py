"""Sell-out cleansing (流向清洗): a distributor reports the hospital it sold to by a free-text name (or its code);
match it to the terminal master (the channel's hospitals with their aliases) or leave it for review. Pure.

The steps, strictest first; the first that finds exactly one hospital decides, one that finds several sends the row
to review (a guess would credit the wrong hospital with the units — and the wrong distributor with a rebate):
1. `exact`: the hospital's id, code or registered name as reported;
2. `alias`: a name recorded as the hospital's alias (e.g. 华西医院 for 四川大学华西医院);
3. `normalized`: equal once normalised — full-width and half-width alike (ＡＢＣ, （）), case, spaces and
   punctuation ignored, brackets of any kind (（）【】［］[]) read as ();
4. `branch`: equal once a trailing branch or campus in brackets is dropped as well (四川大学华西医院(东院) →
   四川大学华西医院), when the master has no entry for that branch itself.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from uuid import UUID

_BRACKETS = str.maketrans({"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")", "{": "(", "}": ")"})
_NOISE = re.compile(r"[\s\-_·.,，。、'\"“”‘’]+")
_BRANCH = re.compile(r"\([^()]*\)$")


def normalized(name: str) -> str:
    """The name as compared: NFKC (full-width to half-width, （ to (), brackets unified, case-folded, without spaces
    and punctuation."""
    folded = unicodedata.normalize("NFKC", name).translate(_BRACKETS).casefold()
    return _NOISE.sub("", folded)


def without_branch(name: str) -> str:
    """The normalised name without a trailing branch or campus in brackets: 华西医院(东院) -> 华西医院."""
    return _BRANCH.sub("", normalized(name))


@dataclass(frozen=True)
class Terminal:
    hospital_id: UUID
    name: str
    code: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    hospital_id: UUID | None  # None: for review
    how: str | None  # exact | alias | normalized | branch; None when unmatched or ambiguous
    candidates: list[UUID] = field(default_factory=list)  # the hospitals an ambiguous step found

    @property
    def matched(self) -> bool:
        return self.hospital_id is not None


def match(reported: str, terminals: list[Terminal]) -> Match:
    """The hospital a reported name (or code, or id) is, and how it was found; or no hospital, for review."""
    reported = reported.strip()
    steps = (
        ("exact", lambda t: reported in (str(t.hospital_id), t.code, t.name)),
        ("alias", lambda t: reported in t.aliases),
        ("normalized", lambda t: normalized(reported) in {normalized(n) for n in (t.name, *t.aliases)}),
        # The reported branch dropped, against the master's names as they are: a branch the master lists itself was
        # found a step before; another branch of the same hospital is not this one.
        ("branch", lambda t: without_branch(reported) in {normalized(n) for n in (t.name, *t.aliases)}),
    )
    for how, fits in steps:
        found = sorted({t.hospital_id for t in terminals if fits(t)}, key=str)
        if len(found) == 1:
            return Match(found[0], how, found)
        if found:
            return Match(None, None, found)  # ambiguous: a person decides
    return Match(None, None)
