"""Upcasting HospitalRegistered v1 -> v2 in both layers (pure, no I/O).

- Contract: a v1 envelope (on Kafka since before the upgrade, or a golden example) is upcast by
  `payload_of` with the function registered in `UPCASTERS`.
- Write side: a v1 `Hospital.Registered` stored in PostgreSQL is upcast by the eventsourcing mapper
  (`class_version` / `upcast_v1_v2` on the event class) whenever it is read.
Both must say the same thing about the same registration.
"""

import json
from uuid import UUID

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, Mapper, StoredEvent, UUIDAsHex

from services.channel.application import ChannelApplication
from services.channel.domain import Hospital
from shared.events import UPCASTERS, payload_of
from shared.events.channel import HospitalRegistered, hospital_registered_v1_to_v2
from shared.platform.aggregate import DateAsISO
from shared.platform.context import acting_as
from tests.contract.golden import golden

H = UUID("5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11")
REGISTERED_TOPIC = "services.channel.domain.parties:Hospital.Registered"

# Byte for byte what the build before v2 stored for the golden hospital (generated with that build).
V1_STORED_STATE = (
    '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-24T06:00:00+00:00"},'
    '"originator_topic":"services.channel.domain.parties:Hospital",'
    '"meta":{"actor":"user:alice","correlation_id":"3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b","causation_id":null},'
    '"hospital_id":{"_type_":"uuid_hex","_data_":"5b0c6a557f3e4c1e9a510d1a3f6c2b11"},'
    '"name":"上海市第一人民医院","region":"上海市","grade":"3A"}'
).encode()


def mapper() -> Mapper:
    """The mapper with the transcodings ServiceApplication registers."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder)


def stored_v1() -> StoredEvent:
    return StoredEvent(originator_id=H, originator_version=1, topic=REGISTERED_TOPIC, state=V1_STORED_STATE)


def test_the_contract_upcaster_takes_the_province_from_the_region_and_leaves_the_city_unknown():
    v1 = {"hospital_id": str(H), "name": "四川大学华西医院", "region": "四川省", "grade": "3A"}
    assert hospital_registered_v1_to_v2(v1) == {"hospital_id": str(H), "name": "四川大学华西医院", "province": "四川省",
                                                "city": None, "grade": "3A"}
    assert v1["region"] == "四川省"  # the envelope's data is not changed in place
    assert UPCASTERS[("erp.channel.HospitalRegistered", 1)] is hospital_registered_v1_to_v2


def test_payload_of_upcasts_a_v1_envelope_into_the_current_model():
    envelope = golden("erp.channel.HospitalRegistered", 1)
    assert envelope.schemaversion == 1
    payload = payload_of(envelope)
    assert isinstance(payload, HospitalRegistered)
    assert (payload.hospital_id, payload.province, payload.city) == (H, "上海市", None)


def test_a_v2_envelope_loads_as_it_is():
    payload = payload_of(golden("erp.channel.HospitalRegistered", 2))
    assert (payload.province, payload.city) == ("上海市", "上海市")


def test_a_stored_v1_event_is_read_as_a_v2_domain_event_and_makes_the_same_hospital():
    event = mapper().to_domain_event(stored_v1())
    assert type(event) is Hospital.Registered
    assert (event.province, event.city) == ("上海市", None)
    assert not hasattr(event, "region")
    hospital = event.mutate(None)
    assert isinstance(hospital, Hospital)
    assert (hospital.id, hospital.version, hospital.name, hospital.province, hospital.city, hospital.grade) == (
        H, 1, "上海市第一人民医院", "上海市", None, "3A")


def test_new_events_are_stored_as_v2_and_read_back_unchanged():
    with acting_as("user:alice"):
        (event,) = Hospital(hospital_id=H, name="四川大学华西医院", province="四川省", city="成都市",
                            grade="3A").collect_events()
    stored = mapper().to_stored_event(event)
    state = json.loads(stored.state)
    assert (state["class_version"], state["province"], state["city"]) == (2, "四川省", "成都市")
    assert "region" not in state
    again = mapper().to_domain_event(stored)
    assert vars(again) == vars(event)


def test_both_layers_agree_a_stored_v1_event_publishes_what_its_v1_envelope_upcasts_to():
    published = ChannelApplication.to_payload(mapper().to_domain_event(stored_v1()))
    assert published.schema_version == 2
    assert published == payload_of(golden("erp.channel.HospitalRegistered", 1))
