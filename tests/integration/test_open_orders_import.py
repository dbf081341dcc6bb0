"""Open orders (未结订单) imported through the order service's own app on real PostgreSQL: the file POSTed to
/imports/open-orders, the hospital matched by name in the order service's copy of the channel (full-width and
spaced as the old system wrote it), an order of two non-adjacent rows placed once with the import batch in its
events, the same file again unchanged; a caller with another data scope, or without the order desk's permission,
imports nothing."""

from datetime import timedelta
from uuid import uuid4

from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb

from services.order.imports import order_id_for
from shared.domain.business_day import business_today
from shared.platform.auth import issue_token

STENT, GAUZE = "09506000134352", "09506000134369"
HOSPITAL = uuid4()


def auth(roles: list[str] | None = None, scopes: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token('desk-wang', roles or ['order_desk'], scopes=scopes)}"}


def known(api: TestClient) -> None:
    """What the order service learns from channel and inventory events, written as its projections write it: a
    licensed hospital and two items with valid certificates."""
    schema = api.app.state.service.application.schema
    today = business_today()
    certificate = Jsonb({"number": "国械注准20263130001", "valid_from": str(today - timedelta(days=100)),
                         "valid_to": str(today + timedelta(days=1000))})
    with api.app.state.service.read_models.pool.connection() as conn:
        conn.execute(f"INSERT INTO {schema}.known_hospitals (hospital_id, name, region, grade, city)"
                     " VALUES (%s, '浙江省人民医院（朝晖院区）', '浙江省', '3A', '杭州市')", (HOSPITAL,))
        conn.execute(f"INSERT INTO {schema}.hospital_licences VALUES (%s, 'practice_licence', 'PDY1', %s, %s)",
                     (HOSPITAL, today - timedelta(days=365), today + timedelta(days=1000)))
        for gtin, name, device_class in ((STENT, "冠脉支架", 3), (GAUZE, "医用纱布", 1)):
            conn.execute(f"INSERT INTO {schema}.known_items (gtin, name, device_class, certificate)"
                         " VALUES (%s, %s, %s, %s)", (gtin, name, device_class, certificate))


def file_of(text: str) -> dict:
    return {"file": ("open-orders.csv", text.encode(), "text/csv")}


def test_open_orders_are_posted_as_a_file_placed_once_and_imported_again_unchanged(order_api: TestClient):
    api = order_api
    known(api)
    due = (business_today() + timedelta(days=14)).isoformat()
    # The old system's name with half-width brackets for the full-width ones: the channel's name key matches.
    csv = ("原订单号,医院名称,要求到货日期,产品标识,未交数量,单价\n"
           f"SO-9,浙江省人民医院(朝晖院区),{due},{STENT},4,1200.00\n"
           f"SO-10,{HOSPITAL},{due},09506000134390,1,10.00\n"
           f"SO-9,浙江省人民医院(朝晖院区),{due},{GAUZE},20,8.50\n")

    template = api.get("/imports/templates/open-orders", headers=auth())
    assert template.status_code == 200 and template.text.lstrip("\ufeff").startswith("order_reference,hospital,")
    forbidden = api.post("/imports/open-orders", headers=auth(["warehouse"]), files=file_of(csv))
    assert forbidden.status_code == 403

    dry = api.post("/imports/open-orders", params={"dry_run": "true"}, headers=auth(), files=file_of(csv))
    assert dry.status_code == 200, dry.text
    assert (dry.json()["created"], dry.json()["rows_refused"]) == (1, 1), dry.json()["errors"]
    assert [(e["row"], e["column"], e["rule"]) for e in dry.json()["errors"]] == [(3, "gtin", "registered-item")]
    app = api.app.state.service.application
    assert app.recorder.max_notification_id() in (None, 0)

    outside = api.post("/imports/open-orders", headers=auth(scopes=["region:江苏省"]), files=file_of(csv))
    assert [(e["row"], e["column"], e["rule"]) for e in outside.json()["errors"]] == [
        (2, "hospital", "registered-hospital"), (3, "hospital", "registered-hospital"), (4, None, "group-refused")]

    real = api.post("/imports/open-orders", headers=auth(), files=file_of(csv))
    assert (real.json()["created"], real.json()["rows_refused"]) == (1, 1)
    order = api.get(f"/orders/{order_id_for('SO-9')}", headers=auth()).json()
    assert [(line["gtin"], line["quantity"]) for line in order["lines"]] == [(STENT, 4), (GAUZE, 20)]
    assert (order["hospital_id"], order["holds"]) == (str(HOSPITAL), ["price_approval"])  # no price list: typed
    (placed,) = [app.envelope(n) for n in app.recorder.select_notifications(start=1, limit=10)]
    assert (placed.actor, placed.correlationid, placed.causationid) == (
        "user:desk-wang", real.json()["correlation_id"], f"{real.json()['correlation_id']}:row:2")
    assert placed.data["legacy_reference"] == "SO-9"

    again = api.post("/imports/open-orders", headers=auth(), files=file_of(csv))
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 1)
    assert app.recorder.max_notification_id() == placed.position
