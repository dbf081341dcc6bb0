"""Quotes HTTP API: draft a quote priced by the rulebook, move it through submit -> approve/reject (a pricing
manager, four eyes, with a reason) -> send -> accept, read and list it, print it as a PDF (zh or en). Each route
parses, runs a command of application/quoting.py or a query, and maps the answer."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.order import queries
from services.order.application import OrderUnitOfWork, quoting
from services.order.documents.quote_pdf import QuoteDocument, QuoteDocumentLine, render_quote_pdf
from services.order.domain.quotes import Quote
from shared.domain.gtin import GTINInput
from shared.domain.money import LineQuantity, ListUnitPrice
from shared.platform.access import Access, permitted
from shared.platform.api import REPLAYED, CallerScope, IdempotencyKey, command_by, command_reason
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.permissions import permissions_of
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["quotes"])
Work = Annotated[OrderUnitOfWork, Depends(unit_of_work)]
QuoteCommand = command_by("quote:manage", scope="customer")
QuoteDecision = command_by("price:approve", scope="customer")
QuoteReader = permitted("quote:read", scope="customer")

QuoteStatus = Literal["draft", "submitted", "approved", "rejected", "sent", "accepted", "expired"]


class QuoteLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gtin: GTINInput
    quantity: LineQuantity
    unit_price: ListUnitPrice | None = Field(
        None, description="tax-inclusive (含税) price the desk offers; absent: the rulebook's price. Beyond the desk's"
                          " authority (deviation threshold, a 挂网 ceiling, a mandatory 中选价) it needs approval")


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    customer_id: UUID = Field(description="a hospital or a distributor")
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    price_list_id: UUID | None = Field(None, description="absent: the standard (first) price list of the currency")
    valid_until: date
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=200)
    note: str | None = Field(None, max_length=2000)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


class QuoteLineOut(BaseModel):
    line_no: int
    gtin: str
    quantity: int
    unit_price: Decimal = Field(description="tax-inclusive (含税)")
    net_unit_price: Decimal
    vat_rate: Decimal
    amount: Decimal = Field(description="tax-inclusive line amount, 2 places")
    net_amount: Decimal
    price_source: str | None = None
    computed_price: Decimal | None = None
    approval_reason: str | None = None
    price_explanation: dict[str, Any] | None = None


class QuoteOut(BaseModel):
    quote_id: UUID
    number: str
    customer_id: UUID
    customer_kind: str
    currency: str
    price_list_id: UUID
    valid_until: date
    status: QuoteStatus
    lines: list[QuoteLineOut]
    total: Decimal = Field(description="tax-inclusive")
    net_total: Decimal
    vat_total: Decimal
    approval_reasons: list[str] | None = None
    submitted_by: str | None = None
    decided_by: str | None = None
    note: str | None = None
    version: int


class QuoteRow(BaseModel):
    quote_id: UUID
    number: str
    customer_id: UUID
    customer_name: str | None
    customer_kind: str
    currency: str
    valid_until: date
    status: QuoteStatus
    total_gross: Decimal
    line_count: int
    needs_approval: bool
    drafted_by: str
    drafted_at: datetime
    updated_at: datetime


def _internal(access_or_roles: Any) -> bool:
    """Whether the caller sees how prices were found (the company's people who read prices): customers do not."""
    return "price:read" in permissions_of(access_or_roles.principal.roles)


def _quote_out(quote: Quote, internal: bool = True) -> QuoteOut:
    day = quoting.today()
    lines = []
    for line in quote.lines:
        amount, net = queries.amounts(line["unit_price"], line["net_unit_price"], line["quantity"])
        lines.append(QuoteLineOut(**{k: line[k] for k in ("line_no", "gtin", "quantity", "unit_price",
                                                           "net_unit_price", "vat_rate")}, amount=amount,
                                  net_amount=net, **({k: line[k] for k in ("price_source", "computed_price",
                                                                           "approval_reason", "price_explanation")}
                                                     if internal else {})))
    total, net_total = sum(line.amount for line in lines), sum(line.net_amount for line in lines)
    return QuoteOut(quote_id=quote.id, number=quote.number, customer_id=quote.customer_id,
                    customer_kind=quote.customer_kind, currency=quote.currency, price_list_id=quote.price_list_id,
                    valid_until=quote.valid_until, status=quote.status_on(day), lines=lines, total=total,
                    net_total=net_total, vat_total=total - net_total,
                    approval_reasons=quote.approval_reasons if internal else None,
                    submitted_by=quote.submitted_by if internal else None,
                    decided_by=quote.decided_by if internal else None, note=quote.note, version=quote.version)


@router.post("/quotes", status_code=status.HTTP_201_CREATED, operation_id="draft_quote", responses=REPLAYED)
def draft_quote(body: QuoteIn, response: Response, meta: QuoteCommand, uow: Work, scope: CallerScope,
                idempotency_key: IdempotencyKey = None) -> QuoteOut:
    """A draft quote, each line priced by the rulebook and the explanation kept with it; a price the desk offers
    beyond its authority is kept with the reason it needs a pricing manager's approval."""
    quote, created = quoting.draft_quote(quoting.DraftQuote(
        quote_id=new_aggregate_id("quote", meta.actor, idempotency_key), customer_id=body.customer_id,
        currency=body.currency, price_list_id=body.price_list_id, valid_until=body.valid_until, note=body.note,
        lines=tuple(quoting.QuoteLineRequest(**line.model_dump()) for line in body.lines)), uow, scope)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _quote_out(quote)


def _step(step: str, quote_id: UUID, uow: OrderUnitOfWork, scope: Any) -> QuoteOut:
    return _quote_out(quoting.take_step(quoting.QuoteStep(quote_id=quote_id, step=step), uow, scope))


@router.post("/quotes/{quote_id}/submit", operation_id="submit_quote")
def submit_quote(quote_id: UUID, meta: QuoteCommand, uow: Work, scope: CallerScope) -> QuoteOut:
    """Submitted; approved at once when every price is within the desk's authority."""
    return _step("submit", quote_id, uow, scope)


@router.post("/quotes/{quote_id}/approve", operation_id="approve_quote")
def approve_quote(quote_id: UUID, body: DecisionIn, meta: QuoteDecision, uow: Work, scope: CallerScope) -> QuoteOut:
    """A pricing manager who did not submit it approves its prices, with a reason (409 `four-eyes` otherwise)."""
    command_reason(body.reason, meta)
    return _step("approve", quote_id, uow, scope)


@router.post("/quotes/{quote_id}/reject", operation_id="reject_quote")
def reject_quote(quote_id: UUID, body: DecisionIn, meta: QuoteDecision, uow: Work, scope: CallerScope) -> QuoteOut:
    command_reason(body.reason, meta)
    return _step("reject", quote_id, uow, scope)


@router.post("/quotes/{quote_id}/send", operation_id="send_quote")
def send_quote(quote_id: UUID, meta: QuoteCommand, uow: Work, scope: CallerScope) -> QuoteOut:
    return _step("send", quote_id, uow, scope)


@router.post("/quotes/{quote_id}/accept", operation_id="accept_quote")
def accept_quote(quote_id: UUID, meta: QuoteCommand, uow: Work, scope: CallerScope) -> QuoteOut:
    """The customer accepted it (before it expired)."""
    return _step("accept", quote_id, uow, scope)


def _readable(uow: OrderUnitOfWork, quote_id: UUID, access: Access) -> Quote:
    return quoting.quote_of(uow, quote_id, access.scope, sent_only=not _internal(access))


@router.get("/quotes/{quote_id}", operation_id="get_quote")
def get_quote(quote_id: UUID, uow: Work, access: QuoteReader) -> QuoteOut:
    return _quote_out(_readable(uow, quote_id, access), _internal(access))


@router.get("/quotes/{quote_id}/pdf", operation_id="print_quote",
            responses={200: {"content": {"application/pdf": {}}, "description": "the quote as a PDF"}})
def print_quote(quote_id: UUID, uow: Work, read: Reads, access: QuoteReader,
                language: Annotated[Literal["zh", "en"], Query(alias="lang")] = "zh") -> Response:
    """The quote as a PDF, in Chinese or English, with its font embedded."""
    quote = _readable(uow, quote_id, access)
    names = queries.names(read, [quote.customer_id], [line["gtin"] for line in quote.lines])
    document = QuoteDocument(
        quote_id=quote.id, number=quote.number, customer_name=names.get(str(quote.customer_id), str(quote.customer_id)),
        customer_id=quote.customer_id, currency=quote.currency, valid_until=quote.valid_until,
        issued_at=quote.created_on, status=quote.status_on(quoting.today()), approved_by=quote.decided_by,
        note=quote.note, lines=tuple(QuoteDocumentLine(
            line_no=line["line_no"], gtin=line["gtin"], item_name=names.get(line["gtin"], line["gtin"]),
            quantity=line["quantity"], unit_price=line["unit_price"], net_unit_price=line["net_unit_price"],
            vat_rate=line["vat_rate"]) for line in quote.lines))
    return Response(render_quote_pdf(document, language), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{quote.number}.pdf"'})


@router.get("/quotes", operation_id="list_quotes")
def list_quotes(read: Reads, access: QuoteReader, paging: Paging,
                status_: Annotated[QuoteStatus | None, Query(alias="status")] = None,
                customer_id: Annotated[UUID | None, Query()] = None) -> Page[QuoteRow]:
    """Newest first, of the customers within the caller's scope; a customer's own people see the quotes sent to
    them."""
    visible = None if _internal(access) else quoting.SENT
    return Page.of(QuoteRow, queries.quotes(read, status_, customer_id, visible, access.scope, paging), paging)
