"""Traceability's read models as master data: the lots it knows, the hospitals registered in the channel, and the
products (item name, model, manufacturer, registration certificate) its regulator reports name."""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from psycopg import Connection
from psycopg_pool import ConnectionPool


@dataclass(frozen=True)
class Product:
    gtin: str
    name: str | None = None
    model: str | None = None
    manufacturer: str | None = None  # the item's, else its certificate holder's (注册人)
    certificate_number: str | None = None
    certificate_valid_to: date | None = None


class CatalogueReader:
    """The `MasterData` port of services/traceability/domain/master_data.py, on the read models."""

    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.pool, self.schema = pool, schema

    def known_lots(self, lots: list[tuple[str, str]]) -> set[tuple[str, str]]:
        # Received or assembled (the lot catalogue), or seen shipped or consumed into a kit by the lineage: the
        # two projections run apart, and either knowing the lot proves it exists.
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT a.gtin::text AS gtin, a.lot FROM unnest(%s::char(14)[], %s::text[]) AS a(gtin, lot)"
                f" WHERE EXISTS (SELECT 1 FROM {self.schema}.lots l WHERE l.gtin = a.gtin AND l.lot = a.lot)"
                f" OR EXISTS (SELECT 1 FROM {self.schema}.lot_consignees e WHERE e.gtin = a.gtin AND e.lot = a.lot)"
                f" OR EXISTS (SELECT 1 FROM {self.schema}.lot_links k"
                "  WHERE k.component_gtin = a.gtin AND k.component_lot = a.lot)",
                ([g for g, _ in lots], [lot for _, lot in lots])).fetchall()
        return {(r["gtin"], r["lot"]) for r in rows}

    def registered_hospitals(self, ids: list[UUID]) -> set[UUID]:
        with self.pool.connection() as conn:
            return {r["consignee_id"] for r in conn.execute(
                f"SELECT consignee_id FROM {self.schema}.consignees WHERE kind = 'hospital' AND consignee_id = ANY(%s)",
                (list(set(ids)),)).fetchall()}


def products(conn: Connection, schema: str, gtins: list[str]) -> dict[str, Product]:
    """The product of each GTIN; one the item master never described has only its GTIN."""
    rows = {r["gtin"]: r for r in conn.execute(
        f"SELECT gtin::text AS gtin, name, model, coalesce(manufacturer, certificate_holder) AS manufacturer,"
        f" certificate_number, certificate_valid_to FROM {schema}.items WHERE gtin = ANY(%s)",
        (sorted(set(gtins)),)).fetchall()}
    return {g: Product(**rows[g]) if g in rows else Product(gtin=g) for g in gtins}
