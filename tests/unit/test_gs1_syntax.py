"""GS1's cross-field AI rules, with vectors derived from GS1's own Barcode Syntax Dictionary (the committed copy in
shared/standards/gs1-syntax-dictionary/): for every ``ex=`` and every ``req=`` in the file, a set of AIs that breaks
it is refused naming the rule and a minimal set that keeps it is accepted — as sets of AIs, and, where the set can
carry a GTIN (01) (a UDI must), as whole element strings through the scanner's parser.

The minimal sets are found by a small search written here from the header's definitions (req: one alternative,
each of its AIs present; ex: none of the listed AIs or patterns, an AI never excluding itself), not by the code
under test."""

import re
import pytest
from biip.gs1_application_identifiers import _GS1_APPLICATION_IDENTIFIERS
from stdnum import ean

from shared.domain import gs1_syntax
from shared.domain.gs1_syntax import DICTIONARY, dictionary, parse_dictionary, violations
from shared.domain.udi import UDIError, parse_udi

ENTRIES = dictionary()
TEXT = DICTIONARY.read_text(encoding="utf-8")


# What the file says, read independently of gs1_syntax (a line-by-line regex over the raw text) -------------------

def _raw_attributes() -> list[tuple[str, str, str]]:
    """(AI range as written, key, value) for every ex= and req= in the file."""
    found = []
    for line in TEXT.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        body = line.split("#")[0]
        for key, value in re.findall(r"\b(ex|req)=(\S+)", body):
            found.append((body.split()[0], key, value))
    return found


RAW = _raw_attributes()


def _first_ai(ais: str) -> list[str]:
    first, _, last = ais.partition("-")
    return [first] if not last else [first, last]  # both ends of a range


def _matches(ai: str, pattern: str) -> bool:
    return re.fullmatch(pattern.replace("n", r"\d"), ai) is not None


def _concrete(pattern: str, besides: str = "") -> str:
    """An AI of the dictionary matching a listed AI or pattern (not `besides`)."""
    return next(ai for ai in sorted(ENTRIES) if _matches(ai, pattern) and ai != besides)


def _excluded(ais: set[str]) -> bool:
    return any(other != ai and any(_matches(other, p) for p in ENTRIES[ai].excludes) for ai in ais for other in ais)


def _unmet(ais: set[str]) -> list[tuple[str, list[list[str]]]]:
    out = []
    for ai in sorted(ais):
        for value in ENTRIES[ai].values("req"):
            alternatives = [alt.split("+") for alt in value.split(",")]
            if not any(all(any(_matches(p, pat) for p in ais) for pat in alt) for alt in alternatives):
                out.append((ai, alternatives))
    return out


def closure(ais: set[str], depth: int = 0) -> set[str] | None:
    """A smallest-effort set containing `ais` that keeps every ex= and req= (depth-first over the alternatives)."""
    if _excluded(ais):
        return None
    unmet = _unmet(ais)
    if not unmet:
        return ais
    if depth > 6:
        return None
    _, alternatives = unmet[0]
    for alt in alternatives:
        found = closure(ais | {_concrete(p) for p in alt}, depth + 1)
        if found is not None:
            return found
    return None


EX_CASES = [(ai, pattern) for ais, key, value in RAW if key == "ex" for ai in _first_ai(ais)
            for pattern in value.split(",")]
REQ_CASES = [(ai, value) for ais, key, value in RAW if key == "req" for ai in _first_ai(ais)]


def test_the_file_is_the_committed_copy_of_gs1s_dictionary_with_its_licence():
    folder = DICTIONARY.parent
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert "github.com/gs1/gs1-syntax-dictionary" in (folder / "README.md").read_text()
    assert "maintained by GS1 AISBL" in TEXT
    assert len(EX_CASES) > 150 and len(REQ_CASES) > 250  # every ex= and req= line, both ends of each range


def test_every_ai_of_the_dictionary_is_in_the_parsers_table_and_the_other_way_round():
    # the element-string parser takes AIs and formats from biip; the cross-field rules from the dictionary
    assert set(ENTRIES) == set(_GS1_APPLICATION_IDENTIFIERS)


def test_the_reader_takes_flags_specification_attributes_and_title_wherever_the_columns_are():
    gtin, price, coupon, weight = ENTRIES["01"], ENTRIES["3925"], ENTRIES["8110"], ENTRIES["3103"]
    assert (gtin.flags, gtin.excludes, gtin.dlpkey, gtin.title) == ("*?", ("255", "37"), (("22", "10", "21"), ("235",)),
                                                                    "GTIN")
    assert gtin.fixed_length and gtin.components[0].linters == ("csum", "gcppos2")
    assert price.requires == ((("01", "30"), ("01", "31nn"), ("01", "32nn"), ("01", "35nn"), ("01", "36nn")),)
    assert price.excludes == ("392n", "393n")  # written in another column than most lines
    assert (coupon.attributes, coupon.title, coupon.digital_link_attribute) == ((), "", True)
    assert weight.excludes == ("310n",) and weight.requires == ((("01",), ("02",)),)
    assert ENTRIES["21"].dlpkey is None and not ENTRIES["21"].digital_link_attribute
    assert ENTRIES["00"].dlpkey == ((),)
    assert [(c.type, c.min_length, c.max_length) for ai in ("10", "21") for c in ENTRIES[ai].components] == [
        ("X", 1, 20), ("X", 1, 20)]
    assert {ai for ai in ENTRIES if ai.startswith("310")} == {f"310{d}" for d in range(6)}


def test_a_repeated_key_applies_twice_and_a_pattern_never_excludes_the_ai_itself(monkeypatch):
    entries = parse_dictionary("9001  ?  X..20  req=01 req=10  ex=900n\n9002 ? X..20\n01 * N14\n10 X..20\n")
    monkeypatch.setattr(gs1_syntax, "dictionary", lambda: entries)
    assert [(v.rule, v.ai, v.others) for v in violations(["9001", "01"])] == [("gs1-ai-requires", "9001", ("10",))]
    assert violations(["9001", "01", "10"]) == []
    assert [(v.rule, v.ai, v.others) for v in violations(["9001", "9002", "01", "10"])] == [
        ("gs1-ai-exclusive", "9001", ("9002",))]


def test_a_line_the_reader_does_not_understand_is_an_error_not_a_silent_skip():
    with pytest.raises(ValueError, match="cannot read"):
        parse_dictionary("01  *?  Q14\n")


# Every ex= --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ai", "pattern"), EX_CASES)
def test_every_mutually_exclusive_pair_is_refused_and_each_alone_accepted(ai, pattern):
    other = _concrete(pattern, besides=ai)
    alone = closure({ai})
    assert alone is not None, ai
    assert violations(alone) == []
    found = violations(alone | {other})
    assert any(v.rule == "gs1-ai-exclusive" and {v.ai, *v.others} == {ai, other} for v in found), found


# Every req= -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ai", "value"), REQ_CASES)
def test_every_requirement_is_refused_when_missing_and_each_alternative_accepted(ai, value):
    alternatives = [alt.split("+") for alt in value.split(",")]
    assert any(v.rule == "gs1-ai-requires" and v.ai == ai for v in violations([ai])), value
    accepted = 0
    for alt in alternatives:
        companions = {_concrete(p) for p in alt}
        full = closure({ai} | companions)
        if full is not None:
            assert violations(full) == [], (alt, full)
            accepted += 1
        if len(alt) > 1:  # an alternative is all of its AIs: one missing and it is not met
            partial = {ai} | {_concrete(p) for p in alt[:-1]}
            if not any(all(any(_matches(p, pat) for p in partial) for pat in other) for other in alternatives):
                assert any(v.rule == "gs1-ai-requires" and v.ai == ai for v in violations(partial)), (alt, partial)
    assert accepted, f"no alternative of ({ai}) req={value} can be met"


# The same rules through the scanner's parser, as element strings with a GTIN ----------------------------------

_LINTED = {"csum", "gcppos1", "gcppos2", "yymmd0", "yymmdd", "iso3166", "iso3166999", "iso4217", "nonzero",
           "pieceoftotal", "hhmi", "hh", "mi", "ss", "yyyymmdd", "zero", "winding", "yesno", "iso5218", "mediatype",
           "iso3166alpha2", "pcenc", "nozeroprefix"}
_FIXED = {"yymmd0": "271231", "yymmdd": "271231", "iso3166": "156", "iso3166999": "156", "iso4217": "156",
          "pieceoftotal": "0102", "hhmi": "1200", "hh": "12", "mi": "30", "ss": "00", "yyyymmdd": "20271231",
          "zero": "0", "winding": "0", "yesno": "1", "iso5218": "1", "mediatype": "01", "iso3166alpha2": "CN"}
_GTIN = "09506000134352"


def value_for(ai: str) -> str | None:
    """Data the AI's specification accepts, or None where a linter asks for more than this generator knows."""
    if ai in ("01", "02", "03"):
        return _GTIN
    data = ""
    for component in ENTRIES[ai].components:
        if component.optional:
            break
        if set(component.linters) - _LINTED:
            return None
        fixed = next((_FIXED[lint] for lint in component.linters if lint in _FIXED), None)
        if fixed is not None:
            data += fixed
        elif "csum" in component.linters:
            body = ("9506000134" + "1" * 20)[: component.max_length - 1]
            data += body + ean.calc_check_digit(body)
        elif "gcppos1" in component.linters:  # starts with a GS1 company prefix
            data += "9506000134" + ("A" if component.type in "XY" else "")
        elif component.type == "N":
            data += "1" * component.min_length
        else:
            data += "A" * component.min_length
    return data


def element_string(ais: set[str]) -> str | None:
    """The human-readable form, (01) first."""
    values = {ai: value_for(ai) for ai in ais}
    if None in values.values():
        return None
    return "".join(f"({ai}){values[ai]}" for ai in sorted(ais, key=lambda a: (a != "01", a)))


def _with_gtin(ai: str) -> set[str] | None:
    return closure({ai, "01"})


SCANNED_EX = [(ai, _concrete(p, besides=ai)) for ai, p in EX_CASES if _with_gtin(ai) is not None]
SCANNED_REQ = [ai for ai, _ in REQ_CASES if _with_gtin(ai) is not None]


@pytest.mark.parametrize(("ai", "other"), SCANNED_EX)
def test_a_scanned_code_with_two_mutually_exclusive_ais_is_refused(ai, other):
    base = _with_gtin(ai)
    good, bad = element_string(base), element_string(base | {other})
    if good is None or bad is None:
        pytest.skip(f"no generated data for an AI of {sorted(base | {other})}")
    assert parse_udi(good).gtin == _GTIN
    with pytest.raises(UDIError) as refused:
        parse_udi(bad)
    broken = violations(base | {other})
    assert any(v.rule == "gs1-ai-exclusive" and {v.ai, *v.others} == {ai, other} for v in broken)
    assert (refused.value.rule, refused.value.ais) == (broken[0].rule, (broken[0].ai, *broken[0].others))


@pytest.mark.parametrize("ai", sorted(set(SCANNED_REQ)))
def test_a_scanned_code_lacking_a_required_ai_is_refused_and_with_it_accepted(ai):
    full = _with_gtin(ai)
    good = element_string(full)
    if good is None:
        pytest.skip(f"no generated data for an AI of {sorted(full)}")
    parsed = parse_udi(good)
    assert set(parsed.elements) == full
    for missing in sorted(full - {"01", ai}):
        lacking = full - {missing}
        broken = violations(lacking)
        if broken and all(v.rule == "gs1-ai-requires" for v in broken):
            with pytest.raises(UDIError) as refused:
                parse_udi(element_string(lacking))
            assert refused.value.rule == "gs1-ai-requires"


def test_the_generated_vectors_reach_most_of_the_dictionary():
    reached = {ai for ai in SCANNED_REQ if element_string(_with_gtin(ai)) is not None}
    assert len(reached) > 200, len(reached)


# Named cases, as the issue and GS1's General Specifications give them ------------------------------------------


@pytest.mark.parametrize(("code", "rule", "ais", "words"), [
    ("(01)09506000134352(02)09506000134352", "gs1-ai-exclusive", {"01", "02"}, "(02) CONTENT and GTIN (01)"),
    ("(01)09506000134352(37)10", "gs1-ai-exclusive", {"01", "37"}, "GTIN (01) and count (37) cannot be in one"),
    ("(01)09506000134352(21)S1(235)TPX1", "gs1-ai-exclusive", {"21", "235"}, "serial (21) and (235) TPX"),
    ("(01)09506000134352(250)SEC1", "gs1-ai-requires", {"250", "01+21", "03+21", "8006+21"},
     "(250) SECONDARY SERIAL needs (01)+(21), (03)+(21) or (8006)+(21) with it"),
    ("(01)09506000134352(3100)000100(3102)000100", "gs1-ai-exclusive", {"3100", "3102"}, "ex=310n"),
    ("(01)09506000134352(255)9506000134352", "gs1-ai-exclusive", {"01", "255"}, "ex=255,37"),
    ("(01)09506000134352(7004)1", "gs1-ai-requires", {"7004", "01+10", "03+10"}, "(01)+(10) or (03)+(10)"),
    (f"0109506000134352{'21S1'}\x1d235TPX1", "gs1-ai-exclusive", {"21", "235"}, "mutually exclusive"),
])
def test_named_cross_field_rules(code, rule, ais, words):
    with pytest.raises(UDIError) as refused:
        parse_udi(code)
    assert (refused.value.rule, set(refused.value.ais)) == (rule, ais)
    assert words in refused.value.message
    assert "GS1 syntax dictionary" in refused.value.message


@pytest.mark.parametrize("code", [
    "(01)09506000134352(21)S1(250)SEC1",  # (250) with (01)+(21)
    "(01)09506000134352(10)L1(7004)1",  # (7004) with (01)+(10)
    "(01)09506000134352(3100)000100(3200)000220",  # kg and lb: other AIs, not of one ex= pattern
    "(01)09506000134352(235)TPX1",  # (235) without (21)
    "(01)09506000134352(17)271231(10)L1(21)S1(30)2(240)REF-9",
])
def test_codes_that_keep_the_rules_are_accepted(code):
    assert parse_udi(code).gtin == _GTIN


def test_exclusivity_is_found_from_either_side():
    # (02) lists (01) in its ex=, (01) does not list (02): the pair is refused whichever comes first
    for code in ("(02)09506000134352(01)09506000134352(37)5", "(01)09506000134352(02)09506000134352(37)5"):
        with pytest.raises(UDIError) as refused:
            parse_udi(code)
        assert refused.value.rule == "gs1-ai-exclusive"


def test_a_code_without_a_gtin_is_still_called_that_before_any_pairing():
    with pytest.raises(UDIError) as refused:
        parse_udi("(02)09506000134352(37)5(00)095060001343520007")
    assert refused.value.rule == "gs1-no-gtin"


def test_every_ex_and_req_attribute_of_the_file_is_a_case_above():
    assert {(ai, "ex") for ai, _ in EX_CASES} | {(ai, "req") for ai, _ in REQ_CASES} == {
        (ai, key) for ais, key, _ in RAW for ai in _first_ai(ais)}
