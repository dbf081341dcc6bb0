"""The two reports a recall owes the regulator (NMPA 医疗器械召回管理办法; FDA 21 CFR 7.46/7.53 ask the same):

* the recall event report: what is recalled and why, at which level, and where the units went;
* the implementation report: consignees to notify vs notified and acknowledged, units to recover vs
  recovered, and the effectiveness — one line per consignee and lot, each with its UDI.
"""

from datetime import datetime

from services.traceability.documents import Document, DocumentTable, udi_text
from services.traceability.domain.recall import RecallCase
from services.traceability.queries import RecallLookup
from services.traceability.recall_view import LEVEL_NAMES, RecallConsignee, effectiveness, effectiveness_out
from shared.events.channel import Contact


def _case_fields(case: RecallCase, at: datetime) -> list[tuple[str, object]]:
    return [
        ("召回编号 Recall id", str(case.id)),
        ("标题 Title", case.title),
        ("召回级别 Level", f"{LEVEL_NAMES[case.scheme][case.level]} ({case.scheme})"),
        ("决定召回时间 Decided at", case.decided_at),
        ("通知期限 Notify by", case.notify_by),
        ("召回原因 Reason", case.reason),
        ("关联不良事件 Adverse event", str(case.adverse_event_id) if case.adverse_event_id else None),
        ("状态 Status", case.status),
        ("报告时间 As of", at),
    ]


def recall_event_report(case: RecallCase, lookups: list[RecallLookup], consignees: list[RecallConsignee],
                        at: datetime) -> Document:
    lots = DocumentTable("召回产品 Products recalled", ["UDI", "GTIN", "批号 Lot", "序列号 Serial", "失效日期 Expiry",
                                                    "经由 Reached via", "发货数量 Shipped", "退回数量 Returned",
                                                    "在外数量 Outstanding"])
    for lookup in lookups:
        for a in lookup.affected_lots:
            serial = lookup.serial if lookup.serial else None
            via = " → ".join(f"{v.gtin}/{v.lot}" for v in a.via)
            lots.rows.append([udi_text(a.gtin, a.lot, a.expiry, serial), a.gtin, a.lot, serial, a.expiry, via,
                              a.quantity_shipped, a.quantity_returned, a.quantity_outstanding])
    regions: dict[tuple[str, str], list[int]] = {}
    for c in consignees:
        tally = regions.setdefault((c.region or "", c.kind), [0, 0])
        tally[0] += 1
        tally[1] += c.quantity_outstanding
    spread = DocumentTable("分布 Distribution", ["地区 Region", "类型 Kind", "单位数 Consignees", "在外数量 Outstanding"],
                           [[region, kind, n, units] for (region, kind), (n, units) in sorted(regions.items())])
    return Document("医疗器械召回事件报告表 Recall event report", _case_fields(case, at), [lots, spread])


def implementation_report(case: RecallCase, consignees: list[RecallConsignee], at: datetime) -> Document:
    e = effectiveness_out(effectiveness(case, consignees))
    fields = _case_fields(case, at) + [
        ("应通知单位 Consignees to notify", e.consignees_to_notify),
        ("已通知单位 Notified", e.consignees_notified),
        ("已确认单位 Acknowledged", e.consignees_acknowledged),
        ("应召回数量 Units to recover", e.units_to_recover),
        ("已召回数量 Units recovered", e.units_recovered),
        ("通知率 Notified share", e.notified_share),
        ("确认率 Acknowledged share", e.acknowledged_share),
        ("召回率 Recovered share", e.recovered_share),
    ]
    recovered: dict[tuple[str, str, str], int] = {}
    for r in case.returns.values():
        key = (r["consignee_id"], r["gtin"], r["lot"])
        recovered[key] = recovered.get(key, 0) + r["quantity"]
    lines = DocumentTable("召回对象 Consignees", [
        "单位 Consignee", "类型 Kind", "地区 Region", "经由 Via", "联系人 Contact", "UDI", "发货数量 Shipped", "在外数量 Outstanding",
        "已召回 Recovered", "通知时间 Notified at", "方式 Method", "确认时间 Acknowledged at", "状态 Status"])
    for c in consignees:
        for a in c.affected_lots:
            lines.rows.append([c.name or str(c.consignee_id), c.kind, c.region,
                               c.via_distributor.name if c.via_distributor else None, contact_text(c.contact),
                               udi_text(a.gtin, a.lot, a.expiry),
                               a.quantity_shipped, a.quantity_outstanding,
                               recovered.get((str(c.consignee_id), a.gtin, a.lot), 0), c.notified_at,
                               c.notification_method, c.acknowledged_at, c.status])
    return Document("医疗器械召回计划实施情况报告 Recall implementation report", fields, [lines])


def contact_text(contact: Contact | None) -> str | None:
    if contact is None:
        return None
    return " ".join(part for part in (contact.name, contact.phone, contact.email) if part)
