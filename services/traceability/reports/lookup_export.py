"""A recall lookup's whole answer as a spreadsheet (every consignee and lot, not one page), for the people who work
from spreadsheets: one row per consignee (and path) and lot, with its UDI, contact and where the units are now."""

from services.traceability.domain.holdings import held, sold_on, sold_on_per_lot
from services.traceability.queries.answers import RecallLookup
from services.traceability.reports.documents import Document, DocumentTable, udi_text
from services.traceability.reports.regulator import contact_text

LOOKUP_COLUMNS = ["consignee_id", "kind", "name", "region", "contact", "via_distributor_id", "via_distributor", "udi",
                  "gtin", "lot", "expiry", "via", "quantity_shipped", "quantity_returned", "quantity_outstanding",
                  "quantity_sold_on", "quantity_held"]


def lookup_table(found: RecallLookup) -> DocumentTable:
    """One row per consignee (and path) and lot, with the lookup's fields; `quantity_held` counts each unit once,
    where it is now (a distributor's units sold on are on the hospitals' rows), so it sums to the outstanding."""
    table = DocumentTable("Consignees", list(LOOKUP_COLUMNS))
    sold = sold_on_per_lot(found.consignees)
    for c in found.consignees:
        through = c.via_distributor
        for a in c.affected_lots:
            table.rows.append([str(c.consignee_id), c.kind, c.name, c.region, contact_text(c.contact),
                               str(through.consignee_id) if through else None, through.name if through else None,
                               udi_text(a.gtin, a.lot, a.expiry, found.serial), a.gtin, a.lot, a.expiry,
                               " > ".join(f"{v.gtin}/{v.lot}" for v in a.via), a.quantity_shipped,
                               a.quantity_returned, a.quantity_outstanding, sold_on(c, a, sold), held(c, a, sold)])
    return table


def lookup_document(found: RecallLookup) -> Document:
    return Document("Recall lookup", [("gtin", found.gtin), ("lot", found.lot), ("serial", found.serial),
                                      ("consignees", found.total), ("units shipped", found.quantity_shipped),
                                      ("units outstanding", found.quantity_outstanding)],
                    [lookup_table(found)])
