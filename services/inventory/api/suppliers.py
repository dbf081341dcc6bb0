"""Suppliers and their qualifications (首营) over HTTP. Handlers: application/suppliers.py."""

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from stdnum.cn import uscc

from services.inventory import queries
from services.inventory.api.common import SupplierCommand, SupplierReader, Work
from services.inventory.application import suppliers
from services.inventory.domain.supplier import DOCUMENT_TYPES
from shared.domain.text import Name, single_line
from shared.domain.validity import ValidityPeriod
from shared.platform.api import REPLAYED, IdempotencyKey
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads
from shared.domain.business_day import business_today

router = APIRouter(tags=["inventory", "suppliers"])
DocumentType = Literal[DOCUMENT_TYPES]  # type: ignore[valid-type]


class RegisterSupplier(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Name
    credit_code: str | None = Field(None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$",
                                    description="unified social credit code (统一社会信用代码), 18 characters,"
                                                " the last a check character (GB 32100-2015)")

    @field_validator("credit_code")
    @classmethod
    def _check_character(cls, value: str | None) -> str | None:
        if value is not None and not uscc.is_valid(value):
            raise ValueError(f"{value} is not a valid unified social credit code: its check character is wrong")
        return value


class RecordQualification(ValidityPeriod):
    document_type: DocumentType
    number: single_line(100, "the licence or certificate number")  # type: ignore[valid-type]


class QualificationOut(BaseModel):
    document_type: str
    number: str
    valid_from: date
    valid_to: date


class SupplierOut(BaseModel):
    supplier_id: UUID
    name: str
    credit_code: str | None
    documents: list[QualificationOut]
    qualified_today: bool
    missing_today: list[str] = Field(description="required qualifications not valid today (each: one of the types)")
    version: int


class SupplierRow(BaseModel):
    supplier_id: UUID
    name: str
    credit_code: str | None


def _supplier_out(s: Any) -> SupplierOut:
    missing = s.missing_on(business_today())
    return SupplierOut(supplier_id=s.id, name=s.name, credit_code=s.credit_code,
                       documents=[QualificationOut(**d) for d in s.documents], qualified_today=not missing,
                       missing_today=missing, version=s.version)


@router.post("/suppliers", status_code=status.HTTP_201_CREATED, operation_id="register_supplier", responses=REPLAYED)
def register_supplier(body: RegisterSupplier, response: Response, meta: SupplierCommand, uow: Work,
                      idempotency_key: IdempotencyKey = None) -> SupplierOut:
    supplier, created = suppliers.register_supplier(suppliers.RegisterSupplier(
        supplier_id=new_aggregate_id("supplier", meta.actor, idempotency_key), name=body.name,
        credit_code=body.credit_code), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _supplier_out(supplier)


@router.get("/suppliers", operation_id="list_suppliers")
def list_suppliers(read: Reads, _: SupplierReader, paging: Paging,
                   name: Annotated[str | None, Query(max_length=200)] = None) -> Page[SupplierRow]:
    return Page.of(SupplierRow, queries.suppliers(read, name, paging), paging)


@router.get("/suppliers/{supplier_id}", operation_id="get_supplier")
def get_supplier(supplier_id: UUID, uow: Work, _: SupplierReader) -> SupplierOut:
    return _supplier_out(suppliers.supplier(uow, supplier_id))


@router.post("/suppliers/{supplier_id}/qualifications", status_code=status.HTTP_201_CREATED,
             operation_id="record_supplier_qualification")
def record_qualification(supplier_id: UUID, body: RecordQualification, _: SupplierCommand,
                         uow: Work) -> SupplierOut:
    return _supplier_out(suppliers.record_qualification(suppliers.RecordQualification(
        supplier_id=supplier_id, document_type=body.document_type, number=body.number, valid_from=body.valid_from,
        valid_to=body.valid_to), uow))
