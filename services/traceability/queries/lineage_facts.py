"""Single facts of the lineage the command handlers ask (through the ports, ports.py): the kit lots made from some
lots, and whom a shipment went to."""

from uuid import UUID

from services.traceability.queries.reach import ONE_LOT, reach
from shared.platform.read_models import ReadModels


def kit_lots_made_from(read: ReadModels, lots: list[dict[str, str]]) -> list[dict[str, str]]:
    """Every kit lot assembled from the lots, transitively, lot by lot: nearest kits first, then by GTIN and lot."""
    with read.pool.connection() as conn:
        reached = [reach(conn, read.schema, ONE_LOT, {"gtin": r["gtin"], "lot": r["lot"]}) for r in lots]
    return [{"gtin": gtin, "lot": lot} for found in reached
            for (gtin, lot), via in sorted(found.items(), key=lambda kv: (len(kv[1]), kv[0])) if len(via) > 1]


def consignee_of_shipment(read: ReadModels, shipment_id: UUID) -> UUID | None:
    """The shipment's consignee as the lineage knows it (a distributor, for goods shipped through one)."""
    row = read.one("SELECT consignee_id FROM {schema}.shipped_lots WHERE shipment_id = %s LIMIT 1", (shipment_id,))
    return row["consignee_id"] if row else None
