"""Contracts HTTP API: draft (from an accepted quote or a template), sign, amend (a new version, with a reason),
terminate (with a reason); read one as a contract 360 (terms, amendments, consumption, orders), list them; and the
volume-based-procurement progress of hospitals against their agreed volumes."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.order import queries
from services.order.application import OrderUnitOfWork, contracting
from services.order.application.quoting import today
from services.order.domain.contracts import TEMPLATES, Contract, ceiling_of, completion
from shared.domain.gtin import GTINInput
from shared.domain.money import ListUnitPrice
from shared.platform.access import permitted
from shared.platform.api import REPLAYED, CallerScope, IdempotencyKey, command_by, command_reason
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["contracts"])
Work = Annotated[OrderUnitOfWork, Depends(unit_of_work)]
ContractCommand = command_by("contract:manage", scope="contract")
ContractReader = permitted("contract:read", scope="contract")
VbpReader = permitted("contract:read", scope="hospital")

Template = Literal["framework", "vbp", "distribution"]
ContractStatus = Literal["draft", "active", "expired", "terminated"]
Volume = Annotated[int, Field(gt=0, le=100_000_000)]


class ContractLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gtin: GTINInput
    committed_quantity: Volume | None = Field(None, description="absent from a quote: the quoted quantity")
    unit_price: ListUnitPrice | None = Field(None, description="tax-inclusive (含税) agreed price; absent: the quote's,"
                                                               " else the rulebook's on the first day")


class TermsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    payment_terms_days: int | None = Field(None, ge=0, le=720, description="absent: the template's")
    delivery_terms: str | None = Field(None, min_length=1, max_length=500)
    min_remaining_shelf_life_days: int | None = Field(None, ge=0, le=3650)
    over_delivery_allowance_percent: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    authorized_distributor_id: UUID | None = Field(None, description="the delivering distributor (配送商) it names")


class ContractIn(TermsIn):
    template: Template = Field(description="framework: 年度供货协议; vbp: 带量采购协议; distribution: 经销协议")
    customer_id: UUID | None = Field(None, description="absent when drafted from a quote (the quote's customer)")
    from_quote_id: UUID | None = Field(None, description="an accepted quote whose prices and quantities it agrees")
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    valid_from: date
    valid_to: date
    lines: list[ContractLineIn] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _customer_or_quote(self) -> "ContractIn":
        if (self.customer_id is None) == (self.from_quote_id is None):
            raise ValueError("name the customer_id, or the from_quote_id whose customer it is: one of the two")
        if self.from_quote_id is None and not self.lines:
            raise ValueError("a contract from a template agrees at least one line")
        return self


class AmendedLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gtin: GTINInput
    committed_quantity: Volume
    unit_price: ListUnitPrice


class AmendmentIn(TermsIn):
    valid_to: date | None = None
    lines: list[AmendedLineIn] | None = Field(None, min_length=1, max_length=500, description="replaces the lines")
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


class TerminationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    effective_on: date | None = Field(None, description="default: today")
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


class ConsumptionOut(BaseModel):
    gtin: str
    unit_price: Decimal
    committed: int
    most: int = Field(description="committed plus the over-delivery allowance: the most orders may take")
    ordered: int
    shipped: int
    invoiced: int
    completion_rate: Decimal = Field(description="ordered / committed")
    time_elapsed: Decimal = Field(description="share of the contract's period gone by today")
    behind: bool = Field(description="less ordered than time elapsed (a VBP hospital behind its agreed volume)")


class ContractOut(BaseModel):
    contract_id: UUID
    number: str
    template: str
    title: str
    customer_id: UUID
    customer_kind: str
    currency: str
    status: ContractStatus
    terms: dict[str, Any]
    signed_on: date | None
    terminated_on: date | None
    from_quote_id: UUID | None
    amendments: list[dict[str, Any]]
    version: int


class Contract360(ContractOut):
    consumption: list[ConsumptionOut]
    orders: list[dict[str, Any]] = Field(description="the orders placed under it, newest first (at most 200)")


class ContractRow(BaseModel):
    contract_id: UUID
    number: str
    template: str
    customer_id: UUID
    customer_name: str | None
    customer_kind: str
    currency: str
    valid_from: date
    valid_to: date
    status: ContractStatus
    authorized_distributor_id: UUID | None
    amendments: int
    line_count: int
    drafted_at: datetime
    updated_at: datetime


class VbpProgressRow(BaseModel):
    tender_price_id: str
    reference: str
    gtin: str
    hospital_id: UUID
    hospital_name: str | None
    price: Decimal
    agreed: int
    ordered: int
    valid_from: date
    valid_to: date | None
    completion_rate: Decimal
    time_elapsed: Decimal
    behind: bool


def _contract_out(contract: Contract) -> ContractOut:
    return ContractOut(contract_id=contract.id, number=contract.number, template=contract.template,
                       title=TEMPLATES[contract.template]["title"], customer_id=contract.customer_id,
                       customer_kind=contract.customer_kind, currency=contract.currency,
                       status=contract.status_on(today()), terms=contract.terms, signed_on=contract.signed_on,
                       terminated_on=contract.terminated_on, from_quote_id=contract.from_quote_id,
                       amendments=[{"amendment": a["amendment"], "terms": a["terms"]} for a in contract.amendments],
                       version=contract.version)


@router.post("/contracts", status_code=status.HTTP_201_CREATED, operation_id="draft_contract", responses=REPLAYED)
def draft_contract(body: ContractIn, response: Response, meta: ContractCommand, uow: Work, scope: CallerScope,
                   idempotency_key: IdempotencyKey = None) -> ContractOut:
    """A draft contract from an accepted quote (its prices and quantities) or a template (its default terms)."""
    contract, created = contracting.draft_contract(contracting.DraftContract(
        contract_id=new_aggregate_id("contract", meta.actor, idempotency_key),
        lines=tuple(contracting.ContractLineRequest(**line.model_dump()) for line in body.lines),
        **body.model_dump(exclude={"lines"})), uow, scope)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _contract_out(contract)


@router.post("/contracts/{contract_id}/sign", operation_id="sign_contract")
def sign_contract(contract_id: UUID, meta: ContractCommand, uow: Work, scope: CallerScope) -> ContractOut:
    """Signed: active, and orders call off from it within its validity."""
    return _contract_out(contracting.sign(contracting.SignContract(contract_id=contract_id), uow, scope))


@router.post("/contracts/{contract_id}/amendments", operation_id="amend_contract")
def amend_contract(contract_id: UUID, body: AmendmentIn, meta: ContractCommand, uow: Work,
                   scope: CallerScope) -> ContractOut:
    """New terms as a new version (the earlier stay in its history); orders already placed keep their prices."""
    command_reason(body.reason, meta)
    changes = body.model_dump(exclude={"reason"}, exclude_none=True)
    return _contract_out(contracting.amend(contracting.AmendContract(contract_id=contract_id, changes=changes), uow,
                                           scope))


@router.post("/contracts/{contract_id}/terminate", operation_id="terminate_contract")
def terminate_contract(contract_id: UUID, body: TerminationIn, meta: ContractCommand, uow: Work,
                       scope: CallerScope) -> ContractOut:
    command_reason(body.reason, meta)
    return _contract_out(contracting.terminate(contracting.TerminateContract(
        contract_id=contract_id, effective_on=body.effective_on or today()), uow, scope))


@router.get("/contracts/{contract_id}", operation_id="get_contract")
def get_contract(contract_id: UUID, uow: Work, read: Reads, access: ContractReader) -> Contract360:
    """The contract 360: terms, amendments, consumption per GTIN (ordered, shipped, invoiced against committed, and
    completion against time elapsed), and its orders."""
    contract = contracting.contract_of(uow, contract_id, access.scope)
    flows = queries.contract_flows(read, contract.id)
    day, terms = today(), contract.terms
    consumption = []
    for line in terms["lines"]:
        flow = flows.get(line["gtin"], {"ordered": 0, "shipped": 0, "invoiced": 0})
        ordered = contract.called_off.get(line["gtin"], 0)  # the contract's own count: what its checks use
        done = completion(ordered, line["committed_quantity"], terms["valid_from"], terms["valid_to"], day)
        consumption.append(ConsumptionOut(
            gtin=line["gtin"], unit_price=line["unit_price"], committed=line["committed_quantity"],
            most=ceiling_of(line["committed_quantity"], Decimal(terms["over_delivery_allowance_percent"])),
            ordered=ordered, shipped=flow["shipped"], invoiced=flow["invoiced"], completion_rate=done.rate,
            time_elapsed=done.elapsed, behind=done.behind))
    return Contract360(**_contract_out(contract).model_dump(), consumption=consumption,
                       orders=queries.contract_orders(read, contract.id))


@router.get("/contracts", operation_id="list_contracts")
def list_contracts(read: Reads, access: ContractReader, paging: Paging,
                   status_: Annotated[ContractStatus | None, Query(alias="status")] = None,
                   customer_id: Annotated[UUID | None, Query()] = None,
                   template: Annotated[Template | None, Query()] = None,
                   gtin: Annotated[GTINInput | None, Query(description="contracts agreeing a price for it")] = None,
                   ) -> Page[ContractRow]:
    where = queries.ContractFilter(status_, customer_id, template, gtin)
    return Page.of(ContractRow, queries.contracts(read, where, access.scope, paging), paging)


@router.get("/vbp-progress", operation_id="vbp_progress")
def vbp_progress(read: Reads, access: VbpReader, paging: Paging,
                 hospital_id: Annotated[UUID | None, Query()] = None,
                 gtin: Annotated[GTINInput | None, Query()] = None) -> Page[VbpProgressRow]:
    """Each VBP award's agreed volume per hospital (约定采购量), the units ordered at its price, and the completion
    rate against the time elapsed of its period: flagged when behind."""
    rows, total = queries.vbp_progress(read, hospital_id, gtin, access.scope, paging)
    day, items = today(), []
    for row in rows:
        end = row["valid_to"] or day
        done = completion(row["ordered"], row["agreed"], row["valid_from"], max(end, row["valid_from"]), day)
        items.append(VbpProgressRow(**row, completion_rate=done.rate, time_elapsed=done.elapsed, behind=done.behind))
    return Page[VbpProgressRow](items=items, total=total, limit=paging.limit, offset=paging.offset)
