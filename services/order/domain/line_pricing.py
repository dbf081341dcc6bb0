"""How a quote's or an order's line gets its price, from the shared engine (shared/domain/pricing.py) and the
contract, and when a price the desk chose needs a pricing manager.

An order line is priced, in this order: the hospital's active contract (its agreed price; a later list-price change
never re-prices it), else the rulebook (a VBP award, else the winning rule on the list price, capped by a 挂网
ceiling). A price the desk types is `manual`: the order waits for a pricing manager's approval.

A quote line may carry a price the desk chose; it needs approval when:
- the rulebook has no price for it;
- it differs from a mandatory award price (中选价 admits no deviation, up or down);
- it is above the 挂网 ceiling;
- it is below a regional policy's minimum price (a floor), unless the ceiling is lower still;
- it deviates from the computed price by more than the desk's threshold (QUOTE_DEVIATION_PERCENT, 5% unless set).
"""

from dataclasses import asdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shared.domain.pricing import UNIT_PRICE_PLACES, PriceExplanation, gross_of, net_of
from shared.domain.rules import InvalidReference


# A rulebook of thousands of rules may have many candidates for a line: each stored line keeps the highest-priority
# ones (the winner is always among them: the first that matched) and says how many there were.
MAX_CONSIDERED_STORED = 20


def explanation_of(explained: PriceExplanation) -> dict[str, Any]:
    """The explanation as it is stored with the line (plain JSON values, bounded)."""
    plain = asdict(explained)
    for key in ("price", "list_price", "ceiling", "floor"):
        plain[key] = None if plain[key] is None else str(plain[key])
    considered = plain["considered"]
    winner_at = next((i for i, c in enumerate(considered) if c["matched"]), None)
    kept = considered[:MAX_CONSIDERED_STORED]
    if winner_at is not None and winner_at >= MAX_CONSIDERED_STORED:
        kept = considered[:MAX_CONSIDERED_STORED - 1] + [considered[winner_at]]
    plain["considered"], plain["considered_total"] = kept, len(considered)
    return plain


def approval_reason(computed: PriceExplanation, quoted: Decimal, threshold_percent: Decimal) -> str | None:
    """Why a quoted (tax-inclusive) price needs a pricing manager's approval, or None if the desk may give it."""
    if computed.price is None:
        return "the rulebook has no price for this line: a manual price"
    if computed.source == "award" and quoted != computed.price:
        return f"differs from the mandatory award price (中选价) {computed.price} of {computed.award}"
    if computed.ceiling is not None and quoted > computed.ceiling:
        return f"above the platform ceiling (挂网价) {computed.ceiling}"
    if computed.floor is not None and quoted < computed.floor and not (
            computed.ceiling is not None and computed.ceiling < computed.floor):
        return f"below the minimum price {computed.floor} of regional policy {computed.floor_rule}"
    deviation = ((quoted - computed.price) / computed.price * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if abs(deviation) > threshold_percent:
        return (f"deviates {deviation:+}% from the computed price {computed.price}, beyond the {threshold_percent}%"
                " the desk may give")
    return None


def quote_line(line_no: int, gtin: str, quantity: int, computed: PriceExplanation, requested: Decimal | None,
               vat_rate: Decimal, threshold_percent: Decimal) -> dict[str, Any]:
    """A quote line: the computed price unless the desk asked for another, with the reason it needs approval."""
    if requested is None and computed.price is None:
        raise InvalidReference(f"lines[{line_no - 1}].unit_price", "price-found", "give a price: the rulebook has"
                               " none for this product and customer", f"no list, rule or tender price for {gtin}",
                               gtin=gtin)
    price = (requested if requested is not None else computed.price)
    assert price is not None
    price = price.quantize(UNIT_PRICE_PLACES)
    reason = None if requested is None else approval_reason(computed, price, threshold_percent)
    source = "manual" if requested is not None and requested != computed.price else computed.source
    return {"line_no": line_no, "gtin": gtin, "quantity": quantity, "unit_price": price,
            "net_unit_price": net_of(price, vat_rate), "vat_rate": vat_rate,
            "computed_price": computed.price, "price_source": source, "price_explanation": explanation_of(computed),
            "approval_reason": reason}


def order_line_price(index: int, gtin: str, contract_price: tuple[str, Decimal] | None, computed: PriceExplanation,
                     typed_net: Decimal | None, vat_rate: Decimal) -> dict[str, Any]:
    """The price fields of an order line: a typed (net) price is `manual`; else the contract's agreed price; else the
    rulebook's. A line nothing prices is refused (422 naming it)."""
    explanation = explanation_of(computed)
    if typed_net is not None:
        return {"unit_price": typed_net, "gross_unit_price": gross_of(typed_net, vat_rate), "vat_rate": vat_rate,
                "price_source": "manual", "price_explanation": explanation}
    if contract_price is not None:
        contract_id, gross = contract_price
        return {"unit_price": _net_2(gross, vat_rate), "gross_unit_price": gross, "vat_rate": vat_rate,
                "price_source": "contract", "contract_id": contract_id, "price_explanation": explanation}
    if computed.price is None:
        raise InvalidReference(f"lines[{index}].gtin", "price-found", "no contract, tender, rule or list price prices"
                               " this product for this hospital: type a price (it will wait for approval)",
                               f"nothing prices {gtin} for this hospital", gtin=gtin)
    return {"unit_price": _net_2(computed.price, vat_rate), "gross_unit_price": computed.price, "vat_rate": vat_rate,
            "price_source": computed.source, "price_explanation": explanation}


def _net_2(gross: Decimal, vat_rate: Decimal) -> Decimal:
    """The net unit price invoiced (two places, as invoices carry): from the tax-inclusive one."""
    return net_of(gross, vat_rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
