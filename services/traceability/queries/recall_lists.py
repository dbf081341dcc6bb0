"""Recall cases and adverse events as lists (projections/recalls.py): what a recall officer pages and filters
through, and the open scope of every recall (which open recalls name a lot or unit)."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.platform.access import DataScope
from shared.platform.paging import PageRequest
from shared.platform.read_models import ReadModels

_IN_SCOPE = "recall_id IN (SELECT recall_id FROM {schema}.recall_scope WHERE {column} = %s)"


@dataclass(frozen=True)
class RecallFilter:
    status: str | None = None
    level: int | None = None
    gtin: str | None = None  # cases whose scope names it, open or since taken out
    lot: str | None = None


def recalls(read: ReadModels, where: RecallFilter, paging: PageRequest) -> tuple[list[dict], int]:
    """Recall cases, newest decision first; a case opened before recalls were numbered shows its id as its number."""
    rows, total = read.page("{schema}.recall_cases", paging, order_by="decided_at DESC, recall_id", where={
        "status = %s": where.status, "level = %s": where.level,
        _IN_SCOPE.format(schema=read.schema, column="gtin"): where.gtin,
        _IN_SCOPE.format(schema=read.schema, column="lot"): where.lot})
    return [{**r, "number": r["number"] or str(r["recall_id"])} for r in rows], total


@dataclass(frozen=True)
class AdverseEventFilter:
    at: datetime  # the time "overdue" is judged at
    outcome: str | None = None
    overdue: bool | None = None  # True: unsubmitted past the deadline; False: the others
    gtin: str | None = None


def adverse_events(read: ReadModels, where: AdverseEventFilter, paging: PageRequest) -> tuple[list[dict], int]:
    """Adverse events, the earliest report deadline first."""
    late = "submitted_at IS NULL AND report_due_at < %s"
    return read.page("{schema}.adverse_events", paging,
                     order_by="report_due_at NULLS LAST, became_aware_at, adverse_event_id",
                     where={"outcome = %s": where.outcome, "gtin = %s": where.gtin,
                            late: where.at if where.overdue else None,
                            f"NOT coalesce({late}, false)": where.at if where.overdue is False else None})


def open_recalls_covering(read: ReadModels, gtin: str, lot: str, serials: list[str]) -> list[UUID]:
    """The open recalls whose scope (as it stands: reductions applied) names the lot or one of the units."""
    return [r["recall_id"] for r in read.all(
        "SELECT DISTINCT recall_id FROM {schema}.recall_scope WHERE open AND gtin = %s"
        " AND (lot = %s OR serial = ANY(%s)) ORDER BY recall_id", (gtin, lot, serials))]


_NOTICES = ("{schema}.recall_notices n JOIN {schema}.recall_cases r USING (recall_id)"
            " LEFT JOIN {schema}.consignees c ON c.consignee_id = n.consignee_id")
_NOTICE_COLUMNS = (
    "n.*, r.number, r.title, r.scheme, r.level, r.reason, r.status, r.decided_at, c.name AS consignee_name,"
    " (SELECT coalesce(json_agg(json_build_object('gtin', s.gtin, 'lot', s.lot, 'serial', s.serial)"
    "  ORDER BY s.gtin, s.lot, s.serial), '[]') FROM {schema}.recall_scope s WHERE s.recall_id = n.recall_id) AS scope")


def notices(read: ReadModels, scope: DataScope, acknowledged: bool | None,
            paging: PageRequest) -> tuple[list[dict], int]:
    """The recall notices addressed to the consignees within the caller's scope, the newest first."""
    rows, total = read.page(_NOTICES, paging, columns=_NOTICE_COLUMNS.format(schema=read.schema),
                            order_by="n.notified_at DESC, n.recall_id", where={
                                "(n.acknowledged_at IS NOT NULL) = %s": acknowledged,
                                **scope.condition(hospital="n.consignee_id", distributor="n.consignee_id",
                                                  region="c.region")})
    return [{**r, "number": r["number"] or str(r["recall_id"])} for r in rows], total


def notice_within(read: ReadModels, scope: DataScope, recall_id: UUID, consignee_id: UUID) -> dict | None:
    """The notice of the recall addressed to the consignee, if the caller's scope reaches that consignee."""
    rows, _ = read.page(_NOTICES, PageRequest(limit=1, offset=0), columns=_NOTICE_COLUMNS.format(schema=read.schema),
                        order_by="n.recall_id", where={
                            "n.recall_id = %s": recall_id, "n.consignee_id = %s": consignee_id,
                            **scope.condition(hospital="n.consignee_id", distributor="n.consignee_id",
                                              region="c.region")})
    return rows[0] if rows else None
