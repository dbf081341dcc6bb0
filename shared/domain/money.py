"""Money as every service takes it: Decimal with two places (the currency's minor unit for CNY, USD, EUR), bounded
so that any document built from accepted input fits every contract and read model downstream.

The event contracts carry amounts as `Money` (18 digits, 2 places) and the read models store numeric(18,2): at most
9,999,999,999,999,999.99. A document (an order, an invoice) is bounded well below that, so that VAT and the sums
of its lines always fit; a unit price and a quantity are bounded so that a line does too. An order that took
1,000 units at 99,999,999,999,999.99 was once accepted and then made invisible by the order list that could not
hold its total; such input is now refused when it arrives.
"""

from decimal import Decimal
from typing import Annotated

from pydantic import Field

MAX_UNIT_PRICE = Decimal("9999999999.99")          # ten billion per unit: far above any device's price
MAX_LINE_QUANTITY = 100_000
MAX_DOCUMENT_AMOUNT = Decimal("9999999999999.99")  # ten trillion: an order's or invoice's net total
MAX_VAT_RATE = Decimal("1")

UnitPrice = Annotated[Decimal, Field(ge=0, le=MAX_UNIT_PRICE, max_digits=12, decimal_places=2,
                                     description=f"per unit, two decimal places, at most {MAX_UNIT_PRICE}")]
# A list price may carry four places (a unit of a box priced at a round box price); what is invoiced is rounded to two.
ListUnitPrice = Annotated[Decimal, Field(gt=0, le=MAX_UNIT_PRICE, max_digits=14, decimal_places=4,
                                         description=f"per unit, up to four decimal places, at most {MAX_UNIT_PRICE}")]
LineQuantity = Annotated[int, Field(gt=0, le=MAX_LINE_QUANTITY)]


def document_total_problem(total: Decimal) -> str | None:
    if total > MAX_DOCUMENT_AMOUNT:
        return f"the total {total} is above {MAX_DOCUMENT_AMOUNT}, the most one document may carry"
    return None
