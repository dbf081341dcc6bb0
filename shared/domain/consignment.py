"""What the services agree on about consigned goods used at a consignee: the sales order a usage report becomes has
an id derived from the report, so that the order service (placing it) and billing (invoicing the usage at its
prices) name the same order without asking each other."""

from uuid import NAMESPACE_URL, UUID, uuid5


def consumption_order_id(usage_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:consumption:{usage_id}")
