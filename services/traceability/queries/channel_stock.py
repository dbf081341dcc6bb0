"""Channel inventory reconciliation: per lot of a distributor, what it should hold on its latest inventory report's
day — received (shipped to it by that day) less returned less reported sold (by that day) — against what it reported
holding. The lineage (projections/lineage.py) and the reports (projections/channel_stock.py) are joined here. Returns
count whenever they were recorded (the lineage keeps no day for them)."""

from uuid import UUID

from shared.platform.read_models import ReadModels

_RECONCILIATION = """
WITH latest AS (
  SELECT report_id, report_reference, as_of FROM {schema}.channel_stock_reports WHERE distributor_id = %(d)s
  ORDER BY as_of DESC, reported_at DESC LIMIT 1
), shipped AS (
  SELECT s.gtin, s.lot, sum(s.quantity) AS units FROM {schema}.shipped_lots s, latest
  WHERE s.consignee_id = %(d)s AND (s.dispatched_at AT TIME ZONE 'Asia/Shanghai')::date <= latest.as_of
  GROUP BY 1, 2
), returned AS (
  SELECT gtin, lot, quantity_returned AS units FROM {schema}.lot_consignees WHERE consignee_id = %(d)s
), sold AS (
  SELECT l.gtin, l.lot, sum(l.quantity) AS units FROM {schema}.sellout_lines l, latest
  WHERE l.distributor_id = %(d)s AND l.sold_at <= latest.as_of GROUP BY 1, 2
), reported AS (
  SELECT c.gtin, c.lot, c.quantity FROM {schema}.channel_stock_lines c JOIN latest USING (report_id)
), lots AS (
  SELECT gtin, lot FROM shipped UNION SELECT gtin, lot FROM reported UNION SELECT gtin, lot FROM sold
)
SELECT k.gtin::text AS gtin, k.lot, coalesce(sh.units, 0)::int AS received, coalesce(rt.units, 0)::int AS returned,
       coalesce(so.units, 0)::int AS sold, coalesce(re.quantity, 0) AS reported,
       (coalesce(sh.units, 0) - coalesce(rt.units, 0) - coalesce(so.units, 0))::int AS expected,
       (SELECT as_of FROM latest) AS as_of, (SELECT report_reference FROM latest) AS report_reference
FROM lots k LEFT JOIN shipped sh USING (gtin, lot) LEFT JOIN returned rt USING (gtin, lot)
LEFT JOIN sold so USING (gtin, lot) LEFT JOIN reported re USING (gtin, lot)
ORDER BY k.gtin, k.lot LIMIT %(limit)s
"""

MAX_LOTS = 2000


def reconciliation(read: ReadModels, distributor_id: UUID) -> list[dict]:
    """Per lot: received, returned, sold, expected, reported and the variance (reported − expected), on the day of
    the distributor's latest inventory report; empty when it has reported none."""
    rows = read.all(_RECONCILIATION, {"d": distributor_id, "limit": MAX_LOTS})
    return [{**r, "variance": r["reported"] - r["expected"]} for r in rows if r["as_of"] is not None]
