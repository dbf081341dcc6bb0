"""A lot's history as an EPCIS 2.0 JSON-LD document (GS1 EPCIS 2.0 / CBV 2.0), for partners' traceability systems.

Pure: it maps the lot-history rows (projections/history.py) to events; the API wraps them in a document.

| fact        | EPCIS event                   | action  | bizStep         | disposition |
| ----------- | ----------------------------- | ------- | --------------- | ----------- |
| received    | ObjectEvent                   | ADD     | commissioning   | active      |
| shipped     | ObjectEvent                   | OBSERVE | shipping        | in_transit  |
| delivered   | ObjectEvent                   | OBSERVE | arriving        | in_transit  |
| accepted    | ObjectEvent                   | OBSERVE | receiving       | in_progress |
| returned    | ObjectEvent                   | OBSERVE | receiving       | returned    |
| transformed | TransformationEvent (per kit) | —       | assembling      | active      |
| sold_on     | ObjectEvent                   | OBSERVE | retail_selling  | —           |

Identifiers are GS1 Digital Link URIs, which EPCIS 2.0 accepts for EPCs and EPC classes: a lot is the class
`https://id.gs1.org/01/<gtin>/10/<lot>`, a serialised unit `https://id.gs1.org/01/<gtin>/21/<serial>`. (The
`urn:epc:class:lgtin:` form needs the GS1 company prefix length, which a GTIN alone does not tell.) Parties
(hospitals, distributors, suppliers) and business transactions (order, shipment, receipt, return) are
`urn:uuid:` of their ids; warehouses, which have no GLN here, are `urn:erp:warehouse:<id>` (the partner maps them
through master data). Event ids are `urn:uuid:` derived from the source event, so a re-export repeats them and a
partner's repository can drop the duplicates.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from uuid import NAMESPACE_URL, UUID, uuid5

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
MEDIA_TYPE = "application/ld+json"
DIGITAL_LINK = "https://id.gs1.org"

Fact = Mapping[str, Any]


def lot_class(gtin: str, lot: str) -> str:
    return f"{DIGITAL_LINK}/01/{gtin}/10/{quote(lot, safe='')}"


def serial_epc(gtin: str, serial: str) -> str:
    return f"{DIGITAL_LINK}/01/{gtin}/21/{quote(serial, safe='')}"


def party(uuid: UUID | str) -> str:
    return f"urn:uuid:{uuid}"


def warehouse(code: str) -> str:
    return f"urn:erp:warehouse:{quote(code, safe='')}"


def zone_offset(moment: datetime) -> str:
    """"+08:00" style, as eventTimeZoneOffset wants it."""
    if moment.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _event_id(*parts: object) -> str:
    return f"urn:uuid:{uuid5(NAMESPACE_URL, 'erp:epcis:' + ':'.join(map(str, parts)))}"


def _when(fact: Fact) -> dict[str, str]:
    moment: datetime = fact["occurred_at"]
    return {"eventTime": moment.isoformat(), "eventTimeZoneOffset": zone_offset(moment)}


def _what(fact: Fact) -> dict[str, list]:
    """Serialised units by their EPC; otherwise (or for units beyond the serials) the lot class and a count."""
    serials = list(fact.get("serials") or [])
    out: dict[str, list] = {}
    if serials:
        out["epcList"] = [serial_epc(fact["gtin"], s) for s in serials]
    if len(serials) < fact["quantity"]:
        out["quantityList"] = [{"epcClass": lot_class(fact["gtin"], fact["lot"]),
                                "quantity": fact["quantity"] - len(serials)}]
    return out


def _transactions(fact: Fact, *kinds: tuple[str, str]) -> list[dict[str, str]]:
    return [{"type": kind, "bizTransaction": party(fact[key])} for kind, key in kinds if fact.get(key)]


def object_event(fact: Fact) -> dict[str, Any]:
    """The ObjectEvent of one received/shipped/delivered/accepted/returned/sold_on row (of one lot)."""
    kind = fact["fact"]
    event: dict[str, Any] = {"type": "ObjectEvent", **_when(fact),
                             "eventID": _event_id(fact["event_id"], fact["item"], fact["gtin"], fact["lot"]),
                             **_what(fact)}
    detail = fact.get("detail") or {}
    if kind == "received":
        event |= {"action": "ADD", "bizStep": "commissioning", "disposition": "active",
                  "readPoint": {"id": warehouse(fact["warehouse"])},
                  "bizLocation": {"id": warehouse(fact["warehouse"])},
                  "bizTransactionList": _transactions(fact, ("recadv", "receipt_id"))}
        if fact.get("supplier_id"):
            event["sourceList"] = [{"type": "owning_party", "source": party(fact["supplier_id"])}]
        event["ilmd"] = _lot_master_data(fact["lot"], fact.get("expiry"))
    elif kind == "shipped":
        event |= {"action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
                  "readPoint": {"id": warehouse(fact["warehouse"])},
                  "bizTransactionList": _transactions(fact, ("po", "order_id"), ("desadv", "shipment_id")),
                  "sourceList": [{"type": "location", "source": warehouse(fact["warehouse"])}],
                  "destinationList": [{"type": "owning_party", "destination": party(fact["consignee_id"])}]}
    elif kind in ("delivered", "accepted"):
        event |= {"action": "OBSERVE", "bizStep": "arriving" if kind == "delivered" else "receiving",
                  "disposition": "in_transit" if kind == "delivered" else "in_progress",
                  "readPoint": {"id": party(fact["consignee_id"])}, "bizLocation": {"id": party(fact["consignee_id"])},
                  "bizTransactionList": _transactions(fact, ("po", "order_id"), ("desadv", "shipment_id")),
                  "sourceList": [{"type": "location", "source": warehouse(fact["warehouse"])}],
                  "destinationList": [{"type": "owning_party", "destination": party(fact["consignee_id"])}]}
    elif kind == "returned":
        event |= {"action": "OBSERVE", "bizStep": "receiving", "disposition": "returned",
                  "readPoint": {"id": warehouse(fact["warehouse"])},
                  "bizLocation": {"id": warehouse(fact["warehouse"])},
                  "bizTransactionList": _transactions(fact, ("po", "order_id"), ("desadv", "shipment_id"),
                                                      ("rma", "return_id")),
                  "sourceList": [{"type": "owning_party", "source": party(fact["consignee_id"])}],
                  "destinationList": [{"type": "location", "destination": warehouse(fact["warehouse"])}]}
    elif kind == "sold_on":
        event |= {"action": "OBSERVE", "bizStep": "retail_selling",
                  "destinationList": [{"type": "owning_party", "destination": party(fact["consignee_id"])}]}
        if detail.get("distributor_id"):
            event["sourceList"] = [{"type": "owning_party", "source": party(detail["distributor_id"])}]
    else:
        raise ValueError(f"no ObjectEvent for a {kind!r} fact")
    return event


def transformation_event(rows: list[Fact]) -> dict[str, Any]:
    """One kit assembly (all its `transformed` rows, one per component) as a TransformationEvent."""
    first = rows[0]
    detail = first.get("detail") or {}
    return {
        "type": "TransformationEvent", **_when(first), "eventID": _event_id(first["event_id"]),
        "transformationID": party(first["assembly_id"]),
        "inputQuantityList": [{"epcClass": lot_class(r["gtin"], r["lot"]), "quantity": r["quantity"]} for r in rows],
        "outputQuantityList": [{"epcClass": lot_class(first["kit_gtin"], first["kit_lot"]),
                                "quantity": first["kit_quantity"]}],
        "bizStep": "assembling", "disposition": "active",
        "readPoint": {"id": warehouse(first["warehouse"])}, "bizLocation": {"id": warehouse(first["warehouse"])},
        "ilmd": _lot_master_data(first["kit_lot"], detail.get("kit_expiry")),
    }


def _lot_master_data(lot: str, expiry: date | str | None) -> dict[str, str]:
    # CBV master data of the lot (the context maps the cbvmda prefix): what a partner needs to recall it.
    out = {"cbvmda:lotNumber": lot}
    if expiry:
        out["cbvmda:itemExpirationDate"] = expiry if isinstance(expiry, str) else expiry.isoformat()
    return out


def events(facts: Iterable[Fact]) -> list[dict[str, Any]]:
    """The lot's facts (in recorded order) as EPCIS events in that order; an assembly's rows become one event."""
    out: list[dict[str, Any]] = []
    assemblies: dict[str, list[Fact]] = {}
    for fact in facts:
        if fact["fact"] == "transformed":
            if fact["event_id"] not in assemblies:
                assemblies[fact["event_id"]] = []
                out.append({"assembly": fact["event_id"]})  # placed where the assembly first appears
            assemblies[fact["event_id"]].append(fact)
        else:
            out.append(object_event(fact))
    return [transformation_event(sorted(assemblies[e["assembly"]], key=lambda r: r["item"])) if "assembly" in e else e
            for e in out]


def document(facts: Iterable[Fact], created: datetime) -> dict[str, Any]:
    return {"@context": [EPCIS_CONTEXT], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": created.isoformat(), "epcisBody": {"eventList": events(facts)}}
