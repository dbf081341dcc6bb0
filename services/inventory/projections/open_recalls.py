"""Open recalls as inventory knows them from traceability's events: what each open recall covers (lots, kit lots,
units). Dispatch asks this register on its own, beside the recall stops on the items: a second, independent check,
so that recalled goods never ship even if an item's stop or hold were somehow gone (issue: recalled goods shipped
after their hold was released)."""

from psycopg import Cursor
from psycopg_pool import ConnectionPool

from shared.events import CloudEvent, EventPayload
from shared.events.traceability import RecallClosed, RecallOpened, RecallScopeReduced
from shared.platform.consumer import Projection
from shared.platform.read_models import ReadModels


class OpenRecalls(Projection):
    name = "inventory-open-recalls"
    subscribes_to = ("traceability",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.open_recall_scope (recall_id uuid NOT NULL, gtin char(14) NOT NULL,"
        " lot text, serial text, CHECK ((lot IS NULL) <> (serial IS NULL)))",
        "CREATE UNIQUE INDEX IF NOT EXISTS open_recall_scope_unique ON {schema}.open_recall_scope"
        " (recall_id, gtin, coalesce(lot, ''), coalesce(serial, ''))",
        "CREATE INDEX IF NOT EXISTS open_recall_scope_by_lot ON {schema}.open_recall_scope (gtin, lot)",
        "CREATE INDEX IF NOT EXISTS open_recall_scope_by_serial ON {schema}.open_recall_scope (gtin, serial)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        table = f"{self.schema}.open_recall_scope"
        match payload:
            case RecallOpened():
                for ref in [*payload.lots, *payload.kit_lots]:
                    cur.execute(f"INSERT INTO {table} (recall_id, gtin, lot) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                                (payload.recall_id, ref.gtin, ref.lot))
                for unit in payload.serials:
                    cur.execute(f"INSERT INTO {table} (recall_id, gtin, serial) VALUES (%s, %s, %s)"
                                " ON CONFLICT DO NOTHING", (payload.recall_id, unit.gtin, unit.serial))
            case RecallScopeReduced():
                for ref in payload.lots:
                    cur.execute(f"DELETE FROM {table} WHERE recall_id = %s AND gtin = %s AND lot = %s",
                                (payload.recall_id, ref.gtin, ref.lot))
                for unit in payload.serials:
                    cur.execute(f"DELETE FROM {table} WHERE recall_id = %s AND gtin = %s AND serial = %s",
                                (payload.recall_id, unit.gtin, unit.serial))
            case RecallClosed():
                cur.execute(f"DELETE FROM {table} WHERE recall_id = %s", (payload.recall_id,))


class OpenRecallRegister:
    """The port dispatch asks (application/__init__.py: OpenRecallsPort): which open recalls cover these goods?"""

    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.reads = ReadModels(pool, schema)

    def covering(self, gtin: str, lots: list[str], serials: list[str]) -> list[str]:
        rows = self.reads.all("SELECT DISTINCT recall_id FROM {schema}.open_recall_scope WHERE gtin = %s"
                              " AND (lot = ANY(%s) OR serial = ANY(%s)) ORDER BY recall_id", (gtin, lots, serials))
        return [str(r["recall_id"]) for r in rows]
