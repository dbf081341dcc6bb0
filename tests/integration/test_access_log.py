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
