"""What channel's API reads: its directory read model (projections/directory.py), paged and filtered."""

from datetime import date
from decimal import Decimal
from dataclasses import dataclass
from uuid import UUID

from shared.platform.access import DataScope
from shared.platform.paging import PageRequest, Several
from shared.platform.read_models import ReadModels


@dataclass(frozen=True)
class HospitalFilter:
    province: str | None = None
    grade: str | None = None
    name: str | None = None  # a substring, case-insensitive


@dataclass(frozen=True)
class DistributorFilter:
    region: str | None = None
    tier: str | None = None
    name: str | None = None


def hospitals(read: ReadModels, where: HospitalFilter, scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    return read.page("{schema}.hospitals", paging, order_by="name, hospital_id", where={
        "province = %s": where.province, "grade = %s": where.grade,
        "name ILIKE %s": f"%{where.name}%" if where.name else None,
        **scope.condition(hospital="hospital_id", region="province")})


def distributors(read: ReadModels, where: DistributorFilter, scope: DataScope,
                 paging: PageRequest) -> tuple[list[dict], int]:
    return read.page("{schema}.distributors", paging, order_by="name, distributor_id", where={
        "region = %s": where.region, "tier = %s": where.tier, "name ILIKE %s": f"%{where.name}%" if where.name else None,
        **scope.condition(distributor="distributor_id", region="region")})


def expiring_qualifications(read: ReadModels, by: date, kind: str | None, paging: PageRequest) -> tuple[list[dict], int]:
    """Qualification documents valid until `by` or before (expired ones too), soonest first, with the party's name."""
    return read.page(
        "{schema}.qualifications q LEFT JOIN {schema}.hospitals h ON h.hospital_id = q.party_id"
        " LEFT JOIN {schema}.distributors d ON d.distributor_id = q.party_id", paging,
        columns="q.*, coalesce(h.name, d.name) AS name", order_by="q.valid_to, q.party_id, q.number",
        where={"q.valid_to <= %s": by, "q.kind = %s": kind})


def price_lists(read: ReadModels, name: str | None, currency: str | None, gtin: str | None,
                paging: PageRequest) -> tuple[list[dict], int]:
    """Price lists by name, with how many GTINs each prices; filtered by name (a substring), currency and a GTIN
    they price."""
    return read.page(
        "{schema}.price_lists l", paging, order_by="l.name, l.price_list_id",
        columns="l.*, (SELECT count(DISTINCT p.gtin) FROM {schema}.list_prices p"
                " WHERE p.price_list_id = l.price_list_id) AS gtins".format(schema=read.schema),
        where={"l.name ILIKE %s": f"%{name}%" if name else None, "l.currency = %s": currency,
               "l.price_list_id IN (SELECT price_list_id FROM {schema}.list_prices WHERE gtin = %s)".format(
                   schema=read.schema): gtin})


class SqlItemMaster:
    """The item master port of the unit of work (application/__init__.py) on channel's copy (projections/items.py)."""

    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def product_group(self, gtin: str) -> str | None:
        row = self.read.one("SELECT product_group FROM {schema}.items WHERE gtin = %s", (gtin,))
        return None if row is None else row["product_group"]


@dataclass(frozen=True)
class AlertFilter:
    status: str | None = None  # open | resolved
    distributor_id: UUID | None = None
    hospital_id: UUID | None = None
    serial: str | None = None


def diversion_alerts(read: ReadModels, where: AlertFilter, scope: DataScope,
                     paging: PageRequest) -> tuple[list[dict], int]:
    return read.page(
        "{schema}.diversion_alerts a LEFT JOIN {schema}.distributors d ON d.distributor_id = a.distributor_id"
        " LEFT JOIN {schema}.hospitals h ON h.hospital_id = a.hospital_id LEFT JOIN {schema}.items i ON i.gtin = a.gtin",
        paging, columns="a.*, a.gtin::text AS gtin, d.name AS distributor_name, h.name AS hospital_name,"
                        " i.name AS item_name",
        order_by="a.outcome IS NOT NULL, a.raised_at DESC, a.alert_id", where={
            "(a.outcome IS NULL) = %s": None if where.status is None else where.status == "open",
            "a.distributor_id = %s": where.distributor_id, "a.hospital_id = %s": where.hospital_id,
            "%s = ANY(a.serials)": where.serial,
            **scope.condition(distributor="a.distributor_id", region="d.region")})


# Rebate basis (projections/rebate_basis.py): a distributor's sales and sell-through for a programme's products, with
# returns clawing back the sell-in of the shipment they came from, in that sale's period and at its price.
_FACTS = """
WITH facts AS (
  SELECT b.day, b.gtin, b.units, b.amount, b.source, b.reference, b.hospital_id, 'sale' AS fact
  FROM {schema}.rebate_basis b WHERE b.distributor_id = %(distributor)s AND b.basis = %(basis)s
  UNION ALL
  SELECT s.day, r.gtin, -r.quantity, -round(s.amount / s.units * r.quantity, 2), 'return:' || r.return_id,
         s.reference, s.hospital_id, 'return'
  FROM {schema}.rebate_returns r
  JOIN (SELECT shipment_id, gtin, min(day) AS day, sum(units) AS units, sum(amount) AS amount,
               min(reference) AS reference, min(hospital_id::text)::uuid AS hospital_id
        FROM {schema}.rebate_basis WHERE distributor_id = %(distributor)s AND basis = 'sell_in'
        GROUP BY shipment_id, gtin) s ON s.shipment_id = r.shipment_id AND s.gtin = r.gtin
  WHERE %(basis)s = 'sell_in'
), chosen AS (
  SELECT * FROM facts f WHERE f.day BETWEEN %(first)s AND %(last)s
    AND (%(every_product)s OR f.gtin = ANY(%(gtins)s)
         OR f.gtin IN (SELECT gtin FROM {schema}.items WHERE product_group = ANY(%(groups)s)))
)
"""

PERIOD_FORMATS = {"month": "YYYY-MM", "quarter": 'YYYY-"Q"Q'}


@dataclass(frozen=True)
class BasisQuery:
    distributor_id: UUID
    basis: str  # sell_in | sell_through
    first: date
    last: date
    gtins: tuple[str, ...] = ()
    product_groups: tuple[str, ...] = ()

    def args(self) -> dict:
        return {"distributor": self.distributor_id, "basis": self.basis, "first": self.first, "last": self.last,
                "every_product": not self.gtins and not self.product_groups, "gtins": list(self.gtins),
                "groups": list(self.product_groups)}


class SqlRebateBasis:
    """The rebate basis port of the unit of work (application/__init__.py)."""

    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def totals(self, query: BasisQuery, period: str) -> list[dict]:
        """Per (period, GTIN): units and amount (None for sell-through, which carries no price)."""
        return self.read.all(_FACTS + "SELECT to_char(day, %(format)s) AS period, gtin::text AS gtin,"
                             " sum(units)::int AS units, sum(amount) AS amount FROM chosen GROUP BY 1, 2 ORDER BY 1, 2",
                             {**query.args(), "format": PERIOD_FORMATS[period]})

    def lines(self, query: BasisQuery, limit: int) -> list[dict]:
        """The facts themselves, oldest first: what an accrual is explained by."""
        return self.read.all(_FACTS + "SELECT day, gtin::text AS gtin, units, amount, source, reference, hospital_id,"
                             " fact FROM chosen ORDER BY day, source LIMIT %(limit)s", {**query.args(), "limit": limit})

    def sell_in_prices(self, distributor_id: UUID, gtins: list[str]) -> dict[str, Decimal]:
        """The distributor's average net invoiced unit price per GTIN: what its sell-through is valued at."""
        rows = self.read.all("SELECT gtin::text AS gtin, sum(amount) / nullif(sum(units), 0) AS price"
                             " FROM {schema}.rebate_basis WHERE distributor_id = %s AND basis = 'sell_in'"
                             " AND gtin = ANY(%s) GROUP BY gtin", (distributor_id, gtins))
        return {r["gtin"]: r["price"] for r in rows if r["price"] is not None}


def rebate_programmes(read: ReadModels, distributor_id: UUID | None, active_on: date | None,
                      paging: PageRequest) -> tuple[list[dict], int]:
    """Programmes, newest first: those rewarding the distributor (named, or of its tier or level) when one is given."""
    rewarding = None
    if distributor_id is not None:
        row = read.one("SELECT tier, level FROM {schema}.distributors WHERE distributor_id = %s", (distributor_id,))
        labels = [v for v in (row or {}).values() if v is not None]
        rewarding = Several((distributor_id, labels))
    return read.page("{schema}.rebate_programmes p", paging, order_by="p.valid_from DESC, p.number", where={
        "(%s = ANY(p.distributors) OR p.distributor_tiers && %s::text[])": rewarding,
        "%s BETWEEN p.valid_from AND p.valid_to": active_on})


def rewarded_distributors(read: ReadModels, distributors: list[UUID], tiers: list[str], scope: DataScope,
                          limit: int) -> list[UUID]:
    """The distributors a programme rewards (named, or of its tiers), within the scope, by name."""
    rows, _ = read.page("{schema}.distributors d", PageRequest(limit=limit, offset=0), order_by="d.name",
                        columns="d.distributor_id", where={
                            "(d.distributor_id = ANY(%s) OR d.tier = ANY(%s) OR d.level = ANY(%s))": Several(
                                (list(distributors), tiers, tiers)),
                            **scope.condition(distributor="d.distributor_id", region="d.region")})
    return [r["distributor_id"] for r in rows]


def rebate_settlements(read: ReadModels, distributor_id: UUID | None, programme_id: UUID | None, status: str | None,
                       scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    return read.page("{schema}.rebate_settlements s LEFT JOIN {schema}.rebate_programmes p"
                     " ON p.programme_id = s.programme_id LEFT JOIN {schema}.distributors d"
                     " ON d.distributor_id = s.distributor_id", paging,
                     columns="s.*, p.number AS programme_number, d.name AS distributor_name",
                     order_by="s.proposed_at DESC, s.settlement_no", where={
                         "s.distributor_id = %s": distributor_id, "s.programme_id = %s": programme_id,
                         "s.status = %s": status,
                         **scope.condition(distributor="s.distributor_id", region="d.region")})


# Scorecards: per distributor over a period, from the rebate basis (sell-in net of returns, sell-through within what
# was received), targets, diversion alerts and sell-out receipts. One statement for one distributor or a ranking.
_SCORECARDS = """
WITH sale_lines AS (
  SELECT distributor_id, shipment_id, gtin, min(day) AS day, sum(units) AS units, sum(amount) AS amount
  FROM {schema}.rebate_basis WHERE basis = 'sell_in' GROUP BY 1, 2, 3
), returned AS (
  SELECT s.distributor_id, s.day, r.quantity AS units, round(s.amount / s.units * r.quantity, 2) AS amount
  FROM {schema}.rebate_returns r JOIN sale_lines s ON s.shipment_id = r.shipment_id AND s.gtin = r.gtin
), sell_in AS (
  SELECT distributor_id, sum(units) AS units, sum(amount) AS amount FROM (
    SELECT distributor_id, units, amount FROM sale_lines WHERE day BETWEEN %(first)s AND %(last)s
    UNION ALL SELECT distributor_id, -units, -amount FROM returned WHERE day BETWEEN %(first)s AND %(last)s) x
  GROUP BY 1
), sold AS (
  SELECT distributor_id, sum(units) FILTER (WHERE day BETWEEN %(first)s AND %(last)s) AS units,
         sum(units) FILTER (WHERE day <= %(last)s) AS to_date
  FROM {schema}.rebate_basis WHERE basis = 'sell_through' GROUP BY 1
), received AS (
  SELECT distributor_id, sum(units) AS units FROM (
    SELECT distributor_id, units FROM sale_lines WHERE day <= %(last)s
    UNION ALL SELECT distributor_id, -units FROM returned WHERE day <= %(last)s) x GROUP BY 1
), alerts AS (
  SELECT distributor_id, count(*) AS total, count(*) FILTER (WHERE outcome IS NULL) AS open
  FROM {schema}.diversion_alerts WHERE sold_at BETWEEN %(first)s AND %(last)s GROUP BY 1
), receipts AS (
  SELECT distributor_id, count(*) AS reports,
         max(greatest(0, (received_at AT TIME ZONE 'Asia/Shanghai')::date - period_end - %(due_days)s)) AS days_late
  FROM {schema}.sellout_receipts WHERE period_end BETWEEN %(first)s AND %(last)s GROUP BY 1
), cards AS (
  SELECT d.distributor_id, d.name AS distributor_name, d.region, d.tier, d.level, d.parent_distributor_id,
         coalesce(si.amount, 0) AS sell_in_amount, coalesce(si.units, 0)::int AS sell_in_units,
         coalesce(so.units, 0)::int AS sell_out_units,
         (coalesce(rc.units, 0) - coalesce(so.to_date, 0))::int AS channel_inventory_units,
         t.amount AS target_amount, t.units AS target_units,
         coalesce(a.total, 0)::int AS diversion_alerts, coalesce(a.open, 0)::int AS diversion_alerts_open,
         coalesce(r.reports, 0)::int AS sellout_reports, r.days_late AS sellout_days_late
  FROM {schema}.distributors d
  LEFT JOIN sell_in si ON si.distributor_id = d.distributor_id
  LEFT JOIN sold so ON so.distributor_id = d.distributor_id
  LEFT JOIN received rc ON rc.distributor_id = d.distributor_id
  LEFT JOIN alerts a ON a.distributor_id = d.distributor_id
  LEFT JOIN receipts r ON r.distributor_id = d.distributor_id
  LEFT JOIN {schema}.distributor_targets t ON t.distributor_id = d.distributor_id AND t.period = %(period)s
)
"""

RANKED_BY = {
    "sell_in": "sell_in_amount DESC",
    "sell_out": "sell_out_units DESC",
    "attainment": "CASE WHEN target_amount > 0 THEN sell_in_amount / target_amount END DESC NULLS LAST",
    "sell_through": "CASE WHEN sell_in_units > 0 THEN sell_out_units::numeric / sell_in_units END DESC NULLS LAST",
    "diversion": "diversion_alerts DESC",
}


@dataclass(frozen=True)
class ScorecardQuery:
    period: str
    first: date
    last: date
    due_days: int
    distributor_id: UUID | None = None
    region: str | None = None
    tier: str | None = None
    level: str | None = None
    ranked_by: str = "sell_in"


def scorecards(read: ReadModels, query: ScorecardQuery, scope: DataScope,
               paging: PageRequest) -> tuple[list[dict], int]:
    """Scorecards of the distributors within the scope, best first by `ranked_by` (then by name)."""
    chosen = {"distributor_id = %(distributor)s": query.distributor_id, "region = %(region)s": query.region,
              "tier = %(tier)s": query.tier, "level = %(level)s": query.level}
    conditions = [c for c, v in chosen.items() if v is not None]
    scoped = scope.condition(distributor="distributor_id", region="region")
    args = {"first": query.first, "last": query.last, "period": query.period, "due_days": query.due_days,
            "distributor": query.distributor_id, "region": query.region, "tier": query.tier, "level": query.level}
    for n, (condition, values) in enumerate(scoped.items()):
        names = []
        for m, value in enumerate(values if isinstance(values, Several) else (values,)):
            args[f"scope_{n}_{m}"] = value
            names.append(f"%(scope_{n}_{m})s")
        conditions.append(condition.replace("%s", "{}").format(*names))
    where = " AND ".join(conditions) or "true"
    total = read.one(_SCORECARDS + f"SELECT count(*) AS n FROM cards WHERE {where}", args)["n"]
    rows = read.all(_SCORECARDS + f"SELECT * FROM cards WHERE {where} ORDER BY {RANKED_BY[query.ranked_by]},"
                    " distributor_name, distributor_id LIMIT %(limit)s OFFSET %(offset)s",
                    {**args, "limit": paging.limit, "offset": paging.offset})
    return rows, total


# A promotion's effect: per region (the hospital's province), channel sell-in and sell-out of its products during it,
# against the same length of time just before it (the baseline).
_PROMOTION_EFFECT = """
SELECT h.province, b.basis,
       sum(b.units) FILTER (WHERE b.day BETWEEN %(first)s AND %(last)s)::int AS units,
       sum(b.amount) FILTER (WHERE b.day BETWEEN %(first)s AND %(last)s) AS amount,
       sum(b.units) FILTER (WHERE b.day BETWEEN %(base_first)s AND %(base_last)s)::int AS baseline_units,
       sum(b.amount) FILTER (WHERE b.day BETWEEN %(base_first)s AND %(base_last)s) AS baseline_amount
FROM {schema}.rebate_basis b JOIN {schema}.hospitals h ON h.hospital_id = b.hospital_id
WHERE b.day BETWEEN %(base_first)s AND %(last)s
  AND (b.gtin = ANY(%(gtins)s) OR b.gtin IN (SELECT gtin FROM {schema}.items WHERE product_group = ANY(%(groups)s)))
GROUP BY 1, 2 ORDER BY 1, 2
"""


def promotion_effect(read: ReadModels, first: date, last: date, gtins: list[str], groups: list[str]) -> list[dict]:
    length = (last - first).days + 1
    base_last = date.fromordinal(first.toordinal() - 1)
    base_first = date.fromordinal(first.toordinal() - length)
    return read.all(_PROMOTION_EFFECT, {"first": first, "last": last, "base_first": base_first,
                                        "base_last": base_last, "gtins": gtins, "groups": groups})


def promotions(read: ReadModels, active_on: date | None, paging: PageRequest) -> tuple[list[dict], int]:
    return read.page("{schema}.promotions", paging, order_by="valid_from DESC, number",
                     where={"%s BETWEEN valid_from AND valid_to": active_on})
