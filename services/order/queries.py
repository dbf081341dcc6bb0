"""What order reads from its read models: the order list for the API (projections/order_list.py, with the names of
the hospital and the distributor beside their ids), and the facts its rules ask (`SaleFacts` of
domain/compliance.py): its own copies of channel's parties and licences and inventory's items
(projections/hospitals.py, catalogue.py)."""

from dataclasses import dataclass
from uuid import UUID

from services.order.domain.compliance import DistributorFacts, ItemFacts
from shared.platform.access import DataScope
from shared.platform.paging import PageRequest
from shared.platform.read_models import ReadModels

_ORDERS_WITH_NAMES = ("{schema}.order_list o LEFT JOIN {schema}.known_hospitals h USING (hospital_id)"
                      " LEFT JOIN {schema}.known_distributors d ON d.distributor_id = o.ship_to_distributor_id")


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    hospital_id: UUID | None = None
    ship_to_distributor_id: UUID | None = None


def orders(read: ReadModels, where: OrderFilter, scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    """The newest first, of those within the caller's scope."""
    return read.page(_ORDERS_WITH_NAMES, paging, columns="o.*, h.name AS hospital_name, d.name AS distributor_name",
                     order_by="o.placed_at DESC, o.order_id", where={
                         "o.status = %s": where.status, "o.hospital_id = %s": where.hospital_id,
                         "o.ship_to_distributor_id = %s": where.ship_to_distributor_id,
                         **scope.condition(hospital="o.hospital_id", distributor="o.ship_to_distributor_id",
                                           region="h.region")})


def order_within(read: ReadModels, scope: DataScope, order_id: UUID, hospital_id: UUID,
                 distributor_id: UUID | None) -> None:
    """Refuse (404) an order outside the caller's scope."""
    if scope.everything:
        return
    province = SaleFactsFromReadModels(read).hospital_province(hospital_id)
    scope.require("Order", order_id, hospitals=[hospital_id], distributors=[distributor_id], regions=[province])


class SaleFactsFromReadModels:
    """`SaleFacts` on the read models: the port OrderUnitOfWork asks on PostgreSQL."""

    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def hospital_known(self, hospital_id: UUID) -> bool:
        known = self.read.one("SELECT 1 FROM {schema}.known_hospitals WHERE hospital_id = %s", (hospital_id,))
        return known is not None

    def hospital_province(self, hospital_id: UUID) -> str | None:
        known = self.read.one("SELECT region FROM {schema}.known_hospitals WHERE hospital_id = %s", (hospital_id,))
        return None if known is None else known["region"]

    def distributor(self, distributor_id: UUID) -> DistributorFacts | None:
        row = self.read.one("SELECT name FROM {schema}.known_distributors WHERE distributor_id = %s", (distributor_id,))
        if row is None:
            return None
        licences = self.read.all("SELECT document_type, number, valid_from, valid_to FROM {schema}.distributor_licences"
                                 " WHERE distributor_id = %s", (distributor_id,))
        return DistributorFacts(distributor_id, row["name"], [dict(r) for r in licences])

    def item(self, gtin: str) -> ItemFacts | None:
        row = self.read.one("SELECT gtin, name, device_class, certificate FROM {schema}.known_items WHERE gtin = %s",
                            (gtin,))
        return None if row is None else ItemFacts(**row)
