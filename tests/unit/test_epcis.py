"""The EPCIS 2.0 mapping of a lot's history: each fact becomes the event CBV 2.0 says, in a document every test checks
against GS1's official EPCIS 2.0 JSON Schema (tests/unit/test_epcis_schema.py, `assert_valid_epcis`)."""

from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from services.traceability.domain import epcis
from tests.unit.test_epcis_schema import assert_valid_epcis

GTIN, KIT_GTIN = "09506000134352", "09506000134376"
SHANGHAI = timezone(timedelta(hours=8))
ORDER, SHIPMENT, HOSPITAL, DISTRIBUTOR = UUID(int=1), UUID(int=2), UUID(int=3), UUID(int=5)
ORDER2, SHIPMENT2 = UUID(int=11), UUID(int=12)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
H, D = f"hospital:{HOSPITAL}", f"distributor:{DISTRIBUTOR}"


def fact(kind: str, n: int, **values) -> dict:
    return {"fact": kind, "event_id": f"inventory-{n}", "item": 0, "occurred_at": T0 + timedelta(hours=n),
            "recorded_at": T0 + timedelta(hours=n), "gtin": GTIN, "lot": "L1", "quantity": 5, "serials": None,
            "warehouse": "WH-SH", "detail": {}, **values}


TO_HOSPITAL = {"consignee_id": HOSPITAL, "consignee_kind": "hospital", "order_id": ORDER, "shipment_id": SHIPMENT}
TO_DISTRIBUTOR = {"consignee_id": DISTRIBUTOR, "consignee_kind": "distributor", "order_id": ORDER2,
                  "shipment_id": SHIPMENT2}
# Every kind of fact the lot history holds, as lot_story.py reads them (with the consignee's kind).
HISTORY = [
    fact("received", 1, quantity=12, expiry=date(2028, 6, 30), supplier_id=UUID(int=9), receipt_id=UUID(int=8)),
    fact("received", 2, gtin=GTIN, lot="L2", quantity=3, serials=["A1", "A2", "A3"], expiry=date(2028, 1, 1)),
    fact("transformed", 3, item=0, quantity=2, assembly_id=UUID(int=7), kit_gtin=KIT_GTIN, kit_lot="K/1",
         kit_quantity=4, detail={"kit_expiry": "2027-12-31"}),
    fact("transformed", 3, item=1, lot="L2", quantity=1, assembly_id=UUID(int=7), kit_gtin=KIT_GTIN, kit_lot="K/1",
         kit_quantity=4, detail={"kit_expiry": "2027-12-31"}),
    fact("shipped", 4, quantity=5, serials=["S1", "S2"], **TO_HOSPITAL,
         occurred_at=datetime(2026, 3, 1, 20, 0, tzinfo=SHANGHAI)),
    fact("delivered", 5, **TO_HOSPITAL),
    fact("accepted", 6, **TO_HOSPITAL),
    fact("returned", 7, quantity=1, **TO_HOSPITAL, return_id=UUID(int=6), warehouse="WH-RET"),
    fact("shipped", 8, quantity=4, **TO_DISTRIBUTOR),
    fact("delivered", 9, quantity=4, **TO_DISTRIBUTOR),
    fact("accepted", 10, quantity=4, **TO_DISTRIBUTOR),
    fact("sold_on", 11, quantity=2, consignee_id=HOSPITAL, occurred_at=datetime(2026, 3, 5, tzinfo=UTC),
         detail={"distributor_id": str(DISTRIBUTOR)}),
]


def test_every_kind_of_event_is_exported_in_a_document_valid_by_the_official_epcis_2_schema():
    doc = epcis.document(HISTORY, datetime(2026, 3, 2, tzinfo=UTC))
    assert_valid_epcis(doc)
    events = doc["epcisBody"]["eventList"]
    assert [(e["type"], e["action"], e["bizStep"], e.get("disposition")) for e in events] == [
        ("ObjectEvent", "ADD", "commissioning", "active"),  # received
        ("ObjectEvent", "ADD", "commissioning", "active"),
        ("ObjectEvent", "ADD", "commissioning", "active"),  # the kit lot made by the assembly
        ("AssociationEvent", "ADD", "assembling", None),  # its components associated with it
        ("ObjectEvent", "OBSERVE", "shipping", "in_transit"),
        ("ObjectEvent", "OBSERVE", "arriving", "in_transit"),  # at the hospital
        ("ObjectEvent", "OBSERVE", "accepting", "in_progress"),  # not `receiving`: CBV keeps them apart
        ("ObjectEvent", "OBSERVE", "receiving", "returned"),  # the return, at the warehouse
        ("ObjectEvent", "OBSERVE", "shipping", "in_transit"),
        ("ObjectEvent", "OBSERVE", "arriving", "in_transit"),  # at the distributor
        ("ObjectEvent", "OBSERVE", "accepting", "in_progress"),
        ("ObjectEvent", "OBSERVE", "retail_selling", "retail_sold")]  # the distributor's sale on to the hospital
    assert len({e["eventID"] for e in events}) == len(events)
    assert epcis.document(HISTORY, T0)["epcisBody"] == doc["epcisBody"]  # ids are stable: a re-export repeats them
    for n in range(len(HISTORY)):  # and each kind alone is a valid document too
        assert_valid_epcis(epcis.document(HISTORY[n:n + 1], T0))


def test_lots_are_digital_link_classes_serials_are_instances_and_the_rest_is_counted():
    commissioned, serialised = epcis.events(HISTORY[:2])
    assert commissioned["quantityList"] == [{"epcClass": f"https://id.gs1.org/01/{GTIN}/10/L1", "quantity": 12}]
    assert "epcList" not in commissioned
    assert commissioned["ilmd"] == {"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2028-06-30"}
    supplier = f"urn:erp-md:party:supplier:{UUID(int=9)}"
    assert commissioned["sourceList"] == [{"type": "owning_party", "source": supplier}]
    assert commissioned["bizTransactionList"] == [{"type": "recadv", "bizTransaction": f"urn:uuid:{UUID(int=8)}"}]
    assert commissioned["readPoint"] == commissioned["bizLocation"] == {"id": "urn:erp-md:location:warehouse:WH-SH"}
    assert serialised["epcList"] == [f"https://id.gs1.org/01/{GTIN}/21/A{n}" for n in (1, 2, 3)]
    assert "quantityList" not in serialised  # every unit is named
    (shipped,) = epcis.events([HISTORY[4]])
    assert shipped["epcList"] == [f"https://id.gs1.org/01/{GTIN}/21/S1", f"https://id.gs1.org/01/{GTIN}/21/S2"]
    assert shipped["quantityList"] == [{"epcClass": f"https://id.gs1.org/01/{GTIN}/10/L1", "quantity": 3}]


def test_places_and_parties_are_in_the_projects_own_namespace_by_kind():
    shipped, delivered, accepted, returned = epcis.events(HISTORY[4:8])
    assert shipped["bizTransactionList"] == [{"type": "po", "bizTransaction": f"urn:uuid:{ORDER}"},
                                             {"type": "desadv", "bizTransaction": f"urn:uuid:{SHIPMENT}"}]
    assert shipped["sourceList"] == [{"type": "location", "source": "urn:erp-md:location:warehouse:WH-SH"}]
    assert shipped["destinationList"] == [{"type": "owning_party", "destination": f"urn:erp-md:party:{H}"}]
    for arrived in (delivered, accepted):  # at the hospital's premises
        assert arrived["readPoint"] == arrived["bizLocation"] == {"id": f"urn:erp-md:location:{H}"}
    assert (returned["disposition"], returned["sourceList"][0]["source"]) == ("returned", f"urn:erp-md:party:{H}")
    assert {"type": "rma", "bizTransaction": f"urn:uuid:{UUID(int=6)}"} in returned["bizTransactionList"]
    assert returned["destinationList"] == [{"type": "location", "destination": "urn:erp-md:location:warehouse:WH-RET"}]
    to_distributor, at_distributor, _, sold = epcis.events(HISTORY[8:])
    assert to_distributor["destinationList"] == [{"type": "owning_party", "destination": f"urn:erp-md:party:{D}"}]
    assert at_distributor["bizLocation"] == {"id": f"urn:erp-md:location:{D}"}
    assert sold["sourceList"] == [{"type": "owning_party", "source": f"urn:erp-md:party:{D}"}]
    assert sold["destinationList"] == [{"type": "owning_party", "destination": f"urn:erp-md:party:{H}"}]
    assert (sold["bizStep"], sold["disposition"]) == ("retail_selling", "retail_sold")


def test_event_time_is_the_instant_and_the_offset_is_the_places_zone_not_the_databases():
    (shipped,) = epcis.events([HISTORY[4]])  # given in +08:00
    assert (shipped["eventTime"], shipped["eventTimeZoneOffset"]) == ("2026-03-01T20:00:00+08:00", "+08:00")
    (delivered,) = epcis.events([HISTORY[5]])  # read from the database in UTC: 14:00Z, 22:00 in Shanghai
    assert (delivered["eventTime"], delivered["eventTimeZoneOffset"]) == ("2026-03-01T22:00:00+08:00", "+08:00")
    assert datetime.fromisoformat(delivered["eventTime"]) == HISTORY[5]["occurred_at"]  # the same instant
    # The zone is a setting (TRACEABILITY_PLACE_TIME_ZONE); a zone with summer time gives each instant its offset.
    berlin = ZoneInfo("Europe/Berlin")
    winter, summer = (epcis.events([dict(HISTORY[5], occurred_at=at)], berlin)[0] for at in (
        datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC)))
    assert (winter["eventTime"], winter["eventTimeZoneOffset"]) == ("2026-01-15T13:00:00+01:00", "+01:00")
    assert (summer["eventTime"], summer["eventTimeZoneOffset"]) == ("2026-07-15T14:00:00+02:00", "+02:00")
    assert_valid_epcis(epcis.document(HISTORY, T0, berlin))


def test_a_kit_assembly_commissions_the_kit_lot_and_associates_every_component_with_it():
    commissioned, kit = epcis.events(HISTORY[2:4])
    kit_lot = f"https://id.gs1.org/01/{KIT_GTIN}/10/K%2F1"  # "/" is not allowed in a path segment: escaped
    assert (commissioned["action"], commissioned["bizStep"]) == ("ADD", "commissioning")
    assert commissioned["quantityList"] == [{"epcClass": kit_lot, "quantity": 4}]
    assert commissioned["ilmd"] == {"cbvmda:lotNumber": "K/1", "cbvmda:itemExpirationDate": "2027-12-31"}
    assert (kit["type"], kit["action"], kit["bizStep"], kit["parentID"]) == (
        "AssociationEvent", "ADD", "assembling", kit_lot)
    assert kit["childQuantityList"] == [{"epcClass": f"https://id.gs1.org/01/{GTIN}/10/L1", "quantity": 2},
                                        {"epcClass": f"https://id.gs1.org/01/{GTIN}/10/L2", "quantity": 1}]
    assert kit["bizTransactionList"] == commissioned["bizTransactionList"] == [
        {"type": "prodorder", "bizTransaction": f"urn:uuid:{UUID(int=7)}"}]
    assert "ilmd" not in kit and commissioned["eventTime"] == kit["eventTime"]


def test_event_times_must_carry_their_zone():
    with pytest.raises(ValueError, match="timezone-aware"):
        epcis.zone_offset(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        epcis.events([dict(HISTORY[0], occurred_at=datetime(2026, 1, 1))])
    assert epcis.zone_offset(datetime(2026, 1, 1, tzinfo=timezone(-timedelta(hours=5, minutes=30)))) == "-05:30"


def test_the_places_zone_is_a_setting_asia_shanghai_by_default_and_a_bad_one_is_refused(monkeypatch):
    from pydantic import ValidationError

    from services.traceability.settings import TraceabilitySettings

    monkeypatch.delenv("TRACEABILITY_PLACE_TIME_ZONE", raising=False)
    assert TraceabilitySettings().place_zone == ZoneInfo("Asia/Shanghai")
    monkeypatch.setenv("TRACEABILITY_PLACE_TIME_ZONE", "Asia/Urumqi")
    assert TraceabilitySettings().place_zone == ZoneInfo("Asia/Urumqi")
    monkeypatch.setenv("TRACEABILITY_PLACE_TIME_ZONE", "Beijing")
    with pytest.raises(ValidationError, match="TRACEABILITY_PLACE_TIME_ZONE"):
        TraceabilitySettings()
