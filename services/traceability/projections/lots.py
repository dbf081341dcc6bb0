"""The lots traceability knows of, with their production and expiry dates, so a recall can be scoped by item and
date range ("every lot of this catheter made in March") before the lineage of each is looked up.

A lot is known from its receipt (LotReceived: production date when the label gave one) or its assembly as a kit
(KitAssembled: made on the day it was assembled), or a shipment from before go-live imported from the company's
records (HistoricalShipmentImported: its expiry, production date unknown). A lot received in several warehouses or
receipts is one row.
The items themselves (name, model, manufacturer, certificate) are kept here too, see items.py.
"""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from services.traceability.projections.items import ITEMS_DDL, apply_item_event
from shared.events.inventory import ItemRegistered, KitAssembled, LotReceived, RegistrationCertificateSet
from shared.events.traceability import HistoricalShipmentImported
from shared.platform.consumer import Projection


class LotCatalogue(Projection):
    name = "traceability-lot-catalogue"
    subscribes_to = ("inventory", "traceability")  # traceability: shipments imported from before go-live

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.lots (gtin char(14) NOT NULL, lot text NOT NULL, expiry date NOT NULL,"
        " production_date date, kit boolean NOT NULL DEFAULT false, PRIMARY KEY (gtin, lot))",
        "CREATE INDEX IF NOT EXISTS lots_by_expiry ON {schema}.lots (gtin, expiry)",
        "CREATE INDEX IF NOT EXISTS lots_by_production ON {schema}.lots (gtin, production_date)",
        *ITEMS_DDL,
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case LotReceived():
                self._lot(cur, payload.gtin, payload.lot, payload.expiry, payload.production_date, False)
            case KitAssembled():
                self._lot(cur, payload.gtin, payload.lot, payload.expiry, envelope.time.date(), True)
            case HistoricalShipmentImported():
                self._lot(cur, payload.gtin, payload.lot, payload.expiry, None, False)
            case ItemRegistered() | RegistrationCertificateSet():
                apply_item_event(cur, self.schema, payload)

    def _lot(self, cur: Cursor, gtin: str, lot: str, expiry: object, produced: object, kit: bool) -> None:
        cur.execute(
            f"INSERT INTO {self.schema}.lots AS l VALUES (%s, %s, %s, %s, %s) ON CONFLICT (gtin, lot) DO UPDATE SET"
            " production_date = coalesce(l.production_date, EXCLUDED.production_date),"
            " expiry = least(l.expiry, EXCLUDED.expiry)", (gtin, lot, expiry, produced, kit))
