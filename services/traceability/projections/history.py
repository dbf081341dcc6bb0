"""Every lineage-relevant fact about a lot, appended with the time its source service recorded it.

The lineage projection (lineage.py) keeps running totals: the answer *now*. This one never updates or deletes
a row, so the answer *as of* any time T is what the rows recorded at or before T say — which consignees a
recall officer could have known about at the decision time — and a lot's whole story can be exported as
EPCIS events (domain/epcis.py). One table, `lot_history`, one row per fact:

* `received`    LotReceived: the lot came into a warehouse (commissioning, for EPCIS).
* `shipped`     ShipmentDispatched, one row per line: units to a consignee (the distributor when the order was
                for one — `ship_to_distributor_id` — else the hospital).
* `delivered`   ShipmentDelivered / `accepted` ShipmentAccepted: per shipment (no lot); joined to its
                `shipped` rows by shipment_id when read.
* `returned`    ShipmentReturned, one row per line, from the consignee the shipment went to.
* `transformed` KitAssembled, one row per component: component (gtin, lot) -> kit (kit_gtin, kit_lot).
* `sold_on`     SellOutReported, one row per line: a distributor's sale on to a hospital (the consignee).

`recorded_at` is the envelope's time (when the source service recorded the event), not when it reached us:
"as of T" means "what the system of record held at T", whatever the consumer lag was. `occurred_at` is the
business time (dispatched_at, delivered_at, accepted_at; else the recorded time). The key is the source
event's id and the row's index within it, so applying an event twice (a dead letter retried) adds nothing.
"""

from datetime import UTC, datetime, time
from typing import Any

from psycopg import Cursor
from psycopg.types.json import Jsonb

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import (KitAssembled, LotReceived, ShipmentAccepted, ShipmentDelivered,
                                     ShipmentDispatched, ShipmentReturned)
from shared.events.traceability import HistoricalShipmentImported, SellOutLine, SellOutLineMatched, SellOutReported
from shared.platform.consumer import Projection

_COLUMNS = ("event_id", "item", "fact", "recorded_at", "occurred_at", "position", "gtin", "lot", "expiry", "quantity",
            "serials", "consignee_id", "shipment_id", "order_id", "return_id", "assembly_id", "receipt_id",
            "supplier_id", "warehouse", "kit_gtin", "kit_lot", "kit_quantity", "detail")


class LotHistory(Projection):
    name = "traceability-lot-history"
    subscribes_to = ("inventory", "traceability")  # traceability: distributors' sell-out reports

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.lot_history (event_id text NOT NULL, item int NOT NULL,"
        " fact text NOT NULL, recorded_at timestamptz NOT NULL, occurred_at timestamptz NOT NULL,"
        " position bigint NOT NULL, gtin char(14), lot text, expiry date, quantity int, serials text[],"
        " consignee_id uuid, shipment_id uuid, order_id uuid, return_id uuid, assembly_id uuid, receipt_id uuid,"
        " supplier_id uuid, warehouse text, kit_gtin char(14), kit_lot text, kit_quantity int,"
        " detail jsonb NOT NULL DEFAULT '{{}}', PRIMARY KEY (event_id, item))",
        "CREATE INDEX IF NOT EXISTS lot_history_by_lot ON {schema}.lot_history (gtin, lot, recorded_at)",
        "CREATE INDEX IF NOT EXISTS lot_history_by_shipment ON {schema}.lot_history (shipment_id)"
        " WHERE shipment_id IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS lot_history_by_kit ON {schema}.lot_history (kit_gtin, kit_lot)"
        " WHERE kit_lot IS NOT NULL",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case LotReceived():
                self._row(cur, envelope, 0, "received", gtin=payload.gtin, lot=payload.lot, expiry=payload.expiry,
                          quantity=payload.quantity, serials=payload.serials, warehouse=payload.warehouse,
                          supplier_id=payload.supplier_id, receipt_id=payload.receipt_id)
            case ShipmentDispatched():
                consignee = payload.ship_to_distributor_id or payload.ship_to_hospital_id
                for n, line in enumerate(payload.lines):
                    self._row(cur, envelope, n, "shipped", occurred_at=payload.dispatched_at, gtin=line.gtin,
                              lot=line.lot, expiry=line.expiry, quantity=line.quantity, serials=line.serials,
                              consignee_id=consignee, shipment_id=payload.shipment_id, order_id=payload.order_id,
                              warehouse=payload.ship_from_warehouse,
                              detail={"carrier": payload.carrier, "tracking_number": payload.tracking_number,
                                      "hospital_id": str(payload.ship_to_hospital_id)})
            case HistoricalShipmentImported():
                # Recorded, for "as of", at its original date: the company's records held it then, though this system
                # learnt of it at go-live (when, is kept in `detail.imported_at`).
                self._row(cur, envelope, 0, "shipped", occurred_at=payload.shipped_at, gtin=payload.gtin,
                          lot=payload.lot, expiry=payload.expiry, quantity=payload.quantity, serials=payload.serials,
                          consignee_id=payload.distributor_id or payload.hospital_id,
                          shipment_id=payload.shipment_line_id, warehouse=payload.ship_from,
                          detail={"imported": True, "imported_at": envelope.time.isoformat(),
                                  "shipment_reference": payload.shipment_reference,
                                  "hospital_id": str(payload.hospital_id) if payload.hospital_id else None},
                          recorded_at=payload.shipped_at)
            case ShipmentDelivered():
                self._row(cur, envelope, 0, "delivered", occurred_at=payload.delivered_at,
                          shipment_id=payload.shipment_id, order_id=payload.order_id,
                          detail={"received_by": payload.received_by})
            case ShipmentAccepted():
                self._row(cur, envelope, 0, "accepted", occurred_at=payload.accepted_at,
                          shipment_id=payload.shipment_id, order_id=payload.order_id,
                          detail={"accepted_by": payload.accepted_by})
            case ShipmentReturned():
                for n, line in enumerate(payload.lines):
                    self._returned(cur, envelope, n, payload, line)
            case KitAssembled():
                for n, component in enumerate(payload.components):
                    self._row(cur, envelope, n, "transformed", gtin=component.gtin, lot=component.lot,
                              expiry=component.expiry, quantity=component.quantity, warehouse=payload.warehouse,
                              assembly_id=payload.assembly_id, kit_gtin=payload.gtin, kit_lot=payload.lot,
                              kit_quantity=payload.quantity, detail={"kit_expiry": payload.expiry.isoformat()})
            case SellOutReported():
                for n, line in enumerate(payload.lines):
                    self._sold_on(cur, envelope, n, payload, line)
            case SellOutLineMatched():  # a line of the review queue matched: known from now, as of now
                self._sold_on(cur, envelope, 0, payload, payload.line)

    def _sold_on(self, cur: Cursor, envelope: CloudEvent, n: int, payload: SellOutReported | SellOutLineMatched,
                 line: SellOutLine) -> None:
        # The sale date is a day, with no zone: it is taken as that day's start in UTC.
        self._row(cur, envelope, n, "sold_on", occurred_at=datetime.combine(line.sold_at, time.min, UTC),
                  gtin=line.gtin, lot=line.lot, quantity=line.quantity, serials=line.serials,
                  consignee_id=line.hospital_id,
                  detail={"distributor_id": str(payload.distributor_id), "report_id": str(payload.report_id),
                          "report_reference": payload.report_reference, "over_reported": line.over_reported or None})

    def _returned(self, cur: Cursor, envelope: CloudEvent, n: int, payload: ShipmentReturned, line: Any) -> None:
        # Back from whoever the shipment went to (a distributor, say), which the return does not name: the
        # shipment's own `shipped` row says, recorded earlier on the same fulfilment (same partition, in order).
        self._row(cur, envelope, n, "returned", gtin=line.gtin, lot=line.lot, expiry=line.expiry,
                  quantity=line.quantity, serials=line.serials, consignee_id=payload.ship_to_hospital_id,
                  shipment_id=payload.shipment_id, order_id=payload.order_id, return_id=payload.return_id,
                  warehouse=payload.warehouse,
                  detail={"reason": payload.reason, "disposition": payload.disposition},
                  consignee_from_shipment=True)

    def _row(self, cur: Cursor, envelope: CloudEvent, item: int, fact: str, *, occurred_at: datetime | None = None,
             detail: dict | None = None, consignee_from_shipment: bool = False, recorded_at: datetime | None = None,
             **values: Any) -> None:
        row = {"event_id": envelope.id, "item": item, "fact": fact, "recorded_at": recorded_at or envelope.time,
               "occurred_at": occurred_at or envelope.time, "position": envelope.position,
               "detail": Jsonb({k: v for k, v in (detail or {}).items() if v is not None}),
               **values}
        params = [row.get(c) for c in _COLUMNS]
        placeholders = ["%s"] * len(_COLUMNS)
        if consignee_from_shipment:
            placeholders[_COLUMNS.index("consignee_id")] = (
                f"coalesce((SELECT s.consignee_id FROM {self.schema}.lot_history s WHERE s.shipment_id = %s"
                " AND s.fact = 'shipped' LIMIT 1), %s)")
            i = _COLUMNS.index("consignee_id")
            params[i:i + 1] = [row["shipment_id"], row["consignee_id"]]
        cur.execute(f"INSERT INTO {self.schema}.lot_history ({', '.join(_COLUMNS)}) VALUES ({', '.join(placeholders)})"
                    " ON CONFLICT (event_id, item) DO NOTHING", params)
