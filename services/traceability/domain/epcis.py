"""A lot's history as an EPCIS 2.0 JSON-LD document (GS1 EPCIS 2.0 / CBV 2.0), for partners' traceability systems.

Pure: it maps the lot-history rows (projections/history.py, read by queries/lot_story.py) to events; the API wraps
them in a document. Business steps and dispositions are CBV 2.0's (https://ref.gs1.org/cbv/):

| fact        | EPCIS event                                 | action  | bizStep         | disposition |
| ----------- | ------------------------------------------- | ------- | --------------- | ----------- |
| received    | ObjectEvent                                 | ADD     | commissioning   | active      |
| shipped     | ObjectEvent                                 | OBSERVE | shipping        | in_transit  |
| delivered   | ObjectEvent                                 | OBSERVE | arriving        | in_transit  |
| accepted    | ObjectEvent                                 | OBSERVE | accepting       | in_progress |
| returned    | ObjectEvent                                 | OBSERVE | receiving       | returned    |
| transformed | ObjectEvent (the new kit lot, per assembly) | ADD     | commissioning   | active      |
|             | + AssociationEvent (per assembly)           | ADD     | assembling      | —           |
| sold_on     | ObjectEvent                                 | OBSERVE | retail_selling  | retail_sold |

* A receipt commissions the lot: the GTINs are the company's own (it registers them as UDI-DIs), and the receipt is
  where a lot first appears under them, with its lot master data (ILMD), which EPCIS carries only on an ADD.
* A hospital's (or distributor's) delivery is `arriving`, its acceptance `accepting`: CBV 2.0 defines `receiving` as
  mutually exclusive with `arriving` and `accepting`, so `receiving` is left to a return coming back into a warehouse
  (a single step: no separate arrival is recorded), with disposition `returned` as CBV's example has it.
* A distributor's reported sale on to a hospital (sell-out) is `retail_selling` with disposition `retail_sold`
  (CBV: "product has been purchased by a customer").

Identifiers. Lots and units are GS1 Digital Link URIs, which EPCIS 2.0 accepts for EPCs and EPC classes: a lot is the
class `https://id.gs1.org/01/<gtin>/10/<lot>`, a serialised unit `https://id.gs1.org/01/<gtin>/21/<serial>`. (The
`urn:epc:class:lgtin:` form needs the GS1 company prefix length, which a GTIN alone does not tell.) Places and parties
would be SGLN/GLN identifiers where they have a GLN, but no event names one (warehouses are codes, hospitals,
distributors and suppliers are ids), so all are in the namespace this project owns, documented in the README:
`urn:erp-md:location:<kind>:<id>` for a place (readPoint, bizLocation, a `location` source or destination) and
`urn:erp-md:party:<kind>:<id>` for an owning party, `<kind>` one of warehouse, hospital, distributor, supplier.
Business transactions (order, shipment, receipt, return) are `urn:uuid:` of their ids. Event ids are `urn:uuid:`
derived from the source event, so a re-export repeats them and a partner's repository can drop the duplicates.

Times. eventTime is the instant; eventTimeZoneOffset is the offset, at that instant, of the zone of the place where
the event happened (one zone for every place, a setting, Asia/Shanghai by default: services/traceability/settings.py),
and eventTime is written in that offset too, so both read as the place's local time.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Literal
from urllib.parse import quote
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
MEDIA_TYPE = "application/ld+json"
DIGITAL_LINK = "https://id.gs1.org"
NAMESPACE = "urn:erp-md"  # the project's own URN namespace for places and parties without a GLN (README "EPCIS")
PLACE_ZONE = ZoneInfo("Asia/Shanghai")  # the default; the API passes the setting

Fact = Mapping[str, Any]
Kind = Literal["warehouse", "hospital", "distributor", "supplier"]


def lot_class(gtin: str, lot: str) -> str:
    return f"{DIGITAL_LINK}/01/{gtin}/10/{quote(lot, safe='')}"


def serial_epc(gtin: str, serial: str) -> str:
    return f"{DIGITAL_LINK}/01/{gtin}/21/{quote(serial, safe='')}"


def location(kind: Kind, key: UUID | str) -> str:
    """A place: a warehouse by its code, a hospital's or distributor's premises by the party's id."""
    return f"{NAMESPACE}:location:{kind}:{quote(str(key), safe='')}"


def party(kind: Kind, key: UUID | str) -> str:
    """A party (owner of the goods): a hospital, distributor or supplier by its id."""
    return f"{NAMESPACE}:party:{kind}:{quote(str(key), safe='')}"


def transaction(key: UUID | str) -> str:
    return f"urn:uuid:{key}"


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


def _when(fact: Fact, zone: tzinfo) -> dict[str, str]:
    moment: datetime = fact["occurred_at"]
    if moment.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    local = moment.astimezone(zone)  # the same instant, in the place's offset at that instant
    return {"eventTime": local.isoformat(), "eventTimeZoneOffset": zone_offset(local)}


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
    return [{"type": kind, "bizTransaction": transaction(fact[key])} for kind, key in kinds if fact.get(key)]


def _consignee(fact: Fact) -> tuple[Kind, Any]:
    """Who a shipment went to (and a return came back from): a hospital, or a distributor (lot_story.py says)."""
    kind = fact.get("consignee_kind") or "hospital"
    if kind not in ("hospital", "distributor"):
        raise ValueError(f"a consignee is a hospital or a distributor, not {kind!r}")
    return kind, fact["consignee_id"]


def object_event(fact: Fact, zone: tzinfo = PLACE_ZONE) -> dict[str, Any]:
    """The ObjectEvent of one received/shipped/delivered/accepted/returned/sold_on row (of one lot)."""
    kind = fact["fact"]
    event: dict[str, Any] = {"type": "ObjectEvent", **_when(fact, zone),
                             "eventID": _event_id(fact["event_id"], fact["item"], fact["gtin"], fact["lot"]),
                             **_what(fact)}
    detail = fact.get("detail") or {}
    if kind == "received":
        here = location("warehouse", fact["warehouse"])
        event |= {"action": "ADD", "bizStep": "commissioning", "disposition": "active",
                  "readPoint": {"id": here}, "bizLocation": {"id": here},
                  "bizTransactionList": _transactions(fact, ("recadv", "receipt_id"))}
        if fact.get("supplier_id"):
            event["sourceList"] = [{"type": "owning_party", "source": party("supplier", fact["supplier_id"])}]
        event["ilmd"] = _lot_master_data(fact["lot"], fact.get("expiry"))
    elif kind == "shipped":
        to = party(*_consignee(fact))
        event |= {"action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
                  "readPoint": {"id": location("warehouse", fact["warehouse"])},
                  "bizTransactionList": _transactions(fact, ("po", "order_id"), ("desadv", "shipment_id")),
                  "sourceList": [{"type": "location", "source": location("warehouse", fact["warehouse"])}],
                  "destinationList": [{"type": "owning_party", "destination": to}]}
    elif kind in ("delivered", "accepted"):
        consignee = _consignee(fact)
        there = location(*consignee)
        event |= {"action": "OBSERVE", "bizStep": "arriving" if kind == "delivered" else "accepting",
                  "disposition": "in_transit" if kind == "delivered" else "in_progress",
                  "readPoint": {"id": there}, "bizLocation": {"id": there},
                  "bizTransactionList": _transactions(fact, ("po", "order_id"), ("desadv", "shipment_id")),
                  "sourceList": [{"type": "location", "source": location("warehouse", fact["warehouse"])}],
                  "destinationList": [{"type": "owning_party", "destination": party(*consignee)}]}
    elif kind == "returned":
        here = location("warehouse", fact["warehouse"])
        event |= {"action": "OBSERVE", "bizStep": "receiving", "disposition": "returned",
                  "readPoint": {"id": here}, "bizLocation": {"id": here},
                  "bizTransactionList": _transactions(fact, ("po", "order_id"), ("desadv", "shipment_id"),
                                                      ("rma", "return_id")),
                  "sourceList": [{"type": "owning_party", "source": party(*_consignee(fact))}],
                  "destinationList": [{"type": "location", "destination": here}]}
    elif kind == "sold_on":
        event |= {"action": "OBSERVE", "bizStep": "retail_selling", "disposition": "retail_sold",
                  "destinationList": [{"type": "owning_party", "destination": party("hospital", fact["consignee_id"])}]}
        if detail.get("distributor_id"):
            event["sourceList"] = [{"type": "owning_party", "source": party("distributor", detail["distributor_id"])}]
    else:
        raise ValueError(f"no ObjectEvent for a {kind!r} fact")
    return event


def kit_assembly_events(rows: list[Fact], zone: tzinfo = PLACE_ZONE) -> list[dict[str, Any]]:
    """One kit assembly (all its `transformed` rows, one per component): the kit lot commissioned, then the
    components associated with it.

    CBV 2.0, business step `assembling` (https://ref.gs1.org/cbv/BizStep-assembling): "In contrast to transformation,
    in the output of `assembling` the original objects are still recognisable and/or the process is reversible;
    hence, `assembling` would be used preferably in an Association Event or, alternatively, an Aggregation Event, but
    not a Transformation Event" — its example is healthcare kitting. A kit's components stay recognisable (each keeps
    its UDI), so the assembly is an AssociationEvent, the preferred one (EPCIS 2.0's definition of AssociationEvent,
    https://ref.gs1.org/epcis/AssociationEvent: it SHOULD be used when the parent may also take part in more temporary
    associations, captured by AggregationEvents — and kits are packed into cases for shipping). Action ADD, the
    children the component lots by quantity, the parent the kit lot: the kits are not serialised (KitAssembled names
    no kit serials) and an assembly makes a new kit lot, so the kit lot is what says which physical units the
    components went into.

    The kit lot itself comes into being here, with lot master data (lot, expiry) that EPCIS carries only as the ILMD
    of an ObjectEvent ADD (an AssociationEvent has no ILMD), so an ObjectEvent commissioning it comes first."""
    first = rows[0]
    detail = first.get("detail") or {}
    when = _when(first, zone)
    here = location("warehouse", first["warehouse"])
    kit = lot_class(first["kit_gtin"], first["kit_lot"])
    commissioned = {
        "type": "ObjectEvent", **when, "eventID": _event_id(first["event_id"], "kit", "commissioning"),
        "action": "ADD", "quantityList": [{"epcClass": kit, "quantity": first["kit_quantity"]}],
        "bizStep": "commissioning", "disposition": "active",
        "readPoint": {"id": here}, "bizLocation": {"id": here},
        "bizTransactionList": [{"type": "prodorder", "bizTransaction": transaction(first["assembly_id"])}],
        "ilmd": _lot_master_data(first["kit_lot"], detail.get("kit_expiry")),
    }
    associated = {
        "type": "AssociationEvent", **when, "eventID": _event_id(first["event_id"], "kit", "association"),
        "parentID": kit, "action": "ADD",
        "childQuantityList": [{"epcClass": lot_class(r["gtin"], r["lot"]), "quantity": r["quantity"]} for r in rows],
        "bizStep": "assembling", "readPoint": {"id": here}, "bizLocation": {"id": here},
        "bizTransactionList": [{"type": "prodorder", "bizTransaction": transaction(first["assembly_id"])}],
    }
    return [commissioned, associated]


def _lot_master_data(lot: str, expiry: date | str | None) -> dict[str, str]:
    # CBV master data of the lot (the context maps the cbvmda prefix): what a partner needs to recall it.
    out = {"cbvmda:lotNumber": lot}
    if expiry:
        out["cbvmda:itemExpirationDate"] = expiry if isinstance(expiry, str) else expiry.isoformat()
    return out


def events(facts: Iterable[Fact], zone: tzinfo = PLACE_ZONE) -> list[dict[str, Any]]:
    """The lot's facts (in recorded order) as EPCIS events in that order; an assembly's rows become its two events,
    where the assembly first appears. `zone` is the places' time zone (eventTimeZoneOffset)."""
    out: list[dict[str, Any] | str] = []
    assemblies: dict[str, list[Fact]] = {}
    for fact in facts:
        if fact["fact"] == "transformed":
            if fact["event_id"] not in assemblies:
                assemblies[fact["event_id"]] = []
                out.append(fact["event_id"])  # placed where the assembly first appears
            assemblies[fact["event_id"]].append(fact)
        else:
            out.append(object_event(fact, zone))
    result: list[dict[str, Any]] = []
    for e in out:
        if isinstance(e, str):
            result.extend(kit_assembly_events(sorted(assemblies[e], key=lambda r: r["item"]), zone))
        else:
            result.append(e)
    return result


def document(facts: Iterable[Fact], created: datetime, zone: tzinfo = PLACE_ZONE) -> dict[str, Any]:
    return {"@context": [EPCIS_CONTEXT], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": created.isoformat(), "epcisBody": {"eventList": events(facts, zone)}}
