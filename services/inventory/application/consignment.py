"""Consignment (寄售) and loaner sets (跟台): a consignment or loaner order's shipment places its units at the
consignee's location (dispatch, outbound.py); a usage report — the UDI scans of the units used — takes them out, and
the order service turns them into a sales order that billing invoices; a return (returns.py) brings back the rest.
Ownership stays with the manufacturer until use; the consignee is the shipment's consignee for recall all along."""

from datetime import date
from uuid import UUID

from services.inventory.application import InventoryUnitOfWork
from services.inventory.domain import Fulfilment
from services.inventory.domain.consignment import ConsignmentLocation, ConsignmentRuleError, consignment_location_id
from services.inventory.domain.picking import Scan
from shared.domain.rules import NotFound
from shared.platform.command import Command


class ReportUsage(Command):
    usage_id: UUID
    consignee_id: UUID | None = None  # standing consignment stock at this hospital or distributor
    loaner_order_id: UUID | None = None  # or: the loaner set sent with this order
    scans: tuple[Scan, ...]  # the units used, parsed from their UDIs
    used_on: date
    reference: str  # the operation (手术) or usage record it happened in


def location_of(fulfilment: Fulfilment, uow: InventoryUnitOfWork) -> ConsignmentLocation:
    """The location a consignment or loaner order's goods went to (opened on its first shipment)."""
    consignee = fulfilment.ship_to_distributor_id or fulfilment.ship_to_hospital_id
    location = uow.get(consignment_location_id(fulfilment.kind, consignee, fulfilment.order_id), ConsignmentLocation)
    if location is None:
        location = ConsignmentLocation(kind=fulfilment.kind, consignee_id=consignee,
                                       hospital_id=fulfilment.ship_to_hospital_id,
                                       **({"loaner_order_id": fulfilment.order_id} if fulfilment.kind == "loaner" else {}))
    return location


def place_shipments(fulfilment: Fulfilment, uow: InventoryUnitOfWork) -> ConsignmentLocation:
    """The units of the shipment just dispatched, at the consignee's location."""
    location = location_of(fulfilment, uow)
    shipment = fulfilment.shipments[-1]
    location.place(fulfilment.order_id, shipment["shipment_id"], shipment["lines"])
    return location


def report_usage(command: ReportUsage, uow: InventoryUnitOfWork) -> tuple[ConsignmentLocation, list[dict]]:
    """The units used leave the location, all or none (ConsignmentRuleError names the first that is not there);
    the same report again records nothing."""
    if (command.consignee_id is None) == (command.loaner_order_id is None):
        raise ConsignmentRuleError("usage-location", "name either the consignee (standing consignment stock) or the"
                                   " loaner order the units came with", "consignee_id")
    kind = "loaner" if command.loaner_order_id is not None else "consignment"
    location_id = consignment_location_id(kind, command.consignee_id, command.loaner_order_id)  # type: ignore[arg-type]
    location = uow.get(location_id, ConsignmentLocation)
    if location is None:
        raise NotFound("Consignment location", command.loaner_order_id or command.consignee_id)
    used = location.use(command.usage_id, _scanned_lines(command.scans), command.used_on, command.reference)
    uow.collect(location)
    uow.commit()
    return location, used


def _scanned_lines(scans: tuple[Scan, ...]) -> list[dict]:
    """Per scan, the unit(s) it names: GTIN, lot and, for a serialised unit, its serial."""
    lines = []
    for n, scan in enumerate(scans):
        if scan.gtin is None or scan.lot is None:
            raise ConsignmentRuleError("scan-names-lot", f"scans[{n}]: a used unit's scan names its GTIN (01) and lot"
                                       " (10)", f"scans[{n}]")
        lines.append({"gtin": scan.gtin, "lot": scan.lot, "quantity": scan.quantity,
                      "serials": [scan.serial] if scan.serial else []})
    return lines
