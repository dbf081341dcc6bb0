"""What billing reads from its read models: the invoice list for the API (projections/invoice_list.py, with the
billed parties' names beside their ids from projections/parties.py), and the terms each order agreed for its
invoices (`OrderTermsLookup` of application/__init__.py, kept by projections/order_terms.py)."""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from services.billing.domain import AgreedTerms
from shared.platform.access import DataScope
from shared.platform.paging import PageRequest
from shared.platform.read_models import ReadModels

_INVOICES_WITH_NAMES = ("{schema}.invoice_list i LEFT JOIN {schema}.known_parties h ON h.party_id = i.hospital_id"
                        " LEFT JOIN {schema}.known_parties d ON d.party_id = i.bill_to_distributor_id")


@dataclass(frozen=True)
class InvoiceFilter:
    order_id: UUID | None = None
    hospital_id: UUID | None = None
    bill_to_distributor_id: UUID | None = None


def invoices(read: ReadModels, where: InvoiceFilter, scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    """The newest first, of those billed to a party within the caller's scope."""
    return read.page(_INVOICES_WITH_NAMES, paging, columns="i.*, h.name AS hospital_name, d.name AS distributor_name",
                     order_by="i.raised_at DESC, i.invoice_id", where={
                         "i.order_id = %s": where.order_id, "i.hospital_id = %s": where.hospital_id,
                         "i.bill_to_distributor_id = %s": where.bill_to_distributor_id,
                         # The billed party: the distributor when there is one (两票制), else the hospital.
                         **scope.condition(hospital="CASE WHEN i.bill_to_distributor_id IS NULL THEN i.hospital_id END",
                                           distributor="i.bill_to_distributor_id",
                                           region="coalesce(d.region, CASE WHEN i.bill_to_distributor_id IS NULL"
                                                  " THEN h.region END)")})


def invoice_within(read: ReadModels, scope: DataScope, invoice_id: UUID, hospital_id: UUID,
                   bill_to_distributor_id: UUID | None) -> None:
    """Refuse (404) an invoice billed to a party outside the caller's scope: an invoice billed to a distributor
    (两票制) is the distributor's, not the hospital's, whose price it shows."""
    if scope.everything:
        return
    billed = bill_to_distributor_id or hospital_id
    row = read.one("SELECT region FROM {schema}.known_parties WHERE party_id = %s", (billed,))
    regions = [row["region"]] if row else []
    if bill_to_distributor_id is not None:
        scope.require("Invoice", invoice_id, distributors=[billed], regions=regions)
    else:
        scope.require("Invoice", invoice_id, hospitals=[billed], regions=regions)


class OrderTermsFromReadModels:
    """`OrderTermsLookup` on the read model: the port BillingUnitOfWork asks on PostgreSQL."""

    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def agreed(self, order_id: UUID) -> AgreedTerms | None:
        row = self.read.one("SELECT currency, unit_prices, vat_rates FROM {schema}.order_terms WHERE order_id = %s",
                            (order_id,))
        if row is None:
            return None
        return AgreedTerms(row["currency"], {gtin: Decimal(price) for gtin, price in row["unit_prices"].items()},
                           {gtin: Decimal(rate) for gtin, rate in (row["vat_rates"] or {}).items()})
