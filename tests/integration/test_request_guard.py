"""What a new user and a security tester sent on day one: bodies of hundreds of MB, control characters stored
forever, an Idempotency-Key reused for another request. Each is refused at the door and stores nothing."""

import json

from shared.platform.auth import issue_token

HOSPITAL = {"name": "华山医院", "province": "上海市", "city": "上海市", "grade": "3A"}


def stored_events(app) -> list:  # noqa: ANN001
    return list(app.recorder.select_notifications(start=1, limit=1000))


def auth(name: str = "alice", **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, ['master_data'])}", **headers}


def test_a_body_over_the_limit_is_a_413_before_it_is_parsed(channel_api):
    padding = "x" * (1024 * 1024)  # the default limit is 1 MiB of JSON
    response = channel_api.post("/hospitals", headers=auth(), content=json.dumps({**HOSPITAL, "note": padding}),
                                )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["rule"] == "body-size"
    declared = channel_api.post("/hospitals", headers=auth(**{"Content-Length": str(300 * 1024 * 1024),
                                                              "Content-Type": "application/json"}), content=b"{}")
    assert declared.status_code == 413  # refused by what it declares, before a byte of it is read
    assert channel_api.get("/health").status_code == 200
    assert stored_events(channel_api.app.state.service.application) == []


def test_headers_over_16_kib_are_a_431(channel_api):
    response = channel_api.get("/hospitals", headers=auth(**{"X-Padding": "p" * 17_000}))
    assert response.status_code == 431
    assert response.json()["errors"][0]["rule"] == "header-size"


def test_control_and_bidirectional_characters_are_refused_naming_the_field(channel_api):
    for name, rule in (("\x1b[31m红色医院\x1b[0m", "plain-text"), ("医院\u202eevil", "plain-text"),
                       ("第一\r\n医院", "plain-text"), ("a\x00b", "no-nul-character")):
        response = channel_api.post("/hospitals", headers=auth(), json={**HOSPITAL, "name": name})
        assert response.status_code == 422, name
        error = response.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("name", rule)
    in_query = channel_api.get("/hospitals", headers=auth(), params={"name": "a\u202eb"})
    assert (in_query.status_code, in_query.json()["errors"][0]["field"]) == (422, "name")
    escaped_backslash = channel_api.get("/hospitals", headers=auth(), params={"name": "\\u0007"})
    assert escaped_backslash.status_code == 200  # text that merely looks like an escape is harmless
    assert stored_events(channel_api.app.state.service.application) == []


def test_correlation_ids_and_reasons_in_headers_are_bounded_and_plain(channel_api):
    too_long = channel_api.post("/hospitals", headers=auth(**{"X-Correlation-ID": "c" * 6000}), json=HOSPITAL)
    assert (too_long.status_code, too_long.json()["errors"][0]["rule"]) == (422, "correlation-id-format")
    spaced = channel_api.post("/hospitals", headers=auth(**{"X-Correlation-ID": "two words"}), json=HOSPITAL)
    assert spaced.status_code == 422
    escape = channel_api.post("/hospitals", headers=auth(**{"X-Reason": "ok%0A%1B%5B31mred"}), json=HOSPITAL)
    assert (escape.status_code, escape.json()["errors"][0]) == (422, {
        "field": "X-Reason", "rule": "plain-text", "message": "the reason contains a control character (U+000A) at position 2"})
    assert stored_events(channel_api.app.state.service.application) == []
    uuid_like = channel_api.post("/hospitals", headers=auth(**{"X-Correlation-ID": "9f1c2d3e-0a1b-4c5d-8e9f-123456789abc"}),
                                 json=HOSPITAL)
    assert uuid_like.status_code == 201


def test_an_idempotency_key_reused_with_another_body_is_a_422_and_the_same_body_replays(channel_api):
    first = channel_api.post("/hospitals", headers=auth(**{"Idempotency-Key": "k-1"}), json=HOSPITAL)
    assert first.status_code == 201
    reordered = dict(reversed(list(HOSPITAL.items())))  # the same request, keys in another order
    again = channel_api.post("/hospitals", headers=auth(**{"Idempotency-Key": "k-1"}), json=reordered)
    assert (again.status_code, again.json()["hospital_id"]) == (200, first.json()["hospital_id"])
    other = channel_api.post("/hospitals", headers=auth(**{"Idempotency-Key": "k-1"}),
                             json={**HOSPITAL, "name": "瑞金医院"})
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert other.json()["errors"][0]["rule"] == "idempotency-key-reused"
    someone_else = channel_api.post("/hospitals", headers=auth("bob", **{"Idempotency-Key": "k-1"}),
                                    json={**HOSPITAL, "name": "瑞金医院"})
    assert someone_else.status_code == 201  # a key names one person's request
    assert len(stored_events(channel_api.app.state.service.application)) == 2
