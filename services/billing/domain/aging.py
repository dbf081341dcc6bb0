"""Aging (账龄) and DSO, as pure functions over open items. Buckets are judged on whole days: by due date (days past
due; an item not yet due is `not_due`) or by invoice date (days since issue). With the default bounds
[30, 60, 90, 180, 365] the buckets are 0-30, 31-60, 61-90, 91-180, 181-365 and >365 — day 30 is still in the first,
day 31 the second."""

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

NOT_DUE = "not_due"
DISPUTED = "disputed"  # open on an invoice its customer disputes: out of the age buckets (and of dunning) until resolved


def bucket_labels(bounds: list[int]) -> list[str]:
    labels, low = [], 0
    for high in bounds:
        labels.append(f"{low}-{high}")
        low = high + 1
    return [*labels, f">{bounds[-1]}"]


def bucket_of(days: int, bounds: list[int]) -> str:
    """The bucket of an item `days` past due (or old); negative: not yet due."""
    if days < 0:
        return NOT_DUE
    labels = bucket_labels(bounds)
    for label, high in zip(labels, bounds, strict=False):
        if days <= high:
            return label
    return labels[-1]


def aged(items: Iterable[tuple[date, Decimal]], as_of: date, bounds: list[int],
         disputed: Decimal = Decimal("0.00")) -> dict[str, Decimal]:
    """Open amounts per bucket: each item is (the day it is aged from — due date or invoice date —, open amount);
    `disputed`, what is open on disputed invoices, has a bucket of its own. Every bucket is present (zero when
    empty), `not_due` first, so that the buckets add up to the balance."""
    totals = {NOT_DUE: Decimal("0.00"), **{label: Decimal("0.00") for label in bucket_labels(bounds)},
              DISPUTED: disputed}
    for since, amount in items:
        totals[bucket_of((as_of - since).days, bounds)] += amount
    return totals


def days_sales_outstanding(receivable: Decimal, credit_sales: Decimal, days: int) -> Decimal | None:
    """DSO: the receivable over the credit sales of the last `days` days, times `days` (None without sales)."""
    if credit_sales <= 0:
        return None
    return (receivable / credit_sales * days).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
