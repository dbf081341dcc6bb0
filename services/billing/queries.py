"""What billing reads from its read models: the invoice list for the API (projections/invoice_list.py, with the
billed parties' names beside their ids from projections/parties.py), and the terms each order agreed for its
invoices (`OrderTermsLookup` of application/__init__.py, kept by projections/order_terms.py)."""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from services.billing.domain import AgreedTerms
from shared.platform.paging import PageRequest
from shared.platform.read_models import ReadModels

_INVOICES_WITH_NAMES = ("{schema}.invoice_list i LEFT JOIN {schema}.known_parties h ON h.party_id = i.hospital_id"
                        " LEFT JOIN {schema}.known_parties d ON d.party_id = i.bill_to_distributor_id")


@dataclass(frozen=True)
class InvoiceFilter:
    order_id: UUID | None = None
    hospital_id: UUID | None = None
    bill_to_distributor_id: UUID | None = None


def invoices(read: ReadModels, where: InvoiceFilter, paging: PageRequest) -> tuple[list[dict], int]:
    """The newest first."""
    return read.page(_INVOICES_WITH_NAMES, paging, columns="i.*, h.name AS hospital_name, d.name AS distributor_name",
                     order_by="i.raised_at DESC, i.invoice_id", where={
                         "i.order_id = %s": where.order_id, "i.hospital_id = %s": where.hospital_id,
                         "i.bill_to_distributor_id = %s": where.bill_to_distributor_id})


class OrderTermsFromReadModels:
    """`OrderTermsLookup` on the read model: the port BillingUnitOfWork asks on PostgreSQL."""

    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def agreed(self, order_id: UUID) -> AgreedTerms | None:
        row = self.read.one("SELECT currency, unit_prices FROM {schema}.order_terms WHERE order_id = %s", (order_id,))
        if row is None:
            return None
        return AgreedTerms(row["currency"], {gtin: Decimal(price) for gtin, price in row["unit_prices"].items()})
