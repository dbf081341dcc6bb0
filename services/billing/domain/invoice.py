"""Invoices: one per shipment, priced from the order's agreed unit prices, VAT explicit per line; their credit notes
(红字发票, each citing the invoice) and the payments applied to them.

Rounding: each line's net amount is unit price × quantity rounded half up to the cent, its VAT the net × the line's
rate rounded half up, its gross the two added; totals add the lines (never recomputed from totals), so a credit note
of a whole line takes back exactly what the line charged."""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

# China's standard VAT rate on medical devices: for order lines that do not carry the item's own rate.
STANDARD_VAT_RATE = Decimal("0.13")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class AgreedTerms:
    """What an order agreed, as billing learned it from the order's events: its currency, and the net unit price and
    the VAT rate (the item's) per GTIN."""

    currency: str
    unit_prices: dict[str, Decimal]
    vat_rates: dict[str, Decimal] = field(default_factory=dict)
    contract: tuple[UUID, UUID, int] | None = None  # the contract that priced it: id, customer, payment terms days


def invoice_id_for(shipment_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:invoice:{shipment_id}")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def price_lines(shipped: list[dict[str, Any]], unit_prices: dict[str, Decimal],
                vat_rates: dict[str, Decimal] | None = None) -> list[dict[str, Any]]:
    """Shipped lines (gtin, lot, quantity) priced at the order's net unit price per GTIN, with the GTIN's VAT rate
    (13% where the order did not say); VAT rounded per line, half up."""
    lines = []
    for s in shipped:
        unit_price = unit_prices[s["gtin"]]
        vat_rate = (vat_rates or {}).get(s["gtin"], STANDARD_VAT_RATE)
        net = _money(unit_price * s["quantity"])
        vat = _money(net * vat_rate)
        lines.append({"gtin": s["gtin"], "lot": s["lot"], "quantity": s["quantity"], "unit_price": unit_price,
                      "net_amount": net, "vat_rate": vat_rate, "vat_amount": vat, "gross_amount": net + vat})
    return lines


CREDIT_REASONS = ("return", "sales_allowance", "invoicing_error", "other")  # 红字发票 reasons


def check_credit_reason(reason: str) -> None:
    if reason not in CREDIT_REASONS:
        raise RuleViolation("credit-note-reason", f"a credit note's reason is one of {', '.join(CREDIT_REASONS)}",
                            "reason")


class Invoice(TracedAggregate):
    """A (blue) invoice and what happened to it: its credit notes (红字, each citing it) and the payments applied to
    it. What is open of it is the gross total less what its credit notes took back and its payments paid."""

    source = "shipment"  # raised by this system for goods shipped; an opening receivable (opening.py) says "opening"

    @event("Raised")
    def __init__(self, shipment_id: UUID, order_id: UUID, hospital_id: UUID, currency: str,
                 lines: list[dict[str, Any]], net_total: Decimal, vat_total: Decimal, gross_total: Decimal,
                 bill_to_distributor_id: UUID | None = None, discounts: list[dict[str, Any]] | None = None,
                 number: str | None = None, issued_on: date | None = None, due_on: date | None = None,
                 payment_terms_days: int | None = None, payment_terms_source: str | None = None) -> None:
        self.shipment_id = shipment_id
        self.order_id = order_id
        self.hospital_id = hospital_id
        self.bill_to_distributor_id = bill_to_distributor_id
        self.currency = currency
        self.lines = lines
        self.discounts = discounts or []  # rebates settled as 票折 (allowance.py)
        self.net_total, self.vat_total, self.gross_total = net_total, vat_total, gross_total
        # Invoices raised before numbering and payment terms have none (they are listed without).
        self.number, self.issued_on, self.due_on = number, issued_on, due_on
        self.payment_terms_days, self.payment_terms_source = payment_terms_days, payment_terms_source
        self.credit_notes: list[dict[str, Any]] = []
        self.payments: dict[str, Decimal] = {}  # payment id -> amount applied

    @staticmethod
    def create_id(shipment_id: UUID) -> UUID:
        return invoice_id_for(shipment_id)

    @property
    def customer_id(self) -> UUID:
        """The party billed: the distributor the goods went through (两票制), else the hospital."""
        return self.bill_to_distributor_id or self.hospital_id

    @classmethod
    def raise_for(cls, shipment_id: UUID, order_id: UUID, hospital_id: UUID, currency: str,
                  lines: list[dict[str, Any]], bill_to_distributor_id: UUID | None = None,
                  discounts: list[dict[str, Any]] | None = None, number: str | None = None,
                  issued_on: date | None = None, due_on: date | None = None, payment_terms_days: int | None = None,
                  payment_terms_source: str | None = None) -> "Invoice":
        """The invoice with its totals: the lines', less the discounts (票折) when there are any."""
        both = [*lines, *(discounts or [])]
        numbered = {"number": number, "issued_on": issued_on, "due_on": due_on,
                    "payment_terms_days": payment_terms_days, "payment_terms_source": payment_terms_source}
        return cls(shipment_id=shipment_id, order_id=order_id, hospital_id=hospital_id, currency=currency, lines=lines,
                   bill_to_distributor_id=bill_to_distributor_id, discounts=discounts or None,
                   net_total=sum((line["net_amount"] for line in both), Decimal("0.00")),
                   vat_total=sum((line["vat_amount"] for line in both), Decimal("0.00")),
                   gross_total=sum((line["gross_amount"] for line in both), Decimal("0.00")),
                   **{k: v for k, v in numbered.items() if v is not None})

    def check_printable(self) -> None:
        """This system's invoice prints as it was raised (an opening receivable does not: opening.py)."""

    # --- what is left of it ----------------------------------------------------------------------------------------

    def credited(self, line_no: int) -> dict[str, Any]:
        """What the credit notes took back of a line: quantity, net amount and VAT."""
        quantity, net, vat = 0, Decimal("0.00"), Decimal("0.00")
        for note in self.__dict__.get("credit_notes", []):
            for line in note["lines"]:
                if line.get("line_no") == line_no:
                    quantity += line["quantity"]
                    net += -line["net_amount"]
                    vat += -line["vat_amount"]
        return {"quantity": quantity, "net_amount": net, "vat_amount": vat}

    @property
    def credited_total(self) -> Decimal:
        return sum((-note["gross_total"] for note in self.__dict__.get("credit_notes", [])), Decimal("0.00"))

    @property
    def paid_total(self) -> Decimal:
        return sum(self.__dict__.get("payments", {}).values(), Decimal("0.00"))

    @property
    def open_amount(self) -> Decimal:
        """What the customer still owes on it (negative: credited beyond what it paid, owed back)."""
        return self.gross_total - self.credited_total - self.paid_total

    # --- credit notes (红字) -----------------------------------------------------------------------------------------

    def credit_note_lines(self, wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The credit note's lines for what is asked back — per line, a quantity (goods back: at the line's unit
        price) or a net amount (an allowance or a price correction on the line) — in the invoice's line order, none
        beyond what is left of its line; each negative, VAT at the line's rate rounded half up."""
        seen: set[int] = set()
        found = []
        for n, asked in enumerate(sorted(wanted, key=lambda w: w["line_no"])):
            field = f"lines[{n}]"
            line_no = asked["line_no"]
            if not 1 <= line_no <= len(self.lines):
                raise RuleViolation("credit-note-line", f"the invoice has lines 1 to {len(self.lines)}, not {line_no}",
                                    f"{field}.line_no")
            if line_no in seen:
                raise RuleViolation("credit-note-line", f"line {line_no} is named twice", f"{field}.line_no")
            seen.add(line_no)
            line, left = self.lines[line_no - 1], self.credited(line_no)
            quantity_left = line["quantity"] - left["quantity"]
            net_left = line["net_amount"] - left["net_amount"]
            quantity = asked.get("quantity") or 0
            if quantity:
                if quantity > quantity_left:
                    raise RuleViolation("credit-note-over-line", f"line {line_no} has {quantity_left} of"
                                        f" {line['quantity']} left to credit, not {quantity}", f"{field}.quantity",
                                        left=quantity_left)
                net = min(_money(line["unit_price"] * quantity), net_left) if quantity < quantity_left else net_left
            else:
                net = asked["net_amount"]
                if not Decimal("0") < net <= net_left:
                    raise RuleViolation("credit-note-over-line", f"line {line_no} has {net_left} net left to credit,"
                                        f" not {net}", f"{field}.net_amount", left=str(net_left))
            # The whole rest of a line takes back exactly the VAT it has left; a part, its own VAT, rounded.
            vat = line["vat_amount"] - left["vat_amount"] if net == net_left else _money(net * line["vat_rate"])
            found.append({"line_no": line_no, "gtin": line["gtin"], "lot": line["lot"], "quantity": quantity,
                          "net_amount": -net, "vat_rate": line["vat_rate"], "vat_amount": -vat,
                          "gross_amount": -(net + vat)})
        if not found:
            raise RuleViolation("credit-note-line", "name at least one line to credit", "lines")
        return found

    def full_credit_lines(self) -> list[dict[str, Any]]:
        """Everything left of every line (a full 红冲)."""
        return self.credit_note_lines([{"line_no": n, "quantity": line["quantity"] - self.credited(n)["quantity"]}
                                       for n, line in enumerate(self.lines, start=1)
                                       if line["quantity"] > self.credited(n)["quantity"]])

    def discount_reversal(self) -> list[dict[str, Any]]:
        """What a full 红冲 adds back of the invoice's 票折 lines: each discount, positive, unless a credit note
        reversed them already. A red invoice mirrors the blue one: crediting the lines alone would take back VAT
        on an amount the invoice never charged."""
        if any(c.get("discounts") for c in self.__dict__.get("credit_notes", [])):
            return []
        return [{"vat_rate": d["vat_rate"], "net_amount": -d["net_amount"], "vat_amount": -d["vat_amount"],
                 "gross_amount": -d["gross_amount"], "settlements": d["settlements"]} for d in self.discounts]

    def issue_credit_note(self, credit_note_id: UUID, number: str, reason: str, lines: list[dict[str, Any]],
                          issued_on: date, note: str | None = None,
                          discounts: list[dict[str, Any]] | None = None) -> bool:
        """Record a credit note citing this invoice, with the 票折 it reverses (a full 红冲); False when it is
        recorded already (a retry)."""
        if any(c["credit_note_id"] == credit_note_id for c in self.__dict__.get("credit_notes", [])):
            return False
        check_credit_reason(reason)
        if self.issued_on is not None and issued_on < self.issued_on:
            raise RuleViolation("credit-note-date", f"a credit note cites its invoice: not before it ({self.issued_on})",
                                "issued_on")
        both = [*lines, *(discounts or [])]
        gross = sum((line["gross_amount"] for line in both), Decimal("0.00"))
        if gross >= 0:
            raise RuleViolation("credit-note-nothing-to-credit", "the lines left, less the invoice's discount, come"
                                " to nothing: there is no amount to credit", "lines")
        self._credit_note_issued(credit_note_id=credit_note_id, number=number, reason=reason, lines=lines,
                                 net_total=sum((line["net_amount"] for line in both), Decimal("0.00")),
                                 vat_total=sum((line["vat_amount"] for line in both), Decimal("0.00")),
                                 gross_total=gross, issued_on=issued_on, note=note, discounts=discounts or None)
        return True

    @event("CreditNoteIssued")
    def _credit_note_issued(self, credit_note_id: UUID, number: str, reason: str, lines: list[dict[str, Any]],
                            net_total: Decimal, vat_total: Decimal, gross_total: Decimal, issued_on: date,
                            note: str | None, discounts: list[dict[str, Any]] | None = None) -> None:
        self.credit_notes = [*self.__dict__.get("credit_notes", []), {
            "credit_note_id": credit_note_id, "number": number, "reason": reason, "lines": lines,
            "net_total": net_total, "vat_total": vat_total, "gross_total": gross_total, "issued_on": issued_on,
            "note": note, **({"discounts": discounts} if discounts else {})}]

    # --- payments ---------------------------------------------------------------------------------------------------

    def apply_payment(self, payment_id: UUID, amount: Decimal, applied_on: date) -> None:
        """Apply part of a payment; never more than is open."""
        if amount > self.open_amount:
            raise RuleViolation("allocation-over-invoice", f"invoice {self.number or self.id} has {self.open_amount}"
                                f" open, not {amount}", "amount", open=str(self.open_amount))
        self._payment_applied(payment_id=payment_id, amount=amount, applied_on=applied_on)

    @event("PaymentApplied")
    def _payment_applied(self, payment_id: UUID, amount: Decimal, applied_on: date) -> None:
        payments = dict(self.__dict__.get("payments", {}))
        payments[str(payment_id)] = payments.get(str(payment_id), Decimal("0.00")) + amount
        self.payments = payments

    def unapply_payment(self, payment_id: UUID, reason: str, on: date) -> Decimal:
        """A payment reversed (bounced): what it paid here is open again; what it was (0: nothing)."""
        amount = self.__dict__.get("payments", {}).get(str(payment_id), Decimal("0.00"))
        if amount:
            self._payment_unapplied(payment_id=payment_id, amount=amount, reason=reason, unapplied_on=on)
        return amount

    @event("PaymentUnapplied")
    def _payment_unapplied(self, payment_id: UUID, amount: Decimal, reason: str, unapplied_on: date) -> None:
        self.payments = {k: v for k, v in self.payments.items() if k != str(payment_id)}
