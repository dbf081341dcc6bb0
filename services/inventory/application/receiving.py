"""Receiving: goods come in from a supplier qualified on the receipt date, each line into quarantine, every line or
none. A line of an item without a valid registration certificate is refused (unless the certificate grace period of
the shared settings covers it); goods expiring within the warning period are received and flagged. Lots and
serials are what a GS1 barcode can carry (CSET 82, 1-20 characters: `gs1-character-set`)."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from services.inventory.application import InventoryUnitOfWork
from services.inventory.application.item_master import registered_item
from services.inventory.domain import LotRuleError, StockItem, Supplier
from shared.domain.certificates import certificate_problem
from shared.domain.gtin import gs1_cset_82_problem
from shared.domain.rules import InvalidReference
from shared.platform.command import Command
from shared.domain.business_day import business_today


class ReceiveGoods(Command):
    supplier_id: UUID
    lines: tuple[dict[str, Any], ...]  # gtin, lot, expiry, quantity, warehouse; serials, production_date, location
    receipt_id: UUID = field(default_factory=uuid4)
    today: date | None = None  # default: today (UTC)


@dataclass(frozen=True)
class Receipt:
    receipt_id: UUID
    items: list[StockItem]
    warnings: list[dict[str, Any]]  # per line: line, rule (near-expiry), gtin, lot, detail


def receive_goods(command: ReceiveGoods, uow: InventoryUnitOfWork) -> Receipt:
    today = command.today or business_today()
    supplier = uow.get(command.supplier_id, Supplier)
    if supplier is None:
        raise InvalidReference("supplier_id", "registered-supplier", "register the supplier first",
                               detail=f"no supplier {command.supplier_id} is registered")
    supplier.check_qualified_on(today)  # there is no way to receive goods around it
    near_expiry_days = uow.settings.near_expiry_days
    items: dict[str, StockItem] = {}
    warnings = []
    for n, line in enumerate(command.lines):
        _gs1_lot_and_serials(n, line)
    for n, line in enumerate(command.lines):
        gtin = line["gtin"]
        item = items.get(gtin) or registered_item(uow, gtin, f"lines[{n}].gtin")
        if problem := certificate_problem(item.master.registration_certificate, today,
                                          uow.app.settings.certificate_grace_until):
            raise LotRuleError("registration-certificate-valid", f"lines[{n}]: {item.name} ({gtin}) cannot be"
                               f" received on {today}: {problem}")
        items[gtin] = item
        near = item.receive_lot(line["lot"], line["expiry"], line["quantity"], line["warehouse"], today,
                                near_expiry_days=near_expiry_days, supplier_id=command.supplier_id,
                                receipt_id=command.receipt_id, serials=line.get("serials"),
                                production_date=line.get("production_date"), location=line.get("location"))
        if near:
            warnings.append({"line": n, "rule": "near-expiry", "gtin": gtin, "lot": line["lot"],
                             "detail": f"lot {line['lot']} expires on {line['expiry']}, within {near_expiry_days}"
                                       " days of receipt"})
    uow.collect(*items.values())
    uow.commit()
    return Receipt(command.receipt_id, list(items.values()), warnings)


def _gs1_lot_and_serials(n: int, line: dict[str, Any]) -> None:
    """Every item is keyed by its GTIN, so its lots and serials go into GS1 AIs (10) and (21): CSET 82, 1-20
    characters (the API's models check it first; this holds for every other way a receipt is commanded)."""
    named = [(f"lines[{n}].lot", line["lot"])]
    named += [(f"lines[{n}].serials[{i}]", serial) for i, serial in enumerate(line.get("serials") or ())]
    for field_name, value in named:
        if (problem := gs1_cset_82_problem(value)) is not None:
            raise InvalidReference(field_name, "gs1-character-set", problem)
