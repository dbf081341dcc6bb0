"""The order service's read models, as the rules ask them (services/order/domain/compliance.py `SaleFacts`)."""

from uuid import UUID

from psycopg_pool import ConnectionPool

from services.order.domain.compliance import DistributorFacts, ItemFacts


class SaleFactsFromReadModels:
    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.pool, self.schema = pool, schema

    def hospital_known(self, hospital_id: UUID) -> bool:
        with self.pool.connection() as conn:
            return conn.execute(f"SELECT 1 FROM {self.schema}.known_hospitals WHERE hospital_id = %s",
                                (hospital_id,)).fetchone() is not None

    def distributor(self, distributor_id: UUID) -> DistributorFacts | None:
        with self.pool.connection() as conn:
            row = conn.execute(f"SELECT name FROM {self.schema}.known_distributors WHERE distributor_id = %s",
                               (distributor_id,)).fetchone()
            if row is None:
                return None
            licences = conn.execute(f"SELECT document_type, number, valid_from, valid_to FROM"
                                    f" {self.schema}.distributor_licences WHERE distributor_id = %s",
                                    (distributor_id,)).fetchall()
        return DistributorFacts(distributor_id, row["name"], [dict(r) for r in licences])

    def item(self, gtin: str) -> ItemFacts | None:
        with self.pool.connection() as conn:
            row = conn.execute(f"SELECT gtin, name, device_class, certificate FROM {self.schema}.known_items"
                               " WHERE gtin = %s", (gtin,)).fetchone()
        return None if row is None else ItemFacts(**row)
