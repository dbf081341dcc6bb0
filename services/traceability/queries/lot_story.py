"""A lot's story from the lot history (projections/history.py), for its EPCIS export (domain/epcis.py)."""

from shared.domain.rules import NotFound
from shared.platform.read_models import ReadModels

_FACTS = """
WITH own AS (SELECT * FROM {schema}.lot_history WHERE gtin = %(gtin)s AND lot = %(lot)s),
assemblies AS (
    SELECT event_id FROM own WHERE fact = 'transformed'
    UNION SELECT event_id FROM {schema}.lot_history WHERE kit_gtin = %(gtin)s AND kit_lot = %(lot)s)
SELECT f.*, f.gtin::text AS gtin, f.kit_gtin::text AS kit_gtin,
       CASE WHEN f.consignee_id IS NULL OR f.fact = 'sold_on' THEN NULL
            WHEN k.hospital_id <> f.consignee_id::text THEN 'distributor'  -- no shipped row: NULL, so the hospital
            ELSE 'hospital' END AS consignee_kind
FROM (
    SELECT * FROM own WHERE fact <> 'transformed'
    UNION ALL
    SELECT h.* FROM {schema}.lot_history h JOIN assemblies a USING (event_id)
    UNION ALL
    SELECT h.event_id, h.item, h.fact, h.recorded_at, h.occurred_at, h.position, s.gtin, s.lot, s.expiry,
           s.quantity, s.serials, s.consignee_id, h.shipment_id, h.order_id, h.return_id, h.assembly_id,
           h.receipt_id, h.supplier_id, s.warehouse, h.kit_gtin, h.kit_lot, h.kit_quantity, h.detail
    FROM own s JOIN {schema}.lot_history h ON h.shipment_id = s.shipment_id
    WHERE s.fact = 'shipped' AND h.fact IN ('delivered', 'accepted')
) f
LEFT JOIN LATERAL (  -- the shipment's hospital: a consignee that is not it is the distributor it went through
    SELECT s.detail->>'hospital_id' AS hospital_id FROM {schema}.lot_history s
    WHERE s.shipment_id = f.shipment_id AND s.fact = 'shipped' AND s.consignee_id = f.consignee_id LIMIT 1
) k ON f.shipment_id IS NOT NULL
ORDER BY f.recorded_at, f.position, f.event_id, f.item
"""


def lot_facts(read: ReadModels, gtin: str, lot: str) -> list[dict]:
    """Every history row that tells the lot's story, in recorded order: its receipts, shipments and returns;
    deliveries and acceptances of those shipments (with the lot's line of the shipment); and every row of the
    kit assemblies it went into or came out of (all inputs of each assembly, so its AssociationEvent is whole).
    Each row with a consignee says whether it is a `hospital` or a `distributor` (`consignee_kind`: a shipment's
    consignee is the distributor when the shipment went through one; else, and for a return no shipment of the
    history explains, the hospital). A lot the history never heard of is not found."""
    facts = read.all(_FACTS, {"gtin": gtin, "lot": lot})
    if not facts:
        raise NotFound("Lot", f"{gtin}/{lot}")
    return facts
