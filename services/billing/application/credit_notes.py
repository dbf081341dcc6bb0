"""Credit notes (红字发票): against one invoice, in full or in part — goods back by quantity at the line's price, or
an allowance or a price correction by net amount — never beyond what is left of a line, with one of the reasons
(return, sales allowance, invoicing error, other). Finance issues them (a price correction, an allowance); a return
the warehouse receives with credit is credited by reactions.py. Each numbered from the series CN-<year>."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from services.billing.application import BillingUnitOfWork
from services.billing.application.invoicing import invoice, take_number
from services.billing.domain import Invoice, RebateAllowance, allowance_id_for, invoice_id_for
from services.billing.domain.invoice import check_credit_reason
from shared.domain.rules import RuleViolation
from shared.platform.command import Command


def credit_note_id_for(source: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:credit-note:{source}")


class IssueCreditNote(Command):
    credit_note_id: UUID
    invoice_id: UUID
    reason: str
    lines: tuple[dict[str, Any], ...]  # line_no with quantity or net_amount; empty with `full`
    full: bool
    on: date
    note: str | None = None


def issue_credit_note(command: IssueCreditNote, uow: BillingUnitOfWork) -> Invoice:
    found = invoice(uow, command.invoice_id)
    if found.number is None:
        raise RuleViolation("credit-note-invoice-numbered", "the invoice was raised before numbering: it is credited"
                            " by hand in the tax system", "invoice_id")
    check_credit_reason(command.reason)
    if command.full == bool(command.lines):
        raise RuleViolation("credit-note-scope", "credit the invoice in full or name lines, one of the two", "lines")
    if any(c["credit_note_id"] == command.credit_note_id for c in found.credit_notes):
        return found  # a retry
    lines = found.full_credit_lines() if command.full else found.credit_note_lines(list(command.lines))
    # A full 红冲 reverses the 票折 too; a partial one credits lines only (the discount stays on the invoice).
    discounts = found.discount_reversal() if command.full else []
    number = take_number(uow, "credit_note", command.credit_note_id, command.on)
    if found.issue_credit_note(command.credit_note_id, number, command.reason, lines, command.on, command.note,
                               discounts):
        uow.collect(found)
        given_back = sum((d["gross_amount"] for d in discounts), Decimal("0.00"))
        if given_back > 0 and found.bill_to_distributor_id is not None:  # the rebate is owed again
            allowance = uow.get(allowance_id_for(found.bill_to_distributor_id), RebateAllowance)
            if allowance is not None:
                allowance.restore(found.id, number, given_back)
                uow.collect(allowance)
    uow.commit()
    return found


class CreditReturn(Command):
    return_id: UUID
    shipment_id: UUID
    lines: tuple[dict[str, Any], ...]  # gtin, lot, quantity
    on: date


def credit_return(command: CreditReturn, uow: BillingUnitOfWork) -> Invoice | None:
    """Goods returned with credit: a credit note for them on the shipment's invoice (once per return), each returned
    gtin and lot taken from the invoice lines that billed them. None when the shipment was never invoiced (consigned
    goods) or the invoice is older than numbering."""
    found = uow.get(invoice_id_for(command.shipment_id), Invoice)
    if found is None or found.number is None:
        return None
    wanted: dict[int, int] = {}
    for returned in command.lines:
        left = returned["quantity"]
        for n, line in enumerate(found.lines, start=1):
            if left and (line["gtin"], line["lot"]) == (returned["gtin"], returned["lot"]):
                room = line["quantity"] - found.credited(n)["quantity"] - wanted.get(n, 0)
                take = min(room, left)
                if take > 0:
                    wanted[n] = wanted.get(n, 0) + take
                    left -= take
    if not wanted:
        return found  # credited already (by hand): nothing is credited twice
    return issue_credit_note(IssueCreditNote(
        credit_note_id=credit_note_id_for(f"return:{command.return_id}"), invoice_id=found.id, reason="return",
        lines=tuple({"line_no": n, "quantity": q} for n, q in sorted(wanted.items())), full=False, on=command.on,
        note=f"return {command.return_id}"), uow)
