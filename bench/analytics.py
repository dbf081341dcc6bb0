"""Analytics benchmark: the channel dashboard's sales queries through the analytics API on 1,000,000 invoiced order
lines, against recomputing each answer from the events in the same run.

`make bench-analytics` generates, seeded (the same events every run), BENCH_ANALYTICS_LINES (default 1,000,000)
invoice lines over 2025 and 2026 for BENCH_ANALYTICS_HOSPITALS (5,000) hospitals in 31 provinces (three cities
each, graded 3A to ungraded), 300 distributors and 500 products in 20 product groups: invoices of 1-4 lines
(InvoiceRaised), 60% billed to a distributor of the hospital's province (两票制), one order in ten with a line priced
by a tender award (OrderPlaced: a platform sale), 5% with a 票折 discount, and a credit note (CreditNoteIssued, one
unit returned) for 3% of them. Hospitals, distributors and products are registered first (channel's and inventory's
events). Hospitals differ in size (lognormal weights).

Every event is a contract payload in a CloudEvent envelope, applied by the real `Sales` projection (`apply_batch`,
as the worker does, LOAD_BATCH events per transaction) in a namespace of the bench's own. Not through Kafka: that
would measure the backbone (bench/replay.py does), not the read model.

Measured, through HTTP on the analytics API started as its own process (as `make run` does), BENCH_ANALYTICS_REQUESTS
(400) dashboard queries taken in turn from the channel manager's dashboard:
- sales by region, by month, by channel and by hospital grade over a random twelve months;
- the 20 largest distributors; the products of one province; a distributor's own products, asked by the
  distributor's portal user (scoped);
- the drill-down: the first 50 lines behind one province's figure.
The baseline, in the same run: the same queries answered from the events kept in memory, as an ERP without read
models would — every request folds every invoice and credit note in Python. Each fold takes seconds, so only the
first BENCH_ANALYTICS_BASELINE_REQUESTS (16) queries are recomputed; every one of those answers must equal the API's
(every group's amount, net amount, units and lines, the sums and the number of groups; the drill-down's total and
its rows in order), or the bench fails naming the query.

Writes bench/results/analytics.json: p50/p99/max of all queries and per query, the baseline's, the speed-up of the
p99s, the lines and events by kind, the load's time, the tables' size and the machine.
"""

import gc
import math
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from uuid import UUID

import httpx
from stdnum import ean

from bench.common import (
    at_end, latency_figures, machine, options, own_namespace, percentile, report, schema_bytes, start_web,
    timed_baseline, timed_gets,
)
from services.analytics.domain.sales import channel_of, month_of
from services.analytics.projections.sales import Sales
from shared.events import CloudEvent, EventPayload, payload_of
from shared.events.billing import CreditNoteIssued, CreditNoteLine, InvoiceDiscount, InvoiceLine, InvoiceRaised
from shared.events.channel import DistributorRegistered, HospitalRegistered
from shared.events.inventory import ItemRegistered, ProductGroupSet
from shared.events.order import OrderLine, OrderPlaced
from shared.platform.auth import issue_token
from shared.platform.db import new_pool
from shared.platform.settings import Settings

SEED = 20261130
START, DAYS = date(2025, 1, 1), 730
LOAD_BATCH = 10_000
VAT, CENT, ZERO = Decimal("0.13"), Decimal("0.01"), Decimal("0.00")
PROVINCES = ("北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
             "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
             "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
             "宁夏回族自治区", "新疆维吾尔自治区")
GRADES = (("3A", 0.15), ("3B", 0.1), ("2A", 0.25), ("2B", 0.2), ("1A", 0.1), ("ungraded", 0.2))
DISTRIBUTORS, PRODUCTS, GROUPS = 300, 500, 20
DISTRIBUTOR_SHARE, AWARD_SHARE, DISCOUNT_SHARE, CREDIT_SHARE = 0.6, 0.1, 0.05, 0.03
TIMEOUT = 120


@dataclass(slots=True)
class Hospital:
    id: UUID
    province: str
    city: str
    grade: str


@dataclass
class Workload:
    registrations: list[EventPayload]
    events: list[EventPayload]  # orders, invoices, credit notes, in time order
    hospitals: list[Hospital]
    distributors: dict[str, list[UUID]]  # per province
    lines: int

    def kinds(self) -> dict[str, int]:
        return dict(Counter(type(payload).__name__ for payload in self.events).most_common())


def gtin(n: int) -> str:
    body = f"0696{n:09d}"
    return body + ean.calc_check_digit(body)


def generate(lines: int, hospitals: int, seed: int = SEED) -> Workload:
    rng = random.Random(seed)

    def uuid() -> UUID:
        return UUID(int=rng.getrandbits(128), version=4)

    registrations: list[EventPayload] = []
    parties = []
    for n in range(hospitals):
        province = rng.choice(PROVINCES)
        grade = rng.choices([g for g, _ in GRADES], [w for _, w in GRADES])[0]
        hospital = Hospital(uuid(), province, f"{province[:2]}{rng.randrange(3) + 1}市", grade)
        parties.append(hospital)
        registrations.append(HospitalRegistered.model_construct(
            hospital_id=hospital.id, name=f"{province[:2]}第{n}医院", province=province, city=hospital.city,
            grade=grade, contact=None))
    distributors: dict[str, list[UUID]] = defaultdict(list)
    for n in range(DISTRIBUTORS):
        province = PROVINCES[n % len(PROVINCES)]
        distributor = uuid()
        distributors[province].append(distributor)
        registrations.append(DistributorRegistered.model_construct(
            distributor_id=distributor, name=f"{province[:2]}医疗器械{n}公司", region=province, tier="gold",
            contact=None))
    products = [(gtin(n), Decimal(rng.randrange(5_000, 500_000)) / 100) for n in range(1, PRODUCTS + 1)]
    for n, (code, _) in enumerate(products):
        registrations.append(ItemRegistered.model_construct(item_id=uuid(), gtin=code, name=f"器械{n}", device_class=2,
                                                            model=None, manufacturer=None, vat_rate=VAT))
        registrations.append(ProductGroupSet.model_construct(item_id=uuid(), gtin=code, group=f"产品组{n % GROUPS}"))
    weights = list(_running_sum(math.exp(rng.gauss(0, 1)) for _ in parties))

    events: list[EventPayload] = []
    written = 0
    while written < lines:
        day = START + timedelta(days=rng.randrange(DAYS))
        hospital = rng.choices(parties, cum_weights=weights)[0]
        through = distributors[hospital.province]
        distributor = rng.choice(through) if through and rng.random() < DISTRIBUTOR_SHARE else None
        billed = []
        for _ in range(min(rng.randint(1, 4), lines - written)):
            code, price = products[rng.randrange(PRODUCTS)]
            quantity = rng.randint(1, 10)
            net = price * quantity
            vat = (net * VAT).quantize(CENT, rounding=ROUND_HALF_UP)
            billed.append(InvoiceLine.model_construct(gtin=code, lot=f"L{day:%y%m}", quantity=quantity,
                                                      unit_price=price, net_amount=net, vat_rate=VAT,
                                                      vat_amount=vat, gross_amount=net + vat))
        written += len(billed)
        order_id = uuid()
        if rng.random() < AWARD_SHARE:
            events.append(OrderPlaced.model_construct(
                order_id=order_id, hospital_id=hospital.id, currency="CNY", lines=[
                    OrderLine.model_construct(line_no=n, gtin=line.gtin, quantity=line.quantity,
                                              unit_price=line.unit_price, price_source="award" if n == 1 else "list")
                    for n, line in enumerate(billed, start=1)]))
        discounts = []
        if rng.random() < DISCOUNT_SHARE:
            gross = (billed[0].gross_amount / 10).quantize(CENT)
            net = (gross / (1 + VAT)).quantize(CENT, rounding=ROUND_HALF_UP)
            discounts.append(InvoiceDiscount.model_construct(vat_rate=VAT, net_amount=-net, vat_amount=net - gross,
                                                             gross_amount=-gross, settlements=["bench:rebate"]))
        net_total = sum((x.net_amount for x in [*billed, *discounts]), ZERO)
        vat_total = sum((x.vat_amount for x in [*billed, *discounts]), ZERO)
        invoice = InvoiceRaised.model_construct(
            invoice_id=uuid(), order_id=order_id, shipment_id=uuid(), hospital_id=hospital.id,
            bill_to_distributor_id=distributor, currency="CNY", lines=billed, discounts=discounts,
            net_total=net_total, vat_total=vat_total, gross_total=net_total + vat_total, number=None, issued_on=day,
            due_on=None, payment_terms_days=None, payment_terms_source=None)
        events.append(invoice)
        if rng.random() < CREDIT_SHARE:
            line = billed[0]
            events.append(CreditNoteIssued.model_construct(
                invoice_id=invoice.invoice_id, credit_note_id=uuid(), number=f"CN-{len(events)}", reason="return",
                lines=[CreditNoteLine.model_construct(line_no=1, gtin=line.gtin, lot=line.lot, quantity=1,
                                                      net_amount=-line.unit_price, vat_rate=VAT,
                                                      vat_amount=ZERO, gross_amount=-line.unit_price)],
                net_total=-line.unit_price, vat_total=ZERO, gross_total=-line.unit_price,
                issued_on=min(day + timedelta(days=rng.randrange(60)), START + timedelta(days=DAYS - 1)), note=None))
    return Workload(registrations, events, parties, distributors, written)


def _running_sum(values) -> list[float]:  # noqa: ANN001 - an iterable of floats
    total, sums = 0.0, []
    for value in values:
        total += value
        sums.append(total)
    return sums


def envelope(payload: EventPayload, position: int) -> CloudEvent:
    """The envelope without a copy of the payload in `data`: the projection is handed the payload itself, as the
    consumer hands it after validating the envelope's data."""
    kind = type(payload)
    aggregate = str(getattr(payload, kind.subject_field))
    return CloudEvent.model_construct(
        id=f"{kind.producer}-{position}", source=f"/erp/{kind.producer}", type=kind.event_type(), subject=aggregate,
        time=datetime(2025, 1, 1, tzinfo=UTC), aggregateid=aggregate, aggregateversion=1, position=position,
        correlationid=aggregate, actor="user:bench-analytics", schemaversion=kind.schema_version, data={})


def check_contracts(events: list[EventPayload], sample: int = 2000) -> None:
    """The payloads (built without validation, for speed) are the contracts: a sample, each sent as a whole
    envelope in bytes, reads back equal through payload_of, as a consumer reads it."""
    for position in range(1, len(events) + 1, max(1, len(events) // sample)):
        payload = events[position - 1]
        whole = envelope(payload, position).model_copy(update={"data": payload.model_dump(mode="json")})
        if payload_of(CloudEvent.from_bytes(whole.to_bytes())) != payload:
            sys.exit(f"analytics: event {position} ({type(payload).__name__}) is not its contract")


def load(settings: Settings, workload: Workload) -> float:
    """Everything through the Sales projection, as the worker applies it; then ANALYZE. The seconds it took."""
    schema = settings.schema_for("analytics")
    pool = new_pool(settings, name="bench-analytics-load")
    pool.open()
    try:
        projection = Sales(pool, schema)
        projection.setup()
        events = workload.registrations + workload.events
        started = time.perf_counter()
        for start in range(0, len(events), LOAD_BATCH):
            batch = [(envelope(payload, start + n + 1), payload)
                     for n, payload in enumerate(events[start:start + LOAD_BATCH])]
            with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit = off")  # as Projection.handle_batch does
                projection.apply_batch(cur, batch)
            if (start // LOAD_BATCH) % 10 == 9:
                print(f"    {start + LOAD_BATCH:,} events applied", flush=True)
        seconds = time.perf_counter() - started
        with pool.connection() as conn:
            for table in ("sales_facts", "sales_daily", "sales_hospitals", "sales_distributors", "sales_products",
                          "sales_award_lines", "sales_invoices"):
                conn.execute(f"ANALYZE {schema}.{table}")
        return seconds
    finally:
        pool.close()


# --- the queries ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    kind: str
    path: str
    params: dict
    distributor: UUID | None = None  # asked by this distributor's portal user


KINDS = ("by_region", "by_month", "by_channel", "by_grade", "top_distributors", "province_products",
         "own_products", "drill_down")


def queries(workload: Workload, count: int, rng: random.Random) -> list[Query]:
    found = []
    provinces = [p for p in PROVINCES if workload.distributors[p]]
    for n in range(count):
        first = START + timedelta(days=rng.randrange(DAYS - 365))
        start = first.replace(day=1)
        end = (start + timedelta(days=366)).replace(day=1) - timedelta(days=1)
        period = {"from": str(start), "to": str(end)}
        province = rng.choice(provinces)
        kind = KINDS[n % len(KINDS)]
        found.append({
            "by_region": Query(kind, "/sales", {**period, "group": "region", "limit": 100}),
            "by_month": Query(kind, "/sales", {**period, "group": "month", "limit": 100}),
            "by_channel": Query(kind, "/sales", {**period, "group": "channel"}),
            "by_grade": Query(kind, "/sales", {**period, "group": "hospital_grade", "channel": "distributor"}),
            "top_distributors": Query(kind, "/sales", {**period, "group": "distributor", "limit": 20}),
            "province_products": Query(kind, "/sales", {**period, "group": "product", "region": province,
                                                        "limit": 500}),
            "own_products": Query(kind, "/sales", {**period, "group": "product", "limit": 500},
                                  distributor=rng.choice(workload.distributors[province])),
            "drill_down": Query(kind, "/sales/lines", {**period, "group": "region", "key": province, "limit": 50}),
        }[kind])
    return found


def recompute(workload: Workload, facts: dict, query: Query) -> dict:
    """The query answered from the events: every invoice and credit note folded, filtered and grouped."""
    p = query.params
    start, end = date.fromisoformat(p["from"]), date.fromisoformat(p["to"])
    hospitals, awarded, by_invoice = facts["hospitals"], facts["awarded"], {}
    rows = []
    for event in workload.events:
        if isinstance(event, InvoiceRaised):
            by_invoice[event.invoice_id] = event
            if start <= event.issued_on <= end:
                rows += [(event, n, line.gtin, line.gross_amount, line.net_amount, line.quantity, 1, event.issued_on,
                          event.invoice_id, "invoice", line.lot) for n, line in enumerate(event.lines, start=1)]
                rows += [(event, len(event.lines) + n, None, d.gross_amount, d.net_amount, 0, 0, event.issued_on,
                          event.invoice_id, "discount", None) for n, d in enumerate(event.discounts, start=1)]
        elif isinstance(event, CreditNoteIssued) and start <= event.issued_on <= end:
            invoice = by_invoice[event.invoice_id]
            rows += [(invoice, n, line.gtin, line.gross_amount, line.net_amount, -line.quantity, 0, event.issued_on,
                      event.credit_note_id, "credit_note", line.lot) for n, line in enumerate(event.lines, start=1)]
    group = p.get("group")
    groups: dict[str, list] = defaultdict(lambda: [ZERO, ZERO, 0, 0])
    kept = []
    for invoice, line_no, code, gross, net, units, lines, day, document, kind, lot in rows:
        hospital = hospitals[invoice.hospital_id]
        distributor = invoice.bill_to_distributor_id
        channel = channel_of(distributor, "award" if (invoice.order_id, code) in awarded else None)
        if query.distributor is not None and distributor != query.distributor:
            continue
        if ("region" in p and hospital.province != p["region"]) or ("channel" in p and channel != p["channel"]):
            continue
        key = {"region": hospital.province, "month": month_of(day), "channel": channel,
               "hospital_grade": hospital.grade, "distributor": str(distributor or ""), "product": code or ""}[group]
        if query.path == "/sales/lines":
            if key == p["key"]:
                kept.append((-day.toordinal(), document, line_no, gross))
            continue
        figures = groups[key]
        figures[0] += gross
        figures[1] += net
        figures[2] += units
        figures[3] += lines
    if query.path == "/sales/lines":
        kept.sort()
        return {"total": len(kept), "items": [(str(d), n, g) for _, d, n, g in kept[:p["limit"]]]}
    ordered = sorted(groups.items(), key=(lambda kv: kv[0]) if group == "month" else (lambda kv: (-kv[1][0], kv[0])))
    return {"total": len(ordered), "amount": sum((f[0] for f in groups.values()), ZERO),
            "units": sum(f[2] for f in groups.values()),
            "items": [(k, f[0], f[1], f[2], f[3]) for k, f in ordered[:p.get("limit", 50)]]}


def differences(answer: dict, expected: dict, query: Query) -> list[str]:
    if query.path == "/sales/lines":
        found = {"total": answer["total"], "items": [(r["document_id"], r["line_no"], Decimal(r["amount"]))
                                                     for r in answer["items"]]}
    else:
        found = {"total": answer["total"], "amount": Decimal(answer["amount"]), "units": answer["units"],
                 "items": [(g["key"], Decimal(g["amount"]), Decimal(g["net_amount"]), g["units"], g["lines"])
                           for g in answer["items"]]}
    return [f"{name}: API {found[name]!r:.300} != events {expected[name]!r:.300}" for name in expected
            if found[name] != expected[name]]


def measure(settings: Settings, workload: Workload, args) -> dict:  # noqa: ANN001 - the parsed options
    asked = queries(workload, args.analytics_requests, random.Random(SEED + 1))
    stack = start_web(settings, "analytics", Path(tempfile.mkdtemp(prefix="bench-analytics-")))
    url = stack.url("analytics")
    manager = issue_token("bench-analytics", ["channel_manager"], settings)
    clients: dict[UUID | None, httpx.Client] = {}

    def client(distributor: UUID | None) -> httpx.Client:
        if distributor not in clients:
            token = manager if distributor is None else issue_token(
                "bench-portal", ["distributor_user"], settings, scopes=[f"distributor:{distributor}"])
            clients[distributor] = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                                timeout=TIMEOUT)
        return clients[distributor]

    try:
        for query in queries(workload, 3 * len(KINDS), random.Random(SEED + 2)):  # warm up every kind
            timed_gets(client(query.distributor), [(query.path, query.params)])
        latencies, answers, by_kind = [], [], defaultdict(list)
        gc.collect()
        for n, query in enumerate(asked):
            ms, answer = timed_gets(client(query.distributor), [(query.path, query.params)],
                                    keep=1 if n < args.analytics_baseline_requests else 0)
            latencies += ms
            by_kind[query.kind] += ms
            answers += answer
    finally:
        for open_client in clients.values():
            open_client.close()
        stack.stop_all()
    print(f"  p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms; recomputing"
          f" {len(answers)} answers from the events ...", flush=True)
    facts = {"hospitals": {h.id: h for h in workload.hospitals},
             "awarded": {(e.order_id, line.gtin) for e in workload.events if isinstance(e, OrderPlaced)
                         for line in e.lines if line.price_source == "award"}}
    baseline_ms, expected = timed_baseline(asked[:len(answers)], lambda q: recompute(workload, facts, q))
    failures = [(q, found) for q, answer, wanted in zip(asked, answers, expected, strict=False)
                if (found := differences(answer, wanted, q))]
    for query, found in failures[:10]:
        print(f"{query.kind} {query.params}: {found[:3]}", file=sys.stderr)
    if failures:
        sys.exit(f"analytics: {len(failures)} of {len(answers)} answers differ between the API and the events")
    return {
        **latency_figures("dashboard", latencies), **latency_figures("baseline", baseline_ms),
        "speed_up_p99": round(percentile(baseline_ms, 99) / percentile(latencies, 99), 1),
        "by_query": {kind: latency_figures("api", ms) for kind, ms in by_kind.items()},
        "answers_checked": len(answers), "checked_by_query": dict(Counter(q.kind for q in asked[:len(answers)])),
    }


def main() -> None:
    args = options(__doc__, analytics_lines=1_000_000, analytics_hospitals=5_000, analytics_requests=400,
                   analytics_baseline_requests=16).parse_args()
    began = time.perf_counter()
    with own_namespace("benchan") as settings:
        facts = machine(settings)
        print(f"generating {args.analytics_lines:,} invoice lines for {args.analytics_hospitals:,} hospitals ...",
              flush=True)
        started = time.perf_counter()
        workload = generate(args.analytics_lines, args.analytics_hospitals)
        generate_s = time.perf_counter() - started
        check_contracts(workload.registrations + workload.events)
        gc.collect()
        gc.freeze()  # millions of live objects: a full collection must not land inside a timed request
        print(f"  {generate_s:.1f}s: {workload.kinds()}; applying them through Sales ...", flush=True)
        load_s = load(settings, workload)
        size = schema_bytes(settings, "analytics")
        print(f"  {load_s:.1f}s, {size / 2**20:,.0f} MiB; starting the analytics API ...", flush=True)
        measured = measure(settings, workload, args)
        result = {
            "invoice_lines": workload.lines, "hospitals": len(workload.hospitals), "distributors": DISTRIBUTORS,
            "products": PRODUCTS, "events_by_kind": workload.kinds(), "period": f"{START} to 2026-12-31",
            **measured,
            "load_seconds": round(load_s, 1),
            "load_events_per_s": round((len(workload.events) + len(workload.registrations)) / load_s),
            "generate_seconds": round(generate_s, 1), "tables_mib": round(size / 2**20, 1),
            "total_seconds": round(time.perf_counter() - began, 1),
            "path": "HTTP GET /sales?group=… and /sales/lines (drill-down) on the analytics API as a process,"
                    " keep-alive httpx clients, a channel manager's token and distributors' portal tokens",
            "baseline": "every invoice and credit note folded in Python per request (bench/analytics.py recompute)",
            "seed": SEED, "machine": at_end(facts),
        }
    report("analytics", result, summary(result))


def summary(result: dict) -> str:
    return (f"dashboard queries p50 {result['dashboard_p50_ms']} ms, p99 {result['dashboard_p99_ms']} ms (from the"
            f" events: p99 {result['baseline_p99_ms']:,} ms, x{result['speed_up_p99']}) on"
            f" {result['invoice_lines']:,} invoice lines; {result['answers_checked']} answers checked")


if __name__ == "__main__":
    main()
