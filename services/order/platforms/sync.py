"""Orders from hospital procurement platforms (阳光采购): pulled, placed through the normal order rules, answered.

The sync (`sync_orders`) pulls the platform's orders after the stored cursor, holds each to the input rules of
`POST /orders` (its request model) and gives it to `placing.place_order`, the same handler and the same
pre-validation as an order typed at the desk (customer, licences, certificates, distributor authorization, contract,
prices, credit): nothing is bypassed. Then:
- the order's id is derived from (platform, platform order id) (`order_id_for`), so an order the platform sends twice
  is placed once (create_once finds the first), and its 订单编号 is kept as the order's `customer_reference`; the
  events name the platform as their actor (`platform:<name>`);
- an order the rules refuse is recorded as refused with the rule, the field and the detail (the order desk lists
  them: `PlatformLedger.orders(platform, "refused")`), and is not tried again when the platform resends it, but
  when the desk has fixed what refused it (`retry_refused`);
- the cursor is advanced in the same transaction as the batch's records (placed, refused) and the outbox messages
  they cause (确认配送关系 for each order placed): an outage or a crash before that transaction re-pulls the batch, and
  re-pulling is harmless (placement is idempotent, records and messages are keyed).

Calls back to the platform (确认配送关系, 配送确认, 发票推送) are never made by the code that causes them: they are
queued in the outbox (`PlatformLedger`, a table in the service's schema) in that code's transaction and sent by
`send_due`, which retries with exponential backoff while the platform is unavailable and stops trying a message the
platform refuses (dead, kept with its error for a person). Every message carries its id as the platform's request id
(请求流水号), so a push whose answer was lost is recorded once by the platform.

Acceptances (验收) are pulled by `sync_acceptances` with a cursor of their own, recorded on the order they are for
(`PlatformAcceptanceRecorded`, once per acceptance) and kept in the ledger.
The port is `PlatformLedger`: in memory here for the unit tests, in PostgreSQL in services/order/platforms/ledger.py.
"""

import hashlib
import json
import logging
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import ValidationError

from services.order.api import routes
from services.order.application import OrderUnitOfWork, placing
from services.order.domain import SalesOrder
from services.order.platforms import (
    DeliveredLine, DeliveryConfirmation, DistributionConfirmation, PlatformConnector, PlatformInvoice, PlatformLine,
    PlatformOrder, PlatformRefused, PlatformUnavailable,
)
from shared.domain.rules import NotFound, RuleViolation
from shared.platform.context import EventMeta, acting_as

log = logging.getLogger(__name__)

ORDERS, ACCEPTANCES = "orders", "acceptances"  # the feeds a cursor is kept for
DISTRIBUTION, DELIVERY, INVOICE = "distribution", "delivery", "invoice"  # outbox message kinds


def order_id_for(platform: str, platform_order_id: str) -> UUID:
    """The order's id: the same platform order is the same order, however often it is pulled."""
    return uuid5(NAMESPACE_URL, f"erp:platform-order:{platform}:{platform_order_id}")


def actor_of(platform: str) -> str:
    return f"platform:{platform}"


# --- what the ledger keeps ----------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class PlatformOrderRecord:
    """What became of a platform order: `placed` (with the order's id) or `refused` (with the rule)."""

    platform: str
    platform_order_id: str
    status: str  # placed | refused
    order_id: UUID | None = None
    hospital_code: str | None = None
    received: dict = field(default_factory=dict, compare=False, repr=False)  # the platform's record
    # the platform's lines in the connector's terms, in the order's line order (order line n is lines[n-1]): what a
    # delivery confirmation names them by (明细序号, 产品编码) and the platform's unit price
    lines: tuple[dict[str, Any], ...] = field(default=(), compare=False, repr=False)
    # the whole order in the connector's terms (for placing it again once what refused it is fixed); absent for a
    # record the adapter could not read
    order: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    recorded_at: datetime | None = None
    rule: str | None = None
    field: str | None = None  # refused: the field the rule names (the platform's, or the order's)
    detail: str | None = None


@dataclass(frozen=True, kw_only=True)
class OutboxMessage:
    """A call to make to the platform. `message_id` is deterministic (platform, kind, what it is about): queuing the
    same call twice queues it once; it is also the platform's request id (请求流水号)."""

    message_id: str
    platform: str
    kind: str  # distribution | delivery | invoice
    payload: dict[str, Any]
    attempts: int = 0
    next_attempt_at: datetime | None = None
    status: str = "pending"  # pending | sent | dead
    last_error: str | None = None


@dataclass(frozen=True, kw_only=True)
class AcceptanceRecord:
    platform: str
    acceptance_id: str
    platform_order_id: str
    order_id: UUID
    accepted_at: datetime
    delivery_no: str | None
    quantity: int | None
    rejected_quantity: int


class PlatformLedger(Protocol):
    """What the sync keeps: cursors, the platform's codes of hospitals and distributors, what became of each
    platform order, the outbox. `record_batch` is one transaction."""

    def cursor(self, platform: str, feed: str) -> str | None: ...

    def party_for(self, platform: str, kind: str, code: str) -> UUID | None: ...

    def map_party(self, platform: str, kind: str, code: str, party_id: UUID, *, by: str | None = None,
                  reason: str | None = None) -> None: ...

    def recorded(self, platform: str, platform_order_ids: Iterable[str]) -> dict[str, str]: ...

    def record_batch(self, platform: str, feed: str, cursor: str | None, records: list[PlatformOrderRecord],
                     messages: list[OutboxMessage], acceptances: list[AcceptanceRecord] = ()) -> None: ...

    def enqueue(self, messages: list[OutboxMessage]) -> None: ...

    def due(self, platform: str, now: datetime, limit: int) -> list[OutboxMessage]: ...

    def mark_sent(self, message_id: str, at: datetime) -> None: ...

    def mark_failed(self, message_id: str, attempts: int, next_attempt_at: datetime | None, error: str,
                    dead: bool) -> None: ...

    def resolve(self, record: PlatformOrderRecord, messages: list[OutboxMessage]) -> bool: ...

    def orders(self, platform: str, status: str | None = None) -> list[PlatformOrderRecord]: ...

    def order(self, platform: str, platform_order_id: str) -> PlatformOrderRecord | None: ...

    def outbox(self, platform: str) -> list[OutboxMessage]: ...


@dataclass
class InMemoryPlatformLedger:
    """The ledger in memory (unit tests, a demo): the same promises, one lock for a transaction."""

    cursors: dict[tuple[str, str], str | None] = field(default_factory=dict)
    parties: dict[tuple[str, str, str], UUID] = field(default_factory=dict)
    records: dict[tuple[str, str], PlatformOrderRecord] = field(default_factory=dict)
    messages: dict[str, OutboxMessage] = field(default_factory=dict)
    acceptances: dict[tuple[str, str], AcceptanceRecord] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cursor(self, platform: str, feed: str) -> str | None:
        return self.cursors.get((platform, feed))

    def party_for(self, platform: str, kind: str, code: str) -> UUID | None:
        return self.parties.get((platform, kind, code))

    def map_party(self, platform: str, kind: str, code: str, party_id: UUID, *, by: str | None = None,
                  reason: str | None = None) -> None:
        self.parties[(platform, kind, code)] = party_id

    def recorded(self, platform: str, platform_order_ids: Iterable[str]) -> dict[str, str]:
        return {pid: self.records[(platform, pid)].status for pid in platform_order_ids
                if (platform, pid) in self.records}

    def record_batch(self, platform: str, feed: str, cursor: str | None, records: list[PlatformOrderRecord],
                     messages: list[OutboxMessage], acceptances: list[AcceptanceRecord] = ()) -> None:
        now = datetime.now(UTC)
        with self.lock:
            for record in records:
                self.records.setdefault((platform, record.platform_order_id), replace(record, recorded_at=now))
            self._enqueue(messages, now)
            for acceptance in acceptances:
                self.acceptances.setdefault((platform, acceptance.acceptance_id), acceptance)
            self.cursors[(platform, feed)] = cursor

    def enqueue(self, messages: list[OutboxMessage]) -> None:
        with self.lock:
            self._enqueue(messages, datetime.now(UTC))

    def _enqueue(self, messages: list[OutboxMessage], now: datetime) -> None:
        for message in messages:
            self.messages.setdefault(message.message_id, replace(message, next_attempt_at=now))

    def due(self, platform: str, now: datetime, limit: int) -> list[OutboxMessage]:
        due = [m for m in self.messages.values() if m.platform == platform and m.status == "pending"
               and (m.next_attempt_at is None or m.next_attempt_at <= now)]
        return due[:limit]

    def mark_sent(self, message_id: str, at: datetime) -> None:
        message = self.messages[message_id]
        self.messages[message_id] = replace(message, status="sent", attempts=message.attempts + 1)

    def mark_failed(self, message_id: str, attempts: int, next_attempt_at: datetime | None, error: str,
                    dead: bool) -> None:
        self.messages[message_id] = replace(self.messages[message_id], attempts=attempts, last_error=error,
                                            next_attempt_at=next_attempt_at, status="dead" if dead else "pending")

    def resolve(self, record: PlatformOrderRecord, messages: list[OutboxMessage]) -> bool:
        """A refused order's record replaced by what trying it again gave, with the messages that causes (one
        transaction); False when it is no longer refused (another retry got there first)."""
        key = (record.platform, record.platform_order_id)
        with self.lock:
            if key not in self.records or self.records[key].status != "refused":
                return False
            self.records[key] = replace(record, recorded_at=datetime.now(UTC))
            self._enqueue(messages, datetime.now(UTC))
            return True

    def orders(self, platform: str, status: str | None = None) -> list[PlatformOrderRecord]:
        return [r for (p, _), r in self.records.items() if p == platform and status in (None, r.status)]

    def order(self, platform: str, platform_order_id: str) -> PlatformOrderRecord | None:
        return self.records.get((platform, platform_order_id))

    def outbox(self, platform: str) -> list[OutboxMessage]:
        return [m for m in self.messages.values() if m.platform == platform]


# --- pulling orders -----------------------------------------------------------------------------------------------

@dataclass
class SyncReport:
    placed: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (platform order id, rule)
    cursor: str | None = None


def sync_orders(connector: PlatformConnector, ledger: PlatformLedger, unit_of_work: Callable[[], OrderUnitOfWork],
                *, limit: int = 100) -> SyncReport:
    """One pull: the orders after the cursor, each placed (or refused) by the normal rules, then the records, the
    messages they cause and the new cursor in one transaction. PlatformUnavailable (the pull failed) changes
    nothing; any other failure before the record leaves the cursor where it was, to be pulled again."""
    platform = connector.name
    cursor = ledger.cursor(platform, ORDERS)
    page = connector.pull_orders(cursor, limit)
    known = ledger.recorded(platform, [order.platform_order_id for order in page.orders])
    report = SyncReport(cursor=page.cursor)
    records: list[PlatformOrderRecord] = []
    messages: list[OutboxMessage] = []
    for order in page.orders:
        pid = order.platform_order_id
        if pid in known:
            report.duplicates.append(pid)
            continue
        known[pid] = "pending"
        record, created = _place(platform, order, ledger, unit_of_work)
        records.append(record)
        if record.status == "refused":
            report.refused.append((pid, record.rule or ""))
            continue
        (report.placed if created else report.duplicates).append(pid)
        messages.append(distribution_message(platform, order))
    for unreadable in page.unreadable:
        digest = hashlib.sha256(json.dumps(unreadable.raw, sort_keys=True, ensure_ascii=False,
                                           default=str).encode()).hexdigest()[:16]
        pid = unreadable.platform_order_id or f"unreadable:{digest}"
        if pid in known:
            continue
        known[pid] = "refused"
        records.append(PlatformOrderRecord(platform=platform, platform_order_id=pid, status="refused",
                                           rule="platform-order-readable", detail=unreadable.reason,
                                           received=unreadable.raw))
        report.refused.append((pid, "platform-order-readable"))
    ledger.record_batch(platform, ORDERS, page.cursor, records, messages)
    return report


def _lines(order: PlatformOrder) -> tuple[dict[str, Any], ...]:
    return tuple({"line_no": line.line_no, "product_code": line.product_code, "udi_di": line.udi_di,
                  "quantity": line.quantity, "unit_price": None if line.unit_price is None else str(line.unit_price)}
                 for line in order.lines)


def _normalized(order: PlatformOrder) -> dict[str, Any]:
    return {"platform_order_id": order.platform_order_id, "hospital_code": order.hospital_code,
            "hospital_name": order.hospital_name, "distributor_name": order.distributor_name,
            "distributor_code": order.distributor_code, "delivery_address": order.delivery_address,
            "requested_delivery_date": order.requested_delivery_date and order.requested_delivery_date.isoformat(),
            "ordered_at": order.ordered_at and order.ordered_at.isoformat(), "lines": list(_lines(order))}


def _order_of(record: PlatformOrderRecord) -> PlatformOrder:
    o = record.order or {}
    return PlatformOrder(
        platform_order_id=o["platform_order_id"], hospital_code=o["hospital_code"], hospital_name=o["hospital_name"],
        distributor_name=o["distributor_name"], distributor_code=o["distributor_code"],
        delivery_address=o["delivery_address"],
        requested_delivery_date=date.fromisoformat(o["requested_delivery_date"]) if o["requested_delivery_date"]
        else None, ordered_at=datetime.fromisoformat(o["ordered_at"]) if o["ordered_at"] else None,
        lines=tuple(PlatformLine(line_no=line["line_no"], product_code=line["product_code"], udi_di=line["udi_di"],
                                 quantity=line["quantity"], unit_price=None if line["unit_price"] is None
                                 else Decimal(line["unit_price"])) for line in o["lines"]),
        raw=record.received)


def _refused(platform: str, order: PlatformOrder, rule: str, field_: str | None, detail: str) -> PlatformOrderRecord:
    return PlatformOrderRecord(platform=platform, platform_order_id=order.platform_order_id, status="refused",
                               hospital_code=order.hospital_code, rule=rule, field=field_, detail=detail,
                               received=order.raw, lines=_lines(order), order=_normalized(order))


def _place(platform: str, order: PlatformOrder, ledger: PlatformLedger,
           unit_of_work: Callable[[], OrderUnitOfWork], meta: EventMeta | None = None
           ) -> tuple[PlatformOrderRecord, bool]:
    """The platform order as a PlaceOrder for the placing handler; the platform's codes mapped to ours first. An
    order already placed (its record lost in a crash before the batch was recorded) is found, not checked again."""
    order_id = order_id_for(platform, order.platform_order_id)
    uow = unit_of_work()
    if (existing := uow.get(order_id, SalesOrder)) is not None:
        return PlatformOrderRecord(platform=platform, platform_order_id=order.platform_order_id, status="placed",
                                   order_id=existing.id, hospital_code=order.hospital_code, received=order.raw,
                                   lines=_lines(order), order=_normalized(order)), False
    hospital_id = ledger.party_for(platform, "hospital", order.hospital_code)
    if hospital_id is None:
        return _refused(platform, order, "platform-hospital-mapped", "医院编码",
                        f"the platform's hospital code {order.hospital_code} ({order.hospital_name or '?'}) is not"
                        " mapped to a registered hospital"), False
    distributor_id = None
    if order.distributor_code:
        distributor_id = ledger.party_for(platform, "distributor", order.distributor_code)
        if distributor_id is None:
            return _refused(platform, order, "platform-distributor-mapped", "配送企业编码",
                            f"the platform's distributor code {order.distributor_code}"
                            f" ({order.distributor_name or '?'}) is not mapped to a registered distributor"), False
    for index, line in enumerate(order.lines):
        if not line.udi_di:
            return _refused(platform, order, "platform-line-udi-di", f"lines[{index}].udi_di",
                            f"line {line.line_no} (产品编码 {line.product_code}) names no UDI-DI"), False
    # The input rules of POST /orders first (GTIN check digit, quantities, one-line references and addresses, at
    # most 200 lines): a platform order is held to what the desk's is. The platform's unit price (采购单价) is not
    # given: a typed price is a price override held for approval; the order is priced by the contract or the
    # rulebook like any other, the platform's price kept with the record.
    try:
        body = routes.PlaceOrder.model_validate({
            "hospital_id": hospital_id, "customer_reference": order.platform_order_id,
            "lines": [{"gtin": line.udi_di, "quantity": line.quantity} for line in order.lines],
            "requested_delivery_date": order.requested_delivery_date, "ship_to_distributor_id": distributor_id,
            "delivery_address": order.delivery_address})
    except ValidationError as invalid:
        error = invalid.errors()[0]
        field_ = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".")
        return _refused(platform, order, error["type"], field_, error["msg"]), False
    command = placing.PlaceOrder(
        order_id=order_id, hospital_id=body.hospital_id, customer_reference=body.customer_reference,
        lines=tuple(placing.OrderLine(gtin=line.gtin, quantity=line.quantity) for line in body.lines),
        requested_delivery_date=body.requested_delivery_date, ship_to_distributor_id=body.ship_to_distributor_id,
        delivery_address=body.delivery_address)
    uow.rollback()
    # The platform places what it pulls; a retry is the desk's act, with its reason (meta: the request's).
    actor, reason = (meta.actor, meta.reason) if meta is not None else (actor_of(platform), None)
    correlation_id = meta.correlation_id if meta is not None else f"{platform}:{order.platform_order_id}"
    with acting_as(actor, correlation_id=correlation_id, reason=reason):
        try:
            placed, created = placing.place_order(command, uow)
        except RuleViolation as refusal:
            uow.rollback()
            return _refused(platform, order, refusal.rule, refusal.field, refusal.detail), False

    return PlatformOrderRecord(platform=platform, platform_order_id=order.platform_order_id, status="placed",
                               order_id=placed.id, hospital_code=order.hospital_code, received=order.raw,
                               lines=_lines(order), order=_normalized(order)), created


def retry_refused(platform: str, platform_order_id: str, ledger: PlatformLedger,
                  unit_of_work: Callable[[], OrderUnitOfWork], meta: EventMeta | None = None) -> PlatformOrderRecord:
    """The order desk, once what refused a platform order is fixed (its hospital code mapped, a licence recorded):
    the order as the platform sent it, through the same rules again. Placed: its record says so and its 确认配送关系
    is queued, in one transaction; refused again: the record names the rule of now. NotFound for an order not
    recorded as refused; RuleViolation `platform-order-retryable` for one the adapter could not read."""
    record = ledger.order(platform, platform_order_id)
    if record is None or record.status != "refused":
        raise NotFound("Refused platform order", f"{platform}:{platform_order_id}")
    if record.order is None:
        raise RuleViolation("platform-order-retryable", "the platform's record could not be read as an order: ask the"
                            " platform to send it again, corrected")
    order = _order_of(record)
    outcome, _ = _place(platform, order, ledger, unit_of_work, meta)
    messages = [distribution_message(platform, order)] if outcome.status == "placed" else []
    ledger.resolve(outcome, messages)
    return outcome


# --- pulling acceptances ------------------------------------------------------------------------------------------

def sync_acceptances(connector: PlatformConnector, ledger: PlatformLedger,
                     unit_of_work: Callable[[], OrderUnitOfWork] | None = None, *, limit: int = 100) -> int:
    """The hospitals' acceptances after the cursor, kept with the order they are for (those of orders the sync never
    placed are skipped), and the cursor, in one transaction; given a unit of work, each is first recorded on its
    order (`PlatformAcceptanceRecorded`, shown by GET /orders/{id}). The order records an acceptance once
    (SalesOrder.record_platform_acceptance), so a crash between the event and the ledger's batch re-pulls the page
    and records nothing twice. The number kept."""
    platform = connector.name
    page = connector.pull_acceptances(ledger.cursor(platform, ACCEPTANCES), limit)
    placed = ledger.recorded(platform, [a.platform_order_id for a in page.acceptances])
    kept = [AcceptanceRecord(platform=platform, acceptance_id=a.acceptance_id, platform_order_id=a.platform_order_id,
                             order_id=order_id_for(platform, a.platform_order_id), accepted_at=a.accepted_at,
                             delivery_no=a.delivery_no, quantity=a.quantity, rejected_quantity=a.rejected_quantity)
            for a in page.acceptances if placed.get(a.platform_order_id) == "placed"]
    if unit_of_work is not None:
        for acceptance in kept:
            record_acceptance(acceptance, unit_of_work)
    ledger.record_batch(platform, ACCEPTANCES, page.cursor, [], [], kept)
    return len(kept)


def record_acceptance(acceptance: AcceptanceRecord, unit_of_work: Callable[[], OrderUnitOfWork]) -> bool:
    """One acceptance on its order, the platform as the actor; False when the order already has it."""
    uow = unit_of_work()
    order = uow.get(acceptance.order_id, SalesOrder)
    if order is None:  # placed by the sync, so it exists; a ledger restored without the store: nothing to add to
        log.warning("acceptance %s names order %s, not in the store", acceptance.acceptance_id, acceptance.order_id)
        return False
    with acting_as(actor_of(acceptance.platform),
                   correlation_id=f"{acceptance.platform}:{acceptance.platform_order_id}"):
        if not order.record_platform_acceptance(
                acceptance.platform, acceptance.acceptance_id, acceptance.platform_order_id, acceptance.delivery_no,
                acceptance.quantity, acceptance.rejected_quantity, acceptance.accepted_at):
            return False
        uow.collect(order)
        uow.commit()
    return True


# --- the outbox ---------------------------------------------------------------------------------------------------

def distribution_message(platform: str, order: PlatformOrder) -> OutboxMessage:
    """确认配送关系 for an order placed: the supplier takes it, delivered by the distributor the platform named."""
    return OutboxMessage(message_id=f"{platform}:{DISTRIBUTION}:{order.platform_order_id}", platform=platform,
                         kind=DISTRIBUTION, payload={"platform_order_id": order.platform_order_id,
                                                     "distributor_name": order.distributor_name})


def delivery_message(platform: str, delivery: DeliveryConfirmation) -> OutboxMessage:
    """配送确认 of a shipment; queue it in the transaction that records the shipment."""
    return OutboxMessage(message_id=f"{platform}:{DELIVERY}:{delivery.platform_order_id}:{delivery.delivery_no}",
                         platform=platform, kind=DELIVERY, payload={
                             "platform_order_id": delivery.platform_order_id, "delivery_no": delivery.delivery_no,
                             "shipped_at": delivery.shipped_at.isoformat(), "lines": [
                                 {"line_no": line.line_no, "product_code": line.product_code, "udi_di": line.udi_di,
                                  "lot": line.lot, "expiry": line.expiry.isoformat() if line.expiry else None,
                                  "quantity": line.quantity} for line in delivery.lines]})


def invoice_message(platform: str, invoice: PlatformInvoice) -> OutboxMessage:
    """发票推送; queue it in the transaction that records the invoice."""
    return OutboxMessage(message_id=f"{platform}:{INVOICE}:{invoice.platform_order_id}:{invoice.invoice_no}",
                         platform=platform, kind=INVOICE, payload={
                             "platform_order_id": invoice.platform_order_id, "invoice_no": invoice.invoice_no,
                             "invoiced_on": invoice.invoiced_on.isoformat(), "amount": str(invoice.amount),
                             "tax_amount": None if invoice.tax_amount is None else str(invoice.tax_amount),
                             "delivery_no": invoice.delivery_no})


def _call(connector: PlatformConnector, message: OutboxMessage) -> None:
    p = message.payload
    if message.kind == DISTRIBUTION:
        connector.confirm_distribution(DistributionConfirmation(
            request_id=message.message_id, platform_order_id=p["platform_order_id"],
            distributor_name=p.get("distributor_name"), confirmed_at=datetime.now(UTC)))
    elif message.kind == DELIVERY:
        connector.confirm_delivery(DeliveryConfirmation(
            request_id=message.message_id, platform_order_id=p["platform_order_id"], delivery_no=p["delivery_no"],
            shipped_at=datetime.fromisoformat(p["shipped_at"]), lines=tuple(DeliveredLine(
                line_no=line["line_no"], product_code=line["product_code"], udi_di=line["udi_di"], lot=line["lot"],
                expiry=date.fromisoformat(line["expiry"]) if line["expiry"] else None, quantity=line["quantity"])
                for line in p["lines"])))
    elif message.kind == INVOICE:
        connector.push_invoice(PlatformInvoice(
            request_id=message.message_id, platform_order_id=p["platform_order_id"], invoice_no=p["invoice_no"],
            invoiced_on=date.fromisoformat(p["invoiced_on"]), amount=Decimal(p["amount"]),
            tax_amount=None if p.get("tax_amount") is None else Decimal(p["tax_amount"]),
            delivery_no=p.get("delivery_no")))
    else:
        raise PlatformRefused(f"unknown outbox message kind {message.kind!r}")


@dataclass(frozen=True)
class Backoff:
    """The wait before the n-th retry: base·2^(n-1), at most `cap`, with up to `jitter` of it added at random."""

    base: float = 2.0
    cap: float = 600.0
    jitter: float = 0.1

    def delay(self, attempts: int) -> timedelta:
        seconds = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        return timedelta(seconds=seconds * (1 + random.uniform(0, self.jitter)))


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)


def send_due(connector: PlatformConnector, ledger: PlatformLedger, *, backoff: Backoff = Backoff(), limit: int = 50,
             now: datetime | None = None) -> SendReport:
    """Send the messages due, oldest first. The platform unavailable: the message waits its backoff and the round
    stops (the rest stay due; nothing is lost). The platform refusing: the message is dead, with the platform's
    answer, for a person to look at (not retried forever)."""
    report = SendReport()
    now = now or datetime.now(UTC)
    for message in ledger.due(connector.name, now, limit):
        try:
            _call(connector, message)
        except PlatformUnavailable as problem:
            attempts = message.attempts + 1
            ledger.mark_failed(message.message_id, attempts, now + backoff.delay(attempts), str(problem), dead=False)
            report.retrying.append(message.message_id)
            break
        except PlatformRefused as problem:
            ledger.mark_failed(message.message_id, message.attempts + 1, None, str(problem), dead=True)
            report.dead.append(message.message_id)
            log.warning("platform %s refused %s: %s", connector.name, message.message_id, problem)
        else:
            ledger.mark_sent(message.message_id, datetime.now(UTC))
            report.sent.append(message.message_id)
    return report


# --- the loop -----------------------------------------------------------------------------------------------------

def run(connector: PlatformConnector, ledger: PlatformLedger, unit_of_work: Callable[[], OrderUnitOfWork],
        stop: threading.Event, *, interval: float = 30.0, backoff: Backoff = Backoff()) -> None:
    """Pull orders and acceptances and send the outbox every `interval` seconds until `stop` is set; while the
    platform is unavailable, try again after the backoff's growing wait (at most its `cap`)."""
    failures = 0
    while not stop.is_set():
        try:
            while True:  # page after page, until the cursor stops moving
                before = ledger.cursor(connector.name, ORDERS)
                if sync_orders(connector, ledger, unit_of_work).cursor == before:
                    break
            sync_acceptances(connector, ledger, unit_of_work)
            failures = 0
        except PlatformUnavailable as problem:
            failures += 1
            log.warning("platform %s unavailable (%d): %s", connector.name, failures, problem)
        except PlatformRefused as problem:
            failures += 1
            log.error("platform %s refused a pull: %s", connector.name, problem)
        except Exception:  # the database, a bug: logged, and tried again from the cursor
            failures += 1
            log.exception("platform %s sync failed", connector.name)
        try:
            send_due(connector, ledger, backoff=backoff)
        except Exception:
            log.exception("platform %s outbox failed", connector.name)
        wait = interval if failures == 0 else backoff.delay(failures).total_seconds()
        stop.wait(wait)
