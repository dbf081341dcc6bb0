"""Suppliers (首营): register a supplier once, under a unified social credit code no other supplier has, and record
its qualification documents. Goods are received only from a supplier qualified on the day (receiving.py)."""

from datetime import date
from uuid import UUID

from services.inventory.application import InventoryUnitOfWork
from services.inventory.domain import Supplier
from shared.domain.rules import NotFound, RuleViolation
from shared.platform.eventstore import UniqueClaim
from shared.platform.idempotency import create_once
from shared.platform.command import Command


class RegisterSupplier(Command):
    supplier_id: UUID
    name: str
    credit_code: str | None = None


class RecordQualification(Command):
    supplier_id: UUID
    document_type: str
    number: str
    valid_from: date
    valid_to: date


def register_supplier(command: RegisterSupplier, uow: InventoryUnitOfWork) -> tuple[Supplier, bool]:
    """The supplier, and whether this command created it (False: a retry found the first one)."""
    def create() -> Supplier:
        if command.credit_code is not None:
            _claim_credit_code(uow, command.supplier_id, command.credit_code)
        return Supplier(supplier_id=command.supplier_id, name=command.name, credit_code=command.credit_code)

    return create_once(uow, command.supplier_id, Supplier, create)


def _claim_credit_code(uow: InventoryUnitOfWork, supplier_id: UUID, credit_code: str) -> None:
    """A unified social credit code identifies one company: one supplier record, so one set of qualifications."""
    holder = uow.claimant("supplier-credit-code", credit_code)
    if holder is not None and holder != supplier_id:
        raise RuleViolation("supplier-credit-code-unique", f"a supplier with credit code {credit_code} is already"
                            f" registered ({holder})", "credit_code", existing_supplier_id=holder)
    uow.claim(UniqueClaim("supplier-credit-code", credit_code, supplier_id))


def record_qualification(command: RecordQualification, uow: InventoryUnitOfWork) -> Supplier:
    found = supplier(uow, command.supplier_id)
    found.record_qualification(command.document_type, command.number, command.valid_from, command.valid_to)
    uow.collect(found)
    uow.commit()
    return found


def supplier(uow: InventoryUnitOfWork, supplier_id: UUID) -> Supplier:
    found = uow.get(supplier_id, Supplier)
    if found is None:
        raise NotFound("Supplier", supplier_id)
    return found
