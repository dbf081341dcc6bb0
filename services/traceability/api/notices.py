"""The portals' view of recalls: the notices addressed to the caller's own hospital or distributor, with what was
recalled and whether it acknowledged (a recall's other consignees are never shown)."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.traceability.domain.recall import LEVEL_NAMES
from services.traceability.queries import recall_lists
from shared.platform.access import permitted
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads

router = APIRouter(tags=["recalls"])
NoticeReader = permitted("recall:read-notices", scope="recall-notice")


class RecalledItem(BaseModel):
    gtin: str
    lot: str | None
    serial: str | None


class RecallNotice(BaseModel):
    recall_id: UUID
    number: str
    title: str
    level: int
    level_name: str
    reason: str
    status: str
    decided_at: datetime
    recalled: list[RecalledItem]
    consignee_id: UUID
    consignee_name: str | None
    notified_at: datetime
    method: str
    note: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None


@router.get("/recall-notices", operation_id="list_recall_notices")
def list_recall_notices(read: Reads, access: NoticeReader, paging: Paging,
                        acknowledged: Annotated[bool | None, Query(description="only those acknowledged (true) or"
                                                                               " still to acknowledge (false)")] = None,
                        ) -> Page[RecallNotice]:
    """The recall notices addressed to the caller's hospital or distributor, newest first."""
    rows, total = recall_lists.notices(read, access.scope, acknowledged, paging)
    notices = [RecallNotice(**row, level_name=LEVEL_NAMES[row["scheme"]][row["level"]], recalled=row["scope"])
               for row in rows]
    return Page[RecallNotice](items=notices, total=total, limit=paging.limit, offset=paging.offset)
