"""The EPCIS 2.0 mapping of a lot's history: each fact becomes the event the standard says, in a document whose shape
follows the EPCIS 2.0 JSON binding.

The official JSON Schema (ref.gs1.org/standards/epcis/2.0.0) is not vendored here; `EPCIS_SHAPE` below states the
rules of the standard (EPCIS 2.0 §7 and the JSON/JSON-LD binding) that these events rely on: the document's
required members, every event's eventTime and eventTimeZoneOffset, an ObjectEvent's action with what it is about
(epcList or quantityList) and ILMD only on ADD, a TransformationEvent's inputs and outputs, and the required
members of quantity elements, business transactions, sources and destinations.
"""

from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID

import jsonschema
import pytest

from services.traceability.domain import epcis

URI = {"type": "string", "pattern": r"^(urn:[a-z0-9][a-z0-9-]{0,31}:\S+|https?://\S+)$"}
TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"}
QUANTITY = {"type": "object", "required": ["epcClass", "quantity"], "additionalProperties": False,
            "properties": {"epcClass": URI, "quantity": {"type": "number", "exclusiveMinimum": 0},
                           "uom": {"type": "string", "pattern": "^[A-Z0-9]{2,3}$"}}}
PLACE = {"type": "object", "required": ["id"], "properties": {"id": URI}}
LISTS = {
    "epcList": {"type": "array", "items": URI},
    "quantityList": {"type": "array", "items": QUANTITY},
    "bizTransactionList": {"type": "array", "items": {
        "type": "object", "required": ["type", "bizTransaction"],
        "properties": {"type": {"enum": ["po", "desadv", "recadv", "rma", "inv", "bol", "prodorder"]},
                       "bizTransaction": URI}}},
    "sourceList": {"type": "array", "items": {"type": "object", "required": ["type", "source"], "properties": {
        "type": {"enum": ["owning_party", "possessing_party", "location"]}, "source": URI}}},
    "destinationList": {"type": "array", "items": {
        "type": "object", "required": ["type", "destination"],
        "properties": {"type": {"enum": ["owning_party", "possessing_party", "location"]}, "destination": URI}}},
}
COMMON = {"eventTime": TIME,
          "eventTimeZoneOffset": {"type": "string", "pattern": r"^[+-]((0\d|1[0-3]):[0-5]\d|14:00)$"},
          "eventID": URI, "readPoint": PLACE, "bizLocation": PLACE, "ilmd": {"type": "object"},
          "bizStep": {"enum": ["commissioning", "shipping", "arriving", "receiving", "assembling", "retail_selling"]},
          "disposition": {"enum": ["active", "in_transit", "in_progress", "returned"]}}
OBJECT_EVENT = {
    "type": "object", "required": ["type", "eventTime", "eventTimeZoneOffset", "action"],
    "properties": {"type": {"const": "ObjectEvent"}, "action": {"enum": ["ADD", "OBSERVE", "DELETE"]},
                   **COMMON, **LISTS},
    "anyOf": [{"required": ["epcList"], "properties": {"epcList": {"minItems": 1}}},
              {"required": ["quantityList"], "properties": {"quantityList": {"minItems": 1}}}],
    "if": {"required": ["ilmd"]}, "then": {"properties": {"action": {"const": "ADD"}}},
}
TRANSFORMATION_EVENT = {
    "type": "object",
    "required": ["type", "eventTime", "eventTimeZoneOffset", "inputQuantityList", "outputQuantityList"],
    "properties": {"type": {"const": "TransformationEvent"}, "transformationID": URI, **COMMON,
                   "inputQuantityList": {"type": "array", "items": QUANTITY, "minItems": 1},
                   "outputQuantityList": {"type": "array", "items": QUANTITY, "minItems": 1}},
    "not": {"required": ["action"]},
}
EPCIS_SHAPE = {
    "type": "object", "required": ["@context", "type", "schemaVersion", "creationDate", "epcisBody"],
    "properties": {
        "@context": {"type": "array", "contains": {"const": epcis.EPCIS_CONTEXT}},
        "type": {"const": "EPCISDocument"}, "schemaVersion": {"const": "2.0"}, "creationDate": TIME,
        "epcisBody": {"type": "object", "required": ["eventList"], "properties": {"eventList": {
            "type": "array", "items": {"oneOf": [OBJECT_EVENT, TRANSFORMATION_EVENT]}}}}},
}

GTIN, KIT_GTIN = "09506000134352", "09506000134376"
SHANGHAI = timezone(timedelta(hours=8))
ORDER, SHIPMENT, HOSPITAL = UUID(int=1), UUID(int=2), UUID(int=3)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def fact(kind: str, n: int, **values) -> dict:
    return {"fact": kind, "event_id": f"inventory-{n}", "item": 0, "occurred_at": T0 + timedelta(hours=n),
            "recorded_at": T0 + timedelta(hours=n), "gtin": GTIN, "lot": "L1", "quantity": 5, "serials": None,
            "warehouse": "WH-SH", "detail": {}, **values}


HISTORY = [
    fact("received", 1, quantity=12, expiry=date(2028, 6, 30), supplier_id=UUID(int=9), receipt_id=UUID(int=8)),
    fact("received", 2, gtin=GTIN, lot="L2", quantity=3, serials=["A1", "A2", "A3"], expiry=date(2028, 1, 1)),
    fact("transformed", 3, item=0, quantity=2, assembly_id=UUID(int=7), kit_gtin=KIT_GTIN, kit_lot="K/1",
         kit_quantity=4, detail={"kit_expiry": "2027-12-31"}),
    fact("transformed", 3, item=1, lot="L2", quantity=1, assembly_id=UUID(int=7), kit_gtin=KIT_GTIN, kit_lot="K/1",
         kit_quantity=4, detail={"kit_expiry": "2027-12-31"}),
    fact("shipped", 4, quantity=5, serials=["S1", "S2"], consignee_id=HOSPITAL, order_id=ORDER, shipment_id=SHIPMENT,
         occurred_at=datetime(2026, 3, 1, 20, 0, tzinfo=SHANGHAI)),
    fact("delivered", 5, consignee_id=HOSPITAL, order_id=ORDER, shipment_id=SHIPMENT),
    fact("accepted", 6, consignee_id=HOSPITAL, order_id=ORDER, shipment_id=SHIPMENT),
    fact("returned", 7, quantity=1, consignee_id=HOSPITAL, order_id=ORDER, shipment_id=SHIPMENT, return_id=UUID(int=6),
         warehouse="WH-RET"),
    fact("sold_on", 8, quantity=2, consignee_id=HOSPITAL, detail={"distributor_id": str(UUID(int=5))}),
]


def test_the_document_has_the_epcis_2_shape_and_one_event_per_fact_one_per_assembly():
    doc = epcis.document(HISTORY, datetime(2026, 3, 2, tzinfo=UTC))
    jsonschema.validate(doc, EPCIS_SHAPE)
    events = doc["epcisBody"]["eventList"]
    assert [(e["type"], e.get("action"), e["bizStep"]) for e in events] == [
        ("ObjectEvent", "ADD", "commissioning"), ("ObjectEvent", "ADD", "commissioning"),
        ("TransformationEvent", None, "assembling"),
        ("ObjectEvent", "OBSERVE", "shipping"), ("ObjectEvent", "OBSERVE", "arriving"),
        ("ObjectEvent", "OBSERVE", "receiving"), ("ObjectEvent", "OBSERVE", "receiving"),
        ("ObjectEvent", "OBSERVE", "retail_selling")]
    assert len({e["eventID"] for e in events}) == len(events)
    assert epcis.document(HISTORY, T0)["epcisBody"] == doc["epcisBody"]  # ids are stable: a re-export repeats them


def test_lots_are_digital_link_classes_serials_are_instances_and_the_rest_is_counted():
    commissioned, serialised = epcis.events(HISTORY[:2])
    assert commissioned["quantityList"] == [{"epcClass": f"https://id.gs1.org/01/{GTIN}/10/L1", "quantity": 12}]
    assert "epcList" not in commissioned
    assert commissioned["ilmd"] == {"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2028-06-30"}
    assert commissioned["sourceList"] == [{"type": "owning_party", "source": f"urn:uuid:{UUID(int=9)}"}]
    assert commissioned["bizTransactionList"] == [{"type": "recadv", "bizTransaction": f"urn:uuid:{UUID(int=8)}"}]
    assert serialised["epcList"] == [f"https://id.gs1.org/01/{GTIN}/21/A{n}" for n in (1, 2, 3)]
    assert "quantityList" not in serialised  # every unit is named
    (shipped,) = epcis.events([HISTORY[4]])
    assert shipped["epcList"] == [f"https://id.gs1.org/01/{GTIN}/21/S1", f"https://id.gs1.org/01/{GTIN}/21/S2"]
    assert shipped["quantityList"] == [{"epcClass": f"https://id.gs1.org/01/{GTIN}/10/L1", "quantity": 3}]


def test_shipping_names_the_order_the_shipment_and_the_consignee_at_the_business_time_and_zone():
    (shipped,) = epcis.events([HISTORY[4]])
    assert (shipped["eventTime"], shipped["eventTimeZoneOffset"]) == ("2026-03-01T20:00:00+08:00", "+08:00")
    assert shipped["disposition"] == "in_transit"
    assert shipped["bizTransactionList"] == [{"type": "po", "bizTransaction": f"urn:uuid:{ORDER}"},
                                             {"type": "desadv", "bizTransaction": f"urn:uuid:{SHIPMENT}"}]
    assert shipped["sourceList"] == [{"type": "location", "source": "urn:erp:warehouse:WH-SH"}]
    assert shipped["destinationList"] == [{"type": "owning_party", "destination": f"urn:uuid:{HOSPITAL}"}]
    returned = epcis.events([HISTORY[7]])[0]
    assert (returned["disposition"], returned["sourceList"][0]["source"]) == ("returned", f"urn:uuid:{HOSPITAL}")
    assert {"type": "rma", "bizTransaction": f"urn:uuid:{UUID(int=6)}"} in returned["bizTransactionList"]
    assert returned["destinationList"] == [{"type": "location", "destination": "urn:erp:warehouse:WH-RET"}]


def test_a_kit_assembly_is_one_transformation_event_with_every_input_and_the_kit_lot_as_output():
    (kit,) = epcis.events(HISTORY[2:4])
    assert kit["inputQuantityList"] == [{"epcClass": f"https://id.gs1.org/01/{GTIN}/10/L1", "quantity": 2},
                                        {"epcClass": f"https://id.gs1.org/01/{GTIN}/10/L2", "quantity": 1}]
    # A lot number with a character that is not allowed in a URI path segment is percent-encoded.
    assert kit["outputQuantityList"] == [{"epcClass": f"https://id.gs1.org/01/{KIT_GTIN}/10/K%2F1", "quantity": 4}]
    assert kit["transformationID"] == f"urn:uuid:{UUID(int=7)}"
    assert kit["ilmd"] == {"cbvmda:lotNumber": "K/1", "cbvmda:itemExpirationDate": "2027-12-31"}


def test_the_shape_check_catches_what_the_standard_forbids():
    doc = epcis.document(HISTORY[:1], T0)
    broken = [dict(doc, schemaVersion="1.2"), {k: v for k, v in doc.items() if k != "creationDate"}]
    event = doc["epcisBody"]["eventList"][0]
    for bad_event in ({**event, "action": "OBSERVE"},  # ILMD only when the objects come into being
                      {k: v for k, v in event.items() if k != "eventTimeZoneOffset"},
                      {k: v for k, v in event.items() if k != "quantityList"},  # about nothing
                      {**event, "quantityList": [{"quantity": 1}]}):
        broken.append({**doc, "epcisBody": {"eventList": [bad_event]}})
    for document in broken:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(document, EPCIS_SHAPE)


def test_event_times_must_carry_their_zone():
    with pytest.raises(ValueError, match="timezone-aware"):
        epcis.zone_offset(datetime(2026, 1, 1))
    assert epcis.zone_offset(datetime(2026, 1, 1, tzinfo=timezone(-timedelta(hours=5, minutes=30)))) == "-05:30"
