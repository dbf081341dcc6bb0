"""Every event type has a committed JSON Schema that matches its model, and golden examples that still load.

Only the current version of a type is generated from its model; the schema of each older version stays
committed, frozen, and its golden examples must validate against it and upcast into the current model.
"""

import json

import jsonschema
import pytest

from shared.events import EVENT_TYPES, UPCASTERS, CloudEvent, payload_of
from shared.events.schemas import SCHEMA_DIR, frozen_schema_names, render, schema_documents, schema_of
from tests.contract.golden import GOLDEN_DIR, golden, golden_files

EVERY_VERSION = sorted((event_type, version) for event_type, model in EVENT_TYPES.items()
                       for version in range(1, model.schema_version + 1))


@pytest.mark.parametrize("name", sorted(schema_documents()))
def test_committed_schema_matches_the_model(name):
    committed = SCHEMA_DIR / name
    assert committed.exists(), f"{name} is missing: run `make schemas`"
    assert committed.read_text(encoding="utf-8") == render(schema_documents()[name]), f"{name} is stale: run `make schemas`"


def test_older_versions_keep_their_schema_and_no_schema_is_orphaned():
    committed = {path.name for path in SCHEMA_DIR.glob("*.json")}
    missing = set(frozen_schema_names()) - committed
    assert not missing, f"the schema of an older version was deleted: {missing} (restore it from git)"
    orphans = committed - set(schema_documents()) - set(frozen_schema_names())
    assert not orphans, f"schemas of no event type or version: {orphans}"


@pytest.mark.parametrize(("event_type", "version"), EVERY_VERSION, ids=lambda v: str(v))
def test_every_version_of_every_event_type_has_a_golden_example(event_type, version):
    assert (GOLDEN_DIR / f"{event_type}.v{version}.json").exists()


@pytest.mark.parametrize(("event_type", "version"), [v for v in EVERY_VERSION if v[1] < EVENT_TYPES[v[0]].schema_version],
                         ids=lambda v: str(v))
def test_every_older_version_has_an_upcaster_to_the_next(event_type, version):
    assert (event_type, version) in UPCASTERS


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: p.stem)
def test_golden_examples_validate_against_their_own_versions_schema_and_load_into_the_current_model(path):
    raw = json.loads(path.read_text())
    jsonschema.validate(raw, json.loads((SCHEMA_DIR / "envelope.cloudevent.json").read_text()))
    envelope = CloudEvent.model_validate(raw)  # this file's own (a version may have several examples)
    jsonschema.validate(raw["data"], schema_of(envelope.type, envelope.schemaversion))
    payload = payload_of(envelope)
    assert type(payload) is EVENT_TYPES[envelope.type]
    jsonschema.validate(payload.model_dump(mode="json"), schema_of(envelope.type, payload.schema_version))
    assert str(getattr(payload, payload.subject_field)) == envelope.subject


def test_hospital_registered_v1_and_v2_golden_examples_are_the_same_registration():
    v1 = payload_of(golden("erp.channel.HospitalRegistered", 1))
    v2 = payload_of(golden("erp.channel.HospitalRegistered", 2))
    assert (v1.province, v1.city) == ("上海市", None)  # v1's region, and no city: v1 never knew it
    assert (v2.province, v2.city) == ("上海市", "上海市")
    assert v1.model_copy(update={"city": v2.city}) == v2
