"""Recording a distributor's second invoice (两票制, domain/two_invoices.py): each line's cited first invoice found
by its number, its chain judged against that invoice and what earlier second invoices cited of it, the hospital's
province deciding whether the rule applies. Recorded once per distributor and number."""

from datetime import date
from typing import Any
from uuid import UUID

from services.billing.application import BillingUnitOfWork
from services.billing.domain import Invoice
from services.billing.domain.two_invoices import SecondInvoice, flag_of, second_invoice_id_for
from shared.domain.rules import InvalidReference, RuleViolation
from shared.platform.command import Command
from shared.platform.idempotency import create_once


class RecordSecondInvoice(Command):
    distributor_id: UUID
    number: str
    hospital_id: UUID
    issued_on: date
    lines: tuple[dict[str, Any], ...]  # gtin, lot, quantity, first_invoice_number


def record_second_invoice(command: RecordSecondInvoice, uow: BillingUnitOfWork) -> tuple[SecondInvoice, bool]:
    if uow.receivables.customer_kind(command.hospital_id) != "hospital":
        raise InvalidReference("hospital_id", "registered-hospital", "name a registered hospital",
                               f"no hospital {command.hospital_id}")

    def recorded() -> SecondInvoice:
        numbers = [line["first_invoice_number"] for line in command.lines if line.get("first_invoice_number")]
        firsts = uow.receivables.invoices_numbered(numbers) if numbers else {}
        province = uow.receivables.region_of(command.hospital_id)
        applies = "*" in uow.settings.two_invoice_provinces or province in uow.settings.two_invoice_provinces
        cited_here: dict[tuple, int] = {}
        lines = []
        for n, line in enumerate(command.lines, start=1):
            found = firsts.get(line.get("first_invoice_number") or "")
            first = uow.get(found[0], Invoice) if found else None
            key = (first.id if first else None, line["gtin"], line["lot"])
            before = (uow.receivables.cited(first.id, line["gtin"], line["lot"]) if first else 0) + cited_here.get(key, 0)
            flag = flag_of(command.distributor_id, line, first, before)
            cited_here[key] = cited_here.get(key, 0) + line["quantity"]
            lines.append({"line_no": n, "gtin": line["gtin"], "lot": line["lot"], "quantity": line["quantity"],
                          "first_invoice_number": line.get("first_invoice_number"),
                          "first_invoice_id": first.id if first else None, "flag": flag if applies else None})
        return SecondInvoice(distributor_id=command.distributor_id, number=command.number,
                             hospital_id=command.hospital_id, issued_on=command.issued_on, province=province,
                             rule_applies=applies, lines=lines)

    found, created = create_once(uow, second_invoice_id_for(command.distributor_id, command.number), SecondInvoice,
                                 recorded)
    if not created and (found.hospital_id, found.issued_on, len(found.lines)) != (
            command.hospital_id, command.issued_on, len(command.lines)):
        raise RuleViolation("second-invoice-number-unique", f"invoice {command.number} of this distributor was"
                            " recorded with other contents", "number")
    return found, created
