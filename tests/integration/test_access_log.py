"""Denied requests are kept for the auditor: who (the token's subject, when it had a valid one), route, status and
why; a 404 for what truly does not exist is no denial."""

from uuid import uuid4

from shared.platform.auth import issue_token


def bearer(subject: str, roles: list[str], scopes: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(subject, roles, scopes=scopes)}"}


def test_denials_are_listed_for_the_auditor_with_subject_route_and_reason(channel_api):
    hospital = channel_api.post("/hospitals", headers=bearer("setup", ["master_data"]),
                                json={"name": "浙江省人民医院", "province": "浙江省", "grade": "3A"}).json()["hospital_id"]
    assert channel_api.get("/hospitals").status_code == 401
    assert channel_api.post("/hospitals", headers=bearer("mallory", ["hospital_user"]), json={}).status_code == 403
    outsider = bearer("eve", ["hospital_user"], [f"hospital:{uuid4()}"])
    assert channel_api.get(f"/hospitals/{hospital}", headers=outsider).status_code == 404
    assert channel_api.get(f"/hospitals/{uuid4()}", headers=bearer("staff", ["master_data"])).status_code == 404
    assert channel_api.get(f"/hospitals/{hospital}", headers=bearer("own", ["hospital_user"],
                                                                    [f"hospital:{hospital}"])).status_code == 200

    auditor = bearer("audrey", ["auditor"])
    denials = channel_api.get("/audit/access-denials", headers=auditor).json()
    assert [(d["subject"], d["method"], d["route"], d["status"], d["reason"]) for d in reversed(denials["items"])] == [
        (None, "GET", "/hospitals", 401, "unauthenticated"),
        ("mallory", "POST", "/hospitals", 403, "missing-permission"),
        ("eve", "GET", "/hospitals/{hospital_id}", 404, "outside-scope"),
    ]
    only_eve = channel_api.get("/audit/access-denials", headers=auditor, params={"subject": "eve"}).json()
    assert only_eve["total"] == 1
    assert channel_api.get("/audit/access-denials", headers=bearer("mallory", ["order_desk"])).status_code == 403


def test_a_regional_user_registers_customers_of_its_own_provinces_only(channel_api):
    regional = bearer("zhang", ["master_data"], ["region:浙江省"])
    inside = channel_api.post("/hospitals", headers=regional, json={"name": "杭州市第一人民医院", "province": "浙江省",
                                                                   "grade": "3A"})
    assert inside.status_code == 201, inside.text
    outside = channel_api.post("/hospitals", headers=regional, json={"name": "成都市第一人民医院", "province": "四川省",
                                                                    "grade": "3A"})
    assert (outside.status_code, outside.json()["rule"]) == (403, "within-scope")
    assert channel_api.post("/distributors", headers=regional, json={
        "name": "四川医疗器械有限公司", "region": "四川省", "tier": "gold"}).status_code == 403
