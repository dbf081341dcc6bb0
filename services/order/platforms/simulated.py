"""The reference adapter: the simulated provincial platform (simulator.py) over HTTP. The ONLY module that knows this
platform's URLs and field names (订单编号, 医院编码, 产品编码, UDI-DI, 采购数量, 采购单价, 下单时间 …); another platform
gets a module of its own beside it, speaking the same PlatformConnector.

Mapping rules:
- times without an offset (下单时间 "2026-11-30 09:15:00", the platforms' habit) are China's local time;
- a line's UDI-DI is the GTIN the order service knows the item by; a line without one keeps only its 产品编码
  (placement then refuses it as an unknown item, and the refusal is recorded);
- amounts are decimals from strings or numbers, never floats;
- a record missing 订单编号, 医院编码 or its lines, or with a quantity that is not a positive whole number, is
  answered as an UnreadableOrder, not as an error that would stop the feed.
Transport: httpx with a connect and a read timeout; a refused connection, a timeout or a 5xx/429 is
PlatformUnavailable (retry later), a 4xx or a non-zero business `code` is PlatformRefused.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from services.order.platforms import (
    Acceptance, AcceptancePage, DeliveryConfirmation, DistributionConfirmation, OrderPage, PlatformInvoice,
    PlatformLine, PlatformOrder, PlatformRefused, PlatformUnavailable, UnreadableOrder,
)
from shared.domain.business_day import CHINA

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


# --- mapping: the platform's records <-> the connector's values ---------------------------------------------------

def _time(text: Any) -> datetime | None:
    if not text:
        return None
    text = str(text)
    try:
        at = datetime.strptime(text, _TIME_FORMAT)
    except ValueError:
        at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=CHINA)


def _local(at: datetime) -> str:
    return at.astimezone(CHINA).strftime(_TIME_FORMAT)


def _date(text: Any) -> date | None:
    return date.fromisoformat(str(text)[:10]) if text else None


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


def _quantity(value: Any) -> int:
    try:
        quantity = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"采购数量 is not a number: {value!r}") from None
    if quantity <= 0 or quantity != quantity.to_integral_value():
        raise ValueError(f"采购数量 must be a positive whole number: {value!r}")
    return int(quantity)


def order_from(record: dict[str, Any]) -> PlatformOrder:
    """A feed record as a PlatformOrder; ValueError (or KeyError) when it is not one."""
    order_no = str(record["订单编号"]).strip()
    hospital = str(record["医院编码"]).strip()
    if not order_no or not hospital:
        raise ValueError("订单编号 and 医院编码 are required")
    details = record.get("订单明细") or []
    if not details:
        raise ValueError("订单明细 is empty")
    lines = tuple(PlatformLine(
        line_no=int(detail.get("明细序号") or index),
        product_code=str(detail["产品编码"]),
        udi_di=(str(detail["UDI-DI"]).strip() or None) if detail.get("UDI-DI") else None,
        quantity=_quantity(detail["采购数量"]),
        unit_price=_amount(detail.get("采购单价")),
        product_name=detail.get("产品名称"),
        specification=detail.get("规格型号"),
    ) for index, detail in enumerate(details, start=1))
    return PlatformOrder(
        platform_order_id=order_no, hospital_code=hospital, hospital_name=record.get("医院名称"), lines=lines,
        ordered_at=_time(record.get("下单时间")), distributor_name=record.get("配送企业"),
        distributor_code=record.get("配送企业编码"), delivery_address=record.get("收货地址"),
        requested_delivery_date=_date(record.get("要求到货日期")), raw=record)


def distribution_body(confirmation: DistributionConfirmation) -> dict[str, Any]:
    return {"请求流水号": confirmation.request_id, "配送企业": confirmation.distributor_name,
            "确认时间": _local(confirmation.confirmed_at)}


def delivery_body(delivery: DeliveryConfirmation) -> dict[str, Any]:
    return {"请求流水号": delivery.request_id, "订单编号": delivery.platform_order_id, "配送单号": delivery.delivery_no,
            "配送时间": _local(delivery.shipped_at),
            "配送明细": [{"明细序号": line.line_no, "产品编码": line.product_code, "UDI-DI": line.udi_di,
                          "批号": line.lot, "有效期至": line.expiry.isoformat() if line.expiry else None,
                          "配送数量": line.quantity} for line in delivery.lines]}


def invoice_body(invoice: PlatformInvoice) -> dict[str, Any]:
    return {"请求流水号": invoice.request_id, "订单编号": invoice.platform_order_id, "配送单号": invoice.delivery_no,
            "发票号码": invoice.invoice_no, "开票日期": invoice.invoiced_on.isoformat(),
            "价税合计": str(invoice.amount), "税额": None if invoice.tax_amount is None else str(invoice.tax_amount)}


def acceptance_from(record: dict[str, Any]) -> Acceptance:
    accepted_at = _time(record["验收时间"])
    assert accepted_at is not None
    return Acceptance(acceptance_id=str(record["验收单号"]), platform_order_id=str(record["订单编号"]),
                      accepted_at=accepted_at, delivery_no=record.get("配送单号"),
                      quantity=None if record.get("验收数量") is None else int(record["验收数量"]),
                      rejected_quantity=int(record.get("拒收数量") or 0))


def page_of_orders(data: dict[str, Any], cursor: str | None) -> OrderPage:
    orders, unreadable = [], []
    for record in data.get("订单列表") or []:
        try:
            orders.append(order_from(record))
        except (KeyError, ValueError, TypeError, AttributeError) as problem:
            number = record.get("订单编号") if isinstance(record, dict) else None
            reason = f"missing {problem}" if isinstance(problem, KeyError) else str(problem)
            unreadable.append(UnreadableOrder(platform_order_id=None if number is None else str(number),
                                              reason=reason, raw=record if isinstance(record, dict) else {}))
    return OrderPage(orders=tuple(orders), cursor=data.get("下一游标") or cursor, unreadable=tuple(unreadable))


# --- transport ------------------------------------------------------------------------------------------------------

class SimulatedPlatformConnector:
    """PlatformConnector for the simulated platform at `base_url`."""

    def __init__(self, base_url: str, *, name: str = "sim", timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TransportError as problem:  # refused, reset, timed out
            raise PlatformUnavailable(f"{self.name}: {method} {path}: {type(problem).__name__}: {problem}") from problem
        if response.status_code >= 500 or response.status_code == 429:
            raise PlatformUnavailable(f"{self.name}: {method} {path}: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise PlatformUnavailable(f"{self.name}: {method} {path}: not JSON (HTTP {response.status_code})") from None
        if response.status_code >= 400 or body.get("code") not in (0, "0"):
            raise PlatformRefused(f"{self.name}: {method} {path}: HTTP {response.status_code} code {body.get('code')}:"
                                  f" {body.get('message')}")
        return body.get("data")

    def pull_orders(self, cursor: str | None, limit: int = 100) -> OrderPage:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        return page_of_orders(self._call("GET", "/api/v1/orders", params=params) or {}, cursor)

    def confirm_distribution(self, confirmation: DistributionConfirmation) -> None:
        self._call("POST", f"/api/v1/orders/{confirmation.platform_order_id}/distribution-confirmation",
                   json=distribution_body(confirmation))

    def confirm_delivery(self, delivery: DeliveryConfirmation) -> None:
        self._call("POST", "/api/v1/deliveries", json=delivery_body(delivery))

    def push_invoice(self, invoice: PlatformInvoice) -> None:
        self._call("POST", "/api/v1/invoices", json=invoice_body(invoice))

    def pull_acceptances(self, cursor: str | None, limit: int = 100) -> AcceptancePage:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        data = self._call("GET", "/api/v1/acceptances", params=params) or {}
        return AcceptancePage(acceptances=tuple(acceptance_from(r) for r in data.get("验收列表") or []),
                              cursor=data.get("下一游标") or cursor)
