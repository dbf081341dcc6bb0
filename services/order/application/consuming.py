"""Consigned units used (inventory's usage report, ConsignmentUsed) become a sales order: each line at the price of
the consignment or loaner order that placed the units, the order shipped already (the goods were delivered when
consigned), invoiced by billing. Placed once per report (its id is derived from the report's)."""

from typing import Any
from uuid import UUID

from services.order.domain import SalesOrder
from shared.domain.consignment import consumption_order_id
from shared.platform.command import Command
from shared.platform.idempotency import create_once
from shared.platform.unit_of_work import UnitOfWork

PRICE_FIELDS = ("unit_price", "gross_unit_price", "vat_rate", "price_source", "contract_id")


class RecordConsumption(Command):
    usage_id: UUID
    hospital_id: UUID
    consignee_id: UUID
    lines: tuple[dict[str, Any], ...]  # gtin, lot, quantity, order_id (the order that consigned the units)
    reference: str


def record_consumption(command: RecordConsumption, uow: UnitOfWork) -> SalesOrder | None:
    """The consumption order, or None when an order that consigned the units is not this service's (nothing to
    price them at)."""
    lines = []
    for n, used in enumerate(_merged(command.lines), start=1):
        source = uow.get(used["order_id"], SalesOrder)
        priced = None if source is None else next((line for line in source.lines if line["gtin"] == used["gtin"]), None)
        if priced is None:
            return None
        lines.append({"line_no": n, "gtin": used["gtin"], "quantity": used["quantity"],
                      **{k: priced[k] for k in PRICE_FIELDS if priced.get(k) is not None}})
    through = command.consignee_id if command.consignee_id != command.hospital_id else None
    currency = uow.get(command.lines[0]["order_id"], SalesOrder).currency  # type: ignore[union-attr]

    def place() -> SalesOrder:
        return SalesOrder.consumed(consumption_order_id(command.usage_id), command.usage_id, command.hospital_id,
                                   currency, lines, through, command.reference)

    order, _ = create_once(uow, consumption_order_id(command.usage_id), SalesOrder, place)
    return order


def _merged(lines: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """One line per item (its lots add up), at the price of the first order that consigned it: billing invoices an
    order's item at one price."""
    merged: dict[str, dict[str, Any]] = {}
    for line in lines:
        entry = merged.setdefault(line["gtin"], {"gtin": line["gtin"], "order_id": line["order_id"], "quantity": 0})
        entry["quantity"] += line["quantity"]
    return list(merged.values())
