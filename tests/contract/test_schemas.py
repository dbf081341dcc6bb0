"""Every event type has a committed JSON Schema that matches its model, and golden examples that still load."""

import json

import jsonschema
import pytest

from shared.events import EVENT_TYPES, payload_of
from shared.events.schemas import SCHEMA_DIR, render, schema_documents
from tests.contract.golden import GOLDEN_DIR, golden_files, golden


@pytest.mark.parametrize("name", sorted(schema_documents()))
def test_committed_schema_matches_the_model(name):
    committed = SCHEMA_DIR / name
    assert committed.exists(), f"{name} is missing: run `make schemas`"
    assert committed.read_text(encoding="utf-8") == render(schema_documents()[name]), f"{name} is stale: run `make schemas`"


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_has_a_golden_example(event_type):
    version = EVENT_TYPES[event_type].schema_version
    assert (GOLDEN_DIR / f"{event_type}.v{version}.json").exists()


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: p.stem)
def test_golden_examples_validate_against_schema_and_model(path):
    raw = json.loads(path.read_text())
    jsonschema.validate(raw, json.loads((SCHEMA_DIR / "envelope.cloudevent.json").read_text()))
    envelope = golden(raw["type"], raw["schemaversion"])
    schema = json.loads((SCHEMA_DIR / f"{envelope.type}.v{EVENT_TYPES[envelope.type].schema_version}.json").read_text())
    payload = payload_of(envelope)
    jsonschema.validate(payload.model_dump(mode="json"), schema)
    assert str(getattr(payload, payload.subject_field)) == envelope.subject
