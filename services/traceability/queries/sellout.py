"""Distributors' sell-out (流向) reports as the lineage read model holds them (projections/lineage.py): what a new
report is checked against, and the reports and lines as lists, with names beside ids."""

from dataclasses import dataclass
from uuid import UUID

from shared.platform.access import DataScope
from shared.platform.paging import PageRequest
from shared.platform.read_models import ReadModels

_POSITION = """
SELECT a.gtin::text AS gtin, a.lot, coalesce(e.quantity_shipped - e.quantity_returned, 0) AS received,
       coalesce((SELECT sum(s.quantity) FROM {schema}.sold_on s WHERE s.gtin = a.gtin AND s.lot = a.lot
                 AND s.distributor_id = %(distributor)s), 0)::int AS reported
FROM unnest(%(gtins)s::char(14)[], %(lots)s::text[]) AS a(gtin, lot)
LEFT JOIN {schema}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot AND e.consignee_id = %(distributor)s
"""

Counts = dict[tuple[str, str], int]  # per (GTIN, lot)


def distributor_position(read: ReadModels, distributor_id: UUID, lots: list[tuple[str, str]]) -> tuple[Counts, Counts]:
    """Per (GTIN, lot): what the distributor received (shipped to it minus returned by it) and what it has reported
    as sold on so far, as the lineage read model knows it now."""
    if not lots:
        return {}, {}
    rows = read.all(_POSITION, {"distributor": distributor_id, "gtins": [g for g, _ in lots],
                                "lots": [lot for _, lot in lots]})
    return ({(r["gtin"], r["lot"]): r["received"] for r in rows}, {(r["gtin"], r["lot"]): r["reported"] for r in rows})


@dataclass(frozen=True)
class SellOutFilter:
    distributor_id: UUID | None = None
    flagged: bool | None = None  # lines over-reported or naming an unknown hospital (reports: holding one)
    hospital_id: UUID | None = None
    gtin: str | None = None
    lot: str | None = None


def reports(read: ReadModels, where: SellOutFilter, scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    """Reports as received, newest first, with the distributor's name: those of distributors within the scope."""
    return read.page("{schema}.sellout_reports r LEFT JOIN {schema}.consignees d ON d.consignee_id = r.distributor_id",
                     paging, columns="r.*, d.name AS distributor_name", order_by="r.reported_at DESC, r.report_id",
                     where={"r.distributor_id = %s": where.distributor_id, "(r.flagged_lines > 0) = %s": where.flagged,
                            **scope.condition(distributor="r.distributor_id", region="d.region")})


def distributor_within(read: ReadModels, scope: DataScope, distributor_id: UUID) -> bool:
    """Whether the distributor is within the scope: named by it, or in one of its regions."""
    if scope.everything or scope.covers(distributors=[distributor_id]):
        return True
    row = read.one("SELECT region FROM {schema}.consignees WHERE consignee_id = %s", (distributor_id,))
    return row is not None and scope.covers(regions=[row["region"]])


def lines(read: ReadModels, where: SellOutFilter, scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    """Lines of every report, newest first, with the distributor's and the hospital's names."""
    return read.page("{schema}.sellout_lines l LEFT JOIN {schema}.consignees d ON d.consignee_id = l.distributor_id"
                     " LEFT JOIN {schema}.consignees h ON h.consignee_id = l.hospital_id", paging,
                     order_by="l.reported_at DESC, l.report_id, l.line_no",
                     columns="l.*, l.gtin::text AS gtin, d.name AS distributor_name, h.name AS hospital_name",
                     where={"l.distributor_id = %s": where.distributor_id, "l.hospital_id = %s": where.hospital_id,
                            "l.gtin = %s": where.gtin, "l.lot = %s": where.lot,
                            "(l.over_reported OR l.unknown_hospital) = %s": where.flagged,
                            **scope.condition(distributor="l.distributor_id", region="d.region")})


def unmatched(read: ReadModels, distributor_id: UUID | None, scope: DataScope,
              paging: PageRequest) -> tuple[list[dict], int]:
    """The review queue: lines whose hospital name matched no single hospital, oldest first."""
    return read.page("{schema}.sellout_unmatched u LEFT JOIN {schema}.consignees d"
                     " ON d.consignee_id = u.distributor_id", paging,
                     order_by="u.reported_at, u.report_id, u.line_no",
                     columns="u.*, u.gtin::text AS gtin, d.name AS distributor_name",
                     where={"u.distributor_id = %s": distributor_id,
                            **scope.condition(distributor="u.distributor_id", region="d.region")})
