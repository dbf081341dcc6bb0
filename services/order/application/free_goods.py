"""A rebate settled as free goods (货补, channel's RebateSettlementApproved): a zero-priced order of the units the
settlement gives, to the distributor itself (domain/sales_order.py `SalesOrder.free_goods`). Placed once per
settlement (its id is derived from the settlement's), held for compliance when the distributor may not take the
item (domain/compliance.py `free_goods_problem`)."""

from datetime import date
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from services.order.application import OrderUnitOfWork
from services.order.application.pricing import vat_rate_of
from services.order.domain import SalesOrder
from services.order.domain.compliance import free_goods_problem
from shared.platform.command import Command
from shared.platform.idempotency import create_once

CURRENCY = "CNY"  # a rebate is earned and settled in the invoices' currency


def free_goods_order_id(settlement: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:free-goods-order:{settlement}")


class GiveFreeGoods(Command):
    settlement: str  # the rebate account and the settlement's number: "<account id>:<settlement no>"
    settlement_no: str
    distributor_id: UUID
    gtin: str
    quantity: int
    unit_value: Decimal  # each unit's value (含税) the settlement counted
    on: date


def give_free_goods(command: GiveFreeGoods, uow: OrderUnitOfWork) -> SalesOrder:
    def place() -> SalesOrder:
        problem = free_goods_problem(uow.sale_facts, command.distributor_id, command.gtin, command.on,
                                     uow.app.settings.certificate_grace_until)
        value = (command.unit_value * command.quantity).quantize(Decimal("0.01"))
        line = {"gtin": command.gtin, "quantity": command.quantity, "unit_price": Decimal("0.00"),
                "gross_unit_price": Decimal("0.0000"), "vat_rate": vat_rate_of(uow.price_facts, command.gtin),
                "price_explanation": {"free_goods": {"rebate_settlement": command.settlement,
                                                     "unit_value": str(command.unit_value), "value": str(value)}}}
        return SalesOrder.free_goods(free_goods_order_id(command.settlement), command.distributor_id, CURRENCY, line,
                                     f"货补 {command.settlement_no}", problem)

    order, _ = create_once(uow, free_goods_order_id(command.settlement), SalesOrder, place)
    return order
