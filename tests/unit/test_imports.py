"""Importing existing records (shared/platform/imports.py and each service's kinds): the file read by its layout,
every row checked by the same models and handlers as the API, a dry run storing nothing, a real run storing each
valid row with the import batch in its events' metadata, and the same file again changing nothing."""

import io

import pytest
from openpyxl import Workbook

from services.channel.application import ChannelApplication
from services.channel.imports import HOSPITALS
from services.inventory.imports import ITEMS, SUPPLIERS
from shared.domain.workbook import UnreadableFile
from shared.platform.imports import read_rows, run_import
from shared.platform.unit_of_work import UnitOfWork
from tests.unit.inventory_world import world  # noqa: F401 - a fixture

HOSPITAL_CSV = (
    "医院名称,省份,等级,联系人,联系电话,执业许可证号,许可证生效日期,许可证有效期至\n"
    "上海市第一人民医院,上海市,3A,设备科,021-63240090,PDY001,2024-01-01,2029-12-31\n"
    "坏医院,上海市,4X,张三,,,,\n"
    ",,,,,,,\n"
    "上海市第一人民医院 ,上海市,3A,设备科,021-63240090,PDY001,2024-01-01,2029-12-31\n"
    "另一家医院,江苏省,2A,,,PDY2,2025-01-01,2024-01-01\n").encode()


def events_of(app, aggregate_id):
    return list(app.events.get(aggregate_id))


def test_a_header_names_columns_by_layout_or_alias_and_a_missing_required_column_refuses_the_file():
    rows = read_rows(HOSPITALS, "h.csv", HOSPITAL_CSV)
    assert [r.number for r in rows] == [2, 3, 5, 6]  # spreadsheet rows; the blank row 4 skipped
    assert rows[0].values["name"] == "上海市第一人民医院" and rows[0].values["licence_number"] == "PDY001"
    with pytest.raises(UnreadableFile, match="grade"):
        read_rows(HOSPITALS, "h.csv", "name,province\nX,上海市\n".encode())


def test_an_xlsx_file_reads_like_the_csv_dates_and_numbers_as_text():
    from datetime import datetime
    book = Workbook()
    sheet = book.active
    sheet.append(["gtin", "name", "device_class", "certificate_number", "certificate_holder",
                  "certificate_valid_from", "certificate_valid_to"])
    sheet.append(["09506000134352", "Stent", 3, "国械注准20193130001", "Holder", datetime(2024, 1, 1),
                  datetime(2029, 12, 31)])
    out = io.BytesIO()
    book.save(out)
    [row] = read_rows(ITEMS, "items.xlsx", out.getvalue())
    assert row.values["device_class"] == "3" and row.values["certificate_valid_from"] == "2024-01-01"


def test_hospitals_dry_run_reports_every_row_and_stores_nothing_then_the_real_run_stores_the_valid_ones_once():
    app = ChannelApplication.in_memory()
    new_uow = lambda deferred: UnitOfWork(app, deferred=deferred)  # noqa: E731
    dry = run_import(HOSPITALS, "h.csv", HOSPITAL_CSV, "alice", new_uow, dry_run=True)
    assert (dry.rows, dry.created, dry.unchanged, dry.rows_refused) == (4, 1, 1, 2)
    assert {(e.row, e.column, e.rule) for e in dry.errors} == {(3, "grade", "literal-error"),
                                                              (3, "contact_name", "value-error"),
                                                              (6, "licence_valid_to", "value-error")}
    assert app.recorder.max_notification_id() in (None, 0)  # nothing stored

    real = run_import(HOSPITALS, "h.csv", HOSPITAL_CSV, "alice", new_uow, dry_run=False)
    assert (real.created, real.unchanged, real.rows_refused) == (1, 1, 2)
    stored = app.recorder.max_notification_id()
    hospital_id = app.claimant("hospital-name", "上海市第一人民医院")
    events = events_of(app, hospital_id)
    assert len(events) == 2  # registered, licence recorded
    for event in events:  # the import batch, as the auditor's history shows it
        assert event.meta["actor"] == "alice"
        assert event.meta["correlation_id"] == f"import:{real.sha256}"
        assert event.meta["causation_id"] == f"import:{real.sha256}:row:2"
        assert event.meta["reason"] == f"import hospitals row 2 of h.csv (sha256 {real.sha256})"

    again = run_import(HOSPITALS, "h.csv", HOSPITAL_CSV, "bob", new_uow, dry_run=False)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 2)
    assert app.recorder.max_notification_id() == stored  # nothing more


ITEM_CSV = (
    "gtin,name,device_class,model,certificate_number,certificate_holder,certificate_valid_from,certificate_valid_to,"
    "box_gtin,box_quantity\n"
    "09506000134352,Stent,3,3.0x18,国械注准20193130001,Holder,2024-01-01,2029-12-31,19506000134359,10\n"
    "09506000134353,Bad check digit,3,,,,,,,\n"
    "09506000134352,Another name,3,,,,,,,\n"
    "09506000134369,Balloon,4,,,,,,,\n").encode()


def test_items_with_their_certificate_and_udi_dis_and_each_row_s_errors(world):  # noqa: F811
    dry = run_import(ITEMS, "items.csv", ITEM_CSV, "alice", world.uow, dry_run=True)
    assert dry.created == 1
    assert {(e.row, e.column, e.rule) for e in dry.errors} >= {(3, "gtin", "value-error"), (4, None, "gtin-unique"),
                                                              (5, "device_class", "less-than-equal")}
    assert world.stored() == []
    real = run_import(ITEMS, "items.csv", ITEM_CSV, "alice", world.uow, dry_run=False)
    assert real.created == 1 and real.rows_refused == 3
    item = world.app.item_by_gtin("09506000134352")
    assert item.master.registration_certificate["number"] == "国械注准20193130001"
    assert item.master.packaging_levels["box"] == {"gtin": "19506000134359", "quantity": 10}
    count = len(world.stored())
    again = run_import(ITEMS, "items.csv", ITEM_CSV, "alice", world.uow, dry_run=False)
    assert again.unchanged == 1 and len(world.stored()) == count


SUPPLIER_CSV = (
    "credit_code,name,business_licence_number,business_licence_valid_from,business_licence_valid_to,"
    "production_licence_number,production_licence_valid_from,production_licence_valid_to\n"
    "91310000MA1FL0C715,示例医疗器械有限公司,91310000MA1FL0C715,2020-01-01,2040-12-31,沪械生产许001,2024-01-01,2029-12-31\n"
    "91310000MA1FL0C71Y,错码公司,,,,,,\n"
    "91310000MA1FL0C715,另一个名字,,,,,,\n").encode()


def test_suppliers_with_their_licences_keyed_by_credit_code(world):  # noqa: F811
    dry = run_import(SUPPLIERS, "s.csv", SUPPLIER_CSV, "alice", world.uow, dry_run=True)
    assert dry.created == 1
    assert {(e.row, e.column) for e in dry.errors} == {(3, "credit_code"), (4, "name")}
    real = run_import(SUPPLIERS, "s.csv", SUPPLIER_CSV, "alice", world.uow, dry_run=False)
    assert real.created == 1
    supplier_id = world.app.claimant("supplier-credit-code", "91310000MA1FL0C715")
    supplier = world.app.repository.get(supplier_id)
    assert [d["document_type"] for d in supplier.documents] == ["business_licence", "production_licence"]
    assert not supplier.missing_on(__import__("datetime").date(2026, 6, 1))
    count = len(world.stored())
    again = run_import(SUPPLIERS, "s.csv", SUPPLIER_CSV, "alice", world.uow, dry_run=False)
    assert again.unchanged == 1 and len(world.stored()) == count


def test_templates_are_the_layout_s_header_row():
    for kind in (HOSPITALS, ITEMS, SUPPLIERS):
        text = kind.template_csv().decode("utf-8-sig")
        assert text.splitlines()[0].split(",") == kind.header
        # and the template's own example row imports (a dry run: the layout and its example agree)
        assert read_rows(kind, "t.csv", kind.template_csv())[0].values


STOCK_CSV = (
    "gtin,lot,expiry,quantity,serials,warehouse,supplier_credit_code,status\n"
    "09506000134352,L2701A,2030-06-30,50,,WH-SH,91310000MA1FL0C715,\n"
    "09506000134352,L2702B,2030-07-31,20,,WH-SH,91310000MA1FL0C715,quarantine\n"
    "09506000134352,L2703C,2020-01-31,5,,WH-SH,91310000MA1FL0C715,\n"
    "09506000134352,L27 04,2030-07-31,5,,WH-SH,91310000MA1FL0C715,\n"
    "09506000134352,L2705,2030-07-31,5,,WH-SH,91320500MA1MXXX0AY,\n").encode()


def test_opening_stock_is_received_through_the_receipt_rules_and_released_once(world):  # noqa: F811
    from services.inventory.imports import OPENING_STOCK
    run_import(SUPPLIERS, "s.csv", SUPPLIER_CSV, "alice", world.uow, dry_run=False)
    run_import(ITEMS, "items.csv", ITEM_CSV, "alice", world.uow, dry_run=False)
    dry = run_import(OPENING_STOCK, "stock.csv", STOCK_CSV, "alice", world.uow, dry_run=True)
    assert dry.created == 2
    assert {(e.row, e.column, e.rule) for e in dry.errors} >= {(4, "expiry", "expired-at-receipt"),
                                                              (6, "supplier_credit_code", "registered-supplier")}
    assert 5 in {e.row for e in dry.errors}  # a lot outside GS1's character set
    before = len(world.stored())
    real = run_import(OPENING_STOCK, "stock.csv", STOCK_CSV, "alice", world.uow, dry_run=False)
    assert real.created == 2
    stock = {(s.lot, s.warehouse): (s.on_hand, s.quality) for s in world.app.item_by_gtin("09506000134352").lot_stock()}
    assert stock == {("L2701A", "WH-SH"): (50, "available"), ("L2702B", "WH-SH"): (20, "quarantine")}
    assert world.stored()[before:] == ["LotReceived", "LotInspected", "LotReceived"]
    again = run_import(OPENING_STOCK, "stock.csv", STOCK_CSV, "alice", world.uow, dry_run=False)
    assert again.unchanged == 2 and len(world.stored()) == before + 3


SHIPMENTS_CSV = (
    "出库单号,发货日期,医院名称,产品标识,批号,有效期至,数量,序列号\n"
    "CK-2025-0001,2025-06-30,上海市第一人民医院,09506000134352,L2401A,2027-06-30,10,\n"
    "CK-2025-0002,2025-07-01T10:00:00+08:00,上海市第一人民医院（东院）,09506000134352,L2401A,2027-06-30,2,S1;S2\n"
    "CK-2025-0003,2025-07-02,不存在的医院,09506000134352,L2401A,2027-06-30,1,\n"
    "CK-2025-0004,2030-01-01,上海市第一人民医院,09506000134352,L2401A,2027-06-30,1,\n"
    "CK-2025-0005,2025-07-03,上海市第一人民医院,09506000134352,L2401A,2027-06-30,3,S9\n").encode()


def test_historical_shipments_go_to_a_registered_hospital_matched_by_name_and_keep_their_original_date():
    from datetime import UTC, datetime
    from uuid import uuid4

    from services.traceability.domain.terminal_matching import Terminal
    from services.traceability.imports import HISTORICAL_SHIPMENTS
    from tests.unit.traceability_world import World, stored, traceability

    hospital = uuid4()
    world = World(hospitals={hospital}, terminal_master=[Terminal(hospital, "上海市第一人民医院")])
    with traceability() as app:
        new_uow = lambda deferred: world.unit_of_work(app, deferred)  # noqa: E731
        dry = run_import(HISTORICAL_SHIPMENTS, "s.csv", SHIPMENTS_CSV, "alice", new_uow, dry_run=True)
        assert dry.created == 2 and stored(app) == []
        assert {(e.row, e.column, e.rule) for e in dry.errors} == {
            (4, "hospital", "registered-hospital"), (5, "shipped_at", "not-in-future"),
            (6, "serials", "one-serial-per-unit")}
        real = run_import(HISTORICAL_SHIPMENTS, "s.csv", SHIPMENTS_CSV, "alice", new_uow, dry_run=False)
        assert real.created == 2 and stored(app) == ["Imported", "Imported"]
        payloads = [app.to_payload(e) for n in app.recorder.select_notifications(start=1, limit=10)
                    for e in [app.mapper.to_domain_event(n)]]
        assert [(p.hospital_id, p.shipped_at, p.quantity, p.serials) for p in payloads] == [
            (hospital, datetime(2025, 6, 29, 16, 0, tzinfo=UTC), 10, None),  # the day, in China
            (hospital, datetime(2025, 7, 1, 2, 0, tzinfo=UTC), 2, ["S1", "S2"])]  # a branch of the same hospital
        again = run_import(HISTORICAL_SHIPMENTS, "s.csv", SHIPMENTS_CSV, "alice", new_uow, dry_run=False)
        assert again.unchanged == 2 and len(stored(app)) == 2


def test_a_hospital_on_record_keeps_its_facts_and_takes_a_new_contact_and_distributors_come_with_licences():
    from services.channel.imports import DISTRIBUTORS

    app = ChannelApplication.in_memory()
    new_uow = lambda deferred: UnitOfWork(app, deferred=deferred)  # noqa: E731
    run_import(HOSPITALS, "h.csv", HOSPITAL_CSV, "alice", new_uow, dry_run=False)
    changed = ("name,province,grade,contact_name,contact_phone\n"
               "上海市第一人民医院,上海市,3A,设备科 李老师,021-00000000\n"
               "上海市第一人民医院,江苏省,3A,,\n").encode()
    report = run_import(HOSPITALS, "h2.csv", changed, "bob", new_uow, dry_run=False)
    assert report.changed == 1 and [(e.row, e.column, e.rule) for e in report.errors] == [
        (3, "province", "party-on-record")]
    hospital = app.repository.get(app.claimant("hospital-name", "上海市第一人民医院"))
    assert hospital.contact["name"] == "设备科 李老师"

    distributors = ("经销商名称,区域,价格等级,经营许可证编号,经营许可证生效日期,经营许可证有效期至,营业执照编号\n"
                    "华东医疗器械有限公司,江苏省,gold,苏药监械经营许20190001,2024-01-01,2029-12-31,YYZZ-1\n"
                    "西部医疗,四川省,diamond,,,,\n").encode()
    dry = run_import(DISTRIBUTORS, "d.csv", distributors, "alice", new_uow, dry_run=True)
    assert dry.created == 0 and {(e.row, e.column) for e in dry.errors} == {
        (2, "business_licence_valid_from"), (2, "business_licence_valid_to"), (3, "tier")}
    fixed = distributors.replace(",YYZZ-1\n".encode(), b",\n")  # the business licence's validity unknown: left out
    real = run_import(DISTRIBUTORS, "d.csv", fixed, "alice", new_uow, dry_run=False)
    assert real.created == 1
    distributor = app.repository.get(app.claimant("distributor-name", "华东医疗器械有限公司"))
    assert [d["document_type"] for d in distributor.licences] == ["distribution_licence"]
    assert run_import(DISTRIBUTORS, "d.csv", fixed, "alice", new_uow, dry_run=False).unchanged == 1


def test_a_real_run_saves_rows_in_chunks_and_a_chunk_that_cannot_be_saved_is_applied_again_row_by_row():
    from shared.platform.eventstore import IntegrityError

    app = ChannelApplication.in_memory()
    flushes = []

    class FailingOnce(UnitOfWork):
        def flush(self, positions=()):  # noqa: ANN001, ANN202 - a concurrent writer won the first chunk's save
            flushes.append(len(self._pending))
            if len(flushes) == 1:
                raise IntegrityError("unique claim taken meanwhile")
            return super().flush(positions)

    rows = "name,province,grade\n" + "".join(f"医院{n},上海市,3A\n" for n in range(5))
    report = run_import(HOSPITALS, "h.csv", rows.encode(), "alice", lambda d: FailingOnce(app, deferred=d),
                        dry_run=False, chunk=3)
    assert (report.created, report.errors) == (5, [])
    assert flushes == [3, 1, 1, 1, 2]  # the first chunk failed, its rows then saved one by one; the last two together
    assert app.recorder.max_notification_id() == 5


def test_list_prices_by_price_list_name_each_period_checked_as_the_route_checks_it():
    from services.channel.imports import PRICE_LISTS

    app = ChannelApplication.in_memory()
    new_uow = lambda deferred: UnitOfWork(app, deferred=deferred)  # noqa: E731
    rows = ("价格表,产品标识,价格,生效日期,失效日期\n"
            "2026 标准价,09506000134352,1480.00,2026-01-01,2026-06-30\n"
            "2026 标准价,09506000134352,1380.00,2026-07-01,\n"
            "2026 标准价,09506000134352,1300.00,2026-12-01,\n"  # overlaps the open-ended period
            "2026 标准价,09506000134352,-1,2026-01-01,\n"
            ",09506000134352,1,2026-01-01,\n").encode()
    report = run_import(PRICE_LISTS, "p.csv", rows, "alice", new_uow, dry_run=False)
    assert (report.created, report.changed) == (1, 1)
    assert {(e.row, e.column, e.rule) for e in report.errors} >= {(4, "valid_from", "list-price-periods-overlap"),
                                                                 (6, "price_list", "missing")}
    assert 5 in {e.row for e in report.errors}
    again = run_import(PRICE_LISTS, "p.csv", rows, "alice", new_uow, dry_run=False)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 2)


def test_a_handler_s_field_in_a_list_is_named_by_its_column():
    from shared.domain.rules import InvalidReference
    from shared.platform.imports import problems_of

    columns = {"lines[0].serials": "serials", "lines[0].lot": "lot"}
    [found] = problems_of(7, InvalidReference("lines[0].serials[3]", "gs1-character-set", "not CSET 82"), columns)
    assert (found.row, found.column, found.rule) == (7, "serials", "gs1-character-set")
    [found] = problems_of(7, InvalidReference("lines[0].lot", "gs1-character-set", "not CSET 82"), columns)
    assert found.column == "lot"


def test_distributor_authorizations_by_names_registered_against_the_territory_and_once():
    from services.channel.imports import AUTHORIZATIONS, DISTRIBUTORS

    app = ChannelApplication.in_memory()
    new_uow = lambda deferred: UnitOfWork(app, deferred=deferred)  # noqa: E731
    run_import(HOSPITALS, "h.csv", HOSPITAL_CSV, "alice", new_uow, dry_run=False)
    run_import(DISTRIBUTORS, "d.csv", "name,region,tier\n华东医疗,江苏省,gold\n西部医疗,四川省,gold\n".encode(),
               "alice", new_uow, dry_run=False)
    rows = ("经销商名称,授权书编号,产品标识,授权省份,授权医院,生效日期,失效日期,独家\n"
            "华东医疗,SQ-1,09506000134352,江苏省,上海市第一人民医院,2026-01-01,2026-12-31,true\n"
            "西部医疗,SQ-2,09506000134352,江苏省,,2026-06-01,2026-12-31,\n"  # overlaps the exclusive grant
            "无名医疗,SQ-3,09506000134352,四川省,,2026-01-01,2026-12-31,\n"
            "西部医疗,SQ-4,09506000134352,四川省,不存在医院,2026-01-01,2026-12-31,\n").encode()
    dry = run_import(AUTHORIZATIONS, "a.csv", rows, "alice", new_uow, dry_run=True)
    assert dry.created == 1 and {(e.row, e.column, e.rule) for e in dry.errors} == {
        (3, "exclusive", "authorization-exclusive-overlap"), (4, "distributor", "registered-distributor"),
        (5, "hospitals", "registered-hospital")}
    real = run_import(AUTHORIZATIONS, "a.csv", rows, "alice", new_uow, dry_run=False)
    assert real.created == 1
    distributor = app.repository.get(app.claimant("distributor-name", "华东医疗"))
    assert [a["number"] for a in distributor.authorizations] == ["SQ-1"]
    assert run_import(AUTHORIZATIONS, "a.csv", rows, "alice", new_uow, dry_run=False).unchanged == 1


# --- grouped rows: several rows, one record ------------------------------------------------------------------------

def _hospital_batches():
    """A grouped kind for the machinery's tests: rows sharing a `batch` register their hospitals together, through
    the hospitals kind's own row (each refusal names its row)."""
    from services.channel.imports import HOSPITAL_COLUMNS, import_hospital
    from shared.domain.rules import RuleViolation
    from shared.platform.imports import Column, ImportKind, RowError

    received = []

    def apply_group(rows, uow):  # noqa: ANN001, ANN202
        received.append([r.number for r in rows])
        for row in rows:
            try:
                import_hospital(row, uow)
            except RowError as error:
                error.row = row.number
                raise
            except RuleViolation as error:
                raise RowError(error.field, error.rule, error.detail, row=row.number) from None
        return "created"

    kind = ImportKind(name="hospital-batches", service="channel", permission="hospital:register", scope="hospital",
                      columns=(Column("batch", "the group", True), *HOSPITAL_COLUMNS), group_by="batch",
                      apply_group=apply_group)
    return kind, received


def _channel():
    app = ChannelApplication.in_memory()
    return app, (lambda deferred: UnitOfWork(app, deferred=deferred))


def test_rows_of_a_group_need_not_be_adjacent_and_are_applied_together_with_the_group_s_provenance():
    kind, received = _hospital_batches()
    app, new_uow = _channel()
    rows = ("batch,name,province,grade\n"
            "A,医院甲,上海市,3A\n"
            "B,医院乙,上海市,3A\n"
            "A,医院丙,上海市,2A\n").encode()
    report = run_import(kind, "b.csv", rows, "alice", new_uow, dry_run=False)
    assert received == [[2, 4], [3]]  # groups in the order of their first row, each in file order
    assert (report.rows, report.created, report.errors) == (3, 2, [])  # counts are per group
    third = events_of(app, app.claimant("hospital-name", "医院丙"))[0]
    assert third.meta["causation_id"] == f"import:{report.sha256}:row:2"  # the group's first row
    assert third.meta["reason"] == f"import hospital-batches rows 2, 4 of b.csv (sha256 {report.sha256})"
    second = events_of(app, app.claimant("hospital-name", "医院乙"))[0]
    assert second.meta["reason"] == f"import hospital-batches row 3 of b.csv (sha256 {report.sha256})"


def test_a_refused_group_stores_nothing_and_reports_every_row_the_offending_one_with_its_column():
    kind, _ = _hospital_batches()
    app, new_uow = _channel()
    rows = ("batch,name,province,grade\n"
            "A,医院甲,上海市,3A\n"
            "B,医院乙,上海市,3A\n"
            "A,医院丙,上海市,4X\n"
            "A,医院丁,上海市,3A\n"
            ",医院戊,上海市,3A\n").encode()
    for dry_run in (True, False):
        report = run_import(kind, "b.csv", rows, "alice", new_uow, dry_run=dry_run)
        assert report.created == 1 and report.rows_refused == 4
        assert [(e.row, e.column, e.rule) for e in report.errors] == [
            (2, None, "group-refused"), (4, "grade", "literal-error"), (5, None, "group-refused"),
            (6, "batch", "missing")]
        assert "row 4" in report.errors[0].message and "A" in report.errors[0].message
    assert app.claimant("hospital-name", "医院甲") is None  # its group was refused: nothing of it stored
    assert app.claimant("hospital-name", "医院乙") is not None


def test_a_chunk_closes_before_a_group_that_would_overflow_it_so_a_group_is_never_split():
    kind, _ = _hospital_batches()
    app = ChannelApplication.in_memory()
    flushes = []

    class Counting(UnitOfWork):
        def flush(self, positions=()):  # noqa: ANN001, ANN202
            flushes.append(sorted(app_name for app_name in (a.name for a in self._pending.values())))
            return super().flush(positions)

    rows = ("batch,name,province,grade\n"
            "A,甲1,上海市,3A\nB,乙1,上海市,3A\nA,甲2,上海市,3A\nB,乙2,上海市,3A\nC,丙1,上海市,3A\n"
            "D,丁1,上海市,3A\nD,丁2,上海市,3A\nD,丁3,上海市,3A\nD,丁4,上海市,3A\n").encode()
    report = run_import(kind, "b.csv", rows, "alice", lambda d: Counting(app, deferred=d), dry_run=False, chunk=3)
    assert report.created == 4
    # A (2 rows) then B would make 4 > 3: A alone; B and C make 3; D (4 rows, more than a chunk) whole, alone
    assert flushes == [["甲1", "甲2"], ["丙1", "乙1", "乙2"], ["丁1", "丁2", "丁3", "丁4"]]


def test_a_group_larger_than_the_bound_is_that_group_s_error(monkeypatch):
    import shared.platform.imports as imports

    monkeypatch.setattr(imports, "MAX_GROUP_ROWS", 2)
    kind, received = _hospital_batches()
    app, new_uow = _channel()
    rows = "batch,name,province,grade\n" + "".join(f"A,甲{n},上海市,3A\n" for n in range(3)) + "B,乙,上海市,3A\n"
    report = run_import(kind, "b.csv", rows.encode(), "alice", new_uow, dry_run=False)
    assert received == [[5]] and report.created == 1
    assert [(e.row, e.column, e.rule) for e in report.errors] == [
        (2, "batch", "max-group-rows"), (3, None, "group-refused"), (4, None, "group-refused")]


def test_a_group_whose_chunk_cannot_be_saved_is_applied_again_whole_in_its_own_transaction():
    from shared.platform.eventstore import IntegrityError

    kind, received = _hospital_batches()
    app = ChannelApplication.in_memory()
    flushes = []

    class FailingOnce(UnitOfWork):
        def flush(self, positions=()):  # noqa: ANN001, ANN202
            flushes.append(len(self._pending))
            if len(flushes) == 1:
                raise IntegrityError("unique claim taken meanwhile")
            return super().flush(positions)

    rows = "batch,name,province,grade\nA,甲1,上海市,3A\nB,乙1,上海市,3A\nA,甲2,上海市,3A\n"
    report = run_import(kind, "b.csv", rows.encode(), "alice", lambda d: FailingOnce(app, deferred=d),
                        dry_run=False)
    assert (report.created, report.errors) == (2, [])
    assert flushes == [3, 2, 1]  # the chunk failed; then group A (both rows) and group B, each on its own
    assert received == [[2, 4], [3], [2, 4], [3]]


def test_a_kind_is_either_row_by_row_or_grouped():
    from shared.platform.imports import ImportKind

    with pytest.raises(ValueError, match="apply_group"):
        ImportKind(name="x", service="s", permission="p", scope="company", columns=(), group_by="order")
    with pytest.raises(ValueError, match="apply_group"):
        ImportKind(name="x", service="s", permission="p", scope="company", columns=(),
                   apply=lambda row, uow: "created", group_by="order", apply_group=lambda rows, uow: "created")
