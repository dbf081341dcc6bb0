"""Recall lookup benchmark: latency of `GET /recalls/lookup` through the HTTP API on a large lineage, against
the brute-force walk over every event in the same run.

`make bench-recall` generates BENCH_LINES (default 1,000,000) shipment lines over BENCH_LOTS (50,000) lots and
BENCH_HOSPITALS (5,000) hospitals — ShipmentDispatched events with 1-4 lines each, some ShipmentReturned, and
KitAssembled for 2% of the lots (kits of kits too) — and applies them through the real `ShipmentLineage`
projection (`apply_batch`, in transactions of LOAD_BATCH events) in a fresh namespace. Not through Kafka: a
million lines through the relay and the consumer would take far longer than what is measured here, and the
projection code that writes the tables is the same.

It then starts the traceability API as a process (`python -m shared.platform.run web traceability`, as `make run` does),
warms it up, and times BENCH_LOOKUPS (1,000) lookups of random lots with a keep-alive client. The baseline is
the brute-force walk of tests/integration/test_recall_lineage.py (reach through the kit assemblies, then scan
every event for the shipments and returns of the reached lots) for the first BENCH_BASELINE_LOTS of the same
lots: each walk scans the whole history, so a thousand of them would take many minutes. For every one of those
lots the HTTP answer must equal the walk's (units shipped and returned per consignee and lot, and the
shipments), so the lookup cannot be fast by being wrong. Writes bench/results/recall.json; the namespace is
removed at the end.

Growth (BENCH_GROWTH, line counts separated by commas, e.g. 250000,4000000): the same measurement again at each of
those sizes, each in a namespace of its own, with as many lines per lot as the main run (BENCH_LOTS scaled with the
lines, the hospitals the same): the answers stay the same size, so what grows is only the tables the lookup reads
(their indexes' depth, the cache they need). Fewer answers are checked against the walk there
(BENCH_GROWTH_BASELINE_LOTS): a walk over 4,000,000 lines takes seconds. Recorded under `growth`, with the ratio of
the largest size's p99 to the smallest's.
"""

import asyncio
import gc
import os
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx
from stdnum import ean

from bench.common import at_end, machine, options, percentile, report, schema_bytes, start_web
from services.traceability.projections.lineage import ShipmentLineage
from services.traceability.queries import recall_lookup
from shared.events import CloudEvent, EventPayload
from shared.events.channel import HospitalRegistered
from shared.events.inventory import KitAssembled, ShipmentDispatched, ShipmentReturned
from shared.platform.auth import issue_token
from shared.platform.db import new_pool
from shared.platform.namespace import drop_namespace
from shared.platform.settings import Settings
from tests.integration.test_recall_lineage import BruteForce

LOAD_BATCH = 20_000  # events per transaction
SEED = 20261125
PROVINCES = ("上海市", "北京市", "广东省", "四川省", "浙江省", "江苏省", "湖北省")
KIT_SHARE = 0.02  # of the lots, assembled from 2-3 others
RETURN_SHARE = 0.03  # of the shipments, partly returned


def gtin(n: int) -> str:
    body = f"0695{n:09d}"
    return body + ean.calc_check_digit(body)


@dataclass
class Workload:
    envelopes: list[tuple[CloudEvent, EventPayload]] = field(default_factory=list)
    lots: list[tuple[str, str]] = field(default_factory=list)
    lines: int = 0

    @property
    def events(self) -> list[EventPayload]:
        return [payload for _, payload in self.envelopes]


class _Log:
    """Envelopes as the relay would make them (position and time per producer); the lineage reads only the
    payload, so the envelope carries no copy of the data."""

    def __init__(self, workload: Workload, rng: random.Random) -> None:
        self.workload = workload
        self.rng = rng
        self.positions: dict[str, int] = {}
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def emit(self, payload: EventPayload) -> None:
        producer = type(payload).producer
        position = self.positions[producer] = self.positions.get(producer, 0) + 1
        self.clock += timedelta(seconds=1)
        subject = str(getattr(payload, type(payload).subject_field))
        envelope = CloudEvent.model_construct(
            id=f"{producer}-{position}", source=f"/erp/{producer}", type=f"erp.{producer}.{type(payload).event_name}",
            subject=subject, time=self.clock, aggregateid=subject, aggregateversion=1, position=position,
            correlationid=subject, actor="user:bench", schemaversion=type(payload).schema_version, data={})
        self.workload.envelopes.append((envelope, payload))


def generate(lines: int, lots: int, hospitals: int, seed: int = SEED) -> Workload:
    rng = random.Random(seed)
    workload = Workload()
    log = _Log(workload, rng)
    hospital_ids = [log.uuid() for _ in range(hospitals)]
    for n, hospital in enumerate(hospital_ids):
        log.emit(HospitalRegistered(hospital_id=hospital, name=f"医院 {n:05d}",
                                    province=PROVINCES[n % len(PROVINCES)], grade="3A"))
    gtins = [gtin(n) for n in range(1, max(2, lots // 100) + 1)]  # about 100 lots per GTIN
    workload.lots = [(gtins[n % len(gtins)], f"B{n:07d}") for n in range(lots)]
    expiry = date(2029, 6, 30)
    kits = set(rng.sample(range(lots // 10, lots), int(lots * KIT_SHARE)))
    for n in sorted(kits):  # components are lots numbered below the kit, some of them kits: kits of kits
        components = {workload.lots[rng.randrange(n)] for _ in range(rng.randint(2, 3))}
        kit_gtin, kit_lot = workload.lots[n]
        log.emit(KitAssembled(item_id=log.uuid(), gtin=kit_gtin, assembly_id=log.uuid(), lot=kit_lot, expiry=expiry,
                              quantity=rng.randint(10, 100), warehouse="WH-SH", components=[
                                  {"gtin": g, "lot": lot, "expiry": expiry, "warehouse": "WH-SH",
                                   "quantity": rng.randint(1, 4)} for g, lot in sorted(components)]))
    shipped: list[ShipmentDispatched] = []
    returned: set[UUID] = set()  # a shipment comes back at most once, never more units than it brought
    while workload.lines < lines:
        picked = {workload.lots[rng.randrange(lots)] for _ in range(min(rng.randint(1, 4), lines - workload.lines))}
        shipment = ShipmentDispatched(
            fulfilment_id=log.uuid(), order_id=log.uuid(), shipment_id=log.uuid(),
            ship_to_hospital_id=hospital_ids[rng.randrange(hospitals)], ship_from_warehouse="WH-SH", carrier="SF",
            tracking_number=f"SF{len(shipped):010d}", dispatched_at=log.clock,
            lines=[{"gtin": g, "lot": lot, "expiry": expiry, "quantity": rng.randint(1, 20)} for g, lot in picked])
        log.emit(shipment)
        shipped.append(shipment)
        workload.lines += len(shipment.lines)
        earlier = shipped[rng.randrange(len(shipped))]
        if rng.random() < RETURN_SHARE and earlier.shipment_id not in returned:
            returned.add(earlier.shipment_id)
            line = earlier.lines[0]
            log.emit(ShipmentReturned(
                fulfilment_id=earlier.fulfilment_id, order_id=earlier.order_id, return_id=log.uuid(),
                shipment_id=earlier.shipment_id, ship_to_hospital_id=earlier.ship_to_hospital_id, reason="damaged",
                disposition="quarantine", warehouse="WH-SH",
                lines=[{"gtin": line.gtin, "lot": line.lot, "expiry": line.expiry,
                        "quantity": rng.randint(1, line.quantity)}]))
    return workload


def load(settings: Settings, workload: Workload) -> float:
    """Every event through the lineage projection's apply_batch, LOAD_BATCH events per transaction."""
    pool = new_pool(settings, name="bench-recall-load")
    pool.open()
    try:
        projection = ShipmentLineage(pool, settings.schema_for("traceability"))
        projection.setup()
        started = time.perf_counter()
        for start in range(0, len(workload.envelopes), LOAD_BATCH):
            with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                projection.apply_batch(cur, workload.envelopes[start:start + LOAD_BATCH])
        seconds = time.perf_counter() - started
        with pool.connection() as conn:
            conn.execute(f"ANALYZE {settings.schema_for('traceability')}.shipped_lots")
            conn.execute(f"ANALYZE {settings.schema_for('traceability')}.lot_consignees")
            conn.execute(f"ANALYZE {settings.schema_for('traceability')}.lot_links")
        return seconds
    finally:
        pool.close()


def timed_lookups(client: httpx.Client, lots: list[tuple[str, str]], keep: int = 0) -> tuple[list[float], list[dict]]:
    """Latency per lookup in ms, and the first `keep` answers (only those: fewer live objects, shorter GC pauses)."""
    latencies, answers = [], []
    gc.collect()
    for g, lot in lots:
        started = time.perf_counter()
        response = client.get("/recalls/lookup", params={"gtin": g, "lot": lot, "limit": 500})
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        if len(answers) < keep:
            answers.append(response.json())
    return latencies, answers


def direct_lookups(settings: Settings, lots: list[tuple[str, str]], warm_up: list[tuple[str, str]]) -> list[float]:
    """The same lookups as `recall_lookup` calls in this process (a pool like the API's): the database's share."""
    pool = new_pool(settings, name="bench-recall-direct", prepare=False)
    pool.open()
    latencies = []
    try:
        with pool.connection() as conn:
            for g, lot in warm_up:  # a new backend fills its catalog caches on its first lookups
                recall_lookup(conn, settings.schema_for("traceability"), gtin=g, lot=lot, limit=500)
            gc.collect()
            for g, lot in lots:
                started = time.perf_counter()
                recall_lookup(conn, settings.schema_for("traceability"), gtin=g, lot=lot, limit=500)
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        pool.close()
    return latencies


def brute_force_answer(brute: BruteForce, key: tuple[str, str]) -> tuple[dict, dict]:
    """What the walk over every event says: per consignee, units (shipped, returned) per reached lot; shipments."""
    reached = set(brute.reach({key}))
    exposure = brute.exposure(reached)
    shipments = brute.shipments(reached)
    return ({str(c): {lot: tuple(q) for lot, q in lots.items()} for c, lots in exposure.items()},
            {str(c): shipments[c] for c in exposure})


def http_answer(answer: dict) -> tuple[dict, dict]:
    assert answer["total"] == len(answer["consignees"]), "the check needs the whole answer on one page"
    return ({c["consignee_id"]: {(a["gtin"], a["lot"]): (a["quantity_shipped"], a["quantity_returned"])
                                 for a in c["affected_lots"]} for c in answer["consignees"]},
            {c["consignee_id"]: {(UUID(s["shipment_id"]), s["gtin"], s["lot"], s["quantity"]) for s in c["shipments"]}
             for c in answer["consignees"]})


def rounded(ms: float) -> float:
    return round(ms, 2)


async def main(lines: int, lots: int, hospitals: int, lookups: int, baseline_lots: int, keep: bool = False) -> dict:
    settings = Settings(ERP_NAMESPACE=f"bench{uuid.uuid4().hex[:6]}_", ERP_ENV="test")
    stack = None
    try:
        facts = machine(settings)
        print(f"generating {lines:,} shipment lines over {lots:,} lots and {hospitals:,} hospitals ...", flush=True)
        started = time.perf_counter()
        workload = generate(lines, lots, hospitals)
        generate_s = time.perf_counter() - started
        # The workload is millions of live objects: a full collection in this process walks them all (~100 ms),
        # and one falling inside a timed request would be counted as the API's latency. Frozen, they are skipped.
        gc.collect()
        gc.freeze()
        print(f"  {len(workload.envelopes):,} events in {generate_s:.1f}s; applying them through the lineage"
              " projection ...", flush=True)
        load_s = load(settings, workload)
        size = schema_bytes(settings, "traceability")
        print(f"  {load_s:.1f}s ({len(workload.envelopes) / load_s:,.0f} events/s), {size / 2**20:,.0f} MiB;"
              " starting the API ...", flush=True)
        stack = start_web(settings, "traceability", Path(tempfile.mkdtemp(prefix="bench-recall-")))
        sample = random.Random(SEED + 1).sample(workload.lots, lookups)
        token = issue_token("bench", ["recall_officer"], settings)
        with httpx.Client(base_url=stack.url("traceability"), headers={"Authorization": f"Bearer {token}"},
                          timeout=30) as client:
            warm_up = random.Random(SEED + 2).sample(workload.lots, min(200, lots))
            timed_lookups(client, warm_up)
            latencies, answers = timed_lookups(client, sample, keep=baseline_lots)
        direct = direct_lookups(settings, sample, warm_up)
        print(f"  p50 {percentile(latencies, 50):.2f} ms, p99 {percentile(latencies, 99):.2f} ms over {lookups:,}"
              f" lookups (the query function alone: p50 {percentile(direct, 50):.2f} ms, p99"
              f" {percentile(direct, 99):.2f} ms); brute-force walk over the first {baseline_lots} ...", flush=True)
        brute = BruteForce(workload.events)
        baseline = []
        for key, answer in zip(sample[:baseline_lots], answers, strict=False):
            started = time.perf_counter()
            expected = brute_force_answer(brute, key)
            baseline.append((time.perf_counter() - started) * 1000)
            assert http_answer(answer) == expected, f"the API's answer for {key} differs from the walk's"
        consignees = [len(a["consignees"]) for a in answers]  # of the answers checked
        result = {
            "lines": workload.lines,
            "lots": lots,
            "hospitals": hospitals,
            "events": len(workload.envelopes),
            "kit_lots": sum(1 for e in workload.events if isinstance(e, KitAssembled)),
            "lookups": lookups,
            "p50_ms": rounded(percentile(latencies, 50)),
            "p99_ms": rounded(percentile(latencies, 99)),
            "max_ms": rounded(max(latencies)),
            # recall_lookup called in this process, no HTTP: what the database and the query code take.
            "query_function_p50_ms": rounded(percentile(direct, 50)),
            "query_function_p99_ms": rounded(percentile(direct, 99)),
            "baseline_lookups": len(baseline),
            "baseline_p50_ms": rounded(percentile(baseline, 50)),
            "baseline_p99_ms": rounded(percentile(baseline, 99)),
            "answers_checked_against_baseline": len(baseline),
            "consignees_per_answer_mean": round(statistics.mean(consignees), 1),
            "consignees_per_answer_max": max(consignees),
            "load_seconds": round(load_s, 1),
            "load_events_per_s": round(len(workload.envelopes) / load_s),
            "generate_seconds": round(generate_s, 1),
            "database_mib": round(size / 2**20, 1),
            "target_p99_ms": 5,
            "path": "HTTP GET /recalls/lookup?gtin=&lot=&limit=500, keep-alive httpx client, API as a process",
            "machine": at_end(facts),
        }
    finally:
        if stack is not None:
            stack.stop_all()
        if keep:  # to profile the lookup's queries on the loaded tables (EXPLAIN ANALYZE); drop it afterwards
            print(f"kept namespace {settings.namespace} (schema {settings.schema_for('traceability')})", flush=True)
        else:
            await drop_namespace(settings)
        gc.unfreeze()
    return result


def growth(sizes: list[int], base: dict, lookups: int, baseline_lots: int) -> dict:
    """The main run's measurement at each size, lines per lot as in the main run (`base`): p99 against lines."""
    runs = []
    for lines in sizes:
        lots = max(1, round(lines * base["lots"] / base["lines"]))
        found = asyncio.run(main(lines, lots, base["hospitals"], lookups, baseline_lots))
        runs.append({k: found[k] for k in (
            "lines", "lots", "hospitals", "p50_ms", "p99_ms", "max_ms", "query_function_p50_ms",
            "query_function_p99_ms", "answers_checked_against_baseline", "consignees_per_answer_mean",
            "database_mib")} | {"load_average_at_end": [round(x, 2) for x in found["machine"]["load_average_at_end"]]})
        print(f"  growth: {lines:,} lines, p99 {found['p99_ms']} ms", flush=True)
    smallest, largest = min(runs, key=lambda r: r["lines"]), max(runs, key=lambda r: r["lines"])
    return {"lines_per_lot": round(base["lines"] / base["lots"], 1), "runs": runs,
            "p99_ratio": round(largest["p99_ms"] / smallest["p99_ms"], 2),
            "p99_ratio_of": f"{largest['lines']:,} lines over {smallest['lines']:,}", "target_p99_ratio": 1.5}


if __name__ == "__main__":
    parser = options(__doc__, lines=1_000_000, lots=50_000, hospitals=5_000, lookups=1_000, baseline_lots=200,
                     growth_baseline_lots=20)
    parser.add_argument("--keep", action="store_true", default=os.environ.get("BENCH_KEEP") == "1",
                        help="keep the namespace (to profile its tables); it is removed otherwise")
    parser.add_argument("--growth", default=os.environ.get("BENCH_GROWTH", ""),
                        help="line counts, comma-separated: the measurement again at each (lines per lot kept)")
    args = parser.parse_args()
    result = asyncio.run(main(args.lines, args.lots, args.hospitals, args.lookups, args.baseline_lots, args.keep))
    summary = (f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms over {result['lookups']:,} lookups (brute-force"
               f" walk: p50 {result['baseline_p50_ms']} ms, p99 {result['baseline_p99_ms']} ms) on {result['lines']:,}"
               " lines")
    report("recall", result, summary)  # now, and again with the growth runs: they take long
    if args.growth:
        result["growth"] = growth([int(n) for n in args.growth.split(",")], result, args.lookups,
                                  args.growth_baseline_lots)
        report("recall", result, f"{summary}; p99 at {result['growth']['p99_ratio_of']}:"
                                 f" {result['growth']['p99_ratio']}x")
