"""Import benchmark: historical shipment rows imported per second, against raw event appends in the same run.

`make bench-import` writes BENCH_ROWS (default 1,000,000) historical shipment rows as CSV files of 10,000 rows (the
bound of one file) over BENCH_HOSPITALS hospitals (default 1,000) and BENCH_LOTS lots (default 10,000), then, in a
fresh namespace of the real PostgreSQL:

- baseline: the same HistoricalShipmentImported aggregates built directly and appended 200 per transaction (as the
  import saves them), no file, no rule;
- import: every file through `run_import` (shared/platform/imports.py), the path `erp import` and
  `POST /imports/historical-shipments` take: read, each row checked by the API model and the handler (registered
  hospital, GS1 lot, not in the future, the natural key looked up), saved 200 rows per transaction.

Traceability's read models are not measured: the hospitals are answered by an in-memory terminal master (the port
the unit of work asks), so the figures are the import's own cost over the appends. It writes
bench/results/import.json (`import_rows_per_s`, `append_rows_per_s`, `ratio`, the time spent reading the files) and
checks that a second import of the first file stores nothing.
"""

import time
import uuid
from datetime import UTC, date, datetime, timedelta

from stdnum import ean

from bench.common import at_end, machine, options, own_namespace, report
from services.traceability.application import TraceabilityApplication, TraceabilityUnitOfWork
from services.traceability.domain.historical import HistoricalShipment
from services.traceability.domain.terminal_matching import Terminal
from services.traceability.imports import HISTORICAL_SHIPMENTS, shipment_line_id
from shared.platform.context import acting_as
from shared.platform.imports import CHUNK_ROWS, MAX_IMPORT_ROWS, read_rows, run_import

HEADER = "shipment_reference,shipped_at,hospital,gtin,lot,expiry,quantity\n"


def gtin(n: int) -> str:
    body = f"0690000{n:06d}"
    return body + ean.calc_check_digit(body)


class Hospitals:
    """The terminal master and registered hospitals, in memory (traceability's MasterData port)."""

    def __init__(self, count: int) -> None:
        self.terminals_ = [Terminal(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-hospital-{n}"), f"基准医院{n:05d}")
                           for n in range(count)]
        self.by_name = {t.name: t for t in self.terminals_}
        self.ids = {t.hospital_id for t in self.terminals_}

    def terminals(self, names: list[str]) -> list[Terminal]:
        return [self.by_name[n] for n in names if n in self.by_name]

    def registered_hospitals(self, ids: list) -> set:  # noqa: ANN001
        return self.ids & set(ids)

    def registered_distributors(self, ids: list) -> set:  # noqa: ANN001
        return set()

    def known_lots(self, lots: list) -> set:  # noqa: ANN001
        return set()


def files(rows: int, hospitals: int, lots: int) -> list[bytes]:
    """The rows as CSV files of at most 10,000 rows each."""
    out, start = [], date(2024, 1, 1)
    for first in range(0, rows, MAX_IMPORT_ROWS):
        lines = [HEADER]
        for n in range(first, min(rows, first + MAX_IMPORT_ROWS)):
            lot = n % lots
            lines.append(f"CK-{n:08d},{start + timedelta(days=n % 600)},基准医院{n % hospitals:05d},{gtin(lot % 100)},"
                         f"L{lot:06d},2028-12-31,{1 + n % 20}\n")
        out.append("".join(lines).encode())
    return out


def append_only(app: TraceabilityApplication, rows: int, hospitals: Hospitals) -> float:
    started = time.perf_counter()
    batch = []
    now = datetime.now(UTC)
    with acting_as("user:bench", correlation_id="bench-append"):
        for n in range(rows):
            batch.append(HistoricalShipment.record(
                shipment_line_id(f"A-{n}", gtin(0), "L1"), now=now, shipment_reference=f"A-{n}",
                hospital_id=hospitals.terminals_[n % len(hospitals.terminals_)].hospital_id, distributor_id=None,
                shipped_at=now - timedelta(days=1 + n % 600), gtin=gtin(0), lot="L1", expiry=date(2028, 12, 31),
                quantity=1, serials=None, ship_from=None))
            if len(batch) == CHUNK_ROWS:
                app.save(*batch)
                batch.clear()
        if batch:
            app.save(*batch)
    return time.perf_counter() - started


def main(rows: int, hospitals: int, lots: int) -> dict:
    master = Hospitals(hospitals)
    made = time.perf_counter()
    data = files(rows, hospitals, lots)
    made = time.perf_counter() - made
    with own_namespace("benchimp") as settings:
        app = TraceabilityApplication(settings)
        try:
            facts = machine(settings)
            append_seconds = append_only(app, rows, master)

            def new_uow(deferred: bool) -> TraceabilityUnitOfWork:
                return TraceabilityUnitOfWork(app, None, deferred=deferred, master_data=master)

            reading = time.perf_counter()
            for content in data:
                read_rows(HISTORICAL_SHIPMENTS, "bench.csv", content)
            reading = time.perf_counter() - reading
            started = time.perf_counter()
            created = refused = 0
            for n, content in enumerate(data):
                result = run_import(HISTORICAL_SHIPMENTS, f"bench-{n}.csv", content, "user:bench", new_uow,
                                    dry_run=False)
                created += result.created
                refused += result.rows_refused
            import_seconds = time.perf_counter() - started
            assert (created, refused) == (rows, 0), (created, refused)
            again = run_import(HISTORICAL_SHIPMENTS, "bench-0.csv", data[0], "user:bench", new_uow, dry_run=False)
            assert again.created == 0 and again.unchanged == min(rows, MAX_IMPORT_ROWS), again
            result = {
                "rows": rows, "files": len(data), "hospitals": hospitals, "lots": lots,
                "import_rows_per_s": round(rows / import_seconds, 1),
                "append_rows_per_s": round(rows / append_seconds, 1),
                "ratio": round(append_seconds / import_seconds, 3),
                "import_seconds": round(import_seconds, 1), "append_seconds": round(append_seconds, 1),
                "reading_seconds": round(reading, 2), "making_files_seconds": round(made, 2),
                "chunk_rows": CHUNK_ROWS, "machine": at_end(facts),
            }
        finally:
            app.close()
    return result


if __name__ == "__main__":
    args = options(__doc__, rows=1_000_000, hospitals=1_000, lots=10_000).parse_args()
    r = main(args.rows, args.hospitals, args.lots)
    report("import", r, f"import: {r['import_rows_per_s']} historical shipment rows/s; raw appends"
           f" {r['append_rows_per_s']} rows/s in the same run (import at {r['ratio']:.0%} of the append rate)")
