"""Hospital procurement platforms (阳光采购 / 省级医用耗材招采平台): what the order service asks of one, whatever its
field names.

A provincial platform is where a public hospital orders consumables: the hospital places an order there against the
platform's listed (挂网) products; the supplier pulls it, confirms it will deliver through its 配送企业 (the
distribution relationship), confirms each delivery, pushes the invoice, and pulls the hospital's acceptance
(验收/入库确认). `PlatformConnector` is that conversation; each platform has ONE adapter module in this package that
alone knows its URLs and field names (simulated.py: the reference adapter, against simulator.py). The sync that
places pulled orders through the normal order rules is services/order/platforms/sync.py.

Failures an adapter answers with:
- `PlatformUnavailable`: the platform could not be reached or answered 5xx/timeout (an outage): try again later;
- `PlatformRefused`: the platform answered and said no (4xx, or its business code): retrying the same call will not
  help, a person must look.
Every push carries a request id (`request_id`, the outbox message's id) the platform de-duplicates on, so a push
retried after a lost answer is recorded once.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol


class PlatformError(Exception):
    """A call to a procurement platform failed."""


class PlatformUnavailable(PlatformError):
    """The platform is down, unreachable or too slow (connection refused, timeout, 5xx): retry later."""


class PlatformRefused(PlatformError):
    """The platform answered and refused the call (4xx or a business error code): not worth retrying."""


@dataclass(frozen=True, kw_only=True)
class PlatformLine:
    """One line of a platform order: the platform's product code (its 产品编码/挂网编号), the product's UDI-DI
    (for GS1-labelled devices the GTIN the order service knows the item by), quantity and the platform's unit price
    (采购单价, tax included)."""

    line_no: int
    product_code: str
    udi_di: str | None
    quantity: int
    unit_price: Decimal | None = None
    product_name: str | None = None
    specification: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlatformOrder:
    """An order as the platform sent it: its own id (订单编号), the hospital's code on the platform (医院编码), the
    distribution company it names (配送企业), its lines and when the hospital placed it."""

    platform_order_id: str
    hospital_code: str
    hospital_name: str | None
    lines: tuple[PlatformLine, ...]
    ordered_at: datetime | None = None
    distributor_name: str | None = None
    distributor_code: str | None = None
    delivery_address: str | None = None
    requested_delivery_date: date | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)  # the platform's record, as received


@dataclass(frozen=True, kw_only=True)
class UnreadableOrder:
    """A record of the feed the adapter could not read as an order (a field missing or malformed): the sync records
    it as refused rather than stopping the feed on it."""

    platform_order_id: str | None
    reason: str
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class OrderPage:
    """Orders the platform holds after a cursor; `cursor` is where the next pull starts (unchanged when empty).
    A platform may send an order again (a resend, an edit): the sync ignores what it already has."""

    orders: tuple[PlatformOrder, ...]
    cursor: str | None
    unreadable: tuple[UnreadableOrder, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DistributionConfirmation:
    """确认配送关系: the supplier accepts the order and names who delivers it."""

    request_id: str
    platform_order_id: str
    distributor_name: str | None
    confirmed_at: datetime


@dataclass(frozen=True, kw_only=True)
class DeliveredLine:
    line_no: int | None
    product_code: str | None
    udi_di: str | None
    lot: str | None
    expiry: date | None
    quantity: int


@dataclass(frozen=True, kw_only=True)
class DeliveryConfirmation:
    """确认配送: goods of the order left for the hospital (one per shipment)."""

    request_id: str
    platform_order_id: str
    delivery_no: str
    shipped_at: datetime
    lines: tuple[DeliveredLine, ...]


@dataclass(frozen=True, kw_only=True)
class PlatformInvoice:
    """发票推送: the invoice of an order's delivery, as the platform wants it for its payment reconciliation."""

    request_id: str
    platform_order_id: str
    invoice_no: str
    invoiced_on: date
    amount: Decimal  # 价税合计 (tax included)
    tax_amount: Decimal | None = None
    delivery_no: str | None = None


@dataclass(frozen=True, kw_only=True)
class Acceptance:
    """验收/入库确认: the hospital received and accepted (some of) the goods of an order."""

    acceptance_id: str
    platform_order_id: str
    accepted_at: datetime
    delivery_no: str | None = None
    quantity: int | None = None
    rejected_quantity: int = 0


@dataclass(frozen=True, kw_only=True)
class AcceptancePage:
    acceptances: tuple[Acceptance, ...]
    cursor: str | None


class PlatformConnector(Protocol):
    """One procurement platform, whatever it calls things. Pulls are paged by an opaque cursor the caller keeps
    (None: from the beginning); pushes are idempotent on their `request_id`."""

    name: str  # the platform's short name, part of every order id the sync derives (e.g. "zj-yxcg")

    def pull_orders(self, cursor: str | None, limit: int = 100) -> OrderPage: ...

    def confirm_distribution(self, confirmation: DistributionConfirmation) -> None: ...

    def confirm_delivery(self, delivery: DeliveryConfirmation) -> None: ...

    def push_invoice(self, invoice: PlatformInvoice) -> None: ...

    def pull_acceptances(self, cursor: str | None, limit: int = 100) -> AcceptancePage: ...


__all__ = [
    "Acceptance", "AcceptancePage", "DeliveredLine", "DeliveryConfirmation", "DistributionConfirmation", "OrderPage",
    "PlatformConnector", "PlatformError", "PlatformInvoice", "PlatformLine", "PlatformOrder", "PlatformRefused",
    "PlatformUnavailable", "UnreadableOrder",
]
