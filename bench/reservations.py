"""Reservation benchmark: FEFO reservations per second under concurrency, against plain appends in the same run.

`make bench-reservations` runs BENCH_WORKERS threads (default 8) for BENCH_SECONDS each (default 10) in
three rounds against a fresh namespace of the real PostgreSQL:

- baseline: each reservation's write alone — a new fulfilment aggregate saved, no stock read, no contention;
- spread: orders for one unit of one of BENCH_ITEMS items (default 50), FEFO-reserved as the inventory
  worker does (read the item, plan, save; on a version conflict, read again and retry);
- contended: every order for the same item, the worst case for optimistic concurrency.

It writes bench/results/reservations.json with reservations per second, conflicts and latencies per round,
and checks that no item ended with more allocated than on hand.
"""

import random
import statistics
import threading
import time
import uuid
from datetime import timedelta

from stdnum import ean

from bench.common import at_end, in_threads, machine, options, own_namespace, report
from services.inventory.application import InventoryApplication, InventoryUnitOfWork, item_master, quality, receiving
from services.inventory.application import reservation, suppliers
from services.inventory.domain import Fulfilment
from shared.platform.context import acting_as
from shared.platform.eventstore import IntegrityError
from shared.domain.business_day import business_today


def gtin(n: int) -> str:
    body = f"0690000{n:06d}"
    return body + ean.calc_check_digit(body)


def stock_items(app: InventoryApplication, count: int, units: int) -> list[str]:
    """`count` items with one released lot of `units` units each, from a qualified supplier (through the handlers)."""
    today, uow = business_today(), InventoryUnitOfWork(app)
    supplier, _ = suppliers.register_supplier(suppliers.RegisterSupplier(supplier_id=uuid.uuid4(), name="Bench supplier"),
                                              uow)
    for n, document in enumerate(("business_licence", "production_licence")):
        suppliers.record_qualification(suppliers.RecordQualification(
            supplier_id=supplier.id, document_type=document, number=f"B-{n}", valid_from=today - timedelta(days=1),
            valid_to=today + timedelta(days=3650)), uow)
    gtins = [gtin(n) for n in range(count)]
    for code in gtins:
        item_master.register_item(item_master.RegisterItem(gtin=code, name=f"Bench device {code}", device_class=2), uow)
        item_master.set_registration_certificate(item_master.SetRegistrationCertificate(  # nothing is received without
            gtin=code, number=f"国械注准BENCH{code[-6:]}", holder="Bench supplier", valid_from=today - timedelta(days=1),
            valid_to=today + timedelta(days=3650)), uow)
        receiving.receive_goods(receiving.ReceiveGoods(supplier_id=supplier.id, lines=(
            {"gtin": code, "lot": "BENCH", "expiry": today + timedelta(days=800), "quantity": units,
             "warehouse": "WH1"},)), uow)
        quality.inspect_lot(quality.InspectLot(gtin=code, lot="BENCH", warehouse="WH1", released=True), uow)
    return gtins


def reserve(app: InventoryApplication, code: str, today) -> int:  # noqa: ANN001
    """One order of one unit, as the fulfilment planner does it (read the item, plan, save; on a version conflict,
    again on fresh state); returns the number of version conflicts."""
    order = reservation.ReserveOrder(order_id=uuid.uuid4(), ship_to_hospital_id=uuid.uuid4(), today=today,
                                     lines=({"line_no": 1, "gtin": code, "quantity": 1},))
    for conflicts in range(50):
        try:
            reservation.reserve_order(order, InventoryUnitOfWork(app))
            return conflicts
        except IntegrityError:
            continue
    raise RuntimeError("gave up after 50 conflicts")


def append_only(app: InventoryApplication) -> int:
    app.save(Fulfilment(order_id=uuid.uuid4(), ship_to_hospital_id=uuid.uuid4(),
                        lines=[{"line_no": 1, "gtin": gtin(0), "quantity": 1}]))
    return 0


def run_round(name: str, work, workers: int, seconds: float) -> dict:  # noqa: ANN001
    latencies: list[float] = []
    conflicts = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(n: int) -> None:
        with acting_as(f"user:bench-{n}", correlation_id=f"bench-{name}"):
            while time.monotonic() < deadline:
                started = time.perf_counter()
                lost = work()
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    conflicts[0] += lost

    wall = in_threads(worker, workers)
    latencies.sort()
    return {
        "per_second": round(len(latencies) / wall, 1),
        "done": len(latencies),
        "version_conflicts": conflicts[0],
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }


def main(workers: int, seconds: float, items: int) -> dict:
    with own_namespace("benchres") as settings:
        env = {"POSTGRES_POOL_SIZE": str(workers), "POSTGRES_MAX_OVERFLOW": str(workers)}
        app = InventoryApplication(settings, env=env)
        today = business_today()
        try:
            facts = machine(settings)
            with acting_as("user:bench", correlation_id="bench-setup"):
                gtins = stock_items(app, items, units=1_000_000)
            rng = random.Random(7)
            rounds = {
                "baseline_append_only": run_round("baseline", lambda: append_only(app), workers, seconds),
                "spread": run_round("spread", lambda: reserve(app, rng.choice(gtins), today), workers, seconds),
                "contended_one_item": run_round("contended", lambda: reserve(app, gtins[0], today), workers, seconds),
            }
            for code in gtins:
                for lot in app.item_by_gtin(code).lot_stock():
                    assert 0 <= lot.allocated <= lot.on_hand, f"{code} {lot.lot}: allocated {lot.allocated} of {lot.on_hand}"
            result = {
                "reservations_per_s": rounds["spread"]["per_second"],
                "contended_reservations_per_s": rounds["contended_one_item"]["per_second"],
                "baseline_appends_per_s": rounds["baseline_append_only"]["per_second"],
                "rounds": rounds, "workers": workers, "seconds_per_round": seconds, "items": items,
                "machine": at_end(facts),
            }
        finally:
            app.close()
    return result


if __name__ == "__main__":
    args = options(__doc__, workers=8, seconds=10.0, items=50).parse_args()
    r = main(args.workers, args.seconds, args.items)
    report("reservations", r, f"reservations: {r['reservations_per_s']}/s spread over {args.items} items, "
           f"{r['contended_reservations_per_s']}/s all on one item; plain appends {r['baseline_appends_per_s']}/s")
