"""What the order service imports from a company's existing files (shared/platform/imports.py): the sales orders still
open in the old system (未结订单), so that what customers are owed is delivered from the new one.

One order is several rows, one line a row, grouped by the old system's order number (`order_reference`, the kind's
`group_by`): the rows need not be adjacent, and an order is placed whole or not at all. Each order is held to the
input rules of `POST /orders` (its request model) and placed by the same handler (application/placing.py), as
platform orders are (platforms/sync.py): the customer, its licence, the certificates, the distributor's licence and
authorization, the contract, the prices and the credit are checked as for an order typed at the desk; nothing is
bypassed. Then:
- a line's `quantity` is what is still open (not yet delivered) in the old system: the order is placed for that;
- a typed `unit_price` (net, as the API's) that differs from the price the system gives the line is a price
  override: the order waits for a pricing manager's approval (the `price_approval` hold), as at the desk; one equal to
  the system's price is the system's (no hold);
- the order's id is derived from the old order number (`order_id_for`), and the number is kept on the order
  (`legacy_reference`, with the old system's order date as `legacy_order_date`): the same order again records
  nothing, the same number with other lines (or another customer) is the order's error;
- the hospital is its id in the channel, or its name as the order service's copy of the channel's hospitals knows it
  (projections/hospitals.py); the distributor is its id only (the order service keeps no distributor names it
  could match a name against reliably);
- the person importing needs the order desk's permission to place orders (`order:place`); one with a data scope
  imports orders of its own customers only: another's hospital is answered as unknown, as placing answers it.
"""

import unicodedata
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import TypeAdapter, ValidationError

from services.order.api import routes
from services.order.application import OrderUnitOfWork, placing
from services.order.domain import SalesOrder
from shared.domain.business_day import business_today
from shared.domain.rules import RuleViolation
from shared.domain.text import Reference
from shared.platform.access import DataScope
from shared.platform.imports import Column, ImportKind, ImportRow, Outcome, RowError

OPEN_ORDER_COLUMNS = (
    Column("order_reference", "the old system's order number: the rows of one order share it", True,
           ("订单号", "原订单号", "legacy_order_number"), "SO-2026-00042"),
    Column("hospital", "the hospital ordering: its id, or its name as registered in the channel", True,
           ("医院名称", "医院", "hospital_id", "hospital_name"), "上海市第一人民医院"),
    Column("distributor_id", "the distributor (配送商) it is delivered through, by its id; empty: direct", False,
           ("配送商ID", "经销商ID"), ""),
    Column("order_date", "when it was ordered in the old system (YYYY-MM-DD), optional; kept on the order", False,
           ("下单日期", "订单日期"), "2026-11-20"),
    Column("requested_delivery_date", "when the customer wants it (YYYY-MM-DD): shelf life and licences are judged"
                                      " on this day", True, ("要求到货日期", "交货日期"), "2026-12-15"),
    Column("customer_reference", "the customer's PO number (客户PO号), optional", False, ("客户PO号", "采购单号"),
           "PO-88123"),
    Column("contract_id", "the contract it calls off from, by its id, optional (default: the hospital's active"
                          " contract)", False, ("合同ID",), ""),
    Column("gtin", "the item's GTIN (UDI-DI)", True, ("产品标识", "UDI-DI"), "09506000134352"),
    Column("quantity", "the quantity still open: ordered and not yet delivered", True, ("未交数量", "未结数量", "数量"),
           "10"),
    Column("unit_price", "the net unit price agreed in the old system, optional: when it differs from the system's"
                         " price the order waits for a pricing manager's approval", False, ("单价", "不含税单价"), ""),
)
# What is said once per order: every row of an order that gives one gives the same (the first row need not).
HEADER_COLUMNS = ("hospital", "distributor_id", "order_date", "requested_delivery_date", "customer_reference",
                  "contract_id")
# The placing command's (and request model's) fields, as the file's columns name them.
_FIELD_COLUMNS = {"hospital_id": "hospital", "ship_to_distributor_id": "distributor_id",
                  "requested_delivery_date": "requested_delivery_date", "customer_reference": "customer_reference",
                  "contract_id": "contract_id", "lines": "gtin"}


def order_id_for(order_reference: str) -> UUID:
    """The order's id: the same old order number is the same order, however often it is imported."""
    return uuid5(NAMESPACE_URL, f"urn:erp-md:import:open-order:{order_reference}")


def hospital_named(value: str, uow: OrderUnitOfWork, row: int | None = None) -> UUID:
    """The hospital a row names: its id, or its registered name (compared as the channel compares names: NFKC,
    case and spaces aside). `row`: the row that names it, in a group."""
    try:
        return UUID(value)
    except ValueError:
        pass
    found = uow.sale_facts.hospitals_named(" ".join(unicodedata.normalize("NFKC", value).casefold().split()))
    if len(found) != 1:
        raise RowError("hospital", "registered-hospital", f"{value!r} is {'several hospitals' if found else 'no'}"
                                                          f"{'' if found else ' registered hospital'}: name it as"
                                                          " registered in the channel, or give its id", row=row)
    return found[0]


def import_open_order(rows: list[ImportRow], uow: OrderUnitOfWork) -> Outcome:
    """One open order from its rows: placed as `POST /orders` places it, or found (unchanged) when imported before."""
    reference = _reference(rows[0])
    header = _header(rows)
    hospital_id = hospital_named(header["hospital"][1], uow, header["hospital"][0]) if "hospital" in header else None
    order_date = _order_date(header.get("order_date"))
    try:
        body = routes.PlaceOrder.model_validate({k: v for k, v in {
            "hospital_id": hospital_id, "customer_reference": _value(header, "customer_reference"),
            "ship_to_distributor_id": _value(header, "distributor_id"), "contract_id": _value(header, "contract_id"),
            "requested_delivery_date": _value(header, "requested_delivery_date"),
            "lines": [{k: v for k, v in {"gtin": row.get("gtin"), "quantity": row.get("quantity"),
                                         "unit_price": row.get("unit_price")}.items() if v is not None}
                      for row in rows]}.items() if v is not None})
    except ValidationError as invalid:
        raise _invalid(invalid, rows, header) from None
    order_id = order_id_for(reference)
    if (existing := uow.get(order_id, SalesOrder)) is not None:
        return _same_as_on_record(existing, body, reference)
    command = placing.PlaceOrder(
        order_id=order_id, hospital_id=body.hospital_id, customer_reference=body.customer_reference,
        lines=tuple(placing.OrderLine(gtin=line.gtin, quantity=line.quantity, unit_price=line.unit_price)
                    for line in body.lines),
        requested_delivery_date=body.requested_delivery_date, ship_to_distributor_id=body.ship_to_distributor_id,
        contract_id=body.contract_id, legacy_reference=reference, legacy_order_date=order_date)
    try:
        placing.place_order(_typed_only_where_different(command, uow), uow)
    except RuleViolation as refusal:
        raise _refusal(refusal, rows, header) from None
    return "created"


def _reference(row: ImportRow) -> str:
    """The old order number, as the order keeps it: a reference's rules (one line, at most 100 characters)."""
    try:
        return TypeAdapter(Reference).validate_python(row.values["order_reference"])
    except ValidationError as invalid:
        raise RowError("order_reference", invalid.errors()[0]["type"].replace("_", "-"),
                       invalid.errors()[0]["msg"]) from None


def _header(rows: list[ImportRow]) -> dict[str, tuple[int, str]]:
    """The order's header columns, each with the row that first gives it; a row giving another value is refused."""
    found: dict[str, tuple[int, str]] = {}
    for row in rows:
        for column in HEADER_COLUMNS:
            value = row.get(column)
            if value is None:
                continue
            if column not in found:
                found[column] = (row.number, value)
            elif found[column][1] != value:
                raise RowError(column, "one-value-per-order", f"order {row.values['order_reference']}: row"
                                                              f" {row.number} gives {value!r}, row {found[column][0]}"
                                                              f" {found[column][1]!r}", row=row.number)
    return found


def _value(header: dict[str, tuple[int, str]], column: str) -> str | None:
    return header[column][1] if column in header else None


def _order_date(given: tuple[int, str] | None) -> date | None:
    if given is None:
        return None
    try:
        day = date.fromisoformat(given[1])
    except ValueError:
        raise RowError("order_date", "date", f"{given[1]!r} is not a date (YYYY-MM-DD)", row=given[0]) from None
    if day > business_today():
        raise RowError("order_date", "not-in-future", f"an order of the old system was placed by today, not on {day}",
                       row=given[0])
    return day


def _invalid(invalid: ValidationError, rows: list[ImportRow], header: dict[str, tuple[int, str]]) -> RowError:
    """The request model's errors, each at its row and column: a line's at the line's row."""
    found = []
    for error in invalid.errors():
        loc = error["loc"]
        if len(loc) >= 2 and loc[0] == "lines" and isinstance(loc[1], int):
            row, column = rows[loc[1]].number, str(loc[2]) if len(loc) > 2 else "gtin"
        else:
            column = _FIELD_COLUMNS.get(str(loc[0])) if loc else None
            row = header[column][0] if column in header else rows[0].number
        found.append((row, column, error["type"].replace("_", "-"), error["msg"]))
    first = found[0]
    return RowError(first[1], first[2], first[3], row=first[0],
                    others=tuple((c, r, m) for n, c, r, m in found[1:] if n == first[0]))


def _refusal(refusal: RuleViolation, rows: list[ImportRow], header: dict[str, tuple[int, str]]) -> RowError:
    """A rule of placing, at the row and column it is about: a line's (`lines[n]...`, or the GTIN it names) at that
    line's row, the order's at the row giving the column."""
    field = refusal.field or ""
    row = None
    if field.startswith("lines["):
        index = int(field[len("lines["):field.index("]")])
        row, column = rows[index].number, field.partition("].")[2].split("[")[0] or "gtin"
    else:
        column = _FIELD_COLUMNS.get(field, field or None)
        gtin = refusal.context.get("gtin")  # a distributor's licence or authorization: about one line's item
        row = next((r.number for r in rows if gtin is not None and r.get("gtin") == gtin), None)
        if row is None:
            row = header[column][0] if column in header else rows[0].number
    return RowError(column, refusal.rule, refusal.detail, row=row)


def _typed_only_where_different(command: placing.PlaceOrder, uow: OrderUnitOfWork) -> placing.PlaceOrder:
    """The old system's prices that the system's own price equals are the system's: only a different one is a
    price override (held for approval). Asked of placing's own check (nothing stored); when it refuses, the order
    goes with every typed price, and placing answers."""
    if all(line.unit_price is None for line in command.lines):
        return command
    untyped = replace(command, lines=tuple(
        placing.OrderLine(gtin=line.gtin, quantity=line.quantity) for line in command.lines))
    try:
        priced = placing.validate_order(untyped, uow).lines
    except RuleViolation:
        return command
    return replace(command, lines=tuple(
        line if line.unit_price is None or line.unit_price != Decimal(system["unit_price"]) else placing.OrderLine(
            gtin=line.gtin, quantity=line.quantity) for line, system in zip(command.lines, priced, strict=True)))


def _same_as_on_record(order: SalesOrder, body: routes.PlaceOrder, reference: str) -> Outcome:
    """An order imported before: unchanged when the file says what it was placed with, else the order's error."""
    asked = (body.hospital_id, body.ship_to_distributor_id, body.customer_reference,
             sorted((line.gtin, line.quantity) for line in body.lines))
    placed_lines = [*order.lines, *order.cancelled_lines.values()]
    on_record = (order.hospital_id, order.ship_to_distributor_id, order.customer_reference,
                 sorted((line["gtin"], line["quantity"]) for line in placed_lines))
    if asked != on_record:
        raise RowError("order_reference", "open-order-on-record", f"order {reference} was imported before with other"
                                                                   " lines or another customer: correct it in the"
                                                                   " order service, not by importing it again")
    return "unchanged"


def open_order_in_scope(row: ImportRow, scope: DataScope, uow: OrderUnitOfWork) -> None:
    """A caller with a data scope imports orders of its own customers only; another's hospital is answered as
    unknown, as placing answers it (placing.py's _FactsWithinScope)."""
    if scope.everything or row.get("hospital") is None:
        return
    hospital_id = hospital_named(row.values["hospital"], uow)
    try:
        distributor_id = UUID(row.values["distributor_id"]) if "distributor_id" in row.values else None
    except ValueError:
        distributor_id = None  # the request model refuses it, naming the column
    if not scope.covers(hospitals=[hospital_id], regions=[uow.sale_facts.hospital_province(hospital_id)],
                        distributors=[distributor_id]):
        raise RowError("hospital", "registered-hospital", f"{row.values['hospital']!r} is no registered hospital:"
                                                          " name it as registered in the channel, or give its id")


OPEN_ORDERS = ImportKind(
    name="open-orders", service="order", permission="order:place", scope="order", columns=OPEN_ORDER_COLUMNS,
    group_by="order_reference", apply_group=import_open_order,
    description="sales orders still open in the old system (未结订单): one line a row, grouped by order number")

IMPORTS: tuple[ImportKind, ...] = (OPEN_ORDERS,)
SCOPE_CHECKS: dict[str, Any] = {"open-orders": open_order_in_scope}
