"""Every golden envelope against the official CloudEvents JSON Schema (committed in shared/standards/cloudevents/),
and the rules of the spec's type system the schema does not encode: Integer attributes within 32 bits, String
attributes without control characters, RFC 3339 times."""

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, FormatChecker

from shared.events.envelope import CloudEvent
from tests.contract.golden import golden_files

SCHEMA = json.loads((Path(__file__).parents[2] / "shared/standards/cloudevents/cloudevents.json").read_text())
VALIDATOR = Draft7Validator(SCHEMA, format_checker=FormatChecker())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
GOLDENS = golden_files()


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_every_golden_envelope_is_a_cloudevent_by_the_official_schema_and_type_system(path: Path):
    raw = json.loads(path.read_text())
    assert not list(VALIDATOR.iter_errors(raw))
    assert RFC3339.match(raw["time"])
    for name, value in raw.items():
        if name == "data":
            continue
        assert re.fullmatch(r"[a-z0-9]{1,20}", name), f"{name}: attribute names are lower-case letters and digits"
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            assert -2**31 <= value < 2**31, f"{name}: a CloudEvents Integer is 32-bit"
        else:
            assert isinstance(value, str) and not re.search("[\x00-\x1f\x7f-\x9f]", value), name
    # What we would send now is the golden, with the position as a String (goldens are kept as first written).
    sent = CloudEvent.model_validate(raw).model_dump(mode="json")
    assert sent["position"] == str(raw["position"]) and not list(VALIDATOR.iter_errors(sent))
    assert CloudEvent.model_validate(sent) == CloudEvent.model_validate(raw)


def test_what_the_schema_lets_through_the_envelope_refuses():
    raw = json.loads(GOLDENS[0].read_text())
    for change in ({"correlationid": ""}, {"causationid": ""}, {"actor": "user:a\nb"}, {"reason": "\x07"},
                   {"position": 2**63}, {"position": "007"}):
        assert not list(VALIDATOR.iter_errors({**raw, **change})) or "position" in change
        with pytest.raises(ValueError):
            CloudEvent.model_validate({**raw, **change})
    # A record written before positions were Strings (a JSON number) is still read, and written back as a String.
    old = CloudEvent.model_validate({**raw, "position": int(raw["position"])})
    assert old.model_dump(mode="json")["position"] == str(raw["position"])
