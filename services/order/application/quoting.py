"""Quotes: drafted with every line priced by the rulebook (a price the desk chose is kept with the reason it needs
approval), submitted, approved or rejected by a pricing manager who did not submit it, sent, accepted."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from services.order.application import OrderUnitOfWork
from services.order.application.pricing import known_customer, price_list_for, priced, vat_rate_of
from services.order.domain.line_pricing import quote_line
from services.order.domain.quotes import Quote, quote_number
from shared.domain.business_day import business_day, business_today
from shared.domain.rules import InvalidReference, NotFound
from shared.platform.access import EVERYTHING, DataScope, outside_scope
from shared.platform.command import Command
from shared.platform.context import current_meta
from shared.platform.idempotency import create_once


MAX_QUOTE_DAYS = 366  # a quote binds the company's prices: a year at most


def today() -> date:
    """China's business day: a quote valid until a day is judged there, not on UTC's date (yesterday until 08:00)."""
    return business_today()


@dataclass(frozen=True, kw_only=True)
class QuoteLineRequest:
    gtin: str
    quantity: int
    unit_price: Decimal | None = None  # tax-inclusive; absent: the rulebook's price


class DraftQuote(Command):
    quote_id: UUID
    customer_id: UUID
    valid_until: date
    lines: tuple[QuoteLineRequest, ...]
    currency: str = "CNY"
    price_list_id: UUID | None = None
    note: str | None = None


def draft_quote(command: DraftQuote, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> tuple[Quote, bool]:
    def draft() -> Quote:
        day = today()
        if not day <= command.valid_until <= day + timedelta(days=MAX_QUOTE_DAYS):
            raise InvalidReference("valid_until", "valid-until-ahead", f"a quote is valid until a day from today to"
                                   f" {MAX_QUOTE_DAYS} days ahead", f"valid_until {command.valid_until} is out of range")
        customer = known_customer(uow.price_facts, command.customer_id, scope)
        list_id = price_list_for(uow.price_facts, command.currency, command.price_list_id)
        engine = uow.price_facts.engine(list_id)
        lines = []
        for n, request in enumerate(command.lines, start=1):
            if uow.sale_facts.item(request.gtin) is None:
                raise InvalidReference(f"lines[{n - 1}].gtin", "registered-item", "name a registered item",
                                       f"no item {request.gtin}")
            computed = priced(engine, customer, request.gtin, request.quantity, day,
                              groups=uow.price_facts.product_groups(request.gtin))
            lines.append(quote_line(n, request.gtin, request.quantity, computed, request.unit_price,
                                    vat_rate_of(uow.price_facts, request.gtin),
                                    uow.app.settings.quote_deviation_percent))
        return Quote(quote_id=command.quote_id, number=quote_number(command.quote_id), customer_id=customer.customer_id,
                     customer_kind=customer.kind, currency=command.currency, price_list_id=list_id,
                     valid_until=command.valid_until, lines=lines, note=command.note)

    return create_once(uow, command.quote_id, Quote, draft)


class QuoteStep(Command):
    quote_id: UUID
    step: str  # submit | approve | reject | send | accept


def take_step(command: QuoteStep, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> Quote:
    """Move the quote on; approving and rejecting are a second person's (the reason is the request's)."""
    quote = quote_of(uow, command.quote_id, scope)
    actor, day = current_meta().actor, today()
    changed = True
    match command.step:
        case "submit":
            quote.submit(actor, day)
        case "approve":
            quote.approve(actor, day)
        case "reject":
            quote.reject(actor, day)
        case "send":
            changed = quote.send(day)
        case "accept":
            changed = quote.accept(day)
        case _:
            raise ValueError(command.step)
    if changed:
        uow.collect(quote)
    uow.commit()
    return quote


# What a customer's own people see of their quotes: those sent to them (drafts and internal approvals are ours).
SENT = ("sent", "accepted")


def quote_of(uow: OrderUnitOfWork, quote_id: UUID, scope: DataScope = EVERYTHING, sent_only: bool = False) -> Quote:
    """The quote, or 404: also when its customer is outside the caller's scope, or, for the customer's own people
    (`sent_only`), when it was not sent to them."""
    quote = uow.get(quote_id, Quote)
    if quote is not None and sent_only and quote.status not in SENT:
        raise outside_scope("Quote", quote_id)
    if quote is not None and not scope.everything:
        customer = uow.price_facts.customer(quote.customer_id)
        if not scope.covers(hospitals=[quote.customer_id], distributors=[quote.customer_id],
                            regions=[customer.province if customer else None]):
            raise outside_scope("Quote", quote_id)
    if quote is None:
        raise NotFound("Quote", quote_id)
    return quote
