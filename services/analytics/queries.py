"""What the analytics API reads: the sales read model grouped, filtered, scoped and drilled into."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from shared.platform.access import EVERYTHING, DataScope
from shared.platform.paging import PageRequest, Several
from shared.platform.read_models import ReadModels

# A group's key (text) and, when the key is an id, the name shown beside it.
_KEYS: dict[str, tuple[str, str | None]] = {
    "region": ("coalesce(h.province, '')", None),
    "city": ("coalesce(h.city, '')", None),
    "channel": ("f.channel", None),
    "distributor": ("coalesce(f.distributor_id::text, '')", "max(d.name)"),
    "hospital": ("f.hospital_id::text", "max(h.name)"),
    "hospital_grade": ("coalesce(h.grade, '')", None),
    "product": ("coalesce(f.gtin, '')", "max(p.name)"),
    "product_group": ("coalesce(p.product_group, '')", None),
    "month": ("to_char(f.on_date, 'YYYY-MM')", None),
}
_FROM = ("{schema}.sales_facts f LEFT JOIN {schema}.sales_hospitals h ON h.hospital_id = f.hospital_id"
         " LEFT JOIN {schema}.sales_distributors d ON d.distributor_id = f.distributor_id"
         " LEFT JOIN {schema}.sales_products p ON p.gtin = f.gtin")
# The groupings and filters that need no product read the daily sums instead of every line (several times fewer
# rows): the same columns, `lines` counted already.
_DAILY = ("{schema}.sales_daily f LEFT JOIN {schema}.sales_hospitals h ON h.hospital_id = f.hospital_id"
          " LEFT JOIN {schema}.sales_distributors d ON d.distributor_id = f.distributor_id")
_LINES = {_FROM: "count(*) FILTER (WHERE f.kind = 'invoice')", _DAILY: "sum(f.lines)"}


_BILLED_HOSPITAL = "CASE WHEN f.distributor_id IS NULL THEN f.hospital_id END"
_OF_HOSPITALS = "f.hospital_id IN (SELECT hospital_id FROM {{schema}}.sales_hospitals WHERE {column} = %s)"
# Drilling into a group of hospitals' attribute: its hospitals' lines (the empty key: lines of hospitals not known).
_HOSPITAL_GROUPS = {"region": "province", "city": "city", "hospital_grade": "grade"}


def _source(group: str, where: "SalesFilter") -> str:
    return _FROM if group in ("product", "product_group") or where.gtin is not None else _DAILY


@dataclass(frozen=True)
class SalesFilter:
    start: date
    end: date
    region: str | None = None
    channel: str | None = None
    distributor_id: UUID | None = None
    hospital_id: UUID | None = None
    gtin: str | None = None

    def conditions(self, scope: DataScope) -> dict[str, object]:
        return {"f.on_date >= %s": self.start, "f.on_date <= %s": self.end,
                # The province's hospitals first, then their lines by index: not every line joined to its hospital.
                _OF_HOSPITALS.format(column="province"): self.region,
                "f.channel = %s": self.channel, "f.distributor_id = %s": self.distributor_id,
                "f.hospital_id = %s": self.hospital_id, "f.gtin = %s": self.gtin,
                # A portal user's own hospital or distributor; a regional user's provinces. A hospital sees only
                # what was billed to it: what a distributor was billed for its goods (two-invoice rule) carries the
                # distributor's purchase price, which is not the hospital's to see (as billing's invoices).
                **scope.condition(hospital=_BILLED_HOSPITAL, distributor="f.distributor_id", region="h.province")}


def sales_by(read: ReadModels, group: str, where: SalesFilter, scope: DataScope,
             paging: PageRequest) -> tuple[list[dict], int, dict]:
    """One page of groups (months in order, others largest first), how many groups there are, and the sums of all
    of them."""
    key, name = _KEYS[group]
    chosen = {c: v for c, v in where.conditions(scope).items() if v is not None}
    args = [a for v in chosen.values() for a in (v if isinstance(v, tuple) else (v,))]
    order = "key" if group == "month" else "amount DESC, key"
    source = _source(group, where)
    rows = read.report(
        f"SELECT {key} AS key, {name or 'NULL'} AS name, sum(f.gross) AS amount, sum(f.net) AS net_amount,"
        f" sum(f.units) AS units, {_LINES[source]} AS lines,"
        " count(*) OVER () AS groups, sum(sum(f.gross)) OVER () AS all_amount,"
        " sum(sum(f.net)) OVER () AS all_net, sum(sum(f.units)) OVER () AS all_units"
        f" FROM {source} WHERE {' AND '.join(chosen) or 'TRUE'} GROUP BY 1 ORDER BY {order} LIMIT %s OFFSET %s",
        (*args, paging.limit, paging.offset))
    if not rows:  # none, or past the last group: the sums still say what there is
        sums = read.report(f"SELECT coalesce(sum(f.gross), 0) AS all_amount, coalesce(sum(f.net), 0) AS all_net,"
                           f" coalesce(sum(f.units), 0) AS all_units FROM {source}"
                           f" WHERE {' AND '.join(chosen) or 'TRUE'}", tuple(args))[0]
        return [], count_groups(read, group, where, scope) if paging.offset else 0, _sums(sums)
    return ([{k: r[k] for k in ("key", "name", "amount", "net_amount", "units", "lines")} for r in rows],
            rows[0]["groups"], _sums(rows[0]))


def count_groups(read: ReadModels, group: str, where: SalesFilter, scope: DataScope) -> int:
    key, _ = _KEYS[group]
    chosen = {c: v for c, v in where.conditions(scope).items() if v is not None}
    args = [a for v in chosen.values() for a in (v if isinstance(v, tuple) else (v,))]
    row = read.report(f"SELECT count(DISTINCT {key}) AS n FROM {_source(group, where)}"
                      f" WHERE {' AND '.join(chosen) or 'TRUE'}", tuple(args))[0]
    return int(row["n"])


def sales_lines(read: ReadModels, group: str | None, key: str | None, where: SalesFilter, scope: DataScope,
                paging: PageRequest, extra: dict[str, object] | None = None) -> tuple[list[dict], int]:
    """The rows behind a figure: every invoice, credit-note and discount line of the group's key (all of them
    without one), newest first; `extra`: more conditions (a promotion's scope)."""
    conditions = {**where.conditions(scope), **(extra or {})}
    if group in _HOSPITAL_GROUPS and key:
        conditions[_OF_HOSPITALS.format(column=_HOSPITAL_GROUPS[group])] = key
    elif group is not None and key is not None:
        conditions[f"{_KEYS[group][0]} = %s"] = key
    conditions = {condition.format(schema=read.schema): value for condition, value in conditions.items()}
    return read.page(_FROM, paging, where=conditions, order_by="f.on_date DESC, f.document_id, f.line_no",
                     columns="f.document_id, f.line_no, f.kind, f.on_date, f.invoice_id, f.order_id, f.hospital_id,"
                             " h.name AS hospital_name, h.province AS region, h.city, h.grade AS hospital_grade,"
                             " f.distributor_id, d.name AS distributor_name, f.channel, f.gtin, p.name AS item_name,"
                             " p.product_group, f.lot, f.units, f.net AS net_amount, f.gross AS amount")


def _sums(row: dict) -> dict:
    return {"amount": Decimal(row["all_amount"] or 0), "net_amount": Decimal(row["all_net"] or 0),
            "units": int(row["all_units"] or 0)}


# --- returns -------------------------------------------------------------------------------------------------------

_RETURN_KEYS: dict[str, tuple[str, str | None]] = {
    "reason": ("r.reason", None),
    "disposition": ("r.disposition", None),
    "product": ("r.gtin", "max(p.name)"),
    "lot": ("r.gtin || ' ' || r.lot", "max(p.name)"),
    "hospital": ("r.hospital_id::text", "max(h.name)"),
    "region": ("coalesce(h.province, '')", None),
    "month": ("to_char(r.on_date, 'YYYY-MM')", None),
}
_RETURNS_FROM = ("{schema}.return_lines r LEFT JOIN {schema}.sales_hospitals h ON h.hospital_id = r.hospital_id"
                 " LEFT JOIN {schema}.sales_products p ON p.gtin = r.gtin")


@dataclass(frozen=True)
class ReturnsFilter:
    start: date
    end: date
    reason: str | None = None
    gtin: str | None = None
    hospital_id: UUID | None = None
    region: str | None = None

    def conditions(self, scope: DataScope) -> dict[str, object]:
        return {"r.on_date >= %s": self.start, "r.on_date <= %s": self.end, "r.reason = %s": self.reason,
                "r.gtin = %s": self.gtin, "r.hospital_id = %s": self.hospital_id, "h.province = %s": self.region,
                # Returns come back from hospitals: a hospital's own, a regional user's provinces. A distributor's
                # portal user sees none (the return does not say which distributor delivered the goods).
                **scope.condition(hospital="r.hospital_id", region="h.province")}


def returns_by(read: ReadModels, group: str, where: ReturnsFilter, scope: DataScope,
               paging: PageRequest) -> tuple[list[dict], int, dict]:
    """One page of groups, most units first (months in order), the number of groups, and the sums of all."""
    key, name = _RETURN_KEYS[group]
    chosen = {c: v for c, v in where.conditions(scope).items() if v is not None}
    args = [a for v in chosen.values() for a in (v if isinstance(v, tuple) else (v,))]
    condition = " AND ".join(chosen) or "TRUE"
    order = "key" if group == "month" else "units DESC, key"
    rows = read.report(
        f"SELECT {key} AS key, {name or 'NULL'} AS name, sum(r.units) AS units, count(DISTINCT r.return_id) AS"
        " returns, count(*) OVER () AS groups, sum(sum(r.units)) OVER () AS all_units"
        f" FROM {_RETURNS_FROM} WHERE {condition} GROUP BY 1 ORDER BY {order} LIMIT %s OFFSET %s",
        (*args, paging.limit, paging.offset))
    if rows:
        return ([{k: r[k] for k in ("key", "name", "units", "returns")} for r in rows], rows[0]["groups"],
                {"units": int(rows[0]["all_units"])})
    sums = read.report(f"SELECT coalesce(sum(r.units), 0) AS units, count(DISTINCT {key}) AS groups"
                       f" FROM {_RETURNS_FROM} WHERE {condition}", tuple(args))[0]
    return [], int(sums["groups"]) if paging.offset else 0, {"units": int(sums["units"])}


def return_lines(read: ReadModels, group: str | None, key: str | None, where: ReturnsFilter, scope: DataScope,
                 paging: PageRequest) -> tuple[list[dict], int]:
    conditions = where.conditions(scope)
    if group is not None and key is not None:
        conditions[f"{_RETURN_KEYS[group][0]} = %s"] = key
    return read.page(_RETURNS_FROM, paging, where=conditions, order_by="r.on_date DESC, r.return_id, r.line_no",
                     columns="r.return_id, r.line_no, r.on_date, r.order_id, r.hospital_id, h.name AS hospital_name,"
                             " h.province AS region, r.reason, r.disposition, r.credited, r.gtin, p.name AS item_name,"
                             " r.lot, r.expiry, r.units")


# --- inventory health ----------------------------------------------------------------------------------------------

def _status(day_param: str = "%(day)s") -> str:
    """domain/stock.status_of in SQL (tests/integration/test_analytics.py holds them equal)."""
    return (f"CASE WHEN l.expiry < {day_param}::date THEN 'expired'"
            " WHEN h.gtin IS NOT NULL THEN 'on_hold' ELSE l.quality END")


_LOTS = ("{schema}.stock_lots l LEFT JOIN {schema}.stock_holds h ON h.gtin = l.gtin AND h.lot = l.lot"
         " LEFT JOIN {schema}.sales_products p ON p.gtin = l.gtin")
# The item's average net invoiced unit price: what its stock is valued at (domain/stock.py).
_PRICES = ("SELECT gtin, sum(net) / sum(units) AS unit_value FROM {schema}.sales_facts WHERE kind = 'invoice'"
           " GROUP BY gtin HAVING sum(units) > 0")


def stock_health(read: ReadModels, day: date, thresholds: list[int], start: date) -> dict:
    """Units (and value) on hand by status, near expiry at each threshold, and written off expired since `start`."""
    by_status = read.report(
        f"SELECT {_status()} AS status, sum(l.on_hand) AS units, sum(l.on_hand * v.unit_value) AS value,"
        f" sum(l.on_hand) FILTER (WHERE v.unit_value IS NULL) AS unvalued FROM {_LOTS}"
        f" LEFT JOIN ({_PRICES}) v ON v.gtin = l.gtin WHERE l.on_hand <> 0 GROUP BY 1", {"day": day})
    near = read.report(
        "SELECT t.days, coalesce(sum(l.on_hand), 0) AS units, sum(l.on_hand * v.unit_value) AS value"
        f" FROM unnest(%(thresholds)s::int[]) AS t(days) LEFT JOIN {{schema}}.stock_lots l ON l.on_hand <> 0"
        " AND l.expiry >= %(day)s AND l.expiry - %(day)s::date <= t.days"
        f" LEFT JOIN ({_PRICES}) v ON v.gtin = l.gtin GROUP BY t.days ORDER BY t.days",
        {"day": day, "thresholds": thresholds})
    written = read.report(
        f"SELECT coalesce(sum(w.units), 0) AS units, sum(w.units * v.unit_value) AS value FROM"
        f" {{schema}}.stock_write_offs w LEFT JOIN ({_PRICES}) v ON v.gtin = w.gtin WHERE w.on_date BETWEEN"
        " %(start)s AND %(day)s AND w.expiry < w.on_date", {"day": day, "start": start})[0]
    return {"by_status": by_status, "near_expiry": near, "written_off_expired": written}


def stock_items(read: ReadModels, day: date, near_days: int, slow_only: bool, gtin: str | None,
                paging: PageRequest) -> tuple[list[dict], int]:
    """Per item: units on hand, available, near expiry and expired; shipped in the last 90 and 365 days and last
    shipped; its value. Largest stock first."""
    args = {"day": day, "near": near_days, "gtin": gtin, "limit": paging.limit, "offset": paging.offset}
    slow = " AND coalesce(s.shipped_90, 0) = 0" if slow_only else ""
    rows = read.report(
        f"WITH stock AS (SELECT l.gtin, sum(l.on_hand) AS on_hand, coalesce(sum(l.on_hand) FILTER"
        f" (WHERE {_status()} = 'available'), 0) AS available, coalesce(sum(l.on_hand) FILTER (WHERE l.expiry >="
        " %(day)s AND l.expiry - %(day)s::date <= %(near)s), 0) AS near_expiry, coalesce(sum(l.on_hand) FILTER"
        f" (WHERE l.expiry < %(day)s), 0) AS expired FROM {_LOTS} WHERE l.on_hand <> 0"
        " AND (%(gtin)s::text IS NULL OR l.gtin = %(gtin)s) GROUP BY l.gtin),"
        " shipped AS (SELECT gtin, sum(units) FILTER (WHERE on_date > %(day)s::date - 90) AS shipped_90,"
        " sum(units) FILTER (WHERE on_date > %(day)s::date - 365) AS shipped_365, max(on_date) AS last_shipped_on"
        " FROM {schema}.stock_shipped WHERE on_date <= %(day)s GROUP BY gtin)"
        " SELECT k.gtin, p.name AS item_name, k.on_hand, k.available, k.near_expiry, k.expired,"
        " coalesce(s.shipped_90, 0) AS shipped_90, coalesce(s.shipped_365, 0) AS shipped_365, s.last_shipped_on,"
        f" k.on_hand * v.unit_value AS value, count(*) OVER () AS total FROM stock k LEFT JOIN shipped s"
        f" ON s.gtin = k.gtin LEFT JOIN {{schema}}.sales_products p ON p.gtin = k.gtin LEFT JOIN ({_PRICES}) v"
        f" ON v.gtin = k.gtin WHERE k.on_hand > 0{slow} ORDER BY k.on_hand DESC, k.gtin LIMIT %(limit)s"
        " OFFSET %(offset)s", args)
    return rows, rows[0]["total"] if rows else 0


def stock_lots(read: ReadModels, day: date, gtin: str | None, status: str | None, expiring_within: int | None,
               paging: PageRequest) -> tuple[list[dict], int]:
    """The lots behind a figure, earliest expiry first."""
    return read.page(_LOTS, paging, order_by="l.expiry, l.gtin, l.lot, l.warehouse",
                     columns=f"l.gtin, p.name AS item_name, l.lot, l.warehouse, l.expiry, l.on_hand,"
                             f" {_status(read_day(day))} AS status, l.expiry - {read_day(day)}::date AS days_left",
                     where={"l.on_hand <> 0 AND TRUE = %s": True, "l.gtin = %s": gtin,
                            f"{_status('%s')} = %s": None if status is None else Several((day, status)),
                            "l.expiry >= %s": day if expiring_within is not None else None,
                            "l.expiry <= %s": None if expiring_within is None
                            else date.fromordinal(day.toordinal() + expiring_within)})


def read_day(day: date) -> str:
    """A day as an SQL literal (a date is never user text: it was parsed as one)."""
    return f"DATE '{day.isoformat()}'"


# --- recall and adverse-event status -------------------------------------------------------------------------------

def recall_summary(read: ReadModels, now: datetime) -> dict:
    """Open recalls by level and how many are past their notification deadline; adverse events not yet submitted
    by outcome and how many are past their reporting deadline."""
    recalls = read.report(
        "SELECT level, count(*) FILTER (WHERE status <> 'closed') AS open, count(*) FILTER (WHERE status <> 'closed'"
        " AND notify_by < %(now)s) AS past_deadline, count(*) FILTER (WHERE status = 'closed') AS closed,"
        " coalesce(sum(units_returned), 0) AS units_returned FROM {schema}.recall_status GROUP BY level"
        " ORDER BY level", {"now": now})
    adverse = read.report(
        "SELECT outcome, count(*) FILTER (WHERE submitted_at IS NULL) AS open, count(*) FILTER (WHERE submitted_at"
        " IS NULL AND report_due_at < %(now)s) AS overdue, count(*) FILTER (WHERE submitted_at IS NOT NULL) AS"
        " submitted FROM {schema}.adverse_status GROUP BY outcome ORDER BY outcome", {"now": now})
    return {"recalls": recalls, "adverse_events": adverse}


def recall_cases(read: ReadModels, status: str | None, level: int | None, paging: PageRequest
                 ) -> tuple[list[dict], int]:
    """Each recall with how far it got, the most urgent first (open before closed, by deadline)."""
    return read.page(
        "{schema}.recall_status r LEFT JOIN (SELECT recall_id, count(notified_at) AS notified,"
        " count(acknowledged_at) AS acknowledged FROM {schema}.recall_consignees GROUP BY recall_id) c"
        " ON c.recall_id = r.recall_id", paging,
        columns="r.recall_id, r.number, r.title, r.scheme, r.level, r.decided_at, r.notify_by, r.status, r.closed_at,"
                " coalesce(c.notified, 0) AS notified, coalesce(c.acknowledged, 0) AS acknowledged,"
                " r.units_returned, r.consignees_to_notify, r.units_to_recover",
        order_by="r.status = 'closed', r.notify_by, r.recall_id",
        where={"r.status = %s": status, "r.level = %s": level})


def adverse_events(read: ReadModels, outcome: str | None, open_only: bool, paging: PageRequest
                   ) -> tuple[list[dict], int]:
    return read.page(
        "{schema}.adverse_status a LEFT JOIN {schema}.sales_hospitals h ON h.hospital_id = a.hospital_id"
        " LEFT JOIN {schema}.sales_products p ON p.gtin = a.gtin", paging,
        columns="a.adverse_event_id, a.gtin, p.name AS item_name, a.lot, a.hospital_id, h.name AS hospital_name,"
                " a.outcome, a.became_aware_at, a.report_due_at, a.submitted_at, a.recall_id",
        order_by="a.submitted_at IS NOT NULL, a.report_due_at NULLS LAST, a.adverse_event_id",
        where={"a.outcome = %s": outcome, "a.submitted_at IS NULL AND TRUE = %s": True if open_only else None})


# --- promotions ----------------------------------------------------------------------------------------------------

def scope_conditions(scope: dict) -> dict[str, object]:
    """A pricing rule's scope (shared/domain/pricing.Scope) over the sales read model, as the order service's engine
    judges an order line of a hospital (tests/integration/test_analytics.py holds them equal): the customer is the
    hospital (its grade; a hospital has no distributor tier, so a scope naming tiers selects none of its sales),
    the channel `distributor` when a distributor was billed, else `direct`."""
    def values(name: str) -> list[str] | None:
        found = sorted({str(v) for v in scope.get(name) or ()})
        return found or None

    products = values("gtins"), values("groups")
    conditions: dict[str, object] = {
        "f.hospital_id::text = ANY(%s)": values("customers"), "h.grade = ANY(%s)": values("grades"),
        "CASE WHEN f.distributor_id IS NULL THEN 'direct' ELSE 'distributor' END = ANY(%s)": values("channels"),
        "h.province = ANY(%s)": values("provinces"), "h.city = ANY(%s)": values("cities"),
        "(f.kind <> 'invoice' OR f.units >= %s)": scope.get("min_quantity") or None,
        "(f.kind <> 'invoice' OR f.units <= %s)": scope.get("max_quantity"),
    }
    if values("tiers"):
        conditions["FALSE AND TRUE = %s"] = True
    if any(products):
        conditions["(f.gtin = ANY(%s) OR p.product_group = ANY(%s))"] = Several(
            (products[0] or [], products[1] or []))
    return conditions


def promotions(read: ReadModels, paging: PageRequest) -> tuple[list[dict], int]:
    return read.page("{schema}.promotions", paging, where={}, order_by="valid_from DESC, number",
                     columns="promotion_id, number, name, rule_id, budget, valid_from, valid_to, scope, effect, owner")


def promotion(read: ReadModels, promotion_id: UUID) -> dict | None:
    return read.one("SELECT * FROM {schema}.promotions WHERE promotion_id = %s", (promotion_id,))


def promotion_effect(read: ReadModels, found: dict, run: tuple[date, date], baseline: tuple[date, date]) -> dict:
    """The scope's sales while it ran and in the baseline, and what the promotion gave (from its budget)."""
    conditions = {c: v for c, v in scope_conditions(found["scope"]).items() if v is not None}
    args = [a for v in conditions.values() for a in (v if isinstance(v, tuple) else (v,))]
    where = " AND ".join(conditions) or "TRUE"
    sales = read.report(
        "SELECT coalesce(sum(f.gross) FILTER (WHERE f.on_date >= %s), 0) AS amount,"
        " coalesce(sum(f.units) FILTER (WHERE f.on_date >= %s), 0) AS units,"
        " coalesce(sum(f.gross) FILTER (WHERE f.on_date < %s), 0) AS baseline_amount,"
        " coalesce(sum(f.units) FILTER (WHERE f.on_date < %s), 0) AS baseline_units"
        f" FROM {_FROM} WHERE f.on_date BETWEEN %s AND %s AND {where}",
        (run[0], run[0], run[0], run[0], baseline[0], run[1], *args))[0]
    spent = read.one("SELECT count(*) FILTER (WHERE s.amount > 0) AS orders, coalesce(sum(s.amount), 0) AS discount"
                     " FROM {schema}.promotion_spend s JOIN {schema}.promotion_budgets b ON b.budget_id = s.budget_id"
                     " WHERE b.rule_id = %s", (found["rule_id"],))
    return {**sales, **(spent or {"orders": 0, "discount": Decimal(0)})}


def promotion_lines(read: ReadModels, found: dict, start: date, end: date, paging: PageRequest
                    ) -> tuple[list[dict], int]:
    """The sales lines within the promotion's scope between two days: the rows behind its figures (company-wide: the
    route that reads them takes a permission no portal user holds)."""
    return sales_lines(read, None, None, SalesFilter(start=start, end=end), EVERYTHING, paging,
                       extra=scope_conditions(found["scope"]))
