"""The portals' view of recalls: the notices addressed to the caller's own hospital or distributor, with what was
recalled and whether it acknowledged (a recall's other consignees are never shown)."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.traceability.api.work import Work
from services.traceability.application import recall_cases
from services.traceability.domain.recall import LEVEL_NAMES
from services.traceability.queries import recall_lists
from shared.domain.text import Note, ShortName
from shared.platform.access import permitted
from shared.platform.api import CallerScope, command_by
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads

router = APIRouter(tags=["recalls"])
NoticeReader = permitted("recall:read-notices", scope="recall-notice")
NoticeAcknowledger = command_by("recall:acknowledge-notice", scope="recall-notice")


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


class NoticeAcknowledgementIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    acknowledged_by: ShortName = Field(description="the person at the hospital or distributor who acknowledges")
    note: Note | None = None
    consignee_id: UUID | None = Field(None, description="only for a user acting for several organisations")


class NoticeAcknowledgementOut(BaseModel):
    recall_id: UUID
    consignee_id: UUID
    acknowledged_at: datetime
    acknowledged_by: str


@router.post("/recall-notices/{recall_id}/acknowledgement", operation_id="acknowledge_recall_notice")
def acknowledge_notice(recall_id: UUID, body: NoticeAcknowledgementIn, meta: NoticeAcknowledger, uow: Work,
                       read: Reads, scope: CallerScope) -> NoticeAcknowledgementOut:
    """The hospital or distributor acknowledges the recall notice it received (the portal's button), now; the
    recall officer sees it on the case at once. A retry by the same person answers the first acknowledgement."""
    case, consignee_id = recall_cases.acknowledge_notice(recall_cases.AcknowledgeNotice(
        recall_id=recall_id, consignee_id=body.consignee_id, own_consignees=scope.hospitals | scope.distributors,
        acknowledged_by=body.acknowledged_by, note=body.note), uow,
        reaches=lambda consignee: recall_lists.notice_within(read, scope, recall_id, consignee) is not None)
    done = case.acknowledged[str(consignee_id)]
    return NoticeAcknowledgementOut(recall_id=recall_id, consignee_id=consignee_id,
                                    acknowledged_at=done["acknowledged_at"], acknowledged_by=done["by"])
