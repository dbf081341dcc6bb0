"""Placing an order: accepted once per id (a retry finds the first one), and only when the sale passes its checks
(domain/compliance.py) against the order service's copies of channel and inventory; priced by the system
(domain/line_pricing.py): the hospital's active contract, else the rulebook. A typed price holds the order for a
pricing manager; a contract's volume is called off in the same transaction as the order."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.order.application import OrderUnitOfWork, contracting, credit
from services.order.application.pricing import priced, vat_rate_of
from services.order.domain.promotions import PromotionBudget
from services.order.domain import SalesOrder
from services.order.domain.sales_order import delivery_plan
from services.order.domain.contracts import Contract
from services.order.domain.line_pricing import order_line_price
from shared.domain.business_day import business_day
from shared.domain.pricing import PriceExplanation
from shared.domain.rules import InvalidReference
from shared.platform.context import current_meta
from services.order.domain.compliance import SaleFacts, check_sale
from shared.platform.access import EVERYTHING, DataScope
from shared.domain.rules import NotFound
from shared.platform.idempotency import create_once
from shared.platform.unit_of_work import UnitOfWork
from shared.platform.command import Command


@dataclass(frozen=True, kw_only=True)
class OrderLine:
    gtin: str
    quantity: int
    unit_price: Decimal | None = None  # net; given: a price override, held for approval; absent: the system prices
    min_remaining_shelf_life_days: int | None = None
    deliveries: tuple[tuple[date, int], ...] | None = None  # a delivery plan (交付计划): (date, quantity) each


NOTHING_PRICED = PriceExplanation(None, "none", None)  # no price list in the currency: nothing to explain


class PlaceOrder(Command):
    order_id: UUID
    hospital_id: UUID
    lines: tuple[OrderLine, ...]
    currency: str = "CNY"
    customer_reference: str | None = None
    requested_delivery_date: date | None = None  # shelf life and licences are judged on this day (default: today)
    ship_to_distributor_id: UUID | None = None
    contract_id: UUID | None = None  # absent: the hospital's active contract covering the day, if any
    ship_complete: bool = False  # no partial deliveries: every line reserved in full, or the order waits
    order_type: str = "standard"  # consignment (寄售) or loaner (跟台): shipped to a consignment location, uninvoiced
    delivery_address: str | None = None  # absent: the customer's registered address
    # An order migrated from the company's old system (services/order/imports.py): its number and date there.
    legacy_reference: str | None = None
    legacy_order_date: date | None = None


class _FactsWithinScope:
    """The sale's facts as a caller with a data scope sees them: a hospital whose orders the caller could not read is
    answered as unknown, so that placing an order reveals no more than reading one (shared/platform/access.py)."""

    def __init__(self, facts: SaleFacts, scope: DataScope, distributor_id: UUID | None) -> None:
        self.facts, self.scope, self.distributor_id = facts, scope, distributor_id

    def hospital_known(self, hospital_id: UUID) -> bool:
        province = self.facts.hospital_province(hospital_id)
        return province is not None and self.scope.covers(hospitals=[hospital_id], regions=[province],
                                                          distributors=[self.distributor_id])

    def __getattr__(self, name: str) -> object:
        return getattr(self.facts, name)


def place_order(command: PlaceOrder, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> tuple[SalesOrder, bool]:
    """The order, and whether this command placed it (False: a retry found the first one, which is not checked
    again: the facts may have changed since it was accepted)."""
    return create_once(uow, command.order_id, SalesOrder, lambda: _accepted(command, uow, scope))


def validate_order(command: PlaceOrder, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> SalesOrder:
    """The order as placing it would accept it now (priced, with the holds it would carry), or the refusal placing
    would answer; nothing is stored (the order desk's check before submitting)."""
    try:
        return _accepted(command, uow, scope)
    finally:
        uow.rollback()


def _accepted(command: PlaceOrder, uow: OrderUnitOfWork, scope: DataScope,
              counted: Decimal = Decimal(0)) -> SalesOrder:
    """Every check, in order: the sale (customer, certificates, distributor licences: refusals), the contract and
    the prices (a typed price: a hold), the credit (a failure: a hold). The contract's call-off is collected with
    the order. `counted`: what of this order the exposure already counts (an amendment re-checks the increase)."""
    delivery_day = command.requested_delivery_date or business_day(datetime.now(UTC))  # China's today
    facts = uow.sale_facts if scope.everything else _FactsWithinScope(uow.sale_facts, scope,
                                                                      command.ship_to_distributor_id)
    check_sale(facts, command.hospital_id, command.ship_to_distributor_id,
               [line.gtin for line in command.lines], delivery_day, uow.app.settings.certificate_grace_until,
               uow.app.settings.hospital_licence_required, uow.app.settings.distributor_authorization_required)
    contract = _contract(command, uow, scope, delivery_day)
    lines = _priced_lines(command, uow, contract, delivery_day)
    value = sum((Decimal(line["gross_unit_price"]) * line["quantity"]).quantize(Decimal("0.01")) for line in lines)
    bill_to = command.ship_to_distributor_id or command.hospital_id  # 两票制: a distributor is billed for its goods
    increase = value - counted
    # Consigned goods stay the manufacturer's: they are exposure only when used (their consumption order).
    credit_problems = (credit.check(uow, bill_to, command.currency, increase, business_day(datetime.now(UTC)))
                       if increase > 0 and command.order_type == "standard" else [])
    order = SalesOrder.place(command.order_id, command.hospital_id, command.customer_reference, command.currency,
                             lines, command.requested_delivery_date, command.ship_to_distributor_id,
                             placed_by=current_meta().actor, credit_problems=credit_problems,
                             ship_complete=command.ship_complete, order_type=command.order_type,
                             delivery_address=command.delivery_address, legacy_reference=command.legacy_reference,
                             legacy_order_date=command.legacy_order_date)
    if contract is not None:
        called = [(line["gtin"], line["quantity"]) for line in lines if line.get("contract_id") == contract.id]
        if called and contract.call_off(order.id, called, delivery_day, command.ship_to_distributor_id):
            uow.collect(contract)
    return order


def _contract(command: PlaceOrder, uow: OrderUnitOfWork, scope: DataScope, day: date) -> Contract | None:
    """The contract named (it must be the hospital's, or the delivering distributor's distribution agreement), else
    the hospital's newest active contract covering the day."""
    if command.contract_id is not None:
        contract = contracting.contract_of(uow, command.contract_id, scope)
        if contract.customer_id not in (command.hospital_id, command.ship_to_distributor_id):
            raise InvalidReference("contract_id", "contract-of-the-customer", "name a contract with this hospital (or"
                                   " with the distributor delivering it)", f"contract {contract.number} is with"
                                   f" {contract.customer_id}")
        return contract
    for contract_id in uow.price_facts.active_contracts(command.hospital_id):
        contract = uow.get(contract_id, Contract)
        if (contract is not None and contract.status_on(day) == "active"
                and contract.terms["valid_from"] <= day <= contract.terms["valid_to"]):
            return contract
    return None


def _priced_lines(command: PlaceOrder, uow: OrderUnitOfWork, contract: Contract | None,
                  day: date) -> list[dict[str, Any]]:
    """Each line with its price, where the price came from and the rulebook's explanation; the contract's minimum
    remaining shelf life where the line asks none."""
    facts = uow.price_facts
    customer = facts.customer(command.hospital_id)
    base_list = facts.base_list(command.currency)
    engine = facts.engine(base_list) if base_list is not None else None
    lines = []
    budgets = PromotionBudgets(uow, command.order_id)
    for index, line in enumerate(command.lines):
        agreed = contract.line(line.gtin) if contract is not None else None
        computed = NOTHING_PRICED
        if engine is not None and customer is not None:
            spent: frozenset[str] = frozenset()
            while True:  # a promotion whose budget cannot cover the line is passed over, and the line priced again
                computed = priced(engine, customer, line.gtin, line.quantity, day,
                                  command.ship_to_distributor_id is not None, facts.product_groups(line.gtin), spent)
                if agreed is not None or line.unit_price is not None or budgets.covers(computed, line.quantity):
                    break
                spent |= {computed.winner}
        price = order_line_price(index, line.gtin, (contract.id, agreed["unit_price"]) if contract and agreed else None,
                                 computed, line.unit_price, vat_rate_of(facts, line.gtin))
        shelf_life = line.min_remaining_shelf_life_days
        if shelf_life is None and agreed is not None:
            shelf_life = contract.terms["min_remaining_shelf_life_days"] or None  # type: ignore[union-attr]
        lines.append({"gtin": line.gtin, "quantity": line.quantity, "min_remaining_shelf_life_days": shelf_life,
                      **price})
        if line.deliveries:
            lines[-1]["deliveries"] = delivery_plan(index, line.quantity, line.deliveries, day)
    budgets.record()
    return lines


class PromotionBudgets:
    """The budgets of the promotions an order's lines are priced by: what each line's promotion gives is counted
    against what its budget has left for this order, and recorded with the order (domain/promotions.py)."""

    def __init__(self, uow: OrderUnitOfWork, order_id: UUID) -> None:
        self.uow, self.order_id = uow, order_id
        self.budgets: dict[str, PromotionBudget] = {}
        self.given: dict[str, Decimal] = {}

    def covers(self, computed: PriceExplanation, quantity: int) -> bool:
        """Whether the line may have its price: True unless a promotion prices it beyond what its budget has left
        (then the discount is counted as given)."""
        rule_id = computed.winner
        budget = self.uow.price_facts.promotion_budget(rule_id) if rule_id and computed.source == "rule" else None
        if budget is None:
            return True
        if rule_id not in self.budgets:
            self.budgets[rule_id] = self.uow.get(PromotionBudget.create_id(rule_id), PromotionBudget) or \
                PromotionBudget(rule_id=rule_id, budget=budget)
            self.given[rule_id] = Decimal("0.00")
        discount = ((computed.list_price or computed.price) - computed.price) * quantity
        discount = discount.quantize(Decimal("0.01"))
        if self.given[rule_id] + discount > self.budgets[rule_id].left_for(self.order_id):
            return False
        self.given[rule_id] += discount
        return True

    def record(self) -> None:
        for rule_id, budget in self.budgets.items():
            if budget.spend(self.order_id, self.given[rule_id]):
                self.uow.collect(budget)


def order(uow: UnitOfWork, order_id: UUID) -> SalesOrder:
    found = uow.get(order_id, SalesOrder)
    if found is None:
        raise NotFound("Order", order_id)
    return found


def value_of(lines: list[dict[str, Any]]) -> Decimal:
    """An order's tax-inclusive value, line by line to the cent (older lines carry the net price only: 13% on it)."""
    return sum((Decimal(line.get("gross_unit_price") or Decimal(line["unit_price"]) * Decimal("1.13"))
                * line["quantity"]).quantize(Decimal("0.01")) for line in lines)
