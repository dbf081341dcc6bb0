"""EPCIS documents checked against GS1's official EPCIS 2.0 JSON Schema (shared/standards/gs1-epcis/, committed with
its source and licence), and against the CBV 2.0 rules the schema does not encode.

`assert_valid_epcis(document)` is what every test that exports EPCIS calls. It validates with the `jsonschema`
library (the schema is draft-07) and checks the schema's formats as well: jsonschema checks `uri` and `date-time`
only with optional packages that are not installed, and without them the schema would let through a bizStep that is
neither a CBV word nor a URI (its `vocab-other-uri` alternative is any string then), so they are checked here by
RFC 3986 (an absolute URI: scheme, then only URI characters or percent-escapes) and RFC 3339 (a date-time with its
offset). Beyond the schema it checks:
* the document names the official EPCIS 2.0 JSON-LD context, and every prefix used in an ILMD key is one that
  context defines (the committed copy of epcis-context.jsonld);
* CBV 2.0: `receiving` is mutually exclusive with `arriving` and `accepting` — no place receives what it also
  records arriving or accepting under the same despatch advice.
"""

import json
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from services.traceability.domain import epcis

STANDARD = Path(__file__).resolve().parents[2] / "shared" / "standards" / "gs1-epcis"
SCHEMA = json.loads((STANDARD / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
CONTEXT = json.loads((STANDARD / "epcis-context.jsonld").read_text(encoding="utf-8"))["@context"]
CONTEXT_PREFIXES = {name for name, value in CONTEXT.items()
                    if isinstance(value, str) and value.endswith((":", "/", "#"))}  # cbvmda, gs1, …

FORMATS = jsonschema.FormatChecker()
# RFC 3986 §3: scheme ":" then unreserved, sub-delims, ":", "@", "/", "?", "#", "[", "]" or "%" HEXDIG HEXDIG.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})+")
# RFC 3339 §5.6 date-time: full-date "T" full-time, with a time offset (Z or ±hh:mm).
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or _URI.fullmatch(value) is not None


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    datetime.fromisoformat(value.replace("z", "Z"))  # a real date and time (no 30 February, no 25:00)
    return True


jsonschema.Draft7Validator.check_schema(SCHEMA)
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=FORMATS)


def epcis_problems(document: dict[str, Any]) -> list[str]:
    """Everything wrong with the document by the EPCIS 2.0 JSON Schema and the rules above; empty when valid."""
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}"
                for e in sorted(VALIDATOR.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))]
    context = document.get("@context")
    if epcis.EPCIS_CONTEXT not in (context if isinstance(context, list) else [context]):
        problems.append(f"@context: does not name the EPCIS 2.0 context {epcis.EPCIS_CONTEXT}")
    events = (document.get("epcisBody") or {}).get("eventList") or []
    steps: dict[tuple[str, str], set[str]] = defaultdict(set)
    for n, event in enumerate(events):
        for key in event.get("ilmd") or {}:
            prefix = key.split(":", 1)[0] if ":" in key else None
            if prefix not in CONTEXT_PREFIXES:
                problems.append(f"epcisBody/eventList/{n}/ilmd: {key!r} uses no prefix the EPCIS context defines")
        place = (event.get("bizLocation") or event.get("readPoint") or {}).get("id")
        for transaction in event.get("bizTransactionList") or []:
            if transaction.get("type") == "desadv" and place and event.get("bizStep"):
                steps[(place, transaction["bizTransaction"])].add(event["bizStep"])
    for (place, despatch), seen in steps.items():
        if "receiving" in seen and seen & {"arriving", "accepting"}:
            problems.append(f"CBV 2.0: {place} records `receiving` with {sorted(seen & {'arriving', 'accepting'})}"
                            f" for {despatch}; receiving is mutually exclusive with arriving and accepting")
    return problems


def assert_valid_epcis(document: dict[str, Any]) -> None:
    problems = epcis_problems(document)
    assert not problems, "not a valid EPCIS 2.0 document:\n" + "\n".join(problems)


# The checks themselves: they catch what the standard forbids, so a passing export means something.

EVENT = {"type": "ObjectEvent", "eventTime": "2026-03-01T17:00:00+08:00", "eventTimeZoneOffset": "+08:00",
         "eventID": "urn:uuid:00000000-0000-0000-0000-000000000001", "action": "ADD", "bizStep": "commissioning",
         "disposition": "active", "readPoint": {"id": "urn:erp-md:location:warehouse:WH-SH"},
         "quantityList": [{"epcClass": "https://id.gs1.org/01/09506000134352/10/L1", "quantity": 12}],
         "ilmd": {"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2028-06-30"}}


def doc(*events: dict) -> dict:
    return {"@context": [epcis.EPCIS_CONTEXT], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-03-02T00:00:00+00:00", "epcisBody": {"eventList": list(events)}}


def without(mapping: dict, key: str) -> dict:
    return {k: v for k, v in mapping.items() if k != key}


def test_a_valid_document_passes():
    assert epcis_problems(doc(EVENT)) == []


@pytest.mark.parametrize("document", [
    pytest.param(dict(doc(EVENT), schemaVersion="two"), id="schema version"),
    pytest.param(without(doc(EVENT), "creationDate"), id="no creation date"),
    pytest.param(dict(doc(EVENT), creationDate="2026-03-02 00:00"), id="creation date not RFC 3339"),
    pytest.param(dict(doc(EVENT), **{"@context": ["https://example.com/other.jsonld"]}), id="not the EPCIS context"),
    pytest.param(doc({**EVENT, "action": "OBSERVE"}), id="ILMD only on ADD"),
    pytest.param(doc(without(EVENT, "eventTimeZoneOffset")), id="no zone offset"),
    pytest.param(doc({**EVENT, "eventTimeZoneOffset": "+8:00"}), id="zone offset form"),
    pytest.param(doc({**EVENT, "eventTime": "2026-03-01T17:00:00"}), id="event time without offset"),
    pytest.param(doc(without(EVENT, "quantityList")), id="about nothing"),
    pytest.param(doc({**EVENT, "quantityList": [{"quantity": 1}]}), id="quantity without class"),
    pytest.param(doc({**EVENT, "bizStep": "accepted"}), id="bizStep neither CBV nor URI"),
    pytest.param(doc({**EVENT, "disposition": "quarantine"}), id="disposition neither CBV nor URI"),
    pytest.param(doc({**EVENT, "readPoint": {"id": "WH-SH"}}), id="place not a URI"),
    pytest.param(doc({**EVENT, "ilmd": {"lotNumber": "L1"}}), id="ILMD key without a context prefix"),
    pytest.param(doc({**EVENT, "colour": "red"}), id="a member the event type does not have"),
    pytest.param(doc({**without(EVENT, "ilmd"), "type": "AssociationEvent"}), id="association without parent"),
])
def test_the_checks_catch_what_the_standard_forbids(document):
    assert epcis_problems(document)


def test_receiving_is_not_recorded_where_the_goods_arrive_and_are_accepted():
    place, advice = "urn:erp-md:location:hospital:h1", {"type": "desadv", "bizTransaction": "urn:uuid:" + "0" * 32}
    arriving = {**without(EVENT, "ilmd"), "action": "OBSERVE", "bizStep": "arriving", "disposition": "in_transit",
                "bizLocation": {"id": place}, "bizTransactionList": [advice]}
    receiving = {**arriving, "bizStep": "receiving", "disposition": "in_progress"}
    assert epcis_problems(doc(arriving, {**arriving, "bizStep": "accepting", "disposition": "in_progress"})) == []
    assert any("mutually exclusive" in p for p in epcis_problems(doc(arriving, receiving)))
