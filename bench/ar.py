"""Receivables benchmark: a customer's statement and the aging report through the billing API, on two years of
invoices and payments, against recomputing both from the events in the same run.

`make bench-ar` generates BENCH_AR_EVENTS (default 2,000,000) billing events for BENCH_AR_CUSTOMERS (5,000)
customers over 2025 and 2026, seeded (the same events every run). A customer is a hospital billed directly or (a
fifth of them) a distributor (两票制); customers differ in size (lognormal weights), in payment terms (60, 90 or 180
days) and in how long after the due date they pay (0 to 400 days). Each step draws a customer and what happens:
- an invoice (InvoiceRaised, 1-3 lines at 13% VAT, numbered INV-<year>-n, due after the customer's terms);
- a payment (PaymentReceived), allocated at once to the customer's open invoices oldest due first
  (PaymentAllocated, one per invoice, the last often partial): it pays 1-6 of the invoices the customer considers
  payable, the last one in part now and then, or an instalment of the oldest when none is; 5% of payments arrive
  unidentified and stay unapplied until the customer's next payment;
- a credit note on an open invoice (CreditNoteIssued, a price allowance of 5-50% of what is open);
- a payment bounced (PaymentReversed, taking back its allocations).
About 40% of the events are invoices, 19% payments, 38% allocations, 3% credit notes and 0.4% reversals (the
result counts them): every invoice needs an allocation to close, so allocations cannot be fewer than invoices in a
ledger whose cash is applied. The customers are registered first (HospitalRegistered, DistributorRegistered, in
seven provinces) through billing's KnownParties, so that the aging can group by region.

Every event is a contract payload (shared/events/billing.py) in a CloudEvent envelope (aggregate id and version
as the event store gives them), applied by the real `Receivables` projection (`apply_batch`, pipeline mode, LOAD_BATCH
events per transaction) in a namespace of the bench's own: the rows are those the service keeps. Not through
Kafka: that would measure the backbone, not the read model (bench/replay.py measures rebuilds).

Measured, through HTTP on the billing API started as its own process (as `make run` does) with a finance token:
- BENCH_AR_REQUESTS (500) `GET /customers/{id}/statement?from=&to=` of random customers, each for a random quarter;
- BENCH_AR_AGING_REQUESTS (20) `GET /receivables/aging?as_of=&by=due&group=` on random days, grouped by customer
  and by region in turn.
The baseline, in the same run: the same statements and agings recomputed from the events kept in memory, as an
ERP without a read model would — every request folds the whole event list in Python (for a statement: every event,
to find the customer's invoices, credit notes and payments, sum the opening balance, list the period's movements
and age what is open at its end; for an aging: every event to the open amount of each invoice as of the day, then
`services/billing/domain/aging.aged` per group). Each fold takes seconds, so only the first
BENCH_AR_BASELINE_REQUESTS (20) statements and BENCH_AR_BASELINE_AGINGS (3) agings are recomputed. Each of those
answers must equal the API's to the cent (statement: opening and closing balance, every line in order, the aging;
aging report: every group's buckets and total, the grand total, the receivable, and that the groups returned are
the largest), or the bench fails naming the customer or the day.

Writes bench/results/ar.json: p50/p99/max per route and per baseline, the speed-up of the p99s, the requests
counted, the events by kind, load and generation times, the tables' size and the machine. The namespace is
removed at the end.
"""

import bisect
import gc
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from argparse import Namespace
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from uuid import UUID

import httpx
from psycopg_pool import ConnectionPool
from stdnum import ean

from bench.common import (
    at_end, latency_figures, machine, options, own_namespace, percentile, report, schema_bytes, start_web,
    timed_baseline, timed_gets,
)
from services.billing.domain.aging import aged
from services.billing.projections.parties import KnownParties
from services.billing.projections.receivables import Receivables
from services.billing.settings import BillingSettings
from shared.events import CloudEvent, EventPayload, payload_of
from shared.events.billing import (
    CreditNoteIssued, CreditNoteLine, InvoiceLine, InvoiceRaised, PaymentAllocated, PaymentReceived, PaymentReversed,
)
from shared.events.channel import DistributorRegistered, HospitalRegistered
from shared.platform.auth import issue_token
from shared.platform.db import new_pool
from shared.platform.settings import Settings

SEED = 20261203
START, DAYS = date(2025, 1, 1), 730  # 2025 and 2026
END = START + timedelta(days=DAYS - 1)
LOAD_BATCH = 10_000  # events per transaction
CURRENCY = "CNY"
VAT = Decimal("0.13")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
PROVINCES = ("上海市", "北京市", "广东省", "四川省", "浙江省", "江苏省", "湖北省")
DISTRIBUTOR_SHARE = 0.2
TERMS = (60, 90, 180)
PAY_DELAYS = (0, 0, 15, 30, 60, 90, 150, 240, 400)  # days past due a customer waits before paying
# What each step of the generator does; a payment also emits its allocations. A credit note or a reversal that has
# nothing to act on becomes an invoice or a payment; so does a payment of a customer that owes nothing.
STEPS = {"invoice": 0.42, "payment": 0.2, "credit_note": 0.03, "reversal": 0.004}
UNIDENTIFIED_SHARE = 0.05  # payments left unapplied at receipt, applied with the customer's next payment
PARTIAL_SHARE = 0.3  # payments paying their last invoice in part
PRODUCTS = 60
STATEMENT_LINES = 5000  # the route's most lines per statement
AGING_GROUPS = 1000  # the aging route's most groups per answer
TIMEOUT = 600  # seconds: an aging over two million events is not quick


# --- the workload --------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class Party:
    id: UUID
    kind: str  # hospital or distributor
    name: str
    region: str


@dataclass(slots=True, eq=False)
class OpenInvoice:
    id: UUID
    number: str
    issued_on: date
    due_on: date
    open: Decimal
    line: InvoiceLine  # the first, which credit notes take back from
    credited: Decimal = ZERO
    version: int = 1
    listed: bool = True  # in its account's open list

    def entry(self) -> tuple:
        return self.due_on, self.issued_on, self.number, self


@dataclass(slots=True, eq=False)
class Cash:
    id: UUID
    reference: str
    unapplied: Decimal
    allocated: dict[OpenInvoice, Decimal] = field(default_factory=dict)
    version: int = 1
    reversed: bool = False


@dataclass(slots=True, eq=False)
class Account:
    """A customer as the generator follows it: its open invoices oldest due first, its unapplied cash oldest first,
    its last payments (those a bank may still bounce)."""

    party: Party
    terms: int
    delay: int
    invoices: list[tuple] = field(default_factory=list)  # OpenInvoice.entry(), sorted
    waiting: deque[Cash] = field(default_factory=deque)
    recent: deque[Cash] = field(default_factory=lambda: deque(maxlen=3))


# An event as generated: its payload and its aggregate's version. The envelope is made when it is applied (two million
# envelopes kept would take gigabytes): the aggregate is the payload's subject, the position its place in the list.
Recorded = tuple[EventPayload, int]


@dataclass
class Workload:
    parties: list[Recorded]
    events: list[Recorded]
    customers: list[Party]

    def kinds(self) -> dict[str, int]:
        return dict(Counter(type(payload).__name__ for payload, _ in self.events).most_common())


def gtin(n: int) -> str:
    body = f"0695{n:09d}"
    return body + ean.calc_check_digit(body)


def envelope(payload: EventPayload, version: int, position: int) -> CloudEvent:
    """As ServiceApplication.envelope makes it (recorded at 10:00 in Shanghai on the event's business day, a second
    per position), without a copy of the payload in `data`: the projection is handed the payload itself, as the
    consumer hands it after validating the envelope's data."""
    kind = type(payload)
    aggregate = str(getattr(payload, kind.subject_field))
    day = occurred_on(payload)
    at = datetime(day.year, day.month, day.day, 2, tzinfo=UTC) + timedelta(seconds=position % 43_200)
    return CloudEvent.model_construct(
        id=f"{kind.producer}-{position}", source=f"/erp/{kind.producer}", type=kind.event_type(), subject=aggregate,
        time=at, aggregateid=aggregate, aggregateversion=version, position=position, correlationid=aggregate,
        actor="user:bench-ar", schemaversion=kind.schema_version, data={})


def occurred_on(payload: EventPayload) -> date:
    """The business day of a billing event; the customers are registered the month before the first."""
    for name in ("issued_on", "received_on", "allocated_on", "reversed_on"):
        if (day := getattr(payload, name, None)) is not None:
            return day
    return START - timedelta(days=31)


class Ledger:
    """Billing's events for the accounts, in time order, with the numbers and versions the service would give."""

    def __init__(self, rng: random.Random, hospitals: list[Party]) -> None:
        self.rng, self.hospitals = rng, hospitals
        self.events: list[Recorded] = []
        self.series: Counter[str] = Counter()
        self.products = [(gtin(n), Decimal(rng.randrange(10_000, 2_000_000)) / 100) for n in range(1, PRODUCTS + 1)]

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def number(self, prefix: str, day: date) -> str:
        series = f"{prefix}-{day.year}"
        self.series[series] += 1
        return f"{series}-{self.series[series]:07d}"

    def emit(self, payload: EventPayload, version: int) -> None:
        self.events.append((payload, version))

    def step(self, kind: str, account: Account, day: date) -> None:
        if kind == "credit_note" and self.credit(account, day):
            return
        if kind == "reversal" and self.reverse(account, day):
            return
        if kind in ("payment", "reversal") and any(entry[3].open > 0 for entry in account.invoices):
            self.pay(account, day)
            return
        self.invoice(account, day)

    def invoice_line(self, day: date) -> InvoiceLine:
        code, price = self.products[self.rng.randrange(PRODUCTS)]
        quantity = self.rng.randint(1, 10)
        net = price * quantity
        vat = (net * VAT).quantize(CENT, rounding=ROUND_HALF_UP)
        return InvoiceLine(gtin=code, lot=f"L{day:%y%m}{self.rng.randrange(100):02d}", quantity=quantity,
                           unit_price=price, net_amount=net, vat_rate=VAT, vat_amount=vat, gross_amount=net + vat)

    def invoice(self, account: Account, day: date) -> None:
        """Goods shipped to a hospital, invoiced to it, or to the distributor they went through (两票制)."""
        lines = [self.invoice_line(day) for _ in range(self.rng.choice((1, 1, 2, 3)))]
        party = account.party
        distributor = party.kind == "distributor"
        invoice = InvoiceRaised(
            invoice_id=self.uuid(), order_id=self.uuid(), shipment_id=self.uuid(),
            hospital_id=self.rng.choice(self.hospitals).id if distributor else party.id,
            bill_to_distributor_id=party.id if distributor else None,
            currency=CURRENCY, lines=lines, net_total=sum((line.net_amount for line in lines), ZERO),
            vat_total=sum((line.vat_amount for line in lines), ZERO),
            gross_total=sum((line.gross_amount for line in lines), ZERO), number=self.number("INV", day),
            issued_on=day, due_on=day + timedelta(days=account.terms), payment_terms_days=account.terms,
            payment_terms_source="customer")
        self.emit(invoice, 1)
        opened = OpenInvoice(invoice.invoice_id, invoice.number, day, invoice.due_on, invoice.gross_total, lines[0])
        bisect.insort(account.invoices, opened.entry())

    def credit(self, account: Account, day: date) -> bool:
        """A price allowance on one of the customer's open invoices (never more than is open, nor than its first
        line less what was credited on it)."""
        if not account.invoices:
            return False
        invoice = self.rng.choice(account.invoices)[3]
        room = min(invoice.open, invoice.line.gross_amount - invoice.credited)
        gross = (room * self.rng.randint(5, 50) / 100).quantize(CENT)
        if gross < Decimal("0.02"):
            return False
        net = (gross / (1 + VAT)).quantize(CENT, rounding=ROUND_HALF_UP)
        line = CreditNoteLine(line_no=1, gtin=invoice.line.gtin, lot=invoice.line.lot, quantity=0, net_amount=-net,
                              vat_rate=VAT, vat_amount=net - gross, gross_amount=-gross)
        invoice.version += 1
        self.emit(CreditNoteIssued(invoice_id=invoice.id, credit_note_id=self.uuid(), number=self.number("CN", day),
                                   reason="sales_allowance", lines=[line], net_total=-net, vat_total=net - gross,
                                   gross_total=-gross, issued_on=day), invoice.version)
        invoice.open -= gross
        invoice.credited += gross
        return True

    def payable(self, account: Account, day: date) -> Decimal:
        """What the customer pays now: 1-6 of the invoices due `delay` days ago or more, oldest first, the last
        in part now and then; when none is, an instalment of the oldest."""
        due = []
        for due_on, _, _, invoice in account.invoices:
            if due_on + timedelta(days=account.delay) > day or len(due) == 6:
                break
            if invoice.open > 0:
                due.append(invoice.open)
        due = due[:self.rng.randint(1, 6)]
        if not due:
            oldest = next(entry[3].open for entry in account.invoices if entry[3].open > 0)
            return max(CENT, (oldest * self.rng.randint(20, 90) / 100).quantize(CENT))
        if self.rng.random() < PARTIAL_SHARE:
            due[-1] = max(CENT, (due[-1] * self.rng.randint(20, 90) / 100).quantize(CENT))
        return sum(due, ZERO)

    def pay(self, account: Account, day: date) -> None:
        for cash in list(account.waiting):  # cash identified since: applied before the new payment
            self.allocate(account, cash, day)
        if not any(entry[3].open > 0 for entry in account.invoices):  # that paid everything
            return
        amount = self.payable(account, day)
        cash = Cash(self.uuid(), f"BR{day:%Y%m%d}{len(self.events):08d}", amount)
        self.emit(PaymentReceived(payment_id=cash.id, customer_id=account.party.id, amount=amount, currency=CURRENCY,
                                  received_on=day, bank_reference=cash.reference, payer=account.party.name,
                                  booked=amount, account_currency=CURRENCY, source="bank_statement"), 1)
        account.recent.append(cash)
        account.waiting.append(cash)
        if self.rng.random() >= UNIDENTIFIED_SHARE:
            self.allocate(account, cash, day)

    def allocate(self, account: Account, cash: Cash, day: date) -> None:
        """The payment's unapplied cash to the customer's open invoices, oldest due first."""
        for entry in account.invoices:
            if cash.unapplied == 0:
                break
            invoice = entry[3]
            if invoice.open <= 0:
                continue
            amount = min(invoice.open, cash.unapplied)
            cash.version += 1
            self.emit(PaymentAllocated(payment_id=cash.id, invoice_id=invoice.id, amount=amount, allocated_on=day),
                      cash.version)
            invoice.open -= amount
            cash.unapplied -= amount
            cash.allocated[invoice] = cash.allocated.get(invoice, ZERO) + amount
        if cash.unapplied == 0:
            account.waiting.remove(cash)
        paid = 0
        while paid < len(account.invoices) and account.invoices[paid][3].open <= 0:
            account.invoices[paid][3].listed = False
            paid += 1
        del account.invoices[:paid]

    def reverse(self, account: Account, day: date) -> bool:
        """The customer's last payment bounces: its allocations are taken back, its invoices open again."""
        live = [cash for cash in account.recent if not cash.reversed]
        if not live:
            return False
        cash = live[-1]
        cash.version += 1
        self.emit(PaymentReversed(payment_id=cash.id, reason="退票: 账户余额不足", reversed_on=day,
                                  allocations=[{"invoice_id": invoice.id, "amount": amount}
                                               for invoice, amount in cash.allocated.items()]), cash.version)
        cash.reversed = True
        for invoice, amount in cash.allocated.items():
            invoice.open += amount
            if not invoice.listed:
                invoice.listed = True
                bisect.insort(account.invoices, invoice.entry())
        if cash in account.waiting:
            account.waiting.remove(cash)
        return True


def register(rng: random.Random, customers: int) -> tuple[list[Party], list[Recorded]]:
    """The customers as channel registers them: hospitals by province, a fifth distributors by region."""
    parties, events = [], []
    for n in range(customers):
        party_id = UUID(int=rng.getrandbits(128), version=4)
        province = PROVINCES[rng.randrange(len(PROVINCES))]
        if rng.random() < DISTRIBUTOR_SHARE:
            party = Party(party_id, "distributor", f"{province[:2]}医疗器械经销 {n:05d}", province)
            payload = DistributorRegistered(distributor_id=party_id, name=party.name, region=province, tier="gold")
        else:
            party = Party(party_id, "hospital", f"{province[:2]}第{n:05d}人民医院", province)
            payload = HospitalRegistered(hospital_id=party_id, name=party.name, province=province, grade="3A")
        parties.append(party)
        events.append((payload, 1))
    return parties, events


def generate(events: int, customers: int, seed: int = SEED) -> Workload:
    """`events` billing events over the two years: a step at a time, a customer drawn by its weight, the day
    advancing with the count."""
    rng = random.Random(seed)
    parties, registered = register(rng, customers)
    accounts = [Account(party, rng.choice(TERMS), rng.choice(PAY_DELAYS)) for party in parties]
    weights = list(_running_sum(rng.lognormvariate(0, 1) for _ in accounts))
    kinds, shares = list(STEPS), list(_running_sum(STEPS.values()))
    ledger = Ledger(rng, [party for party in parties if party.kind == "hospital"])
    while len(ledger.events) < events:
        day = START + timedelta(days=len(ledger.events) * DAYS // events)
        account = rng.choices(accounts, cum_weights=weights)[0]
        ledger.step(rng.choices(kinds, cum_weights=shares)[0], account, day)
    del ledger.events[events:]  # the last payment's allocations beyond the count
    return Workload(registered, ledger.events, parties)


def check_contracts(events: list[Recorded], sample: int = 2000) -> None:
    """The payloads are the contracts as they travel: a sample across the list, each in a whole envelope (its data the
    payload's JSON) sent as bytes, reads back equal through payload_of, as a consumer reads it."""
    for position in range(1, len(events) + 1, max(1, len(events) // sample)):
        payload, version = events[position - 1]
        whole = envelope(payload, version, position).model_copy(update={"data": payload.model_dump(mode="json")})
        if payload_of(CloudEvent.from_bytes(whole.to_bytes())) != payload:
            sys.exit(f"ar: event {position} ({type(payload).__name__}) does not survive its envelope")


def _running_sum(values: Iterable[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


# --- load ----------------------------------------------------------------------------------------------------------

def load(settings: Settings, workload: Workload) -> float:
    """The parties through KnownParties, every billing event through Receivables (apply_batch, as the worker does),
    LOAD_BATCH events per transaction; then ANALYZE. The seconds the billing events took."""
    schema = settings.schema_for("billing")
    pool = new_pool(settings, name="bench-ar-load")
    pool.open()
    try:
        parties, receivables = KnownParties(pool, schema), Receivables(pool, schema)
        parties.setup()
        receivables.setup()
        apply_in_batches(pool, parties, workload.parties)
        started = time.perf_counter()
        apply_in_batches(pool, receivables, workload.events)
        seconds = time.perf_counter() - started
        with pool.connection() as conn:
            for table in ("ar_entries", "ar_invoices", "ar_payments", "known_parties"):
                conn.execute(f"ANALYZE {schema}.{table}")
        return seconds
    finally:
        pool.close()


def apply_in_batches(pool: ConnectionPool, projection: KnownParties | Receivables, events: list[Recorded]) -> None:
    for start in range(0, len(events), LOAD_BATCH):
        batch = [(envelope(payload, version, start + n + 1), payload)
                 for n, (payload, version) in enumerate(events[start:start + LOAD_BATCH])]
        with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")  # as Projection.handle_batch does
            projection.apply_batch(cur, batch)
        if (start // LOAD_BATCH) % 20 == 19:
            print(f"    {start + LOAD_BATCH:,} events applied", flush=True)


# --- the API -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StatementRequest:
    customer: UUID
    start: date
    end: date


@dataclass(frozen=True)
class AgingRequest:
    as_of: date
    group: str


def quarters() -> list[tuple[date, date]]:
    """The eight quarters of the two years, first and last day."""
    starts = [date(year, month, 1) for year in (START.year, START.year + 1, START.year + 2) for month in (1, 4, 7, 10)]
    return [(start, after - timedelta(days=1)) for start, after in zip(starts, starts[1:]) if start <= END]


def statement_requests(customers: list[Party], count: int, rng: random.Random) -> list[StatementRequest]:
    periods = quarters()
    return [StatementRequest(rng.choice(customers).id, *rng.choice(periods)) for _ in range(count)]


def aging_requests(count: int, rng: random.Random) -> list[AgingRequest]:
    return [AgingRequest(START + timedelta(days=rng.randrange(DAYS)), ("customer", "region")[n % 2])
            for n in range(count)]


def statement_call(request: StatementRequest) -> tuple[str, dict]:
    return f"/customers/{request.customer}/statement", {"from": str(request.start), "to": str(request.end)}


def aging_call(request: AgingRequest) -> tuple[str, dict]:
    return "/receivables/aging", {"as_of": str(request.as_of), "by": "due", "group": request.group}


# --- the baseline: recomputed from the events ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Movement:
    """An event's effect on a customer's account, as the read model keeps it (one ar_entries row)."""

    customer: UUID
    kind: str
    document: UUID
    invoice: UUID | None
    number: str
    on: date
    due_on: date | None
    seq: int  # the event's position in billing's log
    key: str
    balance: Decimal
    open: Decimal
    unapplied: Decimal


def movements(events: list[Recorded], customer: UUID | None = None) -> Iterator[Movement]:
    """Every movement folded from the events, in their order (only the customer's when one is given): the
    invoices and payments seen so far say whose a credit note, an allocation or a reversal is."""
    invoices: dict[UUID, UUID] = {}  # invoice -> customer
    payments: dict[UUID, list] = {}  # payment -> [customer, booked, allocated, bank reference, reversed]
    for seq, (payload, version) in enumerate(events, start=1):
        match payload:
            case InvoiceRaised():
                owner = payload.bill_to_distributor_id or payload.hospital_id
                if customer is None or owner == customer:
                    invoices[payload.invoice_id] = owner
                    yield Movement(owner, "invoice", payload.invoice_id, payload.invoice_id, payload.number or "",
                                   payload.issued_on, payload.due_on, seq, _key(payload, version), payload.gross_total,
                                   payload.gross_total, ZERO)
            case CreditNoteIssued() if payload.invoice_id in invoices:
                yield Movement(invoices[payload.invoice_id], "credit_note", payload.invoice_id, payload.invoice_id,
                               payload.number, payload.issued_on, None, seq, _key(payload, version),
                               payload.gross_total, payload.gross_total, ZERO)
            case PaymentReceived() if customer is None or payload.customer_id == customer:
                payments[payload.payment_id] = [payload.customer_id, payload.booked, ZERO, payload.bank_reference,
                                                False]
                yield Movement(payload.customer_id, "payment", payload.payment_id, None, payload.bank_reference,
                               payload.received_on, None, seq, _key(payload, version), -payload.booked, ZERO,
                               payload.booked)
            case PaymentAllocated() if payload.payment_id in payments:
                paid = payments[payload.payment_id]
                paid[2] += payload.amount
                yield Movement(paid[0], "allocation", payload.payment_id, payload.invoice_id, paid[3],
                               payload.allocated_on, None, seq, _key(payload, version), ZERO, -payload.amount,
                               -payload.amount)
            case PaymentReversed() if payload.payment_id in payments and not payments[payload.payment_id][4]:
                yield from _reversal(payload, seq, version, payments[payload.payment_id])


def _reversal(payload: PaymentReversed, seq: int, version: int, paid: list) -> Iterator[Movement]:
    owner, booked, allocated, reference, _ = paid
    paid[4] = True
    yield Movement(owner, "payment_reversal", payload.payment_id, None, reference, payload.reversed_on, None,
                   seq, _key(payload, version), booked, ZERO, -(booked - allocated))
    for n, back in enumerate(payload.allocations):
        yield Movement(owner, "allocation_reversal", payload.payment_id, back.invoice_id, reference,
                       payload.reversed_on, None, seq, f"{_key(payload, version)}:{n}", ZERO, back.amount, ZERO)


def _key(payload: EventPayload, version: int) -> str:
    """The entry's key, as the projection makes it from the envelope: the aggregate (the payload's subject) and
    its version."""
    return f"{getattr(payload, type(payload).subject_field)}:{version}"


def brute_statement(events: list, request: StatementRequest, bounds: list[int]) -> dict:
    """The statement from the events: opening balance, the period's lines in the route's order, closing balance,
    and the aging at the period's end."""
    opening, unapplied, lines = ZERO, ZERO, []
    open_by_invoice: dict[UUID, Decimal] = defaultdict(Decimal)
    due: dict[UUID, date] = {}
    for m in movements(events, request.customer):
        if m.kind == "invoice":
            due[m.document] = m.due_on  # type: ignore[assignment]
        if m.on < request.start:
            opening += m.balance
        elif m.on <= request.end and m.balance != 0:
            lines.append(m)
        if m.on <= request.end:
            unapplied += m.unapplied
            if m.invoice is not None:
                open_by_invoice[m.invoice] += m.open
    lines.sort(key=lambda m: (m.on, m.seq, m.key))  # a day's lines in the order billing recorded them
    lines = lines[:STATEMENT_LINES]
    aging = aged(((due[i], amount) for i, amount in open_by_invoice.items() if amount != 0), request.end, bounds)
    return {"opening": opening, "closing": opening + sum((m.balance for m in lines), ZERO),
            "lines": [(m.kind, m.document, m.number, m.on, m.due_on, m.balance) for m in lines],
            "aging": {**aging, "unapplied": -unapplied}}


def brute_aging(events: list, parties: dict[UUID, Party], request: AgingRequest, bounds: list[int]) -> dict:
    """The aging report from the events: the open amount of every invoice as of the day, its due date and customer;
    grouped, bucketed; the receivable (every balance)."""
    receivable = ZERO
    open_by_invoice: dict[UUID, Decimal] = defaultdict(Decimal)
    invoices: dict[UUID, tuple[UUID, date]] = {}
    for m in movements(events):
        if m.on > request.as_of:
            continue
        receivable += m.balance
        if m.kind == "invoice":
            invoices[m.document] = (m.customer, m.due_on)  # type: ignore[assignment]
        if m.invoice is not None:
            open_by_invoice[m.invoice] += m.open
    items: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for invoice, amount in open_by_invoice.items():
        if amount != 0:
            owner, due_on = invoices[invoice]
            key = str(owner) if request.group == "customer" else parties[owner].region
            items[key].append((due_on, amount))
    groups = {key: {"buckets": aged(found, request.as_of, bounds), "total": sum((a for _, a in found), ZERO)}
              for key, found in items.items()}
    return {"groups": groups, "total": sum((g["total"] for g in groups.values()), ZERO), "receivable": receivable}


def statement_differences(answer: dict, expected: dict) -> list[str]:
    got = {"opening": Decimal(answer["opening_balance"]), "closing": Decimal(answer["closing_balance"]),
           "lines": [(line["kind"], UUID(line["document_id"]), line["number"], date.fromisoformat(line["on"]),
                      line["due_on"] and date.fromisoformat(line["due_on"]), Decimal(line["amount"]))
                     for line in answer["lines"]],
           "aging": {bucket: Decimal(amount) for bucket, amount in answer["aging"].items()}}
    return [f"{part}: the API says {_short(got[part])}, the events {_short(expected[part])}"
            for part in expected if got[part] != expected[part]]


def aging_differences(answer: dict, expected: dict, parties: dict[UUID, Party], group: str) -> list[str]:
    found = []
    for part in ("total", "receivable"):
        if Decimal(answer[part]) != expected[part]:
            found.append(f"{part}: the API says {answer[part]}, the events {expected[part]}")
    groups = expected["groups"]
    if len(answer["groups"]) != min(AGING_GROUPS, len(groups)):
        found.append(f"{len(answer['groups'])} groups answered of {len(groups)} (at most {AGING_GROUPS})")
    for g in answer["groups"]:
        mine = groups.get(g["key"])
        buckets = {bucket: Decimal(amount) for bucket, amount in g["buckets"].items()}
        if mine is None or buckets != mine["buckets"] or Decimal(g["total"]) != mine["total"]:
            found.append(f"group {g['key']}: the API says {buckets}, the events {mine}")
        elif group == "customer" and g["name"] != parties[UUID(g["key"])].name:
            found.append(f"group {g['key']}: named {g['name']!r}, registered as {parties[UUID(g['key'])].name!r}")
    answered = {g["key"] for g in answer["groups"]}
    smallest = min((Decimal(g["total"]) for g in answer["groups"]), default=None)
    left_out = max((g["total"] for key, g in groups.items() if key not in answered), default=None)
    if smallest is not None and left_out is not None and left_out > smallest:
        found.append(f"a group left out totals {left_out}, more than the smallest answered ({smallest})")
    return found


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) < 300 else f"{text[:300]}…"


# --- the run -------------------------------------------------------------------------------------------------------

def check(kind: str, failures: list[tuple[str, list[str]]], checked: int) -> None:
    if failures:
        for who, differences in failures[:20]:
            for difference in differences[:5]:
                print(f"{kind} {who}: {difference}", file=sys.stderr)
        sys.exit(f"ar: {len(failures)} of {checked} {kind}s differ between the API and the events")


def measure(settings: Settings, workload: Workload, args: Namespace) -> dict:
    """The API's latencies, the baseline's, and the check of every baseline answer against the API's."""
    bounds = BillingSettings().aging_buckets
    parties = {party.id: party for party in workload.customers}
    statements = statement_requests(workload.customers, args.ar_requests, random.Random(SEED + 1))
    agings = aging_requests(args.ar_aging_requests, random.Random(SEED + 2))
    stack = start_web(settings, "billing", Path(tempfile.mkdtemp(prefix="bench-ar-")))
    try:
        token = issue_token("bench-ar", ["finance"], settings)
        with httpx.Client(base_url=stack.url("billing"), headers={"Authorization": f"Bearer {token}"},
                          timeout=TIMEOUT) as client:
            warm_up = statement_requests(workload.customers, 50, random.Random(SEED + 3))
            timed_gets(client, [statement_call(r) for r in warm_up])
            timed_gets(client, [aging_call(AgingRequest(END, "customer"))])
            print(f"  {len(statements)} statements ...", flush=True)
            statement_ms, statement_answers = timed_gets(client, [statement_call(r) for r in statements],
                                                         keep=args.ar_baseline_requests)
            print(f"  p50 {percentile(statement_ms, 50):.2f} ms, p99 {percentile(statement_ms, 99):.2f} ms;"
                  f" {len(agings)} agings ...", flush=True)
            aging_ms, aging_answers = timed_gets(client, [aging_call(r) for r in agings],
                                                 keep=args.ar_baseline_agings)
    finally:
        stack.stop_all()
    print(f"  p50 {percentile(aging_ms, 50):,.0f} ms, p99 {percentile(aging_ms, 99):,.0f} ms; recomputing"
          f" {len(statement_answers)} statements and {len(aging_answers)} agings from the events ...", flush=True)
    events = workload.events
    brute_statement_ms, expected_statements = timed_baseline(
        statements[:len(statement_answers)], lambda r: brute_statement(events, r, bounds))
    brute_aging_ms, expected_agings = timed_baseline(
        agings[:len(aging_answers)], lambda r: brute_aging(events, parties, r, bounds))
    check("statement", [(f"of customer {r.customer} from {r.start} to {r.end}", found) for r, answer, expected
                        in zip(statements, statement_answers, expected_statements, strict=False)
                        if (found := statement_differences(answer, expected))], len(statement_answers))
    check("aging", [(f"as of {r.as_of} by {r.group}", found) for r, answer, expected
                    in zip(agings, aging_answers, expected_agings, strict=False)
                    if (found := aging_differences(answer, expected, parties, r.group))], len(aging_answers))
    lines = [len(answer["lines"]) for answer in statement_answers]
    return {
        **latency_figures("statement", statement_ms), **latency_figures("aging", aging_ms),
        **latency_figures("baseline_statement", brute_statement_ms),
        **latency_figures("baseline_aging", brute_aging_ms),
        "statement_speed_up_p99": round(percentile(brute_statement_ms, 99) / percentile(statement_ms, 99), 1),
        "aging_speed_up_p99": round(percentile(brute_aging_ms, 99) / percentile(aging_ms, 99), 1),
        "statements_checked": len(expected_statements), "agings_checked": len(expected_agings),
        "checked_statement_lines_mean": round(statistics.mean(lines), 1) if lines else 0,
        "checked_statement_lines_max": max(lines, default=0),
        "aging_requests_by_group": dict(Counter(r.group for r in agings)),
    }


def main() -> None:
    args = options(__doc__, ar_events=2_000_000, ar_customers=5_000, ar_requests=500, ar_aging_requests=20,
                   ar_baseline_requests=20, ar_baseline_agings=3).parse_args()
    began = time.perf_counter()
    with own_namespace("benchar") as settings:
        facts = machine(settings)
        print(f"generating {args.ar_events:,} billing events for {args.ar_customers:,} customers ...", flush=True)
        started = time.perf_counter()
        workload = generate(args.ar_events, args.ar_customers)
        generate_s = time.perf_counter() - started
        check_contracts(workload.parties + workload.events)
        # Millions of live objects: a full collection walking them (~100 ms and more) must not land inside a timed
        # request. Frozen, the collector skips them (bench/recall.py found this the hard way).
        gc.collect()
        gc.freeze()
        print(f"  {generate_s:.1f}s: {workload.kinds()}; applying them through Receivables ...", flush=True)
        load_s = load(settings, workload)
        size = schema_bytes(settings, "billing")
        print(f"  {load_s:.1f}s ({len(workload.events) / load_s:,.0f} events/s), {size / 2**20:,.0f} MiB;"
              " starting the billing API ...", flush=True)
        measured = measure(settings, workload, args)
        result = {
            "events": len(workload.events), "customers": len(workload.customers),
            "events_by_kind": workload.kinds(), "period": f"{START} to {END}",
            **measured,
            "load_seconds": round(load_s, 1), "load_events_per_s": round(len(workload.events) / load_s),
            "generate_seconds": round(generate_s, 1), "database_mib": round(size / 2**20, 1),
            "total_seconds": round(time.perf_counter() - began, 1),
            "path": "HTTP GET /customers/{id}/statement?from=&to= (a quarter) and /receivables/aging?as_of=&by=due"
                    "&group=customer|region, keep-alive httpx client, billing API as a process, finance token",
            "baseline": "every event folded in Python per request (bench/ar.py movements)",
            "seed": SEED, "machine": at_end(facts),
        }
    report("ar", result, summary(result))


def summary(result: dict) -> str:
    return (f"statement p50 {result['statement_p50_ms']} ms, p99 {result['statement_p99_ms']} ms (from the events: p99"
            f" {result['baseline_statement_p99_ms']:,} ms, x{result['statement_speed_up_p99']}); aging p50"
            f" {result['aging_p50_ms']:,} ms, p99 {result['aging_p99_ms']:,} ms (from the events: p99"
            f" {result['baseline_aging_p99_ms']:,} ms, x{result['aging_speed_up_p99']}); on {result['events']:,}"
            f" events, {result['customers']:,} customers")


if __name__ == "__main__":
    main()
