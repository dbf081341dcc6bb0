"""The two reports a recall owes the regulator (NMPA 医疗器械召回管理办法; FDA 21 CFR 7.46/7.53 ask the same):

* the recall event report: what is recalled and why, at which level, and where the units went;
* the implementation report: consignees to notify vs notified and acknowledged, units to recover vs
  recovered, and the effectiveness — one line per consignee and lot, each with its UDI.

Both name the product as the regulator knows it (name, model, manufacturer, registration certificate), the case by
its recall number, codes in Chinese and English, and count every unit once, where it is now (domain/holdings.py): the
units a distributor sold on are on the rows of the hospitals it sold them to, not on its own as well. Each table
ends with a 合计 Total row.
"""

from datetime import datetime

from services.traceability.domain.consignees import each_consignee_once, effectiveness
from services.traceability.domain.holdings import held, held_by, sold_on, sold_on_per_lot
from services.traceability.domain.lineage import Quantities
from services.traceability.domain.recall import RecallCase
from services.traceability.queries.answers import AffectedLot, RecallLookup
from services.traceability.queries.case_consignees import RecallConsignee
from services.traceability.queries.master_data import Product
from services.traceability.reports.documents import Cell, Document, DocumentTable, udi_text
from services.traceability.reports.labels import (
    CASE_STATUS, CONSIGNEE_KIND, CONSIGNEE_STATUS, LEVEL, NOTIFICATION_METHOD, label,
)
from shared.events.channel import Contact

TOTAL = "合计 Total"


def _distinct(values: list[str | None]) -> str | None:
    return "; ".join(dict.fromkeys(v for v in values if v)) or None


def _case_fields(case: RecallCase, products: dict[str, Product], at: datetime) -> list[tuple[str, Cell]]:
    items = list(products.values())
    return [
        ("召回编号 Recall number", case.number or str(case.id)),
        ("标题 Title", case.title),
        ("产品名称 Product", _distinct([p.name for p in items])),
        ("型号规格 Model / specification", _distinct([p.model for p in items])),
        ("生产企业 Manufacturer", _distinct([p.manufacturer for p in items])),
        ("注册证编号 Registration certificate", _distinct([p.certificate_number for p in items])),
        ("召回级别 Level", f"{LEVEL[case.level]} ({case.scheme})"),
        ("决定召回时间 Decided at", case.decided_at),
        ("通知期限 Notify by", case.notify_by),
        ("召回原因 Reason", case.reason),
        ("关联不良事件 Adverse event", str(case.adverse_event_id) if case.adverse_event_id else None),
        ("状态 Status", label(CASE_STATUS, case.status)),
        ("报告时间 As of", at),
    ]


def recall_event_report(case: RecallCase, lookups: list[RecallLookup], consignees: list[RecallConsignee],
                        products: dict[str, Product], at: datetime) -> Document:
    lots = DocumentTable("召回产品 Products recalled", [
        "UDI", "GTIN", "产品名称 Product", "型号规格 Model", "注册证编号 Registration certificate", "批号 Lot",
        "序列号 Serial", "失效日期 Expiry", "经由 Reached via", "发货数量 Shipped", "退回数量 Returned",
        "在外数量 Outstanding"])
    listed: dict[tuple[str, str, str | None], AffectedLot] = {}
    for lookup in lookups:  # a kit lot reached from two recalled lots is one line
        for a in lookup.affected_lots:
            listed.setdefault((a.gtin, a.lot, lookup.serial), a)
    whole_lots = {(gtin, lot) for gtin, lot, serial in listed if serial is None}
    total = Quantities()
    for (gtin, lot, serial), a in listed.items():
        product = products.get(gtin, Product(gtin=gtin))
        lots.rows.append([udi_text(gtin, lot, a.expiry, serial), gtin, product.name, product.model,
                          product.certificate_number, lot, serial, a.expiry, " → ".join(f"{v.gtin}/{v.lot}" for v in a.via),
                          a.quantity_shipped, a.quantity_returned, a.quantity_outstanding])
        if serial is None or (gtin, lot) not in whole_lots:  # a unit of a recalled lot is counted with its lot
            total += Quantities(a.quantity_shipped, a.quantity_returned)
    lots.rows.append([TOTAL, *[None] * 8, total.shipped, total.returned, total.outstanding])

    sold = sold_on_per_lot(consignees)
    regions: dict[tuple[str, str], tuple[set, int]] = {}
    for c in consignees:
        ids, units = regions.get((c.region or "", c.kind), (set(), 0))
        regions[(c.region or "", c.kind)] = (ids | {c.consignee_id}, units + held_by(c, sold))
    spread = DocumentTable("分布 Distribution", ["地区 Region", "类型 Kind", "单位数 Consignees", "现有数量 Units held now"],
                           [[region, label(CONSIGNEE_KIND, kind), len(ids), units]
                            for (region, kind), (ids, units) in sorted(regions.items())])
    spread.rows.append([TOTAL, None, len(each_consignee_once(consignees)),
                        sum(units for _, units in regions.values())])
    fields = _case_fields(case, products, at) + [
        ("发货数量合计 Units shipped", total.shipped), ("在外数量合计 Units outstanding", total.outstanding)]
    return Document("医疗器械召回事件报告表 Recall event report", fields, [lots, spread])


def implementation_report(case: RecallCase, consignees: list[RecallConsignee], products: dict[str, Product],
                          at: datetime) -> Document:
    e = effectiveness(consignees)
    fields = _case_fields(case, products, at) + [
        ("应通知单位 Consignees to notify", e.consignees_to_notify),
        ("已通知单位 Notified", e.consignees_notified),
        ("已确认单位 Acknowledged", e.consignees_acknowledged),
        ("应召回数量 Units to recover", e.units_to_recover),
        ("已召回数量 Units recovered", e.units_recovered),
        ("通知率 Notified share", e.share(e.consignees_notified, e.consignees_to_notify)),
        ("确认率 Acknowledged share", e.share(e.consignees_acknowledged, e.consignees_to_notify)),
        ("召回率 Recovered share", e.share(e.units_recovered, e.units_to_recover)),
    ]
    recovered: dict[tuple[str, str, str], int] = {}
    for r in case.returns.values():
        key = (r["consignee_id"], r["gtin"], r["lot"])
        recovered[key] = recovered.get(key, 0) + r["quantity"]
    lines = DocumentTable("召回对象 Consignees", [
        "单位 Consignee", "类型 Kind", "地区 Region", "经由 Via", "联系人 Contact", "产品名称 Product", "UDI",
        "发货数量 Shipped", "经销商配送 Delivered by distributor", "转售数量 Sold on", "现有数量 Units held now",
        "应召回数量 To recover", "已召回 Recovered", "通知时间 Notified at", "方式 Method", "确认时间 Acknowledged at",
        "状态 Status"])
    sold = sold_on_per_lot(consignees)
    for c in consignees:
        through = c.via_distributor is not None
        for a in c.affected_lots:
            # Returns come back from the direct consignee (inventory credits the shipment's consignee).
            back = 0 if through else recovered.get((str(c.consignee_id), a.gtin, a.lot), 0)
            now = held(c, a, sold)
            lines.rows.append([
                c.name or str(c.consignee_id), label(CONSIGNEE_KIND, c.kind), c.region,
                c.via_distributor.name if through else None, contact_text(c.contact),
                products.get(a.gtin, Product(gtin=a.gtin)).name, udi_text(a.gtin, a.lot, a.expiry),
                None if through else a.quantity_shipped, a.quantity_shipped if through else None,
                sold_on(c, a, sold), now, now + back, back, c.notified_at,
                label(NOTIFICATION_METHOD, c.notification_method), c.acknowledged_at,
                label(CONSIGNEE_STATUS, c.status)])
    lines.rows.append([TOTAL, *[None] * 6, *[sum(row[i] or 0 for row in lines.rows) for i in range(7, 13)],
                       None, None, None, None])
    return Document("医疗器械召回计划实施情况报告 Recall implementation report", fields, [lines])


def contact_text(contact: Contact | None) -> str | None:
    if contact is None:
        return None
    return " ".join(part for part in (contact.name, contact.phone, contact.email) if part)


def gtins_of(lookups: list[RecallLookup]) -> list[str]:
    """The items the lookups reach (whose products the reports name), in the order they first appear."""
    found = [a.gtin for lookup in lookups for a in lookup.affected_lots]
    return list(dict.fromkeys(found + [lookup.gtin for lookup in lookups if lookup.serial]))
