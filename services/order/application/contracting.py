"""Contracts: drafted from an accepted quote or from a template, signed, amended (a new version of the terms, never
an edit), terminated; orders call off from them (placing.py)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.order.application import OrderUnitOfWork
from services.order.application.pricing import known_customer, price_list_for, priced, vat_rate_of
from services.order.application.quoting import quote_of, today
from services.order.domain.contracts import TEMPLATES, Contract, check_terms, contract_number
from shared.domain.pricing import UNIT_PRICE_PLACES, net_of
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.platform.access import EVERYTHING, DataScope, outside_scope
from shared.platform.command import Command
from shared.platform.idempotency import create_once


@dataclass(frozen=True, kw_only=True)
class ContractLineRequest:
    gtin: str
    committed_quantity: int | None = None  # from the quote's quantity when drafted from one
    unit_price: Decimal | None = None  # tax-inclusive; absent: the quote's, else the rulebook's on the first day


class DraftContract(Command):
    contract_id: UUID
    template: str
    valid_from: date
    valid_to: date
    customer_id: UUID | None = None  # from the quote when drafted from one
    from_quote_id: UUID | None = None
    currency: str = "CNY"
    lines: tuple[ContractLineRequest, ...] = ()
    payment_terms_days: int | None = None  # absent: the template's
    delivery_terms: str | None = None
    min_remaining_shelf_life_days: int | None = None
    over_delivery_allowance_percent: Decimal | None = None
    authorized_distributor_id: UUID | None = None


def draft_contract(command: DraftContract, uow: OrderUnitOfWork,
                   scope: DataScope = EVERYTHING) -> tuple[Contract, bool]:
    def draft() -> Contract:
        quote = quote_of(uow, command.from_quote_id, scope) if command.from_quote_id else None
        if quote is not None and quote.status != "accepted":
            raise RuleViolation("contract-from-accepted-quote", f"quote {quote.number} is {quote.status}: a contract is"
                                " drafted from an accepted quote", "from_quote_id")
        customer_id = quote.customer_id if quote else command.customer_id
        if customer_id is None:
            raise InvalidReference("customer_id", "customer-named", "name the customer (or an accepted quote)")
        customer = known_customer(uow.price_facts, customer_id, scope)
        if (command.template == "distribution") != (customer.kind == "distributor"):
            raise InvalidReference("template", "template-fits-customer", "a distribution agreement (经销协议) is with a"
                                   " distributor; framework and VBP agreements are with hospitals",
                                   f"a {command.template} contract cannot be with a {customer.kind}")
        currency = quote.currency if quote else command.currency
        lines = _lines(command, uow, customer, quote, currency)
        defaults = TEMPLATES[command.template]
        if command.authorized_distributor_id and uow.sale_facts.distributor(command.authorized_distributor_id) is None:
            raise InvalidReference("authorized_distributor_id", "registered-distributor",
                                   "name a registered distributor", f"no distributor {command.authorized_distributor_id}")
        terms = {
            "valid_from": command.valid_from, "valid_to": command.valid_to,
            "payment_terms_days": _given(command.payment_terms_days, defaults["payment_terms_days"]),
            "delivery_terms": _given(command.delivery_terms, defaults["delivery_terms"]),
            "min_remaining_shelf_life_days": _given(command.min_remaining_shelf_life_days,
                                                    defaults["min_remaining_shelf_life_days"]),
            "over_delivery_allowance_percent": _given(command.over_delivery_allowance_percent,
                                                      defaults["over_delivery_allowance_percent"]),
            "authorized_distributor_id": command.authorized_distributor_id, "lines": lines}
        check_terms(terms)
        return Contract(contract_id=command.contract_id, number=contract_number(command.contract_id),
                        template=command.template, customer_id=customer.customer_id, customer_kind=customer.kind,
                        currency=currency, terms=terms, from_quote_id=command.from_quote_id)

    return create_once(uow, command.contract_id, Contract, draft)


def _given(value: Any, default: Any) -> Any:
    return default if value is None else value


def _lines(command: DraftContract, uow: OrderUnitOfWork, customer: Any, quote: Any,
           currency: str) -> list[dict[str, Any]]:
    """The agreed lines: the quote's (quantities as committed volumes, unless the request says otherwise), or the
    request's, priced by the rulebook on the contract's first day where no price is given."""
    requested = {line.gtin: line for line in command.lines}
    if quote is not None:
        quoted = {line["gtin"]: line for line in quote.lines}
        unknown = sorted(set(requested) - set(quoted))
        if unknown:
            raise InvalidReference("lines", "line-of-the-quote", "a contract from a quote agrees the quote's lines",
                                   f"{unknown} not in quote {quote.number}")
        chosen = [ContractLineRequest(gtin=gtin, unit_price=line["unit_price"],
                                      committed_quantity=(requested[gtin].committed_quantity if gtin in requested
                                                          and requested[gtin].committed_quantity else line["quantity"]))
                  for gtin, line in quoted.items()]
    else:
        chosen = list(command.lines)
    if not chosen:
        raise InvalidReference("lines", "contract-lines", "a contract agrees at least one line")
    engine = None
    lines = []
    for index, line in enumerate(chosen):
        if uow.sale_facts.item(line.gtin) is None:
            raise InvalidReference(f"lines[{index}].gtin", "registered-item", "name a registered item",
                                   f"no item {line.gtin}")
        if not line.committed_quantity:
            raise InvalidReference(f"lines[{index}].committed_quantity", "committed-quantity",
                                   "give the committed volume of every line")
        price = line.unit_price
        if price is None:
            engine = engine or uow.price_facts.engine(price_list_for(uow.price_facts, currency, None))
            price = priced(engine, customer, line.gtin, line.committed_quantity, command.valid_from,
                           groups=uow.price_facts.product_groups(line.gtin)).price
            if price is None:
                raise InvalidReference(f"lines[{index}].unit_price", "price-found", "give the agreed price: the"
                                       " rulebook has none for this product and customer")
        vat_rate = vat_rate_of(uow.price_facts, line.gtin)
        price = Decimal(price).quantize(UNIT_PRICE_PLACES)
        lines.append({"gtin": line.gtin, "unit_price": price, "net_unit_price": net_of(price, vat_rate),
                      "vat_rate": vat_rate, "committed_quantity": line.committed_quantity})
    return lines


class SignContract(Command):
    contract_id: UUID


class AmendContract(Command):
    contract_id: UUID
    changes: dict[str, Any]  # the terms that change; `lines` replaces the lines (each with its price and volume)


class TerminateContract(Command):
    contract_id: UUID
    effective_on: date


def sign(command: SignContract, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> Contract:
    contract = contract_of(uow, command.contract_id, scope)
    if contract.sign(today()):
        uow.collect(contract)
    uow.commit()
    return contract


def amend(command: AmendContract, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> Contract:
    contract = contract_of(uow, command.contract_id, scope)
    terms = {**contract.terms, **{k: v for k, v in command.changes.items() if k != "lines"}}
    if "lines" in command.changes:
        terms["lines"] = []
        for index, line in enumerate(command.changes["lines"]):
            if uow.sale_facts.item(line["gtin"]) is None:
                raise InvalidReference(f"lines[{index}].gtin", "registered-item", "name a registered item")
            vat_rate = vat_rate_of(uow.price_facts, line["gtin"])
            price = Decimal(line["unit_price"]).quantize(UNIT_PRICE_PLACES)
            terms["lines"].append({"gtin": line["gtin"], "unit_price": price, "net_unit_price": net_of(price, vat_rate),
                                   "vat_rate": vat_rate, "committed_quantity": line["committed_quantity"]})
    distributor = terms.get("authorized_distributor_id")
    if distributor is not None and distributor != contract.terms.get("authorized_distributor_id") and \
            uow.sale_facts.distributor(distributor) is None:
        raise InvalidReference("authorized_distributor_id", "registered-distributor", "name a registered distributor",
                               f"no distributor {distributor}")
    if terms == contract.terms:
        return contract  # nothing changes: a retry
    contract.amend(terms, today())
    uow.collect(contract)
    uow.commit()
    return contract


def terminate(command: TerminateContract, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> Contract:
    """Terminated from a day on (not before today: orders already placed under it stand)."""
    contract = contract_of(uow, command.contract_id, scope)
    if contract.status == "terminated":
        return contract
    if command.effective_on < today():
        raise InvalidReference("effective_on", "termination-ahead", "a termination takes effect today or later",
                               f"effective_on {command.effective_on} is in the past")
    contract.terminate(command.effective_on, today())
    uow.collect(contract)
    uow.commit()
    return contract


def contract_of(uow: OrderUnitOfWork, contract_id: UUID, scope: DataScope = EVERYTHING) -> Contract:
    """The contract, or 404 (also outside the caller's scope: its customer, the distributor it authorizes, or the
    customer's province)."""
    contract = uow.get(contract_id, Contract)
    if contract is not None and not scope.everything:
        customer = uow.price_facts.customer(contract.customer_id)
        if not scope.covers(hospitals=[contract.customer_id],
                            distributors=[contract.customer_id, contract.terms.get("authorized_distributor_id")],
                            regions=[customer.province if customer else None]):
            raise outside_scope("Contract", contract_id)
    if contract is None:
        raise NotFound("Contract", contract_id)
    return contract
