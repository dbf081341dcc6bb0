"""Invoices: one per shipment, priced from the order's agreed unit prices, VAT explicit per line."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

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


class Invoice(TracedAggregate):
    @event("Raised")
    def __init__(self, shipment_id: UUID, order_id: UUID, hospital_id: UUID, currency: str,
                 lines: list[dict[str, Any]], net_total: Decimal, vat_total: Decimal, gross_total: Decimal,
                 bill_to_distributor_id: UUID | None = None, discounts: list[dict[str, Any]] | None = None) -> None:
        self.shipment_id = shipment_id
        self.order_id = order_id
        self.hospital_id = hospital_id
        self.bill_to_distributor_id = bill_to_distributor_id
        self.currency = currency
        self.lines = lines
        self.discounts = discounts or []  # rebates settled as 票折 (allowance.py)
        self.net_total, self.vat_total, self.gross_total = net_total, vat_total, gross_total

    @staticmethod
    def create_id(shipment_id: UUID) -> UUID:
        return invoice_id_for(shipment_id)

    @classmethod
    def raise_for(cls, shipment_id: UUID, order_id: UUID, hospital_id: UUID, currency: str,
                  lines: list[dict[str, Any]], bill_to_distributor_id: UUID | None = None,
                  discounts: list[dict[str, Any]] | None = None) -> "Invoice":
        """The invoice with its totals: the lines', less the discounts (票折) when there are any."""
        both = [*lines, *(discounts or [])]
        return cls(shipment_id=shipment_id, order_id=order_id, hospital_id=hospital_id, currency=currency, lines=lines,
                   bill_to_distributor_id=bill_to_distributor_id, discounts=discounts or None,
                   net_total=sum((line["net_amount"] for line in both), Decimal("0.00")),
                   vat_total=sum((line["vat_amount"] for line in both), Decimal("0.00")),
                   gross_total=sum((line["gross_amount"] for line in both), Decimal("0.00")))
